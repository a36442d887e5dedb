"""One state change = one TransactWriteItems. This wrapper labels each action so a cancelled
transaction can say *which* condition failed (pynamodb sends checks, deletes, puts, updates in
that order, and DynamoDB's cancellation reasons follow the sent order)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from oms.store.models import Item


def connection() -> Connection:
    """The models' own connection (created lazily by pynamodb, reset with the model's)."""
    return Item._get_connection().connection


@dataclass(frozen=True)
class Failure:
    label: Hashable
    code: str
    item: dict[str, Any] | None


class TransactionCancelled(Exception):
    def __init__(self, failures: Sequence[Failure]) -> None:
        super().__init__(", ".join(f"{f.label}: {f.code}" for f in failures))
        self.failures = list(failures)

    def failed(self, predicate: Callable[[Hashable], bool]) -> list[Failure]:
        return [f for f in self.failures if f.code == "ConditionalCheckFailed" and predicate(f.label)]

    @property
    def conflicted(self) -> bool:
        """Another transaction touched one of our items at the same moment: safe to retry."""
        return any(f.code == "TransactionConflict" for f in self.failures)


@dataclass
class Transaction:
    _checks: list[tuple[Hashable, Item, Condition]] = field(default_factory=list)
    _puts: list[tuple[Hashable, Item, Condition | None]] = field(default_factory=list)
    _updates: list[tuple[Hashable, Item, Sequence[Action], Condition | None]] = field(default_factory=list)

    def check(self, label: Hashable, item: Item, condition: Condition) -> None:
        self._checks.append((label, item, condition))

    def put(self, label: Hashable, item: Item, condition: Condition | None = None) -> None:
        self._puts.append((label, item, condition))

    def update(
        self, label: Hashable, item: Item, actions: Sequence[Action], condition: Condition | None = None
    ) -> None:
        self._updates.append((label, item, actions, condition))

    def __len__(self) -> int:
        return len(self._checks) + len(self._puts) + len(self._updates)

    def commit(self) -> None:
        labels = [c[0] for c in self._checks] + [p[0] for p in self._puts] + [u[0] for u in self._updates]
        try:
            with TransactWrite(connection=connection()) as tx:
                for _, item, condition in self._checks:
                    tx.condition_check(type(item), item.PK, item.SK, condition=condition)
                for _, item, put_condition in self._puts:
                    tx.save(item, condition=put_condition, return_values="ALL_OLD")
                for _, item, actions, update_condition in self._updates:
                    tx.update(item, list(actions), condition=update_condition, return_values="ALL_OLD")
        except TransactWriteError as error:
            reasons = error.cancellation_reasons or []
            failures = [
                Failure(label, reason.code, reason.raw_item)
                for label, reason in zip(labels, reasons, strict=False)
                if reason is not None and reason.code not in (None, "None")
            ]
            if not failures:
                raise
            raise TransactionCancelled(failures) from error


T = TypeVar("T")


def with_conflict_retry(run: Callable[[], T], attempts: int = 4) -> T:
    """Re-run a transaction that lost a TransactionConflict race (jittered backoff)."""
    for attempt in range(attempts):
        try:
            return run()
        except TransactionCancelled as cancelled:
            if not cancelled.conflicted or attempt == attempts - 1:
                raise
            time.sleep(random.uniform(0.005, 0.02) * (2**attempt))
    raise AssertionError("unreachable")


class TransientStoreError(Exception):
    """The store could not take a write just now (throttling, a lost race after retries): a timer task
    raises this so its state machine retries it (the Retry rules name this error)."""


@contextmanager
def transient_store_errors() -> Iterator[None]:
    """For timer tasks: store failures leave as `TransientStoreError`, which the state machine retries
    (with back-off) instead of failing the execution at the first throttle or lost race."""
    from botocore.exceptions import BotoCoreError, ClientError
    from pynamodb.exceptions import PynamoDBException

    try:
        yield
    except (TransactionCancelled, PynamoDBException, ClientError, BotoCoreError) as error:
        raise TransientStoreError(f"{type(error).__name__}: {error}") from error
