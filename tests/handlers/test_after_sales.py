"""After-sales cases through the functions under moto (issue 11), with the real adapters against the
provider and carrier sandboxes (`world`). The Step Functions flow is stood in for by `Flow`, which records
what the functions start and resume; its tasks are the case-flow function's, called as the state machine
calls them (tests/handlers/test_case_state_machine.py runs the real machine).

Every path of the case table: a refund-only case approved and refunded; a return shipped, delivered to
the warehouse by the carrier's callback, inspected (restockable and damaged units back into stock) and
refunded; rejection, dispute and final arbitration; the deadlines (the store's policy at the review
deadline, a return not shipped, an inspection not done) and a deadline that comes after a person decided;
a refund-only case before shipment that stops the parcel; the shopper's cancel. And what must be refused:
another shopper's order, more units than delivered or claimed, a move the case does not wait for, a
role without the permission, evidence from another shopper's uploads; a replay changes nothing twice."""

from __future__ import annotations

import pytest
from oms.domain.after_sales import CaseStep

from tests.handlers.conftest import ADMIN, CUSTOMER, OTHER_CUSTOMER, SUPPORT, LambdaContext
from tests.helpers.cases import Flow, case, deliver, move, open_case, order_with, payment, stock_of, task, wait
from tests.helpers.problems import assert_problem
from tests.helpers.world import (
    WAREHOUSE,
    Call,
    World,
    carrier_callback,
)

FINANCE = {"sub": "fin-1", "roles": ("finance",)}


# ---------------------------------------------------------------- refund only
def test_a_refund_only_case_is_approved_then_refunded_and_resolved(world: World, flow: Flow) -> None:
    order = order_with(world, 2, method="wechat")
    child = deliver(world, order)
    opened = open_case(world, order, child, "refund_only", [(1, 1)], note="one was broken")
    assert opened.status == 201, opened.body
    created = opened.body
    case_id = created["caseId"]
    assert created["status"] == "REQUESTED" and created["waitingFor"] == "decision" and created["deadline"]
    assert created["amount"] == {"amount": 12000, "currency": "CNY"}  # one unit's paid share
    assert opened.headers["Location"] == f"/after-sales/{case_id}"

    token = wait(world, case_id, "decision")
    approved = move(world, case_id, "approve", SUPPORT, {"note": "ok"})
    assert approved.status == 200, approved.body
    assert approved.body["status"] == "REFUNDING" and approved.body["waitingFor"] == "refund"
    assert flow.resumed == [(token, "refund")]

    assert task(world, "refund", case_id) == {"next": "done"}  # the sandbox refunds at once
    resolved = case(world, case_id)
    assert resolved["status"] == "RESOLVED" and resolved["refundId"] == f"RF{case_id}"
    money = payment(world, order)
    assert money["refunded"] == {"amount": 12000, "currency": "CNY"}
    assert money["status"] == "PARTIALLY_REFUNDED"
    history = [
        e["reason"] or ""
        for e in world.ok("GET /orders/{orderId}", Call(f"/orders/{order['orderId']}", ADMIN))["history"]
    ]
    assert any(f"after-sales case {case_id}: approve, REQUESTED → REFUNDING" in text for text in history)


def test_a_replayed_case_answers_the_first_and_claims_nothing_twice(world: World, flow: Flow) -> None:
    order = order_with(world, 2)
    child = deliver(world, order)
    body = {"childOrderId": child, "type": "refund_only", "lines": [{"lineNo": 1, "quantity": 2}], "reason": "damaged"}
    call = Call(f"/orders/{order['orderId']}/after-sales", CUSTOMER, body, {"Idempotency-Key": "same"}, 201)
    first = world.call("POST /orders/{orderId}/after-sales", call)
    again = world.call("POST /orders/{orderId}/after-sales", call)
    assert first.status == 201 and again.status == 201 and again.headers.get("Idempotent-Replayed") == "true"
    assert again.body == first.body
    listed = world.ok("GET /orders/{orderId}/after-sales", Call(f"/orders/{order['orderId']}/after-sales", CUSTOMER))
    assert [c["caseId"] for c in listed["items"]] == [first.body["caseId"]]
    other = {**body, "reason": "defective"}
    reused = world.call(
        "POST /orders/{orderId}/after-sales",
        Call(f"/orders/{order['orderId']}/after-sales", CUSTOMER, other, {"Idempotency-Key": "same"}),
    )
    assert_problem(reused.status, reused.headers, reused.body, 422, "idempotency-key-reused")


