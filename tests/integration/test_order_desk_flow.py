"""The order desk through the local stack over HTTP: support notes a paid order (one note for the
shopper), marks it special, holds it (the warehouse cannot ship it and no longer lists it), releases it,
and a batch flags and notes two orders, one of them missing, replayed with the same key; the shopper reads
only the note meant for them."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from local.stack import LocalStack
from tests.helpers.flows import ADDRESS, order, product, start_payment

pytestmark = pytest.mark.integration


def paid(stack: LocalStack, http: Any, sku: str) -> tuple[str, dict[str, Any]]:
    token = stack.mint_token(f"it-desk-{uuid.uuid4().hex[:8]}", ["customer"])
    placed = http.post(
        "/orders",
        token=token,
        headers={"Idempotency-Key": str(uuid.uuid4())},
        json={"lines": [{"skuId": sku, "quantity": 1}], "shippingAddress": ADDRESS},
    )
    assert placed.status == 201, placed.text
    order_id = placed.json()["orderId"]
    payment = start_payment(http, token, order_id, "alipay")
    stack.sandbox_pay(payment["paymentId"])
    viewed = order(http, token, order_id)
    assert viewed["status"] == "PAID", viewed
    return token, viewed


def test_notes_flags_a_hold_and_a_batch_on_the_stack(stack: LocalStack, http: Any, long_payment_timeout: None) -> None:
    sku = product(stack, http, "demo", "WH-DESK", 4900)
    shopper, placed = paid(stack, http, sku)
    order_id, child = placed["orderId"], placed["children"][0]["childOrderId"]
    support = stack.mint_token("it-desk-support", ["support"])
    warehouse = stack.mint_token("it-desk-warehouse", ["warehouse"])

    told = http.post(
        f"/orders/{order_id}/notes", token=support, json={"text": "Leaves on Monday", "visibility": "shopper"}
    )
    assert told.status == 201, told.text
    call = {"kind": "communication", "channel": "phone", "text": "asked for a Monday delivery"}
    assert http.post(f"/orders/{order_id}/notes", token=support, json=call).status == 201
    mine = http.get(f"/orders/{order_id}/notes", token=shopper).json()["items"]
    assert [(n["text"], "by" in n) for n in mine] == [("Leaves on Monday", False)]
    assert len(http.get(f"/orders/{order_id}/notes", token=support).json()["items"]) == 2

    marked = http.put(f"/orders/{order_id}/flags/special", token=support, json={"reason": "VIP"})
    assert marked.status == 200 and [f["flag"] for f in marked.json()["flags"]] == ["special"], marked.text

    held = http.post(f"/orders/{order_id}/hold", token=support, json={"reason": "address check"})
    assert held.status == 200 and held.json()["hold"]["kind"] == "staff", held.text
    ship = {"carrier": "sf", "trackingNumber": f"SF{uuid.uuid4().hex[:10].upper()}"}
    assert http.post(f"/orders/{child}/shipments", token=warehouse, json=ship).status == 409
    listed = http.get("/warehouses/WH-DESK/child-orders", token=warehouse).json()["items"]
    assert child not in [c["childOrderId"] for c in listed]
    released = http.post(f"/orders/{order_id}/release-hold", token=support, json={"reason": "address fine"})
    assert released.status == 200 and released.json()["status"] == "PAID", released.text
    assert http.post(f"/orders/{child}/shipments", token=warehouse, json=ship).status == 201

    _, other = paid(stack, http, sku)
    missing = "01NOSUCHORDER0000000000000"
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = {"action": "note", "orderIds": [other["orderId"], missing], "note": {"text": "checked in the batch"}}
    first = http.post("/orders/batch", token=support, headers=key, json=body)
    assert first.status == 200, first.text
    assert [(r["status"], r.get("problem", {}).get("status")) for r in first.json()["results"]] == [
        ("succeeded", None),
        ("failed", 404),
    ]
    again = http.post("/orders/batch", token=support, headers=key, json=body)
    assert again.json() == first.json() and again.headers.get("idempotent-replayed") == "true"
    notes = http.get(f"/orders/{other['orderId']}/notes", token=support).json()["items"]
    assert [n["text"] for n in notes] == ["checked in the batch"]
