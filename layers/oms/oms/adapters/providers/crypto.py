"""Crypto processor (Coinbase Commerce-style): hosted charges, HMAC-signed webhooks, refund records, query.

Webhooks carry `X-CC-Webhook-Signature` = hex HMAC-SHA256(shared secret, raw body). There is no timestamp
in the signature, so a captured webhook stays valid: deduplication on the event id (the inbox) stops a
replay of a notice already applied, and the event's own `created_at` must be inside the freshness window
(`CallbackFreshnessSeconds`), which bounds how long a captured one can be used at all. On-chain payments
are not refunded automatically; `refund` asks the processor to record a refund (`POST /charges/{code}/refunds`)
that it pays out and reports.
"""

from __future__ import annotations

import hmac
import json
import re
from typing import Any
from urllib.parse import quote

from oms.adapters.providers import (
    DEFAULT_FRESHNESS_SECONDS,
    Clock,
    check_fresh,
    decimal_to_minor,
    header,
    json_bytes,
    json_object,
    minor_to_decimal,
    object_field,
    text_field,
    timestamp_field,
)
from oms.adapters.providers.base import (
    CallbackAnswer,
    CallbackRejected,
    CloseOutcome,
    NoticeStatus,
    PaymentInstructions,
    ProviderClose,
    ProviderError,
    ProviderNotice,
    ProviderQuery,
    ProviderRefund,
    Transport,
)
from oms.adapters.providers.credentials import CryptoCredentials, hmac_sha256_hex
from oms.domain.clock import utcnow
from oms.domain.errors import InvalidRequest
from oms.domain.money import Money
from oms.domain.payment import PaymentMethod

API_VERSION = "2018-03-22"
SIGNATURE_HEADER = "X-CC-Webhook-Signature"
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")

EVENT_STATUS = {
    "charge:confirmed": NoticeStatus.SUCCEEDED,
    "charge:resolved": NoticeStatus.SUCCEEDED,  # an operator resolved an under/over-payment as paid
    "charge:failed": NoticeStatus.FAILED,
    "charge:pending": NoticeStatus.PENDING,  # seen on chain, not yet confirmed
    "charge:created": NoticeStatus.PENDING,
    "charge:delayed": NoticeStatus.PENDING,  # paid after expiry: needs an operator to resolve
}
TIMELINE_STATUS = {
    "COMPLETED": NoticeStatus.SUCCEEDED,
    "RESOLVED": NoticeStatus.SUCCEEDED,
    "EXPIRED": NoticeStatus.FAILED,
    "CANCELED": NoticeStatus.FAILED,
    "NEW": NoticeStatus.PENDING,
    "PENDING": NoticeStatus.PENDING,
    "UNRESOLVED": NoticeStatus.PENDING,
}
REFUND_STATUS = {"completed": NoticeStatus.SUCCEEDED, "pending": NoticeStatus.PENDING, "failed": NoticeStatus.FAILED}


