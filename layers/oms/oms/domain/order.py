"""The order state machine: one transition table; every move is checked against it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from oms.domain.errors import Forbidden, IllegalTransition
from oms.domain.permissions import Actor, Permission


class OrderStatus(StrEnum):
    PENDING_PAYMENT = "PENDING_PAYMENT"
    PAID = "PAID"
    PARTIALLY_SHIPPED = "PARTIALLY_SHIPPED"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    ON_HOLD = "ON_HOLD"
    CLOSED = "CLOSED"


S = OrderStatus
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.PENDING_PAYMENT: frozenset({S.PAID, S.CANCELLED, S.ON_HOLD}),
    S.PAID: frozenset({S.PARTIALLY_SHIPPED, S.SHIPPED, S.ON_HOLD, S.CLOSED}),
    S.PARTIALLY_SHIPPED: frozenset({S.SHIPPED, S.ON_HOLD, S.CLOSED}),
    S.SHIPPED: frozenset({S.DELIVERED, S.ON_HOLD, S.CLOSED}),
    S.DELIVERED: frozenset({S.COMPLETED, S.CLOSED}),
    S.COMPLETED: frozenset({S.CLOSED}),
    # A hold (risk, abnormal payment) is released back to where the order was, or ends it.
    S.ON_HOLD: frozenset({S.PENDING_PAYMENT, S.PAID, S.PARTIALLY_SHIPPED, S.SHIPPED, S.CANCELLED, S.CLOSED}),
    # Only when a payment arrives after the payment timeout cancelled the order, every store's
    # latePaymentPolicy is revive-if-stock and the stock can be re-taken; a person's cancel is final.
    S.CANCELLED: frozenset({S.PAID}),
    S.CLOSED: frozenset(),
}
del S

TERMINAL = frozenset({OrderStatus.CANCELLED, OrderStatus.CLOSED})  # no user-driven move leaves them
# Orders in these states still hold reserved (unsold) stock that a cancel must release.
HOLDS_RESERVED_STOCK = frozenset({OrderStatus.PENDING_PAYMENT, OrderStatus.ON_HOLD})


class CancelReason(StrEnum):
    CUSTOMER_REQUEST = "customer_request"
    STAFF_DECISION = "staff_decision"
    PAYMENT_TIMEOUT = "payment_timeout"


def cancellation_record(actor: Actor, reason: CancelReason, note: str | None, at: str) -> dict[str, object]:
    """What the order keeps about its cancel (`cancellation`): who, in which role, why, when."""
    return {"by": actor.subject, "role": actor.primary_role, "reason": reason.value, "note": note, "at": at}


def check_transition(current: OrderStatus, target: OrderStatus) -> None:
    if target not in TRANSITIONS[current]:
        raise IllegalTransition("order", current.value, target.value)


def check_cancel(actor: Actor, status: OrderStatus, *, owns_order: bool) -> None:
    """A customer cancels their own order while it awaits payment; admin/support also cancel held orders."""
    if actor.can(Permission.ORDER_CANCEL_ANY):
        allowed = HOLDS_RESERVED_STOCK
    elif owns_order and actor.can(Permission.ORDER_CANCEL_OWN):
        allowed = frozenset({OrderStatus.PENDING_PAYMENT})
    else:
        raise Forbidden("you may not cancel this order")
    if status not in allowed:
        # Paid orders are cancelled through the refund flow, not here.
        raise IllegalTransition("order", status.value, OrderStatus.CANCELLED.value)
    check_transition(status, OrderStatus.CANCELLED)


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One history entry: who moved the order, from where to where, and why."""

    from_status: OrderStatus | None
    to_status: OrderStatus
    actor: Actor
    at: str
    reason: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "from": self.from_status.value if self.from_status else None,
            "to": self.to_status.value,
            "by": self.actor.subject,
            "role": self.actor.primary_role,
            "at": self.at,
            "reason": self.reason,
        }
