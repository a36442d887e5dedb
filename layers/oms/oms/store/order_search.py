"""The staff order search on DynamoDB (the default `oms.services.order_search.OrderSearch`), and the index
entries it reads, written with the changes that make them true (docs/data-model.md rows 100-119).

No new index and no new item at checkout: the entries ride on items the order's writes make anyway, in
sparse partitions of the existing GSIs (items of different kinds share an index):

| filter | entry on | index / partition | sort key |
|---|---|---|---|
| SKU | each order line (one per SKU) | GSI1 `ORDERSKU#<skuId>` | `<createdAt>#<orderId>` |
| product | each order line | GSI2 `ORDERPRODUCT#<productId>` | `<createdAt>#<orderId>` |
| store | each order line | GSI3 `ORDERSTORE#<storeId>` | `<createdAt>#<orderId>` |
| phone / email | the order number row | GSI1 / GSI2 `ORDERCONTACT#<keyed hash>` | `<createdAt>#<orderId>` |
| paid date | the paid row `ORDER#<id>/PAID` | GSI2 `ORDERPAID` | `<paidAt>#<orderId>` |
| payment method | the paid row | GSI3 `ORDERPAIDBY#<method>` | `<paidAt>#<orderId>` |

plus what was there: the header (GSI1 `CUSTOMER#`, GSI2 `ORDERS`, GSI3 `ORDERSTATUS#`), the flag rows
(GSI2 `ORDERFLAG#`) and the order number row's key.

A query is served by ONE source: the most selective key its filters allow (`plan`), one partition or a
few read side by side and merged newest first (a merchant's stores). Its other filters are applied to the
headers read (a source of pointers costs one BatchGetItem of their headers per batch). A page reads at most
`READ_BUDGET_FACTOR × limit` items, then answers what it found with a `next_cursor` to go on, even when
that is fewer than `limit` (or none). The cursor is a position in the source's sort order (the last order
looked at), checked against the source: the next page reads strictly older entries, so an order whose
lines all sit in the partition is answered once. Never a Scan.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import heapq
import json
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from oms.domain.benefits import Benefits
from oms.domain.errors import InvalidRequest
from oms.domain.order_search import (
    MAX_MERGED_STORES,
    PAID_AT_CHECKOUT,
    ContactKind,
    OrderFacts,
    OrderQuery,
    contact_key,
)
from oms.store import keys
from oms.store.models import (
    Item,
    OrderFlagItem,
    OrderItem,
    OrderLineItem,
    OrderNumberItem,
    OrderPaidItem,
)
from oms.store.pages import MAX_CURSOR_LENGTH, MAX_KEY_BYTES, Page, Reads
from oms.store.records import HeaderRecord
from oms.store.rows import header_record
from oms.store.transactions import Part, Transaction

POSITION = re.compile(r"[!-~]+")  # a cursor's position: printable ASCII without spaces
READ_BUDGET_FACTOR = 5  # items a page may read per item it answers (limit)
BATCH_GET_MAX = 100  # keys per BatchGetItem
# The key of the contact hashes. Set CONTACT_INDEX_KEY (a secret, fixed for the table's life: the stored
# hashes are made with it) on AWS; the default only keeps contacts out of the keys in clear.
DEFAULT_CONTACT_KEY = "oms-contact-index"
CREATED, PAID, CUSTOMER = "created", "paid", "customer"  # the sort orders of sources


def contact_secret() -> bytes:
    return os.environ.get("CONTACT_INDEX_KEY", DEFAULT_CONTACT_KEY).encode()


def contact_keys(phone: str | None, email: str | None) -> list[str]:
    """The keyed hashes of an order's contacts (the shipping phone, the shopper's email)."""
    found = [
        contact_key(kind, value, contact_secret())
        for kind, value in ((ContactKind.PHONE, phone), (ContactKind.EMAIL, email))
        if value
    ]
    return [key for key in found if key]


# ---------------------------------------------------------------- entries written with the order's changes
def line_entries(header: HeaderRecord, store_id: str, sku_id: str, product_id: str) -> dict[str, str]:
    """The index attributes of an order line: its SKU's, product's and store's search partitions."""
    sort_key = keys.created_sort_key(header.createdAt, header.orderId)
    return {
        "GSI1PK": keys.order_sku_gsi1(sku_id),
        "GSI1SK": sort_key,
        "GSI2PK": keys.order_product_gsi2(product_id),
        "GSI2SK": sort_key,
        "GSI3PK": keys.order_store_gsi3(store_id),
        "GSI3SK": sort_key,
    }


