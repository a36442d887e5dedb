"""Sales summary (daily, weekly, monthly): the orders placed in the period, read from GSI2 `ORDERS` by
creation time, as they stand when the report runs (a re-run later sees later payments and cancels of the
same orders: the row's generatedAt says when).

Per store and overall, in the reporting currency (each order converted at the rate frozen at placement,
`oms.domain.fx.to_reporting`): orders placed, paid (any status a payment reached), cancelled; of the paid
orders gross sales (goods before discounts), discounts, shipping, net (what the orders cost the shoppers)
and the average order value (net / paid). A multi-store order counts once per store, its money split by
its child orders' totals. Chart: net sales by hour (a day) or by day (a week, a month).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from oms.domain.clock import to_rfc3339
from oms.domain.fx import FxRate, to_reporting
from oms.domain.money import Money, allocate
from oms.domain.order import OrderStatus
from oms.domain.reporting import BarChart, Granularity, Period, Summary, Table
from oms.services.reports import ReportOutput, csv_file, money_cell, money_text, pdf_file

if TYPE_CHECKING:
    from oms.services.report_jobs import ReportDeps
    from oms.store.records import HeaderRecord

NAMES = {Granularity.DAY: "sales-daily", Granularity.WEEK: "sales-weekly", Granularity.MONTH: "sales-monthly"}
UNPAID = frozenset({OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED})
COLUMNS = [
    "store",
    "currency",
    "orders_placed",
    "orders_paid",
    "orders_cancelled",
    "gross_sales",
    "discounts",
    "shipping",
    "net_sales",
    "average_order_value",
]


@dataclass
class Tally:
    placed: int = 0
    paid: int = 0
    cancelled: int = 0
    gross: int = 0
    discounts: int = 0
    shipping: int = 0
    net: int = 0

    @property
    def average(self) -> int:
        return self.net // self.paid if self.paid else 0

    def add(self, other: Tally) -> None:
        for name in ("placed", "paid", "cancelled", "gross", "discounts", "shipping", "net"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class SalesFigures:
    currency: str
    overall: Tally = field(default_factory=Tally)
    stores: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    buckets: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # hour or day -> net
    unconverted: int = 0  # orders without a rate to the reporting currency (left out of the money)


def _rate(header: HeaderRecord, reporting: str) -> FxRate | None:
    fx = (header.pricing or {}).get("fx")
    if fx:
        rate = FxRate.from_dict(fx)
        return rate if rate.quote == reporting else None
    return FxRate.identity(header.currency) if header.currency == reporting else None


def _store_shares(header: HeaderRecord) -> dict[str, int]:
    """Each store's weight in the order: its child orders' totals (one store: all of it)."""
    if len(header.storeIds) <= 1:
        return {header.storeIds[0] if header.storeIds else "-": 1}
    from oms.store.report_reads import children

    shares: dict[str, int] = defaultdict(int)
    for child in children(header.orderId):
        if child.replacementOf is None:
            shares[child.storeId] += int(child.total.amount)
    return dict(shares) or dict.fromkeys(header.storeIds, 1)


def tally_orders(headers: list[HeaderRecord], period: Period, reporting: str) -> SalesFigures:
    figures = SalesFigures(reporting)
    hourly = period.granularity is Granularity.DAY
    for header in headers:
        status = OrderStatus(header.status)
        paid = status not in UNPAID
        rate = _rate(header, reporting)
        if paid and rate is None:
            figures.unconverted += 1
        amounts = [0, 0, 0, 0]
        if paid and rate is not None:
            amounts = [
                to_reporting(Money(int(m.amount), m.currency), rate).amount
                for m in (header.subtotal, header.discount, header.shipping, header.total)
            ]
        shares = _store_shares(header)
        parts = [allocate(amount, list(shares.values())) if amount else [0] * len(shares) for amount in amounts]
        for n, store in enumerate(shares):
            tally = figures.stores[store]
            tally.placed += 1
            tally.paid += int(paid)
            tally.cancelled += int(status is OrderStatus.CANCELLED)
            tally.gross += parts[0][n]
            tally.discounts += parts[1][n]
            tally.shipping += parts[2][n]
            tally.net += parts[3][n]
        figures.overall.placed += 1
        figures.overall.paid += int(paid)
        figures.overall.cancelled += int(status is OrderStatus.CANCELLED)
        figures.overall.gross += amounts[0]
        figures.overall.discounts += amounts[1]
        figures.overall.shipping += amounts[2]
        figures.overall.net += amounts[3]
        bucket = header.createdAt[11:13] if hourly else header.createdAt[:10]
        figures.buckets[bucket] += amounts[3]
    return figures


def _row(store: str, tally: Tally, currency: str) -> list[object]:
    return [
        store,
        currency,
        tally.placed,
        tally.paid,
        tally.cancelled,
        money_cell(tally.gross, currency),
        money_cell(tally.discounts, currency),
        money_cell(tally.shipping, currency),
        money_cell(tally.net, currency),
        money_cell(tally.average, currency),
    ]


def sales_report(period: Period, deps: ReportDeps) -> ReportOutput:
    from oms.store.report_reads import fx_settings, orders_placed

    report_type = NAMES[period.granularity]
    reporting = fx_settings().reporting_currency
    headers = list(orders_placed(to_rfc3339(period.start), to_rfc3339(period.end)))
    figures = tally_orders(headers, period, reporting)
    cur = figures.currency
    stores = sorted(figures.stores.items())
    rows = [_row(store, tally, cur) for store, tally in stores] + [_row("ALL", figures.overall, cur)]
    if period.granularity is Granularity.DAY:
        keys = [f"{hour:02d}" for hour in range(24)]
        chart_title, bucket_label = "Net sales by hour (UTC)", "hour"
    else:
        keys = [day.isoformat() for day in period.days()]
        chart_title, bucket_label = "Net sales by day", "day"
    by_bucket = [(key, figures.buckets.get(key, 0)) for key in keys]
    overall = figures.overall
    note = (
        f"Orders placed {period.start:%Y-%m-%d %H:%M} to {period.end:%Y-%m-%d %H:%M} UTC, as they stood at "
        f"{to_rfc3339(deps.now)}; amounts in {cur} at each order's frozen rate."
    )
    if figures.unconverted:
        note += f" {figures.unconverted} paid orders had no rate to {cur} and are counted without money."
    summary = Summary(
        title=f"Sales summary ({period.granularity.value})",
        period=str(period),
        figures=[
            ("Orders placed", str(overall.placed)),
            ("Orders paid", str(overall.paid)),
            ("Orders cancelled", str(overall.cancelled)),
            ("Gross sales", money_text(overall.gross, cur)),
            ("Discounts", money_text(overall.discounts, cur)),
            ("Shipping", money_text(overall.shipping, cur)),
            ("Net sales", money_text(overall.net, cur)),
            ("Average order value", money_text(overall.average, cur)),
        ],
        tables=[
            Table(
                "By store",
                ["Store", "Placed", "Paid", "Cancelled", "Net", "AOV"],
                [
                    [
                        s,
                        str(t.placed),
                        str(t.paid),
                        str(t.cancelled),
                        money_cell(t.net, cur),
                        money_cell(t.average, cur),
                    ]
                    for s, t in stores
                ],
            )
        ],
        charts=[
            BarChart(chart_title, by_bucket, [money_cell(v, cur) for _, v in by_bucket]),
            BarChart(
                "Net sales by store", [(s, t.net) for s, t in stores], [money_cell(t.net, cur) for _, t in stores]
            ),
        ],
        notes=[note],
    )
    files = [
        csv_file("sales.csv", COLUMNS, rows),
        csv_file(
            f"sales-by-{bucket_label}.csv",
            [bucket_label, "currency", "net_sales"],
            [[key, cur, money_cell(value, cur)] for key, value in by_bucket],
        ),
        pdf_file("summary.pdf", summary),
    ]
    return ReportOutput(
        type=report_type,
        period=str(period),
        files=files,
        summary={
            "currency": cur,
            "ordersPlaced": overall.placed,
            "ordersPaid": overall.paid,
            "ordersCancelled": overall.cancelled,
            "grossSales": overall.gross,
            "discounts": overall.discounts,
            "shipping": overall.shipping,
            "netSales": overall.net,
            "averageOrderValue": overall.average,
            "stores": len(stores),
        },
    )
