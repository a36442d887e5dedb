"""What an order is owed and still asks for, from its ledger (issue 9 items 2-4): cancelled and
written-off value is no longer owed; a late payment revives only a timed-out order whose stores allow
it; refunds spread over the payments that can take them."""

from __future__ import annotations

import itertools

import pytest
from oms.domain.ledger import (
    Line,
    Posting,
    cancellation,
    cancellation_reversed,
    order_owed,
    payment_postings,
    transfer,
    write_off,
)
from oms.domain.ledger import PostingKind as K
from oms.domain.money import Money
from oms.domain.payment import (
    AttemptStatus,
    LatePaymentPolicy,
    PaymentStatus,
    SuccessOutcome,
    decide_success,
    may_revive,
    order_position,
)
from oms.domain.refunds import allocate_refund, refund_id_for

OID = "01ORDER"
REVIVE, REFUND = LatePaymentPolicy.REVIVE_IF_STOCK, LatePaymentPolicy.REFUND


def cny(amount: int) -> Money:
    return Money(amount, "CNY")


def lines(*postings: Posting) -> list[Line]:
    return [line for posting in postings for line in posting.lines]


def paid(amount: int) -> Posting:
    return payment_postings("alipay", OID, cny(amount), cny(0), cny(0))[0]


def refunded(amount: int) -> Posting:
    return transfer(K.REFUND, f"order:{OID}", "provider:alipay", cny(amount), "refund")


def test_a_paid_order_with_a_cancelled_child_refunded_owes_and_asks_nothing_more() -> None:
    # 106.00 paid, the 58.00 child cancelled and refunded: owed 48.00, held 48.00.
    money = order_position(lines(paid(10600), cancellation(OID, cny(5800), "child"), refunded(5800)), OID, cny(10600))
    assert (money.owed, money.held, money.outstanding) == (cny(4800), cny(4800), cny(0))
    assert money.status is PaymentStatus.PARTIALLY_REFUNDED
    money = order_position(
        lines(paid(10600), cancellation(OID, cny(5800), "a"), refunded(5800), cancellation(OID, cny(4800), "b")),
        OID,
        cny(10600),
    )
    assert (money.owed, money.outstanding, money.excess, money.status) == (
        cny(0),
        cny(0),
        cny(4800),
        PaymentStatus.OVERPAID,  # the second refund is still on its way
    )


def test_statuses_follow_what_is_owed() -> None:
    total = cny(10800)
    assert order_position([], OID, total).status is PaymentStatus.UNPAID
    assert order_position(lines(cancellation(OID, total, "x")), OID, total).outstanding == cny(0)
    underpaid = lines(paid(10000))
    assert order_position(underpaid, OID, total).status is PaymentStatus.PARTIALLY_PAID
    written_off = order_position(lines(paid(10000), write_off(OID, cny(800), "ok")), OID, total)
    assert (written_off.status, written_off.outstanding) == (PaymentStatus.PAID, cny(0))
    late = order_position(lines(paid(10800), cancellation(OID, total, "cancel")), OID, total)
    assert late.status is PaymentStatus.OVERPAID  # money for a cancelled order: owed back
    late_back = lines(paid(10800), cancellation(OID, total, "cancel"), refunded(10800))
    assert order_position(late_back, OID, total).status is PaymentStatus.REFUNDED
    revived = lines(cancellation(OID, total, "cancel"), cancellation_reversed(OID, total, "revived"), paid(10800))
    assert order_position(revived, OID, total).status is PaymentStatus.PAID
    duplicate = lines(paid(10800), paid(10800), refunded(10800))
    assert order_position(duplicate, OID, total).status is PaymentStatus.PAID


AMOUNTS = (0, 1, 4800, 5800, 10600, 10_000_000)


@pytest.mark.parametrize("total", [1, 10600, 10_000_000])
def test_outstanding_is_owed_minus_held_never_negative(total: int) -> None:
    for cancelled, received, back in itertools.product(AMOUNTS, AMOUNTS, AMOUNTS):
        check_position(total, cancelled, received, back)


def check_position(total: int, cancelled: int, received: int, back: int) -> None:
    postings = []
    if cancelled:
        postings.append(cancellation(OID, cny(min(cancelled, total)), "c"))
    if received:
        postings.append(paid(received))
    if back and received:
        postings.append(refunded(min(back, received)))
    money = order_position(lines(*postings), OID, cny(total))
    assert money.owed == order_owed(lines(*postings), OID, cny(total)) == cny(total - min(cancelled, total))
    assert money.outstanding.amount == max(0, money.owed.amount - money.held.amount) >= 0
    assert all(sum(line.amount.amount for line in posting.lines) == 0 for posting in postings)


@pytest.mark.parametrize(
    ("reason", "benefits", "policies", "revives"),
    [
        ("payment_timeout", False, [REVIVE], True),
        ("payment_timeout", False, [REVIVE, REVIVE], True),
        ("payment_timeout", False, [REVIVE, REFUND], False),  # every store must allow it
        ("payment_timeout", False, [REFUND], False),  # the default
        ("payment_timeout", True, [REVIVE], False),  # coupons/points/balance went back
        ("customer_request", False, [REVIVE], False),  # a person's cancel is final
        ("staff_decision", False, [REVIVE], False),
        ("payment_timeout", False, [], False),
    ],
)
def test_only_a_timed_out_order_of_reviving_stores_may_revive(
    reason: str, benefits: bool, policies: list[LatePaymentPolicy], revives: bool
) -> None:
    assert may_revive(reason, benefits, policies) is revives


def test_a_cancelled_order_is_revived_only_when_allowed() -> None:
    exact = cny(10800)
    created = AttemptStatus.EXPIRED
    assert decide_success("CANCELLED", created, exact, exact)[0] is SuccessOutcome.REFUND_AFTER_CANCEL
    assert decide_success("CANCELLED", created, exact, exact, revive=True)[0] is SuccessOutcome.REVIVE_OR_REFUND
    wrong = decide_success("CANCELLED", created, exact, cny(1), revive=True)[0]
    assert wrong is SuccessOutcome.REFUND_AFTER_CANCEL


def test_refunds_spread_over_the_payments_that_can_take_them() -> None:
    assert allocate_refund(5800, [("p2", 800), ("p1", 10000)]) == [("p2", 800), ("p1", 5000)]
    assert allocate_refund(500, [("p1", 0), ("p2", 300)]) == [("p2", 300)]  # 200 left for the caller
    assert allocate_refund(0, [("p1", 100)]) == []


def test_refund_ids_are_unique_and_stable() -> None:
    assert refund_id_for("RF01", []) == "RF01"
    assert refund_id_for("RF01", ["RF01"]) == "RF01-2"
    assert refund_id_for("RF01", ["RF01", "RF01-2"]) == "RF01-3"
