"""The local API Gateway: a threaded werkzeug server that turns requests into HTTP API payload 2.0 events.

What API Gateway does for an HTTP API with a JWT authorizer, and so does this server:
- picks the most specific route (literal segments beat ``{param}``, which beats ``{proxy+}``; an
  exact method beats ``ANY``); no route → 404;
- on a protected route, checks the bearer token first and answers 401 without calling the function;
- hands the claims to the function as strings (``"[admin customer]"`` for lists);
- answers CORS preflights itself and adds the CORS headers to responses;
- rejects bodies over 10 MB (413) and turns a failing function into 500 ``Internal Server Error``.

Routes are a werkzeug `Map` matched against the raw (still percent-encoded) path, so ``/a/x%2Fy`` is one
``{param}`` whose value is ``x/y``, as on AWS. Local extras live under ``/_local/``: health, token
minting, the JWKS, firing a schedule now, and whatever the stack's extensions add (their routes are
tried first). Every response closes its connection (werkzeug's development server keeps no connection
alive).
"""

from __future__ import annotations

import base64
import errno
import json
import logging
import os
import re
import secrets
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterable, Mapping, Sequence
from http import HTTPStatus
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, RootModel, StrictInt, StrictStr, field_validator
from pydantic_core import PydanticCustomError
from werkzeug.datastructures import EnvironHeaders
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BaseConverter, Map, Rule
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .extension import LocalRequest, LocalRoute, Site
from .functions import InProcessFunction
from .responses import BadBody, Response, json_response, parse_body, problem, starting
from .template import CorsSpec, RouteSpec
from .tokens import CUSTOM_ROLE, ROLES, TokenError, gateway_claims

log = logging.getLogger("local_stack.http")

MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
MAX_TOKEN_LIFETIME = 366 * 86400
LOCAL_PREFIX = "/_local"
STARTING_HEADER = "x-oms-local-starting"  # lets the stack's own seed requests in while it is starting

WsgiEnviron = dict[str, Any]


class LocalControl(Protocol):
    """What the gateway needs from the running stack: its identity provider and core ``/_local/`` actions."""

    def verify_token(self, token: str) -> dict[str, Any]:
        """The token's claims; raises TokenError."""
        ...

    def jwks(self) -> dict[str, Any]: ...

    @property
    def issuer_url(self) -> str: ...

    def health(self) -> dict[str, Any]: ...

    def mint_token(
        self,
        sub: str,
        roles: list[str],
        *,
        expires_in: int,
        claims: dict[str, Any] | None,
        custom_roles: list[str],
        stores: list[str],
    ) -> str: ...

    def fire_schedule(self, name: str, extra_input: dict[str, Any] | None = None) -> dict[str, Any]: ...


class ScheduleNotFound(KeyError):
    pass


class PortUnavailable(OSError):
    """The API port cannot be listened on (another process has it, or binding is not allowed)."""


def listen(host: str, port: int) -> socket.socket:
    """The API's listening socket, bound before anything else is built: a busy port fails at once, with a
    message naming it. Handed to the gateway, so nothing can take the port in between."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as http.server does (TIME_WAIT only)
    try:
        listener.bind((host, port))
    except OSError as exc:
        listener.close()
        if exc.errno == errno.EADDRINUSE:
            raise PortUnavailable(
                exc.errno,
                f"port {port} on {host} is already in use (another oms-local?): stop that process, "
                "or choose another port with --port N (--port 0 picks a free one)",
            ) from exc
        raise PortUnavailable(exc.errno, f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    return listener


# ----------------------------------------------------------------------------- routing


class _Greedy(BaseConverter):
    """``{proxy+}``: the rest of the path, slashes included (weighed after ``{param}``)."""

    regex = ".+"
    part_isolating = False
    weight = 200


def _rule_text(path: str) -> tuple[str, dict[str, str]]:
    """A template path as a werkzeug rule, and the rule's argument names → path parameter names."""
    parts, names = [], {}
    for index, segment in enumerate(path.strip("/").split("/")):
        match = re.fullmatch(r"\{([^}+]+)(\+?)\}", segment)
        if match is None:
            parts.append(segment)
            continue
        argument = f"p{index}"
        names[argument] = match.group(1)
        parts.append(f"<greedy:{argument}>" if match.group(2) else f"<{argument}>")
    return "/" + "/".join(parts), names


