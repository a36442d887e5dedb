"""The one object-level visibility rule (oms.services.access): staff with order:read-any see every order,
a shopper the orders they placed, nobody else any."""

from __future__ import annotations

import pytest
from oms.domain.permissions import Actor, Permission, Role
from oms.services.access import in_scope, may_see_case, may_see_order, owns, scoped_order_view, store_scope


def actor(subject: str, *roles: Role) -> Actor:
    return Actor(subject, frozenset(roles))


@pytest.mark.parametrize(
    ("who", "customer_id", "visible"),
    [
        (actor("cust-1", Role.CUSTOMER), "cust-1", True),
        (actor("cust-2", Role.CUSTOMER), "cust-1", False),
        (actor("cust-1", Role.CUSTOMER), None, False),
        (actor("sup-1", Role.SUPPORT), "cust-1", True),
        (actor("wh-1", Role.WAREHOUSE), "cust-1", True),
        (actor("fin-1", Role.FINANCE), "cust-1", True),
        (actor("adm-1", Role.ADMIN), "cust-1", True),
        (actor("m-1", Role.MERCHANT), "cust-1", False),  # not store-scoped yet: no order is a merchant's
        (actor("cust-1", Role.MERCHANT), "cust-1", False),  # ownership needs order:read-own
        (Actor.system("auto-confirm"), "cust-1", False),
    ],
)
def test_who_sees_an_order(who: Actor, customer_id: str | None, visible: bool) -> None:
    assert may_see_order(who, customer_id) is visible


def test_ownership_is_the_subject() -> None:
    assert owns(actor("cust-1", Role.CUSTOMER), "cust-1")
    assert not owns(actor("cust-1", Role.CUSTOMER), "cust-2")
    assert not owns(actor("cust-1", Role.CUSTOMER), None)


# ---------------------------------------------------------------- store scope (merchant staff)
def merchant(*stores: str) -> Actor:
    return Actor("m-1", frozenset({Role.MERCHANT}), stores=frozenset(stores))


def test_store_scope_is_the_merchants_stores_and_none_for_everyone_else() -> None:
    assert store_scope(merchant("a", "b")) == {"a", "b"}
    assert store_scope(merchant()) == frozenset()  # no claim: scoped to nothing
    assert store_scope(actor("sup-1", Role.SUPPORT)) is None
    assert store_scope(actor("cust-1", Role.CUSTOMER)) is None
    assert store_scope(Actor.system()) is None
    # a custom role holding order:read-store is scoped like a merchant; a merchant who lost it sees nothing
    scoped = Actor("s-1", frozenset(), stores=frozenset({"a"}), granted=frozenset({Permission.ORDER_READ_STORE}))
    assert store_scope(scoped) == {"a"}
    assert store_scope(Actor("m-2", frozenset({Role.MERCHANT}), stores=frozenset({"a"}), granted=frozenset())) == set()
    # platform-wide wins
    both = Actor("x", frozenset({Role.MERCHANT, Role.SUPPORT}), stores=frozenset({"a"}))
    assert store_scope(both) is None


def test_a_merchant_sees_an_order_with_one_of_its_stores_only() -> None:
    assert may_see_order(merchant("a"), "cust-1", ["a", "b"])
    assert not may_see_order(merchant("a"), "cust-1", ["b"])
    assert not may_see_order(merchant(), "cust-1", ["a"])
    assert not may_see_order(merchant("a"), "cust-1")  # callers that pass no stores keep it hidden
    assert in_scope(merchant("a"), "a") and not in_scope(merchant("a"), "b") and not in_scope(merchant("a"), None)
    assert in_scope(actor("wh-1", Role.WAREHOUSE), "b")


def test_a_case_is_seen_by_its_shopper_staff_and_its_stores_merchants() -> None:
    assert may_see_case(merchant("a"), "cust-1", "a")
    assert not may_see_case(merchant("b"), "cust-1", "a")
    assert may_see_case(actor("cust-1", Role.CUSTOMER), "cust-1", "a")
    assert not may_see_case(actor("cust-2", Role.CUSTOMER), "cust-1", "a")
    assert may_see_case(actor("sup-1", Role.SUPPORT), "cust-1", "a")
    assert may_see_case(Actor.system("case-flow"), "cust-1", "a")


def test_a_scoped_view_keeps_the_stores_lines_and_children_and_drops_the_whole_orders_money() -> None:
    money = {"amount": 100, "currency": "CNY"}
    line = {"lineTotal": money, "shipping": money, "discount": {"amount": 0, "currency": "CNY"}, "payable": money}
    view = {
        "customerId": "cust-1",
        "currency": "CNY",
        "storeIds": ["a", "b"],
        "lines": [{**line, "storeId": "a"}, {**line, "storeId": "b"}],
        "children": [{"storeId": "a"}, {"storeId": "b"}],
        "breakdown": {"total": {"amount": 999, "currency": "CNY"}},
        "pricing": {"lines": []},
        "reportingTotal": money,
        "payment": {},
    }
    shown = scoped_order_view(merchant("a"), view)
    assert (shown["storeIds"], shown["children"], len(shown["lines"])) == (["a"], [{"storeId": "a"}], 1)
    assert shown["breakdown"]["total"] == money and shown["breakdown"]["subtotal"] == money
    assert (shown["pricing"], shown["reportingTotal"], "payment" in shown) == (None, None, False)
    assert scoped_order_view(actor("sup-1", Role.SUPPORT), view) is view
