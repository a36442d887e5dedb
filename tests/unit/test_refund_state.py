"""The refund state machine (DESIGN §5: PENDING → PROCESSING → SUCCEEDED | FAILED, a FAILED one retried or
sent another way), the backoff of its tries at the provider, and the key the provider knows it by."""

from __future__ import annotations

from datetime import timedelta

import pytest
from oms.domain.errors import IllegalTransition
from oms.domain.refunds import (
    ACTIVE_REFUNDS,
    REFUND_TRANSITIONS,
    RefundStatus,
    check_refund_transition,
    refund_provider_key,
    refund_retry_delay,
)

S = RefundStatus
ALLOWED = {
    (S.PENDING, S.PROCESSING),
    (S.PENDING, S.SUCCEEDED),
    (S.PENDING, S.FAILED),
    (S.PROCESSING, S.SUCCEEDED),
    (S.PROCESSING, S.FAILED),
    (S.FAILED, S.PENDING),  # staff: retry
    (S.FAILED, S.SUCCEEDED),  # staff: to the balance, or paid out by hand
}


@pytest.mark.parametrize("current", list(S))
@pytest.mark.parametrize("target", list(S))
def test_only_the_listed_moves_are_allowed(current: RefundStatus, target: RefundStatus) -> None:
    if (current, target) in ALLOWED:
        check_refund_transition(current, target)
    else:
        with pytest.raises(IllegalTransition):
            check_refund_transition(current, target)
    assert ((current, target) in ALLOWED) is (target in REFUND_TRANSITIONS[current])


def test_a_succeeded_refund_is_final_and_only_pending_or_processing_ones_are_asked_again() -> None:
    assert REFUND_TRANSITIONS[S.SUCCEEDED] == frozenset()
    assert {"PENDING", "PROCESSING"} == ACTIVE_REFUNDS


@pytest.mark.parametrize(
    ("waited", "delay"),
    [
        (timedelta(0), timedelta(minutes=1)),
        (timedelta(seconds=30), timedelta(minutes=1)),
        (timedelta(minutes=1), timedelta(minutes=1)),
        (timedelta(minutes=7), timedelta(minutes=7)),
        (timedelta(hours=5), timedelta(hours=5)),
        (timedelta(hours=6, seconds=1), timedelta(hours=6)),
        (timedelta(days=2), timedelta(hours=6)),
    ],
)
def test_the_next_try_waits_as_long_as_the_refund_has_waited_within_a_minute_and_six_hours(
    waited: timedelta, delay: timedelta
) -> None:
    assert refund_retry_delay(waited) == delay


def test_tries_double_the_time_waited_however_often_someone_else_asked_meanwhile() -> None:
    waited, schedule = timedelta(0), []
    for _ in range(12):
        waited += refund_retry_delay(waited)
        schedule.append(waited)
    assert [int(t.total_seconds() // 60) for t in schedule[:6]] == [1, 2, 4, 8, 16, 32]
    assert schedule[-1] - schedule[-2] == timedelta(hours=6)


def test_each_staff_retry_is_a_new_request_at_the_provider() -> None:
    assert refund_provider_key("RF01J9ZZZZZZZZZZZZZZZZZZZZZZ01", 0) == "RF01J9ZZZZZZZZZZZZZZZZZZZZZZ01"
    assert refund_provider_key("RF01J9ZZZZZZZZZZZZZZZZZZZZZZ01", 2) == "RF01J9ZZZZZZZZZZZZZZZZZZZZZZ01-R2"
    assert len(refund_provider_key("RF" + "A" * 26 + "-01-99", 999)) <= 64  # WeChat and Alipay take 64
