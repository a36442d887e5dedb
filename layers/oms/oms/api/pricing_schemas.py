"""Request bodies of the pricing admin routes: promotions, coupon templates and issuance, points
programmes, FX rates and points adjustments.

The shapes mirror `oms.domain.rules_json` (one JSON shape for the API and the stored items). A body is
checked here for shape, types and bounds (unknown fields, wrong types, negative amounts → 422 with
field paths); then `model_dump(mode="json")` goes through the rules_json codec, whose domain values
check the business rules (rising tiers, a window that ends after it starts, one currency per rule).

A promotion's `rule` and a template's `benefit` depend on its `kind`: they are checked against the
kind's own model in a second step, so an error path reads `rule.tiers.1.off.amount` instead of naming
a union member.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, Field, StringConstraints, ValidationError, field_validator, model_validator

from oms.api.problems import HttpProblem
from oms.api.schemas import AuditReason, Id, MoneyIn, Reason, ShortText, Strict
from oms.domain.errors import InvalidRequest
from oms.domain.fx import FxRate
from oms.domain.membership import MAX_THRESHOLD, TIER_ID, MemberTier, MemberTiers
from oms.domain.membership import MAX_TIERS as MAX_MEMBER_TIERS
from oms.domain.money import MAX_AMOUNT, SUPPORTED_CURRENCIES
from oms.domain.promotions import BPS, CouponTemplate, PointsRules, Promotion
from oms.domain.rules_json import points_rules_from_dict, promotion_from_dict, template_from_dict

M = TypeVar("M", bound=Strict)

MAX_TIERS = 20
MAX_SCOPE_IDS = 200
MAX_ISSUE = 25  # customers per issuing request: one transaction holds them all (with template and audit)
MAX_POINTS_DELTA = 10_000_000
MAX_USE_LIMIT = 10_000_000
MAX_RATE_POINTS = 1_000_000_000
PUBLIC_CODE_PATTERN = r"^[A-Z0-9-]{4,32}$"


def _supported(currency: str) -> str:
    if currency not in SUPPORTED_CURRENCIES:
        raise ValueError(f"unsupported currency {currency!r}")
    return currency


Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$"), AfterValidator(_supported)]
# RFC 3339 with an explicit offset ("Z" or ±hh:mm): a validity window is never in "local time".
Timestamp = Annotated[
    str,
    StringConstraints(max_length=40, pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$"),
]
ScopeIds = Annotated[list[Id], Field(max_length=MAX_SCOPE_IDS)]
RateText = Annotated[str, StringConstraints(max_length=37, pattern=r"^\d{1,18}(\.\d{1,18})?$")]
PublicCode = Annotated[str, StringConstraints(pattern=PUBLIC_CODE_PATTERN)]


class PositiveMoneyIn(MoneyIn):
    """An amount that must be more than zero (a saving, a cap, a points value)."""

    amount: int = Field(ge=1, le=MAX_AMOUNT)


# ---------------------------------------------------------------- shared pieces
class ScopeIn(Strict):
    storeId: Id | None = None  # None: platform-wide
    categoryIds: ScopeIds = Field(default_factory=list)
    skuIds: ScopeIds = Field(default_factory=list)


class WindowIn(Strict):
    startsAt: Timestamp
    endsAt: Timestamp | None = None  # None: open-ended


# ---------------------------------------------------------------- promotion rules
class BuyXGetYIn(Strict):
    buy: int = Field(ge=1, le=999)
    get: int = Field(ge=1, le=999)


class PercentOffIn(Strict):
    bps: int = Field(ge=1, le=BPS)
    cap: PositiveMoneyIn | None = None


class TierIn(Strict):
    threshold: MoneyIn
    off: PositiveMoneyIn


class SpendAndSaveIn(Strict):
    tiers: list[TierIn] = Field(min_length=1, max_length=MAX_TIERS)


class FreeShippingOverIn(Strict):
    threshold: MoneyIn


PromotionKindIn = Literal["buy_x_get_y", "percent_off", "spend_and_save", "free_shipping"]
PROMOTION_RULES: dict[str, type[Strict]] = {
    "buy_x_get_y": BuyXGetYIn,
    "percent_off": PercentOffIn,
    "spend_and_save": SpendAndSaveIn,
    "free_shipping": FreeShippingOverIn,
}


class PromotionIn(Strict):
    """POST /promotions and PUT /promotions/{id}: the whole promotion (the id comes from the server)."""

    kind: PromotionKindIn
    name: ShortText
    rule: dict[str, Any]  # checked against PROMOTION_RULES[kind] by `promotion_from_body`
    scope: ScopeIn
    window: WindowIn
    priority: int = Field(default=0, ge=-1000, le=1000)
    allowCoupons: bool = True
    reason: Reason | None = None  # for the audit entry; not part of the promotion


# ---------------------------------------------------------------- coupon templates
class AmountOffIn(Strict):
    amount: PositiveMoneyIn


class FreeShippingIn(Strict):
    cap: PositiveMoneyIn | None = None


CouponKindIn = Literal["amount_off", "percent_off", "free_shipping"]
COUPON_BENEFITS: dict[str, type[Strict]] = {
    "amount_off": AmountOffIn,
    "percent_off": PercentOffIn,
    "free_shipping": FreeShippingIn,
}


class CouponTemplateIn(Strict):
    """POST /coupon-templates. Templates are immutable once created (issued coupons carry a snapshot)."""

    kind: CouponKindIn
    name: ShortText
    benefit: dict[str, Any]  # checked against COUPON_BENEFITS[kind] by `template_from_body`
    scope: ScopeIn
    window: WindowIn
    minSpend: MoneyIn | None = None
    totalLimit: int | None = Field(default=None, ge=1, le=MAX_USE_LIMIT)
    perCustomerLimit: int | None = Field(default=None, ge=1, le=MAX_USE_LIMIT)
    stackable: bool = False
    reason: Reason | None = None


class IssueIn(Strict):
    """POST /coupon-templates/{id}/coupons: to named customers, or one public code. Exactly one of them."""

    customerIds: Annotated[list[Id], Field(min_length=1, max_length=MAX_ISSUE)] | None = None
    publicCode: PublicCode | None = None
    reason: Reason | None = None

    @field_validator("customerIds")
    @classmethod
    def _distinct(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and len(set(value)) != len(value):
            raise ValueError("each customer at most once per request")
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> IssueIn:
        if (self.customerIds is None) == (self.publicCode is None):
            raise ValueError("give exactly one of customerIds and publicCode")
        return self


class DisableIn(Strict):
    reason: Reason | None = None


# ---------------------------------------------------------------- points and FX settings
class PointsRateIn(Strict):
    points: int = Field(ge=1, le=MAX_RATE_POINTS)
    value: PositiveMoneyIn


class PointsRulesIn(Strict):
    redeemRate: PointsRateIn
    capBps: int = Field(ge=0, le=BPS)
    earnRate: PointsRateIn | None = None


class PointsProgrammesIn(Strict):
    """PUT /settings/points-rules: the whole map currency → programme (a currency left out has none)."""

    programmes: Annotated[dict[Currency, PointsRulesIn], Field(max_length=len(SUPPORTED_CURRENCIES))]
    reason: Reason | None = None


class FxRatesIn(Strict):
    """PUT /settings/fx-rates: 1 <currency> = <rate> <reportingCurrency>, as decimal strings."""

    reportingCurrency: Currency
    rates: Annotated[dict[Currency, RateText], Field(max_length=len(SUPPORTED_CURRENCIES))]
    reason: Reason | None = None


class PointsAdjustmentIn(Strict):
    delta: int = Field(ge=-MAX_POINTS_DELTA, le=MAX_POINTS_DELTA)
    reason: AuditReason

    @field_validator("delta")
    @classmethod
    def _moves(cls, value: int) -> int:
        if value == 0:
            raise ValueError("an adjustment moves a non-zero number of points")
        return value


# ---------------------------------------------------------------- bodies → validated domain values
def _part(model: type[M], data: Mapping[str, Any], prefix: str) -> M:
    """Validate a kind-dependent part with the kind's model, reporting errors under `prefix`."""
    try:
        return model.model_validate(data, strict=True)
    except ValidationError as error:
        errors = [
            {
                "field": ".".join([prefix, *(str(part) for part in e["loc"])]),
                "message": e["msg"],
                "code": e["type"],
            }
            for e in error.errors(include_url=False, include_input=False)
        ]
        raise HttpProblem(
            422,
            "validation-failed",
            "The request is not valid",
            f"{prefix} has invalid fields for its kind",
            errors=errors,
        ) from error


