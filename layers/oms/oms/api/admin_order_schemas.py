"""Request and response bodies of the admin-orders function: manual orders (POST /admin/orders), order
editing (PATCH /orders/{orderId}), offline payments and their proof uploads."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from oms.api.order_schemas import AddressIn, CartLineIn, PricingOptionsIn
from oms.api.schemas import Id, MoneyIn, MoneyOut, Note, Reason, ShortText, SingleLine, Strict, View
from oms.domain.manual_orders import PaymentMode
from oms.domain.order_pricing import ManualDiscount
from oms.domain.pricing import MAX_DISTINCT_SKUS
from oms.domain.promotions import BPS
from oms.services.manual_orders import MAX_NOTES, PROOF_MAX_BYTES, ManualOrderRequest, NewCustomer
from oms.services.order_editing import EditRequest, PriceChange

Email = Annotated[str, StringConstraints(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"), SingleLine]
Phone = Annotated[str, StringConstraints(pattern=r"^\+[1-9][0-9]{6,14}$")]  # E.164
InternalNote = Annotated[str, StringConstraints(min_length=1, max_length=2000, strip_whitespace=True)]


class DiscountIn(Strict):
    """A manual discount: `amount` off, or `bps` basis points (1000 = 10 %) of the goods after promotions
    and coupons; exactly one."""

    amount: MoneyIn | None = None
    bps: int | None = Field(default=None, ge=1, le=BPS)

    @model_validator(mode="after")
    def _one(self) -> DiscountIn:
        if (self.amount is None) == (self.bps is None):
            raise ValueError("give amount or bps, not both")
        return self

    def discount(self) -> ManualDiscount:
        return ManualDiscount(amount=self.amount.money() if self.amount else None, bps=self.bps)


class NewCustomerIn(Strict):
    """A customer without an account: created in the user directory (an existing account with this email or
    phone is used as it is)."""

    email: Email | None = None
    phone: Phone | None = None
    name: ShortText

    @model_validator(mode="after")
    def _reachable(self) -> NewCustomerIn:
        if self.email is None and self.phone is None:
            raise ValueError("a new customer needs an email or a phone")
        return self


class ManualOrderIn(PricingOptionsIn):
    """`customerId` (an existing customer) or `customer` (a new one); lines, coupons, points and balance as at
    checkout (the customer's); a manual discount within your role's cap, with its reason; internal notes."""

    customerId: Id | None = None
    customer: NewCustomerIn | None = None
    shippingAddress: AddressIn
    paymentMode: PaymentMode = Field(strict=False)
    manualDiscount: DiscountIn | None = None
    discountReason: Reason | None = None
    notes: list[InternalNote] = Field(default=[], max_length=MAX_NOTES)
    note: Note | None = None

    @model_validator(mode="after")
    def _one_customer(self) -> ManualOrderIn:
        if (self.customerId is None) == (self.customer is None):
            raise ValueError("give customerId (an existing customer) or customer (a new one)")
        return self

    def request(self) -> ManualOrderRequest:
        new = self.customer
        return ManualOrderRequest(
            cart=[line.cart_line() for line in self.lines],
            shipping_address=self.shippingAddress.model_dump(exclude_none=True),
            payment_mode=self.paymentMode,
            customer_id=self.customerId,
            new_customer=None if new is None else NewCustomer(new.email, new.phone, new.name),
            pricing=self.pricing_request(),
            discount=self.manualDiscount.discount() if self.manualDiscount else None,
            discount_reason=self.discountReason,
            notes=tuple(self.notes),
            note=self.note,
        )


class PriceChangeIn(DiscountIn):
    reason: Reason


class OrderEditIn(Strict):
    """What to change (at least one): the order's lines (the whole new list: add, remove, change quantities),
    its shipping address, or a manual price change with its reason."""

    lines: list[CartLineIn] | None = Field(default=None, min_length=1, max_length=MAX_DISTINCT_SKUS)
    shippingAddress: AddressIn | None = None
    priceChange: PriceChangeIn | None = None

    def request(self) -> EditRequest:
        change = self.priceChange
        return EditRequest(
            cart=None if self.lines is None else [line.cart_line() for line in self.lines],
            shipping_address=None
            if self.shippingAddress is None
            else self.shippingAddress.model_dump(exclude_none=True),
            price_change=None if change is None else PriceChange(change.discount(), change.reason),
        )


class OfflinePaymentIn(Strict):
    """The proof of an offline payment: its reference (receipt, voucher or bank slip number) and, optionally,
    the key of its uploaded image (`POST /admin/orders/{orderId}/payment-proofs`)."""

    reference: Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True), SingleLine]
    proofKey: Annotated[str, StringConstraints(max_length=300, pattern=r"^payment-proofs/[A-Za-z0-9./_-]+$")] | None = (
        None
    )


class ProofUploadIn(Strict):
    contentType: Literal["image/jpeg", "image/png", "image/webp", "application/pdf"]
    size: int = Field(ge=1, le=PROOF_MAX_BYTES, description="The file's size in bytes (at most 5 MiB).")


class ProofUpload(View):
    """Where to upload the proof: POST a multipart form to `url` with every field of `fields` and the file
    last (field `file`). Give `key` as the offline payment's `proofKey`."""

    key: str
    url: str
    fields: dict[str, str]
    maxBytes: int


class OfflinePayment(View):
    """An offline payment as recorded: the order is PAID."""

    orderId: str
    status: str
    paymentId: str
    amount: MoneyOut
    proofReference: str
    proofKey: str | None
    paidAt: str
    by: str
