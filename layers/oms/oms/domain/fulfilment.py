"""Fulfilment rules: child-order and shipment state machines, shipment quantity guards, carrier
tracking ordering, and how a parent order's status follows its children.

A paid order ships as one or more child orders (see `oms.domain.splitting`); each child ships in one or
more shipments; carriers report tracking events, possibly late, twice, or out of order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from oms.domain.errors import Conflict, IllegalTransition, InvalidRequest
from oms.domain.order import OrderStatus


@dataclass(frozen=True)
class ShipmentRequest:
    """A shipment the merchant reports: the child order, its carrier and tracking number, and which lines
    (line number -> quantity) left; None: everything still to ship."""

    child_order_id: str
    carrier: str
    tracking_number: str
    lines: dict[int, int] | None
    parcel_no: int | None = None  # one of the child's planned parcels (oms.domain.parcels): its lines


class ChildStatus(StrEnum):
    AWAITING_SHIPMENT = "AWAITING_SHIPMENT"
    PARTIALLY_SHIPPED = "PARTIALLY_SHIPPED"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"  # intercepted (or never released) before shipment, and refunded


C = ChildStatus
CHILD_TRANSITIONS: dict[ChildStatus, frozenset[ChildStatus]] = {
    C.AWAITING_SHIPMENT: frozenset({C.PARTIALLY_SHIPPED, C.SHIPPED, C.CANCELLED}),
    C.PARTIALLY_SHIPPED: frozenset({C.SHIPPED}),
    C.SHIPPED: frozenset({C.DELIVERED}),
    C.DELIVERED: frozenset({C.COMPLETED}),
    C.COMPLETED: frozenset(),
    C.CANCELLED: frozenset(),
}
del C


def check_child_transition(current: ChildStatus, target: ChildStatus) -> None:
    if current != target and target not in CHILD_TRANSITIONS[current]:
        raise IllegalTransition("child order", current.value, target.value)


class ShipmentStatus(StrEnum):
    PENDING = "PENDING"
    SHIPPED = "SHIPPED"
    IN_TRANSIT = "IN_TRANSIT"
    DELIVERED = "DELIVERED"
    EXCEPTION = "EXCEPTION"
    RETURNED = "RETURNED"


S = ShipmentStatus
SHIPMENT_TRANSITIONS: dict[ShipmentStatus, frozenset[ShipmentStatus]] = {
    S.PENDING: frozenset({S.SHIPPED, S.IN_TRANSIT, S.DELIVERED, S.EXCEPTION}),
    S.SHIPPED: frozenset({S.IN_TRANSIT, S.DELIVERED, S.EXCEPTION, S.RETURNED}),
    S.IN_TRANSIT: frozenset({S.DELIVERED, S.EXCEPTION, S.RETURNED}),
    # A parcel in trouble may recover, be delivered after all, or go back to the sender.
    S.EXCEPTION: frozenset({S.IN_TRANSIT, S.DELIVERED, S.RETURNED}),
    S.DELIVERED: frozenset(),
    S.RETURNED: frozenset(),
}
del S


class TrackingStatus(StrEnum):
    SHIPPED = "SHIPPED"  # the carrier has the parcel
    IN_TRANSIT = "IN_TRANSIT"
    DELIVERED = "DELIVERED"
    EXCEPTION = "EXCEPTION"  # delayed, damaged, address problem, ...: may still be delivered
    RETURNED = "RETURNED"  # on its way back to (or back at) the sender


@dataclass(frozen=True, slots=True)
class TrackingDecision:
    """What one carrier event does to a shipment: it is always kept in the timeline; it moves the
    shipment only when it is the newest event so far and the move is allowed."""

    new_status: ShipmentStatus | None  # None: recorded, status unchanged
    why: str


def apply_tracking(
    current: ShipmentStatus, latest_event_at: datetime | None, event: ShipmentStatus, event_at: datetime
) -> TrackingDecision:
    """Out-of-order tolerant: an event older than the newest one applied never moves the shipment
    (so a late "in transit" cannot undo "delivered"), and a terminal status never changes."""
    if latest_event_at is not None and event_at < latest_event_at:
        return TrackingDecision(None, "older than the latest event")
    if event == current:
        return TrackingDecision(None, "same status")
    if event not in SHIPMENT_TRANSITIONS[current]:
        return TrackingDecision(None, f"{current.value} does not move to {event.value}")
    return TrackingDecision(event, "applied")


# ---------------------------------------------------------------- quantities


def remaining_quantities(ordered: Mapping[int, int], shipped: Mapping[int, int]) -> dict[int, int]:
    """Per line number: what the child still has to ship."""
    return {line: quantity - shipped.get(line, 0) for line, quantity in ordered.items()}


def check_shipment_lines(
    requested: Mapping[int, int] | None, ordered: Mapping[int, int], shipped: Mapping[int, int]
) -> dict[int, int]:
    """The lines of a new shipment: the requested quantities, or everything still to ship when none are
    named. A quantity beyond what is left, an unknown line or an empty shipment is refused."""
    left = remaining_quantities(ordered, shipped)
    if requested is None:
        lines = {line: quantity for line, quantity in left.items() if quantity > 0}
        if not lines:
            raise Conflict("everything in this child order has shipped already")
        return lines
    unknown = sorted(set(requested) - set(ordered))
    if unknown:
        raise InvalidRequest(f"lines {unknown} are not in this child order", field="lines", lineNos=unknown)
    over = [
        {"lineNo": line, "requested": quantity, "remaining": left[line]}
        for line, quantity in sorted(requested.items())
        if quantity > left[line]
    ]
    if over:
        raise ShipmentQuantityExceeded(over)
    return {line: quantity for line, quantity in requested.items() if quantity > 0}


def parcel_lines(
    parcels: Sequence[Mapping[str, Any]] | None, parcel_no: int, shipped_parcels: set[int]
) -> dict[int, int]:
    """The lines of planned parcel `parcel_no`; 422 when the child has no such parcel, 409 once it has shipped."""
    for parcel in parcels or []:
        if int(parcel["parcelNo"]) == parcel_no:
            if parcel_no in shipped_parcels:
                raise ParcelAlreadyShipped(f"parcel {parcel_no} of this child order has shipped", parcelNo=parcel_no)
            return {int(line["lineNo"]): int(line["quantity"]) for line in parcel["lines"]}
    raise InvalidRequest(f"this child order has no parcel {parcel_no}", field="parcelNo", reason="unknown-parcel")


class ParcelAlreadyShipped(Conflict):
    slug = "parcel-already-shipped"
    title = "This parcel has shipped already"


class ShipmentQuantityExceeded(Conflict):
    slug = "shipment-quantity-exceeded"
    title = "More than what is left to ship"

    def __init__(self, over: list[dict[str, int]]) -> None:
        text = ", ".join(f"line {o['lineNo']} ({o['requested']} requested, {o['remaining']} left)" for o in over)
        super().__init__(f"a shipment cannot carry more than is left: {text}", lines=over)


def child_status_after_shipping(ordered: Mapping[int, int], shipped: Mapping[int, int]) -> ChildStatus:
    left = remaining_quantities(ordered, shipped)
    return ChildStatus.SHIPPED if all(q == 0 for q in left.values()) else ChildStatus.PARTIALLY_SHIPPED


def child_delivered(status: ChildStatus, shipment_statuses: Iterable[ShipmentStatus]) -> bool:
    """A fully shipped child is delivered when every one of its shipments is."""
    statuses = list(shipment_statuses)
    return status is ChildStatus.SHIPPED and bool(statuses) and all(s is ShipmentStatus.DELIVERED for s in statuses)


# ---------------------------------------------------------------- the parent follows its children

_PAID_STATES = frozenset(
    {
        OrderStatus.PAID,
        OrderStatus.PARTIALLY_SHIPPED,
        OrderStatus.SHIPPED,
        OrderStatus.DELIVERED,
        OrderStatus.COMPLETED,
    }
)


def parent_status(current: OrderStatus, children: Iterable[ChildStatus]) -> OrderStatus:
    """The parent's status from its children's, once it is paid (before that, and on hold, it stays).

    Cancelled children do not count, unless every child is cancelled: then the order is CLOSED."""
    if current not in _PAID_STATES:
        return current
    statuses = list(children)
    active = [s for s in statuses if s is not ChildStatus.CANCELLED]
    if statuses and not active:
        return OrderStatus.CLOSED
    if not active:
        return current
    shipped = {ChildStatus.SHIPPED, ChildStatus.DELIVERED, ChildStatus.COMPLETED}
    if all(s is ChildStatus.COMPLETED for s in active):
        return OrderStatus.COMPLETED
    if all(s in (ChildStatus.DELIVERED, ChildStatus.COMPLETED) for s in active):
        return OrderStatus.DELIVERED
    if all(s in shipped for s in active):
        return OrderStatus.SHIPPED
    if any(s in shipped or s is ChildStatus.PARTIALLY_SHIPPED for s in active):
        return OrderStatus.PARTIALLY_SHIPPED
    return OrderStatus.PAID


def check_cancel_child(status: ChildStatus) -> None:
    """Only a child that has shipped nothing can be cancelled (after-sales handles the rest)."""
    if status is not ChildStatus.AWAITING_SHIPMENT:
        raise AlreadyShipped(f"this child order is {status.value}: it has already shipped (in part)")


class AlreadyShipped(Conflict):
    slug = "already-shipped"
    title = "The order has already shipped"
