"""Seeded orders for the order search tests and benchmark: thousands of orders written straight into the
table (moto's own put_item) as the store's own builders make their items: the header (`_header_item`), lines with
their search entries (`line_entries`), the order number row (`order_number_item`), the paid row
(`paid_item`) and flag rows (`add_flag`). No HTTP checkout: a few thousand transactions would take minutes.

`SeededOrder` keeps what a brute-force filter compares, in clear (the phone and email too)."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.dynamo_type import Item as MotoItem
from moto.dynamodb.models.table import Table
from oms.domain.clock import to_rfc3339
from oms.domain.flags import OrderFlag
from oms.store import keys
from oms.store.flags import add_flag
from oms.store.models import OrderLineItem
from oms.store.order_search import contact_keys, line_entries, order_number_item, paid_item
from oms.store.orders import _header_item
from oms.store.records import HeaderRecord, LineRecord, MoneyRecord
from oms.store.rows import item_of

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
STORES = ("s1", "s2", "s3", "s4", "s5")
PRODUCTS = {f"P{n:02d}": STORES[n % len(STORES)] for n in range(12)}  # product -> its store
SKUS = {f"SKU-{p}-{size}": p for p in PRODUCTS for size in ("S", "M", "L")}  # sku -> its product
METHODS = ("alipay", "wechat", "card", "balance", "bank_transfer", "crypto")
STATUSES = ("PENDING_PAYMENT", "PAID", "SHIPPED", "DELIVERED", "COMPLETED", "CANCELLED", "ON_HOLD", "CLOSED")
PAID_STATUSES = frozenset({"PAID", "SHIPPED", "DELIVERED", "COMPLETED", "CLOSED"})


@dataclass(frozen=True)
class SeededOrder:
    order_id: str
    order_number: str
    customer_id: str
    phone: str
    email: str
    status: str
    created_at: str
    paid_at: str | None
    paid_with: str | None
    total: int
    currency: str
    store_ids: frozenset[str]
    sku_ids: frozenset[str]
    product_ids: frozenset[str]
    points: int
    flags: frozenset[str]


class _Collect:
    """Stands in for a transaction: keeps the items a store function puts."""

    def __init__(self) -> None:
        self.items: list[Any] = []

    def put(self, _part: Any, item: Any, _condition: Any = None) -> None:
        self.items.append(item)


def _money(amount: int, currency: str) -> MoneyRecord:
    return MoneyRecord(amount, currency)


def random_orders(rng: random.Random, count: int, *, days: int = 60, customers: int = 150) -> list[SeededOrder]:
    """`count` orders over the `days` before NOW, one millisecond apart at least, newest last."""
    start = NOW - timedelta(days=days)
    step = timedelta(days=days) / max(count, 1)
    orders = []
    for n in range(count):
        created = start + step * n + timedelta(milliseconds=rng.randrange(0, 5))
        customer = rng.randrange(customers)
        status = rng.choice(STATUSES)
        paid = status in PAID_STATUSES or (status == "ON_HOLD" and rng.random() < 0.5)
        paid_at = created + timedelta(minutes=rng.randrange(1, 60 * 72)) if paid else None
        method = None
        if paid_at is not None:
            method = "checkout" if rng.random() < 0.05 else rng.choice(METHODS)
            paid_at = min(paid_at, NOW)
        skus = rng.sample(sorted(SKUS), rng.choice((1, 1, 1, 2, 3)))
        flags = {
            flag.value
            for flag, chance in ((OrderFlag.SPECIAL, 0.04), (OrderFlag.ABNORMAL, 0.03), (OrderFlag.RISK_REVIEW, 0.03))
            if rng.random() < chance
        }
        orders.append(
            SeededOrder(
                order_id=f"01SEED{n:020d}",
                order_number=f"{created:%y%m%d}{n:08d}",
                customer_id=f"cust-{customer:04d}",
                # One in ten orders ships to a second phone of the customer's.
                phone=f"+86 139 {customer:04d} {'1' if rng.random() < 0.1 else '0'}000",
                email=f"Shopper{customer:04d}@Example.com",
                status=status,
                created_at=to_rfc3339(created),
                paid_at=to_rfc3339(paid_at) if paid_at else None,
                paid_with=method,
                total=rng.randrange(100, 200_000),
                currency="USD" if rng.random() < 0.1 else "CNY",
                store_ids=frozenset(PRODUCTS[SKUS[s]] for s in skus),
                sku_ids=frozenset(skus),
                product_ids=frozenset(SKUS[s] for s in skus),
                points=rng.choice((0, 0, 0, 0, 100, 500)),
                flags=frozenset(flags),
            )
        )
    return orders


def order_items(order: SeededOrder) -> list[Any]:
    """The items the order's checkout (and payment, and flags) would have written for it."""
    skus = sorted(order.sku_ids)
    header = HeaderRecord(
        orderId=order.order_id,
        orderNumber=order.order_number,
        customerId=order.customer_id,
        status=order.status,
        currency=order.currency,
        storeIds=list(dict.fromkeys(PRODUCTS[SKUS[s]] for s in skus)),
        subtotal=_money(order.total, order.currency),
        shipping=_money(0, order.currency),
        discount=_money(0, order.currency),
        total=_money(order.total, order.currency),
        shippingAddress={"name": "S", "phone": order.phone, "line1": "1 Rd", "city": "Shanghai", "country": "CN"},
        note=None,
        paymentDeadline=order.created_at,
        cancellation=None,
        pricing=None,
        benefits={"pointsDebited": order.points} if order.points else None,
        deliveredAt=None,
        autoConfirmAt=None,
        openCases=None,
        createdAt=order.created_at,
        updatedAt=order.created_at,
        version=1,
        paidAt=order.paid_at,
        paidWith=order.paid_with,
        skuIds=skus,
        productIds=list(dict.fromkeys(SKUS[s] for s in skus)),
        contactKeys=contact_keys(order.phone, order.email),
    )
    items: list[Any] = [_header_item(header), order_number_item(header)]
    for line_no, sku in enumerate(skus, start=1):
        product = SKUS[sku]
        line = LineRecord(
            orderId=order.order_id,
            lineNo=line_no,
            skuId=sku,
            productId=product,
            storeId=PRODUCTS[product],
            warehouseId="WH",
            name=sku,
            unitPrice=_money(1, order.currency),
            quantity=1,
            lineTotal=_money(1, order.currency),
            shipping=_money(0, order.currency),
            discount=_money(0, order.currency),
            payable=_money(1, order.currency),
            stockState="RESERVED",
            pricing=None,
        )
        entries = line_entries(header, line.storeId, sku, product)
        items.append(
            item_of(OrderLineItem, line, keys.order_pk(order.order_id), keys.order_line_sk(line_no), **entries)
        )
    if order.paid_at is not None and order.paid_with is not None:
        items.append(paid_item(header, order.paid_with, order.paid_at))
    flags = _Collect()
    for flag in sorted(order.flags):
        add_flag(flags, order.order_id, order.created_at, OrderFlag(flag), by="seed", at=order.created_at, reason=None)  # type: ignore[arg-type]
    return items + flags.items


