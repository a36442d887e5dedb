"""Fulfilment through the local stack over HTTP: a multi-merchant, multi-warehouse cart checks out, pays
once (Alipay sandbox), ships in parcels (one batch call), is tracked through the carrier sandbox's signed
callbacks, and completes by the auto-confirm state machine; and a paid child is intercepted in the
warehouse and refunded through the provider, while a handed-over one cannot be cancelled."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from local.stack import LocalStack
from tests.helpers.flows import ADDRESS, admin, order, product, start_payment

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def north(stack: LocalStack, http: Any) -> str:
    store = {"name": "North", "currency": "CNY", "shippingFee": {"amount": 800, "currency": "CNY"}}
    response = http.put("/stores/it-north", token=admin(stack), json=store)
    assert response.status in (200, 201), response.text
    return "it-north"


def paid_order(stack: LocalStack, http: Any, skus: list[str]) -> tuple[str, dict[str, Any]]:
    token = stack.mint_token(f"it-ship-{uuid.uuid4().hex[:8]}", ["customer"])
    placed = http.post(
        "/orders",
        token=token,
        headers={"Idempotency-Key": str(uuid.uuid4())},
        json={"lines": [{"skuId": s, "quantity": 1} for s in skus], "shippingAddress": ADDRESS},
    )
    assert placed.status == 201, placed.text
    order_id = placed.json()["orderId"]
    payment = start_payment(http, token, order_id, "alipay")
    stack.sandbox_pay(payment["paymentId"])
    paid = order(http, token, order_id)
    assert paid["status"] == "PAID", paid
    return token, paid


def carrier_event(http: Any, tracking: str, status: str) -> None:
    response = http.post("/_local/sandbox/carriers/sf/events", json={"trackingNumber": tracking, "status": status})
    assert response.status == 200, response.text
    assert [d["status"] for d in response.json()["deliveries"]] == [204]


def test_two_merchants_three_parcels_one_payment_tracked_to_completion(
    stack: LocalStack, http: Any, north: str, eventually: Any, long_payment_timeout: None
) -> None:
    tee = product(stack, http, "demo", "WH-SH", 4900)
    vase = product(stack, http, "demo", "WH-SH", 3000, handling="fragile")
    lamp = product(stack, http, north, "WH-BJ", 6000)
    token, paid = paid_order(stack, http, [tee, vase, lamp])
    children = paid["children"]
    assert [(c["storeId"], c["warehouseId"], c["handling"]) for c in children] == [
        ("demo", "WH-SH", "normal"),
        ("demo", "WH-SH", "fragile"),
        (north, "WH-BJ", "normal"),
    ]
    assert paid["payment"]["received"] == paid["breakdown"]["total"]  # one payment for all three

    warehouse = stack.mint_token("it-warehouse", ["warehouse"])
    numbers = [f"SF{uuid.uuid4().hex[:10].upper()}" for _ in children]
    items = [
        {"childOrderId": c["childOrderId"], "carrier": "sf", "trackingNumber": n}
        for c, n in zip(children, numbers, strict=True)
    ]
    batch = http.post("/shipments/batch", token=warehouse, json={"items": items})
    assert batch.status == 200 and batch.json()["succeeded"] == 3, batch.text
    assert order(http, token, paid["orderId"])["status"] == "SHIPPED"

    for number in numbers:
        carrier_event(http, number, "IN_TRANSIT")
    for number in numbers[:2]:
        carrier_event(http, number, "DELIVERED")
    assert order(http, token, paid["orderId"])["status"] == "SHIPPED"
    carrier_event(http, numbers[2], "DELIVERED")
    delivered = order(http, token, paid["orderId"])
    assert delivered["status"] == "DELIVERED" and delivered["autoConfirmAt"]
    tracking = http.get(f"/orders/{paid['orderId']}/shipments", token=token).json()["items"]
    assert [[e["status"] for e in parcel["tracking"]] for parcel in tracking] == [
        ["SHIPPED", "IN_TRANSIT", "DELIVERED"]
    ] * 3

    # AutoConfirmDays=3 in this stack: three seconds later the state machine completes the order.
    completed = eventually(
        lambda: (o := order(http, token, paid["orderId"]))["status"] == "COMPLETED" and o, timeout=30
    )
    assert [c["status"] for c in completed["children"]] == ["COMPLETED"] * 3
    assert completed["history"][-1]["by"] == "auto-confirm"


def test_a_released_child_is_intercepted_and_refunded_through_the_provider(
    stack: LocalStack, http: Any, north: str, long_payment_timeout: None
) -> None:
    tee = product(stack, http, "demo", "WH-SH", 4900)
    lamp = product(stack, http, north, "WH-BJ", 6000)
    token, paid = paid_order(stack, http, [tee, lamp])
    first, second = (c["childOrderId"] for c in paid["children"])
    warehouse = stack.mint_token("it-warehouse", ["warehouse"])
    for child in (first, second):
        assert http.post(f"/orders/{child}/release", token=warehouse).status == 200
    hand_over = http.post(f"/_local/sandbox/warehouse/{second}/hand-over")
    assert hand_over.status == 200, hand_over.text

    cancelled = http.post(f"/orders/{first}/cancel", token=token, json={"reason": "ordered the wrong size"})
    assert cancelled.status == 200, cancelled.text
    body = cancelled.json()
    assert body["cancelledChildren"] == [first] and body["children"][0]["status"] == "CANCELLED"
    refund_amount = body["children"][0]["total"]
    assert body["payment"]["refunded"] == refund_amount  # refunded through the Alipay sandbox
    assert [r["status"] for r in body["payment"]["refunds"]] == ["SUCCEEDED"]
    assert http.get(f"/_local/sandbox/warehouse/{first}").json()["intercepted"] is True

    refused = http.post(f"/orders/{second}/cancel", token=token)
    assert refused.status == 409 and refused.json()["type"] == "urn:oms:problem:already-shipped"
    assert "interception failed" in order(http, token, paid["orderId"])["history"][-1]["reason"]
