"""Payments in the domain: attempt states, channel settings, fees and the order's payment status.

The payment status of an order is never stored: it is derived from the ledger (what the order's
account received and gave back) against the order total.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from oms.domain.errors import Conflict, IllegalTransition, InvalidRequest
from oms.domain.ledger import Line, order_money, order_owed
from oms.domain.money import Money


class PaymentMethod(StrEnum):
    ALIPAY = "alipay"
    WECHAT = "wechat"
    CARD = "card"
    CRYPTO = "crypto"
    BANK_TRANSFER = "bank_transfer"
    BALANCE = "balance"


class AttemptStatus(StrEnum):
    CREATED = "CREATED"  # instructions issued; waiting for the payer
    PENDING = "PENDING"  # bank transfer submitted for review, or payer reported paying
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    EXPIRED = "EXPIRED"


A = AttemptStatus
ATTEMPT_TRANSITIONS: dict[AttemptStatus, frozenset[AttemptStatus]] = {
    A.CREATED: frozenset({A.PENDING, A.SUCCEEDED, A.FAILED, A.EXPIRED}),
    A.PENDING: frozenset({A.SUCCEEDED, A.FAILED, A.EXPIRED}),
    # A provider may report money for an attempt we had given up on: it is still money received.
    A.FAILED: frozenset({A.SUCCEEDED}),
    A.EXPIRED: frozenset({A.SUCCEEDED}),
    A.SUCCEEDED: frozenset(),
}
del A


def check_attempt_transition(current: AttemptStatus, target: AttemptStatus) -> None:
    if target not in ATTEMPT_TRANSITIONS[current]:
        raise IllegalTransition("payment attempt", current.value, target.value)


class PaymentStatus(StrEnum):
    UNPAID = "UNPAID"
    PARTIALLY_PAID = "PARTIALLY_PAID"
    PAID = "PAID"
    OVERPAID = "OVERPAID"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"
    REFUNDED = "REFUNDED"


def payment_status(total: Money, received: Money, refunded: Money, owed: Money | None = None) -> PaymentStatus:
    """From the ledger: `received` = all money in for the order, `refunded` = all money given back,
    `owed` = what the order is owed now (its total less what was cancelled or written off)."""
    owed = total if owed is None else owed
    net = received - refunded
    if refunded.amount > 0 and net.amount <= 0:
        return PaymentStatus.REFUNDED
    if net.amount <= 0:
        return PaymentStatus.UNPAID
    if net < owed:
        return PaymentStatus.PARTIALLY_REFUNDED if refunded.amount > 0 else PaymentStatus.PARTIALLY_PAID
    if net == owed:
        # Money went back for the part that was cancelled: the rest is paid, the order partly refunded.
        return PaymentStatus.PARTIALLY_REFUNDED if refunded.amount > 0 and owed < total else PaymentStatus.PAID
    return PaymentStatus.OVERPAID


@dataclass(frozen=True, slots=True)
class OrderMoney:
    """An order's money picture, derived from its ledger lines."""

    total: Money  # frozen at placement
    owed: Money  # the total less what was cancelled or written off
    received: Money
    refunded: Money

    @property
    def held(self) -> Money:
        """Money the order holds now: received less refunded."""
        return self.received - self.refunded

    @property
    def outstanding(self) -> Money:
        """What the order still asks for (never below zero)."""
        return Money(max(self.owed.amount - self.held.amount, 0), self.total.currency)

    @property
    def excess(self) -> Money:
        """Money held beyond what is owed (an overpayment, or a refund still on its way)."""
        return Money(max(self.held.amount - self.owed.amount, 0), self.total.currency)

    @property
    def status(self) -> PaymentStatus:
        return payment_status(self.total, self.received, self.refunded, self.owed)


def order_position(lines: Sequence[Line], order_id: str, total: Money) -> OrderMoney:
    received, refunded = order_money(lines, order_id, total.currency)
    return OrderMoney(total, order_owed(lines, order_id, total), received, refunded)


class FeeBearer(StrEnum):
    MERCHANT = "merchant"  # the fee is our cost
    CUSTOMER = "customer"  # the fee is added to what the payer pays (a surcharge)


