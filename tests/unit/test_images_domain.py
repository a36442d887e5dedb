"""The image rules (oms.domain.images) and the local stack's check of a POST upload's policy (moto patch j)."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import pytest
from oms.domain.errors import InvalidRequest
from oms.domain.images import (
    ImageState,
    Placed,
    check_dimensions,
    check_order,
    main_image,
    parse_upload_key,
    thumbnail_box,
)
from oms_local.core.moto_patches import post_policy_failure


def test_thumbnails_keep_the_aspect_ratio_and_are_never_enlarged() -> None:
    assert thumbnail_box(1200, 600, 200) == (200, 100)
    assert thumbnail_box(600, 1200, 800) == (400, 800)
    assert thumbnail_box(150, 90, 200) == (150, 90)
    assert thumbnail_box(10_000, 1, 200) == (200, 1)


def test_pixel_limits_are_checked_from_the_size_alone() -> None:
    assert check_dimensions(6000, 6000) is None
    assert "pixels" in str(check_dimensions(7000, 7000))
    assert "longer than" in str(check_dimensions(12_001, 10))
    assert check_dimensions(0, 10) is not None


def test_the_order_names_every_live_image_once_and_the_first_ready_one_is_main() -> None:
    images = [Placed("a", 0, ImageState.READY), Placed("b", 1, ImageState.PENDING), Placed("c", 2, ImageState.REJECTED)]
    assert check_order(images, ["b", "a"]) == {"b": 0, "a": 1}
    for wrong in (["a"], ["a", "b", "c"], ["a", "a", "b"]):
        with pytest.raises(InvalidRequest):
            check_order(images, wrong)
    assert main_image([Placed("b", 0, ImageState.PENDING), Placed("a", 1, ImageState.READY)]) == "a"
    assert main_image([Placed("c", 0, ImageState.REJECTED)]) is None


def test_only_upload_keys_name_an_image() -> None:
    assert parse_upload_key("uploads/P1/I1") == ("P1", "I1")
    for other in ("images/P1/I1/w200.webp", "uploads/P1", "uploads/P1/I1/x", "uploads//I1"):
        assert parse_upload_key(other) is None


def policy(conditions: list[Any], expires: dt.datetime) -> str:
    document = {"expiration": expires.strftime("%Y-%m-%dT%H:%M:%SZ"), "conditions": conditions}
    return base64.b64encode(json.dumps(document).encode()).decode()


NOW = dt.datetime(2026, 12, 2, tzinfo=dt.UTC)
FORM = {"key": "uploads/P/I", "Content-Type": "image/png"}
CONDITIONS: list[Any] = [
    {"bucket": "b"},
    {"key": "uploads/P/I"},
    {"Content-Type": "image/png"},
    ["content-length-range", 1, 10],
]


@pytest.mark.parametrize(
    ("fields", "bucket", "size", "expires", "expected"),
    [
        (FORM, "b", 10, NOW + dt.timedelta(minutes=1), None),
        ({**FORM, "Content-Type": "image/gif"}, "b", 5, NOW + dt.timedelta(minutes=1), (403, "AccessDenied")),
        ({**FORM, "key": "uploads/P/J"}, "b", 5, NOW + dt.timedelta(minutes=1), (403, "AccessDenied")),
        (FORM, "other", 5, NOW + dt.timedelta(minutes=1), (403, "AccessDenied")),
        (FORM, "b", 11, NOW + dt.timedelta(minutes=1), (400, "EntityTooLarge")),
        (FORM, "b", 0, NOW + dt.timedelta(minutes=1), (400, "EntityTooSmall")),
        (FORM, "b", 5, NOW - dt.timedelta(seconds=1), (403, "AccessDenied")),
    ],
)
def test_a_post_policy_is_checked_as_s3_checks_it(
    fields: dict[str, str], bucket: str, size: int, expires: dt.datetime, expected: tuple[int, str] | None
) -> None:
    failure = post_policy_failure(policy(CONDITIONS, expires), fields, bucket, size, now=NOW)
    assert (failure[:2] if failure else None) == expected


def test_starts_with_and_eq_conditions() -> None:
    conditions = [["starts-with", "$key", "uploads/"], ["eq", "$Content-Type", "image/png"]]
    assert post_policy_failure(policy(conditions, NOW + dt.timedelta(1)), FORM, "b", 1, now=NOW) is None
    moved = {**FORM, "key": "images/P/I"}
    assert post_policy_failure(policy(conditions, NOW + dt.timedelta(1)), moved, "b", 1, now=NOW) is not None
    assert post_policy_failure("not base64 json", FORM, "b", 1, now=NOW) == (
        400,
        "InvalidPolicyDocument",
        "Invalid Policy: Invalid JSON.",
    )
