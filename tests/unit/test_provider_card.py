"""Card processor (Stripe-style) adapter against the sandbox: intents, signed webhooks, rotation, refunds."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl

import pytest
from oms.adapters.providers import provider_for
from oms.adapters.providers.base import CallbackAnswer, CallbackRejected, NoticeStatus, ProviderError
from oms.adapters.providers.card import CardProvider, parse_signature_header
from oms.adapters.providers.credentials import CardCredentials
from oms.domain.errors import InvalidRequest
from oms.domain.ids import new_id
from oms.domain.money import Money
from oms.domain.payment import PaymentMethod
from oms_local.oms.payment_sandbox import Sandbox, SandboxCallback

Answer = tuple[int, dict[str, str], bytes]
NOW = datetime(2026, 11, 22, 10, 0, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    return Sandbox(seed=31)


@pytest.fixture(scope="module")
def other() -> Sandbox:
    return Sandbox(seed=32)


@pytest.fixture(scope="module")
def card(sandbox: Sandbox) -> CardProvider:
    provider = sandbox.provider(PaymentMethod.CARD)
    assert isinstance(provider, CardProvider)
    return provider


def cny(amount: int) -> Money:
    return Money(amount, "CNY")


def created(card: CardProvider, amount: Money | None = None) -> tuple[str, str]:
    payment_id = new_id()
    data = card.instructions(payment_id, "26112200000001", amount or cny(10800), "Tea set").data
    return payment_id, data["payment_intent"]


def receiver(sandbox: Sandbox, secrets: list[str], moment: datetime | None = None) -> CardProvider:
    credentials = sandbox.credentials("card")
    assert isinstance(credentials, CardCredentials)
    clock = (lambda: moment) if moment is not None else (lambda: datetime.now(UTC))
    return CardProvider(dataclasses.replace(credentials, webhook_secrets=tuple(secrets)), sandbox, clock)


def signed(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


class Recording:
    def __init__(self, inner: Sandbox, secret_key: str | None = None) -> None:
        self.inner, self.secret_key = inner, secret_key
        self.sent: list[tuple[str, str, dict[str, str], bytes]] = []

    def send(self, method: str, url: str, headers: dict[str, str], body: bytes) -> Answer:
        if self.secret_key is not None:
            headers = {**headers, "Authorization": f"Bearer {self.secret_key}"}
        self.sent.append((method, url, headers, body))
        return self.inner.send(method, url, headers, body)


# ---------------------------------------------------------------- requests


def test_instructions_create_a_payment_intent(sandbox: Sandbox) -> None:
    recording = Recording(sandbox)
    card = provider_for("card", recording, environ=sandbox.credentials_env())
    payment_id = new_id()

    data = card.instructions(payment_id, "26112200000001", cny(10800), "Tea set").data

    assert data["publishable_key"] == sandbox.card_publishable_key
    assert data["client_secret"].startswith(data["payment_intent"] + "_secret_")
    method, url, headers, body = recording.sent[0]
    assert (method, url) == ("POST", "https://api.card.sandbox.invalid/v1/payment_intents")
    assert headers["Idempotency-Key"] == payment_id
    assert headers["Authorization"].startswith("Bearer sk_test_")
    form = dict(parse_qsl(body.decode()))
    assert form["amount"] == "10800" and form["currency"] == "cny" and form["metadata[payment_id]"] == payment_id
    intent = sandbox.payment("card", payment_id)
    assert intent is not None and intent.reference == data["payment_intent"] and intent.amount == 10800


def test_a_retried_create_replays_the_first_intent(sandbox: Sandbox, card: CardProvider) -> None:
    payment_id = new_id()
    first = card.instructions(payment_id, "1", cny(10800), "Tea set")

    again = card.instructions(payment_id, "1", cny(10800), "Tea set")

    assert again == first
    with pytest.raises(ProviderError, match="idempotency") as reused:
        card.instructions(payment_id, "1", cny(10801), "Tea set")
    assert reused.value.retryable is False


def test_a_request_with_a_forged_secret_key_is_refused(sandbox: Sandbox) -> None:
    forged = provider_for("card", Recording(sandbox, "sk_test_forged"), environ=sandbox.credentials_env())
    payment_id = new_id()

    with pytest.raises(ProviderError) as refused:
        forged.instructions(payment_id, "1", cny(10800), "Tea set")

    assert refused.value.retryable is False
    assert sandbox.payment("card", payment_id) is None


# ---------------------------------------------------------------- webhooks


def test_a_sandbox_webhook_verifies_and_parses(sandbox: Sandbox, card: CardProvider) -> None:
    payment_id, intent_id = created(card)

    callback = sandbox.pay("card", payment_id)
    notice = card.verify_callback(callback.headers, callback.body)

    assert notice.provider is PaymentMethod.CARD
    assert notice.event_id == json.loads(callback.body)["id"] == callback.event_id
    assert notice.payment_id == payment_id
    assert notice.provider_reference == intent_id
    assert notice.status is NoticeStatus.SUCCEEDED
    assert notice.amount == cny(10800)
    assert notice.merchant_ok is True
    assert "client_secret" in callback.body.decode() and "client_secret" not in json.dumps(notice.raw)


def test_the_stripe_header_name_is_accepted_too(sandbox: Sandbox, card: CardProvider) -> None:
    payment_id, _ = created(card, Money(1, "USD"))
    callback = sandbox.pay("card", payment_id)
    headers = {"stripe-signature": callback.headers["Card-Signature"]}

    assert card.verify_callback(headers, callback.body).amount == Money(1, "USD")


def test_the_received_amount_is_what_counts(sandbox: Sandbox, card: CardProvider) -> None:
    payment_id, _ = created(card)

    callback = sandbox.pay("card", payment_id, amount=5000)

    assert card.verify_callback(callback.headers, callback.body).amount == cny(5000)


def test_zero_decimal_currencies_stay_whole_units(sandbox: Sandbox, card: CardProvider) -> None:
    payment_id, _ = created(card, Money(1080, "JPY"))

    callback = sandbox.pay("card", payment_id)

    assert card.verify_callback(callback.headers, callback.body).amount == Money(1080, "JPY")


def test_a_failed_payment_reports_the_intent_amount(sandbox: Sandbox, card: CardProvider) -> None:
    payment_id, _ = created(card)

    callback = sandbox.pay("card", payment_id, status="FAILED")
    notice = card.verify_callback(callback.headers, callback.body)

    assert notice.status is NoticeStatus.FAILED and notice.amount == cny(10800)


def test_a_changed_byte_is_rejected(sandbox: Sandbox, card: CardProvider) -> None:
    payment_id, _ = created(card)
    callback = sandbox.pay("card", payment_id)

    with pytest.raises(CallbackRejected, match="no signature matches"):
        card.verify_callback(
            callback.headers, callback.body.replace(b'"amount_received": 10800', b'"amount_received": 10801')
        )


def test_a_webhook_signed_with_another_secret_is_rejected(other: Sandbox, card: CardProvider) -> None:
    foreign = other.pay("card", new_id(), amount=10800)

    with pytest.raises(CallbackRejected, match="no signature matches"):
        card.verify_callback(foreign.headers, foreign.body)


def test_a_missing_signature_header_is_rejected(sandbox: Sandbox, card: CardProvider) -> None:
    payment_id, _ = created(card)
    callback = sandbox.pay("card", payment_id)

    with pytest.raises(CallbackRejected, match="missing"):
        card.verify_callback({"Content-Type": "application/json"}, callback.body)


@pytest.mark.parametrize(
    ("offset", "accepted"), [(0, True), (-300, True), (300, True), (-301, False), (301, False), (-86400, False)]
)
def test_the_tolerance_is_300_seconds(sandbox: Sandbox, offset: int, accepted: bool) -> None:
    callback = sandbox.pay("card", new_id(), amount=10800, timestamp=NOW + timedelta(seconds=offset))
    card = receiver(sandbox, sandbox.card_webhook_secrets, NOW)

    if accepted:
        assert card.verify_callback(callback.headers, callback.body).status is NoticeStatus.SUCCEEDED
    else:
        with pytest.raises(CallbackRejected, match="tolerance"):
            card.verify_callback(callback.headers, callback.body)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "garbage",
        "t=",
        "v1=" + "a" * 64,
        "t={t}",
        "t=abc,v1={sig}",
        "t={t},t={t},v1={sig}",
        "t={t},v1={short}",
        "t={t},v1={upper}",
        "t={t},,v1={sig}",
        "t={t};v1={sig}",
        "t={t},v0={sig}",
    ],
)
def test_malformed_signature_headers_are_rejected(sandbox: Sandbox, card: CardProvider, value: str) -> None:
    body = sandbox.pay("card", new_id(), amount=10800).body
    t = int(datetime.now(UTC).timestamp())
    sig = signed(sandbox.card_webhook_secrets[0], t, body)
    header = value.format(t=t, sig=sig, short=sig[:-1], upper=sig.upper())

    with pytest.raises(CallbackRejected):
        card.verify_callback({"Card-Signature": header}, body)


def test_the_signature_header_parser_ignores_other_schemes() -> None:
    assert parse_signature_header(f"t=12,v0={'0' * 64},v1={'a' * 64},v1={'b' * 64}") == (12, ["a" * 64, "b" * 64])


def test_rotation_accepts_old_and_new_secrets() -> None:
    provider = Sandbox(seed=33)
    old = provider.card_webhook_secrets[0]
    before = provider.pay("card", new_id(), amount=100)  # signed with the old secret only
    new = provider.rotate_card_webhook_secret()
    during = provider.pay("card", new_id(), amount=100)  # signed with both
    provider.rotate_card_webhook_secret(retire_old=True)
    after = provider.pay("card", new_id(), amount=100)  # signed with the newest only

    assert before.headers["Card-Signature"].count("v1=") == 1
    assert during.headers["Card-Signature"].count("v1=") == 2

    rotating = receiver(provider, [new, old])
    for callback in (before, during):
        assert rotating.verify_callback(callback.headers, callback.body).amount.amount == 100
    only_new = receiver(provider, [new])
    assert only_new.verify_callback(during.headers, during.body).amount.amount == 100
    with pytest.raises(CallbackRejected):
        only_new.verify_callback(before.headers, before.body)
    with pytest.raises(CallbackRejected):
        receiver(provider, [old]).verify_callback(after.headers, after.body)
    with pytest.raises(CallbackRejected):
        rotating.verify_callback(after.headers, after.body)  # `after` was signed by a third, unconfigured secret


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"amount_received": "10800"}, "amount"),
        ({"amount_received": 108.0}, "amount"),
        ({"amount_received": -1}, "amount"),
        ({"currency": "xxx"}, "amount"),
        ({"metadata": {}}, "payment_id"),
        ({"id": None}, "id"),
    ],
)
def test_malformed_events_are_rejected(
    sandbox: Sandbox, card: CardProvider, overrides: dict[str, object], reason: str
) -> None:
    payment_id, _ = created(card)
    callback = sandbox.pay("card", payment_id, overrides=overrides)

    with pytest.raises(CallbackRejected, match=reason):
        card.verify_callback(callback.headers, callback.body)


def test_unhandled_event_types_are_rejected(sandbox: Sandbox, card: CardProvider) -> None:
    payment_id, _ = created(card)
    callback = sandbox.pay("card", payment_id, status="charge.dispute.created")

    with pytest.raises(CallbackRejected, match="type"):
        card.verify_callback(callback.headers, callback.body)


def test_a_retried_event_keeps_its_id(sandbox: Sandbox, card: CardProvider) -> None:
    payment_id, _ = created(card)
    first = sandbox.pay("card", payment_id)

    retry = sandbox.pay("card", payment_id, event_id=first.event_id)

    assert card.verify_callback(retry.headers, retry.body).event_id == first.event_id
    assert sandbox.replay(first) is first


def test_answers_are_exact(card: CardProvider) -> None:
    assert card.success_answer() == CallbackAnswer(200, '{"received":true}', "application/json")
    failure = card.failure_answer("no signature matches a configured secret")
    assert (failure.status, failure.content_type) == (400, "application/json")
    assert json.loads(failure.body) == {"error": "no signature matches a configured secret"}


# ---------------------------------------------------------------- refund and query


def _paid(sandbox: Sandbox, card: CardProvider) -> tuple[str, str]:
    payment_id, intent_id = created(card)
    callback: SandboxCallback = sandbox.pay("card", payment_id)
    card.verify_callback(callback.headers, callback.body)
    return payment_id, intent_id


def test_refunds_are_idempotent_by_refund_id_and_capped(sandbox: Sandbox, card: CardProvider) -> None:
    payment_id, intent_id = _paid(sandbox, card)
    total = cny(10800)

    first = card.refund(payment_id, intent_id, f"{payment_id}-R1", cny(8000), total)
    again = card.refund(payment_id, intent_id, f"{payment_id}-R1", cny(8000), total)
    too_much = card.refund(payment_id, intent_id, f"{payment_id}-R2", cny(2801), total)
    rest = card.refund(payment_id, intent_id, f"{payment_id}-R3", cny(2800), total)
    nothing_left = card.refund(payment_id, intent_id, f"{payment_id}-R4", cny(1), total)

    assert first.status is NoticeStatus.SUCCEEDED and first.provider_reference.startswith("re_")
    assert again == first
    assert too_much.status is NoticeStatus.FAILED and "amount_too_large" in too_much.reason
    assert rest.status is NoticeStatus.SUCCEEDED
    assert nothing_left.status is NoticeStatus.FAILED
    intent = sandbox.payment("card", payment_id)
    assert (
        intent is not None
        and intent.refunded == 10800
        and sorted(intent.refunds) == [f"{payment_id}-R1", f"{payment_id}-R3"]
    )


def test_an_unpaid_intent_cannot_be_refunded(sandbox: Sandbox, card: CardProvider) -> None:
    payment_id, intent_id = created(card)

    assert card.refund(payment_id, intent_id, f"{payment_id}-R1", cny(100), cny(10800)).status is NoticeStatus.FAILED


def test_refund_amount_must_fit_the_total(card: CardProvider) -> None:
    with pytest.raises(InvalidRequest):
        card.refund(new_id(), "pi_x", new_id(), cny(0), cny(10800))


def test_query_by_intent_id_or_by_our_id(sandbox: Sandbox, card: CardProvider) -> None:
    assert card.query(new_id(), cny(10800)).status is NoticeStatus.PENDING
    payment_id, intent_id = created(card)
    assert card.query(payment_id, cny(10800), intent_id).status is NoticeStatus.PENDING

    sandbox.pay("card", payment_id)

    for answer in (card.query(payment_id, cny(10800), intent_id), card.query(payment_id, cny(10800))):
        assert answer.status is NoticeStatus.SUCCEEDED
        assert answer.amount == cny(10800) and answer.provider_reference == intent_id
        assert answer.event_id == f"query:{intent_id}:succeeded"


def test_a_query_answer_about_another_payment_is_not_trusted(sandbox: Sandbox, card: CardProvider) -> None:
    _, intent_id = created(card)

    with pytest.raises(ProviderError, match="not about this payment"):
        card.query(new_id(), cny(10800), intent_id)


def test_a_refund_id_reused_with_another_amount_is_an_error_not_a_second_refund(
    sandbox: Sandbox, card: CardProvider
) -> None:
    payment_id, intent_id = _paid(sandbox, card)
    card.refund(payment_id, intent_id, f"{payment_id}-R1", cny(100), cny(10800))

    with pytest.raises(ProviderError, match="idempotency"):
        card.refund(payment_id, intent_id, f"{payment_id}-R1", cny(200), cny(10800))
    assert sandbox.payment("card", payment_id).refunded == 100  # type: ignore[union-attr]