@dataclass(frozen=True, slots=True)
class ChannelSettings:
    method: str
    enabled: bool
    min_amount: int  # minor units of the store currency
    max_amount: int
    fee_rate_bps: int  # basis points: 60 = 0.60 %
    fee_bearer: FeeBearer

    def __post_init__(self) -> None:
        if self.min_amount < 0 or self.max_amount < self.min_amount:
            raise InvalidRequest("limits need 0 <= minAmount <= maxAmount", field="minAmount")
        if not 0 <= self.fee_rate_bps <= 2000:
            raise InvalidRequest("feeRateBps must be between 0 and 2000 (20 %)", field="feeRateBps")

    def fee_on(self, amount: Money) -> Money:
        """Fee rounded half up to the minor unit."""
        return Money((amount.amount * self.fee_rate_bps + 5000) // 10000, amount.currency)

    def check(self, amount: Money) -> None:
        if not self.enabled:
            raise ChannelUnavailable(f"{self.method} is not enabled for this store")
        if not self.min_amount <= amount.amount <= self.max_amount:
            raise ChannelUnavailable(
                f"{self.method} accepts {self.min_amount}..{self.max_amount} minor units per payment; "
                f"this one is {amount.amount}",
                minAmount=self.min_amount,
                maxAmount=self.max_amount,
            )


class ChannelUnavailable(InvalidRequest):
    slug = "payment-channel-unavailable"
    title = "This payment channel cannot take this payment"


class OrderNotPayable(Conflict):
    slug = "order-not-payable"
    title = "The order cannot be paid now"


class InsufficientBalance(Conflict):
    slug = "insufficient-balance"
    title = "Not enough balance"


DEFAULT_CHANNELS: dict[str, ChannelSettings] = {
    "alipay": ChannelSettings("alipay", True, 1, 5_000_000, 60, FeeBearer.MERCHANT),
    "wechat": ChannelSettings("wechat", True, 1, 5_000_000, 60, FeeBearer.MERCHANT),
    "card": ChannelSettings("card", True, 100, 10_000_000, 290, FeeBearer.MERCHANT),
    "crypto": ChannelSettings("crypto", False, 1_000, 10_000_000, 100, FeeBearer.CUSTOMER),
    "bank_transfer": ChannelSettings("bank_transfer", True, 10_000, 100_000_000, 0, FeeBearer.MERCHANT),
    "balance": ChannelSettings("balance", True, 1, 100_000_000, 0, FeeBearer.MERCHANT),
}


class AnomalyType(StrEnum):
    AMOUNT_MISMATCH = "AMOUNT_MISMATCH"
    CURRENCY_MISMATCH = "CURRENCY_MISMATCH"
    DUPLICATE_PAYMENT = "DUPLICATE_PAYMENT"
    PAID_AFTER_CANCEL = "PAID_AFTER_CANCEL"
    PAID_NOT_RECEIVED = "PAID_NOT_RECEIVED"
    # The daily reconciliation against a provider's bill (oms.domain.reconciliation.MatchStatus).
    BILL_MISSING_OURS = "BILL_MISSING_OURS"
    BILL_MISSING_THEIRS = "BILL_MISSING_THEIRS"
    BILL_AMOUNT_MISMATCH = "BILL_AMOUNT_MISMATCH"
    BILL_CURRENCY_MISMATCH = "BILL_CURRENCY_MISMATCH"
    BILL_DUPLICATE_PAYMENT = "BILL_DUPLICATE_PAYMENT"
    BILL_REFUND_NOT_RECONCILED = "BILL_REFUND_NOT_RECONCILED"
    BILL_FEE_MISMATCH = "BILL_FEE_MISMATCH"


class AnomalyStatus(StrEnum):
    OPEN = "OPEN"
    RESOLVED = "RESOLVED"


class SuccessOutcome(StrEnum):
    ALREADY_APPLIED = "already_applied"  # this attempt already succeeded: a repeat notice changes nothing
    PAY_ORDER = "pay_order"  # the order awaited exactly this money
    HOLD = "hold"  # money arrived but does not fit (amount, currency, held order): record it, hold, open a case
    DUPLICATE_REFUND = "duplicate_refund"  # the order is already paid: record the money, refund it, open a case
    # A timed-out order whose stores all revive (latePaymentPolicy revive-if-stock), exact money:
    # re-take the stock and accept, or refund when the stock is gone.
    REVIVE_OR_REFUND = "revive_or_refund"
    REFUND_AFTER_CANCEL = "refund_after_cancel"  # cancelled/closed order: record the money, refund it
    # A paid order whose exchange waits for a dearer replacement's price difference: exactly this money pays it.
    PAY_DIFFERENCE = "pay_difference"


PAID_STATES = frozenset({"PAID", "PARTIALLY_SHIPPED", "SHIPPED", "DELIVERED", "COMPLETED"})


class LatePaymentPolicy(StrEnum):
    """What a store does with money that arrives after the payment timeout cancelled an order. An order
    a person cancelled (the shopper, staff) is never revived, whatever the policy."""

    REFUND = "refund"
    REVIVE_IF_STOCK = "revive-if-stock"


def may_revive(cancel_reason: str | None, took_benefits: bool, policies: Sequence[LatePaymentPolicy]) -> bool:
    """A late payment may revive a cancelled order only when the payment timeout cancelled it, the order
    used no coupons, points or balance (the cancel gave them back), and every store allows reviving."""
    return (
        cancel_reason == "payment_timeout"
        and not took_benefits
        and bool(policies)
        and all(p is LatePaymentPolicy.REVIVE_IF_STOCK for p in policies)
    )


def decide_success(
    order_status: str,
    attempt_status: AttemptStatus,
    expected: Money,
    received: Money,
    *,
    revive: bool = False,
    pays_difference: bool = False,
) -> tuple[SuccessOutcome, AnomalyType | None]:
    """What a verified 'money received' notice means for the order, and which anomaly it opens.
    `revive`: whether a cancelled order may be revived by this payment (see `may_revive`); `pays_difference`:
    the attempt was made for the price difference an exchange on the (paid) order still waits for, so its
    exact money pays that difference (not a duplicate payment)."""
    if attempt_status is AttemptStatus.SUCCEEDED:
        return SuccessOutcome.ALREADY_APPLIED, None
    exact = received.currency == expected.currency and received.amount == expected.amount
    mismatch = AnomalyType.CURRENCY_MISMATCH if received.currency != expected.currency else AnomalyType.AMOUNT_MISMATCH
    if order_status in PAID_STATES:
        if exact and pays_difference:
            return SuccessOutcome.PAY_DIFFERENCE, None
        return SuccessOutcome.DUPLICATE_REFUND, AnomalyType.DUPLICATE_PAYMENT
    if order_status in ("CANCELLED", "CLOSED"):
        if exact and order_status == "CANCELLED" and revive:
            return SuccessOutcome.REVIVE_OR_REFUND, AnomalyType.PAID_AFTER_CANCEL
        return SuccessOutcome.REFUND_AFTER_CANCEL, AnomalyType.PAID_AFTER_CANCEL
    if order_status == "ON_HOLD":
        return SuccessOutcome.HOLD, (AnomalyType.DUPLICATE_PAYMENT if exact else mismatch)
    if exact:
        return SuccessOutcome.PAY_ORDER, None
    return SuccessOutcome.HOLD, mismatch


class ResolveDecision(StrEnum):
    ACCEPT = "accept"  # take the order as paid: write off or charge what is missing, refund any excess
    REFUND = "refund"  # give back what was received and cancel the order
    DISMISS = "dismiss"  # close the case with a note; no money moves


class Remainder(StrEnum):
    WRITE_OFF = "write-off"  # the order is paid; the missing part is written off in the ledger
    CHARGE = "charge"  # the order awaits exactly the missing part through a new payment attempt


class DecisionNotAllowed(Conflict):
    slug = "anomaly-decision-not-allowed"
    title = "This decision does not fit the case"


class AnomalyAlreadyDecided(Conflict):
    slug = "anomaly-already-decided"
    title = "The case was already decided otherwise"
