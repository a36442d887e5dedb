"""An order's timeline: the one catalogue of its entry kinds, the entry, and the paging over the merged
sequence (pure: the service builds entries from the order's partition, its audit entries and its
abnormal-payment cases).

Entries are in time order (oldest first, the way an order's story reads); ties at one instant keep the
catalogue's order (a payment succeeds before the order it pays moves to PAID), then the entry's id. The
cursor is the last entry answered, `(at, kind, id)`, so a page never repeats or skips an entry whatever
the sources hold."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from oms.domain.errors import InvalidRequest
from oms.domain.permissions import Actor


class EntryKind(StrEnum):
    """Every kind of timeline entry, defined once (the API's `kind` enum). The order of definition breaks
    ties between entries of one instant."""

    ORDER_PLACED = "order.placed"
    PAYMENT_CREATED = "payment.created"
    PAYMENT_SUCCEEDED = "payment.succeeded"
    PAYMENT_FAILED = "payment.failed"  # failed, expired or closed unpaid
    ANOMALY_OPENED = "anomaly.opened"  # staff only: a payment that does not match the order
    ANOMALY_RESOLVED = "anomaly.resolved"  # staff only
    STATUS_CHANGED = "order.status-changed"
    SHIPMENT_CREATED = "shipment.created"
    SHIPMENT_TRACKING = "shipment.tracking"  # a carrier's (or the warehouse's) tracking event
    AFTER_SALES_OPENED = "after-sales.opened"
    AFTER_SALES_STEP = "after-sales.step"  # a decision or move on a case (approve, receive, refund, ...)
    REFUND_ASKED = "refund.asked"
    REFUND_SUCCEEDED = "refund.succeeded"
    REFUND_FAILED = "refund.failed"
    NOTE = "note"  # a staff note (internal, or visible to the shopper)
    COMMUNICATION = "communication"  # a recorded contact with the shopper
    STAFF_ACTION = "staff.action"  # staff only: an audit entry of the order (hold, flag, edit, reveal, ...)


# The request behind a person's move, kept with moves recorded inside other rows (an after-sales case's
# decisions): the staff timeline and the trail show it, the shopper's views never do.
TRACE = ("requestId", "sourceIp")


def trace_of(actor: Actor) -> dict[str, str]:
    """The actor's request id and source IP (what it has of them)."""
    return {k: v for k, v in (("requestId", actor.request_id), ("sourceIp", actor.source_ip)) if v}


RANK = {kind: rank for rank, kind in enumerate(EntryKind)}
# What a shopper never sees on their own order's timeline.
STAFF_ONLY = frozenset({EntryKind.ANOMALY_OPENED, EntryKind.ANOMALY_RESOLVED, EntryKind.STAFF_ACTION})


@dataclass(frozen=True)
class TimelineEntry:
    """One line of the timeline. `actor` is who did it ({id, role}; None for the system and, in the
    shopper's view, for staff); `shopper` whether the shopper's view shows it at all; `internal` the
    details only staff see (request id, source IP, internal notes)."""

    at: str
    kind: EntryKind
    id: str
    summary: str
    actor: Mapping[str, str] | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    shopper: bool = True
    internal: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, int, str]:
        return self.at, RANK[self.kind], self.id

    def view(self, *, staff: bool) -> dict[str, Any]:
        """The entry as the API shows it: staff see who and the request's trace; a shopper sees who only
        when it was themselves or the system."""
        actor: dict[str, str | None] | None = dict(self.actor) if self.actor else None
        if not staff and actor is not None and actor.get("role") not in ("customer", "system"):
            actor = {"id": None, "role": "staff"}
        details = {**self.details, **self.internal} if staff else dict(self.details)
        return {
            "at": self.at,
            "kind": self.kind.value,
            "id": self.id,
            "summary": self.summary,
            "actor": actor,
            "details": details,
        }


def shopper_view(entries: Iterable[TimelineEntry]) -> list[TimelineEntry]:
    return [e for e in entries if e.shopper and e.kind not in STAFF_ONLY]


def encode_cursor(entry: TimelineEntry) -> str:
    raw = json.dumps([entry.at, entry.kind.value, entry.id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, int, str]:
    """The key of the last entry a page answered; a cursor that is not one of ours is a 422."""
    invalid = InvalidRequest("cursor is not valid", field="cursor")
    if len(cursor) > 1024:
        raise invalid
    try:
        at, kind, entry_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return str(at), RANK[EntryKind(kind)], str(entry_id)
    except (binascii.Error, ValueError, TypeError, RecursionError) as error:
        raise invalid from error


def page(entries: Iterable[TimelineEntry], limit: int, cursor: str | None) -> tuple[list[TimelineEntry], str | None]:
    """One page of the merged sequence after `cursor`, and the cursor of the next page (None: the end)."""
    ordered = sorted(entries, key=lambda e: e.key)
    if cursor:
        after = decode_cursor(cursor)
        ordered = [e for e in ordered if e.key > after]
    chosen = ordered[:limit]
    more = len(ordered) > limit
    return chosen, encode_cursor(chosen[-1]) if more and chosen else None
