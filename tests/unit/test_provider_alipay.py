"""Alipay adapter against the sandbox: signed page-pay redirects, RSA2 notifies, refunds and queries."""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from oms.adapters.providers import provider_for
from oms.adapters.providers.alipay import AlipayProvider, parse_form, top_level_members
from oms.adapters.providers.base import CallbackAnswer, CallbackRejected, NoticeStatus, ProviderError
from oms.domain.errors import InvalidRequest
from oms.domain.ids import new_id
from oms.domain.money import Money
from oms.domain.payment import PaymentMethod
from oms_local.oms.payment_sandbox import ALIPAY_GATEWAY, Sandbox, SandboxError

Answer = tuple[int, dict[str, str], bytes]


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    return Sandbox(seed=11)


@pytest.fixture(scope="module")
def other() -> Sandbox:
    """Another Alipay with other keys: nothing it signs may pass for our sandbox."""
    return Sandbox(seed=12)


@pytest.fixture(scope="module")
def alipay(sandbox: Sandbox) -> AlipayProvider:
    provider = sandbox.provider(PaymentMethod.ALIPAY)
    assert isinstance(provider, AlipayProvider)
    return provider


def cny(amount: int) -> Money:
    return Money(amount, "CNY")


def opened(sandbox: Sandbox, alipay: AlipayProvider, amount: int = 10800, description: str = "Tea set") -> str:
    """A payment whose cashier page the payer opened (that is when Alipay creates the trade)."""
    payment_id = new_id()
    instructions = alipay.instructions(payment_id, "26112200000001", cny(amount), description)
    status, _headers, _body = sandbox.send("GET", instructions.data["url"], {}, b"")
    assert status == 200
    return payment_id


class Tampering:
    """A transport between the adapter and the sandbox that can alter requests or answers."""

    def __init__(
        self,
        inner: Sandbox,
        request: Callable[[dict[str, str]], dict[str, str]] | None = None,
        answer: Callable[[bytes], bytes] | None = None,
    ) -> None:
        self.inner, self.request, self.answer = inner, request, answer

    def send(self, method: str, url: str, headers: dict[str, str], body: bytes) -> Answer:
        if self.request is not None:
            body = urlencode(self.request(parse_form(body))).encode("ascii")
        status, answer_headers, answer = self.inner.send(method, url, headers, body)
        return status, answer_headers, self.answer(answer) if self.answer else answer


# ---------------------------------------------------------------- instructions (requests we sign)


def test_instructions_are_a_signed_page_pay_request_the_provider_accepts(
    sandbox: Sandbox, alipay: AlipayProvider
) -> None:
    payment_id = new_id()
    data = alipay.instructions(payment_id, "26112200000001", cny(10800), "Tea set").data

    params = data["params"]
    assert params["method"] == "alipay.trade.page.pay"
    assert params["sign_type"] == "RSA2" and params["charset"] == "utf-8" and params["version"] == "1.0"
    assert params["notify_url"] == sandbox.notify_url("alipay")
    biz = json.loads(params["biz_content"])
    assert biz["out_trade_no"] == payment_id
    assert biz["total_amount"] == "108.00"
    assert biz["subject"] == "Tea set"
    assert data["gateway"] == urlsplit(data["url"])._replace(query="").geturl()
    assert {k: v[0] for k, v in parse_qs(urlsplit(data["url"]).query).items()} == params

    status, _headers, _page = sandbox.send("GET", data["url"], {}, b"")

    assert status == 200
    trade = sandbox.payment("alipay", payment_id)
    assert trade is not None and trade.amount == 10800 and trade.state == "WAIT_BUYER_PAY"


def test_one_fen_is_sent_as_0_01(alipay: AlipayProvider) -> None:
    biz = json.loads(alipay.instructions(new_id(), "1", cny(1), "x").data["params"]["biz_content"])
    assert biz["total_amount"] == "0.01"


@pytest.mark.parametrize("field", ["sign", "biz_content", "app_id"])
def test_a_forged_page_pay_request_is_refused(sandbox: Sandbox, alipay: AlipayProvider, field: str) -> None:
    payment_id = new_id()
    params = dict(alipay.instructions(payment_id, "1", cny(10800), "Tea set").data["params"])
    if field == "sign":
        params["sign"] = params["sign"][:10] + ("A" if params["sign"][10] != "A" else "B") + params["sign"][11:]
    elif field == "biz_content":
        params["biz_content"] = params["biz_content"].replace("108.00", "1.00")
    else:
        params["app_id"] = "2021000000000000"

    status, _headers, _page = sandbox.send("GET", f"{ALIPAY_GATEWAY}?{urlencode(params)}", {}, b"")

    assert status == 400
    assert sandbox.payment("alipay", payment_id) is None


