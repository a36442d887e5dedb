"""The events catalogue (oms.domain.events): every detail type has its constructor, and order events
carry the order's summary with the status the change moves it to."""

from __future__ import annotations

import inspect

from oms.domain import events
from oms.domain.events import EventType, OutboxEvent
from oms.domain.money import Money
from oms.domain.order import OrderStatus

SUMMARY = {"orderId": "o1", "status": "PENDING_PAYMENT", "total": {"amount": 100, "currency": "CNY"}}
REFUND = {"orderId": "o1", "refundId": "RF1", "amount": {"amount": 100, "currency": "CNY"}}
SKU = {"skuId": "K1", "productId": "P1", "storeId": "S1", "name": "Tea 250 g"}
MOVE = {"id": "M1", "kind": "sale", "by": "u1", "ref": {"orderId": "o1"}, "reason": None, "at": "t1"}
CASE = {"caseId": "AS1", "orderId": "o1", "type": "refund_only", "amount": {"amount": 100, "currency": "CNY"}}


def _examples() -> list[OutboxEvent]:
    cny = Money(100, "CNY")
    return [
        events.order_placed(SUMMARY, line_count=2),
        events.order_paid(SUMMARY, payment_id="p1"),
        events.order_on_hold(SUMMARY),
        events.order_hold_released(SUMMARY, payment_deadline="2026-12-01T00:00:00Z", outstanding=cny, anomaly_id="a1"),
        events.order_cancelled(SUMMARY, OrderStatus.CANCELLED, cancellation={"by": "u1"}),
        events.order_shipped(
            SUMMARY,
            OrderStatus.SHIPPED,
            child_order_id="o1-1",
            shipment_id="s1",
            carrier="sf",
            tracking_number="T1",
            lines={2: 1, 1: 3},
        ),
        events.child_order_delivered(SUMMARY, OrderStatus.SHIPPED, child_order_id="o1-1", shipment_id="s1"),
        events.child_order_cancelled(SUMMARY, OrderStatus.PAID, child_order_id="o1-1", how="not released", refund=cny),
        events.order_delivered(SUMMARY, delivered_at="t1", auto_confirm_at="t2"),
        events.order_completed(SUMMARY, points_earned=5),
        events.order_closed(SUMMARY, reason="fully refunded"),
        events.payment_anomaly(
            SUMMARY,
            anomaly_id="a1",
            anomaly_type="AMOUNT_MISMATCH",
            anomaly_status="OPEN",
            payment_id="p1",
            expected=cny,
            received=Money(90, "CNY"),
            refund=None,
            note="n",
        ),
        events.refund_succeeded(REFUND, anomaly_type=None),
        events.refund_failed(REFUND, status="PENDING", error="e", retried=True),
        events.case_opened(CASE, status="REQUESTED", step="decision"),
        events.case_updated(
            CASE, status="REFUNDING", step="refund", action="approve", from_status="REQUESTED", by="s1", role="support"
        ),
        events.export_requested("EX1", export_format="csv", created_by="admin-1", role="admin"),
        events.product_changed("P1", ["S1"]),
        events.case_overdue(CASE, status="REQUESTED", step="decision", deadline="2026-12-01T00:00Z", action="escalate"),
        events.payment_reminder_due(SUMMARY),
        events.manual_order_created(
            SUMMARY, payment_mode="online", payment_link="https://shop/orders/o1/pay", created_by="s1", role="support"
        ),
        events.order_edited(SUMMARY, changes=["items"], previous_total=cny, edited_by="s1", role="support"),
        events.category_moved("demo", "C1", from_path="/C1/", to_path="/C0/C1/", by="admin-1"),
        events.category_deleted("demo", "C1", path="/C1/", reassign_to="C2", products=3, by="admin-1"),
        events.low_stock(SKU, available=3, threshold=5, movement=MOVE),
        events.sku_sold_out(SKU, available=0, threshold=5, movement=MOVE),
        events.sku_back_in_stock(SKU, available=10, threshold=5, movement=MOVE),
        events.code_pool_low("CARD", "demo", name="Card", available=9, threshold=10),
    ]


def test_every_detail_type_has_one_constructor() -> None:
    constructors = [
        f
        for _, f in inspect.getmembers(events, inspect.isfunction)
        if f.__module__ == events.__name__ and not f.__name__.startswith("_")
    ]
    built = _examples()
    assert len(constructors) == len(EventType) == len(built)
    assert sorted(e.type for e in built) == sorted(EventType)


def test_order_events_carry_the_summary_with_the_new_status() -> None:
    paid = events.order_paid(SUMMARY, payment_id="p1")
    assert paid.detail == {**SUMMARY, "status": "PAID", "paymentId": "p1"}
    assert events.order_paid(SUMMARY).detail == {**SUMMARY, "status": "PAID"}
    assert events.order_placed(SUMMARY, line_count=2).detail == {**SUMMARY, "lineCount": 2}
    shipped = events.order_shipped(
        SUMMARY,
        OrderStatus.PARTIALLY_SHIPPED,
        child_order_id="c",
        shipment_id="s",
        carrier="sf",
        tracking_number="T",
        lines={2: 1, 1: 3},
    )
    assert shipped.detail["status"] == "PARTIALLY_SHIPPED"
    assert shipped.detail["lines"] == [{"lineNo": 1, "quantity": 3}, {"lineNo": 2, "quantity": 1}]
    assert SUMMARY["status"] == "PENDING_PAYMENT"  # the summary itself is not changed


def test_the_events_catalogue_is_current_and_names_every_after_commit_action() -> None:
    from oms.wiring import services
    from oms_local import events_doc

    assert events_doc.main(["--check"]) == 0, "run: python -m oms_local.events_doc"
    assert set(events_doc.AFTER_COMMIT) == {str(t) for t in services().after_commit.detail_types}


def test_stock_events_carry_the_sku_its_level_and_the_movement_that_crossed_it() -> None:
    low = events.low_stock(SKU, available=3, threshold=5, movement=MOVE)
    assert low.type is EventType.LOW_STOCK
    assert low.detail == {**SKU, "available": 3, "threshold": 5, "movementId": "M1", "movementKind": "sale"}
