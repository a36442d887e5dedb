"""Properties of Money arithmetic, display and largest-remainder allocation."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st
from oms.domain.money import MAX_AMOUNT, SUPPORTED_CURRENCIES, Money, allocate

FAST = settings(max_examples=200, deadline=None)

amounts = st.integers(min_value=-(10**12), max_value=10**12)
weight_lists = st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=50)
currencies = st.sampled_from(sorted(SUPPORTED_CURRENCIES))


def exact_shares(amount: int, weights: list[int]) -> list[Fraction]:
    if sum(weights) == 0:
        weights = [1] * len(weights)
    return [Fraction(amount * w, sum(weights)) for w in weights]


@FAST
@given(amount=amounts, weights=weight_lists)
def test_allocate_parts_sum_exactly_to_the_amount(amount: int, weights: list[int]) -> None:
    parts = allocate(amount, weights)
    assert len(parts) == len(weights)
    assert sum(parts) == amount


@FAST
@given(amount=amounts, weights=weight_lists)
def test_allocate_each_part_is_within_one_unit_of_its_exact_share(amount: int, weights: list[int]) -> None:
    for part, share in zip(allocate(amount, weights), exact_shares(amount, weights), strict=True):
        assert abs(part - share) < 1


@FAST
@given(amount=amounts, weights=weight_lists)
def test_allocate_parts_never_have_the_opposite_sign(amount: int, weights: list[int]) -> None:
    parts = allocate(amount, weights)
    assert all(part >= 0 for part in parts) if amount >= 0 else all(part <= 0 for part in parts)


@FAST
@given(amount=amounts, weights=weight_lists)
def test_allocate_of_a_negative_amount_mirrors_the_positive(amount: int, weights: list[int]) -> None:
    assert allocate(-amount, weights) == [-part for part in allocate(amount, weights)]


@FAST
@given(amount=amounts, weights=weight_lists)
def test_allocate_gives_zero_weights_nothing_when_any_weight_is_positive(amount: int, weights: list[int]) -> None:
    if sum(weights) == 0:
        return
    for part, weight in zip(allocate(amount, weights), weights, strict=True):
        if weight == 0:
            assert part == 0


@FAST
@given(amount=st.integers(min_value=0, max_value=10**12), weights=weight_lists)
def test_allocate_larger_weight_never_gets_a_smaller_part(amount: int, weights: list[int]) -> None:
    parts = allocate(amount, weights)
    for i in range(len(weights)):
        for j in range(len(weights)):
            if weights[i] > weights[j]:
                assert parts[i] >= parts[j]


@FAST
@given(amount=amounts, weight=st.integers(min_value=0, max_value=10**6), n=st.integers(min_value=1, max_value=30))
def test_allocate_equal_weights_differ_by_at_most_one_with_extras_first(amount: int, weight: int, n: int) -> None:
    parts = [abs(p) for p in allocate(amount, [weight] * n)]
    assert max(parts) - min(parts) <= 1
    assert parts == sorted(parts, reverse=True)


@FAST
@given(a=amounts, b=amounts, c=amounts, currency=currencies)
def test_addition_is_exact_associative_and_subtraction_undoes_it(a: int, b: int, c: int, currency: str) -> None:
    x, y, z = Money(a, currency), Money(b, currency), Money(c, currency)
    assert (x + y) + z == x + (y + z)
    assert (x + y).amount == a + b
    assert (x + y) - y == x


@FAST
@given(a=amounts, b=amounts, currency=currencies)
def test_comparisons_agree_with_amounts(a: int, b: int, currency: str) -> None:
    x, y = Money(a, currency), Money(b, currency)
    assert (x < y) == (a < b)
    assert (x <= y) == (a <= b)
    assert (x > y) == (a > b)
    assert (x >= y) == (a >= b)
    assert (x == y) == (a == b)


@FAST
@given(amount=st.integers(min_value=-MAX_AMOUNT, max_value=MAX_AMOUNT), currency=currencies)
def test_display_shows_the_exact_amount(amount: int, currency: str) -> None:
    text = Money(amount, currency).display()
    number, shown_currency = text.split(" ")
    assert shown_currency == currency
    assert int(number.replace(".", "")) == amount
    assert number.startswith("-") == (amount < 0)


@FAST
@given(amount=st.integers(min_value=-MAX_AMOUNT, max_value=MAX_AMOUNT), currency=currencies)
def test_dict_round_trip(amount: int, currency: str) -> None:
    money = Money(amount, currency)
    data: dict[str, object] = {**money.to_dict()}
    assert Money.from_dict(data) == money
