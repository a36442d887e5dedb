"""Opaque cursor pagination over DynamoDB queries: a page reads O(limit) items whatever the table size."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from oms.domain.errors import InvalidRequest

T = TypeVar("T")
U = TypeVar("U")
MAX_LIMIT = 100
DEFAULT_LIMIT = 20
MAX_CURSOR_LENGTH = 4096  # a real cursor (four keys of at most 1,024 bytes each) is far shorter
MAX_KEY_BYTES = 1024  # DynamoDB's limit for a sort key (a partition key may have 2,048: ours never do)


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None

    def map(self, shape: Callable[[T], U]) -> Page[U]:
        """The same page with every item shaped (a record into its JSON view)."""
        return Page([shape(item) for item in self.items], self.next_cursor)


def encode_cursor(last_key: dict[str, Any] | None) -> str | None:
    if not last_key:
        return None
    raw = json.dumps(last_key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def listing_key_attributes(partition_attr: str) -> frozenset[str]:
    """The attributes of a start key for a listing keyed by `partition_attr`: the table's key, plus the
    index's key when it lists an index (GSI<n>PK → GSI<n>PK, GSI<n>SK)."""
    if partition_attr == "PK":
        return frozenset({"PK", "SK"})
    index = partition_attr.removesuffix("PK")
    return frozenset({"PK", "SK", partition_attr, f"{index}SK"})


def decode_cursor(cursor: str | None, *, partition_attr: str, partition_value: str) -> dict[str, Any] | None:
    """Decode a cursor and check it is a start key of the partition being listed: exactly the listing's
    key attributes, each a string within DynamoDB's key size (so no wandering into other partitions, and
    nothing DynamoDB would refuse with a ValidationException)."""
    if not cursor:
        return None
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise InvalidRequest("cursor is not valid", field="cursor")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
    except (binascii.Error, ValueError, RecursionError) as error:
        raise InvalidRequest("cursor is not valid", field="cursor") from error
    if not isinstance(key, dict) or key.get(partition_attr) != {"S": partition_value}:
        raise InvalidRequest("cursor is not valid for this listing", field="cursor")
    if set(key) != listing_key_attributes(partition_attr) or not all(
        isinstance(v, dict)
        and set(v) == {"S"}
        and isinstance(v["S"], str)
        and 0 < len(v["S"].encode("utf-8", "surrogatepass")) <= MAX_KEY_BYTES
        for v in key.values()
    ):
        raise InvalidRequest("cursor is not valid for this listing", field="cursor")
    return key


def clamp_limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    if limit < 1:
        raise InvalidRequest("limit must be at least 1", field="limit")
    return min(limit, MAX_LIMIT)


def collect(results: Iterator[T], limit: int) -> list[T]:
    items: list[T] = []
    for item in results:
        items.append(item)
        if len(items) >= limit:
            break
    return items


@dataclass
class Reads:
    """Items this page read (what it costs), counted as DynamoDB counts them: every item a Query
    evaluated, every item a BatchGetItem or GetItem returned."""

    items: int = 0
    budget: int = 0

    @property
    def left(self) -> int:
        return max(self.budget - self.items, 0)
