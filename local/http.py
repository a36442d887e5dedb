"""The local API Gateway: an HTTP server that turns requests into HTTP API payload 2.0 events.

What API Gateway does for an HTTP API with a JWT authorizer, and so does this server:
- picks the most specific route (literal segments beat ``{param}``, which beats ``{proxy+}``; an
  exact method beats ``ANY``); no route → 404;
- on a protected route, checks the bearer token first and answers 401 without calling the function;
- hands the claims to the function as strings (``"[admin customer]"`` for lists);
- answers CORS preflights itself and adds the CORS headers to responses;
- rejects bodies over 10 MB (413) and turns a failing function into 500 ``Internal Server Error``.

Local extras live under ``/_local/``: health, token minting, the JWKS, firing a schedule now, and the
sandboxes (paying at a payment provider, sending a carrier's tracking notice, the warehouse's state).
"""

from __future__ import annotations

import base64
import datetime as dt
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
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from oms.adapters.providers.sandbox import SandboxPaymentClosed
from oms.adapters.warehouse import WarehouseConflict
from oms.domain.fulfilment import TrackingStatus

from .functions import InProcessFunction
from .template import CorsSpec, RouteSpec
from .tokens import ROLES, TokenError, gateway_claims

log = logging.getLogger("local_stack.http")

MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
MAX_TOKEN_LIFETIME = 366 * 86400
PROBLEM_JSON = "application/problem+json"
STARTING_HEADER = "x-oms-local-starting"  # lets the stack's own seed requests in while it is starting


class LocalControl(Protocol):
    """What the gateway needs from the running stack: its identity provider and ``/_local/`` actions."""

    def verify_token(self, token: str) -> dict[str, Any]:
        """The token's claims; raises TokenError."""
        ...

    def jwks(self) -> dict[str, Any]: ...

    @property
    def issuer_url(self) -> str: ...

    def health(self) -> dict[str, Any]: ...

    def mint_token(self, sub: str, roles: list[str], *, expires_in: int, claims: dict[str, Any] | None) -> str: ...

    def fire_schedule(self, name: str) -> dict[str, Any]: ...

    def sandbox_pay(
        self,
        payment_id: str,
        *,
        amount: int | None = None,
        currency: str | None = None,
        status: str = "SUCCEEDED",
        event_id: str | None = None,
        times: int = 1,
        concurrent: bool = False,
        signed_at: dt.datetime | None = None,
    ) -> dict[str, Any]: ...

    def sandbox_carrier_event(
        self,
        carrier: str,
        *,
        tracking_number: str,
        status: str,
        occurred_at: str | None = None,
        event_id: str | None = None,
        location: str | None = None,
        description: str | None = None,
        times: int = 1,
        concurrent: bool = False,
        tamper: bool = False,
    ) -> dict[str, Any]:
        """Sign and deliver a carrier's tracking notice; LookupError for an unknown carrier."""
        ...

    def sandbox_hand_over(self, child_order_id: str) -> dict[str, Any]:
        """The sandbox warehouse hands the parcel over; WarehouseConflict if it was intercepted."""
        ...

    def sandbox_warehouse_state(self, child_order_id: str) -> dict[str, Any]: ...


class ScheduleNotFound(KeyError):
    pass


def _aware_timestamp(text: str) -> dt.datetime | None:
    """An RFC 3339 timestamp with `Z` or an offset, else None."""
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


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


@dataclass(frozen=True)
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def _json_response(status: int, payload: Any, content_type: str = "application/json") -> Response:
    return Response(status, [("content-type", content_type)], json.dumps(payload).encode())


def _starting(response: Response) -> Response:
    response.headers.append(("retry-after", "1"))
    return response


def problem(status: int, slug: str, title: str, detail: str, **extra: Any) -> Response:
    payload = {"type": f"urn:oms:problem:{slug}", "title": title, "status": status, "detail": detail}
    payload.update(extra)
    return _json_response(status, payload, PROBLEM_JSON)


# ----------------------------------------------------------------------------- routing


@dataclass(frozen=True)
class _Route:
    spec: RouteSpec
    pattern: re.Pattern[str]
    parameters: dict[str, str]  # regex group name -> path parameter name
    specificity: tuple[int, ...]