class CryptoProvider:
    method: PaymentMethod = PaymentMethod.CRYPTO

    def __init__(
        self,
        credentials: CryptoCredentials,
        transport: Transport,
        clock: Clock = utcnow,
        *,
        freshness_seconds: int = DEFAULT_FRESHNESS_SECONDS,
    ) -> None:
        self._creds = credentials
        self._transport = transport
        self._clock = clock
        self._freshness = freshness_seconds  # how old a notice's own timestamp may be (CallbackFreshnessSeconds)

    def __repr__(self) -> str:
        return f"CryptoProvider(api_base_url={self._creds.api_base_url!r})"

    def _call(
        self, method: str, path: str, payload: dict[str, Any] | None = None, idempotency_key: str | None = None
    ) -> tuple[int, dict[str, Any]]:
        headers = {"X-CC-Api-Key": self._creds.api_key, "X-CC-Version": API_VERSION, "Accept": "application/json"}
        body = b""
        if payload is not None:
            headers["Content-Type"] = "application/json"
            body = json_bytes(payload)
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        status, _headers, raw = self._transport.send(method, self._creds.api_base_url + path, headers, body)
        what = f"crypto {method} {path}"
        if status >= 500 or status in (409, 429):
            raise ProviderError(f"{what} answered HTTP {status}")
        try:
            data = json_object(raw, "answer")
        except ValueError:
            raise ProviderError(f"{what} answered with malformed JSON") from None
        if status in (401, 403):
            raise ProviderError(f"{what} refused our API key (HTTP {status})", retryable=False)
        return status, data

    # ------------------------------------------------------------ payments

    def instructions(self, payment_id: str, order_number: str, amount: Money, description: str) -> PaymentInstructions:
        if amount.amount <= 0:
            raise InvalidRequest("crypto payments need a positive amount")
        payload = {
            "name": f"Order {order_number}"[:100],
            "description": (description or f"Order {order_number}")[:200],
            "pricing_type": "fixed_price",
            "local_price": {"amount": minor_to_decimal(amount.amount, amount.currency), "currency": amount.currency},
            "metadata": {"payment_id": payment_id, "order_number": order_number},
        }
        status, data = self._call("POST", "/charges", payload, idempotency_key=payment_id)
        charge = data.get("data")
        if status not in (200, 201) or not isinstance(charge, dict):
            raise ProviderError(f"crypto processor did not create the charge: {_describe(data)}", retryable=False)
        code, hosted_url, metadata = charge.get("code"), charge.get("hosted_url"), charge.get("metadata")
        if not isinstance(code, str) or not isinstance(hosted_url, str):
            raise ProviderError("crypto charge answer lacks code / hosted_url")
        if not isinstance(metadata, dict) or metadata.get("payment_id") != payment_id:
            raise ProviderError("crypto processor answered about another payment")
        return PaymentInstructions(self.method, {"hosted_url": hosted_url, "charge_code": code})

    def verify_callback(self, headers: dict[str, str], raw_body: bytes) -> ProviderNotice:
        try:
            given = header(headers, SIGNATURE_HEADER)
        except ValueError as error:
            raise CallbackRejected(str(error)) from None
        if not given:
            raise CallbackRejected(f"missing {SIGNATURE_HEADER} header")
        given = given.strip()
        if not _HEX64.fullmatch(given):
            raise CallbackRejected(f"malformed {SIGNATURE_HEADER} header")
        expected = hmac_sha256_hex(self._creds.webhook_secret, raw_body)
        if not hmac.compare_digest(expected.encode("ascii"), given.lower().encode("ascii")):
            raise CallbackRejected("signature does not verify")
        try:
            return self._notice(raw_body)
        except ValueError as error:
            raise CallbackRejected(str(error)) from None

    def _notice(self, raw_body: bytes) -> ProviderNotice:
        delivery = json_object(raw_body, "webhook")
        event = object_field(delivery, "event", "webhook")
        event_id = text_field(event, "id", "event")
        # No timestamp is signed, so the event's own time is what tells a replay from the processor's
        # retries (up to 3 days; every retry carries the same event).
        check_fresh(timestamp_field(event, "created_at", "event"), self._clock(), self._freshness, "event created_at")
        status = EVENT_STATUS.get(str(event.get("type")))
        if status is None:
            raise ValueError("event type is not handled")
        charge = object_field(event, "data", "event")
        metadata = object_field(charge, "metadata", "charge")
        return ProviderNotice(
            provider=self.method,
            event_id=event_id,
            payment_id=text_field(metadata, "payment_id", "charge metadata"),
            provider_reference=text_field(charge, "code", "charge"),
            status=status,
            amount=_local_price(charge),
            merchant_ok=True,  # the shared webhook secret is the merchant binding: no merchant id is sent
            raw=event,
        )

    def success_answer(self) -> CallbackAnswer:
        return CallbackAnswer(200, "ok")

    def failure_answer(self, reason: str) -> CallbackAnswer:
        return CallbackAnswer(400, json.dumps({"error": reason[:200]}, separators=(",", ":")), "application/json")

    # ------------------------------------------------------------ refund and query

    def refund(
        self, payment_id: str, provider_reference: str, refund_id: str, amount: Money, total: Money
    ) -> ProviderRefund:
        if amount.currency != total.currency or amount.amount <= 0 or amount.amount > total.amount:
            raise InvalidRequest("refund amount must be positive, in the payment's currency, at most its total")
        if not provider_reference:
            raise ProviderError("crypto refunds need the charge code", retryable=False)
        payload = {
            "refund_id": refund_id,
            "amount": {"amount": minor_to_decimal(amount.amount, amount.currency), "currency": amount.currency},
            "metadata": {"payment_id": payment_id},
        }
        path = f"/charges/{quote(provider_reference, safe='')}/refunds"
        status, data = self._call("POST", path, payload, idempotency_key=refund_id)
        if status >= 400:
            return ProviderRefund(refund_id, provider_reference, NoticeStatus.FAILED, _describe(data))
        record = data.get("data")
        if not isinstance(record, dict) or record.get("refund_id") != refund_id:
            raise ProviderError("crypto refund answer is not about this refund")
        refund_status = REFUND_STATUS.get(str(record.get("status")))
        reference = record.get("id")
        if refund_status is None or not isinstance(reference, str):
            raise ProviderError("crypto refund answer has no usable status / id")
        reason = "" if refund_status is not NoticeStatus.FAILED else f"refund {record.get('status')}"
        return ProviderRefund(refund_id, reference, refund_status, reason)

    def query(self, payment_id: str, expected_amount: Money, provider_reference: str | None = None) -> ProviderQuery:
        if not provider_reference:
            # The processor looks charges up by code only; the code comes back from `instructions`.
            raise ProviderError("crypto query needs the charge code", retryable=False)
        status, data = self._call("GET", f"/charges/{quote(provider_reference, safe='')}")
        if status == 404:
            raise ProviderError("crypto processor does not know this charge", retryable=False)
        charge = data.get("data")
        if status != 200 or not isinstance(charge, dict):
            raise ProviderError(f"crypto query failed: {_describe(data)}")
        metadata = charge.get("metadata")
        if not isinstance(metadata, dict) or metadata.get("payment_id") != payment_id:
            raise ProviderError("crypto query answer is not about this payment")
        timeline = charge.get("timeline")
        last = timeline[-1] if isinstance(timeline, list) and timeline else None
        timeline_status = last.get("status") if isinstance(last, dict) else None
        state = TIMELINE_STATUS.get(str(timeline_status))
        if state is None:
            raise ProviderError("crypto query answer has no usable timeline status")
        amount: Money | None = None
        if state is NoticeStatus.SUCCEEDED:
            try:
                amount = _local_price(charge)
            except ValueError as error:
                raise ProviderError(f"crypto query answer: {error}") from None
        return ProviderQuery(
            payment_id, provider_reference, state, amount, f"query:{provider_reference}:{timeline_status}"
        )

    def close(self, payment_id: str, provider_reference: str | None = None) -> ProviderClose:
        """Cancel the charge (`POST /charges/{code}/cancel`): only a NEW charge can be cancelled; once a
        payment is seen on chain the processor refuses, and the charge's timeline tells what happened."""
        if not provider_reference:
            raise ProviderError("crypto close needs the charge code", retryable=False)
        code = quote(provider_reference, safe="")
        status, data = self._call("POST", f"/charges/{code}/cancel", idempotency_key=f"close-{payment_id}")
        if status == 404:
            return ProviderClose(payment_id, CloseOutcome.NOT_FOUND, _describe(data))
        if status in (200, 201):
            charge = data.get("data")
            metadata = charge.get("metadata") if isinstance(charge, dict) else None
            if not isinstance(metadata, dict) or metadata.get("payment_id") != payment_id:
                raise ProviderError("crypto cancel answer is not about this payment")
            return ProviderClose(payment_id, CloseOutcome.CLOSED)
        answer = self.query(payment_id, Money.zero("CNY"), provider_reference)
        if answer.status is NoticeStatus.FAILED:  # expired or cancelled already
            return ProviderClose(payment_id, CloseOutcome.CLOSED, _describe(data))
        if answer.status is NoticeStatus.SUCCEEDED:
            return ProviderClose(payment_id, CloseOutcome.PAID, _describe(data))
        raise ProviderError(f"crypto charge has a payment under way: {_describe(data)}")


def _local_price(charge: dict[str, Any]) -> Money:
    local = object_field(object_field(charge, "pricing", "charge"), "local", "charge pricing")
    text, currency = local.get("amount"), local.get("currency")
    if not isinstance(text, str) or not isinstance(currency, str):
        raise ValueError("charge has no local price")
    try:
        return Money(decimal_to_minor(text, currency), currency)
    except (ValueError, InvalidRequest):
        raise ValueError("charge local price is not a valid amount") from None


def _describe(data: dict[str, Any]) -> str:
    error = data.get("error")
    if isinstance(error, dict):
        parts = [str(error.get(k)) for k in ("type", "message") if error.get(k)]
        return " ".join(parts)[:200] or "error"
    return "unexpected answer"
