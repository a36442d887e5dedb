"""Promotion, coupon-template and points rules as JSON, both ways.

One shape serves the admin API and the stored items, so what an operator sends is what is kept and
what checkout reads back. Building the domain value validates it (the rule classes check themselves),
so a bad rule fails with a field path when it is written, never at checkout. Money is
`{"amount": <minor units>, "currency": "CNY"}`; timestamps are RFC 3339 with an offset.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from oms.domain.clock import parse_rfc3339, to_rfc3339
from oms.domain.errors import InvalidRequest
from oms.domain.money import Money
from oms.domain.promotions import (
    AmountOff,
    BuyXGetY,
    CouponBenefit,
    CouponKind,
    CouponTemplate,
    FreeShipping,
    FreeShippingOver,
    PercentOff,
    PointsRate,
    PointsRules,
    Promotion,
    PromotionKind,
    PromotionRule,
    Scope,
    SpendAndSave,
    Tier,
    ValidityWindow,
)

Json = dict[str, Any]


def _money(data: object, field: str) -> Money:
    if not isinstance(data, Mapping):
        raise InvalidRequest("an amount is {amount, currency}", field=field)
    try:
        return Money.from_dict(data)
    except InvalidRequest as error:
        raise InvalidRequest(error.detail, field=field) from error
    except (KeyError, TypeError, ValueError) as error:
        raise InvalidRequest(f"not a valid amount: {error}", field=field) from error


def _optional_money(data: object, field: str) -> Money | None:
    return None if data is None else _money(data, field)


def _time(value: object, field: str) -> Any:
    if not isinstance(value, str):
        raise InvalidRequest("a timestamp is an RFC 3339 string", field=field)
    try:
        moment = parse_rfc3339(value)
    except ValueError as error:
        raise InvalidRequest("not an RFC 3339 timestamp with an offset", field=field) from error
    if moment.tzinfo is None:
        raise InvalidRequest("timestamps must carry a timezone", field=field)
    return moment


# ---------------------------------------------------------------- window and scope


def window_to_dict(window: ValidityWindow) -> Json:
    return {
        "startsAt": to_rfc3339(window.starts_at),
        "endsAt": None if window.ends_at is None else to_rfc3339(window.ends_at),
    }


def window_from_dict(data: Mapping[str, Any]) -> ValidityWindow:
    ends = data.get("endsAt")
    return ValidityWindow(
        _time(data.get("startsAt"), "window.startsAt"), None if ends is None else _time(ends, "window.endsAt")
    )


def scope_to_dict(scope: Scope) -> Json:
    return {
        "storeId": scope.store_id,
        "categoryIds": sorted(scope.category_ids),
        "skuIds": sorted(scope.sku_ids),
    }


def scope_from_dict(data: Mapping[str, Any]) -> Scope:
    return Scope(
        store_id=data.get("storeId"),
        category_ids=frozenset(data.get("categoryIds") or ()),
        sku_ids=frozenset(data.get("skuIds") or ()),
    )


# ---------------------------------------------------------------- promotions


def rule_to_dict(rule: PromotionRule) -> Json:
    if isinstance(rule, BuyXGetY):
        return {"buy": rule.buy, "get": rule.get}
    if isinstance(rule, PercentOff):
        return {"bps": rule.bps, "cap": None if rule.cap is None else rule.cap.to_dict()}
    if isinstance(rule, SpendAndSave):
        return {"tiers": [{"threshold": t.threshold.to_dict(), "off": t.off.to_dict()} for t in rule.tiers]}
    return {"threshold": rule.threshold.to_dict()}


def rule_from_dict(kind: PromotionKind, data: Mapping[str, Any]) -> PromotionRule:
    if kind is PromotionKind.BUY_X_GET_Y:
        return BuyXGetY(data.get("buy"), data.get("get"))  # type: ignore[arg-type]  # validated by the rule
    if kind is PromotionKind.PERCENT_OFF:
        return PercentOff(data.get("bps"), _optional_money(data.get("cap"), "rule.cap"))  # type: ignore[arg-type]
    if kind is PromotionKind.SPEND_AND_SAVE:
        tiers = data.get("tiers")
        if not isinstance(tiers, list):
            raise InvalidRequest("tiers is a list", field="rule.tiers")
        return SpendAndSave(
            tuple(
                Tier(
                    _money(t.get("threshold"), f"rule.tiers[{n}].threshold"),
                    _money(t.get("off"), f"rule.tiers[{n}].off"),
                )
                for n, t in enumerate(tiers)
            )
        )
    return FreeShippingOver(_money(data.get("threshold"), "rule.threshold"))


def promotion_to_dict(promotion: Promotion) -> Json:
    return {
        "promotionId": promotion.promotion_id,
        "name": promotion.name,
        "kind": promotion.kind.value,
        "rule": rule_to_dict(promotion.rule),
        "scope": scope_to_dict(promotion.scope),
        "window": window_to_dict(promotion.window),
        "priority": promotion.priority,
        "allowCoupons": promotion.allow_coupons,
    }


K = TypeVar("K", PromotionKind, CouponKind)


def _kind(kinds: type[K], value: object) -> K:
    try:
        return kinds(str(value))
    except ValueError as error:
        raise InvalidRequest(f"kind must be one of {', '.join(kinds)}", field="kind") from error


def promotion_from_dict(data: Mapping[str, Any]) -> Promotion:
    kind = _kind(PromotionKind, data.get("kind"))
    return Promotion(
        promotion_id=data["promotionId"],
        name=data.get("name") or "",
        rule=rule_from_dict(kind, data.get("rule") or {}),
        scope=scope_from_dict(data.get("scope") or {}),
        window=window_from_dict(data.get("window") or {}),
        priority=data.get("priority", 0),
        allow_coupons=data.get("allowCoupons", True),
    )


# ---------------------------------------------------------------- coupon templates


def benefit_to_dict(benefit: CouponBenefit) -> Json:
    if isinstance(benefit, AmountOff):
        return {"amount": benefit.amount.to_dict()}
    if isinstance(benefit, PercentOff):
        return {"bps": benefit.bps, "cap": None if benefit.cap is None else benefit.cap.to_dict()}
    return {"cap": None if benefit.cap is None else benefit.cap.to_dict()}


def benefit_from_dict(kind: CouponKind, data: Mapping[str, Any]) -> CouponBenefit:
    if kind is CouponKind.AMOUNT_OFF:
        return AmountOff(_money(data.get("amount"), "benefit.amount"))
    if kind is CouponKind.PERCENT_OFF:
        return PercentOff(data.get("bps"), _optional_money(data.get("cap"), "benefit.cap"))  # type: ignore[arg-type]
    return FreeShipping(_optional_money(data.get("cap"), "benefit.cap"))


def template_to_dict(template: CouponTemplate) -> Json:
    return {
        "templateId": template.template_id,
        "name": template.name,
        "kind": template.kind.value,
        "benefit": benefit_to_dict(template.benefit),
        "scope": scope_to_dict(template.scope),
        "window": window_to_dict(template.window),
        "minSpend": None if template.min_spend is None else template.min_spend.to_dict(),
        "totalLimit": template.total_limit,
        "perCustomerLimit": template.per_customer_limit,
        "stackable": template.stackable,
    }


def template_from_dict(data: Mapping[str, Any]) -> CouponTemplate:
    kind = _kind(CouponKind, data.get("kind"))
    return CouponTemplate(
        template_id=data["templateId"],
        name=data.get("name") or "",
        benefit=benefit_from_dict(kind, data.get("benefit") or {}),
        scope=scope_from_dict(data.get("scope") or {}),
        window=window_from_dict(data.get("window") or {}),
        min_spend=_optional_money(data.get("minSpend"), "minSpend"),
        total_limit=data.get("totalLimit"),
        per_customer_limit=data.get("perCustomerLimit"),
        stackable=bool(data.get("stackable", False)),
    )


# ---------------------------------------------------------------- points


def _rate_to_dict(rate: PointsRate) -> Json:
    return {"points": rate.points, "value": rate.value.to_dict()}


def _rate_from_dict(data: Mapping[str, Any], field: str) -> PointsRate:
    return PointsRate(data.get("points"), _money(data.get("value"), f"{field}.value"))  # type: ignore[arg-type]


def points_rules_to_dict(rules: PointsRules) -> Json:
    return {
        "redeemRate": _rate_to_dict(rules.redeem_rate),
        "capBps": rules.cap_bps,
        "earnRate": None if rules.earn_rate is None else _rate_to_dict(rules.earn_rate),
    }


def points_rules_from_dict(data: Mapping[str, Any]) -> PointsRules:
    earn = data.get("earnRate")
    return PointsRules(
        redeem_rate=_rate_from_dict(data.get("redeemRate") or {}, "redeemRate"),
        cap_bps=data.get("capBps"),  # type: ignore[arg-type]  # validated by PointsRules
        earn_rate=None if earn is None else _rate_from_dict(earn, "earnRate"),
    )
