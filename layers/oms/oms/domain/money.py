"""Money as integer minor units with an ISO 4217 currency. Never floats."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from oms.domain.errors import InvalidRequest

# Minor-unit exponents (ISO 4217) of the currencies we accept; the default is 2.
_EXPONENTS: dict[str, int] = {"JPY": 0, "KRW": 0, "VND": 0, "BHD": 3, "KWD": 3, "JOD": 3}
SUPPORTED_CURRENCIES = frozenset(
    {"CNY", "USD", "EUR", "GBP", "HKD", "JPY", "KRW", "SGD", "AUD", "CAD", "CHF", "TWD", "MOP", "THB", "VND", "KWD"}
)


def minor_unit_exponent(currency: str) -> int:
    """Digits after the decimal point of the currency's minor unit (ISO 4217): 2 for CNY, 0 for JPY."""
    return _EXPONENTS.get(currency, 2)


MAX_AMOUNT = 10**13  # 100 billion in a 2-decimal currency: far above any order, far below int64


@dataclass(frozen=True, slots=True)
class Money:
    amount: int
    currency: str

    def __post_init__(self) -> None:
        if type(self.amount) is not int:
            raise InvalidRequest("money amount must be an integer number of minor units")
        if self.currency not in SUPPORTED_CURRENCIES:
            raise InvalidRequest(f"unsupported currency {self.currency!r}")
        if abs(self.amount) > MAX_AMOUNT:
            raise InvalidRequest("money amount out of range")

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise InvalidRequest(f"cannot combine {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, quantity: int) -> Money:
        return Money(self.amount * quantity, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.amount >= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount > other.amount

    def is_zero(self) -> bool:
        return self.amount == 0

    def display(self) -> str:
        """Human form, e.g. '135.00 CNY'."""
        exp = minor_unit_exponent(self.currency)
        sign = "-" if self.amount < 0 else ""
        whole, frac = divmod(abs(self.amount), 10**exp)
        return f"{sign}{whole}.{frac:0{exp}d} {self.currency}" if exp else f"{sign}{whole} {self.currency}"

    def to_dict(self) -> dict[str, int | str]:
        return {"amount": self.amount, "currency": self.currency}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Money:
        amount, currency = data.get("amount"), data.get("currency")
        if type(amount) is not int or not isinstance(currency, str):
            raise InvalidRequest("money must be {amount: int, currency: str}")
        return cls(amount, currency)


def total(items: Sequence[Money], currency: str) -> Money:
    result = Money.zero(currency)
    for item in items:
        result = result + item
    return result


def allocate(amount: int, weights: Sequence[int]) -> list[int]:
    """Split `amount` across `weights` proportionally by largest remainder: parts sum exactly to amount.

    Ties on the remainder go to the earlier weight, so the result is deterministic.
    """
    if not weights:
        raise ValueError("allocate needs at least one weight")
    if any(w < 0 for w in weights):
        raise ValueError("weights must not be negative")
    weight_sum = sum(weights)
    if weight_sum == 0:
        # Nothing to weigh by: spread evenly, earlier parts first.
        weights = [1] * len(weights)
        weight_sum = len(weights)
    sign = -1 if amount < 0 else 1
    magnitude = abs(amount)
    quotients = [magnitude * w // weight_sum for w in weights]
    remainders = [magnitude * w % weight_sum for w in weights]
    leftover = magnitude - sum(quotients)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[:leftover]:
        quotients[i] += 1
    return [sign * q for q in quotients]
