"""Alipay (open platform, RSA2): page pay, async notifies, refund and query.

Requests: every parameter but `sign` (empty values skipped), sorted by ASCII key, joined `k=v&…`, signed
SHA256withRSA with our app key. Notifies: drop `sign` and `sign_type`, sort, join with URL-decoded values
(empty values kept), verify with Alipay's public key. API responses: `{"<api>_response": {...}, "sign": …}`,
signed over the exact JSON text of the `_response` value.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl, urlencode

from oms.adapters.providers import (
    DEFAULT_FRESHNESS_SECONDS,
    Clock,
    check_fresh,
    decimal_to_minor,
    json_bytes,
    minor_to_decimal,
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
from oms.adapters.providers.credentials import AlipayCredentials, rsa_sign, rsa_verify
from oms.domain.clock import utcnow
from oms.domain.errors import InvalidRequest
from oms.domain.money import Money
from oms.domain.payment import PaymentMethod

BEIJING = timezone(timedelta(hours=8))
CURRENCY = "CNY"
SUCCESS_CODE = "10000"
BUSINESS_FAILED = "40004"
# Alipay's "call again with the same parameters" sub codes: the outcome is unknown, not a refusal.
REFUSED_CODES = frozenset({"20001", "40001", "40002", "40006"})  # auth, missing/invalid arguments, permission
RETRY_SUB_CODES = frozenset({"ACQ.SYSTEM_ERROR", "aop.ACQ.SYSTEM_ERROR", "isp.unknow-error"})
PAID_SUB_CODES = frozenset({"ACQ.TRADE_HAS_SUCCESS", "ACQ.TRADE_HAS_FINISHED"})  # close: the payer already paid

TRADE_STATUS = {
    "TRADE_SUCCESS": NoticeStatus.SUCCEEDED,
    "TRADE_FINISHED": NoticeStatus.SUCCEEDED,
    "TRADE_CLOSED": NoticeStatus.FAILED,
    "WAIT_BUYER_PAY": NoticeStatus.PENDING,
}

_SUBJECT_FORBIDDEN = re.compile(r"[/=&]")  # Alipay refuses these in `subject`


def request_sign_content(params: dict[str, str]) -> bytes:
    """What Alipay verifies on a request: every non-empty parameter but `sign`, ASCII-sorted."""
    return "&".join(f"{k}={params[k]}" for k in sorted(params) if k != "sign" and params[k] != "").encode("utf-8")


def notify_sign_content(params: dict[str, str]) -> bytes:
    """What Alipay signs on a notify: every parameter but `sign` and `sign_type` (empty ones too), sorted."""
    return "&".join(f"{k}={params[k]}" for k in sorted(params) if k not in ("sign", "sign_type")).encode("utf-8")


def parse_form(raw: bytes) -> dict[str, str]:
    """A strict application/x-www-form-urlencoded parse: UTF-8, no duplicate keys (ValueError)."""
    try:
        text = raw.decode("utf-8")
        pairs = parse_qsl(
            text, keep_blank_values=True, strict_parsing=True, encoding="utf-8", errors="strict", max_num_fields=200
        )
    except (UnicodeDecodeError, ValueError):
        raise ValueError("body is not a UTF-8 form") from None
    params: dict[str, str] = {}
    for key, value in pairs:
        if key in params:
            raise ValueError(f"form field {key} given more than once")
        params[key] = value
    return params


def top_level_members(raw: bytes) -> dict[str, tuple[str, Any]]:
    """The members of a JSON object as (exact source text, parsed value): Alipay signs the source text of
    the `_response` member, so it must be cut out byte-exactly, not re-serialized."""
    text = raw.decode("utf-8")
    decoder = json.JSONDecoder()
    space = re.compile(r"[ \t\n\r]*")

    def skip(i: int) -> int:
        match = space.match(text, i)
        return match.end() if match else i

    i = skip(0)
    if text[i : i + 1] != "{":
        raise ValueError("response is not a JSON object")
    i = skip(i + 1)
    members: dict[str, tuple[str, Any]] = {}
    if text[i : i + 1] == "}":
        i += 1
    else:
        while True:
            if text[i : i + 1] != '"':
                raise ValueError("malformed JSON object")
            key, i = decoder.raw_decode(text, i)
            i = skip(i)
            if text[i : i + 1] != ":":
                raise ValueError("malformed JSON object")
            start = skip(i + 1)
            value, end = decoder.raw_decode(text, start)
            if key in members:
                raise ValueError("duplicate member in response")
            members[key] = (text[start:end], value)
            i = skip(end)
            if text[i : i + 1] == ",":
                i = skip(i + 1)
                continue
            if text[i : i + 1] == "}":
                i += 1
                break
            raise ValueError("malformed JSON object")
    if skip(i) != len(text):
        raise ValueError("trailing data after the JSON object")
    return members


class AlipayProvider:
    method: PaymentMethod = PaymentMethod.ALIPAY

    def __init__(
        self,
        credentials: AlipayCredentials,
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
        return f"AlipayProvider(app_id={self._creds.app_id!r})"

    # ------------------------------------------------------------ requests

    def signed_params(self, api_method: str, biz_content: dict[str, Any], **extra: str) -> dict[str, str]:
        params = {
            "app_id": self._creds.app_id,
            "method": api_method,
            "format": "JSON",
            "charset": "utf-8",
            "sign_type": "RSA2",
            "timestamp": self._clock().astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
            "version": "1.0",
            "biz_content": json_bytes(biz_content).decode("utf-8"),
            **extra,
        }
        params["sign"] = rsa_sign(self._creds.app_private_key_pem, request_sign_content(params))
        return params

    def instructions(self, payment_id: str, order_number: str, amount: Money, description: str) -> PaymentInstructions:
        """A signed `alipay.trade.page.pay` redirect: the browser opens `url` (GET) on Alipay's gateway, or
        the client POSTs `params` to `gateway`. No server-side call: Alipay creates the trade then."""
        if amount.currency != CURRENCY:
            raise InvalidRequest("alipay accepts CNY amounts only")
        if amount.amount <= 0:
            raise InvalidRequest("alipay needs a positive amount")
        subject = _SUBJECT_FORBIDDEN.sub(" ", description or f"Order {order_number}").strip()[:256]
        biz = {
            "out_trade_no": payment_id,
            "product_code": "FAST_INSTANT_TRADE_PAY",
            "total_amount": minor_to_decimal(amount.amount, CURRENCY),
            "subject": subject or f"Order {order_number}",
        }
        params = self.signed_params("alipay.trade.page.pay", biz, notify_url=self._creds.notify_url)
        gateway = self._creds.gateway_url
        url = f"{gateway}{'&' if '?' in gateway else '?'}{urlencode(params)}"
        return PaymentInstructions(self.method, {"gateway": gateway, "params": params, "url": url})

    def _call(self, api_method: str, biz_content: dict[str, Any]) -> dict[str, Any]:
        """One signed API call; the `_response` object after its signature verified."""
        params = self.signed_params(api_method, biz_content)
        status, _headers, raw = self._transport.send(
            "POST",
            self._creds.gateway_url,
            {"Content-Type": "application/x-www-form-urlencoded;charset=utf-8", "Accept": "application/json"},
            urlencode(params).encode("ascii"),
        )
        if status != 200:
            raise ProviderError(f"alipay {api_method} answered HTTP {status}", retryable=status >= 500 or status == 429)
        try:
            members = top_level_members(raw)
        except (UnicodeDecodeError, ValueError):
            raise ProviderError(f"alipay {api_method} answered with malformed JSON") from None
        node_name = api_method.replace(".", "_") + "_response"
        node = members.get(node_name) or members.get("error_response")
        if node is None or not isinstance(node[1], dict):
            raise ProviderError(f"alipay {api_method} answer has no {node_name}")
        source, response = node[0], dict(node[1])
        sign = members.get("sign", ("", None))[1]
        if not isinstance(sign, str) or not sign:
            # Only signed answers decide anything: a forged "refused" could make us pay a refund twice.
            refused_early = node_name not in members or response.get("code") in REFUSED_CODES
            raise ProviderError(
                f"alipay {api_method} answer is not signed ({_describe(response)})", retryable=not refused_early
            )
        if not rsa_verify(self._creds.alipay_public_key_pem, source.encode("utf-8"), sign):
            raise ProviderError(f"alipay {api_method} answer signature does not verify")
        return response

    # ------------------------------------------------------------ callbacks

    def verify_callback(self, headers: dict[str, str], raw_body: bytes) -> ProviderNotice:
        try:
            params = parse_form(raw_body)
        except ValueError as error:
            raise CallbackRejected(str(error)) from None
        sign = params.get("sign")
        if not sign:
            raise CallbackRejected("notify has no sign")
        if params.get("sign_type", "RSA2") != "RSA2":
            raise CallbackRejected("notify sign_type is not RSA2")
        if not rsa_verify(self._creds.alipay_public_key_pem, notify_sign_content(params), sign):
            raise CallbackRejected("notify signature does not verify")
        # Authentic from here on; still untrusted in shape.
        fields = {k: v for k, v in params.items() if k not in ("sign", "sign_type")}
        try:
            sent = datetime.strptime(fields.get("notify_time", ""), "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING)
        except ValueError:
            raise CallbackRejected("notify has no valid notify_time") from None
        # A signed notice is valid forever: only its age tells a replay from Alipay's retries (~25 h).
        check_fresh(sent, self._clock(), self._freshness, "notify_time")
        try:
            return self._notice(fields)
        except ValueError as error:
            raise CallbackRejected(str(error)) from None

    def _notice(self, fields: dict[str, str]) -> ProviderNotice:
        for name in ("notify_id", "out_trade_no", "trade_no", "trade_status", "total_amount"):
            if not fields.get(name):
                raise ValueError(f"notify has no {name}")
        status = TRADE_STATUS.get(fields["trade_status"])
        if status is None:
            raise ValueError("notify has an unknown trade_status")
        if status is NoticeStatus.FAILED and _is_refund_notice(fields):
            # A full refund closes the trade: the money WAS received (and returned), so this is no failure.
            status = NoticeStatus.PENDING
        try:
            minor = decimal_to_minor(fields["total_amount"], CURRENCY)
        except ValueError:
            raise ValueError("notify total_amount is not a valid CNY amount") from None
        return ProviderNotice(
            provider=self.method,
            event_id=fields["notify_id"],
            payment_id=fields["out_trade_no"],
            provider_reference=fields["trade_no"],
            status=status,
            amount=Money(minor, CURRENCY),
            merchant_ok=fields.get("app_id") == self._creds.app_id and fields.get("seller_id") == self._creds.seller_id,
            raw=dict(fields),
        )

    def success_answer(self) -> CallbackAnswer:
        return CallbackAnswer(200, "success")

    def failure_answer(self, reason: str) -> CallbackAnswer:
        # Anything but "success" makes Alipay retry; the reason stays in our logs only.
        return CallbackAnswer(200, "failure")

    # ------------------------------------------------------------ refund and query

    def refund(
        self, payment_id: str, provider_reference: str, refund_id: str, amount: Money, total: Money
    ) -> ProviderRefund:
        _check_refund(amount, total)
        biz: dict[str, Any] = {
            "out_trade_no": payment_id,
            "refund_amount": minor_to_decimal(amount.amount, CURRENCY),
            "out_request_no": refund_id,
        }
        if provider_reference:
            biz["trade_no"] = provider_reference
        response = self._call("alipay.trade.refund", biz)
        code = response.get("code")
        if code == SUCCESS_CODE:
            if response.get("out_trade_no") not in (None, payment_id):
                raise ProviderError("alipay refund answer is about another trade")
            reference = response.get("trade_no")
            # fund_change "N" on a repeated out_request_no means "already refunded": success all the same.
            return ProviderRefund(
                refund_id,
                reference if isinstance(reference, str) and reference else provider_reference,
                NoticeStatus.SUCCEEDED,
            )
        if code == BUSINESS_FAILED and response.get("sub_code") not in RETRY_SUB_CODES:
            return ProviderRefund(refund_id, provider_reference, NoticeStatus.FAILED, _describe(response))
        raise ProviderError(f"alipay refund did not complete: {_describe(response)}", retryable=_retryable(response))

    def query(self, payment_id: str, expected_amount: Money, provider_reference: str | None = None) -> ProviderQuery:
        response = self._call("alipay.trade.query", {"out_trade_no": payment_id})
        code = response.get("code")
        if code == BUSINESS_FAILED and response.get("sub_code") == "ACQ.TRADE_NOT_EXIST":
            # Page-pay trades exist only once the payer opened the cashier: nothing paid yet.
            return ProviderQuery(payment_id, None, NoticeStatus.PENDING, None, f"query:{payment_id}:NOT_EXIST")
        if code != SUCCESS_CODE:
            raise ProviderError(f"alipay query failed: {_describe(response)}", retryable=_retryable(response))
        if response.get("out_trade_no") != payment_id:
            raise ProviderError("alipay query answer is about another trade")
        trade_status, trade_no = response.get("trade_status"), response.get("trade_no")
        status = TRADE_STATUS.get(trade_status) if isinstance(trade_status, str) else None
        if status is None or not isinstance(trade_no, str) or not trade_no:
            raise ProviderError("alipay query answer has no usable trade_status / trade_no")
        amount: Money | None = None
        if status is NoticeStatus.SUCCEEDED:
            try:
                amount = Money(decimal_to_minor(str(response.get("total_amount")), CURRENCY), CURRENCY)
            except ValueError:
                raise ProviderError("alipay query answer has a malformed total_amount") from None
        return ProviderQuery(payment_id, trade_no, status, amount, f"query:{trade_no}:{trade_status}")

    def close(self, payment_id: str, provider_reference: str | None = None) -> ProviderClose:
        """`alipay.trade.close`: an unpaid trade is closed; a paid one answers ACQ.TRADE_HAS_SUCCESS; a page-pay
        trade exists only once the payer opened the cashier (ACQ.TRADE_NOT_EXIST before)."""
        biz: dict[str, Any] = {"out_trade_no": payment_id}
        if provider_reference:
            biz["trade_no"] = provider_reference
        response = self._call("alipay.trade.close", biz)
        code, sub_code = response.get("code"), response.get("sub_code")
        if code == SUCCESS_CODE:
            if response.get("out_trade_no") not in (None, payment_id):
                raise ProviderError("alipay close answer is about another trade")
            return ProviderClose(payment_id, CloseOutcome.CLOSED)
        if code == BUSINESS_FAILED and sub_code in PAID_SUB_CODES:
            return ProviderClose(payment_id, CloseOutcome.PAID, _describe(response))
        if code == BUSINESS_FAILED and sub_code == "ACQ.TRADE_NOT_EXIST":
            return ProviderClose(payment_id, CloseOutcome.NOT_FOUND, _describe(response))
        if code == BUSINESS_FAILED and sub_code == "ACQ.TRADE_STATUS_ERROR":
            # Closed already, or paid: the trade's own status says which.
            answer = self.query(payment_id, Money.zero(CURRENCY))
            outcome = CloseOutcome.PAID if answer.status is NoticeStatus.SUCCEEDED else CloseOutcome.CLOSED
            return ProviderClose(payment_id, outcome, _describe(response))
        raise ProviderError(f"alipay close did not complete: {_describe(response)}", retryable=_retryable(response))

    # ------------------------------------------------------------ bills

    def settlement_file(self, day: date) -> bytes:
        """`alipay.data.dataservice.bill.downloadurl.query` (bill_type trade: the business bill of API
        payments), then a GET of the download URL it answers (valid 30 s): the zip of the 业务明细 CSVs."""
        api = "alipay.data.dataservice.bill.downloadurl.query"
        response = self._call(api, {"bill_type": "trade", "bill_date": day.isoformat()})
        if response.get("code") != SUCCESS_CODE:
            raise ProviderError(f"alipay bill of {day} not available: {_describe(response)}")
        url = response.get("bill_download_url")
        if not isinstance(url, str) or not url.startswith("https://"):
            raise ProviderError("alipay bill answer has no https bill_download_url")
        status, _headers, raw = self._transport.send("GET", url, {"Accept": "*/*"}, b"")
        if status != 200 or not raw:
            raise ProviderError(f"alipay bill download answered HTTP {status}")
        return raw


def _is_refund_notice(fields: dict[str, str]) -> bool:
    refund_fee = fields.get("refund_fee", "")
    return bool(fields.get("gmt_refund") or fields.get("out_biz_no") or refund_fee not in ("", "0", "0.00"))


def _retryable(response: dict[str, Any]) -> bool:
    """Alipay refused the request itself (auth, arguments, permissions): trying again will not help."""
    return response.get("code") not in REFUSED_CODES


def _describe(response: dict[str, Any]) -> str:
    parts = [str(response.get(k)) for k in ("code", "sub_code", "sub_msg") if response.get(k)]
    return " ".join(parts)[:200] or "no code"


def _check_refund(amount: Money, total: Money) -> None:
    if amount.currency != total.currency:
        raise InvalidRequest("refund currency differs from the payment's")
    if amount.amount <= 0 or amount.amount > total.amount:
        raise InvalidRequest("refund amount must be positive and at most the payment's total")
