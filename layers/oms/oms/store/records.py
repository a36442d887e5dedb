"""What the store hands to callers outside `oms.store`: an order's partition as one `OrderRecord`,
idempotency records and stored responses, and the stored rows as plain frozen dataclasses under the
rows' attribute names (`oms.store.rows` builds them from the pynamodb rows, and rows from them).

Callers read records; they never write them. Every write is a store function named for its
intention (`add_refund_settled`, `add_child_update`, ...) that takes the record it changes (its ids
and version), builds the key and its own update expression, so no module outside `oms.store`
imports `oms.store.models` or pynamodb, or holds a pynamodb object."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from oms.domain.ledger import Line
from oms.domain.money import Money
from oms.domain.order import OrderStatus
from oms.domain.payment import AttemptStatus, OrderMoney, order_position
from oms.domain.refunds import ProviderPayment, RefundMade, refund_rooms


@dataclass(frozen=True, slots=True)
class MoneyRecord:
    """A stored amount, as the row holds it (`money()` for the domain value)."""

    amount: int
    currency: str

    @classmethod
    def of(cls, money: Money) -> MoneyRecord:
        return cls(money.amount, money.currency)

    def money(self) -> Money:
        return Money(int(self.amount), self.currency)


# The stored rows as callers outside the store read them: plain values under the rows' attribute names
# (built from the rows by `oms.store.rows`; keys and index attributes stay in the store).


@dataclass(frozen=True, slots=True)
class AnomalyRecord:
    """An abnormal payment case."""

    anomalyId: str
    anomalyType: str
    orderId: str
    paymentId: str
    expected: MoneyRecord
    received: MoneyRecord
    status: str
    notes: Any
    refund: Any
    resolution: Any
    createdAt: str
    updatedAt: str
    version: int


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    """A payment attempt of an order."""

    paymentId: str
    orderId: str
    customerId: str
    method: str
    status: str
    amount: MoneyRecord
    goodsAmount: MoneyRecord
    surcharge: MoneyRecord
    fee: MoneyRecord
    received: MoneyRecord | None
    providerReference: str | None
    instructions: Any
    review: Any
    deadlineBefore: str | None
    closeOutcome: str | None
    closure: Any
    createdAt: str
    updatedAt: str
    version: int
    refunded: int | None = None  # committed to go back by refund requests (the conditional counter)


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """An audit entry (who changed what)."""

    subject: str
    action: str
    by: str
    role: str
    at: str
    before: Any
    after: Any
    reason: str | None
    requestId: str | None = None
    sourceIp: str | None = None
    entryId: str = ""  # the entry's ULID (its sort key's tail): tells entries of one instant apart


@dataclass(frozen=True, slots=True)
class BalanceRecord:
    """A customer's stored-balance account."""

    customerId: str
    currency: str
    available: int
    updatedAt: str


@dataclass(frozen=True, slots=True)
class CaseRecord:
    """An after-sales case."""

    caseId: str
    orderId: str
    childId: str
    customerId: str
    storeId: str
    caseType: str
    status: str
    step: str
    deadline: str | None
    reason: str
    note: str | None
    lines: Any
    amount: MoneyRecord
    requestedAmount: MoneyRecord | None
    toBalance: str | None
    evidence: Any
    disputed: str | None
    decisions: Any
    returnShipment: Any
    inspection: Any
    refundId: str | None
    replacement: Any
    flowToken: str | None
    flowStep: str | None
    createdAt: str
    createdBy: str
    updatedAt: str
    version: int
    replacements: Any = None  # an exchange's request: [{"lineNo", "skuId"}]


@dataclass(frozen=True, slots=True)
class ChildRecord:
    """A child order (what one merchant or warehouse ships); `queued`: in its warehouse's list."""

    childId: str
    orderId: str
    childNo: int
    storeId: str
    warehouseId: str
    handling: str
    crossBorder: str
    parts: Any
    total: MoneyRecord
    status: str
    shipped: Any
    releasedAt: str | None
    cancellation: Any
    createdAt: str
    updatedAt: str
    version: int
    queued: bool
    refunded: Any = None  # {"units": {"<lineNo>": n}, "shipping": bool}
    replacementOf: str | None = None  # the exchange case this child replaces goods for
    heldFor: str | None = None  # "difference": the replacement waits for its price difference
    completedAt: str | None = None  # when it was completed (merchant settlement counts T+N from it)
    settlement: Any = None  # the settlement that paid the merchant for it: {settlementId, period, at}
    parcels: Any = None  # its parcels under the carrier's weight limit (oms.domain.parcels), None: before them


