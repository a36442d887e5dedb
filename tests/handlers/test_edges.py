"""Bad input at the edge, over every HTTP route of template.yaml (issue 9 item 6): a body that is not
UTF-8, JSON nested 1,000 deep, a 3,000-byte path id, and a customer on staff routes. Each answer is a
4xx (problem+json on the API routes) and the table is exactly as it was.

The routes come from the template's HttpApi events, so a new route is covered without editing this file;
which handlers read a body comes from their typed routes (the same routes that build docs/openapi.json).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from moto import mock_aws
from oms.adapters.carriers import CarrierWebhooks
from oms.api.http import MAX_JSON_DEPTH, json_depth, strict_json
from oms.api.problems import HttpProblem
from oms_local.core.template import RouteSpec, load_template
from oms_local.oms.warehouse_sandbox import SandboxWarehouse
from oms_local.openapi import handlers

from tests.handlers.conftest import (
    ADDRESS,
    ADMIN,
    DEMO_STORE,
    LambdaContext,
    adapters,
    http_event,
    load_function,
    table_definition,
)
from tests.helpers.freight import BY_WEIGHT
from tests.helpers.fulfilment import sku

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = load_template(ROOT / "template.yaml")
ROUTES: list[RouteSpec] = sorted(TEMPLATE.routes, key=lambda r: r.route_key)
FOLDERS = {fid: spec.module_file.parent.name for fid, spec in TEMPLATE.functions.items()}
HANDLERS = handlers(TEMPLATE)
CALLBACKS = {r.route_key for r in ROUTES if r.path.startswith("/callbacks/")}  # raw bodies, providers' formats
WRITES = [r for r in ROUTES if r.method != "GET"]
WITH_IDS = [r for r in ROUTES if "{" in r.path]
# Every role at once: gets past every permission check, so what answers is the input handling.
EVERYONE = {"sub": "cust-1", "roles": ("admin", "support", "warehouse", "finance", "customer")}
CUSTOMER = {"sub": "cust-1", "roles": ("customer",)}
TEE = sku("TEE-M", 4900)
# Routes a customer may not use at all (the rest are public, the customer's own, or any signed-in user's).
STAFF_ONLY = {
    "PUT /stores/{storeId}",
    "PUT /stores/{storeId}/freight-templates/{freightTemplateId}",
    "DELETE /stores/{storeId}/freight-templates/{freightTemplateId}",
    "POST /products",
    "PATCH /products/{productId}",
    "POST /products/{productId}/skus",
    "GET /products/{productId}/images",
    "POST /products/{productId}/images",
    "DELETE /products/{productId}/images/{imageId}",
    "PUT /products/{productId}/images/order",
    "PATCH /skus/{skuId}",
    "POST /skus/{skuId}/stock-adjustments",
    "POST /stock-adjustments/batch",
    "POST /stocktakes",
    "GET /stocktakes",
    "GET /stocktakes/{stocktakeId}",
    "POST /stores/{storeId}/categories",
    "PATCH /stores/{storeId}/categories/{categoryId}",
    "DELETE /stores/{storeId}/categories/{categoryId}",
    "POST /orders/{orderId}/payments/{paymentId}/review",
    "POST /orders/{orderId}/refunds/{refundId}/resolve",
    "POST /orders/{orderId}/refunds",
    "GET /refunds",
    "POST /customers/{customerId}/balance/adjustments",
    "GET /anomalies",
    "POST /anomalies/{anomalyId}/resolve",
    "GET /settings/payment-methods/{storeId}",
    "PUT /settings/payment-methods/{storeId}",
    "GET /settings/payment-channels/{storeId}",
    "PUT /settings/payment-channels/{storeId}",
    "GET /promotions",
    "POST /promotions",
    "GET /promotions/{promotionId}",
    "PUT /promotions/{promotionId}",
    "DELETE /promotions/{promotionId}",
    "GET /coupon-templates",
    "POST /coupon-templates",
    "GET /coupon-templates/{templateId}",
    "POST /coupon-templates/{templateId}/disable",
    "POST /coupon-templates/{templateId}/coupons",
    "GET /coupon-templates/{templateId}/coupons",
    "GET /settings/points-rules",
    "PUT /settings/points-rules",
    "GET /settings/fx-rates",
    "PUT /settings/fx-rates",
    "GET /settings/member-tiers",
    "PUT /settings/member-tiers",
    "POST /customers/{customerId}/points/adjustments",
    "POST /orders/{orderId}/shipments",
    "POST /orders/{orderId}/release",
    "POST /shipments/batch",
    "GET /warehouses/{warehouseId}/child-orders",
    "GET /settings/carriers",
    "PUT /settings/carriers",
    "POST /exports",
    "GET /exports",
    "GET /exports/{exportId}",
    "GET /settings/notifications/{storeId}",
    "PUT /settings/notifications/{storeId}",
    "GET /settings/roles",
    "PUT /settings/roles",
    "GET /risk/blacklist",
    "POST /risk/blacklist",
    "POST /risk/blacklist/{kind}/remove",
    "GET /risk/reviews",
    "POST /orders/{orderId}/risk-review",
    "GET /settings/risk",
    "PUT /settings/risk",
    "POST /orders/{orderId}/notes",
    "PUT /orders/{orderId}/flags/special",
    "DELETE /orders/{orderId}/flags/special",
    "POST /orders/{orderId}/hold",
    "POST /orders/{orderId}/release-hold",
    "POST /orders/batch",
}
# A valid body per request model, so an over-long path id meets the store, not a schema error.
VALID_BODIES: dict[str, Any] = {
    "CodeUploadIn": {"file": "CODE-0001\n"},
    "DeliveryIn": {},
    "ActivationIn": {},
    "VoucherActionIn": {"reason": "probe"},
    "RevealIn": {"reason": "probe"},
    "RedemptionIn": {},
    "VerificationIn": {"code": "CODE-0001"},
    "ChannelStoreIn": {"name": "T", "channelType": "taobao", "orderingUserId": "u", "redemptionDomain": "r.test"},
    "ChannelStorePatch": {"name": "T"},
    "ChannelStoreStatusIn": {"enabled": True, "reason": "probe"},
    "ChannelImportIn": {"file": "channelOrderNo,skuId,quantity\nX,TEE-M,1\n"},
    "StoreIn": DEMO_STORE,
    "FreightTemplateIn": BY_WEIGHT,
    "ProductPatch": {"name": "Tee"},
    "SkuIn": {**TEE, "skuId": "TEE-NEW"},
    "SkuPatch": {"name": "Tee"},
    "StockAdjustmentIn": {"delta": 1, "reason": "restock"},
    "StockBatchIn": {"lines": [{"skuId": "TEE-M", "delta": 1, "reason": "restock"}]},
    "StocktakeIn": {"storeId": "demo", "lines": [{"skuId": "TEE-M", "counted": 1}]},
    "CategoryIn": {"name": "Tea"},
    "CategoryPatch": {"name": "Teas"},
    "CategoryDeleteIn": {},
    "CancelIn": {"reason": "changed my mind"},
    "CarrierSettingsIn": {"carriers": [{"code": "ems", "parcelWeightLimitGrams": 2000}], "defaultCarrier": "ems"},
    "PaymentIn": {"method": "alipay"},
    "ReviewIn": {"decision": "approve"},
    "BalanceAdjustmentIn": {"direction": "credit", "amount": {"amount": 100, "currency": "CNY"}, "reason": "goodwill"},
    "ResolveIn": {"note": "checked with the bank"},
    "RefundResolveIn": {"decision": "to-balance", "note": "the payer's account is closed"},
    "RefundIn": {"amount": {"amount": 100, "currency": "CNY"}, "reason": "staff_adjustment"},
    "ChannelSettingsIn": {
        "channels": {
            "alipay": {"enabled": True, "minAmount": 0, "maxAmount": 100, "feeRateBps": 0, "feeBearer": "merchant"}
        }
    },
    "PromotionIn": {
        "kind": "percent_off",
        "name": "Ten off",
        "rule": {"bps": 1000},
        "scope": {"storeId": "demo"},
        "window": {"startsAt": "2026-01-01T00:00:00Z"},
    },
    "DisableIn": {"reason": "over"},
    "IssueIn": {"customerIds": ["cust-1"]},
    "PointsAdjustmentIn": {"delta": 10, "reason": "goodwill"},
    "MemberTiersIn": {"tiers": [{"tierId": "gold", "name": "Gold", "threshold": 0, "discountBps": 500}]},
    "ShipmentIn": {"carrier": "sf", "trackingNumber": "SF0001"},
    "CaseIn": {
        "childOrderId": "X-01",
        "type": "refund_only",
        "lines": [{"lineNo": 1, "quantity": 1}],
        "reason": "other",
    },
    "CaseNoteIn": {"note": "ok"},
    "CaseReasonIn": {"note": "because"},
    "ArbitrationIn": {"decision": "approve", "note": "photos"},
    "ReturnShipmentIn": {"carrier": "sf", "trackingNumber": "SF0002"},
    "InspectionIn": {"lines": [{"lineNo": 1, "restockable": 1, "damaged": 0}]},
    "ExportIn": {"format": "csv", "fields": ["orderNumber", "total"]},
    "PreferencesIn": {"locale": "en"},
    "RulesIn": {"events": {"OrderShipped": ["inbox"]}},
    "ReadAllIn": {},
    "ContactRevealIn": {"fields": ["phone"], "reason": "courier cannot reach the shopper"},
    "CustomerErasureIn": {"reason": "the shopper asked"},
    "DataRetentionIn": {"enabled": True, "closedDays": 365},
    "ProfileIn": {"name": "Li Lei"},
    "AddressEntryIn": {"address": ADDRESS},
    "BlacklistIn": {"kind": "user", "value": "cust-9", "reason": "chargebacks"},
    "BlacklistRemoveIn": {"value": "cust-9", "reason": "cleared"},
    "RiskReviewIn": {"decision": "approve", "reason": "checked"},
    "RiskSettingsIn": {},
    "NoteIn": {"text": "called the shopper"},
    "FlagIn": {"reason": "VIP"},
    "HoldIn": {"reason": "address check"},
    "ManualOrderIn": {
        "customerId": "cust-1",
        "lines": [{"skuId": "TEE-M", "quantity": 1}],
        "shippingAddress": ADDRESS,
        "paymentMode": "online",
    },
    "OrderEditIn": {"shippingAddress": ADDRESS},
    "ProofUploadIn": {"contentType": "image/jpeg", "size": 100},
    "ImageUploadIn": {"contentType": "image/jpeg", "size": 100},
    "ImageOrderIn": {"imageIds": ["01J9ZZZZZZZZZZZZZZZZZZZZZ1"]},
    "OfflinePaymentIn": {"reference": "POS-1"},
}


def dump() -> list[dict[str, Any]]:
    """Every item of the table, all pages (tests only: a Scan is fine here)."""
    client = boto3.client("dynamodb")
    items: list[dict[str, Any]] = []
    for page in client.get_paginator("scan").paginate(TableName="oms-local-oms", ConsistentRead=True):
        items += page["Items"]
    return sorted(items, key=lambda i: (i["PK"]["S"], i["SK"]["S"]))


class World:
    """One moto table for the module with a store, a product and an order in it; every function loaded."""

    def __init__(self) -> None:
        self.modules: dict[str, ModuleType] = {}
        self.ids: dict[str, str] = {}

    def call(self, route: RouteSpec, event: dict[str, Any]) -> dict[str, Any]:
        module = self.modules[FOLDERS[route.function_id]]
        result: dict[str, Any] = module.handler(event, LambdaContext())
        return result

    def path(self, route: RouteSpec, **override: str) -> str:
        path = route.path
        for name in [part[1:-1] for part in route.path.split("/") if part.startswith("{")]:
            path = path.replace("{" + name + "}", override.get(name, self.ids.get(name, "01J9ZZZZZZZZZZZZZZZZZZZZZZ")))
        return path


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    carriers = CarrierWebhooks({"sf": [b"sf-test-secret-0123456789"]})
    with (
        pytest.MonkeyPatch.context() as patch,
        mock_aws(),
        adapters(warehouse=SandboxWarehouse(), carrier_webhooks=carriers),
    ):
        patch.delenv("AWS_ENDPOINT_URL", raising=False)
        boto3.client("dynamodb").create_table(**table_definition())
        world = World()
        for folder in sorted(set(FOLDERS.values())):
            world.modules[folder] = load_function(folder)
        admin = ADMIN["sub"], ADMIN["roles"]
        for method, path, body, headers in (
            ("PUT", "/stores/demo", DEMO_STORE, {}),
            ("POST", "/products", {"storeId": "demo", "name": "Tee", "skus": [TEE]}, {}),
        ):
            event = http_event(method, path, sub=admin[0], roles=admin[1], body=body, headers=headers)
            assert world.modules["catalog"].handler(event, LambdaContext())["statusCode"] in (200, 201)
        checkout = http_event(
            "POST",
            "/orders",
            sub="cust-1",
            roles=("customer",),
            headers={"Idempotency-Key": "edge-1"},
            body={"lines": [{"skuId": "TEE-M", "quantity": 1}], "shippingAddress": ADDRESS},
        )
        order = json.loads(world.modules["orders"].handler(checkout, LambdaContext())["body"])
        tee = json.loads(world.modules["catalog"].handler(http_event("GET", "/skus/TEE-M"), LambdaContext())["body"])
        world.ids = {
            "storeId": "demo",
            "skuId": "TEE-M",
            "productId": tee["productId"],
            "orderId": order["orderId"],
            "paymentId": order["orderId"] + "01",
            "refundId": "RF" + order["orderId"] + "01",
            "caseId": "AS" + order["orderId"],
            "customerId": "cust-1",
            "warehouseId": "WH1",
            "code": "WELCOME10",
            "provider": "alipay",
            "carrier": "sf",
            "exportId": "01J9ZZZZZZZZZZZZZZZZZZZZZ0",
            "stocktakeId": "01J9ZZZZZZZZZZZZZZZZZZZZZ0",
            "imageId": "01J9ZZZZZZZZZZZZZZZZZZZZZ1",
        }
        yield world


def send(
    world: World, route: RouteSpec, who: dict[str, Any], *, path: str | None = None, body: bytes | None = None
) -> tuple[int, str, Any]:
    event = http_event(
        route.method,
        path or world.path(route),
        route=route.route_key,
        sub=who["sub"],
        roles=who["roles"],
        headers={"Idempotency-Key": "edge-probe"},
    )
    if body is not None:
        event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True
    result = world.call(route, event)
    headers = {k.lower(): v for k, v in (result.get("headers") or {}).items()}
    content_type = headers.get("content-type", "")
    text = result.get("body") or ""
    return result["statusCode"], content_type, json.loads(text) if "json" in content_type and text else text


def assert_refused(route: RouteSpec, status: int, content_type: str, body: Any) -> None:
    assert 400 <= status < 500, (route.route_key, status, body)
    if route.route_key not in CALLBACKS:
        assert content_type == "application/problem+json", (route.route_key, content_type)
        assert body["type"].startswith("urn:oms:problem:") and body["status"] == status


def reads_body(route: RouteSpec) -> bool:
    info = HANDLERS.get(route.route_key)
    return info is not None and info.body_model is not None


def test_the_routes_come_from_the_template() -> None:
    assert len(ROUTES) > 50 and "POST /orders" in {r.route_key for r in ROUTES}
    assert STAFF_ONLY.issubset(r.route_key for r in ROUTES)
    models = {HANDLERS[r.route_key].body_model for r in WITH_IDS if reads_body(r)}
    assert {m.__name__ for m in models if m is not None} <= set(VALID_BODIES)


NOT_UTF8 = b'{"name": "\xff\xfe caf\xe9"}'
DEEP = ('{"lines": ' + "[" * 1000 + "]" * 1000 + "}").encode()  # 2 KB


@pytest.mark.parametrize("route", WRITES, ids=lambda r: r.route_key)
@pytest.mark.parametrize("payload", [NOT_UTF8, DEEP], ids=["not-utf8", "nested-1000-deep"])
def test_a_body_that_is_not_utf8_or_nested_too_deep_is_malformed_json(
    world: World, route: RouteSpec, payload: bytes
) -> None:
    before = dump()
    status, content_type, body = send(world, route, EVERYONE, body=payload)
    assert_refused(route, status, content_type, body)
    if reads_body(route):
        assert (status, body["type"]) == (400, "urn:oms:problem:malformed-json"), body
    assert dump() == before


@pytest.mark.parametrize("route", WITH_IDS, ids=lambda r: r.route_key)
def test_a_path_id_of_three_thousand_bytes_is_not_found(world: World, route: RouteSpec) -> None:
    before = dump()
    names = [part[1:-1] for part in route.path.split("/") if part.startswith("{")]
    for name in names:
        info = HANDLERS.get(route.route_key)
        model = info.body_model if info is not None else None
        payload = json.dumps(VALID_BODIES[model.__name__]).encode() if model is not None else None
        status, content_type, body = send(
            world, route, EVERYONE, path=world.path(route, **{name: "A" * 3000}), body=payload
        )
        assert_refused(route, status, content_type, body)
        if route.route_key not in CALLBACKS:
            assert (status, body["type"]) == (404, "urn:oms:problem:not-found"), body
    assert dump() == before


@pytest.mark.parametrize(
    "route",
    sorted((r for r in ROUTES if r.route_key in STAFF_ONLY), key=lambda r: r.route_key),
    ids=lambda r: r.route_key,
)
@pytest.mark.parametrize("payload", [b'{"unexpected": true}', b"\xff not json"], ids=["schema", "bytes"])
def test_a_customer_on_a_staff_route_is_forbidden_before_the_body_is_read(
    world: World, route: RouteSpec, payload: bytes
) -> None:
    before = dump()
    status, content_type, body = send(world, route, CUSTOMER, body=payload)
    assert (status, content_type, body["type"]) == (403, "application/problem+json", "urn:oms:problem:forbidden"), body
    assert dump() == before


# ---------------------------------------------------------------- the one body parser
def test_nesting_is_counted_without_parsing_and_brackets_in_strings_do_not_count() -> None:
    assert json_depth('{"a": [1, {"b": "[[[{{{"}], "c": "\\"]]]"}') == 3
    assert json_depth("[" * 100_000) == 100_000  # a plain loop: no recursion to blow up
    assert strict_json("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH) == json.loads(
        "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    )
    with pytest.raises(HttpProblem) as deep:
        strict_json("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1))
    assert (deep.value.status, deep.value.slug) == (400, "malformed-json")


@pytest.mark.parametrize(
    "text, key",
    [
        ('{"storeId": "demo", "storeId": "other"}', "storeId"),
        ('{"scope": {"storeId": "a", "skuIds": [], "storeId": "b"}}', "storeId"),
        ('{"lines": [{"skuId": "A", "quantity": 1, "quantity": 999}]}', "quantity"),
    ],
)
def test_a_key_twice_in_one_object_is_malformed_json_naming_the_key(text: str, key: str) -> None:
    with pytest.raises(HttpProblem) as twice:
        strict_json(text)
    assert (twice.value.status, twice.value.slug, twice.value.extensions) == (
        400,
        "malformed-json",
        {"duplicateKey": key},
    )
    assert strict_json('{"a": {"k": 1}, "b": {"k": 2}}') == {"a": {"k": 1}, "b": {"k": 2}}  # same key, other objects


def test_duplicate_keys_are_refused_by_the_routes_and_nothing_is_written(world: World) -> None:
    route = next(r for r in ROUTES if r.route_key == "PUT /stores/{storeId}")
    before = dump()
    body = json.dumps(DEMO_STORE)[:-1] + ', "name": "Renamed"}'
    status, content_type, problem = send(world, route, EVERYONE, path="/stores/dup", body=body.encode())
    assert (status, content_type, problem["type"], problem["duplicateKey"]) == (
        400,
        "application/problem+json",
        "urn:oms:problem:malformed-json",
        "name",
    )
    assert dump() == before


def test_an_over_long_store_filter_is_a_validation_error(world: World) -> None:
    route = next(r for r in ROUTES if r.route_key == "GET /products")
    event = http_event("GET", "/products", route=route.route_key, query={"store": "A" * 3000})
    result = world.call(route, event)
    problem = json.loads(result["body"])
    assert (result["statusCode"], problem["type"], problem["errors"][0]["field"]) == (
        422,
        "urn:oms:problem:validation-failed",
        "store",
    )
