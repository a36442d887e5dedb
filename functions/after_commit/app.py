"""After-commit actions from the table's stream (`oms.wiring.Services.after_commit` lists them by detail type):
it arms the payment-timeout and auto-confirm timers, and does the money follow-ups of cancels and cases
(refunds at the providers, open attempts closed).

Triggered by the table's stream, filtered to inserted Outbox rows of those detail types. Each record is
handled on its own (powertools BatchProcessor): a record whose action fails — a transient fault, or a
refund its provider could not take yet — is reported in `batchItemFailures` and retried by the event
source mapping (within its MaximumRetryAttempts / MaximumRecordAgeInSeconds), the others are done.
Every action is idempotent, so redelivered records are harmless.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
    DynamoDBRecordEventName,
)
from aws_lambda_powertools.utilities.typing import LambdaContext
from oms import wiring
from oms.services.after_commit import committed_event

logger = Logger()
# Every failed record is reported, also when all of them failed (the mapping retries from the first one):
# one answer shape whatever the batch, rather than an invocation error.
processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)
services = wiring.services()
actions = services.after_commit


def record_handler(record: DynamoDBRecord) -> None:
    if record.event_name is not DynamoDBRecordEventName.INSERT or record.dynamodb is None:
        return
    event = committed_event(record.dynamodb.new_image)
    if event is None:
        return
    ran = actions.run(event)
    extra = {"detailType": event.detail_type, "eventId": event.event_id, "orderId": event.detail.get("orderId")}
    logger.debug("after commit", extra={**extra, "actions": ran})


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    result = process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
    failed = len(result.get("batchItemFailures") or [])
    logger.info("after-commit batch", extra={"records": len(event.get("Records") or []), "failed": failed})
    return dict(result)
