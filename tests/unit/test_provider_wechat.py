"""WeChat Pay v3 adapter against the sandbox: signed requests and answers, encrypted notifications."""

from __future__ import annotations

import base64
import dataclasses
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from oms.adapters.providers import provider_for
from oms.adapters.providers.base import CallbackAnswer, CallbackRejected, NoticeStatus, ProviderError
from oms.adapters.providers.credentials import WechatCredentials
from oms.adapters.providers.wechat import WechatProvider
from oms.domain.errors import InvalidRequest
from oms.domain.ids import new_id
from oms.domain.money import Money
from oms.domain.payment import PaymentMethod
from oms_local.oms.payment_sandbox import Sandbox, SandboxCallback

Answer = tuple[int, dict[str, str], bytes]
NOW = datetime(2026, 11, 22, 10, 0, 0, tzinfo=UTC)
AUTHORIZATION = re.compile(
    r'WECHATPAY2-SHA256-RSA2048 mchid="(\d+)",nonce_str="(\w+)",signature="([A-Za-z0-9+/=]+)",'
    r'timestamp="(\d+)",serial_no="([0-9A-F]+)"'
)


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    return Sandbox(seed=21)


@pytest.fixture(scope="module")
def other() -> Sandbox:
    return Sandbox(seed=22)


@pytest.fixture(scope="module")
def wechat(sandbox: Sandbox) -> WechatProvider:
    provider = sandbox.provider(PaymentMethod.WECHAT)
    assert isinstance(provider, WechatProvider)
    return provider


def cny(amount: int) -> Money:
    return Money(amount, "CNY")


def created(wechat: WechatProvider, amount: int = 10800) -> str:
    payment_id = new_id()
    wechat.instructions(payment_id, "26112200000001", cny(amount), "Tea set")
    return payment_id


def at(sandbox: Sandbox, moment: datetime) -> WechatProvider:
    provider = sandbox.provider(PaymentMethod.WECHAT, clock=lambda: moment)
    assert isinstance(provider, WechatProvider)
    return provider


def with_headers(callback: SandboxCallback, **changes: str | None) -> dict[str, str]:
    headers = dict(callback.headers)
    for name, value in changes.items():
        key = name.replace("_", "-")
        if value is None:
            headers.pop(key)
        else:
            headers[key] = value
    return headers


class Tampering:
    def __init__(
        self,
        inner: Sandbox,
        request: Callable[[dict[str, str], bytes], tuple[dict[str, str], bytes]] | None = None,
        answer: Callable[[bytes], bytes] | None = None,
    ) -> None:
        self.inner, self.request, self.answer = inner, request, answer
        self.sent: list[tuple[str, str, dict[str, str], bytes]] = []

    def send(self, method: str, url: str, headers: dict[str, str], body: bytes) -> Answer:
        if self.request is not None:
            headers, body = self.request(headers, body)
        self.sent.append((method, url, headers, body))
        status, answer_headers, answer = self.inner.send(method, url, headers, body)
        return status, answer_headers, self.answer(answer) if self.answer else answer


# ---------------------------------------------------------------- requests we sign


def test_instructions_create_a_native_order_with_a_signed_request(sandbox: Sandbox) -> None:
    recording = Tampering(sandbox)
    wechat = provider_for("wechat", recording, environ=sandbox.credentials_env())
    payment_id = new_id()

    data = wechat.instructions(payment_id, "26112200000001", cny(10800), "Tea set").data

    assert data["code_url"].startswith("weixin://wxpay/bizpayurl?pr=")
    method, url, headers, body = recording.sent[0]
    assert (method, url) == ("POST", "https://api.mch.wechatpay.sandbox.invalid/v3/pay/transactions/native")
    match = AUTHORIZATION.fullmatch(headers["Authorization"])
    assert match is not None
    assert match.group(1) == sandbox.wechat_mch_id and match.group(5) == sandbox.wechat_merchant_serial
    assert json.loads(body) == {
        "appid": sandbox.wechat_app_id,
        "mchid": sandbox.wechat_mch_id,
        "description": "Tea set",
        "out_trade_no": payment_id,
        "notify_url": sandbox.notify_url("wechat"),
        "amount": {"total": 10800, "currency": "CNY"},
    }
    order = sandbox.payment("wechat", payment_id)
    assert order is not None and order.amount == 10800 and order.state == "NOTPAY"