def _located(error: InvalidRequest, prefix: str = "") -> InvalidRequest:
    """A domain validation error with its field path under `prefix`, also as an `errors` list."""
    field = str(error.extensions.get("field") or "")
    path = ".".join(part for part in (prefix, field) if part) or "(body)"
    return InvalidRequest(error.detail, field=path, errors=[{"field": path, "message": error.detail, "code": "rule"}])


def promotion_from_body(body: PromotionIn, promotion_id: str) -> Promotion:
    rule = _part(PROMOTION_RULES[body.kind], body.rule, "rule")
    data = {
        **body.model_dump(mode="json", exclude={"reason"}),
        "rule": rule.model_dump(mode="json"),
        "promotionId": promotion_id,
    }
    try:
        return promotion_from_dict(data)
    except InvalidRequest as error:
        raise _located(error) from error


def template_from_body(body: CouponTemplateIn, template_id: str) -> CouponTemplate:
    benefit = _part(COUPON_BENEFITS[body.kind], body.benefit, "benefit")
    data = {
        **body.model_dump(mode="json", exclude={"reason"}),
        "benefit": benefit.model_dump(mode="json"),
        "templateId": template_id,
    }
    try:
        return template_from_dict(data)
    except InvalidRequest as error:
        raise _located(error) from error


