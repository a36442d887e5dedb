"""The resolver every HTTP function uses: powertools' typed routes (request and response models, the
generated OpenAPI document), the edge checks that come before validation, and one exception-to-problem map."""

from __future__ import annotations

import base64
import binascii
import inspect
import json
import re
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, cast, get_args, get_type_hints

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.middlewares.openapi_validation import OpenAPIRequestValidationMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
    ResponseValidationError,
)
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.openapi.types import (
    OpenAPIResponse,
    OpenAPIResponseContentModel,
    OpenAPIResponseContentSchema,
    OpenAPIResponseHeader,
)
from aws_lambda_powertools.event_handler.types import EventHandlerInstance
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ValidationError

from oms import snapstart
from oms.api.auth import actor_from_event, require_any
from oms.api.ids import path_id_kind
from oms.api.problems import PROBLEM_CONTENT_TYPE, HttpProblem, Problem, problem, service_unavailable
from oms.api.schemas import View
from oms.domain.errors import DomainError
from oms.domain.permissions import Actor, Permission
from oms.faults import is_aws_fault, is_transient

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
    from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent

F = TypeVar("F", bound=Callable[..., Any])


MAX_BODY_BYTES = 64 * 1024
MAX_JSON_DEPTH = 32  # the deepest request model (a promotion's tiers) nests 5 levels
IDEMPOTENCY_KEY_MAX = 255
IDEMPOTENCY_HEADER = "Idempotency-Key"


# Problems every route can answer, and the reason phrases the document shows for them.
PHRASES = {
    400: "Malformed request (JSON syntax, a header such as Idempotency-Key or If-Match)",
    401: "No valid bearer token",
    403: "The caller's role may not do this",
    404: "Not found (or an id no resource can have)",
    409: "Conflict with the current state",
    412: "If-Match names a version that has changed",
    413: "Body larger than 64 KB",
    415: "Body not sent as application/json",
    422: "The request is not valid (errors lists each field)",
    429: "Too many requests of this kind for now: retry later",
    500: "Internal error (a bug; safe to retry)",
    503: "Temporarily unavailable: retry after Retry-After seconds",
}
# Response headers a route can declare (`headers=` of `endpoint`), as the document describes them.
RESPONSE_HEADERS: dict[str, OpenAPIResponseHeader] = {
    "ETag": {"description": "The resource's version: send it back as If-Match to update", "schema": {"type": "string"}},
    "Location": {"description": "Where the created resource is read", "schema": {"type": "string"}},
    "Idempotent-Replayed": {
        "description": "`true` when this answer is the stored one for a repeated Idempotency-Key",
        "schema": {"type": "string", "enum": ["true"]},
    },
}
PROBLEM_CONTENT: dict[str, OpenAPIResponseContentSchema | OpenAPIResponseContentModel] = {
    PROBLEM_CONTENT_TYPE: {"model": Problem}
}
ALWAYS = (404, 422, 500, 503)


@dataclass(frozen=True)
class Endpoint:
    """A typed route as registered: its route key (`POST /orders/{orderId}/cancel`), handler and body."""

    route_key: str
    function: Callable[..., Any]
    body_model: type[BaseModel] | None
    body_required: bool


