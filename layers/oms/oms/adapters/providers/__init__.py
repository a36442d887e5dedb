"""Payment provider adapters: one module per provider, built from configuration by `provider_for`.

Adapters are imported lazily by `provider_for` (and `cryptography` lazily inside them), so a function that
handles one provider's callback loads only that adapter. The helpers here (amount strings, header lookup,
JSON) are shared by the adapters and the sandbox.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from oms.adapters.providers.base import CallbackRejected, CallbackStale, PaymentProvider, ProviderError, Transport
from oms.domain.clock import utcnow
from oms.domain.money import minor_unit_exponent
from oms.domain.payment import PaymentMethod

Clock = Callable[[], datetime]

# How old a signed notice may be (its provider timestamp: Alipay notify_time, WeChat create_time, the card
# and crypto events' creation time): the longest retry schedule of our providers (card and crypto retry for
# up to 3 days, Alipay ~25 h, WeChat ~24 h) plus a day. Template parameter CallbackFreshnessSeconds.
DEFAULT_FRESHNESS_SECONDS = 4 * 86400
FUTURE_SKEW_SECONDS = 300  # a notice dated later than this ahead of our clock is refused too
FRESHNESS_ENV = "CALLBACK_FRESHNESS_SECONDS"

__all__ = [
    "DEFAULT_FRESHNESS_SECONDS",
    "CallbackRejected",
    "CallbackStale",
    "Clock",
    "ProviderError",
    "UrllibTransport",
    "decimal_to_minor",
    "header",
    "minor_to_decimal",
    "provider_for",
]


def callback_freshness_seconds(environ: Mapping[str, str] | None = None) -> int:
    """The freshness window: `CALLBACK_FRESHNESS_SECONDS` (template parameter CallbackFreshnessSeconds)."""
    value = (environ if environ is not None else os.environ).get(FRESHNESS_ENV, "")
    try:
        seconds = int(value) if value else DEFAULT_FRESHNESS_SECONDS
    except ValueError:
        raise ValueError(f"{FRESHNESS_ENV} must be a whole number of seconds, got {value!r}") from None
    if seconds <= 0:
        raise ValueError(f"{FRESHNESS_ENV} must be positive, got {seconds}")
    return seconds


def check_fresh(moment: datetime, now: datetime, window_seconds: int, what: str) -> None:
    """Refuse a notice whose provider timestamp is older than the window or too far ahead (CallbackStale)."""
    age = now - moment
    if age > timedelta(seconds=window_seconds):
        raise CallbackStale(
            f"{what} is {_span(age)} old, outside the {_span(timedelta(seconds=window_seconds))} window"
        )
    if -age > timedelta(seconds=FUTURE_SKEW_SECONDS):
        raise CallbackStale(f"{what} is {_span(-age)} in the future")


def _span(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds >= 2 * 86400:
        return f"{seconds // 86400} days"
    if seconds >= 2 * 3600:
        return f"{seconds // 3600} hours"
    return f"{seconds} s"


def provider_for(
    method: PaymentMethod | str,
    transport: Transport | None = None,
    clock: Clock | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    freshness_seconds: int | None = None,
) -> PaymentProvider:
    """The adapter for `method`, with credentials from `OMS_PROVIDER_<METHOD>` / `OMS_PROVIDER_<METHOD>_FILE`
    in `environ` (default: the process environment) and the callback freshness window from
    `freshness_seconds` (default: `CALLBACK_FRESHNESS_SECONDS` in the process environment, else 4 days).
    Raises CredentialsError when credentials are missing or malformed, ValueError for a method that has no
    provider (balance)."""
    from oms.adapters.providers import credentials as creds

    chosen = PaymentMethod(method)
    wire: Transport = transport if transport is not None else UrllibTransport()
    now: Clock = clock if clock is not None else utcnow
    window = freshness_seconds if freshness_seconds is not None else callback_freshness_seconds()
    if chosen is PaymentMethod.ALIPAY:
        from oms.adapters.providers.alipay import AlipayProvider

        return AlipayProvider(creds.AlipayCredentials.load(environ), wire, now, freshness_seconds=window)
    if chosen is PaymentMethod.WECHAT:
        from oms.adapters.providers.wechat import WechatProvider

        return WechatProvider(creds.WechatCredentials.load(environ), wire, now, freshness_seconds=window)
    if chosen is PaymentMethod.CARD:
        from oms.adapters.providers.card import CardProvider

        return CardProvider(creds.CardCredentials.load(environ), wire, now, freshness_seconds=window)
    if chosen is PaymentMethod.CRYPTO:
        from oms.adapters.providers.crypto import CryptoProvider

        return CryptoProvider(creds.CryptoCredentials.load(environ), wire, now, freshness_seconds=window)
    if chosen is PaymentMethod.BANK_TRANSFER:
        from oms.adapters.providers.bank_transfer import BankTransferProvider

        return BankTransferProvider(creds.BankTransferCredentials.load(environ), wire, now)
    raise ValueError(f"payment method {chosen.value!r} has no external provider")


# ---------------------------------------------------------------- HTTPS transport


class UrllibTransport:
    """One HTTPS exchange with the standard library: certificate checks on, redirects off, timeouts and a
    response size cap. 4xx/5xx are answers (returned); network failures raise ProviderError (retryable).
    Plain http is refused unless the host is listed in `plain_http_hosts` (local testing only).
    `urllib.request` is imported at the first call, keeping it off the cold-start path of callbacks."""

    def __init__(
        self,
        timeout: float = 10.0,
        max_response_bytes: int = 2_000_000,
        plain_http_hosts: frozenset[str] = frozenset(),
    ) -> None:
        self._timeout = timeout
        self._max = max_response_bytes
        self._plain_http_hosts = plain_http_hosts
        self._opener: Any = None

    def _build_opener(self) -> Any:
        import urllib.request

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            """Provider APIs do not redirect; following one could carry the Authorization header elsewhere."""

            def redirect_request(self, *args: Any, **kwargs: Any) -> None:
                return None

        return urllib.request.build_opener(NoRedirect)

    def send(self, method: str, url: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        import urllib.error
        import urllib.request

        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.scheme != "https" and not (parts.scheme == "http" and host in self._plain_http_hosts):
            raise ProviderError(f"refusing to call {parts.scheme or '?'}://{host}: https only", retryable=False)
        if self._opener is None:
            self._opener = self._build_opener()
        data = body if body or method.upper() not in ("GET", "HEAD", "DELETE") else None
        request = urllib.request.Request(url, data=data, headers=headers, method=method.upper())
        try:
            with self._opener.open(request, timeout=self._timeout) as response:
                return response.status, _header_dict(response.headers.items()), self._read(response)
        except urllib.error.HTTPError as error:
            try:
                return error.code, _header_dict(error.headers.items()), self._read(error)
            finally:
                error.close()
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            # Only the host and the error class: URLs and headers may carry ids the logs need not hold.
            raise ProviderError(f"cannot reach {host}: {type(error).__name__}") from None

    def _read(self, response: Any) -> bytes:
        payload: bytes = response.read(self._max + 1)
        if len(payload) > self._max:
            raise ProviderError("provider response too large")
        return payload


def _header_dict(items: Any) -> dict[str, str]:
    result: dict[str, str] = {}
    for name, value in items:
        result[name] = f"{result[name]}, {value}" if name in result else value
    return result


# ---------------------------------------------------------------- shared helpers


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header by name, case-insensitively (API Gateway lower-cases names; providers send any case).
    Two spellings of the same header are ambiguous: ValueError."""
    wanted = name.lower()
    found = [value for key, value in headers.items() if key.lower() == wanted]
    if len(found) > 1:
        raise ValueError(f"header {name} given more than once")
    return found[0] if found else None


