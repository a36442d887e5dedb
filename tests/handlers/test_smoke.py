from __future__ import annotations

from typing import Any

from tests.handlers.conftest import ADDRESS, CUSTOMER, Api


def test_checkout_then_get(seeded: dict[str, Any], orders_api: Api) -> None:
    status, headers, body = orders_api(
        "POST", "/orders", **CUSTOMER, headers={"Idempotency-Key": "k1"},
        body={"lines": [{"skuId": "TEE-M", "quantity": 2}], "shippingAddress": ADDRESS},
    )
    assert status == 201, body
    print(body)
    status, _, got = orders_api("GET", f"/orders/{body['orderId']}", route="GET /orders/{orderId}", **CUSTOMER)
    assert status == 200, got
    assert got == body
