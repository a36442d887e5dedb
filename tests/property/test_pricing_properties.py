"""Properties of cart pricing over random carts, catalogs and per-store shipping policies."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st
from oms.domain.catalog import ShippingPolicy, Sku
from oms.domain.money import Money
from oms.domain.pricing import MAX_DISTINCT_SKUS, MAX_QUANTITY, CartLine, Quote, price_cart

FAST = settings(max_examples=200, deadline=None)
CURRENCY = "CNY"


@dataclass(frozen=True)
class Scenario:
    cart: list[CartLine]
    skus: dict[str, Sku]
    shipping: dict[str, ShippingPolicy]

    def price(self, cart: list[CartLine] | None = None) -> Quote:
        return price_cart(self.cart if cart is None else cart, self.skus, self.shipping)


def cny(amount: int) -> Money:
    return Money(amount, CURRENCY)


@st.composite
def threshold_near(draw: st.DrawFn, store_subtotal: int) -> Money | None:
    """No threshold, or one just below, at, or above the store's subtotal, or anywhere at all."""
    choice = draw(st.sampled_from(["none", "below", "at", "above", "anywhere"]))
    if choice == "none":
        return None
    if choice == "anywhere":
        return cny(draw(st.integers(min_value=0, max_value=10**12)))
    offset = draw(st.integers(min_value=1, max_value=10**6))
    amount = {"below": store_subtotal - offset, "at": store_subtotal, "above": store_subtotal + offset}[choice]
    return cny(max(amount, 0))


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    store_ids = [f"S{i}" for i in range(draw(st.integers(min_value=1, max_value=3)))]
    count = draw(st.integers(min_value=1, max_value=MAX_DISTINCT_SKUS))
    skus = {
        f"SKU{i}": Sku(
            sku_id=f"SKU{i}",
            product_id=f"P{i}",
            store_id=draw(st.sampled_from(store_ids)),
            name=f"Item {i}",
            unit_price=cny(draw(st.integers(min_value=0, max_value=10**7))),
            warehouse_id="WH1",
            weight_grams=100,
        )
        for i in range(count)
    }
    cart = [CartLine(sku_id, draw(st.integers(min_value=1, max_value=MAX_QUANTITY))) for sku_id in skus]
    store_subtotals: dict[str, int] = defaultdict(int)
    for line in cart:
        store_subtotals[skus[line.sku_id].store_id] += skus[line.sku_id].unit_price.amount * line.quantity
    shipping = {
        store_id: ShippingPolicy(
            store_id=store_id,
            currency=CURRENCY,
            flat_fee=cny(draw(st.integers(min_value=0, max_value=100_000))),
            free_threshold=draw(threshold_near(store_subtotals[store_id])),
        )
        for store_id in store_ids
    }
    return Scenario(cart=cart, skus=skus, shipping=shipping)


def shipping_by_store(quote: Quote) -> dict[str, int]:
    result: dict[str, int] = defaultdict(int)
    for line in quote.lines:
        result[line.store_id] += line.shipping.amount
    return dict(result)


def subtotal_by_store(quote: Quote) -> dict[str, int]:
    result: dict[str, int] = defaultdict(int)
    for line in quote.lines:
        result[line.store_id] += line.line_total.amount
    return dict(result)


@FAST
@given(scenario=scenarios())
def test_total_is_never_negative(scenario: Scenario) -> None:
    assert scenario.price().breakdown.total.amount >= 0


@FAST
@given(scenario=scenarios())
def test_line_payables_sum_to_the_total(scenario: Scenario) -> None:
    quote = scenario.price()
    assert sum(line.payable.amount for line in quote.lines) == quote.breakdown.total.amount


@FAST
@given(scenario=scenarios())
def test_line_totals_sum_to_the_subtotal_and_use_catalog_prices(scenario: Scenario) -> None:
    quote = scenario.price()
    for line in quote.lines:
        assert line.unit_price == scenario.skus[line.sku_id].unit_price
        assert line.line_total.amount == line.unit_price.amount * line.quantity
    assert sum(line.line_total.amount for line in quote.lines) == quote.breakdown.subtotal.amount


@FAST
@given(scenario=scenarios())
def test_line_shipping_sums_to_the_breakdown_shipping(scenario: Scenario) -> None:
    quote = scenario.price()
    assert sum(line.shipping.amount for line in quote.lines) == quote.breakdown.shipping.amount


@FAST
@given(scenario=scenarios())
def test_breakdown_total_is_subtotal_plus_shipping_minus_discount(scenario: Scenario) -> None:
    b = scenario.price().breakdown
    assert b.total.amount == b.subtotal.amount + b.shipping.amount - b.discount.amount
    assert {b.subtotal.currency, b.shipping.currency, b.discount.currency, b.total.currency} == {CURRENCY}


@FAST
@given(scenario=scenarios())
def test_each_store_charges_its_flat_fee_or_nothing_according_to_its_threshold(scenario: Scenario) -> None:
    quote = scenario.price()
    charged = shipping_by_store(quote)
    for store_id, subtotal in subtotal_by_store(quote).items():
        policy = scenario.shipping[store_id]
        assert charged[store_id] in (0, policy.flat_fee.amount)
        waived = policy.free_threshold is not None and subtotal >= policy.free_threshold.amount
        assert charged[store_id] == (0 if waived else policy.flat_fee.amount)


@FAST
@given(scenario=scenarios())
def test_line_shipping_is_never_negative_and_never_exceeds_its_store_fee(scenario: Scenario) -> None:
    for line in scenario.price().lines:
        assert 0 <= line.shipping.amount <= scenario.shipping[line.store_id].flat_fee.amount


@FAST
@given(scenario=scenarios())
def test_pricing_is_deterministic(scenario: Scenario) -> None:
    assert scenario.price() == scenario.price()
    assert scenario.price().to_dict() == scenario.price().to_dict()


@FAST
@given(scenario=scenarios())
def test_lines_are_numbered_from_one_in_cart_order(scenario: Scenario) -> None:
    quote = scenario.price()
    assert [line.line_no for line in quote.lines] == list(range(1, len(scenario.cart) + 1))
    assert [line.sku_id for line in quote.lines] == [line.sku_id for line in scenario.cart]


@st.composite
def split_and_shuffled(draw: st.DrawFn) -> tuple[Scenario, list[CartLine]]:
    """A scenario and the same cart with each line split into up to three pieces, in random order."""
    scenario = draw(scenarios())
    pieces: list[CartLine] = []
    for line in scenario.cart:
        cuts: list[int] = []
        if line.quantity > 1:
            cuts = sorted(draw(st.sets(st.integers(min_value=1, max_value=line.quantity - 1), max_size=2)))
        bounds = [0, *cuts, line.quantity]
        pieces.extend(CartLine(line.sku_id, high - low) for low, high in pairwise(bounds))
    return scenario, draw(st.permutations(pieces))


@FAST
@given(case=split_and_shuffled())
def test_splitting_and_reordering_duplicate_lines_does_not_change_totals(
    case: tuple[Scenario, list[CartLine]],
) -> None:
    scenario, pieces = case
    original, reordered = scenario.price(), scenario.price(pieces)

    assert reordered.breakdown == original.breakdown
    assert shipping_by_store(reordered) == shipping_by_store(original)
    assert {line.sku_id: (line.quantity, line.line_total) for line in reordered.lines} == {
        line.sku_id: (line.quantity, line.line_total) for line in original.lines
    }