def test_claims_never_exceed_what_was_delivered_and_refusals_change_nothing(world: World, flow: Flow) -> None:
    order = order_with(world, 2)
    child = deliver(world, order)
    assert open_case(world, order, child, "return_refund", [(1, 1)]).status == 201
    before = world.snapshot()
    over = open_case(world, order, child, "return_refund", [(1, 2)])
    assert_problem(over.status, over.headers, over.body, 409, "claim-exceeded")
    assert over.body["over"] == [{"lineNo": 1, "requested": 2, "claimable": 1}]
    foreign = open_case(world, order, child, "refund_only", [(1, 1)], who=OTHER_CUSTOMER)
    assert foreign.status == 404, foreign.body
    asked_more = open_case(
        world, order, child, "refund_only", [(1, 1)], requestedAmount={"amount": 12001, "currency": "CNY"}
    )
    assert_problem(asked_more.status, asked_more.headers, asked_more.body, 422, "validation-failed")
    not_in_order = open_case(world, order, child, "refund_only", [(7, 1)])
    assert not_in_order.status == 422
    stranger = open_case(world, order, child, "refund_only", [(1, 1)], evidence=["evidence/cust-2/x.jpg"])
    assert_problem(stranger.status, stranger.headers, stranger.body, 422, "validation-failed")
    assert world.snapshot() == before
    # The second unit is still claimable.
    assert open_case(world, order, child, "refund_only", [(1, 1)]).status == 201


def test_staff_without_the_role_cannot_decide_and_shoppers_only_their_own(world: World, flow: Flow) -> None:
    order = order_with(world, 1)
    child = deliver(world, order)
    case_id = open_case(world, order, child, "refund_only", [(1, 1)]).body["caseId"]
    for who in (CUSTOMER, WAREHOUSE, FINANCE):
        refused = move(world, case_id, "approve", who)
        assert refused.status == 403, (who, refused.body)
    assert world.call("GET /after-sales/{caseId}", Call(f"/after-sales/{case_id}", OTHER_CUSTOMER)).status == 404
    arbitrated = move(world, case_id, "arbitrate", SUPPORT, {"decision": "approve", "note": "x"})
    assert_problem(arbitrated.status, arbitrated.headers, arbitrated.body, 409, "case-not-waiting")
    assert case(world, case_id)["status"] == "REQUESTED"


def test_a_rejection_is_disputed_once_and_arbitration_is_final(world: World, flow: Flow) -> None:
    order = order_with(world, 1)
    child = deliver(world, order)
    case_id = open_case(world, order, child, "refund_only", [(1, 1)]).body["caseId"]
    rejected = move(world, case_id, "reject", SUPPORT, {"note": "works as described"})
    assert (rejected.body["status"], rejected.body["waitingFor"]) == ("REJECTED", "dispute")
    disputed = move(world, case_id, "dispute", CUSTOMER, {"note": "it does not"})
    assert (disputed.body["status"], disputed.body["waitingFor"]) == ("ESCALATED", "arbitration")
    assert disputed.body["disputed"] is True
    final = move(world, case_id, "arbitrate", ADMIN, {"decision": "reject", "note": "photos show no damage"})
    assert (final.body["status"], final.body["waitingFor"]) == ("REJECTED", "done")
    again = move(world, case_id, "dispute", CUSTOMER, {"note": "again"})
    assert_problem(again.status, again.headers, again.body, 409, "case-not-waiting")
    # A final rejection releases the units: a new case may claim them.
    assert open_case(world, order, child, "return_refund", [(1, 1)]).status == 201