@contextmanager
def partition_queries() -> Iterator[None]:
    """Speed moto's index queries up to what DynamoDB does: read the queried partition only. moto sorts every
    item of the table (by DynamoType comparisons) for each query and then keeps the partition's; at tens of
    thousands of orders that is seconds per query. The results are the same: the items moto would have
    considered are exactly those whose index key equals the query's (it checks that itself again), sorted by
    the same key attributes (strings, compared raw)."""
    original = Table.query

    def query(self: Table, *args: Any, **kwargs: Any) -> Any:
        index_name = args[7] if len(args) > 7 else kwargs.get("index_name")
        conditions = kwargs.get("hash_key_conditions")
        if not index_name or not conditions:
            return original(self, *args, **kwargs)
        wanted = [(name, value.type, value.value) for name, value in conditions]
        partition = [
            item
            for hash_set in self.items.values()
            for item in hash_set.values()
            if all(
                (found := item.attrs.get(name)) is not None and found.type == kind and found.value == value
                for name, kind, value in wanted
            )
        ]
        names = self._generate_attr_to_sort_by

        def sort_raw(hash_attrs: list[str], range_attrs: list[str | None], found: list[Any]) -> list[Any]:
            # Our keys are all strings: their raw values sort as moto's DynamoType comparisons do, only faster.
            order = names(hash_attrs, range_attrs)
            found.sort(key=lambda x: tuple(x.attrs[name].value for name in order))
            return found

        self.all_items = lambda: partition  # type: ignore[method-assign]
        self.sorted_items = sort_raw  # type: ignore[method-assign]
        try:
            return original(self, *args, **kwargs)
        finally:
            del self.all_items
            del self.sorted_items

    Table.query = query  # type: ignore[method-assign]
    try:
        yield
    finally:
        Table.query = original  # type: ignore[method-assign]


def seed_orders(orders: list[SeededOrder]) -> int:
    """Put the orders' items into moto's in-process table directly, as its `put_item` stores them (without
    the HTTP round trip of BatchWriteItem, the stream records nothing reads, and moto's item-size check, which
    re-sizes every attribute at each attribute set: minutes at 50,000 orders); how many items were put."""
    table = dynamodb_backends[DEFAULT_ACCOUNT_ID][os.environ.get("AWS_DEFAULT_REGION", "us-east-1")].get_table(
        os.environ["TABLE_NAME"]
    )
    written = 0
    for order in orders:
        for item in order_items(order):
            attrs = item.serialize()
            stored = MotoItem(DynamoType(attrs["PK"]), DynamoType(attrs["SK"]), {})
            dict.update(stored.attrs, {name: DynamoType(value) for name, value in attrs.items()})
            table.items[stored.hash_key][stored.range_key] = stored
            written += 1
    return written
