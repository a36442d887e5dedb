"""The one pricing function: an order's full breakdown per line and per order. Quote and checkout both
call `price_order`; the placed order freezes its result (`PricedOrder.to_dict`).

Order of application — fixed; each step works on what the previous steps left (docs/pricing.md has
the reasons and worked examples):

1. **Original prices.** `price_cart` merges and validates the cart (unknown or inactive SKU, one
   currency per order, quantity limits, stores open for orders); a line's original is unit × quantity.
1b. **Member benefits** (`oms.domain.membership`), on unit prices: the SKU's member price for the
   customer's tier when it has one, else the tier discount. Every later step works on member prices.
2. **Item-level promotions** (buy-X-get-Y, percentage with cap). A line takes at most one: the first
   promotion, by `promotion_order_key`, that covers it and yields a discount.
3. **Order-level spend-X-save-Y tiers.** The amount in scope after step 2 picks the highest tier
   reached. A line takes at most one such promotion. Platform-wide ones split across stores.
4. **Coupons** (amount off, percentage with cap). Each presented coupon is checked — owner, validity,
   currency, limits, scope, minimum spend on the amount in its scope after steps 2–3, one per slot
   (`coupon_slot`) unless stackable — and any failure rejects the request (`CouponNotApplicable`).
   Store coupons apply before platform coupons, amount-off before percentage (`coupon_order_key`).
5. **Shipping.** Each store's fee comes from its freight templates (`oms.domain.freight`: its lines
   grouped by template, each group charged by the rule for the destination, the sums added; a store
   without templates charges its flat fee); a template's free-shipping condition is compared with its
   lines' goods amount *after* steps 2–4. Then free-shipping promotions (threshold on the
   amount in their scope after steps 2–4) and free-shipping coupons waive fees.
5b. **Manual discount** (staff, on a manual or edited order only): an amount or a percentage of the
   goods left after steps 2–4, split over the lines by largest remainder; it never changes shipping.
6. **Points** as a discount on goods: whole points at the programme's rate, at most `cap_bps` of the
   goods payable after steps 2–4 (shipping excluded), never more than the customer holds beyond what
   points-mall lines need.
7. **Balance**: partial or full, never more than available or than what is left to pay.
8. **Total**: what is left for the payment provider. Points earned are computed on the goods paid
   with money (cash or balance) and credited when the order completes.

Points-mall lines (a SKU with a points price, `SkuTerms.points_price`) cost their points on top of
their money price (0 for pure-points goods); they take no promotion, coupon or points discount and earn
no points. Every order-level amount is split over lines by largest remainder (`allocate`), so the
lines sum exactly to the order, and nothing ever goes below zero.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from oms.domain.catalog import ShippingPolicy, Sku
from oms.domain.errors import InvalidRequest
from oms.domain.freight import Destination, FreightCharge, FreightItem, charge_store
from oms.domain.fx import FxRate, to_reporting
from oms.domain.membership import MemberBenefitKind, MemberTier, member_unit_price
from oms.domain.money import Money, allocate, total
from oms.domain.pricing import MAX_COUPONS, CartLine, Quote, price_cart
from oms.domain.promotions import (
    BPS,
    AmountOff,
    BuyXGetY,
    Coupon,
    CouponNotApplicable,
    CouponReason,
    FreeShipping,
    FreeShippingOver,
    PercentOff,
    PointsRules,
    Promotion,
    Scope,
    SpendAndSave,
    coupon_order_key,
    coupon_slot,
    coupon_static_reason,
    promotion_order_key,
)

# ---------------------------------------------------------------- inputs


@dataclass(frozen=True, slots=True)
class SkuTerms:
    """What promotions and the points mall need to know about a SKU beyond `Sku`.

    `points_price` is points per unit: with a money price of 0 the SKU is pure-points goods, with a
    money price too it is points + cash.
    """

    category_id: str | None = None
    points_price: int = 0
    category_path: str | None = None  # filed in the category tree: promotions on an ancestor cover it too
    member_prices: Mapping[str, Money] = field(default_factory=dict)  # tier id -> unit price (SKU currency)

    def __post_init__(self) -> None:
        if type(self.points_price) is not int or self.points_price < 0:
            raise InvalidRequest("a points price is a whole number >= 0", field="pointsPrice")


@dataclass(frozen=True, slots=True)
class PointsUse:
    """The customer's points for this order: programme, points held, points to use as a discount.

    `requested` None uses as many as allowed; 0 uses none (the programme still computes points earned
    and what points-mall lines need).
    """

    rules: PointsRules
    available: int
    requested: int | None


@dataclass(frozen=True, slots=True)
class BalanceUse:
    """The customer's stored balance; `requested` None pays as much as possible from it."""

    available: Money
    requested: Money | None


# ---------------------------------------------------------------- outputs


class DiscountSource(StrEnum):
    PROMOTION = "promotion"
    COUPON = "coupon"
    MANUAL = "manual"  # staff's discount on a manual or edited order (step 5b)
    MEMBER = "member"  # the customer's tier: member prices and the tier discount (step 1b)


