"""Inventory report (daily, monthly): per store, the stock of each SKU at the period's end, the movements of
the period by kind, the low-stock list and each SKU's turnover (the figures: oms.domain.stock_ops).

Reads (Queries on keys, never a scan): the store directory (one read), each store's stock items (GSI2
`STORE#<sid>#STOCK`), each store's settings (its default low-stock threshold), and the movement rows of
every day from the period's first to the day of the run (GSI3 `STOCKMOVEDAY#<day>#<shard>`, every shard):
the movements after the period are taken back off today's counters to give the period's closing stock, so
a re-run later reports the same period the same way (as long as the movement rows are complete).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import TYPE_CHECKING

from oms.domain.clock import to_rfc3339
from oms.domain.reporting import BarChart, Granularity, Period, Summary, Table
from oms.domain.stock import COUNTERS
from oms.domain.stock_ops import Movement, SkuFigures, StockState, movements_by_kind, sku_figures
from oms.services.reports import ReportOutput, csv_file, pdf_file

if TYPE_CHECKING:
    from oms.services.report_jobs import ReportDeps

NAMES = {Granularity.DAY: "inventory-daily", Granularity.MONTH: "inventory-monthly"}
STOCK_COLUMNS = [
    "store",
    "sku",
    "opening_available",
    *COUNTERS,
    "movements",
    "units_sold",
    "units_returned",
    "average_available",
    "turnover",
    "low_stock_threshold",
    "state",
]
MOVEMENT_COLUMNS = ["store", "kind", "movements", *COUNTERS]
LOW_COLUMNS = ["store", "sku", "available", "low_stock_threshold", "state"]


def _decimal(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _stock_row(f: SkuFigures) -> list[object]:
    return [
        f.store_id,
        f.sku_id,
        f.opening["available"],
        *(f.closing[name] for name in COUNTERS),
        f.movements,
        f.units_sold,
        f.units_returned,
        _decimal(f.average_available),
        _decimal(f.turnover),
        "" if f.threshold is None else f.threshold,
        f.state.value,
    ]


def inventory_report(period: Period, deps: ReportDeps) -> ReportOutput:
    from oms.store.stock import store_low_stock_default
    from oms.store.stock_ops import movement_of, movements_of_day, stock_now, store_ids, store_stock

    report_type = NAMES[period.granularity]
    start, end = period.start, period.end
    last_day = max(deps.now.date(), period.end_day - timedelta(days=1))
    days = [period.first + timedelta(days=n) for n in range((last_day - period.first).days + 1)]
    moves: dict[str, list[Movement]] = defaultdict(list)
    every_move: list[Movement] = []
    for day in days:
        for row in movements_of_day(day.isoformat()):
            move = movement_of(row)
            moves[move.sku_id].append(move)
            every_move.append(move)
    figures: list[SkuFigures] = []
    for store_id in store_ids():
        default = store_low_stock_default(store_id, cached=False)
        for item in store_stock(store_id):
            figures.append(sku_figures(stock_now(item, store_id), moves.get(item.skuId, []), start, end, default))
    by_kind = movements_by_kind(every_move, start, end)
    low = [f for f in figures if f.state is not StockState.OK]
    sold = sum(f.units_sold for f in figures)
    average = sum(f.average_available for f in figures)
    overall_turnover = sold / average if average > 0 else None
    kinds: dict[str, int] = defaultdict(int)
    for (_, kind), tally in by_kind.items():
        kinds[kind] += tally.movements
    summary = Summary(
        title=f"Inventory ({period.granularity.value})",
        period=str(period),
        figures=[
            ("SKUs", str(len(figures))),
            ("Units available at the end", str(sum(f.closing["available"] for f in figures))),
            ("Movements", str(sum(kinds.values()))),
            ("Units sold", str(sold)),
            ("Turnover (units sold / average available)", _decimal(overall_turnover) or "-"),
            ("Low stock", str(sum(1 for f in low if f.state is StockState.LOW))),
            ("Sold out", str(sum(1 for f in low if f.state is StockState.SOLD_OUT))),
        ],
        tables=[
            Table(
                "Low stock and sold out",
                ["Store", "SKU", "Available", "Threshold", "State"],
                [
                    [f.store_id, f.sku_id, str(f.closing["available"]), str(f.threshold or "-"), f.state.value]
                    for f in low[:40]
                ],
            )
        ],
        charts=[BarChart("Movements by kind", sorted(kinds.items()))],
        notes=[
            f"Stock at {period.end:%Y-%m-%d %H:%M} UTC (today's counters less the movements since), movements "
            f"from {period.start:%Y-%m-%d %H:%M} UTC; report run at {to_rfc3339(deps.now)}.",
            "Turnover: units sold in the period / available units on average over the period (time-weighted).",
        ],
    )
    files = [
        csv_file("inventory.csv", STOCK_COLUMNS, [_stock_row(f) for f in figures]),
        csv_file(
            "movements.csv",
            MOVEMENT_COLUMNS,
            [
                [store, kind, t.movements, *(t.changes.get(n, 0) for n in COUNTERS)]
                for (store, kind), t in by_kind.items()
            ],
        ),
        csv_file(
            "low-stock.csv",
            LOW_COLUMNS,
            [[f.store_id, f.sku_id, f.closing["available"], f.threshold or "", f.state.value] for f in low],
        ),
        pdf_file("summary.pdf", summary),
    ]
    return ReportOutput(
        type=report_type,
        period=str(period),
        files=files,
        summary={
            "skus": len(figures),
            "stores": len({f.store_id for f in figures}),
            "unitsAvailable": sum(f.closing["available"] for f in figures),
            "movements": sum(kinds.values()),
            "unitsSold": sold,
            "turnover": None if overall_turnover is None else round(overall_turnover, 4),
            "lowStock": sum(1 for f in low if f.state is StockState.LOW),
            "soldOut": sum(1 for f in low if f.state is StockState.SOLD_OUT),
        },
    )
