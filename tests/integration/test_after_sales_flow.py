"""After-sales cases through the local stack over HTTP, with the case state machine running for real
(moto's executor, Lambda tasks in process, real waits and task tokens): the README's walk of a return
(request → approve → return shipped → delivered to the warehouse by the carrier's signed callback →
inspected → refunded by the flow), and the deadlines deciding when nobody acts (the store's policy
approves a small refund; a return not shipped in time closes the case), with the deadlines shortened to
seconds for these tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from local.stack import LocalStack
from tests.helpers.flows import (
    admin,
    carrier_event,
    case_of,
    delivered_order,
    execution,
    open_case,
    order,
)

pytestmark = pytest.mark.integration


def test_a_return_walks_from_request_to_refund(stack: LocalStack, http: Any, eventually: Any) -> None:
    token, placed, child = delivered_order(stack, http, 2)
    order_id = placed["orderId"]
    support = stack.mint_token("it-support", ["support"])
    warehouse = stack.mint_token("it-warehouse", ["warehouse"])
    case = open_case(
        http,
        token,
        order_id,
        {
            "childOrderId": child,
            "type": "return_refund",
            "lines": [{"lineNo": 1, "quantity": 1}],
            "reason": "size_or_fit",
        },
    )
    case_id = case["caseId"]
    eventually(lambda: (execution(stack, case_id) or {}).get("status") == "RUNNING")

    approved = http.post(f"/after-sales/{case_id}/approve", token=support, json={"note": "send it back"})
    assert approved.status == 200 and approved.json()["status"] == "AWAITING_RETURN", approved.text
    tracking = f"SF{uuid.uuid4().hex[:10].upper()}"
    shipped = http.post(
        f"/after-sales/{case_id}/return-shipment", token=token, json={"carrier": "sf", "trackingNumber": tracking}
    )
    assert shipped.status == 200 and shipped.json()["status"] == "RETURN_SHIPPED", shipped.text
    carrier_event(http, tracking, "IN_TRANSIT")
    carrier_event(http, tracking, "DELIVERED")
    assert case_of(http, token, case_id)["status"] == "RECEIVED"
    inspected = http.post(
        f"/after-sales/{case_id}/inspect",
        token=warehouse,
        json={"lines": [{"lineNo": 1, "restockable": 1, "damaged": 0}]},
    )
    assert inspected.status == 200 and inspected.json()["status"] == "REFUNDING", inspected.text

    resolved = eventually(lambda: (c := case_of(http, token, case_id))["status"] == "RESOLVED" and c, timeout=30)
    assert resolved["refundId"] == f"RF{case_id}"
    assert eventually(lambda: (execution(stack, case_id) or {}).get("status") == "SUCCEEDED", timeout=30)
    money = order(http, token, order_id)["payment"]
    assert money["refunded"] == {"amount": 4900, "currency": "CNY"}
    assert money["status"] == "PARTIALLY_REFUNDED"


@pytest.fixture
def short_deadlines(stack: LocalStack) -> Iterator[None]:
    """The case deadlines of the functions that start and move cases, in seconds, for one test."""
    from oms.services.after_sales import Deadlines

    services = [
        stack.functions[name].module.services.after_sales for name in ("AfterCommitFunction", "AfterSalesFunction")
    ]
    originals = [s.deadlines for s in services]
    for service in services:
        service.deadlines = Deadlines(review=2, dispute=2, return_ship=2, inspect=2)
    yield
    for service, original in zip(services, originals, strict=True):
        service.deadlines = original


def test_the_store_policy_approves_a_small_refund_nobody_decided(
    stack: LocalStack, http: Any, eventually: Any, short_deadlines: None
) -> None:
    token, placed, child = delivered_order(stack, http, 1)
    body = {
        "childOrderId": child,
        "type": "refund_only",
        "lines": [{"lineNo": 1, "quantity": 1}],
        "reason": "damaged",
        "requestedAmount": {"amount": 1000, "currency": "CNY"},
    }
    case_id = open_case(http, token, placed["orderId"], body)["caseId"]
    resolved = eventually(lambda: (c := case_of(http, token, case_id))["status"] == "RESOLVED" and c, timeout=40)
    assert [d["action"] for d in resolved["decisions"]] == ["approve", "refunded"]
    assert resolved["decisions"][0]["by"] == "after-sales"
    assert order(http, token, placed["orderId"])["payment"]["refunded"]["amount"] == 1000


def test_a_return_not_shipped_in_time_is_closed(
    stack: LocalStack, http: Any, eventually: Any, short_deadlines: None
) -> None:
    token, placed, child = delivered_order(stack, http, 1)
    body = {"childOrderId": child, "type": "return_refund", "lines": [{"lineNo": 1, "quantity": 1}], "reason": "other"}
    case_id = open_case(http, token, placed["orderId"], body)["caseId"]
    support = admin(stack)
    assert http.post(f"/after-sales/{case_id}/approve", token=support, json={}).status == 200
    closed = eventually(lambda: (c := case_of(http, token, case_id))["status"] == "CLOSED" and c, timeout=40)
    assert closed["decisions"][-1]["action"] == "expire"
    assert eventually(lambda: (execution(stack, case_id) or {}).get("status") == "SUCCEEDED", timeout=30)
