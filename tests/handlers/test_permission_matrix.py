"""The whole permission matrix at the edge: every role (each built-in one, a custom staff role, a token
with no role) against every route of every API function of template.yaml. A route that declares its
permission (`permits`) lets a caller through (anything but 401/403) exactly when the caller holds one of
them by tests/unit/test_permissions.py's EXPECTED (written independently of the code's matrix), and
refuses everyone else with a 403 problem before anything else is looked at. Routes open to every
signed-in user are listed here by name: their services decide (own data, object rules)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from oms.domain.permissions import Permission, Role
from oms.domain.roles import CustomRole, RolePolicy
from oms.services.roles import POLICY
from oms_local.core.template import RouteSpec, load_template
from oms_local.openapi import handlers

from tests.handlers.conftest import ROOT, LambdaContext, http_event, load_function
from tests.helpers.permissions import EXPECTED

P = Permission
TEMPLATE = load_template(ROOT / "template.yaml")
TYPED = handlers(TEMPLATE)
API_ROUTES = sorted((r for r in TEMPLATE.routes if r.route_key in TYPED and not r.public), key=lambda r: r.route_key)
FOLDERS = {fid: spec.module_file.parent.name for fid, spec in TEMPLATE.functions.items()}

# A custom staff role, as an admin defines it: platform-wide reads and exports, no money, no settings.
AUDITOR = CustomRole("auditor", frozenset({P.ORDER_READ_ANY, P.EXPORT_CREATE, P.STATS_READ, P.REPORT_READ}))
CALLERS: dict[str, tuple[tuple[str, ...], set[Permission]]] = {
    **{role.value: ((role.value,), EXPECTED[role]) for role in Role},
    "custom:auditor": (("auditor",), set(AUDITOR.permissions)),
    "no-role": ((), set()),
    "unknown-group": (("not-a-role",), set()),
}

# The routes any signed-in caller reaches; each service decides what the caller may see or do there.
SIGNED_IN = {
    "GET /after-sales",
    "GET /after-sales/{caseId}",
    "GET /anomalies",
    "GET /coupon-templates",
    "GET /coupon-templates/{templateId}",
    "GET /coupon-templates/{templateId}/coupons",
    "GET /coupons",
    "GET /coupons/{code}",
    "GET /customers/{customerId}/balance",
    "GET /customers/{customerId}/points",
    "GET /customers/{customerId}/membership",
    "GET /me/membership",
    "GET /me/permissions",
    "GET /me",
    "PUT /me",
    "GET /me/addresses",
    "POST /me/addresses",
    "PUT /me/addresses/{addressId}",
    "DELETE /me/addresses/{addressId}",
    "POST /me/addresses/{addressId}/default",
    "GET /me/notification-preferences",
    "PUT /me/notification-preferences",
    "GET /me/notifications",
    "POST /me/notifications/read-all",
    "GET /me/notifications/unread-count",
    "POST /me/notifications/{notificationId}/read",
    "GET /orders",
    "GET /orders/{orderId}",
    "GET /orders/{orderId}/after-sales",
    "GET /orders/{orderId}/notes",
    "GET /orders/by-number/{orderNumber}",
    "POST /orders/{orderId}/confirm-receipt",
    "GET /orders/{orderId}/payments",
    "POST /orders/{orderId}/payments/{paymentId}/sync",
    "GET /orders/{orderId}/refunds",
    "POST /orders/{orderId}/release",
    "GET /orders/{orderId}/shipments",
    "GET /orders/{orderId}/timeline",
    "GET /orders/{orderId}/vouchers",
    "GET /promotions",
    "GET /promotions/{promotionId}",
    "GET /refunds",
    "GET /settings/fx-rates",
    "GET /settings/payment-channels/{storeId}",
    "GET /settings/payment-methods/{storeId}",
    "GET /settings/points-rules",
    "GET /settings/member-tiers",
    "GET /warehouses/{warehouseId}/child-orders",
    "GET /products",
    "GET /products/{productId}",
    "GET /search/products",
    "GET /skus/{skuId}",
    "GET /stores/{storeId}",
    "GET /stores/{storeId}/categories",
    "GET /stores/{storeId}/categories/{categoryId}",
    "GET /stores/{storeId}/freight-templates",
    "GET /stores/{storeId}/freight-templates/{freightTemplateId}",
}


def permits(route: RouteSpec) -> tuple[Permission, ...]:
    found: tuple[Permission, ...] = getattr(TYPED[route.route_key].function, "__oms_permits__", ())
    return found


GUARDED = [r for r in API_ROUTES if permits(r)]


@pytest.fixture
def modules(aws: None) -> Iterator[dict[str, ModuleType]]:
    loaded = {folder: load_function(folder) for folder in sorted({FOLDERS[r.function_id] for r in API_ROUTES})}
    POLICY.put(RolePolicy(custom={AUDITOR.name: AUDITOR}))
    yield loaded
    POLICY.forget()


def call(modules: dict[str, ModuleType], route: RouteSpec, groups: tuple[str, ...]) -> tuple[int, dict[str, Any]]:
    """The route called by a caller with these groups (merchant staff work for store S1)."""
    path = "/".join("01J9ZZZZZZZZZZZZZZZZZZZZZZ" if p.startswith("{") else p for p in route.path.split("/"))
    event = http_event(
        route.method,
        path,
        route=route.route_key,
        sub="caller-1",
        roles=groups,
        stores=("S1",) if "merchant" in groups else (),
        headers={"Idempotency-Key": "k-1"},
    )
    result = modules[FOLDERS[route.function_id]].handler(event, LambdaContext())
    body = json.loads(result["body"]) if result.get("body") and "json" in result["headers"]["Content-Type"] else {}
    return result["statusCode"], {**body, "_type": result["headers"]["Content-Type"]}


def test_the_routes_open_to_every_signed_in_caller_are_these() -> None:
    open_routes = {r.route_key for r in API_ROUTES if not permits(r)}
    assert open_routes == SIGNED_IN - {r.route_key for r in TEMPLATE.routes if r.public}


def test_every_guarded_route_is_in_the_walk() -> None:
    assert len(GUARDED) > 40
    assert {"PUT /settings/roles", "POST /exports", "POST /orders/{orderId}/shipments"} <= {
        r.route_key for r in GUARDED
    }


@pytest.mark.parametrize("caller", sorted(CALLERS))
def test_every_caller_against_every_guarded_route(modules: dict[str, ModuleType], caller: str) -> None:
    groups, held = CALLERS[caller]
    wrong = []
    for route in GUARDED:
        allowed = any(p in held for p in permits(route))
        status, body = call(modules, route, groups)
        if allowed and status in (401, 403):
            wrong.append(f"{route.route_key}: {caller} refused ({status} {body.get('detail')})")
        if not allowed and (status, body.get("type"), body["_type"]) != (
            403,
            "urn:oms:problem:forbidden",
            "application/problem+json",
        ):
            wrong.append(f"{route.route_key}: {caller} not refused ({status} {body.get('type')})")
    assert not wrong, "\n".join(wrong)


def test_a_signed_in_route_is_never_a_401_for_a_token_without_roles(modules: dict[str, ModuleType]) -> None:
    for route in (r for r in API_ROUTES if not permits(r)):
        status, _ = call(modules, route, ())
        assert status != 401, route.route_key
