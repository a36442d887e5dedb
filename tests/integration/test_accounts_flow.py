"""Through the local stack over HTTP: a shopper signs up (`POST /_local/users`: the template's
post-confirmation trigger puts the account in the `customer` group), and buys at once — profile, a saved
address, quote, checkout by the saved address's id, payment."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.helpers.flows import ACKS, new_sku, order, start_payment

pytestmark = pytest.mark.integration

ADDRESS = {"name": "Li Lei", "phone": "+86 138 0000 0000", "line1": "1 Nanjing Rd", "city": "Shanghai", "country": "CN"}


def sign_up(http: Any, **body: Any) -> Any:
    return http.post("/_local/users", json=body)


def test_a_new_shopper_signs_up_and_buys_at_once(stack: Any, http: Any, long_payment_timeout: None) -> None:
    email = f"new-{uuid.uuid4().hex[:8]}@example.com"
    signed_up = sign_up(http, email=email, password="Correct-Horse-9", name="Li Lei")
    assert signed_up.status == 201, signed_up.text
    account = signed_up.json()
    assert account["groups"] == ["customer"]  # by the post-confirmation trigger, not by the sign-up itself
    token = account["token"]
    claims = stack.verify_token(token)
    assert (claims["cognito:groups"], claims["email"], claims["sub"]) == (["customer"], email, account["sub"])
    # A token minted later for the same account carries the group too (the local pool remembers it).
    assert stack.verify_token(stack.mint_token(account["sub"], []))["cognito:groups"] == ["customer"]

    assert http.put("/me", token=token, json={"name": "Li Lei", "language": "en"}).status == 200
    me = http.get("/me", token=token).json()
    assert (me["customerId"], me["language"]) == (account["sub"], "en")
    saved = http.post("/me/addresses", token=token, json={"address": ADDRESS, "label": "home"})
    assert saved.status == 201, saved.text
    address_id = saved.json()["addressId"]

    sku_id = new_sku(stack, http, stock=3)
    lines = [{"skuId": sku_id, "quantity": 1}]
    assert http.post("/orders/quote", token=token, json={"lines": lines}).status == 200
    placed = http.post(
        "/orders",
        token=token,
        headers={"Idempotency-Key": str(uuid.uuid4())},
        json={"lines": lines, "shippingAddressId": address_id},
    )
    assert placed.status == 201, placed.text
    assert placed.json()["shippingAddress"] == ADDRESS
    payment = start_payment(http, token, placed.json()["orderId"], "alipay")
    paid = stack.sandbox_pay(payment["paymentId"])
    assert (paid["deliveries"][0]["status"], paid["deliveries"][0]["body"]) == ACKS["alipay"]
    assert order(http, token, placed.json()["orderId"])["status"] == "PAID"


def test_sign_up_by_phone_and_the_refusals(stack: Any, http: Any) -> None:
    phone = f"+86139{uuid.uuid4().int % 10**8:08d}"
    first = sign_up(http, phone=phone)
    assert first.status == 201, first.text
    assert (first.json()["phone"], first.json()["groups"]) == (phone, ["customer"])
    again = sign_up(http, phone=phone)
    assert (again.status, again.json()["type"]) == (409, "urn:oms:problem:account-exists")
    for body in ({}, {"email": "not-an-email"}, {"phone": "12345"}, {"email": "a@example.com", "password": "short"}):
        assert sign_up(http, **body).status == 400, body
    # Without a token of the group, a signed-in person who is nobody's customer cannot check out.
    stranger = stack.mint_token(f"no-group-{uuid.uuid4().hex[:6]}", [])
    assert http.post("/orders", token=stranger, json={}, headers={"Idempotency-Key": "x"}).status == 403
