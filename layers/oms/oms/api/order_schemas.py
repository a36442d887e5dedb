"""Request bodies of the orders function: quote, coupon options, checkout, cancel (shared field types in
`oms.api.schemas`)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from oms.api.schemas import (
    MAX_POINTS,
    Id,
    MoneyIn,
    Note,
    ShortText,
    SingleLine,
    Strict,
)
from oms.domain.freight import Destination
from oms.domain.pricing import MAX_COUPONS, MAX_DISTINCT_SKUS, MAX_QUANTITY, CartLine, PricingRequest


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


class DestinationIn(Strict):
    """Where the cart would ship (freight templates price by it): country, and province/state."""

    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
    region: ShortText | None = None

    def destination(self) -> Destination:
        return Destination(self.country, self.region)


class CouponOptionsIn(Strict):
    lines: list[CartLineIn] = Field(min_length=1, max_length=MAX_DISTINCT_SKUS)
    destination: DestinationIn | None = None  # as for a quote


class QuoteIn(PricingOptionsIn):
    # Without it, each freight template's catch-all rule prices shipping (checkout uses the address).
    destination: DestinationIn | None = None


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
    """Where to ship: an address (`shippingAddress`), or one of the caller's saved ones (`shippingAddressId`,
    `GET /me/addresses`) — at most one of them; an order of virtual goods only needs neither (anything else
    without one is 422 `validation-failed`, field `shippingAddress`)."""

    shippingAddress: AddressIn | None = None
    shippingAddressId: Id | None = None
    note: Note | None = None
    # The card's or payer's country when the client knows it: risk control compares it with the shipping
    # country (oms.domain.risk, rule country-mismatch).
    billingCountry: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] | None = None

    @model_validator(mode="after")
    def _one_address(self) -> CheckoutIn:
        if self.shippingAddress is not None and self.shippingAddressId is not None:
            raise ValueError("give at most one of shippingAddress and shippingAddressId")
        return self


class CancelIn(Strict):
    reason: Annotated[str, StringConstraints(max_length=500, strip_whitespace=True), SingleLine] | None = None


# ---------------------------------------------------------------- the staff order search (GET /orders)
ORDER_NUMBER_PATTERN = r"^[0-9A-Za-z]{1,32}$"  # as the path id (oms.api.ids.ORDER_NUMBER)
MAX_AMOUNT = 10**13  # minor units: beyond any order total
SEARCH_FLAGS = "special, abnormal, risk-review, on-hold"
