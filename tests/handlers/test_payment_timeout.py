"""The payment-timeout task: cancels only a due, still-unpaid order, in one conditional transaction."""

from __future__ import annotations

from datetime import timedelta
from types import ModuleType
from typing import Any

import boto3
import pytest
from oms.domain.clock import parse_rfc3339

from tests.handlers.conftest import ADDRESS, CUSTOMER, Api, LambdaContext, load_function
from tests.helpers.table import stock_of, table_snapshot


@pytest.fixture
def timeout_module(aws: None) -> ModuleType:
    return load_function("payment_timeout")


def place(orders_api: Api) -> dict[str, Any]:
    status, _, order = orders_api(
        "POST",
        "/orders",
        **CUSTOMER,
        headers={"Idempotency-Key": "t1"},
        body={"lines": [{"skuId": "MUG", "quantity": 2}], "shippingAddress": ADDRESS},
    )
    assert status == 201
    return order


def at(module: ModuleType, order: dict[str, Any], offset_seconds: float) -> None:
    moment = parse_rfc3339(order["paymentDeadline"]) + timedelta(seconds=offset_seconds)
    module.service.clock = lambda: moment


def expire(module: ModuleType, order_id: str) -> dict[str, Any]:
    result: dict[str, Any] = module.handler({"orderId": order_id}, LambdaContext())
    return result


def test_not_due_changes_nothing(seeded: dict[str, Any], orders_api: Api, timeout_module: ModuleType) -> None:
    order = place(orders_api)
    at(timeout_module, order, -5)
    before = table_snapshot()
    result = expire(timeout_module, order["orderId"])
    assert result == {
        "orderId": order["orderId"],
        "result": "not_due",
        "status": "PENDING_PAYMENT",
        "deadline": order["paymentDeadline"],
    }
    assert table_snapshot() == before


def test_due_order_is_cancelled_with_payment_timeout_and_stock_released(
    seeded: dict[str, Any], orders_api: Api, timeout_module: ModuleType
) -> None:
    order = place(orders_api)
    assert stock_of("MUG")["available"] == 1
    at(timeout_module, order, 0)
    assert expire(timeout_module, order["orderId"])["result"] == "cancelled"
    _status, _, got = orders_api("GET", f"/orders/{order['orderId']}", route="GET /orders/{orderId}", **CUSTOMER)
    assert got["status"] == "CANCELLED"
    assert got["cancellation"]["reason"] == "payment_timeout"
    assert got["cancellation"]["by"] == "payment-timeout"
    assert got["history"][-1] == {
        **got["history"][-1],
        "from": "PENDING_PAYMENT",
        "to": "CANCELLED",
        "role": "system",
        "reason": "payment_timeout",
    }
    assert stock_of("MUG") == {"available": 3, "reserved": 0, "sold": 0, "received": 3, "adjusted": 0}
    # A second firing (Step Functions retry) changes nothing.
    before = table_snapshot()
    assert expire(timeout_module, order["orderId"])["result"] == "skipped"
    assert table_snapshot() == before


def test_order_that_left_pending_payment_is_left_alone(
    seeded: dict[str, Any], orders_api: Api, timeout_module: ModuleType
) -> None:
    order = place(orders_api)
    boto3.resource("dynamodb").Table("oms-local-oms").update_item(
        Key={"PK": f"ORDER#{order['orderId']}", "SK": "META"},
        UpdateExpression="SET #s = :paid, version = version + :one",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":paid": "PAID", ":one": 1},
    )
    at(timeout_module, order, 60)
    before = table_snapshot()
    assert expire(timeout_module, order["orderId"]) == {
        "orderId": order["orderId"],
        "result": "skipped",
        "status": "PAID",
        "deadline": order["paymentDeadline"],
    }
    assert table_snapshot() == before


def test_payment_racing_the_timer_wins_and_nothing_is_released(
    seeded: dict[str, Any], orders_api: Api, timeout_module: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The order is read as unpaid, then paid before the cancel commits: the conditional write refuses."""
    order = place(orders_api)
    repo = timeout_module.service.repository
    real_get = repo.get_order
    calls = {"n": 0}

    def get_then_pay(order_id: str) -> Any:
        record = real_get(order_id)
        calls["n"] += 1
        if calls["n"] == 1:
            boto3.resource("dynamodb").Table("oms-local-oms").update_item(
                Key={"PK": f"ORDER#{order_id}", "SK": "META"},
                UpdateExpression="SET #s = :paid, version = version + :one",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":paid": "PAID", ":one": 1},
            )
        return record

    monkeypatch.setattr(repo, "get_order", get_then_pay)
    at(timeout_module, order, 1)
    result = expire(timeout_module, order["orderId"])
    assert result["result"] == "skipped"
    assert result["status"] == "PAID"
    assert stock_of("MUG")["reserved"] == 2


def test_unknown_order_is_skipped(aws: None, timeout_module: ModuleType) -> None:
    assert expire(timeout_module, "01UNKNOWN")["result"] == "skipped"


def test_event_without_order_id_fails_loudly(aws: None, timeout_module: ModuleType) -> None:
    with pytest.raises(ValueError):
        timeout_module.handler({}, LambdaContext())
