"""Time helpers. All timestamps are timezone-aware UTC, rendered as RFC 3339 with a trailing Z."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_rfc3339(moment: datetime) -> str:
    """Always millisecond precision, so stored timestamps sort correctly as strings."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def to_rfc3339_seconds(moment: datetime) -> str:
    """Whole seconds (Step Functions Wait timestamps); use for deadlines made by `deadline_after`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(text: str) -> datetime:
    """An RFC 3339 time in UTC; ValueError for anything else, including a valid time that is outside the
    years 1-9999 once in UTC (e.g. 9999-12-31T23:59:59-23:59)."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError as error:
        raise ValueError(f"{text!r} is outside the years 1-9999 in UTC") from error


def deadline_after(now: datetime, seconds: int) -> datetime:
    """`now + seconds`, rounded up to a whole second (Step Functions Wait timestamps are second-precise)."""
    target = now + timedelta(seconds=seconds)
    if target.microsecond:
        target = target.replace(microsecond=0) + timedelta(seconds=1)
    return target


def epoch_seconds(moment: datetime) -> int:
    return math.floor(moment.timestamp())
