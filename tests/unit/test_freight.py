"""Freight templates (oms.domain.freight) and step 5 of the pricing engine with them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from oms.domain.catalog import ShippingPolicy, Sku
from oms.domain.errors import InvalidRequest
from oms.domain.freight import (
    CATCH_ALL,
    FLAT_TEMPLATE_ID,
    Destination,
    FreeShipping,
    FreightBasis,
    FreightItem,
    FreightRule,
    FreightTemplate,
    ShippingDestinationRequired,
    ShippingRegionExcluded,
    Steps,
    charge_store,
    flat_template,
)
from oms.domain.money import Money
from oms.domain.order_pricing import price_order
from oms.domain.pricing import CartLine
from oms.domain.promotions import PercentOff, Promotion, Scope, ValidityWindow

NOW = datetime(2026, 12, 2, tzinfo=UTC)
GD = Destination("CN", "广东省")
SH = Destination("CN", "上海")
XJ = Destination("CN", "新疆")
US = Destination("US", "CA")


def cny(amount: int) -> Money:
    return Money(amount, "CNY")


def by_weight(**kw: object) -> FreightTemplate:
    """1 kg for 10.00, each further 500 g or part 4.00; Guangdong 1 kg 6.00 + 2.00; Xinjiang excluded."""
    defaults: dict[str, object] = {
        "template_id": "heavy",
        "name": "by weight",
        "currency": "CNY",
        "basis": FreightBasis.WEIGHT,
        "rules": (
            FreightRule((), Steps(1000, 1000, 500, 400)),
            FreightRule(("CN/广东",), Steps(1000, 600, 500, 200)),
        ),
        "excluded": ("CN/新疆",),
        "version": 3,
    }
    defaults.update(kw)
    return FreightTemplate(**defaults)  # type: ignore[arg-type]


def item(
    sku: str = "A", grams: int = 400, quantity: int = 1, amount: int = 5000, template: str | None = None
) -> FreightItem:
    return FreightItem(sku, template, grams, quantity, amount)


# ---------------------------------------------------------------- steps
@pytest.mark.parametrize(
    ("units", "fee"),
    [(0, 1000), (1, 1000), (1000, 1000), (1001, 1400), (1500, 1400), (1501, 1800), (3000, 2600)],
)
def test_weight_steps_charge_each_further_step_or_part_of_one(units: int, fee: int) -> None:
    assert Steps(1000, 1000, 500, 400).fee(units) == fee


@pytest.mark.parametrize(("pieces", "fee"), [(1, 800), (2, 800), (3, 1100), (4, 1100), (5, 1400)])
def test_piece_steps(pieces: int, fee: int) -> None:
    template = FreightTemplate("p", "by piece", "CNY", FreightBasis.PIECE, (FreightRule((), Steps(2, 800, 2, 300)),))
    charge = template.charge("S1", [item(quantity=pieces)], SH)
    assert (charge.units, charge.charged) == (pieces, cny(fee))


def test_weight_is_the_sum_of_weight_times_quantity() -> None:
    charge = by_weight().charge("S1", [item("A", 400, 2), item("B", 300, 1)], SH)
    assert (charge.units, charge.fee) == (1100, cny(1400))


# ---------------------------------------------------------------- regions
def test_the_province_rule_beats_the_country_rule_which_beats_the_catch_all() -> None:
    template = by_weight(
        rules=(
            FreightRule((), Steps(1000, 1000)),
            FreightRule(("CN",), Steps(1000, 800)),
            FreightRule(("CN/广东", "CN/广西"), Steps(1000, 600)),
        ),
        excluded=(),
    )
    assert (template.charge("S1", [item()], GD).region, template.charge("S1", [item()], GD).fee) == (
        "CN/广东",
        cny(600),
    )
    assert (template.charge("S1", [item()], SH).region, template.charge("S1", [item()], SH).fee) == ("CN", cny(800))
    assert (template.charge("S1", [item()], US).region, template.charge("S1", [item()], US).fee) == (
        CATCH_ALL,
        cny(1000),
    )


def test_province_names_match_with_or_without_their_suffix_and_case() -> None:
    template = by_weight(rules=(FreightRule(("US/ca",), Steps(1000, 700)), FreightRule(("CN/上海市",), Steps(1, 1))))
    assert template.charge("S1", [item()], US).fee == cny(700)
    assert template.charge("S1", [item()], SH).fee == cny(1)


def test_excluded_region_is_refused_naming_the_store_and_skus() -> None:
    with pytest.raises(ShippingRegionExcluded) as refused:
        by_weight().charge("S1", [item("A"), item("B")], XJ)
    assert refused.value.slug == "shipping-region-excluded"
    assert refused.value.extensions["storeId"] == "S1"
    assert refused.value.extensions["skuIds"] == ["A", "B"]


def test_a_province_rule_inside_an_excluded_country_still_ships() -> None:
    template = by_weight(excluded=("CN",))
    assert template.charge("S1", [item()], GD).fee == cny(600)
    with pytest.raises(ShippingRegionExcluded):
        template.charge("S1", [item()], SH)


def test_without_a_catch_all_unlisted_regions_are_not_served() -> None:
    template = by_weight(rules=(FreightRule(("CN",), Steps(1000, 800)),), excluded=())
    assert template.charge("S1", [item()], SH).fee == cny(800)
    with pytest.raises(ShippingRegionExcluded):
        template.charge("S1", [item()], US)
    with pytest.raises(ShippingDestinationRequired):
        template.charge("S1", [item()], None)


def test_without_a_destination_the_catch_all_prices_it() -> None:
    assert by_weight().charge("S1", [item()], None).fee == cny(1000)


def test_a_region_named_twice_or_two_catch_alls_are_refused() -> None:
    with pytest.raises(InvalidRequest):
        by_weight(excluded=("CN/广东省",))  # the same province as the rule's CN/广东
    with pytest.raises(InvalidRequest):
        by_weight(rules=(FreightRule((), Steps(1, 1)), FreightRule((), Steps(1, 2))))
    with pytest.raises(InvalidRequest):
        by_weight(excluded=("china",))


# ---------------------------------------------------------------- free shipping
def test_free_shipping_per_region_by_amount_or_quantity() -> None:
    template = by_weight(
        free_shipping=(FreeShipping((), min_amount=20000), FreeShipping(("CN/广东",), min_quantity=3)),
    )
    assert template.charge("S1", [item(amount=19999)], SH).free_by is None
    free = template.charge("S1", [item(amount=20000)], SH)
    assert (free.free_by, free.fee, free.charged) == ("amount", cny(1000), cny(0))
    # Guangdong has its own condition (3 pieces): the catch-all amount does not apply there
    assert template.charge("S1", [item(amount=50000, quantity=2)], GD).free_by is None
    assert template.charge("S1", [item(amount=100, quantity=3)], GD).free_by == "quantity"


def test_the_flat_fee_is_a_per_order_template() -> None:
    flat = flat_template("CNY", cny(1000), cny(9900))
    assert flat.template_id == FLAT_TEMPLATE_ID
    assert flat.charge("S1", [item(amount=9899, quantity=7)], US).charged == cny(1000)
    assert flat.charge("S1", [item(amount=9900)], None).charged == cny(0)


def test_round_trip_through_the_directory_form() -> None:
    template = by_weight(free_shipping=(FreeShipping(("CN",), min_amount=100, min_quantity=2),))
    assert FreightTemplate.from_dict("heavy", template.to_dict()) == template


# ---------------------------------------------------------------- a store with several templates
def test_lines_group_by_template_and_the_sums_add_unknown_templates_use_the_default() -> None:
    piece = FreightTemplate("p", "piece", "CNY", FreightBasis.PIECE, (FreightRule((), Steps(1, 500, 1, 100)),))
    charges = charge_store(
        "S1",
        [item("A", 600, template="heavy"), item("B", quantity=3, template="p"), item("C", template="gone")],
        {"heavy": by_weight(), "p": piece},
        flat_template("CNY", cny(800), None),
        SH,
    )
    assert [(c.template_id, c.charged.amount, groups) for c, groups in charges] == [
        ("heavy", 1000, [0]),
        ("p", 700, [1]),
        (FLAT_TEMPLATE_ID, 800, [2]),
    ]


def test_every_excluded_sku_of_a_store_is_named_in_one_problem() -> None:
    other = by_weight(template_id="other", rules=(FreightRule((), Steps(1, 1)),), excluded=("CN/新疆",))
    with pytest.raises(ShippingRegionExcluded) as refused:
        charge_store(
            "S1",
            [item("A", template="heavy"), item("B", template="other"), item("C")],
            {"heavy": by_weight(), "other": other},
            flat_template("CNY", cny(800), None),
            XJ,
        )
    assert refused.value.extensions["skuIds"] == ["A", "B"]


# ---------------------------------------------------------------- the engine
def sku(sku_id: str, price: int, grams: int, template: str | None = None, store: str = "S1") -> Sku:
    return Sku(sku_id, "P1", store, sku_id, cny(price), "WH1", grams, freight_template_id=template)


def test_engine_charges_by_template_and_freezes_what_it_applied() -> None:
    skus = {"A": sku("A", 3000, 800, "heavy"), "B": sku("B", 2000, 100)}
    policy = ShippingPolicy("S1", "CNY", cny(500), None, templates={"heavy": by_weight()})
    priced = price_order([CartLine("A", 2), CartLine("B", 1)], skus, {"S1": policy}, now=NOW, destination=GD)
    # A: 1600 g to Guangdong = 6.00 + 2 steps × 2.00; B: the flat fee 5.00
    assert priced.shipping == cny(1000 + 500)
    assert [(c.template_id, c.version, c.region, c.units, c.charged.amount) for c in priced.freight] == [
        ("heavy", 3, "CN/广东", 1600, 1000),
        (FLAT_TEMPLATE_ID, 0, CATCH_ALL, 1, 500),
    ]
    assert [line.shipping.amount for line in priced.lines] == [1000, 500]
    assert priced.to_dict()["freight"][0]["templateId"] == "heavy"


def test_free_shipping_amount_is_the_templates_goods_after_promotions() -> None:
    skus = {"A": sku("A", 10000, 500, "heavy")}
    template = by_weight(free_shipping=(FreeShipping((), min_amount=10000),))
    policy = ShippingPolicy("S1", "CNY", cny(500), None, templates={"heavy": template}, default_template_id="heavy")
    assert price_order([CartLine("A", 1)], skus, {"S1": policy}, now=NOW, destination=SH).shipping == cny(0)
    window = ValidityWindow(datetime(2020, 1, 1, tzinfo=UTC))
    promotion = Promotion(promotion_id="P10", rule=PercentOff(bps=1000), scope=Scope(), window=window)
    discounted = price_order([CartLine("A", 1)], skus, {"S1": policy}, now=NOW, destination=SH, promotions=[promotion])
    assert discounted.shipping == cny(1000)  # 9,000 after the promotion: under the 10,000 condition


def test_the_stores_default_template_prices_skus_without_their_own() -> None:
    skus = {"B": sku("B", 2000, 2000)}
    policy = ShippingPolicy("S1", "CNY", cny(500), None, templates={"heavy": by_weight()}, default_template_id="heavy")
    priced = price_order([CartLine("B", 1)], skus, {"S1": policy}, now=NOW, destination=SH)
    assert (priced.shipping, priced.freight[0].template_id) == (cny(1800), "heavy")


def test_excluded_destination_refuses_the_whole_order() -> None:
    skus = {"A": sku("A", 3000, 800, "heavy")}
    policy = ShippingPolicy("S1", "CNY", cny(500), None, templates={"heavy": by_weight()})
    with pytest.raises(ShippingRegionExcluded):
        price_order([CartLine("A", 1)], skus, {"S1": policy}, now=NOW, destination=XJ)


def test_a_store_without_templates_prices_exactly_as_its_flat_fee() -> None:
    skus = {"A": sku("A", 3000, 800), "B": sku("B", 2001, 100)}
    policy = ShippingPolicy("S1", "CNY", cny(1000), cny(9900))
    cart = [CartLine("A", 1), CartLine("B", 1)]
    priced = price_order(cart, skus, {"S1": policy}, now=NOW, destination=XJ)
    assert priced.shipping == cny(1000)
    assert [line.shipping.amount for line in priced.lines] == [600, 400]  # by line totals, as before
    assert price_order([CartLine("A", 4)], skus, {"S1": policy}, now=NOW).shipping == cny(0)
