"""Cart pricing: merging, validation, server-side prices, per-store shipping and its allocation."""

from __future__ import annotations

import pytest
from oms.domain.catalog import ShippingPolicy, Sku, SkuStatus
from oms.domain.errors import InvalidRequest
from oms.domain.money import Money
from oms.domain.pricing import MAX_DISTINCT_SKUS, MAX_QUANTITY, CartLine, Quote, merge_cart, price_cart


def sku(
    sku_id: str,
    price: int,
    *,
    store: str = "S1",
    currency: str = "CNY",
    status: SkuStatus = SkuStatus.ACTIVE,
) -> Sku:
    return Sku(
        sku_id=sku_id,
        product_id=f"P-{sku_id}",
        store_id=store,
        name=f"Item {sku_id}",
        unit_price=Money(price, currency),
        warehouse_id=f"WH-{store}",
        weight_grams=250,
        status=status,
    )


def policy(store: str, fee: int, threshold: int | None = None, currency: str = "CNY") -> ShippingPolicy:
    return ShippingPolicy(
        store_id=store,
        currency=currency,
        flat_fee=Money(fee, currency),
        free_threshold=None if threshold is None else Money(threshold, currency),
    )


def catalog(*skus: Sku) -> dict[str, Sku]:
    return {s.sku_id: s for s in skus}


def policies(*items: ShippingPolicy) -> dict[str, ShippingPolicy]:
    return {p.store_id: p for p in items}


def cart(*lines: tuple[str, int]) -> list[CartLine]:
    return [CartLine(sku_id, quantity) for sku_id, quantity in lines]


def invalid(excinfo: pytest.ExceptionInfo[InvalidRequest]) -> dict[str, object]:
    return dict(excinfo.value.extensions)


FREE = policy("S1", 0)


# ---------------------------------------------------------------- merge_cart


def test_merge_cart_adds_quantities_of_the_same_sku_in_first_seen_order() -> None:
    merged = merge_cart(cart(("B", 2), ("A", 1), ("B", 3), ("C", 1), ("A", 4)))
    assert merged == cart(("B", 5), ("A", 5), ("C", 1))


def test_merge_cart_rejects_an_empty_cart() -> None:
    with pytest.raises(InvalidRequest, match="empty") as excinfo:
        merge_cart([])
    assert invalid(excinfo)["field"] == "lines"


@pytest.mark.parametrize("quantity", [0, -1, MAX_QUANTITY + 1, 10**6])
def test_merge_cart_rejects_out_of_range_quantity_with_the_line_field_path(quantity: int) -> None:
    with pytest.raises(InvalidRequest, match=f"between 1 and {MAX_QUANTITY}") as excinfo:
        merge_cart(cart(("A", 1), ("B", 2), ("C", quantity)))
    assert invalid(excinfo)["field"] == "lines[2].quantity"


@pytest.mark.parametrize("quantity", [1, MAX_QUANTITY])
def test_merge_cart_accepts_quantity_bounds(quantity: int) -> None:
    assert merge_cart(cart(("A", quantity))) == cart(("A", quantity))


def test_merge_cart_rejects_duplicates_whose_combined_quantity_exceeds_the_maximum() -> None:
    with pytest.raises(InvalidRequest, match=f"quantity of A exceeds {MAX_QUANTITY}") as excinfo:
        merge_cart(cart(("A", 500), ("B", 1), ("A", 500)))
    assert invalid(excinfo)["field"] == "lines"


def test_merge_cart_accepts_duplicates_that_combine_to_exactly_the_maximum() -> None:
    assert merge_cart(cart(("A", 500), ("A", MAX_QUANTITY - 500))) == cart(("A", MAX_QUANTITY))


def test_merge_cart_accepts_the_maximum_number_of_distinct_skus() -> None:
    lines = [CartLine(f"SKU{i}", 1) for i in range(MAX_DISTINCT_SKUS)]
    assert len(merge_cart(lines)) == MAX_DISTINCT_SKUS


