"""Money: integer minor units in a supported currency, exact arithmetic, display and allocation."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, cast

import pytest
from oms.domain.errors import InvalidRequest
from oms.domain.money import MAX_AMOUNT, SUPPORTED_CURRENCIES, Money, allocate, total


def cny(amount: int) -> Money:
    return Money(amount, "CNY")


# ---------------------------------------------------------------- construction


def test_money_holds_integer_minor_units_and_currency() -> None:
    price = Money(13500, "CNY")

    assert price.amount == 13500
    assert price.currency == "CNY"
    assert price.to_dict() == {"amount": 13500, "currency": "CNY"}


@pytest.mark.parametrize("amount", [1.0, 1.5, 0.0, True, False, "100", Decimal("1.00"), None])
def test_non_integer_amounts_are_rejected(amount: Any) -> None:
    with pytest.raises(InvalidRequest, match="integer"):
        Money(amount, "CNY")


@pytest.mark.parametrize("currency", ["XYZ", "cny", "", "BTC", "BHD", " CNY"])
def test_unsupported_currency_is_rejected(currency: str) -> None:
    with pytest.raises(InvalidRequest, match="unsupported currency"):
        Money(100, currency)


@pytest.mark.parametrize("currency", sorted(SUPPORTED_CURRENCIES))
def test_every_supported_currency_is_accepted(currency: str) -> None:
    assert Money(1, currency).currency == currency


def test_amount_may_reach_max_amount_in_either_direction() -> None:
    assert cny(MAX_AMOUNT).amount == MAX_AMOUNT
    assert cny(-MAX_AMOUNT).amount == -MAX_AMOUNT


@pytest.mark.parametrize("amount", [MAX_AMOUNT + 1, -MAX_AMOUNT - 1, 10**30])
def test_amount_beyond_max_amount_is_rejected(amount: int) -> None:
    with pytest.raises(InvalidRequest, match="out of range"):
        cny(amount)


def test_arithmetic_that_overflows_max_amount_is_rejected() -> None:
    with pytest.raises(InvalidRequest, match="out of range"):
        cny(MAX_AMOUNT) + cny(1)
    with pytest.raises(InvalidRequest, match="out of range"):
        cny(MAX_AMOUNT) * 2


def test_money_is_immutable() -> None:
    price: Any = cny(100)
    with pytest.raises(AttributeError):
        price.amount = 5
    assert price == cny(100)


# ---------------------------------------------------------------- arithmetic and comparison


def test_add_subtract_and_multiply_in_one_currency() -> None:
    assert cny(1050) + cny(250) == cny(1300)
    assert cny(1050) - cny(2000) == cny(-950)
    assert cny(1999) * 3 == cny(5997)
    assert cny(1999) * 0 == cny(0)


def test_multiplying_by_a_fraction_is_rejected_rather_than_producing_fractional_units() -> None:
    with pytest.raises(InvalidRequest, match="integer"):
        cny(101) * cast(int, 0.5)


def test_comparisons_follow_amounts() -> None:
    assert cny(1) < cny(2)
    assert cny(2) <= cny(2)
    assert cny(3) > cny(2)
    assert cny(2) >= cny(2)
    assert not cny(2) < cny(2)
    assert not cny(2) > cny(2)
    assert cny(-1) < cny(0)


@pytest.mark.parametrize(
    "operation",
    [
        lambda a, b: a + b,
        lambda a, b: a - b,
        lambda a, b: a < b,
        lambda a, b: a <= b,
        lambda a, b: a > b,
        lambda a, b: a >= b,
    ],
    ids=["add", "sub", "lt", "le", "gt", "ge"],
)
def test_mixing_currencies_is_rejected(operation: Callable[[Money, Money], object]) -> None:
    with pytest.raises(InvalidRequest, match="cannot combine CNY and USD"):
        operation(cny(100), Money(100, "USD"))


def test_same_amount_in_different_currencies_is_not_equal() -> None:
    assert cny(100) != Money(100, "USD")
    assert cny(100) == cny(100)
    assert hash(cny(100)) == hash(cny(100))


def test_zero_and_is_zero() -> None:
    assert Money.zero("JPY") == Money(0, "JPY")
    assert Money.zero("JPY").is_zero()
    assert not cny(1).is_zero()
    assert not cny(-1).is_zero()


def test_total_sums_items_and_is_zero_for_no_items() -> None:
    assert total([cny(100), cny(250), cny(-50)], "CNY") == cny(300)
    assert total([], "KWD") == Money(0, "KWD")


def test_total_rejects_items_in_another_currency() -> None:
    with pytest.raises(InvalidRequest, match="cannot combine"):
        total([cny(100), Money(100, "USD")], "CNY")


# ---------------------------------------------------------------- display


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (13500, "CNY", "135.00 CNY"),
        (5, "CNY", "0.05 CNY"),
        (0, "CNY", "0.00 CNY"),
        (-5, "CNY", "-0.05 CNY"),
        (-13505, "USD", "-135.05 USD"),
        (1500, "JPY", "1500 JPY"),
        (0, "JPY", "0 JPY"),
        (-1500, "JPY", "-1500 JPY"),
        (1234567, "KRW", "1234567 KRW"),
        (20000, "VND", "20000 VND"),
        (1234, "KWD", "1.234 KWD"),
        (5, "KWD", "0.005 KWD"),
        (-1005, "KWD", "-1.005 KWD"),
        (100, "TWD", "1.00 TWD"),
    ],
)
def test_display_uses_the_currency_minor_unit_exponent(amount: int, currency: str, shown: str) -> None:
    assert Money(amount, currency).display() == shown


# ---------------------------------------------------------------- dict round trip


def test_from_dict_round_trips_to_dict() -> None:
    price = Money(-1234, "KWD")
    data: dict[str, object] = {**price.to_dict()}
    assert data == {"amount": -1234, "currency": "KWD"}
    assert Money.from_dict(data) == price


@pytest.mark.parametrize(
    "data",
    [
        {"amount": 1.5, "currency": "CNY"},
        {"amount": "100", "currency": "CNY"},
        {"amount": None, "currency": "CNY"},
        {"amount": 100, "currency": 156},
    ],
)
def test_from_dict_rejects_malformed_money(data: dict[str, object]) -> None:
    with pytest.raises(InvalidRequest):
        Money.from_dict(data)


def test_from_dict_rejects_unsupported_currency() -> None:
    with pytest.raises(InvalidRequest, match="unsupported currency"):
        Money.from_dict({"amount": 100, "currency": "XYZ"})


@pytest.mark.parametrize("flag", [True, False])
def test_from_dict_rejects_boolean_amount(flag: bool) -> None:
    with pytest.raises(InvalidRequest):
        Money.from_dict({"amount": flag, "currency": "CNY"})


@pytest.mark.parametrize("data", [{"currency": "CNY"}, {"amount": 100}, {}])
def test_from_dict_rejects_missing_keys_as_invalid_request(data: dict[str, object]) -> None:
    with pytest.raises(InvalidRequest):
        Money.from_dict(data)


# ---------------------------------------------------------------- allocate


def test_allocate_splits_exactly_by_weight_when_divisible() -> None:
    assert allocate(1000, [1, 2, 7]) == [100, 200, 700]


def test_allocate_parts_always_sum_to_the_amount() -> None:
    parts = allocate(1000, [333, 333, 334, 1])
    assert sum(parts) == 1000


def test_allocate_gives_leftover_units_to_the_largest_remainders_not_the_first_weights() -> None:
    # exact shares 3.33 and 6.67: the second has the larger remainder and gets the extra unit
    assert allocate(10, [1, 2]) == [3, 7]
    # exact shares 2.14, 2.14, 0.71: the last has the largest remainder
    assert allocate(5, [3, 3, 1]) == [2, 2, 1]


def test_allocate_breaks_remainder_ties_towards_earlier_weights() -> None:
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert allocate(2, [1, 1, 1]) == [1, 1, 0]
    assert allocate(1, [5, 5]) == [1, 0]


def test_allocate_is_deterministic() -> None:
    assert allocate(997, [3, 7, 11, 7]) == allocate(997, [3, 7, 11, 7])


def test_allocate_gives_nothing_to_zero_weights_when_others_are_positive() -> None:
    assert allocate(10, [0, 1, 1]) == [0, 5, 5]
    assert allocate(1, [0, 1, 1]) == [0, 1, 0]


def test_allocate_spreads_evenly_when_all_weights_are_zero() -> None:
    assert allocate(5, [0, 0, 0]) == [2, 2, 1]
    assert allocate(3, [0, 0, 0]) == [1, 1, 1]
    assert allocate(0, [0]) == [0]


def test_allocate_single_weight_takes_everything() -> None:
    assert allocate(12345, [7]) == [12345]
    assert allocate(12345, [0]) == [12345]


def test_allocate_zero_amount_gives_zero_parts() -> None:
    assert allocate(0, [1, 2, 3]) == [0, 0, 0]


def test_allocate_negative_amount_mirrors_the_positive_split() -> None:
    assert allocate(-100, [1, 1, 1]) == [-34, -33, -33]
    assert allocate(-10, [1, 2]) == [-3, -7]
    assert allocate(-5, [0, 0, 0]) == [-2, -2, -1]
    assert sum(allocate(-997, [3, 7, 11])) == -997


def test_allocate_needs_at_least_one_weight() -> None:
    with pytest.raises(ValueError, match="at least one weight"):
        allocate(100, [])


@pytest.mark.parametrize("weights", [[-1], [1, -1], [0, 0, -5]])
def test_allocate_rejects_negative_weights(weights: list[int]) -> None:
    with pytest.raises(ValueError, match="negative"):
        allocate(100, weights)
