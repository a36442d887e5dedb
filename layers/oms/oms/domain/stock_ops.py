"""Stock operations (oms.services.stock_ops): batch adjustments, stocktakes, and the inventory report's
figures. Pure: no AWS.

A stocktake's count is the number of **sellable units on the shelf that no order holds**: what staff can
still sell. It sets `available`; units reserved by unpaid orders and units sold but not shipped yet are
set aside, not counted, and their counters are left as they are. The difference (counted - available) is
booked on `adjusted`, so conservation (`available + reserved + sold = received + adjusted`) holds.

Inventory report figures, per SKU over a period [start, end):
- closing counters: the stock item's counters now, less every movement at or after `end`;
- opening counters: the closing ones less every movement in the period;
- units sold: the `sold` increases of the period's `sale` movements (returns are their own column);
- average available: `available` weighted by how long it held, over the period;
- turnover: units sold / average available (None when nothing was available on average: no stock to turn);
- state at the period's end: sold out (available 0), low (`is_low` with the SKU's threshold, else its
  store's default), or ok.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from oms.domain.catalog import StockAdjustmentReason
from oms.domain.stock import COUNTERS, MovementKind, is_low

MAX_LINES = 200  # lines of one batch adjustment or one stocktake: ~3 calls each, inside the 15 s timeout
MAX_CSV_BYTES = 64 * 1024  # a CSV upload, like a JSON body (oms.api.http.MAX_BODY_BYTES)
CSV_COLUMNS = ("skuId", "delta", "reason", "note")


@dataclass(frozen=True)
class AdjustmentLine:
    sku_id: str
    delta: int
    reason: StockAdjustmentReason
    note: str | None = None


@dataclass(frozen=True)
class CountLine:
    sku_id: str
    counted: int  # sellable units on the shelf that no order holds


class LineOutcome(StrEnum):
    APPLIED = "applied"  # its transaction committed (or had committed in an earlier run of the same key)
    REFUSED = "refused"  # the stock rules refused it (a problem says why); nothing changed
    RETRY = "retry"  # a transient fault: not applied; the same Idempotency-Key and body apply it once


class StockState(StrEnum):
    OK = "ok"
    LOW = "low"
    SOLD_OUT = "sold-out"


def stock_state(available: int, threshold: int | None) -> StockState:
    if available <= 0:
        return StockState.SOLD_OUT
    return StockState.LOW if is_low(available, threshold) else StockState.OK


# ---------------------------------------------------------------- the inventory report
@dataclass(frozen=True, slots=True)
class StockNow:
    """A stock item as the report reads it (its counters now)."""

    store_id: str
    sku_id: str
    counters: dict[str, int]
    threshold: int | None  # the SKU's own, or None


@dataclass(frozen=True, slots=True)
class Movement:
    """A movement row (`StockMovementItem`): what moved which counters, when."""

    sku_id: str
    store_id: str | None
    kind: str
    changes: dict[str, int]
    at: datetime


@dataclass
class SkuFigures:
    store_id: str
    sku_id: str
    opening: dict[str, int]
    closing: dict[str, int]
    threshold: int | None
    state: StockState
    movements: int = 0
    units_sold: int = 0
    units_returned: int = 0
    average_available: float = 0.0

    @property
    def turnover(self) -> float | None:
        return self.units_sold / self.average_available if self.average_available > 0 else None


@dataclass
class KindTally:
    movements: int = 0
    changes: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def _less(counters: dict[str, int], changes: dict[str, int]) -> dict[str, int]:
    return {name: counters.get(name, 0) - changes.get(name, 0) for name in COUNTERS}


def sku_figures(
    stock: StockNow, moves: list[Movement], start: datetime, end: datetime, store_default: int | None
) -> SkuFigures:
    """One SKU's figures over [start, end) from its counters now and its movements since `start`."""
    ordered = sorted(moves, key=lambda m: m.at)
    closing = dict(stock.counters)
    for move in ordered:
        if move.at >= end:
            closing = _less(closing, move.changes)
    in_period = [m for m in ordered if start <= m.at < end]
    opening = closing
    for move in in_period:
        opening = _less(opening, move.changes)
    threshold = stock.threshold if stock.threshold is not None else store_default
    figures = SkuFigures(
        stock.store_id,
        stock.sku_id,
        {name: opening.get(name, 0) for name in COUNTERS},
        {name: closing.get(name, 0) for name in COUNTERS},
        threshold,
        stock_state(closing.get("available", 0), threshold),
        movements=len(in_period),
    )
    seconds = (end - start).total_seconds()
    level, since, area = opening.get("available", 0), start, 0.0
    for move in in_period:
        area += level * (move.at - since).total_seconds()
        level, since = level + move.changes.get("available", 0), move.at
        if move.kind == MovementKind.SALE.value:
            figures.units_sold += max(move.changes.get("sold", 0), 0)
        elif move.kind in (MovementKind.RETURN.value, MovementKind.DAMAGED.value):
            figures.units_returned += max(-move.changes.get("sold", 0), 0)
    area += level * (end - since).total_seconds()
    figures.average_available = area / seconds if seconds > 0 else float(level)
    return figures


def movements_by_kind(moves: list[Movement], start: datetime, end: datetime) -> dict[tuple[str, str], KindTally]:
    """(store, kind) → how many movements of the period and their net change per counter."""
    tallies: dict[tuple[str, str], KindTally] = defaultdict(KindTally)
    for move in moves:
        if start <= move.at < end:
            tally = tallies[(move.store_id or "-", move.kind)]
            tally.movements += 1
            for name, delta in move.changes.items():
                tally.changes[name] += delta
    return dict(sorted(tallies.items()))
