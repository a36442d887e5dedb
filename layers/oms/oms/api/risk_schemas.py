"""Request and response models of risk control (functions/risk) and the device header clients send."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Header
from pydantic import Field, StringConstraints

from oms.api.pricing_views import AuditEntry
from oms.api.schemas import AuditReason, SingleLine, Strict, View
from oms.domain.risk import ListKind, RiskAmountLimits, RiskRateLimits, RiskRules, RiskSettings

DEVICE_HEADER = "X-Device-Fingerprint"
DeviceFingerprint = Annotated[
    str | None,
    Header(
        alias=DEVICE_HEADER,
        max_length=200,
        description="The client's device fingerprint (optional): risk control's device blacklist and rules use it.",
    ),
]
ListedValue = Annotated[str, StringConstraints(min_length=1, max_length=500, strip_whitespace=True), SingleLine]
Timestamp = Annotated[str, StringConstraints(min_length=10, max_length=40)]


class BlacklistIn(Strict):
    """List a value: a user id, phone, email, IP, device fingerprint or shipping address (its text, e.g.
    `CN Shanghai 200000 1 Example Road`: country, region, city, postal code, lines), with why and, optionally,
    until when."""

    kind: Annotated[ListKind, Field(strict=False)]
    value: ListedValue
    reason: AuditReason
    until: Timestamp | None = None


class BlacklistRemoveIn(Strict):
    value: ListedValue
    reason: AuditReason


class BlacklistEntry(View):
    """A listed value (normalised: phones as digits, emails lower-case, addresses folded)."""

    kind: ListKind
    value: str
    reason: str
    addedBy: str
    addedAt: str
    until: str | None


class BlacklistPage(View):
    items: list[BlacklistEntry]
    next_cursor: str | None


class RiskDecision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


class RiskReviewIn(Strict):
    decision: Annotated[RiskDecision, Field(strict=False)]
    reason: AuditReason


class RiskReviewOutcome(View):
    """The order after the decision, the rules its checkout matched and the decision (who, when, why)."""

    orderId: str
    status: str
    matched: list[dict[str, Any]]
    decision: dict[str, Any] | None


class RiskReviewItem(View):
    orderId: str
    orderCreatedAt: str
    heldAt: str
    rules: str | None


class RiskReviewPage(View):
    items: list[RiskReviewItem]
    next_cursor: str | None


class RiskSettingsIn(RiskSettings):
    """The whole settings (every part has its default when left out) and, optionally, why they change."""

    reason: AuditReason | None = None

    def settings(self) -> RiskSettings:
        return RiskSettings.model_validate(self.model_dump(exclude={"reason"}))


class RiskSettingsOut(View):
    rateLimits: RiskRateLimits
    amountLimits: dict[str, RiskAmountLimits]
    rules: RiskRules
    reviewMatched: bool
    stored: bool
    version: int


class RiskSettingsDetail(RiskSettingsOut):
    """The settings, their version (ETag) and newest changes (at most 20, newest first)."""

    audit: list[AuditEntry]
