"""Outbox relay: publishes the outbox rows that state-change transactions write to the EventBridge bus.

Triggered by the table's stream (filtered to inserted `Outbox` items on AWS; filtered again here so a
broader trigger is harmless). Delivery is at least once: a failed PutEvents fails the batch, which the
event source mapping retries and finally sends to the dead-letter queue. Consumers dedupe on
`detail.eventId`.
"""

from __future__ import annotations

import json
import os
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from boto3.dynamodb.types import TypeDeserializer

logger = Logger()
SOURCE = "oms"
_deserializer = TypeDeserializer()
_client: Any = None


def events_client() -> Any:
    global _client
    if _client is None:
        import boto3

        _client = boto3.client("events")
    return _client


def outbox_entries(records: list[dict[str, Any]], bus_name: str) -> list[dict[str, Any]]:
    entries = []
    for record in records:
        image = (record.get("dynamodb") or {}).get("NewImage") or {}
        if record.get("eventName") != "INSERT" or image.get("type", {}).get("S") != "Outbox":
            continue
        row = {key: _deserializer.deserialize(value) for key, value in image.items()}
        detail = json.loads(row["detail"]) if isinstance(row["detail"], str) else row["detail"]
        entries.append(
            {
                "Source": SOURCE,
                "DetailType": row["detailType"],
                "Detail": json.dumps(
                    {**detail, "eventId": row["eventId"], "occurredAt": row["createdAt"]}, default=str
                ),
                "EventBusName": bus_name,
            }
        )
    return entries


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    entries = outbox_entries(event.get("Records") or [], os.environ["EVENT_BUS_NAME"])
    for start in range(0, len(entries), 10):  # PutEvents takes at most 10 entries
        batch = entries[start : start + 10]
        result = events_client().put_events(Entries=batch)
        if result.get("FailedEntryCount"):
            failed = [e for e in result["Entries"] if e.get("ErrorCode")]
            raise RuntimeError(f"{len(failed)} outbox events not accepted by EventBridge: {failed[:3]}")
    logger.info("outbox relayed", extra={"events": len(entries)})
    return {"published": len(entries)}