def order_number_item(header: HeaderRecord) -> OrderNumberItem:
    """The order number reservation, carrying the order's contact entries (phone on GSI1, email on GSI2)."""
    sort_key = keys.created_sort_key(header.createdAt, header.orderId)
    address = header.shippingAddress if isinstance(header.shippingAddress, dict) else {}
    phone = contact_keys(address.get("phone"), None)
    email = [key for key in header.contactKeys or () if key not in phone]
    return OrderNumberItem(
        *keys.order_number(header.orderNumber),
        orderId=header.orderId,
        GSI1PK=keys.order_contact(phone[0]) if phone else None,
        GSI1SK=sort_key if phone else None,
        GSI2PK=keys.order_contact(email[0]) if email else None,
        GSI2SK=sort_key if email else None,
    )


def paid_item(header: HeaderRecord, method: str, paid_at: str) -> OrderPaidItem:
    """The paid row of an order: by paid time, overall (GSI2) and per payment method (GSI3)."""
    sort_key = f"{paid_at}#{header.orderId}"
    return OrderPaidItem(
        keys.order_pk(header.orderId),
        keys.ORDER_PAID_SK,
        orderId=header.orderId,
        method=method,
        paidAt=paid_at,
        GSI2PK=keys.PAID_ORDERS_GSI2,
        GSI2SK=sort_key,
        GSI3PK=keys.paid_by_method_gsi3(method),
        GSI3SK=sort_key,
    )


def add_paid_entry(tx: Transaction, header: HeaderRecord, method: str, paid_at: str) -> list[Action]:
    """The order is paid now with `method`: its paid row goes into the transaction (replacing an earlier
    one: a revived order is paid again); the header actions that record it on the order are returned, to
    ride on the order's move (`add_order_move(..., more=...)`)."""
    tx.put(Part.PAID, paid_item(header, method, paid_at))
    return [OrderItem.paidAt.set(paid_at), OrderItem.paidWith.set(method)]


def checkout_paid_with(header: HeaderRecord) -> str:
    """How an order paid in full at checkout was paid: by balance when balance was used, else nothing was
    left to pay (points, coupons)."""
    return "balance" if Benefits.of(header.benefits).balance else PAID_AT_CHECKOUT


# ---------------------------------------------------------------- sources
@dataclass(frozen=True)
class Source:
    """Where a query reads: one index, one or a few partitions of one sort order."""

    index: str  # GSI1 | GSI2 | GSI3
    partitions: tuple[str, ...]
    order: str  # CREATED | PAID | CUSTOMER: what the sort key starts with
    headers: bool  # the entries are order headers (else pointers to them)
    flag: str | None = None  # the flag the entries prove set (a flag source)

    @property
    def name(self) -> str:
        digest = hashlib.sha256(f"{self.index}|{'|'.join(self.partitions)}".encode()).hexdigest()[:16]
        return digest


def plan(query: OrderQuery) -> Source:
    """The most selective key the query's filters allow (the order number is read directly, not here)."""
    if query.customer_id is not None:
        return Source("GSI1", (keys.customer_orders_gsi1(query.customer_id),), CUSTOMER, headers=True)
    if query.phone_key is not None:
        return Source("GSI1", (keys.order_contact(query.phone_key),), CREATED, headers=False)
    if query.email_key is not None:
        return Source("GSI2", (keys.order_contact(query.email_key),), CREATED, headers=False)
    if query.order_flags:
        flag = query.order_flags[0].value
        return Source("GSI2", (keys.order_flag_gsi2(flag),), CREATED, headers=False, flag=flag)
    status = query.wanted_status
    if status is not None and status.value == "ON_HOLD":  # few orders are held at a time
        return Source("GSI3", (keys.orders_by_status_gsi3(status.value),), CREATED, headers=True)
    if query.sku_id is not None:
        return Source("GSI1", (keys.order_sku_gsi1(query.sku_id),), CREATED, headers=False)
    if query.product_id is not None:
        return Source("GSI2", (keys.order_product_gsi2(query.product_id),), CREATED, headers=False)
    stores = query.scoped_stores
    if stores is not None and len(stores) <= MAX_MERGED_STORES:
        return Source("GSI3", tuple(keys.order_store_gsi3(s) for s in sorted(stores)), CREATED, headers=False)
    if query.payment_method is not None:
        return Source("GSI3", (keys.paid_by_method_gsi3(query.payment_method),), PAID, headers=False)
    if query.paid is not None:
        return Source("GSI2", (keys.PAID_ORDERS_GSI2,), PAID, headers=False)
    if status is not None:
        return Source("GSI3", (keys.orders_by_status_gsi3(status.value),), CREATED, headers=True)
    return Source("GSI2", (keys.ALL_ORDERS_GSI2,), CREATED, headers=True)


def before(value: str) -> str:
    """The highest key below `value` that any of ours can be: the last character one lower, then "~"
    (which sorts after every character our keys hold)."""
    return value[:-1] + chr(ord(value[-1]) - 1) + "~"


