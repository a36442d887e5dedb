"""Carrier tracking webhooks ("OMS carrier webhook v1"): signatures, rotation, replay window, parsing;
the configured verifier; and the local carrier sandbox's signing and delivery against a real HTTP server."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from moto import mock_aws
from oms import wiring
from oms.adapters import carriers
from oms.adapters.carriers import (
    CarrierCallbackRejected,
    CarrierConfigError,
    CarrierWebhooks,
    TrackingNotice,
    parse_carrier_signature,
    secrets_from_json,
    sign_carrier_notice,
)
from oms.adapters.providers.base import CallbackRejected
from oms.domain.clock import epoch_seconds
from oms.domain.fulfilment import TrackingStatus
from oms_local.oms.logistics_sandbox import CARRIERS, CarrierSandbox

NOW = datetime(2026, 11, 22, 10, 0, 0, tzinfo=UTC)
T = epoch_seconds(NOW)
SF = b"sf-secret-0123456789abcdef0123456789"
SF_OLD = b"sf-secret-retiring-000000000000000"
ZTO = b"zto-secret-0123456789abcdef012345678"


def webhooks(moment: datetime = NOW, **secrets: list[bytes]) -> CarrierWebhooks:
    return CarrierWebhooks(secrets or {"sf": [SF], "zto": [ZTO]}, clock=lambda: moment)


def body(**overrides: Any) -> bytes:
    event: dict[str, Any] = {
        "eventId": "evt-0001",
        "trackingNumber": "SF1234567890",
        "status": "IN_TRANSIT",
        "occurredAt": "2026-11-22T17:55:00+08:00",
        "location": "Shanghai hub",
        "description": "Departed sorting centre",
    }
    event.update(overrides)
    return json.dumps({k: v for k, v in event.items() if v is not ...}).encode()


def signed(raw: bytes, secret: bytes = SF, timestamp: int = T) -> dict[str, str]:
    return {"Carrier-Signature": sign_carrier_notice(secret, raw, timestamp)}


def rejected(hooks: CarrierWebhooks, carrier: str, headers: dict[str, str], raw: bytes) -> str:
    with pytest.raises(CarrierCallbackRejected) as caught:
        hooks.verify(carrier, headers, raw)
    return caught.value.reason


# ---------------------------------------------------------------- signatures


def test_a_signed_notice_verifies_and_parses() -> None:
    raw = body()

    notice = webhooks().verify("sf", signed(raw), raw)

    assert notice == TrackingNotice(
        carrier="sf",
        event_id="evt-0001",
        tracking_number="SF1234567890",
        status=TrackingStatus.IN_TRANSIT,
        occurred_at=datetime(2026, 11, 22, 9, 55, 0, tzinfo=UTC),
        location="Shanghai hub",
        description="Departed sorting centre",
    )
    assert notice.occurred_at.tzinfo is not None and notice.occurred_at.utcoffset() == timedelta(0)


def test_the_header_is_found_in_any_case_as_api_gateway_lower_cases_it() -> None:
    raw = body()
    header = signed(raw)["Carrier-Signature"]

    assert webhooks().verify("sf", {"carrier-signature": header}, raw).event_id == "evt-0001"


def test_the_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    raw = body()
    expected = hmac.new(SF, f"{T}.".encode() + raw, hashlib.sha256).hexdigest()

    assert sign_carrier_notice(SF, raw, T) == f"t={T},v1={expected}"
    assert parse_carrier_signature(f"t={T},v1={expected}") == (T, [expected])


def test_a_forged_signature_is_rejected() -> None:
    raw = body()
    forged = hmac.new(b"guessed", f"{T}.".encode() + raw, hashlib.sha256).hexdigest()

    reason = rejected(webhooks(), "sf", {"Carrier-Signature": f"t={T},v1={forged}"}, raw)

    assert reason == "no signature matches a secret of this carrier"


def test_another_carriers_secret_does_not_sign_for_this_carrier() -> None:
    raw = body()

    assert "no signature matches" in rejected(webhooks(), "sf", signed(raw, secret=ZTO), raw)
    assert webhooks().verify("zto", signed(raw, secret=ZTO), raw).carrier == "zto"


def test_a_body_changed_after_signing_is_rejected() -> None:
    raw = body()
    headers = signed(raw)

    assert "no signature matches" in rejected(webhooks(), "sf", headers, body(status="DELIVERED"))


@pytest.mark.parametrize("skew", [-301, 301, -3600, 86400])
def test_a_timestamp_outside_five_minutes_is_rejected(skew: int) -> None:
    raw = body()

    assert rejected(webhooks(), "sf", signed(raw, timestamp=T + skew), raw) == (
        "signature timestamp outside the tolerance"
    )


@pytest.mark.parametrize("skew", [-300, 0, 300])
def test_a_timestamp_within_five_minutes_passes(skew: int) -> None:
    raw = body()

    assert webhooks().verify("sf", signed(raw, timestamp=T + skew), raw).event_id == "evt-0001"


def test_during_a_rotation_either_secret_passes_and_a_retired_one_fails() -> None:
    rotating = webhooks(sf=[SF, SF_OLD])
    raw = body()

    assert rotating.verify("sf", signed(raw, secret=SF), raw).carrier == "sf"
    assert rotating.verify("sf", signed(raw, secret=SF_OLD), raw).carrier == "sf"
    # A carrier signing with both sends two v1 values: one matching is enough.
    new_v1 = sign_carrier_notice(SF, raw, T).split("v1=")[1]
    old_v1 = sign_carrier_notice(SF_OLD, raw, T).split("v1=")[1]
    assert webhooks().verify("sf", {"Carrier-Signature": f"t={T},v1={old_v1},v1={new_v1}"}, raw)
    # After the rotation only the new secret is configured.
    assert "no signature matches" in rejected(webhooks(sf=[SF]), "sf", signed(raw, secret=SF_OLD), raw)


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "missing Carrier-Signature header"),
        ("", "missing Carrier-Signature header"),
        ("v1=" + "a" * 64, "signature header lacks t or v1"),
        (f"t={T}", "signature header lacks t or v1"),
        (f"t={T},v1=XYZ", "malformed v1 signature"),
        (f"t={T},v1={'A' * 64}", "malformed v1 signature"),
        (f"t=-5,v1={'a' * 64}", "malformed signature timestamp"),
        (f"t={T},t={T},v1={'a' * 64}", "malformed signature timestamp"),
        (f"t={T},v1", "malformed signature header"),
        (f"t={T}," + ",".join(["v1=" + "a" * 64] * 9), "too many v1 signatures"),
    ],
)
def test_malformed_signature_headers_are_rejected(header: str | None, reason: str) -> None:
    headers = {} if header is None else {"Carrier-Signature": header}

    assert rejected(webhooks(), "sf", headers, body()) == reason


def test_the_header_given_twice_is_ambiguous() -> None:
    raw = body()
    value = signed(raw)["Carrier-Signature"]

    assert "more than once" in rejected(webhooks(), "sf", {"Carrier-Signature": value, "carrier-signature": value}, raw)


def test_an_unknown_carrier_is_rejected_before_anything_else() -> None:
    raw = body()

    assert rejected(webhooks(), "dhl", signed(raw), raw) == "unknown carrier"
    assert rejected(webhooks(), "SF", signed(raw), raw) == "unknown carrier"


def test_an_oversized_body_is_rejected() -> None:
    raw = body(description="x" * 70_000)

    assert rejected(webhooks(), "sf", signed(raw), raw) == "body too large"


def test_reasons_never_carry_secrets_or_the_body() -> None:
    raw = body(trackingNumber="SECRET-TRACKING", status="LOST")
    reasons = [
        rejected(webhooks(), "sf", signed(raw, secret=ZTO), raw),
        rejected(webhooks(), "sf", signed(raw), raw),
        rejected(webhooks(), "sf", signed(b"{not json"), b"{not json"),
    ]

    for reason in reasons:
        assert "secret-0123" not in reason and "SECRET-TRACKING" not in reason and "{not" not in reason
    assert "sf-secret" not in repr(webhooks())


def test_the_rejection_is_a_callback_rejection() -> None:
    assert issubclass(CarrierCallbackRejected, CallbackRejected)


# ---------------------------------------------------------------- the body


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"{not json", "body is not valid JSON"),
        (b"\xff\xfe{}", "body is not valid JSON"),
        (b'["evt-0001"]', "body is not a JSON object"),
        (b"", "body is not valid JSON"),
        (b"[" * 60_000, "body is not valid JSON"),
    ],
)
def test_malformed_json_is_rejected_after_the_signature(raw: bytes, reason: str) -> None:
    assert rejected(webhooks(), "sf", signed(raw), raw) == reason
    # Unsigned garbage never reaches the parser.
    assert "no signature matches" in rejected(webhooks(), "sf", signed(body()), raw)


@pytest.mark.parametrize("status", ["LOST", "delivered", "", None, 3, ["DELIVERED"]])
def test_an_unknown_status_is_rejected(status: Any) -> None:
    raw = body(status=status)

    assert rejected(webhooks(), "sf", signed(raw), raw).startswith("status is not one of SHIPPED, IN_TRANSIT")


@pytest.mark.parametrize("status", list(TrackingStatus))
def test_every_status_is_understood(status: TrackingStatus) -> None:
    raw = body(status=status.value)

    assert webhooks().verify("sf", signed(raw), raw).status is status


@pytest.mark.parametrize(
    "occurred_at",
    [
        "2026-11-22T10:00:00",  # naive
        "2026-11-22 10:00:00+08:00",  # not RFC 3339 (space)
        "2026-11-22",
        "20261122T100000Z",
        "2026-11-22T10:00+08:00",
        "2026-11-22T10:00:00+0800",
        "2026-13-22T10:00:00Z",  # no 13th month
        "2026-02-30T10:00:00Z",
        "2026-11-22T23:59:60Z",  # leap seconds are not representable
        "2026-11-22T10:00:00+24:00",
        "0001-01-01T00:00:00+01:00",  # before year 1 in UTC
        1795341600,
        None,
    ],
)
def test_a_timestamp_without_offset_or_not_rfc3339_is_rejected(occurred_at: Any) -> None:
    raw = body(occurredAt=occurred_at)

    assert rejected(webhooks(), "sf", signed(raw), raw).startswith("occurredAt")


@pytest.mark.parametrize(
    ("occurred_at", "expected"),
    [
        ("2026-11-22T09:00:00Z", datetime(2026, 11, 22, 9, 0, tzinfo=UTC)),
        ("2026-11-22t09:00:00z", datetime(2026, 11, 22, 9, 0, tzinfo=UTC)),
        ("2026-11-22T17:00:00.123456789+08:00", datetime(2026, 11, 22, 9, 0, 0, 123456, tzinfo=UTC)),
        ("2026-11-22T04:30:00.5-04:30", datetime(2026, 11, 22, 9, 0, 0, 500000, tzinfo=UTC)),
    ],
)
def test_offsets_and_fractions_are_read_exactly_and_normalised_to_utc(occurred_at: str, expected: datetime) -> None:
    raw = body(occurredAt=occurred_at)

    assert webhooks().verify("sf", signed(raw), raw).occurred_at == expected


def test_an_event_from_the_future_is_rejected_but_clock_skew_is_tolerated() -> None:
    beijing = timezone(timedelta(hours=8))
    late = body(occurredAt=(NOW + timedelta(seconds=301)).astimezone(beijing).isoformat())
    skewed = body(occurredAt=(NOW + timedelta(seconds=299)).isoformat())

    assert rejected(webhooks(), "sf", signed(late), late) == "occurredAt is in the future"
    assert webhooks().verify("sf", signed(skewed), skewed)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("eventId", ""),
        ("eventId", "e" * 129),
        ("eventId", 42),
        ("eventId", ...),
        ("eventId", "evt\n1"),
        ("trackingNumber", ""),
        ("trackingNumber", "T" * 65),
        ("trackingNumber", None),
        ("trackingNumber", ...),
        ("location", 5),
        ("location", "x" * 257),
        ("description", ["x"]),
        ("description", "x" * 2001),
        ("eventId", "\ud800"),
        ("location", "Hub \udfff"),
    ],
)
def test_fields_out_of_the_format_are_rejected(field: str, value: Any) -> None:
    raw = body(**{field: value})

    assert rejected(webhooks(), "sf", signed(raw), raw).startswith(field)


def test_optional_fields_may_be_null_empty_or_absent_and_extra_fields_are_ignored() -> None:
    raw = body(location=None, description=..., extra={"carrierCode": "x"}, eventId="e" * 128, trackingNumber="T" * 64)

    notice = webhooks().verify("sf", signed(raw), raw)

    assert (notice.location, notice.description) == (None, None)
    empty = body(location="", description="")
    assert webhooks().verify("sf", signed(empty), empty).location is None


# ---------------------------------------------------------------- construction and configuration


@pytest.mark.parametrize(
    "secrets",
    [
        {},
        {"SF": [SF]},
        {"s": [SF]},
        {"sf_1": [SF]},
        {"sf": []},
        {"sf": [b""]},
        {"sf": ["text"]},
        {"sf": SF},
    ],
)
def test_bad_configuration_is_refused_at_construction(secrets: Any) -> None:
    with pytest.raises(ValueError) as refused:
        CarrierWebhooks(secrets)
    assert "sf-secret" not in str(refused.value)


def test_the_carriers_are_listed() -> None:
    assert webhooks().carriers == frozenset({"sf", "zto"})


@pytest.fixture
def fresh_loader(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(wiring, "_adapters", wiring.Adapters())  # nothing configured
    monkeypatch.setattr(carriers, "_loaded", None)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv(carriers.SECRET_ARN_ENV, raising=False)
    yield


def test_an_injected_verifier_is_what_functions_get(fresh_loader: None) -> None:
    injected = webhooks()
    wiring.configure(wiring.Adapters(carrier_webhooks=injected))
    try:
        assert wiring.carrier_webhooks() is injected
    finally:
        wiring.reset()
    with pytest.raises(CarrierConfigError, match="OMS_CARRIER_SECRET_ARN is not set"):
        wiring.carrier_webhooks()


def test_the_verifier_is_built_once_from_the_secrets_manager_secret(
    fresh_loader: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = {"sf": SF.decode(), "zto": [ZTO.decode(), "zto-retiring"]}
    with mock_aws():
        client = boto3.client("secretsmanager", region_name="us-east-1")
        arn = client.create_secret(Name="oms/carriers", SecretString=json.dumps(secret))["ARN"]
        monkeypatch.setenv(carriers.SECRET_ARN_ENV, arn)

        built = wiring.carrier_webhooks()
        client.put_secret_value(SecretId=arn, SecretString=json.dumps({"jd": "other"}))
        again = wiring.carrier_webhooks()

    assert again is built  # read once per process
    assert built.carriers == frozenset({"sf", "zto"})
    now = datetime.now(UTC)
    raw = body(occurredAt=now.isoformat())
    assert built.verify("zto", signed(raw, b"zto-retiring", epoch_seconds(now)), raw).carrier == "zto"


def test_a_missing_or_malformed_secret_is_a_configuration_error(
    fresh_loader: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    with mock_aws():
        monkeypatch.setenv(carriers.SECRET_ARN_ENV, "arn:aws:secretsmanager:us-east-1:123456789012:secret:none")
        with pytest.raises(CarrierConfigError, match="ResourceNotFoundException"):
            wiring.carrier_webhooks()
        client = boto3.client("secretsmanager", region_name="us-east-1")
        arn = client.create_secret(Name="oms/carriers-bad", SecretString='{"sf": ["hunter2", 7]}')["ARN"]
        monkeypatch.setenv(carriers.SECRET_ARN_ENV, arn)
        with pytest.raises(CarrierConfigError) as malformed:
            wiring.carrier_webhooks()
    assert "carrier sf" in str(malformed.value) and "hunter2" not in str(malformed.value)


@pytest.mark.parametrize("text", ["nope", "[]", "{}", '{"SF": "x"}', '{"sf": ""}', '{"sf": []}', '{"sf": {"a": 1}}'])
def test_malformed_secret_json_is_refused_without_echoing_it(text: str) -> None:
    with pytest.raises(CarrierConfigError) as refused:
        secrets_from_json(text)
    assert '"a": 1' not in str(refused.value)


def test_the_secret_json_takes_one_secret_or_a_list() -> None:
    assert secrets_from_json('{"sf": "a", "zto": ["b", "c"]}') == {"sf": [b"a"], "zto": [b"b", b"c"]}


# ---------------------------------------------------------------- the local carrier sandbox


class _Receiver(BaseHTTPRequestHandler):
    """A stand-in for the callback function: verifies with the sandbox's CarrierWebhooks and records."""

    protocol_version = "HTTP/1.1"
    verifier: CarrierWebhooks
    received: list[tuple[str, dict[str, str], bytes]]
    lock = threading.Lock()

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        carrier = self.path.rsplit("/", 1)[-1]
        with self.lock:
            self.received.append((self.path, dict(self.headers.items()), raw))
        try:
            notice = self.verifier.verify(carrier, dict(self.headers.items()), raw)
            status, answer = 200, {"received": notice.event_id}
        except CarrierCallbackRejected as error:
            status, answer = 400, {"error": error.reason}
        payload = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[CarrierSandbox, list[tuple[str, dict[str, str], bytes]]]]:
    received: list[tuple[str, dict[str, str], bytes]] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.daemon_threads = True
    sandbox = CarrierSandbox(f"http://127.0.0.1:{server.server_address[1]}/")
    _Receiver.verifier = sandbox.webhooks()
    _Receiver.received = received
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield sandbox, received
    finally:
        server.shutdown()
        server.server_close()


