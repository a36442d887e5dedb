"""The audit trail, orders' timelines and personal data through the functions under moto (issue 13 items
2 and 3), with the provider and carrier sandboxes (`world`).

A full order life (checkout → pay → ship → tracking → deliver → after-sales → refund, with notes and a
staff action) is on its timeline once each, in time order, and paging across the cursor returns every
entry exactly once; the shopper's view leaves out what is internal. `GET /audit` filters alone and
combined, each read one bounded key range (never a Scan). Contact details are masked per role and the
unmasked reads and reveals are logged. Erasure keeps the money and removes the person. Bad input is a
4xx that changes nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from oms.domain.clock import to_rfc3339, utcnow
from oms.domain.ids import new_id
from oms.domain.permissions import Actor, Role
from oms.store import keys
from oms.store.audit import add_audit
from oms.store.models import OrderNoteItem
from oms.store.transactions import Transaction

from tests.handlers.conftest import ADMIN, CUSTOMER, OTHER_CUSTOMER, SUPPORT, AwsCalls
from tests.helpers.cases import Flow, deliver, move, open_case, order_with, task
from tests.helpers.problems import assert_problem
from tests.helpers.world import FINANCE, WAREHOUSE, Call, World, carrier_callback

MERCHANT = {"sub": "m-1", "roles": ("merchant",)}
TIMELINE = "GET /orders/{orderId}/timeline"
AUDIT = "GET /audit"
REVEAL = "POST /orders/{orderId}/personal-data/reveal"
ERASE = "POST /customers/{customerId}/erasure"
RETENTION = "PUT /settings/data-retention"
ADDRESS_OF_ERASED = {
    "name": "Wang Wu",
    "phone": "13911112222",
    "line1": "9 West Lake Rd",
    "city": "Hangzhou",
    "country": "CN",
}


def note(order_id: str, kind: str, visibility: str, text: str, by: dict[str, Any] = SUPPORT) -> str:
    """A note row as the desk's route writes it (ORDER#<id>/NOTE#<id>, with its `order.note` audit entry)."""
    note_id = new_id()
    now = to_rfc3339(utcnow())
    who = Actor(by["sub"], frozenset(Role(r) for r in by["roles"]), request_id="req-note", source_ip="10.0.0.9")
    tx = Transaction()
    tx.put(
        "note",
        OrderNoteItem(
            keys.order_pk(order_id),
            keys.order_note_sk(note_id),
            noteId=note_id,
            orderId=order_id,
            kind=kind,
            visibility=visibility,
            text=text,
            channel="phone" if kind == "communication" else None,
            by=who.subject,
            role=who.primary_role,
            at=now,
        ),
    )
    add_audit(
        tx, f"ORDER#{order_id}", "order.note", actor=who, now=now, before=None, after={"noteId": note_id}, reason=None
    )
    tx.commit()
    return note_id


def timeline(world: World, order_id: str, who: dict[str, Any], limit: int | None = None) -> list[dict[str, Any]]:
    """Every entry of the order's timeline, page after page."""
    entries: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(100):
        query = {k: v for k, v in (("limit", str(limit) if limit else None), ("cursor", cursor)) if v}
        page = world.ok(TIMELINE, Call(f"/orders/{order_id}/timeline", who, query=query))
        entries += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return entries
    raise AssertionError("the timeline never ended")


def full_life(world: World, flow: Flow) -> tuple[dict[str, Any], str]:
    """A wechat-paid order shipped, tracked, delivered, with a refund-only case approved and refunded, an
    internal note, a communication the shopper sees, and support's reveal of the phone (a staff action)."""
    order = order_with(world, 2, method="wechat")
    child = deliver(world, order)
    opened = open_case(world, order, child, "refund_only", [(1, 1)], note="one was broken")
    assert opened.status == 201, opened.body
    case_id = opened.body["caseId"]
    assert move(world, case_id, "approve", SUPPORT, {"note": "ok"}).status == 200
    assert task(world, "refund", case_id) == {"next": "done"}
    note(order["orderId"], "note", "internal", "shopper sounded upset")
    note(order["orderId"], "communication", "shopper", "called: refund on its way")
    revealed = world.ok(
        REVEAL,
        Call(f"/orders/{order['orderId']}/personal-data/reveal", SUPPORT, {"fields": ["phone"], "reason": "call back"}),
    )
    assert revealed["revealed"] == ["phone"]
    return order, case_id


