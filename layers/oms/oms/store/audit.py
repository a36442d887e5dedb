"""The audit trail: one entry per staff action or settings change (who, role, when, what, before → after,
reason, request id, source IP), always written in the transaction of the change it records.

Entries live in their subject's partition (`AUDIT#<subject>`, newest last) and are indexed by actor (GSI1),
by action (GSI2) and by day (GSI3), so `GET /audit` reads one bounded key range whatever it filters on."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from oms.domain.ids import new_id
from oms.domain.permissions import STAFF_ROLES, Actor
from oms.store import keys
from oms.store.models import AuditItem, Item, OrderEventItem
from oms.store.records import AuditRecord
from oms.store.rows import audit_record
from oms.store.transactions import Part, Transaction

Json = dict[str, Any]

# The action a status event shows in the trail: order status changes are the order's own history rows
# (ORDER#<id>/EVENT#<ulid>), indexed like audit entries when staff made them, never written twice.
STATUS_CHANGE = "order.status-change"
# Most rows one `GET /audit` page examines (filters on what the key does not select): a page that hits
# the bound answers what it found and a cursor after the last row it read.
MAX_ROWS_READ = 1000


def audit_item(
    subject: str,
    action: str,
    *,
    actor: Actor,
    now: str,
    before: Json | None,
    after: Json | None,
    reason: str | None,
    shown_as: str | None = None,
) -> AuditItem:
    """`subject` names the partition (`PROMOTION#<id>`, `ORDER#<id>`, ...); `shown_as` is the subject the
    entry shows when it differs (older settings entries say `payment-channels:<store>`)."""
    entry_id = new_id()
    return AuditItem(
        *keys.audit(subject, now, entry_id),
        subject=shown_as or subject,
        action=action,
        by=actor.subject,
        role=actor.primary_role,
        at=now,
        before=before,
        after=after,
        reason=reason,
        requestId=actor.request_id,
        sourceIp=actor.source_ip,
        **_trail_keys(actor.subject, action, now, entry_id),
    )


def _trail_keys(subject: str, action: str, at: str, entry_id: str) -> dict[str, Any]:
    """The index attributes of a row in the trail's actor (GSI1), action (GSI2) and day (GSI3) ranges."""
    sort_key = keys.audit_sort_key(at, entry_id)
    return {
        "GSI1PK": keys.audit_by_actor_gsi1(subject),
        "GSI1SK": sort_key,
        "GSI2PK": keys.audit_by_action_gsi2(action),
        "GSI2SK": sort_key,
        "GSI3PK": keys.audit_by_day_gsi3(at),
        "GSI3SK": sort_key,
    }


def audit_index(actor: Actor, action: str, at: str, entry_id: str) -> dict[str, str]:
    """The index attributes that put a row written by a staff member in the trail's actor, action and day
    ranges (nothing for shoppers and the system: their moves are in their order's history, and indexing
    every checkout by day would make one hot partition a day)."""
    if not actor.roles & STAFF_ROLES:
        return {}
    return _trail_keys(actor.subject, action, at, entry_id)


def add_audit(
    tx: Transaction,
    subject: str,
    action: str,
    *,
    actor: Actor,
    now: str,
    before: Json | None,
    after: Json | None,
    reason: str | None,
    shown_as: str | None = None,
) -> None:
    tx.put(
        Part.AUDIT,
        audit_item(subject, action, actor=actor, now=now, before=before, after=after, reason=reason, shown_as=shown_as),
    )


def audit_records(subject: str, limit: int = 20) -> list[AuditRecord]:
    """A subject's newest entries, newest first."""
    items = Item.query(f"AUDIT#{subject}", scan_index_forward=False, limit=limit, consistent_read=True)
    return [audit_record(i) for i in items if isinstance(i, AuditItem)]


def put_audit(
    subject: str, action: str, *, actor: Actor, now: str, after: Json | None, reason: str | None = None
) -> None:
    """One entry on its own: what a read records (who viewed whose contact details). A one-item
    transaction, so a lost race is sent again like every other write (`Transaction.commit`)."""
    tx = Transaction()
    add_audit(tx, subject, action, actor=actor, now=now, before=None, after=after, reason=reason)
    tx.commit()


# ---------------------------------------------------------------- GET /audit
@dataclass(frozen=True)
class TrailRange:
    """One key range of the trail, newest first: a partition (`AUDIT#<subject>`, or an index's
    `AUDITBY#` / `AUDITACTION#` / `AUDITDAY#`) between two sort keys (`<at>#<ulid>`, `low` inclusive,
    `high` exclusive)."""

    index: str  # "table", "actor", "action" or "day"
    partition: str
    low: str
    high: str


def trail_range(index: str, value: str, low: str, high: str) -> TrailRange:
    partition = {
        "table": f"AUDIT#{value}",
        "actor": keys.audit_by_actor_gsi1(value),
        "action": keys.audit_by_action_gsi2(value),
        "day": keys.audit_by_day_gsi3(value),
    }[index]
    return TrailRange(index, partition, low, high)


def _status_entry(item: OrderEventItem) -> AuditRecord:
    return AuditRecord(
        subject=f"ORDER#{item.orderId}",
        action=STATUS_CHANGE,
        by=item.by,
        role=item.role,
        at=item.at,
        before={"status": item.fromStatus},
        after={"status": item.toStatus},
        reason=item.reason,
        requestId=item.requestId,
        sourceIp=item.sourceIp,
        entryId=item.SK.removeprefix(keys.order_event_sk("")),
    )


def _entry(item: Item) -> AuditRecord | None:
    if isinstance(item, AuditItem):
        return audit_record(item)
    if isinstance(item, OrderEventItem):
        return _status_entry(item)
    return None


def trail_entries(span: TrailRange, page_size: int) -> Iterator[AuditRecord]:
    """The entries of one key range, newest first (audit entries, and staff status events on the indexes)."""
    if span.low >= span.high:
        return
    if span.index == "table":
        results = Item.query(
            span.partition, Item.SK.between(span.low, span.high), scan_index_forward=False, page_size=page_size
        )
    else:
        index = {"actor": Item.gsi1, "action": Item.gsi2, "day": Item.gsi3}[span.index]
        sort_attr = {"actor": Item.GSI1SK, "action": Item.GSI2SK, "day": Item.GSI3SK}[span.index]
        results = index.query(
            span.partition, sort_attr.between(span.low, span.high), scan_index_forward=False, page_size=page_size
        )
    for item in results:
        entry = _entry(item)
        # `between` includes `high`; the range excludes it (a cursor is the last sort key answered).
        if entry is not None and keys.audit_sort_key(entry.at, entry.entryId) < span.high:
            yield entry


def order_status_entries(order_id: str) -> list[AuditRecord]:
    """Every status event of an order as trail entries (an order has tens at most: one bounded Query)."""
    results = Item.query(keys.order_pk(order_id), Item.SK.startswith(keys.order_event_sk("")), consistent_read=True)
    return [_status_entry(i) for i in results if isinstance(i, OrderEventItem)]
