"""Time helpers (RFC 3339, deadlines) and identifiers (ULIDs, order numbers)."""

from __future__ import annotations

import re
import secrets
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oms.domain import ids
from oms.domain.clock import (
    deadline_after,
    epoch_seconds,
    parse_rfc3339,
    to_rfc3339,
    to_rfc3339_seconds,
    utcnow,
)
from ulid import ULID

RFC3339_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
CROCKFORD = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
SHANGHAI = timezone(timedelta(hours=8))


def at(
    year: int,
    month: int,
    day: int,
    hour: int = 0,
    minute: int = 0,
    second: int = 0,
    micro: int = 0,
    *,
    tz: timezone = UTC,
) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=tz)


# ---------------------------------------------------------------- utcnow


def test_utcnow_is_timezone_aware_utc() -> None:
    now = utcnow()
    assert now.utcoffset() == timedelta(0)
    assert abs(now - datetime.now(UTC)) < timedelta(seconds=5)


# ---------------------------------------------------------------- deadline_after


def test_deadline_from_a_whole_second_is_exact() -> None:
    assert deadline_after(at(2026, 11, 22, 8, 0, 0), 900) == at(2026, 11, 22, 8, 15, 0)


@pytest.mark.parametrize("microsecond", [1, 500_000, 999_999])
def test_deadline_rounds_up_to_the_next_whole_second(microsecond: int) -> None:
    now = at(2026, 11, 22, 8, 0, 0, microsecond)
    assert deadline_after(now, 900) == at(2026, 11, 22, 8, 15, 1)


def test_deadline_rounding_carries_across_minute_and_day() -> None:
    assert deadline_after(at(2026, 12, 31, 23, 59, 58, 1), 1) == at(2027, 1, 1, 0, 0, 0)


def test_deadline_is_never_earlier_than_requested() -> None:
    now = at(2026, 11, 22, 8, 0, 0, 123_456)
    deadline = deadline_after(now, 60)
    assert deadline >= now + timedelta(seconds=60)
    assert deadline - (now + timedelta(seconds=60)) < timedelta(seconds=1)
    assert to_rfc3339_seconds(deadline) == "2026-11-22T08:01:01Z"


# ---------------------------------------------------------------- to_rfc3339 / parse


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (at(2026, 11, 22, 8, 0, 0), "2026-11-22T08:00:00.000Z"),
        (at(2026, 11, 22, 8, 0, 0, 1_000), "2026-11-22T08:00:00.001Z"),
        (at(2026, 11, 22, 8, 0, 0, 123_999), "2026-11-22T08:00:00.123Z"),  # truncated, not rounded
        (at(2026, 11, 22, 8, 0, 0, 999_999), "2026-11-22T08:00:00.999Z"),
        (at(2026, 11, 22, 8, 0, 0, tz=SHANGHAI), "2026-11-22T00:00:00.000Z"),
        (at(2026, 1, 1, 3, 0, 0, tz=SHANGHAI), "2025-12-31T19:00:00.000Z"),
    ],
)
def test_to_rfc3339_is_utc_with_milliseconds(moment: datetime, text: str) -> None:
    assert to_rfc3339(moment) == text
    assert RFC3339_MS.match(text)


def test_to_rfc3339_seconds_drops_the_fraction_and_converts_to_utc() -> None:
    assert to_rfc3339_seconds(at(2026, 11, 22, 8, 0, 5, 999_999, tz=SHANGHAI)) == "2026-11-22T00:00:05Z"


def test_rfc3339_strings_sort_in_time_order() -> None:
    moments = [
        at(2026, 11, 22, 8, 0, 1),
        at(2026, 11, 22, 8, 0, 0, 999_000),
        at(2026, 11, 22, 8, 0, 0, 1_000),
        at(2026, 11, 22, 8, 0, 0),
        at(2026, 11, 22, 15, 0, 0, 500_000, tz=SHANGHAI),  # 07:00:00.500Z
        at(2026, 11, 22, 10, 0, 0),
        at(2026, 11, 21, 23, 59, 59, 999_000),
    ]
    texts = [to_rfc3339(m) for m in moments]
    assert sorted(texts) == [to_rfc3339(m) for m in sorted(moments)]


utc_moments = st.datetimes(
    min_value=datetime(1970, 1, 1),
    max_value=datetime(9999, 12, 31),
    timezones=st.just(UTC),
)