def points_rules_from_body(body: PointsProgrammesIn) -> dict[str, PointsRules]:
    """Each programme validated; its amounts must be in the currency it is filed under."""
    programmes: dict[str, PointsRules] = {}
    for currency, rules_in in body.programmes.items():
        prefix = f"programmes.{currency}"
        try:
            rules = points_rules_from_dict(rules_in.model_dump(mode="json"))
        except InvalidRequest as error:
            raise _located(error, prefix) from error
        if rules.currency != currency:
            raise _located(
                InvalidRequest(
                    f"the programme filed under {currency} is in {rules.currency}", field="redeemRate.value.currency"
                ),
                prefix,
            )
        programmes[currency] = rules
    return programmes


def fx_rates_from_body(body: FxRatesIn) -> dict[str, FxRate]:
    """Currency → rate to the reporting currency, parsed exactly from the decimal strings."""
    rates: dict[str, FxRate] = {}
    for currency, text in body.rates.items():
        field = f"rates.{currency}"
        if currency == body.reportingCurrency:
            raise InvalidRequest(
                "the reporting currency converts to itself at 1: leave it out",
                field=field,
                errors=[{"field": field, "message": "the reporting currency has no rate", "code": "rule"}],
            )
        try:
            rates[currency] = FxRate.parse(currency, body.reportingCurrency, text)
        except InvalidRequest as error:
            raise InvalidRequest(
                error.detail, field=field, errors=[{"field": field, "message": error.detail, "code": "rule"}]
            ) from error
    return rates


class MemberTierIn(Strict):
    tierId: Annotated[str, StringConstraints(pattern=TIER_ID.pattern)]
    name: ShortText
    threshold: int = Field(ge=0, le=MAX_THRESHOLD, description="Lifetime points earned from which the tier applies.")
    discountBps: int = Field(ge=0, lt=BPS, description="Off the unit price of a SKU without a member price for it.")


class MemberTiersIn(Strict):
    """PUT /settings/member-tiers: every tier, lowest first (thresholds strictly increase; none: no tiers)."""

    tiers: list[MemberTierIn] = Field(max_length=MAX_MEMBER_TIERS)
    reason: Reason | None = None


def member_tiers_from_body(body: MemberTiersIn) -> MemberTiers:
    """The tiers as the domain checks them (order, unique ids): a 422 with the field path otherwise."""
    return MemberTiers(tuple(MemberTier(t.tierId, t.name, t.threshold, t.discountBps) for t in body.tiers))