def _rule_map(rules: Iterable[Rule]) -> Map:
    return Map(list(rules), converters={"greedy": _Greedy}, merge_slashes=False, redirect_defaults=False)


def _match_raw(adapter_map: Map, method: str, raw_path: str) -> tuple[Any, dict[str, str]] | None:
    """The rule endpoint for a raw path and its arguments percent-decoded; None when nothing matches
    (also for a wrong method: API Gateway answers 404 there, not 405)."""
    if not raw_path.startswith("/") or raw_path.startswith("//"):  # werkzeug would read "//x" as "/x"
        return None
    try:
        endpoint, arguments = adapter_map.bind("oms-local").match(raw_path, method=method)
    except HTTPException:
        return None
    return endpoint, {name: urllib.parse.unquote(value) for name, value in arguments.items()}


def _rule(text: str, endpoint: Any, method: str | None) -> Rule:
    rule = Rule(text, endpoint=endpoint, methods=None if method is None else [method])
    if rule.methods is not None and method != "HEAD":
        rule.methods.discard("HEAD")  # werkzeug adds HEAD to GET rules; API Gateway does not
    return rule


class Router:
    """The template's routes as a werkzeug `Map`; `$default` catches what no route matches."""

    def __init__(self, routes: list[RouteSpec]) -> None:
        self.routes = routes
        self._default = next((route for route in routes if route.path == "$default"), None)
        self._names: list[dict[str, str]] = []
        rules = []
        # At one path, werkzeug tries rules in the order given: exact methods before ANY.
        for index, route in sorted(enumerate(routes), key=lambda item: item[1].method == "ANY"):
            if route.path == "$default":
                continue
            text, names = _rule_text(route.path)
            self._names.append(names)
            rules.append(_rule(text, (index, len(self._names) - 1), None if route.method == "ANY" else route.method))
        self._map = _rule_map(rules)

    def match(self, method: str, raw_path: str) -> tuple[RouteSpec, dict[str, str]] | None:
        found = _match_raw(self._map, method, raw_path)
        if found is None and raw_path.startswith("//"):
            # An empty first segment: only a greedy route at the root (``/{proxy+}``) takes it.
            for route in sorted(self.routes, key=lambda route: route.method == "ANY"):
                greedy = re.fullmatch(r"/\{([^}+]+)\+\}", route.path)
                if greedy and route.method in (method, "ANY"):
                    return route, {greedy.group(1): urllib.parse.unquote(raw_path[1:])}
        if found is None:
            return (self._default, {}) if self._default is not None else None
        (index, names_index), arguments = found
        names = self._names[names_index]
        return self.routes[index], {names[argument]: value for argument, value in arguments.items()}


# ----------------------------------------------------------------------------- events and results


