"""Merchant settlement list (daily): settles the completed child orders whose after-sales window (T+N days
after completion, the store's `settlementDays`) ended by the end of the period, and lists what every
merchant is paid for the period.

The candidates are the completed children not settled yet (GSI2 `SETTLE#PENDING#<shard>`, sparse: a settled
child leaves it). A child with an after-sales case still open is skipped: it stays pending and a later run
pays it once the case is closed (its refunds then deducted). Each child is paid its total less the refunds
committed against it, less the store's commission (`commissionBps`); the settlement row and every child's
marker are one transaction conditional on the child carrying no marker yet, so the same period run again,
or an overlapping run, never pays a child twice. The files list every settlement row of the period (this
run's and earlier runs'), so a re-run shows what the period paid.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from oms.domain.after_sales import TERMINAL, CaseStatus
from oms.domain.clock import parse_rfc3339, to_rfc3339
from oms.domain.reporting import BarChart, Period, Summary, Table
from oms.domain.settlement import DEFAULT_COMMISSION_BPS, DEFAULT_SETTLEMENT_DAYS, SettlementLine, due_at
from oms.services.reports import ReportOutput, csv_file, money_cell, money_text, pdf_file

if TYPE_CHECKING:
    from oms.services.report_jobs import ReportDeps
    from oms.store.records import ChildRecord, OrderRecord
    from oms.store.settlement import StoreTerms

NAME = "settlement-daily"
COLUMNS = [
    "store",
    "settlement_id",
    "child_order_id",
    "order_id",
    "completed_at",
    "currency",
    "gross",
    "refunds",
    "net",
    "commission_bps",
    "commission",
    "due",
]
MERCHANT_COLUMNS = ["store", "currency", "child_orders", "gross", "refunds", "commission", "due"]


def _refunded(record: OrderRecord, child_id: str) -> int:
    """Money committed to go back for this child (every leg of every refund request naming it)."""
    return sum(
        int(refund.amount.amount)
        for refund in record.refunds
        if isinstance(refund.lines, dict) and refund.lines.get("childId") == child_id
    )


def _open_case(record: OrderRecord, child_id: str) -> bool:
    return any(case.childId == child_id and CaseStatus(case.status) not in TERMINAL for case in record.cases)


def settle_due(period: Period, deps: ReportDeps) -> dict[str, int]:
    """Settle every pending child due by the end of `period`; returns counts (settled, skipped, not due)."""
    from oms.store.orders import OrderRepository
    from oms.store.settlement import StoreTerms, pending_children, settle, store_terms

    terms: dict[str, StoreTerms] = {}
    orders: dict[str, OrderRecord | None] = {}
    repository = OrderRepository()
    ready: dict[tuple[str, str], list[SettlementLine]] = defaultdict(list)
    counts = {"settled": 0, "skippedOpenCase": 0, "notDueYet": 0}
    candidates: list[ChildRecord] = pending_children(to_rfc3339(period.end))
    for child in candidates:
        if child.storeId not in terms:
            terms[child.storeId] = store_terms(child.storeId) or StoreTerms(
                DEFAULT_SETTLEMENT_DAYS, DEFAULT_COMMISSION_BPS
            )
        store = terms[child.storeId]
        completed = child.completedAt or child.updatedAt
        if due_at(parse_rfc3339(completed), store.settlement_days) > period.end:
            counts["notDueYet"] += 1
            continue
        if child.orderId not in orders:
            orders[child.orderId] = repository.get_order(child.orderId)
        record = orders[child.orderId]
        if record is None:
            continue
        if _open_case(record, child.childId):
            counts["skippedOpenCase"] += 1
            continue
        ready[(child.storeId, child.total.currency)].append(
            SettlementLine(
                child_id=child.childId,
                order_id=child.orderId,
                store_id=child.storeId,
                currency=child.total.currency,
                completed_at=completed,
                gross=int(child.total.amount),
                refunds=_refunded(record, child.childId),
                commission_bps=store.commission_bps,
            )
        )
    now = to_rfc3339(deps.now)
    for (store_id, _), lines in sorted(ready.items()):
        for written in settle(str(period), store_id, lines, now):
            counts["settled"] += len(written.lines)
    return counts


def settlement_report(period: Period, deps: ReportDeps) -> ReportOutput:
    from oms.store.settlement import settlements_of

    counts = settle_due(period, deps)
    rows = []
    merchants: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for settlement in sorted(settlements_of(str(period)), key=lambda s: (s.storeId, s.settlementId)):
        for data in settlement.lines:
            line = SettlementLine.from_dict(data)
            cur = line.currency
            rows.append(
                [
                    line.store_id,
                    settlement.settlementId,
                    line.child_id,
                    line.order_id,
                    line.completed_at,
                    cur,
                    *(money_cell(v, cur) for v in (line.gross, line.refunds, line.net)),
                    line.commission_bps,
                    money_cell(line.commission, cur),
                    money_cell(line.due, cur),
                ]
            )
            totals = merchants[(line.store_id, cur)]
            for n, value in enumerate((1, line.gross, line.refunds, line.commission, line.due)):
                totals[n] += value
    merchant_rows = [
        [store, cur, count, *(money_cell(v, cur) for v in rest)]
        for (store, cur), (count, *rest) in sorted(merchants.items())
    ]
    due_by_currency: dict[str, int] = defaultdict(int)
    for (_, cur), totals in merchants.items():
        due_by_currency[cur] += totals[4]
    figures = [
        ("Child orders settled", str(len(rows))),
        ("Merchants", str(len({store for store, _ in merchants}))),
        *[(f"Due to merchants ({cur})", money_text(amount, cur)) for cur, amount in sorted(due_by_currency.items())],
        ("Skipped: after-sales case open", str(counts["skippedOpenCase"])),
    ]
    charts = [
        BarChart(
            f"Due by merchant ({cur})",
            [(store, totals[4]) for (store, c), totals in sorted(merchants.items()) if c == cur],
            [money_cell(totals[4], cur) for (_, c), totals in sorted(merchants.items()) if c == cur],
        )
        for cur in sorted(due_by_currency)
    ]
    summary = Summary(
        title="Merchant settlement",
        period=str(period),
        figures=figures,
        tables=[
            Table(
                "By merchant",
                ["Store", "Currency", "Children", "Gross", "Refunds", "Commission", "Due"],
                [[str(cell) for cell in row] for row in merchant_rows],
            )
        ],
        charts=charts,
        notes=[
            "Completed child orders past their store's after-sales window (T+N days after completion) by the end "
            "of the period, each paid once: its total less refunds, less the store's commission. Children with an "
            f"open after-sales case are left for a later run. Run at {to_rfc3339(deps.now)}."
        ],
    )
    return ReportOutput(
        type=NAME,
        period=str(period),
        files=[
            csv_file("settlement.csv", COLUMNS, rows),
            csv_file("merchants.csv", MERCHANT_COLUMNS, merchant_rows),
            pdf_file("summary.pdf", summary),
        ],
        summary={
            "childOrders": len(rows),
            "settledThisRun": counts["settled"],
            "skippedOpenCase": counts["skippedOpenCase"],
            "notDueYet": counts["notDueYet"],
            "due": dict(sorted(due_by_currency.items())),
            "merchants": len({store for store, _ in merchants}),
        },
    )
