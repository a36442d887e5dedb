"""Timers are armed from the committed data, never by the request: checkout answers 201 without
touching Step Functions, and the after-commit function (fed the table's stream through the template's
FilterCriteria) starts `pay-<orderId>`, idempotently, reporting a failed start as a batch item failure."""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

import pytest
from cfnlint.decode import decode
from oms.config import Settings

from tests.handlers.conftest import (
    ADDRESS,
    CUSTOMER,
    ROOT,
    Api,
    AwsCalls,
    LambdaContext,
    TableStream,
    executions,
    load_function,
)
from tests.helpers.handlers import give_balance
from tests.helpers.table import stock_of

ORDER_ROUTE = "GET /orders/{orderId}"


def checkout(orders_api: Api, key: str, quantity: int = 1) -> tuple[int, Any]:
    status, _, body = orders_api(
        "POST",
        "/orders",
        **CUSTOMER,
        headers={"Idempotency-Key": key},
        body={"lines": [{"skuId": "MUG", "quantity": quantity}], "shippingAddress": ADDRESS},
    )
    return status, body


@pytest.fixture
def timers(state_machines: dict[str, str]) -> ModuleType:
    return load_function("after_commit")


def deliver(timers: ModuleType, records: list[dict[str, Any]]) -> Any:
    return timers.handler({"Records": records}, LambdaContext())


def test_checkout_answers_201_without_starting_any_execution_even_when_step_functions_is_down(
    seeded: dict[str, Any], aws_calls: AwsCalls, state_machines: dict[str, str]
) -> None:
    orders_api = Api(load_function("orders"))
    aws_calls.fail("stepfunctions:StartExecution", "ServiceUnavailable")
    aws_calls.clear()
    status, order = checkout(orders_api, "down-1")
    assert status == 201, order
    # Exactly the two synchronous calls of the budget: one read, one transaction.
    assert aws_calls.calls == ["dynamodb:BatchGetItem", "dynamodb:TransactWriteItems"]
    status, _, read = orders_api("GET", f"/orders/{order['orderId']}", route=ORDER_ROUTE, **CUSTOMER)
    assert (status, read["status"]) == (200, "PENDING_PAYMENT")
    assert stock_of("MUG")["reserved"] == 1
    # The replay of the same request answers the stored 201 and starts nothing either.
    aws_calls.clear()
    assert checkout(orders_api, "down-1") == (201, order)
    assert aws_calls.calls == ["dynamodb:BatchGetItem"]
    assert executions(state_machines["PaymentTimeoutStateMachine"]) == {}


def placed(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The OrderPlaced rows among a stream's records (the after-commit function also takes other rows)."""
    return [r for r in records if r["dynamodb"]["NewImage"].get("detailType", {}).get("S") == "OrderPlaced"]


def test_the_order_placed_row_arms_the_payment_timer_once(
    seeded: dict[str, Any], orders_api: Api, state_machines: dict[str, str], timers: ModuleType
) -> None:
    stream = TableStream("AfterCommitFunction")
    status, order = checkout(orders_api, "arm-1")
    assert status == 201
    records = placed(stream.new_records())
    assert [json.loads(r["dynamodb"]["NewImage"]["detail"]["S"])["orderId"] for r in records] == [order["orderId"]]
    assert deliver(timers, records) == {"batchItemFailures": []}
    armed = executions(state_machines["PaymentTimeoutStateMachine"])
    assert armed == {f"pay-{order['orderId']}": {"orderId": order["orderId"], "deadline": order["paymentDeadline"]}}
    # The same record again (a retried batch): nothing new, nothing failed.
    assert deliver(timers, records) == {"batchItemFailures": []}
    assert executions(state_machines["PaymentTimeoutStateMachine"]) == armed


def test_an_order_paid_at_checkout_gets_no_payment_timer(
    seeded: dict[str, Any], orders_api: Api, state_machines: dict[str, str], timers: ModuleType
) -> None:
    give_balance("cust-1", 1_000_000)
    stream = TableStream("AfterCommitFunction")
    status, _, order = orders_api(
        "POST",
        "/orders",
        **CUSTOMER,
        headers={"Idempotency-Key": "paid-1"},
        body={"lines": [{"skuId": "MUG", "quantity": 1}], "shippingAddress": ADDRESS, "balance": "max"},
    )
    assert (status, order["status"]) == (201, "PAID")
    records = stream.new_records()  # OrderPlaced (PAID), and OrderPaid (product sales) but not as a timer row
    assert len(placed(records)) == 1
    assert deliver(timers, records) == {"batchItemFailures": []}
    assert executions(state_machines["PaymentTimeoutStateMachine"]) == {}


def test_a_failed_start_is_reported_as_a_batch_item_failure_not_swallowed(
    seeded: dict[str, Any], aws_calls: AwsCalls, state_machines: dict[str, str]
) -> None:
    orders_api = Api(load_function("orders"))
    timers = load_function("after_commit")
    stream = TableStream("AfterCommitFunction")
    first, second = checkout(orders_api, "f-1")[1], checkout(orders_api, "f-2")[1]
    records = placed(stream.new_records())
    assert len(records) == 2
    failing = f"pay-{second['orderId']}".encode()
    aws_calls.fail("stepfunctions:StartExecution", "ServiceUnavailable", when=lambda body: failing in body)
    result = deliver(timers, records)
    assert result == {"batchItemFailures": [{"itemIdentifier": records[1]["dynamodb"]["SequenceNumber"]}]}
    assert set(executions(state_machines["PaymentTimeoutStateMachine"])) == {f"pay-{first['orderId']}"}
    # Every record failing is reported too (the stream retries from the first), not an invocation error.
    aws_calls.fail("stepfunctions:StartExecution", "ServiceUnavailable")
    assert deliver(timers, records[1:]) == {
        "batchItemFailures": [{"itemIdentifier": records[1]["dynamodb"]["SequenceNumber"]}]
    }
    # Once Step Functions is back, the retried record arms its timer; the first one stays armed once.
    aws_calls.heal()
    assert deliver(timers, records) == {"batchItemFailures": []}
    assert set(executions(state_machines["PaymentTimeoutStateMachine"])) == {
        f"pay-{first['orderId']}",
        f"pay-{second['orderId']}",
    }


def test_the_stream_filter_lets_through_exactly_the_detail_types_that_have_after_commit_actions() -> None:
    from oms import wiring

    template, _ = decode(str(ROOT / "template.yaml"))
    event = template["Resources"]["AfterCommitFunction"]["Properties"]["Events"]["CommittedRows"]["Properties"]
    pattern, stock = [json.loads(f["Pattern"]) for f in event["FilterCriteria"]["Filters"]]
    assert stock == {"eventName": ["INSERT", "MODIFY"], "dynamodb": {"NewImage": {"type": {"S": ["Stock"]}}}}
    image = pattern["dynamodb"]["NewImage"]
    assert pattern["eventName"] == ["INSERT"] and image["type"] == {"S": ["Outbox"]}
    assert set(image["detailType"]["S"]) == wiring.services(Settings.from_env()).after_commit.detail_types
    assert event["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert event["BisectBatchOnFunctionError"] is True
    assert 0 < event["MaximumRecordAgeInSeconds"] <= 86400 and 0 < event["MaximumRetryAttempts"] <= 100
    assert "OnFailure" in event["DestinationConfig"]
