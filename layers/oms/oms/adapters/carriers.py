"""Carrier tracking webhooks: "OMS carrier webhook v1".

Every carrier we integrate posts tracking events to `POST /callbacks/carriers/<carrier>` in one format of
ours (carrier codes are lower case `[a-z0-9-]{2,20}`: `sf`, `zto`, `jd`, `ems`, ...).

Body: one JSON object, UTF-8, at most 64 KiB::

    {
      "eventId": "evt-0001",                      # 1-128 characters: the carrier's id of this event
      "trackingNumber": "SF1234567890",           # 1-64 characters
      "status": "IN_TRANSIT",                     # SHIPPED | IN_TRANSIT | DELIVERED | EXCEPTION | RETURNED
      "occurredAt": "2026-11-22T10:00:00+08:00",  # RFC 3339 with a UTC offset (Z or +hh:mm)
      "location": "Shanghai hub",                 # string or null (optional, at most 256 characters)
      "description": "Departed sorting centre"    # string or null (optional, at most 2000 characters)
    }

Identifiers may not contain control characters; other fields are ignored (so carriers may send more); an
empty location or description reads as null; `occurredAt` may not lie more than 300 s in the future.

Header: `Carrier-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>...]`, each v1 being
HMAC-SHA256(the carrier's secret, "<t>.<raw body>") in lower-case hex. Each carrier has its own secrets;
during a rotation several are configured (and a carrier may send one v1 per secret): any match passes.
A `t` more than 300 s away from our clock is refused (replay window). Within the window the same
notice may arrive again (carriers retry): deduplicating by (carrier, eventId) is the caller's job.

Verification order: known carrier, size, signature over the raw bytes, and only then the JSON.
`CarrierCallbackRejected` (a `CallbackRejected`, so `.reason` is safe to log) means: refuse the callback
with a 4xx and change nothing. Functions obtain the verifier with `oms.wiring.carrier_webhooks()`: the one
the local stack or a test configured in `oms.wiring.Adapters`, else `carrier_webhooks_from_environment()`,
built from the Secrets Manager secret named by `OMS_CARRIER_SECRET_ARN` (JSON
`{"<carrier>": "<secret>" | ["<secret>", ...]}`), read through the powertools cache (`oms.adapters.secrets`,
max_age).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from oms.adapters.providers import header
from oms.adapters.providers.base import CallbackRejected
from oms.adapters.providers.credentials import parse_timestamped_signature
from oms.adapters.secrets import SecretUnreadable, read_secret_string
from oms.domain.clock import epoch_seconds, utcnow
from oms.domain.fulfilment import TrackingStatus

SIGNATURE_HEADER = "Carrier-Signature"
TOLERANCE_SECONDS = 300
MAX_BODY_BYTES = 64 * 1024
MAX_SIGNATURES = 8  # v1 values in one header; more is not a rotation but an attempt to guess
SECRET_ARN_ENV = "OMS_CARRIER_SECRET_ARN"

CARRIER_CODE = re.compile(r"[a-z0-9-]{2,20}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_RFC3339 = re.compile(
    r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})[Tt](?P<time>[0-9]{2}:[0-9]{2}:[0-9]{2})"
    r"(?:\.(?P<fraction>[0-9]{1,9}))?(?P<offset>[Zz]|[+-][0-9]{2}:[0-9]{2})"
)
_LIMITS = {"eventId": 128, "trackingNumber": 64, "location": 256, "description": 2000}

Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class TrackingNotice:
    """A verified carrier event, in our terms. `occurred_at` is aware and in UTC."""

    carrier: str
    event_id: str
    tracking_number: str
    status: TrackingStatus
    occurred_at: datetime
    location: str | None
    description: str | None


_STATUSES = frozenset(status.value for status in TrackingStatus)


class CarrierCallbackRejected(CallbackRejected):
    """The carrier callback is not authentic or not well-formed: refuse it (4xx) and change nothing.
    `reason` is short and safe to log (never contains secrets or the body)."""


class CarrierConfigError(Exception):
    """The carrier secrets are not configured or malformed. The message names variables and carriers,
    never secret values. Functions let it fail the request (5xx), so carriers retry later."""


def sign_carrier_notice(secret: bytes, raw_body: bytes, timestamp: int) -> str:
    """The `Carrier-Signature` header value for `raw_body` sent at `timestamp` (unix seconds)."""
    return f"t={timestamp},v1={_digest(secret, timestamp, raw_body)}"


def _digest(secret: bytes, timestamp: int, raw_body: bytes) -> str:
    return hmac.new(secret, f"{timestamp}.".encode("ascii") + raw_body, hashlib.sha256).hexdigest()


def parse_carrier_signature(value: str) -> tuple[int, list[str]]:
    """(t, [v1, ...]) from `t=...,v1=...[,v1=...]`; other schemes are ignored; ValueError if malformed."""
    return parse_timestamped_signature(value, MAX_SIGNATURES)


class CarrierWebhooks:
    """Verifies carrier callbacks against each carrier's secrets (several during a rotation)."""

    def __init__(self, secrets: Mapping[str, Sequence[bytes]], clock: Clock = utcnow) -> None:
        keyring: dict[str, tuple[bytes, ...]] = {}
        for carrier, values in secrets.items():
            if not isinstance(carrier, str) or not CARRIER_CODE.fullmatch(carrier):
                raise ValueError(f"carrier code {carrier!r} is not [a-z0-9-]{{2,20}}")
            if isinstance(values, bytes | str):
                raise ValueError(f"carrier {carrier}: give a sequence of secrets, not one value")
            chosen = tuple(values)
            if not chosen or not all(isinstance(secret, bytes) and secret for secret in chosen):
                raise ValueError(f"carrier {carrier}: secrets must be a non-empty sequence of non-empty bytes")
            keyring[carrier] = chosen
        if not keyring:
            raise ValueError("no carrier is configured")
        self._secrets = keyring
        self._clock = clock

    def __repr__(self) -> str:
        return f"CarrierWebhooks(carriers={sorted(self._secrets)!r})"

    @property
    def carriers(self) -> frozenset[str]:
        return frozenset(self._secrets)

    def verify(self, carrier: str, headers: Mapping[str, str], raw_body: bytes) -> TrackingNotice:
        """Authenticate `raw_body` for `carrier`, then parse it. Raises CarrierCallbackRejected."""
        secrets = self._secrets.get(carrier)
        if secrets is None:
            raise CarrierCallbackRejected("unknown carrier")
        if len(raw_body) > MAX_BODY_BYTES:
            raise CarrierCallbackRejected("body too large")
        try:
            self._check_signature(secrets, headers, raw_body)
            return _notice(carrier, raw_body, self._clock())
        except ValueError as error:
            raise CarrierCallbackRejected(str(error)) from None

    def _check_signature(self, secrets: tuple[bytes, ...], headers: Mapping[str, str], raw_body: bytes) -> None:
        value = header(headers, SIGNATURE_HEADER)
        if not value:
            raise ValueError(f"missing {SIGNATURE_HEADER} header")
        timestamp, given = parse_carrier_signature(value)
        if abs(epoch_seconds(self._clock()) - timestamp) > TOLERANCE_SECONDS:
            raise ValueError("signature timestamp outside the tolerance")
        matched = False
        for secret in secrets:  # every pair is compared: the time taken says nothing about which matched
            expected = _digest(secret, timestamp, raw_body).encode("ascii")
            for candidate in given:
                matched |= hmac.compare_digest(expected, candidate.encode("ascii"))
        if not matched:
            raise ValueError("no signature matches a secret of this carrier")


