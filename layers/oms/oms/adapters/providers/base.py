"""What every payment provider adapter offers the payment use cases.

Adapters are pure protocol code: request signing, callback verification and parsing, answer formats.
They talk to the provider through a `Transport` (real HTTPS on AWS; the in-process sandbox locally and
in tests), and never log secrets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, Protocol

from oms.domain.money import Money
from oms.domain.payment import PaymentMethod


class NoticeStatus(StrEnum):
    SUCCEEDED = "SUCCEEDED"  # money received (alipay TRADE_SUCCESS/TRADE_FINISHED, wechat SUCCESS, ...)
    FAILED = "FAILED"  # the payer's attempt failed or was closed without payment
    PENDING = "PENDING"  # informational (e.g. WAIT_BUYER_PAY): nothing to apply


class CallbackRejected(Exception):
    """The callback is not authentic or not well-formed: answer with the provider's failure format
    and change nothing. `reason` is safe to log (never contains secrets)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class CallbackStale(CallbackRejected):
    """An authentic notice whose provider timestamp lies outside the freshness window (a replay of an old
    notice, or a clock far off): answered with the provider's failure format, never applied."""


class ProviderError(Exception):
    """A provider call (create, refund, query) did not give a trustworthy answer: unreachable, 5xx, a bad
    response signature, or a request the provider refused. The outcome at the provider is unknown unless
    `retryable` is False (the provider refused the request itself, e.g. wrong credentials). `reason` is
    safe to log (never contains secrets)."""

    def __init__(self, reason: str, *, retryable: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


@dataclass(frozen=True)
class ProviderNotice:
    """A verified payment notification, in our terms."""

    provider: PaymentMethod
    event_id: str  # dedupe key within the provider (alipay notify_id, wechat notification id, event id)
    payment_id: str  # OUR payment attempt id, as we sent it (out_trade_no / metadata)
    provider_reference: str  # the provider's transaction / charge id
    status: NoticeStatus
    amount: Money  # what the provider says was paid
    merchant_ok: bool  # app id / merchant id / seller id in the notice match our configuration
    raw: dict[str, Any] = field(default_factory=dict)  # the verified fields, for the audit trail


@dataclass(frozen=True)
class CallbackAnswer:
    """The exact HTTP answer the provider expects."""

    status: int
    body: str
    content_type: str = "text/plain"


@dataclass(frozen=True)
class PaymentInstructions:
    """What the client needs to pay an attempt (returned by POST /orders/{id}/payments)."""

    method: PaymentMethod
    data: dict[str, Any]  # alipay: {"gateway", "params", "url"}; wechat: {"code_url"}; card: {"client_secret"}; ...


@dataclass(frozen=True)
class ProviderRefund:
    refund_id: str  # OUR refund id (idempotency key at the provider)
    provider_reference: str
    status: NoticeStatus  # SUCCEEDED money returned; PENDING accepted, still processing; FAILED declined
    reason: str = ""  # why the provider declined (FAILED) or how it will be paid out; safe to log


@dataclass(frozen=True)
class ProviderQuery:
    """The provider's answer to "what happened to this payment?" (reconciliation / sync)."""

    payment_id: str
    provider_reference: str | None
    status: NoticeStatus
    amount: Money | None
    event_id: str  # a stable id for applying this answer through the exactly-once path


class CloseOutcome(StrEnum):
    """What closing a payment at the provider achieved."""

    CLOSED = "CLOSED"  # the provider takes no money for it any more (also: it was closed already)
    PAID = "PAID"  # too late: the payer paid; the late-payment path refunds that money
    NOT_FOUND = "NOT_FOUND"  # the provider has no such payment (yet): nothing to close now
    UNSUPPORTED = "UNSUPPORTED"  # the channel cannot close payments (bank transfer)


@dataclass(frozen=True)
class ProviderClose:
    payment_id: str
    outcome: CloseOutcome
    detail: str = ""  # the provider's words (codes), safe to log


class Transport(Protocol):
    def send(self, method: str, url: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        """One HTTP exchange with the provider."""


class BillSource(Protocol):
    """A provider that publishes a daily bill of what it processed (Alipay, WeChat Pay, the card processor)."""

    def settlement_file(self, day: date) -> bytes:
        """The bill of `day` (the provider's own bill day) exactly as the provider serves it: Alipay's zip,
        WeChat's trade bill, the card report CSV. ProviderError when it is not ready (retryable) or refused."""


class PaymentProvider(Protocol):
    method: PaymentMethod

    def instructions(self, payment_id: str, order_number: str, amount: Money, description: str) -> PaymentInstructions:
        """Create the provider-side payment (if the provider needs it) and say how the client pays."""

    def verify_callback(self, headers: dict[str, str], raw_body: bytes) -> ProviderNotice:
        """Verify authenticity over the raw bytes FIRST, then parse. Raises CallbackRejected."""

    def success_answer(self) -> CallbackAnswer: ...

    def failure_answer(self, reason: str) -> CallbackAnswer: ...

    def refund(
        self, payment_id: str, provider_reference: str, refund_id: str, amount: Money, total: Money
    ) -> ProviderRefund:
        """Refund part or all of a payment; idempotent by refund_id. Raises ProviderError when the outcome
        is unknown (retry with the same refund_id)."""

    def query(self, payment_id: str, expected_amount: Money, provider_reference: str | None = None) -> ProviderQuery:
        """Ask the provider; `provider_reference` (intent id / charge code) is needed by card and crypto
        adapters when the provider cannot look a payment up by our id."""

    def close(self, payment_id: str, provider_reference: str | None = None) -> ProviderClose:
        """Stop the provider from taking money for this payment (the order was cancelled). Idempotent;
        raises ProviderError when the outcome is unknown (try again later)."""
