"""The resolver every HTTP function uses: routing (powertools), request parsing with clear errors,
and one exception-to-problem map."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, ValidationError
from pynamodb.exceptions import PynamoDBException

from oms.api.auth import actor_from_event
from oms.api.problems import HttpProblem, problem, service_unavailable
from oms.domain.errors import DomainError
from oms.domain.permissions import Actor
from oms.faults import TransientStoreError, is_transient
from oms.store.pages import Page

M = TypeVar("M", bound=BaseModel)

MAX_BODY_BYTES = 64 * 1024
IDEMPOTENCY_KEY_MAX = 255


def make_resolver(logger: Logger) -> APIGatewayHttpResolver:
    app = APIGatewayHttpResolver()

    @app.exception_handler(HttpProblem)
    def _http_problem(error: HttpProblem) -> Response[str]:
        return error.response()

    @app.exception_handler(DomainError)
    def _domain(error: DomainError) -> Response[str]:
        return problem(error.status, error.slug, error.title, error.detail, **error.extensions)

    @app.exception_handler(ValidationError)
    def _validation(error: ValidationError) -> Response[str]:
        return validation_problem(error)

    @app.not_found
    def _not_found(_: Exception) -> Response[str]:
        return problem(404, "route-not-found", "Not found", "no such route")

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response[str]:
        logger.exception("unhandled error")
        return problem(500, "internal-error", "Internal error", "the request failed; it is safe to retry")

    @app.exception_handler([TransientStoreError, PynamoDBException, ClientError, BotoCoreError])
    def _aws_fault(error: Exception) -> Response[str]:
        if not is_transient(error):
            internal: Response[str] = _unexpected(error)  # a bug, like any other
            return internal
        logger.warning("transient AWS fault", extra={"fault": f"{type(error).__name__}: {error}"})
        return service_unavailable()

    return app


def validation_problem(error: ValidationError) -> Response[str]:
    errors = [
        {"field": ".".join(str(part) for part in e["loc"]) or "(body)", "message": e["msg"], "code": e["type"]}
        for e in error.errors(include_url=False, include_input=False)
    ]
    return problem(
        422, "validation-failed", "The request is not valid", "the request body has invalid fields", errors=errors
    )


def actor(app: APIGatewayHttpResolver) -> Actor:
    return actor_from_event(app.current_event.raw_event)


def parse_body(app: APIGatewayHttpResolver, model: type[M], *, optional: bool = False) -> M:
    """Content type, size, JSON syntax and schema, each with its own clear 4xx."""
    event = app.current_event
    raw = event.decoded_body if event.is_base64_encoded else event.body
    if raw is None or raw == "":
        if optional:
            return model()
        raise HttpProblem(
            422,
            "validation-failed",
            "The request is not valid",
            "a JSON body is required",
            errors=[{"field": "(body)", "message": "body is required", "code": "missing"}],
        )
    content_type = (event.headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise HttpProblem(415, "unsupported-media-type", "Unsupported media type", "send the body as application/json")
    if len(raw.encode() if isinstance(raw, str) else raw) > MAX_BODY_BYTES:
        raise HttpProblem(
            413, "payload-too-large", "Payload too large", f"the body may be at most {MAX_BODY_BYTES} bytes"
        )
    try:
        decoded = json.loads(raw)
    except ValueError as error:
        raise HttpProblem(400, "malformed-json", "Malformed JSON", f"the body is not valid JSON: {error}") from error
    if not isinstance(decoded, dict):
        raise HttpProblem(
            422,
            "validation-failed",
            "The request is not valid",
            "the body must be a JSON object",
            errors=[{"field": "(body)", "message": "must be an object", "code": "model_type"}],
        )
    return model.model_validate_json(raw)


def idempotency_key(app: APIGatewayHttpResolver) -> str:
    key = app.current_event.headers.get("idempotency-key")
    if not key:
        raise HttpProblem(
            400,
            "idempotency-key-missing",
            "Idempotency-Key required",
            "this request moves stock or money: send an Idempotency-Key header (a UUID is ideal)",
        )
    if len(key) > IDEMPOTENCY_KEY_MAX or not key.isprintable():
        raise HttpProblem(
            400,
            "idempotency-key-invalid",
            "Invalid Idempotency-Key",
            f"the key must be 1-{IDEMPOTENCY_KEY_MAX} printable characters",
        )
    return key


def if_match(app: APIGatewayHttpResolver) -> int | None:
    raw = app.current_event.headers.get("if-match")
    if raw is None:
        return None
    text = raw.strip().removeprefix("W/").strip('"')
    if not text.isdigit():
        raise HttpProblem(400, "if-match-invalid", "Invalid If-Match", "If-Match must be an ETag this API returned")
    return int(text)


def query_int(app: APIGatewayHttpResolver, name: str) -> int | None:
    raw = app.current_event.get_query_string_value(name)
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError as error:
        raise HttpProblem(
            422,
            "validation-failed",
            "The request is not valid",
            f"{name} must be an integer",
            errors=[{"field": name, "message": "must be an integer", "code": "int_parsing"}],
        ) from error


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response[str]:
    return Response(
        status_code=status,
        content_type="application/json",
        body=json.dumps(body, separators=(",", ":"), ensure_ascii=False),
        headers=headers,
    )


def page_response(page: Page[dict[str, Any]]) -> Response[str]:
    return json_response(200, {"items": page.items, "next_cursor": page.next_cursor})


def etag(version: int) -> dict[str, str]:
    return {"ETag": f'"{version}"'}
