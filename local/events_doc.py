"""Write or check the events catalogue (docs/events.md) from the code that defines the events.

Every detail type of `oms.domain.events.EventType` gets: when it is emitted, who reads it (the template's
EventBridge rules whose pattern names it, and the after-commit actions in the stream), the fields of its
detail with their JSON types (from an example built by the event's own constructor, so a field added to
a constructor shows up here) and the example itself, as EventBridge delivers it to a rule's target.
A detail type without an entry in `WHEN` and `EXAMPLES` is an error, so a new event cannot ship
undocumented; the unit tests run `--check`.

Usage: python -m oms_local.events_doc [--template template.yaml] [--out docs/events.md] [--check]
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from oms.domain import events
from oms.domain.events import EventType, OutboxEvent
from oms.domain.money import Money
from oms.domain.order import OrderStatus
from oms_local.core.template import load_template
from oms_local.generated_doc import run as write_or_check

ROOT = Path(__file__).resolve().parents[1]

# Realistic facts the examples are built from (what oms.views.orders.order_summary, refund_facts and
# oms.services.after_sales.case_facts produce for a real order).
ORDER = {
    "orderId": "01JDX8Q6N7T4W2K9M3R5B1C8ZA",
    "orderNumber": "OMS20261201000042",
    "customerId": "shopper-1",
    "status": "PENDING_PAYMENT",
    "currency": "CNY",
    "total": {"amount": 25800, "currency": "CNY"},
    "reportingTotal": {"amount": 25800, "currency": "CNY"},
    "storeIds": ["demo", "tea-house"],
    "paymentDeadline": "2026-12-01T08:30:00Z",
    "createdAt": "2026-12-01T08:00:00.000Z",
    "updatedAt": "2026-12-01T08:00:00.000Z",
}
REFUND = {
    "orderId": ORDER["orderId"],
    "customerId": "shopper-1",
    "refundId": "RF01JDXB2V1F5Q0Y6H8J4K2M7N9P",
    "paymentId": "PA01JDX8R0S2T4V6W8X0Y2Z4A6B8",
    "method": "alipay",
    "amount": {"amount": 12900, "currency": "CNY"},
    "reason": "after-sales case AS01JDXA9 approved",
    "anomalyId": None,
    "requestId": "RQ01JDXB2V0E4P9X5G7H3J1K6M8N",
    "caseId": "AS01JDXA9Z3C5E7G9J1L3N5Q7S9U",
}
CASE = {
    "caseId": "AS01JDXA9Z3C5E7G9J1L3N5Q7S9U",
    "orderId": ORDER["orderId"],
    "childOrderId": f"{ORDER['orderId']}-1",
    "customerId": "shopper-1",
    "storeId": "demo",
    "type": "return_refund",
    "reason": "damaged",
    "amount": {"amount": 12900, "currency": "CNY"},
}
LINES = [
    {
        "lineNo": 1,
        "productId": "PR01JDX7A1B3C5D7E9F1G3H5J7K9",
        "skuId": "TEE-RED-M",
        "storeId": "demo",
        "categoryId": "apparel",
        "quantity": 2,
        "payable": {"amount": 9800, "currency": "CNY"},
        "reportingPayable": {"amount": 9800, "currency": "CNY"},
    },
    {
        "lineNo": 2,
        "productId": "PR01JDX7A2B4C6D8E0F2G4H6J8K0",
        "skuId": "TEA-LJ-250",
        "storeId": "tea-house",
        "categoryId": "tea",
        "quantity": 1,
        "payable": {"amount": 15800, "currency": "CNY"},
        "reportingPayable": {"amount": 15800, "currency": "CNY"},
    },
]
_PAID = {**ORDER, "status": "PAID", "updatedAt": "2026-12-01T08:02:11.000Z"}
_CHILD = f"{ORDER['orderId']}-1"
_CNY = Money(12900, "CNY")

_SKU = {"skuId": "SKU-TEA-250", "productId": "P-TEA", "storeId": "store-1", "name": "Longjing tea 250 g"}
_MOVE = {"id": "01JDX8R0S2T4V6W8X0Y2Z4MOVE", "kind": "sale", "by": "provider:alipay"}

# When each event is emitted (the change it reports), one sentence.
WHEN: dict[EventType, str] = {
    EventType.ORDER_PLACED: "Checkout committed an order (PENDING_PAYMENT, or PAID when balance and points covered it). Arms the payment timer.",
    EventType.ORDER_PAID: "The order's amount due was received in full (a provider callback, a sync, a reviewed bank transfer, or balance/points at checkout).",
    EventType.ORDER_ON_HOLD: "Money arrived that did not fit (less than due, wrong currency): the order is held and an anomaly case opened; or staff put a paid order on hold (POST /orders/{orderId}/hold). `hold` says which kind, why, who and from which status.",
    EventType.ORDER_HOLD_RELEASED: "A held order was released: an abnormal payment's hold awaits the rest of its money again, with a new payment deadline; a staff hold's release (POST /orders/{orderId}/release-hold) is back at the status it interrupted (`hold` set, no deadline).",
    EventType.ORDER_CANCELLED: "The order was cancelled: by the shopper, by staff, or at its payment deadline (status CANCELLED), or after payment (refunds follow).",
    EventType.ORDER_SHIPPED: "A parcel of a child order left the warehouse (the order becomes PARTIALLY_SHIPPED or SHIPPED).",
    EventType.CHILD_ORDER_DELIVERED: "A carrier reported a child order's parcel delivered.",
    EventType.CHILD_ORDER_CANCELLED: "A paid child order was cancelled before it shipped (or intercepted); its refund is settled from the stream.",
    EventType.ORDER_DELIVERED: "Every child order is delivered: the order is DELIVERED and its auto-confirm timer is armed.",
    EventType.ORDER_COMPLETED: "The shopper confirmed receipt, or auto-confirm fired: the order is COMPLETED and earned points are credited.",
    EventType.ORDER_CLOSED: "All of the order's money went back (refunds): the order is CLOSED.",
    EventType.PAYMENT_ANOMALY: "A payment did not fit its order (duplicate, amount or currency mismatch, paid after cancel, paid but not received): an anomaly case opened or moved.",
    EventType.REFUND_SUCCEEDED: "A refund leg was paid back: by the provider, to the stored balance, or by hand (route and reference given).",
    EventType.REFUND_FAILED: "A provider did not refund: asked again later (status PENDING, retried true) or refused for good (status FAILED: staff decide).",
    EventType.CASE_OPENED: "An after-sales case was opened (refund only, return and refund, exchange). Starts its flow.",
    EventType.EXPORT_REQUESTED: "Staff asked for an order export (POST /exports): starts its job (export-<exportId>).",
    EventType.PRODUCT_CHANGED: "A product or one of its SKUs changed (created, renamed, re-priced, activated or deactivated): its search entries are rewritten (docs/search.md).",
    EventType.CASE_UPDATED: "An after-sales case moved (approved, rejected, disputed, arbitrated, return shipped or received, inspected, refunded, cancelled).",
    EventType.CASE_OVERDUE: "A staff step of a case (a decision, an inspection) passed its deadline with nobody acting: the rules acted (the case flow's deadline task or the sweeper), in the same transaction.",
    EventType.PAYMENT_REMINDER_DUE: "The payment timer's reminder, PaymentReminderSeconds before the deadline, while the order is still unpaid (once per deadline).",
    EventType.MANUAL_ORDER_CREATED: "Staff placed an order for a shopper (POST /admin/orders), with OrderPlaced: the shopper is told how to pay (a payment link, a bank transfer, or offline).",
    EventType.ORDER_EDITED: "Staff edited an unpaid order (PATCH /orders/{orderId}: items, address or price): the shopper is told the new total.",
    EventType.CATEGORY_MOVED: "Staff moved a category in its store's tree (PATCH /stores/{storeId}/categories/{categoryId} with parentId): the products of its subtree are re-filed at their new category paths after the commit.",
    EventType.CATEGORY_DELETED: "Staff deleted a category with its products reassigned (DELETE /stores/{storeId}/categories/{categoryId}, reassignTo): they are re-filed in the target after the commit, then the category is forgotten.",
    EventType.LOW_STOCK: "A SKU's available stock fell to or under its alert level (the SKU's lowStockThreshold, else its store's), from above it: once per crossing, written by the after-commit function from the stock item's change in the table's stream. Staff are notified.",
    EventType.SKU_SOLD_OUT: "A SKU's available stock reached zero (from the stock item's change in the table's stream, once per crossing). Staff are notified.",
    EventType.SKU_BACK_IN_STOCK: "A sold-out SKU's available stock rose above zero again (a restock, a cancel, a return), once per crossing.",
    EventType.CODE_POOL_LOW: "A delivery of virtual goods took a SKU's code pool from above its alert level (the SKU's virtual.lowPoolThreshold) to at or under it, in the delivery's transaction: once per crossing. Staff upload more codes before the pool runs dry.",
}

EXAMPLES: dict[EventType, Callable[[], OutboxEvent]] = {
    EventType.ORDER_PLACED: lambda: events.order_placed(ORDER, line_count=2, lines=LINES),
    EventType.ORDER_PAID: lambda: events.order_paid(
        ORDER, payment_id="PA01JDX8R0S2T4V6W8X0Y2Z4A6B8", method="alipay", payment_attempts=1, lines=LINES
    ),
    EventType.ORDER_ON_HOLD: lambda: events.order_on_hold(
        ORDER,
        hold={
            "kind": "anomaly",
            "reason": "amount_mismatch",
            "by": "provider:wechat",
            "at": "2026-12-01T09:00:00Z",
            "fromStatus": "PENDING_PAYMENT",
        },
    ),
    EventType.ORDER_HOLD_RELEASED: lambda: events.order_hold_released(
        {**ORDER, "status": "ON_HOLD"},
        payment_deadline="2026-12-01T09:30:00Z",
        outstanding=Money(900, "CNY"),
        anomaly_id="AN01JDX9C4E6G8J0L2N4Q6S8U0W2",
    ),
    EventType.ORDER_CANCELLED: lambda: events.order_cancelled(
        ORDER,
        OrderStatus.CANCELLED,
        cancellation={
            "by": "system",
            "role": "system",
            "reason": "payment deadline passed",
            "at": "2026-12-01T08:30:01.000Z",
        },
    ),
    EventType.ORDER_SHIPPED: lambda: events.order_shipped(
        _PAID,
        OrderStatus.SHIPPED,
        child_order_id=_CHILD,
        shipment_id="SH01JDX9K2M4P6R8T0V2X4Z6B8D0",
        carrier="sf",
        tracking_number="SF1234567890",
        lines={1: 1, 2: 2},
    ),
    EventType.CHILD_ORDER_DELIVERED: lambda: events.child_order_delivered(
        {**_PAID, "status": "SHIPPED"},
        OrderStatus.DELIVERED,
        child_order_id=_CHILD,
        shipment_id="SH01JDX9K2M4P6R8T0V2X4Z6B8D0",
    ),
    EventType.CHILD_ORDER_CANCELLED: lambda: events.child_order_cancelled(
        _PAID, OrderStatus.PAID, child_order_id=_CHILD, how="intercepted", refund=_CNY
    ),
    EventType.ORDER_DELIVERED: lambda: events.order_delivered(
        {**_PAID, "status": "SHIPPED"}, delivered_at="2026-12-03T10:00:00.000Z", auto_confirm_at="2026-12-13T10:00:00Z"
    ),
    EventType.ORDER_COMPLETED: lambda: events.order_completed({**_PAID, "status": "DELIVERED"}, points_earned=258),
    EventType.ORDER_CLOSED: lambda: events.order_closed({**_PAID, "status": "COMPLETED"}, reason="fully refunded"),
    EventType.PAYMENT_ANOMALY: lambda: events.payment_anomaly(
        {**ORDER, "status": "CANCELLED"},
        anomaly_id="AN01JDX9C4E6G8J0L2N4Q6S8U0W2",
        anomaly_type="PAID_AFTER_CANCEL",
        anomaly_status="REFUNDING",
        payment_id="PA01JDX8R0S2T4V6W8X0Y2Z4A6B8",
        expected=Money(25800, "CNY"),
        received=Money(25800, "CNY"),
        refund={
            "refundId": "RF01JDX9D5F7H9K1M3P5R7T9V1X3",
            "status": "PENDING",
            "amount": {"amount": 25800, "currency": "CNY"},
        },
        note="paid after the order was cancelled: refunded in full",
    ),
    EventType.REFUND_SUCCEEDED: lambda: events.refund_succeeded(REFUND, anomaly_type=None),
    EventType.REFUND_FAILED: lambda: events.refund_failed(
        REFUND, status="FAILED", error="ACQ.TRADE_HAS_CLOSE: the trade is closed", retried=False
    ),
    EventType.CASE_OPENED: lambda: events.case_opened(CASE, status="REQUESTED", step="decision"),
    EventType.CASE_UPDATED: lambda: events.case_updated(
        CASE,
        status="AWAITING_RETURN",
        step="return",
        action="approve",
        from_status="REQUESTED",
        by="support-1",
        role="support",
    ),
    EventType.EXPORT_REQUESTED: lambda: events.export_requested(
        "EX01JDXC4F6H8K0M2P4R6T8V0X2Z", export_format="xlsx", created_by="finance-1", role="finance"
    ),
    EventType.CASE_OVERDUE: lambda: events.case_overdue(
        CASE, status="REQUESTED", step="decision", deadline="2026-12-03T08:00:00Z", action="escalate"
    ),
    EventType.PAYMENT_REMINDER_DUE: lambda: events.payment_reminder_due(ORDER),
    EventType.MANUAL_ORDER_CREATED: lambda: events.manual_order_created(
        ORDER,
        payment_mode="online",
        payment_link=f"https://shop.example.com/orders/{ORDER['orderId']}/pay",
        created_by="support-1",
        role="support",
    ),
    EventType.PRODUCT_CHANGED: lambda: events.product_changed("01JDXA0PRODUCTEXAMPLE0001", ["SKU-TEE-M"]),
    EventType.ORDER_EDITED: lambda: events.order_edited(
        ORDER, changes=["items", "address"], previous_total=Money(27800, "CNY"), edited_by="support-1", role="support"
    ),
    EventType.CATEGORY_MOVED: lambda: events.category_moved(
        "demo",
        "01JDXD0C2E4G6J8M0P2R4T6W8Y",
        from_path="/01JDXD0A0C2E4G6J8M0P2R4T6W/01JDXD0C2E4G6J8M0P2R4T6W8Y/",
        to_path="/01JDXD0B1D3F5H7K9N1Q3S5V7X/01JDXD0C2E4G6J8M0P2R4T6W8Y/",
        by="admin-1",
    ),
    EventType.CATEGORY_DELETED: lambda: events.category_deleted(
        "demo",
        "01JDXD0C2E4G6J8M0P2R4T6W8Y",
        path="/01JDXD0A0C2E4G6J8M0P2R4T6W/01JDXD0C2E4G6J8M0P2R4T6W8Y/",
        reassign_to="01JDXD0B1D3F5H7K9N1Q3S5V7X",
        products=42,
        by="admin-1",
    ),
    EventType.LOW_STOCK: lambda: events.low_stock(_SKU, available=4, threshold=5, movement=_MOVE),
    EventType.SKU_SOLD_OUT: lambda: events.sku_sold_out(_SKU, available=0, threshold=5, movement=_MOVE),
    EventType.SKU_BACK_IN_STOCK: lambda: events.sku_back_in_stock(
        _SKU, available=20, threshold=5, movement={**_MOVE, "kind": "adjustment", "by": "warehouse-1"}
    ),
    EventType.CODE_POOL_LOW: lambda: events.code_pool_low(
        "GIFT-100", "demo", name="Gift card 100", available=9, threshold=10
    ),
}

# What the after-commit function (the table's stream) does with an event, besides the bus's consumers.
AFTER_COMMIT: dict[str, str] = {
    "OrderPlaced": "arms the payment timer",
    "OrderHoldReleased": "re-arms the payment timer (when it carries a payment deadline)",
    "OrderDelivered": "arms the auto-confirm timer",
    "OrderCancelled": (
        "closes open payment attempts at the providers, settles refunds; a channel order leaves its store's "
        "unsettled list"
    ),
    "OrderCompleted": "a channel order leaves its store's unsettled list",
    "OrderClosed": (
        "revokes the vouchers of refunded virtual goods; a channel order leaves its store's unsettled list"
    ),
    "ChildOrderCancelled": "settles the child's refunds",
    "PaymentAnomaly": "settles the refund that sends the money back",
    "CaseOpened": "starts the case's flow; the vouchers of the lines it covers wait for it",
    "CaseUpdated": "resumes the case's flow; vouchers return when it ends without a refund",
    "RefundSucceeded": "settles the case the refund belongs to; revokes the vouchers of refunded virtual goods",
    "ExportRequested": "starts the export's job",
    "CategoryMoved": "re-files the moved subtree's products at their new paths (page by page)",
    "CategoryDeleted": "re-files the deleted category's products in its target, then forgets the category",
    "OrderPaid": "adds the units paid to each product's sales counter (product search's sort by sales)",
    "ProductChanged": "rewrites the product's search entries in the table",
}


def delivered(example: OutboxEvent, event_id: str = "01JDX8Q6P0EVENTEXAMPLE00001") -> dict[str, Any]:
    """The example as a rule's target receives it (oms.adapters.outbox.outbox_entry, then EventBridge)."""
    detail = {**example.detail, "eventId": event_id, "occurredAt": example.detail.get("updatedAt", ORDER["createdAt"])}
    return {
        "version": "0",
        "id": "6f1c3a52-2d0e-4f4e-9b8a-3f7d2c1e0a9b",
        "detail-type": example.type.value,
        "source": "oms",
        "account": "123456789012",
        "time": str(detail["occurredAt"])[:19] + "Z",
        "region": "eu-west-1",
        "resources": [],
        "detail": detail,
    }


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return f"array of {_json_type(value[0])}" if value else "array"
    if isinstance(value, dict):
        return "money" if set(value) == {"amount", "currency"} else "object"
    return type(value).__name__


