"""Seed 003's splitting limits through the local stack over HTTP: a carrier's parcel weight limit packs a
heavy child into parcels that ship one by one, and the yearly cross-border allowance of 26,000 CNY refuses
the checkout that would pass it (also when two race for the last of it), and a cancel gives it back."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from local.stack import LocalStack
from tests.helpers.flows import ADDRESS, admin, order, product, start_payment

pytestmark = pytest.mark.integration


def checkout(http: Any, token: str, sku_id: str, quantity: int) -> Any:
    return http.post(
        "/orders",
        token=token,
        headers={"Idempotency-Key": str(uuid.uuid4())},
        json={"lines": [{"skuId": sku_id, "quantity": quantity}], "shippingAddress": ADDRESS},
    )


@pytest.fixture
def carriers(stack: LocalStack, http: Any) -> Iterator[None]:
    token = admin(stack)
    body = {"carriers": [{"code": "ems", "parcelWeightLimitGrams": 2000}], "defaultCarrier": "ems", "reason": "it"}
    response = http.put("/settings/carriers", token=token, json=body)
    assert response.status == 200, response.text
    yield
    assert http.put("/settings/carriers", token=token, json={"carriers": []}).status == 200  # as before


def test_a_heavy_child_ships_in_parcels_under_the_carriers_limit(
    stack: LocalStack, http: Any, carriers: None, long_payment_timeout: None
) -> None:
    heavy = product(stack, http, "demo", "WH-SH", 1000, weightGrams=900, stock=20)
    token = stack.mint_token(f"it-parcels-{uuid.uuid4().hex[:8]}", ["customer"])
    placed = checkout(http, token, heavy, 5)
    assert placed.status == 201, placed.text
    order_id = placed.json()["orderId"]
    payment = start_payment(http, token, order_id, "alipay")
    stack.sandbox_pay(payment["paymentId"])
    paid = order(http, token, order_id)
    assert paid["status"] == "PAID", paid
    (child,) = paid["children"]
    assert [(p["weightGrams"], p["lines"][0]["quantity"]) for p in child["parcels"]] == [(1800, 2), (1800, 2), (900, 1)]
    warehouse = stack.mint_token("it-warehouse", ["warehouse"])
    for parcel in child["parcels"]:
        body = {"carrier": "ems", "trackingNumber": f"EMS{uuid.uuid4().hex[:10]}", "parcelNo": parcel["parcelNo"]}
        shipped = http.post(f"/orders/{child['childOrderId']}/shipments", token=warehouse, json=body)
        assert shipped.status == 201, shipped.text
        assert shipped.json()["parcelNo"] == parcel["parcelNo"]
    done = order(http, token, order_id)
    assert done["status"] == "SHIPPED"
    assert all(p["shipmentId"] for p in done["children"][0]["parcels"])


def test_the_yearly_cross_border_limit_refuses_past_it_and_a_cancel_gives_it_back(
    stack: LocalStack, http: Any, long_payment_timeout: None
) -> None:
    watch = product(stack, http, "demo", "WH-BONDED", 400000, crossBorder=True, stock=40)
    token = stack.mint_token(f"it-cb-{uuid.uuid4().hex[:8]}", ["customer"])
    first = checkout(http, token, watch, 6)  # 24,000 CNY and shipping, in children of 4,000 each
    assert first.status == 201, first.text
    allowance = first.json()["crossBorderAllowance"]
    assert allowance["limit"] == {"amount": 2_600_000, "currency": "CNY"}
    left = 2_600_000 - allowance["amount"]["amount"]
    refused = checkout(http, token, watch, 1)
    assert refused.status == 422, refused.text
    problem = refused.json()
    assert problem["type"] == "urn:oms:problem:cross-border-yearly-limit"
    assert problem["remaining"] == {"amount": left, "currency": "CNY"}
    cancelled = http.post(f"/orders/{first.json()['orderId']}/cancel", token=token, json={"reason": "too much"})
    assert cancelled.status == 200, cancelled.text
    assert checkout(http, token, watch, 1).status == 201


def test_two_racing_checkouts_cannot_both_use_the_last_of_the_allowance(
    stack: LocalStack, http: Any, long_payment_timeout: None
) -> None:
    watch = product(stack, http, "demo", "WH-BONDED", 400000, crossBorder=True, stock=40)
    token = stack.mint_token(f"it-cb-race-{uuid.uuid4().hex[:8]}", ["customer"])
    start = threading.Barrier(2)

    def shop(_: int) -> tuple[int, Any]:
        start.wait()
        response = checkout(http, token, watch, 4)  # 16,000 CNY each: one fits, not both
        return response.status, response.json()

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(shop, range(2)))
    assert sorted(status for status, _ in results) == [201, 422], results
    loser = next(body for status, body in results if status == 422)
    assert loser["type"] == "urn:oms:problem:cross-border-yearly-limit"
    stock = http.get(f"/skus/{watch}").json()
    assert stock["available"] == 36  # only the winner's four are reserved
