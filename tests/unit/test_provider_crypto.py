"""Crypto processor (Coinbase Commerce-style) adapter against the sandbox: charges, HMAC webhooks, refunds."""

from __future__ import annotations

import json

import pytest
from oms.adapters.providers import provider_for
from oms.adapters.providers.base import CallbackAnswer, CallbackRejected, NoticeStatus, ProviderError
from oms.adapters.providers.crypto import CryptoProvider
from oms.domain.ids import new_id
from oms.domain.money import Money
from oms.domain.payment import PaymentMethod
from oms_local.oms.payment_sandbox import Sandbox

Answer = tuple[int, dict[str, str], bytes]


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    return Sandbox(seed=41)


@pytest.fixture(scope="module")
def other() -> Sandbox:
    return Sandbox(seed=42)


@pytest.fixture(scope="module")
def crypto(sandbox: Sandbox) -> CryptoProvider:
    provider = sandbox.provider(PaymentMethod.CRYPTO)
    assert isinstance(provider, CryptoProvider)
    return provider


def usd(amount: int) -> Money:
    return Money(amount, "USD")


def created(crypto: CryptoProvider, amount: Money | None = None) -> tuple[str, str]:
    payment_id = new_id()
    data = crypto.instructions(payment_id, "26112200000001", amount or usd(10800), "Tea set").data
    return payment_id, data["charge_code"]


class Recording:
    def __init__(self, inner: Sandbox, api_key: str | None = None) -> None:
        self.inner, self.api_key = inner, api_key
        self.sent: list[tuple[str, str, dict[str, str], bytes]] = []

    def send(self, method: str, url: str, headers: dict[str, str], body: bytes) -> Answer:
        if self.api_key is not None:
            headers = {**headers, "X-CC-Api-Key": self.api_key}
        self.sent.append((method, url, headers, body))
        return self.inner.send(method, url, headers, body)


# ---------------------------------------------------------------- requests


def test_instructions_create_a_fixed_price_charge(sandbox: Sandbox) -> None:
    recording = Recording(sandbox)
    crypto = provider_for("crypto", recording, environ=sandbox.credentials_env())
    payment_id = new_id()

    data = crypto.instructions(payment_id, "26112200000001", usd(10800), "Tea set").data

    assert data["hosted_url"].endswith("/charges/" + data["charge_code"])
    method, url, headers, body = recording.sent[0]
    assert (method, url) == ("POST", "https://api.commerce.sandbox.invalid/charges")
    assert headers["X-CC-Api-Key"] and headers["Idempotency-Key"] == payment_id
    payload = json.loads(body)
    assert payload["pricing_type"] == "fixed_price"
    assert payload["local_price"] == {"amount": "108.00", "currency": "USD"}
    assert payload["metadata"]["payment_id"] == payment_id
    charge = sandbox.payment("crypto", payment_id)
    assert charge is not None and charge.reference == data["charge_code"] and charge.amount == 10800


def test_a_request_with_a_forged_api_key_is_refused(sandbox: Sandbox) -> None:
    forged = provider_for("crypto", Recording(sandbox, "forged-key"), environ=sandbox.credentials_env())
    payment_id = new_id()

    with pytest.raises(ProviderError) as refused:
        forged.instructions(payment_id, "1", usd(10800), "Tea set")

    assert refused.value.retryable is False
    assert sandbox.payment("crypto", payment_id) is None


# ---------------------------------------------------------------- webhooks


def test_a_sandbox_webhook_verifies_and_parses(sandbox: Sandbox, crypto: CryptoProvider) -> None:
    payment_id, code = created(crypto)

    callback = sandbox.pay("crypto", payment_id)
    notice = crypto.verify_callback(callback.headers, callback.body)

    assert notice.provider is PaymentMethod.CRYPTO
    assert notice.event_id == json.loads(callback.body)["event"]["id"] == callback.event_id
    assert notice.payment_id == payment_id
    assert notice.provider_reference == code
    assert notice.status is NoticeStatus.SUCCEEDED
    assert notice.amount == usd(10800)
    assert notice.merchant_ok is True


