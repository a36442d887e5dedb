"""`/settings/roles` (issue 13 item 1): admins grant and revoke permissions per role and define custom staff
roles; the change is audited, versioned (ETag/If-Match), refused beyond the limits with a 422 that
changes nothing, and effective at every edge (at once here, within the cache's TTL elsewhere)."""

from __future__ import annotations

from typing import Any

import pytest
from oms.domain.permissions import MATRIX, Permission, Role
from oms.services.roles import POLICY
from oms.store.audit import audit_records

from tests.handlers.conftest import ADMIN, SUPPORT, Api, load_function
from tests.helpers.problems import assert_problem

ROUTE = "PUT /settings/roles"


@pytest.fixture
def roles(aws: None) -> Api:
    return Api(load_function("roles"))


@pytest.fixture
def exports(aws: None) -> Api:
    return Api(load_function("exports"))


def put(api: Api, body: dict[str, Any], who: dict[str, Any] = ADMIN, **headers: str) -> tuple[int, dict[str, str], Any]:
    return api("PUT", "/settings/roles", route=ROUTE, body=body, headers=headers, **who)


def role(view: dict[str, Any], name: str) -> dict[str, Any]:
    return next(r for r in view["roles"] if r["role"] == name)


def test_the_built_in_matrix_is_version_0(roles: Api) -> None:
    status, headers, view = roles("GET", "/settings/roles", **ADMIN)
    assert (status, headers["ETag"], view["version"], view["customRoles"]) == (200, '"0"', 0, [])
    assert "roles:manage" in role(view, "admin")["effective"]
    assert role(view, "merchant")["effective"] == role(view, "merchant")["builtIn"]
    assert "personal-data:read" in view["limits"]["nonDelegable"]


def test_a_grant_is_audited_versioned_and_effective_at_once(roles: Api, exports: Api) -> None:
    assert exports("GET", "/exports", query={"mine": "false"}, **SUPPORT)[0] == 200
    body = {
        "roles": {"support": {"grant": ["export:read-any"], "revoke": ["order:cancel-any"]}},
        "customRoles": {"auditor": {"description": "Reads every order", "permissions": ["order:read-any"]}},
        "reason": "quarterly audit",
    }
    status, headers, view = put(roles, body, **{"If-Match": '"0"'})
    assert (status, headers["ETag"], view["version"]) == (200, '"1"', 1), view
    support = role(view, "support")
    assert (support["granted"], support["revoked"]) == (["export:read-any"], ["order:cancel-any"])
    assert "export:read-any" in support["effective"] and "order:cancel-any" not in support["effective"]
    assert view["customRoles"] == [
        {"name": "auditor", "description": "Reads every order", "permissions": ["order:read-any"], "storeScoped": False}
    ]
    (entry,) = audit_records("SETTINGS#ROLES")
    assert (entry.action, entry.by, entry.role, entry.reason) == ("roles.update", "admin-1", "admin", "quarterly audit")
    assert entry.before == {"roles": {}, "customRoles": {}} and entry.after == {
        "roles": {"support": {"grant": ["export:read-any"], "revoke": ["order:cancel-any"]}},
        "customRoles": {"auditor": {"description": "Reads every order", "permissions": ["order:read-any"]}},
    }
    # the same policy again writes nothing (a retry after a lost answer)
    assert put(roles, body)[2]["version"] == 1 and len(audit_records("SETTINGS#ROLES")) == 1
    # a custom role's group now opens what its permissions open; the role is recorded as the actor's
    orders = Api(load_function("orders"))
    assert orders("GET", "/orders", sub="aud-1", roles=("auditor",))[0] == 200
    assert orders("GET", "/orders", sub="aud-1", roles=("auditor",))[2]["items"] == []
    # a stale If-Match is a 412 and changes nothing
    stale = put(roles, {"roles": {}}, **{"If-Match": '"0"'})
    assert_problem(*stale, 412, "precondition-failed")
    assert roles("GET", "/settings/roles", **ADMIN)[2]["version"] == 1


def test_a_revoke_takes_effect_at_every_edge(roles: Api, exports: Api) -> None:
    assert exports("GET", "/exports", **SUPPORT)[0] == 200
    assert put(roles, {"roles": {"support": {"revoke": ["export:create"]}}})[0] == 200
    refused = exports("GET", "/exports", **SUPPORT)
    assert_problem(*refused, 403, "forbidden")


