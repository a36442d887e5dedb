"""The events catalogue: every detail type the outbox carries, and one constructor per event.

A service builds the event of the change it makes and hands it to the store, which writes it as
an outbox row in the same transaction (the relay publishes it on the bus; `oms.services.after_commit`
acts on some). Order events carry the order's summary (`oms.views.orders.order_summary`, as read
before the change) with the status the change moves it to; refund events carry the refund's facts
(`oms.views.payments.refund_facts`). Details are JSON: money as `{"amount", "currency"}`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from oms.domain.money import Money
from oms.domain.order import OrderStatus

Json = dict[str, Any]


class EventType(StrEnum):
    ORDER_PLACED = "OrderPlaced"  # arms the payment timer
    ORDER_PAID = "OrderPaid"
    ORDER_ON_HOLD = "OrderOnHold"  # money that did not fit holds the order (a case is open), or staff held it
    # A held order awaits the rest of its money again (timer re-armed), or staff released their hold.
    ORDER_HOLD_RELEASED = "OrderHoldReleased"
    ORDER_CANCELLED = "OrderCancelled"
    ORDER_SHIPPED = "OrderShipped"  # a parcel of a child order left
    CHILD_ORDER_DELIVERED = "ChildOrderDelivered"
    CHILD_ORDER_CANCELLED = "ChildOrderCancelled"  # its refunds are settled from the stream
    ORDER_DELIVERED = "OrderDelivered"  # arms the auto-confirm timer
    ORDER_COMPLETED = "OrderCompleted"
    ORDER_CLOSED = "OrderClosed"  # fully refunded (oms.services.refunds)
    PAYMENT_ANOMALY = "PaymentAnomaly"  # a case opened: money that did not fit (the shopper is told)
    REFUND_SUCCEEDED = "RefundSucceeded"  # the money went back: provider, stored balance or a manual payout
    # The provider did not refund: the first "not now" (status PENDING, retried) and a refusal for good
    # (status FAILED: staff re-route it, pay it out by hand or ask again).
    REFUND_FAILED = "RefundFailed"
    CASE_OPENED = "CaseOpened"  # an after-sales case: starts its flow (case-<caseId>)
    CASE_UPDATED = "CaseUpdated"  # a case moved: resumes its flow when the request could not
    EXPORT_REQUESTED = "ExportRequested"  # an order export was asked for: starts its job (export-<exportId>)
    # A case's step passed its deadline with nobody acting (the flow's timeout or the sweeper): staff are alerted.
    CASE_OVERDUE = "CaseOverdue"
    # The payment timer's reminder, PaymentReminderSeconds before the deadline, while the order is unpaid.
    PAYMENT_REMINDER_DUE = "PaymentReminderDue"
    # Staff placed an order for a shopper (POST /admin/orders): the shopper is told how to pay (a payment link,
    # bank transfer instructions, or that it is settled offline).
    MANUAL_ORDER_CREATED = "ManualOrderCreated"
    ORDER_EDITED = "OrderEdited"  # staff changed an unpaid order's items, address or price: the shopper is told
    # A category moved in its store's tree: its subtree's products are re-filed at their new paths after the commit.
    CATEGORY_MOVED = "CategoryMoved"
    # A category was deleted with its products reassigned: they are re-filed in the target after the commit.
    CATEGORY_DELETED = "CategoryDeleted"
    # A SKU's stock crossed a level (from the table's stream, once per crossing): staff are alerted of the first two.
    LOW_STOCK = "LowStock"  # available fell to or under the SKU's alert level
    SKU_SOLD_OUT = "SkuSoldOut"  # available reached zero
    SKU_BACK_IN_STOCK = "SkuBackInStock"  # available rose from zero
    # What search shows of a product may have changed (name, attributes, status, category, SKU prices or
    # status): its search entries are rewritten after the commit (oms.services.product_search).
    PRODUCT_CHANGED = "ProductChanged"
    # A delivery took a virtual SKU's code pool to or under its alert level (once per crossing): staff are alerted.
    CODE_POOL_LOW = "CodePoolLow"


@dataclass(frozen=True)
class OutboxEvent:
    type: EventType
    detail: Json


def _order_event(type_: EventType, summary: Mapping[str, Any], status: OrderStatus | str, **extra: Any) -> OutboxEvent:
    return OutboxEvent(type_, {**summary, "status": OrderStatus(status).value, **extra})


# ---------------------------------------------------------------- orders
def order_placed(
    summary: Mapping[str, Any], *, line_count: int, lines: Sequence[Mapping[str, Any]] | None = None
) -> OutboxEvent:
    """`lines`: each line's facts (`oms.views.orders.line_facts`: product, category, store, quantity, payable)."""
    extra = {} if lines is None else {"lines": [dict(line) for line in lines]}
    return OutboxEvent(EventType.ORDER_PLACED, {**summary, "lineCount": line_count, **extra})


