"""Response bodies of a SKU's stock history (`oms.services.stock_movements.movement_view`)."""

from __future__ import annotations

from pydantic import Field

from oms.api.schemas import Page, View
from oms.domain.stock import MovementKind


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
