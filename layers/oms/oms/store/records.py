"""What the store hands to callers outside `oms.store`: an order's partition as one `OrderRecord`,
idempotency records and stored responses, and the stored rows under their record names.

Callers read records; they never write them. Every write is a store function named for its
intention (`add_refund_settled`, `add_child_update`, ...) that builds its own update expression,
so no module outside `oms.store` imports `oms.store.models` or pynamodb."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from oms.domain.ledger import Line
from oms.domain.order import OrderStatus
from oms.domain.payment import AttemptStatus, OrderMoney, order_position
from oms.domain.refunds import ProviderPayment, RefundMade, refund_rooms
from oms.store.models import (
    AnomalyItem,
    AuditItem,
    BalanceAccountItem,
    ChildOrderItem,
    CouponItem,
    CouponTemplateItem,
    LedgerLineItem,
    OrderEventItem,
    OrderItem,
    OrderLineItem,
    PaymentAttemptItem,
    PointsEntryItem,
    PricingSettingsItem,
    PromotionDirectoryItem,
    RefundItem,
    ShipmentItem,
)

# The stored rows, read-only outside the store.
AnomalyRecord = AnomalyItem
AuditRecord = AuditItem
BalanceRecord = BalanceAccountItem
ChildRecord = ChildOrderItem
CouponRecord = CouponItem
CouponTemplateRecord = CouponTemplateItem
EventRecord = OrderEventItem
HeaderRecord = OrderItem
LedgerLineRecord = LedgerLineItem
LineRecord = OrderLineItem
AttemptRecord = PaymentAttemptItem
PointsEntryRecord = PointsEntryItem
PricingSettingsRecord = PricingSettingsItem
PromotionDirectoryRecord = PromotionDirectoryItem
RefundRecord = RefundItem
ShipmentRecord = ShipmentItem


@dataclass(frozen=True)
class StoredResponse:
    request_hash: str
    status_code: int
    body: dict[str, Any]


@dataclass(frozen=True)
class IdempotencyRecord:
    subject: str
    key: str
    request_hash: str
    status_code: int


@dataclass
class OrderRecord:
    """Everything in an order's partition, read with one Query."""

    header: HeaderRecord
    lines: list[LineRecord] = field(default_factory=list)
    events: list[EventRecord] = field(default_factory=list)
    payments: list[AttemptRecord] = field(default_factory=list)
    ledger: list[LedgerLineRecord] = field(default_factory=list)
    refunds: list[RefundRecord] = field(default_factory=list)
    children: list[ChildRecord] = field(default_factory=list)
    shipments: list[ShipmentRecord] = field(default_factory=list)

    @property
    def status(self) -> OrderStatus:
        return OrderStatus(self.header.status)

    def child(self, child_no: int) -> ChildRecord | None:
        return next((c for c in self.children if int(c.childNo) == child_no), None)


def child_quantities(child: ChildRecord) -> dict[int, int]:
    """Line number -> quantity this child carries."""
    result: dict[int, int] = {}
    for part in child.parts:
        result[int(part["lineNo"])] = result.get(int(part["lineNo"]), 0) + int(part["quantity"])
    return result


def shipped_quantities(child: ChildRecord) -> dict[int, int]:
    return {int(line): int(quantity) for line, quantity in (child.shipped or {}).items()}


def ledger_lines(record: OrderRecord) -> list[Line]:
    return [Line(item.account, item.amount.money()) for item in record.ledger]


def money_of(record: OrderRecord) -> OrderMoney:
    """The order's money picture from its ledger lines: owed, received, refunded."""
    return order_position(ledger_lines(record), record.header.orderId, record.header.total.money())


def refund_rooms_of(record: OrderRecord) -> list[tuple[str, int]]:
    """(payment id, room) of the order's provider payments, newest first (`oms.domain.refunds.refund_rooms`)."""
    payments = []
    for attempt in record.payments:
        succeeded = attempt.status == AttemptStatus.SUCCEEDED.value and attempt.method != "balance"
        counted = 0
        if succeeded:
            counted = int(attempt.received.amount) if attempt.received else int(attempt.goodsAmount.amount)
        payments.append(ProviderPayment(attempt.paymentId, attempt.method, succeeded, counted))
    made = [RefundMade(refund.paymentId, int(refund.amount.amount)) for refund in record.refunds]
    return refund_rooms(payments, made)
