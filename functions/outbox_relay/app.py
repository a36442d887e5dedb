"""Outbox relay: publishes the outbox rows that state-change transactions write to the EventBridge bus.

Triggered by the table's stream (filtered to inserted `Outbox` items on AWS; filtered again here so a
broader trigger is harmless), with partial batch responses: only the records EventBridge refused are
reported, so the mapping retries from the first of them. An event that keeps failing
(`OUTBOX_RELAY_MAX_ATTEMPTS`) goes to the dead-letter queue with its complete entry and stops blocking
the shard; `oms-outbox-dlq redrive` publishes it again. Delivery is at least once: consumers dedupe on
`detail.eventId`. The logic is `oms.adapters.outbox` (the relay, behind an `EventPublisher`: EventBridge here).
The business metrics (orders placed, payments applied, refunds) are counted here, from the published
events, as CloudWatch embedded metric format lines (`BUSINESS_METRICS` in oms.adapters.outbox).
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes import DynamoDBStreamEvent
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from oms import wiring
from oms.adapters.outbox import OutboxNotRelayed, OutboxRelay
from oms.faults import aws_client

logger = Logger()
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "OMS"))
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
_client: Any = None
_sqs: Any = None


def events_client() -> Any:
    global _client
    if _client is None:
        _client = aws_client("events")
    return _client


def sqs_client() -> Any:
    global _sqs
    if _sqs is None:
        _sqs = aws_client("sqs")
    return _sqs


def build_relay() -> OutboxRelay:
    # The clients are looked up at call time, so tests can swap them.
    return wiring.outbox_relay(events=lambda: events_client(), sqs=lambda: sqs_client())


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    records = list(DynamoDBStreamEvent(event).records) if event.get("Records") else []
    outcome = build_relay().relay(records)
    counted = outcome.business_metrics()
    if counted:  # flushed only when there is something to count (an empty flush warns)
        for name, count in counted.items():
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=count)
        metrics.flush_metrics()
    logger.info(
        "outbox relayed",
        extra={"published": outcome.published, "deadLettered": outcome.dead_lettered, "failed": len(outcome.failed)},
    )
    if records and len(outcome.failed) == len(records):
        reasons = sorted(set(outcome.failed.values()))
        raise OutboxNotRelayed(f"{len(outcome.failed)} outbox events not accepted by EventBridge: {reasons[:3]}")

    def check(record: DynamoDBRecord) -> None:
        outcome.check(str(record.dynamodb.sequence_number if record.dynamodb else ""))

    return process_partial_response(event=event, record_handler=check, processor=processor, context=context)