def test_instructions_refuse_other_currencies(alipay: AlipayProvider) -> None:
    with pytest.raises(InvalidRequest):
        alipay.instructions(new_id(), "1", Money(100, "USD"), "x")


# ---------------------------------------------------------------- notifies


def test_a_sandbox_notify_verifies_and_parses(sandbox: Sandbox, alipay: AlipayProvider) -> None:
    payment_id = opened(sandbox, alipay)

    callback = sandbox.pay("alipay", payment_id)
    notice = alipay.verify_callback(callback.headers, callback.body)

    assert notice.provider is PaymentMethod.ALIPAY
    assert notice.event_id == callback.event_id
    assert notice.payment_id == payment_id
    assert notice.provider_reference == sandbox.payment("alipay", payment_id).reference  # type: ignore[union-attr]
    assert notice.status is NoticeStatus.SUCCEEDED
    assert notice.amount == cny(10800)
    assert notice.merchant_ok is True
    assert "sign" not in notice.raw and notice.raw["notify_id"] == callback.event_id


def test_values_are_verified_url_decoded(sandbox: Sandbox, alipay: AlipayProvider) -> None:
    # Percent-encoded UTF-8, '+', '%' and spaces in the subject: the signature covers the decoded text.
    payment_id = opened(sandbox, alipay, description="茶具 套装 +100% 限量")

    callback = sandbox.pay("alipay", payment_id)

    assert b"%E8%8C%B6" in callback.body
    assert alipay.verify_callback(callback.headers, callback.body).raw["subject"] == "茶具 套装 +100% 限量"


@pytest.mark.parametrize(("paid", "expected"), [(1, 1), (10800, 10800), (10, 10), (123456789, 123456789), (5000, 5000)])
def test_amounts_are_exact_minor_units(sandbox: Sandbox, alipay: AlipayProvider, paid: int, expected: int) -> None:
    payment_id = opened(sandbox, alipay, amount=paid)

    callback = sandbox.pay("alipay", payment_id)

    assert alipay.verify_callback(callback.headers, callback.body).amount == cny(expected)


def test_total_amount_on_the_wire_is_a_yuan_string(sandbox: Sandbox, alipay: AlipayProvider) -> None:
    payment_id = opened(sandbox, alipay, amount=1)

    callback = sandbox.pay("alipay", payment_id)

    assert parse_form(callback.body)["total_amount"] == "0.01"


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("TRADE_SUCCESS", NoticeStatus.SUCCEEDED),
        ("TRADE_FINISHED", NoticeStatus.SUCCEEDED),
        ("TRADE_CLOSED", NoticeStatus.FAILED),
        ("WAIT_BUYER_PAY", NoticeStatus.PENDING),
    ],
)
def test_trade_status_maps_to_our_status(
    sandbox: Sandbox, alipay: AlipayProvider, status: str, expected: NoticeStatus
) -> None:
    payment_id = opened(sandbox, alipay)

    callback = sandbox.pay("alipay", payment_id, status=status)

    assert alipay.verify_callback(callback.headers, callback.body).status is expected


def test_a_closing_notice_after_a_full_refund_is_not_a_payment_failure(
    sandbox: Sandbox, alipay: AlipayProvider
) -> None:
    payment_id = opened(sandbox, alipay)
    callback = sandbox.pay(
        "alipay", payment_id, status="TRADE_CLOSED", overrides={"refund_fee": "108.00", "gmt_refund": "2026-11-22"}
    )

    assert alipay.verify_callback(callback.headers, callback.body).status is NoticeStatus.PENDING


def test_a_changed_byte_is_rejected(sandbox: Sandbox, alipay: AlipayProvider) -> None:
    payment_id = opened(sandbox, alipay)
    callback = sandbox.pay("alipay", payment_id)
    assert b"total_amount=108.00" in callback.body

    with pytest.raises(CallbackRejected, match="signature"):
        alipay.verify_callback(callback.headers, callback.body.replace(b"total_amount=108.00", b"total_amount=109.00"))


def test_every_signed_field_is_covered(sandbox: Sandbox, alipay: AlipayProvider) -> None:
    payment_id = opened(sandbox, alipay)
    params = parse_form(sandbox.pay("alipay", payment_id).body)

    for name in sorted(set(params) - {"sign", "sign_type"}):
        forged = {**params, name: params[name] + "1"}
        with pytest.raises(CallbackRejected):
            alipay.verify_callback({}, urlencode(forged).encode())


