"""The store's audit entries and order flags (issue 13's foundation): an audit entry carries the request
that wrote it and is found by actor, action and day; a flag row exists while the flag is set, is read with
its order and is found by flag."""

from __future__ import annotations

from typing import Any

from oms.api.auth import actor_from_event, parse_stores
from oms.domain.flags import OrderFlag
from oms.domain.permissions import Actor, Role
from oms.store import keys
from oms.store.audit import add_audit, audit_records
from oms.store.flags import add_flag, remove_flag
from oms.store.models import Item
from oms.store.orders import OrderRepository
from oms.store.transactions import Transaction

from tests.handlers.conftest import ADDRESS, CUSTOMER, Api
from tests.helpers.handlers import http_event


def test_the_actor_carries_the_request_id_source_ip_and_stores_of_the_token() -> None:
    event = http_event("GET", "/orders", sub="m-1", roles=("merchant",), stores=("s1", "s2"))
    who = actor_from_event(event)
    assert who.roles == frozenset({Role.MERCHANT})
    assert who.stores == frozenset({"s1", "s2"})
    assert who.request_id == event["requestContext"]["requestId"]
    assert who.source_ip == "127.0.0.1"
    assert parse_stores('["a", "b"]') == frozenset({"a", "b"}) == parse_stores("a b")
    assert parse_stores(None) == frozenset() == parse_stores("")


def test_an_audit_entry_is_indexed_by_actor_action_and_day(aws: None) -> None:
    who = Actor("staff-1", frozenset({Role.ADMIN}), request_id="req-1", source_ip="10.0.0.9")
    tx = Transaction()
    now = "2026-12-01T10:00:00.000Z"
    add_audit(tx, "ORDER#O1", "order.note", actor=who, now=now, before=None, after={"n": 1}, reason="why")
    tx.commit()
    [entry] = audit_records("ORDER#O1")
    assert (entry.by, entry.role, entry.requestId, entry.sourceIp, entry.reason) == (
        "staff-1",
        "admin",
        "req-1",
        "10.0.0.9",
        "why",
    )
    assert [i.subject for i in Item.gsi1.query(keys.audit_by_actor_gsi1("staff-1"))] == ["ORDER#O1"]
    assert [i.subject for i in Item.gsi2.query(keys.audit_by_action_gsi2("order.note"))] == ["ORDER#O1"]
    assert [i.subject for i in Item.gsi3.query(keys.audit_by_day_gsi3(now))] == ["ORDER#O1"]


def test_a_flag_is_read_with_its_order_found_by_flag_and_cleared(seeded: dict[str, Any], orders_api: Api) -> None:
    status, _, order = orders_api(
        "POST",
        "/orders",
        body={"lines": [{"skuId": "MUG", "quantity": 1}], "shippingAddress": ADDRESS},
        headers={"Idempotency-Key": "flag-1"},
        **CUSTOMER,
    )
    assert status == 201, order
    order_id, created = order["orderId"], order["createdAt"]
    tx = Transaction()
    add_flag(tx, order_id, created, OrderFlag.SPECIAL, by="staff-1", at=created, reason="VIP")
    tx.commit()
    record = OrderRepository().get_order(order_id)
    assert record is not None and [(f.flag, f.reason) for f in record.flags] == [("special", "VIP")]
    found = [i.orderId for i in Item.gsi2.query(keys.order_flag_gsi2("special"), scan_index_forward=False)]
    assert found == [order_id]
    tx = Transaction()
    remove_flag(tx, order_id, OrderFlag.SPECIAL)
    remove_flag(tx, order_id, OrderFlag.RISK_REVIEW)  # not set: nothing happens
    tx.commit()
    record = OrderRepository().get_order(order_id)
    assert record is not None and record.flags == []
    assert list(Item.gsi2.query(keys.order_flag_gsi2("special"))) == []
