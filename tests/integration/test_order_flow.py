"""Through the local stack over HTTP: checkout → read → cancel, and checkout → payment timeout,
with real JWTs, the real template, moto's Step Functions executing the real state machine."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest

from tests.helpers.flows import available, new_sku, place

pytestmark = pytest.mark.integration


def test_quote_checkout_read_cancel(stack: Any, http: Any, long_payment_timeout: None) -> None:
    sku_id = new_sku(stack, http, stock=5)
    alice = stack.mint_token("it-alice", ["customer"])
    quote = http.post("/orders/quote", token=alice, json={"lines": [{"skuId": sku_id, "quantity": 2}]})
    assert quote.status == 200
    assert quote.json()["breakdown"]["total"] == {"amount": 2 * 1999 + 1000, "currency": "CNY"}
    assert available(http, sku_id) == 5

    placed = place(http, alice, sku_id, 2)
    assert placed.status == 201, placed.text
    order = placed.json()
    assert order["status"] == "PENDING_PAYMENT"
    assert order["breakdown"] == quote.json()["breakdown"]
    assert available(http, sku_id) == 3

    read = http.get(f"/orders/{order['orderId']}", token=alice)
    assert read.status == 200
    assert read.json()["orderNumber"] == order["orderNumber"]
    mine = http.get("/orders", token=alice).json()["items"]
    assert [o["orderId"] for o in mine][:1] == [order["orderId"]]
    bob = stack.mint_token("it-bob", ["customer"])
    assert http.get(f"/orders/{order['orderId']}", token=bob).status == 404

    cancelled = http.post(f"/orders/{order['orderId']}/cancel", token=alice, json={"reason": "wrong size"})
    assert cancelled.status == 200, cancelled.text
    assert cancelled.json()["status"] == "CANCELLED"
    assert cancelled.json()["cancellation"]["by"] == "it-alice"
    assert available(http, sku_id) == 5


def test_unpaid_order_cancels_itself_at_the_deadline(stack: Any, http: Any) -> None:
    timeout = int(stack.template.parameters["PaymentTimeoutSeconds"])
    assert timeout <= 5, "the session stack runs with a short payment timeout"
    sku_id = new_sku(stack, http, stock=4)
    carol = stack.mint_token("it-carol", ["customer"])
    placed = place(http, carol, sku_id, 3)
    assert placed.status == 201, placed.text
    order_id = placed.json()["orderId"]
    assert available(http, sku_id) == 1

    deadline = time.monotonic() + timeout + 15
    status = "PENDING_PAYMENT"
    while time.monotonic() < deadline:
        status = http.get(f"/orders/{order_id}", token=carol).json()["status"]
        if status != "PENDING_PAYMENT":
            break
        time.sleep(0.25)
    assert status == "CANCELLED"
    order = http.get(f"/orders/{order_id}", token=carol).json()
    assert order["cancellation"]["reason"] == "payment_timeout"
    assert order["history"][-1]["role"] == "system"
    assert available(http, sku_id) == 4

    sfn = stack.boto3_client("stepfunctions")
    arn = stack.resources["PaymentTimeoutStateMachine"]
    execution = sfn.describe_execution(executionArn=arn.replace(":stateMachine:", ":execution:") + f":pay-{order_id}")
    assert execution["status"] in {"SUCCEEDED", "RUNNING"}


def test_idempotent_replay_through_the_api(stack: Any, http: Any, long_payment_timeout: None) -> None:
    sku_id = new_sku(stack, http, stock=3)
    dave = stack.mint_token("it-dave", ["customer"])
    first = place(http, dave, sku_id, 1, key="dave-1")
    again = place(http, dave, sku_id, 1, key="dave-1")
    other = place(http, dave, sku_id, 2, key="dave-1")
    assert (first.status, again.status, other.status) == (201, 201, 422)
    assert again.json() == first.json()
    assert available(http, sku_id) == 2


@pytest.mark.parametrize(
    ("token_kind", "expected"),
    [("none", 401), ("bad-signature", 401), ("expired", 401), ("garbage", 401)],
)
def test_bad_tokens_are_rejected_before_any_handler_runs(stack: Any, http: Any, token_kind: str, expected: int) -> None:
    good = stack.mint_token("it-eve", ["customer"])
    tokens = {
        "none": None,
        "bad-signature": good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB"),
        "expired": stack.mint_token("it-eve", ["customer"], expires_in=-60),
        "garbage": "not-a-jwt",
    }
    response = http.post("/orders/quote", token=tokens[token_kind], json={"lines": [{"skuId": "x", "quantity": 1}]})
    assert response.status == expected
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"] == "urn:oms:problem:unauthorized"


def test_order_events_reach_the_bus_through_the_outbox(stack: Any, http: Any, long_payment_timeout: None) -> None:
    events, sqs = stack.boto3_client("events"), stack.boto3_client("sqs")
    queue = sqs.create_queue(QueueName=f"watch-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    bus = stack.resources["EventBus"]
    rule = f"watch-{uuid.uuid4().hex[:8]}"
    events.put_rule(Name=rule, EventBusName=bus, EventPattern=json.dumps({"source": ["oms"]}))
    events.put_targets(Rule=rule, EventBusName=bus, Targets=[{"Id": "q", "Arn": arn}])
    sku_id = new_sku(stack, http, stock=2)
    alice = stack.mint_token("it-outbox", ["customer"])
    order_id = place(http, alice, sku_id, 1).json()["orderId"]
    http.post(f"/orders/{order_id}/cancel", token=alice, json={})
    seen: list[tuple[str, str]] = []
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and len([s for s in seen if s[1] == order_id]) < 2:
        for message in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        ):
            body = json.loads(message["Body"])
            seen.append((body["detail-type"], body["detail"].get("orderId")))
    assert ("OrderPlaced", order_id) in seen and ("OrderCancelled", order_id) in seen
