"""`GET /audit`: the trail of staff actions and settings changes (admin), filtered by actor, action, subject
and time, newest first, cursor-paged.

Each request reads one bounded key range per filter it keys on, never a Scan: the subject's partition
(`AUDIT#<subject>`, plus an order's own status events for `ORDER#<id>`), else the actor's index range
(GSI1 `AUDITBY#`), else the action's (GSI2 `AUDITACTION#`), else one range per day of the time window
(GSI3 `AUDITDAY#`). The other filters are applied to the rows read, and a page stops after
`MAX_ROWS_READ` rows with a cursor after the last one read, so a rare combination answers short pages
instead of reading without bound. A time window without actor, action or subject is at most
`MAX_DAYS_WITHOUT_KEY` days (422 beyond); without `from` it is the last 24 hours (the actor's, action's or
subject's whole history when one of those is given)."""

from __future__ import annotations

import base64
import binascii
import heapq
import json
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

from oms.domain.clock import parse_rfc3339, to_rfc3339, utcnow
from oms.domain.errors import InvalidRequest
from oms.domain.permissions import Actor
from oms.store import audit as store
from oms.store.pages import Page, clamp_limit
from oms.store.records import AuditRecord

MAX_DAYS_WITHOUT_KEY = 31
DEFAULT_WINDOW = timedelta(hours=24)
EARLIEST = "0000"  # below every RFC 3339 time: a subject's, actor's or action's whole history
LATEST = "9999"


def entry_view(entry: AuditRecord) -> dict[str, Any]:
    return {
        "entryId": entry.entryId,
        "at": entry.at,
        "subject": entry.subject,
        "action": entry.action,
        "actor": {"id": entry.by, "role": entry.role},
        "before": entry.before,
        "after": entry.after,
        "reason": entry.reason,
        "requestId": entry.requestId,
        "sourceIp": entry.sourceIp,
    }


def _sort_key(entry: AuditRecord) -> str:
    return f"{entry.at}#{entry.entryId}"


def _time(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_rfc3339(value)
    except ValueError as error:
        raise InvalidRequest(f"{name} must be an RFC 3339 time", field=name) from error


def _encode(sort_key: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"before": sort_key}).encode()).decode().rstrip("=")


def _decode(cursor: str) -> str:
    invalid = InvalidRequest("cursor is not valid", field="cursor")
    if len(cursor) > 1024:
        raise invalid
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, RecursionError) as error:
        raise invalid from error
    if not isinstance(value, dict) or set(value) != {"before"} or not isinstance(value["before"], str):
        raise invalid
    return str(value["before"])


def _order_of(subject: str) -> str | None:
    """The order id of an `ORDER#<id>` subject (its status events join the subject's trail)."""
    order_id = subject.removeprefix("ORDER#")
    return order_id if order_id != subject and re.fullmatch(r"[0-9A-Za-z]{1,26}", order_id) else None


class AuditService:
    def __init__(self, clock: Callable[[], datetime] = utcnow) -> None:
        self.clock = clock

    def trail(
        self,
        actor: Actor,
        *,
        by: str | None = None,
        action: str | None = None,
        subject: str | None = None,
        time_from: str | None = None,
        time_to: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page[dict[str, Any]]:
        del actor  # admin's (the edge's permission): the trail is not an object of anybody's
        size = clamp_limit(limit)
        start, end = _time(time_from, "from"), _time(time_to, "to")
        keyed = bool(by or action or subject)
        if end is None:
            end = self.clock() + timedelta(seconds=1) if not keyed or start is not None else None
        if start is None and not keyed:
            assert end is not None
            start = end - DEFAULT_WINDOW
        if start is not None and end is not None:
            if start >= end:
                raise InvalidRequest("from must be before to", field="from")
            if not keyed and end - start > timedelta(days=MAX_DAYS_WITHOUT_KEY):
                raise InvalidRequest(
                    f"a time range without actor, action or subject spans at most {MAX_DAYS_WITHOUT_KEY} days",
                    field="from",
                )
        low = to_rfc3339(start) if start is not None else EARLIEST
        high = to_rfc3339(end) if end is not None else LATEST
        if cursor:
            high = min(high, _decode(cursor))

        def wanted(entry: AuditRecord) -> bool:
            return (by is None or entry.by == by) and (action is None or entry.action == action)

        page_size = size + 1
        rows = self._rows(by, action, subject, low, high, page_size, start, end)
        chosen: list[AuditRecord] = []
        last_read: str | None = None
        for read, entry in enumerate(rows, start=1):
            last_read = _sort_key(entry)
            if wanted(entry):
                if len(chosen) == size:
                    return Page([entry_view(e) for e in chosen], _encode(_sort_key(chosen[-1])))
                chosen.append(entry)
            if read >= store.MAX_ROWS_READ:
                return Page([entry_view(e) for e in chosen], _encode(last_read))
        return Page([entry_view(e) for e in chosen], None)

    @staticmethod
    def _rows(
        by: str | None,
        action: str | None,
        subject: str | None,
        low: str,
        high: str,
        page_size: int,
        start: datetime | None,
        end: datetime | None,
    ) -> Iterator[AuditRecord]:
        """The rows of the one key range (or the days' ranges) the filters choose, newest first."""
        if subject:
            rows: Iterable[AuditRecord] = store.trail_entries(store.trail_range("table", subject, low, high), page_size)
            order_id = _order_of(subject)
            if order_id is not None:
                events = sorted(
                    (e for e in store.order_status_entries(order_id) if low <= _sort_key(e) < high),
                    key=_sort_key,
                    reverse=True,
                )
                rows = heapq.merge(rows, events, key=_sort_key, reverse=True)
            yield from rows
            return
        if by or action:
            index, value = ("actor", by) if by else ("action", action)
            assert value is not None
            yield from store.trail_entries(store.trail_range(index, value, low, high), page_size)
            return
        assert start is not None and end is not None
        day = (end - timedelta(milliseconds=1)).date()
        while day >= start.date():
            yield from store.trail_entries(store.trail_range("day", day.isoformat(), low, high), page_size)
            day -= timedelta(days=1)