def order_paid(
    summary: Mapping[str, Any],
    *,
    payment_id: str | None = None,
    method: str | None = None,
    payment_attempts: int | None = None,
    lines: Sequence[Mapping[str, Any]] | None = None,
) -> OutboxEvent:
    """Paid by a payment (`payment_id`), or at checkout (balance and points covered it: no payment id).
    `method`: the paying attempt's method ("checkout" when covered at checkout); `payment_attempts`: the
    attempts the order had made, the paying one included (0 at checkout); `lines` as in `order_placed`."""
    extra: dict[str, Any] = {} if payment_id is None else {"paymentId": payment_id}
    if method is not None:
        extra["method"] = method
    if payment_attempts is not None:
        extra["paymentAttempts"] = payment_attempts
    if lines is not None:
        extra["lines"] = [dict(line) for line in lines]
    return _order_event(EventType.ORDER_PAID, summary, OrderStatus.PAID, **extra)


def order_on_hold(summary: Mapping[str, Any], *, hold: Mapping[str, Any] | None = None) -> OutboxEvent:
    """`hold`: why (oms.domain.holds.Hold.to_dict(): kind, reason, who, when, the status it interrupted)."""
    extra = {} if hold is None else {"hold": dict(hold)}
    return _order_event(EventType.ORDER_ON_HOLD, summary, OrderStatus.ON_HOLD, **extra)


def order_hold_released(
    summary: Mapping[str, Any],
    *,
    payment_deadline: str | None = None,
    outstanding: Money | None = None,
    anomaly_id: str | None = None,
    status: OrderStatus = OrderStatus.PENDING_PAYMENT,
    hold: Mapping[str, Any] | None = None,
) -> OutboxEvent:
    """An abnormal payment's hold charged the rest: the order awaits `outstanding` until `payment_deadline`
    (case `anomaly_id`). A staff hold released: the order is back at `status` (the one the hold interrupted,
    a paid one: no deadline, no timer) and `hold` says which hold ended."""
    extra: dict[str, Any] = {}
    if payment_deadline is not None:
        extra["paymentDeadline"] = payment_deadline
    if outstanding is not None:
        extra["outstanding"] = outstanding.to_dict()
    if anomaly_id is not None:
        extra["anomalyId"] = anomaly_id
    if hold is not None:
        extra["hold"] = dict(hold)
    return _order_event(EventType.ORDER_HOLD_RELEASED, summary, status, **extra)


def manual_order_created(
    summary: Mapping[str, Any], *, payment_mode: str, payment_link: str | None, created_by: str, role: str
) -> OutboxEvent:
    """`summary` as placed; `payment_link` where the shopper pays an `online` order (None otherwise)."""
    return _order_event(
        EventType.MANUAL_ORDER_CREATED,
        summary,
        summary["status"],
        paymentMode=payment_mode,
        paymentLink=payment_link,
        createdBy=created_by,
        role=role,
    )


def order_edited(
    summary: Mapping[str, Any], *, changes: Sequence[str], previous_total: Money, edited_by: str, role: str
) -> OutboxEvent:
    """`summary` after the edit; `changes`: what changed (items, address, price)."""
    return _order_event(
        EventType.ORDER_EDITED,
        summary,
        summary["status"],
        changes=list(changes),
        previousTotal=previous_total.to_dict(),
        editedBy=edited_by,
        role=role,
    )


def order_cancelled(summary: Mapping[str, Any], status: OrderStatus, *, cancellation: Mapping[str, Any]) -> OutboxEvent:
    return _order_event(EventType.ORDER_CANCELLED, summary, status, cancellation=dict(cancellation))