@settings(max_examples=200, deadline=None)
@given(a=utc_moments, b=utc_moments)
def test_rfc3339_string_order_agrees_with_time_order(a: datetime, b: datetime) -> None:
    a_ms, b_ms = (m.replace(microsecond=m.microsecond // 1000 * 1000) for m in (a, b))
    assert (to_rfc3339(a) < to_rfc3339(b)) == (a_ms < b_ms)
    assert (to_rfc3339(a) == to_rfc3339(b)) == (a_ms == b_ms)


@settings(max_examples=200, deadline=None)
@given(moment=utc_moments)
def test_parse_round_trips_to_rfc3339_at_millisecond_precision(moment: datetime) -> None:
    text = to_rfc3339(moment)
    parsed = parse_rfc3339(text)
    assert parsed == moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    assert parsed.utcoffset() == timedelta(0)
    assert to_rfc3339(parsed) == text


def test_parse_converts_offsets_to_utc() -> None:
    parsed = parse_rfc3339("2026-11-22T08:00:00.250+08:00")
    assert parsed == at(2026, 11, 22, 0, 0, 0, 250_000)
    assert parsed.tzinfo == UTC


def test_parse_treats_a_missing_offset_as_utc() -> None:
    assert parse_rfc3339("2026-11-22T08:00:00") == at(2026, 11, 22, 8, 0, 0)


def test_parse_rejects_garbage() -> None:
    with pytest.raises(ValueError):
        parse_rfc3339("yesterday")


def test_parse_accepts_whole_second_deadlines() -> None:
    deadline = deadline_after(at(2026, 11, 22, 8, 0, 0, 1), 30)
    assert parse_rfc3339(to_rfc3339_seconds(deadline)) == deadline


@pytest.mark.parametrize(
    ("moment", "seconds"),
    [
        (at(1970, 1, 1), 0),
        (at(1970, 1, 1, 0, 0, 1, 999_999), 1),
        (at(1969, 12, 31, 23, 59, 59, 500_000), -1),  # floor, not truncation toward zero
        (at(2026, 11, 22, 8, 0, 0, tz=SHANGHAI), 1_795_305_600),
    ],
)
def test_epoch_seconds_floors(moment: datetime, seconds: int) -> None:
    assert epoch_seconds(moment) == seconds


# ---------------------------------------------------------------- ids


def test_new_id_is_a_26_character_crockford_ulid() -> None:
    value = ids.new_id()
    assert len(value) == 26
    assert CROCKFORD.match(value)
    assert str(ULID.from_str(value)) == value


def test_new_ids_are_unique() -> None:
    assert len({ids.new_id() for _ in range(2000)}) == 2000


def test_new_id_carries_its_creation_time() -> None:
    before = datetime.now(UTC) - timedelta(milliseconds=1)
    value = ids.new_id()
    after = datetime.now(UTC) + timedelta(milliseconds=1)
    assert before <= ULID.from_str(value).datetime <= after


def test_new_ids_sort_by_creation_time() -> None:
    created = []
    for _ in range(5):
        created.append(ids.new_id())
        time.sleep(0.003)  # distinct milliseconds: ordering within one millisecond is not promised
    assert sorted(created) == created


def test_order_number_is_14_digits_starting_with_yymmdd() -> None:
    number = ids.new_order_number(at(2026, 11, 22, 8, 0, 0))
    assert re.fullmatch(r"\d{14}", number)
    assert number.startswith("261122")


def test_order_number_random_part_is_zero_padded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(secrets, "randbelow", lambda bound: 7)
    assert ids.new_order_number(at(2027, 1, 5)) == "27010500000007"


def test_order_number_random_part_uses_the_full_eight_digits(monkeypatch: pytest.MonkeyPatch) -> None:
    bounds: list[int] = []

    def fake_randbelow(bound: int) -> int:
        bounds.append(bound)
        return bound - 1

    monkeypatch.setattr(secrets, "randbelow", fake_randbelow)
    assert ids.new_order_number(at(2026, 11, 22)) == "26112299999999"
    assert bounds == [10**8]


def test_order_numbers_vary() -> None:
    now = at(2026, 11, 22)
    assert len({ids.new_order_number(now) for _ in range(200)}) > 190