class OmsResolver(APIGatewayHttpResolver):
    """Powertools' HTTP API resolver with typed routes (request and response models, generated OpenAPI)
    and the checks that come before validation: `edge` runs first on every route, so that a caller who
    may not act gets 403 before anything of the body is read, an impossible path id is a 404, and a body
    that is too large, not JSON or not UTF-8 gets its own 4xx. JSON is read once, by `strict_json`."""

    def __init__(self, tag: str) -> None:
        super().__init__(
            enable_validation=True,
            response_validation_error_http_code=500,
            json_body_deserializer=strict_json,
        )
        self.tag = tag
        self.endpoints: list[Endpoint] = []
        # Powertools puts its request validation first in every route's middleware stack, before the
        # router's middlewares; the edge checks must run before it, so they are part of it.
        self._request_validation_middleware = EdgeThenValidate()

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        # Powertools keeps the current request on a class attribute (`BaseRouter.current_event`): one per
        # process, which is what Lambda gives (one request at a time per environment). The local stack
        # runs several environments in one process (a module copy each), so each resolver keeps its own
        # request, read through `self.current_event` like the class attribute it shadows.
        self.current_event = cast("APIGatewayProxyEventV2", self._to_proxy_event(dict(event)))
        self.lambda_context = context
        return super().resolve(event, context)

    def endpoint(
        self,
        method: str,
        path: str,
        *,
        status: int = 200,
        permits: Permission | tuple[Permission, ...] = (),
        problems: tuple[int, ...] = (),
        also: dict[int, str] | None = None,
        headers: tuple[str, ...] = (),
        summary: str | None = None,
        csv: Callable[[str], Any] | None = None,
    ) -> Callable[[F], F]:
        """Register a typed route: `permits` (any of them) is checked at the edge, before the body; the
        document lists `status` with the return type's schema, `also` (other success codes with the same
        schema, e.g. 200 for a replayed create), and every problem the route can answer."""
        needed = permits if isinstance(permits, tuple) else (permits,)

        def register(func: F) -> F:
            hints = get_type_hints(func, include_extras=True)
            body = next(
                (
                    (name, hint)
                    for name, hint in hints.items()
                    if any(isinstance(meta, Body) for meta in getattr(hint, "__metadata__", ()))
                ),
                None,
            )
            reads_body = body is not None
            required = (
                body is not None and inspect.signature(func).parameters[body[0]].default is inspect.Parameter.empty
            )
            self.endpoints.append(
                Endpoint(f"{method.upper()} {path}", func, _model_of(body[1]) if body else None, required)
            )
            codes = set(ALWAYS) | set(problems)
            if reads_body:
                codes |= {400, 413, 415}
            if needed:
                codes.add(403)  # 401 on every route behind the authorizer: added from template.yaml
            sent = {name: RESPONSE_HEADERS[name] for name in headers}
            responses: dict[int, OpenAPIResponse] = {status: {"description": _success(status)}}
            for code, description in (also or {}).items():
                responses[code] = {"description": description}
            for code in [status, *(also or {})]:
                if sent:
                    responses[code]["headers"] = sent
            for code in sorted(codes):
                responses[code] = {"description": PHRASES[code], "content": PROBLEM_CONTENT}
            func.__oms_permits__ = needed  # type: ignore[attr-defined]
            func.__oms_csv__ = csv  # type: ignore[attr-defined]
            route = self.route(
                _powertools_path(path),
                method,
                status_code=status,
                responses=responses,
                operation_id=_camel(func.__name__),
                summary=summary or _summary(func),
                tags=[self.tag],
            )
            return route(func)

        return register


def build_response_models() -> int:
    """Build every response model imported so far (they are deferred: `View`'s `defer_build`, so a cold
    start without SnapStart builds only the models of the routes it answers); returns how many were built."""
    built = 0
    pending: list[type[BaseModel]] = [View]
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        if not model.__pydantic_complete__:
            model.model_rebuild()
            built += 1
    return built


def _model_of(hint: Any) -> type[BaseModel] | None:
    """The model in `Annotated[Model | None, Body()]`."""
    for candidate in (get_args(hint)[0], *get_args(get_args(hint)[0])):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _success(status: int) -> str:
    return {200: "OK", 201: "Created", 202: "Accepted", 204: "No content"}.get(status, "Success")


def _powertools_path(path: str) -> str:
    return re.sub(r"\{([^{}]+)\}", r"<\1>", path)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _summary(func: Callable[..., Any]) -> str | None:
    doc = (func.__doc__ or "").strip()
    return doc.splitlines()[0] if doc else None


