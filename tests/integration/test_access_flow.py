"""Access through the local stack over HTTP: `POST /_local/token` mints a merchant token scoped to a store
(`stores`, the `custom:stores` claim) and a custom staff role's token (`customRoles`); a two-store order
shows each merchant only its store's part; an admin's grant at `/settings/roles` opens a route at once."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from local.stack import LocalStack
from tests.helpers.flows import ADDRESS, admin, product, start_payment

pytestmark = pytest.mark.integration


def token(http: Any, **body: Any) -> str:
    response = http.post("/_local/token", json=body)
    assert response.status == 200, response.text
    return str(response.json()["token"])


def test_merchants_see_their_stores_part_and_a_custom_role_opens_what_it_holds(
    stack: LocalStack, http: Any, long_payment_timeout: None
) -> None:
    store = {"name": "Access North", "currency": "CNY", "shippingFee": {"amount": 800, "currency": "CNY"}}
    assert http.put("/stores/it-access", token=admin(stack), json=store).status in (200, 201)
    tee = product(stack, http, "demo", "WH-SH", 4900)
    lamp = product(stack, http, "it-access", "WH-BJ", 6000)
    shopper = stack.mint_token(f"it-access-{uuid.uuid4().hex[:8]}", ["customer"])
    placed = http.post(
        "/orders",
        token=shopper,
        headers={"Idempotency-Key": str(uuid.uuid4())},
        json={"lines": [{"skuId": tee, "quantity": 1}, {"skuId": lamp, "quantity": 1}], "shippingAddress": ADDRESS},
    )
    assert placed.status == 201, placed.text
    order_id = placed.json()["orderId"]
    stack.sandbox_pay(start_payment(http, shopper, order_id, "alipay")["paymentId"])

    demo = token(http, sub="it-merchant-demo", roles=["merchant"], stores=["demo"])
    seen = http.get(f"/orders/{order_id}", token=demo)
    assert seen.status == 200, seen.text
    assert [line["skuId"] for line in seen.json()["lines"]] == [tee]
    assert [child["storeId"] for child in seen.json()["children"]] == ["demo"]
    nowhere = token(http, sub="it-merchant-none", roles=["merchant"])
    assert http.get(f"/orders/{order_id}", token=nowhere).status == 404
    north_child = next(c["childOrderId"] for c in placed.json()["children"] if c["storeId"] == "it-access")
    assert http.get(f"/orders/{north_child}", token=demo).status == 404
    assert http.get("/stats/sales", token=demo).json()["store"] == "demo"

    reader = token(http, sub="it-reader", customRoles=["it-order-reader"])
    assert http.get(f"/orders/{order_id}", token=reader).status == 404  # the role is not defined yet
    current = http.get("/settings/roles", token=admin(stack))
    policy = {"customRoles": {"it-order-reader": {"permissions": ["order:read-any"]}}, "reason": "integration"}
    defined = http.put(
        "/settings/roles", token=admin(stack), json=policy, headers={"If-Match": current.headers["etag"]}
    )
    assert defined.status == 200, defined.text
    try:
        assert http.get(f"/orders/{order_id}", token=reader).status == 200
    finally:
        assert http.put("/settings/roles", token=admin(stack), json={"reason": "integration cleanup"}).status == 200