def test_a_retried_move_answers_the_case_as_it_is(world: World, flow: Flow) -> None:
    order = order_with(world, 1)
    child = deliver(world, order)
    case_id = open_case(world, order, child, "return_refund", [(1, 1)]).body["caseId"]
    first = move(world, case_id, "approve", SUPPORT)
    before = world.snapshot()
    second = move(world, case_id, "approve", SUPPORT)
    assert second.status == 200 and second.body == first.body
    assert world.snapshot() == before


# ---------------------------------------------------------------- return and refund
def test_a_return_is_shipped_delivered_inspected_restocked_and_refunded(world: World, flow: Flow) -> None:
    order = order_with(world, 3, method="alipay")
    child = deliver(world, order)
    stock_before = stock_of("TEE-M")
    case_id = open_case(world, order, child, "return_refund", [(1, 2)], reason="size_or_fit").body["caseId"]
    approved = move(world, case_id, "approve", SUPPORT)
    assert (approved.body["status"], approved.body["waitingFor"]) == ("AWAITING_RETURN", "return_shipment")
    token = wait(world, case_id, "return_shipment")
    tracking = world.tracking()
    shipped = move(world, case_id, "return-shipment", CUSTOMER, {"carrier": "sf", "trackingNumber": tracking})
    assert (shipped.body["status"], shipped.body["waitingFor"]) == ("RETURN_SHIPPED", "receipt"), shipped.body
    assert (token, "receipt") in flow.resumed
    carriers = world.functions["carrier_callbacks"]
    assert carrier_callback(carriers, tracking, "IN_TRANSIT", "r1-" + tracking)["statusCode"] == 204
    assert case(world, case_id)["status"] == "RETURN_SHIPPED"
    assert carrier_callback(carriers, tracking, "DELIVERED", "r2-" + tracking)["statusCode"] == 204
    assert carrier_callback(carriers, tracking, "DELIVERED", "r2-" + tracking)["statusCode"] == 204  # a retry
    received = case(world, case_id)
    assert (received["status"], received["waitingFor"]) == ("RECEIVED", "inspection")
    assert [e["status"] for e in received["returnShipment"]["events"]] == ["IN_TRANSIT", "DELIVERED"]

    wrong = move(world, case_id, "inspect", WAREHOUSE, {"lines": [{"lineNo": 1, "restockable": 2, "damaged": 1}]})
    assert wrong.status == 422
    inspected = move(world, case_id, "inspect", WAREHOUSE, {"lines": [{"lineNo": 1, "restockable": 1, "damaged": 1}]})
    assert (inspected.body["status"], inspected.body["waitingFor"]) == ("REFUNDING", "refund"), inspected.body
    stock = stock_of("TEE-M")
    assert stock["available"] == stock_before["available"] + 1
    assert stock["sold"] == stock_before["sold"] - 2
    assert stock["damaged"] == stock_before["damaged"] + 1

    def held(counters: dict[str, int]) -> int:
        return counters["available"] + counters["reserved"] + counters["sold"] + counters["damaged"]

    assert held(stock) == held(stock_before)  # stock is conserved: every unit is somewhere
    assert (stock["received"], stock["adjusted"]) == (stock_before["received"], stock_before["adjusted"])
    assert task(world, "refund", case_id) == {"next": "done"}
    assert case(world, case_id)["status"] == "RESOLVED"
    assert payment(world, order)["refunded"]["amount"] == 24000


