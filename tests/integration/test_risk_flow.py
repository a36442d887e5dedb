"""Risk control through the local stack (issue 13 items 8 and 10): a per-user checkout limit under racing
shoppers' threads (429 with Retry-After, never more orders than the limit), a blacklisted shopper refused
with nothing changed, and the manual review queue: a risky paid order waits there, one approved ships, one
rejected is refunded and cancelled with its ledger balanced."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.helpers.flows import admin, available, new_sku, order, place, shopper, start_payment

pytestmark = pytest.mark.integration


@pytest.fixture
def risk_settings(stack: Any, http: Any) -> Iterator[Callable[[dict[str, Any]], None]]:
    """Set the stack's risk settings for one test; the defaults come back after it (the stack is shared)."""
    token = admin(stack)

    def put(settings: dict[str, Any]) -> None:
        response = http.put("/settings/risk", token=token, json={**settings, "reason": "integration test"})
        assert response.status == 200, response.text

    yield put
    put({})


def test_racing_checkouts_of_one_shopper_never_pass_the_per_user_limit(
    stack: Any, http: Any, risk_settings: Callable[[dict[str, Any]], None], long_payment_timeout: None
) -> None:
    per_user = {"limit": 3, "windowSeconds": 3600}
    risk_settings({"rateLimits": {"checkout": {"perUser": per_user, "perIp": {"limit": 10_000, "windowSeconds": 60}}}})
    sku = new_sku(stack, http, stock=20)
    token = shopper(stack)
    start = threading.Barrier(8)

    def one(_: int) -> tuple[int, Any, str | None]:
        start.wait()
        response = place(http, token, sku, 1, key=str(uuid.uuid4()))
        return response.status, response.json(), response.headers.get("Retry-After")

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(one, range(8)))
    statuses = sorted(status for status, _, _ in results)
    assert statuses == [201] * 3 + [429] * 5, results
    for status, body, retry_after in results:
        if status == 429:
            assert body["type"] == "urn:oms:problem:rate-limited" and body["scope"] == "checkout-user"
            assert retry_after is not None and 1 <= int(retry_after) <= 3600
    assert available(http, sku) == 17
    assert place(http, shopper(stack), sku, 1).status == 201  # another shopper has a window of their own


def test_a_blacklisted_shopper_is_refused_and_nothing_changes(stack: Any, http: Any) -> None:
    sku = new_sku(stack, http, stock=5)
    name = f"fraud-{uuid.uuid4().hex[:8]}"
    token = shopper(stack, name)
    staff = admin(stack)
    listed = http.post("/risk/blacklist", token=staff, json={"kind": "user", "value": name, "reason": "chargebacks"})
    assert listed.status == 201, listed.text
    refused = place(http, token, sku, 1)
    assert (refused.status, refused.json()["type"]) == (403, "urn:oms:problem:blocked")
    assert "user" not in refused.text
    assert available(http, sku) == 5
    assert http.get("/orders", token=token).json()["items"] == []
    removed = http.post("/risk/blacklist/user/remove", token=staff, json={"value": name, "reason": "bank cleared"})
    assert removed.status == 200, removed.text
    assert place(http, token, sku, 1).status == 201


def held_for_review(stack: Any, http: Any) -> tuple[str, str, str]:
    """A new shopper's order paid through the WeChat sandbox and held for review: (token, order id, sku)."""
    sku = new_sku(stack, http, stock=5)
    token = shopper(stack)
    placed = place(http, token, sku, 1)
    assert placed.status == 201, placed.text
    order_id = placed.json()["orderId"]
    stack.sandbox_pay(start_payment(http, token, order_id, "wechat")["paymentId"])
    view = order(http, token, order_id)
    assert (view["status"], view["payment"]["status"]) == ("ON_HOLD", "PAID"), view
    return token, order_id, sku


def test_risky_paid_orders_wait_for_review_then_ship_or_are_refunded(
    stack: Any,
    http: Any,
    risk_settings: Callable[[dict[str, Any]], None],
    eventually: Callable[..., Any],
    long_payment_timeout: None,
) -> None:
    risk_settings({"rules": {"newAccount": {"amountOver": {"CNY": 1}}}})  # every new shopper's order is risky
    approved_token, approved_id, approved_sku = held_for_review(stack, http)
    rejected_token, rejected_id, rejected_sku = held_for_review(stack, http)
    support = stack.mint_token("it-support", ["support"])
    queue = http.get("/risk/reviews", token=support, params={"limit": "100"}).json()
    waiting = [item["orderId"] for item in queue["items"]]
    assert approved_id in waiting and rejected_id in waiting
    assert waiting.index(approved_id) < waiting.index(rejected_id)  # oldest first

    # Approved: PAID, its child order goes to the warehouse, which ships it.
    body = {"decision": "approve", "reason": "called the shopper"}
    decided = http.post(f"/orders/{approved_id}/risk-review", token=support, json=body)
    assert (decided.status, decided.json()["status"]) == (200, "PAID"), decided.text
    again = http.post(f"/orders/{approved_id}/risk-review", token=support, json=body)
    assert (again.status, again.json()) == (200, decided.json())
    other = http.post(f"/orders/{approved_id}/risk-review", token=support, json={**body, "decision": "reject"})
    assert other.status == 409
    child = order(http, approved_token, approved_id)["children"][0]["childOrderId"]
    warehouse = stack.mint_token("it-warehouse", ["warehouse"])
    tracking = f"SF{uuid.uuid4().hex[:10].upper()}"
    shipped = http.post(
        f"/orders/{child}/shipments", token=warehouse, json={"carrier": "sf", "trackingNumber": tracking}
    )
    assert shipped.status == 201, shipped.text
    assert order(http, approved_token, approved_id)["status"] == "SHIPPED"

    # Rejected: what it received goes back, it is cancelled, its stock returns, the ledger balances.
    rejected = http.post(
        f"/orders/{rejected_id}/risk-review", token=support, json={"decision": "reject", "reason": "stolen card"}
    )
    assert (rejected.status, rejected.json()["status"]) == (200, "CANCELLED"), rejected.text

    def refunded() -> dict[str, Any] | None:
        money = http.get(f"/orders/{rejected_id}/payments", token=rejected_token).json()
        return money if money["status"] == "REFUNDED" else None

    money = eventually(refunded)
    assert sum(line["amount"]["amount"] for line in money["ledger"]) == 0
    assert available(http, rejected_sku) == 5
    assert order(http, rejected_token, rejected_id)["status"] == "CANCELLED"
    left = http.get("/risk/reviews", token=support, params={"limit": "100"}).json()["items"]
    assert not {approved_id, rejected_id} & {item["orderId"] for item in left}
    assert available(http, approved_sku) == 4