def _comma_join(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    joined: dict[str, str] = {}
    for key, value in pairs:
        joined[key] = f"{joined[key]},{value}" if key in joined else value
    return joined


def _request_id() -> str:
    return base64.b64encode(os.urandom(10)).decode().rstrip("=")


def build_event(
    *,
    route: RouteSpec,
    method: str,
    raw_path: str,
    raw_query: str,
    header_pairs: list[tuple[str, str]],
    body: bytes,
    path_parameters: Mapping[str, str],
    source_ip: str,
    api_id: str,
    account_id: str,
    claims: Mapping[str, Any] | None,
    request_id: str,
) -> dict[str, Any]:
    """The HTTP API payload format 2.0 event for one request."""
    headers = _comma_join([(name.lower(), value) for name, value in header_pairs])
    cookie_header = headers.pop("cookie", None)
    query = _comma_join(urllib.parse.parse_qsl(raw_query, keep_blank_values=True))
    domain = headers.get("host", "127.0.0.1")
    now = time.time()
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.route_key,
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": headers,
        "requestContext": {
            "accountId": account_id,
            "apiId": api_id,
            "domainName": domain,
            "domainPrefix": domain.split(".")[0],
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": request_id,
            "routeKey": route.route_key,
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }
    if cookie_header:
        event["cookies"] = [cookie.strip() for cookie in re.split(r"[;,]", cookie_header) if cookie.strip()]
    if query:
        event["queryStringParameters"] = query
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    if claims is not None:
        event["requestContext"]["authorizer"] = {"jwt": {"claims": gateway_claims(claims), "scopes": None}}
    if body:
        try:
            event["body"] = body.decode("utf-8")
        except UnicodeDecodeError:
            event["body"] = base64.b64encode(body).decode()
            event["isBase64Encoded"] = True
    return event


def result_response(result: Any) -> Response:
    """A function's result → the HTTP response, by the payload 2.0 rules."""
    if not (isinstance(result, dict) and "statusCode" in result):
        # No statusCode: API Gateway assumes 200 and a JSON body made of the whole result.
        text = result if isinstance(result, str) else json.dumps(result)
        return Response(200, [("content-type", "application/json")], text.encode())
    status = int(result["statusCode"])
    headers = [(str(name).lower(), str(value)) for name, value in (result.get("headers") or {}).items()]
    if not any(name == "content-type" for name, _ in headers):
        headers.append(("content-type", "application/json"))
    headers.extend(("set-cookie", str(cookie)) for cookie in result.get("cookies") or [])
    body = result.get("body")
    if body is None:
        payload = b""
    elif result.get("isBase64Encoded"):
        payload = base64.b64decode(body)
    else:
        payload = (body if isinstance(body, str) else json.dumps(body)).encode()
    return Response(status, headers, payload)


# ----------------------------------------------------------------------------- core /_local bodies


class ScheduleInput(RootModel[dict[str, Any]]):
    """What `POST /_local/schedules/<rule>` merges into the rule's target input."""


class TokenRequest(BaseModel):
    """`POST /_local/token`."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)

    sub: StrictStr
    roles: list[StrictStr] = []
    custom_roles: list[StrictStr] = Field([], alias="customRoles", max_length=20)
    stores: list[StrictStr] = Field([], max_length=50)
    expires_in: StrictInt = Field(3600, alias="expiresIn", ge=-MAX_TOKEN_LIFETIME, le=MAX_TOKEN_LIFETIME)
    claims: dict[str, Any] | None = None

    @field_validator("sub")
    @classmethod
    def _named(cls, sub: str) -> str:
        if not sub.strip():
            raise PydanticCustomError("empty", "a non-empty string is required")
        return sub

    @field_validator("roles")
    @classmethod
    def _known_roles(cls, roles: list[str]) -> list[str]:
        if any(role not in ROLES for role in roles):
            raise PydanticCustomError("unknown_role", "a list of roles among {roles}", {"roles": ", ".join(ROLES)})
        return roles

    @field_validator("custom_roles")
    @classmethod
    def _custom_names(cls, names: list[str]) -> list[str]:
        if any(not CUSTOM_ROLE.fullmatch(name) or name in ROLES for name in names):
            raise PydanticCustomError("custom_role", "custom role names: 2-32 lower-case letters, digits and dashes")
        return names

    @field_validator("stores")
    @classmethod
    def _store_ids(cls, stores: list[str]) -> list[str]:
        if any(not store or "," in store or len(store) > 64 for store in stores):
            raise PydanticCustomError("store_id", "store ids: 1-64 characters, no commas")
        return stores


# ----------------------------------------------------------------------------- the gateway


class _RequestHandler(WSGIRequestHandler):
    server_version = "oms-local"  # werkzeug names itself (a property)
    # Headers and body go out in separate writes; with Nagle on, the client's delayed ACK stalls each
    # response by ~40 ms.
    disable_nagle_algorithm = True

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Requests are logged once, by the gateway."""


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"


class ApiGateway:
    def __init__(
        self,
        *,
        routes: list[RouteSpec],
        functions: Mapping[str, InProcessFunction],
        control: LocalControl,
        cors: CorsSpec | None,
        api_id: str,
        account_id: str,
        host: str = "127.0.0.1",
        port: int = 3000,
        listener: socket.socket | None = None,
        local_routes: Sequence[LocalRoute] = (),
        sites: Sequence[Site] = (),
    ) -> None:
        self.router = Router(routes)
        self.sites = list(sites)
        self.functions = functions
        self.control = control
        self.cors = cors
        self.api_id = api_id
        self.account_id = account_id
        # Extensions' routes first: a project may answer a path the core also knows.
        self.local_routes = [*local_routes, *self._core_routes()]
        self._local_map = _rule_map(
            _rule(LOCAL_PREFIX + route.rule, index, route.method) for index, route in enumerate(self.local_routes)
        )
        # Until `open()`, API requests answer 503 except those carrying `starting_key` (the stack's seed).
        self.ready = threading.Event()
        self.starting_key = secrets.token_urlsafe(16)
        socket_ = listener or listen(host, port)
        socket_.listen(128)  # socketserver's default of 5 resets connections when many clients race
        self._server: BaseWSGIServer = make_server(
            str(socket_.getsockname()[0]),
            int(socket_.getsockname()[1]),
            self.wsgi,
            threaded=True,
            request_handler=_RequestHandler,
            fd=socket_.fileno(),
        )
        socket_.close()  # the server holds its own duplicate of the descriptor
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._server.serve_forever, name="oms-local-http", daemon=True)
        self._thread.start()

    def open(self) -> None:
        """The stack is ready (seeded): serve every client."""
        self.ready.set()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # -- WSGI ----------------------------------------------------------------------------------

    def wsgi(self, environ: WsgiEnviron, start_response: Any) -> list[bytes]:
        started = time.monotonic()
        method = environ["REQUEST_METHOD"]
        target = _wire_target(environ)
        body = _read_body(environ)
        if body is None:
            response = problem(
                413,
                "payload-too-large",
                "Payload Too Large",
                f"the request body is over {MAX_BODY_BYTES} bytes",
                message="Request Entity Too Large",
            )
        else:
            header_pairs = list(EnvironHeaders(environ).items())
            response = self.handle(method, target, header_pairs, body, str(environ.get("REMOTE_ADDR", "")))
        start_response(_status_line(response.status), [*response.headers, ("content-length", str(len(response.body)))])
        log.info("%s %s %d %.0fms", method, target, response.status, (time.monotonic() - started) * 1000)
        return [] if method == "HEAD" else [response.body]

    # -- request handling --------------------------------------------------------------------

    def handle(
        self,
        method: str,
        target: str,
        header_pairs: list[tuple[str, str]],
        body: bytes,
        source_ip: str,
    ) -> Response:
        raw_path, _, raw_query = target.partition("?")
        request_id = _request_id()
        headers = {name.lower(): value for name, value in header_pairs}
        site = self._site(method, raw_path)
        if raw_path.startswith(LOCAL_PREFIX + "/"):
            response = self._local(method, raw_path, raw_query, headers, body)
        elif site is not None:
            response = site.handler(
                LocalRequest(
                    method=method,
                    path=raw_path,
                    query=dict(urllib.parse.parse_qsl(raw_query, keep_blank_values=True)),
                    headers=headers,
                    body=body,
                    params={"path": urllib.parse.unquote(raw_path[len(site.prefix) :].lstrip("/"))},
                )
            )
        elif method == "OPTIONS" and self.cors and "access-control-request-method" in headers:
            response = self._preflight(headers)
        elif not self.ready.is_set() and headers.get(STARTING_HEADER) != self.starting_key:
            response = starting(
                problem(
                    503,
                    "stack-starting",
                    "Service Unavailable",
                    "the local stack is still starting (seeding its demo data); GET /_local/health says when "
                    "it is ready",
                    message="Service Unavailable",
                )
            )
        else:
            response = self._api(method, raw_path, raw_query, header_pairs, body, source_ip, request_id)
        response.headers.append(("apigw-requestid", request_id))
        if self.cors and "origin" in headers and not raw_path.startswith(LOCAL_PREFIX + "/"):
            response.headers.extend(self._cors_headers(headers["origin"]))
        return response

    def _api(
        self,
        method: str,
        raw_path: str,
        raw_query: str,
        header_pairs: list[tuple[str, str]],
        body: bytes,
        source_ip: str,
        request_id: str,
    ) -> Response:
        matched = self.router.match(method, raw_path)
        if matched is None:
            return problem(
                404, "route-not-found", "Not Found", f"no route for {method} {raw_path}", message="Not Found"
            )
        route, path_parameters = matched
        claims = None
        if route.authorizer is not None:
            header_name = route.authorizer.identity_source.removeprefix("$request.header.").lower()
            values = [value for name, value in header_pairs if name.lower() == header_name]
            try:
                claims = self._verify(values[0] if values else "")
            except TokenError as exc:
                response = problem(401, "unauthorized", "Unauthorized", str(exc), message="Unauthorized")
                response.headers.append(
                    ("www-authenticate", f'Bearer error="invalid_token", error_description="{exc}"')
                )
                return response
        event = build_event(
            route=route,
            method=method,
            raw_path=raw_path,
            raw_query=raw_query,
            header_pairs=header_pairs,
            body=body,
            path_parameters=path_parameters,
            source_ip=source_ip,
            api_id=self.api_id,
            account_id=self.account_id,
            claims=claims,
            request_id=request_id,
        )
        function = self.functions[route.function_id]
        try:
            return result_response(function.invoke(event))
        except Exception:
            log.exception("%s failed on %s %s", function.spec.logical_id, method, raw_path)
            return json_response(500, {"message": "Internal Server Error"})

    def _verify(self, header_value: str) -> dict[str, Any]:
        token = header_value.strip()
        if token[:7].lower() == "bearer ":
            token = token[7:].strip()
        if not token:
            raise TokenError("no bearer token in the Authorization header")
        return self.control.verify_token(token)

    def _preflight(self, headers: Mapping[str, str]) -> Response:
        assert self.cors is not None
        allowed = [
            ("access-control-allow-methods", ",".join(self.cors.allow_methods)),
            ("access-control-allow-headers", ",".join(self.cors.allow_headers)),
        ]
        if self.cors.max_age is not None:
            allowed.append(("access-control-max-age", str(self.cors.max_age)))
        return Response(204, allowed, b"")

    def _cors_headers(self, origin: str) -> list[tuple[str, str]]:
        assert self.cors is not None
        if "*" in self.cors.allow_origins:
            allow_origin = "*" if not self.cors.allow_credentials else origin
        elif origin in self.cors.allow_origins:
            allow_origin = origin
        else:
            return []
        headers = [("access-control-allow-origin", allow_origin)]
        if self.cors.expose_headers:
            headers.append(("access-control-expose-headers", ",".join(self.cors.expose_headers)))
        if self.cors.allow_credentials:
            headers.append(("access-control-allow-credentials", "true"))
        return headers

    def _site(self, method: str, raw_path: str) -> Site | None:
        if method not in ("GET", "HEAD"):
            return None
        for site in self.sites:
            if raw_path == site.prefix or raw_path.startswith(site.prefix + "/"):
                return site
        return None

    # -- /_local/ ----------------------------------------------------------------------------

    def _local(self, method: str, raw_path: str, raw_query: str, headers: Mapping[str, str], body: bytes) -> Response:
        found = _match_raw(self._local_map, method, raw_path)
        if found is None:
            return problem(404, "route-not-found", "Not Found", f"no local endpoint {method} {raw_path}")
        index, params = found
        request = LocalRequest(
            method=method,
            path=raw_path,
            query=dict(urllib.parse.parse_qsl(raw_query, keep_blank_values=True)),
            headers=headers,
            body=body,
            params=params,
        )
        route: LocalRoute = self.local_routes[int(index)]
        try:
            return route.handler(request)
        except BadBody as bad:
            return bad.response

    def _core_routes(self) -> list[LocalRoute]:
        return [
            LocalRoute("GET", "/health", self._health),
            LocalRoute("POST", "/token", self._mint),
            LocalRoute("GET", "/.well-known/jwks.json", lambda _: json_response(200, self.control.jwks())),
            LocalRoute("GET", "/.well-known/openid-configuration", self._openid_configuration),
            LocalRoute("POST", "/schedules/<name>/fire", self._fire_schedule),
            LocalRoute("POST", "/schedules/<name>", self._fire_schedule),
        ]

    def _health(self, _: LocalRequest) -> Response:
        health = self.control.health()
        if health.get("status") == "ok":
            return json_response(200, health)
        return starting(json_response(503, health))

    def _openid_configuration(self, _: LocalRequest) -> Response:
        issuer = self.control.issuer_url
        return json_response(
            200,
            {
                "issuer": issuer,
                "jwks_uri": f"{issuer}/.well-known/jwks.json",
                "id_token_signing_alg_values_supported": ["RS256"],
            },
        )

    def _fire_schedule(self, request: LocalRequest) -> Response:
        """Fire a scheduled rule now; a JSON object body is merged into the target's constant input (e.g.
        `{"period": "2026-12-01"}` for a report of that day)."""
        name = request.params["name"]
        extra = parse_body(ScheduleInput, request.body, what="schedule input").root
        try:
            return json_response(200, self.control.fire_schedule(name, extra or None))
        except ScheduleNotFound:
            return problem(404, "schedule-not-found", "Not Found", f"no scheduled rule named {name!r}")

    def _mint(self, request: LocalRequest) -> Response:
        token_request = parse_body(TokenRequest, request.body, what="token request", empty=b"null")
        token = self.control.mint_token(
            token_request.sub,
            token_request.roles,
            expires_in=token_request.expires_in,
            claims=token_request.claims,
            custom_roles=token_request.custom_roles,
            stores=token_request.stores,
        )
        return json_response(
            200,
            {
                "token": token,
                "sub": token_request.sub,
                "roles": token_request.roles,
                "expiresIn": token_request.expires_in,
            },
        )


