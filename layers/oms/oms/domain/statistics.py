"""Statistics periods and the pure arithmetic of the metrics (docs/statistics.md).

Every counter row belongs to one period of one granularity, labelled so that labels sort like time:
day `2026-12-01`, ISO week `2026-W49`, month `2026-12`, quarter `2026-Q4`. Periods are UTC. A
request names a range of days and a granularity; it covers the periods those days fall in, at most
`MAX_PERIODS[granularity]` of them (so one Query reads a bounded number of rows)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from oms.domain.errors import InvalidRequest


class Granularity(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"


MAX_PERIODS = {Granularity.DAY: 92, Granularity.WEEK: 53, Granularity.MONTH: 24, Granularity.QUARTER: 8}
TOP_PRODUCTS = 10  # best sellers shown per period unless the request asks for another count (1..50)
MAX_TOP = 50

# Time from placement to payment, counted per bucket: upper bounds in seconds (the last is open).
PAY_TIME_BUCKETS = (60, 300, 900, 3600, 86400)


def pay_time_bucket(seconds: int) -> str:
    """`le60`, `le300`, ... `le86400`, or `gt86400`."""
    for bound in PAY_TIME_BUCKETS:
        if seconds <= bound:
            return f"le{bound}"
    return f"gt{PAY_TIME_BUCKETS[-1]}"


def period_of(day: date, granularity: Granularity) -> str:
    if granularity is Granularity.DAY:
        return day.isoformat()
    if granularity is Granularity.WEEK:
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if granularity is Granularity.MONTH:
        return f"{day.year}-{day.month:02d}"
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def start_of(period: str, granularity: Granularity) -> date:
    if granularity is Granularity.DAY:
        return date.fromisoformat(period)
    year, rest = period.split("-", 1)
    if granularity is Granularity.WEEK:
        return date.fromisocalendar(int(year), int(rest[1:]), 1)
    if granularity is Granularity.MONTH:
        return date(int(year), int(rest), 1)
    return date(int(year), (int(rest[1:]) - 1) * 3 + 1, 1)


def previous(period: str, granularity: Granularity) -> str:
    """The period just before `period` (growth compares each period with it)."""
    return period_of(start_of(period, granularity) - timedelta(days=1), granularity)


def next_period(period: str, granularity: Granularity) -> str:
    start = start_of(period, granularity)
    if granularity is Granularity.DAY:
        return period_of(start + timedelta(days=1), granularity)
    if granularity is Granularity.WEEK:
        return period_of(start + timedelta(days=7), granularity)
    return period_of(
        (start + timedelta(days=92 if granularity is Granularity.QUARTER else 31)).replace(day=1), granularity
    )


def periods_of(moment: datetime) -> dict[Granularity, str]:
    """The period of each granularity an instant (UTC) falls in."""
    day = moment.date()
    return {g: period_of(day, g) for g in Granularity}


@dataclass(frozen=True)
class Range:
    """The periods a request covers, first to last, and the one before the first (for growth)."""

    granularity: Granularity
    periods: tuple[str, ...]
    before: str

    @property
    def first(self) -> str:
        return self.periods[0]

    @property
    def last(self) -> str:
        return self.periods[-1]


def period_range(since: date, until: date, granularity: Granularity) -> Range:
    """The periods from `since`'s to `until`'s; 422 if `until` is before `since` or the range is too long."""
    if until < since:
        raise InvalidRequest("`to` is before `from`", field="to")
    first, last = period_of(since, granularity), period_of(until, granularity)
    periods = [first]
    while periods[-1] != last:
        if len(periods) >= MAX_PERIODS[granularity]:
            raise InvalidRequest(
                f"at most {MAX_PERIODS[granularity]} {granularity.value} periods per request", field="to"
            )
        periods.append(next_period(periods[-1], granularity))
    return Range(granularity, tuple(periods), previous(first, granularity))


def ratio(part: int, whole: int) -> float | None:
    """`part / whole` rounded to 4 places, None when there is nothing to divide by."""
    return None if whole == 0 else round(part / whole, 4)


def growth(current: int, before: int) -> float | None:
    """Relative change against the previous period: (current − before) / before; None when before is 0."""
    return None if before == 0 else round((current - before) / before, 4)


def average(total: int, count: int) -> int | None:
    """An average in whole minor units (half-even), None over nothing."""
    if count == 0:
        return None
    quotient, rest = divmod(total, count)
    twice = 2 * rest
    if twice > count or (twice == count and quotient % 2 == 1):
        quotient += 1
    return quotient
