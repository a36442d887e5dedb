"""The rules JSON codec: every rule kind survives a round trip unchanged, and bad input fails with the
field path an operator needs to find the mistake."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from oms.domain.errors import InvalidRequest
from oms.domain.money import Money
from oms.domain.promotions import (
    AmountOff,
    BuyXGetY,
    CouponTemplate,
    FreeShipping,
    FreeShippingOver,
    PercentOff,
    PointsRate,
    PointsRules,
    Promotion,
    Scope,
    SpendAndSave,
    Tier,
    ValidityWindow,
)
from oms.domain.rules_json import (
    points_rules_from_dict,
    points_rules_to_dict,
    promotion_from_dict,
    promotion_to_dict,
    template_from_dict,
    template_to_dict,
)

START = datetime(2026, 11, 1, tzinfo=UTC)
WINDOW = ValidityWindow(START, START + timedelta(days=30))
OPEN = ValidityWindow(START)


def cny(amount: int) -> Money:
    return Money(amount, "CNY")


def usd(amount: int) -> Money:
    return Money(amount, "USD")


def field_of(excinfo: pytest.ExceptionInfo[InvalidRequest]) -> object:
    return excinfo.value.extensions.get("field")


def through_json(data: dict[str, Any]) -> dict[str, Any]:
    """What the store keeps and reads back (JSONAttribute is a JSON string)."""
    decoded: dict[str, Any] = json.loads(json.dumps(data))
    return decoded


# ---------------------------------------------------------------- round trips
PROMOTIONS = [
    Promotion(promotion_id="P-BXGY", rule=BuyXGetY(2, 1), scope=Scope(store_id="demo"), window=WINDOW, name="2+1"),
    Promotion(
        promotion_id="P-PCT",
        rule=PercentOff(1500, cny(3000)),
        scope=Scope(store_id="demo", category_ids=frozenset({"apparel", "home"})),
        window=OPEN,
        priority=5,
        allow_coupons=False,
    ),
    Promotion(promotion_id="P-PCT-NOCAP", rule=PercentOff(1000), scope=Scope(sku_ids=frozenset({"MUG"})), window=OPEN),
    Promotion(
        promotion_id="P-SAVE",
        rule=SpendAndSave((Tier(cny(20000), cny(5000)), Tier(cny(40000), cny(12000)))),
        scope=Scope(store_id="demo"),
        window=WINDOW,
        priority=-3,
    ),
    Promotion(promotion_id="P-SHIP", rule=FreeShippingOver(cny(9900)), scope=Scope(), window=OPEN),
]


@pytest.mark.parametrize("promotion", PROMOTIONS, ids=lambda p: p.promotion_id)
def test_every_promotion_kind_round_trips(promotion: Promotion) -> None:
    data = through_json(promotion_to_dict(promotion))
    assert promotion_from_dict(data) == promotion
    assert data["kind"] == promotion.kind.value
    assert promotion_to_dict(promotion_from_dict(data)) == data


def test_promotion_json_has_the_documented_shape() -> None:
    assert promotion_to_dict(PROMOTIONS[3]) == {
        "promotionId": "P-SAVE",
        "name": "",
        "kind": "spend_and_save",
        "rule": {
            "tiers": [
                {"threshold": {"amount": 20000, "currency": "CNY"}, "off": {"amount": 5000, "currency": "CNY"}},
                {"threshold": {"amount": 40000, "currency": "CNY"}, "off": {"amount": 12000, "currency": "CNY"}},
            ]
        },
        "scope": {"storeId": "demo", "categoryIds": [], "skuIds": []},
        "window": {"startsAt": "2026-11-01T00:00:00.000Z", "endsAt": "2026-12-01T00:00:00.000Z"},
        "priority": -3,
        "allowCoupons": True,
    }


def test_scope_ids_are_written_sorted_so_equal_rules_store_equal_json() -> None:
    scope = Scope(sku_ids=frozenset({"b", "c", "a"}), category_ids=frozenset({"z", "y"}))
    promotion = Promotion(promotion_id="P", rule=BuyXGetY(1, 1), scope=scope, window=OPEN)
    data = promotion_to_dict(promotion)
    assert data["scope"] == {"storeId": None, "categoryIds": ["y", "z"], "skuIds": ["a", "b", "c"]}


def test_windows_in_other_offsets_are_written_in_utc_and_mean_the_same_instant() -> None:
    shanghai = timezone(timedelta(hours=8))
    window = ValidityWindow(datetime(2026, 11, 11, 0, 0, tzinfo=shanghai))
    promotion = Promotion(promotion_id="P", rule=BuyXGetY(1, 1), scope=Scope(), window=window)
    data = promotion_to_dict(promotion)
    assert data["window"] == {"startsAt": "2026-11-10T16:00:00.000Z", "endsAt": None}
    assert promotion_from_dict(data).window.starts_at == window.starts_at


TEMPLATES = [
    CouponTemplate(
        template_id="T-AMT",
        benefit=AmountOff(cny(1000)),
        scope=Scope(),
        window=OPEN,
        min_spend=cny(10000),
        per_customer_limit=1,
        name="10 off 100",
    ),
    CouponTemplate(
        template_id="T-PCT",
        benefit=PercentOff(2000, usd(500)),
        scope=Scope(store_id="us", sku_ids=frozenset({"A", "B"})),
        window=WINDOW,
        total_limit=1000,
        stackable=True,
    ),
    CouponTemplate(template_id="T-PCT-NOCAP", benefit=PercentOff(500), scope=Scope(), window=OPEN),
    CouponTemplate(template_id="T-SHIP", benefit=FreeShipping(), scope=Scope(store_id="demo"), window=OPEN),
    CouponTemplate(template_id="T-SHIP-CAP", benefit=FreeShipping(cny(800)), scope=Scope(), window=WINDOW),
]


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: t.template_id)
def test_every_coupon_kind_round_trips(template: CouponTemplate) -> None:
    data = through_json(template_to_dict(template))
    assert template_from_dict(data) == template
    assert data["kind"] == template.kind.value
    assert template_to_dict(template_from_dict(data)) == data


def test_template_json_has_the_documented_shape() -> None:
    assert template_to_dict(TEMPLATES[0]) == {
        "templateId": "T-AMT",
        "name": "10 off 100",
        "kind": "amount_off",
        "benefit": {"amount": {"amount": 1000, "currency": "CNY"}},
        "scope": {"storeId": None, "categoryIds": [], "skuIds": []},
        "window": {"startsAt": "2026-11-01T00:00:00.000Z", "endsAt": None},
        "minSpend": {"amount": 10000, "currency": "CNY"},
        "totalLimit": None,
        "perCustomerLimit": 1,
        "stackable": False,
    }


@pytest.mark.parametrize(
    "rules",
    [
        PointsRules(redeem_rate=PointsRate(100, cny(100)), cap_bps=5000, earn_rate=PointsRate(1, cny(100))),
        PointsRules(redeem_rate=PointsRate(100, usd(1)), cap_bps=0),
        PointsRules(redeem_rate=PointsRate(3, cny(7)), cap_bps=10_000, earn_rate=PointsRate(5, cny(1000))),
    ],
    ids=["cny-earning", "usd-no-earning", "odd-ratios"],
)
def test_points_rules_round_trip(rules: PointsRules) -> None:
    data = through_json(points_rules_to_dict(rules))
    assert points_rules_from_dict(data) == rules
    assert points_rules_to_dict(points_rules_from_dict(data)) == data


def test_points_rules_json_has_the_documented_shape() -> None:
    rules = PointsRules(redeem_rate=PointsRate(100, cny(100)), cap_bps=5000, earn_rate=PointsRate(1, cny(100)))
    assert points_rules_to_dict(rules) == {
        "redeemRate": {"points": 100, "value": {"amount": 100, "currency": "CNY"}},
        "capBps": 5000,
        "earnRate": {"points": 1, "value": {"amount": 100, "currency": "CNY"}},
    }


# ---------------------------------------------------------------- bad input, with field paths
def promotion_json(**changes: Any) -> dict[str, Any]:
    data = promotion_to_dict(PROMOTIONS[3])
    data.update(changes)
    return data


def tiers(*pairs: tuple[Any, Any]) -> dict[str, Any]:
    return {"tiers": [{"threshold": t, "off": o} for t, o in pairs]}


def money(amount: Any, currency: Any = "CNY") -> dict[str, Any]:
    return {"amount": amount, "currency": currency}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"window": {"startsAt": "2026-12-01T00:00:00Z", "endsAt": "2026-11-01T00:00:00Z"}}, "window.endsAt"),
        ({"window": {"startsAt": "2026-11-01T00:00:00Z", "endsAt": "2026-11-01T00:00:00Z"}}, "window.endsAt"),
        ({"window": {"startsAt": 1767225600}}, "window.startsAt"),
        ({"window": {}}, "window.startsAt"),
        ({"window": {"startsAt": "next tuesday"}}, "window.startsAt"),
        ({"window": {"startsAt": "2026-11-01T00:00:00Z", "endsAt": "2026-02-30T00:00:00Z"}}, "window.endsAt"),
        ({"rule": tiers((money(40000), money(5000)), (money(20000), money(8000)))}, "rule.tiers[1]"),
        ({"rule": tiers((money(20000), money(5000)), (money(40000), money(5000)))}, "rule.tiers[1]"),
        ({"rule": tiers((money(20000), money(0)))}, "rule.tiers[0]"),
        ({"rule": tiers((money(20000), money(-100)))}, "rule.tiers[0]"),
        ({"rule": tiers((money(20000), money(5000, "USD")))}, "rule.tiers"),
        pytest.param({"rule": tiers((money("200.00"), money(5000)))}, "rule.tiers[0].threshold"),
        ({"rule": tiers((money(20000), "50"))}, "rule.tiers[0].off"),
        pytest.param({"rule": tiers((money(20000), money(5000, "XYZ")))}, "rule.tiers[0].off"),
        ({"rule": {"tiers": []}}, "rule.tiers"),
        ({"rule": {"tiers": "all of them"}}, "rule.tiers"),
        ({"kind": "buy_x_get_y", "rule": {"buy": 0, "get": 1}}, "rule.buy"),
        ({"kind": "buy_x_get_y", "rule": {"buy": 2, "get": 1000}}, "rule.get"),
        ({"kind": "buy_x_get_y", "rule": {"buy": True, "get": 1}}, "rule.buy"),
        ({"kind": "percent_off", "rule": {"bps": 0}}, "rule.bps"),
        ({"kind": "percent_off", "rule": {"bps": 10_001}}, "rule.bps"),
        ({"kind": "percent_off", "rule": {"bps": 12.5}}, "rule.bps"),
        ({"kind": "percent_off", "rule": {"bps": 1000, "cap": money(0)}}, "rule.cap"),
        ({"kind": "free_shipping", "rule": {"threshold": money(-1)}}, "rule.threshold"),
        ({"kind": "free_shipping", "rule": {}}, "rule.threshold"),
        ({"promotionId": ""}, "promotionId"),
        ({"priority": "high"}, "priority"),
    ],
)
def test_bad_promotions_fail_with_the_field_path(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidRequest) as excinfo:
        promotion_from_dict(promotion_json(**changes))
    assert field_of(excinfo) == field
    assert excinfo.value.status == 422


def template_json(**changes: Any) -> dict[str, Any]:
    data = template_to_dict(TEMPLATES[0])
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"benefit": {"amount": money(0)}}, "benefit.amount"),
        ({"benefit": {"amount": money(-500)}}, "benefit.amount"),
        ({"benefit": {}}, "benefit.amount"),
        ({"minSpend": money(10000, "USD")}, "minSpend"),
        ({"minSpend": money(-1)}, "minSpend"),
        ({"minSpend": 100}, "minSpend"),
        ({"kind": "free_shipping", "benefit": {"cap": money(0)}}, "benefit.cap"),
        ({"totalLimit": 0}, "total_limit"),
        ({"perCustomerLimit": -1}, "per_customer_limit"),
        ({"window": {"startsAt": "2026-12-01T00:00:00Z", "endsAt": "2026-11-30T00:00:00Z"}}, "window.endsAt"),
        ({"templateId": ""}, "templateId"),
    ],
)
def test_bad_templates_fail_with_the_field_path(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidRequest) as excinfo:
        template_from_dict(template_json(**changes))
    assert field_of(excinfo) == field


def points_json(**changes: Any) -> dict[str, Any]:
    data = points_rules_to_dict(
        PointsRules(redeem_rate=PointsRate(100, cny(100)), cap_bps=5000, earn_rate=PointsRate(1, cny(100)))
    )
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"capBps": 10_001}, "capBps"),
        ({"capBps": -1}, "capBps"),
        ({"capBps": None}, "capBps"),
        ({"earnRate": {"points": 1, "value": money(100, "USD")}}, "earnRate"),
        ({"earnRate": {"points": 1, "value": "1.00"}}, "earnRate.value"),
        ({"redeemRate": {"points": 100, "value": None}}, "redeemRate.value"),
        ({"redeemRate": {"points": 0, "value": money(100)}}, "rate.points"),
        ({"redeemRate": {"points": 100, "value": money(0)}}, "rate.value"),
    ],
)
def test_bad_points_rules_fail_with_the_field_path(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidRequest) as excinfo:
        points_rules_from_dict(points_json(**changes))
    assert field_of(excinfo) == field