def test_a_return_not_shipped_in_time_closes_the_case(world: World, flow: Flow) -> None:
    order = order_with(world, 1)
    child = deliver(world, order)
    case_id = open_case(world, order, child, "return_refund", [(1, 1)]).body["caseId"]
    move(world, case_id, "approve", SUPPORT)
    assert task(world, "deadline", case_id, step="return_shipment") == {"next": "done"}
    closed = case(world, case_id)
    assert closed["status"] == "CLOSED" and closed["decisions"][-1]["by"] == "after-sales"
    late = move(world, case_id, "return-shipment", CUSTOMER, {"carrier": "sf", "trackingNumber": world.tracking()})
    assert_problem(late.status, late.headers, late.body, 409, "case-not-waiting")


def test_an_inspection_not_done_in_time_accepts_every_unit(world: World, flow: Flow) -> None:
    order = order_with(world, 1)
    child = deliver(world, order)
    stock_before = stock_of("TEE-M")
    case_id = open_case(world, order, child, "return_refund", [(1, 1)]).body["caseId"]
    move(world, case_id, "approve", SUPPORT)
    move(world, case_id, "receive", WAREHOUSE)  # booked in before the shopper gave a tracking number
    assert task(world, "deadline", case_id, step="inspection") == {"next": "refund"}
    assert case(world, case_id)["inspection"]["lines"] == [{"lineNo": 1, "restockable": 1, "damaged": 0}]
    assert stock_of("TEE-M")["available"] == stock_before["available"] + 1


# ---------------------------------------------------------------- deadlines and people
def test_the_review_deadline_applies_the_store_policy(world: World, flow: Flow) -> None:
    order = order_with(world, 1)
    child = deliver(world, order)
    small = open_case(world, order, child, "refund_only", [(1, 1)], requestedAmount={"amount": 5000, "currency": "CNY"})
    case_id = small.body["caseId"]
    assert task(world, "deadline", case_id, step="decision") == {"next": "refund"}  # 50.00 <= 200.00: approved
    assert case(world, case_id)["decisions"][-1] == {
        **case(world, case_id)["decisions"][-1],
        "action": "approve",
        "by": "after-sales",
    }
    assert task(world, "refund", case_id) == {"next": "done"}
    assert payment(world, order)["refunded"]["amount"] == 5000


def test_a_large_refund_at_the_deadline_is_escalated(world: World, flow: Flow) -> None:
    order = order_with(world, 2)
    child = deliver(world, order)
    case_id = open_case(world, order, child, "refund_only", [(1, 2)]).body["caseId"]  # 240.00 > 200.00
    assert task(world, "deadline", case_id, step="decision") == {"next": "arbitration"}
    assert case(world, case_id)["status"] == "ESCALATED"
    approved = move(world, case_id, "arbitrate", SUPPORT, {"decision": "approve", "note": "photos"})
    assert approved.body["status"] == "REFUNDING"


def test_a_deadline_after_a_person_decided_changes_nothing(world: World, flow: Flow) -> None:
    order = order_with(world, 2)
    child = deliver(world, order)
    case_id = open_case(world, order, child, "refund_only", [(1, 2)]).body["caseId"]
    move(world, case_id, "reject", SUPPORT, {"note": "no"})
    before = world.snapshot()
    assert task(world, "deadline", case_id, step="decision") == {"next": "dispute"}
    assert world.snapshot() == before


def test_a_wait_that_comes_after_the_move_resumes_at_once(world: World, flow: Flow) -> None:
    order = order_with(world, 1)
    child = deliver(world, order)
    case_id = open_case(world, order, child, "refund_only", [(1, 1)]).body["caseId"]
    move(world, case_id, "reject", SUPPORT, {"note": "no"})
    token = wait(world, case_id, "decision")  # the flow reaches its wait only now
    assert flow.resumed == [(token, "dispute")]


