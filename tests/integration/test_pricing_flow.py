"""Promotions, coupons and points through the local stack over HTTP, with real threads racing.

Every rule here is scoped to SKUs made for the test, so the shared demo store's other orders are
untouched. Set-up goes through the admin routes (with their audit entries), checkout through
POST /orders, exactly as a shop would use them.
"""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from local.stack import LocalStack
from tests.helpers.flows import ADDRESS, new_sku

pytestmark = pytest.mark.integration

WINDOW = {"startsAt": "2020-01-01T00:00:00Z", "endsAt": None}
POINTS = {
    "CNY": {
        "redeemRate": {"points": 100, "value": {"amount": 100, "currency": "CNY"}},
        "capBps": 5000,
        "earnRate": {"points": 1, "value": {"amount": 100, "currency": "CNY"}},
    }
}


def cny(amount: int) -> dict[str, Any]:
    return {"amount": amount, "currency": "CNY"}


def admin(stack: LocalStack) -> str:
    return stack.mint_token("it-admin", ["admin"])


def points_programme(stack: LocalStack, http: Any) -> None:
    token = admin(stack)
    current = http.get("/settings/points-rules", token=token)
    assert current.status == 200, current.text
    headers = {"If-Match": current.headers["ETag"]} if current.headers.get("ETag") else {}
    response = http.put("/settings/points-rules", token=token, json={"programmes": POINTS}, headers=headers)
    assert response.status == 200, response.text


def give_points(stack: LocalStack, http: Any, customer_id: str, points: int) -> None:
    response = http.post(
        f"/customers/{customer_id}/points/adjustments",
        token=admin(stack),
        json={"delta": points, "reason": "integration test grant"},
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert response.status in (200, 201), response.text


def points_of(stack: LocalStack, http: Any, customer_id: str) -> int:
    response = http.get(f"/customers/{customer_id}/points", token=admin(stack))
    assert response.status == 200, response.text
    return int(response.json()["available"])


def spend_and_save(stack: LocalStack, http: Any, sku_ids: list[str]) -> str:
    body = {
        "kind": "spend_and_save",
        "name": "Spend 200 save 50",
        "rule": {"tiers": [{"threshold": cny(20000), "off": cny(5000)}]},
        "scope": {"storeId": "demo", "skuIds": sku_ids},
        "window": WINDOW,
    }
    response = http.post("/promotions", token=admin(stack), json=body)
    assert response.status == 201, response.text
    return str(response.json()["promotionId"])


def coupon_template(stack: LocalStack, http: Any, sku_ids: list[str], **limits: int) -> str:
    body = {
        "kind": "amount_off",
        "name": "10.00 off over 100.00",
        "benefit": {"amount": cny(1000)},
        "scope": {"storeId": "demo", "skuIds": sku_ids},
        "window": WINDOW,
        "minSpend": cny(10000),
        **limits,
    }
    response = http.post("/coupon-templates", token=admin(stack), json=body)
    assert response.status == 201, response.text
    return str(response.json()["templateId"])


def issue(stack: LocalStack, http: Any, template_id: str, **body: Any) -> list[dict[str, Any]]:
    response = http.post(f"/coupon-templates/{template_id}/coupons", token=admin(stack), json=body)
    assert response.status == 201, response.text
    return list(response.json()["coupons"])


def checkout(http: Any, token: str, sku_id: str, quantity: int, **options: Any) -> Any:
    return http.post(
        "/orders",
        token=token,
        headers={"Idempotency-Key": str(uuid.uuid4())},
        json={"lines": [{"skuId": sku_id, "quantity": quantity}], "shippingAddress": ADDRESS, **options},
    )


def test_seed_example_through_the_stack_and_cancel_gives_everything_back(
    stack: LocalStack, http: Any, long_payment_timeout: None
) -> None:
    sku = new_sku(stack, http, stock=10, price=10000)
    points_programme(stack, http)
    spend_and_save(stack, http, [sku])
    template = coupon_template(stack, http, [sku], perCustomerLimit=1)
    customer = f"it-seed-{uuid.uuid4().hex[:8]}"
    token = stack.mint_token(customer, ["customer"])
    give_points(stack, http, customer, 1000)
    code = issue(stack, http, template, customerIds=[customer])[0]["code"]

    options = {"coupons": [code], "points": 500}
    quote = http.post("/orders/quote", token=token, json={"lines": [{"skuId": sku, "quantity": 2}], **options})
    assert quote.status == 200, quote.text
    placed = checkout(http, token, sku, 2, **options)
    assert placed.status == 201, placed.text
    order = placed.json()
    assert order["breakdown"]["total"] == cny(13500)
    assert order["breakdown"] == quote.json()["breakdown"]
    assert points_of(stack, http, customer) == 500
    mine = http.get("/coupons", token=token).json()["items"]
    assert [(c["code"], c["status"]) for c in mine] == [(code, "USED")]

    cancelled = http.post(f"/orders/{order['orderId']}/cancel", token=token)
    assert cancelled.status == 200, cancelled.text
    assert points_of(stack, http, customer) == 1000
    mine = http.get("/coupons", token=token).json()["items"]
    assert [(c["code"], c["status"]) for c in mine] == [(code, "AVAILABLE")]


def test_one_coupon_ten_concurrent_checkouts_one_wins(stack: LocalStack, http: Any, long_payment_timeout: None) -> None:
    sku = new_sku(stack, http, stock=50, price=10000)
    template = coupon_template(stack, http, [sku])
    customer = f"it-race-{uuid.uuid4().hex[:8]}"
    token = stack.mint_token(customer, ["customer"])
    code = issue(stack, http, template, customerIds=[customer])[0]["code"]
    start = threading.Barrier(10)

    def attempt(_: int) -> tuple[int, Any]:
        start.wait()
        response = checkout(http, token, sku, 2, coupons=[code])
        return response.status, response.json()

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(attempt, range(10)))
    statuses = sorted(status for status, _ in results)
    assert statuses.count(201) == 1, results
    refused = [body for status, body in results if status != 201]
    assert all(body["type"] == "urn:oms:problem:coupon-not-applicable" for body in refused), refused
    assert all(body["reason"] == "coupon-used" for body in refused), refused
    template_view = http.get(f"/coupon-templates/{template}", token=admin(stack)).json()
    assert template_view["used"] == 1
    assert int(http.get(f"/skus/{sku}").json()["available"]) == 48