def _notice(carrier: str, raw_body: bytes, now: datetime) -> TrackingNotice:
    try:
        event = json.loads(raw_body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise ValueError("body is not valid JSON") from None
    if not isinstance(event, dict):
        raise ValueError("body is not a JSON object")
    status = event.get("status")
    if not isinstance(status, str) or status not in _STATUSES:
        raise ValueError("status is not one of " + ", ".join(TrackingStatus))
    occurred_at = _occurred_at(event.get("occurredAt"))
    if occurred_at > now + timedelta(seconds=TOLERANCE_SECONDS):
        raise ValueError("occurredAt is in the future")
    return TrackingNotice(
        carrier=carrier,
        event_id=_identifier(event, "eventId"),
        tracking_number=_identifier(event, "trackingNumber"),
        status=TrackingStatus(status),
        occurred_at=occurred_at,
        location=_optional_text(event, "location"),
        description=_optional_text(event, "description"),
    )


def _identifier(event: Mapping[str, Any], name: str) -> str:
    value = event.get(name)
    if not isinstance(value, str) or not 1 <= len(value) <= _LIMITS[name]:
        raise ValueError(f"{name} must be a string of 1-{_LIMITS[name]} characters")
    if _CONTROL.search(value):
        raise ValueError(f"{name} contains control characters")
    return _unicode(value, name)


def _optional_text(event: Mapping[str, Any], name: str) -> str | None:
    value = event.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > _LIMITS[name]:
        raise ValueError(f"{name} must be null or a string of at most {_LIMITS[name]} characters")
    return _unicode(value, name)


def _unicode(value: str, name: str) -> str:
    """JSON may carry lone surrogates ("\\ud800"), which no store or log can encode."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{name} is not valid Unicode") from None
    return value


def _occurred_at(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError("occurredAt must be an RFC 3339 timestamp")
    match = _RFC3339.fullmatch(value)
    if match is None:
        raise ValueError("occurredAt must be an RFC 3339 timestamp with a UTC offset")
    fraction = (match.group("fraction") or "0")[:6].ljust(6, "0")
    offset = match.group("offset").upper().replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(f"{match.group('date')}T{match.group('time')}.{fraction}{offset}")
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):  # 13th month, 24:00 offset, a UTC time outside years 1-9999, ...
        raise ValueError("occurredAt is not a valid date and time") from None


# ---------------------------------------------------------------- what functions use

_lock = threading.Lock()
_loaded: tuple[tuple[str, str], CarrierWebhooks] | None = None  # ((secret ARN, its value), verifier built from it)


def carrier_webhooks_from_environment() -> CarrierWebhooks:
    """The verifier built from the secret named by OMS_CARRIER_SECRET_ARN (rebuilt when the secret's value
    changes; `oms.adapters.secrets` caches it for max_age). Raises CarrierConfigError when nothing is
    configured or the secret is malformed."""
    global _loaded
    with _lock:
        arn = os.environ.get(SECRET_ARN_ENV, "").strip()
        if not arn:
            raise CarrierConfigError(f"{SECRET_ARN_ENV} is not set: no carrier secrets configured")
        text = _read_secret(arn)  # cached for max_age, then read again: a rotation needs no cold start
        if _loaded is None or _loaded[0] != (arn, text):
            _loaded = ((arn, text), CarrierWebhooks(secrets_from_json(text)))
        return _loaded[1]


def secrets_from_json(text: str) -> dict[str, list[bytes]]:
    """`{"sf": "s1", "zto": ["new", "old"]}` → {"sf": [b"s1"], "zto": [b"new", b"old"]}; CarrierConfigError
    (naming the carrier, never the value) when malformed."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        raise CarrierConfigError(f"the secret named by {SECRET_ARN_ENV} is not valid JSON") from None
    if not isinstance(data, dict) or not data:
        raise CarrierConfigError(f"the secret named by {SECRET_ARN_ENV} must be a non-empty JSON object")
    result: dict[str, list[bytes]] = {}
    for carrier, value in data.items():
        values = [value] if isinstance(value, str) else value
        if not CARRIER_CODE.fullmatch(carrier):
            raise CarrierConfigError(f"carrier key {carrier[:24]!r} is not [a-z0-9-]{{2,20}}")
        if not isinstance(values, list) or not values or not all(isinstance(v, str) and v for v in values):
            raise CarrierConfigError(f"carrier {carrier}: the secret must be a string or a non-empty list of strings")
        result[carrier] = [v.encode("utf-8") for v in values]
    return result


def _read_secret(arn: str) -> str:
    try:
        return read_secret_string(arn)
    except SecretUnreadable as error:
        raise CarrierConfigError(f"cannot read the secret named by {SECRET_ARN_ENV}: {error}") from None
