"""A randomized day of traffic for the statistics tests and benchmark: generated orders, the bus events
they would emit (built with `oms.domain.events`), and a brute-force recount of every `GET /stats/...`
figure straight from the orders (docs/statistics.md's definitions, written again independently of
`oms.services.statistics`)."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from oms.domain import events
from oms.domain.clock import to_rfc3339
from oms.domain.fx import FxRate, to_reporting
from oms.domain.money import Money
from oms.domain.order import OrderStatus
from oms.domain.statistics import Granularity, period_of, previous
from oms.store import keys
from oms.store.models import MoneyAttribute, OrderItem

STORES = ("S1", "S2", "S3")
# productId -> (store, category); a product without a category counts as "uncategorised".
PRODUCTS = {
    "P1": ("S1", "C1"),
    "P2": ("S1", "C2"),
    "P3": ("S2", "C1"),
    "P4": ("S2", None),
    "P5": ("S3", "C3"),
    "P6": ("S3", "C2"),
}
RATES: dict[str, FxRate | None] = {
    "CNY": FxRate.identity("CNY"),
    "USD": FxRate("USD", "CNY", 71234, 10000),
    "EUR": None,  # no rate at placement: counted, its amounts left out (unconverted)
}
METHODS = ("alipay", "wechat", "card", "balance")
REASONS = ("damaged", "not_as_described", "changed_mind")
CASE_TYPES = ("refund_only", "return_refund")
DAY0 = datetime(2026, 11, 30, tzinfo=UTC)  # a Monday: the generated days span two ISO weeks


@dataclass
class Line:
    product_id: str
    quantity: int
    payable: int

    @property
    def store_id(self) -> str:
        return PRODUCTS[self.product_id][0]

    @property
    def category_id(self) -> str | None:
        return PRODUCTS[self.product_id][1]


@dataclass
class Refund:
    refund_id: str
    amount: int
    kind: str  # case, anomaly, order
    at: datetime


@dataclass
class Case:
    case_id: str
    store_id: str
    reason: str
    case_type: str
    amount: int
    at: datetime


@dataclass
class Order:
    order_id: str
    customer_id: str
    currency: str
    created_at: datetime
    lines: list[Line]
    paid_at: datetime | None = None
    method: str | None = None
    attempts: int = 0
    cancelled_at: datetime | None = None
    refunds: list[Refund] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)

    @property
    def rate(self) -> FxRate | None:
        return RATES[self.currency]

    @property
    def total(self) -> int:
        return sum(line.payable for line in self.lines)

    @property
    def store_ids(self) -> list[str]:
        return sorted({line.store_id for line in self.lines})

    def reporting(self, amount: int) -> int | None:
        rate = self.rate
        return None if rate is None else to_reporting(Money(amount, self.currency), rate).amount

    def amount_in(self, store: str | None) -> int | None:
        """The order's amount in the reporting currency in one scope (None: not converted)."""
        if self.rate is None:
            return None
        if store is None:
            return self.reporting(self.total)
        return sum(self.reporting(line.payable) or 0 for line in self.lines if line.store_id == store)

    def in_scope(self, store: str | None) -> bool:
        return store is None or store in self.store_ids


def random_orders(rng: random.Random, count: int, *, days: int = 3, customers: int = 6) -> list[Order]:
    orders = []
    for n in range(count):
        created = DAY0 + timedelta(seconds=rng.randrange(days * 86400))
        lines = [
            Line(rng.choice(sorted(PRODUCTS)), rng.randint(1, 3), rng.randint(1, 50_000))
            for _ in range(rng.randint(1, 4))
        ]
        order = Order(f"O{n:05d}", f"c{rng.randrange(customers)}", rng.choice(sorted(RATES)), created, lines)
        outcome = rng.random()
        if outcome < 0.65:
            order.paid_at = created + timedelta(seconds=rng.choice([0, 30, 200, 800, 3000, 50_000, 100_000]))
            if rng.random() < 0.15:
                order.method, order.attempts = "checkout", 0
            else:
                order.method, order.attempts = rng.choice(METHODS), rng.randint(1, 3)
            for r in range(rng.choice([0, 0, 1, 2])):
                at = order.paid_at + timedelta(hours=rng.randint(1, 40))
                kind = rng.choice(["case", "anomaly", "order"])
                order.refunds.append(Refund(f"R{n}-{r}", rng.randint(1, order.total), kind, at))
            for c in range(rng.choice([0, 0, 1])):
                at = order.paid_at + timedelta(hours=rng.randint(1, 40))
                store = rng.choice(order.store_ids)
                amount = rng.randint(1, order.total)
                order.cases.append(Case(f"AS{n}-{c}", store, rng.choice(REASONS), rng.choice(CASE_TYPES), amount, at))
            if rng.random() < 0.1:
                order.cancelled_at = order.paid_at + timedelta(minutes=rng.randint(1, 600))
        elif outcome < 0.85:
            order.cancelled_at = created + timedelta(minutes=rng.randint(1, 3000))
        orders.append(order)
    return orders