def test_public_code_with_a_total_limit_under_a_crowd(stack: LocalStack, http: Any, long_payment_timeout: None) -> None:
    """Twelve shoppers race for a public code limited to 3 uses: exactly 3 orders get it."""
    sku = new_sku(stack, http, stock=50, price=10000)
    template = coupon_template(stack, http, [sku], totalLimit=3)
    code = f"IT{uuid.uuid4().hex[:8].upper()}"
    issue(stack, http, template, publicCode=code)
    tokens = [stack.mint_token(f"it-crowd-{uuid.uuid4().hex[:6]}", ["customer"]) for _ in range(12)]
    start = threading.Barrier(12)

    def attempt(i: int) -> tuple[int, Any]:
        start.wait()
        response = checkout(http, tokens[i], sku, 1, coupons=[code])
        return response.status, response.json()

    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(attempt, range(12)))
    assert [status for status, _ in results].count(201) == 3, results
    assert {body["reason"] for status, body in results if status != 201} == {"coupon-limit-reached"}
    assert http.get(f"/coupon-templates/{template}", token=admin(stack)).json()["used"] == 3


def test_points_never_go_negative_when_one_shopper_races_themselves(
    stack: LocalStack, http: Any, long_payment_timeout: None
) -> None:
    """1000 points and eight checkouts at once, each using 500: at most two succeed."""
    sku = new_sku(stack, http, stock=50, price=10000)
    points_programme(stack, http)
    customer = f"it-points-{uuid.uuid4().hex[:8]}"
    token = stack.mint_token(customer, ["customer"])
    give_points(stack, http, customer, 1000)
    start = threading.Barrier(8)

    def attempt(_: int) -> tuple[int, Any]:
        start.wait()
        response = checkout(http, token, sku, 1, points=500)
        return response.status, response.json()

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(attempt, range(8)))
    won = [body for status, body in results if status == 201]
    assert len(won) == 2, results
    assert {body["reason"] for status, body in results if status != 201} == {"points-insufficient"}
    assert points_of(stack, http, customer) == 0
