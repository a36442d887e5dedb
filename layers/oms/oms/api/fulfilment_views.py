"""Response bodies of the fulfilment function, as `oms.services.fulfilment` builds them: a new shipment,
an order's parcels, a batch's per-item outcomes and a warehouse's child orders. Child orders and
shipments have the shapes `oms.api.order_views` defines (`ChildOrder`, `Shipment`), reused here."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from oms.api.order_views import Shipment
from oms.api.schemas import Page, View
from oms.domain.fulfilment import ChildStatus
from oms.domain.order import OrderStatus


class ShipmentCreated(Shipment):
    """A shipment as creating it answers (a retry with the same carrier and tracking number answers the
    shipment it made), with its order's id."""

    orderId: str


class ShipmentList(View):
    """Every parcel of an order, oldest first (or of one child order), with its tracking timeline."""

    items: list[Shipment]


class LineOverRemaining(View):
    """A line a shipment asked more of than the child order has left to ship."""

    lineNo: int
    requested: int
    remaining: int


class BatchItemProblem(View):
    """Why one item of a batch did not ship: the problem (RFC 9457) the same shipment alone would have
    answered, with its extension members (`orderStatus` or `childStatus` for a child that cannot ship now,
    `field` and `lineNos` for lines not in the child order, `lines` for quantities beyond what is left,
    `current` and `target` for a transition the child cannot make)."""

    type: str = Field(pattern=r"^urn:oms:problem:[a-z0-9-]+$")
    title: str
    status: int = Field(ge=400, le=599)
    detail: str
    orderStatus: OrderStatus | None = None
    childStatus: ChildStatus | None = None
    field: str | None = None
    lineNos: list[int] | None = None
    lines: list[LineOverRemaining] | None = None
    current: ChildStatus | None = None
    target: ChildStatus | None = None


class BatchItemShipped(View):
    """An item of the batch that shipped (or had shipped: a retried item answers its shipment)."""

    index: int
    childOrderId: str
    status: Literal[201]
    shipment: ShipmentCreated


class BatchItemFailed(View):
    """An item of the batch that did not ship; nothing of it was written."""

    index: int
    childOrderId: str
    status: int = Field(ge=400, le=599)
    problem: BatchItemProblem


class BatchShipmentResult(View):
    """Each item's outcome, in the order sent (`index`); one failing item never blocks the others."""

    succeeded: int
    failed: int
    results: list[BatchItemShipped | BatchItemFailed]


class WarehouseChildOrder(View):
    """A child order in a warehouse's queue, newest first."""

    childOrderId: str
    orderId: str
    status: ChildStatus
    warehouseId: str
    handling: str
    releasedAt: str | None
    createdAt: str


WarehouseChildOrderPage = Page[WarehouseChildOrder]


class CarrierOut(View):
    code: str
    parcelWeightLimitGrams: int | None


class CarrierSettingsView(View):
    """The carriers parcels are packed for (oms.domain.parcels) and the settings' version (0: never set)."""

    carriers: list[CarrierOut]
    storeCarriers: dict[str, str]
    defaultCarrier: str | None
    version: int
    updatedAt: str | None
    updatedBy: str | None
