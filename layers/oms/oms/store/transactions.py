"""One state change = one TransactWriteItems. This wrapper labels each action with a `Part` (and,
where one transaction writes several of a kind, a key: `(Part.STOCK, sku_id)`) so a cancelled
transaction can say *which* condition failed (pynamodb sends checks, deletes, puts, updates in
that order, and DynamoDB's cancellation reasons follow the sent order), and re-sends a transaction
that only lost a race (TransactionConflict) or was throttled: a cancelled transaction wrote nothing,
and its conditions are evaluated again on the next send, so every write path gets the retry."""

from __future__ import annotations

import random
import time
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from oms.faults import TRANSIENT_CANCELLATION_CODES, TransientStoreError
from oms.store.models import Item

# Its own generator: backoff never touches the process's shared `random` state (which tests seed).
_jitter = random.Random()
COMMIT_ATTEMPTS = 4  # sends of one transaction that keeps losing races, with jittered backoff in between


def connection() -> Connection:
    """The models' own connection (created lazily by pynamodb, reset with the model's)."""
    return Item._get_connection().connection


class Part(StrEnum):
    """What one action of a transaction checks or writes. The store labels every action with one
    (alone, or as `(part, key)` when a transaction holds several of a kind) and a cancelled
    transaction names the parts whose condition failed, so callers match `cancelled.failed(Part.X)`
    instead of string labels."""

    ADDRESS = "address"  # a shopper's saved address
    ADDRESS_BOOK = "address-book"  # their count and default
    ANOMALY = "anomaly"
    ATTEMPT = "attempt"
    AUDIT = "audit"
    BALANCE = "balance"
    CASE = "case"
    CATEGORY = "category"  # a node of a store's category tree (oms.store.categories)
    CHANNEL = "channel"  # a channel store (oms.store.channels)
    CHANNEL_ORDER = "channel-order"  # a channel order number's row (its deduplication)
    CODE = "code"  # a pool code, or a code's digest row (oms.store.virtual_goods)
    ECOM = "ecom"  # an order's row in the e-commerce order list
    CASE_POINTER = "case-pointer"
    CHILD = "child"
    COUPON = "coupon"
    COUPON_USE = "coupon-use"  # a customer's uses of one coupon template
    CROSS_BORDER = "cross-border"  # a customer's yearly cross-border allowance (oms.store.cross_border)
    DELIVERY = "delivery"  # an email/SMS a notification sends
    DIRECTORY = "directory"
    DUE = "due"
    EVENT = "event"
    IDEMPOTENCY = "idempotency"
    IMAGE = "image"  # a product image row (oms.store.images)
    INBOX = "inbox"
    LEDGER = "ledger"
    LINE = "line"
    MOVEMENT = "movement"
    NOTE = "note"  # a staff note or recorded communication on an order (oms.store.notes)
    NOTIFICATION = "notification"  # an in-app inbox entry (and its unread count)
    ORDER = "order"
    EXPORT = "export"
    FLAG = "flag"  # an order flag row (oms.store.flags)
    ORDER_NUMBER = "order-number"
    PARENT = "parent"  # the parent category of the one a change is about (its child count)
    PAID = "paid"  # the paid row of an order (oms.store.order_search)
    OUTBOX = "outbox"
    POINTS = "points"
    POOL = "pool"  # a virtual SKU's code pool counters
    POINTS_ENTRY = "points-entry"
    PRODUCT = "product"
    PROFILE = "profile"  # a shopper's profile
    QUOTA = "quota"
    REFUND = "refund"
    REDEMPTION = "redemption"  # a redemption link's row
    REMINDER = "reminder"  # the payment reminder of one deadline
    RISK = "risk"  # a risk control row (oms.store.risk): a rate window, a daily total, a blacklist entry
    SETTINGS = "settings"
    SETTLEMENT = "settlement"
    SHIPMENT = "shipment"
    SKU = "sku"
    STATS = "stats"
    STOCK = "stock"
    STOCKTAKE = "stocktake"  # a stocktake record (oms.store.stock_ops)
    STORE = "store"
    TARGET = "target"  # the category a deleted one's products are reassigned to
    TEMPLATE = "template"
    TRACKING = "tracking"
    TREE = "tree"  # a store's category count
    VOUCHER = "voucher"  # a delivered unit of a virtual good (oms.store.virtual_goods)


# A `Part`, or `(Part, key)`. Typed as any hashable so that a plain string equal to a part's value
# (StrEnum members equal and hash like their values) labels the same part.
Label = Hashable


def part_of(label: Label) -> Hashable:
    return label[0] if isinstance(label, tuple) and label else label