def test_merge_cart_rejects_more_than_the_maximum_number_of_distinct_skus() -> None:
    lines = [CartLine(f"SKU{i}", 1) for i in range(MAX_DISTINCT_SKUS + 1)]
    with pytest.raises(InvalidRequest, match=f"at most {MAX_DISTINCT_SKUS}") as excinfo:
        merge_cart(lines)
    assert invalid(excinfo)["field"] == "lines"


def test_merge_cart_counts_distinct_skus_not_lines() -> None:
    lines = [CartLine(f"SKU{i}", 1) for i in range(MAX_DISTINCT_SKUS)] + [CartLine("SKU0", 1)]
    merged = merge_cart(lines)
    assert len(merged) == MAX_DISTINCT_SKUS
    assert merged[0] == CartLine("SKU0", 2)


# ---------------------------------------------------------------- price_cart: prices and lines


def test_prices_come_from_the_catalog_and_lines_carry_catalog_facts() -> None:
    quote = price_cart(cart(("A", 3)), catalog(sku("A", 1999, store="S1")), policies(FREE))

    (line,) = quote.lines
    assert line.line_no == 1
    assert (line.sku_id, line.product_id, line.store_id, line.warehouse_id, line.name) == (
        "A",
        "P-A",
        "S1",
        "WH-S1",
        "Item A",
    )
    assert line.unit_price == Money(1999, "CNY")
    assert line.quantity == 3
    assert line.line_total == Money(5997, "CNY")
    assert line.discount == Money(0, "CNY")
    assert quote.currency == "CNY"


def test_a_catalog_price_change_changes_the_quote() -> None:
    lines = cart(("A", 2))
    before = price_cart(lines, catalog(sku("A", 1000)), policies(FREE))
    after = price_cart(lines, catalog(sku("A", 1200)), policies(FREE))
    assert before.breakdown.total == Money(2000, "CNY")
    assert after.breakdown.total == Money(2400, "CNY")


def test_duplicate_sku_lines_are_priced_as_one_merged_line() -> None:
    quote = price_cart(
        cart(("A", 1), ("B", 1), ("A", 2)),
        catalog(sku("A", 100), sku("B", 50)),
        policies(FREE),
    )
    assert [(line.line_no, line.sku_id, line.quantity) for line in quote.lines] == [(1, "A", 3), (2, "B", 1)]
    assert quote.breakdown.subtotal == Money(350, "CNY")


def test_a_cart_priced_in_jpy_is_quoted_in_jpy() -> None:
    quote = price_cart(
        cart(("A", 2)),
        catalog(sku("A", 1500, currency="JPY")),
        policies(policy("S1", 500, currency="JPY")),
    )
    assert quote.currency == "JPY"
    assert quote.breakdown.total == Money(3500, "JPY")


# ---------------------------------------------------------------- price_cart: rejections


def test_an_empty_cart_is_rejected() -> None:
    with pytest.raises(InvalidRequest, match="empty"):
        price_cart([], catalog(sku("A", 100)), policies(FREE))


def test_cart_quantity_rules_apply_when_pricing() -> None:
    with pytest.raises(InvalidRequest) as excinfo:
        price_cart(cart(("A", 0)), catalog(sku("A", 100)), policies(FREE))
    assert invalid(excinfo)["field"] == "lines[0].quantity"


def test_unknown_skus_are_rejected_and_listed_once_each_in_cart_order() -> None:
    with pytest.raises(InvalidRequest, match="unknown SKU: X, Y") as excinfo:
        price_cart(
            cart(("X", 1), ("A", 1), ("Y", 1), ("X", 1)),
            catalog(sku("A", 100)),
            policies(FREE),
        )
    assert invalid(excinfo)["unknownSkus"] == ["X", "Y"]
    assert invalid(excinfo)["field"] == "lines"