@pytest.mark.parametrize(("amount", "wire"), [(Money(1, "USD"), "0.01"), (Money(1080, "JPY"), "1080")])
def test_amounts_are_exact(sandbox: Sandbox, crypto: CryptoProvider, amount: Money, wire: str) -> None:
    payment_id, _ = created(crypto, amount)

    callback = sandbox.pay("crypto", payment_id)

    assert json.loads(callback.body)["event"]["data"]["pricing"]["local"]["amount"] == wire
    assert crypto.verify_callback(callback.headers, callback.body).amount == amount


@pytest.mark.parametrize(
    ("event_type", "expected"),
    [
        ("charge:confirmed", NoticeStatus.SUCCEEDED),
        ("charge:resolved", NoticeStatus.SUCCEEDED),
        ("charge:failed", NoticeStatus.FAILED),
        ("charge:pending", NoticeStatus.PENDING),
        ("charge:delayed", NoticeStatus.PENDING),
    ],
)
def test_event_types_map_to_our_status(
    sandbox: Sandbox, crypto: CryptoProvider, event_type: str, expected: NoticeStatus
) -> None:
    payment_id, _ = created(crypto)

    callback = sandbox.pay("crypto", payment_id, status=event_type)

    assert crypto.verify_callback(callback.headers, callback.body).status is expected


def test_a_changed_byte_is_rejected(sandbox: Sandbox, crypto: CryptoProvider) -> None:
    payment_id, _ = created(crypto)
    callback = sandbox.pay("crypto", payment_id)

    with pytest.raises(CallbackRejected, match="signature"):
        crypto.verify_callback(callback.headers, callback.body.replace(b'"108.00"', b'"10.80"', 1))


def test_a_webhook_signed_with_another_secret_is_rejected(other: Sandbox, crypto: CryptoProvider) -> None:
    foreign = other.pay("crypto", new_id(), amount=10800, currency="USD")

    with pytest.raises(CallbackRejected, match="signature"):
        crypto.verify_callback(foreign.headers, foreign.body)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-CC-Webhook-Signature": ""},
        {"X-CC-Webhook-Signature": "zz" * 32},
        {"X-CC-Webhook-Signature": "ab" * 31},
        {"X-CC-Webhook-Signature": "ab" * 33},
        {"X-CC-Webhook-Signature": "sha256=" + "ab" * 32},
    ],
    ids=["missing", "empty", "not hex", "short", "long", "prefixed"],
)
def test_missing_or_malformed_signature_headers_are_rejected(
    sandbox: Sandbox, crypto: CryptoProvider, headers: dict[str, str]
) -> None:
    payment_id, _ = created(crypto)
    callback = sandbox.pay("crypto", payment_id)

    with pytest.raises(CallbackRejected, match=r"missing|malformed"):
        crypto.verify_callback(headers, callback.body)


def test_the_signature_header_is_case_insensitive_in_name_and_hex(sandbox: Sandbox, crypto: CryptoProvider) -> None:
    payment_id, _ = created(crypto)
    callback = sandbox.pay("crypto", payment_id)
    headers = {"x-cc-webhook-signature": callback.headers["X-CC-Webhook-Signature"].upper()}

    assert crypto.verify_callback(headers, callback.body).payment_id == payment_id


@pytest.mark.parametrize("amount", ["1e2", "-1.00", "108.001", "108.", " 108.00", "0x10", "NaN", "1,080.00"])
def test_malformed_amounts_are_rejected(sandbox: Sandbox, crypto: CryptoProvider, amount: str) -> None:
    payment_id, _ = created(crypto)
    callback = sandbox.pay(
        "crypto", payment_id, overrides={"pricing": {"local": {"amount": amount, "currency": "USD"}}}
    )

    with pytest.raises(CallbackRejected, match="price"):
        crypto.verify_callback(callback.headers, callback.body)