@dataclass(frozen=True, slots=True)
class ManualDiscount:
    """Staff's discount (step 5b): `amount` off, or `bps` basis points of the goods left after steps 2–4;
    exactly one of them. The role's cap is the service's to check (`oms.domain.manual_orders`)."""

    amount: Money | None = None
    bps: int | None = None

    def __post_init__(self) -> None:
        if (self.amount is None) == (self.bps is None):
            raise InvalidRequest("a manual discount is an amount or a percentage", field="manualDiscount")
        if self.amount is not None and self.amount.amount <= 0:
            raise InvalidRequest("a manual discount amount is positive", field="manualDiscount.amount")
        if self.bps is not None and (type(self.bps) is not int or not 1 <= self.bps <= BPS):
            raise InvalidRequest(f"a manual percentage is 1..{BPS} basis points", field="manualDiscount.bps")

    @property
    def kind(self) -> str:
        return "amount" if self.amount is not None else "percentage"

    def to_dict(self) -> dict[str, object]:
        return {"amount": self.amount.to_dict()} if self.amount is not None else {"bps": self.bps}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> ManualDiscount:
        amount = data.get("amount")
        if isinstance(amount, Mapping):
            return cls(amount=Money.from_dict(dict(amount)))
        bps = data.get("bps")
        return cls(bps=bps if isinstance(bps, int) else None)

    def on(self, base: int) -> int:
        """What it takes off `base` minor units of goods (never more than them)."""
        wanted = self.amount.amount if self.amount is not None else base * (self.bps or 0) // BPS
        return min(wanted, base)


class DiscountTarget(StrEnum):
    GOODS = "goods"
    SHIPPING = "shipping"


@dataclass(frozen=True, slots=True)
class Discount:
    """One promotion or coupon as applied: to the whole order, or one line's share of it."""

    source: DiscountSource
    source_id: str  # promotion id or coupon code
    kind: str  # PromotionKind / CouponKind value
    target: DiscountTarget
    amount: Money  # positive: what it takes off

    def to_dict(self) -> dict[str, object]:
        return {
            "source": self.source.value,
            "id": self.source_id,
            "kind": self.kind,
            "target": self.target.value,
            "amount": self.amount.to_dict(),
        }


def _sum(currency: str, discounts: Sequence[Discount], target: DiscountTarget) -> Money:
    return total([d.amount for d in discounts if d.target is target], currency)


@dataclass(frozen=True, slots=True)
class PricedOrderLine:
    """One line, fully broken down:

    payable = original − goods discounts − points value + shipping − shipping discounts − balance.
    """

    line_no: int
    sku_id: str
    product_id: str
    store_id: str
    warehouse_id: str
    name: str
    category_id: str | None
    unit_price: Money
    unit_points: int  # points-mall price per unit (0 for ordinary goods)
    quantity: int
    original: Money  # unit_price × quantity
    discounts: tuple[Discount, ...]  # this line's share of each promotion and coupon that covers it
    shipping: Money  # share of the store's fee, before waivers
    points_required: int  # unit_points × quantity: the points-mall price, not a discount
    points_redeemed: int  # points used as a discount on this line
    points_value: Money  # their money value
    balance: Money
    payable: Money
    points_earned: int

    @property
    def goods_discount(self) -> Money:
        return _sum(self.unit_price.currency, self.discounts, DiscountTarget.GOODS)

    @property
    def shipping_discount(self) -> Money:
        return _sum(self.unit_price.currency, self.discounts, DiscountTarget.SHIPPING)

    def to_dict(self) -> dict[str, object]:
        return {
            "lineNo": self.line_no,
            "skuId": self.sku_id,
            "productId": self.product_id,
            "storeId": self.store_id,
            "warehouseId": self.warehouse_id,
            "name": self.name,
            "categoryId": self.category_id,
            "unitPrice": self.unit_price.to_dict(),
            "unitPoints": self.unit_points,
            "quantity": self.quantity,
            "original": self.original.to_dict(),
            "discounts": [d.to_dict() for d in self.discounts],
            "goodsDiscount": self.goods_discount.to_dict(),
            "shipping": self.shipping.to_dict(),
            "shippingDiscount": self.shipping_discount.to_dict(),
            "pointsRequired": self.points_required,
            "pointsRedeemed": self.points_redeemed,
            "pointsValue": self.points_value.to_dict(),
            "balance": self.balance.to_dict(),
            "payable": self.payable.to_dict(),
            "pointsEarned": self.points_earned,
        }


@dataclass(frozen=True, slots=True)
class PointsSummary:
    required: int  # points-mall prices
    redeemed: int  # points used as a discount
    value: Money  # money value of `redeemed`
    earned: int  # to credit when the order completes

    @property
    def debited(self) -> int:
        """Points to take from the customer at checkout."""
        return self.required + self.redeemed

    def to_dict(self) -> dict[str, object]:
        return {
            "required": self.required,
            "redeemed": self.redeemed,
            "value": self.value.to_dict(),
            "debited": self.debited,
            "earned": self.earned,
        }


