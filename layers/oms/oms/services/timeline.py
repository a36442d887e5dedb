"""`GET /orders/{orderId}/timeline`: everything that happened to an order, merged in time order and
cursor-paged (`oms.domain.timeline`).

Three reads whatever the order holds: its partition (one Query: status events, payment attempts, ledger,
refunds, children, shipments with their tracking, after-sales cases, notes), its audit partition (one
Query: the staff actions other parts record on `AUDIT#ORDER#<orderId>`) and its abnormal-payment cases
(one Query of their by-order index). An order's story is bounded (tens to a few hundred entries), so the
merge happens in memory and the cursor is the last entry answered."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from oms.domain.errors import NotFound
from oms.domain.permissions import STAFF_ROLES, Actor
from oms.domain.timeline import EntryKind, TimelineEntry, page, shopper_view
from oms.services.access import may_see_order, store_scope
from oms.store.audit import STATUS_CHANGE, audit_records
from oms.store.pages import Page, clamp_limit
from oms.store.payments import PaymentReads
from oms.store.records import AnomalyRecord, AuditRecord, OrderRecord

# The most audit entries of one order the timeline reads (one Query page of the order's audit partition).
MAX_AUDIT_ENTRIES = 500
FAILED_ATTEMPTS = frozenset({"FAILED", "EXPIRED"})


def _who(by: str | None, role: str | None) -> dict[str, str] | None:
    if not by:
        return None
    return {"id": by, "role": role or "system"}


def _trace(request_id: str | None, source_ip: str | None) -> dict[str, Any]:
    return {k: v for k, v in (("requestId", request_id), ("sourceIp", source_ip)) if v}


def status_entries(record: OrderRecord) -> Iterator[TimelineEntry]:
    for event in record.events:
        placed = event.fromStatus is None
        yield TimelineEntry(
            at=event.at,
            kind=EntryKind.ORDER_PLACED if placed else EntryKind.STATUS_CHANGED,
            id=event.eventId,
            summary=f"order placed ({event.toStatus})" if placed else f"{event.fromStatus} → {event.toStatus}",
            actor=_who(event.by, event.role),
            details={"from": event.fromStatus, "to": event.toStatus, "reason": event.reason},
            internal=_trace(event.requestId, event.sourceIp),
        )


def payment_entries(record: OrderRecord) -> Iterator[TimelineEntry]:
    paid_at = {
        line.paymentId: line.at
        for line in sorted(record.ledger, key=lambda line: line.at, reverse=True)
        if line.kind == "payment" and line.paymentId
    }
    for attempt in record.payments:
        money = attempt.amount.money().to_dict()
        basics = {"paymentId": attempt.paymentId, "method": attempt.method, "amount": money}
        yield TimelineEntry(
            at=attempt.createdAt,
            kind=EntryKind.PAYMENT_CREATED,
            id=attempt.paymentId,
            summary=f"payment {attempt.paymentId} created ({attempt.method})",
            actor=_who(attempt.customerId, "customer"),
            details=basics,
        )
        if attempt.status == "SUCCEEDED" or attempt.paymentId in paid_at:
            received = attempt.received.money().to_dict() if attempt.received else money
            yield TimelineEntry(
                at=paid_at.get(attempt.paymentId, attempt.updatedAt),
                kind=EntryKind.PAYMENT_SUCCEEDED,
                id=attempt.paymentId,
                summary=f"payment {attempt.paymentId} succeeded",
                details={**basics, "received": received, "providerReference": attempt.providerReference},
                internal={"review": attempt.review} if attempt.review else {},
            )
        elif attempt.status in FAILED_ATTEMPTS:
            yield TimelineEntry(
                at=attempt.updatedAt,
                kind=EntryKind.PAYMENT_FAILED,
                id=attempt.paymentId,
                summary=f"payment {attempt.paymentId} {attempt.status.lower()}",
                details={**basics, "status": attempt.status},
                internal={"review": attempt.review} if attempt.review else {},
            )


def refund_entries(record: OrderRecord) -> Iterator[TimelineEntry]:
    settled_at = {line.refundId: line.at for line in record.ledger if line.kind == "refund" and line.refundId}
    for refund in record.refunds:
        basics = {"refundId": refund.refundId, "amount": refund.amount.money().to_dict(), "reason": refund.reason}
        yield TimelineEntry(
            at=refund.createdAt,
            kind=EntryKind.REFUND_ASKED,
            id=refund.refundId,
            summary=f"refund {refund.refundId} asked ({refund.reason})",
            details={**basics, "caseId": refund.caseId},
        )
        if refund.status == "SUCCEEDED":
            yield TimelineEntry(
                at=settled_at.get(refund.refundId, refund.updatedAt),
                kind=EntryKind.REFUND_SUCCEEDED,
                id=refund.refundId,
                summary=f"refund {refund.refundId} paid back ({refund.route or 'provider'})",
                details={**basics, "route": refund.route or "provider"},
            )
        elif refund.status == "FAILED":
            yield TimelineEntry(
                at=refund.updatedAt,
                kind=EntryKind.REFUND_FAILED,
                id=refund.refundId,
                summary=f"refund {refund.refundId} failed",
                details=basics,
                internal={"lastError": refund.lastError} if refund.lastError else {},
            )


def shipment_entries(record: OrderRecord) -> Iterator[TimelineEntry]:
    for shipment in record.shipments:
        basics = {
            "shipmentId": shipment.shipmentId,
            "childId": shipment.childId,
            "carrier": shipment.carrier,
            "trackingNumber": shipment.trackingNumber,
        }
        yield TimelineEntry(
            at=shipment.createdAt,
            kind=EntryKind.SHIPMENT_CREATED,
            id=shipment.shipmentId,
            summary=f"shipped with {shipment.carrier} ({shipment.trackingNumber})",
            actor=_who(shipment.createdBy, "staff"),
            details={**basics, "lines": shipment.lines},
        )
        for n, event in enumerate(shipment.events or []):
            if n == 0 and event.get("source") == "warehouse" and event.get("occurredAt") == shipment.createdAt:
                continue  # the shipment's own first status, already its `shipment.created` entry
            yield TimelineEntry(
                at=str(event.get("occurredAt") or shipment.updatedAt),
                kind=EntryKind.SHIPMENT_TRACKING,
                id=f"{shipment.shipmentId}#{n:03d}",
                summary=f"{shipment.carrier} {shipment.trackingNumber}: {event.get('status')}",
                details={**basics, "status": event.get("status"), "description": event.get("description")},
                internal={k: event[k] for k in ("source", "applied") if k in event},
            )


def case_entries(record: OrderRecord) -> Iterator[TimelineEntry]:
    for case in record.cases:
        basics = {"caseId": case.caseId, "caseType": case.caseType, "childId": case.childId}
        yield TimelineEntry(
            at=case.createdAt,
            kind=EntryKind.AFTER_SALES_OPENED,
            id=case.caseId,
            summary=f"after-sales case {case.caseId} opened ({case.caseType}: {case.reason})",
            actor=_who(case.createdBy, "customer" if case.createdBy == case.customerId else "staff"),
            details={**basics, "reason": case.reason, "amount": case.amount.money().to_dict()},
        )
        for n, decision in enumerate(case.decisions or []):
            yield TimelineEntry(
                at=str(decision.get("at") or case.updatedAt),
                kind=EntryKind.AFTER_SALES_STEP,
                id=f"{case.caseId}#{n:03d}",
                summary=f"after-sales case {case.caseId}: {decision.get('action')}",
                actor=_who(decision.get("by"), decision.get("role")),
                details={**basics, "action": decision.get("action"), "note": decision.get("note")},
                internal=_trace(decision.get("requestId"), decision.get("sourceIp")),
            )


def note_entries(record: OrderRecord) -> Iterator[TimelineEntry]:
    for note in record.notes:
        communication = note.kind == "communication"
        yield TimelineEntry(
            at=note.at,
            kind=EntryKind.COMMUNICATION if communication else EntryKind.NOTE,
            id=note.noteId,
            summary=f"{'communication' if communication else 'note'}: {note.text[:80]}",
            actor=_who(note.by, note.role),
            details={"text": note.text, "visibility": note.visibility, "channel": note.channel},
            shopper=note.visibility == "shopper",
        )


def anomaly_entries(anomalies: Iterable[AnomalyRecord]) -> Iterator[TimelineEntry]:
    for anomaly in anomalies:
        basics = {
            "anomalyId": anomaly.anomalyId,
            "anomalyType": anomaly.anomalyType,
            "paymentId": anomaly.paymentId,
            "expected": anomaly.expected.money().to_dict(),
            "received": anomaly.received.money().to_dict(),
        }
        yield TimelineEntry(
            at=anomaly.createdAt,
            kind=EntryKind.ANOMALY_OPENED,
            id=anomaly.anomalyId,
            summary=f"abnormal payment {anomaly.anomalyId} ({anomaly.anomalyType})",
            details=basics,
            shopper=False,
        )
        if anomaly.status == "RESOLVED":
            yield TimelineEntry(
                at=anomaly.updatedAt,
                kind=EntryKind.ANOMALY_RESOLVED,
                id=anomaly.anomalyId,
                summary=f"abnormal payment {anomaly.anomalyId} resolved",
                details={**basics, "resolution": anomaly.resolution},
                shopper=False,
            )


def audit_entries(entries: Iterable[AuditRecord]) -> Iterator[TimelineEntry]:
    for entry in entries:
        if entry.action == STATUS_CHANGE:
            continue  # the status event itself is on the timeline
        yield TimelineEntry(
            at=entry.at,
            kind=EntryKind.STAFF_ACTION,
            id=entry.entryId,
            summary=entry.action + (f": {entry.reason}" if entry.reason else ""),
            actor=_who(entry.by, entry.role),
            details={"action": entry.action, "before": entry.before, "after": entry.after, "reason": entry.reason},
            internal=_trace(entry.requestId, entry.sourceIp),
            shopper=False,
        )


def timeline_entries(
    record: OrderRecord, audit: Iterable[AuditRecord], anomalies: Iterable[AnomalyRecord]
) -> list[TimelineEntry]:
    """Every entry of an order, unsorted (`oms.domain.timeline.page` orders them)."""
    return [
        *status_entries(record),
        *payment_entries(record),
        *refund_entries(record),
        *shipment_entries(record),
        *case_entries(record),
        *note_entries(record),
        *anomaly_entries(anomalies),
        *audit_entries(audit),
    ]


class TimelineService:
    def __init__(self, get_order: Callable[[str], OrderRecord | None]) -> None:
        self.get_order = get_order
        self.reads = PaymentReads()

    def timeline(self, actor: Actor, order_id: str, limit: int | None, cursor: str | None) -> Page[dict[str, Any]]:
        """One page of the order's timeline; a shopper sees the shopper's view (no staff notes, no
        anomalies, no audit entries, no staff identities or request traces). Whoever may not see the order
        gets the same 404 as for a missing one."""
        record = self.get_order(order_id)
        if record is None or not may_see_order(actor, record.header.customerId, record.header.storeIds):
            raise NotFound(f"order {order_id} not found")
        staff = bool(actor.roles & STAFF_ROLES)
        if staff:
            entries = timeline_entries(
                record,
                audit_records(f"ORDER#{order_id}", MAX_AUDIT_ENTRIES),
                self.reads.anomaly_items_of_order(order_id),
            )
        else:
            entries = shopper_view(timeline_entries(record, (), ()))
        scope = store_scope(actor)
        if scope is not None:  # merchant staff: their stores' parcels and cases, not the other stores'
            theirs = {c.childId for c in record.children if c.storeId in scope}
            entries = [e for e in entries if e.details.get("childId") in (None, *theirs)]
        chosen, next_cursor = page(entries, clamp_limit(limit), cursor)
        return Page([e.view(staff=staff) for e in chosen], next_cursor)
