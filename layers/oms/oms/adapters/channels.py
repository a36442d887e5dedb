"""Sales channels' side of the wire: the signature of a channel's order callbacks, and the gateway that
asks a channel for a store's account and balance ("sync channel info").

Callbacks: `POST /callbacks/channels/{storeId}` with `Channel-Signature: t=<unix seconds>,v1=<hex
HMAC-SHA256(secret, "<t>.<raw body>")>`, the secret being the store's callback secret (generated when the
store is created, shown once, sealed at rest). A timestamp more than `TOLERANCE_SECONDS` away is refused,
so a captured callback cannot be replayed later; within the window a replay is harmless (the channel order
number deduplicates it).

The gateway (`ChannelGateway`): over HTTP (`HttpChannelGateway`) to the channel connector at
`OMS_CHANNEL_URL`, `POST {base}/accounts {"storeId", "channelType", "connectedAccount"}` signed the same way
with the store's secret, answering `{"account": str, "balance": {"amount": int, "currency": str}}`; locally
the stack's sandbox channel (oms_local.oms.channel_sandbox) is given in `oms.wiring.Adapters.channels`.
`ChannelUnavailable`: the outcome is unknown or nothing is configured (the sync answers 503)."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from oms.adapters.providers import header
from oms.adapters.providers.credentials import parse_timestamped_signature
from oms.domain.clock import epoch_seconds
from oms.domain.money import Money

SIGNATURE_HEADER = "Channel-Signature"
TOLERANCE_SECONDS = 300
MAX_BODY_BYTES = 256 * 1024
URL_ENV = "OMS_CHANNEL_URL"
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


class ChannelCallbackRejected(Exception):
    """The callback is not the channel's (no or a bad signature, a stale timestamp, too large)."""


class ChannelUnavailable(Exception):
    """The channel did not answer usably (or no channel connector is configured)."""


@dataclass(frozen=True)
class ChannelAccount:
    account: str
    balance: Money


class ChannelGateway(Protocol):
    def account(self, store_id: str, channel_type: str, connected_account: str | None, secret: str) -> ChannelAccount:
        """The channel's view of the store: its connected account and the balance it holds for us."""


def sign_channel_body(secret: str, raw_body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + raw_body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_channel_callback(secret: str, headers: Mapping[str, str], raw_body: bytes, now: datetime) -> None:
    """Raises ChannelCallbackRejected unless `raw_body` carries a fresh signature by `secret`."""
    if len(raw_body) > MAX_BODY_BYTES:
        raise ChannelCallbackRejected("body too large")
    try:
        value = header(headers, SIGNATURE_HEADER)
        if not value:
            raise ChannelCallbackRejected(f"missing {SIGNATURE_HEADER} header")
        timestamp, given = parse_timestamped_signature(value, 4)
    except ValueError as error:
        raise ChannelCallbackRejected(str(error)) from None
    if abs(epoch_seconds(now) - timestamp) > TOLERANCE_SECONDS:
        raise ChannelCallbackRejected("signature timestamp outside the tolerance")
    expected = sign_channel_body(secret, raw_body, timestamp).split("v1=", 1)[1].encode()
    matched = False
    for candidate in given:
        matched |= hmac.compare_digest(expected, candidate.encode())
    if not matched:
        raise ChannelCallbackRejected("signature does not match")


class HttpChannelGateway:
    """The channel connector over HTTPS (plain http only to a loopback address, for local testing)."""

    def __init__(self, base_url: str) -> None:
        from urllib.parse import urlsplit

        parts = urlsplit(base_url)
        loopback = parts.hostname in LOOPBACK
        if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
            raise ValueError("the channel connector is https")
        self.base_url = base_url.rstrip("/")

    def account(self, store_id: str, channel_type: str, connected_account: str | None, secret: str) -> ChannelAccount:
        from oms.adapters.providers import UrllibTransport
        from oms.adapters.providers.base import ProviderError
        from oms.domain.clock import utcnow

        body = json.dumps(
            {"storeId": store_id, "channelType": channel_type, "connectedAccount": connected_account},
            separators=(",", ":"),
        ).encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign_channel_body(secret, body, epoch_seconds(utcnow())),
        }
        try:
            status, _headers, raw = UrllibTransport(timeout=5.0, plain_http_hosts=LOOPBACK).send(
                "POST", self.base_url + "/accounts", headers, body
            )
        except (ProviderError, OSError) as error:
            raise ChannelUnavailable(f"the channel did not answer ({type(error).__name__})") from None
        if not 200 <= status < 300:
            raise ChannelUnavailable(f"the channel answered HTTP {status}")
        try:
            data = json.loads(raw)
            balance = data["balance"]
            return ChannelAccount(str(data["account"]), Money(int(balance["amount"]), str(balance["currency"])))
        except (ValueError, KeyError, TypeError):
            raise ChannelUnavailable("the channel's answer is not {account, balance}") from None


def gateway_from_environment() -> ChannelGateway:
    url = os.environ.get(URL_ENV, "").strip()
    if not url:
        raise ChannelUnavailable("no channel connector is configured (OMS_CHANNEL_URL)")
    return HttpChannelGateway(url)
