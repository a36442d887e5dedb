"""Promotion, coupon and points rules as immutable values, and the stacking policy that orders them.

Nothing here computes an order: `oms.domain.order_pricing.price_order` applies these rules in the fixed
order documented there and in `docs/pricing.md`. This module holds what an operator configures:

- **Promotions** (per store, or platform-wide when the scope has no store), each with a validity window:
  buy-X-get-Y and percentage-with-cap (item level), spend-X-save-Y tiers (order level), free shipping
  over a threshold (shipping).
- **Coupon templates** (amount off, percentage with cap, free shipping; minimum spend; scope; validity;
  total and per-customer limits; a stacking flag) and **coupons** (one customer's instance of a template,
  with the usage counts the store layer read, so the engine can say whether a limit is reached).
- **Points rules**: the redemption rate and cap, and the earning rate.
- **The stacking policy**: the sort keys and slot rules that decide which rules combine and in which order.

Money is integer minor units (`Money`); percentages are basis points (1 % = 100 bps); rates are integer
ratios. All rule values validate themselves, so a bad configuration fails when it is built, with a
field path, not later at checkout.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from math import gcd

from oms.domain.errors import InvalidRequest
from oms.domain.money import Money

BPS = 10_000  # basis points in a whole
PLATFORM = "*"  # the level of a platform-wide rule (a scope without a store)


def _require_aware(moment: datetime, field: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidRequest("timestamps must carry a timezone", field=field)


def _same_currency(field: str, *amounts: Money | None) -> str | None:
    currencies = {m.currency for m in amounts if m is not None}
    if len(currencies) > 1:
        raise InvalidRequest("all amounts of one rule must be in one currency", field=field)
    return currencies.pop() if currencies else None


# ---------------------------------------------------------------- validity and scope


class WindowState(StrEnum):
    NOT_STARTED = "not_started"
    ACTIVE = "active"
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class ValidityWindow:
    """Valid from `starts_at` (inclusive) until `ends_at` (exclusive); open-ended when `ends_at` is None."""

    starts_at: datetime
    ends_at: datetime | None = None

    def __post_init__(self) -> None:
        _require_aware(self.starts_at, "window.startsAt")
        if self.ends_at is not None:
            _require_aware(self.ends_at, "window.endsAt")
            if self.ends_at <= self.starts_at:
                raise InvalidRequest("a validity window must end after it starts", field="window.endsAt")

    def state(self, now: datetime) -> WindowState:
        if now < self.starts_at:
            return WindowState.NOT_STARTED
        if self.ends_at is not None and now >= self.ends_at:
            return WindowState.ENDED
        return WindowState.ACTIVE

    def contains(self, now: datetime) -> bool:
        return self.state(now) is WindowState.ACTIVE


@dataclass(frozen=True, slots=True)
class Scope:
    """Which order lines a rule looks at.

    `store_id` None means platform-wide (every store). Non-empty `category_ids` / `sku_ids` narrow it
    further; a line must pass every narrowing that is given (store AND category AND SKU).
    """

    store_id: str | None = None
    category_ids: frozenset[str] = frozenset()
    sku_ids: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        # Accept any iterable of ids but keep an immutable, hashable value.
        object.__setattr__(self, "category_ids", frozenset(self.category_ids))
        object.__setattr__(self, "sku_ids", frozenset(self.sku_ids))

    @property
    def level(self) -> str:
        """The store the rule belongs to, or `PLATFORM`."""
        return PLATFORM if self.store_id is None else self.store_id

    @property
    def is_platform(self) -> bool:
        return self.store_id is None

    def covers(self, *, store_id: str, sku_id: str, category_id: str | None, category_path: str | None = None) -> bool:
        """`category_path` ("/<rootId>/.../<categoryId>/", a SKU of a product filed in the category tree): a rule
        on a category covers its descendants' SKUs too."""
        if self.store_id is not None and store_id != self.store_id:
            return False
        if self.category_ids and category_id not in self.category_ids and not self._covers_path(category_path):
            return False
        return not (self.sku_ids and sku_id not in self.sku_ids)

    def _covers_path(self, path: str | None) -> bool:
        return path is not None and not self.category_ids.isdisjoint(part for part in path.split("/") if part)


# ---------------------------------------------------------------- promotion rules


