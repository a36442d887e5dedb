"""Parcels under a carrier's weight limit and the yearly cross-border allowance (oms.domain.parcels)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from oms.domain.errors import InvalidRequest
from oms.domain.fx import FxRate
from oms.domain.money import Money
from oms.domain.parcels import (
    DEFAULT_YEARLY_CROSS_BORDER_LIMIT,
    CarrierSettings,
    CrossBorderYearlyLimitExceeded,
    UnitsOfLine,
    check_yearly_allowance,
    cross_border_amounts,
    customs_year,
    pack_parcels,
    plan_parcels,
    quota_record,
)
from oms.domain.splitting import AMOUNT_KEYS, POINT_KEYS, ChildOrder, ChildPart, HandlingClass, limit_converter


def units(*lines: tuple[int, int, int]) -> list[UnitsOfLine]:
    return [UnitsOfLine(n, q, w) for n, q, w in lines]


def test_without_a_limit_a_child_is_one_parcel() -> None:
    (parcel,) = pack_parcels(units((1, 3, 500), (2, 1, 2000)), None)
    assert (dict(parcel.lines), parcel.weight_grams, parcel.oversize) == ({1: 3, 2: 1}, 3500, False)


def test_first_fit_decreasing_spreads_a_line_over_parcels() -> None:
    # 2 kg limit: a 1.5 kg unit each, and 0.4 kg mugs filling the gaps first-fit.
    parcels = pack_parcels(units((1, 5, 400), (2, 3, 1500)), 2000)
    assert [dict(p.lines) for p in parcels] == [{1: 1, 2: 1}, {1: 1, 2: 1}, {1: 1, 2: 1}, {1: 2}]
    assert [p.weight_grams for p in parcels] == [1900, 1900, 1900, 800]
    assert [p.parcel_no for p in parcels] == [1, 2, 3, 4]
    assert not any(p.oversize for p in parcels)


def test_a_unit_at_the_limit_fits_and_one_gram_over_is_an_oversize_parcel_of_its_own() -> None:
    parcels = pack_parcels(units((1, 2, 2000), (2, 1, 2001), (3, 1, 0)), 2000)
    assert [(dict(p.lines), p.weight_grams, p.oversize) for p in parcels] == [
        ({2: 1}, 2001, True),
        ({1: 1, 3: 1}, 2000, False),  # weightless units go into the first parcel that is not oversize
        ({1: 1}, 2000, False),
    ]


def test_many_units_pack_into_as_few_parcels_as_the_weight_needs() -> None:
    parcels = pack_parcels(units((1, 999, 300)), 30000)  # 100 units a parcel
    assert [sum(p.lines.values()) for p in parcels] == [100] * 9 + [99]
    assert sum(p.weight_grams for p in parcels) == 999 * 300


def test_bad_packing_input_is_refused() -> None:
    with pytest.raises(ValueError):
        pack_parcels([], 1000)
    with pytest.raises(ValueError):
        pack_parcels(units((1, 0, 10)), 1000)
    with pytest.raises(ValueError):
        pack_parcels(units((1, 1, 10)), 0)


@given(
    st.lists(st.tuples(st.integers(1, 30), st.integers(0, 5000)), min_size=1, max_size=8),
    st.integers(1, 6000) | st.none(),
)
def test_packing_keeps_every_unit_and_every_parcel_within_the_limit(
    spec: list[tuple[int, int]], limit: int | None
) -> None:
    lines = [UnitsOfLine(n + 1, q, w) for n, (q, w) in enumerate(spec)]
    parcels = pack_parcels(lines, limit)
    assert parcels == pack_parcels(lines, limit)  # deterministic
    for line in lines:
        assert sum(p.lines.get(line.line_no, 0) for p in parcels) == line.quantity
    weight = {line.line_no: line.unit_weight_grams for line in lines}
    for parcel in parcels:
        assert parcel.weight_grams == sum(weight[n] * q for n, q in parcel.lines.items())
        if parcel.oversize:
            assert limit is not None and sum(parcel.lines.values()) == 1 and parcel.weight_grams > limit
        elif limit is not None:
            assert parcel.weight_grams <= limit


def child(child_no: int, store: str, parts: list[tuple[int, str, int, int]], cross_border: bool = False) -> ChildOrder:
    built = []
    for line_no, sku, quantity, original in parts:
        amounts = {key: 0 for key in AMOUNT_KEYS} | {"original": original}
        built.append(ChildPart(line_no, sku, quantity, amounts, {key: 0 for key in POINT_KEYS}))
    return ChildOrder(child_no, store, "WH1", HandlingClass.NORMAL, cross_border, tuple(built))


def test_each_store_packs_for_its_carrier() -> None:
    carriers = CarrierSettings({"ems": 2000, "sf": None}, {"north": "sf"}, "ems")
    plans = plan_parcels(
        [child(1, "demo", [(1, "MUG", 3, 300)]), child(2, "north", [(2, "LAMP", 3, 300)])],
        {"MUG": 1500, "LAMP": 1500},
        carriers,
    )
    assert [(p["carrier"], p["weightLimitGrams"], p["lines"]) for p in plans[1]] == [
        ("ems", 2000, [{"lineNo": 1, "quantity": 1}]),
        ("ems", 2000, [{"lineNo": 1, "quantity": 1}]),
        ("ems", 2000, [{"lineNo": 1, "quantity": 1}]),
    ]
    assert [(p["carrier"], p["weightGrams"]) for p in plans[2]] == [("sf", 4500)]


def test_carrier_settings_name_only_configured_carriers_and_read_back() -> None:
    with pytest.raises(InvalidRequest):
        CarrierSettings({"ems": 2000}, {"north": "sf"}, None)
    with pytest.raises(InvalidRequest):
        CarrierSettings({"ems": 0}, {}, "ems")
    settings = CarrierSettings({"ems": 2000, "sf": None}, {"north": "sf"}, "ems")
    assert CarrierSettings.from_dict(settings.to_dict()) == settings
    assert CarrierSettings.from_dict(None).carrier_of("demo") == (None, None)


# ---------------------------------------------------------------- the yearly allowance


def test_the_year_is_china_time() -> None:
    assert customs_year(datetime(2026, 12, 31, 15, 59, 59, tzinfo=UTC)) == 2026
    assert customs_year(datetime(2026, 12, 31, 16, 0, 0, tzinfo=UTC)) == 2027  # midnight in Shanghai


def test_only_cross_border_children_count_and_each_converts_alone_rounding_up() -> None:
    children = [child(1, "demo", [(1, "TEE", 1, 10000)]), child(2, "demo", [(2, "WATCH", 1, 100001)], True)]
    assert cross_border_amounts(children, "CNY", None, DEFAULT_YEARLY_CROSS_BORDER_LIMIT) == {2: 100001}
    usd = FxRate("USD", "CNY", 71234, 10000)
    amounts = cross_border_amounts(children, "USD", limit_converter(usd), DEFAULT_YEARLY_CROSS_BORDER_LIMIT)
    assert amounts == {2: 712348}  # 1000.01 USD = 7123.471... CNY, rounded up
    with pytest.raises(InvalidRequest):
        cross_border_amounts(children, "USD", None, DEFAULT_YEARLY_CROSS_BORDER_LIMIT)
    assert quota_record(2026, DEFAULT_YEARLY_CROSS_BORDER_LIMIT, {}) is None
    assert quota_record(2026, DEFAULT_YEARLY_CROSS_BORDER_LIMIT, amounts) == {
        "year": 2026,
        "currency": "CNY",
        "limit": 2_600_000,
        "amount": 712348,
        "children": {"2": 712348},
    }


def test_the_boundary_is_allowed_and_one_fen_more_is_refused_with_what_is_left() -> None:
    limit = Money(2_600_000, "CNY")
    check_yearly_allowance(2026, limit, 2_500_000, 100_000)
    check_yearly_allowance(2026, limit, 2_600_000, 0)  # nothing cross-border: never refused
    with pytest.raises(CrossBorderYearlyLimitExceeded) as refused:
        check_yearly_allowance(2026, limit, 2_500_001, 100_000)
    assert refused.value.slug == "cross-border-yearly-limit"
    assert refused.value.status == 422
    assert refused.value.extensions["remaining"] == {"amount": 99_999, "currency": "CNY"}
    assert refused.value.extensions["year"] == 2026
