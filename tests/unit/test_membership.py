"""Member tiers and member prices (oms.domain.membership) and the engine's step 1b: member price vs tier
discount, their place before promotions and coupons, rounding, and the frozen breakdown."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oms.domain.errors import InvalidRequest
from oms.domain.membership import (
    MemberBenefitKind,
    MemberTier,
    MemberTiers,
    member_unit_price,
    membership_view,
)
from oms.domain.money import Money
from oms.domain.order_pricing import DiscountSource, PointsUse, SkuTerms, price_order
from oms.domain.promotions import AmountOff, BuyXGetY, PercentOff, PointsRate, PointsRules, SpendAndSave, Tier

from tests.helpers.order_pricing import NOW, cart, catalog, cny, coupon, policies, policy, promo, sku

SILVER = MemberTier("silver", "Silver", 1000, 500)  # 5 % off
GOLD = MemberTier("gold", "Gold", 5000, 1000)  # 10 % off
TIERS = MemberTiers((MemberTier("basic", "Basic", 0, 0), SILVER, GOLD))


# ---------------------------------------------------------------- tiers
@pytest.mark.parametrize(
    ("measure", "tier", "following"),
    [(0, "basic", "silver"), (999, "basic", "silver"), (1000, "silver", "gold"), (4999, "silver", "gold"),
     (5000, "gold", None), (10**9, "gold", None)],
)  # fmt: skip
def test_the_highest_tier_reached_and_the_next(measure: int, tier: str, following: str | None) -> None:
    reached = TIERS.tier_for(measure)
    assert reached is not None and reached.tier_id == tier
    view = membership_view("c1", TIERS, measure)
    assert view["tier"]["tierId"] == tier
    assert (view["nextTier"] or {}).get("tierId") == following
    if following is not None:
        assert view["pointsToNextTier"] == view["nextTier"]["threshold"] - measure
    else:
        assert view["pointsToNextTier"] is None


def test_below_every_tier_is_no_tier() -> None:
    tiers = MemberTiers((SILVER, GOLD))
    assert tiers.tier_for(999) is None
    view = membership_view("c1", tiers, 0)
    assert view["tier"] is None and view["pointsToNextTier"] == 1000
    assert MemberTiers().tier_for(10**9) is None


@pytest.mark.parametrize(
    ("tiers", "field"),
    [
        ((GOLD, SILVER), "tiers[1].threshold"),  # not increasing
        ((SILVER, MemberTier("gold", "Gold", 1000, 900)), "tiers[1].threshold"),  # equal thresholds
        ((SILVER, MemberTier("silver", "Again", 2000, 0)), "tiers[1].tierId"),
        ((MemberTier("Silver", "Caps", 0, 0),), "tiers[0].tierId"),
        ((MemberTier("s", "S", 0, 10_000),), "tiers[0].discountBps"),
        ((MemberTier("s", "S", -1, 0),), "tiers[0].threshold"),
        ((MemberTier("s", "  ", 0, 0),), "tiers[0].name"),
    ],
)
def test_bad_tiers_are_refused_with_a_field(tiers: tuple[MemberTier, ...], field: str) -> None:
    with pytest.raises(InvalidRequest) as raised:
        MemberTiers(tiers)
    assert raised.value.extensions["field"] == field


def test_tiers_round_trip() -> None:
    assert MemberTiers.from_list(json.loads(json.dumps(TIERS.to_list()))) == TIERS


# ---------------------------------------------------------------- unit prices
def test_a_member_price_wins_over_the_tier_discount() -> None:
    assert member_unit_price(cny(10000), {"silver": cny(8800)}, SILVER) == (8800, MemberBenefitKind.MEMBER_PRICE)
    # Another tier's member price does not apply: the tier discount does.
    assert member_unit_price(cny(10000), {"gold": cny(8000)}, SILVER) == (9500, MemberBenefitKind.TIER_DISCOUNT)


def test_a_member_price_above_a_lowered_list_price_saves_nothing() -> None:
    assert member_unit_price(cny(8000), {"silver": cny(8800)}, SILVER) is None


def test_a_zero_tier_discount_saves_nothing() -> None:
    assert member_unit_price(cny(10000), {}, MemberTier("basic", "Basic", 0, 0)) is None


def test_the_tier_discount_saving_rounds_down_per_unit() -> None:
    # 5 % of 1.99 is 0.0995: the saving is 0.09, the member unit price 1.90, on every unit alike.
    assert member_unit_price(cny(199), {}, SILVER) == (190, MemberBenefitKind.TIER_DISCOUNT)
    priced = price_order(cart(("A", 3)), catalog(sku("A", 199)), policies(policy()), now=NOW, member=SILVER)
    assert priced.goods_discount == cny(27)  # 3 × 0.09, not round(5.97 × 5 %) = 0.30
    assert priced.membership is not None
    assert [(line.unit_price, line.saving) for line in priced.membership.lines] == [(cny(190), cny(27))]


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # a busy shared machine draws slowly
@given(
    price=st.integers(min_value=0, max_value=10**9),
    bps=st.integers(min_value=0, max_value=9999),
    quantity=st.integers(min_value=1, max_value=999),
)
def test_a_member_line_never_goes_below_zero_nor_above_the_list(price: int, bps: int, quantity: int) -> None:
    tier = MemberTier("t", "T", 0, bps)
    priced = price_order(cart(("A", quantity)), catalog(sku("A", price)), policies(policy()), now=NOW, member=tier)
    line = priced.lines[0]
    assert 0 <= line.goods_discount.amount <= line.original.amount
    assert line.goods_discount.amount == (price * bps // 10_000) * quantity
    assert priced.total == line.payable == line.original - line.goods_discount


# ---------------------------------------------------------------- the engine
def terms(**member_prices: int) -> SkuTerms:
    return SkuTerms(member_prices={tier: cny(amount) for tier, amount in member_prices.items()})


def test_member_prices_and_tier_discount_on_one_order() -> None:
    skus = catalog(sku("A", 10000), sku("B", 5000))
    priced = price_order(
        cart(("A", 2), ("B", 1)),
        skus,
        policies(policy()),
        now=NOW,
        member=SILVER,
        sku_terms={"A": terms(silver=8800)},
    )
    a, b = priced.lines
    assert a.goods_discount == cny(2400)  # (100.00 − 88.00) × 2: the SKU's member price
    assert b.goods_discount == cny(250)  # 5 % of 50.00: the tier discount
    assert [(d.source, d.source_id, d.kind) for d in a.discounts] == [(DiscountSource.MEMBER, "silver", "member_price")]
    assert [(d.kind, d.amount) for d in priced.member] == [("member_price", cny(2400)), ("tier_discount", cny(250))]
    summary = priced.to_dict()["member"]
    assert summary["tier"]["tierId"] == "silver"
    assert summary["savings"] == cny(2650).to_dict()
    assert [(line["lineNo"], line["kind"], line["savings"]["amount"]) for line in summary["lines"]] == [
        (1, "member_price", 2400),
        (2, "tier_discount", 250),
    ]
    assert priced.total == cny(25000 - 2650)


def test_no_tier_no_member_line_and_the_breakdown_is_unchanged() -> None:
    args = (cart(("A", 2)), catalog(sku("A", 10000)), policies(policy()))
    plain = price_order(*args, now=NOW)
    assert "member" not in plain.to_dict() and plain.member == ()
    basic = price_order(*args, now=NOW, member=MemberTier("basic", "Basic", 0, 0))
    assert basic.to_dict() == plain.to_dict()  # a tier that saves nothing leaves no line


def test_member_benefit_comes_before_spend_and_save_thresholds() -> None:
    """Spend 200 save 50 is judged on member prices: 2 × 100.00 at 10 % off is 180.00, under the threshold."""
    skus = catalog(sku("A", 10000))
    save = promo("S200", SpendAndSave((Tier(cny(20000), cny(5000)),)))
    without = price_order(cart(("A", 2)), skus, policies(policy()), now=NOW, promotions=[save])
    assert without.goods_discount == cny(5000)
    member = price_order(cart(("A", 2)), skus, policies(policy()), now=NOW, promotions=[save], member=GOLD)
    assert member.promotions == () and member.goods_discount == cny(2000)
    three = price_order(cart(("A", 3)), skus, policies(policy()), now=NOW, promotions=[save], member=GOLD)
    assert three.goods_discount == cny(3000 + 5000)  # 270.00 reaches the tier


def test_percentage_promotion_and_coupons_work_on_member_prices() -> None:
    skus = catalog(sku("A", 10000))
    ten_pct = promo("P10", PercentOff(1000))
    five_off = coupon("C5", AmountOff(cny(500)), min_spend=15000)
    priced = price_order(
        cart(("A", 2)),
        skus,
        policies(policy()),
        now=NOW,
        promotions=[ten_pct],
        coupons=[five_off],
        member=SILVER,
        sku_terms={"A": terms(silver=9000)},
    )
    # 200.00 → member 180.00 → 10 % off 162.00 → coupon (min spend 150.00 on 162.00) 157.00
    assert [d.amount for d in priced.member] == [cny(2000)]
    assert [d.amount for d in priced.promotions] == [cny(1800)]
    assert [d.amount for d in priced.coupons] == [cny(500)]
    assert priced.total == cny(15700)
    line = priced.lines[0]
    sources = [DiscountSource.MEMBER, DiscountSource.PROMOTION, DiscountSource.COUPON]
    assert [d.source for d in line.discounts] == sources


def test_a_coupon_minimum_spend_is_judged_after_member_prices() -> None:
    from oms.domain.promotions import CouponNotApplicable, CouponReason

    with pytest.raises(CouponNotApplicable) as raised:
        price_order(
            cart(("A", 1)),
            catalog(sku("A", 10000)),
            policies(policy()),
            now=NOW,
            coupons=[coupon("C5", AmountOff(cny(500)), min_spend=10000)],
            member=SILVER,
        )
    assert raised.value.reason is CouponReason.MIN_SPEND


def test_buy_x_get_y_frees_units_at_their_member_price() -> None:
    skus = catalog(sku("A", 10000))
    b1g1 = promo("B1G1", BuyXGetY(1, 1))
    priced = price_order(
        cart(("A", 3)),
        skus,
        policies(policy()),
        now=NOW,
        promotions=[b1g1],
        sku_terms={"A": terms(gold=6000)},
        member=GOLD,
    )
    # 3 units at the member price 60.00; one free unit is worth 60.00, not the list 100.00.
    assert [d.amount for d in priced.member] == [cny(12000)]
    assert [d.amount for d in priced.promotions] == [cny(6000)]
    assert priced.total == cny(12000)


def test_points_mall_lines_take_no_member_benefit_and_points_earn_on_member_prices() -> None:
    rules = PointsRules(redeem_rate=PointsRate(100, cny(100)), cap_bps=5000, earn_rate=PointsRate(1, cny(100)))
    skus = catalog(sku("A", 10000), sku("CUP", 0))
    priced = price_order(
        cart(("A", 1), ("CUP", 1)),
        skus,
        policies(policy()),
        now=NOW,
        points=PointsUse(rules, 500, 0),
        sku_terms={"CUP": SkuTerms(points_price=500)},
        member=GOLD,
    )
    assert [line.goods_discount for line in priced.lines] == [cny(1000), cny(0)]
    assert priced.points.earned == 90  # on the 90.00 paid with money


def test_shipping_free_over_is_judged_after_member_prices() -> None:
    skus = catalog(sku("A", 10000))
    over_100 = policies(policy(fee=800, threshold=10000))
    assert price_order(cart(("A", 1)), skus, over_100, now=NOW).shipping == cny(0)
    assert price_order(cart(("A", 1)), skus, over_100, now=NOW, member=SILVER).shipping == cny(800)


def test_another_currencys_member_price_is_ignored() -> None:
    found = member_unit_price(cny(10000), {"silver": Money(100, "USD")}, SILVER)
    assert found == (9500, MemberBenefitKind.TIER_DISCOUNT)
