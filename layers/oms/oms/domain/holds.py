"""Why an order is ON_HOLD, and what releases it.

A hold remembers the status it interrupted (`from_status`), so a release returns the order where it was.
Each kind is released its own way: a staff hold by staff (`POST /orders/{id}/release-hold`), an abnormal
payment's hold by resolving the anomaly (accept, refund or charge the rest), a risk review by approving
or rejecting it. A release of the wrong kind is refused: a person's decision is never bypassed."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from oms.domain.errors import Conflict
from oms.domain.order import OrderStatus


class HoldKind(StrEnum):
    STAFF = "staff"  # staff put it on hold (a customer's call, a suspected mistake)
    ANOMALY = "anomaly"  # money that did not fit (an abnormal payment case is open)
    RISK_REVIEW = "risk-review"  # a risk rule sent the paid order to manual review


@dataclass(frozen=True, slots=True)
class Hold:
    kind: HoldKind
    reason: str
    by: str
    at: str
    from_status: OrderStatus

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "reason": self.reason,
            "by": self.by,
            "at": self.at,
            "fromStatus": self.from_status.value,
        }

    @classmethod
    def of(cls, data: dict[str, Any] | None) -> Hold | None:
        if not data:
            return None
        return cls(
            kind=HoldKind(data["kind"]),
            reason=str(data["reason"]),
            by=str(data["by"]),
            at=str(data["at"]),
            from_status=OrderStatus(data["fromStatus"]),
        )


# ---------------------------------------------------------------- staff holds
# A staff hold stops what would happen next to a paid order: its child orders are not released or shipped
# (fulfilment ships only PAID / PARTIALLY_SHIPPED / SHIPPED orders) and leave the warehouse lists until the
# release. An unpaid order has nothing to stop (cancel it, or let its payment timeout run); a SHIPPED one has
# nothing left to ship (after-sales handles it); a held one is held already.
STAFF_HOLDABLE = frozenset({OrderStatus.PAID, OrderStatus.PARTIALLY_SHIPPED})


class OrderNotHoldable(Conflict):
    slug = "order-not-holdable"
    title = "Staff hold only paid orders that have not shipped in full"


class OrderHeld(Conflict):
    slug = "order-held"
    title = "The order is on hold already"


class OrderNotHeld(Conflict):
    slug = "order-not-held"
    title = "The order is not on hold"


class HoldReleasedElsewhere(Conflict):
    slug = "hold-released-elsewhere"
    title = "This hold is released another way"


RELEASED_BY = {
    HoldKind.ANOMALY: "resolve the abnormal payment case (POST /anomalies/{anomalyId}/resolve: accept or refund)",
    HoldKind.RISK_REVIEW: "decide the risk review (approve or reject)",
}


def check_staff_hold(status: OrderStatus, hold: Hold | None) -> None:
    """May staff put an order in `status` on hold (409 otherwise)."""
    if status is OrderStatus.ON_HOLD:
        kind = hold.kind.value if hold is not None else HoldKind.ANOMALY.value
        raise OrderHeld(f"the order is on hold already ({kind})", holdKind=kind)
    if status not in STAFF_HOLDABLE:
        raise OrderNotHoldable(
            f"the order is {status.value}: staff hold paid orders that have not shipped in full",
            orderStatus=status.value,
        )


def check_staff_release(status: OrderStatus, hold: Hold | None) -> Hold:
    """The staff hold a staff release ends (409 when the order is not held, or held another way)."""
    if status is not OrderStatus.ON_HOLD:
        raise OrderNotHeld(f"the order is {status.value}, not on hold", orderStatus=status.value)
    # A hold without a record is an abnormal payment's from before holds remembered their kind.
    kind = hold.kind if hold is not None else HoldKind.ANOMALY
    if kind is not HoldKind.STAFF or hold is None:
        raise HoldReleasedElsewhere(
            f"a {kind.value} hold is released another way: {RELEASED_BY[kind]}", holdKind=kind.value
        )
    return hold


def judged_status(status: OrderStatus, hold: Hold | None) -> OrderStatus:
    """The status money arriving on an order is judged by: a hold of a paid order (staff, risk review) is not
    about its money, so a payment then is what it would have been before the hold (a duplicate, refunded),
    not money that holds the order."""
    if (
        status is OrderStatus.ON_HOLD
        and hold is not None
        and hold.from_status in STAFF_HOLDABLE | {OrderStatus.SHIPPED}
    ):
        return hold.from_status
    return status


def check_cancel_held(status: OrderStatus, hold: Hold | None) -> None:
    """A staff-held order is paid: its cancel goes child by child (what has not shipped, refunded), which a
    hold stops; release the hold first (409)."""
    if status is OrderStatus.ON_HOLD and hold is not None and hold.kind is HoldKind.STAFF:
        raise OrderHeld(
            "the order is on hold (staff): release the hold, then cancel it (its child orders go, refunded)",
            holdKind=hold.kind.value,
        )