def test_inactive_skus_are_not_for_sale() -> None:
    with pytest.raises(InvalidRequest, match="not for sale: B") as excinfo:
        price_cart(
            cart(("A", 1), ("B", 1)),
            catalog(sku("A", 100), sku("B", 100, status=SkuStatus.INACTIVE)),
            policies(FREE),
        )
    assert invalid(excinfo)["inactiveSkus"] == ["B"]
    assert invalid(excinfo)["field"] == "lines"


def test_items_in_different_currencies_cannot_share_an_order() -> None:
    with pytest.raises(InvalidRequest, match="one currency") as excinfo:
        price_cart(
            cart(("A", 1), ("B", 1)),
            catalog(sku("A", 100, currency="CNY"), sku("B", 100, store="S2", currency="USD")),
            policies(FREE, policy("S2", 0, currency="USD")),
        )
    assert invalid(excinfo)["field"] == "lines"


def test_a_store_without_a_shipping_policy_is_not_open_for_orders() -> None:
    with pytest.raises(InvalidRequest, match="store S2 is not open for orders") as excinfo:
        price_cart(
            cart(("A", 1), ("B", 1)),
            catalog(sku("A", 100, store="S1"), sku("B", 100, store="S2")),
            policies(FREE),
        )
    assert invalid(excinfo)["field"] == "lines"


def test_a_store_charging_shipping_in_another_currency_is_rejected() -> None:
    with pytest.raises(InvalidRequest, match="store S1 charges shipping in USD"):
        price_cart(cart(("A", 1)), catalog(sku("A", 100)), policies(policy("S1", 500, currency="USD")))


# ---------------------------------------------------------------- shipping


def shipping_for(subtotal: int, fee: int = 800, threshold: int | None = 10000) -> Money:
    quote = price_cart(cart(("A", 1)), catalog(sku("A", subtotal)), policies(policy("S1", fee, threshold)))
    return quote.breakdown.shipping


def test_flat_fee_is_charged_below_the_free_shipping_threshold() -> None:
    assert shipping_for(9999) == Money(800, "CNY")


def test_shipping_is_free_exactly_at_the_threshold() -> None:
    assert shipping_for(10000) == Money(0, "CNY")


def test_shipping_is_free_above_the_threshold() -> None:
    assert shipping_for(10001) == Money(0, "CNY")


def test_flat_fee_is_always_charged_without_a_threshold() -> None:
    assert shipping_for(10**9, threshold=None) == Money(800, "CNY")


def test_free_threshold_counts_the_whole_store_subtotal_across_lines() -> None:
    quote = price_cart(
        cart(("A", 3), ("B", 1)),
        catalog(sku("A", 3000), sku("B", 1000)),
        policies(policy("S1", 800, 10000)),
    )
    assert quote.breakdown.subtotal == Money(10000, "CNY")
    assert quote.breakdown.shipping == Money(0, "CNY")


def test_each_store_charges_its_own_fee() -> None:
    quote = price_cart(
        cart(("A", 1), ("B", 1)),
        catalog(sku("A", 1000, store="S1"), sku("B", 1000, store="S2")),
        policies(policy("S1", 500), policy("S2", 700)),
    )
    assert quote.breakdown.shipping == Money(1200, "CNY")
    assert [line.shipping.amount for line in quote.lines] == [500, 700]


def test_threshold_is_per_store_not_per_cart() -> None:
    # the cart totals 12000, above either threshold, but neither store alone reaches 10000
    quote = price_cart(
        cart(("A", 1), ("B", 1)),
        catalog(sku("A", 6000, store="S1"), sku("B", 6000, store="S2")),
        policies(policy("S1", 500, 10000), policy("S2", 700, 10000)),
    )
    assert quote.breakdown.shipping == Money(1200, "CNY")


def test_only_the_store_below_its_threshold_charges_shipping() -> None:
    quote = price_cart(
        cart(("A", 1), ("B", 1)),
        catalog(sku("A", 20000, store="S1"), sku("B", 500, store="S2")),
        policies(policy("S1", 500, 10000), policy("S2", 700, 10000)),
    )
    assert quote.breakdown.shipping == Money(700, "CNY")
    by_sku = {line.sku_id: line.shipping.amount for line in quote.lines}
    assert by_sku == {"A": 0, "B": 700}


