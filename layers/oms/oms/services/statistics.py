"""Statistics: the bus consumer that counts what events say, and the reads behind `GET /stats/...`.

Every metric is defined by the facts of the events themselves (docs/statistics.md), never by the order
they arrive in: each event ADDs to the rows of the periods its own timestamps name (the order's
`createdAt` for placement and conversion, the event's `occurredAt` for payment, cancellation, refunds
and cases), for the whole platform and for each store the order touches, at every granularity. An
event is applied once (`consume_once`: an inbox row per chunk of its updates), so a duplicate adds
nothing. The one count that is not a plain sum, distinct and repeat customers of a period, goes
through a per-(customer, period) row updated on the condition that its count is still the one read.
Reads are one Query per series over the requested periods' rows."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from oms.domain.clock import parse_rfc3339, utcnow
from oms.domain.errors import Forbidden, InvalidRequest
from oms.domain.events import EventType
from oms.domain.fx import FxRate, to_reporting
from oms.domain.money import Money
from oms.domain.permissions import Actor, Permission
from oms.domain.statistics import (
    MAX_TOP,
    TOP_PRODUCTS,
    Granularity,
    Range,
    average,
    growth,
    pay_time_bucket,
    period_range,
    periods_of,
    ratio,
)
from oms.faults import TransientStoreError
from oms.services.access import store_scope as actor_stores
from oms.services.consumers import BusEvent, MalformedEvent, consume_once
from oms.store import keys
from oms.store import statistics as store
from oms.store.statistics import (
    AFTER_SALES,
    CATEGORIES,
    OVERALL,
    PAYMENTS,
    PRODUCTS,
    SALES,
    Bump,
    CustomerPeriod,
    store_scope,
)
from oms.store.transactions import Part, Transaction, TransactionCancelled

CONSUMER = "statistics"
CHUNK_ITEMS = 99  # a transaction holds at most 100 items: the chunk's rows and its inbox row
CUSTOMER_ATTEMPTS = 5  # reads of a customer's period counts that lost a race before giving up (retried)
UNCATEGORISED = "uncategorised"
DEFAULT_DAYS = 30  # a request without `from`/`to`: the 30 days up to today
EVENTS = (
    EventType.ORDER_PLACED,
    EventType.ORDER_PAID,
    EventType.ORDER_CANCELLED,
    EventType.REFUND_SUCCEEDED,
    EventType.CASE_OPENED,
)


@dataclass(frozen=True)
class OrderTerms:
    """What refund and case events do not carry: the order's frozen rate and its stores."""

    rate: FxRate | None
    store_ids: tuple[str, ...]


@dataclass
class Unit:
    """Rows that must change together: counters, and possibly one customer's period count (whose
    distinct/repeat deltas land on the sales row `customer_row` names)."""

    bumps: list[Bump] = field(default_factory=list)
    customer: CustomerPeriod | None = None

    @property
    def size(self) -> int:
        rows = {b.item_key for b in self.bumps}
        if self.customer is not None:
            rows.add(keys.stats(SALES, self.customer.scope, self.customer.granularity, self.customer.period))
        return len(rows) + (self.customer is not None)


def _reporting(amount: Mapping[str, Any] | None) -> int | None:
    return None if not amount else int(amount["amount"])


def _money_counters(prefix: str, amount: int | None, orders: str | None = None) -> dict[str, int]:
    """`<prefix>Amount` when converted, else `<prefix>Unconverted` (plain names when prefix is "")."""
    counters = {} if orders is None else {orders: 1}
    if amount is None:
        counters[f"{prefix}Unconverted" if prefix else "unconverted"] = 1
    else:
        counters[f"{prefix}Amount" if prefix else "amount"] = amount
    return counters


def _order_scopes(detail: Mapping[str, Any]) -> list[tuple[str, int | None]]:
    """The scopes an order counts in, with its amount in the reporting currency in each: the whole
    platform (the order's frozen `reportingTotal`) and each store (the sum of its lines' converted
    payable amounts; None when a line has no converted amount or the event carries no lines)."""
    scopes: list[tuple[str, int | None]] = [(OVERALL, _reporting(detail.get("reportingTotal")))]
    lines = detail.get("lines")
    for store_id in sorted(set(detail.get("storeIds") or ())):
        amount: int | None = None
        if lines is not None:
            amounts = [_reporting(line.get("reportingPayable")) for line in lines if line.get("storeId") == store_id]
            amount = None if any(a is None for a in amounts) else sum(a for a in amounts if a is not None)
        scopes.append((store_scope(store_id), amount))
    return scopes


