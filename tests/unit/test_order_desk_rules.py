"""The order desk's pure rules: which orders staff may hold, which holds a staff release ends, how money
arriving on a held order is judged, and what a note must be (oms.domain.holds, oms.domain.notes)."""

from __future__ import annotations

import pytest
from oms.domain.errors import InvalidRequest
from oms.domain.holds import (
    Hold,
    HoldKind,
    HoldReleasedElsewhere,
    OrderHeld,
    OrderNotHeld,
    OrderNotHoldable,
    check_cancel_held,
    check_staff_hold,
    check_staff_release,
    judged_status,
)
from oms.domain.notes import MAX_NOTES_PER_ORDER, CommunicationChannel, NoteKind, NotesFull, NoteVisibility, check_note
from oms.domain.order import OrderStatus as S


def hold(kind: HoldKind, from_status: S = S.PAID) -> Hold:
    return Hold(kind, "why", "support-1", "2026-12-01T00:00:00Z", from_status)


@pytest.mark.parametrize("status", [S.PAID, S.PARTIALLY_SHIPPED])
def test_staff_hold_paid_orders_that_have_not_shipped_in_full(status: S) -> None:
    check_staff_hold(status, None)


@pytest.mark.parametrize("status", [S.PENDING_PAYMENT, S.SHIPPED, S.DELIVERED, S.COMPLETED, S.CANCELLED, S.CLOSED])
def test_other_orders_are_not_holdable(status: S) -> None:
    with pytest.raises(OrderNotHoldable):
        check_staff_hold(status, None)


def test_a_held_order_is_held_already_whatever_the_kind() -> None:
    for kind in HoldKind:
        with pytest.raises(OrderHeld) as raised:
            check_staff_hold(S.ON_HOLD, hold(kind))
        assert raised.value.extensions == {"holdKind": kind.value}
    with pytest.raises(OrderHeld):  # a hold from before holds were recorded: an abnormal payment's
        check_staff_hold(S.ON_HOLD, None)


def test_a_staff_release_ends_only_a_staff_hold() -> None:
    staff = hold(HoldKind.STAFF, S.PARTIALLY_SHIPPED)
    assert check_staff_release(S.ON_HOLD, staff) is staff
    for kind in (HoldKind.ANOMALY, HoldKind.RISK_REVIEW):
        with pytest.raises(HoldReleasedElsewhere):
            check_staff_release(S.ON_HOLD, hold(kind))
    with pytest.raises(HoldReleasedElsewhere):
        check_staff_release(S.ON_HOLD, None)
    with pytest.raises(OrderNotHeld):
        check_staff_release(S.PAID, None)


def test_money_on_a_held_paid_order_is_judged_by_the_status_the_hold_interrupted() -> None:
    assert judged_status(S.ON_HOLD, hold(HoldKind.STAFF, S.PARTIALLY_SHIPPED)) is S.PARTIALLY_SHIPPED
    assert judged_status(S.ON_HOLD, hold(HoldKind.RISK_REVIEW, S.PAID)) is S.PAID
    assert judged_status(S.ON_HOLD, hold(HoldKind.ANOMALY, S.PENDING_PAYMENT)) is S.ON_HOLD
    assert judged_status(S.ON_HOLD, None) is S.ON_HOLD
    assert judged_status(S.PAID, None) is S.PAID


def test_a_staff_held_order_is_released_before_it_is_cancelled() -> None:
    with pytest.raises(OrderHeld):
        check_cancel_held(S.ON_HOLD, hold(HoldKind.STAFF))
    check_cancel_held(S.ON_HOLD, hold(HoldKind.ANOMALY, S.PENDING_PAYMENT))
    check_cancel_held(S.PENDING_PAYMENT, None)


def test_a_note_is_trimmed_and_bounded() -> None:
    internal, shopper = NoteVisibility.INTERNAL, NoteVisibility.SHOPPER
    assert check_note(NoteKind.NOTE, shopper, None, "  hello \n", 0) == "hello"
    assert check_note(NoteKind.COMMUNICATION, internal, CommunicationChannel.PHONE, "said", 0) == "said"
    for kind, visibility, channel, text in [
        (NoteKind.NOTE, internal, None, " "),
        (NoteKind.NOTE, internal, None, "x" * 2001),
        (NoteKind.NOTE, internal, CommunicationChannel.SMS, "x"),
        (NoteKind.COMMUNICATION, internal, None, "x"),
        (NoteKind.COMMUNICATION, shopper, CommunicationChannel.EMAIL, "x"),
    ]:
        with pytest.raises(InvalidRequest):
            check_note(kind, visibility, channel, text, 0)
    with pytest.raises(NotesFull):
        check_note(NoteKind.NOTE, internal, None, "one more", MAX_NOTES_PER_ORDER)
