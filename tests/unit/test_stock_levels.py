"""Stock states and crossings (oms.domain.stock): low at or under the alert level, sold out at zero, each
crossing told once; a movement's changes are the counters that moved."""

from __future__ import annotations

import itertools

import pytest
from oms.domain.stock import (
    Crossing,
    StockState,
    counter_changes,
    crossings,
    product_stock_state,
    stock_state,
)


@pytest.mark.parametrize(
    ("available", "threshold", "state"),
    [
        (0, 5, StockState.SOLD_OUT),
        (0, None, StockState.SOLD_OUT),
        (5, 5, StockState.LOW),
        (1, 5, StockState.LOW),
        (6, 5, StockState.IN_STOCK),
        (1, None, StockState.IN_STOCK),  # no level: never low
        (1, 0, StockState.IN_STOCK),
    ],
)
def test_a_skus_state_is_sold_out_at_zero_and_low_at_or_under_its_level(
    available: int, threshold: int | None, state: StockState
) -> None:
    assert stock_state(available, threshold) is state


@pytest.mark.parametrize(
    ("before", "after", "level_before", "level_after", "told"),
    [
        (6, 5, 5, 5, [Crossing.LOW]),  # falls to the level
        (9, 2, 5, 5, [Crossing.LOW]),  # falls past it
        (5, 4, 5, 5, []),  # already low: not told again
        (4, 6, 5, 5, []),  # rises above: nothing to tell
        (9, 0, 5, 5, [Crossing.SOLD_OUT]),  # straight to zero: sold out only
        (3, 0, 5, 5, [Crossing.SOLD_OUT]),
        (0, 2, 5, 5, [Crossing.BACK_IN_STOCK]),  # back, still under the level: not low again
        (0, 9, 5, 5, [Crossing.BACK_IN_STOCK]),
        (8, 8, 5, 10, [Crossing.LOW]),  # a raised level that puts it under is a crossing
        (8, 8, None, 10, [Crossing.LOW]),  # so is a first level
        (8, 8, 10, 5, []),
        (8, 3, None, None, []),  # no level: no low
        (1, 0, None, None, [Crossing.SOLD_OUT]),
    ],
)
def test_each_crossing_is_told_once(
    before: int, after: int, level_before: int | None, level_after: int | None, told: list[Crossing]
) -> None:
    assert crossings(before, after, level_before, level_after) == told


def test_a_sequence_of_sales_and_restocks_tells_low_once_per_dip() -> None:
    levels = [10, 7, 5, 4, 3, 6, 5, 0, 2, 8, 1]
    told = [c for a, b in itertools.pairwise(levels) for c in crossings(a, b, 5, 5)]
    assert told == [
        Crossing.LOW,  # 7 → 5
        Crossing.LOW,  # 6 → 5 (it rose above in between)
        Crossing.SOLD_OUT,
        Crossing.BACK_IN_STOCK,
        Crossing.LOW,  # 8 → 1
    ]


def test_a_product_shows_its_best_skus_state() -> None:
    assert product_stock_state(["sold_out", "low"]) is StockState.LOW
    assert product_stock_state(["low", "in_stock"]) is StockState.IN_STOCK
    assert product_stock_state(["sold_out"]) is StockState.SOLD_OUT
    assert product_stock_state([]) is StockState.SOLD_OUT


def test_a_movements_changes_are_the_counters_that_moved() -> None:
    before = {"available": 5, "reserved": 2, "sold": 1, "received": 8, "adjusted": 0}
    after = {"available": 4, "reserved": 2, "sold": 1, "damaged": 1, "received": 8, "adjusted": 0}
    assert counter_changes(before, after) == {"available": -1, "damaged": 1}
    assert counter_changes(after, after) == {}
