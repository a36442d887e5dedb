"""Timers for scheduled rules: moto accepts ``rate(...)``/``cron(...)`` rules but never fires them.

``rate(N unit)`` rules fire every N units from start (as on AWS, the first time one period after
creation); ``cron(...)`` rules fire at their next matching minute in UTC, as EventBridge's do (fields:
minutes, hours, day of month, month, day of week, year; ``*``, ``?``, lists, ranges, ``/`` steps, month
and day names, day-of-week 1-7 = SUN-SAT). ``L``, ``W`` and ``#`` are not evaluated: such a rule fires
only on demand. Any rule fires on demand too (``POST /_local/schedules/<rule>``). Locally
``rate(N seconds)`` is accepted too (AWS's minimum is a minute), so a sweeper can run every few seconds.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

log = logging.getLogger("local_stack")

_RATE = re.compile(r"rate\(\s*(\d+)\s+(second|seconds|minute|minutes|hour|hours|day|days)\s*\)")
_UNIT_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def rate_seconds(expression: str) -> int | None:
    """Seconds between firings of a ``rate(...)`` expression; None for anything else."""
    match = _RATE.fullmatch(expression.strip())
    if match is None:
        return None
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2).rstrip("s")]


def moto_schedule_expression(expression: str) -> str:
    """What moto (like EventBridge) accepts for a rule: a local-only ``rate(N seconds)`` is registered as
    ``rate(1 minute)``; the local timer still fires at the template's own interval."""
    seconds = rate_seconds(expression)
    if seconds is not None and seconds < 60 and "second" in expression:
        return "rate(1 minute)"
    return expression


_CRON = re.compile(r"cron\(\s*(.+?)\s*\)")
_MONTHS = {
    name: n
    for n, name in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1
    )
}
_DAYS = {name: n for n, name in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], start=1)}  # AWS: 1 = SUN


def _field(text: str, low: int, high: int, names: dict[str, int] | None = None) -> frozenset[int] | None:
    """The values one cron field allows; None for a field this evaluator does not read (L, W, #)."""
    if text in ("*", "?"):
        return frozenset(range(low, high + 1))
    values: set[int] = set()
    for part in text.upper().split(","):
        if any(mark in part for mark in ("L", "W", "#")) and not (names and part in names):
            return None
        span, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if span == "*":
            first, last = low, high
        else:
            start, _, end = span.partition("-")
            first = names[start] if names and start in names else int(start)
            last = (names[end] if names and end in names else int(end)) if end else (high if step_text else first)
        if not low <= first <= last <= high or step < 1:
            raise ValueError(f"cron field {text!r} is out of {low}-{high}")
        values.update(range(first, last + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class Cron:
    """An EventBridge ``cron(...)`` expression, in UTC."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int] | None  # of the month; None: any ("?")
    months: frozenset[int]
    weekdays: frozenset[int] | None  # 1-7 = SUN-SAT; None: any ("?")
    years: frozenset[int]

    def next_after(self, moment: datetime) -> datetime | None:
        """The first matching minute after `moment` (within about four years), or None."""
        start = moment.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
        day = start.replace(hour=0, minute=0)
        for _ in range(366 * 4 + 1):
            weekday = day.isoweekday() % 7 + 1  # Monday 1 → 2, Sunday 7 → 1
            if (
                day.year in self.years
                and day.month in self.months
                and (self.days is None or day.day in self.days)
                and (self.weekdays is None or weekday in self.weekdays)
            ):
                for hour in sorted(self.hours):
                    for minute in sorted(self.minutes):
                        candidate = day.replace(hour=hour, minute=minute)
                        if candidate >= start:
                            return candidate
            day += timedelta(days=1)
        return None


def parse_cron(expression: str) -> Cron | None:
    """The cron rule of a ``cron(...)`` expression; None for anything else or for fields not evaluated."""
    match = _CRON.fullmatch(expression.strip())
    if match is None:
        return None
    fields = match.group(1).split()
    if len(fields) != 6:
        raise ValueError(f"{expression!r}: a cron expression has six fields")
    minute, hour, day, month, weekday, year = fields
    parsed = (
        _field(minute, 0, 59),
        _field(hour, 0, 23),
        None if day == "?" else _field(day, 1, 31),
        _field(month, 1, 12, _MONTHS),
        None if weekday == "?" else _field(weekday, 1, 7, _DAYS),
        _field(year, 1970, 2199),
    )
    if (day == "?") == (weekday == "?"):
        raise ValueError(f"{expression!r}: exactly one of day-of-month and day-of-week is '?'")
    minutes, hours, days, months, weekdays, years = parsed
    if minutes is None or hours is None or months is None or years is None:
        return None
    if (day != "?" and days is None) or (weekday != "?" and weekdays is None):
        return None
    return Cron(minutes, hours, days, months, weekdays, years)


class ScheduleTimers:
    def __init__(self, fire: Callable[[str], object]) -> None:
        self._fire = fire
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def add(self, rule_name: str, interval_seconds: float) -> None:
        thread = threading.Thread(
            target=self._run, args=(rule_name, interval_seconds), name=f"oms-schedule-{rule_name}", daemon=True
        )
        self._threads.append(thread)
        thread.start()

    def add_cron(self, rule_name: str, cron: Cron, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        thread = threading.Thread(
            target=self._run_cron, args=(rule_name, cron, clock), name=f"oms-cron-{rule_name}", daemon=True
        )
        self._threads.append(thread)
        thread.start()

    def _run_cron(self, rule_name: str, cron: Cron, clock: Callable[[], datetime]) -> None:
        while True:
            now = clock()
            due = cron.next_after(now)
            if due is None or self._stop.wait(max(0.0, (due - now).total_seconds())):
                return
            if clock() < due:  # woken early (a clock that moved back): wait again
                continue
            try:
                self._fire(rule_name)
            except Exception:
                log.exception("firing schedule %s failed", rule_name)

    def _run(self, rule_name: str, interval_seconds: float) -> None:
        while not self._stop.wait(interval_seconds):
            try:
                self._fire(rule_name)
            except Exception:
                log.exception("firing schedule %s failed", rule_name)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
