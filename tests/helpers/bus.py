"""EventBridge events as the outbox relay's rules deliver them to a consumer's Lambda, for handler tests."""

from __future__ import annotations

import uuid
from typing import Any

from oms.domain.events import OutboxEvent


def bus_event(
    event: OutboxEvent | str,
    detail: dict[str, Any] | None = None,
    *,
    event_id: str | None = None,
    occurred_at: str = "2026-12-01T08:00:00.000Z",
) -> dict[str, Any]:
    """The EventBridge event a rule delivers for an outbox event (or a detail type and detail)."""
    type_, facts = (event.type.value, event.detail) if isinstance(event, OutboxEvent) else (event, detail or {})
    event_id = event_id or uuid.uuid4().hex
    return {
        "version": "0",
        "id": str(uuid.uuid4()),  # EventBridge's own id: differs on every publish (a redrive too)
        "detail-type": type_,
        "source": "oms",
        "account": "123456789012",
        "time": occurred_at[:19] + "Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {**facts, "eventId": event_id, "occurredAt": occurred_at},
    }
