"""The local carriers: they sign tracking notices as a real carrier would and post them to the API.

`CarrierSandbox` holds one HMAC secret per carrier (generated at start, never written anywhere), builds
notices in the "OMS carrier webhook v1" format (`oms.adapters.carriers`), signs them with
`Carrier-Signature`, and delivers them by HTTP POST to `<base_url>/callbacks/carriers/<carrier>`, returning
what the API answered. The local stack injects the matching `CarrierWebhooks` into the functions
(`oms.wiring.Adapters.carrier_webhooks`), so what the sandbox signs is what the callback function verifies.

Delivery options, for the cases carriers produce in real life: `times` (a retry re-sends the same signed
notice), `concurrent` (the copies arrive at once), `event_id` / `occurred_at` (re-send an earlier event, or
an older one arriving late), and, for negative tests, `tamper` (the body is changed after signing) and
`signed_at` (a signature timestamp outside the replay window).
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from secrets import token_bytes, token_hex
from typing import Any

from oms.adapters.carriers import CARRIER_CODE, SIGNATURE_HEADER, CarrierWebhooks, sign_carrier_notice
from oms.adapters.providers import json_bytes
from oms.domain.clock import epoch_seconds, to_rfc3339, utcnow
from oms.domain.fulfilment import TrackingStatus

CARRIERS = ("sf", "zto", "jd", "ems")
CALLBACK_PREFIX = "/callbacks/carriers"
SECRET_BYTES = 32
MAX_TIMES = 20

Clock = Callable[[], datetime]


def generate_carrier_secrets(carriers: Sequence[str] = CARRIERS) -> dict[str, bytes]:
    """A fresh random secret (32 bytes) per carrier."""
    return {carrier: token_bytes(SECRET_BYTES) for carrier in carriers}


@dataclass(frozen=True)
class SignedNotice:
    """One tracking notice exactly as the carrier sends it: POST `body` with `headers` to `url`."""

    carrier: str
    url: str
    headers: dict[str, str]
    body: bytes
    event_id: str

    def as_json(self) -> dict[str, Any]:
        return {"url": self.url, "headers": dict(self.headers), "body": self.body.decode("utf-8")}


class CarrierSandbox:
    def __init__(
        self,
        base_url: str,
        carriers: Sequence[str] = CARRIERS,
        *,
        keys: Mapping[str, bytes] | None = None,
        clock: Clock = utcnow,
        timeout: float = 30.0,
    ) -> None:
        """`keys` shares secrets with another sandbox (stacks in one process); default: fresh ones."""
        chosen = dict(keys) if keys is not None else generate_carrier_secrets(carriers)
        for carrier in carriers:
            if not CARRIER_CODE.fullmatch(carrier):
                raise ValueError(f"carrier code {carrier!r} is not [a-z0-9-]{{2,20}}")
            if not chosen.get(carrier):
                raise ValueError(f"no secret for carrier {carrier}")
        self.base_url = base_url.rstrip("/")
        self._keys = {carrier: chosen[carrier] for carrier in carriers}
        self._clock = clock
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"CarrierSandbox(base_url={self.base_url!r}, carriers={self.carriers!r})"

    @property
    def carriers(self) -> tuple[str, ...]:
        return tuple(self._keys)

    def secret(self, carrier: str) -> bytes:
        try:
            return self._keys[carrier]
        except KeyError:
            raise LookupError(f"the carrier sandbox has no carrier {carrier!r}") from None

    def webhooks(self, clock: Clock | None = None) -> CarrierWebhooks:
        """The verifier that accepts what this sandbox signs (what the local stack injects)."""
        return CarrierWebhooks({carrier: [key] for carrier, key in self._keys.items()}, clock or self._clock)

    def url(self, carrier: str) -> str:
        self.secret(carrier)
        return f"{self.base_url}{CALLBACK_PREFIX}/{carrier}"

    def notice(
        self,
        carrier: str,
        tracking_number: str,
        status: TrackingStatus | str,
        *,
        occurred_at: datetime | str | None = None,
        event_id: str | None = None,
        location: str | None = None,
        description: str | None = None,
        signed_at: int | None = None,
        tamper: bool = False,
    ) -> SignedNotice:
        """Build and sign one notice. `status` and a string `occurred_at` are sent as given (so tests can
        send what a broken carrier would); `tamper` changes the status after signing (a forgery)."""
        secret = self.secret(carrier)
        now = self._clock()
        if isinstance(occurred_at, datetime):
            if occurred_at.tzinfo is None:
                raise ValueError("occurred_at must be timezone-aware")
            moment = to_rfc3339(occurred_at)
        else:
            moment = occurred_at if occurred_at is not None else to_rfc3339(now)
        event = {
            "eventId": event_id if event_id is not None else f"evt-{token_hex(12)}",
            "trackingNumber": tracking_number,
            "status": str(status),
            "occurredAt": moment,
            "location": location,
            "description": description,
        }
        body = json_bytes(event)
        signature = sign_carrier_notice(secret, body, signed_at if signed_at is not None else epoch_seconds(now))
        if tamper:
            delivered = TrackingStatus.DELIVERED.value
            body = json_bytes({**event, "status": "RETURNED" if event["status"] == delivered else delivered})
        return SignedNotice(carrier, self.url(carrier), {SIGNATURE_HEADER: signature}, body, str(event["eventId"]))

    def deliver(self, notice: SignedNotice, *, times: int = 1, concurrent: bool = False) -> list[dict[str, Any]]:
        """POST the same notice `times` times (a carrier's retries), one after another or all at once;
        each answer as `{"status", "body"}`. Network failures raise OSError."""
        if not 1 <= times <= MAX_TIMES:
            raise ValueError(f"times must be between 1 and {MAX_TIMES}")
        start = threading.Barrier(times) if concurrent and times > 1 else None

        def post(_: int) -> dict[str, Any]:
            request = urllib.request.Request(
                notice.url,
                data=notice.body,
                headers={**notice.headers, "Content-Type": "application/json"},
                method="POST",
            )
            if start is not None:
                start.wait(timeout=self._timeout)
            try:
                with urllib.request.urlopen(request, timeout=self._timeout) as response:
                    return {"status": response.status, "body": response.read().decode(errors="replace")}
            except urllib.error.HTTPError as error:
                try:
                    return {"status": error.code, "body": error.read().decode(errors="replace")}
                finally:
                    error.close()

        if start is not None:
            with ThreadPoolExecutor(max_workers=times) as pool:
                return list(pool.map(post, range(times)))
        return [post(n) for n in range(times)]

    def send(
        self,
        carrier: str,
        tracking_number: str,
        status: TrackingStatus | str,
        *,
        occurred_at: datetime | str | None = None,
        event_id: str | None = None,
        location: str | None = None,
        description: str | None = None,
        times: int = 1,
        concurrent: bool = False,
        tamper: bool = False,
    ) -> dict[str, Any]:
        """Build, sign and deliver a notice: `{"carrier", "eventId", "notice", "deliveries": [...]}`."""
        notice = self.notice(
            carrier,
            tracking_number,
            status,
            occurred_at=occurred_at,
            event_id=event_id,
            location=location,
            description=description,
            tamper=tamper,
        )
        deliveries = self.deliver(notice, times=times, concurrent=concurrent)
        return {"carrier": carrier, "eventId": notice.event_id, "notice": notice.as_json(), "deliveries": deliveries}