@dataclass(frozen=True, slots=True)
class CouponRecord:
    """A coupon (issued to a customer, or a public code)."""

    code: str
    templateId: str
    template: Any
    ownerId: str | None
    status: str
    orderId: str | None
    issuedAt: str
    issuedBy: str
    usedAt: str | None
    version: int


@dataclass(frozen=True, slots=True)
class CouponTemplateRecord:
    """A coupon template and its use counters."""

    templateId: str
    definition: Any
    status: str
    issued: int
    used: int
    createdAt: str
    updatedAt: str
    createdBy: str
    version: int


@dataclass(frozen=True, slots=True)
class EventRecord:
    """A status change on an order's timeline; `eventId` (a ULID) orders the timeline."""

    eventId: str
    orderId: str
    fromStatus: str | None
    toStatus: str
    by: str
    role: str
    at: str
    reason: str | None
    requestId: str | None = None
    sourceIp: str | None = None


@dataclass(frozen=True, slots=True)
class NoteRecord:
    """A staff note (internal, or visible to the shopper) or a recorded customer communication."""

    noteId: str
    orderId: str
    kind: str
    visibility: str
    text: str
    channel: str | None
    by: str
    role: str
    at: str


@dataclass(frozen=True, slots=True)
class FlagRecord:
    """A flag set on an order (oms.domain.flags.OrderFlag): who set it, when and why."""

    orderId: str
    flag: str
    orderCreatedAt: str
    setAt: str
    setBy: str
    reason: str | None


@dataclass(frozen=True, slots=True)
class HeaderRecord:
    """An order header."""

    orderId: str
    orderNumber: str
    customerId: str
    status: str
    currency: str
    storeIds: list[str]
    subtotal: MoneyRecord
    shipping: MoneyRecord
    discount: MoneyRecord
    total: MoneyRecord
    shippingAddress: Any
    note: str | None
    paymentDeadline: str
    cancellation: Any
    pricing: Any
    benefits: Any
    deliveredAt: str | None
    autoConfirmAt: str | None
    openCases: int | None
    createdAt: str
    updatedAt: str
    version: int
    refunded: int | None = None  # committed to go back by refund requests (the conditional counter)
    hold: Any = None  # oms.domain.holds.Hold.to_dict() while ON_HOLD for a kind that records one
    risk: Any = None  # the checkout's risk verdict (oms.domain.risk.verdict) and the review's decision
    manual: Any = None  # a manual order's origin (by, role, payment mode, proof) and its edits' price changes
    erasedAt: str | None = None  # when its personal data was pseudonymised
    paidAt: str | None = None  # when a payment paid it (order search)
    paidWith: str | None = None  # the payment method that paid it, `checkout` when nothing was left to pay
    skuIds: list[str] | None = None  # search facts written at checkout (None: an order placed before them)
    productIds: list[str] | None = None
    contactKeys: list[str] | None = None  # keyed hashes of the shipping phone and the shopper's email
    crossBorderQuota: Any = None  # {"year", "amount", "released"}: its share of the yearly cross-border allowance


@dataclass(frozen=True, slots=True)
class LedgerLineRecord:
    """A ledger line of a posting."""

    postingId: str
    kind: str
    account: str
    amount: MoneyRecord
    memo: str
    at: str
    orderId: str | None
    paymentId: str | None
    by: str | None
    refundId: str | None = None


@dataclass(frozen=True, slots=True)
class LineRecord:
    """An order line."""

    orderId: str
    lineNo: int
    skuId: str
    productId: str
    storeId: str
    warehouseId: str
    name: str
    unitPrice: MoneyRecord
    quantity: int
    lineTotal: MoneyRecord
    shipping: MoneyRecord
    discount: MoneyRecord
    payable: MoneyRecord
    stockState: str | None
    pricing: Any


@dataclass(frozen=True, slots=True)
class PointsAccountRecord:
    """A customer's points account."""

    customerId: str
    available: int
    updatedAt: str
    earned: int | None = None  # lifetime points earned (member tiers); None: nothing earned yet


@dataclass(frozen=True, slots=True)
class PointsEntryRecord:
    """A points ledger entry."""

    customerId: str
    delta: int
    kind: str
    orderId: str | None
    reason: str | None
    by: str
    at: str


