"""Response bodies of the payments function: payment attempts, an order's payments and ledger, bank-transfer
reviews, provider syncs, refund decisions, customer balances, abnormal-payment cases and payment-method
settings, as `oms.services.payments` and `oms.views.payments` build them. Attempts, refunds and an
order's payment picture are the models orders answer with (`oms.api.order_views`).

A payment's `instructions` (what the payer needs: a QR code, a bank account, a redirect) have each
channel's own shape, and audit entries keep the settings before and after a change: both are JSON
objects, not typed field by field."""

from __future__ import annotations

from typing import Any, Literal

from oms.api.order_views import Attempt, Order, PaymentSummary, Refund
from oms.api.schemas import MoneyOut, Page, View
from oms.domain.ledger import PostingKind
from oms.domain.order import OrderStatus
from oms.domain.payment import AnomalyStatus, AnomalyType, FeeBearer, PaymentMethod, Remainder, ResolveDecision
from oms.domain.refunds import RefundRoute, RefundStatus

Json = dict[str, Any]


# ---------------------------------------------------------------- attempts
class PaymentCreated(Attempt):
    """A new payment attempt (a balance payment has already succeeded) and the order's payment deadline
    (a bank transfer moves it out while finance reviews the transfer)."""

    paymentDeadline: str | None


class ReviewedPayment(Attempt):
    """A bank transfer after finance's decision, with its order."""

    order: Order


class ProviderState(View):
    """What the provider answered when asked about the payment: SUCCEEDED (money received), FAILED or
    PENDING."""

    status: str


class SyncedPayment(Attempt):
    """A payment after asking its provider: `result` says what the answer changed (`unchanged` when the
    provider reports no money; otherwise what applying its notice did, e.g. `pay_order`, `duplicate`)."""

    result: str
    provider: ProviderState


# ---------------------------------------------------------------- ledger
class LedgerLine(View):
    """One line of the ledger: money moved to or from an account (negative on the side it left)."""

    postingId: str
    kind: PostingKind
    account: str
    amount: MoneyOut
    memo: str
    at: str
    orderId: str | None
    paymentId: str | None


class OrderPayments(PaymentSummary):
    """An order's payment picture with its ledger lines."""

    orderId: str
    ledger: list[LedgerLine]


# ---------------------------------------------------------------- refunds
class RefundOrder(View):
    """The refund's order after the decision: its status and payment picture."""

    orderId: str
    status: OrderStatus
    payment: PaymentSummary


class DecidedRefund(Refund):
    """A refund the provider refused, after finance's decision, with its order's payment picture."""

    order: RefundOrder


class RefundUnits(View):
    lineNo: int
    quantity: int


class RefundPoints(View):
    """Points the refund gave back (spent on the refunded goods) and revoked (earned by them)."""

    back: int
    revoked: int


class RefundSummary(View):
    """A refund request: its legs (one per tender: provider payments, the stored balance) and their
    aggregate status (SUCCEEDED when every leg succeeded, FAILED if any failed, else PENDING)."""

    refundId: str
    orderId: str
    status: RefundStatus
    amount: MoneyOut
    reason: str
    caseId: str | None
    childOrderId: str | None
    units: list[RefundUnits]
    shipping: bool
    points: RefundPoints
    note: str | None
    legs: list[Refund]
    createdAt: str


class RefundRequest(RefundSummary):
    """A refund request with its order's status and payment picture after it."""

    order: RefundOrder


class OrderRefunds(View):
    """An order's refund requests, the refunds made before requests existed (`other`), and its payment picture."""

    orderId: str
    items: list[RefundSummary]
    other: list[Refund]
    payment: PaymentSummary


class FailedRefund(Refund):
    """A refund leg its provider refused, awaiting finance (retry, to-balance, paid-out)."""

    orderId: str


FailedRefundPage = Page[FailedRefund]


# ---------------------------------------------------------------- balances
class CustomerBalance(View):
    """A customer's stored balance and one page of its movements, newest first (`next_cursor` as in every
    listing)."""

    customerId: str
    balance: MoneyOut
    movements: list[LedgerLine]
    next_cursor: str | None


class BalanceAdjustment(View):
    """A credit or debit of a customer's balance by staff, and the balance after it."""

    customerId: str
    direction: Literal["credit", "debit"]
    amount: MoneyOut
    reason: str
    by: str
    at: str
    balance: MoneyOut


# ---------------------------------------------------------------- abnormal payments
class CaseNote(View):
    """One note on a case: the system's when it opened or its refund moved, a person's with a decision."""

    at: str
    by: str
    note: str


class CaseRefund(View):
    """The refund that settles the case (`route` when the money went back other than through the provider)."""

    refundId: str
    status: RefundStatus
    route: RefundRoute | None = None


class CaseResolution(View):
    """The staff decision on a case."""

    decision: ResolveDecision
    remainder: Remainder | None
    by: str
    role: str
    at: str
    note: str


class Anomaly(View):
    """A case about money that did not fit its order (amount, currency, a second payment, a payment after
    the cancel): the order is held, or the money refunded, until staff decide."""

    anomalyId: str
    type: AnomalyType
    orderId: str
    paymentId: str
    expected: MoneyOut
    received: MoneyOut
    status: AnomalyStatus
    notes: list[CaseNote]
    refund: CaseRefund | None
    resolution: CaseResolution | None
    createdAt: str
    updatedAt: str


class CaseOrder(View):
    """The case's order after the decision: its status, deadline and payment picture."""

    orderId: str
    status: OrderStatus
    paymentDeadline: str | None
    payment: PaymentSummary


class DecidedAnomaly(Anomaly):
    """A case after the staff decision, with its order (null if the order no longer exists)."""

    order: CaseOrder | None


AnomalyPage = Page[Anomaly]


# ---------------------------------------------------------------- payment-method settings
class ChannelOut(View):
    """One payment method of a store: whether it is offered, the limits per payment (minor units of the
    store currency), the provider's fee in basis points and who bears it."""

    enabled: bool
    minAmount: int
    maxAmount: int
    feeRateBps: int
    feeBearer: FeeBearer


class PaymentMethods(View):
    """A store's payment-method settings and their version (its ETag)."""

    storeId: str
    channels: dict[PaymentMethod, ChannelOut]
    version: int


class PaymentSettingsAudit(View):
    """One change of a store's payment-method settings: who made it, when, why, and the channels before
    and after (JSON objects as `channels` shows them; null when not recorded)."""

    action: str
    by: str
    role: str
    at: str
    before: Json | None
    after: Json | None
    reason: str | None


class PaymentMethodsDetail(PaymentMethods):
    """A store's payment-method settings with their newest changes (at most 20, newest first)."""

    audit: list[PaymentSettingsAudit]
