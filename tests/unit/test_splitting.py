"""Order splitting: hand-worked examples of each rule, the cross-border limit, validation, round trips."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from oms.domain.errors import InvalidRequest
from oms.domain.fx import FxRate
from oms.domain.money import Money
from oms.domain.splitting import (
    AMOUNT_KEYS,
    DEFAULT_CROSS_BORDER_LIMIT,
    POINT_KEYS,
    ChildOrder,
    ChildPart,
    CrossBorderLimitExceeded,
    HandlingClass,
    SplitLine,
    limit_converter,
    split_order,
)

H = HandlingClass


def amounts(
    original: int,
    shipping: int = 0,
    goods_discount: int = 0,
    shipping_discount: int = 0,
    points_value: int = 0,
    balance: int = 0,
) -> dict[str, int]:
    return {
        "original": original,
        "shipping": shipping,
        "goodsDiscount": goods_discount,
        "shippingDiscount": shipping_discount,
        "pointsValue": points_value,
        "balance": balance,
    }


def points(required: int = 0, redeemed: int = 0, earned: int = 0) -> dict[str, int]:
    return {"pointsRequired": required, "pointsRedeemed": redeemed, "pointsEarned": earned}


def line(
    line_no: int,
    *,
    store: str = "S1",
    warehouse: str = "W1",
    handling: HandlingClass = H.NORMAL,
    cross_border: bool = False,
    quantity: int = 1,
    money: Mapping[str, int] | None = None,
    pts: Mapping[str, int] | None = None,
    sku: str | None = None,
) -> SplitLine:
    return SplitLine(
        line_no=line_no,
        sku_id=sku or f"K{line_no}",
        store_id=store,
        warehouse_id=warehouse,
        handling=handling,
        cross_border=cross_border,
        quantity=quantity,
        amounts=money if money is not None else amounts(1000 * quantity),
        points=pts if pts is not None else points(),
    )


def shape(children: tuple[ChildOrder, ...]) -> list[tuple[int, str, str, str, bool, list[tuple[int, int]]]]:
    """(childNo, store, warehouse, handling, crossBorder, [(lineNo, quantity)])."""
    return [
        (
            c.child_no,
            c.store_id,
            c.warehouse_id,
            c.handling.value,
            c.cross_border,
            [(p.line_no, p.quantity) for p in c.parts],
        )
        for c in children
    ]


# ---------------------------------------------------------------- merchants, warehouses, handling


def test_one_domestic_line_is_one_child_equal_to_the_line() -> None:
    only = line(1, quantity=2, money=amounts(5000, 800, 500, 800, 100, 300), pts=points(0, 10, 44))
    (child,) = split_order([only], currency="CNY")
    assert shape((child,)) == [(1, "S1", "W1", "normal", False, [(1, 2)])]
    assert dict(child.parts[0].amounts) == dict(only.amounts)
    assert dict(child.parts[0].points) == dict(only.points)
    assert child.total() == only.total == 5000 + 800 - 500 - 800 - 100  # balance pays, does not reduce


def test_two_merchants_by_two_warehouses_in_first_seen_order() -> None:
    lines = [
        line(1, store="S2", warehouse="W-south"),
        line(2, store="S1", warehouse="W-north"),
        line(3, store="S2", warehouse="W-north"),
        line(4, store="S1", warehouse="W-east"),
        line(5, store="S2", warehouse="W-south"),
        line(6, store="S1", warehouse="W-north"),
    ]
    assert shape(split_order(lines, currency="CNY")) == [
        (1, "S2", "W-south", "normal", False, [(1, 1), (5, 1)]),
        (2, "S2", "W-north", "normal", False, [(3, 1)]),
        (3, "S1", "W-north", "normal", False, [(2, 1), (6, 1)]),
        (4, "S1", "W-east", "normal", False, [(4, 1)]),
    ]


def test_a_fragile_vase_ships_alone_and_special_lines_never_share() -> None:
    lines = [
        line(1, handling=H.FRAGILE, quantity=3, sku="vase"),
        line(2),
        line(3, handling=H.BULKY, sku="fridge"),
        line(4, handling=H.FRAGILE, sku="teacup"),
        line(5),
        line(6, handling=H.HAZARDOUS, sku="lighter-fluid"),
    ]
    assert shape(split_order(lines, currency="CNY")) == [
        (1, "S1", "W1", "normal", False, [(2, 1), (5, 1)]),  # normal before special
        (2, "S1", "W1", "fragile", False, [(1, 3)]),  # the whole vase line: handling never splits a line
        (3, "S1", "W1", "bulky", False, [(3, 1)]),
        (4, "S1", "W1", "fragile", False, [(4, 1)]),  # a second fragile line: its own child
        (5, "S1", "W1", "hazardous", False, [(6, 1)]),
    ]


def test_domestic_and_cross_border_never_share_and_domestic_comes_first() -> None:
    lines = [
        line(1, cross_border=True),
        line(2, handling=H.FRAGILE),
        line(3),
        line(4, cross_border=True, handling=H.FRAGILE),
        line(5, cross_border=True),
    ]
    assert shape(split_order(lines, currency="CNY")) == [
        (1, "S1", "W1", "normal", False, [(3, 1)]),
        (2, "S1", "W1", "fragile", False, [(2, 1)]),
        (3, "S1", "W1", "normal", True, [(1, 1), (5, 1)]),
        (4, "S1", "W1", "fragile", True, [(4, 1)]),
    ]


def test_handling_accepts_its_string_values() -> None:
    (child,) = split_order([line(1, handling="fragile")], currency="CNY")  # type: ignore[arg-type]
    assert child.handling is H.FRAGILE


# ---------------------------------------------------------------- the cross-border limit


def test_three_units_of_2000_cny_split_into_two_units_and_one_with_exact_shares() -> None:
    # 3 × 2000.00 = 6000.00, shipping 15.00, goods discount 100.00, shipping discount 5.00, points 20.00:
    # total 5890.00 > 5000.00. Unit bound u = 200000 + 500 − 3333 − 166 − 666 = 196335; 2 units = 392670
    # fit, 3 = 589005 do not: children of 2 and 1 units, each key split 2:1 by largest remainder.
    vase = line(
        1,
        cross_border=True,
        quantity=3,
        money=amounts(600000, 1500, 10000, 500, 2000, 10001),
        pts=points(0, 200, 5771),
    )
    first, second = split_order([vase], currency="CNY")
    assert shape((first, second)) == [
        (1, "S1", "W1", "normal", True, [(1, 2)]),
        (2, "S1", "W1", "normal", True, [(1, 1)]),
    ]
    # original 600000 → 400000 + 200000 (4000.00 and 2000.00); shipping 1500 → 1000 + 500;
    # goodsDiscount 10000 → 6666.67 + 3333.33 → 6667 + 3333; shippingDiscount 500 → 333.33 + 166.67 → 333 + 167;
    # pointsValue 2000 → 1333.33 + 666.67 → 1333 + 667; balance 10001 → 6667.33 + 3333.67 → 6667 + 3334.
    assert dict(first.parts[0].amounts) == amounts(400000, 1000, 6667, 333, 1333, 6667)
    assert dict(second.parts[0].amounts) == amounts(200000, 500, 3333, 167, 667, 3334)
    # points redeemed 200 → 133 + 67; earned 5771 → 3847.33 + 1923.67 → 3847 + 1924
    assert dict(first.parts[0].points) == points(0, 133, 3847)
    assert dict(second.parts[0].points) == points(0, 67, 1924)
    assert first.total() == 400000 + 1000 - 6667 - 333 - 1333 == 392667  # 3926.67 CNY
    assert second.total() == 200000 + 500 - 3333 - 167 - 667 == 196333  # 1963.33 CNY
    assert first.total() + second.total() == vase.total == 589000


def test_a_cross_border_group_within_the_limit_stays_whole() -> None:
    lines = [
        line(1, cross_border=True, quantity=2, money=amounts(400000)),
        line(2, cross_border=True, money=amounts(100000)),
    ]
    (child,) = split_order(lines, currency="CNY")  # exactly 5000.00: at the limit is within it
    assert [(p.line_no, p.quantity) for p in child.parts] == [(1, 2), (2, 1)]


def test_first_fit_decreasing_packs_the_largest_units_first() -> None:
    lines = [
        line(1, cross_border=True, quantity=2, money=amounts(200000)),  # 1000.00 each
        line(2, cross_border=True, quantity=2, money=amounts(300000)),  # 1500.00 each
        line(3, cross_border=True, quantity=1, money=amounts(300000)),  # 3000.00
    ]
    # 8000.00 in all. Decreasing: 3000 → child 1; 1500 → child 1 (4500), 1500 → child 2; 1000 × 2 → child 2.
    children = split_order(lines, currency="CNY")
    assert shape(children) == [
        (1, "S1", "W1", "normal", True, [(2, 1), (3, 1)]),  # parts in line order
        (2, "S1", "W1", "normal", True, [(1, 2), (2, 1)]),
    ]
    assert [c.total() for c in children] == [450000, 350000]


def test_units_that_sum_exactly_to_the_limit_share_a_child() -> None:
    # 3 × 2500.00: the unit bound is exact (no discount to round), so two units (5000.00) share a child.
    children = split_order([line(1, cross_border=True, quantity=3, money=amounts(750000))], currency="CNY")
    assert [(c.total(), c.parts[0].quantity) for c in children] == [(500000, 2), (250000, 1)]


def test_an_item_just_under_the_limit_ships_in_its_own_child() -> None:
    lines = [line(1, cross_border=True, money=amounts(499999)), line(2, cross_border=True, money=amounts(100))]
    assert shape(split_order(lines, currency="CNY")) == [
        (1, "S1", "W1", "normal", True, [(1, 1)]),
        (2, "S1", "W1", "normal", True, [(2, 1)]),
    ]


def test_a_single_unit_over_the_limit_is_refused() -> None:
    camera = line(1, cross_border=True, money=amounts(600000), sku="camera")
    with pytest.raises(CrossBorderLimitExceeded) as error:
        split_order([camera], currency="CNY")
    assert error.value.status == 422
    assert error.value.slug == "cross-border-limit-exceeded"
    assert error.value.extensions == {"skuId": "camera", "limit": {"amount": 500000, "currency": "CNY"}}
    assert isinstance(error.value, InvalidRequest)


def test_the_same_unit_domestic_is_not_limited() -> None:
    (child,) = split_order([line(1, money=amounts(600000))], currency="CNY")
    assert child.total() == 600000


def test_a_discount_can_bring_a_unit_under_the_limit() -> None:
    # 2 × 5200.00 with 600.00 off each (1200.00 in all): each unit 4600.00, two children.
    children = split_order([line(1, cross_border=True, quantity=2, money=amounts(1040000, 0, 120000))], currency="CNY")
    assert [c.total() for c in children] == [460000, 460000]


def test_a_fragile_cross_border_line_ships_alone_and_is_split_by_quantity() -> None:
    lines = [
        line(1, cross_border=True, money=amounts(100000)),
        line(2, cross_border=True, handling=H.FRAGILE, quantity=4, money=amounts(800000)),  # 4 × 2000.00
    ]
    assert shape(split_order(lines, currency="CNY")) == [
        (1, "S1", "W1", "normal", True, [(1, 1)]),
        (2, "S1", "W1", "fragile", True, [(2, 2)]),
        (3, "S1", "W1", "fragile", True, [(2, 2)]),
    ]


def test_a_usd_cross_border_order_is_measured_in_cny_at_its_rate() -> None:
    # 5 × 300.00 USD at 7.1234: one unit is 2137.02 CNY, two 4274.04 CNY, three 6411.06 CNY (over 5000.00).
    usd = FxRate.parse("USD", "CNY", "7.1234")
    order = [line(1, cross_border=True, quantity=5, money=amounts(150000, 2000, 0, 2000))]
    children = split_order(order, currency="USD", to_limit_currency=limit_converter(usd))
    assert [(c.parts[0].quantity, c.total()) for c in children] == [(2, 60000), (2, 60000), (1, 30000)]
    assert [c.amount("shipping") for c in children] == [800, 800, 400]
    # without a rate the USD amounts cannot be compared with a CNY limit
    with pytest.raises(InvalidRequest) as error:
        split_order(order, currency="USD")
    assert error.value.extensions == {"field": "fx", "reason": "fx-rate-missing"}


def test_a_converter_rounding_up_decides_at_the_edge() -> None:
    # 1 USD = 5 CNY exactly; 1000.00 USD is exactly 5000.00 CNY and fits, 1000.01 does not.
    rate = limit_converter(FxRate.parse("USD", "CNY", "5"))
    (child,) = split_order([line(1, cross_border=True, money=amounts(100000))], currency="USD", to_limit_currency=rate)
    assert child.total() == 100000
    with pytest.raises(CrossBorderLimitExceeded):
        split_order([line(1, cross_border=True, money=amounts(100001))], currency="USD", to_limit_currency=rate)


def test_a_domestic_order_in_another_currency_needs_no_rate() -> None:
    (child,) = split_order([line(1, money=amounts(10**9))], currency="USD")
    assert child.total() == 10**9


def test_a_limit_in_another_currency() -> None:
    limit = Money(100000, "USD")  # 1000.00 USD
    to_usd = limit_converter(FxRate.parse("CNY", "USD", "0.14"))
    children = split_order(
        [line(1, cross_border=True, quantity=3, money=amounts(900000))],  # 3 × 3000.00 CNY = 3 × 420.00 USD
        currency="CNY",
        cross_border_limit=limit,
        to_limit_currency=to_usd,
    )
    assert [c.parts[0].quantity for c in children] == [2, 1]


def test_the_default_limit_is_5000_cny() -> None:
    assert Money(500000, "CNY") == DEFAULT_CROSS_BORDER_LIMIT


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("lines", "field"),
    [
        ([], "lines"),
        ([line(1), line(1)], "lines[1].lineNo"),
        ([line(0)], "lines[0].lineNo"),
        ([line(1), line(2, quantity=0)], "lines[1].quantity"),
        ([line(1, money={k: v for k, v in amounts(100).items() if k != "shipping"})], "lines[0].amounts.shipping"),
        ([line(1, money=amounts(100, goods_discount=-1))], "lines[0].amounts.goodsDiscount"),
        ([line(1, money={**amounts(100), "tax": 5})], "lines[0].amounts.tax"),
        ([line(1, pts={"pointsRequired": 0, "pointsRedeemed": 0})], "lines[0].points.pointsEarned"),
        ([line(1, pts=points(earned=-3))], "lines[0].points.pointsEarned"),
        ([line(1, money=amounts(100, 0, 50, 0, 51))], "lines[0].amounts"),  # total below zero
        ([line(1, store="")], "lines[0].storeId"),
        ([line(1, handling="glass")], "lines[0].handling"),  # type: ignore[arg-type]
    ],
)
def test_bad_lines_are_refused_with_a_field_path(lines: list[SplitLine], field: str) -> None:
    with pytest.raises(InvalidRequest) as error:
        split_order(lines, currency="CNY")
    assert error.value.status == 422
    assert error.value.extensions["field"] == field


def test_an_unsupported_currency_is_refused() -> None:
    with pytest.raises(InvalidRequest) as error:
        split_order([line(1)], currency="XYZ")
    assert error.value.extensions["field"] == "currency"


# ---------------------------------------------------------------- accessors and round trips


def test_child_accessors_sum_the_parts() -> None:
    children = split_order(
        [
            line(
                1,
                cross_border=True,
                quantity=3,
                money=amounts(600000, 1500, 10000, 500, 2000, 10001),
                pts=points(9, 200),
            )
        ],
        currency="CNY",
    )
    assert sum(c.amount("balance") for c in children) == 10001
    assert sum(c.points_of("pointsRedeemed") for c in children) == 200
    assert [c.points_of("pointsRequired") for c in children] == [6, 3]
    with pytest.raises(KeyError):
        children[0].amount("payable")
    with pytest.raises(KeyError):
        children[0].points_of("balance")


def test_to_dict_is_json_ready_and_round_trips() -> None:
    lines = [
        line(
            1,
            cross_border=True,
            quantity=3,
            money=amounts(600000, 1500, 10000, 500, 2000, 10001),
            pts=points(0, 200, 5771),
        ),
        line(2, handling=H.BULKY, store="S2"),
    ]
    children = split_order(lines, currency="CNY")
    first = children[0].to_dict()
    assert first == {
        "childNo": 1,
        "storeId": "S1",
        "warehouseId": "W1",
        "handling": "normal",
        "crossBorder": True,
        "total": 392667,
        "parts": [
            {
                "lineNo": 1,
                "skuId": "K1",
                "quantity": 2,
                "amounts": amounts(400000, 1000, 6667, 333, 1333, 6667),
                "points": points(0, 133, 3847),
            }
        ],
    }
    assert list(first["parts"][0]["amounts"]) == list(AMOUNT_KEYS)  # type: ignore[index]
    assert list(first["parts"][0]["points"]) == list(POINT_KEYS)  # type: ignore[index]
    for child in children:
        assert ChildOrder.from_dict(child.to_dict()) == child
        assert ChildOrder.from_dict(child.to_dict()).to_dict() == child.to_dict()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"childNo": 0}, "child.childNo"),
        ({"storeId": 7}, "child.storeId"),
        ({"handling": "glass"}, "child.handling"),
        ({"crossBorder": "yes"}, "child.crossBorder"),
        ({"parts": []}, "child.parts"),
        ({"parts": ["x"]}, "child.parts[0]"),
        (
            {"parts": [{"lineNo": 1, "skuId": "K1", "quantity": 1, "amounts": amounts(1), "points": {}}]},
            "child.parts[0].points.pointsRequired",
        ),
        (
            {"parts": [{"lineNo": 1, "skuId": "K1", "quantity": 0, "amounts": amounts(1), "points": points()}]},
            "child.parts[0].quantity",
        ),
    ],
)
def test_from_dict_refuses_malformed_children(change: dict[str, object], field: str) -> None:
    data = {**split_order([line(1)], currency="CNY")[0].to_dict(), **change}
    with pytest.raises(InvalidRequest) as error:
        ChildOrder.from_dict(data)
    assert error.value.extensions["field"] == field


def test_parts_are_read_only() -> None:
    (child,) = split_order([line(1)], currency="CNY")
    part: ChildPart = child.parts[0]
    with pytest.raises(TypeError):
        part.amounts["original"] = 0  # type: ignore[index]
