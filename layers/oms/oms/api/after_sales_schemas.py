"""Request bodies of the after-sales function: a case, its evidence uploads and every person's move."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator

from oms.api.fulfilment_schemas import Carrier, TrackingNumber
from oms.api.schemas import Id, MoneyIn, Note, Reason, Strict
from oms.domain.after_sales import CaseReason, CaseType
from oms.domain.pricing import MAX_DISTINCT_SKUS, MAX_QUANTITY

ChildOrderId = Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9-]+$")]
EvidenceKey = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^evidence/[A-Za-z0-9_.:@/-]+$")]


class ClaimLineIn(Strict):
    lineNo: int = Field(ge=1, le=999)
    quantity: int = Field(ge=1, le=MAX_QUANTITY)


class ReplacementIn(Strict):
    """What an exchange sends instead of a claimed line: the same SKU, or another SKU of the same product."""

    lineNo: int = Field(ge=1, le=999)
    skuId: Id


class CaseIn(Strict):
    childOrderId: ChildOrderId
    type: CaseType = Field(strict=False)
    lines: list[ClaimLineIn] = Field(min_length=1, max_length=MAX_DISTINCT_SKUS)
    reason: CaseReason = Field(strict=False)
    note: Note | None = None
    # refund_only may ask for less than the claimed units' paid share
    requestedAmount: MoneyIn | None = None
    toBalance: bool = False
    evidence: list[EvidenceKey] = Field(default_factory=list, max_length=9)
    # an exchange: one per claimed line (required for `exchange`, refused for the other types)
    replacements: list[ReplacementIn] = Field(default_factory=list, max_length=MAX_DISTINCT_SKUS)

    @field_validator("lines")
    @classmethod
    def _distinct(cls, lines: list[ClaimLineIn]) -> list[ClaimLineIn]:
        if len({line.lineNo for line in lines}) != len(lines):
            raise ValueError("each line number at most once")
        return lines


class EvidenceUploadIn(Strict):
    contentType: Literal["image/jpeg", "image/png", "image/webp"]
    size: int = Field(ge=1, le=5 * 1024 * 1024, description="The image's size in bytes (at most 5 MiB).")


class CaseNoteIn(Strict):
    """A move with an optional note (approve, receive, cancel)."""

    note: Note | None = None


class CaseReasonIn(Strict):
    """A move that needs its reason (reject, dispute)."""

    note: Reason


class ArbitrationIn(Strict):
    decision: Literal["approve", "reject"]
    note: Reason


class ReturnShipmentIn(Strict):
    carrier: Carrier
    trackingNumber: TrackingNumber


class InspectedLineIn(Strict):
    lineNo: int = Field(ge=1, le=999)
    restockable: int = Field(ge=0, le=MAX_QUANTITY)
    damaged: int = Field(ge=0, le=MAX_QUANTITY)


class InspectionIn(Strict):
    lines: list[InspectedLineIn] = Field(min_length=1, max_length=MAX_DISTINCT_SKUS)
    note: Note | None = None