# ---------------------------------------------------------------- the events the orders emit
def _money(amount: int | None, currency: str) -> dict[str, Any] | None:
    return None if amount is None else Money(amount, currency).to_dict()


def summary(order: Order, status: OrderStatus) -> dict[str, Any]:
    return {
        "orderId": order.order_id,
        "orderNumber": f"N{order.order_id}",
        "customerId": order.customer_id,
        "status": status.value,
        "currency": order.currency,
        "total": Money(order.total, order.currency).to_dict(),
        "reportingTotal": _money(order.reporting(order.total), "CNY"),
        "storeIds": order.store_ids,
        "paymentDeadline": to_rfc3339(order.created_at + timedelta(minutes=30)),
        "createdAt": to_rfc3339(order.created_at),
        "updatedAt": to_rfc3339(order.created_at),
    }


def line_facts(order: Order) -> list[dict[str, Any]]:
    return [
        {
            "lineNo": n,
            "productId": line.product_id,
            "skuId": f"{line.product_id}-SKU",
            "storeId": line.store_id,
            "categoryId": line.category_id,
            "quantity": line.quantity,
            "payable": Money(line.payable, order.currency).to_dict(),
            "reportingPayable": _money(order.reporting(line.payable), "CNY"),
        }
        for n, line in enumerate(order.lines, start=1)
    ]


@dataclass(frozen=True)
class Emitted:
    event: events.OutboxEvent
    event_id: str
    occurred_at: str


def events_of(order: Order) -> list[Emitted]:
    facts = line_facts(order)
    placed = summary(order, OrderStatus.PENDING_PAYMENT)
    out = [
        Emitted(
            events.order_placed(placed, line_count=len(order.lines), lines=facts),
            f"{order.order_id}-placed",
            to_rfc3339(order.created_at),
        )
    ]
    if order.paid_at is not None:
        payment_id = None if order.method == "checkout" else f"{order.order_id}{order.attempts:02d}"
        paid = events.order_paid(
            placed, payment_id=payment_id, method=order.method, payment_attempts=order.attempts, lines=facts
        )
        out.append(Emitted(paid, f"{order.order_id}-paid", to_rfc3339(order.paid_at)))
    if order.cancelled_at is not None:
        cancelled = events.order_cancelled(placed, OrderStatus.CANCELLED, cancellation={"by": "system"})
        out.append(Emitted(cancelled, f"{order.order_id}-cancelled", to_rfc3339(order.cancelled_at)))
    for refund in order.refunds:
        refund_facts = {
            "orderId": order.order_id,
            "customerId": order.customer_id,
            "refundId": refund.refund_id,
            "paymentId": None,
            "method": order.method,
            "amount": Money(refund.amount, order.currency).to_dict(),
            "reason": "r",
            "anomalyId": "A1" if refund.kind == "anomaly" else None,
            **({"requestId": "RQ", "caseId": "AS1"} if refund.kind == "case" else {}),
        }
        event = events.refund_succeeded(refund_facts, anomaly_type="OVERPAID" if refund.kind == "anomaly" else None)
        out.append(Emitted(event, f"{refund.refund_id}-refund", to_rfc3339(refund.at)))
    for case in order.cases:
        case_facts = {
            "caseId": case.case_id,
            "orderId": order.order_id,
            "childOrderId": f"{order.order_id}-01",
            "customerId": order.customer_id,
            "storeId": case.store_id,
            "type": case.case_type,
            "reason": case.reason,
            "amount": Money(case.amount, order.currency).to_dict(),
        }
        opened = events.case_opened(case_facts, status="REQUESTED", step="decision")
        out.append(Emitted(opened, case.case_id, to_rfc3339(case.at)))
    return out


