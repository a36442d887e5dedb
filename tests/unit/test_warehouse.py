"""The warehouse gateway: HttpWarehouse against a real HTTP server on 127.0.0.1 (requests, signature,
answers, failures, timeouts), the in-memory SandboxWarehouse, and how functions obtain a gateway."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from moto import mock_aws
from oms import wiring
from oms.adapters import warehouse
from oms.adapters.warehouse import (
    HANDED_OVER,
    HttpWarehouse,
    InterceptResult,
    WarehouseUnavailable,
    sign_warehouse_request,
)
from oms.domain.clock import epoch_seconds
from oms_local.oms.warehouse_sandbox import SandboxWarehouse, WarehouseConflict

SECRET = b"wms-shared-secret-0123456789abcdef"
CHILD = "01JDQ8Z7F3K2M4N6P8R0S2T4V6-01"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class FakeWms:
    """What the server saw, and how it answers: `answers[path] = (status, body)`; `delay` seconds first."""

    url: str
    received: list[Received] = field(default_factory=list)
    answers: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    delay: float = 0.0


def _handler(wms: FakeWms) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            wms.received.append(Received(self.path, dict(self.headers.items()), raw))
            if wms.delay:
                time.sleep(wms.delay)
            status, payload = wms.answers.get(self.path, (200, b'{"intercepted": true, "reason": null}'))
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                self.close_connection = True  # the client gave up (timeout, oversized answer)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def wms() -> Iterator[FakeWms]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake := FakeWms("")))
    server.daemon_threads = True
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/wms/v1"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def verify_signature(received: Received, secret: bytes = SECRET) -> int:
    """What the WMS does: check Warehouse-Signature over the raw body; the signing time."""
    parts = dict(item.split("=", 1) for item in received.headers["Warehouse-Signature"].split(","))
    expected = hmac.new(secret, f"{parts['t']}.".encode() + received.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(expected, parts["v1"])
    return int(parts["t"])


# ---------------------------------------------------------------- HttpWarehouse over real HTTP


def test_a_release_posts_the_payload_signed_and_keyed_by_child(wms: FakeWms) -> None:
    wms.answers["/wms/v1/releases"] = (202, b'{"accepted": true}')
    gateway = HttpWarehouse(wms.url + "/", SECRET)
    payload = {"warehouseId": "WH-SH", "lines": [{"skuId": "TEE-RED-M", "quantity": 2}], "childOrderId": CHILD}

    gateway.release(CHILD, payload)

    [request] = wms.received
    assert request.path == "/wms/v1/releases"
    assert json.loads(request.body) == payload
    assert request.headers["Idempotency-Key"] == CHILD
    assert request.headers["Content-Type"] == "application/json"
    assert abs(verify_signature(request) - epoch_seconds(datetime.now(UTC))) <= 5


def test_the_signature_header_is_verifiable_and_bound_to_the_body(wms: FakeWms) -> None:
    HttpWarehouse(wms.url, SECRET, clock=lambda: datetime(2026, 11, 22, 10, 0, tzinfo=UTC)).intercept(CHILD)

    [request] = wms.received
    assert verify_signature(request) == 1795341600
    assert request.headers["Warehouse-Signature"] == sign_warehouse_request(SECRET, request.body, 1795341600)
    with pytest.raises(AssertionError):
        verify_signature(request, secret=b"another secret")
    with pytest.raises(AssertionError):
        verify_signature(Received(request.path, request.headers, request.body.replace(b"-01", b"-02")))


def test_an_interception_that_succeeds(wms: FakeWms) -> None:
    result = HttpWarehouse(wms.url, SECRET).intercept(CHILD)

    assert result == InterceptResult(True, None)
    [request] = wms.received
    assert request.path == "/wms/v1/interceptions"
    assert json.loads(request.body) == {"childOrderId": CHILD}
    assert request.headers["Idempotency-Key"] == CHILD


def test_an_interception_the_warehouse_refuses(wms: FakeWms) -> None:
    wms.answers["/wms/v1/interceptions"] = (200, b'{"intercepted": false, "reason": "already handed to the carrier"}')

    assert HttpWarehouse(wms.url, SECRET).intercept(CHILD) == InterceptResult(False, HANDED_OVER)


def test_a_refusal_without_a_reason_keeps_none(wms: FakeWms) -> None:
    wms.answers["/wms/v1/interceptions"] = (200, b'{"intercepted": false, "reason": null}')

    assert HttpWarehouse(wms.url, SECRET).intercept(CHILD) == InterceptResult(False, None)


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429, 408])
def test_a_server_error_is_unavailable_and_retryable(wms: FakeWms, status: int) -> None:
    wms.answers["/wms/v1/interceptions"] = (status, b'{"error": "boom"}')
    wms.answers["/wms/v1/releases"] = (status, b"")
    gateway = HttpWarehouse(wms.url, SECRET)

    with pytest.raises(WarehouseUnavailable, match=f"HTTP {status}") as failed:
        gateway.intercept(CHILD)
    with pytest.raises(WarehouseUnavailable):
        gateway.release(CHILD, {})
    assert failed.value.retryable is True


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409])
def test_a_refused_request_is_unavailable_and_not_retryable(wms: FakeWms, status: int) -> None:
    wms.answers["/wms/v1/interceptions"] = (status, b'{"error": "no"}')

    with pytest.raises(WarehouseUnavailable, match=f"HTTP {status}") as failed:
        HttpWarehouse(wms.url, SECRET).intercept(CHILD)
    assert failed.value.retryable is False


def test_a_timeout_is_unavailable(wms: FakeWms) -> None:
    wms.delay = 1.5
    started = time.monotonic()

    with pytest.raises(WarehouseUnavailable, match=r"cannot reach 127\.0\.0\.1") as failed:
        HttpWarehouse(wms.url, SECRET, timeout=0.3).intercept(CHILD)

    assert time.monotonic() - started < 1.4
    assert failed.value.retryable is True
    assert "wms-shared-secret" not in str(failed.value)


def test_the_default_timeout_is_five_seconds() -> None:
    assert warehouse.TIMEOUT_SECONDS == 5.0
    transport = HttpWarehouse("https://wms.example.invalid", SECRET)._transport
    assert getattr(transport, "_timeout", None) == 5.0


def test_an_unreachable_warehouse_is_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    with pytest.raises(WarehouseUnavailable, match="cannot reach") as failed:
        HttpWarehouse(f"http://127.0.0.1:{port}", SECRET).release(CHILD, {"lines": []})
    assert failed.value.retryable is True


@pytest.mark.parametrize(
    "answer",
    [b"not json", b"[]", b'{"intercepted": "yes"}', b'{"reason": "x"}', b'{"intercepted": false, "reason": 5}', b""],
)
def test_an_unreadable_interception_answer_is_unavailable(wms: FakeWms, answer: bytes) -> None:
    wms.answers["/wms/v1/interceptions"] = (200, answer)

    with pytest.raises(WarehouseUnavailable, match="interception answer"):
        HttpWarehouse(wms.url, SECRET).intercept(CHILD)


def test_an_oversized_answer_is_unavailable(wms: FakeWms) -> None:
    wms.answers["/wms/v1/interceptions"] = (200, b'{"intercepted": true, "reason": "' + b"x" * 70_000 + b'"}')

    with pytest.raises(WarehouseUnavailable, match="too large"):
        HttpWarehouse(wms.url, SECRET).intercept(CHILD)


def test_plain_http_is_only_for_loopback() -> None:
    with pytest.raises(WarehouseUnavailable, match="https only") as refused:
        HttpWarehouse("http://wms.example.invalid", SECRET).intercept(CHILD)
    assert refused.value.retryable is False


class _Exploding:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def send(self, method: str, url: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        raise self.error


@pytest.mark.parametrize("error", [ConnectionResetError("reset"), TimeoutError(), http.client.IncompleteRead(b"")])
def test_transport_failures_of_a_custom_transport_are_unavailable(error: Exception) -> None:
    with pytest.raises(WarehouseUnavailable, match=type(error).__name__):
        HttpWarehouse("https://wms.example.invalid", SECRET, _Exploding(error)).intercept(CHILD)


@pytest.mark.parametrize(
    ("base_url", "secret"),
    [("ftp://wms.example", SECRET), ("wms.example", SECRET), ("https://wms.example?x=1", SECRET), ("https://w", b"")],
)
def test_bad_construction_is_refused(base_url: str, secret: bytes) -> None:
    with pytest.raises(ValueError):
        HttpWarehouse(base_url, secret)


@pytest.mark.parametrize("child", ["", "a b", "x" * 129, "a/b", "é"])
def test_child_ids_that_cannot_travel_in_a_header_are_refused(child: str) -> None:
    gateway = HttpWarehouse("https://wms.example.invalid", SECRET, _Exploding(AssertionError("not sent")))

    with pytest.raises(ValueError, match="child order id"):
        gateway.intercept(child)
    with pytest.raises(ValueError, match="child order id"):
        gateway.release(child, {})


def test_a_payload_naming_another_child_is_refused() -> None:
    gateway = HttpWarehouse("https://wms.example.invalid", SECRET, _Exploding(AssertionError("not sent")))

    with pytest.raises(ValueError, match="another child order"):
        gateway.release(CHILD, {"childOrderId": "OTHER-01"})


def test_the_repr_hides_the_secret() -> None:
    assert "wms-shared-secret" not in repr(HttpWarehouse("https://wms.example.invalid", SECRET))


# ---------------------------------------------------------------- SandboxWarehouse


def test_the_sandbox_releases_once_per_child() -> None:
    sandbox = SandboxWarehouse()

    sandbox.release(CHILD, {"lines": [{"skuId": "A", "quantity": 1}]})
    sandbox.release(CHILD, {"lines": [{"skuId": "B", "quantity": 9}]})  # a retry: the first release stands

    assert sandbox.released == {CHILD: {"lines": [{"skuId": "A", "quantity": 1}], "childOrderId": CHILD}}
    assert sandbox.calls == [("release", CHILD), ("release", CHILD)]


def test_the_sandbox_keeps_what_the_wms_would_receive() -> None:
    sandbox = SandboxWarehouse()
    lines = [{"skuId": "A", "quantity": 1}]

    sandbox.release(CHILD, {"lines": lines, "tags": ("gift",)})
    lines.append({"skuId": "B", "quantity": 1})

    assert sandbox.released[CHILD]["lines"] == [{"skuId": "A", "quantity": 1}]  # a copy, as sent
    assert sandbox.released[CHILD]["tags"] == ["gift"]  # JSON round trip
    with pytest.raises(TypeError):
        sandbox.release("OTHER-01", {"amount": object()})  # what HttpWarehouse could not send either


def test_the_sandbox_intercepts_until_the_parcel_is_handed_over() -> None:
    sandbox = SandboxWarehouse()
    sandbox.release(CHILD, {})
    sandbox.release("SHIPPED-01", {})

    assert sandbox.intercept(CHILD) == InterceptResult(True, None)
    assert sandbox.intercept(CHILD) == InterceptResult(True, None)  # idempotent
    sandbox.hand_over("SHIPPED-01")
    sandbox.hand_over("SHIPPED-01")
    assert sandbox.intercept("SHIPPED-01") == InterceptResult(False, "already handed to the carrier")
    assert (sandbox.intercepted, sandbox.handed_over) == ({CHILD}, {"SHIPPED-01"})
    assert sandbox.state("SHIPPED-01") == {
        "childOrderId": "SHIPPED-01",
        "released": True,
        "handedOver": True,
        "intercepted": False,
        "payload": {"childOrderId": "SHIPPED-01"},
    }


def test_an_intercepted_parcel_cannot_be_handed_over() -> None:
    sandbox = SandboxWarehouse()
    sandbox.intercept(CHILD)

    with pytest.raises(WarehouseConflict):
        sandbox.hand_over(CHILD)
    assert sandbox.handed_over == set()


def test_interception_racing_hand_over_has_exactly_one_winner() -> None:
    for round_no in range(50):
        sandbox = SandboxWarehouse()
        child = f"RACE-{round_no}"
        barrier = threading.Barrier(2)

        def intercept(box: SandboxWarehouse = sandbox, name: str = child, gate: threading.Barrier = barrier) -> Any:
            gate.wait()
            return box.intercept(name)

        def hand_over(box: SandboxWarehouse = sandbox, name: str = child, gate: threading.Barrier = barrier) -> Any:
            gate.wait()
            try:
                box.hand_over(name)
            except WarehouseConflict:
                return "conflict"
            return "handed"

        with ThreadPoolExecutor(max_workers=2) as pool:
            intercepted, handed = pool.submit(intercept), pool.submit(hand_over)
            outcome = (intercepted.result().intercepted, handed.result())
        assert outcome in {(True, "conflict"), (False, "handed")}
        assert (child in sandbox.intercepted) != (child in sandbox.handed_over)


def test_an_outage_of_the_sandbox_is_unavailable() -> None:
    sandbox = SandboxWarehouse()
    sandbox.unavailable = True

    with pytest.raises(WarehouseUnavailable):
        sandbox.intercept(CHILD)
    with pytest.raises(WarehouseUnavailable):
        sandbox.release(CHILD, {})
    assert sandbox.intercepted == set() and sandbox.released == {}
    assert sandbox.calls == [("intercept", CHILD), ("release", CHILD)]


def test_the_state_of_an_unknown_child_is_all_false() -> None:
    assert SandboxWarehouse().state(CHILD) == {
        "childOrderId": CHILD,
        "released": False,
        "handedOver": False,
        "intercepted": False,
        "payload": None,
    }


# ---------------------------------------------------------------- what functions get


@pytest.fixture
def fresh_loader(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(wiring, "_adapters", wiring.Adapters())  # nothing configured
    monkeypatch.setattr(warehouse, "_loaded", None)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv(warehouse.URL_ENV, raising=False)
    monkeypatch.delenv(warehouse.SECRET_ARN_ENV, raising=False)
    yield


def test_an_injected_gateway_is_what_functions_get(fresh_loader: None) -> None:
    sandbox = SandboxWarehouse()
    wiring.configure(wiring.Adapters(warehouse=sandbox))
    try:
        assert wiring.warehouse() is sandbox
    finally:
        wiring.reset()


@pytest.mark.parametrize("url", [None, "", "  "])
def test_without_a_warehouse_url_there_is_no_warehouse(
    fresh_loader: None, monkeypatch: pytest.MonkeyPatch, url: str | None
) -> None:
    if url is not None:
        monkeypatch.setenv(warehouse.URL_ENV, url)

    with pytest.raises(WarehouseUnavailable, match="no warehouse configured"):
        wiring.warehouse()


def test_a_url_without_a_secret_is_unavailable(fresh_loader: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(warehouse.URL_ENV, "https://wms.example.invalid")

    with pytest.raises(WarehouseUnavailable, match="OMS_WAREHOUSE_SECRET_ARN"):
        wiring.warehouse()


def test_the_gateway_is_built_once_from_the_url_and_the_secret(
    fresh_loader: None, monkeypatch: pytest.MonkeyPatch, wms: FakeWms
) -> None:
    with mock_aws():
        client = boto3.client("secretsmanager", region_name="us-east-1")
        arn = client.create_secret(Name="oms/warehouse", SecretString=SECRET.decode())["ARN"]
        monkeypatch.setenv(warehouse.URL_ENV, wms.url)
        monkeypatch.setenv(warehouse.SECRET_ARN_ENV, arn)
        gateway = wiring.warehouse()
        assert wiring.warehouse() is gateway
        missing = arn.replace("oms/warehouse", "oms/none")
        monkeypatch.setenv(warehouse.SECRET_ARN_ENV, missing)
        with pytest.raises(WarehouseUnavailable, match="ResourceNotFoundException"):
            wiring.warehouse()

    assert isinstance(gateway, HttpWarehouse)
    gateway.release(CHILD, {"lines": []})
    verify_signature(wms.received[0], SECRET)  # signed with the secret from Secrets Manager