def _compile(spec: RouteSpec) -> _Route:
    if spec.path == "$default":
        return _Route(spec, re.compile(r".*"), {}, (-1,))
    parts, parameters, specificity = [], {}, []
    for index, segment in enumerate(spec.path.strip("/").split("/")):
        match = re.fullmatch(r"\{([^}+]+)(\+?)\}", segment)
        if match is None:
            parts.append(re.escape(segment))
            specificity.append(2)
            continue
        group = f"p{index}"
        parameters[group] = match.group(1)
        greedy = bool(match.group(2))
        parts.append(f"(?P<{group}>.+)" if greedy else f"(?P<{group}>[^/]+)")
        specificity.append(0 if greedy else 1)
    return _Route(spec, re.compile("/" + "/".join(parts)), parameters, tuple(specificity))


class Router:
    def __init__(self, routes: list[RouteSpec]) -> None:
        self.routes = [_compile(route) for route in routes]

    def match(self, method: str, raw_path: str) -> tuple[RouteSpec, dict[str, str]] | None:
        best: tuple[tuple[tuple[int, ...], int], _Route, re.Match[str]] | None = None
        for route in self.routes:
            if route.spec.method not in (method, "ANY"):
                continue
            found = route.pattern.fullmatch(raw_path)
            if found is None:
                continue
            rank = (route.specificity, 1 if route.spec.method == method else 0)
            if best is None or rank > best[0]:
                best = (rank, route, found)
        if best is None:
            return None
        _, route, found = best
        parameters = {name: urllib.parse.unquote(found.group(group)) for group, name in route.parameters.items()}
        return route.spec, parameters


# ----------------------------------------------------------------------------- events and results


def _comma_join(pairs: list[tuple[str, str]]) -> dict[str, str]:
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


