"""Response bodies of stock: a batch's results, stocktakes, a SKU's stock history
(`oms.services.stock_movements.movement_view`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from oms.api.problems import Problem
from oms.api.schemas import Page, View
from oms.domain.catalog import StockAdjustmentReason
from oms.domain.stock import MovementKind

Outcome = Literal["applied", "refused", "retry"]


class StockAfter(View):
    available: int
    reserved: int
    sold: int
    received: int | None = None
    adjusted: int | None = None
    damaged: int | None = None


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


class StockMovementOut(View):
    """One movement of a SKU's counters: what moved them, who, for what and why."""

    movementId: str
    skuId: str
    kind: MovementKind
    changes: dict[str, int] = Field(description="Counter → delta, non-zero only (available, reserved, sold, ...).")
    after: dict[str, int] = Field(description="Every counter after the movement.")
    by: str = Field(description="A person's subject, or system:<what> (payment callbacks, timers).")
    ref: dict[str, str] = Field(description='What it belongs to: {"orderId"}, {"caseId", "orderId"}, ...')
    reason: str | None
    at: str


StockMovementPage = Page[StockMovementOut]
