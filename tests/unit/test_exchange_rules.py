"""The pure rules of exchanges (oms.domain.after_sales): the moves of the replacement and the price
difference, what an exchange request must name, and the difference's arithmetic; the ledger postings that
make an order owe a dearer replacement's difference (and no longer)."""

from __future__ import annotations

import pytest
from oms.domain.after_sales import (
    CaseAction,
    CaseNotWaiting,
    CaseStatus,
    CaseStep,
    CaseType,
    Claim,
    Move,
    Replacement,
    check_replacements,
    move,
    price_difference,
)
from oms.domain.errors import InvalidRequest
from oms.domain.ledger import Line, exchange_difference, exchange_difference_dropped, order_owed
from oms.domain.money import Money

A, S, P = CaseAction, CaseStep, CaseStatus
EXCHANGE = CaseType.EXCHANGE


@pytest.mark.parametrize(
    ("step", "action", "expected"),
    [
        (S.REPLACEMENT, A.DIFFERENCE_DUE, Move(P.EXCHANGING, S.DIFFERENCE)),
        (S.DIFFERENCE, A.DIFFERENCE_PAID, Move(P.EXCHANGING, S.REPLACEMENT)),
        (S.DIFFERENCE, A.EXPIRE, Move(P.REFUNDING, S.REFUND)),  # not paid in time: a refund instead
        (S.REPLACEMENT, A.NOT_REPLACEABLE, Move(P.REFUNDING, S.REFUND)),  # no stock: a refund instead
        (S.REPLACEMENT, A.REPLACED, Move(P.RESOLVED, S.DONE)),
    ],
)
def test_the_exchange_moves(step: CaseStep, action: CaseAction, expected: Move) -> None:
    assert move(EXCHANGE, step, action) == expected


def test_a_case_waiting_for_its_difference_cannot_be_cancelled_or_shipped_around() -> None:
    for action in (A.CANCEL, A.REPLACED, A.REFUNDED):
        with pytest.raises(CaseNotWaiting) as refused:
            move(EXCHANGE, S.DIFFERENCE, action)
        assert refused.value.status == 409


PRODUCTS = {1: "P-TEE", 2: "P-TEE"}
SKUS: dict[str, str | None] = {"TEE-M": "P-TEE", "TEE-L": "P-TEE", "MUG": "P-MUG", "GONE": None}


def check(kind: CaseType, claims: list[Claim], replacements: list[Replacement]) -> None:
    check_replacements(kind, claims, replacements, product_of_line=PRODUCTS, product_of_sku=SKUS)


def test_an_exchange_names_one_replacement_of_the_same_product_per_claimed_line() -> None:
    check(EXCHANGE, [Claim(1, 1), Claim(2, 2)], [Replacement(1, "TEE-M"), Replacement(2, "TEE-L")])
    check(CaseType.RETURN_REFUND, [Claim(1, 1)], [])
    for claims, replacements in (
        ([Claim(1, 1), Claim(2, 1)], [Replacement(1, "TEE-L")]),  # line 2 has none
        ([Claim(1, 1)], [Replacement(1, "TEE-L"), Replacement(1, "TEE-M")]),  # twice
        ([Claim(1, 1)], [Replacement(2, "TEE-L")]),  # not claimed
        ([Claim(1, 1)], [Replacement(1, "MUG")]),  # another product
        ([Claim(1, 1)], [Replacement(1, "GONE")]),  # no such SKU
    ):
        with pytest.raises(InvalidRequest) as refused:
            check(EXCHANGE, claims, replacements)
        assert refused.value.extensions["field"] == "replacements"
    with pytest.raises(InvalidRequest):
        check(CaseType.REFUND_ONLY, [Claim(1, 1)], [Replacement(1, "TEE-L")])  # only exchanges name any


def test_the_difference_is_the_unit_price_change_times_the_units() -> None:
    assert price_difference(Money(13000, "CNY"), Money(12000, "CNY"), 2) == Money(2000, "CNY")
    assert price_difference(Money(10500, "CNY"), Money(12000, "CNY"), 2) == Money(-3000, "CNY")
    assert price_difference(Money(12000, "CNY"), Money(12000, "CNY"), 3) == Money(0, "CNY")
    with pytest.raises(InvalidRequest):
        price_difference(Money(100, "USD"), Money(100, "CNY"), 1)


def test_the_order_owes_a_dearer_replacement_until_the_difference_is_dropped() -> None:
    total = Money(24000, "CNY")
    owed = exchange_difference("O1", Money(2000, "CNY"), "dearer")
    lines: list[Line] = list(owed.lines)
    assert sum(line.amount.amount for line in lines) == 0  # a balanced posting
    assert order_owed(lines, "O1", total) == Money(26000, "CNY")
    lines += exchange_difference_dropped("O1", Money(2000, "CNY"), "not paid").lines
    assert order_owed(lines, "O1", total) == total
