"""Card processor (Stripe-style): payment intents, signed webhooks, refunds, query.

API calls are form-encoded with `Authorization: Bearer <secret key>` and an `Idempotency-Key` (the payment
or refund id), so a retried call replays the first answer. Webhooks carry `Card-Signature` (or
`Stripe-Signature`): `t=<unix>,v1=<hex>[,v1=<hex>…]`, each v1 = HMAC-SHA256(secret, "<t>.<raw body>");
during a secret rotation several v1 values come and several secrets are configured: any match passes.
"""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from oms.adapters.providers import (
    DEFAULT_FRESHNESS_SECONDS,
    Clock,
    check_fresh,
    header,
    int_field,
    json_object,
    object_field,
    text_field,
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
from oms.adapters.providers.credentials import CardCredentials, hmac_sha256_hex, parse_timestamped_signature
from oms.domain.clock import epoch_seconds, utcnow
from oms.domain.errors import InvalidRequest
from oms.domain.money import Money
from oms.domain.payment import PaymentMethod

TOLERANCE_SECONDS = 300
REPORT_TYPE = "balance_change_from_activity.itemized.3"
REPORT_POLLS = 4  # asks after a report run before giving up for now (the next scheduled try asks again)
SIGNATURE_HEADERS = ("Card-Signature", "Stripe-Signature")

EVENT_STATUS = {
    "payment_intent.succeeded": NoticeStatus.SUCCEEDED,
    "payment_intent.payment_failed": NoticeStatus.FAILED,
    "payment_intent.canceled": NoticeStatus.FAILED,
    "payment_intent.processing": NoticeStatus.PENDING,
    "payment_intent.requires_action": NoticeStatus.PENDING,
    "payment_intent.created": NoticeStatus.PENDING,
}
INTENT_STATUS = {"succeeded": NoticeStatus.SUCCEEDED, "canceled": NoticeStatus.FAILED}  # others: PENDING
REFUND_STATUS = {
    "succeeded": NoticeStatus.SUCCEEDED,
    "pending": NoticeStatus.PENDING,
    "requires_action": NoticeStatus.PENDING,
    "failed": NoticeStatus.FAILED,
    "canceled": NoticeStatus.FAILED,
}


def parse_signature_header(value: str) -> tuple[int, list[str]]:
    """(t, [v1, …]) from `t=…,v1=…[,v1=…]`; other schemes (v0) are ignored; ValueError if malformed."""
    return parse_timestamped_signature(value)


def sign_payload(secret: str, timestamp: int, raw_body: bytes) -> str:
    return hmac_sha256_hex(secret, f"{timestamp}.".encode("ascii") + raw_body)


class CardProvider:
    method: PaymentMethod = PaymentMethod.CARD

    def __init__(
        self,
        credentials: CardCredentials,
        transport: Transport,
        clock: Clock = utcnow,
        *,
        freshness_seconds: int = DEFAULT_FRESHNESS_SECONDS,
    ) -> None:
        self._creds = credentials
        self._transport = transport
        self._clock = clock
        self._freshness = freshness_seconds  # how old a notice's own timestamp may be (CallbackFreshnessSeconds)
        self.sleep: Callable[[float], None] = time.sleep  # between report-run polls

    def __repr__(self) -> str:
        return f"CardProvider(publishable_key={self._creds.publishable_key!r})"

    def _call(
        self, method: str, path: str, form: list[tuple[str, str]] | None = None, idempotency_key: str | None = None
    ) -> tuple[int, dict[str, Any]]:
        headers = {"Authorization": f"Bearer {self._creds.secret_key}", "Accept": "application/json"}
        body = b""
        if form is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            body = urlencode(form).encode("ascii")
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        status, _headers, raw = self._transport.send(method, self._creds.api_base_url + path, headers, body)
        what = f"card {method} {path.split('?')[0]}"
        if status >= 500 or status in (409, 429):
            raise ProviderError(f"{what} answered HTTP {status}")
        try:
            data = json_object(raw, "answer")
        except ValueError:
            raise ProviderError(f"{what} answered with malformed JSON") from None
        if status in (401, 403):
            raise ProviderError(f"{what} refused our credentials (HTTP {status})", retryable=False)
        error = data.get("error")
        if isinstance(error, dict) and error.get("type") == "idempotency_error":
            raise ProviderError(f"{what}: idempotency key reused with other parameters", retryable=False)
        return status, data

    # ------------------------------------------------------------ payments

    def instructions(self, payment_id: str, order_number: str, amount: Money, description: str) -> PaymentInstructions:
        if amount.amount <= 0:
            raise InvalidRequest("card payments need a positive amount")
        form = [
            ("amount", str(amount.amount)),
            ("currency", amount.currency.lower()),
            ("automatic_payment_methods[enabled]", "true"),
            ("description", (description or f"Order {order_number}")[:1000]),
            ("metadata[payment_id]", payment_id),
            ("metadata[order_number]", order_number),
        ]
        status, data = self._call("POST", "/v1/payment_intents", form, idempotency_key=payment_id)
        intent_id, secret = data.get("id"), data.get("client_secret")
        metadata = data.get("metadata")
        if status != 200 or not isinstance(intent_id, str) or not isinstance(secret, str):
            raise ProviderError(f"card processor did not create the payment: {_describe(data)}", retryable=False)
        if not isinstance(metadata, dict) or metadata.get("payment_id") != payment_id:
            raise ProviderError("card processor answered about another payment")
        return PaymentInstructions(
            self.method,
            {"client_secret": secret, "publishable_key": self._creds.publishable_key, "payment_intent": intent_id},
        )

    def verify_callback(self, headers: dict[str, str], raw_body: bytes) -> ProviderNotice:
        try:
            self._check_signature(headers, raw_body)
        except ValueError as error:
            raise CallbackRejected(str(error)) from None
        try:
            return self._notice(raw_body)
        except ValueError as error:
            raise CallbackRejected(str(error)) from None

    def _check_signature(self, headers: dict[str, str], raw_body: bytes) -> None:
        value = next((v for v in (header(headers, name) for name in SIGNATURE_HEADERS) if v), None)
        if value is None:
            raise ValueError("missing Card-Signature header")
        timestamp, given = parse_signature_header(value)
        if abs(epoch_seconds(self._clock()) - timestamp) > TOLERANCE_SECONDS:
            raise ValueError("signature timestamp outside the tolerance")
        matched = False
        for secret in self._creds.webhook_secrets:
            expected = sign_payload(secret, timestamp, raw_body).encode("ascii")
            for candidate in given:
                matched |= hmac.compare_digest(expected, candidate.encode("ascii"))
        if not matched:
            raise ValueError("no signature matches a configured secret")

    def _notice(self, raw_body: bytes) -> ProviderNotice:
        event = json_object(raw_body, "event")
        event_id = text_field(event, "id", "event")
        # t= is re-signed on every delivery (300 s); the event's own creation time bounds how long a
        # captured event may be re-sent, as for the other providers (retries last up to 3 days).
        check_fresh(
            datetime.fromtimestamp(int_field(event, "created", "event"), UTC), self._clock(), self._freshness, "event"
        )
        status = EVENT_STATUS.get(str(event.get("type")))
        if status is None:
            raise ValueError("event type is not handled")
        intent = object_field(object_field(event, "data", "event"), "object", "event data")
        amount = _intent_amount(intent, received=status is NoticeStatus.SUCCEEDED)
        metadata = object_field(intent, "metadata", "payment intent")
        return ProviderNotice(
            provider=self.method,
            event_id=event_id,
            payment_id=text_field(metadata, "payment_id", "payment intent metadata"),
            provider_reference=text_field(intent, "id", "payment intent"),
            status=status,
            amount=amount,
            merchant_ok=True,  # the per-endpoint secret is the merchant binding: events carry no merchant id
            raw=_without_client_secret(event),
        )

    def success_answer(self) -> CallbackAnswer:
        return CallbackAnswer(200, '{"received":true}', "application/json")

    def failure_answer(self, reason: str) -> CallbackAnswer:
        return CallbackAnswer(400, json.dumps({"error": reason[:200]}, separators=(",", ":")), "application/json")

    # ------------------------------------------------------------ refund and query

    def refund(
        self, payment_id: str, provider_reference: str, refund_id: str, amount: Money, total: Money
    ) -> ProviderRefund:
        if amount.currency != total.currency or amount.amount <= 0 or amount.amount > total.amount:
            raise InvalidRequest("refund amount must be positive, in the payment's currency, at most its total")
        if not provider_reference:
            raise ProviderError("card refunds need the payment intent id", retryable=False)
        form = [
            ("payment_intent", provider_reference),
            ("amount", str(amount.amount)),
            ("metadata[refund_id]", refund_id),
            ("metadata[payment_id]", payment_id),
        ]
        status, data = self._call("POST", "/v1/refunds", form, idempotency_key=refund_id)
        if status >= 400:
            return ProviderRefund(refund_id, provider_reference, NoticeStatus.FAILED, _describe(data))
        refund_status = REFUND_STATUS.get(str(data.get("status")))
        metadata = data.get("metadata")
        reference = data.get("id")
        if (
            refund_status is None
            or not isinstance(reference, str)
            or not isinstance(metadata, dict)
            or metadata.get("refund_id") != refund_id
        ):
            raise ProviderError("card refund answer is not about this refund")
        reason = "" if refund_status is not NoticeStatus.FAILED else f"refund {data.get('status')}"
        return ProviderRefund(refund_id, reference, refund_status, reason)

    def query(self, payment_id: str, expected_amount: Money, provider_reference: str | None = None) -> ProviderQuery:
        if provider_reference:
            status, intent = self._call("GET", f"/v1/payment_intents/{quote(provider_reference, safe='')}")
            if status == 404:
                raise ProviderError("card processor does not know this payment intent", retryable=False)
        else:
            # Without the intent id, find it by our metadata (search results can lag by about a minute).
            quoted = payment_id.replace("\\", "\\\\").replace("'", "\\'")
            search = urlencode({"query": f"metadata['payment_id']:'{quoted}'"})
            status, found = self._call("GET", f"/v1/payment_intents/search?{search}")
            candidates = found.get("data")
            if status != 200 or not isinstance(candidates, list):
                raise ProviderError(f"card search failed: {_describe(found)}")
            intents = [c for c in candidates if isinstance(c, dict)]
            if not intents:
                return ProviderQuery(payment_id, None, NoticeStatus.PENDING, None, f"query:{payment_id}:NOT_EXIST")
            intent = next((c for c in intents if c.get("status") == "succeeded"), intents[0])
        if status != 200:
            raise ProviderError(f"card query failed: {_describe(intent)}")
        metadata = intent.get("metadata")
        intent_id = intent.get("id")
        if not isinstance(metadata, dict) or metadata.get("payment_id") != payment_id or not isinstance(intent_id, str):
            raise ProviderError("card query answer is not about this payment")
        state = INTENT_STATUS.get(str(intent.get("status")), NoticeStatus.PENDING)
        amount: Money | None = None
        if state is NoticeStatus.SUCCEEDED:
            try:
                amount = _intent_amount(intent, received=True)
            except ValueError as error:
                raise ProviderError(f"card query answer: {error}") from None
        return ProviderQuery(payment_id, intent_id, state, amount, f"query:{intent_id}:{intent.get('status')}")

    def close(self, payment_id: str, provider_reference: str | None = None) -> ProviderClose:
        """Cancel the payment intent (`POST /v1/payment_intents/{id}/cancel`): a succeeded (or processing)
        intent cannot be cancelled and the processor says so with the intent's status."""
        intent_id = provider_reference
        if not intent_id:
            found = self.query(payment_id, Money.zero("CNY"))
            if found.provider_reference is None:
                return ProviderClose(payment_id, CloseOutcome.NOT_FOUND, "no payment intent")
            intent_id = found.provider_reference
        path = f"/v1/payment_intents/{quote(intent_id, safe='')}/cancel"
        status, data = self._call(
            "POST", path, [("cancellation_reason", "abandoned")], idempotency_key=f"close-{payment_id}"
        )
        if status == 404:
            return ProviderClose(payment_id, CloseOutcome.NOT_FOUND, _describe(data))
        error = data.get("error")
        intent = error.get("payment_intent") if isinstance(error, dict) else data
        metadata = intent.get("metadata") if isinstance(intent, dict) else None
        if not isinstance(intent, dict) or not isinstance(metadata, dict) or metadata.get("payment_id") != payment_id:
            raise ProviderError(f"card cancel answer is not about this payment: {_describe(data)}")
        state = str(intent.get("status"))
        if state == "canceled":
            return ProviderClose(payment_id, CloseOutcome.CLOSED)
        if state == "succeeded":
            return ProviderClose(payment_id, CloseOutcome.PAID, _describe(data))
        raise ProviderError(f"card intent is {state}: not cancelled yet")

    # ------------------------------------------------------------ bills

    def settlement_file(self, day: date) -> bytes:
        """The itemized balance-change report of the UTC day `day`: create a report run
        (`POST /v1/reporting/report_runs`, interval_start inclusive, interval_end exclusive), ask after it
        until it succeeded, then download its result file (Bearer auth, on the processor's files host)."""
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        form = [
            ("report_type", REPORT_TYPE),
            ("parameters[interval_start]", str(epoch_seconds(start))),
            ("parameters[interval_end]", str(epoch_seconds(start + timedelta(days=1)))),
            ("parameters[timezone]", "UTC"),
        ]
        status, run = self._call("POST", "/v1/reporting/report_runs", form)
        run_id = run.get("id")
        if status != 200 or not isinstance(run_id, str):
            raise ProviderError(f"card report of {day} not available: {_describe(run)}")
        for attempt in range(REPORT_POLLS):
            status, run = self._call("GET", f"/v1/reporting/report_runs/{quote(run_id, safe='')}")
            if run.get("status") == "succeeded":
                break
            if run.get("status") == "failed":
                raise ProviderError(f"card report run {run_id} failed", retryable=False)
            self.sleep(2.0 * (attempt + 1))
        else:
            raise ProviderError(f"card report run {run_id} not ready yet")
        result = run.get("result")
        url = result.get("url") if isinstance(result, dict) else None
        if not isinstance(url, str) or not _same_site(url, self._creds.api_base_url):
            raise ProviderError("card report run has no result file on the processor's hosts")
        headers = {"Authorization": f"Bearer {self._creds.secret_key}", "Accept": "text/csv"}
        status, _headers, raw = self._transport.send("GET", url, headers, b"")
        if status != 200:
            raise ProviderError(f"card report file download answered HTTP {status}")
        return raw


def _same_site(url: str, api_base_url: str) -> bool:
    """The report file lives on the processor's files host (files.<site> next to api.<site>): never send
    the secret key anywhere else."""
    host, api = urlsplit(url).hostname or "", urlsplit(api_base_url).hostname or ""
    site = api.split(".", 1)[1] if api.count(".") >= 2 else api
    return urlsplit(url).scheme == "https" and (host == api or host.endswith("." + site))


def _without_client_secret(event: dict[str, Any]) -> dict[str, Any]:
    """The event for the audit trail, minus the intent's client secret (it can confirm the payment)."""
    data = dict(event.get("data") or {})
    intent = {k: v for k, v in dict(data.get("object") or {}).items() if k != "client_secret"}
    return {**event, "data": {**data, "object": intent}}


def _intent_amount(intent: dict[str, Any], *, received: bool) -> Money:
    value = intent.get("amount_received") if received and "amount_received" in intent else intent.get("amount")
    currency = intent.get("currency")
    if type(value) is not int or value < 0 or not isinstance(currency, str):
        raise ValueError("payment intent has no valid amount / currency")
    try:
        return Money(value, currency.upper())
    except InvalidRequest:
        raise ValueError("payment intent amount is not a valid amount") from None


def _describe(data: dict[str, Any]) -> str:
    error = data.get("error")
    if isinstance(error, dict):
        parts = [str(error.get(k)) for k in ("type", "code", "message") if error.get(k)]
        return " ".join(parts)[:200] or "error"
    return "unexpected answer"
