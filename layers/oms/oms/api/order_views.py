"""Response bodies for orders, child orders, shipments and their payment picture, as `oms.views.orders`
and `oms.views.payments` build them. Used by every function that answers with an order (orders,
fulfilment, payments); each function imports only the response modules its routes return.

Pricing records frozen at placement (`pricing` on an order and on each line) are JSON objects whose
members are documented in docs/api.md; they are typed here as objects, not field by field."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from oms.api.schemas import MoneyOut, Page, View
from oms.domain.order import OrderStatus

Json = dict[str, Any]


class OrderSummary(View):
    """An order as listings and events show it."""

    orderId: str
    orderNumber: str
    customerId: str
    status: OrderStatus
    currency: str
    total: MoneyOut
    reportingTotal: MoneyOut | None
    storeIds: list[str]
    paymentDeadline: str | None
    createdAt: str
    updatedAt: str
    paidAt: str | None = Field(default=None, description="Listings: when a payment paid it (absent: unpaid).")
    paymentMethod: str | None = Field(default=None, description="Listings: what paid it (`checkout`: nothing left).")


class OrderLine(View):
    lineNo: int
    skuId: str
    productId: str
    storeId: str
    warehouseId: str
    name: str
    unitPrice: MoneyOut
    quantity: int
    lineTotal: MoneyOut
    shipping: MoneyOut
    discount: MoneyOut
    payable: MoneyOut
    pricing: Json | None


class Breakdown(View):
    """The order-level money columns (orders placed before promotions have the first four only)."""

    subtotal: MoneyOut
    shipping: MoneyOut
    discount: MoneyOut
    total: MoneyOut
    balanceUsed: MoneyOut | None = None
    amountDue: MoneyOut | None = None
    pointsUsed: int | None = None
    pointsEarned: int | None = None


class ChildLine(View):
    lineNo: int
    skuId: str
    quantity: int
    amounts: Json


class ShipmentLine(View):
    lineNo: int
    quantity: int


class Shipment(View):
    shipmentId: str
    childOrderId: str
    carrier: str
    trackingNumber: str
    lines: list[ShipmentLine]
    status: str
    tracking: list[Json] | None
    createdAt: str
    updatedAt: str
    parcelNo: int | None = None  # the child's planned parcel it carries


class CrossBorderShare(View):
    """An order's share of its customer's yearly cross-border allowance (26,000 CNY a calendar year)."""

    year: int  # the calendar year in China time the order was placed in
    amount: MoneyOut  # its cross-border children's totals in CNY (given back by cancels, reduced by refunds)
    limit: MoneyOut


class Parcel(View):
    """A planned parcel of a child order, under its carrier's weight limit (packed at checkout)."""

    parcelNo: int
    carrier: str | None
    weightLimitGrams: int | None
    weightGrams: int
    oversize: bool  # one unit over the carrier's limit, alone in this parcel
    lines: list[ShipmentLine]
    shipmentId: str | None  # the shipment that carries it, once shipped


class ChildOrder(View):
    """One merchant's, warehouse's or handling class's part of an order: it ships on its own."""

    childOrderId: str
    childNo: int
    status: str
    storeId: str
    warehouseId: str
    handling: str | None
    crossBorder: bool
    total: MoneyOut
    lines: list[ChildLine]
    shipped: dict[str, int]
    releasedAt: str | None
    cancellation: Json | None
    shipments: list[Shipment]
    version: int
    parcels: list[Parcel] = Field(default_factory=list)
    # An exchange's replacement: the case it replaces goods for; held until its price difference is paid.
    replacementOf: str | None = None
    heldFor: str | None = None


class HistoryEntry(View):
    from_: str | None = Field(alias="from")
    to: str
    by: str
    role: str | None
    at: str
    reason: str | None


class Attempt(View):
    paymentId: str
    orderId: str
    method: str
    status: str
    amount: MoneyOut
    goodsAmount: MoneyOut
    surcharge: MoneyOut
    received: MoneyOut | None
    providerReference: str | None
    instructions: Json | None
    review: Json | None
    closedAtProvider: Json | None
    createdAt: str
    updatedAt: str


class Refund(View):
    refundId: str
    paymentId: str | None
    method: str
    amount: MoneyOut
    status: str
    reason: str | None
    providerReference: str | None
    anomalyId: str | None
    route: str
    failures: int
    lastError: str | None
    nextTryAt: str | None
    failure: Json | None
    resolution: Json | None
    createdAt: str
    updatedAt: str
    requestId: str | None = None  # the refund request of this leg (oms.services.refunds)
    caseId: str | None = None


