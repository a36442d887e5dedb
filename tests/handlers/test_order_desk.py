"""The order desk through its handlers (issue 13 items 5 and 7): notes and communications per role, the
special flag, staff holds and their refused releases, the abnormal payment's hold released each way with
the ledger balanced, and batches (partial failure, replay, limits)."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from tests.helpers.handlers import ADMIN, CUSTOMER, OTHER_CUSTOMER, SUPPORT, outbox_rows
from tests.helpers.payments import ledger_items
from tests.helpers.table import table_snapshot
from tests.helpers.world import FINANCE, WAREHOUSE, Call, Faults, World, payment_callback

NOTES = "/orders/{orderId}/notes"
SPECIAL = "/orders/{orderId}/flags/special"
HOLD = "POST /orders/{orderId}/hold"
RELEASE = "POST /orders/{orderId}/release-hold"
BATCH = "POST /orders/batch"
RESOLVE = "POST /anomalies/{anomalyId}/resolve"


def note(world: World, order_id: str, who: dict[str, Any], body: dict[str, Any], status: int = 201) -> Any:
    answer = world.call(f"POST {NOTES}", Call(f"/orders/{order_id}/notes", who, body))
    assert answer.status == status, answer.body
    return answer.body


def notes(world: World, order_id: str, who: dict[str, Any]) -> Any:
    return world.ok(f"GET {NOTES}", Call(f"/orders/{order_id}/notes", who))


def order(world: World, order_id: str) -> Any:
    return world.ok("GET /orders/{orderId}", Call(f"/orders/{order_id}", ADMIN))


def audit(order_id: str) -> list[tuple[str, str]]:
    rows = [i for i in table_snapshot() if i["PK"] == f"AUDIT#ORDER#{order_id}"]
    return [(r["action"], r["by"]) for r in sorted(rows, key=lambda r: r["SK"])]


def assert_ledger_balances(world: World, order_id: str) -> None:
    """Every posting of the order balances, and the order holds exactly what it is owed: nothing once it is
    cancelled (what it received went back), its total less what was written off once it is paid."""
    by_posting: Counter[str] = Counter()
    accounts: Counter[str] = Counter()
    for line in ledger_items():
        if line.get("orderId") != order_id:
            continue
        by_posting[line["postingId"]] += int(line["amount"]["amount"])
        accounts[str(line["account"]).split(":")[0]] += int(line["amount"]["amount"])
    assert by_posting and all(total == 0 for total in by_posting.values()), by_posting
    viewed = order(world, order_id)
    received = -accounts["order"]
    owed = int(viewed["breakdown"]["total"]["amount"]) + accounts["owed"]
    assert received == owed, (viewed["status"], received, owed)
    if viewed["status"] == "CANCELLED":
        assert received == 0


# ---------------------------------------------------------------- notes
def test_notes_and_communications_are_seen_per_role(world: World) -> None:
    order_id = world.paid_order()["orderId"]
    internal = note(world, order_id, SUPPORT, {"text": "  called the warehouse  "})
    assert (internal["kind"], internal["visibility"], internal["text"], internal["by"]) == (
        "note",
        "internal",
        "called the warehouse",
        "support-1",
    )
    told = note(world, order_id, SUPPORT, {"text": "<b>Your parcel leaves Monday</b>", "visibility": "shopper"})
    call = note(
        world,
        order_id,
        WAREHOUSE,
        {"kind": "communication", "channel": "phone", "text": "Shopper asked to leave it at the door"},
    )
    assert call["channel"] == "phone" and call["role"] == "warehouse"

    staff = notes(world, order_id, FINANCE)["items"]
    assert [n["noteId"] for n in staff] == [call["noteId"], told["noteId"], internal["noteId"]]  # newest first
    shopper = notes(world, order_id, CUSTOMER)["items"]
    assert shopper == [{k: v for k, v in told.items() if k not in ("by", "role")}]
    assert shopper[0]["text"] == "<b>Your parcel leaves Monday</b>"  # kept as text, never interpreted
    assert world.call(f"GET {NOTES}", Call(f"/orders/{order_id}/notes", OTHER_CUSTOMER)).status == 404
    assert audit(order_id) == [("order.note", "support-1"), ("order.note", "support-1"), ("order.note", "wh-1")]


def test_notes_that_do_not_fit_are_refused_and_write_nothing(world: World) -> None:
    order_id = world.paid_order()["orderId"]
    before = table_snapshot()
    for body in (
        {"text": "x" * 2001},
        {"text": "   "},
        {"kind": "communication", "text": "no channel"},
        {"kind": "communication", "channel": "phone", "text": "said", "visibility": "shopper"},
        {"text": "a channel on a note", "channel": "sms"},
        {"text": "bell\x07"},
    ):
        assert note(world, order_id, SUPPORT, body, 422)["type"] == "urn:oms:problem:validation-failed", body
    assert note(world, order_id, CUSTOMER, {"text": "me"}, 403)["status"] == 403
    assert note(world, "01NOSUCHORDER0000000000000", SUPPORT, {"text": "x"}, 404)["status"] == 404
    assert table_snapshot() == before


# ---------------------------------------------------------------- flags
def test_special_is_set_and_cleared_idempotently_and_audited(world: World) -> None:
    order_id = world.paid_order()["orderId"]
    path = f"/orders/{order_id}/flags/special"
    marked = world.ok(f"PUT {SPECIAL}", Call(path, SUPPORT, {"reason": "VIP"}))
    assert [(f["flag"], f["setBy"], f["reason"]) for f in marked["flags"]] == [("special", "support-1", "VIP")]
    before = table_snapshot()
    assert world.ok(f"PUT {SPECIAL}", Call(path, ADMIN, {"reason": "again"})) == marked
    assert table_snapshot() == before  # set already: nothing written
    assert world.ok(f"DELETE {SPECIAL}", Call(path, SUPPORT))["flags"] == []
    settled = table_snapshot()
    assert world.ok(f"DELETE {SPECIAL}", Call(path, SUPPORT))["flags"] == []
    assert table_snapshot() == settled
    assert audit(order_id) == [("order.flag", "support-1"), ("order.unflag", "support-1")]
    assert world.call(f"PUT {SPECIAL}", Call(path, WAREHOUSE, {})).status == 403


# ---------------------------------------------------------------- holds
def test_a_staff_hold_stops_shipping_until_its_release(world: World) -> None:
    placed = world.paid_order()
    order_id, child = placed["orderId"], placed["children"][0]["childOrderId"]
    held = world.ok(HOLD, Call(f"/orders/{order_id}/hold", SUPPORT, {"reason": "address check"}))
    assert held["status"] == "ON_HOLD"
    assert held["hold"] == {
        "kind": "staff",
        "reason": "address check",
        "by": "support-1",
        "at": held["hold"]["at"],
        "fromStatus": "PAID",
    }
    # the same hold again is this hold; another is refused
    assert world.ok(HOLD, Call(f"/orders/{order_id}/hold", SUPPORT, {"reason": "address check"})) == held
    other = world.call(HOLD, Call(f"/orders/{order_id}/hold", ADMIN, {"reason": "other"}))
    assert (other.status, other.body["type"]) == (409, "urn:oms:problem:order-held")

    # not shipped, not released, not in the warehouse's list, not cancelled as a whole
    ship = Call(f"/orders/{child}/shipments", WAREHOUSE, {"carrier": "sf", "trackingNumber": "SF00001"}, status=201)
    assert world.call("POST /orders/{orderId}/shipments", ship).status == 409
    assert world.call("POST /orders/{orderId}/release", Call(f"/orders/{child}/release", WAREHOUSE)).status == 409
    listed = world.ok("GET /warehouses/{warehouseId}/child-orders", Call("/warehouses/WH1/child-orders", WAREHOUSE))
    assert child not in [c["childOrderId"] for c in listed["items"]]
    cancel = world.call("POST /orders/{orderId}/cancel", Call(f"/orders/{order_id}/cancel", SUPPORT, {}))
    assert (cancel.status, cancel.body["type"]) == (409, "urn:oms:problem:order-held")

    released = world.ok(RELEASE, Call(f"/orders/{order_id}/release-hold", SUPPORT, {"reason": "address fine"}))
    assert (released["status"], released["hold"]) == ("PAID", None)
    again = world.ok(RELEASE, Call(f"/orders/{order_id}/release-hold", SUPPORT, {"reason": "address fine"}))
    assert again == released  # this release, retried
    listed = world.ok("GET /warehouses/{warehouseId}/child-orders", Call("/warehouses/WH1/child-orders", WAREHOUSE))
    assert child in [c["childOrderId"] for c in listed["items"]]
    assert world.ok("POST /orders/{orderId}/shipments", ship)["status"] == "SHIPPED"

    history = [(h["from"], h["to"], h["reason"]) for h in order(world, order_id)["history"]]
    assert ("PAID", "ON_HOLD", "held: address check") in history
    assert ("ON_HOLD", "PAID", "hold released: address fine") in history
    staff_actions = [entry for entry in audit(order_id) if not entry[0].startswith("personal-data.")]  # reads logged
    assert staff_actions == [("order.hold", "support-1"), ("order.release-hold", "support-1")]
    kinds = [(kind, detail.get("hold", {}).get("kind")) for kind, detail in outbox_rows(order_id)]
    assert ("OrderOnHold", "staff") in kinds and ("OrderHoldReleased", "staff") in kinds


def test_holds_are_refused_where_they_do_not_fit(world: World) -> None:
    pending = world.pending_order()["orderId"]
    answer = world.call(HOLD, Call(f"/orders/{pending}/hold", SUPPORT, {"reason": "x"}))
    assert (answer.status, answer.body["type"]) == (409, "urn:oms:problem:order-not-holdable")
    paid = world.paid_order()["orderId"]
    answer = world.call(RELEASE, Call(f"/orders/{paid}/release-hold", SUPPORT, {"reason": "x"}))
    assert (answer.status, answer.body["type"]) == (409, "urn:oms:problem:order-not-held")
    assert world.call(HOLD, Call(f"/orders/{paid}/hold", FINANCE, {"reason": "x"})).status == 403
    assert world.call(HOLD, Call(f"/orders/{paid}/hold", SUPPORT, {})).status == 422


def anomaly_order(world: World, received: int = 1) -> tuple[str, str]:
    """An order paid `received` (of 120.00) through WeChat: held, with an open case. (order id, case id)"""
    order_id = world.pending_order()["orderId"]
    attempt = world.attempt({"orderId": order_id}, "wechat")
    callback = world.sandbox.pay("wechat", attempt["paymentId"], amount=received)
    assert payment_callback(world.functions["payment_callbacks"], "wechat", callback)["statusCode"] == 204
    listed = world.ok("GET /anomalies", Call("/anomalies", SUPPORT))
    return order_id, next(a["anomalyId"] for a in listed["items"] if a["orderId"] == order_id)


def flags_of(order_id: str) -> list[str]:
    return sorted(i["flag"] for i in table_snapshot() if i["type"] == "OrderFlag" and i["orderId"] == order_id)


def hold_of(order_id: str) -> Any:
    [header] = [i for i in table_snapshot() if i["PK"] == f"ORDER#{order_id}" and i["SK"] == "META"]
    hold = header.get("hold")
    return json.loads(hold) if isinstance(hold, str) else hold


def test_an_abnormal_payment_hold_is_released_only_by_its_case(world: World) -> None:
    order_id, _ = anomaly_order(world)
    assert hold_of(order_id)["kind"] == "anomaly" and hold_of(order_id)["fromStatus"] == "PENDING_PAYMENT"
    assert flags_of(order_id) == ["abnormal"]
    answer = world.call(RELEASE, Call(f"/orders/{order_id}/release-hold", SUPPORT, {"reason": "x"}))
    assert (answer.status, answer.body["type"], answer.body["holdKind"]) == (
        409,
        "urn:oms:problem:hold-released-elsewhere",
        "anomaly",
    )
    assert world.call(f"PUT {SPECIAL}", Call(f"/orders/{order_id}/flags/special", SUPPORT, {})).status == 200


def test_the_abnormal_hold_released_by_refund_gives_the_money_back(world: World) -> None:
    order_id, case = anomaly_order(world)
    body = {"decision": "refund", "note": "shopper asked"}
    world.ok(RESOLVE, Call(f"/anomalies/{case}/resolve", SUPPORT, body))
    assert order(world, order_id)["status"] == "CANCELLED"
    assert hold_of(order_id) is None and flags_of(order_id) == []
    assert_ledger_balances(world, order_id)


def test_the_abnormal_hold_accepted_with_a_write_off_pays_the_order(world: World) -> None:
    order_id, case = anomaly_order(world, received=11000)
    body = {"decision": "accept", "remainder": "write-off", "note": "close enough"}
    world.ok(RESOLVE, Call(f"/anomalies/{case}/resolve", SUPPORT, body))
    assert order(world, order_id)["status"] == "PAID"
    assert hold_of(order_id) is None and flags_of(order_id) == []
    assert_ledger_balances(world, order_id)


def test_the_abnormal_hold_accepted_asking_for_the_rest_awaits_it(world: World) -> None:
    order_id, case = anomaly_order(world, received=11000)
    body = {"decision": "accept", "remainder": "charge", "note": "pay the rest"}
    world.ok(RESOLVE, Call(f"/anomalies/{case}/resolve", SUPPORT, body))
    viewed = order(world, order_id)
    assert viewed["status"] == "PENDING_PAYMENT"
    assert hold_of(order_id) is None and flags_of(order_id) == []
    # and the cancel of it gives back what it received
    world.ok("POST /orders/{orderId}/cancel", Call(f"/orders/{order_id}/cancel", SUPPORT, {"reason": "gone"}))
    assert_ledger_balances(world, order_id)


def test_a_held_order_cancelled_by_staff_refunds_what_it_received(world: World) -> None:
    order_id, _ = anomaly_order(world)
    world.ok("POST /orders/{orderId}/cancel", Call(f"/orders/{order_id}/cancel", SUPPORT, {"reason": "fraud"}))
    assert order(world, order_id)["status"] == "CANCELLED"
    assert hold_of(order_id) is None and flags_of(order_id) == []
    assert_ledger_balances(world, order_id)


# ---------------------------------------------------------------- batches
def batch(world: World, who: dict[str, Any], body: dict[str, Any], key: str, status: int = 200) -> Any:
    answer = world.call(BATCH, Call("/orders/batch", who, body, {"Idempotency-Key": key}))
    assert answer.status == status, answer.body
    return answer


def test_a_batch_answers_each_order_and_changes_only_the_valid_ones(world: World) -> None:
    a, b = world.paid_order()["orderId"], world.paid_order()["orderId"]
    pending = world.pending_order()["orderId"]
    missing = "01NOSUCHORDER0000000000000"
    answer = batch(world, SUPPORT, {"action": "hold", "orderIds": [a, pending, missing, b], "reason": "audit"}, "k1")
    result = answer.body
    assert (result["action"], result["succeeded"], result["failed"]) == ("hold", 2, 2)
    assert [(r["orderId"], r["status"], r.get("problem", {}).get("type")) for r in result["results"]] == [
        (a, "succeeded", None),
        (pending, "failed", "urn:oms:problem:order-not-holdable"),
        (missing, "failed", "urn:oms:problem:not-found"),
        (b, "succeeded", None),
    ]
    assert [order(world, o)["status"] for o in (a, pending, b)] == ["ON_HOLD", "PENDING_PAYMENT", "ON_HOLD"]

    # the same key and body: the same answer, nothing written; another body: 422
    before = table_snapshot()
    replayed = batch(world, SUPPORT, {"action": "hold", "orderIds": [a, pending, missing, b], "reason": "audit"}, "k1")
    assert replayed.body == result and replayed.headers.get("Idempotent-Replayed") == "true"
    assert table_snapshot() == before
    reused = batch(world, SUPPORT, {"action": "hold", "orderIds": [a], "reason": "audit"}, "k1", 422)
    assert reused.body["type"] == "urn:oms:problem:idempotency-key-reused"

    notes_answer = batch(
        world, SUPPORT, {"action": "note", "orderIds": [a, b], "note": {"text": "batch checked"}}, "k2"
    ).body
    assert notes_answer["succeeded"] == 2
    assert [n["text"] for n in notes(world, a, ADMIN)["items"]] == ["batch checked"]
    released = batch(world, SUPPORT, {"action": "release-hold", "orderIds": [a, b], "reason": "ok"}, "k3").body
    assert released["succeeded"] == 2 and order(world, a)["status"] == "PAID"


def test_a_batch_the_role_may_not_do_is_refused_whole(world: World) -> None:
    a = world.paid_order()["orderId"]
    before = table_snapshot()
    answer = batch(world, WAREHOUSE, {"action": "hold", "orderIds": [a], "reason": "x"}, "k", 403)
    assert answer.body["status"] == 403
    assert table_snapshot() == before
    shopper = Call("/orders/batch", CUSTOMER, {"action": "flag", "orderIds": [a]}, {"Idempotency-Key": "c"})
    assert world.call(BATCH, shopper).status == 403


def test_a_batch_is_bounded_and_its_fields_fit_the_action(world: World) -> None:
    ids = [f"01ORDER{n:019d}" for n in range(101)]
    assert batch(world, SUPPORT, {"action": "flag", "orderIds": ids}, "big", 422).body["status"] == 422
    assert batch(world, SUPPORT, {"action": "hold", "orderIds": ids[:1]}, "nr", 422).status == 422
    assert batch(world, SUPPORT, {"action": "flag", "orderIds": ids[:2] + ids[:1]}, "dup", 422).status == 422
    extra = {"action": "flag", "orderIds": ids[:1], "note": {"text": "x"}}
    assert batch(world, SUPPORT, extra, "ex", 422).status == 422
    assert world.call(BATCH, Call("/orders/batch", SUPPORT, {"action": "flag", "orderIds": ids[:1]})).status == 400


def test_a_batch_reviews_bank_transfers_and_ships(world: World) -> None:
    pending = world.pending_order()
    attempt = world.attempt(pending, "bank_transfer")
    nothing = world.paid_order()["orderId"]
    reviewed = batch(
        world,
        FINANCE,
        {"action": "review", "orderIds": [pending["orderId"], nothing], "decision": "approve", "reason": "seen"},
        "r1",
    ).body
    assert [(r["status"], r.get("problem", {}).get("type")) for r in reviewed["results"]] == [
        ("succeeded", None),
        ("failed", "urn:oms:problem:nothing-to-review"),
    ]
    assert order(world, pending["orderId"])["status"] == "PAID"
    assert attempt["paymentId"]
    shipped = batch(
        world,
        WAREHOUSE,
        {
            "action": "ship",
            "orderIds": [pending["orderId"], nothing],
            "carrier": "sf",
            "trackingNumbers": {pending["orderId"]: "SF70000001", nothing: "SF70000002"},
        },
        "s1",
    ).body
    assert shipped["succeeded"] == 2
    assert order(world, nothing)["status"] == "SHIPPED"


def risk_held(world: World) -> str:
    """A paid order a risk rule sent to review (written as the risk side will: ON_HOLD, risk-review hold)."""
    from oms.domain import events
    from oms.domain.clock import to_rfc3339, utcnow
    from oms.domain.holds import Hold, HoldKind
    from oms.domain.order import OrderStatus, StatusChange
    from oms.domain.permissions import Actor
    from oms.store.orders import OrderRepository, add_order_move
    from oms.store.transactions import Transaction
    from oms.views.orders import order_summary

    order_id = str(world.paid_order()["orderId"])
    record = OrderRepository().get_order(order_id)
    assert record is not None
    now = to_rfc3339(utcnow())
    hold = Hold(HoldKind.RISK_REVIEW, "new account, high amount", "risk", now, OrderStatus.PAID)
    change = StatusChange(OrderStatus.PAID, OrderStatus.ON_HOLD, Actor.system("risk"), now, "risk review")
    tx = Transaction()
    add_order_move(tx, record.header, change, events.order_on_hold(order_summary(record.header)), hold=hold)
    tx.commit()
    return order_id


def test_a_risk_review_is_not_released_by_staff_but_reviewed_in_a_batch_by_the_risk_side(world: World) -> None:
    order_id = risk_held(world)
    answer = world.call(RELEASE, Call(f"/orders/{order_id}/release-hold", SUPPORT, {"reason": "looks fine"}))
    assert (answer.status, answer.body["holdKind"]) == (409, "risk-review")
    assert order(world, order_id)["status"] == "ON_HOLD"
    body = {"action": "review", "orderIds": [order_id], "decision": "approve", "reason": "known customer"}
    [result] = batch(world, ADMIN, body, "risk").body["results"]
    assert result["status"] == "succeeded", result
    assert order(world, order_id)["status"] == "PAID"


def test_a_batch_review_hands_the_decision_to_the_risk_side(world: World) -> None:
    order_id = risk_held(world)
    decided: list[tuple[str, str, bool, str]] = []

    class Risk:
        def decide(self, actor: Any, order_id: str, approve: bool, reason: str) -> dict[str, Any]:
            decided.append((actor.subject, order_id, approve, reason))
            return {}

    service = world.functions["order_desk"].services.batches
    real = service.risk
    service.risk = Risk()
    try:
        body = {"action": "review", "orderIds": [order_id], "decision": "reject", "reason": "fraud ring"}
        assert batch(world, ADMIN, body, "risk-2").body["succeeded"] == 1
    finally:
        service.risk = real
    assert decided == [("admin-1", order_id, False, "fraud ring")]


def test_a_transient_fault_on_one_order_is_that_orders_retryable_result(world: World, faults: Faults) -> None:
    a, b = world.paid_order()["orderId"], world.paid_order()["orderId"]
    service = world.functions["order_desk"].services.desk
    real = service.set_flag

    def flaky(actor: Any, order_id: str, flag: Any, reason: str | None) -> Any:
        """DynamoDB throttles this order's write (after botocore's retries), and only this one."""
        if order_id != a:
            return real(actor, order_id, flag, reason)
        faults.inject("throttle", frozenset({"TransactWriteItems"}))
        try:
            return real(actor, order_id, flag, reason)
        finally:
            faults.clear()

    service.set_flag = flaky
    try:
        results = batch(world, SUPPORT, {"action": "flag", "orderIds": [a, b]}, "flaky").body["results"]
    finally:
        del service.set_flag
    assert [(r["status"], r.get("problem", {}).get("status")) for r in results] == [
        ("failed", 503),
        ("succeeded", None),
    ]
    assert results[0]["problem"]["type"] == "urn:oms:problem:service-unavailable"
    assert flags_of(a) == [] and flags_of(b) == ["special"]


def test_a_payment_arriving_on_a_staff_held_order_is_refunded_not_kept(world: World) -> None:
    """Two attempts open; the first pays the order, staff hold it, then the second pays too: a duplicate,
    refunded as it would be without the hold (never money held on the order)."""
    order_id = world.pending_order()["orderId"]
    first = world.attempt({"orderId": order_id}, "wechat")
    second = world.attempt({"orderId": order_id}, "alipay")
    callbacks = world.functions["payment_callbacks"]
    paid = world.sandbox.pay("wechat", first["paymentId"], amount=first["amount"]["amount"])
    assert payment_callback(callbacks, "wechat", paid)["statusCode"] == 204
    world.ok(HOLD, Call(f"/orders/{order_id}/hold", SUPPORT, {"reason": "address check"}))
    again = world.sandbox.pay("alipay", second["paymentId"], amount=second["amount"]["amount"])
    assert payment_callback(callbacks, "alipay", again)["statusCode"] == 200
    payments = world.ok("GET /orders/{orderId}/payments", Call(f"/orders/{order_id}/payments", ADMIN))
    assert [(r["paymentId"], r["status"]) for r in payments["refunds"]] == [(second["paymentId"], "SUCCEEDED")]
    assert order(world, order_id)["status"] == "ON_HOLD" and hold_of(order_id)["kind"] == "staff"
    assert flags_of(order_id) == []  # the duplicate's case closed with its refund
    world.ok(RELEASE, Call(f"/orders/{order_id}/release-hold", SUPPORT, {"reason": "fine"}))
    assert_ledger_balances(world, order_id)


def test_a_batch_cancel_cancels_each_order_as_its_route_would(world: World) -> None:
    pending, paid = world.pending_order()["orderId"], world.paid_order()["orderId"]
    shipped, _, _ = world.shipped_child()
    held = world.paid_order()["orderId"]
    world.ok(HOLD, Call(f"/orders/{held}/hold", SUPPORT, {"reason": "check"}))
    ids = [pending, paid, shipped["orderId"], held]
    result = batch(world, SUPPORT, {"action": "cancel", "orderIds": ids, "reason": "customer called"}, "cx").body
    outcome = {r["orderId"]: (r["status"], r.get("problem", {}).get("type")) for r in result["results"]}
    assert outcome[pending] == ("succeeded", None)
    assert outcome[paid] == ("succeeded", None)
    assert outcome[held] == ("failed", "urn:oms:problem:order-held")
    assert outcome[shipped["orderId"]] == ("failed", "urn:oms:problem:already-shipped")
    [answered] = [r["problem"] for r in result["results"] if r["orderId"] == shipped["orderId"]]
    single = world.call("POST /orders/{orderId}/cancel", Call(f"/orders/{shipped['orderId']}/cancel", SUPPORT, {}))
    assert (single.status, single.body["type"], single.body["detail"]) == (
        answered["status"],
        answered["type"],
        answered["detail"],
    )  # the problem the single route answers
    assert order(world, pending)["status"] == "CANCELLED"
    assert order(world, paid)["status"] in ("CANCELLED", "CLOSED")
    assert order(world, held)["status"] == "ON_HOLD"
    for order_id in (pending, paid):
        assert_ledger_balances(world, order_id)


def test_a_partly_shipped_order_held_and_released_is_partly_shipped_again(world: World) -> None:
    from tests.helpers.handlers import ADDRESS
    from tests.helpers.world import checkout_call, sku

    mug = {**sku("MUG-WH2"), "warehouseId": "WH2"}
    world.ok("POST /products", Call("/products", ADMIN, {"storeId": "demo", "name": "Mug", "skus": [mug]}, status=201))
    lines = [{"skuId": "TEE-M", "quantity": 1}, {"skuId": "MUG-WH2", "quantity": 1}]
    body = {"lines": lines, "shippingAddress": ADDRESS, "balance": "max"}
    placed = world.ok("POST /orders", checkout_call(body, world.key("order")))
    order_id = placed["orderId"]
    first, second = (c["childOrderId"] for c in placed["children"])
    parcel = {"carrier": "sf", "trackingNumber": world.tracking()}
    world.ok("POST /orders/{orderId}/shipments", Call(f"/orders/{first}/shipments", WAREHOUSE, parcel, status=201))
    assert order(world, order_id)["status"] == "PARTIALLY_SHIPPED"

    def listed(warehouse: str) -> list[str]:
        page = world.ok(
            "GET /warehouses/{warehouseId}/child-orders", Call(f"/warehouses/{warehouse}/child-orders", WAREHOUSE)
        )
        return [c["childOrderId"] for c in page["items"]]

    held = world.ok(HOLD, Call(f"/orders/{order_id}/hold", SUPPORT, {"reason": "wrong mug colour?"}))
    assert held["hold"]["fromStatus"] == "PARTIALLY_SHIPPED"
    assert first in listed("WH1") and second not in listed("WH2")  # only what is left to ship leaves the list
    released = world.ok(RELEASE, Call(f"/orders/{order_id}/release-hold", SUPPORT, {"reason": "colour fine"}))
    assert released["status"] == "PARTIALLY_SHIPPED" and second in listed("WH2")
    parcel = {"carrier": "sf", "trackingNumber": world.tracking()}
    world.ok("POST /orders/{orderId}/shipments", Call(f"/orders/{second}/shipments", WAREHOUSE, parcel, status=201))
    assert order(world, order_id)["status"] == "SHIPPED"
