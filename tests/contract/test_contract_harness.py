"""The contract harness can fail: `run_operation` and its checks (tests/helpers/contract.py) against a tiny
WSGI app whose one operation declares 200 (an object with an `id`) and 404 (problem+json), answering
each way the contract forbids — a 5xx, an undeclared status, an undeclared content type, a body
that does not match — and once within the contract. Also: the helpers that tell a loose document from a
strict one, and the scheduler's grouping of the contract run with the local-stack tests."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from schemathesis.core.failures import Failure, ServerError
from schemathesis.openapi.checks import JsonSchemaError, UndefinedContentType, UndefinedStatusCode
from werkzeug.wrappers import Request, Response

from tests.conftest import STACK_GROUP, worker_group
from tests.helpers.contract import (
    CHECKS,
    LOOSE_CHECKS,
    Operation,
    checks_for,
    has_range_keys,
    loose_status_keys,
    run_operation,
)

ROOT = Path(__file__).resolve().parents[2]
PROBLEM = {"type": "object", "required": ["type", "title", "status"]}
DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "harness self-test", "version": "1"},
    "paths": {
        "/items/{itemId}": {
            "get": {
                "parameters": [{"in": "path", "name": "itemId", "required": True, "schema": {"type": "string"}}],
                "responses": {
                    "200": {
                        "description": "the item",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["id"],
                                    "properties": {"id": {"type": "string"}},
                                }
                            }
                        },
                    },
                    "404": {
                        "description": "no such item",
                        "content": {"application/problem+json": {"schema": PROBLEM}},
                    },
                },
            }
        }
    },
}

Answer = tuple[int, str, str]  # status, content type, body
NOT_FOUND: Answer = (404, "application/problem+json", json.dumps({"type": "x", "title": "Not Found", "status": 404}))


def app_answering(answer: Answer) -> Callable[..., Any]:
    """A WSGI app serving DOCUMENT at /openapi.json and `answer` (or a 404 problem for item "missing")."""

    @Request.application
    def app(request: Request) -> Response:
        if request.path == "/openapi.json":
            return Response(json.dumps(DOCUMENT), content_type="application/json")
        status, content_type, body = NOT_FOUND if request.path.endswith("/missing") else answer
        return Response(body, status=status, content_type=content_type)

    return app


def operation_of(answer: Answer) -> Operation:
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app_answering(answer))
    return schema["/items/{itemId}"]["GET"]


def failures(group: BaseException) -> Iterable[BaseException]:
    if isinstance(group, BaseExceptionGroup):
        for exception in group.exceptions:
            yield from failures(exception)
    else:
        yield group


@pytest.mark.parametrize(
    ("answer", "caught"),
    [
        ((500, "application/problem+json", json.dumps({"type": "x", "title": "Oops", "status": 500})), ServerError),
        ((503, "application/json", "{}"), ServerError),
        (
            (418, "application/problem+json", json.dumps({"type": "x", "title": "Teapot", "status": 418})),
            UndefinedStatusCode,
        ),
        ((200, "text/plain", "id=1"), UndefinedContentType),
        ((200, "application/json", json.dumps({"name": "no id"})), JsonSchemaError),
        ((200, "application/json", json.dumps(["not", "an", "object"])), JsonSchemaError),
    ],
    ids=["500", "503", "undeclared-status", "undeclared-content-type", "missing-field", "wrong-type"],
)
def test_the_harness_fails_a_response_outside_the_contract(answer: Answer, caught: type[Failure]) -> None:
    with pytest.raises(BaseExceptionGroup) as raised:
        run_operation(operation_of(answer), "a-token", max_examples=5)

    assert caught in {type(failure) for failure in failures(raised.value)}


def test_the_harness_passes_responses_within_the_contract() -> None:
    run_operation(operation_of((200, "application/json", json.dumps({"id": "1"}))), "a-token", max_examples=5)


def test_the_harness_sends_the_token_and_fixed_path_parameters() -> None:
    seen: list[tuple[str, str | None]] = []

    @Request.application
    def app(request: Request) -> Response:
        if request.path == "/openapi.json":
            return Response(json.dumps(DOCUMENT), content_type="application/json")
        seen.append((request.path, request.headers.get("Authorization")))
        return Response(json.dumps({"id": "1"}), content_type="application/json")

    operation = schemathesis.openapi.from_wsgi("/openapi.json", app)["/items/{itemId}"]["GET"]
    run_operation(operation, "a-token", known={"itemId": "KNOWN-1", "orderId": "unused"}, max_examples=20)

    assert seen
    assert {authorization for _, authorization in seen} == {"Bearer a-token"}
    assert "/items/KNOWN-1" in {path for path, _ in seen}


def test_the_harness_puts_known_ids_into_bodies() -> None:
    line = {
        "type": "object",
        "required": ["skuId"],
        "properties": {"skuId": {"type": "string", "minLength": 3}, "quantity": {"type": "integer"}},
    }
    document = {
        "openapi": "3.1.0",
        "info": {"title": "bodies", "version": "1"},
        "paths": {
            "/carts": {
                "post": {
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["lines"],
                                    "properties": {"lines": {"type": "array", "minItems": 1, "items": line}},
                                }
                            }
                        },
                    },
                    "responses": {"204": {"description": "taken"}},
                }
            }
        },
    }
    sent: list[Any] = []

    @Request.application
    def app(request: Request) -> Response:
        if request.path == "/openapi.json":
            return Response(json.dumps(document), content_type="application/json")
        sent.append(request.get_json(silent=True))
        return Response(status=204)

    operation = schemathesis.openapi.from_wsgi("/openapi.json", app)["/carts"]["POST"]
    run_operation(operation, "a-token", known={"skuId": "SKU-1"}, max_examples=30)

    skus = [
        item.get("skuId")
        for body in sent
        if isinstance(body, dict) and isinstance(body.get("lines"), list)  # negative cases send anything
        for item in body["lines"]
        if isinstance(item, dict)
    ]
    assert "SKU-1" in skus
    assert any(sku not in (None, "SKU-1") for sku in skus)  # the other half stays generated


def test_loose_and_strict_documents_are_told_apart() -> None:
    loose: dict[str, Any] = {
        "paths": {"/a": {"get": {"responses": {"2XX": {}, "503": {}, "default": {}}}, "parameters": []}}
    }
    only_default: dict[str, Any] = {"paths": {"/a": {"get": {"responses": {"200": {}, "default": {}}}}}}
    strict: dict[str, Any] = {"paths": {"/a": {"get": {"responses": {"200": {}, "404": {}, "422": {}}}}}}

    assert loose_status_keys(loose) == ["GET /a: 2XX", "GET /a: default"]
    assert has_range_keys(loose)
    assert loose_status_keys(only_default) == ["GET /a: default"]
    assert not has_range_keys(only_default)
    assert loose_status_keys(strict) == []
    assert not has_range_keys(strict)
    assert checks_for(loose) == LOOSE_CHECKS
    assert checks_for(strict) == checks_for(only_default) == CHECKS


def test_the_contract_run_goes_to_the_local_stack_worker() -> None:
    assert worker_group(ROOT, "tests/contract/test_api_contract.py") == STACK_GROUP