_PRINTABLE_ASCII = "".join(chr(c) for c in range(0x21, 0x7F))


def _wire_target(environ: WsgiEnviron) -> str:
    """The request target as the client sent it, bytes outside printable ASCII percent-encoded: WSGI hands the
    raw target over decoded as latin-1, and a client such as curl sends a UTF-8 keyword (`q=龙井`) unencoded,
    which API Gateway reads as UTF-8."""
    raw = environ.get("RAW_URI")
    if not raw:
        return urllib.parse.quote(environ.get("PATH_INFO", "/"))
    return urllib.parse.quote(str(raw).encode("latin-1"), safe=_PRINTABLE_ASCII)


def _read_body(environ: WsgiEnviron) -> bytes | None:
    """The request body, or None when it is over the limit (the connection is then closed)."""
    stream = environ["wsgi.input"]
    if environ.get("wsgi.input_terminated"):  # chunked: werkzeug de-chunks it, one chunk per read
        chunks: list[bytes] = []
        total = 0
        while chunk := stream.read(64 * 1024):
            total += len(chunk)
            if total > MAX_BODY_BYTES:
                return None
            chunks.append(bytes(chunk))
        return b"".join(chunks)
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY_BYTES:
        return None
    return bytes(stream.read(length)) if length > 0 else b""
