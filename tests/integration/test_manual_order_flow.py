"""Through the local stack: support places an online manual order for a shopper, who gets the payment link by
email (moto's SES, `GET /_local/outbox/messages`) and in the inbox; support then edits it (If-Match) and the
shopper hears of the new total; the stock moved with the edit."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.helpers.flows import available, new_sku

pytestmark = pytest.mark.integration

ADDRESS = {"name": "Li Lei", "phone": "+86 138 0000 0000", "line1": "1 Nanjing Rd", "city": "Shanghai", "country": "CN"}


def test_a_manual_order_sends_its_payment_link_and_an_edit_tells_the_new_total(
    stack: Any, http: Any, eventually: Callable[..., Any], long_payment_timeout: None
) -> None:
    # The order must still wait for its payment when it is edited, however long the mail takes to come.
    email = f"it-manual-{uuid.uuid4().hex[:8]}@example.com"
    signed_up = http.post("/_local/users", json={"email": email, "name": "Li Lei"})  # an account in the pool
    assert signed_up.status == 201, signed_up.text
    sub, shopper = signed_up.json()["sub"], signed_up.json()["token"]
    assert http.put("/me/notification-preferences", token=shopper, json={"email": email, "locale": "en"}).status == 200
    sku_id = new_sku(stack, http, stock=5)
    support = stack.mint_token("it-support", ["support"])
    placed = http.post(
        "/admin/orders",
        token=support,
        headers={"Idempotency-Key": uuid.uuid4().hex},
        json={
            "customerId": sub,
            "lines": [{"skuId": sku_id, "quantity": 2}],
            "shippingAddress": ADDRESS,
            "paymentMode": "online",
            "notes": ["ordered by phone"],
        },
    )
    assert placed.status == 201, placed.text
    order = placed.json()
    number = order["orderNumber"]
    assert order["manual"]["paymentMode"] == "online" and available(http, sku_id) == 3

    def mails() -> list[dict[str, Any]] | None:
        items: list[dict[str, Any]] = http.get(
            "/_local/outbox/messages", params={"channel": "email", "to": email}
        ).json()["items"]
        return [m for m in items if number in m["subject"]] or None

    def mail(subject: str) -> dict[str, Any] | None:
        return next((m for m in mails() or [] if m["subject"] == subject), None)

    link = eventually(lambda: mail(f"Order {number} was placed for you"), timeout=90)
    assert f"/orders/{order['orderId']}/pay" in link["body"]

    edited = http.request(
        "PATCH",
        f"/orders/{order['orderId']}",
        token=support,
        headers={"If-Match": f'"{order["version"]}"'},
        json={"lines": [{"skuId": sku_id, "quantity": 1}]},
    )
    assert edited.status == 200, edited.text
    assert available(http, sku_id) == 4
    told = eventually(lambda: mail(f"Order {number} was changed"), timeout=90)
    assert "was" in told["body"]  # the previous total
    events = [n["event"] for n in http.get("/me/notifications", token=shopper).json()["items"]]
    assert {"ManualOrderCreated", "OrderEdited"} <= set(events)


def test_a_manual_order_for_a_new_customer_creates_the_account_in_the_local_directory(stack: Any, http: Any) -> None:
    email = f"it-new-{uuid.uuid4().hex[:8]}@example.com"
    support = stack.mint_token("it-support", ["support"])
    payload = {
        "customer": {"email": email, "name": "Han Meimei"},
        "lines": [{"skuId": new_sku(stack, http, stock=2), "quantity": 1}],
        "shippingAddress": ADDRESS,
        "paymentMode": "offline",
    }
    first = http.post("/admin/orders", token=support, headers={"Idempotency-Key": uuid.uuid4().hex}, json=payload)
    assert first.status == 201, first.text
    again = http.post("/admin/orders", token=support, headers={"Idempotency-Key": uuid.uuid4().hex}, json=payload)
    assert again.status == 201, again.text
    customer = first.json()["customerId"]
    assert customer and again.json()["customerId"] == customer  # found the second time, not created twice
