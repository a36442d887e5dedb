"""Response bodies of the stock operations: a batch's results, stocktakes."""

from __future__ import annotations

from typing import Literal

from oms.api.problems import Problem
from oms.api.schemas import Page, View
from oms.domain.catalog import StockAdjustmentReason

Outcome = Literal["applied", "refused", "retry"]


class StockAfter(View):
    available: int
    reserved: int
    sold: int
    received: int | None = None
    adjusted: int | None = None


class AdjustmentResult(View):
    """One line's outcome: `applied` (the movement and the stock after it), `refused` (the problem the single
    route would answer; nothing changed) or `retry` (a transient fault: send the same request again)."""

    line: int
    skuId: str
    delta: int
    reason: StockAdjustmentReason
    status: Outcome
    movementId: str | None = None
    stock: StockAfter | None = None
    problem: Problem | None = None


class StockBatchAnswer(View):
    """A batch's outcome, a result per line in the order sent; `complete` false while lines answer `retry`."""

    batchId: str
    complete: bool
    applied: int
    refused: int
    retry: int
    results: list[AdjustmentResult]


class CountResult(View):
    """One counted SKU: available `before`, `counted`, the `difference` booked (a `stocktake` movement)."""

    line: int
    skuId: str
    counted: int
    status: Outcome
    before: int | None = None
    difference: int | None = None
    movementId: str | None = None
    stock: StockAfter | None = None
    problem: Problem | None = None


class StocktakeSummary(View):
    lines: int
    applied: int
    refused: int
    retry: int
    unitsUp: int
    unitsDown: int


class StocktakeSummaryView(View):
    """A stocktake without its lines (listings)."""

    stocktakeId: str
    storeId: str
    by: str
    at: str
    note: str | None
    summary: StocktakeSummary


class Stocktake(StocktakeSummaryView):
    """Who counted which SKUs of a store when, and what each count changed. `status` (answers to POST only):
    `recorded`, or `incomplete` while lines answer `retry`."""

    lines: list[CountResult]
    status: Literal["recorded", "incomplete"] | None = None


StocktakePage = Page[StocktakeSummaryView]
