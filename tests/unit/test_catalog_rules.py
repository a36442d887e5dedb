"""Catalog rules: stock adjustments, stock conservation and store shipping policies."""

from __future__ import annotations

import pytest
from oms.domain.catalog import ShippingPolicy, StockAdjustmentReason, StockLevel, check_adjustment
from oms.domain.errors import Conflict, InvalidRequest
from oms.domain.money import Money

RESTOCK = StockAdjustmentReason.RESTOCK
STOCKTAKE = StockAdjustmentReason.STOCKTAKE_CORRECTION


# ---------------------------------------------------------------- check_adjustment


@pytest.mark.parametrize("current", [0, 5])
def test_restock_adds_a_positive_quantity(current: int) -> None:
    check_adjustment(RESTOCK, 10, current_available=current)


@pytest.mark.parametrize("delta", [-1, -100])
def test_restock_with_a_negative_delta_is_rejected(delta: int) -> None:
    with pytest.raises(InvalidRequest, match="positive") as excinfo:
        check_adjustment(RESTOCK, delta, current_available=500)
    assert excinfo.value.extensions == {"field": "delta"}
    assert excinfo.value.status == 422


@pytest.mark.parametrize("reason", list(StockAdjustmentReason))
def test_a_zero_delta_is_rejected_for_every_reason(reason: StockAdjustmentReason) -> None:
    with pytest.raises(InvalidRequest, match="zero") as excinfo:
        check_adjustment(reason, 0, current_available=10)
    assert excinfo.value.extensions == {"field": "delta"}


@pytest.mark.parametrize("delta", [3, -3, -10])
def test_stocktake_correction_may_go_either_way_down_to_zero(delta: int) -> None:
    check_adjustment(STOCKTAKE, delta, current_available=10)


def test_stocktake_correction_may_not_take_stock_below_zero() -> None:
    with pytest.raises(Conflict, match="below zero") as excinfo:
        check_adjustment(STOCKTAKE, -11, current_available=10)
    assert excinfo.value.status == 409
    assert excinfo.value.extensions == {"available": 10}


def test_stocktake_on_empty_stock_cannot_remove_anything() -> None:
    with pytest.raises(Conflict):
        check_adjustment(STOCKTAKE, -1, current_available=0)


def test_adjustment_reasons_have_stable_wire_values() -> None:
    assert [r.value for r in StockAdjustmentReason] == ["restock", "stocktake_correction"]


# ---------------------------------------------------------------- StockLevel.conserved


def test_a_balanced_stock_level_is_conserved() -> None:
    assert StockLevel(available=7, reserved=2, sold=1, received=10, adjusted=0).conserved


def test_negative_adjustments_count_against_received_stock() -> None:
    assert StockLevel(available=5, reserved=1, sold=1, received=10, adjusted=-3).conserved


@pytest.mark.parametrize(
    "level",
    [
        StockLevel(available=8, reserved=2, sold=1, received=10, adjusted=0),  # one unit appeared from nowhere
        StockLevel(available=6, reserved=2, sold=1, received=10, adjusted=0),  # one unit lost
        StockLevel(available=7, reserved=2, sold=1, received=10, adjusted=1),  # adjustment not reflected
    ],
)
def test_unbalanced_stock_level_is_not_conserved(level: StockLevel) -> None:
    assert not level.conserved


@pytest.mark.parametrize(
    "level",
    [
        StockLevel(available=-1, reserved=3, sold=0, received=2, adjusted=0),
        StockLevel(available=3, reserved=-1, sold=0, received=2, adjusted=0),
        StockLevel(available=3, reserved=0, sold=-1, received=2, adjusted=0),
    ],
)
def test_a_negative_bucket_breaks_conservation_even_when_the_sum_balances(level: StockLevel) -> None:
    assert not level.conserved


def test_all_zero_stock_is_conserved() -> None:
    assert StockLevel(0, 0, 0, 0, 0).conserved


# ---------------------------------------------------------------- ShippingPolicy.fee_for


def cny(amount: int) -> Money:
    return Money(amount, "CNY")


def shipping(fee: int = 800, threshold: int | None = 9900) -> ShippingPolicy:
    return ShippingPolicy(
        store_id="S1",
        currency="CNY",
        flat_fee=cny(fee),
        free_threshold=None if threshold is None else cny(threshold),
    )


@pytest.mark.parametrize(
    ("subtotal", "fee"),
    [(0, 800), (9899, 800), (9900, 0), (9901, 0), (10**9, 0)],
)
def test_flat_fee_is_waived_from_the_threshold_up(subtotal: int, fee: int) -> None:
    assert shipping().fee_for(cny(subtotal)) == cny(fee)


def test_without_a_threshold_the_flat_fee_always_applies() -> None:
    assert shipping(threshold=None).fee_for(cny(10**12)) == cny(800)


def test_a_zero_threshold_makes_shipping_always_free() -> None:
    assert shipping(threshold=0).fee_for(cny(0)) == cny(0)


def test_waived_fee_is_zero_in_the_fee_currency() -> None:
    policy = ShippingPolicy("S1", "JPY", Money(500, "JPY"), Money(3000, "JPY"))
    assert policy.fee_for(Money(3000, "JPY")) == Money(0, "JPY")


def test_comparing_a_subtotal_in_another_currency_to_the_threshold_is_rejected() -> None:
    with pytest.raises(InvalidRequest, match="cannot combine"):
        shipping().fee_for(Money(10**6, "USD"))


def test_damaged_units_are_still_units_the_sku_received() -> None:
    """A returned unit inspected as damaged leaves `sold` for `damaged`: the level stays conserved."""
    assert StockLevel(available=6, reserved=1, sold=1, received=10, adjusted=0, damaged=2).conserved
    assert not StockLevel(available=6, reserved=1, sold=1, received=10, adjusted=0).conserved
    assert not StockLevel(available=8, reserved=1, sold=2, received=10, adjusted=0, damaged=-1).conserved
