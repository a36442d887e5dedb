"""Response bodies of the after-sales function, as `oms.services.after_sales` builds them."""

from __future__ import annotations

from pydantic import Field

from oms.api.schemas import MoneyOut, Page, View
from oms.domain.after_sales import CaseReason, CaseStatus, CaseStep, CaseType


class CaseLine(View):
    lineNo: int
    quantity: int
    skuId: str


class CaseDecision(View):
    """A move a person (or the rules, by `system`) made on the case."""

    action: str
    by: str
    role: str
    at: str
    note: str | None = None


class ReturnTrackingEvent(View):
    eventId: str
    status: str
    occurredAt: str
    location: str | None
    receivedAt: str


class ReturnShipment(View):
    """The return parcel as the shopper gave it, with the carrier's events (oldest first)."""

    carrier: str
    trackingNumber: str
    at: str
    by: str
    events: list[ReturnTrackingEvent]


class InspectedLine(View):
    lineNo: int
    restockable: int
    damaged: int


class CaseInspection(View):
    lines: list[InspectedLine]
    by: str
    at: str


class CaseReplacementAsk(View):
    lineNo: int
    skuId: str


class ReplacementLine(View):
    """A line of the replacement child order: the returned line it replaces, at the SKU's price then."""

    lineNo: int
    replacesLineNo: int
    skuId: str
    quantity: int
    unitPrice: MoneyOut


class CaseReplacement(View):
    """An exchange's replacement child order, its lines and the price difference (positive: the shopper
    pays it, `differencePaid` once paid; negative: refunded as `refundId`)."""

    childOrderId: str
    lines: list[ReplacementLine]
    difference: MoneyOut
    differencePaid: bool | None = None
    differenceDeadline: str | None = None
    refundId: str | None = None
    madeAt: str


class Case(View):
    """An after-sales case: what it claims, where it stands and what it waits for (`waitingFor`, until
    `deadline` when that step has one)."""

    caseId: str
    orderId: str
    childOrderId: str
    customerId: str
    storeId: str
    type: CaseType
    status: CaseStatus
    waitingFor: CaseStep
    deadline: str | None
    reason: CaseReason
    note: str | None
    lines: list[CaseLine]
    amount: MoneyOut = Field(description="What the case refunds: the units' paid share, or less when asked.")
    requestedAmount: MoneyOut | None = None
    toBalance: bool
    evidence: list[str]
    disputed: bool
    decisions: list[CaseDecision]
    createdAt: str
    createdBy: str
    updatedAt: str
    returnShipment: ReturnShipment | None = None
    inspection: CaseInspection | None = None
    refundId: str | None = None
    replacements: list[CaseReplacementAsk] | None = None
    replacement: CaseReplacement | None = None


CasePage = Page[Case]


class OrderCases(View):
    orderId: str
    items: list[Case]


class EvidenceUpload(View):
    """Where to upload one image: POST a multipart form to `url` with every field of `fields` and the
    file last (field `file`); S3 refuses another type or a larger file. Give `key` in the case's
    `evidence`."""

    key: str
    url: str
    fields: dict[str, str]
    maxBytes: int


class CaseStats(View):
    """Cases opened in a range of days (UTC), counted per reason, per type and per day."""

    fromDay: str
    toDay: str
    opened: int
    byReason: dict[str, int]
    byType: dict[str, int]
    byDay: dict[str, int]
