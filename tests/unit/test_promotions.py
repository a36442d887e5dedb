"""Promotion, coupon and points rules: validation of what operators configure, and the stacking policy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from oms.domain.errors import InvalidRequest
from oms.domain.money import Money
from oms.domain.promotions import (
    PLATFORM,
    AmountOff,
    BuyXGetY,
    Coupon,
    CouponNotApplicable,
    CouponReason,
    CouponTemplate,
    FreeShipping,
    FreeShippingOver,
    PercentOff,
    PointsRate,
    PointsRules,
    Promotion,
    PromotionKind,
    Scope,
    SpendAndSave,
    Tier,
    ValidityWindow,
    WindowState,
    coupon_order_key,
    coupon_slot,
    coupon_static_reason,
    promotion_order_key,
)

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
OPEN = ValidityWindow(NOW - timedelta(days=1))


def cny(amount: int) -> Money:
    return Money(amount, "CNY")


def field_of(excinfo: pytest.ExceptionInfo[InvalidRequest]) -> object:
    return excinfo.value.extensions["field"]


# ---------------------------------------------------------------- windows and scopes


def test_a_window_includes_its_start_and_excludes_its_end() -> None:
    window = ValidityWindow(NOW, NOW + timedelta(hours=1))
    assert window.state(NOW - timedelta(microseconds=1)) is WindowState.NOT_STARTED
    assert window.contains(NOW)
    assert window.contains(NOW + timedelta(minutes=59, seconds=59))
    assert window.state(NOW + timedelta(hours=1)) is WindowState.ENDED


def test_an_open_ended_window_never_ends_and_compares_across_timezones() -> None:
    window = ValidityWindow(NOW)
    assert window.contains(NOW + timedelta(days=3650))
    beijing = timezone(timedelta(hours=8))
    assert window.contains(datetime(2026, 11, 22, 20, 0, tzinfo=beijing))  # the same instant as NOW
    assert not window.contains(datetime(2026, 11, 22, 19, 59, tzinfo=beijing))


def test_a_window_must_end_after_it_starts_and_carry_timezones() -> None:
    with pytest.raises(InvalidRequest) as excinfo:
        ValidityWindow(NOW, NOW)
    assert field_of(excinfo) == "window.endsAt"
    with pytest.raises(InvalidRequest, match="timezone"):
        ValidityWindow(datetime(2026, 1, 1))


@pytest.mark.parametrize(
    ("scope", "line", "covered"),
    [
        (Scope(), ("S1", "A", None), True),
        (Scope("S1"), ("S1", "A", None), True),
        (Scope("S1"), ("S2", "A", None), False),
        (Scope("S1", category_ids=frozenset({"tea"})), ("S1", "A", "tea"), True),
        (Scope("S1", category_ids=frozenset({"tea"})), ("S1", "A", None), False),
        (Scope(sku_ids=frozenset({"A"})), ("S9", "A", "x"), True),
        (Scope(category_ids=frozenset({"tea"}), sku_ids=frozenset({"A"})), ("S1", "A", "coffee"), False),
    ],
)
def test_scope_covers_a_line_when_every_given_narrowing_matches(
    scope: Scope, line: tuple[str, str, str | None], covered: bool
) -> None:
    store, sku, category = line
    assert scope.covers(store_id=store, sku_id=sku, category_id=category) is covered


def test_scope_keeps_immutable_id_sets_and_knows_its_level() -> None:
    scope = Scope("S1", category_ids={"tea"}, sku_ids=["A", "B"])  # type: ignore[arg-type]
    assert scope.category_ids == frozenset({"tea"}) and isinstance(scope.sku_ids, frozenset)
    assert hash(scope) == hash(Scope("S1", frozenset({"tea"}), frozenset({"B", "A"})))
    assert (scope.level, Scope().level, Scope().is_platform) == ("S1", PLATFORM, True)


# ---------------------------------------------------------------- promotion rules


@pytest.mark.parametrize(("buy", "get"), [(0, 1), (1, 0), (-1, 1), (1000, 1)])
def test_buy_x_get_y_needs_positive_counts(buy: int, get: int) -> None:
    with pytest.raises(InvalidRequest):
        BuyXGetY(buy, get)


def test_buy_x_get_y_frees_get_units_per_full_group() -> None:
    rule = BuyXGetY(2, 1)
    assert [rule.free_units(n) for n in range(8)] == [0, 0, 0, 1, 1, 1, 2, 2]
    assert BuyXGetY(3, 2).free_units(11) == 4


@pytest.mark.parametrize("bps", [0, -5, 10_001])
def test_percentage_is_one_to_ten_thousand_basis_points(bps: int) -> None:
    with pytest.raises(InvalidRequest) as excinfo:
        PercentOff(bps)
    assert field_of(excinfo) == "rule.bps"


def test_percentage_rounds_down_then_caps() -> None:
    assert PercentOff(1500).discount_on(99) == 14
    assert PercentOff(10_000).discount_on(12345) == 12345
    assert PercentOff(2000, cap=cny(5000)).discount_on(30000) == 5000
    assert PercentOff(2000, cap=cny(5000)).discount_on(20000) == 4000
    with pytest.raises(InvalidRequest):
        PercentOff(2000, cap=cny(0))


def test_spend_and_save_picks_the_highest_tier_reached() -> None:
    rule = SpendAndSave((Tier(cny(10000), cny(1000)), Tier(cny(20000), cny(3000))))
    assert rule.tier_for(9999) is None
    assert rule.tier_for(10000) == Tier(cny(10000), cny(1000))
    assert rule.tier_for(10**9) == Tier(cny(20000), cny(3000))


@pytest.mark.parametrize(
    ("tiers", "field"),
    [
        ((), "rule.tiers"),
        ((Tier(cny(100), cny(0)),), "rule.tiers[0]"),
        ((Tier(cny(200), cny(50)), Tier(cny(200), cny(60))), "rule.tiers[1]"),
        ((Tier(cny(200), cny(50)), Tier(cny(300), cny(50))), "rule.tiers[1]"),
        ((Tier(cny(200), cny(50)), Tier(Money(300, "USD"), Money(60, "USD"))), "rule.tiers"),
    ],
)
def test_tiers_must_rise_in_threshold_and_saving(tiers: tuple[Tier, ...], field: str) -> None:
    with pytest.raises(InvalidRequest) as excinfo:
        SpendAndSave(tiers)
    assert field_of(excinfo) == field


def test_promotion_kind_and_currency_follow_the_rule() -> None:
    def make(rule: Any) -> Promotion:
        return Promotion(promotion_id="P", rule=rule, scope=Scope("S1"), window=OPEN)

    assert (make(BuyXGetY(1, 1)).kind, make(BuyXGetY(1, 1)).currency) == (PromotionKind.BUY_X_GET_Y, None)
    assert make(PercentOff(100, cap=cny(5))).currency == "CNY"
    assert make(FreeShippingOver(Money(0, "USD"))).kind is PromotionKind.FREE_SHIPPING
    assert make(SpendAndSave((Tier(cny(1), cny(1)),))).kind is PromotionKind.SPEND_AND_SAVE
    with pytest.raises(InvalidRequest):
        Promotion(promotion_id="", rule=BuyXGetY(1, 1), scope=Scope(), window=OPEN)


def test_promotions_are_ordered_by_priority_then_kind_then_id() -> None:
    def make(pid: str, rule: Any, priority: int = 0) -> Promotion:
        return Promotion(promotion_id=pid, rule=rule, scope=Scope(), window=OPEN, priority=priority)

    promotions = [make("a-pct", PercentOff(100)), make("z-bxgy", BuyXGetY(1, 1)), make("m-pct", PercentOff(100), 5)]
    assert [p.promotion_id for p in sorted(promotions, key=promotion_order_key)] == ["m-pct", "z-bxgy", "a-pct"]


# ---------------------------------------------------------------- coupons


def template(**kw: Any) -> CouponTemplate:
    base: dict[str, Any] = {"template_id": "T", "benefit": AmountOff(cny(500)), "scope": Scope("S1"), "window": OPEN}
    return CouponTemplate(**{**base, **kw})


def test_a_template_validates_its_amounts_and_limits() -> None:
    with pytest.raises(InvalidRequest):
        AmountOff(cny(0))
    with pytest.raises(InvalidRequest) as excinfo:
        template(min_spend=Money(100, "USD"))
    assert field_of(excinfo) == "minSpend"
    with pytest.raises(InvalidRequest):
        template(total_limit=0)
    with pytest.raises(InvalidRequest):
        template(per_customer_limit=-1)
    free = template(benefit=FreeShipping(), min_spend=Money(100, "USD"))
    assert (free.currency, free.for_shipping) == ("USD", True)  # the minimum spend fixes the currency
    assert template(benefit=PercentOff(1000)).currency is None


def test_coupon_static_checks_come_in_a_fixed_order() -> None:
    expired = ValidityWindow(NOW - timedelta(days=2), NOW - timedelta(days=1))
    everything_wrong = Coupon(
        code="C",
        template=template(window=expired, benefit=AmountOff(Money(1, "USD")), total_limit=1),
        owner_id="alice",
        uses_total=1,
    )

    def reason(coupon: Coupon, customer: str | None = "alice", earlier: int = 0) -> CouponReason | None:
        return coupon_static_reason(coupon, now=NOW, customer_id=customer, currency="CNY", earlier_in_order=earlier)

    assert reason(everything_wrong, "bob") is CouponReason.NOT_OWNER
    assert reason(everything_wrong) is CouponReason.EXPIRED
    fresh = Coupon(code="C", template=template(benefit=AmountOff(Money(1, "USD")), total_limit=1), uses_total=1)
    assert reason(fresh) is CouponReason.CURRENCY
    limited = Coupon(code="C", template=template(total_limit=3, per_customer_limit=1), uses_total=2)
    assert reason(limited) is None
    assert reason(limited, earlier=1) is CouponReason.TOTAL_LIMIT
    once = Coupon(code="C", template=template(per_customer_limit=1), uses_by_customer=1)
    assert reason(once) is CouponReason.CUSTOMER_LIMIT


def test_coupon_usage_counts_cannot_be_negative() -> None:
    with pytest.raises(InvalidRequest):
        Coupon(code="C", template=template(), uses_total=-1)
    with pytest.raises(InvalidRequest):
        Coupon(code="", template=template())


def test_coupon_slots_separate_stores_platform_and_shipping() -> None:
    assert coupon_slot(template()) == ("S1", "goods")
    assert coupon_slot(template(scope=Scope())) == (PLATFORM, "goods")
    assert coupon_slot(template(benefit=FreeShipping())) == ("S1", "shipping")


def test_coupons_apply_store_first_then_amount_off_before_percentage() -> None:
    coupons = [
        Coupon(code="a-plat", template=template(scope=Scope())),
        Coupon(code="b-pct", template=template(benefit=PercentOff(500))),
        Coupon(code="c-amount", template=template()),
        Coupon(code="d-ship", template=template(benefit=FreeShipping())),
    ]
    assert [c.code for c in sorted(coupons, key=coupon_order_key)] == ["c-amount", "b-pct", "d-ship", "a-plat"]


def test_coupon_not_applicable_is_a_422_with_a_stable_slug_and_reason() -> None:
    error = CouponNotApplicable(
        CouponReason.MIN_SPEND, index=2, code="SAVE10", minSpend={"amount": 1, "currency": "CNY"}
    )
    assert (error.status, error.slug) == (422, "coupon-not-applicable")
    assert error.extensions == {
        "field": "coupons[2]",
        "reason": "coupon-min-spend-not-met",
        "code": "SAVE10",
        "minSpend": {"amount": 1, "currency": "CNY"},
    }
    assert "SAVE10" in error.detail
    assert isinstance(error, InvalidRequest)


# ---------------------------------------------------------------- points


@pytest.mark.parametrize(
    ("points", "value", "step", "step_value"),
    [(100, 100, 1, 1), (1000, 100, 10, 1), (1, 100, 1, 100), (3, 2, 3, 2), (250, 100, 5, 2)],
)
def test_points_rate_steps_are_the_fewest_points_worth_whole_minor_units(
    points: int, value: int, step: int, step_value: int
) -> None:
    rate = PointsRate(points, cny(value))
    assert (rate.step, rate.step_value) == (step, step_value)
    assert rate.value_of(step * 7) == step_value * 7


def test_points_value_needs_whole_steps_and_earning_rounds_down() -> None:
    coarse = PointsRate(1000, cny(100))
    with pytest.raises(ValueError, match="whole number"):
        coarse.value_of(5)
    earn = PointsRate(1, cny(100))  # 1 point per 1.00
    assert (earn.points_for(199), earn.points_for(200), earn.points_for(99)) == (1, 2, 0)


@pytest.mark.parametrize(("points", "value"), [(0, 100), (-1, 100), (100, 0)])
def test_points_rate_needs_positive_terms(points: int, value: int) -> None:
    with pytest.raises(InvalidRequest):
        PointsRate(points, cny(value))


def test_points_rules_validate_the_cap_and_one_currency() -> None:
    rate = PointsRate(100, cny(100))
    assert PointsRules(redeem_rate=rate, cap_bps=0).currency == "CNY"
    with pytest.raises(InvalidRequest) as excinfo:
        PointsRules(redeem_rate=rate, cap_bps=10_001)
    assert field_of(excinfo) == "capBps"
    with pytest.raises(InvalidRequest):
        PointsRules(redeem_rate=rate, cap_bps=100, earn_rate=PointsRate(1, Money(100, "USD")))