def test_the_shopper_cancels_before_the_refund_but_not_after(world: World, flow: Flow) -> None:
    order = order_with(world, 2)
    child = deliver(world, order)
    first = open_case(world, order, child, "refund_only", [(1, 1)]).body["caseId"]
    cancelled = move(world, first, "cancel", CUSTOMER, {"note": "found it"})
    assert (cancelled.body["status"], cancelled.body["waitingFor"]) == ("CANCELLED", "done")
    second = open_case(world, order, child, "refund_only", [(1, 2)]).body["caseId"]  # the claim was released
    move(world, second, "approve", SUPPORT)
    task(world, "refund", second)
    late = move(world, second, "cancel", CUSTOMER)
    assert_problem(late.status, late.headers, late.body, 409, "case-not-waiting")


def test_a_refund_only_case_before_shipment_stops_the_parcel(world: World, flow: Flow) -> None:
    order = order_with(world, 1, method="wechat")
    child = order["children"][0]["childOrderId"]
    partial = open_case(world, order, child, "refund_only", [(1, 1)])
    assert partial.status == 201, partial.body
    case_id = partial.body["caseId"]
    assert flow.started == [] or all(c == case_id for c, _ in flow.started)
    assert task(world, "begin", case_id) == {"next": "refund"}
    assert task(world, "refund", case_id) == {"next": "done"}
    resolved = case(world, case_id)
    assert resolved["status"] == "RESOLVED" and resolved["refundId"] == f"RF{child}"
    read = world.ok("GET /orders/{orderId}", Call(f"/orders/{order['orderId']}", ADMIN))
    assert read["children"][0]["status"] == "CANCELLED"


def test_lists_and_the_queue(world: World, flow: Flow) -> None:
    order = order_with(world, 2)
    child = deliver(world, order)
    a = open_case(world, order, child, "refund_only", [(1, 1)], reason="damaged").body["caseId"]
    b = open_case(world, order, child, "return_refund", [(1, 1)], reason="size_or_fit").body["caseId"]
    mine = world.ok("GET /after-sales", Call("/after-sales", CUSTOMER))
    assert [c["caseId"] for c in mine["items"]] == [b, a]
    by_status = world.ok(
        "GET /after-sales", Call("/after-sales", SUPPORT, query={"status": "REQUESTED", "type": "return_refund"})
    )
    assert [c["caseId"] for c in by_status["items"]] == [b]
    by_store = world.ok(
        "GET /after-sales", Call("/after-sales", SUPPORT, query={"storeId": "demo", "reason": "damaged"})
    )
    assert [c["caseId"] for c in by_store["items"]] == [a]
    waiting = world.ok("GET /after-sales", Call("/after-sales", SUPPORT))  # by default: waiting for a decision
    assert [c["caseId"] for c in waiting["items"]] == [b, a]
    queue = world.ok("GET /after-sales/queue", Call("/after-sales/queue", SUPPORT))
    assert {c["caseId"] for c in queue["items"]} == {a, b}
    assert (
        world.ok("GET /after-sales/queue", Call("/after-sales/queue", SUPPORT, query={"overdue": "true"}))["items"]
        == []
    )
    assert world.call("GET /after-sales/queue", Call("/after-sales/queue", CUSTOMER)).status == 403


def test_evidence_uploads_are_presigned_for_the_shoppers_own_prefix(world: World, flow: Flow) -> None:
    upload = world.ok(
        "POST /after-sales/evidence-uploads",
        Call("/after-sales/evidence-uploads", CUSTOMER, {"contentType": "image/png", "size": 2048}, status=201),
    )
    assert upload["key"].startswith("evidence/cust-1/") and upload["key"].endswith(".png")
    assert upload["fields"]["Content-Type"] == "image/png" and "policy" in upload["fields"]
    wrong = world.call(
        "POST /after-sales/evidence-uploads",
        Call("/after-sales/evidence-uploads", CUSTOMER, {"contentType": "text/html", "size": 10}),
    )
    assert wrong.status == 422
    huge = world.call(
        "POST /after-sales/evidence-uploads",
        Call("/after-sales/evidence-uploads", CUSTOMER, {"contentType": "image/png", "size": 6 * 1024 * 1024}),
    )
    assert huge.status == 422
    order = order_with(world, 1)
    child = deliver(world, order)
    opened = open_case(world, order, child, "refund_only", [(1, 1)], evidence=[upload["key"]])
    assert opened.body["evidence"] == [upload["key"]]


