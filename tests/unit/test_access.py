"""The one object-level visibility rule (oms.services.access): staff with order:read-any see every order,
a shopper the orders they placed, nobody else any."""

from __future__ import annotations

import pytest
from oms.domain.permissions import Actor, Role
from oms.services.access import may_see_order, owns


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