def key_bounds(source: Source, query: OrderQuery, after: str | None) -> tuple[str | None, str | None]:
    """The sort key range a page reads: [lower, upper], both inclusive (None: open)."""
    if source.order == CUSTOMER:
        lower: str | None = "ORDER#"
        upper: str | None = "ORDER#~"
    else:
        span = query.created if source.order == CREATED else query.paid
        lower = span.start if span is not None else None
        upper = before(span.end) if span is not None and span.end is not None else None
    if after is not None:
        upper = before(after) if upper is None else min(upper, before(after))
    return lower, upper


def _condition(attribute: Any, lower: str | None, upper: str | None) -> Condition | None:
    if lower is not None and upper is not None:
        return attribute.between(lower, upper)  # type: ignore[no-any-return]
    if lower is not None:
        return attribute >= lower  # type: ignore[no-any-return]
    if upper is not None:
        return attribute <= upper  # type: ignore[no-any-return]
    return None


# ---------------------------------------------------------------- cursors
def encode_position(source: Source, after: str) -> str:
    raw = json.dumps({"s": source.name, "a": after}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_position(cursor: str | None, source: Source) -> str | None:
    """The position a cursor names, if it was made by a page of this source (else 422)."""
    if not cursor:
        return None
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise InvalidRequest("cursor is not valid", field="cursor")
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, RecursionError) as error:
        raise InvalidRequest("cursor is not valid", field="cursor") from error
    if not isinstance(data, dict) or set(data) != {"s", "a"} or data["s"] != source.name:
        raise InvalidRequest("cursor is not valid for this listing", field="cursor")
    after = data["a"]
    # The sort keys of every source are printable ASCII (times and ids): anything else is not a position.
    if not isinstance(after, str) or not 0 < len(after) <= MAX_KEY_BYTES or not POSITION.fullmatch(after):
        raise InvalidRequest("cursor is not valid for this listing", field="cursor")
    return after


# ---------------------------------------------------------------- reading
@dataclass(frozen=True)
class Entry:
    sort_key: str
    order_id: str
    header: HeaderRecord | None  # when the source's entries are headers
    stop: bool = False  # the partition's reading stopped here (the page's budget is spent)


@dataclass(frozen=True)
class SearchPage:
    items: list[HeaderRecord]
    next_cursor: str | None
    items_read: int = 0

    def page(self) -> Page[HeaderRecord]:
        return Page(self.items, self.next_cursor)


def _entry(item: Item, sort_attr: str) -> Entry | None:
    sort_key = getattr(item, sort_attr)
    if isinstance(item, OrderItem):
        return Entry(sort_key, item.orderId, header_record(item))
    if isinstance(item, OrderLineItem | OrderNumberItem | OrderFlagItem | OrderPaidItem):
        return Entry(sort_key, item.orderId, None)
    return None


