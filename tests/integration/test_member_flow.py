"""Member tiers and member prices through the local stack over HTTP: an operator sets tiers and a member
price, a new shopper's completed order lifts them to a tier, and their next quote and checkout are priced
for it. The settings are shared by the session, so the test puts back what it found."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from local.stack import LocalStack
from tests.helpers.flows import ADDRESS, delivered_order

pytestmark = pytest.mark.integration

POINTS = {
    "CNY": {
        "redeemRate": {"points": 100, "value": {"amount": 100, "currency": "CNY"}},
        "capBps": 5000,
        "earnRate": {"points": 1, "value": {"amount": 100, "currency": "CNY"}},
    }
}
# The test's shopper reaches it with one 49.00 order (49 points); the session's tests run one at a time, and
# the setting found before comes back after this one, so no other test is priced for a tier.
TIERS = [{"tierId": "it-silver", "name": "Silver", "threshold": 45, "discountBps": 500}]


def cny(amount: int) -> dict[str, Any]:
    return {"amount": amount, "currency": "CNY"}


def put_setting(http: Any, token: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    current = http.get(path, token=token)
    assert current.status == 200, current.text
    response = http.put(path, token=token, json=body, headers={"If-Match": current.headers["ETag"]})
    assert response.status == 200, response.text
    return dict(current.json())


@pytest.fixture
def tiers(stack: LocalStack, http: Any) -> Iterator[str]:
    token = stack.mint_token("it-admin", ["admin"])
    before_tiers = put_setting(http, token, "/settings/member-tiers", {"tiers": TIERS, "reason": "integration"})
    before_points = put_setting(http, token, "/settings/points-rules", {"programmes": POINTS})
    yield token
    put_setting(http, token, "/settings/member-tiers", {"tiers": before_tiers["tiers"]})
    put_setting(http, token, "/settings/points-rules", {"programmes": before_points["programmes"]})


def test_a_completed_order_lifts_the_shopper_to_a_tier_and_the_next_checkout_is_member_priced(
    stack: LocalStack, http: Any, tiers: str, long_payment_timeout: None
) -> None:
    token, order, _ = delivered_order(stack, http)
    mine = http.get("/me/membership", token=token).json()
    assert (mine["tier"], mine["pointsEarned"], mine["pointsToNextTier"]) == (None, 0, 45)
    # Four confirmations race on real threads: the order completes once and its points count once.
    with ThreadPoolExecutor(4) as pool:
        answers = list(
            pool.map(lambda _: http.post(f"/orders/{order['orderId']}/confirm-receipt", token=token), range(4))
        )
    assert {a.status for a in answers} <= {200, 409} and 200 in {a.status for a in answers}, [a.text for a in answers]
    assert http.get(f"/orders/{order['orderId']}", token=token).json()["status"] == "COMPLETED"
    mine = http.get("/me/membership", token=token).json()
    assert (mine["tier"]["tierId"], mine["pointsEarned"], mine["nextTier"]) == ("it-silver", 49, None)

    sku_id = f"IT-{uuid.uuid4().hex[:10].upper()}"
    body = {
        "storeId": "demo",
        "name": "Member item",
        "skus": [
            {
                "skuId": sku_id,
                "name": "One size",
                "price": cny(10000),
                "stock": 5,
                "warehouseId": "WH-SH",
                "weightGrams": 100,
                "memberPrices": {"it-silver": cny(8800)},
            },
            {
                "skuId": f"{sku_id}-B",
                "name": "Other size",
                "price": cny(2000),
                "stock": 5,
                "warehouseId": "WH-SH",
                "weightGrams": 100,
            },
        ],
    }
    created = http.post("/products", token=tiers, json=body)
    assert created.status == 201, created.text
    lines = [{"skuId": sku_id, "quantity": 1}, {"skuId": f"{sku_id}-B", "quantity": 2}]
    quoted = http.post("/orders/quote", token=token, json={"lines": lines})
    assert quoted.status == 200, quoted.text
    member = quoted.json()["member"]
    assert [(m["kind"], m["unitPrice"]["amount"], m["savings"]["amount"]) for m in member["lines"]] == [
        ("member_price", 8800, 1200),
        ("tier_discount", 1900, 200),
    ]
    placed = http.post(
        "/orders",
        token=token,
        headers={"Idempotency-Key": str(uuid.uuid4())},
        json={"lines": lines, "shippingAddress": ADDRESS},
    )
    assert placed.status == 201, placed.text
    assert placed.json()["pricing"]["member"] == member
    assert placed.json()["breakdown"]["total"] == quoted.json()["breakdown"]["total"]
    staff = http.get(f"/customers/{mine['customerId']}/membership", token=stack.mint_token("it-support", ["support"]))
    assert staff.status == 200 and staff.json()["tier"]["tierId"] == "it-silver"