class PaymentSummary(View):
    """What the order is owed, received, gave back and still asks for, from its ledger lines."""

    status: str
    owed: MoneyOut
    received: MoneyOut
    refunded: MoneyOut
    outstanding: MoneyOut
    attempts: list[Attempt]
    refunds: list[Refund]


class NotCancelled(View):
    childOrderId: str
    type: str
    detail: str


class Order(View):
    """An order with its lines, breakdown, child orders, shipments and history."""

    orderId: str
    orderNumber: str
    customerId: str
    status: OrderStatus
    currency: str
    reportingTotal: MoneyOut | None
    storeIds: list[str]
    paymentDeadline: str | None
    createdAt: str
    updatedAt: str
    lines: list[OrderLine]
    breakdown: Breakdown
    pricing: Json | None
    children: list[ChildOrder]
    deliveredAt: str | None
    autoConfirmAt: str | None
    shippingAddress: Json | None
    note: str | None
    cancellation: Json | None
    history: list[HistoryEntry]
    payment: PaymentSummary | None = None
    # A paid order's cancel: which child orders went, and which could not (already shipped).
    cancelledChildren: list[str] | None = None
    notCancelled: list[NotCancelled] | None = None
    how: str | None = None  # a child order's cancel: "intercepted in the warehouse" or "not yet released ..."
    version: int | None = None  # the order's version: If-Match of an edit (PATCH /orders/{orderId})
    manual: Json | None = None  # placed by staff: by, role, payment mode, proof; an edit's price change
    crossBorderAllowance: CrossBorderShare | None = None  # what it took of the yearly cross-border allowance


class ChildOrderDetail(ChildOrder):
    """A child order (`<orderId>-<nn>`) with its parent's summary."""

    orderId: str
    parent: OrderSummary


class Discount(View):
    """One promotion's or coupon's part: where it came from, what it reduces, by how much."""

    source: str
    id: str
    kind: str
    target: str
    amount: MoneyOut


class QuoteLine(View):
    lineNo: int
    skuId: str
    productId: str
    storeId: str
    warehouseId: str
    name: str
    categoryId: str | None
    unitPrice: MoneyOut
    unitPoints: int
    quantity: int
    original: MoneyOut
    discounts: list[Discount]
    goodsDiscount: MoneyOut
    shipping: MoneyOut
    shippingDiscount: MoneyOut
    pointsRequired: int
    pointsRedeemed: int
    pointsValue: MoneyOut
    balance: MoneyOut
    payable: MoneyOut
    pointsEarned: int


class PointsUse(View):
    required: int
    redeemed: int
    value: MoneyOut
    debited: int
    earned: int


class FxRateOut(View):
    base: str
    quote: str
    numerator: int
    denominator: int
    rate: str


class MemberTierOut(View):
    tierId: str
    name: str
    threshold: int
    discountBps: int


class MemberLine(View):
    """One line at its member unit price: the SKU's member price for the tier, or the tier discount."""

    lineNo: int
    kind: Literal["member_price", "tier_discount"]
    unitPrice: MoneyOut
    savings: MoneyOut


class MemberPricing(View):
    """The member benefit (applied first, on unit prices): the tier priced for, savings per line and in total."""

    tier: MemberTierOut
    lines: list[MemberLine]
    savings: MoneyOut


class FreightCharge(View):
    """What one freight template charged one store's lines (frozen on the order as `pricing.freight`)."""

    storeId: str
    templateId: str = Field(description="The template, or `flat-fee` (the store's flat fee).")
    version: int
    basis: str
    region: str = Field(description="The rule's region that matched (`CN/广东`, `CN`), or `*` (the catch-all).")
    units: int = Field(description="Grams (by weight), pieces (by piece), or 1 (per order).")
    fee: MoneyOut
    freeBy: str | None = Field(description="`amount` or `quantity`: the free-shipping condition met.")
    charged: MoneyOut
    skuIds: list[str]


class Quote(View):
    """The price checkout would freeze for this cart, without placing anything."""

    currency: str
    lines: list[QuoteLine]
    subtotal: MoneyOut
    promotions: list[Discount]
    coupons: list[Discount]
    goodsDiscount: MoneyOut
    shipping: MoneyOut
    shippingDiscount: MoneyOut
    points: PointsUse
    balance: MoneyOut
    total: MoneyOut
    fx: FxRateOut | None
    reportingTotal: MoneyOut | None
    freight: list[FreightCharge]
    breakdown: Breakdown
    member: MemberPricing | None = None  # only when the customer's tier saves something


class CouponOption(View):
    code: str
    applicable: bool
    reason: str | None
    saves: MoneyOut | None


class CouponOptions(View):
    """The shopper's unused coupons, each tried alone on the cart: usable ones first, biggest saving first."""

    items: list[CouponOption]


OrderPage = Page[OrderSummary]
