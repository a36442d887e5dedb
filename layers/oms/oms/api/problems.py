"""RFC 9457 problem details with stable `type` URNs (urn:oms:problem:<slug>)."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import Response
from pydantic import BaseModel, ConfigDict, Field

from oms.faults import RETRY_AFTER_SECONDS

PROBLEM_CONTENT_TYPE = "application/problem+json"
EXAMPLE: dict[str, Any] = {
    "type": "urn:oms:problem:validation-failed",
    "title": "The request is not valid",
    "status": 422,
    "detail": "see errors",
    "errors": [
        {
            "field": "lines.0.quantity",
            "message": "Input should be greater than or equal to 1",
            "code": "greater_than_equal",
        }
    ],
}


def problem_type(slug: str) -> str:
    return f"urn:oms:problem:{slug}"


def problem(status: int, slug: str, title: str, detail: str, **extensions: Any) -> Response[str]:
    body = {"type": problem_type(slug), "title": title, "status": status, "detail": detail, **extensions}
    # Every 503 is "try again shortly" (a transient AWS fault, the warehouse out of reach); a 429 that knows
    # when its rate window ends says so (`retryAfter`, oms.domain.risk.RateLimited).
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if status == 503 else None
    if status == 429 and isinstance(extensions.get("retryAfter"), int):
        headers = {"Retry-After": str(extensions["retryAfter"])}
    return Response(
        status_code=status,
        content_type=PROBLEM_CONTENT_TYPE,
        body=json.dumps(body, separators=(",", ":"), ensure_ascii=False),
        headers=headers,
    )


def service_unavailable() -> Response[str]:
    """A transient AWS fault (throttling, a timeout, a lost race after retries): retry after a moment."""
    return problem(
        503,
        "service-unavailable",
        "Service temporarily unavailable",
        "the store is busy or did not answer in time; retry after Retry-After seconds"
        " (with the same Idempotency-Key where the route takes one)",
    )


class HttpProblem(Exception):
    """A protocol-level problem found at the edge (content type, body size, headers, auth)."""

    def __init__(self, status: int, slug: str, title: str, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.status, self.slug, self.title, self.detail, self.extensions = status, slug, title, detail, extensions

    def response(self) -> Response[str]:
        return problem(self.status, self.slug, self.title, self.detail, **self.extensions)


class FieldError(BaseModel):
    """One invalid part of a request: where (`lines.0.quantity`, a query or header name, `(body)`), what
    is wrong in words, and a stable code (pydantic's error type, e.g. `missing`, `int_parsing`)."""

    field: str
    message: str
    code: str


class Problem(BaseModel):
    """RFC 9457 problem details. `type` is a stable `urn:oms:problem:<slug>`; extension members vary by
    type (`errors` for validation failures, `shortages` for stock, `current`/`target` for transitions)."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [EXAMPLE]})

    type: str = Field(pattern=r"^urn:oms:problem:[a-z0-9-]+$")
    title: str
    status: int = Field(ge=400, le=599)
    detail: str | None = None
    errors: list[FieldError] | None = None