@dataclass(frozen=True, slots=True)
class MemberLineSaving:
    """What the member benefit took off one line: its member unit price and the line's saving."""

    line_no: int
    kind: MemberBenefitKind
    unit_price: Money  # the member unit price
    saving: Money  # (list unit price − member unit price) × quantity

    def to_dict(self) -> dict[str, object]:
        return {
            "lineNo": self.line_no,
            "kind": self.kind.value,
            "unitPrice": self.unit_price.to_dict(),
            "savings": self.saving.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class MemberSummary:
    """The member line of a breakdown (step 1b): the tier priced for, savings per line and in total."""

    tier: MemberTier
    lines: tuple[MemberLineSaving, ...]
    savings: Money

    def to_dict(self) -> dict[str, object]:
        return {
            "tier": self.tier.to_dict(),
            "lines": [line.to_dict() for line in self.lines],
            "savings": self.savings.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class StoreTotals:
    """One store's part of the order (its child order): sums of its lines."""

    store_id: str
    subtotal: Money
    goods_discount: Money
    shipping: Money
    shipping_discount: Money
    points_value: Money
    balance: Money
    total: Money


@dataclass(frozen=True, slots=True)
class PricedOrder:
    currency: str
    lines: tuple[PricedOrderLine, ...]
    subtotal: Money  # sum of originals
    promotions: tuple[Discount, ...]  # in application order
    coupons: tuple[Discount, ...]  # in application order
    shipping: Money  # store fees before waivers
    points: PointsSummary
    balance: Money
    total: Money  # left to pay through a payment provider
    fx: FxRate | None = None
    reporting_total: Money | None = None  # `total` at the frozen rate
    manual: tuple[Discount, ...] = ()  # staff's discount (step 5b), on manual and edited orders only
    member: tuple[Discount, ...] = ()  # the member benefit (step 1b): one entry per kind that saved
    membership: MemberSummary | None = None  # the tier priced for, when its benefit saved anything
    freight: tuple[FreightCharge, ...] = ()  # what each store's templates charged (step 5), frozen

    @property
    def goods_discount(self) -> Money:
        return _sum(self.currency, self.member + self.promotions + self.coupons + self.manual, DiscountTarget.GOODS)

    @property
    def shipping_discount(self) -> Money:
        return _sum(self.currency, self.promotions + self.coupons + self.manual, DiscountTarget.SHIPPING)

    def stores(self) -> tuple[StoreTotals, ...]:
        """Per-store totals in first-seen order; they sum to the order's."""
        result = []
        for store_id in dict.fromkeys(line.store_id for line in self.lines):
            lines = [line for line in self.lines if line.store_id == store_id]

            def add(values: list[Money]) -> Money:
                return total(values, self.currency)

            result.append(
                StoreTotals(
                    store_id=store_id,
                    subtotal=add([line.original for line in lines]),
                    goods_discount=add([line.goods_discount for line in lines]),
                    shipping=add([line.shipping for line in lines]),
                    shipping_discount=add([line.shipping_discount for line in lines]),
                    points_value=add([line.points_value for line in lines]),
                    balance=add([line.balance for line in lines]),
                    total=add([line.payable for line in lines]),
                )
            )
        return tuple(result)

    def to_dict(self) -> dict[str, object]:
        """The frozen breakdown, JSON-ready (integers and strings only); `manual` only when staff gave one,
        `member` only when the customer's tier saved something (orders without them keep their shape)."""
        optional: dict[str, object] = {"manual": [d.to_dict() for d in self.manual]} if self.manual else {}
        if self.membership is not None:
            optional["member"] = self.membership.to_dict()
        return {
            "currency": self.currency,
            "lines": [line.to_dict() for line in self.lines],
            "subtotal": self.subtotal.to_dict(),
            "promotions": [d.to_dict() for d in self.promotions],
            "coupons": [d.to_dict() for d in self.coupons],
            "goodsDiscount": self.goods_discount.to_dict(),
            "shipping": self.shipping.to_dict(),
            "shippingDiscount": self.shipping_discount.to_dict(),
            "points": self.points.to_dict(),
            "balance": self.balance.to_dict(),
            "total": self.total.to_dict(),
            "fx": None if self.fx is None else self.fx.to_dict(),
            "reportingTotal": None if self.reporting_total is None else self.reporting_total.to_dict(),
            "freight": [charge.to_dict() for charge in self.freight],
            **optional,
        }


@dataclass(frozen=True, slots=True)
class CouponCheck:
    """Whether one coupon, alone with the order's promotions, can be used — and if so what it saves."""

    code: str
    applicable: bool
    reason: CouponReason | None
    discount: Money | None


# ---------------------------------------------------------------- the engine


@dataclass(slots=True)
class _Applied:
    source: DiscountSource
    source_id: str
    kind: str
    target: DiscountTarget
    shares: dict[int, int]  # line index → minor units, for every line the rule covers


@dataclass(slots=True)
class _Accepted:
    index: int  # position in the request, for error field paths
    coupon: Coupon
    lines: list[int]  # line indexes the coupon works on


def _split(amount: int, indexes: list[int], weights: list[int]) -> dict[int, int]:
    return dict(zip(indexes, allocate(amount, weights), strict=True))


class _Work:
    """Mutable scratch state of one pricing run; never leaves this module."""

    def __init__(self, quote: Quote, terms: Mapping[str, SkuTerms]) -> None:
        self.currency = quote.currency
        self.lines = quote.lines
        self.terms = [terms.get(line.sku_id) or SkuTerms() for line in quote.lines]
        n = len(quote.lines)
        self.remaining = [line.line_total.amount for line in quote.lines]  # goods still to pay
        self.shipping = [0] * n
        self.shipping_left = [0] * n
        self.item_taken = [False] * n
        self.order_taken = [False] * n
        self.coupon_blocked = [False] * n
        self.points_redeemed = [0] * n
        self.points_value = [0] * n
        self.balance = [0] * n
        self.points_earned = [0] * n
        self.unit = [line.unit_price.amount for line in quote.lines]  # unit price after step 1b
        self.member_kind: list[MemberBenefitKind | None] = [None] * n
        self.applied: list[_Applied] = []
        self.freight: list[FreightCharge] = []

    @property
    def indexes(self) -> range:
        return range(len(self.lines))

    def discountable(self, i: int) -> bool:
        """Points-mall lines are already a points deal: no promotion, coupon or points discount."""
        return self.terms[i].points_price == 0

    def covered(self, scope: Scope, i: int) -> bool:
        line = self.lines[i]
        terms = self.terms[i]
        return scope.covers(
            store_id=line.store_id, sku_id=line.sku_id, category_id=terms.category_id, category_path=terms.category_path
        )

    def amount(self, indexes: Sequence[int]) -> int:
        return sum(self.remaining[i] for i in indexes)

    def apply(
        self, source: DiscountSource, source_id: str, kind: str, target: DiscountTarget, shares: dict[int, int]
    ) -> None:
        left = self.remaining if target is DiscountTarget.GOODS else self.shipping_left
        for i, share in shares.items():
            if not 0 <= share <= left[i]:  # allocation guarantees this; a failure here is a bug
                raise AssertionError(f"share {share} of {source_id} outside 0..{left[i]} on line {i}")
            left[i] -= share
        self.applied.append(_Applied(source, source_id, kind, target, shares))


def _active_promotions(promotions: Sequence[Promotion], now: datetime, currency: str) -> list[Promotion]:
    """Promotions in their window whose amounts are in the order's currency (others do not apply)."""
    seen: set[str] = set()
    for index, promotion in enumerate(promotions):
        if promotion.promotion_id in seen:
            raise InvalidRequest("promotion ids must be unique", field=f"promotions[{index}].promotionId")
        seen.add(promotion.promotion_id)
    return sorted(
        (p for p in promotions if p.is_active(now) and p.currency in (None, currency)),
        key=promotion_order_key,
    )


def _member(work: _Work, tier: MemberTier | None) -> None:
    """Step 1b: each line at its member unit price for `tier` (a member price, else the tier discount).
    Points-mall lines keep their price, as they take no other discount."""
    if tier is None:
        return
    by_kind: dict[MemberBenefitKind, dict[int, int]] = {}
    for i in work.indexes:
        if not work.discountable(i):
            continue
        found = member_unit_price(work.lines[i].unit_price, work.terms[i].member_prices, tier)
        if found is None:
            continue
        price, kind = found
        by_kind.setdefault(kind, {})[i] = (work.unit[i] - price) * work.lines[i].quantity
        work.unit[i] = price
        work.member_kind[i] = kind
    for kind in MemberBenefitKind:
        if kind in by_kind:
            work.apply(DiscountSource.MEMBER, tier.tier_id, kind.value, DiscountTarget.GOODS, by_kind[kind])


def _item_promotions(work: _Work, promotions: list[Promotion]) -> None:
    """Step 2: buy-X-get-Y and percentage promotions; at most one per line."""
    for promotion in promotions:
        rule = promotion.rule
        if not isinstance(rule, BuyXGetY | PercentOff):
            continue
        lines = [
            i
            for i in work.indexes
            if work.discountable(i) and not work.item_taken[i] and work.covered(promotion.scope, i)
        ]
        if not lines:
            continue
        if isinstance(rule, BuyXGetY):
            shares = {i: 0 for i in lines}
            free = rule.free_units(sum(work.lines[i].quantity for i in lines))
            for i in sorted(lines, key=lambda i: (work.unit[i], i)):  # cheapest first, at member prices
                units = min(free, work.lines[i].quantity)
                shares[i] = min(units * work.unit[i], work.remaining[i])
                free -= units
        else:
            discount = min(rule.discount_on(work.amount(lines)), work.amount(lines))
            shares = _split(discount, lines, [work.remaining[i] for i in lines])
        if sum(shares.values()) == 0:
            continue  # yields nothing here (e.g. too few units): leaves the lines to other promotions
        for i in lines:
            work.item_taken[i] = True
            work.coupon_blocked[i] |= not promotion.allow_coupons
        work.apply(DiscountSource.PROMOTION, promotion.promotion_id, promotion.kind.value, DiscountTarget.GOODS, shares)


def _spend_and_save(work: _Work, promotions: list[Promotion]) -> None:
    """Step 3: the highest tier reached on the amount in scope after item promotions."""
    for promotion in promotions:
        rule = promotion.rule
        if not isinstance(rule, SpendAndSave):
            continue
        lines = [
            i
            for i in work.indexes
            if work.discountable(i) and not work.order_taken[i] and work.covered(promotion.scope, i)
        ]
        amount = work.amount(lines)
        tier = rule.tier_for(amount)
        if tier is None or amount == 0:
            continue
        shares = _split(min(tier.off.amount, amount), lines, [work.remaining[i] for i in lines])
        for i in lines:
            work.order_taken[i] = True
            work.coupon_blocked[i] |= not promotion.allow_coupons
        work.apply(DiscountSource.PROMOTION, promotion.promotion_id, promotion.kind.value, DiscountTarget.GOODS, shares)


def _accept_coupons(work: _Work, coupons: Sequence[Coupon], now: datetime, customer_id: str | None) -> list[_Accepted]:
    """Step 4, first half: check every presented coupon (in request order); the first failure raises."""
    if len(coupons) > MAX_COUPONS:
        raise InvalidRequest(f"an order takes at most {MAX_COUPONS} coupons", field="coupons")
    codes: set[str] = set()
    per_template: dict[str, int] = {}
    slots: dict[tuple[str, str], list[Coupon]] = {}
    accepted: list[_Accepted] = []
    for index, coupon in enumerate(coupons):
        template = coupon.template
        if coupon.code in codes:
            raise CouponNotApplicable(CouponReason.DUPLICATE, index=index, code=coupon.code)
        reason = coupon_static_reason(
            coupon,
            now=now,
            customer_id=customer_id,
            currency=work.currency,
            earlier_in_order=per_template.get(template.template_id, 0),
        )
        if reason is not None:
            raise CouponNotApplicable(reason, index=index, code=coupon.code)
        covered = [i for i in work.indexes if work.discountable(i) and work.covered(template.scope, i)]
        if not covered:
            raise CouponNotApplicable(CouponReason.OUT_OF_SCOPE, index=index, code=coupon.code)
        lines = [i for i in covered if not work.coupon_blocked[i]]
        if not lines:
            raise CouponNotApplicable(CouponReason.EXCLUDED, index=index, code=coupon.code)
        in_scope = work.amount(lines)
        if template.min_spend is not None and in_scope < template.min_spend.amount:
            raise CouponNotApplicable(
                CouponReason.MIN_SPEND,
                index=index,
                code=coupon.code,
                minSpend=template.min_spend.to_dict(),
                amountInScope=Money(in_scope, work.currency).to_dict(),
            )
        slot = coupon_slot(template)
        taken = slots.setdefault(slot, [])
        if taken and not (template.stackable and all(c.template.stackable for c in taken)):
            raise CouponNotApplicable(
                CouponReason.NOT_STACKABLE, index=index, code=coupon.code, conflictsWith=taken[0].code
            )
        taken.append(coupon)
        codes.add(coupon.code)
        per_template[template.template_id] = per_template.get(template.template_id, 0) + 1
        accepted.append(_Accepted(index, coupon, lines))
    return sorted(accepted, key=lambda a: coupon_order_key(a.coupon))


def _goods_coupons(work: _Work, accepted: list[_Accepted]) -> None:
    """Step 4, second half: amount-off and percentage coupons on what promotions and earlier coupons left."""
    for item in accepted:
        benefit = item.coupon.template.benefit
        if isinstance(benefit, FreeShipping):
            continue
        base = work.amount(item.lines)
        wanted = benefit.amount.amount if isinstance(benefit, AmountOff) else benefit.discount_on(base)
        discount = min(wanted, base)
        if discount == 0:
            raise CouponNotApplicable(CouponReason.NO_EFFECT, index=item.index, code=item.coupon.code)
        shares = _split(discount, item.lines, [work.remaining[i] for i in item.lines])
        kind = item.coupon.template.kind.value
        work.apply(DiscountSource.COUPON, item.coupon.code, kind, DiscountTarget.GOODS, shares)


def _shipping(
    work: _Work,
    policies: Mapping[str, ShippingPolicy],
    promotions: list[Promotion],
    accepted: list[_Accepted],
    skus: Mapping[str, Sku],
    destination: Destination | None,
) -> None:
    """Step 5: per-store fees from the templates on the goods amount after discounts, then waivers."""
    for store_id in dict.fromkeys(line.store_id for line in work.lines):
        lines = [
            i
            for i in work.indexes
            if work.lines[i].store_id == store_id and not skus[work.lines[i].sku_id].virtual  # no parcel, no freight
        ]
        if not lines:
            continue
        policy = policies[store_id]
        items = [
            FreightItem(
                sku_id=work.lines[i].sku_id,
                template_id=skus[work.lines[i].sku_id].freight_template_id,
                weight_grams=skus[work.lines[i].sku_id].weight_grams,
                quantity=work.lines[i].quantity,
                amount=work.remaining[i],
            )
            for i in lines
        ]
        for charge, group in charge_store(store_id, items, policy.templates, policy.default_template(), destination):
            fee = charge.charged
            if fee.currency != work.currency:
                raise InvalidRequest(f"store {store_id} charges shipping in {fee.currency}", field="lines")
            members = [lines[k] for k in group]
            for i, share in _split(fee.amount, members, [work.lines[i].line_total.amount for i in members]).items():
                work.shipping[i] = work.shipping_left[i] = share
            work.freight.append(charge)

    def lines_of_stores(covered: list[int]) -> list[int]:
        stores = {work.lines[i].store_id for i in covered}
        return [i for i in work.indexes if work.lines[i].store_id in stores]

    for promotion in promotions:
        rule = promotion.rule
        if not isinstance(rule, FreeShippingOver):
            continue
        covered = [i for i in work.indexes if work.discountable(i) and work.covered(promotion.scope, i)]
        if not covered or work.amount(covered) < rule.threshold.amount:
            continue
        shares = {i: work.shipping_left[i] for i in lines_of_stores(covered)}
        if sum(shares.values()) == 0:
            continue
        work.apply(
            DiscountSource.PROMOTION, promotion.promotion_id, promotion.kind.value, DiscountTarget.SHIPPING, shares
        )

    for item in accepted:
        benefit = item.coupon.template.benefit
        if not isinstance(benefit, FreeShipping):
            continue
        targets = lines_of_stores(item.lines)
        left = sum(work.shipping_left[i] for i in targets)
        waiver = left if benefit.cap is None else min(left, benefit.cap.amount)
        if waiver == 0:
            raise CouponNotApplicable(CouponReason.NO_EFFECT, index=item.index, code=item.coupon.code)
        shares = _split(waiver, targets, [work.shipping_left[i] for i in targets])
        kind = item.coupon.template.kind.value
        work.apply(DiscountSource.COUPON, item.coupon.code, kind, DiscountTarget.SHIPPING, shares)


def _manual(work: _Work, manual: ManualDiscount | None) -> None:
    """Step 5b: staff's discount on the goods left after steps 2–4, by largest remainder over the lines."""
    if manual is None:
        return
    if manual.amount is not None and manual.amount.currency != work.currency:
        raise InvalidRequest(
            f"the manual discount is in {manual.amount.currency}, the order in {work.currency}",
            field="manualDiscount.amount",
        )
    lines = [i for i in work.indexes if work.remaining[i] > 0]
    discount = manual.on(work.amount(lines))
    if discount == 0:
        return
    shares = _split(discount, lines, [work.remaining[i] for i in lines])
    work.apply(DiscountSource.MANUAL, "manual", manual.kind, DiscountTarget.GOODS, shares)


def _points(work: _Work, points: PointsUse | None) -> tuple[int, int]:
    """Step 6: points-mall prices and points as a discount. Returns (required, redeemed)."""
    required = sum(work.terms[i].points_price * work.lines[i].quantity for i in work.indexes)
    if points is None:
        if required:
            raise InvalidRequest(
                "this order is priced in points: points are required", field="points", reason="points-required"
            )
        return 0, 0
    rules = points.rules
    if rules.currency != work.currency:
        raise InvalidRequest(
            f"the points programme is in {rules.currency}, the order in {work.currency}",
            field="points.rules",
            reason="points-currency-mismatch",
        )
    if type(points.available) is not int or points.available < 0:
        raise InvalidRequest("points held must be a whole number >= 0", field="points.available")
    if required > points.available:
        raise InvalidRequest(
            f"this order needs {required} points, {points.available} held",
            field="points",
            reason="points-insufficient",
            required=required,
            available=points.available,
        )
    rate = rules.redeem_rate
    lines = [i for i in work.indexes if work.discountable(i)]
    # Whole steps only (a step is the fewest points worth whole minor units); a line never takes
    # more steps than its remaining amount holds, so weights are per-line step capacities.
    capacity = [work.remaining[i] // rate.step_value for i in lines]
    cap_steps = work.amount(lines) * rules.cap_bps // BPS // rate.step_value
    spare = points.available - required
    max_steps = min(cap_steps, sum(capacity), spare // rate.step)
    if points.requested is None:
        steps = max_steps
    else:
        requested = points.requested
        if type(requested) is not int or requested < 0:
            raise InvalidRequest("points to use must be a whole number >= 0", field="points.requested")
        if requested % rate.step:
            raise InvalidRequest(
                f"points are used in steps of {rate.step}",
                field="points.requested",
                reason="points-not-whole-step",
                step=rate.step,
            )
        if requested > spare:
            raise InvalidRequest(
                f"{requested} points requested, {spare} available",
                field="points.requested",
                reason="points-insufficient",
                available=spare,
            )
        if requested // rate.step > max_steps:
            raise InvalidRequest(
                f"at most {max_steps * rate.step} points can be used on this order",
                field="points.requested",
                reason="points-over-cap",
                maxPoints=max_steps * rate.step,
            )
        steps = requested // rate.step
    if steps:
        for i, share in _split(steps, lines, capacity).items():
            work.points_redeemed[i] = share * rate.step
            work.points_value[i] = share * rate.step_value
            work.remaining[i] -= work.points_value[i]
    return required, steps * rate.step


def _balance(work: _Work, balance: BalanceUse | None) -> None:
    """Step 7: stored balance pays part or all of what is left (goods and shipping)."""
    if balance is None:
        return
    for name, money in (("available", balance.available), ("requested", balance.requested)):
        if money is None:
            continue
        if money.currency != work.currency:
            raise InvalidRequest(
                f"balance is in {money.currency}, the order in {work.currency}", field=f"balance.{name}"
            )
        if money.amount < 0:
            raise InvalidRequest("balance amounts cannot be negative", field=f"balance.{name}")
    due = [work.remaining[i] + work.shipping_left[i] for i in work.indexes]
    if balance.requested is None:
        used = min(balance.available.amount, sum(due))
    else:
        used = balance.requested.amount
        if used > balance.available.amount:
            raise InvalidRequest(
                "not enough balance",
                field="balance.requested",
                reason="balance-insufficient",
                available=balance.available.to_dict(),
            )
        if used > sum(due):
            raise InvalidRequest(
                "balance requested exceeds what is left to pay",
                field="balance.requested",
                reason="balance-exceeds-payable",
                payable=Money(sum(due), work.currency).to_dict(),
            )
    for i, share in _split(used, list(work.indexes), due).items():
        work.balance[i] = share


def _earn(work: _Work, points: PointsUse | None) -> int:
    """Points earned on the goods paid with money (cash or balance); points-mall lines earn none."""
    if points is None or points.rules.earn_rate is None:
        return 0
    lines = [i for i in work.indexes if work.discountable(i)]
    if not lines:
        return 0
    earned = points.rules.earn_rate.points_for(work.amount(lines))
    for i, share in _split(earned, lines, [work.remaining[i] for i in lines]).items():
        work.points_earned[i] = share
    return earned


def _membership(work: _Work, tier: MemberTier | None) -> MemberSummary | None:
    lines = []
    for i, line in enumerate(work.lines):
        kind = work.member_kind[i]
        if kind is not None:
            saving = (line.unit_price.amount - work.unit[i]) * line.quantity
            lines.append(
                MemberLineSaving(line.line_no, kind, Money(work.unit[i], work.currency), Money(saving, work.currency))
            )
    if tier is None or not lines:
        return None
    return MemberSummary(tier, tuple(lines), total([line.saving for line in lines], work.currency))


def _build(
    work: _Work,
    points_required: int,
    points_redeemed: int,
    fx: FxRate | None,
    tier: MemberTier | None = None,
) -> PricedOrder:
    currency = work.currency

    def money(amount: int) -> Money:
        return Money(amount, currency)

    priced = []
    for i, line in enumerate(work.lines):
        discounts = tuple(
            Discount(a.source, a.source_id, a.kind, a.target, money(a.shares[i])) for a in work.applied if i in a.shares
        )
        priced.append(
            PricedOrderLine(
                line_no=line.line_no,
                sku_id=line.sku_id,
                product_id=line.product_id,
                store_id=line.store_id,
                warehouse_id=line.warehouse_id,
                name=line.name,
                category_id=work.terms[i].category_id,
                unit_price=line.unit_price,
                unit_points=work.terms[i].points_price,
                quantity=line.quantity,
                original=line.line_total,
                discounts=discounts,
                shipping=money(work.shipping[i]),
                points_required=work.terms[i].points_price * line.quantity,
                points_redeemed=work.points_redeemed[i],
                points_value=money(work.points_value[i]),
                balance=money(work.balance[i]),
                payable=money(work.remaining[i] + work.shipping_left[i] - work.balance[i]),
                points_earned=work.points_earned[i],
            )
        )
    applied = [Discount(a.source, a.source_id, a.kind, a.target, money(sum(a.shares.values()))) for a in work.applied]
    order_total = total([line.payable for line in priced], currency)
    return PricedOrder(
        currency=currency,
        lines=tuple(priced),
        subtotal=total([line.original for line in priced], currency),
        promotions=tuple(d for d in applied if d.source is DiscountSource.PROMOTION),
        coupons=tuple(d for d in applied if d.source is DiscountSource.COUPON),
        shipping=money(sum(work.shipping)),
        points=PointsSummary(
            required=points_required,
            redeemed=points_redeemed,
            value=money(sum(work.points_value)),
            earned=sum(work.points_earned),
        ),
        balance=money(sum(work.balance)),
        total=order_total,
        fx=fx,
        reporting_total=None if fx is None else to_reporting(order_total, fx),
        manual=tuple(d for d in applied if d.source is DiscountSource.MANUAL),
        member=tuple(d for d in applied if d.source is DiscountSource.MEMBER),
        membership=_membership(work, tier),
        freight=tuple(work.freight),
    )


def price_order(
    cart: Sequence[CartLine],
    skus: Mapping[str, Sku],
    shipping_policies: Mapping[str, ShippingPolicy],
    *,
    now: datetime,
    promotions: Sequence[Promotion] = (),
    coupons: Sequence[Coupon] = (),
    points: PointsUse | None = None,
    balance: BalanceUse | None = None,
    customer_id: str | None = None,
    fx: FxRate | None = None,
    sku_terms: Mapping[str, SkuTerms] | None = None,
    manual: ManualDiscount | None = None,
    member: MemberTier | None = None,
    destination: Destination | None = None,
) -> PricedOrder:
    """Price an order exactly, in the fixed order of this module's docstring. Pure and deterministic.

    `promotions` are the candidate promotions (the engine drops those outside their window or in
    another currency); `coupons` are the ones the customer presents, each of which must apply (else
    `CouponNotApplicable`, a 422 naming the coupon and the reason). `fx` converts the order currency
    (`fx.base`) to the reporting currency. `manual` is staff's discount (step 5b). `member` is the
    customer's tier (step 1b; None: no member benefit). `destination` picks the freight templates' rules
    (None: their catch-all rules). Bad input raises `InvalidRequest` with a field path; a destination a
    template excludes raises `ShippingRegionExcluded`.
    """
    work = _discounted(
        cart, skus, shipping_policies, now, promotions, coupons, customer_id, sku_terms, member, destination
    )
    if fx is not None and fx.base != work.currency:
        raise InvalidRequest(
            f"the fx rate converts {fx.base}, the order is in {work.currency}",
            field="fx",
            reason="fx-currency-mismatch",
        )
    _manual(work, manual)  # step 5b
    required, redeemed = _points(work, points)  # step 6
    _balance(work, balance)  # step 7
    _earn(work, points)
    return _build(work, required, redeemed, fx, member)


def _discounted(
    cart: Sequence[CartLine],
    skus: Mapping[str, Sku],
    shipping_policies: Mapping[str, ShippingPolicy],
    now: datetime,
    promotions: Sequence[Promotion],
    coupons: Sequence[Coupon],
    customer_id: str | None,
    sku_terms: Mapping[str, SkuTerms] | None,
    member: MemberTier | None = None,
    destination: Destination | None = None,
) -> _Work:
    """Steps 1–5: prices, member benefits, promotions, coupons, shipping."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    work = _Work(price_cart(cart, skus, shipping_policies), sku_terms or {})  # step 1, the cart's own rules
    _member(work, member)  # step 1b
    active = _active_promotions(promotions, now, work.currency)
    _item_promotions(work, active)  # step 2
    _spend_and_save(work, active)  # step 3
    accepted = _accept_coupons(work, coupons, now, customer_id)  # step 4
    _goods_coupons(work, accepted)
    _shipping(work, shipping_policies, active, accepted, skus, destination)  # step 5
    return work


def check_coupons(
    cart: Sequence[CartLine],
    skus: Mapping[str, Sku],
    shipping_policies: Mapping[str, ShippingPolicy],
    *,
    now: datetime,
    coupons: Sequence[Coupon],
    promotions: Sequence[Promotion] = (),
    customer_id: str | None = None,
    sku_terms: Mapping[str, SkuTerms] | None = None,
    member: MemberTier | None = None,
    destination: Destination | None = None,
) -> tuple[CouponCheck, ...]:
    """For a coupon picker: each coupon tried alone on the cart with its promotions.

    Says which coupons apply (and what each would save) and why the others do not. Stacking is
    not judged here (each coupon is alone); `price_order` judges the chosen combination. Points and
    balance come after coupons and cannot change the answer, so they are not asked for.
    """
    checks = []
    for coupon in coupons:
        try:
            work = _discounted(
                cart, skus, shipping_policies, now, promotions, (coupon,), customer_id, sku_terms, member, destination
            )
        except CouponNotApplicable as error:
            checks.append(CouponCheck(coupon.code, False, error.reason, None))
        else:
            saved = sum(sum(a.shares.values()) for a in work.applied if a.source is DiscountSource.COUPON)
            checks.append(CouponCheck(coupon.code, True, None, Money(saved, work.currency)))
    return tuple(checks)