def order_completed(summary: Mapping[str, Any], *, points_earned: int) -> OutboxEvent:
    return _order_event(EventType.ORDER_COMPLETED, summary, OrderStatus.COMPLETED, pointsEarned=points_earned)


def order_shipped(
    summary: Mapping[str, Any],
    status: OrderStatus,
    *,
    child_order_id: str,
    shipment_id: str,
    carrier: str,
    tracking_number: str,
    lines: Mapping[int, int],
) -> OutboxEvent:
    """`status`: the order's status after the parcel left (shipped, or partially)."""
    return _order_event(
        EventType.ORDER_SHIPPED,
        summary,
        status,
        childOrderId=child_order_id,
        shipmentId=shipment_id,
        carrier=carrier,
        trackingNumber=tracking_number,
        lines=[{"lineNo": k, "quantity": v} for k, v in sorted(lines.items())],
    )


def child_order_delivered(
    summary: Mapping[str, Any], status: OrderStatus, *, child_order_id: str, shipment_id: str
) -> OutboxEvent:
    return _order_event(
        EventType.CHILD_ORDER_DELIVERED, summary, status, childOrderId=child_order_id, shipmentId=shipment_id
    )


def child_order_cancelled(
    summary: Mapping[str, Any], status: OrderStatus, *, child_order_id: str, how: str, refund: Money
) -> OutboxEvent:
    return _order_event(
        EventType.CHILD_ORDER_CANCELLED, summary, status, childOrderId=child_order_id, how=how, refund=refund.to_dict()
    )


def order_closed(summary: Mapping[str, Any], *, reason: str) -> OutboxEvent:
    """The order's money all went back (a refund request, or the last of its legs booked)."""
    return _order_event(EventType.ORDER_CLOSED, summary, OrderStatus.CLOSED, reason=reason)


def payment_reminder_due(summary: Mapping[str, Any]) -> OutboxEvent:
    """The order is still unpaid shortly before its deadline (`paymentDeadline` in the summary)."""
    return _order_event(EventType.PAYMENT_REMINDER_DUE, summary, OrderStatus.PENDING_PAYMENT)


def order_delivered(summary: Mapping[str, Any], *, delivered_at: str, auto_confirm_at: str) -> OutboxEvent:
    """The order became DELIVERED: carries the deadline its auto-confirm timer is armed with."""
    return _order_event(
        EventType.ORDER_DELIVERED,
        summary,
        OrderStatus.DELIVERED,
        deliveredAt=delivered_at,
        autoConfirmAt=auto_confirm_at,
    )


# ---------------------------------------------------------------- payments
def payment_anomaly(
    summary: Mapping[str, Any],
    *,
    anomaly_id: str,
    anomaly_type: str,
    anomaly_status: str,
    payment_id: str,
    expected: Money,
    received: Money,
    refund: Mapping[str, Any] | None,
    note: str,
) -> OutboxEvent:
    """A case about money that did not fit; `refund`: the refund that sends it back (id, status, amount)."""
    return OutboxEvent(
        EventType.PAYMENT_ANOMALY,
        {
            **summary,
            "anomalyId": anomaly_id,
            "anomalyType": anomaly_type,
            "anomalyStatus": anomaly_status,
            "paymentId": payment_id,
            "expected": expected.to_dict(),
            "received": received.to_dict(),
            "refund": None if refund is None else dict(refund),
            "note": note,
        },
    )


def refund_succeeded(
    refund: Mapping[str, Any],
    *,
    anomaly_type: str | None,
    route: str | None = None,
    reference: str | None = None,
) -> OutboxEvent:
    """`route` and `reference` when staff paid it back another way (the balance, or by hand)."""
    extra = {} if route is None else {"route": route, "reference": reference}
    return OutboxEvent(
        EventType.REFUND_SUCCEEDED, {**refund, "status": "SUCCEEDED", "anomalyType": anomaly_type, **extra}
    )


def refund_failed(refund: Mapping[str, Any], *, status: str, error: str, retried: bool) -> OutboxEvent:
    """`retried`: the provider is asked again (status PENDING/PROCESSING), or not (FAILED: staff decide)."""
    return OutboxEvent(EventType.REFUND_FAILED, {**refund, "status": status, "error": error, "retried": retried})


# ---------------------------------------------------------------- after-sales cases
def case_opened(case: Mapping[str, Any], *, status: str, step: str) -> OutboxEvent:
    return OutboxEvent(EventType.CASE_OPENED, {**case, "status": status, "waitingFor": step})


