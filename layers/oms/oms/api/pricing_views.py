"""Response bodies of the pricing admin routes (the promotions function): promotions, coupon templates
and coupons, points programmes, FX rates and points accounts, as `oms.services.pricing_admin` and
`oms.views.pricing` build them.

Rules, benefits, scopes and windows have the one JSON shape of `oms.domain.rules_json` (what an
operator sends is what is stored and shown). A promotion's `rule` and a template's `benefit` depend on
its `kind`: each is one of the kinds' shapes (their fields tell them apart). Audit entries record the
subject as it was before and after a change, in the subject's own shape: `before` and `after` are
JSON objects, not typed field by field."""

from __future__ import annotations

from typing import Any, Literal

from oms.api.schemas import MoneyOut, Page, View
from oms.domain.promotions import CouponKind, PromotionKind, WindowState

Json = dict[str, Any]


class AuditEntry(View):
    """One change of a setting, promotion or template: who made it, when, why, and the subject before and
    after (null when it did not exist, or was not recorded)."""

    action: str
    by: str
    role: str
    at: str
    before: Json | None
    after: Json | None
    reason: str | None


# ---------------------------------------------------------------- shared pieces
class RuleScope(View):
    """What a rule applies to: one store's goods (null: the whole platform), narrowed to categories or
    SKUs when any are listed."""

    storeId: str | None
    categoryIds: list[str]
    skuIds: list[str]


class RuleWindow(View):
    """When a rule applies (RFC 3339, UTC); `endsAt` null: open-ended."""

    startsAt: str
    endsAt: str | None


# ---------------------------------------------------------------- promotions
class BuyXGetYRule(View):
    """buy_x_get_y: for every `buy + get` units in scope, the `get` cheapest units in scope are free."""

    buy: int
    get: int


class PercentOffRule(View):
    """percent_off (a promotion or a coupon): `bps` basis points off the amount in scope, at most `cap`
    (null: no cap)."""

    bps: int
    cap: MoneyOut | None


class SpendTier(View):
    """Spend at least `threshold` in scope and save `off`."""

    threshold: MoneyOut
    off: MoneyOut


class SpendAndSaveRule(View):
    """spend_and_save: only the highest tier reached applies (thresholds and savings rise tier by tier)."""

    tiers: list[SpendTier]


class FreeShippingOverRule(View):
    """free_shipping: each store in scope ships free once the amount in scope reaches `threshold`."""

    threshold: MoneyOut


class Promotion(View):
    """A promotion as the directory keeps it, with where now falls in its window."""

    promotionId: str
    name: str
    kind: PromotionKind
    rule: BuyXGetYRule | PercentOffRule | SpendAndSaveRule | FreeShippingOverRule
    scope: RuleScope
    window: RuleWindow
    priority: int
    allowCoupons: bool
    status: Literal["ACTIVE", "ENDED"]
    createdAt: str
    createdBy: str
    updatedAt: str
    updatedBy: str
    version: int
    windowState: WindowState


class PromotionDetail(Promotion):
    """A promotion with its newest audit entries (at most 20, newest first)."""

    audit: list[AuditEntry]


# ---------------------------------------------------------------- coupon templates and coupons
class AmountOffBenefit(View):
    """amount_off: a fixed amount off the goods in scope."""

    amount: MoneyOut


class FreeShippingBenefit(View):
    """free_shipping: the shipping fee of the stores in scope, up to `cap` (null: all of it)."""

    cap: MoneyOut | None


class CouponTemplateDefinition(View):
    """A template as an operator defined it; every coupon carries a copy from when it was issued."""

    templateId: str
    name: str
    kind: CouponKind
    benefit: AmountOffBenefit | PercentOffRule | FreeShippingBenefit
    scope: RuleScope
    window: RuleWindow
    minSpend: MoneyOut | None
    totalLimit: int | None
    perCustomerLimit: int | None
    stackable: bool


class CouponTemplate(CouponTemplateDefinition):
    """A coupon template with its status and counters (`used`: uses in orders, returned uses subtracted)."""

    status: Literal["ACTIVE", "DISABLED"]
    issued: int
    used: int
    createdAt: str
    createdBy: str
    updatedAt: str
    version: int