def fields(detail: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for key, value in detail.items():
        path = f"{prefix}{key}"
        rows.append((path, _json_type(value)))
        if isinstance(value, dict) and _json_type(value) == "object":
            rows += fields(value, f"{path}.")
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            rows += fields(value[0], f"{path}[].")
    return rows


def consumers(template_path: Path) -> dict[str, list[str]]:
    """Detail type -> the functions (or state machines) whose EventBridge rules on the oms source match it."""
    template = load_template(template_path)
    targets = {spec.arn: spec.name for spec in template.functions.values()}
    found: dict[str, list[str]] = {}
    for rule in template.rules:
        pattern = rule.event_pattern or {}
        if "oms" not in pattern.get("source", []):
            continue
        names = [targets.get(t.arn, t.arn.rsplit(":", 1)[-1]) for t in rule.targets]
        for detail_type in pattern.get("detail-type", [t.value for t in EventType]):
            found.setdefault(str(detail_type), []).extend(n.removeprefix(f"{template.stack_name}-") for n in names)
    return {key: sorted(set(value)) for key, value in found.items()}


def render(template_path: Path) -> str:
    missing = sorted(
        {t.value for t in EventType} - {t.value for t in WHEN}
        | {t.value for t in EventType} - {t.value for t in EXAMPLES}
    )
    if missing:
        raise SystemExit(f"events_doc: no WHEN/EXAMPLES entry for {missing} (local/events_doc.py)")
    readers = consumers(template_path)
    out = [
        "# Events",
        "",
        "<!-- Generated by `python -m oms_local.events_doc` from oms/domain/events.py and template.yaml; do not edit. -->",
        "",
        "Every state change writes its event as an outbox row in the same DynamoDB transaction; the outbox relay",
        "(`functions/outbox_relay`) publishes it on the stack's EventBridge bus (`<stack>-bus`) with source `oms`",
        "and the detail type below. The detail is the event's facts plus `eventId` (the outbox row's id: the same",
        "on every delivery, redrives included) and `occurredAt` (when the change committed). Money is",
        '`{"amount": <integer minor units>, "currency": "<ISO 4217>"}`; times are RFC 3339 UTC.',
        "",
        "Delivery is at least once and in no particular order. Every consumer is an EventBridge rule in",
        "`template.yaml` whose Lambda target applies an event once, by its `eventId`, with an inbox row written in",
        "the same transaction as its changes (`oms.services.consumers`). A failed invoke is retried by Lambda",
        "(`EventInvokeConfig`, twice), an invoke EventBridge could not make is retried by EventBridge (`RetryPolicy`);",
        "then the event lands in the consumer's SQS dead-letter queue, where an alarm fires and `oms-dlq` lists it",
        "and redrives it (below). The local stack delivers the same rules the same way, retries seconds apart.",
        "",
        "## Dead letters: list and redrive",
        "",
        "```sh",
        "oms-dlq --local queues                          # every consumer's queue and its depth (oms-local running)",
        "oms-dlq --local list statistics                 # what sits in one consumer's queue: detail type, eventId, error",
        "oms-dlq --local redrive statistics              # run the consumer again on each; delete what it took",
        "oms-dlq --stack-name oms-prod redrive notifications --event-id 01J...   # on AWS, only this event",
        "```",
        "",
        "A redrive invokes the consumer synchronously and deletes a message only if it succeeded; one that fails",
        "again stays, with its error printed. The outbox relay's own queue (events that could not be published)",
        "has its own tool, `oms-outbox-dlq` (docs/operations.md).",
        "",
        "## Catalogue",
        "",
        "| Detail type | When | Read by |",
        "|---|---|---|",
    ]
    for type_ in EventType:
        readers_of = [f"`{name}`" for name in readers.get(type_.value, [])]
        if type_.value in AFTER_COMMIT:
            readers_of.append(f"after-commit: {AFTER_COMMIT[type_.value]}")
        out.append(f"| [{type_.value}](#{type_.value.lower()}) | {WHEN[type_]} | {'; '.join(readers_of) or '—'} |")
    for type_ in EventType:
        example = EXAMPLES[type_]()
        if example.type is not type_:
            raise SystemExit(f"events_doc: the example for {type_.value} builds a {example.type.value}")
        event = delivered(example)
        out += ["", f"### {type_.value}", "", WHEN[type_], "", "| Field | Type |", "|---|---|"]
        out += [f"| `{path}` | {kind} |" for path, kind in fields(event["detail"])]
        out += ["", "```json", json.dumps(event, indent=2, ensure_ascii=False), "```"]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    status: int = write_or_check("oms_local.events_doc", __doc__.split("\n\n")[0], "docs/events.md", render, argv)
    return status


if __name__ == "__main__":
    sys.exit(main())
