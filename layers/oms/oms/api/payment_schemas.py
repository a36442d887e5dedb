"""Request bodies of the payments function: payments, reviews, balance adjustments, anomaly and refund
decisions, payment-method settings (shared field types in `oms.api.schemas`)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints, ValidationInfo, field_validator, model_validator

from oms.api.schemas import (
    AuditReason,
    LongText,
    MoneyIn,
    MultiLine,
    Reason,
    SingleLine,
    Strict,
)
from oms.domain.money import MAX_AMOUNT
from oms.domain.payment import Remainder, ResolveDecision
from oms.domain.refunds import RefundDecision, RefundReason

# Powertools validates the parsed JSON body in Python mode, where a strict enum field takes only members of
# its enum, never their values: an enum field is `strict=False`, so it takes its values (strings) and
# still refuses anything else (code `enum`).


class PaymentIn(Strict):
    method: Annotated[str, StringConstraints(pattern="^(alipay|wechat|card|crypto|bank_transfer|balance)$")]


class ReviewIn(Strict):
    decision: Annotated[str, StringConstraints(pattern="^(approve|reject)$")]
    reason: Reason | None = None


class BalanceAdjustmentIn(Strict):
    direction: Annotated[str, StringConstraints(pattern="^(credit|debit)$")]
    amount: MoneyIn
    reason: AuditReason


class ResolveIn(Strict):
    """How staff resolve an abnormal-payment case. `accept`: take the held order as paid — an
    underpayment needs `remainder` (`write-off`: the order is paid, the difference written off in the
    ledger; `charge`: the order awaits exactly the rest through a new payment attempt), an overpayment
    refunds the excess. `refund`: give back what the order received and cancel it. `dismiss`: close the
    case with the note, no money moves (not while the case holds its order)."""

    decision: Annotated[ResolveDecision, Field(strict=False)]
    remainder: Remainder | None = Field(default=None, validate_default=True, strict=False)
    note: Annotated[str, StringConstraints(min_length=3, max_length=2000, strip_whitespace=True), MultiLine]

    @field_validator("remainder")
    @classmethod
    def _only_when_accepting(cls, value: Remainder | None, info: ValidationInfo) -> Remainder | None:
        if value is not None and info.data.get("decision") is not ResolveDecision.ACCEPT:
            raise ValueError("remainder is only given with decision accept")
        return value


class RefundResolveIn(Strict):
    """What staff decide for a refund its provider refused for good (status FAILED). `to-balance`: credit
    the shopper's stored balance; `paid-out`: finance paid it out by hand, `reference` says which payout
    (e.g. the bank transfer's reference); `retry`: ask the provider again."""

    decision: Annotated[RefundDecision, Field(strict=False)]
    reference: (
        Annotated[str, StringConstraints(min_length=3, max_length=200, strip_whitespace=True), SingleLine] | None
    ) = Field(default=None, validate_default=True)
    note: Annotated[str, StringConstraints(min_length=3, max_length=2000, strip_whitespace=True), MultiLine]

    @field_validator("reference")
    @classmethod
    def _only_when_paid_out(cls, value: str | None, info: ValidationInfo) -> str | None:
        decision = info.data.get("decision")
        if value is not None and decision is not RefundDecision.PAID_OUT:
            raise ValueError("reference is only given with decision paid-out")
        if value is None and decision is RefundDecision.PAID_OUT:
            raise ValueError("a payout made by hand needs its reference")
        return value


class RefundLineIn(Strict):
    lineNo: int = Field(ge=1, le=10_000)
    quantity: int = Field(ge=1, le=100_000)


class RefundIn(Strict):
    """A refund by finance: lines and quantities of a child order (each unit's paid share, after its
    promotion, coupon and points discounts), with `shipping` to add the child's shipping (automatic when
    the refund completes the child), or a manual `amount` over the order's tenders; with lines, `amount`
    caps the refund below their paid share. `toBalance`: all money to the shopper's stored balance."""

    childOrderId: Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=r"^[0-9A-Za-z-]+$")] | None = (
        None
    )
    lines: list[RefundLineIn] = Field(default_factory=list, max_length=100)
    shipping: bool = False
    amount: MoneyIn | None = None
    reason: Annotated[RefundReason, Field(strict=False)]
    note: LongText | None = None
    toBalance: bool = False

    @model_validator(mode="after")
    def _something_to_refund(self) -> RefundIn:
        if (self.lines or self.shipping) and self.childOrderId is None:
            raise ValueError("lines and shipping are refunded on a child order: give childOrderId")
        if not self.lines and not self.shipping and self.amount is None:
            raise ValueError("a refund needs lines, shipping or an amount")
        if self.amount is not None and self.amount.amount <= 0:
            raise ValueError("amount must be positive")
        if len({line.lineNo for line in self.lines}) != len(self.lines):
            raise ValueError("each line is given once")
        return self


class ChannelIn(Strict):
    enabled: bool
    minAmount: int = Field(ge=0, le=MAX_AMOUNT)
    maxAmount: int = Field(ge=0, le=MAX_AMOUNT)
    feeRateBps: int = Field(ge=0, le=2000)
    feeBearer: Annotated[str, StringConstraints(pattern="^(merchant|customer)$")]


class ChannelSettingsIn(Strict):
    channels: dict[
        Annotated[str, StringConstraints(pattern="^(alipay|wechat|card|crypto|bank_transfer|balance)$")], ChannelIn
    ] = Field(min_length=1)
    reason: Annotated[str, StringConstraints(max_length=500), SingleLine] | None = None
