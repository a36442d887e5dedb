"""Exchange rates as exact integer ratios, and currency conversion with an explicit rounding rule.

A rate says how many major units of the `quote` currency one major unit of the `base` currency buys,
as the fraction `numerator / denominator` ("1 USD = 7.1234 CNY" is USD→CNY 71234/10000, kept in lowest
terms). No float and no Decimal: a conversion multiplies integers and rounds once, at the end, by the
rule the caller names. An order freezes the rate it was placed with; reports convert its totals with
that frozen rate and `REPORTING_ROUNDING`, so a report run twice, or a year later, shows the same
numbers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from math import gcd

from oms.domain.errors import InvalidRequest
from oms.domain.money import SUPPORTED_CURRENCIES, Money, minor_unit_exponent

MAX_RATE_TERM = 10**18  # numerator and denominator bound: far beyond any quoted rate's precision
_DECIMAL = re.compile(r"^(\d{1,18})(?:\.(\d{1,18}))?$")


class Rounding(StrEnum):
    """How a converted amount lands on a whole minor unit. "Half" rules only differ on exact halves."""

    DOWN = "down"  # toward zero
    UP = "up"  # away from zero
    FLOOR = "floor"  # toward minus infinity
    CEILING = "ceiling"  # toward plus infinity
    HALF_UP = "half_up"  # nearest; halves away from zero (commercial rounding)
    HALF_EVEN = "half_even"  # nearest; halves to the even neighbour (banker's rounding)


# Reports sum many converted orders: banker's rounding leaves no systematic drift in such sums.
REPORTING_ROUNDING = Rounding.HALF_EVEN


def divide(numerator: int, denominator: int, rounding: Rounding) -> int:
    """`numerator / denominator` rounded to an integer by `rounding`; exact, no float involved."""
    if denominator == 0:
        raise ZeroDivisionError("division by zero")
    if denominator < 0:
        numerator, denominator = -numerator, -denominator
    floor_q, rest = divmod(numerator, denominator)  # floor division: 0 <= rest < denominator
    if rest == 0:
        return floor_q
    ceil_q = floor_q + 1
    negative = numerator < 0
    if rounding is Rounding.FLOOR:
        return floor_q
    if rounding is Rounding.CEILING:
        return ceil_q
    if rounding is Rounding.DOWN:
        return ceil_q if negative else floor_q
    if rounding is Rounding.UP:
        return floor_q if negative else ceil_q
    twice = 2 * rest
    if twice < denominator:
        return floor_q
    if twice > denominator:
        return ceil_q
    if rounding is Rounding.HALF_UP:  # exactly half: away from zero
        return floor_q if negative else ceil_q
    return floor_q if floor_q % 2 == 0 else ceil_q  # HALF_EVEN


@dataclass(frozen=True, slots=True)
class FxRate:
    """1 `base` = `numerator / denominator` `quote` (major units). Stored in lowest terms."""

    base: str
    quote: str
    numerator: int
    denominator: int

    def __post_init__(self) -> None:
        for name in ("base", "quote"):
            currency = getattr(self, name)
            if currency not in SUPPORTED_CURRENCIES:
                raise InvalidRequest(f"unsupported currency {currency!r}", field=f"fx.{name}")
        for name in ("numerator", "denominator"):
            term = getattr(self, name)
            if type(term) is not int or not 0 < term <= MAX_RATE_TERM:
                raise InvalidRequest(f"rate {name} must be an integer in 1..{MAX_RATE_TERM}", field=f"fx.{name}")
        divisor = gcd(self.numerator, self.denominator)
        object.__setattr__(self, "numerator", self.numerator // divisor)
        object.__setattr__(self, "denominator", self.denominator // divisor)
        if self.base == self.quote and self.numerator != self.denominator:
            raise InvalidRequest("a currency converts to itself at exactly 1", field="fx")

    @classmethod
    def parse(cls, base: str, quote: str, rate: str) -> FxRate:
        """From a decimal string as rate feeds publish it, e.g. `FxRate.parse("USD", "CNY", "7.1234")`."""
        match = _DECIMAL.match(rate)
        if match is None:
            raise InvalidRequest(f"rate must be a positive decimal number, not {rate!r}", field="fx.rate")
        whole, fraction = match.group(1), match.group(2) or ""
        numerator = int(whole + fraction)
        if numerator == 0:
            raise InvalidRequest("rate must be positive", field="fx.rate")
        return cls(base, quote, numerator, 10 ** len(fraction))

    @classmethod
    def identity(cls, currency: str) -> FxRate:
        return cls(currency, currency, 1, 1)

    def inverse(self) -> FxRate:
        return FxRate(self.quote, self.base, self.denominator, self.numerator)

    def convert(self, money: Money, *, rounding: Rounding) -> Money:
        """`money` (in `base`) expressed in `quote`, rounded once to the quote's minor unit."""
        if money.currency != self.base:
            raise InvalidRequest(f"this rate converts {self.base}, not {money.currency}", field="fx.base")
        shift = minor_unit_exponent(self.quote) - minor_unit_exponent(self.base)
        numerator = money.amount * self.numerator * 10 ** max(shift, 0)
        denominator = self.denominator * 10 ** max(-shift, 0)
        return Money(divide(numerator, denominator, rounding), self.quote)

    def display(self, digits: int = 6) -> str:
        """The rate as a decimal, cut (not rounded) to at most `digits` fraction digits: '7.1234'."""
        whole, rest = divmod(self.numerator, self.denominator)
        fraction = (rest * 10**digits // self.denominator) if digits else 0
        text = f"{whole}.{fraction:0{digits}d}".rstrip("0") if digits else str(whole)
        return text.rstrip(".")

    def to_dict(self) -> dict[str, object]:
        return {
            "base": self.base,
            "quote": self.quote,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "rate": self.display(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> FxRate:
        base, quote = data.get("base"), data.get("quote")
        numerator, denominator = data.get("numerator"), data.get("denominator")
        if not (isinstance(base, str) and isinstance(quote, str)):
            raise InvalidRequest("fx rate needs base and quote currencies", field="fx")
        if type(numerator) is not int or type(denominator) is not int:
            raise InvalidRequest("fx rate needs integer numerator and denominator", field="fx")
        return cls(base, quote, numerator, denominator)


def to_reporting(money: Money, rate: FxRate) -> Money:
    """A frozen order amount in the reporting currency: the order's rate, `REPORTING_ROUNDING`."""
    return rate.convert(money, rounding=REPORTING_ROUNDING)
