"""The role policy admins configure (oms.domain.roles): effective permissions from grants, revokes and
custom roles, and the limits that keep the platform safe (each refused with a 422 naming its rule)."""

from __future__ import annotations

import pytest
from oms.domain.permissions import Permission, Role
from oms.domain.roles import (
    NON_DELEGABLE,
    CustomRole,
    RoleChange,
    RoleLimit,
    RolePolicy,
    builtin_permissions,
    check,
)
from oms.services.roles import PolicyCache

from tests.helpers.permissions import EXPECTED

P = Permission


def test_the_empty_policy_is_the_built_in_matrix() -> None:
    policy = RolePolicy()
    for role in Role:
        assert policy.permissions_of(role) == EXPECTED[role] == builtin_permissions(role)


def test_grants_add_and_revokes_remove() -> None:
    policy = check(
        RolePolicy(
            {Role.SUPPORT: RoleChange(grant=frozenset({P.EXPORT_READ_ANY}), revoke=frozenset({P.ORDER_CANCEL_ANY}))}
        )
    )
    assert policy.permissions_of(Role.SUPPORT) == (EXPECTED[Role.SUPPORT] | {P.EXPORT_READ_ANY}) - {P.ORDER_CANCEL_ANY}
    assert (
        policy.effective([Role.SUPPORT, Role.WAREHOUSE], [])
        == policy.permissions_of(Role.SUPPORT) | EXPECTED[Role.WAREHOUSE]
    )


def test_custom_roles_add_their_permissions_and_unknown_names_add_nothing() -> None:
    policy = check(RolePolicy(custom={"auditor": CustomRole("auditor", frozenset({P.ORDER_READ_ANY, P.STATS_READ}))}))
    assert policy.effective([], ["auditor", "nobody"]) == {P.ORDER_READ_ANY, P.STATS_READ}


def test_the_policy_round_trips_through_its_stored_form() -> None:
    policy = RolePolicy(
        {Role.FINANCE: RoleChange(revoke=frozenset({P.POINTS_ADJUST}))},
        {"store-support": CustomRole("store-support", frozenset({P.ORDER_READ_STORE, P.AFTER_SALES_DECIDE}), "x")},
    )
    assert RolePolicy.from_dict(policy.to_dict()).to_dict() == policy.to_dict()
    assert RolePolicy.from_dict(policy.to_dict()).custom["store-support"].store_scoped


@pytest.mark.parametrize(
    ("policy", "rule"),
    [
        (RolePolicy({Role.SUPPORT: RoleChange(grant=frozenset({P.ROLES_MANAGE}))}), "non-delegable"),
        (RolePolicy({Role.FINANCE: RoleChange(grant=frozenset({P.PERSONAL_DATA_READ}))}), "non-delegable"),
        (RolePolicy({Role.ADMIN: RoleChange(revoke=frozenset({P.ROLES_MANAGE}))}), "admin-keeps"),
        (RolePolicy({Role.CUSTOMER: RoleChange(grant=frozenset({P.ORDER_READ_ANY}))}), "customer-shopper-only"),
        (RolePolicy({Role.CUSTOMER: RoleChange(grant=frozenset({P.REFUND_CREATE}))}), "customer-shopper-only"),
        (RolePolicy({Role.SUPPORT: RoleChange(grant=frozenset({P.ORDER_PLACE}))}), "staff-not-shopper"),
        (RolePolicy({Role.MERCHANT: RoleChange(grant=frozenset({P.REFUND_CREATE}))}), "no-money-moves"),
        (RolePolicy({Role.MERCHANT: RoleChange(grant=frozenset({P.BALANCE_ADJUST}))}), "no-money-moves"),
        (RolePolicy({Role.MERCHANT: RoleChange(grant=frozenset({P.ORDER_READ_ANY}))}), "store-scoped"),
        (
            RolePolicy({Role.SUPPORT: RoleChange(frozenset({P.STATS_READ}), frozenset({P.STATS_READ}))}),
            "grant-and-revoke",
        ),
        (RolePolicy(custom={"admin": CustomRole("admin", frozenset({P.STATS_READ}))}), "role-name"),
        (RolePolicy(custom={"Bad Name": CustomRole("Bad Name", frozenset({P.STATS_READ}))}), "role-name"),
        (RolePolicy(custom={"empty": CustomRole("empty", frozenset())}), "empty-role"),
        (RolePolicy(custom={"boss": CustomRole("boss", frozenset({P.ROLES_MANAGE}))}), "non-delegable"),
        (RolePolicy(custom={"pii": CustomRole("pii", frozenset({P.PERSONAL_DATA_READ}))}), "non-delegable"),
        (
            RolePolicy(custom={"mixed": CustomRole("mixed", frozenset({P.ORDER_PLACE, P.STATS_READ}))}),
            "staff-not-shopper",
        ),
        (
            RolePolicy(
                custom={"shop-money": CustomRole("shop-money", frozenset({P.ORDER_READ_STORE, P.REFUND_CREATE}))}
            ),
            "no-money-moves",
        ),
        (
            RolePolicy(custom={"both": CustomRole("both", frozenset({P.ORDER_READ_STORE, P.ORDER_READ_ANY}))}),
            "store-scoped",
        ),
    ],
)
def test_a_change_the_limits_refuse_is_a_422_naming_the_rule(policy: RolePolicy, rule: str) -> None:
    with pytest.raises(RoleLimit) as refused:
        check(policy)
    assert (refused.value.status, refused.value.slug, refused.value.extensions["rule"]) == (422, "role-limit", rule)


def test_admin_may_tighten_its_own_personal_data_access_and_keep_roles_management() -> None:
    policy = check(RolePolicy({Role.ADMIN: RoleChange(revoke=frozenset({P.PERSONAL_DATA_READ}))}))
    assert P.ROLES_MANAGE in policy.permissions_of(Role.ADMIN)
    assert P.PERSONAL_DATA_READ not in policy.permissions_of(Role.ADMIN)


def test_granting_admin_what_it_holds_is_harmless() -> None:
    assert check(RolePolicy({Role.ADMIN: RoleChange(grant=frozenset(NON_DELEGABLE))}))


def test_a_platform_custom_role_may_move_money() -> None:
    assert check(RolePolicy(custom={"refunds": CustomRole("refunds", frozenset({P.ORDER_READ_ANY, P.REFUND_CREATE}))}))


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_cache_reads_once_per_ttl_and_serves_a_stale_copy_when_a_read_fails() -> None:
    reads: list[int] = []
    failing = False

    def read() -> RolePolicy:
        if failing:
            raise OSError("throttled")
        reads.append(1)
        return RolePolicy(version=len(reads))

    clock = Clock()
    cache = PolicyCache(read, ttl=30, monotonic=clock)
    assert cache.get().version == 1
    clock.now = 29
    assert cache.get().version == 1 and len(reads) == 1
    clock.now = 31
    assert cache.get().version == 2
    failing = True
    clock.now = 70
    assert cache.get().version == 2  # stale, until a read succeeds
    cache.forget()
    with pytest.raises(OSError):
        cache.get()