def make_resolver(logger: Logger, tag: str = "OMS") -> OmsResolver:
    app = OmsResolver(tag)
    held = weakref.ref(app)  # a function module loaded again (tests, the local stack) drops the old app

    @snapstart.on_before_snapshot
    def warm_routes() -> None:
        """Before the SnapStart snapshot: build every route's dependant (its parameters' and models'
        validators and serializers, which powertools builds at a route's first request) by generating
        the document once, so a restored environment's first request pays nothing for them."""
        current = held()
        if current is not None:
            current.get_openapi_schema()
            build_response_models()

    @app.exception_handler(HttpProblem)
    def _http_problem(error: HttpProblem) -> Response[str]:
        return error.response()

    @app.exception_handler(DomainError)
    def _domain(error: DomainError) -> Response[str]:
        return problem(error.status, error.slug, error.title, error.detail, **error.extensions)

    @app.exception_handler(ValidationError)
    def _validation(error: ValidationError) -> Response[str]:
        return validation_problem(error)

    @app.exception_handler(RequestValidationError)
    def _invalid_request(error: RequestValidationError) -> Response[str]:
        return request_problem(error)

    @app.exception_handler(RequestUnsupportedContentType)
    def _unsupported(_: RequestUnsupportedContentType) -> Response[str]:
        return unsupported_media_type().response()

    @app.exception_handler(ResponseValidationError)
    def _invalid_response(error: ResponseValidationError) -> Response[str]:
        # The server built an answer its own contract refuses: a bug, never the client's fault.
        logger.error("response does not match its model", extra={"errors": error.errors()[:10]})
        return problem(500, "internal-error", "Internal error", "the request failed; it is safe to retry")

    @app.not_found
    def _not_found(_: Exception) -> Response[str]:
        return problem(404, "route-not-found", "Not found", "no such route")

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response[str]:
        # AWS faults (botocore's, pynamodb's) are told apart here rather than by handlers registered for
        # their classes, so that importing this module imports neither (`oms.faults.is_aws_fault`).
        if is_aws_fault(error) and is_transient(error):
            logger.warning("transient AWS fault", extra={"fault": f"{type(error).__name__}: {error}"})
            return service_unavailable()
        logger.exception("unhandled error")  # a bug (a non-transient AWS fault too)
        return problem(500, "internal-error", "Internal error", "the request failed; it is safe to retry")

    return app


class EdgeThenValidate(OpenAPIRequestValidationMiddleware):
    """The checks before powertools validates the request (who may act, the path ids, the raw body),
    then its validation."""

    def handler(self, app: EventHandlerInstance, next_middleware: NextMiddleware) -> Response[Any]:
        route = app.context["_route"]
        needed: tuple[Permission, ...] = getattr(route.func, "__oms_permits__", ())
        if needed:
            require_any(actor_from_event(app.current_event.raw_event), *needed)
        check_path_ids(app)
        for header in route.dependant.header_params:
            if header.alias.lower() == IDEMPOTENCY_HEADER.lower():
                idempotency_key(app, required=header.required)
        if route.dependant.body_params:
            check_raw_body(app, getattr(route.func, "__oms_csv__", None))
        return super().handler(app, next_middleware)


def check_path_ids(app: EventHandlerInstance) -> None:
    """Every path parameter within the limits of its kind (`oms.api.ids`), before the handler runs: an id
    that nothing can have is a 404 like a missing one, never a store call."""
    arguments: dict[str, str] = app.context.get("_route_args") or {}
    for name, value in arguments.items():
        kind = path_id_kind(name)
        if not kind.admits(value):
            raise HttpProblem(
                404, "not-found", "Not found", f"no such {kind.label}: {name} is {kind.rule}", parameter=name
            )


def check_raw_body(app: EventHandlerInstance, from_csv: Callable[[str], Any] | None = None) -> None:
    """A body is JSON in UTF-8, at most MAX_BODY_BYTES, sent as application/json (the media type is
    case-insensitive); its syntax is `strict_json`'s, when powertools reads it. An empty body is left to
    validation (`missing` when the route requires one). A route registered with `csv=` also takes
    text/csv (UTF-8, at most MAX_BODY_BYTES), turned into the JSON body it stands for, then validated."""
    event = app.current_event
    raw = _raw_body(event.body, bool(event.is_base64_encoded))
    content_type = (event.headers.get("content-type") or "").split(";")[0].strip().lower()
    csv = from_csv is not None and content_type == "text/csv"
    if not raw:
        if csv:  # an empty upload is a missing body, as an empty JSON one
            _say_json(event)
        return
    if content_type != "application/json" and not csv:
        raise unsupported_media_type()
    if len(raw) > MAX_BODY_BYTES:
        raise HttpProblem(
            413, "payload-too-large", "Payload too large", f"the body may be at most {MAX_BODY_BYTES} bytes"
        )
    text = decode_json_text(raw)
    if csv:
        assert from_csv is not None
        event.raw_event["body"] = json.dumps(from_csv(text.removeprefix("\ufeff")))
        event.raw_event["isBase64Encoded"] = False
    _say_json(event)


