"""The permission matrix and actors: who may do what."""

from __future__ import annotations

from itertools import product

import pytest
from oms.domain.permissions import MATRIX, STAFF_ROLES, Actor, Grants, Permission, Role

from tests.helpers.permissions import EXPECTED

P = Permission


def actor(*roles: Role) -> Actor:
    return Actor(subject="user-1", roles=frozenset(roles))


def held(who: Actor) -> set[Permission]:
    return {p for p in Permission if who.can(p)}


@pytest.mark.parametrize(("role", "permission"), list(product(Role, Permission)), ids=str)
def test_matrix_cell(role: Role, permission: Permission) -> None:
    assert actor(role).can(permission) is (permission in EXPECTED[role])


def test_every_permission_is_in_the_matrix() -> None:
    assert set(MATRIX) == set(Permission)


def test_customer_places_reads_and_cancels_only_their_own_orders() -> None:
    customer = actor(Role.CUSTOMER)
    assert customer.can(P.ORDER_PLACE)
    assert customer.can(P.ORDER_READ_OWN)
    assert customer.can(P.ORDER_CANCEL_OWN)
    assert not customer.can(P.ORDER_READ_ANY)
    assert not customer.can(P.ORDER_CANCEL_ANY)


def test_customer_cannot_touch_the_catalog() -> None:
    customer = actor(Role.CUSTOMER)
    assert not customer.can(P.CATALOG_WRITE)
    assert not customer.can(P.STOCK_ADJUST)
    assert not customer.can(P.STORE_WRITE)


def test_admin_holds_every_catalog_permission() -> None:
    admin = actor(Role.ADMIN)
    assert {P.CATALOG_WRITE, P.STOCK_ADJUST, P.STORE_WRITE} <= held(admin)


def test_only_admin_writes_the_catalog() -> None:
    for permission in (P.CATALOG_WRITE, P.STOCK_ADJUST, P.STORE_WRITE):
        assert {role for role in Role if actor(role).can(permission)} == {Role.ADMIN}


def test_only_customers_place_orders() -> None:
    assert {role for role in Role if actor(role).can(P.ORDER_PLACE)} == {Role.CUSTOMER}


def test_merchant_holds_only_store_scoped_work_never_the_catalog_money_or_every_order() -> None:
    merchant = held(actor(Role.MERCHANT))
    assert P.ORDER_READ_STORE in merchant
    assert not merchant & {P.ORDER_READ_ANY, P.CATALOG_WRITE, P.STOCK_ADJUST, P.STORE_WRITE, P.REFUND_CREATE}


def test_every_role_may_ask_for_a_quote() -> None:
    assert all(actor(role).can(P.ORDER_QUOTE) for role in Role)


def test_an_actor_with_several_roles_holds_the_union_of_their_permissions() -> None:
    assert held(actor(Role.CUSTOMER, Role.WAREHOUSE)) == EXPECTED[Role.CUSTOMER] | EXPECTED[Role.WAREHOUSE]


def test_an_actor_with_no_roles_holds_nothing() -> None:
    assert held(actor()) == set()


def test_system_actor_has_no_permissions_and_is_recorded_as_system() -> None:
    system = Actor.system()
    assert system.subject == "system"
    assert system.is_system
    assert held(system) == set()
    assert system.primary_role == "system"


def test_system_actor_can_be_named() -> None:
    timer = Actor.system("payment-timeout")
    assert timer.subject == "payment-timeout"
    assert timer.is_system


def test_a_user_is_not_the_system() -> None:
    assert not actor(Role.CUSTOMER).is_system


def test_staff_roles_are_everyone_but_customers() -> None:
    assert set(Role) - STAFF_ROLES == {Role.CUSTOMER}


@pytest.mark.parametrize(
    ("roles", "primary"),
    [
        ({Role.CUSTOMER}, "customer"),
        ({Role.CUSTOMER, Role.ADMIN}, "admin"),
        ({Role.WAREHOUSE, Role.SUPPORT}, "support"),
        ({Role.FINANCE, Role.WAREHOUSE}, "warehouse"),
        ({Role.MERCHANT, Role.FINANCE}, "finance"),
        ({Role.CUSTOMER, Role.MERCHANT}, "merchant"),
        (set(Role), "admin"),
    ],
)
def test_primary_role_is_the_most_privileged_role_held(roles: set[Role], primary: str) -> None:
    assert actor(*roles).primary_role == primary


def test_role_and_permission_wire_values_are_stable() -> None:
    assert [r.value for r in Role] == ["admin", "support", "warehouse", "finance", "merchant", "customer"]
    assert {p.value for p in Permission} == {
        "catalog:write",
        "stock:adjust",
        "stock:read",
        "store:write",
        "order:place",
        "order:quote",
        "order:read-own",
        "order:read-any",
        "order:read-store",
        "order:cancel-own",
        "order:cancel-any",
        "payment:create",
        "payment:review",
        "payment:settings",
        "balance:adjust",
        "anomaly:manage",
        "refund:resolve",
        "refund:create",
        "after-sales:open-own",
        "after-sales:open-any",
        "after-sales:read-any",
        "after-sales:decide",
        "after-sales:arbitrate",
        "after-sales:receive",
        "promotion:manage",
        "points:adjust",
        "pricing:settings",
        "shipment:create",
        "report:read",
        "export:create",
        "export:read-any",
        "personal-data:read",
        "personal-data:ship-to",
        "personal-data:reveal",
        "personal-data:erase",
        "audit:read",
        "notification:settings",
        "stats:read",
        "roles:manage",
        "risk:manage",
        "risk:review",
        "order:note",
        "order:flag",
        "order:hold",
        "order:create-manual",
        "order:edit",
        "virtual:codes",
        "virtual:deliver",
        "virtual:reveal",
        "virtual:verify",
        "channel:manage",
        "channel:read",
    }


def test_the_permissions_document_is_current() -> None:
    from oms_local import permissions_doc

    assert permissions_doc.main(["--check"]) == 0, "run: python -m oms_local.permissions_doc"


# ---------------------------------------------------------------- the role policy (oms.domain.roles)
def test_an_actor_with_effective_permissions_holds_exactly_those() -> None:
    granted = Actor("u-1", frozenset({Role.SUPPORT}), granted=frozenset({P.ORDER_READ_ANY}))
    assert held(granted) == {P.ORDER_READ_ANY}
    assert not granted.is_system


def test_a_token_without_groups_is_not_the_system() -> None:
    assert not Actor("u-1", frozenset(), granted=frozenset()).is_system


def test_a_custom_role_is_recorded_as_the_primary_role_of_an_actor_with_no_built_in_one() -> None:
    assert Actor("u-1", frozenset(), custom_roles=frozenset({"auditor"}), granted=frozenset()).primary_role == "auditor"


def test_grants_resolve_at_their_first_use_and_only_once() -> None:
    calls: list[int] = []

    def resolve() -> frozenset[Permission]:
        calls.append(1)
        return frozenset({P.STATS_READ})

    who = Actor("u-1", frozenset({Role.SUPPORT}), granted=Grants(resolve))
    assert calls == []
    assert who.can(P.STATS_READ) and not who.can(P.ORDER_READ_ANY)
    assert calls == [1]


def test_the_consoles_permission_matrix_is_current() -> None:
    from oms_local import console_permissions

    assert console_permissions.main(["--check"]) == 0, "run: python -m oms_local.console_permissions"