def test_the_sandbox_signs_what_its_webhooks_accept_for_each_carrier() -> None:
    sandbox = CarrierSandbox("http://127.0.0.1:1", clock=lambda: NOW)

    for carrier in CARRIERS:
        notice = sandbox.notice(carrier, "TN-1", TrackingStatus.DELIVERED, location="Locker 4")
        verified = sandbox.webhooks().verify(carrier, notice.headers, notice.body)
        assert (verified.carrier, verified.status, verified.location, verified.occurred_at) == (
            carrier,
            TrackingStatus.DELIVERED,
            "Locker 4",
            NOW,
        )
        assert notice.url == f"http://127.0.0.1:1/callbacks/carriers/{carrier}"
    assert sandbox.carriers == CARRIERS
    assert len({sandbox.secret(carrier) for carrier in CARRIERS}) == 4  # one secret per carrier
    assert len(sandbox.secret("sf")) == 32
    assert CarrierSandbox("http://x").secret("sf") != sandbox.secret("sf")  # fresh at every start


def test_the_sandbox_delivers_the_same_signed_notice_each_time(
    receiver: tuple[CarrierSandbox, list[tuple[str, dict[str, str], bytes]]],
) -> None:
    sandbox, received = receiver

    result = sandbox.send("zto", "ZTO778", "SHIPPED", times=3)

    assert result["carrier"] == "zto" and result["eventId"].startswith("evt-")
    assert result["deliveries"] == [{"status": 200, "body": json.dumps({"received": result["eventId"]})}] * 3
    assert [path for path, _, _ in received] == ["/callbacks/carriers/zto"] * 3
    assert len({(headers["Carrier-Signature"], raw) for _, headers, raw in received}) == 1
    assert all(headers["Content-Type"] == "application/json" for _, headers, _ in received)
    assert json.loads(result["notice"]["body"])["trackingNumber"] == "ZTO778"