def test_a_notify_signed_with_another_key_is_rejected(sandbox: Sandbox, other: Sandbox, alipay: AlipayProvider) -> None:
    payment_id = new_id()
    callback = other.pay("alipay", payment_id, amount=10800)

    with pytest.raises(CallbackRejected, match="signature"):
        alipay.verify_callback(callback.headers, callback.body)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda p: {k: v for k, v in p.items() if k != "sign"}, id="no sign"),
        pytest.param(lambda p: {**p, "sign": ""}, id="empty sign"),
        pytest.param(lambda p: {**p, "sign": "not base64 !!"}, id="sign not base64"),
        pytest.param(lambda p: {**p, "sign_type": "RSA"}, id="sign_type RSA"),
    ],
)
def test_missing_or_malformed_signatures_are_rejected(
    sandbox: Sandbox, alipay: AlipayProvider, change: Callable[[dict[str, str]], dict[str, str]]
) -> None:
    params = parse_form(sandbox.pay("alipay", opened(sandbox, alipay)).body)

    with pytest.raises(CallbackRejected):
        alipay.verify_callback({}, urlencode(change(params)).encode())


@pytest.mark.parametrize(
    "body",
    [b"", b"\xff\xfe", b"a=1&a=2", b"not a form", b"sign=abc&sign=abc"],
    ids=["empty", "not utf-8", "duplicate", "no pairs", "two signs"],
)
def test_malformed_bodies_are_rejected(alipay: AlipayProvider, body: bytes) -> None:
    with pytest.raises(CallbackRejected):
        alipay.verify_callback({}, body)


def test_a_duplicated_field_is_rejected_even_when_signed(sandbox: Sandbox, alipay: AlipayProvider) -> None:
    callback = sandbox.pay("alipay", opened(sandbox, alipay))

    with pytest.raises(CallbackRejected, match="more than once"):
        alipay.verify_callback({}, callback.body + b"&total_amount=1.00")


@pytest.mark.parametrize(("field", "value"), [("app_id", "2021000000000009"), ("seller_id", "2088000000000009")])
def test_a_notice_for_another_merchant_is_flagged(
    sandbox: Sandbox, alipay: AlipayProvider, field: str, value: str
) -> None:
    callback = sandbox.pay("alipay", opened(sandbox, alipay), overrides={field: value})

    notice = alipay.verify_callback(callback.headers, callback.body)

    assert notice.merchant_ok is False


@pytest.mark.parametrize(
    "amount",
    [
        "1e2",
        "-1.00",
        "108.001",
        " 108.00",
        "108.00 ",
        "١٠٨.٠٠",
        "108.",
        ".50",
        "0x10",
        "1_000.00",
        "NaN",
        "01.00",
        "+1",
    ],
)
def test_malformed_amounts_are_rejected(sandbox: Sandbox, alipay: AlipayProvider, amount: str) -> None:
    callback = sandbox.pay("alipay", opened(sandbox, alipay), overrides={"total_amount": amount})

    with pytest.raises(CallbackRejected, match="total_amount"):
        alipay.verify_callback(callback.headers, callback.body)


@pytest.mark.parametrize("missing", ["notify_id", "out_trade_no", "trade_no", "trade_status", "total_amount"])
def test_a_signed_notice_without_key_fields_is_rejected(sandbox: Sandbox, alipay: AlipayProvider, missing: str) -> None:
    callback = sandbox.pay("alipay", opened(sandbox, alipay), overrides={missing: None})

    with pytest.raises(CallbackRejected, match=missing):
        alipay.verify_callback(callback.headers, callback.body)


def test_a_retried_notice_keeps_its_notify_id(sandbox: Sandbox, alipay: AlipayProvider) -> None:
    payment_id = opened(sandbox, alipay)
    first = sandbox.pay("alipay", payment_id)

    retry = sandbox.pay("alipay", payment_id, event_id=first.event_id)

    assert alipay.verify_callback(retry.headers, retry.body).event_id == first.event_id
    assert sandbox.replay(first) is first
    assert alipay.verify_callback(first.headers, first.body).event_id == first.event_id


def test_answers_are_exact(alipay: AlipayProvider) -> None:
    assert alipay.success_answer() == CallbackAnswer(200, "success", "text/plain")
    assert alipay.failure_answer("signature does not verify") == CallbackAnswer(200, "failure", "text/plain")


def test_paying_a_trade_the_sandbox_never_saw_needs_an_amount(sandbox: Sandbox) -> None:
    with pytest.raises(SandboxError):
        sandbox.pay("alipay", new_id())


# ---------------------------------------------------------------- refund and query