class PromotionKind(StrEnum):
    BUY_X_GET_Y = "buy_x_get_y"
    PERCENT_OFF = "percent_off"
    SPEND_AND_SAVE = "spend_and_save"
    FREE_SHIPPING = "free_shipping"


@dataclass(frozen=True, slots=True)
class BuyXGetY:
    """For every `buy + get` units in scope, the `get` cheapest units in scope are free.

    The free units are the cheapest of all units in scope (not of each group): buy 2 get 1 on units
    priced 100, 90, 80, 70, 60, 50 frees 60 and 50.
    """

    buy: int
    get: int

    def __post_init__(self) -> None:
        for name in ("buy", "get"):
            value = getattr(self, name)
            if type(value) is not int or not 1 <= value <= 999:
                raise InvalidRequest(f"{name} must be a whole number between 1 and 999", field=f"rule.{name}")

    @property
    def currency(self) -> str | None:
        return None

    def free_units(self, units: int) -> int:
        return units // (self.buy + self.get) * self.get


@dataclass(frozen=True, slots=True)
class PercentOff:
    """`bps` basis points off the amount in scope, rounded down to the minor unit, then capped at `cap`."""

    bps: int
    cap: Money | None = None

    def __post_init__(self) -> None:
        if type(self.bps) is not int or not 1 <= self.bps <= BPS:
            raise InvalidRequest(f"a percentage is 1..{BPS} basis points", field="rule.bps")
        if self.cap is not None and self.cap.amount <= 0:
            raise InvalidRequest("a cap must be positive", field="rule.cap")

    @property
    def currency(self) -> str | None:
        return None if self.cap is None else self.cap.currency

    def discount_on(self, amount: int) -> int:
        discount = amount * self.bps // BPS  # round down: never more than the advertised percentage
        return discount if self.cap is None else min(discount, self.cap.amount)


@dataclass(frozen=True, slots=True)
class Tier:
    threshold: Money
    off: Money


@dataclass(frozen=True, slots=True)
class SpendAndSave:
    """Spend at least a tier's threshold (in scope, after item promotions) and save its amount.

    Only the highest tier reached applies (no repetition: "spend 200 save 50" saves 50 on 450 too).
    Thresholds and savings must both rise from tier to tier.
    """

    tiers: tuple[Tier, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "tiers", tuple(self.tiers))
        if not self.tiers:
            raise InvalidRequest("spend-and-save needs at least one tier", field="rule.tiers")
        _same_currency("rule.tiers", *(m for t in self.tiers for m in (t.threshold, t.off)))
        for n, tier in enumerate(self.tiers):
            if tier.off.amount <= 0 or tier.threshold.amount < 0:
                raise InvalidRequest("a tier saves a positive amount from a threshold >= 0", field=f"rule.tiers[{n}]")
            if n and not (tier.threshold > self.tiers[n - 1].threshold and tier.off > self.tiers[n - 1].off):
                raise InvalidRequest("tiers must rise in threshold and in saving", field=f"rule.tiers[{n}]")

    @property
    def currency(self) -> str | None:
        return self.tiers[0].off.currency

    def tier_for(self, amount: int) -> Tier | None:
        """The highest tier whose threshold `amount` reaches, if any."""
        reached = [tier for tier in self.tiers if amount >= tier.threshold.amount]
        return reached[-1] if reached else None


@dataclass(frozen=True, slots=True)
class FreeShippingOver:
    """Waive the shipping fee of each store in scope when the amount in scope reaches `threshold`."""

    threshold: Money

    def __post_init__(self) -> None:
        if self.threshold.amount < 0:
            raise InvalidRequest("a threshold cannot be negative", field="rule.threshold")

    @property
    def currency(self) -> str | None:
        return self.threshold.currency


PromotionRule = BuyXGetY | PercentOff | SpendAndSave | FreeShippingOver