@dataclass(frozen=True)
class Failure:
    label: Label
    code: str
    item: dict[str, Any] | None

    @property
    def part(self) -> Hashable:
        return part_of(self.label)

    @property
    def key(self) -> str:
        """The key of a `(part, key)` label (e.g. the SKU of a stock row), "" for a bare part."""
        return str(self.label[1]) if isinstance(self.label, tuple) and len(self.label) > 1 else ""


def _describe(label: Label) -> str:
    return ":".join(str(p) for p in label) if isinstance(label, tuple) else str(label)


class TransactionCancelled(Exception):
    def __init__(self, failures: Sequence[Failure]) -> None:
        super().__init__(", ".join(f"{_describe(f.label)}: {f.code}" for f in failures))
        self.failures = list(failures)

    def failed(self, *parts: Part) -> list[Failure]:
        """The failed conditions of these parts."""
        wanted = set(parts)
        return [f for f in self.failures if f.code == "ConditionalCheckFailed" and f.part in wanted]

    @property
    def transient(self) -> bool:
        """No condition failed: other writes held our items at that moment (or the table throttled
        them), so nothing was written and the same transaction may be sent again."""
        return all(f.code in TRANSIENT_CANCELLATION_CODES for f in self.failures)


@dataclass
class Transaction:
    _checks: list[tuple[Label, Item, Condition]] = field(default_factory=list)
    _puts: list[tuple[Label, Item, Condition | None]] = field(default_factory=list)
    _updates: list[tuple[Label, Item, Sequence[Action], Condition | None]] = field(default_factory=list)
    _deletes: list[tuple[Label, Item, Condition | None]] = field(default_factory=list)

    def check(self, label: Label, item: Item, condition: Condition) -> None:
        self._checks.append((label, item, condition))

    def put(self, label: Label, item: Item, condition: Condition | None = None) -> None:
        self._puts.append((label, item, condition))

    def delete(self, label: Label, item: Item, condition: Condition | None = None) -> None:
        """Delete an item (a missing one is no failure unless `condition` says so)."""
        self._deletes.append((label, item, condition))

    def update(self, label: Label, item: Item, actions: Sequence[Action], condition: Condition | None = None) -> None:
        """An update of an item the transaction already updates is merged into that one (its actions
        added, its condition AND-ed, the first label kept): DynamoDB allows one action per item, and a
        refund's counter (oms.services.refunds) rides on the same header or child update as a cancel."""
        for n, (first_label, first, first_actions, first_condition) in enumerate(self._updates):
            if (first.PK, first.SK) == (item.PK, item.SK):
                merged = condition if first_condition is None else first_condition
                if first_condition is not None and condition is not None:
                    merged = first_condition & condition
                self._updates[n] = (first_label, first, [*first_actions, *actions], merged)
                return
        self._updates.append((label, item, actions, condition))

    def updates(self, item: Item) -> bool:
        """Whether the transaction already updates this item."""
        return any((u[1].PK, u[1].SK) == (item.PK, item.SK) for u in self._updates)

    def __len__(self) -> int:
        return len(self._checks) + len(self._puts) + len(self._updates) + len(self._deletes)

    def commit(self) -> None:
        """Send the transaction; one that only lost races is sent again (jittered backoff), and still
        losing after `COMMIT_ATTEMPTS` sends raises `TransientStoreError`. A failed condition raises
        `TransactionCancelled` at once. botocore's own retries (throttling, timeouts) happen inside each
        send, with one ClientRequestToken, so on AWS a re-sent request that had been applied is a no-op."""
        for attempt in range(COMMIT_ATTEMPTS):
            try:
                self._send()
                return
            except TransactionCancelled as cancelled:
                if not cancelled.transient:
                    raise
                if attempt == COMMIT_ATTEMPTS - 1:
                    raise TransientStoreError(
                        f"transaction cancelled {COMMIT_ATTEMPTS} times by concurrent writes: {cancelled}"
                    ) from cancelled
                time.sleep(_jitter.uniform(0.005, 0.02) * (2**attempt))

    def _send(self) -> None:
        # The order pynamodb sends them in (checks, deletes, puts, updates), which DynamoDB's cancellation
        # reasons follow, whatever order the actions were added in.
        labels = [
            *(c[0] for c in self._checks),
            *(d[0] for d in self._deletes),
            *(p[0] for p in self._puts),
            *(u[0] for u in self._updates),
        ]
        try:
            with TransactWrite(connection=connection()) as tx:
                for _, item, condition in self._checks:
                    tx.condition_check(type(item), item.PK, item.SK, condition=condition)
                for _, item, put_condition in self._puts:
                    tx.save(item, condition=put_condition, return_values="ALL_OLD")
                for _, item, actions, update_condition in self._updates:
                    tx.update(item, list(actions), condition=update_condition, return_values="ALL_OLD")
                for _, item, delete_condition in self._deletes:
                    tx.delete(item, condition=delete_condition)
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