def save_headers(orders: Iterable[Order]) -> None:
    """The order headers the consumer reads for refunds and cases (the frozen rate, the stores)."""
    with OrderItem.batch_write() as batch:
        for order in orders:
            rate = order.rate
            money = Money(order.total, order.currency)
            batch.save(
                OrderItem(
                    keys.order_pk(order.order_id),
                    keys.ORDER_META,
                    orderId=order.order_id,
                    orderNumber=f"N{order.order_id}",
                    customerId=order.customer_id,
                    status="PAID",
                    currency=order.currency,
                    storeIds=order.store_ids,
                    subtotal=MoneyAttribute.of(money),
                    shipping=MoneyAttribute.of(Money(0, order.currency)),
                    discount=MoneyAttribute.of(Money(0, order.currency)),
                    total=MoneyAttribute.of(money),
                    shippingAddress={},
                    paymentDeadline=to_rfc3339(order.created_at),
                    pricing={"fx": None if rate is None else rate.to_dict()},
                    createdAt=to_rfc3339(order.created_at),
                    updatedAt=to_rfc3339(order.created_at),
                    version=1,
                )
            )


# ---------------------------------------------------------------- the brute-force recount
def _ratio(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(part / whole, 4)


def _growth(now: int, before: int) -> float | None:
    return None if before == 0 else round((now - before) / before, 4)


def _avg(total: int, count: int) -> int | None:
    if count == 0:
        return None
    q, r = divmod(total, count)
    return q + (1 if 2 * r > count or (2 * r == count and q % 2) else 0)


def _in(at: datetime | None, period: str, g: Granularity) -> bool:
    return at is not None and period_of(at.date(), g) == period


def sales(orders: Sequence[Order], periods: Sequence[str], g: Granularity, store: str | None) -> list[dict[str, Any]]:
    mine = [o for o in orders if o.in_scope(store)]

    def paid_in(p: str) -> list[Order]:
        return [o for o in mine if _in(o.paid_at, p, g)]

    series = []
    for period in periods:
        placed = [o for o in mine if _in(o.created_at, period, g)]
        paid = paid_in(period)
        before = paid_in(previous(period, g))
        converted_paid = [o for o in paid if o.amount_in(store) is not None]
        sales_amount = sum(o.amount_in(store) or 0 for o in paid)
        per_customer: dict[str, int] = {}
        for o in placed:
            per_customer[o.customer_id] = per_customer.get(o.customer_id, 0) + 1
        series.append(
            {
                "period": period,
                "placedOrders": len(placed),
                "placedAmount": sum(o.amount_in(store) or 0 for o in placed),
                "paidOrders": len(paid),
                "sales": sales_amount,
                "averageOrderValue": _avg(sales_amount, len(converted_paid)),
                "ordersGrowth": _growth(len(paid), len(before)),
                "salesGrowth": _growth(sales_amount, sum(o.amount_in(store) or 0 for o in before)),
                "cancelledOrders": sum(1 for o in mine if _in(o.cancelled_at, period, g)),
                "convertedOrders": sum(1 for o in placed if o.paid_at is not None),
                "conversionRate": _ratio(sum(1 for o in placed if o.paid_at is not None), len(placed)),
                "customers": len(per_customer),
                "repeatCustomers": sum(1 for n in per_customer.values() if n >= 2),
                "repurchaseRate": _ratio(sum(1 for n in per_customer.values() if n >= 2), len(per_customer)),
                "unconvertedOrders": {
                    "placed": sum(1 for o in placed if o.amount_in(store) is None),
                    "paid": sum(1 for o in paid if o.amount_in(store) is None),
                },
            }
        )
    return series


def _bucket(seconds: int) -> str:
    for bound in (60, 300, 900, 3600, 86400):
        if seconds <= bound:
            return f"le{bound}"
    return "gt86400"


def payments(
    orders: Sequence[Order], periods: Sequence[str], g: Granularity, store: str | None
) -> list[dict[str, Any]]:
    series = []
    for period in periods:
        paid = [o for o in orders if o.in_scope(store) and _in(o.paid_at, period, g)]
        seconds = [int((o.paid_at - o.created_at).total_seconds()) for o in paid if o.paid_at]
        buckets: dict[str, int] = {}
        for s in seconds:
            buckets[_bucket(s)] = buckets.get(_bucket(s), 0) + 1
        methods: dict[str, list[Order]] = {}
        for o in paid:
            methods.setdefault(str(o.method), []).append(o)
        amount = sum(o.amount_in(store) or 0 for o in paid)
        attempts = sum(o.attempts for o in paid)
        succeeded = sum(1 for o in paid if o.attempts > 0)
        series.append(
            {
                "period": period,
                "attempts": attempts,
                "succeeded": succeeded,
                "successRate": _ratio(succeeded, attempts),
                "payTime": {
                    "count": len(seconds),
                    "totalSeconds": sum(seconds),
                    "averageSeconds": _avg(sum(seconds), len(seconds)),
                    "buckets": dict(sorted(buckets.items())),
                },
                "methods": [
                    {
                        "method": m,
                        "orders": len(os),
                        "amount": sum(o.amount_in(store) or 0 for o in os),
                        "unconvertedOrders": sum(1 for o in os if o.amount_in(store) is None),
                        "orderShare": _ratio(len(os), len(paid)),
                        "amountShare": _ratio(sum(o.amount_in(store) or 0 for o in os), amount),
                    }
                    for m, os in sorted(methods.items())
                ],
            }
        )
    return series


def _rank(figures: dict[str, dict[str, int]], name: str) -> list[dict[str, Any]]:
    revenue = sum(f["amount"] for f in figures.values())
    ranked = sorted(figures.items(), key=lambda kv: (-kv[1]["amount"], -kv[1]["quantity"], kv[0]))
    return [
        {
            name: key,
            "quantity": f["quantity"],
            "orders": f["orders"],
            "amount": f["amount"],
            "unconvertedOrders": f["unconverted"],
            "revenueShare": _ratio(f["amount"], revenue),
        }
        for key, f in ranked
    ]


def products(
    orders: Sequence[Order], periods: Sequence[str], g: Granularity, store: str | None, top: int
) -> list[dict[str, Any]]:
    series = []
    for period in periods:
        by_product: dict[str, dict[str, int]] = {}
        by_category: dict[str, dict[str, int]] = {}
        for o in orders:
            if not _in(o.paid_at, period, g):
                continue
            for table, key_of in ((by_product, "product"), (by_category, "category")):
                touched: set[str] = set()
                for line in o.lines:
                    if store is not None and line.store_id != store:
                        continue
                    key = line.product_id if key_of == "product" else (line.category_id or "uncategorised")
                    f = table.setdefault(key, {"quantity": 0, "orders": 0, "amount": 0, "unconverted": 0})
                    f["quantity"] += line.quantity
                    converted = o.reporting(line.payable)
                    if converted is None:
                        f["unconverted"] += 1
                    else:
                        f["amount"] += converted
                    if key not in touched:
                        f["orders"] += 1
                        touched.add(key)
        ranked = _rank(by_product, "productId")
        series.append(
            {
                "period": period,
                "productsSold": len(ranked),
                "revenue": sum(r["amount"] for r in ranked),
                "products": ranked[:top],
                "categories": _rank(by_category, "categoryId"),
            }
        )
    return series


def after_sales(
    orders: Sequence[Order], periods: Sequence[str], g: Granularity, store: str | None
) -> list[dict[str, Any]]:
    series = []
    for period in periods:
        cases: dict[tuple[str, str], dict[str, int]] = {}
        refunds: dict[str, dict[str, int]] = {}
        for o in orders:
            for case in o.cases:
                if _in(case.at, period, g) and (store is None or case.store_id == store):
                    f = cases.setdefault((case.reason, case.case_type), {"count": 0, "amount": 0, "unconverted": 0})
                    f["count"] += 1
                    converted = o.reporting(case.amount)
                    f["amount" if converted is not None else "unconverted"] += converted if converted is not None else 1
            for refund in o.refunds:
                attributed = store is None or o.store_ids == [store]
                if _in(refund.at, period, g) and attributed:
                    f = refunds.setdefault(refund.kind, {"count": 0, "amount": 0, "unconverted": 0})
                    f["count"] += 1
                    converted = o.reporting(refund.amount)
                    f["amount" if converted is not None else "unconverted"] += converted if converted is not None else 1
        case_rows = [{"reason": r, "type": t, **f} for (r, t), f in sorted(cases.items())]
        refund_rows = [{"kind": k, **f} for k, f in sorted(refunds.items())]
        series.append(
            {
                "period": period,
                "casesOpened": sum(c["count"] for c in case_rows),
                "cases": case_rows,
                "refunds": refund_rows,
                "refundCount": sum(r["count"] for r in refund_rows),
                "refundAmount": sum(r["amount"] for r in refund_rows),
            }
        )
    return series


def days_span(orders: Sequence[Order]) -> tuple[date, date]:
    moments = [
        t
        for o in orders
        for t in [o.created_at, o.paid_at, o.cancelled_at, *(r.at for r in o.refunds), *(c.at for c in o.cases)]
        if t is not None
    ]
    return min(moments).date(), max(moments).date()