@dataclass(frozen=True, slots=True)
class PricingSettingsRecord:
    """Pricing settings: points programmes or FX rates."""

    data: Any
    version: int
    updatedAt: str
    updatedBy: str


@dataclass(frozen=True, slots=True)
class PromotionDirectoryRecord:
    """Every live promotion, in one row."""

    promotions: Any
    version: int


@dataclass(frozen=True, slots=True)
class RefundRecord:
    """A refund toward the payer; `nextTry`: when the sweeper asks its provider next (None: not due)."""

    refundId: str
    orderId: str
    paymentId: str
    method: str
    amount: MoneyRecord
    status: str
    reason: str
    providerReference: str | None
    customerId: str | None
    anomalyId: str | None
    failures: int | None
    lastError: str | None
    pendingSince: str | None
    route: str | None
    retries: int | None
    failure: Any
    resolution: Any
    createdAt: str
    updatedAt: str
    nextTry: str | None
    requestId: str | None = None  # the refund request the leg belongs to
    caseId: str | None = None
    lines: Any = None  # what the request refunded
    counted: bool | None = None  # in the payment's and the order's `refunded` counters


@dataclass(frozen=True, slots=True)
class ShipmentRecord:
    """A shipment of a child order, with its tracking timeline."""

    shipmentId: str
    orderId: str
    childId: str
    carrier: str
    trackingNumber: str
    lines: Any
    status: str
    events: Any
    latestEventAt: str | None
    createdAt: str
    createdBy: str
    updatedAt: str
    version: int
    parcelNo: int | None = None  # the child's planned parcel it carries


@dataclass(frozen=True, slots=True)
class TrackingRecord:
    """A tracking number's reservation, pointing a carrier callback at its shipment."""

    carrier: str
    trackingNumber: str
    orderId: str
    childId: str
    shipmentId: str


@dataclass(frozen=True)
class StoredResponse:
    request_hash: str
    status_code: int
    body: dict[str, Any]


@dataclass(frozen=True)
class IdempotencyRecord:
    subject: str
    key: str
    request_hash: str
    status_code: int


@dataclass
class OrderRecord:
    """Everything in an order's partition, read with one Query."""

    header: HeaderRecord
    lines: list[LineRecord] = field(default_factory=list)
    events: list[EventRecord] = field(default_factory=list)
    payments: list[AttemptRecord] = field(default_factory=list)
    ledger: list[LedgerLineRecord] = field(default_factory=list)
    refunds: list[RefundRecord] = field(default_factory=list)
    children: list[ChildRecord] = field(default_factory=list)
    shipments: list[ShipmentRecord] = field(default_factory=list)
    cases: list[CaseRecord] = field(default_factory=list)
    flags: list[FlagRecord] = field(default_factory=list)
    notes: list[NoteRecord] = field(default_factory=list)

    @property
    def status(self) -> OrderStatus:
        return OrderStatus(self.header.status)

    def child(self, child_no: int) -> ChildRecord | None:
        return next((c for c in self.children if int(c.childNo) == child_no), None)


def child_quantities(child: ChildRecord) -> dict[int, int]:
    """Line number -> quantity this child carries."""
    result: dict[int, int] = {}
    for part in child.parts:
        result[int(part["lineNo"])] = result.get(int(part["lineNo"]), 0) + int(part["quantity"])
    return result


def shipped_quantities(child: ChildRecord) -> dict[int, int]:
    return {int(line): int(quantity) for line, quantity in (child.shipped or {}).items()}


def ledger_lines(record: OrderRecord) -> list[Line]:
    return [Line(item.account, item.amount.money()) for item in record.ledger]


def money_of(record: OrderRecord) -> OrderMoney:
    """The order's money picture from its ledger lines: owed, received, refunded."""
    return order_position(ledger_lines(record), record.header.orderId, record.header.total.money())


def refund_rooms_of(record: OrderRecord) -> list[tuple[str, int]]:
    """(payment id, room) of the order's provider payments, newest first (`oms.domain.refunds.refund_rooms`)."""
    payments = []
    for attempt in record.payments:
        succeeded = attempt.status == AttemptStatus.SUCCEEDED.value and attempt.method != "balance"
        counted = 0
        if succeeded:
            counted = int(attempt.received.amount) if attempt.received else int(attempt.goodsAmount.amount)
        payments.append(ProviderPayment(attempt.paymentId, attempt.method, succeeded, counted))
    made = [RefundMade(refund.paymentId, int(refund.amount.amount)) for refund in record.refunds]
    return refund_rooms(payments, made)
