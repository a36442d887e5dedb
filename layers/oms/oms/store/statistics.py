"""Statistics rows (docs/statistics.md): counters ADDed by the statistics consumer, read back with one
Query per series. Never a scan and never a recount.

    STATS#<kind>#<scope>#<granularity>   <period>            the period's totals of the series
    STATS#<kind>#<scope>#<granularity>   <period>#<key>      one member of the period (method, product, ...)
    STATSCUSTOMER#<customerId>           <scope>#<g>#<period> orders the customer placed in that period

`kind` is one of `SERIES`; `scope` is `ALL` or `STORE#<storeId>`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from pynamodb.exceptions import DoesNotExist

from oms.store import keys
from oms.store.models import OrderItem, PricingSettingsItem, StatsCounterItem, StatsCustomerItem
from oms.store.pricing import DEFAULT_REPORTING_CURRENCY
from oms.store.transactions import Part, Transaction

SALES, PAYMENTS, PRODUCTS, CATEGORIES, AFTER_SALES = "SALES", "PAY", "PRODUCT", "CATEGORY", "AFTER"
SERIES = (SALES, PAYMENTS, PRODUCTS, CATEGORIES, AFTER_SALES)
OVERALL = "ALL"
COUNTERS = frozenset(
    name
    for name, attribute in StatsCounterItem.get_attributes().items()
    if type(attribute).__name__ == "NumberAttribute"
)


def store_scope(store_id: str) -> str:
    return f"STORE#{store_id}"


@dataclass
class Bump:
    """Counters to ADD to one row."""

    kind: str
    scope: str
    granularity: str
    period: str
    key: str | None = None
    counters: dict[str, int] = field(default_factory=dict)

    @property
    def item_key(self) -> tuple[str, str]:
        return keys.stats(self.kind, self.scope, self.granularity, self.period, self.key)


def merge(bumps: Iterable[Bump]) -> list[Bump]:
    """One bump per row (a transaction updates an item once), counters summed, in key order."""
    merged: dict[tuple[str, str], Bump] = {}
    for bump in bumps:
        known = merged.setdefault(bump.item_key, Bump(bump.kind, bump.scope, bump.granularity, bump.period, bump.key))
        for name, value in bump.counters.items():
            known.counters[name] = known.counters.get(name, 0) + value
    return [merged[k] for k in sorted(merged)]


def add_bump(tx: Transaction, bump: Bump) -> None:
    unknown = set(bump.counters) - COUNTERS
    if unknown:
        raise ValueError(f"not statistics counters: {sorted(unknown)}")
    item = StatsCounterItem(*bump.item_key)
    actions = [StatsCounterItem.type.set(StatsCounterItem), StatsCounterItem.period.set(bump.period)]
    if bump.key is not None:
        actions.append(StatsCounterItem.key.set(bump.key))
    actions += [getattr(StatsCounterItem, name).add(value) for name, value in sorted(bump.counters.items()) if value]
    tx.update((Part.STATS, "#".join(bump.item_key)), item, actions)


@dataclass(frozen=True)
class CustomerPeriod:
    customer_id: str
    scope: str
    granularity: str
    period: str

    @property
    def item_key(self) -> tuple[str, str]:
        return keys.stats_customer(self.customer_id, self.scope, self.granularity, self.period)


def customer_orders(rows: Sequence[CustomerPeriod]) -> dict[CustomerPeriod, int]:
    """Orders counted so far for each (customer, scope, period): one consistent BatchGetItem (≤ 100 keys)."""
    if not rows:
        return {}
    by_key = {row.item_key: row for row in rows}
    found = {
        (str(i.PK), str(i.SK)): int(i.orders)
        for i in StatsCustomerItem.batch_get(list(by_key), consistent_read=True)
        if isinstance(i, StatsCustomerItem)
    }
    return {row: found.get(key, 0) for key, row in by_key.items()}


def add_customer_order(tx: Transaction, row: CustomerPeriod, seen: int) -> None:
    """Count one more order of the customer in the period, if `seen` is still the count (else the
    transaction is cancelled on this part and the caller reads again)."""
    item = StatsCustomerItem(*row.item_key)
    condition = StatsCustomerItem.PK.does_not_exist() if seen == 0 else StatsCustomerItem.orders == seen
    tx.update(
        (Part.STATS, "#".join(row.item_key)),
        item,
        [StatsCustomerItem.type.set(StatsCustomerItem), StatsCustomerItem.orders.add(1)],
        condition,
    )


def read_series(kind: str, scope: str, granularity: str, first: str, last: str) -> list[StatsCounterItem]:
    """Every row of the periods `first` to `last` (their totals and their members): ONE Query."""
    pk, _ = keys.stats(kind, scope, granularity, first)
    return [
        i
        for i in StatsCounterItem.query(pk, StatsCounterItem.SK.between(first, f"{last}~"))
        if isinstance(i, StatsCounterItem)
    ]


def counters(item: StatsCounterItem) -> Mapping[str, int]:
    return {name: int(getattr(item, name) or 0) for name in COUNTERS}


def order_terms(order_id: str) -> tuple[dict[str, object] | None, list[str]] | None:
    """The order's frozen FX rate (its pricing's `fx`) and its stores; None if there is no such order.
    Both are fixed at placement, so an eventually consistent read is enough."""
    try:
        item = OrderItem.get(keys.order_pk(order_id), keys.ORDER_META, attributes_to_get=["pricing", "storeIds"])
    except DoesNotExist:
        return None
    return (item.pricing or {}).get("fx"), [str(s) for s in item.storeIds or []]


def reporting_currency() -> str:
    """The platform's reporting currency (the FX settings'), the currency statistics amounts are in."""
    try:
        item = PricingSettingsItem.get(*keys.FX_SETTINGS)
    except DoesNotExist:
        return DEFAULT_REPORTING_CURRENCY
    return str((item.data or {}).get("reportingCurrency") or DEFAULT_REPORTING_CURRENCY)
