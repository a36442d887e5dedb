"""Typed routes (issue 10 item 4): powertools validates requests and responses, and every failure has
the one problem shape — a client's mistake is a 4xx naming each field, a response that breaks its own
contract is the server's 500, never a 422 blamed on the client."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest
from oms import snapstart
from oms.api.http import build_response_models
from oms.api.order_views import Order, OrderPage

from tests.handlers.conftest import ADDRESS, Api, LambdaContext, http_event

CHECKOUT = {"lines": [{"skuId": "TEE-M", "quantity": 1}], "shippingAddress": ADDRESS}


def test_invalid_fields_are_listed_in_one_shape(orders_api: Api, seeded: dict[str, Any]) -> None:
    body = {"lines": [{"skuId": "TEE-M", "quantity": 0}], "shippingAddress": {**ADDRESS, "country": "china"}}
    status, headers, problem = orders_api(
        "POST", "/orders", sub="cust-1", roles=("customer",), headers={"Idempotency-Key": "t-1"}, body=body
    )
    assert (status, headers["Content-Type"], problem["type"]) == (
        422,
        "application/problem+json",
        "urn:oms:problem:validation-failed",
    )
    fields = {(e["field"], e["code"]) for e in problem["errors"]}
    assert fields == {
        ("lines.0.quantity", "greater_than_equal"),
        ("shippingAddress.country", "string_pattern_mismatch"),
    }
    assert all(set(e) == {"field", "message", "code"} for e in problem["errors"])


def test_a_query_parameter_of_the_wrong_type_names_the_parameter(orders_api: Api) -> None:
    status, _, problem = orders_api("GET", "/orders", sub="admin-1", roles=("admin",), query={"limit": "ten"})
    assert status == 422
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [("limit", "int_parsing")]
    status, _, problem = orders_api("GET", "/orders", sub="admin-1", roles=("admin",), query={"status": "LOST"})
    assert (status, problem["errors"][0]["field"], problem["errors"][0]["code"]) == (422, "status", "enum")


def test_a_body_not_sent_as_json_is_415_and_the_media_type_is_case_insensitive(
    orders_api: Api, seeded: dict[str, Any]
) -> None:
    who: dict[str, Any] = {"sub": "cust-1", "roles": ("customer",)}
    status, _, problem = orders_api(
        "POST",
        "/orders/quote",
        **who,
        body={"lines": [{"skuId": "TEE-M", "quantity": 1}]},
        headers={"content-type": "text/plain"},
    )
    assert (status, problem["type"]) == (415, "urn:oms:problem:unsupported-media-type")
    status, _, quote = orders_api(
        "POST",
        "/orders/quote",
        **who,
        body={"lines": [{"skuId": "TEE-M", "quantity": 1}]},
        headers={"content-type": "APPLICATION/JSON; charset=utf-8"},
    )
    assert status == 200 and quote["lines"][0]["skuId"] == "TEE-M"


def test_a_response_that_breaks_its_model_is_a_500_not_the_clients_fault(
    orders_module: ModuleType, orders_api: Api, seeded: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    service = orders_module.services.orders
    real = service.quote
    monkeypatch.setattr(service, "quote", lambda *a, **k: {**real(*a, **k), "internalCost": 1})
    status, _, problem = orders_api(
        "POST", "/orders/quote", sub="cust-1", roles=("customer",), body={"lines": [{"skuId": "TEE-M", "quantity": 1}]}
    )
    assert (status, problem["type"]) == (500, "urn:oms:problem:internal-error")
    assert "errors" not in problem and "internalCost" not in str(problem)


def test_fields_a_view_leaves_out_stay_out(orders_api: Api, seeded: dict[str, Any]) -> None:
    status, _, order = orders_api(
        "POST", "/orders", sub="cust-1", roles=("customer",), headers={"Idempotency-Key": "t-2"}, body=CHECKOUT
    )
    assert status == 201
    assert "cancelledChildren" not in order and "notCancelled" not in order  # only a paid order's cancel has them
    assert order["history"][0]["from"] is None  # a field named like a Python keyword keeps its JSON name


def test_before_the_snapshot_every_route_is_built(orders_module: ModuleType) -> None:
    app = orders_module.app
    routes = app._static_routes + app._dynamic_routes
    snapstart.before_snapshot()
    assert routes and all(route._dependant is not None for route in routes)
    assert Order.__pydantic_complete__ and OrderPage.__pydantic_complete__  # response models built too
    assert build_response_models() == 0
    event = http_event("POST", "/orders/quote", body={"lines": []})
    assert orders_module.handler(event, LambdaContext())["statusCode"] == 401  # still answers after the hook