def _say_json(event: BaseProxyEvent) -> None:
    # Powertools matches the media type case-sensitively (`application/json` only): tell it what we read.
    headers = event.raw_event.get("headers") or {}
    for name in [name for name in headers if name.lower() == "content-type"]:
        headers[name] = "application/json"


def unsupported_media_type() -> HttpProblem:
    return HttpProblem(415, "unsupported-media-type", "Unsupported media type", "send the body as application/json")


def request_problem(error: RequestValidationError) -> Response[str]:
    """Powertools' request validation errors in the one shape: `errors: [{field, message, code}]`, where
    `field` leaves out where the value was (body, query, path, header)."""
    errors = []
    for e in error.errors():
        _where, *parts = e.get("loc") or ("body",)
        errors.append(
            {
                "field": ".".join(str(part) for part in parts) or "(body)",
                "message": e.get("msg", ""),
                "code": e.get("type", "invalid"),
            }
        )
    return problem(
        422, "validation-failed", "The request is not valid", "the request has invalid fields", errors=errors
    )


V = TypeVar("V", bound=BaseModel)


def answer(model: type[V], data: Any) -> V:
    """A route's response body as its model. A body the model refuses is the server's bug: it raises
    powertools' ResponseValidationError (a logged 500), never a ValidationError (a 422 blamed on the client)."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise ResponseValidationError(
            errors=list(error.errors(include_url=False)), body=data, source="route"
        ) from error


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


def _raw_body(body: str | None, is_base64: bool) -> bytes:
    if not body:
        return b""
    if not is_base64:
        return body.encode("utf-8", "surrogatepass")
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError) as error:
        raise _malformed("the body is marked base64 but is not") from error


def _malformed(detail: str, **extensions: Any) -> HttpProblem:
    return HttpProblem(400, "malformed-json", "Malformed JSON", detail, **extensions)


def decode_json_text(raw: bytes) -> str:
    """The body as text: JSON is UTF-8 (RFC 8259), anything else is malformed."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise _malformed(f"the body is not UTF-8 text (byte {error.start})") from error


def json_depth(text: str) -> int:
    """How deep arrays and objects nest, counted in one pass over the text (no recursion, no regex that
    could backtrack): brackets inside strings do not count."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def strict_json(text: str) -> Any:
    """The one JSON reader of request bodies: nesting at most MAX_JSON_DEPTH deep and no key twice in an
    object (parsers disagree on which of two wins); anything else that is not JSON is malformed too."""
    if json_depth(text) > MAX_JSON_DEPTH:
        raise _malformed(f"the body nests arrays and objects more than {MAX_JSON_DEPTH} deep")
    try:
        return json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except _DuplicateKey as duplicate:
        key = duplicate.key[:100]
        raise _malformed(f"the body has the key {key!r} twice in one object", duplicateKey=key) from duplicate
    except ValueError as error:
        raise _malformed(f"the body is not valid JSON: {error}") from error


def idempotency_key(app: EventHandlerInstance, *, required: bool = True) -> str | None:
    """The Idempotency-Key header, checked at the edge of every route that declares it (before the body):
    400 when a route that moves stock or money has none, or when it is not 1-255 printable characters."""
    key = app.current_event.headers.get("idempotency-key")
    if key is None and not required:
        return None
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
    # ASCII digits only (str.isdigit() is true for "²", which int() refuses), and a version, not a number
    # too long for int() to read.
    if not (text.isascii() and text.isdigit() and len(text) <= 18):
        raise HttpProblem(400, "if-match-invalid", "Invalid If-Match", "If-Match must be an ETag this API returned")
    return int(text)


def etag(version: int) -> dict[str, str]:
    return {"ETag": f'"{version}"'}