def case_updated(
    case: Mapping[str, Any], *, status: str, step: str, action: str, from_status: str, by: str, role: str
) -> OutboxEvent:
    detail = {**case, "status": status, "waitingFor": step, "action": action, "from": from_status, "by": by}
    return OutboxEvent(EventType.CASE_UPDATED, {**detail, "role": role})


# ---------------------------------------------------------------- exports
def export_requested(export_id: str, *, export_format: str, created_by: str, role: str) -> OutboxEvent:
    """Carries no filters or personal data: the job reads its request from the export's own row."""
    detail = {"exportId": export_id, "format": export_format, "createdBy": created_by, "role": role}
    return OutboxEvent(EventType.EXPORT_REQUESTED, detail)


def case_overdue(case: Mapping[str, Any], *, status: str, step: str, deadline: str | None, action: str) -> OutboxEvent:
    """Nobody acted on the case's `step` by its `deadline`: the rules' `action` was taken for them."""
    return OutboxEvent(
        EventType.CASE_OVERDUE, {**case, "status": status, "step": step, "deadline": deadline, "action": action}
    )


# ---------------------------------------------------------------- catalog
def category_moved(store_id: str, category_id: str, *, from_path: str, to_path: str, by: str) -> OutboxEvent:
    """`fromPath`: the subtree's products still filed under it are re-filed at their categories' current paths."""
    detail = {"storeId": store_id, "categoryId": category_id, "fromPath": from_path, "toPath": to_path, "by": by}
    return OutboxEvent(EventType.CATEGORY_MOVED, detail)


def category_deleted(
    store_id: str, category_id: str, *, path: str, reassign_to: str, products: int, by: str
) -> OutboxEvent:
    """The category's `products` go to `reassignTo`; the category is forgotten once none is left in it."""
    detail = {
        "storeId": store_id,
        "categoryId": category_id,
        "fromPath": path,
        "reassignTo": reassign_to,
        "products": products,
        "by": by,
    }
    return OutboxEvent(EventType.CATEGORY_DELETED, detail)


# ---------------------------------------------------------------- stock
def _stock_event(
    type_: EventType, sku: Mapping[str, Any], *, available: int, threshold: int | None, movement: Mapping[str, Any]
) -> OutboxEvent:
    detail = {**sku, "available": available, "threshold": threshold}
    return OutboxEvent(type_, {**detail, "movementId": movement.get("id"), "movementKind": movement.get("kind")})


def low_stock(
    sku: Mapping[str, Any], *, available: int, threshold: int | None, movement: Mapping[str, Any]
) -> OutboxEvent:
    """`sku`: skuId, productId, storeId, name; `movement`: the stock item's `lastMove` that crossed."""
    return _stock_event(EventType.LOW_STOCK, sku, available=available, threshold=threshold, movement=movement)


def sku_sold_out(
    sku: Mapping[str, Any], *, available: int, threshold: int | None, movement: Mapping[str, Any]
) -> OutboxEvent:
    return _stock_event(EventType.SKU_SOLD_OUT, sku, available=available, threshold=threshold, movement=movement)


def sku_back_in_stock(
    sku: Mapping[str, Any], *, available: int, threshold: int | None, movement: Mapping[str, Any]
) -> OutboxEvent:
    return _stock_event(EventType.SKU_BACK_IN_STOCK, sku, available=available, threshold=threshold, movement=movement)


def product_changed(product_id: str, sku_ids: Sequence[str] = ()) -> OutboxEvent:
    """`sku_ids`: SKUs the change created (the product's index may not list them yet)."""
    detail: Json = {"productId": product_id}
    if sku_ids:
        detail["skuIds"] = sorted(sku_ids)
    return OutboxEvent(EventType.PRODUCT_CHANGED, detail)


# ---------------------------------------------------------------- virtual goods
def code_pool_low(sku_id: str, store_id: str, *, name: str, available: int, threshold: int) -> OutboxEvent:
    """A delivery took the SKU's code pool from above its alert level to at or under it."""
    detail = {"skuId": sku_id, "storeId": store_id, "name": name, "available": available, "threshold": threshold}
    return OutboxEvent(EventType.CODE_POOL_LOW, detail)