def test_steps_of_the_flow_are_the_case_steps() -> None:
    import json
    from pathlib import Path

    machine = json.loads(
        (Path(__file__).resolve().parents[2] / "statemachines" / "after_sales_case.asl.json").read_text()
    )
    routed = {choice["StringEquals"] for choice in machine["States"]["Route"]["Choices"]}
    assert routed == {step.value for step in CaseStep}


def test_counts_per_reason_come_from_day_counters(world: World, flow: Flow) -> None:
    from oms.domain.clock import utcnow

    order = order_with(world, 3)
    child = deliver(world, order)
    open_case(world, order, child, "refund_only", [(1, 1)], reason="damaged")
    open_case(world, order, child, "return_refund", [(1, 1)], reason="damaged")
    open_case(world, order, child, "return_refund", [(1, 1)], reason="size_or_fit")
    today = utcnow().date().isoformat()
    stats = world.ok(
        "GET /after-sales/stats", Call("/after-sales/stats", SUPPORT, query={"fromDay": today, "toDay": today})
    )
    assert stats["opened"] == 3
    assert stats["byReason"] == {"damaged": 2, "size_or_fit": 1}
    assert stats["byType"] == {"refund_only": 1, "return_refund": 2}
    refused = world.call(
        "GET /after-sales/stats", Call("/after-sales/stats", CUSTOMER, query={"fromDay": today, "toDay": today})
    )
    assert refused.status == 403


def test_a_refused_case_refund_rerouted_to_the_balance_resolves_the_case(world: World, flow: Flow) -> None:
    """The provider refuses the case's refund for good: the flow's refund task keeps answering that it is
    not settled (the flow then waits), the leg waits in the finance queue, finance re-routes it to the
    balance, and the RefundSucceeded row in the stream resolves the case and resumes the waiting flow."""
    from tests.helpers.handlers import TableStream, load_function

    stream = TableStream("AfterCommitFunction")
    order = order_with(world, 1, method="wechat")
    child = deliver(world, order)
    case_id = open_case(world, order, child, "refund_only", [(1, 1)]).body["caseId"]
    move(world, case_id, "approve", SUPPORT)
    world.sandbox.refunds_declined = True
    try:
        with pytest.raises(Exception) as pending:
            task(world, "refund", case_id)
    finally:
        world.sandbox.refunds_declined = False
    assert type(pending.value).__name__ == "RefundNotSettled"  # the ASL's Retry and Catch name it
    token = wait(world, case_id, "refund")
    queue = world.ok("GET /refunds", Call("/refunds", FINANCE, query={"status": "FAILED"}))
    [leg] = [r for r in queue["items"] if r["orderId"] == order["orderId"]]
    assert leg["refundId"] == f"RF{case_id}"
    world.ok(
        "POST /orders/{orderId}/refunds/{refundId}/resolve",
        Call(
            f"/orders/{order['orderId']}/refunds/{leg['refundId']}/resolve",
            FINANCE,
            {"decision": "to-balance", "note": "the card is closed"},
        ),
    )
    assert case(world, case_id)["status"] == "REFUNDING"  # the stream has not run yet
    records = [r for r in stream.new_records() if r["dynamodb"]["NewImage"]["detailType"]["S"] == "RefundSucceeded"]
    assert load_function("after_commit").handler({"Records": records}, LambdaContext()) == {"batchItemFailures": []}
    resolved = case(world, case_id)
    assert resolved["status"] == "RESOLVED" and resolved["decisions"][-1]["action"] == "refunded"
    assert (token, "done") in flow.resumed