# ---------------------------------------------------------------- the timeline
def test_a_full_order_life_is_on_its_timeline_once_each_in_time_order(world: World, flow: Flow) -> None:
    order, case_id = full_life(world, flow)
    order_id = order["orderId"]
    everything = timeline(world, order_id, ADMIN, limit=100)
    kinds = [e["kind"] for e in everything]
    once = [
        "order.placed",
        "payment.created",
        "payment.succeeded",
        "shipment.created",
        "after-sales.opened",
        "refund.asked",
        "refund.succeeded",
        "note",
        "communication",
    ]
    assert [k for k in kinds if k in once] == once  # each once, in the life's order
    assert kinds.count("shipment.tracking") == 1  # the carrier's DELIVERED
    moves = [(e["details"]["from"], e["details"]["to"]) for e in everything if e["kind"] == "order.status-changed"]
    assert ("PENDING_PAYMENT", "PAID") in moves and ("SHIPPED", "DELIVERED") in moves
    steps = [e for e in everything if e["kind"] == "after-sales.step"]
    assert steps[0]["details"]["action"] == "approve" and steps[0]["actor"] == {"id": SUPPORT["sub"], "role": "support"}
    assert steps[0]["details"]["sourceIp"] == "127.0.0.1" and steps[0]["details"]["requestId"]
    staff = [e for e in everything if e["kind"] == "staff.action"]
    assert [e["details"]["action"] for e in staff] == ["order.note", "order.note", "personal-data.reveal"]
    reveal = staff[-1]
    assert reveal["actor"] == {"id": SUPPORT["sub"], "role": "support"}
    assert reveal["details"]["sourceIp"] == "127.0.0.1" and reveal["details"]["requestId"]
    assert [e["at"] for e in everything] == sorted(e["at"] for e in everything)
    assert len({(e["kind"], e["id"]) for e in everything}) == len(everything)
    assert any(e["details"].get("caseId") == case_id for e in everything if e["kind"] == "refund.asked")

    # paging across the cursor, two at a time: every entry exactly once, in the same order
    assert timeline(world, order_id, ADMIN, limit=2) == everything
    assert timeline(world, order_id, ADMIN, limit=1) == everything


def test_the_shopper_sees_their_view_of_the_timeline(world: World, flow: Flow) -> None:
    order, _ = full_life(world, flow)
    staff = timeline(world, order["orderId"], ADMIN)
    mine = timeline(world, order["orderId"], CUSTOMER)
    kinds = {e["kind"] for e in mine}
    assert "staff.action" not in kinds and "anomaly.opened" not in kinds
    assert [e["details"]["text"] for e in mine if e["kind"] in ("note", "communication")] == [
        "called: refund on its way"
    ]
    assert len(mine) == len(staff) - 4  # the reveal, two note audit entries and the internal note
    for entry in mine:
        assert "requestId" not in entry["details"] and "sourceIp" not in entry["details"]
        if entry["actor"] is not None:
            assert entry["actor"]["role"] in ("customer", "system", "staff")
            if entry["actor"]["role"] == "staff":
                assert entry["actor"]["id"] is None
    other = world.call(TIMELINE, Call(f"/orders/{order['orderId']}/timeline", OTHER_CUSTOMER))
    assert_problem(other.status, other.headers, other.body, 404, "not-found")


def test_an_abnormal_payment_is_on_the_staff_timeline(world: World) -> None:
    anomaly_id = world.anomaly()
    listed = world.ok("GET /anomalies", Call("/anomalies", SUPPORT))
    order_id = next(a["orderId"] for a in listed["items"] if a["anomalyId"] == anomaly_id)
    entries = timeline(world, order_id, SUPPORT)
    assert [e["id"] for e in entries if e["kind"] == "anomaly.opened"] == [anomaly_id]
    assert not [e for e in timeline(world, order_id, CUSTOMER) if e["kind"].startswith("anomaly.")]