@dataclass
class DynamoOrderSearch:
    """`OrderSearch` on the table's keys and indexes (docs/data-model.md rows 100-119)."""

    budget_factor: int = READ_BUDGET_FACTOR
    last_reads: int = field(default=0, init=False)  # items the last page read (benchmarks)

    def search(self, query: OrderQuery, limit: int, cursor: str | None) -> SearchPage:
        reads = Reads(budget=self.budget_factor * limit)
        try:
            if query.order_number is not None:
                return self._by_number(query, reads)
            if query.contradictory:
                return SearchPage([], None)
            return self._page(query, plan(query), limit, cursor, reads)
        finally:
            self.last_reads = reads.items

    def by_number(self, order_number: str) -> str | None:
        """The id of the order with this number (the order number row), or None."""
        for item in Item.batch_get([keys.order_number(order_number)]):
            if isinstance(item, OrderNumberItem):
                return item.orderId
        return None

    # -------------------------------------------------------------- the order number: one key
    def _by_number(self, query: OrderQuery, reads: Reads) -> SearchPage:
        reads.items += 1
        order_id = self.by_number(query.order_number or "")
        if order_id is None:
            return SearchPage([], None, reads.items)
        found = self._resolve([Entry("", order_id, None)], query, None, reads)
        return SearchPage([h for _, h in found if h is not None], None, reads.items)

    # -------------------------------------------------------------- a page of one source
    def _page(self, query: OrderQuery, source: Source, limit: int, cursor: str | None, reads: Reads) -> SearchPage:
        after = decode_position(cursor, source)
        lower, upper = key_bounds(source, query, after)
        if lower is not None and upper is not None and lower > upper:
            return SearchPage([], None, reads.items)
        first = max(1, min(limit, reads.budget // len(source.partitions)))
        streams = [
            self._stream(source, partition, lower, upper, first, limit, reads) for partition in source.partitions
        ]
        merged: Iterator[Entry] = heapq.merge(*streams, key=lambda e: e.sort_key, reverse=True)
        matches: list[HeaderRecord] = []
        seen: set[str] = set()
        position: str | None = None
        exhausted = stopped = full = left_over = False
        batch: list[Entry] = []
        while not (full or exhausted or stopped):
            entry = next(merged, None)
            if entry is None:
                exhausted = True
            elif entry.stop:
                stopped = True  # a partition ran out of the budget: nothing older is known on this page
            elif entry.order_id not in seen:
                seen.add(entry.order_id)
                batch.append(entry)
            if batch and (exhausted or stopped or len(batch) >= limit):
                resolved = self._resolve(batch, query, source.flag, reads)
                for n, (checked, header) in enumerate(resolved):
                    position = checked.sort_key
                    if header is not None:
                        matches.append(header)
                        if len(matches) == limit:
                            full, left_over = True, n < len(resolved) - 1
                            break
                batch = []
        if position is None or (exhausted and not left_over):
            return SearchPage(matches, None, reads.items)
        return SearchPage(matches, encode_position(source, position), reads.items)

    def _stream(
        self,
        source: Source,
        partition: str,
        lower: str | None,
        upper: str | None,
        first: int,
        limit: int,
        reads: Reads,
    ) -> Iterator[Entry]:
        """The partition's entries in [lower, upper], newest first, in growing chunks (the first of `first`
        items) while the page has budget left; then a stop entry at the last key read."""
        index = {"GSI1": Item.gsi1, "GSI2": Item.gsi2, "GSI3": Item.gsi3}[source.index]
        sort_attr = f"{source.index}SK"
        condition = _condition(getattr(Item, sort_attr), lower, upper)
        start_key: dict[str, Any] | None = None
        size = first
        last = upper or "~"
        while True:
            results = index.query(
                partition,
                condition,
                scan_index_forward=False,
                limit=size,
                last_evaluated_key=start_key,
            )
            for item in results:
                reads.items += 1
                last = getattr(item, sort_attr)
                entry = _entry(item, sort_attr)
                if entry is not None:
                    yield entry
            start_key = results.last_evaluated_key
            if not start_key:
                return
            size = min(size * 2, 4 * limit, reads.left)
            if size <= 0:
                yield Entry(last, "", None, stop=True)
                return

    def _resolve(
        self, entries: Sequence[Entry], query: OrderQuery, proven_flag: str | None, reads: Reads
    ) -> list[tuple[Entry, HeaderRecord | None]]:
        """Each entry with its order's header when the order matches the query (else None), in order: the
        headers of pointer entries and the flag rows the query needs, in BatchGetItems."""
        headers = {e.order_id: e.header for e in entries if e.header is not None}
        wanted_flags = [f.value for f in query.order_flags if f.value != proven_flag]
        wanted: list[tuple[str, str]] = []
        for entry in entries:
            pk = keys.order_pk(entry.order_id)
            if entry.header is None:
                wanted.append((pk, keys.ORDER_META))
            wanted += [(pk, keys.order_flag_sk(flag)) for flag in wanted_flags]
        flags: dict[str, set[str]] = {e.order_id: set() for e in entries}
        if proven_flag is not None:
            for entry in entries:
                flags[entry.order_id].add(proven_flag)
        for start in range(0, len(wanted), BATCH_GET_MAX):
            for item in Item.batch_get(wanted[start : start + BATCH_GET_MAX]):
                reads.items += 1
                if isinstance(item, OrderItem):
                    headers[item.orderId] = header_record(item)
                elif isinstance(item, OrderFlagItem):
                    flags[item.orderId].add(item.flag)
        answered: list[tuple[Entry, HeaderRecord | None]] = []
        for entry in entries:
            header = headers.get(entry.order_id)
            ok = header is not None and query.matches(facts_of(header, frozenset(flags[entry.order_id])))
            answered.append((entry, header if ok else None))
        return answered


def facts_of(header: HeaderRecord, flags: frozenset[str]) -> OrderFacts:
    return OrderFacts(
        order_id=header.orderId,
        order_number=header.orderNumber,
        customer_id=header.customerId,
        status=header.status,
        created_at=header.createdAt,
        paid_at=header.paidAt,
        paid_with=header.paidWith,
        total=int(header.total.amount),
        currency=header.currency,
        store_ids=frozenset(header.storeIds or ()),
        sku_ids=frozenset(header.skuIds or ()),
        product_ids=frozenset(header.productIds or ()),
        contact_keys=frozenset(header.contactKeys or ()),
        points_debited=Benefits.of(header.benefits).points_debited,
        flags=flags,
    )
