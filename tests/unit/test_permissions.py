"""The permission matrix and actors: who may do what."""

from __future__ import annotations

from itertools import product

import pytest
from oms.domain.permissions import MATRIX, STAFF_ROLES, Actor, Permission, Role

P = Permission

# The business rules, written out independently of the code's matrix.
EXPECTED: dict[Role, set[Permission]] = {
    Role.ADMIN: {
        P.CATALOG_WRITE,
        P.STOCK_ADJUST,
        P.STORE_WRITE,
        P.ORDER_QUOTE,
        P.ORDER_READ_ANY,
        P.ORDER_CANCEL_ANY,
        P.PAYMENT_SETTINGS,
        P.BALANCE_ADJUST,
        P.ANOMALY_MANAGE,
        P.REFUND_RESOLVE,
        P.REFUND_CREATE,
        P.PROMOTION_MANAGE,
        P.POINTS_ADJUST,
        P.PRICING_SETTINGS,
        P.SHIPMENT_CREATE,
        P.AFTER_SALES_OPEN_ANY,
        P.AFTER_SALES_READ_ANY,
        P.AFTER_SALES_DECIDE,
        P.AFTER_SALES_ARBITRATE,
        P.AFTER_SALES_RECEIVE,
        P.REPORT_READ,
        P.EXPORT_CREATE,
        P.EXPORT_READ_ANY,
        P.PERSONAL_DATA_READ,
        P.PERSONAL_DATA_REVEAL,
        P.PERSONAL_DATA_ERASE,
        P.AUDIT_READ,
        P.NOTIFICATION_SETTINGS,
        P.STATS_READ,
    },
    # Support opens cases for shoppers, decides for merchants (until merchant staff are store-scoped) and
    # arbitrates for the platform.
    Role.SUPPORT: {
        P.ORDER_QUOTE,
        P.ORDER_READ_ANY,
        P.ORDER_CANCEL_ANY,
        P.ANOMALY_MANAGE,
        P.AFTER_SALES_OPEN_ANY,
        P.AFTER_SALES_READ_ANY,
        P.AFTER_SALES_DECIDE,
        P.AFTER_SALES_ARBITRATE,
        P.EXPORT_CREATE,
        P.PERSONAL_DATA_REVEAL,
        P.STATS_READ,
    },
    # The warehouse books returns in and inspects them.
    Role.WAREHOUSE: {
        P.ORDER_QUOTE,
        P.ORDER_READ_ANY,
        P.SHIPMENT_CREATE,
        P.AFTER_SALES_READ_ANY,
        P.AFTER_SALES_RECEIVE,
        P.EXPORT_CREATE,
        P.PERSONAL_DATA_SHIP_TO,
    },
    # Finance reviews bank transfers and runs the money side; it does not cancel orders.
    Role.FINANCE: {
        P.ORDER_QUOTE,
        P.ORDER_READ_ANY,
        P.PAYMENT_REVIEW,
        P.PAYMENT_SETTINGS,
        P.BALANCE_ADJUST,
        P.ANOMALY_MANAGE,
        P.REFUND_RESOLVE,
        P.REFUND_CREATE,
        P.POINTS_ADJUST,
        P.PRICING_SETTINGS,
        P.AFTER_SALES_READ_ANY,
        P.REPORT_READ,
        P.EXPORT_CREATE,
        P.STATS_READ,
    },
    # Store-scoped merchant permissions are not granted yet; quoting is open to every signed-in role.
    Role.MERCHANT: {P.ORDER_QUOTE, P.PERSONAL_DATA_SHIP_TO},
    Role.CUSTOMER: {
        P.ORDER_PLACE,
        P.ORDER_QUOTE,
        P.ORDER_READ_OWN,
        P.ORDER_CANCEL_OWN,
        P.PAYMENT_CREATE,
        P.AFTER_SALES_OPEN_OWN,
    },
}


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


def test_merchant_holds_no_catalog_stock_store_or_order_permissions_yet() -> None:
    assert held(actor(Role.MERCHANT)) - {P.ORDER_QUOTE, P.PERSONAL_DATA_SHIP_TO} == set()


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
        "store:write",
        "order:place",
        "order:quote",
        "order:read-own",
        "order:read-any",
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
    }
