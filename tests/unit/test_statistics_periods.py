"""Statistics periods (oms.domain.statistics): labels sort like time, previous/next cross year
boundaries, ranges are bounded per granularity."""

from __future__ import annotations

from datetime import date

import pytest
from oms.domain.errors import InvalidRequest
from oms.domain.statistics import (
    MAX_PERIODS,
    Granularity,
    average,
    growth,
    next_period,
    pay_time_bucket,
    period_of,
    period_range,
    previous,
    ratio,
)

G = Granularity


@pytest.mark.parametrize(
    ("day", "granularity", "label"),
    [
        (date(2026, 12, 1), G.DAY, "2026-12-01"),
        (date(2026, 12, 1), G.WEEK, "2026-W49"),
        (date(2027, 1, 1), G.WEEK, "2026-W53"),  # ISO: 1 Jan 2027 is in 2026's week 53
        (date(2026, 12, 1), G.MONTH, "2026-12"),
        (date(2026, 12, 1), G.QUARTER, "2026-Q4"),
        (date(2026, 3, 31), G.QUARTER, "2026-Q1"),
    ],
)
def test_labels(day: date, granularity: Granularity, label: str) -> None:
    assert period_of(day, granularity) == label


@pytest.mark.parametrize(
    ("label", "granularity", "before", "after"),
    [
        ("2027-01-01", G.DAY, "2026-12-31", "2027-01-02"),
        ("2027-W01", G.WEEK, "2026-W53", "2027-W02"),
        ("2027-01", G.MONTH, "2026-12", "2027-02"),
        ("2027-Q1", G.QUARTER, "2026-Q4", "2027-Q2"),
    ],
)
def test_previous_and_next(label: str, granularity: Granularity, before: str, after: str) -> None:
    assert previous(label, granularity) == before
    assert next_period(label, granularity) == after
    assert before < label < after  # labels sort like time: one Query's key range


def test_a_range_covers_the_periods_of_its_days_and_the_one_before() -> None:
    span = period_range(date(2026, 11, 15), date(2027, 1, 5), G.MONTH)
    assert span.periods == ("2026-11", "2026-12", "2027-01")
    assert span.before == "2026-10"


@pytest.mark.parametrize("granularity", list(Granularity))
def test_ranges_are_bounded(granularity: Granularity) -> None:
    start = date(2020, 1, 1)
    with pytest.raises(InvalidRequest):
        period_range(start, date(2026, 12, 31), granularity)
    with pytest.raises(InvalidRequest):
        period_range(date(2026, 12, 2), date(2026, 12, 1), granularity)
    assert len(period_range(date(2026, 12, 1), date(2026, 12, 1), granularity).periods) == 1
    assert MAX_PERIODS[granularity] >= 8


def test_ratios_and_averages() -> None:
    assert ratio(1, 3) == 0.3333 and ratio(1, 0) is None
    assert growth(150, 100) == 0.5 and growth(5, 0) is None
    assert average(5, 2) == 2 and average(7, 2) == 4 and average(1, 0) is None  # half-even
    assert [pay_time_bucket(s) for s in (0, 60, 61, 86400, 86401)] == ["le60", "le60", "le300", "le86400", "gt86400"]