class CouponTemplateDetail(CouponTemplate):
    """A coupon template with its newest audit entries (at most 20, newest first)."""

    audit: list[AuditEntry]


class Coupon(View):
    """An issued coupon (`ownerId` null: a public code anyone may use within the template's limits);
    `templateStatus` says whether its template still accepts uses (DISABLED: unusable)."""

    code: str
    templateId: str
    template: CouponTemplateDefinition
    ownerId: str | None
    status: Literal["AVAILABLE", "USED", "VOID"]
    orderId: str | None
    issuedAt: str
    usedAt: str | None
    templateStatus: Literal["ACTIVE", "DISABLED"] | None


class IssuedCoupons(View):
    """What one issuing request created (a replay answers the same)."""

    templateId: str
    issued: int
    coupons: list[Coupon]


# ---------------------------------------------------------------- points programmes and FX rates
class PointsRateOut(View):
    """`points` points are worth `value`."""

    points: int
    value: MoneyOut


class PointsProgramme(View):
    """One currency's points: the redeem rate, the largest share of the goods points may pay (basis
    points), and the earn rate (null: no points earned)."""

    redeemRate: PointsRateOut
    capBps: int
    earnRate: PointsRateOut | None


class PointsRules(View):
    """The points programmes by currency (a currency without one has no points), and the settings'
    version (0: never set) for If-Match."""

    programmes: dict[str, PointsProgramme]
    version: int
    updatedAt: str | None
    updatedBy: str | None


class PointsRulesDetail(PointsRules):
    """The points programmes with their newest audit entries (at most 20, newest first)."""

    audit: list[AuditEntry]


class FxRateEntry(View):
    """1 unit of the currency is `numerator / denominator` units of the reporting currency (`rate`, the
    same to 18 decimals); `updatedAt`: when this rate was last set."""

    rate: str
    numerator: int
    denominator: int
    updatedAt: str | None


class FxRates(View):
    """The reporting currency and each other currency's rate to it, and the settings' version (0: never
    set) for If-Match."""

    reportingCurrency: str
    rates: dict[str, FxRateEntry]
    version: int
    updatedAt: str | None
    updatedBy: str | None


class FxRatesDetail(FxRates):
    """The FX rates with their newest audit entries (at most 20, newest first)."""

    audit: list[AuditEntry]


# ---------------------------------------------------------------- points accounts
class PointsEntry(View):
    """One move of a customer's points: + credit, - debit."""

    delta: int
    kind: Literal["redeem", "return", "earn", "revoke", "adjust"]  # revoke: points a refund takes back
    orderId: str | None
    reason: str | None
    by: str
    at: str


class PointsAccount(View):
    """A customer's points: what is available, and one page of the ledger, newest first (pass
    `next_cursor` back as `cursor` for the next; null: the last page)."""

    customerId: str
    available: int
    entries: list[PointsEntry]
    next_cursor: str | None


class PointsAdjustment(View):
    """A staff adjustment: the move, the balance after it and its ledger entry."""

    customerId: str
    delta: int
    available: int
    entry: PointsEntry


PromotionPage = Page[Promotion]
CouponTemplatePage = Page[CouponTemplate]
CouponPage = Page[Coupon]


class MemberTier(View):
    tierId: str
    name: str
    threshold: int
    discountBps: int


class MemberTiers(View):
    """The member tiers, lowest first; `measure`: what their thresholds count (lifetime points earned);
    the settings' version (0: never set) for If-Match."""

    measure: str
    tiers: list[MemberTier]
    version: int
    updatedAt: str | None
    updatedBy: str | None


class MemberTiersDetail(MemberTiers):
    """The member tiers with their newest audit entries (at most 20, newest first)."""

    audit: list[AuditEntry]


class Membership(View):
    """Where a customer stands: their tier (null: below every tier), the measure, the next tier and the
    points still missing to reach it (null: at the top)."""

    customerId: str
    measure: str
    pointsEarned: int
    tier: MemberTier | None
    nextTier: MemberTier | None
    pointsToNextTier: int | None
