"""Properties of `price_order` over random catalogs, stores, promotions, coupons, points and balance."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cache
from random import Random

from hypothesis import given, settings
from hypothesis import strategies as st
from oms.domain.catalog import ShippingPolicy, Sku
from oms.domain.errors import InvalidRequest
from oms.domain.membership import MemberTier
from oms.domain.money import Money
from oms.domain.order_pricing import BalanceUse, DiscountTarget, PointsUse, PricedOrder, SkuTerms, price_order
from oms.domain.pricing import CartLine, price_cart
from oms.domain.promotions import (
    BPS,
    AmountOff,
    BuyXGetY,
    Coupon,
    CouponBenefit,
    CouponNotApplicable,
    CouponTemplate,
    FreeShipping,
    FreeShippingOver,
    PercentOff,
    PointsRate,
    PointsRules,
    Promotion,
    PromotionRule,
    Scope,
    SpendAndSave,
    Tier,
    ValidityWindow,
)

FAST = settings(max_examples=150, deadline=None)
CURRENCY = "CNY"
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
CATEGORIES = ("tea", "cups", "gifts")


def cny(amount: int) -> Money:
    return Money(amount, CURRENCY)


@dataclass(frozen=True)
class Scenario:
    cart: tuple[CartLine, ...]
    skus: dict[str, Sku]
    shipping: dict[str, ShippingPolicy]
    terms: dict[str, SkuTerms]
    promotions: tuple[Promotion, ...]
    coupons: tuple[Coupon, ...]
    points: PointsUse | None
    balance: BalanceUse | None
    member: MemberTier | None = None

    def price(
        self, cart: Sequence[CartLine] | None = None, promotions: Sequence[Promotion] | None = None
    ) -> PricedOrder:
        return price_order(
            self.cart if cart is None else cart,
            self.skus,
            self.shipping,
            now=NOW,
            promotions=self.promotions if promotions is None else promotions,
            coupons=self.coupons,
            points=self.points,
            balance=self.balance,
            customer_id="alice",
            sku_terms=self.terms,
            member=self.member,
        )


# Strategies are built once: building them inside every draw costs more than pricing the order.
DAY = timedelta(days=1)
WINDOWS = st.sampled_from(
    [ValidityWindow(NOW - DAY, NOW + DAY)] * 6
    + [ValidityWindow(NOW - 2 * DAY, NOW - DAY), ValidityWindow(NOW + DAY), ValidityWindow(NOW - DAY, NOW)]
    + [ValidityWindow(NOW)]  # ends exactly now / starts exactly now: the window's edges
)
CATEGORY_SETS = st.sampled_from([frozenset(), frozenset(), frozenset({"tea"}), frozenset({"tea", "cups"})])
SKU_CATEGORY = st.none() | st.sampled_from(CATEGORIES)
POINTS_PRICES = st.sampled_from([0] * 10 + [100, 2500])
PRICES = st.builds(cny, st.integers(0, 10**6))
FEES = st.builds(cny, st.integers(0, 2000))
THRESHOLDS = st.none() | st.builds(cny, st.integers(0, 10**6))
CAPS = st.none() | st.builds(cny, st.integers(1, 10**5))
BPS_VALUES = st.integers(1, BPS)
QUANTITIES = st.integers(1, 20)
SMALL = st.integers(0, 2)
REDEEM_RATES = st.sampled_from(
    [PointsRate(100, cny(100)), PointsRate(1000, cny(100)), PointsRate(2, cny(5))]
) | st.builds(PointsRate, st.integers(1, 1000), st.builds(cny, st.integers(1, 500)))
EARN_RATES = st.none() | st.builds(PointsRate, st.integers(1, 10), st.builds(cny, st.integers(1, 1000)))
MAX_STORES, MAX_SKUS = 3, 8
STORE_IDS = [f"S{i}" for i in range(MAX_STORES)]
SKU_IDS = [f"K{i}" for i in range(MAX_SKUS)]


@cache
def index_below(n: int) -> st.SearchStrategy[int]:
    return st.integers(0, n - 1)


@st.composite
def scopes(draw: st.DrawFn, stores: int, skus: int) -> Scope:
    store = None if draw(st.booleans()) else STORE_IDS[draw(index_below(stores))]
    named = frozenset(
        SKU_IDS[draw(index_below(skus))] for _ in range(draw(SMALL if draw(st.booleans()) else st.just(0)))
    )
    return Scope(store, draw(CATEGORY_SETS), named)


@st.composite
def promotion_rules(draw: st.DrawFn) -> PromotionRule:
    kind = draw(index_below(4))
    if kind == 0:
        return BuyXGetY(draw(index_below(4)) + 1, draw(index_below(3)) + 1)
    if kind == 1:
        return PercentOff(draw(BPS_VALUES), draw(CAPS))
    if kind == 2:
        count = draw(index_below(3)) + 1
        thresholds = sorted(draw(st.sets(st.integers(0, 10**6), min_size=count, max_size=count)))
        offs = sorted(draw(st.sets(st.integers(1, 10**6), min_size=count, max_size=count)))
        return SpendAndSave(tuple(Tier(cny(t), cny(o)) for t, o in zip(thresholds, offs, strict=True)))
    return FreeShippingOver(draw(PRICES))


@st.composite
def coupon_benefits(draw: st.DrawFn) -> CouponBenefit:
    kind = draw(index_below(3))
    if kind == 0:
        return AmountOff(cny(draw(st.integers(1, 10**5))))
    if kind == 1:
        return PercentOff(draw(BPS_VALUES), draw(CAPS))
    return FreeShipping(draw(st.none() | st.builds(cny, st.integers(1, 2000))))


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    stores = draw(index_below(MAX_STORES)) + 1
    sku_count = draw(index_below(MAX_SKUS)) + 1
    sku_ids = SKU_IDS[:sku_count]
    skus = {
        sku_id: Sku(sku_id, f"P-{sku_id}", STORE_IDS[draw(index_below(stores))], sku_id, draw(PRICES), "WH", 100)
        for sku_id in sku_ids
    }
    member_prices = st.dictionaries(st.sampled_from(["m1", "m2"]), PRICES, max_size=2)
    terms = {
        sku_id: SkuTerms(
            category_id=draw(SKU_CATEGORY), points_price=draw(POINTS_PRICES), member_prices=draw(member_prices)
        )
        for sku_id in sku_ids
    }
    member = draw(st.none() | st.builds(MemberTier, st.just("m1"), st.just("M1"), st.just(0), st.integers(0, BPS - 1)))
    cart = tuple(
        CartLine(sku_ids[draw(index_below(sku_count))], draw(QUANTITIES))
        for _ in range(draw(index_below(MAX_SKUS)) + 1)
    )
    shipping = {store: ShippingPolicy(store, CURRENCY, draw(FEES), draw(THRESHOLDS)) for store in STORE_IDS[:stores]}
    promotions = tuple(
        Promotion(
            promotion_id=f"PR{n}",
            rule=draw(promotion_rules()),
            scope=draw(scopes(stores, sku_count)),
            window=draw(WINDOWS),
            priority=draw(SMALL),
            allow_coupons=draw(st.booleans()),
        )
        for n in range(draw(index_below(6)))
    )
    coupons = tuple(
        Coupon(
            code=f"C{n}",
            template=CouponTemplate(
                template_id=f"T{draw(SMALL)}",
                benefit=draw(coupon_benefits()),
                scope=draw(scopes(stores, sku_count)),
                window=draw(WINDOWS),
                min_spend=draw(st.none() | st.builds(cny, st.integers(0, 10**5))),
                per_customer_limit=draw(st.none() | st.integers(1, 3)),
                stackable=draw(st.booleans()),
            ),
            owner_id=draw(st.sampled_from([None, None, "alice", "bob"])),
            uses_by_customer=draw(SMALL),
        )
        for n in range(draw(index_below(5)))
    )
    points = None
    if draw(st.booleans()):
        rules = PointsRules(
            redeem_rate=draw(REDEEM_RATES), cap_bps=draw(st.integers(0, BPS)), earn_rate=draw(EARN_RATES)
        )
        points = PointsUse(rules, draw(st.integers(0, 10**6)), draw(st.none() | st.integers(0, 10**5)))
    balance = None
    if draw(st.booleans()):
        available = draw(st.integers(0, 10**7))
        requested = draw(st.none() | st.integers(0, 10**7))
        balance = BalanceUse(cny(available), None if requested is None else cny(min(requested, available)))
    return Scenario(cart, skus, shipping, terms, promotions, coupons, points, balance, member)


def settle(scenario: Scenario) -> tuple[Scenario, PricedOrder]:
    """Price the scenario, dropping what the engine refuses (as a client would) until it prices."""
    while True:
        try:
            return scenario, scenario.price()
        except CouponNotApplicable as refused:
            kept = tuple(c for n, c in enumerate(scenario.coupons) if n != refused.index)
            scenario = replace(scenario, coupons=kept)
        except InvalidRequest as refused:
            reason, field = refused.extensions.get("reason"), refused.extensions.get("field")
            if field == "balance.requested" and scenario.balance is not None:
                scenario = replace(scenario, balance=replace(scenario.balance, requested=None))
            elif field == "points.requested" and scenario.points is not None:
                scenario = replace(scenario, points=replace(scenario.points, requested=None))
            elif reason in ("points-required", "points-insufficient"):  # points-mall lines need more points
                current = scenario.points or PointsUse(
                    PointsRules(redeem_rate=PointsRate(100, cny(100)), cap_bps=BPS), 0, 0
                )
                scenario = replace(scenario, points=replace(current, available=current.available + 10**6))
            else:
                raise


@st.composite
def priced(draw: st.DrawFn) -> tuple[Scenario, PricedOrder]:
    return settle(draw(scenarios()))


def parts_of(order: PricedOrder) -> list[int]:
    amounts = [order.subtotal.amount, order.shipping.amount, order.balance.amount, order.total.amount]
    amounts += [d.amount.amount for d in order.member + order.promotions + order.coupons]
    for line in order.lines:
        amounts += [line.original.amount, line.shipping.amount, line.points_value.amount, line.balance.amount]
        amounts += [line.payable.amount, line.points_redeemed, line.points_required, line.points_earned]
        amounts += [d.amount.amount for d in line.discounts]
    return amounts


@FAST
@given(priced())
def test_total_and_every_part_are_never_negative(case: tuple[Scenario, PricedOrder]) -> None:
    _, order = case
    assert order.total.amount >= 0
    assert min(parts_of(order)) >= 0


@FAST
@given(priced())
def test_line_payables_and_every_share_sum_exactly_to_the_order(case: tuple[Scenario, PricedOrder]) -> None:
    _, order = case
    assert sum(line.payable.amount for line in order.lines) == order.total.amount
    assert sum(line.shipping.amount for line in order.lines) == order.shipping.amount
    assert sum(line.balance.amount for line in order.lines) == order.balance.amount
    assert sum(line.points_value.amount for line in order.lines) == order.points.value.amount
    assert sum(line.points_redeemed for line in order.lines) == order.points.redeemed
    assert sum(line.points_earned for line in order.lines) == order.points.earned
    for applied in order.member + order.promotions + order.coupons:
        key = (applied.source, applied.source_id, applied.kind)
        shares = [
            d.amount.amount for line in order.lines for d in line.discounts if (d.source, d.source_id, d.kind) == key
        ]
        assert sum(shares) == applied.amount.amount
    assert order.total.amount == (
        order.subtotal.amount
        - order.goods_discount.amount
        - order.points.value.amount
        + order.shipping.amount
        - order.shipping_discount.amount
        - order.balance.amount
    )
    assert sum(store.total.amount for store in order.stores()) == order.total.amount


@FAST
@given(priced())
def test_discounts_never_exceed_what_they_discount(case: tuple[Scenario, PricedOrder]) -> None:
    scenario, order = case
    assert order.goods_discount.amount + order.points.value.amount <= order.subtotal.amount
    assert order.shipping_discount.amount <= order.shipping.amount
    for line in order.lines:
        assert line.goods_discount.amount + line.points_value.amount <= line.original.amount
        assert line.shipping_discount.amount <= line.shipping.amount
    if scenario.points is not None:
        spare = scenario.points.available - order.points.required
        assert order.points.redeemed <= spare
        assert order.points.redeemed % scenario.points.rules.redeem_rate.step == 0
        goods_left = sum(
            line.original.amount - line.goods_discount.amount for line in order.lines if line.unit_points == 0
        )
        assert order.points.value.amount <= goods_left * scenario.points.rules.cap_bps // BPS
    else:
        assert order.points.debited == 0
    if scenario.balance is not None:
        assert order.balance.amount <= scenario.balance.available.amount


@FAST
@given(priced())
def test_each_lines_parts_sum_to_its_payable(case: tuple[Scenario, PricedOrder]) -> None:
    _, order = case
    for line in order.lines:
        goods = sum(d.amount.amount for d in line.discounts if d.target is DiscountTarget.GOODS)
        shipping = sum(d.amount.amount for d in line.discounts if d.target is DiscountTarget.SHIPPING)
        assert line.original == line.unit_price * line.quantity
        assert line.points_required == line.unit_points * line.quantity
        assert line.payable.amount == (
            line.original.amount
            - goods
            - line.points_value.amount
            + line.shipping.amount
            - shipping
            - line.balance.amount
        )
        if line.unit_points:  # points-mall lines take no discount and earn nothing
            assert (goods, line.points_redeemed, line.points_earned) == (0, 0, 0)


@FAST
@given(priced(), st.randoms(use_true_random=False))
def test_the_same_input_gives_the_same_breakdown_whatever_the_promotion_order(
    case: tuple[Scenario, PricedOrder], rnd: Random
) -> None:
    scenario, order = case
    again = scenario.price()
    assert again == order
    assert again.to_dict() == order.to_dict()
    shuffled = list(scenario.promotions)
    rnd.shuffle(shuffled)
    assert scenario.price(promotions=shuffled) == order


@FAST
@given(priced(), st.data())
def test_splitting_or_merging_cart_lines_changes_nothing(
    case: tuple[Scenario, PricedOrder], data: st.DataObject
) -> None:
    scenario, order = case
    split: list[CartLine] = []
    for line in scenario.cart:
        first = data.draw(st.integers(min_value=0, max_value=line.quantity - 1))
        split += [CartLine(line.sku_id, line.quantity - first)] + ([CartLine(line.sku_id, first)] if first else [])
    merged: dict[str, int] = {}
    for line in scenario.cart:
        merged[line.sku_id] = merged.get(line.sku_id, 0) + line.quantity
    assert scenario.price(split) == order
    assert scenario.price([CartLine(s, q) for s, q in merged.items()]) == order


@FAST
@given(scenarios())
def test_with_no_rules_at_all_the_order_prices_like_price_cart(scenario: Scenario) -> None:
    plain = replace(scenario, terms={}, promotions=(), coupons=(), points=None, balance=None, member=None)
    quote = price_cart(plain.cart, plain.skus, plain.shipping)
    order = plain.price()
    assert [line.payable for line in order.lines] == [line.payable for line in quote.lines]
    assert order.total == quote.breakdown.total