def test_store_shipping_is_allocated_to_its_lines_by_largest_remainder() -> None:
    # S1's fee 1000 over line totals 1000 and 2000: exact shares 333.33 and 666.67
    quote = price_cart(
        cart(("A", 1), ("B", 1), ("C", 1)),
        catalog(sku("A", 1000, store="S1"), sku("B", 2000, store="S1"), sku("C", 500, store="S2")),
        policies(policy("S1", 1000), policy("S2", 300)),
    )
    assert [line.shipping.amount for line in quote.lines] == [333, 667, 300]
    assert [line.payable.amount for line in quote.lines] == [1333, 2667, 800]
    assert sum(line.payable.amount for line in quote.lines) == quote.breakdown.total.amount == 4800


def test_store_shipping_ties_go_to_the_earlier_line() -> None:
    quote = price_cart(
        cart(("A", 1), ("B", 1), ("C", 1)),
        catalog(sku("A", 100), sku("B", 100), sku("C", 100)),
        policies(policy("S1", 100)),
    )
    assert [line.shipping.amount for line in quote.lines] == [34, 33, 33]


def test_shipping_on_zero_priced_lines_is_spread_evenly() -> None:
    quote = price_cart(
        cart(("GIFT1", 1), ("GIFT2", 1)),
        catalog(sku("GIFT1", 0), sku("GIFT2", 0)),
        policies(policy("S1", 501)),
    )
    assert [line.shipping.amount for line in quote.lines] == [251, 250]
    assert quote.breakdown.total == Money(501, "CNY")


# ---------------------------------------------------------------- breakdown and shape


def two_store_quote() -> Quote:
    return price_cart(
        cart(("A", 2), ("B", 1), ("A", 1)),
        catalog(sku("A", 1250, store="S1"), sku("B", 999, store="S2")),
        policies(policy("S1", 600, 5000), policy("S2", 800, 5000)),
    )


def test_breakdown_total_is_subtotal_plus_shipping_minus_discount() -> None:
    breakdown = two_store_quote().breakdown
    assert breakdown.subtotal == Money(3750 + 999, "CNY")
    assert breakdown.shipping == Money(600 + 800, "CNY")
    assert breakdown.discount == Money(0, "CNY")
    assert breakdown.total == breakdown.subtotal + breakdown.shipping - breakdown.discount
    assert breakdown.total == Money(6149, "CNY")


def test_line_payables_sum_to_the_order_total() -> None:
    quote = two_store_quote()
    for line in quote.lines:
        assert line.payable == line.line_total + line.shipping - line.discount
    assert sum(line.payable.amount for line in quote.lines) == quote.breakdown.total.amount


def test_quote_to_dict_shape() -> None:
    def m(amount: int) -> dict[str, object]:
        return {"amount": amount, "currency": "CNY"}

    assert two_store_quote().to_dict() == {
        "currency": "CNY",
        "lines": [
            {
                "lineNo": 1,
                "skuId": "A",
                "productId": "P-A",
                "storeId": "S1",
                "warehouseId": "WH-S1",
                "name": "Item A",
                "unitPrice": m(1250),
                "quantity": 3,
                "lineTotal": m(3750),
                "shipping": m(600),
                "discount": m(0),
                "payable": m(4350),
            },
            {
                "lineNo": 2,
                "skuId": "B",
                "productId": "P-B",
                "storeId": "S2",
                "warehouseId": "WH-S2",
                "name": "Item B",
                "unitPrice": m(999),
                "quantity": 1,
                "lineTotal": m(999),
                "shipping": m(800),
                "discount": m(0),
                "payable": m(1799),
            },
        ],
        "breakdown": {"subtotal": m(4749), "shipping": m(1400), "discount": m(0), "total": m(6149)},
    }