def exponent(currency: str) -> int:
    """Minor-unit digits of an ISO 4217 currency (2 unless listed)."""
    return minor_unit_exponent(currency)


_DECIMAL = re.compile(r"(0|[1-9][0-9]{0,17})(?:\.([0-9]{1,3}))?")


def minor_to_decimal(amount: int, currency: str) -> str:
    """10800 CNY → "108.00"; 1 → "0.01"; 500 JPY → "500". Exact, never through floats."""
    if type(amount) is not int or amount < 0:
        raise ValueError("amount must be a non-negative integer of minor units")
    digits = exponent(currency)
    if digits == 0:
        return str(amount)
    whole, fraction = divmod(amount, 10**digits)
    return f"{whole}.{fraction:0{digits}d}"


def decimal_to_minor(text: str, currency: str) -> int:
    """ "108.00" CNY → 10800, "0.01" → 1, "108.5" → 10850. Plain ASCII decimals only: no sign, exponent,
    spaces, leading zeros or more decimals than the currency has (ValueError)."""
    if not isinstance(text, str):
        raise ValueError("amount must be a decimal string")
    match = _DECIMAL.fullmatch(text)
    if match is None:
        raise ValueError("malformed amount")
    whole, fraction = match.group(1), match.group(2) or ""
    digits = exponent(currency)
    if len(fraction) > digits:
        raise ValueError("amount has more decimals than the currency")
    scale: int = 10**digits
    return int(whole) * scale + (int(fraction.ljust(digits, "0")) if digits else 0)


def json_bytes(value: Any) -> bytes:
    """Compact UTF-8 JSON, the form providers sign and send."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def json_object(raw: bytes, what: str) -> dict[str, Any]:
    """Parse a JSON object or raise ValueError naming `what` (never echoing the content)."""
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError(f"{what} is not valid JSON") from None
    if not isinstance(value, dict):
        raise ValueError(f"{what} is not a JSON object")
    return value


def text_field(data: Mapping[str, Any], name: str, what: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} has no {name}")
    return value


def object_field(data: Mapping[str, Any], name: str, what: str) -> dict[str, Any]:
    value = data.get(name)
    if not isinstance(value, dict):
        raise ValueError(f"{what} has no {name} object")
    return value


def timestamp_field(data: Mapping[str, Any], name: str, what: str) -> datetime:
    """An RFC 3339 / ISO 8601 timestamp with a zone offset (`Z` or `+08:00`), or ValueError."""
    text = text_field(data, name, what)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{what} {name} is not a timestamp") from None
    if moment.tzinfo is None:
        raise ValueError(f"{what} {name} has no time zone")
    return moment


def int_field(data: Mapping[str, Any], name: str, what: str) -> int:
    value = data.get(name)
    if type(value) is not int or value < 0:
        raise ValueError(f"{what} has no valid {name}")
    return int(value)