@pytest.mark.parametrize("cursor", ["nope", "W10", "eyJ4Ijox", "A" * 2000])
def test_a_timeline_cursor_that_is_not_ours_is_a_422(world: World, cursor: str) -> None:
    order = world.pending_order()
    got = world.call(TIMELINE, Call(f"/orders/{order['orderId']}/timeline", ADMIN, query={"cursor": cursor}))
    assert got.status in (400, 422), got.body


# ---------------------------------------------------------------- the trail
def trail(world: World, **query: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    while True:
        page = world.ok(AUDIT, Call("/audit", ADMIN, query={"limit": "2", **query}))
        entries += page["items"]
        if page["next_cursor"] is None:
            return entries
        query = {**query, "cursor": page["next_cursor"]}


def test_the_trail_filters_by_actor_action_subject_and_time_alone_and_combined(
    world: World, aws_calls: AwsCalls
) -> None:
    start = to_rfc3339(utcnow())
    cancelled = world.pending_order()
    world.ok(
        "POST /orders/{orderId}/cancel", Call(f"/orders/{cancelled['orderId']}/cancel", SUPPORT, {"reason": "dup"})
    )
    other = world.pending_order()
    for order in (cancelled, other):
        world.ok(REVEAL, Call(f"/orders/{order['orderId']}/personal-data/reveal", SUPPORT, {"reason": "courier asks"}))
    world.ok(RETENTION, Call("/settings/data-retention", ADMIN, {"enabled": False, "closedDays": 400}))

    aws_calls.clear()
    by_support = trail(world, actor=SUPPORT["sub"])
    actions = [e["action"] for e in by_support]
    assert actions == ["personal-data.reveal", "personal-data.reveal", "order.status-change"]  # newest first
    status = by_support[-1]
    assert (status["before"], status["after"]) == ({"status": "PENDING_PAYMENT"}, {"status": "CANCELLED"})
    assert status["subject"] == f"ORDER#{cancelled['orderId']}" and status["sourceIp"] == "127.0.0.1"
    assert all(e["requestId"] and e["actor"] == {"id": SUPPORT["sub"], "role": "support"} for e in by_support)

    reveals = trail(world, action="personal-data.reveal")
    assert {e["subject"] for e in reveals} >= {f"ORDER#{cancelled['orderId']}", f"ORDER#{other['orderId']}"}
    assert all(e["after"] == {"fields": ["name", "phone", "address"]} for e in reveals)

    subject = trail(world, subject=f"ORDER#{cancelled['orderId']}")
    # the reveal, support's cancel and the shopper's checkout (an order's own status events join its trail)
    assert [e["action"] for e in subject] == ["personal-data.reveal", "order.status-change", "order.status-change"]
    assert subject[-1]["actor"]["id"] == CUSTOMER["sub"]

    combined = trail(world, subject=f"ORDER#{cancelled['orderId']}", actor=SUPPORT["sub"], action="order.status-change")
    assert [e["entryId"] for e in combined] == [status["entryId"]]
    assert trail(world, actor=ADMIN["sub"], action="data-retention.update", **{"from": start})[0]["after"] == {
        "enabled": False,
        "closedDays": 400,
    }
    window = trail(world, **{"from": start})
    assert {e["action"] for e in window} >= {"personal-data.reveal", "order.status-change", "data-retention.update"}
    assert not [e for e in window if e["actor"]["role"] == "customer"]  # shoppers' moves are their orders' only
    assert trail(world, **{"from": "2020-01-01T00:00:00Z", "to": "2020-01-02T00:00:00Z"}) == []

    operations = {c.split(":")[1] for c in aws_calls.calls if c.startswith("dynamodb:")}
    assert operations == {"Query"}, aws_calls.calls  # key ranges only: never a Scan


def test_each_trail_filter_reads_one_bounded_range(world: World, aws_calls: AwsCalls) -> None:
    order = world.pending_order()
    world.ok(REVEAL, Call(f"/orders/{order['orderId']}/personal-data/reveal", SUPPORT, {"reason": "courier asks"}))
    for query, queries in (
        ({"actor": SUPPORT["sub"]}, 1),
        ({"action": "personal-data.reveal"}, 1),
        ({"subject": f"ORDER#{order['orderId']}"}, 2),  # the audit partition and the order's status events
        ({}, 2),  # the last 24 hours: today's and yesterday's day ranges
    ):
        aws_calls.clear()
        world.ok(AUDIT, Call("/audit", ADMIN, query={"limit": "5", **query}))
        assert [c for c in aws_calls.calls if c.startswith("dynamodb:")] == ["dynamodb:Query"] * queries, query


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({"from": "2026-01-01T00:00:00Z", "to": "2026-03-01T00:00:00Z"}, 422),  # 59 days without a key
        ({"from": "2026-03-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, 422),
        ({"from": "yesterday"}, 422),
        ({"cursor": "not-ours"}, 422),
        ({"action": "Not An Action"}, 422),
        ({"limit": "0"}, 422),
    ],
)
def test_a_bad_trail_query_is_refused(world: World, query: dict[str, str], status: int) -> None:
    got = world.call(AUDIT, Call("/audit", ADMIN, query=query))
    assert got.status == status, got.body


@pytest.mark.parametrize("who", [SUPPORT, FINANCE, WAREHOUSE, CUSTOMER, MERCHANT])
def test_only_admin_reads_the_trail(world: World, who: dict[str, Any]) -> None:
    got = world.call(AUDIT, Call("/audit", who))
    assert_problem(got.status, got.headers, got.body, 403, "forbidden")


def test_a_wide_range_is_fine_with_a_key(world: World) -> None:
    query = {"actor": SUPPORT["sub"], "from": "2020-01-01T00:00:00Z"}
    assert world.call(AUDIT, Call("/audit", ADMIN, query=query)).status == 200


def test_staff_actions_leave_an_audited_trace_with_their_request(world: World) -> None:
    world.ok(
        "POST /customers/{customerId}/balance/adjustments",
        Call(
            "/customers/cust-2/balance/adjustments",
            FINANCE,
            {"direction": "credit", "amount": {"amount": 500, "currency": "CNY"}, "reason": "goodwill"},
            {"Idempotency-Key": "bal-1"},
            201,
        ),
    )
    world.ok(
        "POST /skus/{skuId}/stock-adjustments",
        Call("/skus/TEE-M/stock-adjustments", ADMIN, {"delta": 5, "reason": "restock", "note": "truck 7"}, status=201),
    )
    order = world.pending_order()
    attempt = world.attempt(order, "bank_transfer")
    review = f"/orders/{order['orderId']}/payments/{attempt['paymentId']}/review"
    reviewed = world.ok(
        "POST /orders/{orderId}/payments/{paymentId}/review",
        Call(review, FINANCE, {"decision": "reject", "reason": "not on the statement"}),
    )
    assert reviewed["order"]["shippingAddress"]["name"] == "L*****"  # finance sees amounts, not people
    by_finance = {e["action"]: e for e in trail(world, actor=FINANCE["sub"])}
    balance, rejected = by_finance["balance.adjust"], by_finance["payment.review"]
    assert (balance["subject"], balance["before"], balance["after"]) == (
        "CUSTOMER#cust-2",
        {"balance": 0, "currency": "CNY"},
        {"balance": 500, "currency": "CNY"},
    )
    assert rejected["subject"] == f"ORDER#{order['orderId']}" and rejected["after"]["status"] == "FAILED"
    by_admin = {e["action"]: e for e in trail(world, actor=ADMIN["sub"])}
    assert by_admin["stock.adjust"]["after"]["delta"] == 5 and by_admin["stock.adjust"]["subject"] == "SKU#TEE-M"
    assert by_admin["store.create"]["subject"] == "STORE#demo"  # the world's store
    for entry in (balance, rejected, by_admin["stock.adjust"], by_admin["store.create"]):
        assert entry["requestId"] and entry["sourceIp"] == "127.0.0.1", entry
    assert [e["kind"] for e in timeline(world, order["orderId"], ADMIN)].count("staff.action") == 1


# ---------------------------------------------------------------- masking
def read_address(world: World, order_id: str, who: dict[str, Any]) -> dict[str, Any]:
    return dict(world.ok("GET /orders/{orderId}", Call(f"/orders/{order_id}", who))["shippingAddress"])


def views(world: World, order_id: str) -> list[str]:
    entries = trail(world, subject=f"ORDER#{order_id}")
    return [e["actor"]["role"] for e in entries if e["action"] == "personal-data.view"]


def test_contact_details_are_masked_per_role_and_unmasked_reads_are_logged(world: World) -> None:
    order = world.paid_order()
    order_id = order["orderId"]
    full = {
        "name": "Li Lei",
        "phone": "+86 138 0000 0000",
        "line1": "1 Nanjing Rd",
        "city": "Shanghai",
        "country": "CN",
    }
    masked = {"name": "L*****", "phone": "+86 1** **** 0000", "line1": "****", "city": "Shanghai", "country": "CN"}
    assert read_address(world, order_id, CUSTOMER) == full  # the shopper's own
    assert read_address(world, order_id, SUPPORT) == masked
    assert read_address(world, order_id, FINANCE) == masked
    assert views(world, order_id) == []  # masked reads and the shopper's own are not logged
    assert read_address(world, order_id, WAREHOUSE) == full  # paid: the warehouse ships it
    assert read_address(world, order_id, ADMIN) == full
    assert views(world, order_id) == ["admin", "warehouse"]  # newest first
    view = trail(world, subject=f"ORDER#{order_id}", action="personal-data.view")[-1]
    assert view["actor"]["id"] == WAREHOUSE["sub"] and view["sourceIp"] == "127.0.0.1" and view["requestId"]

    answer = world.ok("POST /orders/{orderId}/cancel", Call(f"/orders/{order_id}/cancel", SUPPORT, {"reason": "dup"}))
    assert answer["shippingAddress"] == masked  # a write's answer masks as the read does
    assert read_address(world, order_id, WAREHOUSE) == masked  # nothing left to ship


def test_support_reveals_what_it_asks_for_and_the_reveal_is_audited(world: World) -> None:
    order = world.pending_order()
    path = f"/orders/{order['orderId']}/personal-data/reveal"
    got = world.ok(REVEAL, Call(path, SUPPORT, {"fields": ["phone"], "reason": "courier cannot reach"}))
    assert got["shippingAddress"]["phone"] == "+86 138 0000 0000" and got["shippingAddress"]["name"] == "L*****"
    [entry] = trail(world, subject=f"ORDER#{order['orderId']}", action="personal-data.reveal")
    assert (entry["after"], entry["reason"]) == ({"fields": ["phone"]}, "courier cannot reach")

    before = world.snapshot()
    for who, body, status in (
        (FINANCE, {"reason": "curious"}, 403),
        (WAREHOUSE, {"reason": "curious"}, 403),
        (CUSTOMER, {"reason": "curious"}, 403),
        (SUPPORT, {}, 422),  # a reason is required
        (SUPPORT, {"reason": "x"}, 422),  # too short to mean anything
        (SUPPORT, {"fields": ["email"], "reason": "courier"}, 422),
        (SUPPORT, {"fields": [], "reason": "courier"}, 422),
    ):
        answer = world.call(REVEAL, Call(path, who, body))
        assert answer.status == status, (who, body, answer.body)
    missing = world.call(
        REVEAL, Call("/orders/01J9ZZZZZZZZZZZZZZZZZZZZZZ/personal-data/reveal", SUPPORT, {"reason": "why not"})
    )
    assert missing.status == 404
    assert world.snapshot() == before


# ---------------------------------------------------------------- erasure and retention
def test_erasure_keeps_the_money_and_removes_the_person(world: World, flow: Flow) -> None:
    shopper = {"sub": "erase-me", "roles": ("customer",)}
    body = {
        "lines": [{"skuId": "TEE-M", "quantity": 1}],
        "shippingAddress": {**ADDRESS_OF_ERASED},
        "note": "ring twice",
    }
    closed = world.ok("POST /orders", Call("/orders", shopper, body, {"Idempotency-Key": "e-1"}, 201))
    world.ok("POST /orders/{orderId}/cancel", Call(f"/orders/{closed['orderId']}/cancel", shopper, {"reason": "x"}))
    still_open = world.ok("POST /orders", Call("/orders", shopper, body, {"Idempotency-Key": "e-2"}, 201))
    note(closed["orderId"], "communication", "shopper", "called Wang Wu at 139 1111 2222")
    before = world.ok("GET /orders/{orderId}", Call(f"/orders/{closed['orderId']}", ADMIN))

    call = Call("/customers/erase-me/erasure", ADMIN, {"reason": "the shopper asked"}, {"Idempotency-Key": "er-1"})
    result = world.ok(ERASE, call)
    assert (result["erased"], result["open"], result["alreadyErased"]) == (
        [closed["orderId"]],
        [still_open["orderId"]],
        [],
    )
    after = world.ok("GET /orders/{orderId}", Call(f"/orders/{closed['orderId']}", ADMIN))
    assert after["shippingAddress"] == {
        "name": "[erased]",
        "phone": "",
        "line1": "[erased]",
        "city": "Hangzhou",
        "country": "CN",
    }
    assert after["note"] is None
    for kept in ("breakdown", "lines", "status", "orderNumber", "children"):
        assert after[kept] == before[kept], kept
    texts = [e["details"]["text"] for e in timeline(world, closed["orderId"], ADMIN) if e["kind"] == "communication"]
    assert texts == ["[erased]"]
    assert (
        world.ok("GET /orders/{orderId}", Call(f"/orders/{still_open['orderId']}", ADMIN))["shippingAddress"]["name"]
        == "Wang Wu"
    )
    [entry] = trail(world, subject=f"ORDER#{closed['orderId']}", action="personal-data.erase")
    assert entry["actor"]["id"] == ADMIN["sub"] and entry["reason"] == "the shopper asked"
    assert trail(world, subject="CUSTOMER#erase-me")[0]["action"] == "personal-data.erasure"

    # the same key again: the first answer; a new key: nothing more to erase (no error)
    again = world.call(ERASE, call)
    assert (again.status, again.body, again.headers.get("Idempotent-Replayed")) == (200, result, "true")
    second = world.ok(
        ERASE, Call("/customers/erase-me/erasure", ADMIN, {"reason": "asked again"}, {"Idempotency-Key": "er-2"})
    )
    assert (second["erased"], second["alreadyErased"]) == ([], [closed["orderId"]])
    revealed = world.call(
        REVEAL, Call(f"/orders/{closed['orderId']}/personal-data/reveal", SUPPORT, {"reason": "why not"})
    )
    assert_problem(revealed.status, revealed.headers, revealed.body, 409, "conflict")


def test_bad_erasure_requests_change_nothing(world: World) -> None:
    world.pending_order()
    before = world.snapshot()
    for who, path, body, headers, status in (
        (ADMIN, "/customers/nobody/erasure", {"reason": "asked"}, {"Idempotency-Key": "n-1"}, 404),
        (SUPPORT, "/customers/cust-1/erasure", {"reason": "asked"}, {"Idempotency-Key": "n-2"}, 403),
        (CUSTOMER, "/customers/cust-1/erasure", {"reason": "asked"}, {"Idempotency-Key": "n-3"}, 403),
        (ADMIN, "/customers/cust-1/erasure", {}, {"Idempotency-Key": "n-4"}, 422),
        (ADMIN, "/customers/cust-1/erasure", {"reason": "asked"}, {}, 400),
    ):
        got = world.call(ERASE, Call(path, who, body, headers))
        assert got.status == status, (path, got.body)
    assert world.snapshot() == before


def test_the_retention_setting_is_versioned_and_audited(world: World) -> None:
    read = world.call("GET /settings/data-retention", Call("/settings/data-retention", ADMIN))
    assert (read.status, read.body["enabled"], read.body["closedDays"], read.headers["ETag"]) == (
        200,
        False,
        730,
        '"0"',
    )
    put = world.call(
        RETENTION,
        Call(
            "/settings/data-retention",
            ADMIN,
            {"enabled": True, "closedDays": 365, "reason": "policy v2"},
            {"If-Match": '"0"'},
        ),
    )
    assert (put.status, put.headers["ETag"], put.body["version"]) == (200, '"1"', 1)
    before = world.snapshot()
    stale = world.call(
        RETENTION, Call("/settings/data-retention", ADMIN, {"enabled": True, "closedDays": 90}, {"If-Match": '"0"'})
    )
    assert_problem(stale.status, stale.headers, stale.body, 412, "precondition-failed")
    for body in ({"enabled": True, "closedDays": 1}, {"enabled": True, "closedDays": 99999}, {"closedDays": 90}):
        assert world.call(RETENTION, Call("/settings/data-retention", ADMIN, body)).status == 422
    assert (
        world.call(RETENTION, Call("/settings/data-retention", SUPPORT, {"enabled": True, "closedDays": 90})).status
        == 403
    )
    assert world.snapshot() == before
    [entry] = trail(world, subject="SETTINGS#DATA_RETENTION")
    # never set before: no "before" (the defaults were not a setting anyone made)
    assert (entry["before"], entry["after"], entry["reason"]) == (
        None,
        {"enabled": True, "closedDays": 365},
        "policy v2",
    )


def test_the_retention_job_pseudonymises_orders_closed_long_ago(world: World) -> None:
    shopper = {"sub": "old-shopper", "roles": ("customer",)}
    body = {"lines": [{"skuId": "TEE-M", "quantity": 1}], "shippingAddress": ADDRESS_OF_ERASED}
    old = world.ok("POST /orders", Call("/orders", shopper, body, {"Idempotency-Key": "old-1"}, 201))
    world.ok("POST /orders/{orderId}/cancel", Call(f"/orders/{old['orderId']}/cancel", shopper, {"reason": "x"}))
    service = world.functions["audit"].services.personal_data  # the data-retention function's service, too
    assert service.run_retention() == {"enabled": False, "erased": 0}
    world.ok(RETENTION, Call("/settings/data-retention", ADMIN, {"enabled": True, "closedDays": 30}))
    assert service.run_retention()["erased"] == 0  # closed today: kept for 30 days

    later = service.clock
    try:
        service.clock = lambda: later() + timedelta(days=31)
        first = service.run_retention()
        assert first["erased"] >= 1 and first["saved"]
        again = service.run_retention()
        assert again["erased"] == 0  # walked on from where it stopped
    finally:
        service.clock = later
    erased = world.ok("GET /orders/{orderId}", Call(f"/orders/{old['orderId']}", ADMIN))
    assert erased["shippingAddress"]["name"] == "[erased]" and erased["breakdown"] == old["breakdown"]
    [entry] = trail(world, subject=f"ORDER#{old['orderId']}", action="personal-data.erase")
    assert entry["actor"] == {"id": "data-retention", "role": "system"}


def test_merchant_staff_see_their_stores_orders_timelines_only(world: World) -> None:
    order, child, _ = world.shipped_child()
    mine = timeline(world, order["orderId"], {"sub": "m-demo", "roles": ("merchant",), "stores": ("demo",)})
    assert [e["details"]["childId"] for e in mine if e["kind"] == "shipment.created"] == [child]
    other = {"sub": "m-other", "roles": ("merchant",), "stores": ("other",)}
    got = world.call(TIMELINE, Call(f"/orders/{order['orderId']}/timeline", other))
    assert_problem(got.status, got.headers, got.body, 404, "not-found")


def test_carrier_tracking_is_on_the_timeline(world: World) -> None:
    order, child, tracking = world.shipped_child()
    assert carrier_callback(world.functions["carrier_callbacks"], tracking, "IN_TRANSIT", "t-1")["statusCode"] == 204
    entries = timeline(world, order["orderId"], WAREHOUSE)
    tracked = [e for e in entries if e["kind"] == "shipment.tracking"]
    assert [e["details"]["status"] for e in tracked] == ["IN_TRANSIT"]
    assert tracked[0]["details"]["childId"] == child
