"""oms-local serves the OpenAPI document and an interactive API explorer (Swagger UI) from local files,
and checks `/_local` request bodies strictly."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from oms_local.stack import LocalStack

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
ASSETS = resources.files("aws_lambda_powertools.event_handler.openapi.swagger_ui")


def test_the_openapi_document_is_served_pointing_at_this_stack(stack: LocalStack, http: Any) -> None:
    response = http.get("/_local/openapi.json")

    assert response.status == 200
    assert response.headers["content-type"] == "application/json"
    document = response.json()
    committed = json.loads((ROOT / "docs" / "openapi.json").read_text(encoding="utf-8"))
    assert document["servers"] == [{"url": stack.base_url, "description": "this local stack"}]
    assert {key: value for key, value in document.items() if key != "servers"} == {
        key: value for key, value in committed.items() if key != "servers"
    }


def test_the_api_explorer_is_swagger_ui_from_local_assets(stack: LocalStack, http: Any) -> None:
    page = http.get("/_local/docs")

    assert page.status == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "SwaggerUIBundle(swaggerUIOptions)" in page.text
    scripts = re.findall(r"<script src='([^']+)'>", page.text)
    styles = re.findall(r"<link rel='stylesheet' type='text/css' href='([^']+)'>", page.text)
    assert scripts == ["/_local/docs/swagger-ui-bundle.min.js"]
    assert styles == ["/_local/docs/swagger-ui.min.css"]
    assert not re.search(r"(src|href)=['\"]https?://", page.text)  # nothing from a CDN
    assert stack.base_url in page.text  # the inlined document's server
    for path, kind in ((scripts[0], "text/javascript"), (styles[0], "text/css")):
        asset = http.get(path)
        assert asset.status == 200
        assert asset.headers["content-type"].startswith(kind)
        assert asset.content == ASSETS.joinpath(path.rsplit("/", 1)[1]).read_bytes()
    assert http.get("/_local/docs", params={"format": "json"}).json() == http.get("/_local/openapi.json").json()
    assert http.get("/_local/docs/other.js").status == 404


def test_a_stack_without_a_document_answers_not_found(fixture_http: Any) -> None:
    response = fixture_http.get("/_local/openapi.json")

    assert response.status == 404
    assert response.json()["type"] == "urn:oms:problem:openapi-not-found"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/_local/token", {"sub": "x", "role": "admin"}, "role"),
        ("/_local/token", {"sub": "x", "expiresIn": True}, "expiresIn"),
        ("/_local/sandbox/payments/x/pay", {"times": 0}, "times"),
        ("/_local/sandbox/payments/x/pay", {"amount": "100"}, "amount"),
        ("/_local/sandbox/payments/x/pay", {"paid": True}, "paid"),
        ("/_local/sandbox/payments/x/pay", [], "(body)"),
    ],
)
def test_local_bodies_are_checked_strictly(http: Any, path: str, body: Any, field: str) -> None:
    response = http.post(path, json=body)

    assert response.status == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "urn:oms:problem:bad-request"
    assert field in {error["field"] for error in response.json()["errors"]}
