"""The audit trail: one entry per staff action or settings change (who, role, when, what, before → after,
reason, request id, source IP), always written in the transaction of the change it records.

Entries live in their subject's partition (`AUDIT#<subject>`, newest last) and are indexed by actor (GSI1),
by action (GSI2) and by day (GSI3), so `GET /audit` reads one bounded key range whatever it filters on."""

from __future__ import annotations

from typing import Any

from oms.domain.ids import new_id
from oms.domain.permissions import Actor
from oms.store import keys
from oms.store.models import AuditItem, Item
from oms.store.records import AuditRecord
from oms.store.rows import audit_record
from oms.store.transactions import Part, Transaction

Json = dict[str, Any]


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
    sort_key = keys.audit_sort_key(now, entry_id)
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
        GSI1PK=keys.audit_by_actor_gsi1(actor.subject),
        GSI1SK=sort_key,
        GSI2PK=keys.audit_by_action_gsi2(action),
        GSI2SK=sort_key,
        GSI3PK=keys.audit_by_day_gsi3(now),
        GSI3SK=sort_key,
    )


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
