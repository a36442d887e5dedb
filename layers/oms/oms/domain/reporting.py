"""Report periods and the shape of a report's PDF summary (pure: no I/O).

A period is a day, an ISO week, a month or a quarter of UTC time, written as reports name their folders:
`2026-12-01` (day), `2026-W48` (ISO week, Monday to Sunday), `2026-12` (month), `2026-Q4` (quarter). It
covers the instants `start <= t < end`; `previous()` is the period of the same granularity just before.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from oms.domain.errors import InvalidRequest


class Granularity(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"


_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


def _month_start(year: int, month: int) -> date:
    return date(year, month, 1)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True, slots=True, order=True)
class Period:
    """One day, ISO week, month or quarter; `first` is its first day (a Monday for a week)."""

    first: date
    granularity: Granularity

    @classmethod
    def parse(cls, text: str) -> Period:
        """From its name (`2026-12-01`, `2026-W48`, `2026-12`, `2026-Q4`); InvalidRequest otherwise."""
        try:
            if match := _DAY.match(text):
                return cls(date(int(match[1]), int(match[2]), int(match[3])), Granularity.DAY)
            if match := _WEEK.match(text):
                return cls(date.fromisocalendar(int(match[1]), int(match[2]), 1), Granularity.WEEK)
            if match := _MONTH.match(text):
                return cls(_month_start(int(match[1]), int(match[2])), Granularity.MONTH)
            if match := _QUARTER.match(text):
                return cls(_month_start(int(match[1]), 3 * int(match[2]) - 2), Granularity.QUARTER)
        except ValueError as error:
            raise InvalidRequest(f"{text!r} is not a period", field="period") from error
        raise InvalidRequest(f"{text!r} is not a period (YYYY-MM-DD, YYYY-Www, YYYY-MM or YYYY-Qn)", field="period")

    @classmethod
    def containing(cls, moment: datetime | date, granularity: Granularity) -> Period:
        """The period of `granularity` that holds `moment` (a datetime is taken in UTC)."""
        day = moment.astimezone(UTC).date() if isinstance(moment, datetime) else moment
        if granularity is Granularity.DAY:
            return cls(day, granularity)
        if granularity is Granularity.WEEK:
            return cls(day - timedelta(days=day.weekday()), granularity)
        if granularity is Granularity.MONTH:
            return cls(day.replace(day=1), granularity)
        return cls(date(day.year, 3 * ((day.month - 1) // 3) + 1, 1), granularity)

    @classmethod
    def last_complete(cls, now: datetime, granularity: Granularity) -> Period:
        """The latest period of `granularity` that ended at or before `now` (what a schedule reports)."""
        return cls.containing(now, granularity).previous()

    def __str__(self) -> str:
        if self.granularity is Granularity.DAY:
            return self.first.isoformat()
        if self.granularity is Granularity.WEEK:
            year, week, _ = self.first.isocalendar()
            return f"{year}-W{week:02d}"
        if self.granularity is Granularity.MONTH:
            return f"{self.first.year}-{self.first.month:02d}"
        return f"{self.first.year}-Q{(self.first.month - 1) // 3 + 1}"

    @property
    def name(self) -> str:
        return str(self)

    @property
    def end_day(self) -> date:
        """The first day after the period."""
        if self.granularity is Granularity.DAY:
            return self.first + timedelta(days=1)
        if self.granularity is Granularity.WEEK:
            return self.first + timedelta(days=7)
        return _add_months(self.first, 1 if self.granularity is Granularity.MONTH else 3)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(0), UTC)

    @property
    def end(self) -> datetime:
        """Exclusive: the first instant after the period."""
        return datetime.combine(self.end_day, time(0), UTC)

    def previous(self) -> Period:
        return Period.containing(self.first - timedelta(days=1), self.granularity)

    def next(self) -> Period:
        return Period(self.end_day, self.granularity)

    def days(self) -> list[date]:
        """Every day of the period, in order."""
        count = (self.end_day - self.first).days
        return [self.first + timedelta(days=n) for n in range(count)]

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment.astimezone(UTC) < self.end


def period_start_key(period: Period) -> str:
    """The period's first day (YYYY-MM-DD): reports of every granularity sort by it."""
    return period.first.isoformat()


# ---------------------------------------------------------------- what a PDF summary shows
@dataclass(frozen=True, slots=True)
class Table:
    """A small table: a title, column headers and rows of already formatted cells."""

    title: str
    columns: Sequence[str]
    rows: Sequence[Sequence[str]]


@dataclass(frozen=True, slots=True)
class BarChart:
    """Horizontal bars: one (label, value) each; `display` gives the value's text (money formatted)."""

    title: str
    bars: Sequence[tuple[str, int]]
    display: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class Summary:
    """A report's readable summary: a title, its period, key figures, tables and charts (in that order)."""

    title: str
    period: str
    figures: Sequence[tuple[str, str]] = ()
    tables: Sequence[Table] = ()
    charts: Sequence[BarChart] = ()
    notes: Sequence[str] = field(default_factory=tuple)