def test_creating_the_same_order_twice_gives_the_same_code(wechat: WechatProvider) -> None:
    payment_id = new_id()
    first = wechat.instructions(payment_id, "1", cny(10800), "Tea set")

    assert wechat.instructions(payment_id, "1", cny(10800), "Tea set") == first


def _altered_signature(headers: dict[str, str], body: bytes) -> tuple[dict[str, str], bytes]:
    auth = headers["Authorization"]
    start = auth.index('signature="') + len('signature="')
    flipped = "B" if auth[start + 5] == "A" else "A"
    return {**headers, "Authorization": auth[: start + 5] + flipped + auth[start + 6 :]}, body


def _raised_amount(headers: dict[str, str], body: bytes) -> tuple[dict[str, str], bytes]:
    return headers, body.replace(b'"total":10800', b'"total":10')


@pytest.mark.parametrize("forge", [_altered_signature, _raised_amount], ids=["signature", "body"])
def test_a_forged_request_is_refused(
    sandbox: Sandbox, forge: Callable[[dict[str, str], bytes], tuple[dict[str, str], bytes]]
) -> None:
    wechat = provider_for("wechat", Tampering(sandbox, request=forge), environ=sandbox.credentials_env())
    payment_id = new_id()

    with pytest.raises(ProviderError) as refused:
        wechat.instructions(payment_id, "1", cny(10800), "Tea set")

    assert refused.value.retryable is False and "SIGN_ERROR" in refused.value.reason
    assert sandbox.payment("wechat", payment_id) is None


def test_a_request_from_a_skewed_clock_is_refused(sandbox: Sandbox) -> None:
    late = at(sandbox, datetime.now(UTC) - timedelta(minutes=10))

    with pytest.raises(ProviderError):
        late.instructions(new_id(), "1", cny(10800), "Tea set")


def test_a_tampered_answer_is_not_trusted(sandbox: Sandbox) -> None:
    tampered = Tampering(sandbox, answer=lambda body: body.replace(b"weixin://", b"https://evil.example/"))
    wechat = provider_for("wechat", tampered, environ=sandbox.credentials_env())

    with pytest.raises(ProviderError, match="signature"):
        wechat.instructions(new_id(), "1", cny(10800), "Tea set")


def test_instructions_refuse_other_currencies(wechat: WechatProvider) -> None:
    with pytest.raises(InvalidRequest):
        wechat.instructions(new_id(), "1", Money(100, "USD"), "x")


# ---------------------------------------------------------------- notifications


def test_a_sandbox_notification_verifies_decrypts_and_parses(sandbox: Sandbox, wechat: WechatProvider) -> None:
    payment_id = created(wechat)

    callback = sandbox.pay("wechat", payment_id)
    notice = wechat.verify_callback(callback.headers, callback.body)

    assert notice.provider is PaymentMethod.WECHAT
    assert notice.event_id == json.loads(callback.body)["id"] == callback.event_id
    assert notice.payment_id == payment_id
    assert notice.provider_reference == sandbox.payment("wechat", payment_id).reference  # type: ignore[union-attr]
    assert notice.status is NoticeStatus.SUCCEEDED
    assert notice.amount == cny(10800)
    assert notice.merchant_ok is True
    assert notice.raw["transaction"]["trade_state"] == "SUCCESS"
    assert b"out_trade_no" not in callback.body  # the transaction travels encrypted


def test_header_names_are_case_insensitive(sandbox: Sandbox, wechat: WechatProvider) -> None:
    callback = sandbox.pay("wechat", created(wechat, amount=1))

    notice = wechat.verify_callback({k.lower(): v for k, v in callback.headers.items()}, callback.body)

    assert notice.amount == cny(1)


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("SUCCESS", NoticeStatus.SUCCEEDED),
        ("CLOSED", NoticeStatus.FAILED),
        ("PAYERROR", NoticeStatus.FAILED),
        ("REVOKED", NoticeStatus.FAILED),
        ("NOTPAY", NoticeStatus.PENDING),
        ("USERPAYING", NoticeStatus.PENDING),
    ],
)
def test_trade_state_maps_to_our_status(
    sandbox: Sandbox, wechat: WechatProvider, state: str, expected: NoticeStatus
) -> None:
    callback = sandbox.pay("wechat", created(wechat), status=state)

    assert wechat.verify_callback(callback.headers, callback.body).status is expected