def _instant(value: Any, what: str) -> datetime:
    if not isinstance(value, str) or not value:
        raise MalformedEvent(f"the event has no {what}")
    return parse_rfc3339(value)


class StatisticsService:
    def __init__(
        self,
        *,
        order_terms: Callable[[str], OrderTerms | None] | None = None,
        reporting_currency: Callable[[], str] | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.order_terms = order_terms or _order_terms
        self.reporting_currency = reporting_currency or store.reporting_currency
        self.clock = clock

    # ---------------------------------------------------------------- the consumer
    def apply(self, event: BusEvent) -> int:
        """Count one event (once). Returns the chunks written now (0: a duplicate, or an event statistics
        do not count)."""
        units = self.units(event)
        written = 0
        for n, chunk in enumerate(_chunks(units)):
            name = CONSUMER if n == 0 else f"{CONSUMER}.{n}"
            written += self._apply_chunk(name, event, chunk)
        return written

    def units(self, event: BusEvent) -> list[Unit]:
        detail = event.detail
        if event.type == EventType.ORDER_PLACED:
            return self._placed(detail)
        if event.type == EventType.ORDER_PAID:
            return self._paid(detail, _instant(event.occurred_at, "occurredAt"))
        if event.type == EventType.ORDER_CANCELLED:
            return self._cancelled(detail, _instant(event.occurred_at, "occurredAt"))
        if event.type == EventType.REFUND_SUCCEEDED:
            return self._refunded(detail, _instant(event.occurred_at, "occurredAt"))
        if event.type == EventType.CASE_OPENED:
            return self._case_opened(detail, _instant(event.occurred_at, "occurredAt"))
        return []

    def _apply_chunk(self, consumer: str, event: BusEvent, chunk: Sequence[Unit]) -> int:
        customers = [u.customer for u in chunk if u.customer is not None]
        for _ in range(CUSTOMER_ATTEMPTS):
            seen = store.customer_orders(customers)

            def write(tx: Transaction, seen: Mapping[CustomerPeriod, int] = seen) -> None:
                bumps = [b for u in chunk for b in u.bumps]
                for row in customers:
                    before = seen[row]
                    counters = {"customers": int(before == 0), "repeatCustomers": int(before == 1)}
                    bumps.append(Bump(SALES, row.scope, row.granularity, row.period, counters=counters))
                    store.add_customer_order(tx, row, before)
                for bump in store.merge(bumps):
                    store.add_bump(tx, bump)

            try:
                return int(consume_once(consumer, event, write))
            except TransactionCancelled as cancelled:
                if not cancelled.failed(Part.STATS):
                    raise
        raise TransientStoreError("a customer's statistics kept changing under the consumer")

    def _placed(self, detail: Mapping[str, Any]) -> list[Unit]:
        periods = periods_of(_instant(detail.get("createdAt"), "createdAt"))
        customer = detail.get("customerId")
        units = []
        for scope, amount in _order_scopes(detail):
            for granularity, period in periods.items():
                counters = _money_counters("placed", amount, orders="placedOrders")
                unit = Unit([Bump(SALES, scope, granularity, period, counters=counters)])
                if isinstance(customer, str) and customer:
                    unit.customer = CustomerPeriod(customer, scope, granularity, period)
                units.append(unit)
        return units

    def _paid(self, detail: Mapping[str, Any], paid_at: datetime) -> list[Unit]:
        placed_at = _instant(detail.get("createdAt"), "createdAt")
        placed, paid = periods_of(placed_at), periods_of(paid_at)
        seconds = max(0, int((paid_at - placed_at).total_seconds()))
        method = str(detail.get("method") or "unknown")
        attempts = detail.get("paymentAttempts")
        tried = int(attempts) if isinstance(attempts, int) and attempts > 0 else 0
        units = []
        for scope, amount in _order_scopes(detail):
            for granularity in Granularity:
                at = paid[granularity]
                totals = {"payTimeSeconds": seconds, "payTimeCount": 1, "attempts": tried, "succeeded": int(tried > 0)}
                bumps = [
                    Bump(SALES, scope, granularity, at, counters=_money_counters("paid", amount, orders="paidOrders")),
                    Bump(SALES, scope, granularity, placed[granularity], counters={"convertedOrders": 1}),
                    Bump(PAYMENTS, scope, granularity, at, counters=totals),
                    Bump(PAYMENTS, scope, granularity, at, f"M#{method}", _money_counters("", amount, orders="orders")),
                    Bump(PAYMENTS, scope, granularity, at, f"T#{pay_time_bucket(seconds)}", {"orders": 1}),
                ]
                units.append(Unit(bumps))
        units += self._goods(detail.get("lines") or (), paid)
        return units

    @staticmethod
    def _goods(lines: Iterable[Mapping[str, Any]], periods: Mapping[Granularity, str]) -> list[Unit]:
        """Best sellers: per product and per category, in the whole platform and in the line's store."""
        totals: dict[tuple[str, str, str], dict[str, int]] = {}
        for line in lines:
            amount = _reporting(line.get("reportingPayable"))
            members = [(PRODUCTS, str(line["productId"])), (CATEGORIES, str(line.get("categoryId") or UNCATEGORISED))]
            for scope in (OVERALL, store_scope(str(line["storeId"]))):
                for kind, key in members:
                    counters = totals.setdefault((kind, scope, key), {"orders": 1})
                    counters["quantity"] = counters.get("quantity", 0) + int(line["quantity"])
                    for name, value in _money_counters("", amount).items():
                        counters[name] = counters.get(name, 0) + value
        return [
            Unit([Bump(kind, scope, granularity, period, key, dict(counters))])
            for (kind, scope, key), counters in sorted(totals.items())
            for granularity, period in periods.items()
        ]

    @staticmethod
    def _cancelled(detail: Mapping[str, Any], at: datetime) -> list[Unit]:
        periods = periods_of(at)
        return [
            Unit([Bump(SALES, scope, granularity, period, counters={"cancelledOrders": 1})])
            for scope, _ in _order_scopes(detail)
            for granularity, period in periods.items()
        ]

    def _terms(self, order_id: Any) -> OrderTerms:
        terms = self.order_terms(str(order_id)) if isinstance(order_id, str) and order_id else None
        if terms is None:
            raise MalformedEvent(f"the event names no known order ({order_id!r})")
        return terms

    @staticmethod
    def _convert(amount: Mapping[str, Any], rate: FxRate | None) -> int | None:
        money = Money.from_dict(amount)
        if rate is None or rate.base != money.currency:
            return None
        return to_reporting(money, rate).amount

    def _refunded(self, detail: Mapping[str, Any], at: datetime) -> list[Unit]:
        """Refunds by kind: of an after-sales case, of a payment anomaly, or of the order (cancellation,
        refund request); per store when the order has one store (a refund names no store)."""
        terms = self._terms(detail.get("orderId"))
        amount = self._convert(detail["amount"], terms.rate)
        kind = "case" if detail.get("caseId") else "anomaly" if detail.get("anomalyId") else "order"
        scopes = [OVERALL] + ([store_scope(terms.store_ids[0])] if len(terms.store_ids) == 1 else [])
        return [
            Unit([Bump(AFTER_SALES, scope, g, period, f"REFUND#{kind}", _money_counters("", amount, "orders"))])
            for scope in scopes
            for g, period in periods_of(at).items()
        ]

    def _case_opened(self, detail: Mapping[str, Any], at: datetime) -> list[Unit]:
        """Cases opened by reason and type, with the amount they ask for; per store of the case."""
        terms = self._terms(detail.get("orderId"))
        amount = self._convert(detail["amount"], terms.rate)
        key = f"CASE#{detail.get('reason')}#{detail.get('type')}"
        scopes = [OVERALL] + ([store_scope(str(detail["storeId"]))] if detail.get("storeId") else [])
        return [
            Unit([Bump(AFTER_SALES, scope, g, period, key, _money_counters("", amount, "orders"))])
            for scope in scopes
            for g, period in periods_of(at).items()
        ]

    # ---------------------------------------------------------------- the reads
    def _range(self, actor: Actor, since: date | None, until: date | None, granularity: Granularity) -> Range:
        """The request's periods; by default `until` is today and `since` 29 days before it (UTC)."""
        if not actor.can(Permission.STATS_READ):
            raise Forbidden("statistics are for staff")
        until = until or self.clock().date()
        since = since or until - timedelta(days=DEFAULT_DAYS - 1)
        return period_range(since, until, granularity)

    @staticmethod
    def _scope(store_id: str | None) -> str:
        return OVERALL if store_id is None else store_scope(store_id)

    def _head(self, span: Range, store_id: str | None) -> dict[str, Any]:
        return {
            "granularity": span.granularity.value,
            "store": store_id,
            "currency": self.reporting_currency(),
            "fromPeriod": span.first,
            "toPeriod": span.last,
        }

    def sales(
        self, actor: Actor, since: date | None, until: date | None, granularity: Granularity, store_id: str | None
    ) -> Json:
        span = self._range(actor, since, until, granularity)
        store_id = forced_store(actor, store_id)
        rows = _totals(store.read_series(SALES, self._scope(store_id), granularity.value, span.before, span.last))
        series = []
        before = rows.get(span.before, {})
        for period in span.periods:
            c = rows.get(period, {})
            get = c.get
            paid, paid_amount = get("paidOrders", 0), get("paidAmount", 0)
            series.append(
                {
                    "period": period,
                    "placedOrders": get("placedOrders", 0),
                    "placedAmount": get("placedAmount", 0),
                    "paidOrders": paid,
                    "sales": paid_amount,
                    "averageOrderValue": average(paid_amount, paid - get("paidUnconverted", 0)),
                    "ordersGrowth": growth(paid, before.get("paidOrders", 0)),
                    "salesGrowth": growth(paid_amount, before.get("paidAmount", 0)),
                    "cancelledOrders": get("cancelledOrders", 0),
                    "convertedOrders": get("convertedOrders", 0),
                    "conversionRate": ratio(get("convertedOrders", 0), get("placedOrders", 0)),
                    "customers": get("customers", 0),
                    "repeatCustomers": get("repeatCustomers", 0),
                    "repurchaseRate": ratio(get("repeatCustomers", 0), get("customers", 0)),
                    "unconvertedOrders": {
                        "placed": get("placedUnconverted", 0),
                        "paid": get("paidUnconverted", 0),
                    },
                }
            )
            before = c
        return {**self._head(span, store_id), "series": series}

    def payments(
        self, actor: Actor, since: date | None, until: date | None, granularity: Granularity, store_id: str | None
    ) -> Json:
        span = self._range(actor, since, until, granularity)
        store_id = forced_store(actor, store_id)
        items = store.read_series(PAYMENTS, self._scope(store_id), granularity.value, span.first, span.last)
        totals, members = _totals(items), _members(items)
        series = []
        for period in span.periods:
            c = totals.get(period, {})
            methods = {k[2:]: v for k, v in members.get(period, {}).items() if k.startswith("M#")}
            buckets = {k[2:]: v.get("orders", 0) for k, v in members.get(period, {}).items() if k.startswith("T#")}
            orders = sum(m.get("orders", 0) for m in methods.values())
            amount = sum(m.get("amount", 0) for m in methods.values())
            series.append(
                {
                    "period": period,
                    "attempts": c.get("attempts", 0),
                    "succeeded": c.get("succeeded", 0),
                    "successRate": ratio(c.get("succeeded", 0), c.get("attempts", 0)),
                    "payTime": {
                        "count": c.get("payTimeCount", 0),
                        "totalSeconds": c.get("payTimeSeconds", 0),
                        "averageSeconds": average(c.get("payTimeSeconds", 0), c.get("payTimeCount", 0)),
                        "buckets": dict(sorted(buckets.items())),
                    },
                    "methods": [
                        {
                            "method": method,
                            "orders": m.get("orders", 0),
                            "amount": m.get("amount", 0),
                            "unconvertedOrders": m.get("unconverted", 0),
                            "orderShare": ratio(m.get("orders", 0), orders),
                            "amountShare": ratio(m.get("amount", 0), amount),
                        }
                        for method, m in sorted(methods.items())
                    ],
                }
            )
        return {**self._head(span, store_id), "series": series}

    def products(
        self,
        actor: Actor,
        since: date | None,
        until: date | None,
        granularity: Granularity,
        store_id: str | None,
        top: int | None = None,
    ) -> Json:
        span = self._range(actor, since, until, granularity)
        store_id = forced_store(actor, store_id)
        top = TOP_PRODUCTS if top is None else top
        if not 1 <= top <= MAX_TOP:
            raise InvalidRequest(f"top must be 1..{MAX_TOP}", field="top")
        scope = self._scope(store_id)
        products = _members(store.read_series(PRODUCTS, scope, granularity.value, span.first, span.last))
        categories = _members(store.read_series(CATEGORIES, scope, granularity.value, span.first, span.last))
        series = []
        for period in span.periods:
            ranked = _ranked(products.get(period, {}))
            series.append(
                {
                    "period": period,
                    "productsSold": len(ranked),
                    "revenue": sum(m["amount"] for m in ranked),
                    "products": [{"productId": m.pop("key"), **m} for m in ranked[:top]],
                    "categories": [{"categoryId": m.pop("key"), **m} for m in _ranked(categories.get(period, {}))],
                }
            )
        return {**self._head(span, store_id), "top": top, "series": series}

    def after_sales(
        self, actor: Actor, since: date | None, until: date | None, granularity: Granularity, store_id: str | None
    ) -> Json:
        span = self._range(actor, since, until, granularity)
        store_id = forced_store(actor, store_id)
        members = _members(
            store.read_series(AFTER_SALES, self._scope(store_id), granularity.value, span.first, span.last)
        )
        series = []
        for period in span.periods:
            cases: list[Json] = []
            refunds: list[Json] = []
            for key, c in sorted(members.get(period, {}).items()):
                what, *rest = key.split("#")
                money = {
                    "count": c.get("orders", 0),
                    "amount": c.get("amount", 0),
                    "unconverted": c.get("unconverted", 0),
                }
                if what == "CASE":
                    cases.append({"reason": rest[0], "type": rest[1], **money})
                elif what == "REFUND":
                    refunds.append({"kind": rest[0], **money})
            series.append(
                {
                    "period": period,
                    "casesOpened": sum(c["count"] for c in cases),
                    "cases": cases,
                    "refunds": refunds,
                    "refundCount": sum(r["count"] for r in refunds),
                    "refundAmount": sum(r["amount"] for r in refunds),
                }
            )
        return {**self._head(span, store_id), "series": series}


Json = dict[str, Any]


def _totals(items: Iterable[Any]) -> dict[str, dict[str, int]]:
    """Period -> counters of the period rows (no member key)."""
    return {str(i.period): dict(store.counters(i)) for i in items if i.key is None}


def _members(items: Iterable[Any]) -> dict[str, dict[str, dict[str, int]]]:
    """Period -> member key -> counters."""
    result: dict[str, dict[str, dict[str, int]]] = {}
    for i in items:
        if i.key is not None:
            result.setdefault(str(i.period), {})[str(i.key)] = dict(store.counters(i))
    return result


def _ranked(members: Mapping[str, Mapping[str, int]]) -> list[Json]:
    """Members by revenue, then quantity, then key; each with its share of the period's revenue."""
    revenue = sum(m.get("amount", 0) for m in members.values())
    ranked = sorted(members.items(), key=lambda kv: (-kv[1].get("amount", 0), -kv[1].get("quantity", 0), kv[0]))
    return [
        {
            "key": key,
            "quantity": m.get("quantity", 0),
            "orders": m.get("orders", 0),
            "amount": m.get("amount", 0),
            "unconvertedOrders": m.get("unconverted", 0),
            "revenueShare": ratio(m.get("amount", 0), revenue),
        }
        for key, m in ranked
    ]


def _chunks(units: Sequence[Unit]) -> list[list[Unit]]:
    """Units in transactions of at most `CHUNK_ITEMS` rows, in a fixed order (a redelivery makes the same
    chunks, so each chunk's inbox row means the same rows)."""
    chunks: list[list[Unit]] = []
    size = 0
    for unit in units:
        if not chunks or size + unit.size > CHUNK_ITEMS:
            chunks.append([])
            size = 0
        chunks[-1].append(unit)
        size += unit.size
    return chunks


def _order_terms(order_id: str) -> OrderTerms | None:
    found = store.order_terms(order_id)
    if found is None:
        return None
    fx, store_ids = found
    return OrderTerms(None if not fx else FxRate.from_dict(fx), tuple(store_ids))


def forced_store(actor: Actor, store_id: str | None) -> str | None:
    """The store whose series a read shows: the asked one, or for store-scoped staff (merchants) always one
    of theirs (their only store when none is asked; a store of someone else's, or none at all, is refused)."""
    scope = actor_stores(actor)
    if scope is None:
        return store_id
    if not scope:
        raise Forbidden("your account is not scoped to any store")
    if store_id is None:
        if len(scope) > 1:
            raise InvalidRequest("you work for several stores: name one (`store`)", field="store")
        return next(iter(scope))
    if store_id not in scope:
        raise Forbidden(f"store {store_id} is not one of yours")
    return store_id
