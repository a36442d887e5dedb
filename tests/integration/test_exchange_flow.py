"""An exchange through the local stack over HTTP, with the case state machine running for real: a tee
returned for a dearer variant of the same product (request → approve → return shipped → delivered to the
warehouse by the carrier's callback → inspected → the flow's exchange task makes the replacement child,
held for its price difference → the shopper pays the difference through the Alipay sandbox → the
replacement is released, shipped through fulfilment → the case resolves and the flow ends)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from local.stack import LocalStack
from tests.helpers.flows import (
    admin,
    carrier_event,
    case_of,
    delivered_order,
    execution,
    order,
    start_payment,
)

pytestmark = pytest.mark.integration


def variant_of(stack: LocalStack, http: Any, sku_id: str, price: int) -> str:
    """Another SKU of `sku_id`'s product, at `price`."""
    found = http.get(f"/skus/{sku_id}", token=admin(stack))
    assert found.status == 200, found.text
    sku = found.json()
    variant = f"{sku_id}-XL"
    body = {
        "skuId": variant,
        "name": "XL",
        "price": {"amount": price, "currency": "CNY"},
        "stock": 5,
        "warehouseId": sku["warehouseId"],
        "weightGrams": 100,
    }
    added = http.post(f"/products/{sku['productId']}/skus", token=admin(stack), json=body)
    assert added.status == 201, added.text
    return variant


def test_an_exchange_for_a_dearer_variant_is_paid_shipped_and_resolved(
    stack: LocalStack, http: Any, eventually: Any
) -> None:
    token, placed, child = delivered_order(stack, http)
    order_id = placed["orderId"]
    returned_sku = placed["lines"][0]["skuId"]
    dearer = variant_of(stack, http, returned_sku, 5900)
    support = stack.mint_token("it-support", ["support"])
    warehouse = stack.mint_token("it-warehouse", ["warehouse"])
    body = {
        "childOrderId": child,
        "type": "exchange",
        "lines": [{"lineNo": 1, "quantity": 1}],
        "reason": "size_or_fit",
        "replacements": [{"lineNo": 1, "skuId": dearer}],
    }
    opened = http.post(
        f"/orders/{order_id}/after-sales", token=token, headers={"Idempotency-Key": str(uuid.uuid4())}, json=body
    )
    assert opened.status == 201, opened.text
    case_id = opened.json()["caseId"]
    eventually(lambda: (execution(stack, case_id) or {}).get("status") == "RUNNING")
    assert http.post(f"/after-sales/{case_id}/approve", token=support, json={}).status == 200
    tracking = f"SF{uuid.uuid4().hex[:10].upper()}"
    shipped = http.post(
        f"/after-sales/{case_id}/return-shipment", token=token, json={"carrier": "sf", "trackingNumber": tracking}
    )
    assert shipped.status == 200, shipped.text
    carrier_event(http, tracking, "DELIVERED")
    verdict = {"lines": [{"lineNo": 1, "restockable": 1, "damaged": 0}]}
    inspected = http.post(f"/after-sales/{case_id}/inspect", token=warehouse, json=verdict)
    assert inspected.status == 200 and inspected.json()["status"] == "EXCHANGING", inspected.text

    # The flow's exchange task makes the replacement and waits for the difference.
    waiting = eventually(lambda: (c := case_of(http, token, case_id))["waitingFor"] == "difference" and c, timeout=30)
    replacement = waiting["replacement"]
    assert replacement["difference"] == {"amount": 1000, "currency": "CNY"}
    assert order(http, token, order_id)["payment"]["outstanding"] == {"amount": 1000, "currency": "CNY"}

    attempt = start_payment(http, token, order_id, "alipay")
    stack.sandbox_pay(attempt["paymentId"])
    eventually(lambda: case_of(http, token, case_id)["waitingFor"] == "replacement", timeout=30)
    money = order(http, token, order_id)["payment"]
    assert money["outstanding"]["amount"] == 0 and money["refunded"]["amount"] == 0

    sent = http.post(
        f"/orders/{replacement['childOrderId']}/shipments",
        token=warehouse,
        json={"carrier": "sf", "trackingNumber": f"SF{uuid.uuid4().hex[:10].upper()}"},
    )
    assert sent.status == 201, sent.text
    resolved = eventually(lambda: (c := case_of(http, token, case_id))["status"] == "RESOLVED" and c, timeout=30)
    assert resolved["decisions"][-1]["action"] == "replaced"
    assert eventually(lambda: (execution(stack, case_id) or {}).get("status") == "SUCCEEDED", timeout=30)
    assert order(http, token, order_id)["status"] in ("DELIVERED", "COMPLETED")  # never back to SHIPPED
