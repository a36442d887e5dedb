"""HTTP responses of the local gateway: plain JSON, RFC 9457 problem details, and request bodies checked
with pydantic (a bad body is a 400 problem listing `errors: [{field, message}]`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

PROBLEM_JSON = "application/problem+json"

Model = TypeVar("Model", bound=BaseModel)


@dataclass(frozen=True)
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def json_response(status: int, payload: Any, content_type: str = "application/json") -> Response:
    return Response(status, [("content-type", content_type)], json.dumps(payload).encode())


def problem(status: int, slug: str, title: str, detail: str, **extra: Any) -> Response:
    payload = {"type": f"urn:oms:problem:{slug}", "title": title, "status": status, "detail": detail}
    payload.update(extra)
    return json_response(status, payload, PROBLEM_JSON)


def starting(response: Response) -> Response:
    """The stack is still starting: ask the client to retry in a second."""
    response.headers.append(("retry-after", "1"))
    return response


class BadBody(Exception):
    """A request body that does not fit its model; `response` is the 400 problem to answer."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.body.decode())
        self.response = response


def _field(error: Any) -> str:
    return ".".join(str(part) for part in error["loc"]) or "(body)"


def parse_body(model: type[Model], body: bytes, *, what: str, empty: bytes = b"{}") -> Model:
    """`body` (JSON; `empty` when there is none) as `model`; BadBody (400 problem+json) when it does not fit."""
    try:
        return model.model_validate_json(body or empty)
    except ValidationError as exc:
        errors = [{"field": _field(error), "message": error["msg"]} for error in exc.errors(include_url=False)]
        raise BadBody(problem(400, "bad-request", "Bad Request", f"the {what} is invalid", errors=errors)) from None
