"""Recognising a request that already took effect. A write whose answer was lost (a timeout after its
commit) is retried by its client; the retry finds the table as the first attempt left it, and must
answer that result instead of refusing the move it made itself (409). Each check matches the effect
exactly — same actor, same decision, same words — so a *different* request for a state already
reached is still refused as before."""

from __future__ import annotations

from oms.domain.order import OrderStatus
from oms.domain.payment import AttemptStatus
from oms.domain.permissions import Actor
from oms.store.records import AttemptRecord, ChildRecord, OrderRecord


def cancelled_by(record: OrderRecord, actor: Actor, note: str | None) -> bool:
    """The order was cancelled as a whole by this actor with this note (`POST .../cancel` again)."""
    cancellation = record.header.cancellation or {}
    return (
        record.status is OrderStatus.CANCELLED
        and cancellation.get("by") == actor.subject
        and cancellation.get("note") == note
    )


def children_cancelled_by(record: OrderRecord, actor: Actor, reason: str | None) -> list[ChildRecord]:
    """The child orders this actor cancelled with this reason (a paid order's cancel, again)."""
    return [
        child
        for child in record.children
        if (cancellation := child.cancellation or {})
        and cancellation.get("by") == actor.subject
        and cancellation.get("reason") == reason
    ]


def reviewed_by(attempt: AttemptRecord, actor: Actor, *, approve: bool, reason: str | None) -> bool:
    """This bank transfer was already approved, or rejected with this reason, by this reviewer."""
    if approve:
        return attempt.status == AttemptStatus.SUCCEEDED and attempt.providerReference == f"review:{actor.subject}"
    review = attempt.review or {}
    return (
        attempt.status == AttemptStatus.FAILED
        and review.get("by") == actor.subject
        and review.get("approved") is False
        and review.get("reason") == reason
    )


def receipt_confirmed_by(record: OrderRecord, actor: Actor, reason: str) -> bool:
    """The order was completed by this shopper's own confirmation (`POST .../confirm-receipt` again)."""
    return record.status is OrderStatus.COMPLETED and any(
        event.toStatus == OrderStatus.COMPLETED.value and event.by == actor.subject and event.reason == reason
        for event in record.events
    )
