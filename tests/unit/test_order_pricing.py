"""Order pricing: the seed's worked example, each step of the stacking order, and the breakdown's shape."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest
from oms.domain.catalog import ShippingPolicy, Sku, SkuStatus
from oms.domain.errors import InvalidRequest
from oms.domain.fx import FxRate
from oms.domain.money import Money
from oms.domain.order_pricing import (
    MAX_COUPONS,
    BalanceUse,
    CouponCheck,
    DiscountTarget,
    PointsUse,
    PricedOrder,
    SkuTerms,
    check_coupons,
    price_order,
)
from oms.domain.pricing import CartLine, price_cart
from oms.domain.promotions import (
    AmountOff,
    BuyXGetY,
    CouponNotApplicable,
    CouponReason,
    FreeShipping,
    FreeShippingOver,
    PercentOff,
    PointsRate,
    PointsRules,
    SpendAndSave,
    Tier,
    ValidityWindow,
)

from tests.helpers.order_pricing import NOW, OPEN, cart, catalog, cny, coupon, policies, policy, promo, sku


def points(
    available: int,
    requested: int | None,
    *,
    rate: tuple[int, int] = (100, 100),
    cap_bps: int = 10_000,
    earn: tuple[int, int] | None = None,
) -> PointsUse:
    rules = PointsRules(
        redeem_rate=PointsRate(rate[0], cny(rate[1])),
        cap_bps=cap_bps,
        earn_rate=None if earn is None else PointsRate(earn[0], cny(earn[1])),
    )
    return PointsUse(rules, available, requested)


def tiers(*pairs: tuple[int, int]) -> SpendAndSave:
    return SpendAndSave(tuple(Tier(cny(threshold), cny(off)) for threshold, off in pairs))


def price(lines: list[CartLine], skus: dict[str, Sku], ships: dict[str, ShippingPolicy], **kw: Any) -> PricedOrder:
    kw.setdefault("now", NOW)
    return price_order(lines, skus, ships, **kw)


def applied(discounts: Sequence[Any]) -> list[tuple[str, int]]:
    return [(d.source_id, d.amount.amount) for d in discounts]


def payables(order: PricedOrder) -> list[int]:
    return [line.payable.amount for line in order.lines]


def coupon_error(excinfo: pytest.ExceptionInfo[CouponNotApplicable]) -> tuple[str, object, object]:
    error = excinfo.value
    return error.slug, error.extensions["field"], error.extensions["reason"]


ONE_STORE = policies(policy("S1", 800, 9900))  # 8.00 shipping, free from 99.00 (after discounts)


# ---------------------------------------------------------------- the seed's worked example


def test_seed_worked_example_prices_to_exactly_135() -> None:
    """Seed 003: 2 × 100.00, spend 200 save 50, a 10.00 coupon, 5.00 of points → 135.00."""
    order = price(
        cart(("A", 2)),
        catalog(sku("A", 10000)),
        ONE_STORE,
        promotions=[promo("SPEND200SAVE50", tiers((20000, 5000)))],
        coupons=[coupon("TEN", AmountOff(cny(1000)))],
        points=points(2000, 500, rate=(100, 100), cap_bps=5000),
    )
    assert order.subtotal == cny(20000)
    assert applied(order.promotions) == [("SPEND200SAVE50", 5000)]
    assert applied(order.coupons) == [("TEN", 1000)]
    assert (order.points.redeemed, order.points.value, order.points.debited) == (500, cny(500), 500)
    assert order.shipping == cny(0)  # 140.00 after discounts reaches the 99.00 threshold
    assert order.balance == cny(0)
    assert order.total == cny(13500)
    (line,) = order.lines
    assert (line.original, line.goods_discount, line.points_value, line.payable) == (
        cny(20000),
        cny(6000),
        cny(500),
        cny(13500),
    )


def test_seed_example_over_two_lines_splits_every_part_exactly() -> None:
    order = price(
        cart(("A", 1), ("B", 1)),
        catalog(sku("A", 10000), sku("B", 10000)),
        ONE_STORE,
        promotions=[promo("SPEND200SAVE50", tiers((20000, 5000)))],
        coupons=[coupon("TEN", AmountOff(cny(1000)))],
        points=points(500, 500),
    )
    assert payables(order) == [6750, 6750]
    assert [line.points_redeemed for line in order.lines] == [250, 250]
    assert [applied(line.discounts) for line in order.lines] == [[("SPEND200SAVE50", 2500), ("TEN", 500)]] * 2
    assert order.total == cny(13500)


# ---------------------------------------------------------------- step 1: the cart's own rules


def test_without_any_discount_the_order_prices_exactly_like_price_cart() -> None:
    skus = catalog(sku("A", 333), sku("B", 1250), sku("C", 999, store="S2"))
    ships = policies(policy("S1", 700, 5000), policy("S2", 1000))
    lines = cart(("A", 3), ("B", 2), ("C", 1), ("A", 1))
    quote = price_cart(lines, skus, ships)
    order = price(lines, skus, ships)
    assert order.total == quote.breakdown.total
    assert order.shipping == quote.breakdown.shipping
    assert payables(order) == [line.payable.amount for line in quote.lines]


@pytest.mark.parametrize(
    ("skus", "lines", "message"),
    [
        (catalog(sku("A", 100)), cart(("Z", 1)), "unknown SKU"),
        (catalog(sku("A", 100), sku("B", 100, currency="USD")), cart(("A", 1), ("B", 1)), "one currency"),
        (catalog(sku("A", 100)), cart(("A", 0)), "quantity"),
        (catalog(sku("A", 100)), [], "empty"),
    ],
)
def test_the_cart_rules_of_price_cart_apply_unchanged(
    skus: dict[str, Sku], lines: list[CartLine], message: str
) -> None:
    with pytest.raises(InvalidRequest, match=message):
        price(lines, skus, ONE_STORE)


def test_an_inactive_sku_is_refused() -> None:
    inactive = Sku("A", "P", "S1", "A", cny(100), "WH", 1, SkuStatus.INACTIVE)
    with pytest.raises(InvalidRequest, match="not for sale") as excinfo:
        price(cart(("A", 1)), {"A": inactive}, ONE_STORE)
    assert excinfo.value.extensions["inactiveSkus"] == ["A"]


def test_now_must_carry_a_timezone() -> None:
    with pytest.raises(ValueError, match="timezone"):
        price(cart(("A", 1)), catalog(sku("A", 100)), ONE_STORE, now=datetime(2026, 11, 22))


# ---------------------------------------------------------------- step 2: item-level promotions


def test_buy_two_get_one_frees_the_cheapest_unit() -> None:
    order = price(
        cart(("A", 2), ("B", 1)),
        catalog(sku("A", 10000), sku("B", 3000)),
        policies(policy()),
        promotions=[promo("B2G1", BuyXGetY(2, 1))],
    )
    assert applied(order.promotions) == [("B2G1", 3000)]
    assert [applied(line.discounts) for line in order.lines] == [[("B2G1", 0)], [("B2G1", 3000)]]
    assert order.total == cny(20000)


def test_buy_two_get_one_frees_the_cheapest_units_of_the_whole_scope_not_of_each_group() -> None:
    prices = [10000, 9000, 8000, 7000, 6000, 5000]
    skus = catalog(*(sku(f"K{n}", p) for n, p in enumerate(prices)))
    order = price(
        cart(*((f"K{n}", 1) for n in range(6))), skus, policies(policy()), promotions=[promo("B2G1", BuyXGetY(2, 1))]
    )
    assert applied(order.promotions) == [("B2G1", 6000 + 5000)]
    assert payables(order) == [10000, 9000, 8000, 7000, 0, 0]


def test_buy_two_get_one_counts_units_within_a_line() -> None:
    order = price(
        cart(("A", 7)), catalog(sku("A", 500)), policies(policy()), promotions=[promo("B2G1", BuyXGetY(2, 1))]
    )
    assert order.total == cny(5 * 500)  # 7 units: 2 free


def test_a_promotion_that_yields_nothing_leaves_the_line_to_the_next_one() -> None:
    order = price(
        cart(("A", 2)),
        catalog(sku("A", 1000)),
        policies(policy()),
        promotions=[promo("B2G1", BuyXGetY(2, 1), priority=9), promo("TENPCT", PercentOff(1000))],
    )
    assert applied(order.promotions) == [("TENPCT", 200)]


def test_a_line_takes_only_one_item_promotion_the_highest_priority_first() -> None:
    skus = catalog(sku("A", 10000))
    first = promo("A-20PCT", PercentOff(2000))
    second = promo("B-30PCT", PercentOff(3000), priority=1)
    order = price(cart(("A", 1)), skus, policies(policy()), promotions=[first, second])
    assert applied(order.promotions) == [("B-30PCT", 3000)]
    tied = price(cart(("A", 1)), skus, policies(policy()), promotions=[promo("B-30PCT", PercentOff(3000)), first])
    assert applied(tied.promotions) == [("A-20PCT", 2000)]  # equal priority: by id


def test_percentage_promotion_is_capped() -> None:
    skus = catalog(sku("A", 30000), sku("B", 10000))
    capped = promo("20PCT-MAX50", PercentOff(2000, cap=cny(5000)))
    assert applied(price(cart(("A", 1)), skus, policies(policy()), promotions=[capped]).promotions) == [
        ("20PCT-MAX50", 5000)
    ]
    assert applied(price(cart(("B", 1)), skus, policies(policy()), promotions=[capped]).promotions) == [
        ("20PCT-MAX50", 2000)
    ]


def test_percentage_rounds_down_to_the_minor_unit_and_splits_by_largest_remainder() -> None:
    skus = catalog(sku("A", 99))
    order = price(cart(("A", 1)), skus, policies(policy()), promotions=[promo("15PCT", PercentOff(1500))])
    assert order.total == cny(99 - 14)  # 14.85 → 14
    three = catalog(sku("A", 10), sku("B", 10), sku("C", 13))
    split = price(
        cart(("A", 1), ("B", 1), ("C", 1)), three, policies(policy()), promotions=[promo("10PCT", PercentOff(1000))]
    )
    assert [line.goods_discount.amount for line in split.lines] == [1, 1, 1]


def test_category_and_sku_scopes_select_lines() -> None:
    skus = catalog(sku("A", 1000), sku("B", 1000), sku("C", 1000))
    terms = {"A": SkuTerms(category_id="shoes"), "B": SkuTerms(category_id="hats"), "C": SkuTerms(category_id="shoes")}
    order = price(
        cart(("A", 1), ("B", 1), ("C", 1)),
        skus,
        policies(policy()),
        sku_terms=terms,
        promotions=[
            promo("SHOES", PercentOff(1000), categories=["shoes"]),
            promo("ONLY-B", PercentOff(5000), skus=["B"]),
        ],
    )
    assert [applied(line.discounts) for line in order.lines] == [[("SHOES", 100)], [("ONLY-B", 500)], [("SHOES", 100)]]


def test_promotions_outside_their_window_or_in_another_currency_do_not_apply() -> None:
    skus = catalog(sku("A", 10000))
    ended = ValidityWindow(NOW - timedelta(days=1), NOW)  # ends exactly now: [start, end)
    starts_now = ValidityWindow(NOW)
    later = ValidityWindow(NOW + timedelta(seconds=1))
    usd = promo("USD-TIER", SpendAndSave((Tier(Money(100, "USD"), Money(50, "USD")),)))
    candidates = [
        promo("ENDED", PercentOff(1000), window=ended),
        promo("LATER", PercentOff(2000), window=later),
        usd,
        promo("NOW", PercentOff(500), window=starts_now),
    ]
    order = price(cart(("A", 1)), skus, policies(policy()), promotions=candidates)
    assert applied(order.promotions) == [("NOW", 500)]


def test_duplicate_promotion_ids_are_refused() -> None:
    with pytest.raises(InvalidRequest) as excinfo:
        price(
            cart(("A", 1)),
            catalog(sku("A", 100)),
            ONE_STORE,
            promotions=[promo("X", PercentOff(100)), promo("X", PercentOff(200))],
        )
    assert excinfo.value.extensions["field"] == "promotions[1].promotionId"


# ---------------------------------------------------------------- step 3: spend-X-save-Y


@pytest.mark.parametrize(
    ("subtotal", "saved"),
    [(9999, 0), (10000, 1000), (19999, 1000), (20000, 3000), (29999, 3000), (30000, 6000), (99900, 6000)],
)
def test_spend_and_save_takes_the_highest_tier_reached(subtotal: int, saved: int) -> None:
    rule = tiers((10000, 1000), (20000, 3000), (30000, 6000))
    order = price(cart(("A", 1)), catalog(sku("A", subtotal)), policies(policy()), promotions=[promo("TIERS", rule)])
    assert applied(order.promotions) == ([("TIERS", saved)] if saved else [])
    assert order.total == cny(subtotal - saved)


def test_tiers_are_reached_on_the_amount_after_item_promotions() -> None:
    order = price(
        cart(("A", 1)),
        catalog(sku("A", 25000)),
        policies(policy()),
        promotions=[promo("TIERS", tiers((20000, 2000), (25000, 5000))), promo("20PCT", PercentOff(2000))],
    )
    assert applied(order.promotions) == [("20PCT", 5000), ("TIERS", 2000)]  # 200.00 left: the 200 tier
    assert order.total == cny(18000)


def test_each_store_has_its_own_tiers_and_fees() -> None:
    skus = catalog(sku("A", 20000), sku("B", 15000, store="S2"))
    ships = policies(policy("S1", 800, 50000), policy("S2", 600, 50000))
    order = price(
        cart(("A", 1), ("B", 1)),
        skus,
        ships,
        promotions=[promo("S1-200-50", tiers((20000, 5000))), promo("S2-200-50", tiers((20000, 5000)), store="S2")],
    )
    assert applied(order.promotions) == [("S1-200-50", 5000)]  # S2's 150.00 reaches no tier
    assert order.shipping == cny(1400)
    assert payables(order) == [20000 - 5000 + 800, 15000 + 600]
    s1, s2 = order.stores()
    assert (s1.store_id, s1.total, s2.store_id, s2.total) == ("S1", cny(15800), "S2", cny(15600))


def test_a_platform_tier_counts_every_store_and_splits_across_them() -> None:
    skus = catalog(sku("A", 12000), sku("B", 8000, store="S2"))
    order = price(
        cart(("A", 1), ("B", 1)),
        skus,
        policies(policy("S1"), policy("S2")),
        promotions=[promo("PLATFORM-200-50", tiers((20000, 5000)), store=None)],
    )
    assert [line.goods_discount.amount for line in order.lines] == [3000, 2000]


# ---------------------------------------------------------------- step 4: coupons


@pytest.mark.parametrize(("amount", "ok"), [(9999, False), (10000, True)])
def test_coupon_minimum_spend_just_below_and_at(amount: int, ok: bool) -> None:
    kw: dict[str, Any] = {"coupons": [coupon("MIN100", AmountOff(cny(1500)), min_spend=10000)]}
    if ok:
        assert price(cart(("A", 1)), catalog(sku("A", amount)), policies(policy()), **kw).total == cny(amount - 1500)
    else:
        with pytest.raises(CouponNotApplicable) as excinfo:
            price(cart(("A", 1)), catalog(sku("A", amount)), policies(policy()), **kw)
        assert coupon_error(excinfo) == ("coupon-not-applicable", "coupons[0]", "coupon-min-spend-not-met")
        assert excinfo.value.extensions["amountInScope"] == {"amount": 9999, "currency": "CNY"}


def test_minimum_spend_is_checked_after_promotions() -> None:
    with pytest.raises(CouponNotApplicable, match="minimum spend"):
        price(
            cart(("A", 1)),
            catalog(sku("A", 12000)),
            policies(policy()),
            promotions=[promo("T", tiers((10000, 3000)))],
            coupons=[coupon("MIN100", AmountOff(cny(500)), min_spend=10000)],
        )


def test_minimum_spend_counts_only_the_coupons_scope() -> None:
    skus = catalog(sku("A", 6000), sku("B", 6000))
    terms = {"A": SkuTerms(category_id="tea")}
    tea = coupon("TEA", AmountOff(cny(500)), categories=["tea"], min_spend=10000)
    with pytest.raises(CouponNotApplicable, match="minimum spend"):
        price(cart(("A", 1), ("B", 1)), skus, policies(policy()), coupons=[tea], sku_terms=terms)


@pytest.mark.parametrize(
    ("scope", "terms"),
    [
        ({"store": "S2"}, {}),
        ({"categories": ["shoes"]}, {"A": SkuTerms(category_id="hats")}),
        ({"skus": ["Z"]}, {}),
    ],
)
def test_a_coupon_covering_no_line_is_out_of_scope(scope: dict[str, Any], terms: dict[str, SkuTerms]) -> None:
    with pytest.raises(CouponNotApplicable) as excinfo:
        price(
            cart(("A", 1)),
            catalog(sku("A", 10000)),
            policies(policy()),
            coupons=[coupon("C", AmountOff(cny(100)), **scope)],
            sku_terms=terms,
        )
    assert coupon_error(excinfo)[2] == "coupon-out-of-scope"


def test_a_scoped_coupon_discounts_only_its_lines() -> None:
    skus = catalog(sku("A", 5000), sku("B", 5000))
    order = price(
        cart(("A", 1), ("B", 1)), skus, policies(policy()), coupons=[coupon("ONLY-B", AmountOff(cny(1000)), skus=["B"])]
    )
    assert payables(order) == [5000, 4000]


@pytest.mark.parametrize(
    ("window", "own_window", "reason"),
    [
        (ValidityWindow(NOW - timedelta(days=9), NOW), None, "coupon-expired"),
        (ValidityWindow(NOW + timedelta(microseconds=1)), None, "coupon-not-started"),
        (OPEN, ValidityWindow(NOW - timedelta(days=9), NOW - timedelta(days=2)), "coupon-expired"),
    ],
)
def test_expired_or_not_yet_valid_coupons_are_refused(
    window: ValidityWindow, own_window: ValidityWindow | None, reason: str
) -> None:
    with pytest.raises(CouponNotApplicable) as excinfo:
        price(
            cart(("A", 1)),
            catalog(sku("A", 10000)),
            policies(policy()),
            coupons=[coupon("C", AmountOff(cny(100)), window=window, own_window=own_window)],
        )
    assert coupon_error(excinfo)[2] == reason


def test_a_coupon_is_valid_from_the_first_instant_of_its_window() -> None:
    order = price(
        cart(("A", 1)),
        catalog(sku("A", 10000)),
        policies(policy()),
        coupons=[coupon("C", AmountOff(cny(100)), window=ValidityWindow(NOW, NOW + timedelta(seconds=1)))],
    )
    assert order.total == cny(9900)


@pytest.mark.parametrize(
    ("kw", "customer", "reason"),
    [
        ({"owner": "alice"}, "bob", "coupon-not-owner"),
        ({"owner": "alice"}, None, "coupon-not-owner"),
        ({"total_limit": 100, "uses_total": 100}, "alice", "coupon-limit-reached"),
        ({"per_customer_limit": 2, "uses_by_customer": 2}, "alice", "coupon-customer-limit-reached"),
    ],
)
def test_owner_and_usage_limits(kw: dict[str, Any], customer: str | None, reason: str) -> None:
    with pytest.raises(CouponNotApplicable) as excinfo:
        price(
            cart(("A", 1)),
            catalog(sku("A", 10000)),
            policies(policy()),
            coupons=[coupon("C", AmountOff(cny(100)), **kw)],
            customer_id=customer,
        )
    assert coupon_error(excinfo)[2] == reason


def test_limits_count_the_coupons_of_the_same_template_in_this_order() -> None:
    first = coupon("C1", AmountOff(cny(100)), template_id="T", per_customer_limit=2, uses_by_customer=1, stackable=True)
    second = coupon(
        "C2", AmountOff(cny(100)), template_id="T", per_customer_limit=2, uses_by_customer=1, stackable=True
    )
    skus = catalog(sku("A", 10000))
    assert price(cart(("A", 1)), skus, policies(policy()), coupons=[first], customer_id="alice").total == cny(9900)
    with pytest.raises(CouponNotApplicable) as excinfo:
        price(cart(("A", 1)), skus, policies(policy()), coupons=[first, second], customer_id="alice")
    assert coupon_error(excinfo)[1:] == ("coupons[1]", "coupon-customer-limit-reached")


def test_an_owned_coupon_works_for_its_owner() -> None:
    order = price(
        cart(("A", 1)),
        catalog(sku("A", 10000)),
        policies(policy()),
        coupons=[coupon("C", AmountOff(cny(100)), owner="alice", per_customer_limit=1)],
        customer_id="alice",
    )
    assert applied(order.coupons) == [("C", 100)]


def test_the_same_code_twice_is_refused() -> None:
    twice = coupon("C", AmountOff(cny(100)), stackable=True)
    with pytest.raises(CouponNotApplicable) as excinfo:
        price(cart(("A", 1)), catalog(sku("A", 10000)), policies(policy()), coupons=[twice, twice])
    assert coupon_error(excinfo)[1:] == ("coupons[1]", "coupon-duplicate")


def test_a_coupon_in_another_currency_is_refused() -> None:
    with pytest.raises(CouponNotApplicable) as excinfo:
        price(
            cart(("A", 1)),
            catalog(sku("A", 10000)),
            policies(policy()),
            coupons=[coupon("USD", AmountOff(Money(100, "USD")))],
        )
    assert coupon_error(excinfo)[2] == "coupon-currency-mismatch"


def test_one_coupon_per_store_unless_both_are_stackable() -> None:
    skus = catalog(sku("A", 10000))
    a, b = coupon("A5", AmountOff(cny(500))), coupon("B10PCT", PercentOff(1000))
    with pytest.raises(CouponNotApplicable) as excinfo:
        price(cart(("A", 1)), skus, policies(policy()), coupons=[a, b])
    assert coupon_error(excinfo)[1:] == ("coupons[1]", "coupon-not-stackable")
    assert excinfo.value.extensions["conflictsWith"] == "A5"
    sa = coupon("A5", AmountOff(cny(500)), stackable=True)
    sb = coupon("B10PCT", PercentOff(1000), stackable=True)
    for order_of_input in ([sa, sb], [sb, sa]):
        order = price(cart(("A", 1)), skus, policies(policy()), coupons=order_of_input)
        assert applied(order.coupons) == [("A5", 500), ("B10PCT", 950)]  # amount off first, then 10 % of 95.00


def test_a_store_coupon_a_platform_coupon_and_a_shipping_coupon_combine() -> None:
    order = price(
        cart(("A", 1)),
        catalog(sku("A", 10000)),
        policies(policy("S1", 1000)),
        coupons=[
            coupon("PLAT10PCT", PercentOff(1000), store=None),
            coupon("SHIP", FreeShipping()),
            coupon("STORE20", AmountOff(cny(2000))),
        ],
    )
    assert applied(order.coupons) == [("STORE20", 2000), ("PLAT10PCT", 800), ("SHIP", 1000)]
    assert order.total == cny(10000 - 2000 - 800)


def test_percentage_coupon_is_capped() -> None:
    order = price(
        cart(("A", 1)),
        catalog(sku("A", 100000)),
        policies(policy()),
        coupons=[coupon("15PCT-MAX20", PercentOff(1500, cap=cny(2000)))],
    )
    assert applied(order.coupons) == [("15PCT-MAX20", 2000)]


def test_a_coupon_never_takes_more_than_is_left() -> None:
    order = price(
        cart(("A", 1)), catalog(sku("A", 300)), policies(policy()), coupons=[coupon("BIG", AmountOff(cny(5000)))]
    )
    assert applied(order.coupons) == [("BIG", 300)]
    assert order.total == cny(0)


def test_a_coupon_that_would_save_nothing_is_refused() -> None:
    with pytest.raises(CouponNotApplicable) as excinfo:
        price(cart(("A", 1)), catalog(sku("A", 5)), policies(policy()), coupons=[coupon("10PCT", PercentOff(1000))])
    assert coupon_error(excinfo)[2] == "coupon-no-effect"


def test_a_promotion_may_exclude_coupons_on_its_lines() -> None:
    skus = catalog(sku("A", 10000), sku("B", 10000))
    deal = promo("FLASH", PercentOff(5000), skus=["A"], allow_coupons=False)
    order = price(
        cart(("A", 1), ("B", 1)),
        skus,
        policies(policy()),
        promotions=[deal],
        coupons=[coupon("C", AmountOff(cny(1000)))],
    )
    assert [applied(line.discounts) for line in order.lines] == [[("FLASH", 5000)], [("C", 1000)]]
    with pytest.raises(CouponNotApplicable) as excinfo:
        price(cart(("A", 1)), skus, policies(policy()), promotions=[deal], coupons=[coupon("C", AmountOff(cny(1000)))])
    assert coupon_error(excinfo)[2] == "coupon-excluded-by-promotion"


def test_a_platform_coupon_is_split_across_stores_by_what_is_left() -> None:
    skus = catalog(sku("A", 10000), sku("B", 12000, store="S2"))
    order = price(
        cart(("A", 1), ("B", 1)),
        skus,
        policies(policy("S1"), policy("S2")),
        promotions=[promo("S1-20", tiers((10000, 2000)))],
        coupons=[coupon("PLAT10", AmountOff(cny(1000)), store=None)],
    )
    assert [applied(line.discounts) for line in order.lines] == [[("S1-20", 2000), ("PLAT10", 400)], [("PLAT10", 600)]]
    assert [s.total.amount for s in order.stores()] == [7600, 11400]


def test_too_many_coupons_are_refused() -> None:
    many = [coupon(f"C{n}", AmountOff(cny(1)), stackable=True) for n in range(MAX_COUPONS + 1)]
    assert price(cart(("A", 1)), catalog(sku("A", 10000)), policies(policy()), coupons=many[:-1]).total == cny(9995)
    with pytest.raises(InvalidRequest, match=f"at most {MAX_COUPONS} coupons"):
        price(cart(("A", 1)), catalog(sku("A", 10000)), policies(policy()), coupons=many)


def test_check_coupons_says_which_apply_and_why_not() -> None:
    checks = check_coupons(
        cart(("A", 1)),
        catalog(sku("A", 10000)),
        policies(policy("S1", 800)),
        now=NOW,
        coupons=[
            coupon("TEN", AmountOff(cny(1000))),
            coupon("MIN200", AmountOff(cny(3000)), min_spend=20000),
            coupon("SHIP", FreeShipping()),
            coupon("OLD", AmountOff(cny(100)), window=ValidityWindow(NOW - timedelta(days=2), NOW - timedelta(days=1))),
        ],
    )
    assert checks == (
        CouponCheck("TEN", True, None, cny(1000)),
        CouponCheck("MIN200", False, CouponReason.MIN_SPEND, None),
        CouponCheck("SHIP", True, None, cny(800)),
        CouponCheck("OLD", False, CouponReason.EXPIRED, None),
    )


def test_check_coupons_needs_no_points_even_for_points_mall_carts() -> None:
    checks = check_coupons(
        cart(("M", 1), ("A", 1)),
        catalog(sku("M", 0), sku("A", 5000)),
        policies(policy()),
        now=NOW,
        coupons=[coupon("FIVE", AmountOff(cny(500)))],
        sku_terms={"M": SkuTerms(points_price=1000)},
    )
    assert checks == (CouponCheck("FIVE", True, None, cny(500)),)


# ---------------------------------------------------------------- step 5: shipping


def test_the_free_shipping_threshold_is_compared_after_discounts() -> None:
    skus, ships = catalog(sku("A", 11000)), policies(policy("S1", 1000, 10000))
    assert price(cart(("A", 1)), skus, ships).shipping == cny(0)  # 110.00 ≥ 100.00
    discounted = price(cart(("A", 1)), skus, ships, coupons=[coupon("C20", AmountOff(cny(2000)))])
    assert discounted.shipping == cny(1000)  # 90.00 after the coupon
    assert discounted.total == cny(11000 - 2000 + 1000)


def test_points_and_balance_do_not_lower_the_shipping_threshold() -> None:
    order = price(
        cart(("A", 1)),
        catalog(sku("A", 11000)),
        policies(policy("S1", 1000, 10000)),
        points=points(5000, 5000),
        balance=BalanceUse(cny(2000), None),
    )
    assert order.shipping == cny(0)
    assert order.total == cny(11000 - 5000 - 2000)


def test_a_free_shipping_promotion_waives_the_fee_of_its_store_only() -> None:
    skus = catalog(sku("A", 6000), sku("B", 6000, store="S2"))
    order = price(
        cart(("A", 1), ("B", 1)),
        skus,
        policies(policy("S1", 800), policy("S2", 900)),
        promotions=[promo("S1-FREE50", FreeShippingOver(cny(5000)))],
    )
    assert order.shipping == cny(1700)
    assert applied(order.promotions) == [("S1-FREE50", 800)]
    assert [line.shipping_discount.amount for line in order.lines] == [800, 0]
    assert order.total == cny(6000 + 6000 + 900)


def test_a_free_shipping_promotion_below_its_threshold_waives_nothing() -> None:
    order = price(
        cart(("A", 1)),
        catalog(sku("A", 4999)),
        policies(policy("S1", 800)),
        promotions=[promo("FREE50", FreeShippingOver(cny(5000)))],
    )
    assert order.promotions == ()
    assert order.total == cny(4999 + 800)


def test_free_shipping_coupon_waives_the_fee_up_to_its_cap() -> None:
    skus, ships = catalog(sku("A", 5000)), policies(policy("S1", 1200))
    order = price(cart(("A", 1)), skus, ships, coupons=[coupon("SHIP", FreeShipping())])
    assert (order.shipping, order.shipping_discount, order.total) == (cny(1200), cny(1200), cny(5000))
    (line,) = order.lines
    assert [(d.source_id, d.target) for d in line.discounts] == [("SHIP", DiscountTarget.SHIPPING)]
    capped = price(cart(("A", 1)), skus, ships, coupons=[coupon("SHIP10", FreeShipping(cap=cny(1000)))])
    assert capped.total == cny(5000 + 200)


def test_free_shipping_coupon_on_an_order_that_ships_free_is_refused() -> None:
    with pytest.raises(CouponNotApplicable) as excinfo:
        price(
            cart(("A", 1)),
            catalog(sku("A", 5000)),
            policies(policy("S1", 1200, 5000)),
            coupons=[coupon("SHIP", FreeShipping())],
        )
    assert coupon_error(excinfo)[2] == "coupon-no-effect"


def test_shipping_is_split_over_the_stores_lines_by_their_originals() -> None:
    order = price(cart(("A", 1), ("B", 2)), catalog(sku("A", 1000), sku("B", 1000)), policies(policy("S1", 1000)))
    assert [line.shipping.amount for line in order.lines] == [333, 667]


# ---------------------------------------------------------------- step 6: points


def test_points_are_capped_at_a_share_of_the_goods_after_discounts() -> None:
    skus, ships = catalog(sku("A", 15000)), policies(policy("S1", 1000))
    rules = {"cap_bps": 1000}  # 10 % of 140.00 = 14.00 = 1400 points
    kw: dict[str, Any] = {"coupons": [coupon("C10", AmountOff(cny(1000)))]}
    most = price(cart(("A", 1)), skus, ships, points=points(5000, None, **rules), **kw)
    assert (most.points.redeemed, most.points.value) == (1400, cny(1400))
    assert most.total == cny(15000 - 1000 - 1400 + 1000)  # shipping is paid, never by points
    with pytest.raises(InvalidRequest) as excinfo:
        price(cart(("A", 1)), skus, ships, points=points(5000, 1401, **rules), **kw)
    assert excinfo.value.extensions["reason"] == "points-over-cap"
    assert excinfo.value.extensions["maxPoints"] == 1400


def test_points_use_whole_steps_of_the_rate() -> None:
    skus, ships = catalog(sku("A", 10000)), policies(policy())
    coarse = {"rate": (1000, 100)}  # 1000 points = 1.00: 10 points per 0.01
    with pytest.raises(InvalidRequest) as excinfo:
        price(cart(("A", 1)), skus, ships, points=points(5000, 505, **coarse))
    assert (excinfo.value.extensions["reason"], excinfo.value.extensions["step"]) == ("points-not-whole-step", 10)
    most = price(cart(("A", 1)), skus, ships, points=points(1234, None, **coarse))
    assert (most.points.redeemed, most.points.value) == (1230, cny(123))
    small = price(cart(("A", 1)), catalog(sku("A", 99)), ships, points=points(10**6, None, cap_bps=5000, **coarse))
    assert (small.points.redeemed, small.points.value) == (490, cny(49))  # 50 % of 0.99 → 0.49


def test_points_never_leave_a_line_negative_with_a_coarse_rate() -> None:
    # 1 point = 0.03: a line of 0.04 can take one point (0.03), not two.
    order = price(
        cart(("A", 1), ("B", 1)),
        catalog(sku("A", 4), sku("B", 5)),
        policies(policy()),
        points=points(100, None, rate=(1, 3)),
    )
    assert [line.points_value.amount for line in order.lines] == [3, 3]
    assert payables(order) == [1, 2]
    # 0.02 then 0.10: by amounts the 0.02 line would win a tie for a 0.03 point; it cannot hold one.
    order = price(
        cart(("A", 1), ("B", 1)),
        catalog(sku("A", 2), sku("B", 10)),
        policies(policy()),
        points=points(100, None, rate=(1, 3)),
    )
    assert [line.points_value.amount for line in order.lines] == [0, 9]
    assert payables(order) == [2, 1]


def test_points_cannot_exceed_what_the_customer_holds() -> None:
    skus, ships = catalog(sku("A", 10000)), policies(policy())
    assert price(cart(("A", 1)), skus, ships, points=points(321, None)).points.redeemed == 321
    with pytest.raises(InvalidRequest) as excinfo:
        price(cart(("A", 1)), skus, ships, points=points(321, 322))
    assert excinfo.value.extensions["reason"] == "points-insufficient"


def test_points_in_another_currency_are_refused() -> None:
    usd = PointsUse(PointsRules(redeem_rate=PointsRate(100, Money(100, "USD")), cap_bps=5000), 100, 0)
    with pytest.raises(InvalidRequest) as excinfo:
        price(cart(("A", 1)), catalog(sku("A", 10000)), policies(policy()), points=usd)
    assert excinfo.value.extensions["reason"] == "points-currency-mismatch"


def test_points_are_earned_on_goods_paid_with_money_rounded_down() -> None:
    order = price(
        cart(("A", 1), ("B", 1)),
        catalog(sku("A", 10099), sku("B", 5050)),
        policies(policy("S1", 1000)),
        points=points(1000, 1000, earn=(1, 100)),  # 1 point per 1.00
        balance=BalanceUse(cny(3000), None),
    )
    # goods 151.49 − 10.00 of points = 141.49 paid with money (balance counts; shipping does not)
    assert order.points.earned == 141
    assert sum(line.points_earned for line in order.lines) == 141


# ---------------------------------------------------------------- points mall


def test_pure_points_goods_cost_points_and_ship_for_money() -> None:
    skus = catalog(sku("M", 0))
    terms = {"M": SkuTerms(points_price=5000)}
    order = price(cart(("M", 2)), skus, policies(policy("S1", 800)), sku_terms=terms, points=points(12000, None))
    assert (order.points.required, order.points.redeemed, order.points.debited) == (10000, 0, 10000)
    assert order.total == cny(800)
    (line,) = order.lines
    assert (line.unit_points, line.points_required, line.points_redeemed) == (5000, 10000, 0)


def test_points_mall_goods_need_enough_points() -> None:
    skus, terms = catalog(sku("M", 0)), {"M": SkuTerms(points_price=5000)}
    with pytest.raises(InvalidRequest) as excinfo:
        price(cart(("M", 2)), skus, policies(policy()), sku_terms=terms)
    assert excinfo.value.extensions["reason"] == "points-required"
    with pytest.raises(InvalidRequest) as excinfo:
        price(cart(("M", 2)), skus, policies(policy()), sku_terms=terms, points=points(9999, 0))
    assert (excinfo.value.extensions["reason"], excinfo.value.extensions["required"]) == ("points-insufficient", 10000)


def test_points_plus_cash_goods_take_no_discount_and_leave_points_for_the_rest() -> None:
    skus = catalog(sku("M", 1000), sku("A", 10000))
    terms = {"M": SkuTerms(points_price=2000)}
    order = price(
        cart(("M", 1), ("A", 1)),
        skus,
        policies(policy()),
        sku_terms=terms,
        promotions=[promo("10PCT", PercentOff(1000))],
        points=points(2500, None),
    )
    m, a = order.lines
    assert (m.goods_discount, m.points_required, m.points_redeemed, m.payable) == (cny(0), 2000, 0, cny(1000))
    assert (a.goods_discount, a.points_redeemed, a.payable) == (cny(1000), 500, cny(10000 - 1000 - 500))
    assert (order.points.required, order.points.redeemed, order.points.debited) == (2000, 500, 2500)
    with pytest.raises(CouponNotApplicable, match="no item"):
        price(
            cart(("M", 1)),
            skus,
            policies(policy()),
            sku_terms=terms,
            points=points(2000, 0),
            coupons=[coupon("C", AmountOff(cny(100)))],
        )


# ---------------------------------------------------------------- step 7: balance


def test_balance_pays_part_of_the_order() -> None:
    order = price(
        cart(("A", 1)), catalog(sku("A", 10000)), policies(policy("S1", 500)), balance=BalanceUse(cny(8000), cny(3000))
    )
    assert (order.balance, order.total) == (cny(3000), cny(7500))


def test_balance_pays_all_it_can_and_covers_shipping() -> None:
    skus, ships = catalog(sku("A", 10000)), policies(policy("S1", 500))
    some = price(cart(("A", 1)), skus, ships, balance=BalanceUse(cny(4000), None))
    assert (some.balance, some.total) == (cny(4000), cny(6500))
    full = price(cart(("A", 1)), skus, ships, balance=BalanceUse(cny(50000), None))
    assert (full.balance, full.total) == (cny(10500), cny(0))


@pytest.mark.parametrize(
    ("available", "requested", "reason"),
    [(1000, 1001, "balance-insufficient"), (50000, 10501, "balance-exceeds-payable")],
)
def test_balance_never_more_than_available_or_due(available: int, requested: int, reason: str) -> None:
    with pytest.raises(InvalidRequest) as excinfo:
        price(
            cart(("A", 1)),
            catalog(sku("A", 10000)),
            policies(policy("S1", 500)),
            balance=BalanceUse(cny(available), cny(requested)),
        )
    assert (excinfo.value.extensions["field"], excinfo.value.extensions["reason"]) == ("balance.requested", reason)


def test_balance_in_another_currency_is_refused() -> None:
    with pytest.raises(InvalidRequest) as excinfo:
        price(cart(("A", 1)), catalog(sku("A", 10000)), policies(policy()), balance=BalanceUse(Money(100, "USD"), None))
    assert excinfo.value.extensions["field"] == "balance.available"


# ---------------------------------------------------------------- multi-store, FX, the frozen breakdown


def test_multi_store_order_everything_together() -> None:
    skus = catalog(sku("A", 15000), sku("B", 5000), sku("C", 30000, store="S2"))
    order = price(
        cart(("A", 1), ("B", 1), ("C", 1)),
        skus,
        policies(policy("S1", 800, 30000), policy("S2", 1200, 100000)),
        promotions=[promo("S1-200-30", tiers((20000, 3000))), promo("S2-10PCT", PercentOff(1000), store="S2")],
        coupons=[coupon("S2-SHIP", FreeShipping(), store="S2"), coupon("PLAT20", AmountOff(cny(2000)), store=None)],
        points=points(10**6, 2000),
        balance=BalanceUse(cny(1000), cny(1000)),
    )
    assert applied(order.promotions) == [("S2-10PCT", 3000), ("S1-200-30", 3000)]
    assert applied(order.coupons) == [("PLAT20", 2000), ("S2-SHIP", 1200)]
    assert (order.shipping, order.shipping_discount) == (cny(2000), cny(1200))
    # goods 500 − 30 − 30 − 20 = 420; points 20; shipping S1 8.00 (170 < 300); balance 10 → 398.00
    assert order.total == cny(39800)
    assert sum(payables(order)) == order.total.amount
    stores = order.stores()
    assert [s.store_id for s in stores] == ["S1", "S2"]
    assert sum(s.total.amount for s in stores) == order.total.amount
    assert stores[1].shipping_discount == cny(1200)


def test_fx_rate_is_frozen_and_the_reporting_total_rounded_half_even() -> None:
    usd = {"A": sku("A", 6750, currency="USD")}
    rate = FxRate.parse("USD", "CNY", "7.1234")
    order = price(cart(("A", 2)), usd, policies(policy(currency="USD")), fx=rate)
    assert order.total == Money(13500, "USD")
    assert order.reporting_total == Money(96166, "CNY")  # 135.00 × 7.1234 = 961.659
    assert order.to_dict()["fx"] == {
        "base": "USD",
        "quote": "CNY",
        "numerator": 35617,
        "denominator": 5000,
        "rate": "7.1234",
    }
    half = price(
        cart(("A", 1)),
        {"A": sku("A", 1, currency="USD")},
        policies(policy(currency="USD")),
        fx=FxRate("USD", "CNY", 5, 2),
    )
    assert half.reporting_total == Money(2, "CNY")  # 0.025 → 0.02 (half to even)


def test_an_fx_rate_from_another_currency_is_refused() -> None:
    with pytest.raises(InvalidRequest) as excinfo:
        price(cart(("A", 1)), catalog(sku("A", 100)), policies(policy()), fx=FxRate.parse("USD", "CNY", "7.1"))
    assert excinfo.value.extensions["reason"] == "fx-currency-mismatch"


def test_the_breakdown_is_json_and_the_same_for_quote_and_checkout() -> None:
    args: dict[str, Any] = {
        "promotions": [promo("SPEND200SAVE50", tiers((20000, 5000)))],
        "coupons": [coupon("TEN", AmountOff(cny(1000)))],
        "points": points(2000, 500, cap_bps=5000),
    }
    quote = price(cart(("A", 1), ("A", 1)), catalog(sku("A", 10000)), ONE_STORE, **args)
    checkout = price(cart(("A", 2)), catalog(sku("A", 10000)), ONE_STORE, **args)
    assert quote == checkout
    text = json.dumps(quote.to_dict(), sort_keys=True)
    assert json.loads(text)["total"] == {"amount": 13500, "currency": "CNY"}
    assert json.loads(text)["lines"][0]["discounts"][0] == {
        "source": "promotion",
        "id": "SPEND200SAVE50",
        "kind": "spend_and_save",
        "target": "goods",
        "amount": {"amount": 5000, "currency": "CNY"},
    }