def test_the_sandbox_can_deliver_copies_at_once(
    receiver: tuple[CarrierSandbox, list[tuple[str, dict[str, str], bytes]]],
) -> None:
    sandbox, received = receiver

    result = sandbox.send("jd", "JD1", "IN_TRANSIT", times=6, concurrent=True)

    assert [d["status"] for d in result["deliveries"]] == [200] * 6
    assert len(received) == 6


def test_the_sandbox_resends_an_older_event_with_its_own_id_and_time(
    receiver: tuple[CarrierSandbox, list[tuple[str, dict[str, str], bytes]]],
) -> None:
    sandbox, received = receiver
    earlier = datetime.now(UTC) - timedelta(days=2)

    result = sandbox.send("ems", "EMS9", "SHIPPED", event_id="evt-early", occurred_at=earlier, description="Picked up")

    assert result["eventId"] == "evt-early" and result["deliveries"][0]["status"] == 200
    notice = sandbox.webhooks().verify("ems", received[0][1], received[0][2])
    assert notice.event_id == "evt-early" and abs(notice.occurred_at - earlier) < timedelta(milliseconds=1)
    assert notice.description == "Picked up"


def test_a_tampered_notice_is_refused_by_the_receiver(
    receiver: tuple[CarrierSandbox, list[tuple[str, dict[str, str], bytes]]],
) -> None:
    sandbox, received = receiver

    result = sandbox.send("sf", "SF1", "IN_TRANSIT", tamper=True)

    assert result["deliveries"] == [
        {"status": 400, "body": json.dumps({"error": "no signature matches a secret of this carrier"})}
    ]
    assert json.loads(received[0][2])["status"] == "DELIVERED"  # the forger's change


def test_the_sandbox_can_send_what_a_broken_carrier_would() -> None:
    sandbox = CarrierSandbox("http://127.0.0.1:1")
    hooks = sandbox.webhooks()

    naive = sandbox.notice("sf", "SF1", "DELIVERED", occurred_at="2026-11-22T10:00:00")
    unknown = sandbox.notice("sf", "SF1", "LOST")
    expired = sandbox.notice("sf", "SF1", "DELIVERED", signed_at=epoch_seconds(datetime.now(UTC)) - 600)

    assert rejected(hooks, "sf", naive.headers, naive.body).startswith("occurredAt")
    assert rejected(hooks, "sf", unknown.headers, unknown.body).startswith("status")
    assert rejected(hooks, "sf", expired.headers, expired.body) == "signature timestamp outside the tolerance"
    with pytest.raises(LookupError):
        sandbox.notice("dhl", "X", "DELIVERED")
    with pytest.raises(ValueError):
        sandbox.notice("sf", "X", "DELIVERED", occurred_at=datetime(2026, 1, 1))
    with pytest.raises(ValueError):
        sandbox.deliver(naive, times=21)