def test_refunds_are_idempotent_by_refund_id_and_capped(sandbox: Sandbox, alipay: AlipayProvider) -> None:
    payment_id = opened(sandbox, alipay)
    notice = alipay.verify_callback({}, sandbox.pay("alipay", payment_id).body)
    total = cny(10800)

    first = alipay.refund(payment_id, notice.provider_reference, "R-1", cny(8000), total)
    again = alipay.refund(payment_id, notice.provider_reference, "R-1", cny(8000), total)
    too_much = alipay.refund(payment_id, notice.provider_reference, "R-2", cny(2801), total)
    rest = alipay.refund(payment_id, notice.provider_reference, "R-3", cny(2800), total)

    assert first.status is NoticeStatus.SUCCEEDED and again.status is NoticeStatus.SUCCEEDED
    assert first.provider_reference == notice.provider_reference
    assert too_much.status is NoticeStatus.FAILED and "REFUND_AMT" in too_much.reason
    assert rest.status is NoticeStatus.SUCCEEDED
    trade = sandbox.payment("alipay", payment_id)
    assert trade is not None and trade.refunded == 10800 and sorted(trade.refunds) == ["R-1", "R-3"]


def test_a_refund_id_reused_with_another_amount_is_declined(sandbox: Sandbox, alipay: AlipayProvider) -> None:
    payment_id = opened(sandbox, alipay)
    sandbox.pay("alipay", payment_id)
    alipay.refund(payment_id, "", "R-1", cny(100), cny(10800))

    declined = alipay.refund(payment_id, "", "R-1", cny(200), cny(10800))

    assert declined.status is NoticeStatus.FAILED
    assert sandbox.payment("alipay", payment_id).refunded == 100  # type: ignore[union-attr]


def test_an_unpaid_trade_cannot_be_refunded(sandbox: Sandbox, alipay: AlipayProvider) -> None:
    payment_id = opened(sandbox, alipay)

    assert alipay.refund(payment_id, "", "R-1", cny(100), cny(10800)).status is NoticeStatus.FAILED


def test_refund_amount_must_fit_the_total(alipay: AlipayProvider) -> None:
    with pytest.raises(InvalidRequest):
        alipay.refund(new_id(), "", "R-1", cny(10801), cny(10800))


def test_query_follows_the_trade(sandbox: Sandbox, alipay: AlipayProvider) -> None:
    unknown = new_id()
    assert alipay.query(unknown, cny(10800)).status is NoticeStatus.PENDING

    payment_id = opened(sandbox, alipay)
    waiting = alipay.query(payment_id, cny(10800))
    assert waiting.status is NoticeStatus.PENDING and waiting.amount is None

    sandbox.pay("alipay", payment_id, amount=10799)  # the provider says what was paid, even when it is wrong
    paid = alipay.query(payment_id, cny(10800))

    assert paid.status is NoticeStatus.SUCCEEDED
    assert paid.amount == cny(10799)
    assert paid.provider_reference == sandbox.payment("alipay", payment_id).reference  # type: ignore[union-attr]
    assert paid.event_id == alipay.query(payment_id, cny(10800)).event_id  # stable: applies once


def test_a_tampered_api_answer_is_not_trusted(sandbox: Sandbox) -> None:
    payment_id = new_id()
    sandbox.pay("alipay", payment_id, amount=10800)
    forged = provider_for(
        "alipay",
        Tampering(sandbox, answer=lambda body: body.replace(b"TRADE_SUCCESS", b"TRADE_CLOSED")),
        environ=sandbox.credentials_env(),
    )

    with pytest.raises(ProviderError, match="signature"):
        forged.query(payment_id, cny(10800))


def test_a_forged_api_request_is_refused(sandbox: Sandbox) -> None:
    payment_id = new_id()
    sandbox.pay("alipay", payment_id, amount=10800)

    def raise_amount(params: dict[str, str]) -> dict[str, str]:
        return {**params, "biz_content": params["biz_content"].replace('"1.00"', '"100.00"')}

    forged = provider_for("alipay", Tampering(sandbox, request=raise_amount), environ=sandbox.credentials_env())

    with pytest.raises(ProviderError) as refused:
        forged.refund(payment_id, "", "R-1", cny(100), cny(10800))
    assert refused.value.retryable is False
    assert sandbox.payment("alipay", payment_id).refunded == 0  # type: ignore[union-attr]


def test_response_members_are_cut_out_byte_exactly() -> None:
    raw = b'{"a_response" : {"x":"1", "y": [1, 2]} ,"sign":"abc"}'

    members = top_level_members(raw)

    assert members["a_response"][0] == '{"x":"1", "y": [1, 2]}'
    assert members["sign"][1] == "abc"
    with pytest.raises(ValueError):
        top_level_members(b'{"a":1,"a":2}')
    with pytest.raises(ValueError):
        top_level_members(b'{"a":1} trailing')