def test_environments_see_a_change_after_the_ttl(roles: Api) -> None:
    """Another environment's copy (here: the cache emptied, as a cold one) reads the stored policy."""
    assert put(roles, {"roles": {"support": {"grant": ["stats:read"]}}})[0] == 200
    POLICY.forget()
    assert POLICY.get().version == 1


@pytest.mark.parametrize(
    ("body", "rule"),
    [
        ({"roles": {"support": {"grant": ["roles:manage"]}}}, "non-delegable"),
        ({"roles": {"finance": {"grant": ["personal-data:read"]}}}, "non-delegable"),
        ({"roles": {"support": {"grant": ["personal-data:erase"]}}}, "non-delegable"),
        ({"roles": {"support": {"grant": ["audit:read"]}}}, "non-delegable"),
        ({"roles": {"admin": {"revoke": ["roles:manage"]}}}, "admin-keeps"),
        ({"roles": {"customer": {"grant": ["order:read-any"]}}}, "customer-shopper-only"),
        ({"roles": {"merchant": {"grant": ["refund:create"]}}}, "no-money-moves"),
        ({"customRoles": {"shopper-plus": {"permissions": ["order:place", "stats:read"]}}}, "staff-not-shopper"),
        ({"customRoles": {"store-money": {"permissions": ["order:read-store", "balance:adjust"]}}}, "no-money-moves"),
        ({"customRoles": {"root": {"permissions": ["roles:manage"]}}}, "non-delegable"),
    ],
)
def test_a_change_beyond_the_limits_is_a_422_and_changes_nothing(roles: Api, body: dict[str, Any], rule: str) -> None:
    status, headers, problem = put(roles, body)
    assert_problem(status, headers, problem, 422, "role-limit")
    assert problem["rule"] == rule
    assert roles("GET", "/settings/roles", **ADMIN)[2]["version"] == 0
    assert audit_records("SETTINGS#ROLES") == []


@pytest.mark.parametrize(
    "body",
    [
        {"roles": {"superuser": {"grant": ["stats:read"]}}},
        {"roles": {"support": {"grant": ["everything"]}}},
        {"customRoles": {"Bad Name": {"permissions": ["stats:read"]}}},
        {"customRoles": {"empty": {"permissions": []}}},
        {"unknown": True},
    ],
)
def test_malformed_policies_are_validation_errors(roles: Api, body: dict[str, Any]) -> None:
    assert_problem(*put(roles, body), 422, "validation-failed")


def test_only_admins_read_or_change_roles(roles: Api) -> None:
    for who in (SUPPORT, {"sub": "m-1", "roles": ("merchant",)}, {"sub": "c-1", "roles": ("customer",)}):
        assert_problem(*roles("GET", "/settings/roles", **who), 403, "forbidden")
        assert_problem(*put(roles, {"roles": {}}, who), 403, "forbidden")


def test_a_caller_reads_its_own_effective_permissions(roles: Api) -> None:
    """`GET /me/permissions` (the console shows only what these allow): the built-in matrix, then grants,
    revokes and custom roles as soon as the policy changes; any signed-in caller, nobody else's."""
    status, _, mine = roles("GET", "/me/permissions", **SUPPORT)
    assert status == 200
    assert (mine["roles"], mine["customRoles"], mine["stores"]) == (["support"], [], [])
    assert "order:cancel-any" in mine["permissions"] and "roles:manage" not in mine["permissions"]
    assert mine["permissions"] == [p.value for p in Permission if Role.SUPPORT in MATRIX[p]]

    body = {
        "roles": {"support": {"grant": ["export:read-any"], "revoke": ["order:cancel-any"]}},
        "customRoles": {"auditor": {"description": "Reads every order", "permissions": ["order:read-any"]}},
    }
    assert put(roles, body)[0] == 200
    after = roles("GET", "/me/permissions", **SUPPORT)[2]["permissions"]
    assert "export:read-any" in after and "order:cancel-any" not in after
    auditor = roles("GET", "/me/permissions", sub="aud-1", roles=("auditor",))[2]
    assert (auditor["roles"], auditor["customRoles"], auditor["permissions"]) == ([], ["auditor"], ["order:read-any"])
    merchant = roles("GET", "/me/permissions", sub="m-1", roles=("merchant",), stores=("demo",))[2]
    assert merchant["stores"] == ["demo"] and "order:read-store" in merchant["permissions"]
    customer = roles("GET", "/me/permissions", sub="c-1", roles=("customer",))[2]
    assert "order:place" in customer["permissions"] and "order:read-any" not in customer["permissions"]