# ----------------------------------------------------------------------------- the gateway


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # socketserver's default of 5 resets connections when many clients race

    def __init__(self, listener: socket.socket, handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(listener.getsockname()[:2], handler, bind_and_activate=False)
        self.socket.close()
        self.socket = listener
        self.server_address = listener.getsockname()
        host, port = listener.getsockname()[:2]
        self.server_name, self.server_port = socket.getfqdn(str(host)), int(port)  # as HTTPServer.server_bind
        self.server_activate()


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
    ) -> None:
        self.router = Router(routes)
        self.functions = functions
        self.control = control
        self.cors = cors
        self.api_id = api_id
        self.account_id = account_id
        # Until `open()`, API requests answer 503 except those carrying `starting_key` (the stack's seed).
        self.ready = threading.Event()
        self.starting_key = secrets.token_urlsafe(16)
        self._server = _Server(listener or listen(host, port), _make_handler(self))
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
        if raw_path.startswith("/_local/"):
            response = self._local(method, raw_path, body)
        elif method == "OPTIONS" and self.cors and "access-control-request-method" in headers:
            response = self._preflight(headers)
        elif not self.ready.is_set() and headers.get(STARTING_HEADER) != self.starting_key:
            response = _starting(
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
        if self.cors and "origin" in headers and not raw_path.startswith("/_local/"):
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
            return _json_response(500, {"message": "Internal Server Error"})

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

    # -- /_local/ ----------------------------------------------------------------------------

    def _local(self, method: str, raw_path: str, body: bytes) -> Response:
        if raw_path == "/_local/health" and method == "GET":
            health = self.control.health()
            if health.get("status") == "ok":
                return _json_response(200, health)
            return _starting(_json_response(503, health))
        if raw_path == "/_local/token" and method == "POST":
            return self._mint(body)
        if raw_path == "/_local/.well-known/jwks.json" and method == "GET":
            return _json_response(200, self.control.jwks())
        if raw_path == "/_local/.well-known/openid-configuration" and method == "GET":
            return _json_response(
                200,
                {
                    "issuer": self.control.issuer_url,
                    "jwks_uri": f"{self.control.issuer_url}/.well-known/jwks.json",
                    "id_token_signing_alg_values_supported": ["RS256"],
                },
            )
        sandbox_payment = re.fullmatch(r"/_local/sandbox/payments/([^/]+)/pay", raw_path)
        if sandbox_payment and method == "POST":
            return self._sandbox_pay(urllib.parse.unquote(sandbox_payment.group(1)), body)
        carrier_event = re.fullmatch(r"/_local/sandbox/carriers/([^/]+)/events", raw_path)
        if carrier_event and method == "POST":
            return self._sandbox_carrier_event(urllib.parse.unquote(carrier_event.group(1)), body)
        hand_over = re.fullmatch(r"/_local/sandbox/warehouse/([^/]+)/hand-over", raw_path)
        if hand_over and method == "POST":
            return self._sandbox_warehouse(urllib.parse.unquote(hand_over.group(1)), hand_over=True)
        warehouse = re.fullmatch(r"/_local/sandbox/warehouse/([^/]+)", raw_path)
        if warehouse and method == "GET":
            return self._sandbox_warehouse(urllib.parse.unquote(warehouse.group(1)), hand_over=False)
        schedule = re.fullmatch(r"/_local/schedules/([^/]+)/fire", raw_path)
        if schedule and method == "POST":
            name = urllib.parse.unquote(schedule.group(1))
            try:
                return _json_response(200, self.control.fire_schedule(name))
            except ScheduleNotFound:
                return problem(404, "schedule-not-found", "Not Found", f"no scheduled rule named {name!r}")
        return problem(404, "route-not-found", "Not Found", f"no local endpoint {method} {raw_path}")

    def _sandbox_pay(self, payment_id: str, body: bytes) -> Response:
        """Pay an attempt at its sandbox provider; the provider's signed callback hits this API."""
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            request = None
        if not isinstance(request, dict):
            return problem(400, "bad-request", "Bad Request", "the body must be a JSON object")
        allowed = {
            "amount": int,
            "currency": str,
            "status": str,
            "eventId": str,
            "times": int,
            "concurrent": bool,
            "signedAt": str,
        }
        errors = [
            {"field": name, "message": f"must be {kind.__name__}"}
            for name, kind in allowed.items()
            if name in request and (type(request[name]) is not kind)
        ]
        errors += [{"field": name, "message": "unknown field"} for name in request if name not in allowed]
        times = request.get("times", 1)
        if isinstance(times, int) and not 1 <= times <= 20:
            errors.append({"field": "times", "message": "between 1 and 20"})
        signed_at = None
        if isinstance(request.get("signedAt"), str):
            signed_at = _aware_timestamp(request["signedAt"])
            if signed_at is None:
                errors.append({"field": "signedAt", "message": "an RFC 3339 timestamp with a zone"})
        if errors:
            return problem(400, "bad-request", "Bad Request", "the sandbox payment request is invalid", errors=errors)
        try:
            result = self.control.sandbox_pay(
                payment_id,
                amount=request.get("amount"),
                currency=request.get("currency"),
                status=request.get("status", "SUCCEEDED"),
                event_id=request.get("eventId"),
                times=times,
                concurrent=request.get("concurrent", False),
                signed_at=signed_at,
            )
        except SandboxPaymentClosed as error:
            return problem(409, "sandbox-payment-closed", "Conflict", str(error))
        except (RuntimeError, ValueError, LookupError) as error:
            return problem(404, "sandbox-payment-not-found", "Not Found", str(error))
        return _json_response(200, result)

    def _sandbox_carrier_event(self, carrier: str, body: bytes) -> Response:
        """A sandbox carrier signs a tracking notice and posts it to ``/callbacks/carriers/<carrier>``."""
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            request = None
        if not isinstance(request, dict):
            return problem(400, "bad-request", "Bad Request", "the body must be a JSON object")
        kinds: dict[str, tuple[type, ...]] = {
            "trackingNumber": (str,),
            "status": (str,),
            "occurredAt": (str,),
            "eventId": (str,),
            "location": (str, type(None)),
            "description": (str, type(None)),
            "times": (int,),
            "concurrent": (bool,),
            "tamper": (bool,),
        }

        def kind_names(kind: tuple[type, ...]) -> str:
            return " or ".join("null" if k is type(None) else k.__name__ for k in kind)

        errors = [
            {"field": name, "message": f"must be {kind_names(kind)}"}
            for name, kind in kinds.items()
            if name in request and type(request[name]) not in kind
        ]
        errors += [{"field": name, "message": "unknown field"} for name in request if name not in kinds]
        required = ("trackingNumber", "status")
        errors += [{"field": name, "message": "required"} for name in required if name not in request]
        status = request.get("status")
        if isinstance(status, str) and status not in {member.value for member in TrackingStatus}:
            errors.append({"field": "status", "message": "one of " + ", ".join(TrackingStatus)})
        times = request.get("times", 1)
        if type(times) is int and not 1 <= times <= 20:
            errors.append({"field": "times", "message": "between 1 and 20"})
        if errors:
            return problem(400, "bad-request", "Bad Request", "the sandbox carrier event is invalid", errors=errors)
        try:
            result = self.control.sandbox_carrier_event(
                carrier,
                tracking_number=request["trackingNumber"],
                status=request["status"],
                occurred_at=request.get("occurredAt"),
                event_id=request.get("eventId"),
                location=request.get("location"),
                description=request.get("description"),
                times=times,
                concurrent=request.get("concurrent", False),
                tamper=request.get("tamper", False),
            )
        except LookupError as error:
            return problem(404, "sandbox-carrier-not-found", "Not Found", str(error))
        except RuntimeError as error:
            return problem(404, "sandbox-not-running", "Not Found", str(error))
        except OSError as error:
            return problem(502, "sandbox-delivery-failed", "Bad Gateway", f"delivery failed: {type(error).__name__}")
        return _json_response(200, result)

    def _sandbox_warehouse(self, child_order_id: str, *, hand_over: bool) -> Response:
        """The sandbox warehouse: hand a parcel to the carrier, or what it knows about a child order."""
        try:
            if hand_over:
                return _json_response(200, self.control.sandbox_hand_over(child_order_id))
            return _json_response(200, self.control.sandbox_warehouse_state(child_order_id))
        except WarehouseConflict as error:
            return problem(409, "sandbox-warehouse-conflict", "Conflict", str(error))
        except ValueError as error:
            return problem(400, "bad-request", "Bad Request", str(error))
        except RuntimeError as error:
            return problem(404, "sandbox-not-running", "Not Found", str(error))

    def _mint(self, body: bytes) -> Response:
        errors: list[dict[str, str]] = []
        try:
            request = json.loads(body or b"null")
        except ValueError:
            request = None
        if not isinstance(request, dict):
            return problem(400, "bad-request", "Bad Request", "the body must be a JSON object")
        sub = request.get("sub")
        roles = request.get("roles", [])
        expires_in = request.get("expiresIn", 3600)
        claims = request.get("claims")
        if not isinstance(sub, str) or not sub.strip():
            errors.append({"field": "sub", "message": "a non-empty string is required"})
        if not isinstance(roles, list) or any(role not in ROLES for role in roles):
            errors.append({"field": "roles", "message": f"a list of roles among {', '.join(ROLES)}"})
        if isinstance(expires_in, bool) or not isinstance(expires_in, int) or abs(expires_in) > MAX_TOKEN_LIFETIME:
            errors.append({"field": "expiresIn", "message": f"whole seconds, at most {MAX_TOKEN_LIFETIME}"})
        if claims is not None and not isinstance(claims, dict):
            errors.append({"field": "claims", "message": "an object of extra claims"})
        if errors:
            return problem(400, "bad-request", "Bad Request", "the token request is invalid", errors=errors)
        token = self.control.mint_token(str(sub), roles, expires_in=expires_in, claims=claims)
        return _json_response(200, {"token": token, "sub": sub, "roles": roles, "expiresIn": expires_in})


def _make_handler(gateway: ApiGateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "oms-local"
        # Headers and body go out in separate writes; with Nagle on, a keep-alive client's delayed ACK
        # stalls every response by ~40 ms.
        disable_nagle_algorithm = True

        def _read_body(self) -> bytes | None:
            """The request body, or None when it is over the limit (the connection is then closed)."""
            if self.headers.get("transfer-encoding", "").lower() == "chunked":
                chunks: list[bytes] = []
                total = 0
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass
                        return b"".join(chunks)
                    total += size
                    if total > MAX_BODY_BYTES:
                        return None
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
            length = int(self.headers.get("content-length") or 0)
            if length > MAX_BODY_BYTES:
                return None
            return self.rfile.read(length) if length else b""

        def _handle(self) -> None:
            started = time.monotonic()
            body = self._read_body()
            if body is None:
                self.close_connection = True
                response = problem(
                    413,
                    "payload-too-large",
                    "Payload Too Large",
                    f"the request body is over {MAX_BODY_BYTES} bytes",
                    message="Request Entity Too Large",
                )
            else:
                response = gateway.handle(
                    self.command, self.path, list(self.headers.items()), body, self.client_address[0]
                )
            self.send_response(response.status)
            for name, value in response.headers:
                self.send_header(name, value)
            self.send_header("content-length", str(len(response.body)))
            if self.close_connection:
                self.send_header("connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)
            log.info("%s %s %d %.0fms", self.command, self.path, response.status, (time.monotonic() - started) * 1000)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _handle

        def log_message(self, format: str, *args: Any) -> None:
            """Requests are logged once, by ``_handle``."""

    return Handler
