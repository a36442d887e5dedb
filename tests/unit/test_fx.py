"""FX rates as exact integer ratios; conversion rounds once, by a rule the caller names."""

from __future__ import annotations

import pytest
from oms.domain.errors import InvalidRequest
from oms.domain.fx import REPORTING_ROUNDING, FxRate, Rounding, divide, minor_unit_exponent, to_reporting
from oms.domain.money import Money

R = Rounding


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [
        # 2.5 and -2.5: the "half" rules differ here
        (5, 2, {R.DOWN: 2, R.UP: 3, R.FLOOR: 2, R.CEILING: 3, R.HALF_UP: 3, R.HALF_EVEN: 2}),
        (-5, 2, {R.DOWN: -2, R.UP: -3, R.FLOOR: -3, R.CEILING: -2, R.HALF_UP: -3, R.HALF_EVEN: -2}),
        # 3.5: half to even goes up
        (7, 2, {R.DOWN: 3, R.UP: 4, R.FLOOR: 3, R.CEILING: 4, R.HALF_UP: 4, R.HALF_EVEN: 4}),
        # 2.4 and 2.6: nearest is nearest
        (12, 5, {R.DOWN: 2, R.UP: 3, R.FLOOR: 2, R.CEILING: 3, R.HALF_UP: 2, R.HALF_EVEN: 2}),
        (13, 5, {R.DOWN: 2, R.UP: 3, R.FLOOR: 2, R.CEILING: 3, R.HALF_UP: 3, R.HALF_EVEN: 3}),
        (-13, 5, {R.DOWN: -2, R.UP: -3, R.FLOOR: -3, R.CEILING: -2, R.HALF_UP: -3, R.HALF_EVEN: -3}),
        # exact: every rule agrees
        (12, 4, dict.fromkeys(R, 3)),
        (0, 7, dict.fromkeys(R, 0)),
        # negative denominator is the same fraction
        (5, -2, {R.DOWN: -2, R.UP: -3, R.FLOOR: -3, R.CEILING: -2, R.HALF_UP: -3, R.HALF_EVEN: -2}),
    ],
)
def test_divide_rounds_exactly_by_each_rule(numerator: int, denominator: int, expected: dict[Rounding, int]) -> None:
    assert {rule: divide(numerator, denominator, rule) for rule in R} == expected


def test_divide_handles_numbers_beyond_float_precision() -> None:
    big = 10**30 + 1
    assert divide(big * 3, 3, R.HALF_EVEN) == big
    assert divide(2 * big + 1, 2, R.HALF_EVEN) == big + 1  # big is odd: the half goes to the even neighbour
    assert divide(2 * big + 1, 2, R.DOWN) == big
    with pytest.raises(ZeroDivisionError):
        divide(1, 0, R.DOWN)


def test_parse_keeps_the_published_rate_exactly_in_lowest_terms() -> None:
    rate = FxRate.parse("USD", "CNY", "7.1234")
    assert (rate.numerator, rate.denominator) == (35617, 5000)
    assert rate == FxRate("USD", "CNY", 71234, 10000) == FxRate("USD", "CNY", 712340, 100000)
    assert FxRate.parse("JPY", "CNY", "0.048").display() == "0.048"
    assert FxRate.parse("USD", "HKD", "8").to_dict() == {
        "base": "USD",
        "quote": "HKD",
        "numerator": 8,
        "denominator": 1,
        "rate": "8",
    }


@pytest.mark.parametrize("text", ["", "0", "0.000", "-7.1", "7,1", "1e3", "7.", ".5", "NaN", " 7.1"])
def test_parse_refuses_anything_but_a_positive_decimal(text: str) -> None:
    with pytest.raises(InvalidRequest) as excinfo:
        FxRate.parse("USD", "CNY", text)
    assert excinfo.value.extensions["field"] == "fx.rate"


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("USD", "XXX", 1, 1), "fx.quote"),
        (("USD", "CNY", 0, 1), "fx.numerator"),
        (("USD", "CNY", 1, -3), "fx.denominator"),
        (("USD", "CNY", 10**19, 1), "fx.numerator"),
        (("CNY", "CNY", 2, 1), "fx"),
    ],
)
def test_a_rate_is_validated(args: tuple[str, str, int, int], field: str) -> None:
    with pytest.raises(InvalidRequest) as excinfo:
        FxRate(*args)
    assert excinfo.value.extensions["field"] == field


def test_convert_rounds_once_by_the_named_rule() -> None:
    rate = FxRate.parse("USD", "CNY", "7.1234")
    amount = Money(13500, "USD")  # 135.00 USD = 961.659 CNY
    assert rate.convert(amount, rounding=R.DOWN) == Money(96165, "CNY")
    assert rate.convert(amount, rounding=R.HALF_UP) == Money(96166, "CNY")
    assert rate.convert(Money(-13500, "USD"), rounding=R.HALF_UP) == Money(-96166, "CNY")  # refunds are symmetric


@pytest.mark.parametrize(
    ("rate", "money", "expected"),
    [
        (FxRate.parse("CNY", "JPY", "21.35"), Money(1999, "CNY"), Money(427, "JPY")),  # 19.99 × 21.35 = 426.7865
        (FxRate.parse("JPY", "CNY", "0.0468"), Money(1000, "JPY"), Money(4680, "CNY")),  # 46.80
        (FxRate.parse("KWD", "USD", "3.25"), Money(1234, "KWD"), Money(401, "USD")),  # 1.234 × 3.25 = 4.0105
        (FxRate.identity("EUR"), Money(12345, "EUR"), Money(12345, "EUR")),
    ],
)
def test_convert_respects_each_currencys_minor_unit(rate: FxRate, money: Money, expected: Money) -> None:
    assert rate.convert(money, rounding=R.HALF_EVEN) == expected


def test_convert_refuses_money_in_another_currency() -> None:
    with pytest.raises(InvalidRequest, match="converts USD"):
        FxRate.parse("USD", "CNY", "7").convert(Money(100, "EUR"), rounding=R.DOWN)


def test_reporting_uses_the_frozen_rate_with_half_even() -> None:
    assert REPORTING_ROUNDING is R.HALF_EVEN
    frozen = FxRate.from_dict({"base": "USD", "quote": "CNY", "numerator": 5, "denominator": 2, "rate": "ignored"})
    assert [to_reporting(Money(n, "USD"), frozen).amount for n in (1, 3, 5, -1)] == [2, 8, 12, -2]  # 2.5, 7.5, 12.5


def test_inverse_and_round_trip_through_the_frozen_form() -> None:
    rate = FxRate.parse("USD", "CNY", "7.1234")
    assert rate.inverse() == FxRate("CNY", "USD", 5000, 35617)
    assert rate.inverse().inverse() == rate
    assert FxRate.from_dict(rate.to_dict()) == rate
    with pytest.raises(InvalidRequest):
        FxRate.from_dict({"base": "USD", "quote": "CNY", "numerator": "7", "denominator": 1})


def test_minor_unit_exponents() -> None:
    assert [minor_unit_exponent(c) for c in ("CNY", "JPY", "KWD", "USD")] == [2, 0, 3, 2]


def test_display_cuts_rather_than_rounds() -> None:
    assert FxRate("USD", "CNY", 2, 3).display() == "0.666666"
    assert FxRate("USD", "CNY", 2, 3).display(2) == "0.66"
    assert FxRate("USD", "CNY", 7, 2).display(0) == "3"
