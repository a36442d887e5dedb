"""docs/openapi.json: generated from template.yaml and the handlers, valid OpenAPI 3.1, never stale."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from oms.api.ids import PATH_IDS
from oms_local.core.template import load_template
from oms_local.openapi import ROOT, build_openapi, handlers, main, render
from openapi_spec_validator import validate

TEMPLATE = ROOT / "template.yaml"
COMMITTED = ROOT / "docs" / "openapi.json"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return build_openapi(TEMPLATE)


def _operations(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f"{method.upper()} {path}": op for path, item in document["paths"].items() for method, op in item.items()}


def test_committed_document_is_a_fresh_build(document: dict[str, Any]) -> None:
    assert COMMITTED.read_text(encoding="utf-8") == render(document), "run: python -m oms_local.openapi"
    assert main(["--check"]) == 0


def test_check_fails_on_a_stale_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stale = tmp_path / "openapi.json"
    stale.write_text("{}\n", encoding="utf-8")
    assert main(["--check", "--out", str(stale)]) == 1
    assert "python -m oms_local.openapi" in capsys.readouterr().err
    assert main(["--out", str(stale)]) == 0
    assert main(["--check", "--out", str(stale)]) == 0


def test_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"] == "3.1.0"
    validate(document)


def test_every_template_route_is_described_and_has_its_handler(document: dict[str, Any]) -> None:
    template = load_template(TEMPLATE)
    operations = _operations(document)
    assert set(operations) == {route.route_key for route in template.routes}
    for route in template.routes:
        assert operations[route.route_key]["operationId"] == f"{route.function_id}.{route.event_id}"
    notes: list[str] = []
    build_openapi(TEMPLATE, notes)
    assert notes == [], "routes without handlers, or handlers without routes"


def test_checkout_needs_an_idempotency_key_and_takes_checkout_in(document: dict[str, Any]) -> None:
    checkout = document["paths"]["/orders"]["post"]
    headers = {p["name"]: p for p in checkout["parameters"] if p["in"] == "header"}
    assert headers["Idempotency-Key"]["required"] is True
    body = checkout["requestBody"]
    assert body["required"] is True
    assert body["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/CheckoutIn"}
    assert "shippingAddress" in document["components"]["schemas"]["CheckoutIn"]["properties"]
    assert checkout["security"] == [{"bearerAuth": []}]


def test_optional_body_and_conditional_idempotency_key(document: dict[str, Any]) -> None:
    assert document["paths"]["/orders/{orderId}/cancel"]["post"]["requestBody"]["required"] is False
    issue = document["paths"]["/coupon-templates/{templateId}/coupons"]["post"]
    assert {p["name"]: p["required"] for p in issue["parameters"]}["Idempotency-Key"] is False


def test_public_routes_have_no_security_and_the_rest_need_a_bearer_token(document: dict[str, Any]) -> None:
    template = load_template(TEMPLATE)
    operations = _operations(document)
    for route in template.routes:
        assert ("security" in operations[route.route_key]) is not route.public, route.route_key
    for key in ("POST /callbacks/payments/{provider}", "POST /callbacks/carriers/{carrier}"):
        assert "security" not in operations[key]
    assert "security" not in document  # no document-wide default to override


def test_every_path_parameter_is_declared(document: dict[str, Any]) -> None:
    for key, operation in _operations(document).items():
        in_path = set(re.findall(r"\{([^{}]+)\}", key))
        declared = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "path"}
        assert set(declared) == in_path, key
        assert all(p["required"] is True and p["schema"]["type"] == "string" for p in declared.values())


def test_path_ids_carry_the_limits_checked_at_the_edge(document: dict[str, Any]) -> None:
    """Every path parameter of an API route has its kind in oms.api.ids (checked by the resolver's
    middleware); only the callbacks' provider and carrier names are plain strings."""
    for key, operation in _operations(document).items():
        for parameter in (p for p in operation.get("parameters", []) if p["in"] == "path"):
            kind = PATH_IDS.get(parameter["name"])
            if key.startswith("POST /callbacks/"):
                assert kind is None and parameter["schema"] == {"type": "string"}, key
                continue
            assert kind is not None, f"{key}: add {parameter['name']} to oms.api.ids.PATH_IDS"
            assert parameter["schema"] == {
                "type": "string",
                "minLength": 1,
                "maxLength": kind.max_length,
                "pattern": kind.pattern,
            }
    order = document["paths"]["/orders/{orderId}"]["get"]["parameters"][0]["schema"]
    assert order["maxLength"] == 29  # a ULID (26) or a child order id <ULID>-<nn>


def test_every_schema_reference_resolves(document: dict[str, Any]) -> None:
    text = json.dumps(document)
    for ref in set(re.findall(r'"\$ref": "#/components/(\w+)/(\w+)"', text)):
        assert ref[1] in document["components"][ref[0]], ref
    assert "#/$defs" not in text


def test_every_operation_declares_its_success_schema_and_its_problems(document: dict[str, Any]) -> None:
    """Powertools documents each typed route's answers: the success code with the return type's schema,
    and every problem status as RFC 9457 `Problem` (never powertools' own validation error shape)."""
    for key, operation in _operations(document).items():
        if key.startswith("POST /callbacks/"):
            continue
        responses = operation["responses"]
        successes = [code for code in responses if code.startswith("2")]
        assert successes, key
        for code in successes:
            if code != "204":
                assert "schema" in responses[code]["content"]["application/json"], (key, code)
        for code in ("404", "422", "500", "503"):
            problem = responses[code]["content"]["application/problem+json"]["schema"]
            assert problem == {"$ref": "#/components/schemas/Problem"}, (key, code)
        assert ("401" in responses) is ("security" in operation), key
        if "requestBody" in operation:
            assert {"400", "413", "415"} <= set(responses), key
    assert not {"HTTPValidationError", "ValidationError", "ResponseValidationError"} & set(
        document["components"]["schemas"]
    )


def test_response_models_refuse_unknown_fields(document: dict[str, Any]) -> None:
    order = document["components"]["schemas"]["Order"]
    assert order["additionalProperties"] is False
    assert {"orderId", "status", "lines", "children", "history"} <= set(order["required"])
    assert document["paths"]["/orders"]["post"]["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Order"
    }


def test_handlers_are_the_typed_routes() -> None:
    found = handlers(load_template(TEMPLATE))
    cancel = found["POST /orders/{orderId}/cancel"]
    assert cancel.body_model is not None and cancel.body_model.__name__ == "CancelIn"
    assert cancel.body_required is False
    assert found["POST /orders"].body_required is True
    assert "POST /callbacks/payments/{provider}" not in found  # a raw handler: described from the template


def test_response_headers_are_declared(document: dict[str, Any]) -> None:
    checkout = document["paths"]["/orders"]["post"]["responses"]
    assert set(checkout["201"]["headers"]) == set(checkout["200"]["headers"]) == {"Location", "Idempotent-Replayed"}
    assert set(document["paths"]["/stores/{storeId}"]["get"]["responses"]["200"]["headers"]) == {"ETag"}
    assert "headers" not in document["paths"]["/orders/{orderId}"]["get"]["responses"]["200"]
