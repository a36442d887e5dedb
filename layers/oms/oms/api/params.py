"""The request parameters many routes share, typed once: paging, Idempotency-Key and If-Match, and the
header a replayed answer carries."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Header, Query

from oms.api.http import IDEMPOTENCY_HEADER, IDEMPOTENCY_KEY_MAX

RETRY_SAFE = "Makes a retry safe: the same key and body replay the first answer. A UUID is ideal."

Limit = Annotated[int | None, Query(description="Items per page (default 20, at most 100).")]
Cursor = Annotated[str | None, Query(description="`next_cursor` of the previous page.")]
# Required: the edge refuses a missing or malformed key with 400 before the body is read.
IdempotencyKey = Annotated[
    str, Header(alias=IDEMPOTENCY_HEADER, min_length=1, max_length=IDEMPOTENCY_KEY_MAX, description=RETRY_SAFE)
]
# Read by `if_match(app)`, which turns it into a version (400 when it is not an ETag this API returned).
IfMatch = Annotated[
    str | None,
    Header(alias="If-Match", description="The ETag of the version you read: 412 if it has changed since."),
]


def replayed_header(replayed: bool) -> dict[str, str] | None:
    """`Idempotent-Replayed: true` on an answer given again for a repeated Idempotency-Key."""
    return {"Idempotent-Replayed": "true"} if replayed else None
