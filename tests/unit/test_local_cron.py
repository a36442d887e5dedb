"""The local stack's EventBridge cron schedules (oms_local.core.schedules): the next matching minute in UTC,
as EventBridge computes it, for the template's report schedules and the fields around them."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from oms_local.core.schedules import ScheduleTimers, parse_cron

NOW = datetime(2026, 12, 1, 22, 45, 30, tzinfo=UTC)  # a Tuesday


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("cron(0 2 * * ? *)", datetime(2026, 12, 2, 2, 0, tzinfo=UTC)),  # daily 02:00
        ("cron(30 2 ? * MON *)", datetime(2026, 12, 7, 2, 30, tzinfo=UTC)),  # next Monday
        ("cron(0 3 1 * ? *)", datetime(2027, 1, 1, 3, 0, tzinfo=UTC)),  # the 1st
        ("cron(0/15 * * * ? *)", datetime(2026, 12, 1, 23, 0, tzinfo=UTC)),  # every quarter hour
        ("cron(46 22 * * ? *)", datetime(2026, 12, 1, 22, 46, tzinfo=UTC)),  # later this hour
        ("cron(45 22 * * ? *)", datetime(2026, 12, 2, 22, 45, tzinfo=UTC)),  # this minute has begun: tomorrow
        ("cron(0 9 ? * 1 *)", datetime(2026, 12, 6, 9, 0, tzinfo=UTC)),  # 1 = Sunday
        ("cron(0 9 ? * MON-FRI *)", datetime(2026, 12, 2, 9, 0, tzinfo=UTC)),
        ("cron(0 0 29 FEB ? *)", datetime(2028, 2, 29, 0, 0, tzinfo=UTC)),
        ("cron(0 0 1 1 ? 2026)", None),  # only in the past
    ],
)
def test_the_next_minute_a_cron_schedule_fires(expression: str, expected: datetime | None) -> None:
    cron = parse_cron(expression)
    assert cron is not None
    assert cron.next_after(NOW) == expected


@pytest.mark.parametrize("expression", ["cron(0 10 L * ? *)", "cron(0 10 ? * 6#3 *)", "cron(0 10 15W * ? *)"])
def test_fields_not_evaluated_leave_the_rule_on_demand(expression: str) -> None:
    assert parse_cron(expression) is None


@pytest.mark.parametrize(
    "expression", ["cron(0 2 * * * *)", "cron(0 2 ? * ? *)", "cron(61 2 * * ? *)", "cron(0 2 * *)"]
)
def test_malformed_cron_expressions_are_refused(expression: str) -> None:
    with pytest.raises(ValueError):
        parse_cron(expression)


def test_rate_expressions_are_no_cron() -> None:
    assert parse_cron("rate(5 minutes)") is None


def test_a_cron_timer_fires_at_the_minute() -> None:
    real = datetime.now(UTC)
    next_minute = real.replace(second=0, microsecond=0) + timedelta(minutes=1)
    offset = next_minute - timedelta(seconds=0.2) - real  # the clock reads 0.2 s before a minute begins
    fired = threading.Event()
    timers = ScheduleTimers(lambda name: fired.set())
    cron = parse_cron("cron(* * * * ? *)")
    assert cron is not None
    timers.add_cron("every-minute", cron, clock=lambda: datetime.now(UTC) + offset)
    try:
        assert fired.wait(timeout=5)
    finally:
        timers.stop()
