"""WeChat Pay API v3: Native pay (QR code), signed notifications with encrypted resources, refund, query.

Requests carry `Authorization: WECHATPAY2-SHA256-RSA2048 mchid=…,nonce_str=…,signature=…,timestamp=…,serial_no=…`,
signature = SHA256withRSA(merchant key) over "METHOD\\nPATH?QUERY\\nTIMESTAMP\\nNONCE\\nBODY\\n". Answers and
notifications carry `Wechatpay-Signature/-Timestamp/-Nonce/-Serial`: SHA256withRSA(platform key chosen by
serial) over "TIMESTAMP\\nNONCE\\nBODY\\n", at most 5 minutes off our clock. Notification resources are
AEAD_AES_256_GCM-encrypted with the APIv3 key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from datetime import date
from typing import Any
from urllib.parse import quote, urlsplit

from oms.adapters.providers import (
    DEFAULT_FRESHNESS_SECONDS,
    Clock,
    check_fresh,
    header,
    int_field,
    json_bytes,
    json_object,
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
from oms.adapters.providers.credentials import WechatCredentials, rsa_sign, rsa_verify
from oms.domain.clock import epoch_seconds, utcnow
from oms.domain.errors import InvalidRequest
from oms.domain.money import Money
from oms.domain.payment import PaymentMethod

AUTH_SCHEME = "WECHATPAY2-SHA256-RSA2048"
MAX_SKEW_SECONDS = 300
CURRENCY = "CNY"

TRADE_STATE = {
    "SUCCESS": NoticeStatus.SUCCEEDED,
    "REFUND": NoticeStatus.SUCCEEDED,  # paid, then (partly) refunded: the money was received
    "CLOSED": NoticeStatus.FAILED,
    "PAYERROR": NoticeStatus.FAILED,
    "REVOKED": NoticeStatus.FAILED,
    "NOTPAY": NoticeStatus.PENDING,
    "USERPAYING": NoticeStatus.PENDING,
}
REFUND_STATUS = {
    "SUCCESS": NoticeStatus.SUCCEEDED,
    "PROCESSING": NoticeStatus.PENDING,
    "CLOSED": NoticeStatus.FAILED,
    "ABNORMAL": NoticeStatus.FAILED,
}
CLOSED_CODES = frozenset({"ORDER_CLOSED", "ORDERCLOSED"})  # close order: closed already
PAID_CODES = frozenset({"ORDERPAID", "ORDER_PAID"})  # close order: too late, the payer paid
# Error codes that mean "not now": the request may succeed later with the same out_refund_no.
RETRY_CODES = frozenset({"SYSTEM_ERROR", "FREQUENCY_LIMITED", "NOT_ENOUGH", "BANK_ERROR"})


def request_message(method: str, path_query: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    return f"{method}\n{path_query}\n{timestamp}\n{nonce}\n".encode() + body + b"\n"


def response_message(timestamp: str, nonce: str, body: bytes) -> bytes:
    return f"{timestamp}\n{nonce}\n".encode() + body + b"\n"


class WechatProvider:
    method: PaymentMethod = PaymentMethod.WECHAT

    def __init__(
        self,
        credentials: WechatCredentials,
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
        return f"WechatProvider(mch_id={self._creds.mch_id!r})"

    # ------------------------------------------------------------ signatures

    def authorization(self, method: str, path_query: str, body: bytes) -> str:
        timestamp = str(epoch_seconds(self._clock()))
        nonce = secrets.token_hex(16).upper()
        signature = rsa_sign(
            self._creds.merchant_private_key_pem, request_message(method, path_query, timestamp, nonce, body)
        )
        return (
            f'{AUTH_SCHEME} mchid="{self._creds.mch_id}",nonce_str="{nonce}",signature="{signature}",'
            f'timestamp="{timestamp}",serial_no="{self._creds.merchant_serial}"'
        )

    def check_signature(self, headers: dict[str, str], body: bytes) -> None:
        """Verify the Wechatpay-* signature of a notification or an API answer; ValueError with the reason."""
        signature = header(headers, "Wechatpay-Signature")
        timestamp = header(headers, "Wechatpay-Timestamp")
        nonce = header(headers, "Wechatpay-Nonce")
        serial = header(headers, "Wechatpay-Serial")
        if not signature or not timestamp or not nonce or not serial:
            raise ValueError("missing Wechatpay-Signature/-Timestamp/-Nonce/-Serial headers")
        signature_type = header(headers, "Wechatpay-Signature-Type")
        if signature_type is not None and signature_type != AUTH_SCHEME:
            raise ValueError("unsupported Wechatpay-Signature-Type")
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
            raise ValueError("malformed Wechatpay-Timestamp")
        if abs(epoch_seconds(self._clock()) - int(timestamp)) > MAX_SKEW_SECONDS:
            raise ValueError("Wechatpay-Timestamp is more than 5 minutes off")
        public_pem = self._creds.platform_public_keys.get(serial)
        if public_pem is None:
            raise ValueError("unknown Wechatpay-Serial")
        if not rsa_verify(public_pem, response_message(timestamp, nonce, body), signature):
            raise ValueError("signature does not verify")

    def _call(self, method: str, path_query: str, payload: dict[str, Any] | None) -> tuple[int, dict[str, Any]]:
        """One signed API call: (HTTP status, verified JSON answer); ProviderError if it cannot be trusted."""
        body = json_bytes(payload) if payload is not None else b""
        headers = {
            "Authorization": self.authorization(method, path_query, body),
            "Accept": "application/json",
            "User-Agent": "oms-wechatpay-v3",
        }
        if payload is not None:
            headers["Content-Type"] = "application/json"
        status, answer_headers, raw = self._transport.send(method, self._creds.api_base_url + path_query, headers, body)
        what = f"wechat {method} {path_query.split('?')[0]}"
        if status >= 500 or status == 429:
            raise ProviderError(f"{what} answered HTTP {status}")
        try:
            self.check_signature(answer_headers, raw)
        except ValueError as error:
            # Unsigned or badly signed answers decide nothing (a forged refusal could double a refund).
            raise ProviderError(f"{what} answer not trusted: {error}") from None
        try:
            data = json_object(raw, "answer") if raw else {}
        except ValueError:
            raise ProviderError(f"{what} answered with malformed JSON") from None
        if status == 401:
            raise ProviderError(f"{what} refused our signature: {_describe(data)}", retryable=False)
        return status, data

    # ------------------------------------------------------------ payments

    def instructions(self, payment_id: str, order_number: str, amount: Money, description: str) -> PaymentInstructions:
        if amount.currency != CURRENCY:
            raise InvalidRequest("wechat pay accepts CNY amounts only")
        if amount.amount <= 0:
            raise InvalidRequest("wechat pay needs a positive amount")
        payload = {
            "appid": self._creds.app_id,
            "mchid": self._creds.mch_id,
            "description": (description or f"Order {order_number}")[:127],
            "out_trade_no": payment_id,
            "notify_url": self._creds.notify_url,
            "amount": {"total": amount.amount, "currency": CURRENCY},
        }
        status, data = self._call("POST", "/v3/pay/transactions/native", payload)
        code_url = data.get("code_url")
        if status != 200 or not isinstance(code_url, str) or not code_url:
            raise ProviderError(f"wechat did not create the payment: {_describe(data)}", retryable=False)
        return PaymentInstructions(self.method, {"code_url": code_url})

    def verify_callback(self, headers: dict[str, str], raw_body: bytes) -> ProviderNotice:
        try:
            self.check_signature(headers, raw_body)
        except ValueError as error:
            raise CallbackRejected(str(error)) from None
        try:
            return self._notice(raw_body)
        except ValueError as error:
            raise CallbackRejected(str(error)) from None

    def _notice(self, raw_body: bytes) -> ProviderNotice:
        event = json_object(raw_body, "notification")
        event_id = text_field(event, "id", "notification")
        # Wechatpay-Timestamp is re-signed on every delivery (5 minutes); the notification's create_time
        # bounds how long one may be re-sent, as for the other providers (WeChat retries for ~24 h).
        check_fresh(
            timestamp_field(event, "create_time", "notification"),
            self._clock(),
            self._freshness,
            "notification create_time",
        )
        resource = object_field(event, "resource", "notification")
        if resource.get("original_type", "transaction") != "transaction":
            raise ValueError("notification is not about a transaction")
        transaction = json_object(self.decrypt(resource), "decrypted resource")
        status, amount = _state_and_amount(transaction, "transaction")
        reference = transaction.get("transaction_id", "")  # only paid transactions have one
        if not isinstance(reference, str) or (status is NoticeStatus.SUCCEEDED and not reference):
            raise ValueError("transaction has no transaction_id")
        return ProviderNotice(
            provider=self.method,
            event_id=event_id,
            payment_id=text_field(transaction, "out_trade_no", "transaction"),
            provider_reference=reference,
            status=status,
            amount=amount,
            merchant_ok=transaction.get("appid") == self._creds.app_id
            and transaction.get("mchid") == self._creds.mch_id,
            raw={
                "id": event_id,
                "event_type": event.get("event_type"),
                "create_time": event.get("create_time"),
                "transaction": transaction,
            },
        )

    def decrypt(self, resource: dict[str, Any]) -> bytes:
        """AEAD_AES_256_GCM with the APIv3 key; ValueError if it does not authenticate."""
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        if resource.get("algorithm") != "AEAD_AES_256_GCM":
            raise ValueError("unsupported resource algorithm")
        ciphertext, nonce = resource.get("ciphertext"), resource.get("nonce")
        associated = resource.get("associated_data") or ""
        if not isinstance(ciphertext, str) or not isinstance(nonce, str) or not isinstance(associated, str):
            raise ValueError("resource lacks ciphertext / nonce")
        try:
            sealed = base64.b64decode(ciphertext, validate=True)
            return AESGCM(self._creds.api_v3_key.encode("utf-8")).decrypt(
                nonce.encode("utf-8"), sealed, associated.encode("utf-8")
            )
        except (binascii.Error, InvalidTag, ValueError):
            raise ValueError("resource does not decrypt with our APIv3 key") from None

    def success_answer(self) -> CallbackAnswer:
        return CallbackAnswer(204, "")

    def failure_answer(self, reason: str) -> CallbackAnswer:
        body = json.dumps({"code": "FAIL", "message": reason[:200]}, ensure_ascii=False, separators=(",", ":"))
        return CallbackAnswer(400, body, "application/json")

    # ------------------------------------------------------------ refund and query

    def refund(
        self, payment_id: str, provider_reference: str, refund_id: str, amount: Money, total: Money
    ) -> ProviderRefund:
        if amount.currency != CURRENCY or total.currency != CURRENCY:
            raise InvalidRequest("wechat pay refunds CNY amounts only")
        if amount.amount <= 0 or amount.amount > total.amount:
            raise InvalidRequest("refund amount must be positive and at most the payment's total")
        payload: dict[str, Any] = (
            {"transaction_id": provider_reference} if provider_reference else {"out_trade_no": payment_id}
        )
        payload.update(
            {
                "out_refund_no": refund_id,
                "amount": {"refund": amount.amount, "total": total.amount, "currency": CURRENCY},
            }
        )
        status, data = self._call("POST", "/v3/refund/domestic/refunds", payload)
        if status >= 400:
            if data.get("code") in RETRY_CODES:
                raise ProviderError(f"wechat refund not done yet: {_describe(data)}")
            return ProviderRefund(refund_id, provider_reference, NoticeStatus.FAILED, _describe(data))
        refund_status = REFUND_STATUS.get(str(data.get("status")))
        if data.get("out_refund_no") != refund_id or refund_status is None:
            raise ProviderError("wechat refund answer is not about this refund")
        reference = data.get("refund_id")
        return ProviderRefund(
            refund_id,
            reference if isinstance(reference, str) and reference else provider_reference,
            refund_status,
            "" if refund_status is not NoticeStatus.FAILED else f"refund {data.get('status')}",
        )

    def query(self, payment_id: str, expected_amount: Money, provider_reference: str | None = None) -> ProviderQuery:
        path = f"/v3/pay/transactions/out-trade-no/{quote(payment_id, safe='')}?mchid={quote(self._creds.mch_id)}"
        status, data = self._call("GET", path, None)
        if status == 404:
            return ProviderQuery(payment_id, None, NoticeStatus.PENDING, None, f"query:{payment_id}:NOT_EXIST")
        if status != 200:
            raise ProviderError(f"wechat query failed: {_describe(data)}", retryable=False)
        if data.get("out_trade_no") != payment_id or data.get("mchid") != self._creds.mch_id:
            raise ProviderError("wechat query answer is not about this payment")
        try:
            state, amount = _state_and_amount(data, "query answer")
        except ValueError as error:
            raise ProviderError(f"wechat query answer: {error}") from None
        reference = data.get("transaction_id")
        reference = reference if isinstance(reference, str) and reference else None
        return ProviderQuery(
            payment_id,
            reference,
            state,
            amount if state is NoticeStatus.SUCCEEDED else None,
            f"query:{reference or payment_id}:{data.get('trade_state')}",
        )

    def close(self, payment_id: str, provider_reference: str | None = None) -> ProviderClose:
        """Close order: `POST /v3/pay/transactions/out-trade-no/{out_trade_no}/close` with `{mchid}`, 204 with no
        body. A paid order answers ORDERPAID; USER_PAYING (the payer is entering the password) is not an
        answer yet."""
        path = f"/v3/pay/transactions/out-trade-no/{quote(payment_id, safe='')}/close"
        status, data = self._call("POST", path, {"mchid": self._creds.mch_id})
        code = str(data.get("code") or "")
        if status == 204 or (status == 400 and code in CLOSED_CODES):
            return ProviderClose(payment_id, CloseOutcome.CLOSED, _describe(data) if data else "")
        if status == 400 and code in PAID_CODES:
            return ProviderClose(payment_id, CloseOutcome.PAID, _describe(data))
        if status == 404:
            return ProviderClose(payment_id, CloseOutcome.NOT_FOUND, _describe(data))
        raise ProviderError(f"wechat close did not complete (HTTP {status}): {_describe(data)}")

    # ------------------------------------------------------------ bills

    def settlement_file(self, day: date) -> bytes:
        """`GET /v3/bill/tradebill?bill_date=…&bill_type=ALL` (signed answer: hash_type SHA1, hash_value,
        download_url), then a signed GET of the download URL; the file itself is not signed: its SHA1 must
        equal hash_value."""
        status, data = self._call("GET", f"/v3/bill/tradebill?bill_date={day.isoformat()}&bill_type=ALL", None)
        if status != 200:
            raise ProviderError(f"wechat trade bill of {day} not available: {_describe(data)}")
        url, hash_type, expected = data.get("download_url"), data.get("hash_type"), data.get("hash_value")
        if not isinstance(url, str) or hash_type != "SHA1" or not isinstance(expected, str):
            raise ProviderError("wechat trade bill answer lacks download_url / SHA1 hash_value")
        parts, api = urlsplit(url), urlsplit(self._creds.api_base_url)
        if (parts.scheme, parts.netloc) != (api.scheme, api.netloc):
            raise ProviderError("wechat bill download_url is not on the API host", retryable=False)
        path_query = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = {"Authorization": self.authorization("GET", path_query, b""), "User-Agent": "oms-wechatpay-v3"}
        status, _headers, raw = self._transport.send("GET", url, headers, b"")
        if status != 200:
            raise ProviderError(f"wechat bill download answered HTTP {status}")
        digest = hashlib.sha1(raw, usedforsecurity=False).hexdigest()
        if not hmac.compare_digest(digest, expected.lower()):
            raise ProviderError("wechat bill download does not match its SHA1")
        return raw


def _state_and_amount(transaction: dict[str, Any], what: str) -> tuple[NoticeStatus, Money]:
    state = TRADE_STATE.get(str(transaction.get("trade_state")))
    if state is None:
        raise ValueError(f"{what} has an unknown trade_state")
    amount = object_field(transaction, "amount", what)
    total = int_field(amount, "total", f"{what} amount")
    currency = amount.get("currency", CURRENCY)
    try:
        return state, Money(total, currency if isinstance(currency, str) else "")
    except InvalidRequest:
        raise ValueError(f"{what} amount is not a valid amount") from None


def _describe(data: dict[str, Any]) -> str:
    parts = [str(data.get(k)) for k in ("code", "message") if data.get(k)]
    return " ".join(parts)[:200] or "no code"
