"""Money after cancels, through the local stack with the sandbox providers' real signed callbacks (issue 9
items 2-4): a cancel raced by the payment is never undone (the late money goes back at the provider), the
payment timeout revives only where the store allows it, cancels close the attempt at Alipay / WeChat Pay,
staff cancels and decisions free a held order's money, and what is outstanding comes from the ledger."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import pytest
from oms_local.stack import LocalStack

from tests.helpers.flows import (
    admin,
    available,
    fresh_order,
    new_sku,
    order,
    payment_timeout,
    place,
    product,
    shopper,
    start_payment,
)
from tests.helpers.polling import poll_until

pytestmark = pytest.mark.integration

ROUNDS = 10


def payments(http: Any, token: str, order_id: str) -> dict[str, Any]:
    response = http.get(f"/orders/{order_id}/payments", token=token)
    assert response.status == 200, response.text
    return dict(response.json())


def cases_of(stack: LocalStack, http: Any, order_id: str) -> list[dict[str, Any]]:
    staff = stack.mint_token("it-support", ["support"])
    found = []
    for status in ("OPEN", "RESOLVED"):
        page = http.get("/anomalies", token=staff, params={"status": status, "limit": "100"}).json()
        found += [c for c in page["items"] if c["orderId"] == order_id]
    return found


def outbox_types(stack: LocalStack, order_id: str) -> list[str]:
    items = stack.boto3_client("dynamodb").query(
        TableName=stack.resources["Table"],
        KeyConditionExpression="PK = :pk AND begins_with(SK, :sk)",
        ExpressionAttributeValues={":pk": {"S": f"ORDER#{order_id}"}, ":sk": {"S": "OUTBOX#"}},
        ConsistentRead=True,
    )["Items"]
    return [item["detailType"]["S"] for item in items]


def moves(view: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(h["from"], h["to"]) for h in view["history"]]


def deliver(http: Any, callback: Any) -> tuple[int, str]:
    """A provider notice that was delayed, delivered now."""
    response = http.post(
        f"/callbacks/payments/{callback.method.value}",
        body=callback.body,
        headers={**callback.headers, "Content-Type": callback.content_type},
    )
    return response.status, response.text


def wait_for(http: Any, token: str, order_id: str, status: str, timeout: float = 20) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        view = order(http, token, order_id)
        if view["status"] == status:
            return view
        time.sleep(0.25)
    raise AssertionError(f"order {order_id} did not become {status}")


def new_store(stack: LocalStack, http: Any, late_payment_policy: str | None) -> str:
    store_id = f"it-late-{uuid.uuid4().hex[:8]}"
    body: dict[str, Any] = {"name": "Late", "currency": "CNY", "shippingFee": {"amount": 500, "currency": "CNY"}}
    if late_payment_policy is not None:
        body["latePaymentPolicy"] = late_payment_policy
    response = http.put(f"/stores/{store_id}", token=admin(stack), json=body)
    assert response.status == 201, response.text
    assert response.json()["latePaymentPolicy"] == (late_payment_policy or "refund")
    return store_id


def race(first: Callable[[], Any], second: Callable[[], Any]) -> tuple[Any, Any]:
    """Run both at the same instant (a barrier), return both answers."""
    go = threading.Barrier(2)

    def run(call: Callable[[], Any]) -> Any:
        go.wait()
        return call()

    with ThreadPoolExecutor(max_workers=2) as pool:
        a, b = pool.submit(run, first), pool.submit(run, second)
        return a.result(), b.result()


# ---------------------------------------------------------------- item 2
def test_a_cancel_racing_the_payment_callback_is_never_undone(
    stack: LocalStack, http: Any, long_payment_timeout: None
) -> None:
    sku = new_sku(stack, http, stock=ROUNDS)
    branches: Counter[str] = Counter()
    for _ in range(ROUNDS):
        token = shopper(stack)
        start = available(http, sku)
        placed = place(http, token, sku, 1).json()
        payment = start_payment(http, token, placed["orderId"], "wechat")
        cancelled, paid = race(
            partial(http.post, f"/orders/{placed['orderId']}/cancel", token=token, json={"reason": "changed my mind"}),
            partial(http.post, f"/_local/sandbox/payments/{payment['paymentId']}/pay", json={}),
        )

        assert cancelled.status == 200, cancelled.text
        view = order(http, token, placed["orderId"])
        assert ("CANCELLED", "PAID") not in moves(view), view["history"]
        answered = cancelled.json()["status"]
        if answered == "CANCELLED":  # the cancel committed first: it stays cancelled
            assert view["status"] == "CANCELLED"
        else:  # the payment committed first: the cancel refunded the paid order part by part
            assert (answered, view["status"]) == ("CLOSED", "CLOSED")
        assert available(http, sku) == start  # the unit is back on sale, never taken again
        at_provider = stack.sandbox.payment("wechat", payment["paymentId"])
        assert at_provider is not None
        money = payments(http, token, placed["orderId"])
        assert money["outstanding"]["amount"] == 0
        if paid.status == 409:  # closed at WeChat before the payer could pay
            assert paid.json()["type"] == "urn:oms:problem:sandbox-payment-closed"
            assert (at_provider.paid, money["status"]) == (0, "UNPAID")
            branches["closed before the payment"] += 1
            continue
        assert paid.status == 200 and paid.json()["deliveries"][0]["status"] == 204, paid.text
        assert at_provider.refunded == at_provider.paid == payment["amount"]["amount"]  # refunded at WeChat
        assert money["status"] == "REFUNDED"
        if answered == "CANCELLED":
            [case] = cases_of(stack, http, placed["orderId"])
            assert (case["type"], case["status"], case["refund"]["status"]) == (
                "PAID_AFTER_CANCEL",
                "RESOLVED",
                "SUCCEEDED",
            )
            kinds = outbox_types(stack, placed["orderId"])
            assert "PaymentAnomaly" in kinds and "RefundSucceeded" in kinds
            branches["paid after the cancel: refunded"] += 1
        else:
            branches["paid before the cancel: refunded by the cancel"] += 1
    assert sum(branches.values()) == ROUNDS
    assert branches["closed before the payment"] + branches["paid after the cancel: refunded"] >= 1, branches


def test_the_late_payment_case_stays_open_until_the_refund_succeeds(
    stack: LocalStack, http: Any, long_payment_timeout: None
) -> None:
    _, token, placed = fresh_order(stack, http)
    payment = start_payment(http, token, placed["orderId"], "wechat")
    late = stack.sandbox.pay("wechat", payment["paymentId"])  # paid at WeChat; the notice is delayed
    assert http.post(f"/orders/{placed['orderId']}/cancel", token=token, json={}).status == 200
    [attempt] = payments(http, token, placed["orderId"])["attempts"]
    assert attempt["closedAtProvider"]["outcome"] == "PAID"  # too late to close: the payer had paid
    stack.sandbox.refunds_unavailable = True
    try:
        assert deliver(http, late) == (204, "")
        [case] = cases_of(stack, http, placed["orderId"])
        assert (case["type"], case["status"]) == ("PAID_AFTER_CANCEL", "OPEN")
        [refund] = payments(http, token, placed["orderId"])["refunds"]
        # Tried by the callback, and again from the stream (PaymentAnomaly's after-commit action).
        assert refund["status"] == "PENDING" and refund["failures"] >= 1
        assert {"PaymentAnomaly", "RefundFailed"} <= set(outbox_types(stack, placed["orderId"]))
    finally:
        stack.sandbox.refunds_unavailable = False
    synced = http.post(f"/orders/{placed['orderId']}/payments/{payment['paymentId']}/sync", token=token)
    assert synced.status == 200, synced.text
    [case] = cases_of(stack, http, placed["orderId"])
    assert (case["status"], case["refund"]["status"]) == ("RESOLVED", "SUCCEEDED")
    assert "RefundSucceeded" in outbox_types(stack, placed["orderId"])
    at_provider = stack.sandbox.payment("wechat", payment["paymentId"])
    assert at_provider is not None and at_provider.refunded == at_provider.paid
    assert order(http, token, placed["orderId"])["status"] == "CANCELLED"


def test_a_timed_out_order_revives_only_where_the_store_allows_it(stack: LocalStack, http: Any) -> None:
    reviving = product(stack, http, new_store(stack, http, "revive-if-stock"), "WH-SH", 1999)
    refunding = product(stack, http, new_store(stack, http, None), "WH-SH", 1999)  # the default: refund
    token = shopper(stack)
    revived = place(http, token, reviving, 1).json()
    refunded = place(http, token, refunding, 1).json()
    pay_revived = start_payment(http, token, revived["orderId"], "card")
    pay_refunded = start_payment(http, token, refunded["orderId"], "wechat")
    # Both payers pay just before the deadline; the providers' notices arrive after the timeout.
    late_revived = stack.sandbox.pay("card", pay_revived["paymentId"])
    late_refunded = stack.sandbox.pay("wechat", pay_refunded["paymentId"])
    wait_for(http, token, revived["orderId"], "CANCELLED")
    wait_for(http, token, refunded["orderId"], "CANCELLED")
    assert available(http, reviving) == 10 and available(http, refunding) == 10

    assert deliver(http, late_revived) == (200, '{"received":true}')
    view = order(http, token, revived["orderId"])
    assert (view["status"], view["payment"]["status"]) == ("PAID", "PAID")
    assert available(http, reviving) == 9
    [case] = cases_of(stack, http, revived["orderId"])
    assert (case["type"], case["status"]) == ("PAID_AFTER_CANCEL", "RESOLVED")

    assert deliver(http, late_refunded) == (204, "")
    view = order(http, token, refunded["orderId"])
    assert (view["status"], view["payment"]["status"]) == ("CANCELLED", "REFUNDED")
    assert available(http, refunding) == 10
    at_provider = stack.sandbox.payment("wechat", pay_refunded["paymentId"])
    assert at_provider is not None and at_provider.refunded == at_provider.paid > 0


def test_a_reviving_store_still_refunds_when_the_stock_is_gone(stack: LocalStack, http: Any) -> None:
    sku = product(stack, http, new_store(stack, http, "revive-if-stock"), "WH-SH", 1999, stock=1)
    token = shopper(stack)
    placed = place(http, token, sku, 1).json()
    payment = start_payment(http, token, placed["orderId"], "card")
    late = stack.sandbox.pay("card", payment["paymentId"])
    wait_for(http, token, placed["orderId"], "CANCELLED")
    with payment_timeout(stack, 600):  # and holds it while the late notice arrives, however slow the run
        assert place(http, shopper(stack), sku, 1).status == 201  # someone else takes the last unit
    assert deliver(http, late) == (200, '{"received":true}')
    view = order(http, token, placed["orderId"])
    assert (view["status"], view["payment"]["status"]) == ("CANCELLED", "REFUNDED")
    assert available(http, sku) == 0


@pytest.mark.parametrize("method", ["alipay", "wechat"])
def test_cancel_closes_the_attempt_at_the_provider(
    stack: LocalStack, http: Any, method: str, long_payment_timeout: None
) -> None:
    sku, token, placed = fresh_order(stack, http)
    payment = start_payment(http, token, placed["orderId"], method)
    if method == "alipay":
        stack.sandbox.send("GET", payment["instructions"]["url"], {}, b"")  # the payer opened the cashier
    cancelled = http.post(f"/orders/{placed['orderId']}/cancel", token=token, json={})
    assert (cancelled.status, cancelled.json()["status"]) == (200, "CANCELLED")
    at_provider = stack.sandbox.payment(method, payment["paymentId"])
    assert at_provider is not None and at_provider.closed
    [attempt] = payments(http, token, placed["orderId"])["attempts"]
    assert (attempt["status"], attempt["closedAtProvider"]["outcome"]) == ("EXPIRED", "CLOSED")
    refused = http.post(f"/_local/sandbox/payments/{payment['paymentId']}/pay", json={})
    assert (refused.status, refused.json()["type"]) == (409, "urn:oms:problem:sandbox-payment-closed")
    view = order(http, token, placed["orderId"])
    assert view["status"] == "CANCELLED" and view["payment"]["received"]["amount"] == 0
    assert any("closed at" in (h["reason"] or "") for h in view["history"])
    assert available(http, sku) == 5


# ---------------------------------------------------------------- item 3
def held(stack: LocalStack, http: Any, paid: int, method: str = "card") -> tuple[str, str, dict[str, Any], str]:
    """A fresh 29.99 order (19.99 + 10.00 shipping) paid `paid` at the provider: ON_HOLD with its case."""
    sku, token, placed = fresh_order(stack, http)
    payment = start_payment(http, token, placed["orderId"], method)
    stack.sandbox_pay(payment["paymentId"], amount=paid)
    assert order(http, token, placed["orderId"])["status"] == "ON_HOLD"
    [case] = cases_of(stack, http, placed["orderId"])
    assert (case["type"], case["status"]) == ("AMOUNT_MISMATCH", "OPEN")
    return sku, token, placed, str(case["anomalyId"])


def test_staff_cancel_of_a_held_order_refunds_the_received_amount(
    stack: LocalStack, http: Any, long_payment_timeout: None
) -> None:
    sku, token, placed, _ = held(stack, http, 1000)
    support = stack.mint_token("it-support", ["support"])
    cancelled = http.post(f"/orders/{placed['orderId']}/cancel", token=support, json={"reason": "wrong amount"})
    assert (cancelled.status, cancelled.json()["status"]) == (200, "CANCELLED")
    money = payments(http, token, placed["orderId"])
    assert (money["status"], money["refunded"]["amount"], money["outstanding"]["amount"]) == ("REFUNDED", 1000, 0)
    [attempt] = money["attempts"]
    at_provider = stack.sandbox.payment("card", attempt["paymentId"])
    assert at_provider is not None and (at_provider.paid, at_provider.refunded) == (1000, 1000)
    [case] = cases_of(stack, http, placed["orderId"])
    assert (case["status"], case["refund"]["status"]) == ("RESOLVED", "SUCCEEDED")
    assert available(http, sku) == 5


def resolve(stack: LocalStack, http: Any, case_id: str, body: dict[str, Any]) -> dict[str, Any]:
    finance = stack.mint_token("it-finance", ["finance"])
    response = http.post(f"/anomalies/{case_id}/resolve", token=finance, json=body)
    assert response.status == 200, response.text
    return dict(response.json())


def test_accepting_an_underpayment_with_a_write_off_pays_the_order(
    stack: LocalStack, http: Any, long_payment_timeout: None
) -> None:
    sku, token, placed, case_id = held(stack, http, 2900)
    resolved = resolve(stack, http, case_id, {"decision": "accept", "remainder": "write-off", "note": "0.99 short"})
    assert (resolved["status"], resolved["order"]["status"]) == ("RESOLVED", "PAID")
    money = payments(http, token, placed["orderId"])
    assert (money["status"], money["owed"]["amount"], money["outstanding"]["amount"]) == ("PAID", 2900, 0)
    write_off = [line for line in money["ledger"] if line["kind"] == "write_off"]
    assert sorted(line["amount"]["amount"] for line in write_off) == [-99, 99]
    assert available(http, sku) == 4
    assert "written off" in order(http, token, placed["orderId"])["history"][-1]["reason"]


def test_accepting_an_underpayment_charges_exactly_the_rest(
    stack: LocalStack, http: Any, long_payment_timeout: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The payments function arms the rest's timer with this stack's 2 s timeout: longer here.
    monkeypatch.setattr(stack.functions["PaymentsFunction"].module.service, "payment_timeout_seconds", 600)
    sku, token, placed, case_id = held(stack, http, 1000)
    resolved = resolve(stack, http, case_id, {"decision": "accept", "remainder": "charge", "note": "pay the rest"})
    assert resolved["order"]["status"] == "PENDING_PAYMENT"
    assert resolved["order"]["payment"]["outstanding"]["amount"] == 1999
    rest = start_payment(http, token, placed["orderId"], "alipay")
    assert rest["amount"] == {"amount": 1999, "currency": "CNY"}
    stack.sandbox_pay(rest["paymentId"])
    view = order(http, token, placed["orderId"])
    assert (view["status"], view["payment"]["status"], view["payment"]["received"]["amount"]) == ("PAID", "PAID", 2999)
    assert available(http, sku) == 4


def test_a_charged_rest_that_is_never_paid_times_out_and_the_money_goes_back(
    stack: LocalStack, http: Any, long_payment_timeout: None
) -> None:
    sku, token, placed, case_id = held(stack, http, 1000)
    resolved = resolve(stack, http, case_id, {"decision": "accept", "remainder": "charge", "note": "pay the rest"})
    assert resolved["order"]["status"] == "PENDING_PAYMENT"
    view = wait_for(http, token, placed["orderId"], "CANCELLED")  # a new timer, armed at the decision
    assert view["cancellation"]["reason"] == "payment_timeout"
    # The refund follows the cancel (OVERPAID while the money owed back is on its way): wait for it to land.
    money = poll_until(lambda: (m := payments(http, token, placed["orderId"]))["status"] != "OVERPAID" and m)
    assert (money["status"], money["refunded"]["amount"], money["outstanding"]["amount"]) == ("REFUNDED", 1000, 0)
    assert available(http, sku) == 5


def test_deciding_refund_gives_the_money_back_and_cancels_the_order(
    stack: LocalStack, http: Any, long_payment_timeout: None
) -> None:
    sku, token, placed, case_id = held(stack, http, 5000, method="wechat")
    resolved = resolve(stack, http, case_id, {"decision": "refund", "note": "paid too much, refund it all"})
    assert (resolved["status"], resolved["resolution"]["decision"], resolved["order"]["status"]) == (
        "RESOLVED",
        "refund",
        "CANCELLED",
    )
    money = payments(http, token, placed["orderId"])
    assert (money["status"], money["refunded"]["amount"]) == ("REFUNDED", 5000)
    [attempt] = money["attempts"]
    at_provider = stack.sandbox.payment("wechat", attempt["paymentId"])
    assert at_provider is not None and at_provider.refunded == 5000
    assert available(http, sku) == 5


# ---------------------------------------------------------------- item 4
def test_outstanding_after_a_cancelled_child_comes_from_the_ledger(
    stack: LocalStack, http: Any, long_payment_timeout: None
) -> None:
    north = new_store(stack, http, None)  # shipping 5.00
    tee = product(stack, http, "demo", "WH-SH", 4800)  # + 10.00 shipping (demo, below 99.00) = 58.00
    lamp = product(stack, http, north, "WH-BJ", 4300)  # + 5.00 = 48.00
    token = shopper(stack)
    placed = http.post(
        "/orders",
        token=token,
        headers={"Idempotency-Key": str(uuid.uuid4())},
        json={
            "lines": [{"skuId": tee, "quantity": 1}, {"skuId": lamp, "quantity": 1}],
            "shippingAddress": {"name": "Li", "phone": "13800000000", "line1": "1 Rd", "city": "SH", "country": "CN"},
        },
    ).json()
    assert placed["breakdown"]["total"]["amount"] == 10600, placed
    stack.sandbox_pay(start_payment(http, token, placed["orderId"], "alipay")["paymentId"])
    child = next(c for c in placed["children"] if c["storeId"] == "demo")
    other = next(c for c in placed["children"] if c["storeId"] == north)
    assert child["total"]["amount"] == 5800

    assert http.post(f"/orders/{child['childOrderId']}/cancel", token=token, json={}).status == 200
    money = payments(http, token, placed["orderId"])
    assert (money["owed"]["amount"], money["refunded"]["amount"], money["outstanding"]["amount"]) == (4800, 5800, 0)
    assert money["status"] == "PARTIALLY_REFUNDED"

    assert http.post(f"/orders/{other['childOrderId']}/cancel", token=token, json={}).status == 200
    money = payments(http, token, placed["orderId"])
    assert (money["owed"]["amount"], money["refunded"]["amount"], money["outstanding"]["amount"]) == (0, 10600, 0)
    assert money["status"] == "REFUNDED"
    assert sum(line["amount"]["amount"] for line in money["ledger"]) == 0  # every posting balances
