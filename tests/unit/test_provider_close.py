"""Closing a payment at the provider (the order was cancelled), each adapter against the sandbox with real
signed requests: Alipay `alipay.trade.close`, WeChat Pay v3 close order, card intent cancel, crypto charge
cancel; bank transfers cannot be closed. A closed payment cannot be paid any more; one the payer paid
first answers PAID (the late-payment path refunds it). Also: refunds the provider cannot take now."""

from __future__ import annotations

from typing import Any

import pytest
from oms.adapters.providers import provider_for
from oms.adapters.providers.base import CloseOutcome, PaymentProvider, ProviderError
from oms.domain.ids import new_id
from oms.domain.money import Money
from oms_local.oms.payment_sandbox import Sandbox, SandboxPaymentClosed

Answer = tuple[int, dict[str, str], bytes]


class Recording:
    def __init__(self, inner: Sandbox) -> None:
        self.inner = inner
        self.sent: list[tuple[str, str, dict[str, str], bytes]] = []

    def send(self, method: str, url: str, headers: dict[str, str], body: bytes) -> Answer:
        self.sent.append((method, url, headers, body))
        return self.inner.send(method, url, headers, body)


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    return Sandbox(seed=31)


def adapter(sandbox: Sandbox, method: str) -> tuple[PaymentProvider, Recording]:
    recording = Recording(sandbox)
    return provider_for(method, recording, environ=sandbox.credentials_env()), recording


def created(sandbox: Sandbox, provider: PaymentProvider, method: str) -> tuple[str, str | None]:
    """A payment the provider knows (for Alipay: the payer opened the cashier) and its provider reference."""
    payment_id = new_id()
    data: dict[str, Any] = provider.instructions(payment_id, "26120100000001", Money(10800, "CNY"), "Tea").data
    if method == "alipay":
        assert sandbox.send("GET", data["url"], {}, b"")[0] == 200
    return payment_id, data.get("payment_intent") or data.get("charge_code")


@pytest.mark.parametrize("method", ["alipay", "wechat", "card", "crypto"])
def test_a_closed_payment_cannot_be_paid_and_closing_again_says_closed(sandbox: Sandbox, method: str) -> None:
    provider, _ = adapter(sandbox, method)
    payment_id, reference = created(sandbox, provider, method)

    closed = provider.close(payment_id, reference)

    assert (closed.payment_id, closed.outcome) == (payment_id, CloseOutcome.CLOSED)
    with pytest.raises(SandboxPaymentClosed):
        sandbox.pay(method, payment_id)
    assert provider.close(payment_id, reference).outcome is CloseOutcome.CLOSED  # idempotent
    at_provider = sandbox.payment(method, payment_id)
    assert at_provider is not None and at_provider.closed and at_provider.paid == 0


def test_alipay_close_is_a_signed_trade_close(sandbox: Sandbox) -> None:
    provider, recording = adapter(sandbox, "alipay")
    payment_id, _ = created(sandbox, provider, "alipay")
    provider.close(payment_id)
    method, url, _headers, body = recording.sent[-1]
    assert method == "POST" and b"method=alipay.trade.close" in body and b"sign=" in body
    from oms_local.oms.payment_sandbox import ALIPAY_GATEWAY

    assert url == ALIPAY_GATEWAY
    status, _, page = sandbox.send(
        "GET", provider.instructions(payment_id, "1", Money(10800, "CNY"), "Tea").data["url"], {}, b""
    )
    assert status == 400 and "TRADE_HAS_CLOSE" in page.decode()  # the cashier refuses it too


def test_wechat_close_posts_the_mchid_to_the_close_endpoint(sandbox: Sandbox) -> None:
    provider, recording = adapter(sandbox, "wechat")
    payment_id, _ = created(sandbox, provider, "wechat")
    provider.close(payment_id)
    method, url, headers, body = recording.sent[-1]
    assert (method, url) == (
        "POST",
        f"https://api.mch.wechatpay.sandbox.invalid/v3/pay/transactions/out-trade-no/{payment_id}/close",
    )
    assert headers["Authorization"].startswith("WECHATPAY2-SHA256-RSA2048 ")
    assert body == b'{"mchid":"' + sandbox.wechat_mch_id.encode() + b'"}'
    with pytest.raises(ProviderError):  # the payer cannot be given a new code for a closed order
        provider.instructions(payment_id, "1", Money(10800, "CNY"), "Tea")


@pytest.mark.parametrize("method", ["alipay", "wechat", "card", "crypto"])
def test_a_payment_the_payer_made_first_answers_paid(sandbox: Sandbox, method: str) -> None:
    provider, _ = adapter(sandbox, method)
    payment_id, reference = created(sandbox, provider, method)
    sandbox.pay(method, payment_id)  # the money is in before the close arrives

    assert provider.close(payment_id, reference).outcome is CloseOutcome.PAID
    at_provider = sandbox.payment(method, payment_id)
    assert at_provider is not None and not at_provider.closed and at_provider.paid == 10800


@pytest.mark.parametrize("method", ["alipay", "wechat"])
def test_a_payment_the_provider_never_saw_is_not_found(sandbox: Sandbox, method: str) -> None:
    provider, _ = adapter(sandbox, method)
    assert provider.close(new_id()).outcome is CloseOutcome.NOT_FOUND


def test_a_card_close_finds_the_intent_by_our_id(sandbox: Sandbox) -> None:
    provider, _ = adapter(sandbox, "card")
    payment_id, _ = created(sandbox, provider, "card")
    assert provider.close(payment_id, None).outcome is CloseOutcome.CLOSED
    assert provider.close(new_id(), None).outcome is CloseOutcome.NOT_FOUND


def test_bank_transfers_cannot_be_closed(sandbox: Sandbox) -> None:
    provider, recording = adapter(sandbox, "bank_transfer")
    assert provider.close(new_id()).outcome is CloseOutcome.UNSUPPORTED
    assert recording.sent == []


@pytest.mark.parametrize("method", ["alipay", "wechat", "card", "crypto"])
def test_a_refund_the_provider_cannot_take_now_is_an_unknown_outcome(method: str) -> None:
    sandbox = Sandbox(seed=32)
    provider, _ = adapter(sandbox, method)
    payment_id, _reference = created(sandbox, provider, method)
    sandbox.pay(method, payment_id)
    paid = sandbox.payment(method, payment_id)
    assert paid is not None
    sandbox.refunds_unavailable = True
    with pytest.raises(ProviderError) as unknown:
        provider.refund(payment_id, paid.reference or "", f"RF{payment_id}", Money(100, "CNY"), Money(10800, "CNY"))
    assert unknown.value.retryable
    sandbox.refunds_unavailable = False
    refund = provider.refund(
        payment_id, paid.reference or "", f"RF{payment_id}", Money(100, "CNY"), Money(10800, "CNY")
    )
    assert refund.status.value == "SUCCEEDED"
