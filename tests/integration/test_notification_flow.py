"""Through the local stack: an order placed by a shopper with preferences reaches them as an email (moto's
SES), an SMS reminder before the payment deadline comes from the payment timer (moto's SNS), both shown by
`GET /_local/outbox/messages`; their inbox lists the notifications and marks them read."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.helpers.flows import new_sku, place

pytestmark = pytest.mark.integration


@pytest.fixture
def reminded_soon(stack: Any) -> Iterator[None]:
    """A payment deadline 70 s out: the reminder (PaymentReminderSeconds=60, the local default) comes 10 s
    after the order is placed (the session's 2-second timeout leaves no time for one)."""
    service = stack.functions["OrdersFunction"].module.service
    original = service.payment_timeout_seconds
    service.payment_timeout_seconds = 70
    yield
    service.payment_timeout_seconds = original


def test_an_order_is_emailed_and_its_payment_reminded_by_sms_and_listed_in_the_inbox(
    stack: Any, http: Any, eventually: Callable[..., Any], reminded_soon: None
) -> None:
    sub = f"it-shopper-{uuid.uuid4().hex[:8]}"
    token = stack.mint_token(sub, ["customer"])
    email, phone = f"{sub}@example.com", f"+86138{uuid.uuid4().int % 10**8:08d}"
    answer = http.put(
        "/me/notification-preferences", token=token, json={"email": email, "phone": phone, "locale": "en"}
    )
    assert answer.status == 200, answer.text
    order = place(http, token, new_sku(stack, http, stock=5), 1)
    assert order.status == 201, order.text
    number = order.json()["orderNumber"]

    def sent(channel: str, to: str) -> list[dict[str, Any]] | None:
        query = {"channel": channel, "to": to}
        items: list[dict[str, Any]] = http.get("/_local/outbox/messages", params=query).json()["items"]
        mine = [m for m in items if number in m["body"]]
        return mine or None

    # The bus delivers to the consumer asynchronously (behind whatever the session's other tests sent).
    [mail] = eventually(lambda: sent("email", email), timeout=90)
    assert mail["subject"] == f"Order {number} placed" and mail["from"]
    [sms] = eventually(lambda: sent("sms", phone), timeout=90)  # the payment timer's reminder
    assert sms["body"].startswith(f"[OMS] Your order {number}") and "not paid yet" in sms["body"]

    page = http.get("/me/notifications", token=token).json()
    assert [n["event"] for n in page["items"]] == ["PaymentReminderDue", "OrderPlaced"]
    assert page["unreadCount"] == 2
    assert http.post("/me/notifications/read-all", token=token).json() == {"unreadCount": 0}
