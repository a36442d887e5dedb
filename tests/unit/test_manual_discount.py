"""The manual discount (pricing step 5b) and its per-role cap (oms.domain.manual_orders): split over the lines
by largest remainder, after promotions and coupons, never touching shipping; the cap names itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from oms.domain.catalog import ShippingPolicy, Sku
from oms.domain.errors import InvalidRequest
from oms.domain.manual_orders import DEFAULT_LIMITS, ManualDiscountOverCap, ManualLimit, check_cap, limit_of
from oms.domain.money import Money
from oms.domain.order_pricing import DiscountSource, ManualDiscount, PricedOrder, price_order
from oms.domain.permissions import Actor, Role
from oms.domain.pricing import CartLine
from oms.domain.promotions import Promotion, Scope, SpendAndSave, Tier, ValidityWindow

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def cny(amount: int) -> Money:
    return Money(amount, "CNY")


def sku(sku_id: str, price: int) -> Sku:
    return Sku(sku_id, f"P-{sku_id}", "S1", f"Item {sku_id}", cny(price), "WH-S1", 250)


def catalog(*items: Sku) -> dict[str, Sku]:
    return {item.sku_id: item for item in items}


def policies(fee: int = 0) -> dict[str, ShippingPolicy]:
    return {"S1": ShippingPolicy("S1", "CNY", cny(fee), None)}


def cart(*lines: tuple[str, int]) -> list[CartLine]:
    return [CartLine(sku_id, quantity) for sku_id, quantity in lines]


def price(lines: list[CartLine], skus: dict[str, Sku], ships: dict[str, ShippingPolicy], **kw: Any) -> PricedOrder:
    return price_order(lines, skus, ships, now=NOW, **kw)


def spend_and_save(threshold: int, off: int) -> Promotion:
    window = ValidityWindow(NOW - timedelta(days=30), NOW + timedelta(days=30))
    return Promotion(
        promotion_id="P1", rule=SpendAndSave((Tier(cny(threshold), cny(off)),)), scope=Scope("S1"), window=window
    )


def test_a_percentage_is_split_over_the_lines_by_largest_remainder_and_leaves_shipping_alone() -> None:
    skus = catalog(sku("A", 1000), sku("B", 2001))
    plain = price(cart(("A", 1), ("B", 1)), skus, policies(800))
    order = price(cart(("A", 1), ("B", 1)), skus, policies(800), manual=ManualDiscount(bps=1000))
    [manual] = order.manual
    assert (manual.source, manual.kind, manual.amount) == (DiscountSource.MANUAL, "percentage", cny(300))
    shares = [d.amount.amount for line in order.lines for d in line.discounts if d.source is DiscountSource.MANUAL]
    assert shares == [100, 200] and sum(shares) == 300
    assert order.shipping == plain.shipping and order.total == plain.total - cny(300)
    assert order.to_dict()["manual"] == [manual.to_dict()] and "manual" not in plain.to_dict()


def test_the_manual_discount_applies_after_promotions() -> None:
    skus = catalog(sku("A", 10000))
    spend = spend_and_save(10000, 2000)
    order = price(cart(("A", 1)), skus, policies(), promotions=[spend], manual=ManualDiscount(bps=5000))
    assert order.manual[0].amount == cny(4000)  # half of what the promotion left (80.00)
    assert order.total == cny(4000)


def test_an_amount_never_takes_more_than_the_goods() -> None:
    order = price(cart(("A", 1)), catalog(sku("A", 500)), policies(300), manual=ManualDiscount(cny(900)))
    assert order.manual[0].amount == cny(500) and order.total == cny(300)


@pytest.mark.parametrize(
    "make",
    [
        lambda: ManualDiscount(),
        lambda: ManualDiscount(cny(1), 10),
        lambda: ManualDiscount(cny(0)),
        lambda: ManualDiscount(bps=0),
    ],
)
def test_a_manual_discount_is_one_positive_amount_or_percentage(make: object) -> None:
    with pytest.raises(InvalidRequest):
        make()  # type: ignore[operator]


def test_another_currency_is_refused() -> None:
    with pytest.raises(InvalidRequest):
        price(cart(("A", 1)), catalog(sku("A", 500)), policies(), manual=ManualDiscount(Money(1, "USD")))


def test_the_round_trip_of_the_stored_form() -> None:
    for discount in (ManualDiscount(cny(800)), ManualDiscount(bps=250)):
        assert ManualDiscount.from_dict(discount.to_dict()) == discount


@given(
    prices=st.lists(st.integers(min_value=1, max_value=100_000), min_size=1, max_size=6),
    bps=st.integers(min_value=1, max_value=10_000),
)
def test_the_shares_always_sum_to_the_discount(prices: list[int], bps: int) -> None:
    skus = catalog(*(sku(f"S{i}", p) for i, p in enumerate(prices)))
    lines = cart(*((f"S{i}", 1) for i in range(len(prices))))
    order = price(lines, skus, policies(), manual=ManualDiscount(bps=bps))
    taken = sum(d.amount.amount for line in order.lines for d in line.discounts if d.source is DiscountSource.MANUAL)
    assert taken == sum(prices) * bps // 10_000 == sum(d.amount.amount for d in order.manual)
    assert all(line.payable.amount >= 0 for line in order.lines)


def test_the_cap_per_role() -> None:
    support, admin = Actor("s", frozenset({Role.SUPPORT})), Actor("a", frozenset({Role.ADMIN}))
    base = cny(100_000)
    check_cap(support, DEFAULT_LIMITS, cny(10_000), base, field="f")  # 10 % exactly
    with pytest.raises(ManualDiscountOverCap) as over:
        check_cap(support, DEFAULT_LIMITS, cny(10_001), base, field="f")
    assert over.value.extensions["cap"] == {"amount": 10_000, "currency": "CNY"}
    with pytest.raises(ManualDiscountOverCap) as amount:  # 200.00 CNY caps support on a big order
        check_cap(support, DEFAULT_LIMITS, cny(20_001), cny(1_000_000), field="f")
    assert amount.value.extensions["cap"] == {"amount": 20_000, "currency": "CNY"}
    check_cap(admin, DEFAULT_LIMITS, base, base, field="f")
    with pytest.raises(ManualDiscountOverCap):  # a role without a limit gives nothing
        check_cap(Actor("f", frozenset({Role.FINANCE})), DEFAULT_LIMITS, cny(1), base, field="f")
    both = Actor("x", frozenset({Role.SUPPORT, Role.ADMIN}))
    assert limit_of(both, DEFAULT_LIMITS) == ManualLimit(10_000)
