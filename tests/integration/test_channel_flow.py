"""Sales channels and virtual goods through the local stack (issue 15's "done when"): the seeded Tmall store
receives an order by a signed callback (sandbox channel) and another by an order-file import, the orders
are paid from the channel's balance, codes and links are delivered, a link is redeemed and its code and a
pool code are verified, a delayed service activates at its time (timer sweeper), a sync against the
channel's own ledger finds a planted difference, and the daily checks show the store."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.helpers.flows import admin

pytestmark = pytest.mark.integration


def token(stack: Any, role: str) -> str:
    return str(stack.demo_tokens[role])


def channel_store(stack: Any) -> str:
    seeded = stack.oms.channel_seed
    assert seeded is not None, "the seed connects a channel store"
    return str(seeded.store_id)


def send(http: Any, store: str, body: dict[str, Any]) -> dict[str, Any]:
    response = http.post(f"/_local/sandbox/channels/{store}/orders", json=body)
    assert response.status == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_a_channel_order_from_callback_to_verification(stack: Any, http: Any, eventually: Callable[..., Any]) -> None:
    store = channel_store(stack)
    support, merchant = token(stack, "support"), token(stack, "merchant")
    number = f"TM-{uuid.uuid4().hex[:10]}"
    order = {
        "channelOrderNo": number,
        "lines": [{"skuId": "GIFT-100", "quantity": 1}, {"skuId": "VIP-MONTH", "quantity": 1}],
    }
    before = http.get(f"/channel-stores/{store}", token=admin(stack)).json()["balance"]["amount"]
    placed = send(http, store, order)
    assert placed["status"] == 200 and placed["answer"]["status"] == "created", placed
    assert placed["answer"]["charged"] == {"amount": 13000, "currency": "CNY"}
    again = send(http, store, order)
    assert again["answer"]["status"] == "duplicate" and again["answer"]["orderId"] == placed["answer"]["orderId"]
    forged = send(http, store, {**order, "channelOrderNo": f"{number}-X", "tamper": True})
    assert forged["status"] == 401
    after = http.get(f"/channel-stores/{store}", token=admin(stack)).json()["balance"]["amount"]
    assert before - after == 13000

    order_id = placed["answer"]["orderId"]
    delivered = http.post(f"/orders/{order_id}/deliveries", token=support)
    assert delivered.status == 200, delivered.text
    vouchers = {v["kind"]: v for v in delivered.json()["vouchers"]}
    assert delivered.json()["orderStatus"] == "DELIVERED"
    token_part = vouchers["link"]["url"].rsplit("/", 1)[1]
    redeemed = http.post(f"/redemptions/{token_part}", json={"account": "li@example.com"})
    assert redeemed.status == 200 and redeemed.json()["alreadyRedeemed"] is False, redeemed.text
    assert http.post(f"/redemptions/{token_part}", json={}).json()["code"] == redeemed.json()["code"]
    revealed = http.post(
        f"/orders/{order_id}/vouchers/reveal", token=support, json={"reason": "the buyer lost the message"}
    ).json()
    code = next(v["code"] for v in revealed["vouchers"] if v["kind"] == "code")
    for what in (code, redeemed.json()["code"]):
        first = http.post("/verifications", token=merchant, json={"code": what}, headers={"Idempotency-Key": what})
        assert first.status == 200 and first.json()["state"] == "VERIFIED", first.text
        used = http.post("/verifications", token=merchant, json={"code": what}, headers={"Idempotency-Key": "x" + what})
        assert used.status == 409 and used.json()["type"] == "urn:oms:problem:code-already-verified"

    listed = http.get("/ecommerce-orders", token=support, params={"channelOrderNo": number}).json()["items"]
    assert [row["orderId"] for row in listed] == [order_id] and listed[0]["verificationStatus"] == "VERIFIED"


def test_an_import_deduplicates_against_callbacks(stack: Any, http: Any) -> None:
    store = channel_store(stack)
    number = f"TM-{uuid.uuid4().hex[:10]}"
    assert (
        send(http, store, {"channelOrderNo": number, "lines": [{"skuId": "VIP-MONTH", "quantity": 1}]})["status"] == 200
    )
    other = f"TM-{uuid.uuid4().hex[:10]}"
    text = f"channelOrderNo,skuId,quantity\n{number},VIP-MONTH,1\n{other},VIP-MONTH,2\n{other}-B,NO-SUCH,1\n"
    response = http.post(
        f"/channel-stores/{store}/imports",
        token=admin(stack),
        body=text.encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert response.status == 200, response.text
    result = response.json()
    assert (result["created"], result["duplicates"], result["failed"]) == (1, 1, 1)


def test_a_delayed_service_activates_by_the_timer(stack: Any, http: Any, eventually: Callable[..., Any]) -> None:
    store = channel_store(stack)
    number = f"TM-{uuid.uuid4().hex[:10]}"
    placed = send(http, store, {"channelOrderNo": number, "lines": [{"skuId": "CLOUD-1Y", "quantity": 1}]})
    order_id = placed["answer"]["orderId"]
    soon = http.post(f"/orders/{order_id}/deliveries", token=token(stack, "support"), json={"activateAt": _in(3)})
    assert soon.status == 200 and soon.json()["vouchers"][0]["state"] == "PENDING_ACTIVATION", soon.text

    def active() -> bool:
        vouchers = http.get(f"/orders/{order_id}/vouchers", token=token(stack, "support")).json()["vouchers"]
        return bool(vouchers[0]["state"] == "ACTIVE")

    eventually(active, timeout=30)


def test_a_sync_finds_a_planted_difference_and_the_daily_checks_show_it(stack: Any, http: Any) -> None:
    store = channel_store(stack)
    ours = http.get(f"/channel-stores/{store}", token=admin(stack)).json()["balance"]
    assert http.put(f"/_local/sandbox/channels/{store}/balance", json={"amount": ours["amount"]}).status == 200
    clean = http.post(f"/channel-stores/{store}/sync", token=admin(stack)).json()
    assert clean["lastSync"]["findings"] == []
    planted = http.put(f"/_local/sandbox/channels/{store}/balance", json={"amount": ours["amount"] - 500})
    assert planted.status == 200
    found = http.post(f"/channel-stores/{store}/sync", token=admin(stack)).json()
    assert found["lastSync"]["findings"] == ["balance"]
    assert found["lastSync"]["difference"] == {"amount": -500, "currency": "CNY"}
    checks = http.get("/daily-checks", token=token(stack, "support")).json()
    row = next(r for r in checks["channelBalances"] if r["storeId"] == store)
    assert row["matches"] is False and checks["counts"]["findings"] >= 1


def _in(seconds: int) -> str:
    from datetime import UTC, datetime, timedelta

    return (datetime.now(UTC) + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
