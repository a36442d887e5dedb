"""Consumers of the event bus: what every EventBridge rule's target does with an event, once.

The outbox relay publishes each committed outbox row as an EventBridge event (`oms.adapters.outbox`:
source `oms`, detail type = `oms.domain.events.EventType`, detail = the event's facts plus `eventId` and
`occurredAt`). Delivery is at least once and in no particular order: the relay retries a batch from its
first refused record, EventBridge retries a target, Lambda retries an asynchronous invoke, and an
operator redrives a dead-letter queue. So a consumer

- applies an event in ONE transaction together with an inbox row keyed (consumer, eventId)
  (`consume_once`): a second delivery finds the row and changes nothing;
- does not depend on order: what it writes commutes (counters added, facts keyed by their subject), or
  it reads what the event names and acts on the current state;
- raises on anything it could not do (a transient store error included): the invoke fails, Lambda and
  EventBridge retry it, and after the retries the event lands in the consumer's dead-letter queue
  (`docs/events.md`: list and redrive).

A consumer with effects outside the table (an email) writes its intent in that transaction and carries
it out after the commit, so a redelivery finds the intent and finishes it instead of doing it twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from oms.domain.clock import to_rfc3339, utcnow
from oms.store.inbox import add_consumed, was_consumed
from oms.store.transactions import Part, Transaction, TransactionCancelled

SOURCE = "oms"  # the outbox relay's events (oms.adapters.outbox.SOURCE)
SCHEDULED_SOURCE = "aws.events"  # EventBridge schedules


class MalformedEvent(ValueError):
    """Not an event a consumer can read (no id, no detail type, a detail that is not an object)."""


@dataclass(frozen=True)
class BusEvent:
    event_id: str  # the outbox row's eventId: the same on every delivery of one event
    type: str  # the detail type
    detail: dict[str, Any]
    occurred_at: str  # when the change committed (the outbox row's createdAt), RFC 3339
    source: str = SOURCE

    @classmethod
    def from_eventbridge(cls, event: Mapping[str, Any]) -> BusEvent:
        """An event as EventBridge delivers it to a target. Outbox events carry their own `eventId`
        (EventBridge's `id` differs between a first publish and a redrive); other events use `id`."""
        detail = event.get("detail")
        if not isinstance(detail, dict):
            raise MalformedEvent("the event has no detail object")
        type_ = event.get("detail-type")
        event_id = detail.get("eventId") or event.get("id")
        if not isinstance(type_, str) or not type_ or not isinstance(event_id, str) or not event_id:
            raise MalformedEvent("the event has no detail-type or no id")
        occurred_at = detail.get("occurredAt") or event.get("time") or ""
        return cls(
            event_id=event_id,
            type=type_,
            detail=dict(detail),
            occurred_at=str(occurred_at),
            source=str(event.get("source") or SOURCE),
        )


def consume_once(
    consumer: str, event: BusEvent, write: Callable[[Transaction], None], *, now: str | None = None
) -> bool:
    """Apply `write`'s changes and the inbox row of (consumer, event) in one transaction.

    True if applied; False if this consumer had applied the event before (nothing is written). A
    failed condition of one of `write`'s own actions raises `TransactionCancelled`; a transaction that
    kept losing races raises `TransientStoreError` (the delivery is retried)."""
    tx = Transaction()
    write(tx)
    add_consumed(tx, consumer, event.event_id, event.type, now or to_rfc3339(utcnow()))
    try:
        tx.commit()
    except TransactionCancelled as cancelled:
        if cancelled.failed(Part.INBOX):
            return False  # a duplicate (any other failed condition is one the first delivery made true)
        raise
    return True


def consumed(consumer: str, event_id: str) -> bool:
    """Whether `consumer` applied the event (a consistent read), for consumers that finish work after the commit."""
    return was_consumed(consumer, event_id)
