"""What the outbox relay keeps in the table: a failure counter per event it could not publish.

The relay reads the table's stream, so the counter lives next to the data it is about. One UpdateItem
per failed attempt (never on the success path); the item expires with the outbox row's TTL.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from oms.domain.clock import to_rfc3339
from oms.store import keys
from oms.store.models import OutboxRelayAttemptItem

ATTEMPTS_TTL = timedelta(days=7)  # as long as the outbox rows themselves
MAX_ERROR_LENGTH = 500


def count_relay_failure(event_id: str, reason: str, now: datetime) -> int:
    """Record one failed attempt to publish outbox event `event_id`; returns the attempts so far."""
    pk, sk = keys.outbox_relay_attempts(event_id)
    item = OutboxRelayAttemptItem(pk, sk)
    item.update(
        [
            OutboxRelayAttemptItem.attempts.add(1),
            OutboxRelayAttemptItem.eventId.set(event_id),
            OutboxRelayAttemptItem.lastError.set(reason[:MAX_ERROR_LENGTH] or "unknown"),
            OutboxRelayAttemptItem.updatedAt.set(to_rfc3339(now)),
            OutboxRelayAttemptItem.expiresAt.set(now + ATTEMPTS_TTL),
            OutboxRelayAttemptItem.type.set(OutboxRelayAttemptItem),  # the discriminator, so reads know the kind
        ]
    )
    return int(item.attempts)
