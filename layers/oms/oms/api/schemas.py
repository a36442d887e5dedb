"""Request bodies. Every model forbids unknown fields, so server-owned fields (status, totals,
prices) cannot be bound from a client (OWASP API3)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from oms.api.ids import NAME_ID_MAX, NAME_ID_PATTERN
from oms.domain.catalog import StockAdjustmentReason, StockPolicy
from oms.domain.money import MAX_AMOUNT, SUPPORTED_CURRENCIES, Money
from oms.domain.payment import LatePaymentPolicy, Remainder, ResolveDecision
from oms.domain.pricing import MAX_COUPONS, MAX_DISTINCT_SKUS, MAX_QUANTITY, CartLine, PricingRequest
from oms.domain.refunds import RefundDecision
from oms.domain.splitting import HandlingClass

MAX_POINTS = 100_000_000
Id = Annotated[str, StringConstraints(min_length=1, max_length=NAME_ID_MAX, pattern=NAME_ID_PATTERN)]

# ---------------------------------------------------------------- free text
# Text that is stored and shown again (names, addresses, notes, reasons) carries no control characters:
# they corrupt exports, logs and consoles and can hide what a value says. A single-line field (a name,
# a phone, an address line, a reason) takes none at all, nor the Unicode line and paragraph separators;
# a multi-line one (a note, a description) keeps line feeds, carriage returns and tabs. Lone surrogates
# are not text either. Put `SingleLine` or `MultiLine` last in a field's Annotated, after its
# StringConstraints, so surrounding whitespace is stripped before the check.
_NOT_IN_A_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_NOT_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def _free_text(forbidden: re.Pattern[str], what: str) -> AfterValidator:
    def check(value: str) -> str:
        found = forbidden.search(value)
        if found is not None:
            raise PydanticCustomError(
                "control_character",
                "{what} must not contain control characters: U+{code} at position {position}",
                {"what": what, "code": f"{ord(found.group()):04X}", "position": found.start()},
            )
        return value

    return AfterValidator(check)


SingleLine = _free_text(_NOT_IN_A_LINE, "a single-line text")
MultiLine = _free_text(_NOT_IN_TEXT, "a text (line breaks and tabs allowed)")
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True), SingleLine]
LongText = Annotated[str, StringConstraints(max_length=2000, strip_whitespace=True), MultiLine]
Note = Annotated[str, StringConstraints(max_length=500), MultiLine]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=500, strip_whitespace=True), SingleLine]
AuditReason = Annotated[str, StringConstraints(min_length=3, max_length=500, strip_whitespace=True), SingleLine]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class MoneyIn(Strict):
    amount: int = Field(ge=0, le=MAX_AMOUNT)
    currency: str

    @field_validator("currency")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in SUPPORTED_CURRENCIES:
            raise ValueError(f"unsupported currency {value!r}")
        return value

    def money(self) -> Money:
        return Money(self.amount, self.currency)


# ---------------------------------------------------------------- catalog
class StoreIn(Strict):
    name: ShortText
    currency: str
    shippingFee: MoneyIn
    freeShippingThreshold: MoneyIn | None = None
    stockPolicy: StockPolicy = StockPolicy.RESERVE_AT_ORDER
    # A payment arriving after the payment timeout cancelled an order: refunded (default), or accepted
    # when the stock can be taken again. Orders a person cancelled are always refunded.
    latePaymentPolicy: LatePaymentPolicy = LatePaymentPolicy.REFUND

    @field_validator("currency")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in SUPPORTED_CURRENCIES:
            raise ValueError(f"unsupported currency {value!r}")
        return value


Attributes = Annotated[
    dict[
        Annotated[str, StringConstraints(max_length=64), SingleLine],
        Annotated[str, StringConstraints(max_length=200), SingleLine],
    ],
    Field(max_length=30),
]


class SkuIn(Strict):
    skuId: Id | None = None
    name: ShortText
    price: MoneyIn
    stock: int = Field(ge=0, le=10_000_000)
    warehouseId: Id
    weightGrams: int = Field(ge=0, le=1_000_000)
    attributes: Attributes = {}
    categoryId: Id | None = None  # defaults to the product's category
    pointsPrice: int = Field(default=0, ge=0, le=MAX_POINTS)  # points per unit: points-mall goods
    handling: HandlingClass = HandlingClass.NORMAL  # fragile, bulky and hazardous goods ship alone
    crossBorder: bool = False  # cross-border goods: orders split under the per-order customs limit


class ProductIn(Strict):
    storeId: Id
    name: ShortText
    description: LongText | None = None
    category: ShortText | None = None
    attributes: Attributes = {}
    skus: list[SkuIn] = Field(min_length=1, max_length=30)


class ProductPatch(Strict):
    name: ShortText | None = None
    description: LongText | None = None
    category: ShortText | None = None
    attributes: Attributes | None = None
    status: Annotated[str, StringConstraints(pattern="^(ACTIVE|INACTIVE)$")] | None = None


class SkuPatch(Strict):
    name: ShortText | None = None
    price: MoneyIn | None = None
    warehouseId: Id | None = None
    weightGrams: int | None = Field(default=None, ge=0, le=1_000_000)
    attributes: Attributes | None = None
    status: Annotated[str, StringConstraints(pattern="^(ACTIVE|INACTIVE)$")] | None = None
    categoryId: Id | None = None
    pointsPrice: int | None = Field(default=None, ge=0, le=MAX_POINTS)
    handling: HandlingClass | None = None
    crossBorder: bool | None = None


class StockAdjustmentIn(Strict):
    delta: int = Field(ge=-10_000_000, le=10_000_000)
    reason: StockAdjustmentReason
    note: Note | None = None


# ---------------------------------------------------------------- orders
class CartLineIn(Strict):
    skuId: Id
    quantity: int = Field(ge=1, le=MAX_QUANTITY)

    def cart_line(self) -> CartLine:
        return CartLine(self.skuId, self.quantity)


CouponCode = Id  # the same rule as the path id `code` (oms.api.ids)


class PricingOptionsIn(Strict):
    """Coupons, points and balance a shopper applies; quote and checkout take the same ones."""

    lines: list[CartLineIn] = Field(min_length=1, max_length=MAX_DISTINCT_SKUS)
    coupons: list[CouponCode] = Field(default=[], max_length=MAX_COUPONS)
    points: Annotated[int, Field(ge=0, le=MAX_POINTS)] | Literal["max"] | None = None
    balance: MoneyIn | Literal["max"] | None = None

    def pricing_request(self) -> PricingRequest:
        balance = self.balance.money() if isinstance(self.balance, MoneyIn) else self.balance
        return PricingRequest(coupons=tuple(self.coupons), points=self.points, balance=balance)


class QuoteIn(PricingOptionsIn):
    pass


class CouponOptionsIn(Strict):
    lines: list[CartLineIn] = Field(min_length=1, max_length=MAX_DISTINCT_SKUS)


class AddressIn(Strict):
    name: ShortText
    phone: Annotated[str, StringConstraints(min_length=3, max_length=32, pattern=r"^[0-9+()\- ]+$")]
    line1: ShortText
    line2: ShortText | None = None
    city: ShortText
    region: ShortText | None = None
    postalCode: Annotated[str, StringConstraints(max_length=16), SingleLine] | None = None
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]


class CheckoutIn(PricingOptionsIn):
    shippingAddress: AddressIn
    note: Note | None = None


class CancelIn(Strict):
    reason: Annotated[str, StringConstraints(max_length=500, strip_whitespace=True), SingleLine] | None = None


# ---------------------------------------------------------------- payments
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

    decision: ResolveDecision
    remainder: Remainder | None = Field(default=None, validate_default=True)
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

    decision: RefundDecision
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


# ---------------------------------------------------------------- fulfilment
Carrier = Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{2,20}$")]
TrackingNumber = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{4,40}$")]


class ShipmentLineIn(Strict):
    lineNo: int = Field(ge=1, le=999)
    quantity: int = Field(ge=1, le=MAX_QUANTITY)


class ShipmentIn(Strict):
    carrier: Carrier
    trackingNumber: TrackingNumber
    lines: list[ShipmentLineIn] | None = Field(default=None, min_length=1, max_length=MAX_DISTINCT_SKUS)

    @field_validator("lines")
    @classmethod
    def _distinct(cls, lines: list[ShipmentLineIn] | None) -> list[ShipmentLineIn] | None:
        if lines is not None and len({line.lineNo for line in lines}) != len(lines):
            raise ValueError("each line number at most once")
        return lines


class BatchShipmentItemIn(ShipmentIn):
    childOrderId: Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9-]+$")]


class BatchShipmentIn(Strict):
    items: list[BatchShipmentItemIn] = Field(min_length=1, max_length=50)