_PROMOTION_KINDS: dict[type[object], PromotionKind] = {
    BuyXGetY: PromotionKind.BUY_X_GET_Y,
    PercentOff: PromotionKind.PERCENT_OFF,
    SpendAndSave: PromotionKind.SPEND_AND_SAVE,
    FreeShippingOver: PromotionKind.FREE_SHIPPING,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Promotion:
    """A rule, where it applies, when, and how it stacks.

    `priority`: when several promotions of one stage match a line, the line takes the one with the
    highest priority (ties: see `promotion_order_key`). `allow_coupons=False` marks "no coupons on
    top": lines this promotion applies to are left out of every coupon's scope.
    """

    promotion_id: str
    rule: PromotionRule
    scope: Scope
    window: ValidityWindow
    priority: int = 0
    allow_coupons: bool = True
    name: str = ""

    def __post_init__(self) -> None:
        if not self.promotion_id:
            raise InvalidRequest("a promotion needs an id", field="promotionId")
        if type(self.priority) is not int:
            raise InvalidRequest("priority must be an integer", field="priority")

    @property
    def kind(self) -> PromotionKind:
        return _PROMOTION_KINDS[type(self.rule)]

    @property
    def currency(self) -> str | None:
        """The currency of the rule's amounts, or None when it has none (applies in any currency)."""
        return self.rule.currency

    def is_active(self, now: datetime) -> bool:
        return self.window.contains(now)


# ---------------------------------------------------------------- coupons


class CouponKind(StrEnum):
    AMOUNT_OFF = "amount_off"
    PERCENT_OFF = "percent_off"
    FREE_SHIPPING = "free_shipping"


@dataclass(frozen=True, slots=True)
class AmountOff:
    amount: Money

    def __post_init__(self) -> None:
        if self.amount.amount <= 0:
            raise InvalidRequest("a coupon takes off a positive amount", field="benefit.amount")

    @property
    def currency(self) -> str | None:
        return self.amount.currency


@dataclass(frozen=True, slots=True)
class FreeShipping:
    """Waive the shipping fee of the stores in scope, up to `cap` when one is given."""

    cap: Money | None = None

    def __post_init__(self) -> None:
        if self.cap is not None and self.cap.amount <= 0:
            raise InvalidRequest("a cap must be positive", field="benefit.cap")

    @property
    def currency(self) -> str | None:
        return None if self.cap is None else self.cap.currency


CouponBenefit = AmountOff | PercentOff | FreeShipping

_COUPON_KINDS: dict[type[object], CouponKind] = {
    AmountOff: CouponKind.AMOUNT_OFF,
    PercentOff: CouponKind.PERCENT_OFF,
    FreeShipping: CouponKind.FREE_SHIPPING,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class CouponTemplate:
    """What a coupon is worth and when it may be used.

    `min_spend` is compared with the amount in the coupon's scope after promotions (before any coupon).
    `total_limit` caps uses of this template over all customers, `per_customer_limit` per customer.
    `stackable`: see `coupon_slot` — without it, a coupon is the only one of its slot in an order.
    """

    template_id: str
    benefit: CouponBenefit
    scope: Scope
    window: ValidityWindow
    min_spend: Money | None = None
    total_limit: int | None = None
    per_customer_limit: int | None = None
    stackable: bool = False
    name: str = ""

    def __post_init__(self) -> None:
        if not self.template_id:
            raise InvalidRequest("a coupon template needs an id", field="templateId")
        if (
            self.min_spend is not None
            and self.benefit.currency is not None
            and self.min_spend.currency != self.benefit.currency
        ):
            raise InvalidRequest("the minimum spend must be in the benefit's currency", field="minSpend")
        if self.min_spend is not None and self.min_spend.amount < 0:
            raise InvalidRequest("a minimum spend cannot be negative", field="minSpend")
        for name in ("total_limit", "per_customer_limit"):
            limit = getattr(self, name)
            if limit is not None and (type(limit) is not int or limit < 1):
                raise InvalidRequest("a limit is a whole number >= 1", field=name)

    @property
    def kind(self) -> CouponKind:
        return _COUPON_KINDS[type(self.benefit)]

    @property
    def currency(self) -> str | None:
        if self.benefit.currency is not None:
            return self.benefit.currency
        return None if self.min_spend is None else self.min_spend.currency

    @property
    def for_shipping(self) -> bool:
        return isinstance(self.benefit, FreeShipping)


@dataclass(frozen=True, slots=True, kw_only=True)
class Coupon:
    """One coupon a customer presents: its code, template, owner and the usage counts read for it.

    `uses_total` (all customers) and `uses_by_customer` (this customer) count earlier uses of the
    template; the store layer reads them and enforces the limits again in the checkout transaction.
    `window` narrows the template's window for this coupon (e.g. "valid 7 days after claiming").
    """

    code: str
    template: CouponTemplate
    owner_id: str | None = None
    window: ValidityWindow | None = None
    uses_total: int = 0
    uses_by_customer: int = 0

    def __post_init__(self) -> None:
        if not self.code:
            raise InvalidRequest("a coupon needs a code", field="code")
        if min(self.uses_total, self.uses_by_customer) < 0:
            raise InvalidRequest("usage counts cannot be negative", field="uses")


class CouponReason(StrEnum):
    """Why a coupon cannot be used. Values are stable slugs for clients (checked in this order).

    The first three come from the store (the code, the coupon's state, the template's state); the
    rest from the engine."""

    NOT_FOUND = "coupon-not-found"
    USED = "coupon-used"
    DISABLED = "coupon-disabled"
    DUPLICATE = "coupon-duplicate"
    NOT_OWNER = "coupon-not-owner"
    NOT_STARTED = "coupon-not-started"
    EXPIRED = "coupon-expired"
    CURRENCY = "coupon-currency-mismatch"
    TOTAL_LIMIT = "coupon-limit-reached"
    CUSTOMER_LIMIT = "coupon-customer-limit-reached"
    OUT_OF_SCOPE = "coupon-out-of-scope"
    EXCLUDED = "coupon-excluded-by-promotion"
    MIN_SPEND = "coupon-min-spend-not-met"
    NOT_STACKABLE = "coupon-not-stackable"
    NO_EFFECT = "coupon-no-effect"


_REASON_TEXT: dict[CouponReason, str] = {
    CouponReason.NOT_FOUND: "there is no such coupon",
    CouponReason.USED: "this coupon has already been used",
    CouponReason.DISABLED: "this coupon has been withdrawn",
    CouponReason.DUPLICATE: "this coupon is already in the order",
    CouponReason.NOT_OWNER: "this coupon belongs to another customer",
    CouponReason.NOT_STARTED: "this coupon is not valid yet",
    CouponReason.EXPIRED: "this coupon has expired",
    CouponReason.CURRENCY: "this coupon is for another currency",
    CouponReason.TOTAL_LIMIT: "this coupon has been used up",
    CouponReason.CUSTOMER_LIMIT: "you have used this coupon as often as allowed",
    CouponReason.OUT_OF_SCOPE: "no item of the order is covered by this coupon",
    CouponReason.EXCLUDED: "the items this coupon covers are in a promotion that excludes coupons",
    CouponReason.MIN_SPEND: "the items this coupon covers do not reach its minimum spend",
    CouponReason.NOT_STACKABLE: "this coupon cannot be combined with another coupon of the same kind",
    CouponReason.NO_EFFECT: "this coupon would not reduce anything on this order",
}


class CouponNotApplicable(InvalidRequest):
    """A presented coupon cannot be used: a 422 with the coupon's field path and a reason slug."""

    slug = "coupon-not-applicable"
    title = "The coupon cannot be used on this order"

    def __init__(self, reason: CouponReason, *, index: int, code: str, **extensions: object) -> None:
        super().__init__(
            f"coupon {code}: {_REASON_TEXT[reason]}",
            field=f"coupons[{index}]",
            reason=reason.value,
            code=code,
            **extensions,
        )
        self.reason = reason
        self.index = index
        self.code = code


def coupon_static_reason(
    coupon: Coupon,
    *,
    now: datetime,
    customer_id: str | None,
    currency: str,
    earlier_in_order: int = 0,
) -> CouponReason | None:
    """Checks that do not depend on the cart: owner, validity, currency, limits. None when all pass.

    `earlier_in_order` counts coupons of the same template already accepted in this order, so two
    coupons of a template limited to one use per customer do not both pass.
    """
    template = coupon.template
    if coupon.owner_id is not None and coupon.owner_id != customer_id:
        return CouponReason.NOT_OWNER
    for window in (template.window, coupon.window):
        if window is None:
            continue
        state = window.state(now)
        if state is WindowState.NOT_STARTED:
            return CouponReason.NOT_STARTED
        if state is WindowState.ENDED:
            return CouponReason.EXPIRED
    if template.currency is not None and template.currency != currency:
        return CouponReason.CURRENCY
    if template.total_limit is not None and coupon.uses_total + earlier_in_order >= template.total_limit:
        return CouponReason.TOTAL_LIMIT
    if template.per_customer_limit is not None and (
        coupon.uses_by_customer + earlier_in_order >= template.per_customer_limit
    ):
        return CouponReason.CUSTOMER_LIMIT
    return None


# ---------------------------------------------------------------- stacking policy

# Within a stage, a higher `priority` goes first; then this kind order; then the id (deterministic).
_ITEM_KIND_ORDER = {PromotionKind.BUY_X_GET_Y: 0, PromotionKind.PERCENT_OFF: 1}
_COUPON_KIND_ORDER = {CouponKind.AMOUNT_OFF: 0, CouponKind.PERCENT_OFF: 1, CouponKind.FREE_SHIPPING: 2}


def promotion_order_key(promotion: Promotion) -> tuple[int, int, str]:
    """The order in which promotions of one stage are tried (and listed in the breakdown)."""
    return (-promotion.priority, _ITEM_KIND_ORDER.get(promotion.kind, 0), promotion.promotion_id)


def coupon_slot(template: CouponTemplate) -> tuple[str, str]:
    """The slot a coupon occupies: (store id or PLATFORM, "shipping" | "goods").

    An order holds at most one coupon per slot — so one store coupon per store, one platform coupon,
    and separately one free-shipping coupon of each — unless every coupon in the slot is `stackable`.
    """
    return (template.scope.level, "shipping" if template.for_shipping else "goods")


def coupon_order_key(coupon: Coupon) -> tuple[int, int, str]:
    """Coupons apply store coupons first, then platform ones; amount-off before percentage; then by code.

    A percentage coupon therefore works on what is left after amount-off coupons, and a platform
    coupon on what is left after the stores' own coupons.
    """
    template = coupon.template
    return (1 if template.scope.is_platform else 0, _COUPON_KIND_ORDER[template.kind], coupon.code)


# ---------------------------------------------------------------- points


@dataclass(frozen=True, slots=True)
class PointsRate:
    """`points` points correspond to `value` (e.g. 100 points = 1.00 CNY)."""

    points: int
    value: Money

    def __post_init__(self) -> None:
        if type(self.points) is not int or self.points < 1:
            raise InvalidRequest("a points rate needs a positive whole number of points", field="rate.points")
        if self.value.amount <= 0:
            raise InvalidRequest("a points rate needs a positive value", field="rate.value")

    @property
    def step(self) -> int:
        """The smallest number of points worth a whole number of minor units (1 for 100 = 1.00)."""
        return self.points // gcd(self.points, self.value.amount)

    @property
    def step_value(self) -> int:
        """Minor units one `step` of points is worth."""
        return self.value.amount // gcd(self.points, self.value.amount)

    def value_of(self, points: int) -> int:
        """Exact minor units of `points`, which must be a multiple of `step`."""
        if points % self.step:
            raise ValueError(f"{points} points are not a whole number of minor units")
        return points // self.step * self.step_value

    def points_for(self, amount: int) -> int:
        """Whole points earned on `amount` minor units, rounded down (1 per 1.00: 1.99 earns 1)."""
        return amount * self.points // self.value.amount


@dataclass(frozen=True, slots=True, kw_only=True)
class PointsRules:
    """A points programme in one currency.

    Redemption: points pay for goods at `redeem_rate`, at most `cap_bps` of the goods' payable after
    discounts (before shipping). Earning: `earn_rate` points per amount paid for goods, credited when
    the order completes (None: this programme earns nothing).
    """

    redeem_rate: PointsRate
    cap_bps: int
    earn_rate: PointsRate | None = None

    def __post_init__(self) -> None:
        if type(self.cap_bps) is not int or not 0 <= self.cap_bps <= BPS:
            raise InvalidRequest(f"the points cap is 0..{BPS} basis points", field="capBps")
        if self.earn_rate is not None and self.earn_rate.value.currency != self.redeem_rate.value.currency:
            raise InvalidRequest("earning and redemption rates must share one currency", field="earnRate")

    @property
    def currency(self) -> str:
        return self.redeem_rate.value.currency