def test_a_changed_byte_is_rejected(sandbox: Sandbox, wechat: WechatProvider) -> None:
    callback = sandbox.pay("wechat", created(wechat))
    body = bytearray(callback.body)
    body[10] ^= 0x01

    with pytest.raises(CallbackRejected, match="signature"):
        wechat.verify_callback(callback.headers, bytes(body))


def test_a_notification_from_another_platform_key_is_rejected(
    sandbox: Sandbox, other: Sandbox, wechat: WechatProvider
) -> None:
    foreign = other.pay("wechat", new_id(), amount=10800)

    with pytest.raises(CallbackRejected, match="unknown Wechatpay-Serial"):
        wechat.verify_callback(foreign.headers, foreign.body)
    # Even presented under our platform serial, another key's signature does not verify.
    with pytest.raises(CallbackRejected, match="signature does not verify"):
        wechat.verify_callback(with_headers(foreign, Wechatpay_Serial=sandbox.wechat_platform_serial), foreign.body)


@pytest.mark.parametrize("name", ["Wechatpay_Signature", "Wechatpay_Timestamp", "Wechatpay_Nonce", "Wechatpay_Serial"])
def test_missing_headers_are_rejected(sandbox: Sandbox, wechat: WechatProvider, name: str) -> None:
    callback = sandbox.pay("wechat", created(wechat))

    with pytest.raises(CallbackRejected, match="missing"):
        wechat.verify_callback(with_headers(callback, **{name: None}), callback.body)


@pytest.mark.parametrize(
    ("offset", "accepted"),
    [(0, True), (-300, True), (300, True), (-301, False), (301, False), (-3600, False)],
)
def test_timestamps_more_than_five_minutes_off_are_rejected(
    sandbox: Sandbox, wechat: WechatProvider, offset: int, accepted: bool
) -> None:
    callback = sandbox.pay("wechat", created(wechat), timestamp=NOW + timedelta(seconds=offset))
    receiver = at(sandbox, NOW)

    if accepted:
        assert receiver.verify_callback(callback.headers, callback.body).status is NoticeStatus.SUCCEEDED
    else:
        with pytest.raises(CallbackRejected, match="5 minutes"):
            receiver.verify_callback(callback.headers, callback.body)


def test_an_unknown_serial_is_rejected(sandbox: Sandbox, wechat: WechatProvider) -> None:
    callback = sandbox.pay("wechat", created(wechat))

    with pytest.raises(CallbackRejected, match="unknown Wechatpay-Serial"):
        wechat.verify_callback(
            with_headers(callback, Wechatpay_Serial="5157F09EFDC096DE15EBE81A47057A72"), callback.body
        )


@pytest.mark.parametrize(
    "changes",
    [
        {"Wechatpay_Signature": "not base64 !!"},
        {"Wechatpay_Signature": base64.b64encode(b"\x00" * 256).decode()},
        {"Wechatpay_Timestamp": "17e8"},
        {"Wechatpay_Timestamp": "-1"},
        {"Wechatpay_Signature_Type": "WECHATPAY2-SM2-WITH-SM3"},
    ],
    ids=["not base64", "zero signature", "timestamp not digits", "negative timestamp", "other signature type"],
)
def test_malformed_signature_headers_are_rejected(
    sandbox: Sandbox, wechat: WechatProvider, changes: dict[str, str]
) -> None:
    callback = sandbox.pay("wechat", created(wechat))

    with pytest.raises(CallbackRejected):
        wechat.verify_callback(with_headers(callback, **changes), callback.body)


def test_a_resource_encrypted_under_another_apiv3_key_is_rejected(sandbox: Sandbox) -> None:
    credentials = sandbox.credentials("wechat")
    assert isinstance(credentials, WechatCredentials)
    wrong_key = WechatProvider(dataclasses.replace(credentials, api_v3_key="0" * 32), sandbox)
    callback = sandbox.pay("wechat", new_id(), amount=10800)

    with pytest.raises(CallbackRejected, match="decrypt"):
        wrong_key.verify_callback(callback.headers, callback.body)


@pytest.mark.parametrize(("field", "value"), [("mchid", "1900000000"), ("appid", "wx0000000000000000")])
def test_a_notice_for_another_merchant_is_flagged(
    sandbox: Sandbox, wechat: WechatProvider, field: str, value: str
) -> None:
    callback = sandbox.pay("wechat", created(wechat), overrides={field: value})

    assert wechat.verify_callback(callback.headers, callback.body).merchant_ok is False


