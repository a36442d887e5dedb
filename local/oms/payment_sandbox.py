"""The local payment providers: one in-process server per provider, with its own fresh keys.

`Sandbox` plays Alipay, WeChat Pay, the card processor and the crypto processor for tests and the local
stack. At construction it generates every key (RSA 2048 for our Alipay app key, Alipay's key, our WeChat
merchant key and WeChat's platform key; random HMAC secrets; a 32-character APIv3 key) and hands OUR side of
them out through `credentials_env()` (the `OMS_PROVIDER_*` values the adapters load).

As a server (`send`, the `Transport` protocol) it checks our requests the way each provider does — RSA2
request signatures, WeChat `Authorization` signatures and clock skew, Bearer secret keys, API keys — and
refuses forged ones; it keeps payments, refunds (idempotent by refund id, never above the paid amount) and
idempotency keys in memory, and signs its answers with the provider-side keys.

As a provider it produces callbacks exactly as sent on the wire (`pay`): form-encoded and RSA2-signed for
Alipay, AES-256-GCM-encrypted and RSA-signed for WeChat, HMAC-signed for card and crypto. Re-sending a
notice: `pay(..., event_id=same)` (a provider retry carries the same id) or `replay(callback)`.

Deterministic when tests need it: `clock=` for every timestamp, `seed=` for ids, nonces and secrets (RSA
keys are always fresh). Thread-safe (the local stack serves requests from several threads).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import re
import string
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit

from oms.adapters.providers import (
    Clock,
    decimal_to_minor,
    header,
    json_bytes,
    minor_to_decimal,
    provider_for,
)
from oms.adapters.providers.alipay import (
    BEIJING,
    notify_sign_content,
    parse_form,
    request_sign_content,
)
from oms.adapters.providers.base import PaymentProvider
from oms.adapters.providers.card import sign_payload
from oms.adapters.providers.credentials import (
    AlipayCredentials,
    BankTransferCredentials,
    CardCredentials,
    CryptoCredentials,
    ProviderCredentials,
    WechatCredentials,
    env_var,
    hmac_sha256_hex,
    rsa_sign,
    rsa_verify,
)
from oms.adapters.providers.wechat import (
    AUTH_SCHEME,
    MAX_SKEW_SECONDS,
    request_message,
    response_message,
)
from oms.domain.clock import epoch_seconds, utcnow
from oms.domain.money import SUPPORTED_CURRENCIES, Money
from oms.domain.payment import PaymentMethod
from oms.domain.reconciliation import bill_window

from .payment_bills import (
    BillRow,
    Plant,
    PlantKind,
    alipay_bill_zip,
    apply_plants,
    card_report,
    wechat_tradebill,
)

ALIPAY_GATEWAY = "https://openapi.alipay.sandbox.invalid/gateway.do"
WECHAT_API = "https://api.mch.wechatpay.sandbox.invalid"
CARD_API = "https://api.card.sandbox.invalid"
CRYPTO_API = "https://api.commerce.sandbox.invalid"
ALIPAY_BILLS = "https://dwbillcenter.alipay.sandbox.invalid/downloadBillFile.resource"
CARD_FILES = "https://files.card.sandbox.invalid"
BILL_URL_SECONDS = 30  # how long a bill download URL works (Alipay and WeChat: 30 s)
# What each provider charges on a payment (basis points, half up), as the stores' default channel settings.
DEFAULT_FEE_RATES_BPS = {PaymentMethod.ALIPAY: 60, PaymentMethod.WECHAT: 60, PaymentMethod.CARD: 290}
DEFAULT_NOTIFY_BASE = "http://127.0.0.1:3000/callbacks/payments"

Answer = tuple[int, dict[str, str], bytes]

# Our statuses → each provider's native one; `pay(status=...)` also takes the native names directly.
NATIVE_STATUS: dict[PaymentMethod, dict[str, str]] = {
    PaymentMethod.ALIPAY: {"SUCCEEDED": "TRADE_SUCCESS", "FAILED": "TRADE_CLOSED", "PENDING": "WAIT_BUYER_PAY"},
    PaymentMethod.WECHAT: {"SUCCEEDED": "SUCCESS", "FAILED": "PAYERROR", "PENDING": "USERPAYING"},
    PaymentMethod.CARD: {
        "SUCCEEDED": "payment_intent.succeeded",
        "FAILED": "payment_intent.payment_failed",
        "PENDING": "payment_intent.processing",
    },
    PaymentMethod.CRYPTO: {"SUCCEEDED": "charge:confirmed", "FAILED": "charge:failed", "PENDING": "charge:pending"},
}
PAID_STATES = frozenset({"TRADE_SUCCESS", "TRADE_FINISHED", "SUCCESS", "REFUND", "succeeded", "COMPLETED", "RESOLVED"})


class SandboxError(Exception):
    """The sandbox was used in a way no provider allows (e.g. paying a payment it never saw)."""


class SandboxPaymentClosed(SandboxError):
    """The merchant closed this payment at the provider (order cancelled): the payer cannot pay it."""


@dataclass(frozen=True)
class SandboxCallback:
    """One callback exactly as the provider would send it: POST `body` with `headers` to `url`."""

    method: PaymentMethod
    url: str
    headers: dict[str, str]
    body: bytes
    content_type: str
    event_id: str


@dataclass
class SandboxRefund:
    refund_id: str
    amount: int
    reference: str
    answer: dict[str, Any] = field(default_factory=dict)
    at: datetime | None = None  # when the provider took it (the bill's day)


@dataclass
class SandboxPayment:
    """What a provider knows about one of our payments."""

    method: PaymentMethod
    payment_id: str
    amount: int  # as created
    currency: str
    state: str  # the provider's native state
    reference: str | None = None  # trade_no / transaction_id / intent id / charge code
    paid: int = 0
    notify_url: str = ""
    subject: str = ""
    refunds: dict[str, SandboxRefund] = field(default_factory=dict)
    closed: bool = False  # the merchant closed it (trade close, close order, intent/charge cancel)
    data: dict[str, Any] = field(default_factory=dict)  # provider-side object (intent, charge, code_url…)
    paid_at: datetime | None = None  # when the payer paid (the bill's day)

    @property
    def refunded(self) -> int:
        return sum(refund.amount for refund in self.refunds.values())


@dataclass(frozen=True)
class SandboxCall:
    method: str
    url: str
    status: int


def _new_rsa_pair() -> tuple[str, str]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )
    return private_pem, public_pem


def _serial(public_pem: str) -> str:
    """A certificate-serial-like id (40 hex digits) derived from the key."""
    return hashlib.sha1(public_pem.encode("ascii"), usedforsecurity=False).hexdigest().upper()


def _nest_form(pairs: Mapping[str, str]) -> dict[str, Any]:
    """`metadata[payment_id]=x` → {"metadata": {"payment_id": "x"}} (one level, as the card API uses)."""
    result: dict[str, Any] = {}
    for key, value in pairs.items():
        match = re.fullmatch(r"([a-z_]+)\[([A-Za-z0-9_]+)\]", key)
        if match:
            result.setdefault(match.group(1), {})[match.group(2)] = value
        else:
            result[key] = value
    return result


def parse_authorization(value: str) -> dict[str, str]:
    """The parameters of a `WECHATPAY2-SHA256-RSA2048 k="v",…` header (ValueError if malformed)."""
    scheme, _, rest = value.partition(" ")
    if scheme != AUTH_SCHEME:
        raise ValueError("unknown authorization scheme")
    params: dict[str, str] = {}
    for item in rest.split(","):
        key, sep, quoted = item.strip().partition("=")
        if not sep or len(quoted) < 2 or not (quoted.startswith('"') and quoted.endswith('"')) or key in params:
            raise ValueError("malformed authorization parameters")
        params[key] = quoted[1:-1]
    return params


def _json_answer(status: int, data: Any, headers: dict[str, str] | None = None) -> Answer:
    return status, {"Content-Type": "application/json; charset=utf-8", **(headers or {})}, json_bytes(data)


class Sandbox:
    def __init__(
        self,
        *,
        clock: Clock | None = None,
        seed: int | None = None,
        notify_base_url: str = DEFAULT_NOTIFY_BASE,
    ) -> None:
        self._clock: Clock = clock if clock is not None else utcnow
        self._rng: random.Random = random.Random(seed) if seed is not None else random.SystemRandom()
        self._lock = threading.RLock()
        self.notify_base_url = notify_base_url.rstrip("/")
        # Alipay: our app key pair (we sign requests) and Alipay's own pair (it signs notifies/answers).
        self._alipay_app_private, self._alipay_app_public = _new_rsa_pair()
        self._alipay_private, self._alipay_public = _new_rsa_pair()
        self.alipay_app_id = "2021" + self._digits(12)
        self.alipay_seller_id = "2088" + self._digits(12)
        # WeChat: our merchant key pair and the platform's pair, each known by a serial.
        self._wechat_merchant_private, self._wechat_merchant_public = _new_rsa_pair()
        self._wechat_platform_private, self._wechat_platform_public = _new_rsa_pair()
        self.wechat_merchant_serial = _serial(self._wechat_merchant_public)
        self.wechat_platform_serial = _serial(self._wechat_platform_public)
        self.wechat_mch_id = "19" + self._digits(8)
        self.wechat_app_id = "wx" + self._token(16, "0123456789abcdef")
        self._wechat_api_v3_key = self._token(32)
        # Card and crypto: shared secrets.
        self._card_secret_key = "sk_test_" + self._token(24)
        self.card_publishable_key = "pk_test_" + self._token(24)
        self._card_webhook_secrets = ["whsec_" + self._token(32)]
        self._crypto_api_key = self._token(8, "0123456789abcdef") + "-" + self._token(24, "0123456789abcdef")
        self._crypto_webhook_secret = self._token(36, "0123456789abcdef")
        self.bank_account_number = "6222" + self._digits(12)
        # State.
        self._payments: dict[tuple[PaymentMethod, str], SandboxPayment] = {}
        self._by_reference: dict[tuple[PaymentMethod, str], str] = {}
        self._idempotency: dict[tuple[PaymentMethod, str], tuple[str, Answer]] = {}
        self.calls: list[SandboxCall] = []
        # While True every refund request answers as the provider does when it cannot take it now
        # (system error / 5xx): the refund's outcome is unknown and is retried later.
        self.refunds_unavailable = False
        # While True every refund request is refused for good, as each provider refuses one whose money
        # cannot go back that way (WeChat status ABNORMAL, Alipay ACQ.BUYER_ERROR, a failed card or
        # crypto refund); nothing is refunded, so a later request under another key can still succeed.
        self.refunds_declined = False
        # Bills: the fee each provider takes, the differences planted into its next bills, download tokens.
        self.fee_rates_bps: dict[PaymentMethod, int] = dict(DEFAULT_FEE_RATES_BPS)
        # Providers serve a day's bill from the next day (T+1); a local demo of one day may want it at once.
        self.same_day_bills = False
        self._plants: dict[PaymentMethod, list[Plant]] = {}
        self._bill_links: dict[str, tuple[PaymentMethod, date, datetime]] = {}
        self._report_runs: dict[str, dict[str, Any]] = {}

    def __repr__(self) -> str:
        return f"Sandbox(payments={len(self._payments)})"

    # ------------------------------------------------------------ configuration

    def notify_url(self, method: PaymentMethod | str) -> str:
        return f"{self.notify_base_url}/{PaymentMethod(method).value}"

    def credentials_env(self) -> dict[str, str]:
        """The OMS_PROVIDER_* values (JSON) for every provider, pointing the adapters at this sandbox."""
        configs: dict[PaymentMethod, dict[str, Any]] = {
            PaymentMethod.ALIPAY: {
                "app_id": self.alipay_app_id,
                "seller_id": self.alipay_seller_id,
                "app_private_key_pem": self._alipay_app_private,
                "alipay_public_key_pem": self._alipay_public,
                "gateway_url": ALIPAY_GATEWAY,
                "notify_url": self.notify_url(PaymentMethod.ALIPAY),
            },
            PaymentMethod.WECHAT: {
                "mch_id": self.wechat_mch_id,
                "app_id": self.wechat_app_id,
                "api_v3_key": self._wechat_api_v3_key,
                "merchant_private_key_pem": self._wechat_merchant_private,
                "merchant_serial": self.wechat_merchant_serial,
                "platform_public_keys": {self.wechat_platform_serial: self._wechat_platform_public},
                "api_base_url": WECHAT_API,
                "notify_url": self.notify_url(PaymentMethod.WECHAT),
            },
            PaymentMethod.CARD: {
                "publishable_key": self.card_publishable_key,
                "secret_key": self._card_secret_key,
                "webhook_secrets": list(reversed(self._card_webhook_secrets)),  # newest first
                "api_base_url": CARD_API,
            },
            PaymentMethod.CRYPTO: {
                "api_key": self._crypto_api_key,
                "webhook_secret": self._crypto_webhook_secret,
                "api_base_url": CRYPTO_API,
            },
            PaymentMethod.BANK_TRANSFER: {
                "beneficiary_name": "OMS Sandbox Trading Ltd",
                "bank_name": "Sandbox Bank",
                "account_number": self.bank_account_number,
                "swift_bic": "SANDCNSH",
                "reference_prefix": "OMS",
            },
        }
        return {env_var(method): json.dumps(config) for method, config in configs.items()}

    def credentials(self, method: PaymentMethod | str) -> ProviderCredentials:
        chosen = PaymentMethod(method)
        data = json.loads(self.credentials_env()[env_var(chosen)])
        classes: dict[PaymentMethod, Any] = {
            PaymentMethod.ALIPAY: AlipayCredentials,
            PaymentMethod.WECHAT: WechatCredentials,
            PaymentMethod.CARD: CardCredentials,
            PaymentMethod.CRYPTO: CryptoCredentials,
            PaymentMethod.BANK_TRANSFER: BankTransferCredentials,
        }
        loaded: ProviderCredentials = classes[chosen].from_mapping(data)
        return loaded

    def provider(
        self, method: PaymentMethod | str, *, clock: Clock | None = None, freshness_seconds: int | None = None
    ) -> PaymentProvider:
        """The real adapter for `method`, configured with this sandbox's credentials and talking to it
        (callback freshness window: `freshness_seconds`, else the process's CALLBACK_FRESHNESS_SECONDS)."""
        return provider_for(
            method,
            self,
            clock if clock is not None else self._clock,
            environ=self.credentials_env(),
            freshness_seconds=freshness_seconds,
        )

    @property
    def card_webhook_secrets(self) -> list[str]:
        """The secrets the card processor signs webhooks with (several while a rotation is under way)."""
        return list(self._card_webhook_secrets)

    def rotate_card_webhook_secret(self, *, retire_old: bool = False) -> str:
        """Roll the webhook secret: the new one signs from now on, next to the old ones unless retired."""
        with self._lock:
            secret = "whsec_" + self._token(32)
            self._card_webhook_secrets = [secret] if retire_old else [*self._card_webhook_secrets, secret]
            return secret

    def payment(self, method: PaymentMethod | str, payment_id: str) -> SandboxPayment | None:
        """What the provider knows about a payment (None if nothing reached it)."""
        with self._lock:
            return self._payments.get((PaymentMethod(method), payment_id))

    # ------------------------------------------------------------ ids

    def _token(self, length: int, alphabet: str = string.ascii_letters + string.digits) -> str:
        return "".join(self._rng.choice(alphabet) for _ in range(length))

    def _digits(self, length: int) -> str:
        return self._token(length, string.digits)

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def _now(self, timestamp: datetime | None = None) -> datetime:
        return timestamp if timestamp is not None else self._clock()

    # ------------------------------------------------------------ the server side (Transport)

    def send(self, method: str, url: str, headers: dict[str, str], body: bytes) -> Answer:
        """Answer one HTTP request as the provider behind `url` would."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        path_query = parts.path + (f"?{parts.query}" if parts.query else "")
        verb = method.upper()
        with self._lock:
            if f"{origin}{parts.path}" == ALIPAY_GATEWAY:
                answer = self._alipay_request(verb, parts.query, headers, body)
            elif f"{origin}{parts.path}" == ALIPAY_BILLS:
                answer = self._bill_download(PaymentMethod.ALIPAY, parts.query)
            elif origin == CARD_FILES:
                answer = self._card_file(verb, parts.path, headers)
            elif origin == WECHAT_API:
                answer = self._wechat_request(verb, path_query, headers, body)
            elif origin == CARD_API:
                answer = self._card_request(verb, parts.path, parts.query, headers, body)
            elif origin == CRYPTO_API:
                answer = self._crypto_request(verb, parts.path, headers, body)
            else:
                answer = (404, {"Content-Type": "text/plain"}, b"no sandbox provider at this address")
            self.calls.append(SandboxCall(verb, url, answer[0]))
            return answer

    def pay(
        self,
        method: PaymentMethod | str,
        payment_id: str,
        *,
        amount: int | Money | None = None,
        currency: str | None = None,
        status: str = "SUCCEEDED",
        event_id: str | None = None,
        timestamp: datetime | None = None,
        delivered_at: datetime | None = None,
        overrides: Mapping[str, Any] | None = None,
    ) -> SandboxCallback:
        """The payer acts on `payment_id` and the provider sends its callback (returned, not delivered).

        `amount` defaults to the created amount (give another to simulate partial or wrong payments);
        `status` is SUCCEEDED / FAILED / PENDING or the provider's native status (e.g. TRADE_FINISHED);
        `event_id` reuses a notice id (a provider retry); `timestamp` is when the provider saw the payment
        (the event's time, and by default the delivery's); `delivered_at` is when this delivery is sent and
        signed (Alipay notify_time, card t=, WeChat Wechatpay-Timestamp, crypto scheduled_for), as a retry
        days later re-signs an old event; `overrides`
        replaces fields of the provider's payload before signing (None deletes), e.g. {"app_id": "x"}.
        The provider records the outcome, so `query` answers accordingly afterwards."""
        chosen = PaymentMethod(method)
        if chosen not in NATIVE_STATUS:
            raise SandboxError(f"{chosen.value} has no provider callbacks")
        if isinstance(amount, Money):
            currency = currency or amount.currency
            amount = amount.amount
        native = NATIVE_STATUS[chosen].get(str(status), str(status))
        with self._lock:
            payment = self._payments.get((chosen, payment_id))
            if payment is None:
                if amount is None:
                    raise SandboxError(f"the {chosen.value} sandbox has not seen payment {payment_id}: pass amount=")
                payment = self._adopt(chosen, payment_id, amount, currency)
            if payment.closed:
                raise SandboxPaymentClosed(f"the {chosen.value} payment {payment_id} was closed by the merchant")
            paid = payment.amount if amount is None else amount
            cur = currency or payment.currency
            build = {
                PaymentMethod.ALIPAY: self._alipay_notify,
                PaymentMethod.WECHAT: self._wechat_notify,
                PaymentMethod.CARD: self._card_webhook,
                PaymentMethod.CRYPTO: self._crypto_webhook,
            }[chosen]
            moment = self._now(timestamp)
            delivered = delivered_at if delivered_at is not None else moment
            return build(payment, native, paid, cur, event_id, moment, delivered, dict(overrides or {}))

    def replay(self, callback: SandboxCallback) -> SandboxCallback:
        """The same delivery again, byte for byte (what a retry or an attacker replaying it sends)."""
        return callback

    def _adopt(self, method: PaymentMethod, payment_id: str, amount: int, currency: str | None) -> SandboxPayment:
        """A payment created out of band (tests that skip `instructions`)."""
        cur = currency or "CNY"
        payment = SandboxPayment(method, payment_id, amount, cur, "NEW", notify_url=self.notify_url(method))
        if method is PaymentMethod.CARD:
            self._card_new_intent(payment, {"payment_id": payment_id})
        elif method is PaymentMethod.CRYPTO:
            self._crypto_new_charge(payment, f"Order for {payment_id}", "", {"payment_id": payment_id})
        else:
            payment.state = "WAIT_BUYER_PAY" if method is PaymentMethod.ALIPAY else "NOTPAY"
            payment.subject = f"Order for {payment_id}"
        self._payments[(method, payment_id)] = payment
        return payment

    @staticmethod
    def _apply(target: dict[str, Any], overrides: Mapping[str, Any]) -> None:
        for key, value in overrides.items():
            if value is None:
                target.pop(key, None)
            else:
                target[key] = value

    def _record_outcome(self, payment: SandboxPayment, native_state: str, paid: int, moment: datetime) -> None:
        payment.state = native_state
        if native_state in PAID_STATES:
            payment.paid = paid
            if payment.paid_at is None:
                payment.paid_at = moment

    # ------------------------------------------------------------ daily bills

    def plant(
        self,
        method: PaymentMethod | str,
        kind: PlantKind | str,
        reference: str,
        *,
        amount: int | None = None,
        currency: str | None = None,
        fee: int | None = None,
    ) -> None:
        """Make the provider's next bills differ from what it processed: `drop` the payment or refund
        `reference` (our payment or refund id), change its `amount`, `currency` or `fee`, `add` a payment we
        never saw (`reference` = its out_trade_no), or `duplicate` a payment under another provider id."""
        with self._lock:
            plants = self._plants.setdefault(PaymentMethod(method), [])
            plants.append(Plant(PlantKind(kind), reference, amount, currency, fee))

    def clear_plants(self, method: PaymentMethod | str | None = None) -> None:
        with self._lock:
            if method is None:
                self._plants.clear()
            else:
                self._plants.pop(PaymentMethod(method), None)

    def _fee(self, method: PaymentMethod, amount: int) -> int:
        return (amount * self.fee_rates_bps.get(method, 0) + 5000) // 10000

    def bill_rows(self, method: PaymentMethod | str, day: date) -> list[BillRow]:
        """What the provider processed on its bill day `day` (payments and refunds, with fees), with the
        planted differences applied. Refunds take no fee back (see docs/reports.md)."""
        chosen = PaymentMethod(method)
        window = bill_window(chosen.value, day)
        rows: list[BillRow] = []
        with self._lock:
            for payment in self._payments.values():
                if payment.method is not chosen or payment.paid_at is None:
                    continue
                trade = payment.reference or ""
                charge = "ch_" + trade[3:] if chosen is PaymentMethod.CARD else trade
                intent = trade if chosen is PaymentMethod.CARD else ""
                if window.holds(payment.paid_at.astimezone(UTC)):
                    rows.append(
                        BillRow(
                            "payment",
                            payment.payment_id,
                            None,
                            charge,
                            payment.paid,
                            payment.currency,
                            self._fee(chosen, payment.paid),
                            payment.paid_at,
                            payment.subject,
                            intent,
                        )
                    )
                for refund in payment.refunds.values():
                    if refund.at is not None and window.holds(refund.at.astimezone(UTC)):
                        reference = refund.reference if refund.reference != trade else f"{trade}-{refund.refund_id}"
                        rows.append(
                            BillRow(
                                "refund",
                                payment.payment_id,
                                refund.refund_id,
                                reference,
                                refund.amount,
                                payment.currency,
                                0,
                                refund.at,
                                payment.subject,
                                trade,
                            )
                        )
            rows.sort(key=lambda r: (r.at, r.reference))
            return apply_plants(rows, self._plants.get(chosen, []), window.start)

    def bill_file(self, method: PaymentMethod | str, day: date) -> bytes:
        """The bill file of `day` exactly as the provider serves it (zip / CSV bytes)."""
        chosen = PaymentMethod(method)
        rows = self.bill_rows(chosen, day)
        if chosen is PaymentMethod.ALIPAY:
            return alipay_bill_zip(rows, day, self.alipay_seller_id + "0156", self._clock())
        if chosen is PaymentMethod.WECHAT:
            return wechat_tradebill(rows, self.wechat_app_id, self.wechat_mch_id)
        if chosen is PaymentMethod.CARD:
            with self._lock:
                numbers = {
                    p.payment_id: str((p.data.get("metadata") or {}).get("order_number", ""))
                    for p in self._payments.values()
                    if p.method is PaymentMethod.CARD
                }
            return card_report(rows, numbers)
        raise SandboxError(f"{chosen.value} has no bill files")

    def _billed_day(self, method: PaymentMethod, text: object) -> date | None:
        """A past bill day (the provider's own calendar): today's bill is not ready yet (T+1)."""
        try:
            day = date.fromisoformat(str(text))
        except ValueError:
            return None
        zone = UTC if method is PaymentMethod.CARD else BEIJING
        zone_today = self._clock().astimezone(zone).date()
        return day if day < zone_today or (self.same_day_bills and day == zone_today) else None

    def _bill_link(self, method: PaymentMethod, day: date) -> str:
        token = self._token(32)
        self._bill_links[token] = (method, day, self._clock() + timedelta(seconds=BILL_URL_SECONDS))
        return token

    def _bill_download(self, method: PaymentMethod, query: str) -> Answer:
        try:
            token = parse_form(query.encode("ascii")).get("token", "")
        except (ValueError, UnicodeEncodeError):
            token = ""
        link = self._bill_links.get(token)
        if link is None or link[0] is not method or self._clock() > link[2]:
            return 404, {"Content-Type": "text/plain"}, b"download link unknown or expired"
        content = self.bill_file(method, link[1])
        return 200, {"Content-Type": "application/octet-stream"}, content

    def _alipay_bill_url(self, biz: dict[str, Any]) -> dict[str, Any]:
        day = self._billed_day(PaymentMethod.ALIPAY, biz.get("bill_date"))
        if biz.get("bill_type") != "trade" or day is None:
            return {
                "code": "40004",
                "msg": "Business Failed",
                "sub_code": "isp.bill_not_exist",
                "sub_msg": "参数不合法",
            }
        token = self._bill_link(PaymentMethod.ALIPAY, day)
        name = f"{self.alipay_seller_id}0156_{day:%Y%m%d}"
        query = {"bizType": "trade", "fileType": "csv.zip", "bill_date": day.isoformat()}
        url = f"{ALIPAY_BILLS}?{urlencode({**query, 'downloadFileName': f'{name}.csv.zip', 'token': token})}"
        return {"code": "10000", "msg": "Success", "bill_download_url": url}

    def _wechat_tradebill(self, query: str) -> Answer:
        try:
            params = parse_form(query.encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            params = {}
        day = self._billed_day(PaymentMethod.WECHAT, params.get("bill_date"))
        if day is None or params.get("bill_type", "ALL") != "ALL" or "tar_type" in params:
            return self._wechat_signed(400, {"code": "NO_STATEMENT_EXIST", "message": "账单日期不合法或账单未生成"})
        content = self.bill_file(PaymentMethod.WECHAT, day)
        token = self._bill_link(PaymentMethod.WECHAT, day)
        return self._wechat_signed(
            200,
            {
                "hash_type": "SHA1",
                "hash_value": hashlib.sha1(content, usedforsecurity=False).hexdigest(),
                "download_url": f"{WECHAT_API}/v3/billdownload/file?token={token}",
            },
        )

    def _card_report_run(self, form: dict[str, Any]) -> Answer:
        parameters = form.get("parameters")
        params: dict[str, Any] = parameters if isinstance(parameters, dict) else {}
        start, end = str(params.get("interval_start", "")), str(params.get("interval_end", ""))
        if (
            form.get("report_type") != "balance_change_from_activity.itemized.3"
            or not (start.isdigit() and end.isdigit())
            or int(end) <= int(start)
            or (int(end) > epoch_seconds(self._clock()) and not self.same_day_bills)  # a demo of today: so far
        ):
            error = {"type": "invalid_request_error", "message": "Data for this interval is not available yet."}
            return _json_answer(400, {"error": error})
        run_id = "frr_" + self._token(24)
        run: dict[str, Any] = {
            "id": run_id,
            "object": "reporting.report_run",
            "report_type": form["report_type"],
            "parameters": params,
            "status": "pending",
            "result": None,
            "created": epoch_seconds(self._clock()),
        }
        self._report_runs[run_id] = run
        return _json_answer(200, run)

    def _card_run_ready(self, run: dict[str, Any]) -> dict[str, Any]:
        """A run is ready when it is asked about again (the processor takes a while)."""
        if run["status"] == "pending":
            file_id = "file_" + self._token(24)
            start = datetime.fromtimestamp(int(run["parameters"]["interval_start"]), UTC)
            run["status"] = "succeeded"
            run["result"] = {"id": file_id, "object": "file", "url": f"{CARD_FILES}/v1/files/{file_id}/contents"}
            self._bill_links[file_id] = (PaymentMethod.CARD, start.date(), datetime.max.replace(tzinfo=UTC))
        return run

    def _card_file(self, verb: str, path: str, headers: dict[str, str]) -> Answer:
        given = (header(headers, "Authorization") or "").encode("utf-8")
        if not hmac.compare_digest(given, f"Bearer {self._card_secret_key}".encode()):
            return _json_answer(
                401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key provided."}}
            )
        parts = path.strip("/").split("/")
        link = self._bill_links.get(parts[2]) if verb == "GET" and len(parts) == 4 and parts[3] == "contents" else None
        if link is None or link[0] is not PaymentMethod.CARD:
            return self._card_missing()
        return 200, {"Content-Type": "text/csv"}, self.bill_file(PaymentMethod.CARD, link[1])

    # ------------------------------------------------------------ Alipay

    def _alipay_request(self, verb: str, query: str, headers: dict[str, str], body: bytes) -> Answer:
        try:
            params = parse_form(query.encode("ascii")) if query else {}
            if body:
                for key, value in parse_form(body).items():
                    if key in params:
                        raise ValueError("parameter given twice")
                    params[key] = value
        except (ValueError, UnicodeEncodeError):
            return 400, {"Content-Type": "text/plain"}, b"malformed request"
        api = params.get("method", "")
        page = api == "alipay.trade.page.pay"
        sign = params.get("sign", "")
        authentic = (
            params.get("app_id") == self.alipay_app_id
            and params.get("sign_type") == "RSA2"
            and bool(sign)
            and rsa_verify(self._alipay_app_public, request_sign_content(params), sign)
        )
        if not authentic:
            if page:
                return 400, {"Content-Type": "text/html; charset=utf-8"}, "错误代码 invalid-signature 验签出错".encode()
            refusal = {"code": "40002", "msg": "Invalid Arguments", "sub_code": "isv.invalid-signature"}
            return self._alipay_answer(api, refusal, signed=False)
        try:
            biz = json.loads(params.get("biz_content", "{}"))
        except json.JSONDecodeError:
            biz = None
        if not isinstance(biz, dict):
            return self._alipay_answer(
                api, {"code": "40002", "msg": "Invalid Arguments", "sub_code": "isv.invalid-biz"}
            )
        if page:
            return self._alipay_page_pay(biz, params.get("notify_url", ""))
        if api == "alipay.trade.query":
            return self._alipay_answer(api, self._alipay_query(biz))
        if api == "alipay.trade.refund":
            if self.refunds_unavailable:
                busy = {"code": "20000", "msg": "Service Currently Unavailable", "sub_code": "isp.unknow-error"}
                return self._alipay_answer(api, busy)
            if self.refunds_declined:
                refused = {
                    "code": "40004",
                    "msg": "Business Failed",
                    "sub_code": "ACQ.BUYER_ERROR",
                    "sub_msg": "买家状态非法",
                }
                return self._alipay_answer(api, refused)
            return self._alipay_answer(api, self._alipay_refund(biz))
        if api == "alipay.trade.close":
            return self._alipay_answer(api, self._alipay_close(biz))
        if api == "alipay.data.dataservice.bill.downloadurl.query":
            return self._alipay_answer(api, self._alipay_bill_url(biz))
        return self._alipay_answer(api, {"code": "40002", "msg": "Invalid Arguments", "sub_code": "isv.invalid-method"})

    def _alipay_answer(self, api: str, node: dict[str, Any], *, signed: bool = True) -> Answer:
        name = api.replace(".", "_") + "_response" if api else "error_response"
        inner = json_bytes(node).decode("utf-8")
        text = f'{{"{name}":{inner}'
        if signed:
            text += f',"sign":"{rsa_sign(self._alipay_private, inner.encode("utf-8"))}"'
        return 200, {"Content-Type": "application/json;charset=utf-8"}, (text + "}").encode("utf-8")

    def _alipay_page_pay(self, biz: dict[str, Any], notify_url: str) -> Answer:
        def page(status: int, text: str) -> Answer:
            return status, {"Content-Type": "text/html; charset=utf-8"}, f"<html><body>{text}</body></html>".encode()

        out_trade_no, subject = biz.get("out_trade_no"), biz.get("subject")
        try:
            amount = decimal_to_minor(str(biz.get("total_amount")), "CNY")
        except ValueError:
            return page(400, "错误代码 invalid-parameter total_amount")
        if not isinstance(out_trade_no, str) or not out_trade_no or not isinstance(subject, str) or amount <= 0:
            return page(400, "错误代码 invalid-parameter")
        trade = self._payments.get((PaymentMethod.ALIPAY, out_trade_no))
        if trade is not None and trade.closed:
            return page(400, "错误代码 ACQ.TRADE_HAS_CLOSE 交易已关闭")
        if trade is not None and trade.amount != amount:
            return page(400, "错误代码 ACQ.CONTEXT_INCONSISTENT 交易信息被篡改")
        if trade is None:
            trade = SandboxPayment(PaymentMethod.ALIPAY, out_trade_no, amount, "CNY", "WAIT_BUYER_PAY")
            trade.subject, trade.notify_url = subject, notify_url or self.notify_url(PaymentMethod.ALIPAY)
            self._payments[(PaymentMethod.ALIPAY, out_trade_no)] = trade
        return page(200, f"支付宝沙箱收银台 {out_trade_no} ¥{minor_to_decimal(amount, 'CNY')}")

    def _alipay_trade(self, biz: dict[str, Any]) -> SandboxPayment | None:
        out_trade_no = biz.get("out_trade_no")
        if isinstance(out_trade_no, str) and (PaymentMethod.ALIPAY, out_trade_no) in self._payments:
            return self._payments[(PaymentMethod.ALIPAY, out_trade_no)]
        trade_no = biz.get("trade_no")
        by_ref = self._by_reference.get((PaymentMethod.ALIPAY, str(trade_no)))
        return self._payments.get((PaymentMethod.ALIPAY, by_ref)) if by_ref else None

    def _alipay_trade_no(self, trade: SandboxPayment) -> str:
        if trade.reference is None:
            trade.reference = self._clock().astimezone(BEIJING).strftime("%Y%m%d") + "2200" + self._digits(16)
            self._by_reference[(PaymentMethod.ALIPAY, trade.reference)] = trade.payment_id
        return trade.reference

    def _alipay_query(self, biz: dict[str, Any]) -> dict[str, Any]:
        trade = self._alipay_trade(biz)
        if trade is None:
            return {
                "code": "40004",
                "msg": "Business Failed",
                "sub_code": "ACQ.TRADE_NOT_EXIST",
                "sub_msg": "交易不存在",
            }
        shown = trade.paid if trade.state in PAID_STATES or trade.paid else trade.amount
        return {
            "code": "10000",
            "msg": "Success",
            "trade_no": self._alipay_trade_no(trade),
            "out_trade_no": trade.payment_id,
            "buyer_logon_id": "san***@sandbox.invalid",
            "trade_status": trade.state,
            "total_amount": minor_to_decimal(shown, "CNY"),
            "buyer_pay_amount": minor_to_decimal(trade.paid, "CNY"),
        }

    def _alipay_close(self, biz: dict[str, Any]) -> dict[str, Any]:
        trade = self._alipay_trade(biz)
        failed = {"code": "40004", "msg": "Business Failed"}
        if trade is None:
            return {**failed, "sub_code": "ACQ.TRADE_NOT_EXIST", "sub_msg": "交易不存在"}
        if trade.state in PAID_STATES or trade.paid:
            return {**failed, "sub_code": "ACQ.TRADE_HAS_SUCCESS", "sub_msg": "交易已被支付"}
        if trade.state == "TRADE_CLOSED":
            trade.closed = True  # closed already (by us, or when the payer's attempt failed)
            return {**failed, "sub_code": "ACQ.TRADE_STATUS_ERROR", "sub_msg": "交易状态不合法"}
        trade.state, trade.closed = "TRADE_CLOSED", True
        return {
            "code": "10000",
            "msg": "Success",
            "trade_no": self._alipay_trade_no(trade),
            "out_trade_no": trade.payment_id,
        }

    def _alipay_refund(self, biz: dict[str, Any]) -> dict[str, Any]:
        def failed(sub_code: str, sub_msg: str) -> dict[str, Any]:
            return {"code": "40004", "msg": "Business Failed", "sub_code": sub_code, "sub_msg": sub_msg}

        trade = self._alipay_trade(biz)
        if trade is None:
            return failed("ACQ.TRADE_NOT_EXIST", "交易不存在")
        request_no = str(biz.get("out_request_no") or trade.payment_id)
        try:
            amount = decimal_to_minor(str(biz.get("refund_amount")), "CNY")
        except ValueError:
            return {"code": "40002", "msg": "Invalid Arguments", "sub_code": "isv.invalid-parameter"}
        previous = trade.refunds.get(request_no)
        if previous is not None:
            if previous.amount != amount:
                return failed("ACQ.DISCORDANT_REPEAT_REQUEST", "不一致的请求")
            return {**previous.answer, "fund_change": "N"}
        if trade.state not in PAID_STATES:
            return failed("ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
        if amount <= 0 or trade.refunded + amount > trade.paid:
            return failed("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限")
        refund = SandboxRefund(request_no, amount, self._alipay_trade_no(trade), at=self._clock())
        trade.refunds[request_no] = refund
        if trade.refunded == trade.paid:
            trade.state = "TRADE_CLOSED"  # a fully refunded Alipay trade is closed
        refund.answer = {
            "code": "10000",
            "msg": "Success",
            "trade_no": refund.reference,
            "out_trade_no": trade.payment_id,
            "buyer_logon_id": "san***@sandbox.invalid",
            "fund_change": "Y",
            "refund_fee": minor_to_decimal(trade.refunded, "CNY"),
            "gmt_refund_pay": self._clock().astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
        }
        return dict(refund.answer)

    def _alipay_notify(
        self,
        trade: SandboxPayment,
        native: str,
        paid: int,
        currency: str,
        event_id: str | None,
        moment: datetime,
        delivered: datetime,
        overrides: dict[str, Any],
    ) -> SandboxCallback:
        local = moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")
        amount = minor_to_decimal(paid, "CNY")
        notify_id = event_id or self._token(32, string.ascii_lowercase + string.digits)
        fields: dict[str, Any] = {
            "notify_time": delivered.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S"),  # when it is sent
            "notify_type": "trade_status_sync",
            "notify_id": notify_id,
            "charset": "utf-8",
            "version": "1.0",
            "app_id": self.alipay_app_id,
            "auth_app_id": self.alipay_app_id,
            "trade_no": self._alipay_trade_no(trade),
            "out_trade_no": trade.payment_id,
            "buyer_id": "2088" + self._digits(12),
            "buyer_logon_id": "san***@sandbox.invalid",
            "seller_id": self.alipay_seller_id,
            "seller_email": "seller@sandbox.invalid",
            "trade_status": native,
            "total_amount": amount,
            "receipt_amount": amount,
            "invoice_amount": amount,
            "buyer_pay_amount": amount,
            "point_amount": "0.00",
            "subject": trade.subject or "沙箱订单",
            "body": "",
            "gmt_create": local,
            "fund_bill_list": json.dumps([{"amount": amount, "fundChannel": "ALIPAYACCOUNT"}], separators=(",", ":")),
        }
        if native in PAID_STATES:
            fields["gmt_payment"] = local
        elif native == "TRADE_CLOSED":
            fields["gmt_close"] = local
        self._apply(fields, overrides)
        params = {key: str(value) for key, value in fields.items()}
        params["sign_type"] = "RSA2"
        params["sign"] = rsa_sign(self._alipay_private, notify_sign_content(params))
        self._record_outcome(trade, native, paid, moment)
        content_type = "application/x-www-form-urlencoded; charset=utf-8"
        return SandboxCallback(
            PaymentMethod.ALIPAY,
            trade.notify_url or self.notify_url(PaymentMethod.ALIPAY),
            {"Content-Type": content_type},
            urlencode(params).encode("ascii"),
            content_type,
            notify_id,
        )

    # ------------------------------------------------------------ WeChat Pay

    def _wechat_signed(self, status: int, data: Any | None) -> Answer:
        body = json_bytes(data) if data is not None else b""
        timestamp = str(epoch_seconds(self._clock()))
        nonce = self._token(32)
        signature = rsa_sign(self._wechat_platform_private, response_message(timestamp, nonce, body))
        headers = {
            "Request-ID": self._uuid(),
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": signature,
            "Wechatpay-Timestamp": timestamp,
            "Wechatpay-Serial": self.wechat_platform_serial,
            "Wechatpay-Signature-Type": AUTH_SCHEME,
        }
        if body:
            headers["Content-Type"] = "application/json; charset=utf-8"
        return status, headers, body

    def _wechat_authentic(self, verb: str, path_query: str, headers: dict[str, str], body: bytes) -> bool:
        try:
            auth = parse_authorization(header(headers, "Authorization") or "")
        except ValueError:
            return False
        timestamp = auth.get("timestamp", "")
        if (
            auth.get("mchid") != self.wechat_mch_id
            or auth.get("serial_no") != self.wechat_merchant_serial
            or not (timestamp.isascii() and timestamp.isdigit())
            or abs(epoch_seconds(self._clock()) - int(timestamp)) > MAX_SKEW_SECONDS
        ):
            return False
        message = request_message(verb, path_query, timestamp, auth.get("nonce_str", ""), body)
        return rsa_verify(self._wechat_merchant_public, message, auth.get("signature", ""))

    def _wechat_request(self, verb: str, path_query: str, headers: dict[str, str], body: bytes) -> Answer:
        if not self._wechat_authentic(verb, path_query, headers, body):
            return self._wechat_signed(401, {"code": "SIGN_ERROR", "message": "签名错误"})
        path, _, query = path_query.partition("?")
        payload: dict[str, Any] = {}
        if body:
            try:
                parsed = json.loads(body)
            except (json.JSONDecodeError, UnicodeDecodeError):
                parsed = None
            if not isinstance(parsed, dict):
                return self._wechat_signed(400, {"code": "PARAM_ERROR", "message": "请求体不是 JSON 对象"})
            payload = parsed
        if verb == "POST" and path == "/v3/pay/transactions/native":
            return self._wechat_native(payload)
        if verb == "POST" and path == "/v3/refund/domestic/refunds":
            if self.refunds_unavailable:
                return self._wechat_signed(500, {"code": "SYSTEM_ERROR", "message": "系统繁忙，请稍后重试"})
            if self.refunds_declined:
                return self._wechat_abnormal_refund(payload)
            return self._wechat_refund(payload)
        if verb == "GET" and path == "/v3/bill/tradebill":
            return self._wechat_tradebill(query)
        if verb == "GET" and path == "/v3/billdownload/file":
            return self._bill_download(PaymentMethod.WECHAT, query)
        prefix = "/v3/pay/transactions/out-trade-no/"
        if verb == "POST" and path.startswith(prefix) and path.endswith("/close"):
            return self._wechat_close(unquote(path[len(prefix) : -len("/close")]), payload)
        if verb == "GET" and path.startswith(prefix):
            if query != f"mchid={self.wechat_mch_id}":
                return self._wechat_signed(400, {"code": "PARAM_ERROR", "message": "mchid 不匹配"})
            order = self._payments.get((PaymentMethod.WECHAT, unquote(path[len(prefix) :])))
            if order is None:
                return self._wechat_signed(404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"})
            return self._wechat_signed(200, self._wechat_transaction(order, order.state, None, order.currency))
        return self._wechat_signed(404, {"code": "NOT_FOUND", "message": "未知接口"})

    def _wechat_native(self, payload: dict[str, Any]) -> Answer:
        amount = payload.get("amount")
        out_trade_no = payload.get("out_trade_no")
        total = amount.get("total") if isinstance(amount, dict) else None
        if payload.get("appid") != self.wechat_app_id or payload.get("mchid") != self.wechat_mch_id:
            return self._wechat_signed(400, {"code": "PARAM_ERROR", "message": "appid 和 mchid 不匹配"})
        if not isinstance(out_trade_no, str) or not out_trade_no or type(total) is not int or total <= 0:
            return self._wechat_signed(400, {"code": "PARAM_ERROR", "message": "参数错误"})
        currency = amount.get("currency", "CNY") if isinstance(amount, dict) else "CNY"
        if currency != "CNY":
            return self._wechat_signed(400, {"code": "PARAM_ERROR", "message": "币种只支持 CNY"})
        order = self._payments.get((PaymentMethod.WECHAT, out_trade_no))
        if order is not None:
            if order.closed:
                return self._wechat_signed(400, {"code": "ORDER_CLOSED", "message": "订单已关闭"})
            if order.state in PAID_STATES:
                return self._wechat_signed(400, {"code": "ORDERPAID", "message": "该订单已支付"})
            if order.amount != total:
                return self._wechat_signed(400, {"code": "INVALID_REQUEST", "message": "商户订单号重复"})
        else:
            order = SandboxPayment(PaymentMethod.WECHAT, out_trade_no, total, "CNY", "NOTPAY")
            order.subject = str(payload.get("description", ""))
            order.notify_url = str(payload.get("notify_url") or self.notify_url(PaymentMethod.WECHAT))
            order.data["code_url"] = "weixin://wxpay/bizpayurl?pr=" + self._token(7)
            self._payments[(PaymentMethod.WECHAT, out_trade_no)] = order
        return self._wechat_signed(200, {"code_url": order.data["code_url"]})

    def _wechat_close(self, out_trade_no: str, payload: dict[str, Any]) -> Answer:
        if payload.get("mchid") != self.wechat_mch_id:
            return self._wechat_signed(400, {"code": "PARAM_ERROR", "message": "mchid 不匹配"})
        order = self._payments.get((PaymentMethod.WECHAT, out_trade_no))
        if order is None:
            return self._wechat_signed(404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"})
        if order.state in PAID_STATES or order.paid:
            return self._wechat_signed(400, {"code": "ORDERPAID", "message": "订单已支付"})
        order.state, order.closed = "CLOSED", True
        return self._wechat_signed(204, None)

    def _wechat_transaction_id(self, order: SandboxPayment) -> str:
        if order.reference is None:
            order.reference = "4200" + self._digits(24)
            self._by_reference[(PaymentMethod.WECHAT, order.reference)] = order.payment_id
        return order.reference

    def _wechat_transaction(
        self, order: SandboxPayment, state: str, paid: int | None, currency: str, moment: datetime | None = None
    ) -> dict[str, Any]:
        total = paid if paid is not None else (order.paid if order.state in PAID_STATES else order.amount)
        transaction: dict[str, Any] = {
            "appid": self.wechat_app_id,
            "mchid": self.wechat_mch_id,
            "out_trade_no": order.payment_id,
            "trade_type": "NATIVE",
            "trade_state": state,
            "trade_state_desc": {"SUCCESS": "支付成功", "NOTPAY": "未支付"}.get(state, state),
            "attach": "",
            "amount": {"total": total, "currency": currency, "payer_total": total, "payer_currency": "CNY"},
        }
        if state in PAID_STATES:
            transaction.update(
                {
                    "transaction_id": self._wechat_transaction_id(order),
                    "bank_type": "OTHERS",
                    "success_time": self._now(moment).astimezone(BEIJING).isoformat(timespec="seconds"),
                    "payer": {"openid": "oSandbox" + self._token(20)},
                }
            )
        return transaction

    def _wechat_abnormal_refund(self, payload: dict[str, Any]) -> Answer:
        """WeChat accepts the request but the money cannot go back to the payer (account closed/frozen)."""
        answer = {
            "refund_id": "50" + self._digits(27),
            "out_refund_no": payload.get("out_refund_no"),
            "out_trade_no": payload.get("out_trade_no"),
            "channel": "ORIGINAL",
            "create_time": self._clock().astimezone(BEIJING).isoformat(timespec="seconds"),
            "status": "ABNORMAL",
            "amount": payload.get("amount"),
        }
        return self._wechat_signed(200, answer)

    def _wechat_refund(self, payload: dict[str, Any]) -> Answer:
        def refused(status: int, code: str, message: str) -> Answer:
            return self._wechat_signed(status, {"code": code, "message": message})

        out_trade_no = payload.get("out_trade_no")
        if not isinstance(out_trade_no, str):
            out_trade_no = self._by_reference.get((PaymentMethod.WECHAT, str(payload.get("transaction_id"))))
        order = self._payments.get((PaymentMethod.WECHAT, out_trade_no)) if out_trade_no else None
        out_refund_no, amount = payload.get("out_refund_no"), payload.get("amount")
        if order is None:
            return refused(404, "RESOURCE_NOT_EXISTS", "订单不存在")
        if not isinstance(out_refund_no, str) or not out_refund_no or not isinstance(amount, dict):
            return refused(400, "PARAM_ERROR", "参数错误")
        refund_amount, total = amount.get("refund"), amount.get("total")
        if type(refund_amount) is not int or type(total) is not int or amount.get("currency", "CNY") != "CNY":
            return refused(400, "PARAM_ERROR", "金额参数错误")
        previous = order.refunds.get(out_refund_no)
        if previous is not None:
            if previous.amount != refund_amount:
                return refused(400, "INVALID_REQUEST", "退款单号重复但参数不一致")
            return self._wechat_signed(200, previous.answer)
        if order.state not in PAID_STATES:
            return refused(400, "INVALID_REQUEST", "订单未支付")
        if total != order.paid:
            return refused(400, "PARAM_ERROR", "订单金额与原订单金额不一致")
        if refund_amount <= 0 or order.refunded + refund_amount > order.paid:
            return refused(400, "INVALID_REQUEST", "申请退款金额超过订单可退金额")
        refund = SandboxRefund(out_refund_no, refund_amount, "50" + self._digits(27), at=self._clock())
        order.refunds[out_refund_no] = refund
        order.state = "REFUND"
        refund.answer = {
            "refund_id": refund.reference,
            "out_refund_no": out_refund_no,
            "transaction_id": self._wechat_transaction_id(order),
            "out_trade_no": order.payment_id,
            "channel": "ORIGINAL",
            "user_received_account": "支付用户零钱",
            "create_time": self._clock().astimezone(BEIJING).isoformat(timespec="seconds"),
            "status": "SUCCESS",
            "amount": {
                "total": total,
                "refund": refund_amount,
                "payer_total": total,
                "payer_refund": refund_amount,
                "currency": "CNY",
            },
        }
        return self._wechat_signed(200, refund.answer)

    def _wechat_notify(
        self,
        order: SandboxPayment,
        native: str,
        paid: int,
        currency: str,
        event_id: str | None,
        moment: datetime,
        delivered: datetime,
        overrides: dict[str, Any],
    ) -> SandboxCallback:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        transaction = self._wechat_transaction(order, native, paid, currency, moment)
        self._apply(transaction, overrides)
        nonce = self._token(12)
        sealed = AESGCM(self._wechat_api_v3_key.encode("ascii")).encrypt(
            nonce.encode("ascii"), json_bytes(transaction), b"transaction"
        )
        notification_id = event_id or self._uuid()
        event = {
            "id": notification_id,
            "create_time": moment.astimezone(BEIJING).isoformat(timespec="seconds"),
            "resource_type": "encrypt-resource",
            "event_type": f"TRANSACTION.{native}",
            "summary": "支付成功" if native == "SUCCESS" else native,
            "resource": {
                "original_type": "transaction",
                "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": base64.b64encode(sealed).decode("ascii"),
                "associated_data": "transaction",
                "nonce": nonce,
            },
        }
        body = json_bytes(event)
        timestamp = str(epoch_seconds(delivered))
        header_nonce = self._token(32)
        signature = rsa_sign(self._wechat_platform_private, response_message(timestamp, header_nonce, body))
        self._record_outcome(order, native, paid, moment)
        headers = {
            "Content-Type": "application/json",
            "Wechatpay-Nonce": header_nonce,
            "Wechatpay-Signature": signature,
            "Wechatpay-Timestamp": timestamp,
            "Wechatpay-Serial": self.wechat_platform_serial,
            "Wechatpay-Signature-Type": AUTH_SCHEME,
        }
        url = order.notify_url or self.notify_url(PaymentMethod.WECHAT)
        return SandboxCallback(PaymentMethod.WECHAT, url, headers, body, "application/json", notification_id)

    # ------------------------------------------------------------ card processor

    def _idempotent(self, method: PaymentMethod, key: str | None, fingerprint: str) -> Answer | None:
        """A replay of the first answer for `key`, an error if the key comes with other parameters, else None."""
        if not key:
            return None
        saved = self._idempotency.get((method, key))
        if saved is None:
            return None
        if saved[0] != fingerprint:
            message = "Idempotency keys can only be used with the same parameters they were first used with."
            return _json_answer(400, {"error": {"type": "idempotency_error", "message": message}})
        status, headers, body = saved[1]
        return status, {**headers, "Idempotent-Replayed": "true"}, body

    def _remember(self, method: PaymentMethod, key: str | None, fingerprint: str, answer: Answer) -> Answer:
        if key and answer[0] < 500:
            self._idempotency[(method, key)] = (fingerprint, answer)
        return answer

    def _card_request(self, verb: str, path: str, query: str, headers: dict[str, str], body: bytes) -> Answer:
        given = (header(headers, "Authorization") or "").encode("utf-8")
        if not hmac.compare_digest(given, f"Bearer {self._card_secret_key}".encode()):
            error = {"type": "invalid_request_error", "message": "Invalid API Key provided."}
            return _json_answer(401, {"error": error})
        try:
            form = _nest_form(parse_form(body)) if body else {}
        except ValueError:
            return _json_answer(400, {"error": {"type": "invalid_request_error", "message": "Malformed form body."}})
        key = header(headers, "Idempotency-Key") if verb == "POST" else None
        fingerprint = f"{verb} {path} {json.dumps(form, sort_keys=True)}"
        replay = self._idempotent(PaymentMethod.CARD, key, fingerprint)
        if replay is not None:
            return replay
        if verb == "POST" and path == "/v1/payment_intents":
            answer = self._card_create_intent(form)
        elif verb == "POST" and path == "/v1/refunds":
            if self.refunds_unavailable:
                return _json_answer(500, {"error": {"type": "api_error", "message": "Service unavailable."}})
            answer = self._card_declined_refund(form) if self.refunds_declined else self._card_refund(form, key)
        elif verb == "POST" and path.startswith("/v1/payment_intents/") and path.endswith("/cancel"):
            answer = self._card_cancel(path.split("/")[3], form)
        elif verb == "POST" and path == "/v1/reporting/report_runs":
            answer = self._card_report_run(form)
        elif verb == "GET" and path.startswith("/v1/reporting/report_runs/"):
            run = self._report_runs.get(unquote(path.rsplit("/", 1)[1]))
            answer = _json_answer(200, self._card_run_ready(run)) if run else self._card_missing()
        elif verb == "GET" and path == "/v1/payment_intents/search":
            answer = self._card_search(query)
        elif verb == "GET" and path.startswith("/v1/payment_intents/"):
            intent = self._card_intent(path.rsplit("/", 1)[1])
            answer = _json_answer(200, intent.data) if intent else self._card_missing()
        else:
            answer = _json_answer(404, {"error": {"type": "invalid_request_error", "message": "Unrecognized URL."}})
        return self._remember(PaymentMethod.CARD, key, fingerprint, answer)

    @staticmethod
    def _card_missing() -> Answer:
        return _json_answer(
            404, {"error": {"type": "invalid_request_error", "code": "resource_missing", "message": "No such object."}}
        )

    def _card_intent(self, intent_id: str) -> SandboxPayment | None:
        payment_id = self._by_reference.get((PaymentMethod.CARD, intent_id))
        return self._payments.get((PaymentMethod.CARD, payment_id)) if payment_id else None

    def _card_new_intent(self, payment: SandboxPayment, metadata: dict[str, Any], description: str = "") -> None:
        intent_id = "pi_" + self._token(24)
        payment.reference = intent_id
        payment.state = "requires_payment_method"
        payment.notify_url = self.notify_url(PaymentMethod.CARD)
        payment.data = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": payment.amount,
            "amount_received": 0,
            "currency": payment.currency.lower(),
            "client_secret": f"{intent_id}_secret_{self._token(24)}",
            "created": epoch_seconds(self._clock()),
            "description": description,
            "livemode": False,
            "metadata": metadata,
            "status": "requires_payment_method",
        }
        self._by_reference[(PaymentMethod.CARD, intent_id)] = payment.payment_id

    def _card_create_intent(self, form: dict[str, Any]) -> Answer:
        amount, currency = str(form.get("amount", "")), str(form.get("currency", "")).upper()
        found = form.get("metadata")
        metadata: dict[str, Any] = found if isinstance(found, dict) else {}
        if not amount.isdigit() or int(amount) <= 0 or currency not in SUPPORTED_CURRENCIES:
            error = {"type": "invalid_request_error", "code": "parameter_invalid", "message": "Invalid amount."}
            return _json_answer(400, {"error": error})
        payment_id = str(metadata.get("payment_id") or f"intent-{self._token(12)}")
        payment = SandboxPayment(PaymentMethod.CARD, payment_id, int(amount), currency, "requires_payment_method")
        self._card_new_intent(payment, dict(metadata), str(form.get("description", "")))
        self._payments[(PaymentMethod.CARD, payment_id)] = payment
        return _json_answer(200, payment.data)

    def _card_search(self, query: str) -> Answer:
        try:
            text = parse_form(query.encode("ascii")).get("query", "")
        except (ValueError, UnicodeEncodeError):
            text = ""
        match = re.fullmatch(r"metadata\['payment_id'\]:'((?:[^'\\]|\\.)*)'", text)
        if match is None:
            error = {"type": "invalid_request_error", "message": "Unsupported search query."}
            return _json_answer(400, {"error": error})
        wanted = re.sub(r"\\(.)", r"\1", match.group(1))
        found = [p.data for p in self._payments.values() if p.method is PaymentMethod.CARD and p.payment_id == wanted]
        return _json_answer(200, {"object": "search_result", "data": found, "has_more": False})

    def _card_cancel(self, intent_id: str, form: dict[str, Any]) -> Answer:
        intent = self._card_intent(unquote(intent_id))
        if intent is None:
            return self._card_missing()
        if intent.state in ("succeeded", "processing", "canceled"):
            message = f"You cannot cancel this PaymentIntent because it has a status of {intent.state}."
            error = {
                "type": "invalid_request_error",
                "code": "payment_intent_unexpected_state",
                "message": message,
                "payment_intent": intent.data,
            }
            return _json_answer(400, {"error": error})
        intent.state, intent.closed = "canceled", True
        intent.data.update(
            {
                "status": "canceled",
                "cancellation_reason": str(form.get("cancellation_reason") or "requested_by_customer"),
            }
        )
        return _json_answer(200, intent.data)

    def _card_declined_refund(self, form: dict[str, Any]) -> Answer:
        found = form.get("metadata")
        return _json_answer(
            200,
            {
                "id": "re_" + self._token(24),
                "object": "refund",
                "amount": int(amount) if (amount := str(form.get("amount", "0"))).isdigit() else 0,
                "payment_intent": form.get("payment_intent"),
                "status": "failed",
                "failure_reason": "expired_or_canceled_card",
                "metadata": found if isinstance(found, dict) else {},
                "created": epoch_seconds(self._clock()),
            },
        )

    def _card_refund(self, form: dict[str, Any], key: str | None) -> Answer:
        def refused(status: int, code: str, message: str) -> Answer:
            return _json_answer(status, {"error": {"type": "invalid_request_error", "code": code, "message": message}})

        intent = self._card_intent(str(form.get("payment_intent", "")))
        if intent is None:
            return self._card_missing()
        amount_text = str(form.get("amount", intent.paid - intent.refunded))
        if not amount_text.isdigit():
            return refused(400, "parameter_invalid_integer", "Invalid integer: amount.")
        amount = int(amount_text)
        if intent.state != "succeeded":
            return refused(400, "payment_intent_unexpected_state", "This PaymentIntent has no successful charge.")
        if intent.refunded >= intent.paid:
            return refused(400, "charge_already_refunded", "The charge has already been refunded.")
        if amount <= 0 or intent.refunded + amount > intent.paid:
            return refused(400, "amount_too_large", "Refund amount is greater than the unrefunded amount.")
        found = form.get("metadata")
        metadata: dict[str, Any] = found if isinstance(found, dict) else {}
        refund_id = str(metadata.get("refund_id") or key or self._token(12))
        refund = SandboxRefund(refund_id, amount, "re_" + self._token(24), at=self._clock())
        refund.answer = {
            "id": refund.reference,
            "object": "refund",
            "amount": amount,
            "currency": intent.currency.lower(),
            "payment_intent": intent.reference,
            "status": "succeeded",
            "metadata": metadata,
            "created": epoch_seconds(self._clock()),
        }
        intent.refunds[refund_id] = refund
        return _json_answer(200, refund.answer)

    def _card_webhook(
        self,
        intent: SandboxPayment,
        native: str,
        paid: int,
        currency: str,
        event_id: str | None,
        moment: datetime,
        delivered: datetime,
        overrides: dict[str, Any],
    ) -> SandboxCallback:
        state = {
            "payment_intent.succeeded": "succeeded",
            "payment_intent.payment_failed": "requires_payment_method",
            "payment_intent.canceled": "canceled",
        }.get(native, "processing")
        obj = {
            **intent.data,
            "status": state,
            "currency": currency.lower(),
            "amount_received": paid if state == "succeeded" else 0,
        }
        if native == "payment_intent.payment_failed":
            obj["last_payment_error"] = {"code": "card_declined", "message": "Your card was declined."}
        self._apply(obj, overrides)
        created = epoch_seconds(moment)
        signed_at = epoch_seconds(delivered)
        event = {
            "id": event_id or "evt_" + self._token(24),
            "object": "event",
            "api_version": "2024-06-20",
            "created": created,
            "data": {"object": obj},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": intent.payment_id},
            "type": native,
        }
        body = json.dumps(event, indent=2, ensure_ascii=False).encode("utf-8")  # the processor pretty-prints
        signatures = ",".join(f"v1={sign_payload(secret, signed_at, body)}" for secret in self._card_webhook_secrets)
        intent.data.update({"status": state, "amount_received": obj["amount_received"]})
        self._record_outcome(intent, state, paid, moment)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Card-Signature": f"t={signed_at},{signatures}",
            "User-Agent": "SandboxCard/1.0 (+https://card.sandbox.invalid/docs/webhooks)",
        }
        url = self.notify_url(PaymentMethod.CARD)
        return SandboxCallback(PaymentMethod.CARD, url, headers, body, "application/json", str(event["id"]))

    # ------------------------------------------------------------ crypto processor

    def _crypto_request(self, verb: str, path: str, headers: dict[str, str], body: bytes) -> Answer:
        given = (header(headers, "X-CC-Api-Key") or "").encode("utf-8")
        if not hmac.compare_digest(given, self._crypto_api_key.encode("ascii")):
            return _json_answer(401, {"error": {"type": "authorization_error", "message": "No such API key."}})
        payload: dict[str, Any] = {}
        if body:
            try:
                parsed = json.loads(body)
            except (json.JSONDecodeError, UnicodeDecodeError):
                parsed = None
            if not isinstance(parsed, dict):
                return _json_answer(400, {"error": {"type": "invalid_request", "message": "Body must be JSON."}})
            payload = parsed
        key = header(headers, "Idempotency-Key") if verb == "POST" else None
        fingerprint = f"{verb} {path} {json.dumps(payload, sort_keys=True)}"
        replay = self._idempotent(PaymentMethod.CRYPTO, key, fingerprint)
        if replay is not None:
            return replay
        parts = path.strip("/").split("/")
        if verb == "POST" and parts == ["charges"]:
            answer = self._crypto_create_charge(payload)
        elif verb == "GET" and len(parts) == 2 and parts[0] == "charges":
            charge = self._crypto_charge(unquote(parts[1]))
            answer = _json_answer(200, {"data": charge.data}) if charge else self._crypto_missing()
        elif verb == "POST" and len(parts) == 3 and parts[0] == "charges" and parts[2] == "refunds":
            if self.refunds_unavailable:
                return _json_answer(503, {"error": {"type": "service_unavailable", "message": "Try again later"}})
            if self.refunds_declined:
                answer = self._crypto_declined_refund(unquote(parts[1]), payload)
            else:
                answer = self._crypto_refund(unquote(parts[1]), payload)
        elif verb == "POST" and len(parts) == 3 and parts[0] == "charges" and parts[2] == "cancel":
            answer = self._crypto_cancel(unquote(parts[1]))
        else:
            answer = self._crypto_missing()
        return self._remember(PaymentMethod.CRYPTO, key, fingerprint, answer)

    @staticmethod
    def _crypto_missing() -> Answer:
        return _json_answer(404, {"error": {"type": "not_found", "message": "Not found"}})

    def _crypto_charge(self, code: str) -> SandboxPayment | None:
        payment_id = self._by_reference.get((PaymentMethod.CRYPTO, code))
        return self._payments.get((PaymentMethod.CRYPTO, payment_id)) if payment_id else None

    def _crypto_new_charge(
        self, payment: SandboxPayment, name: str, description: str, metadata: dict[str, Any]
    ) -> None:
        code = self._token(8, string.ascii_uppercase + string.digits)
        created = self._clock()
        payment.reference = code
        payment.state = "NEW"
        payment.notify_url = self.notify_url(PaymentMethod.CRYPTO)
        payment.data = {
            "id": self._uuid(),
            "resource": "charge",
            "code": code,
            "name": name,
            "description": description,
            "hosted_url": f"https://commerce.sandbox.invalid/charges/{code}",
            "created_at": created.isoformat(),
            "expires_at": (created + timedelta(hours=1)).isoformat(),
            "pricing_type": "fixed_price",
            "pricing": {
                "local": {"amount": minor_to_decimal(payment.amount, payment.currency), "currency": payment.currency}
            },
            "metadata": metadata,
            "payments": [],
            "timeline": [{"status": "NEW", "time": created.isoformat()}],
        }
        self._by_reference[(PaymentMethod.CRYPTO, code)] = payment.payment_id

    def _crypto_create_charge(self, payload: dict[str, Any]) -> Answer:
        price, metadata = payload.get("local_price"), payload.get("metadata")
        currency = price.get("currency") if isinstance(price, dict) else None
        try:
            if not isinstance(currency, str) or currency not in SUPPORTED_CURRENCIES or not isinstance(price, dict):
                raise ValueError("currency")
            amount = decimal_to_minor(str(price.get("amount")), currency)
        except ValueError:
            return _json_answer(400, {"error": {"type": "invalid_request", "message": "Invalid local_price."}})
        if payload.get("pricing_type") != "fixed_price" or amount <= 0 or not isinstance(metadata, dict):
            return _json_answer(400, {"error": {"type": "invalid_request", "message": "Invalid charge."}})
        payment_id = str(metadata.get("payment_id") or f"charge-{self._token(12)}")
        payment = SandboxPayment(PaymentMethod.CRYPTO, payment_id, amount, currency, "NEW")
        self._crypto_new_charge(payment, str(payload.get("name", "")), str(payload.get("description", "")), metadata)
        self._payments[(PaymentMethod.CRYPTO, payment_id)] = payment
        return _json_answer(201, {"data": payment.data})

    def _crypto_cancel(self, code: str) -> Answer:
        charge = self._crypto_charge(code)
        if charge is None:
            return self._crypto_missing()
        if charge.state != "NEW":
            return _json_answer(
                400, {"error": {"type": "invalid_request", "message": "Only new charges can be canceled"}}
            )
        charge.state, charge.closed = "CANCELED", True
        charge.data["timeline"].append({"status": "CANCELED", "time": self._clock().isoformat()})
        return _json_answer(200, {"data": charge.data})

    def _crypto_declined_refund(self, code: str, payload: dict[str, Any]) -> Answer:
        record = {
            "id": self._uuid(),
            "resource": "refund",
            "charge_code": code,
            "refund_id": payload.get("refund_id"),
            "status": "failed",
            "amount": payload.get("amount"),
            "created_at": self._clock().isoformat(),
        }
        return _json_answer(201, {"data": record})

    def _crypto_refund(self, code: str, payload: dict[str, Any]) -> Answer:
        def refused(status: int, message: str) -> Answer:
            return _json_answer(status, {"error": {"type": "invalid_request", "message": message}})

        charge = self._crypto_charge(code)
        if charge is None:
            return self._crypto_missing()
        refund_id, amount = payload.get("refund_id"), payload.get("amount")
        if not isinstance(refund_id, str) or not refund_id or not isinstance(amount, dict):
            return refused(400, "refund_id and amount are required")
        if amount.get("currency") != charge.currency:
            return refused(400, "refund currency differs from the charge's")
        try:
            minor = decimal_to_minor(str(amount.get("amount")), charge.currency)
        except ValueError:
            return refused(400, "invalid refund amount")
        previous = charge.refunds.get(refund_id)
        if previous is not None:
            if previous.amount != minor:
                return refused(400, "refund_id already used with another amount")
            return _json_answer(200, {"data": previous.answer})
        if charge.state not in PAID_STATES:
            return refused(400, "charge is not paid")
        if minor <= 0 or charge.refunded + minor > charge.paid:
            return refused(400, "refund exceeds the unrefunded amount")
        refund = SandboxRefund(refund_id, minor, self._uuid(), at=self._clock())
        refund.answer = {
            "id": refund.reference,
            "resource": "refund",
            "charge_code": code,
            "refund_id": refund_id,
            "status": "completed",
            "amount": {"amount": minor_to_decimal(minor, charge.currency), "currency": charge.currency},
            "created_at": self._clock().isoformat(),
        }
        charge.refunds[refund_id] = refund
        return _json_answer(201, {"data": refund.answer})

    def _crypto_webhook(
        self,
        charge: SandboxPayment,
        native: str,
        paid: int,
        currency: str,
        event_id: str | None,
        moment: datetime,
        delivered: datetime,
        overrides: dict[str, Any],
    ) -> SandboxCallback:
        timeline_status = {"charge:confirmed": "COMPLETED", "charge:failed": "EXPIRED", "charge:resolved": "RESOLVED"}
        state = timeline_status.get(native, "PENDING")
        local = {"amount": minor_to_decimal(paid, currency), "currency": currency}
        data = json.loads(json.dumps(charge.data))
        data["timeline"].append({"status": state, "time": moment.isoformat()})
        data["pricing"]["local"] = local
        if native != "charge:failed":
            data["payments"] = [
                {
                    "network": "ethereum",
                    "transaction_id": "0x" + self._token(64, "0123456789abcdef"),
                    "status": "CONFIRMED" if state in PAID_STATES else "PENDING",
                    "value": {"local": local, "crypto": {"amount": "0.04210000", "currency": "ETH"}},
                }
            ]
        stored = json.loads(json.dumps(data))
        self._apply(data, overrides)
        event = {
            "id": event_id or self._uuid(),
            "resource": "event",
            "type": native,
            "api_version": "2018-03-22",
            "created_at": moment.isoformat(),
            "data": data,
        }
        delivery = {
            "id": self._uuid(),
            "scheduled_for": delivered.isoformat(),
            "attempt_number": 1,
            "event": event,
        }
        body = json_bytes(delivery)
        if state not in PAID_STATES:
            stored["pricing"] = charge.data["pricing"]  # only a payment changes what the charge says was paid
        charge.data = stored
        self._record_outcome(charge, state, paid, moment)
        headers = {
            "Content-Type": "application/json",
            "X-CC-Webhook-Signature": hmac_sha256_hex(self._crypto_webhook_secret, body),
        }
        url = self.notify_url(PaymentMethod.CRYPTO)
        return SandboxCallback(PaymentMethod.CRYPTO, url, headers, body, "application/json", str(event["id"]))