def test_a_webhook_without_our_payment_id_is_rejected(sandbox: Sandbox, crypto: CryptoProvider) -> None:
    payment_id, _ = created(crypto)
    callback = sandbox.pay("crypto", payment_id, overrides={"metadata": {}})

    with pytest.raises(CallbackRejected, match="payment_id"):
        crypto.verify_callback(callback.headers, callback.body)


def test_a_replayed_webhook_still_verifies_with_the_same_event_id(sandbox: Sandbox, crypto: CryptoProvider) -> None:
    # No timestamp is signed: only deduplication on the event id stops a replay.
    payment_id, _ = created(crypto)
    first = sandbox.pay("crypto", payment_id)
    retry = sandbox.pay("crypto", payment_id, event_id=first.event_id)

    replayed = sandbox.replay(first)

    assert replayed is first
    assert crypto.verify_callback(replayed.headers, replayed.body).event_id == first.event_id
    assert crypto.verify_callback(retry.headers, retry.body).event_id == first.event_id


def test_answers_are_exact(crypto: CryptoProvider) -> None:
    assert crypto.success_answer() == CallbackAnswer(200, "ok", "text/plain")
    failure = crypto.failure_answer("signature does not verify")
    assert failure.status == 400 and json.loads(failure.body) == {"error": "signature does not verify"}


# ---------------------------------------------------------------- refund and query


def test_refunds_are_idempotent_by_refund_id_and_capped(sandbox: Sandbox, crypto: CryptoProvider) -> None:
    payment_id, code = created(crypto)
    sandbox.pay("crypto", payment_id)
    total = usd(10800)

    first = crypto.refund(payment_id, code, f"{payment_id}-R1", usd(8000), total)
    again = crypto.refund(payment_id, code, f"{payment_id}-R1", usd(8000), total)
    too_much = crypto.refund(payment_id, code, f"{payment_id}-R2", usd(2801), total)
    rest = crypto.refund(payment_id, code, f"{payment_id}-R3", usd(2800), total)

    assert first.status is NoticeStatus.SUCCEEDED and again == first
    assert too_much.status is NoticeStatus.FAILED and "exceeds" in too_much.reason
    assert rest.status is NoticeStatus.SUCCEEDED
    charge = sandbox.payment("crypto", payment_id)
    assert charge is not None and charge.refunded == 10800
    assert sorted(charge.refunds) == [f"{payment_id}-R1", f"{payment_id}-R3"]


def test_an_unpaid_charge_cannot_be_refunded(crypto: CryptoProvider) -> None:
    payment_id, code = created(crypto)

    assert crypto.refund(payment_id, code, f"{payment_id}-R1", usd(1), usd(10800)).status is NoticeStatus.FAILED


def test_query_reads_the_charge_timeline(sandbox: Sandbox, crypto: CryptoProvider) -> None:
    payment_id, code = created(crypto)
    assert crypto.query(payment_id, usd(10800), code).status is NoticeStatus.PENDING

    sandbox.pay("crypto", payment_id)
    paid = crypto.query(payment_id, usd(10800), code)

    assert paid.status is NoticeStatus.SUCCEEDED and paid.amount == usd(10800) and paid.provider_reference == code
    assert paid.event_id == f"query:{code}:COMPLETED"


def test_an_expired_charge_queries_as_failed(sandbox: Sandbox, crypto: CryptoProvider) -> None:
    payment_id, code = created(crypto)
    sandbox.pay("crypto", payment_id, status="FAILED")

    answer = crypto.query(payment_id, usd(10800), code)

    assert answer.status is NoticeStatus.FAILED and answer.amount is None


def test_query_needs_the_charge_code(crypto: CryptoProvider) -> None:
    with pytest.raises(ProviderError, match="charge code") as refused:
        crypto.query(new_id(), usd(10800))
    assert refused.value.retryable is False
