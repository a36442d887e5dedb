"""The bus consumers' inbox: one row per (consumer, event id), written in the same transaction as what the
consumer changes, so an event delivered twice (the relay and EventBridge both deliver at least once) is
applied once. Rows expire after `CONSUMER_INBOX_TTL`, far beyond EventBridge's longest retry (24 hours)
and a redrive from a dead-letter queue (14 days of retention)."""

from __future__ import annotations

from datetime import timedelta

from pynamodb.exceptions import DoesNotExist

from oms.domain.clock import parse_rfc3339
from oms.store import keys
from oms.store.models import InboxItem
from oms.store.transactions import Part, Transaction

CONSUMER_INBOX_TTL = timedelta(days=30)


def consumer_key(consumer: str) -> str:
    """The inbox's `provider` for a bus consumer: `bus.<consumer>` (callback inboxes use the provider's name)."""
    return f"bus.{consumer}"


def add_consumed(tx: Transaction, consumer: str, event_id: str, event_type: str, now: str) -> None:
    """Record that `consumer` applied the event; the put's condition fails if it already had."""
    tx.put(
        Part.INBOX,
        InboxItem(
            *keys.inbox(consumer_key(consumer), event_id),
            provider=consumer_key(consumer),
            eventId=event_id,
            outcome=event_type,
            receivedAt=now,
            expiresAt=parse_rfc3339(now) + CONSUMER_INBOX_TTL,
        ),
        InboxItem.PK.does_not_exist(),
    )


def was_consumed(consumer: str, event_id: str) -> bool:
    try:
        InboxItem.get(*keys.inbox(consumer_key(consumer), event_id), consistent_read=True)
    except DoesNotExist:
        return False
    return True