@pytest.mark.parametrize(
    "amount",
    [
        {"total": "10800", "currency": "CNY"},
        {"total": 108.0, "currency": "CNY"},
        {"total": -1, "currency": "CNY"},
        {"total": True, "currency": "CNY"},
        {"total": 10800, "currency": "XXX"},
        {"currency": "CNY"},
    ],
    ids=["string", "float", "negative", "bool", "unknown currency", "missing"],
)
def test_malformed_amounts_are_rejected(sandbox: Sandbox, wechat: WechatProvider, amount: dict[str, object]) -> None:
    callback = sandbox.pay("wechat", created(wechat), overrides={"amount": amount})

    with pytest.raises(CallbackRejected, match=r"amount|total"):
        wechat.verify_callback(callback.headers, callback.body)


def test_a_retried_notification_keeps_its_id(sandbox: Sandbox, wechat: WechatProvider) -> None:
    payment_id = created(wechat)
    first = sandbox.pay("wechat", payment_id)

    retry = sandbox.pay("wechat", payment_id, event_id=first.event_id)

    assert wechat.verify_callback(retry.headers, retry.body).event_id == first.event_id
    assert sandbox.replay(first) is first


def test_answers_are_exact(wechat: WechatProvider) -> None:
    assert wechat.success_answer() == CallbackAnswer(204, "", "text/plain")
    failure = wechat.failure_answer("signature does not verify")
    assert failure.status == 400 and failure.content_type == "application/json"
    assert json.loads(failure.body) == {"code": "FAIL", "message": "signature does not verify"}


# ---------------------------------------------------------------- refund and query


def test_refunds_are_idempotent_by_refund_id_and_capped(sandbox: Sandbox, wechat: WechatProvider) -> None:
    payment_id = created(wechat)
    notice = wechat.verify_callback(*_parts(sandbox.pay("wechat", payment_id)))
    total = cny(10800)

    first = wechat.refund(payment_id, notice.provider_reference, "R-1", cny(8000), total)
    again = wechat.refund(payment_id, notice.provider_reference, "R-1", cny(8000), total)
    too_much = wechat.refund(payment_id, notice.provider_reference, "R-2", cny(2801), total)
    by_our_id = wechat.refund(payment_id, "", "R-3", cny(2800), total)

    assert first.status is NoticeStatus.SUCCEEDED and again == first
    assert too_much.status is NoticeStatus.FAILED and too_much.reason.startswith("INVALID_REQUEST")
    assert by_our_id.status is NoticeStatus.SUCCEEDED
    order = sandbox.payment("wechat", payment_id)
    assert order is not None and order.refunded == 10800 and sorted(order.refunds) == ["R-1", "R-3"]


def test_a_refund_id_reused_with_another_amount_is_declined(sandbox: Sandbox, wechat: WechatProvider) -> None:
    payment_id = created(wechat)
    sandbox.pay("wechat", payment_id)
    wechat.refund(payment_id, "", "R-1", cny(100), cny(10800))

    declined = wechat.refund(payment_id, "", "R-1", cny(200), cny(10800))

    assert declined.status is NoticeStatus.FAILED
    assert sandbox.payment("wechat", payment_id).refunded == 100  # type: ignore[union-attr]


def test_a_refund_must_name_the_original_total(sandbox: Sandbox, wechat: WechatProvider) -> None:
    payment_id = created(wechat)
    sandbox.pay("wechat", payment_id)

    declined = wechat.refund(payment_id, "", "R-1", cny(100), cny(100))

    assert declined.status is NoticeStatus.FAILED and declined.reason.startswith("PARAM_ERROR")


def test_query_follows_the_order(sandbox: Sandbox, wechat: WechatProvider) -> None:
    assert wechat.query(new_id(), cny(10800)).status is NoticeStatus.PENDING
    payment_id = created(wechat)
    assert wechat.query(payment_id, cny(10800)).status is NoticeStatus.PENDING

    sandbox.pay("wechat", payment_id)
    paid = wechat.query(payment_id, cny(10800))

    assert paid.status is NoticeStatus.SUCCEEDED and paid.amount == cny(10800)
    assert paid.provider_reference == sandbox.payment("wechat", payment_id).reference  # type: ignore[union-attr]
    assert paid.event_id == wechat.query(payment_id, cny(10800)).event_id


def _parts(callback: SandboxCallback) -> tuple[dict[str, str], bytes]:
    return callback.headers, callback.body
