"""The warehouse (WMS) gateway: release child orders for picking, intercept one before it ships.

The order system tells the warehouse which child orders to pick (`release`) and, when a shopper cancels
before shipment, asks it to stop one (`intercept`). Both are idempotent by child order id: a retry after a
lost answer changes nothing and gets the same outcome. An interception fails (`intercepted=False`) once
the parcel has left the warehouse ("already handed to the carrier"); the caller then refuses the cancel.
`WarehouseUnavailable` means the outcome is unknown (unreachable, timeout, 5xx, an unreadable answer) or
nothing is configured: the caller refuses the cancel with a retryable 503.

Over HTTP (`HttpWarehouse`), to the WMS at `OMS_WAREHOUSE_URL`:

    POST {base}/releases       {"childOrderId": "...", ...payload}    → 2xx (answer ignored)
    POST {base}/interceptions  {"childOrderId": "..."}                → 2xx {"intercepted": bool, "reason": str|null}

with `Content-Type: application/json`, `Idempotency-Key: <child order id>` and
`Warehouse-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`, the secret being
the plain-string Secrets Manager secret named by `OMS_WAREHOUSE_SECRET_ARN`. Answers are not signed.
Timeouts are 5 s; https only (plain http only to a loopback address, for local testing).

Functions obtain the gateway with `oms.wiring.warehouse()`: the one the local stack or a test configured
in `oms.wiring.Adapters` (the local stack's sandbox warehouse), else `warehouse_from_environment()`, an
`HttpWarehouse` built from the environment (rebuilt when the secret's value changes). Call it per request
rather than at import time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from http.client import HTTPException
from typing import Any, Protocol
from urllib.parse import urlsplit

from oms.adapters.providers import UrllibTransport, json_bytes
from oms.adapters.providers.base import ProviderError, Transport
from oms.adapters.secrets import SecretUnreadable, read_secret_string
from oms.domain.clock import epoch_seconds, utcnow

SIGNATURE_HEADER = "Warehouse-Signature"
TIMEOUT_SECONDS = 5.0
MAX_ANSWER_BYTES = 64 * 1024
URL_ENV = "OMS_WAREHOUSE_URL"
SECRET_ARN_ENV = "OMS_WAREHOUSE_SECRET_ARN"
HANDED_OVER = "already handed to the carrier"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

_CHILD_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_RETRYABLE_STATUS = frozenset({408, 425, 429})

Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class InterceptResult:
    intercepted: bool
    reason: str | None  # why not, e.g. "already handed to the carrier"; None when intercepted


class WarehouseUnavailable(Exception):
    """No trustworthy answer from the warehouse (or none configured): the outcome is unknown, so the
    caller refuses the cancel with a retryable 503. `retryable` is False when retrying cannot help until
    someone fixes the configuration (no URL, refused credentials, a 4xx). `reason` is safe to log."""

    def __init__(self, reason: str, *, retryable: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


class WarehouseGateway(Protocol):
    def release(self, child_order_id: str, payload: Mapping[str, Any]) -> None:
        """Tell the warehouse to pick and pack this child order; idempotent by child id. Raises
        WarehouseUnavailable."""
        ...

    def intercept(self, child_order_id: str) -> InterceptResult:
        """Ask the warehouse to stop this child order; idempotent by child id. Raises WarehouseUnavailable."""
        ...


def sign_warehouse_request(secret: bytes, raw_body: bytes, timestamp: int) -> str:
    """The `Warehouse-Signature` header value for `raw_body` sent at `timestamp` (unix seconds)."""
    digest = hmac.new(secret, f"{timestamp}.".encode("ascii") + raw_body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def check_child_order_id(child_order_id: str) -> str:
    """Child ids travel in a header and a URL path: 1-128 of `A-Z a-z 0-9 . _ : -` (ValueError otherwise)."""
    if not isinstance(child_order_id, str) or not _CHILD_ID.fullmatch(child_order_id):
        raise ValueError("child order id must be 1-128 characters of A-Z, a-z, 0-9, '.', '_', ':', '-'")
    return child_order_id


def release_document(child_order_id: str, payload: Mapping[str, Any]) -> bytes:
    """The JSON body of a release: the payload with `childOrderId` (which it may repeat, not contradict).
    TypeError when the payload is not JSON (e.g. Decimal): convert amounts to minor units first."""
    check_child_order_id(child_order_id)
    given = payload.get("childOrderId", child_order_id)
    if given != child_order_id:
        raise ValueError("the payload's childOrderId is another child order")
    return json_bytes({**payload, "childOrderId": child_order_id})


# ---------------------------------------------------------------- over HTTP


class HttpWarehouse(WarehouseGateway):
    def __init__(
        self,
        base_url: str,
        secret: bytes,
        transport: Transport | None = None,
        *,
        timeout: float = TIMEOUT_SECONDS,
        clock: Clock = utcnow,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise ValueError("the warehouse base URL must be an http(s) URL without query or fragment")
        if not isinstance(secret, bytes) or not secret:
            raise ValueError("the warehouse secret must be non-empty bytes")
        self.base_url = base_url.rstrip("/")
        self._secret = secret
        self._transport: Transport = transport or UrllibTransport(
            timeout=timeout, max_response_bytes=MAX_ANSWER_BYTES, plain_http_hosts=LOOPBACK_HOSTS
        )
        self._clock = clock

    def __repr__(self) -> str:
        return f"HttpWarehouse(base_url={self.base_url!r})"

    def release(self, child_order_id: str, payload: Mapping[str, Any]) -> None:
        self._post("/releases", child_order_id, release_document(child_order_id, payload))

    def intercept(self, child_order_id: str) -> InterceptResult:
        check_child_order_id(child_order_id)
        raw = self._post("/interceptions", child_order_id, json_bytes({"childOrderId": child_order_id}))
        try:
            answer = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise WarehouseUnavailable("warehouse interception answered with malformed JSON") from None
        if not isinstance(answer, dict):
            raise WarehouseUnavailable("warehouse interception answer is not a JSON object")
        intercepted, reason = answer.get("intercepted"), answer.get("reason")
        if not isinstance(intercepted, bool) or not (reason is None or isinstance(reason, str)):
            raise WarehouseUnavailable("warehouse interception answer lacks intercepted (bool) / reason (str|null)")
        if intercepted:
            return InterceptResult(True, None)
        return InterceptResult(False, reason[:200] if reason else None)

    def _post(self, path: str, child_order_id: str, body: bytes) -> bytes:
        what = f"warehouse {path.strip('/')}"
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Idempotency-Key": child_order_id,
            SIGNATURE_HEADER: sign_warehouse_request(self._secret, body, epoch_seconds(self._clock())),
        }
        try:
            status, _headers, raw = self._transport.send("POST", self.base_url + path, headers, body)
        except ProviderError as error:
            raise WarehouseUnavailable(f"{what}: {error.reason}", retryable=error.retryable) from None
        except (OSError, HTTPException) as error:
            raise WarehouseUnavailable(f"{what}: {type(error).__name__}") from None
        if status >= 500 or status in _RETRYABLE_STATUS:
            raise WarehouseUnavailable(f"{what} answered HTTP {status}")
        if not 200 <= status < 300:
            raise WarehouseUnavailable(f"{what} refused the request (HTTP {status})", retryable=False)
        return raw


# ---------------------------------------------------------------- what functions use

_lock = threading.Lock()
_loaded: tuple[tuple[str, str, bytes], HttpWarehouse] | None = None  # ((url, secret ARN, secret), gateway)


def warehouse_from_environment() -> WarehouseGateway:
    """An HttpWarehouse for OMS_WAREHOUSE_URL with the secret named by OMS_WAREHOUSE_SECRET_ARN (rebuilt
    when the secret's value changes; cached for max_age). WarehouseUnavailable when nothing is configured."""
    global _loaded
    with _lock:
        url = os.environ.get(URL_ENV, "").strip()
        if not url:
            raise WarehouseUnavailable("no warehouse configured", retryable=False)
        arn = os.environ.get(SECRET_ARN_ENV, "").strip()
        if not arn:
            raise WarehouseUnavailable(f"{SECRET_ARN_ENV} is not set", retryable=False)
        secret = _read_secret(arn)  # cached for max_age, then read again: a rotation needs no cold start
        if _loaded is None or _loaded[0] != (url, arn, secret):
            try:
                gateway = HttpWarehouse(url, secret)
            except ValueError as error:
                raise WarehouseUnavailable(f"{URL_ENV}: {error}", retryable=False) from None
            _loaded = ((url, arn, secret), gateway)
        return _loaded[1]


def _read_secret(arn: str) -> bytes:
    try:
        return read_secret_string(arn).encode("utf-8")
    except SecretUnreadable as error:
        raise WarehouseUnavailable(f"cannot read the warehouse secret: {error}", retryable=False) from None
