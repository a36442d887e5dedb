"""Bounds on what a client sends outside the body's schema: the nesting count of bodies, If-Match
versions, cursors and RFC 3339 times. Each is a clean 4xx-worthy error (ValueError / InvalidRequest),
never an exception that would become a 500, and none costs more than linear time."""

from __future__ import annotations

import base64
import json
import time

import pytest
from oms.api.http import json_depth
from oms.domain.clock import parse_rfc3339
from oms.domain.errors import InvalidRequest
from oms.store.pages import decode_cursor, encode_cursor, listing_key_attributes


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("{}", 1),
        ('{"a": [1, {"b": []}]}', 4),
        ('{"a": "[[[[{{{{"}', 1),  # brackets inside strings do not count
        ('{"a": "\\"[[["}', 1),  # nor after an escaped quote
        ('["\\\\", [[]]]', 3),  # an escaped backslash ends before the closing quote
        ("[" * 40 + "]" * 40, 40),
    ],
)
def test_json_depth_counts_only_structure(text: str, depth: int) -> None:
    assert json_depth(text) == depth


def test_json_depth_is_linear_even_on_an_unterminated_string_of_escaped_quotes() -> None:
    body = '"' + '\\"' * 32_000  # 64 KB, the largest body the API reads
    started = time.perf_counter()
    assert json_depth(body) == 0
    assert time.perf_counter() - started < 0.5


def _cursor(key: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def test_a_cursor_round_trips_with_exactly_the_listings_key() -> None:
    key = {"PK": {"S": "ORDER#1"}, "SK": {"S": "META"}, "GSI1PK": {"S": "CUSTOMER#c"}, "GSI1SK": {"S": "ORDER#1"}}
    assert decode_cursor(encode_cursor(key), partition_attr="GSI1PK", partition_value="CUSTOMER#c") == key
    table_key = {"PK": {"S": "AUDIT#x"}, "SK": {"S": "AT#1"}}
    assert decode_cursor(encode_cursor(table_key), partition_attr="PK", partition_value="AUDIT#x") == table_key
    assert listing_key_attributes("GSI3PK") == {"PK", "SK", "GSI3PK", "GSI3SK"}


@pytest.mark.parametrize(
    "cursor",
    [
        _cursor({"GSI1PK": {"S": "CUSTOMER#c"}, "zz": {"S": "x"}}),  # not the listing's key
        _cursor({"PK": {"S": "a"}, "SK": {"S": "b"}, "GSI1PK": {"S": "CUSTOMER#c"}, "GSI1SK": {"S": "x" * 1025}}),
        _cursor({"PK": {"S": ""}, "SK": {"S": "b"}, "GSI1PK": {"S": "CUSTOMER#c"}, "GSI1SK": {"S": "x"}}),
        _cursor({"PK": {"N": "1"}, "SK": {"S": "b"}, "GSI1PK": {"S": "CUSTOMER#c"}, "GSI1SK": {"S": "x"}}),
        _cursor({"PK": {"S": "a"}, "SK": {"S": "b"}, "GSI1PK": {"S": "CUSTOMER#other"}, "GSI1SK": {"S": "x"}}),
        base64.urlsafe_b64encode(("[" * 1200 + "]" * 1200).encode()).decode(),  # deeper than json.loads goes
        "A" * 5000,  # longer than any real cursor
        "not base64!",
    ],
)
def test_a_cursor_that_is_not_a_start_key_of_the_listing_is_refused(cursor: str) -> None:
    with pytest.raises(InvalidRequest):
        decode_cursor(cursor, partition_attr="GSI1PK", partition_value="CUSTOMER#c")


@pytest.mark.parametrize("text", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59", "2026-13-01T00:00:00Z"])
def test_an_rfc3339_time_outside_the_representable_years_is_a_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        parse_rfc3339(text)
