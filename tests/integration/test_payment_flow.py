"""Payments through the local stack: real signed callbacks from the sandbox providers, exactly once."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from oms_local.stack import LocalStack

from tests.helpers.flows import (
    ACKS,
    available,
    enable_crypto,
    fresh_order,
    new_sku,
    order,
    place,
    shopper,
    start_payment,
)
from tests.helpers.polling import poll_until

pytestmark = pytest.mark.integration


def ledger(http: Any, token: str, order_id: str) -> list[dict[str, Any]]:
    return list(http.get(f"/orders/{order_id}/payments", token=token).json()["ledger"])


@pytest.mark.parametrize("method", ["alipay", "wechat", "card", "crypto"])
def test_each_provider_pays_an_order_with_a_signed_callback(
    stack: LocalStack, http: Any, method: str, long_payment_timeout: None
) -> None:
    if method == "crypto":
        enable_crypto(stack, http)
    sku, token, placed = fresh_order(stack, http)
    payment = start_payment(http, token, placed["orderId"], method)
    assert payment["instructions"], payment
    result = stack.sandbox_pay(payment["paymentId"])
    [delivery] = result["deliveries"]
    assert (delivery["status"], delivery["body"]) == ACKS[method]
    paid = order(http, token, placed["orderId"])
    assert (paid["status"], paid["payment"]["status"]) == ("PAID", "PAID")
    assert available(http, sku) == 4


def test_the_same_callback_five_times_in_a_row_and_at_once_applies_once(
    stack: LocalStack, http: Any, long_payment_timeout: None
) -> None:
    sku = new_sku(stack, http, stock=5)
    token = shopper(stack)
    placed = place(http, token, sku, 2).json()
    payment = start_payment(http, token, placed["orderId"], "alipay")
    first = stack.sandbox_pay(payment["paymentId"], times=5)
    again = stack.sandbox_pay(payment["paymentId"], event_id=first["eventId"], times=5, concurrent=True)
    assert all(d == {"status": 200, "body": "success"} for d in first["deliveries"] + again["deliveries"])
    view = order(http, token, placed["orderId"])
    assert [h["to"] for h in view["history"]].count("PAID") == 1
    payments = [line for line in ledger(http, token, placed["orderId"]) if line["memo"] == "payment received"]
    assert len(payments) == 2  # one posting: provider debit + order credit
    assert view["payment"]["received"]["amount"] == placed["breakdown"]["total"]["amount"]


@pytest.mark.parametrize("tamper", ["body", "signature", "missing-headers"])
def test_forged_callbacks_are_rejected_and_change_nothing(
    stack: LocalStack, http: Any, tamper: str, long_payment_timeout: None
) -> None:
    _, token, placed = fresh_order(stack, http)
    payment = start_payment(http, token, placed["orderId"], "wechat")
    callback = stack.sandbox.pay("wechat", payment["paymentId"])
    headers, body = dict(callback.headers), callback.body
    if tamper == "body":
        body = body.replace(b'"ciphertext":"', b'"ciphertext":"A', 1)
    elif tamper == "signature":
        headers["Wechatpay-Signature"] = headers["Wechatpay-Signature"][::-1]
    else:
        headers = {k: v for k, v in headers.items() if not k.lower().startswith("wechatpay-")}
    before = order(http, token, placed["orderId"])
    response = http.post(
        "/callbacks/payments/wechat", body=body, headers={**headers, "Content-Type": "application/json"}
    )
    assert 400 <= response.status < 600
    assert response.json()["code"] == "FAIL"
    assert order(http, token, placed["orderId"]) == before


def test_wrong_amount_holds_the_order_and_opens_a_case(
    stack: LocalStack, http: Any, long_payment_timeout: None
) -> None:
    _, token, placed = fresh_order(stack, http)
    payment = start_payment(http, token, placed["orderId"], "card")
    stack.sandbox_pay(payment["paymentId"], amount=1)
    view = order(http, token, placed["orderId"])
    assert view["status"] == "ON_HOLD"
    support = stack.mint_token("it-support", ["support"])
    cases = http.get("/anomalies", token=support).json()["items"]
    assert any(c["orderId"] == placed["orderId"] and c["type"] == "AMOUNT_MISMATCH" for c in cases)


def test_duplicate_payment_is_refunded_through_the_provider(
    stack: LocalStack, http: Any, long_payment_timeout: None
) -> None:
    _, token, placed = fresh_order(stack, http)
    first = start_payment(http, token, placed["orderId"], "alipay")
    second = start_payment(http, token, placed["orderId"], "wechat")
    stack.sandbox_pay(first["paymentId"])
    stack.sandbox_pay(second["paymentId"])
    view = order(http, token, placed["orderId"])
    assert (view["status"], view["payment"]["status"]) == ("PAID", "PAID")
    assert view["payment"]["refunds"][0]["status"] == "SUCCEEDED"
    at_provider = stack.sandbox.payment("wechat", second["paymentId"])
    assert at_provider is not None and at_provider.refunded == second["amount"]["amount"]


def test_two_orders_racing_for_one_balance_that_covers_one(
    stack: LocalStack, http: Any, long_payment_timeout: None
) -> None:
    sku = new_sku(stack, http, stock=5, price=6000)  # 60.00 + 10.00 shipping = 70.00 per order
    name = f"saver-{uuid.uuid4().hex[:8]}"
    token = shopper(stack, name)
    finance = stack.mint_token("it-finance", ["finance"])
    credit = http.post(
        f"/customers/{name}/balance/adjustments",
        token=finance,
        headers={"Idempotency-Key": str(uuid.uuid4())},
        json={"direction": "credit", "amount": {"amount": 10000, "currency": "CNY"}, "reason": "refund credit"},
    )
    assert credit.status == 201, credit.text
    orders = [place(http, token, sku, 1).json()["orderId"] for _ in range(2)]
    start = threading.Barrier(2)

    def pay(order_id: str) -> int:
        start.wait()
        return int(
            http.post(
                f"/orders/{order_id}/payments",
                token=token,
                json={"method": "balance"},
                headers={"Idempotency-Key": str(uuid.uuid4())},
            ).status
        )

    with ThreadPoolExecutor(max_workers=2) as pool:
        statuses = sorted(pool.map(pay, orders))
    assert statuses == [201, 409]
    assert sorted(order(http, token, o)["status"] for o in orders) == ["PAID", "PENDING_PAYMENT"]
    balance = http.get("/customers/me/balance", token=token).json()["balance"]
    assert balance == {"amount": 3000, "currency": "CNY"}


def test_paid_but_not_received_is_fixed_by_sync(stack: LocalStack, http: Any, long_payment_timeout: None) -> None:
    _, token, placed = fresh_order(stack, http)
    payment = start_payment(http, token, placed["orderId"], "wechat")
    stack.sandbox.pay("wechat", payment["paymentId"])  # the provider has the money; its notice got lost
    assert order(http, token, placed["orderId"])["status"] == "PENDING_PAYMENT"
    synced = http.post(f"/orders/{placed['orderId']}/payments/{payment['paymentId']}/sync", token=token)
    assert synced.status == 200, synced.text
    assert order(http, token, placed["orderId"])["status"] == "PAID"


def test_bank_transfer_waits_for_finance(stack: LocalStack, http: Any) -> None:
    sku = new_sku(stack, http, stock=5, price=20000)
    token = shopper(stack)
    placed = place(http, token, sku, 1).json()
    payment = start_payment(http, token, placed["orderId"], "bank_transfer")
    assert payment["instructions"]
    assert payment["paymentDeadline"] > placed["paymentDeadline"]
    # The timer armed at checkout is due after PaymentTimeoutSeconds; its task answers "not due" (the bank
    # transfer moved the deadline) and the execution waits again: wait for that second wait, not for a
    # fixed time.
    sfn = stack.boto3_client("stepfunctions")
    timer = stack.resources["PaymentTimeoutStateMachine"].replace(":stateMachine:", ":execution:")
    timer += f":pay-{placed['orderId']}"

    def waits_of_the_timer() -> int:
        try:
            events = sfn.get_execution_history(executionArn=timer, maxResults=1000)["events"]
        except sfn.exceptions.ExecutionDoesNotExist:  # not armed yet (the stream consumer arms it)
            return 0
        return sum(e["type"] == "WaitStateEntered" for e in events)

    poll_until(lambda: waits_of_the_timer() >= 2, timeout=int(stack.template.parameters["PaymentTimeoutSeconds"]) + 20)
    assert order(http, token, placed["orderId"])["status"] == "PENDING_PAYMENT"  # the timer waited again
    finance = stack.mint_token("it-finance", ["finance"])
    reviewed = http.post(
        f"/orders/{placed['orderId']}/payments/{payment['paymentId']}/review",
        token=finance,
        json={"decision": "approve"},
    )
    assert reviewed.status == 200, reviewed.text
    assert order(http, token, placed["orderId"])["status"] == "PAID"


def test_notice_for_another_merchant_is_acknowledged_and_ignored(
    stack: LocalStack, http: Any, long_payment_timeout: None
) -> None:
    _, token, placed = fresh_order(stack, http)
    payment = start_payment(http, token, placed["orderId"], "alipay")
    stack.sandbox.send("GET", payment["instructions"]["url"], {}, b"")  # the buyer opens the cashier page
    callback = stack.sandbox.pay("alipay", payment["paymentId"], overrides={"app_id": "2021000000000000"})
    response = http.post(
        "/callbacks/payments/alipay",
        body=callback.body,
        headers={**callback.headers, "Content-Type": callback.content_type},
    )
    assert (response.status, response.text) == (200, "success")  # not retried by Alipay ...
    assert order(http, token, placed["orderId"])["status"] == "PENDING_PAYMENT"  # ... and not applied


@pytest.mark.parametrize("method", ["card", "alipay"])
def test_sync_asks_the_provider_with_its_own_reference(
    stack: LocalStack, http: Any, method: str, long_payment_timeout: None
) -> None:
    _, token, placed = fresh_order(stack, http)
    payment = start_payment(http, token, placed["orderId"], method)
    if method == "alipay":
        stack.sandbox.send("GET", payment["instructions"]["url"], {}, b"")
    stack.sandbox.pay(method, payment["paymentId"])  # paid at the provider; the notice never arrives
    synced = http.post(f"/orders/{placed['orderId']}/payments/{payment['paymentId']}/sync", token=token)
    assert synced.status == 200, synced.text
    assert synced.json()["status"] == "SUCCEEDED"
    assert order(http, token, placed["orderId"])["status"] == "PAID"


@pytest.mark.parametrize("method", ["alipay", "card", "crypto"])
def test_tampered_callbacks_of_every_provider_change_nothing(
    stack: LocalStack, http: Any, method: str, long_payment_timeout: None
) -> None:
    enable_crypto(stack, http)
    _, token, placed = fresh_order(stack, http)
    payment = start_payment(http, token, placed["orderId"], method)
    if method == "alipay":
        stack.sandbox.send("GET", payment["instructions"]["url"], {}, b"")
    callback = stack.sandbox.pay(method, payment["paymentId"])
    total = placed["breakdown"]["total"]["amount"]
    body = callback.body
    # Claim less money than was signed for: the signature no longer matches.
    for old, new in ((f"{total // 100}.{total % 100:02d}", "0.01"), (str(total), "1")):
        if old.encode() in body:
            body = body.replace(old.encode(), new.encode(), 1)
            break
    assert body != callback.body
    before = order(http, token, placed["orderId"])
    response = http.post(
        f"/callbacks/payments/{method}", body=body, headers={**callback.headers, "Content-Type": callback.content_type}
    )
    assert response.text != ACKS[method][1] or response.status >= 400
    assert order(http, token, placed["orderId"]) == before
    # The untouched callback still pays: the rejection left nothing half-done.
    response = http.post(
        f"/callbacks/payments/{method}",
        body=callback.body,
        headers={**callback.headers, "Content-Type": callback.content_type},
    )
    assert (response.status, response.text) == ACKS[method]
    assert order(http, token, placed["orderId"])["status"] == "PAID"


def test_concurrent_payment_attempts_never_fail_with_a_server_error(
    stack: LocalStack, http: Any, long_payment_timeout: None
) -> None:
    _, token, placed = fresh_order(stack, http)
    start = threading.Barrier(4)

    def attempt(method: str) -> int:
        start.wait()
        return int(
            http.post(
                f"/orders/{placed['orderId']}/payments",
                token=token,
                json={"method": method},
                headers={"Idempotency-Key": str(uuid.uuid4())},
            ).status
        )

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(attempt, ["alipay", "wechat", "card", "alipay"]))
    assert set(statuses) <= {201, 409} and 201 in statuses, statuses
    attempts = http.get(f"/orders/{placed['orderId']}/payments", token=token).json()["attempts"]
    assert len(attempts) == statuses.count(201)
    assert len({a["paymentId"] for a in attempts}) == len(attempts)
