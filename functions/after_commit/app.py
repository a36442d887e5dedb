"""After-commit actions from the table's stream (`oms.wiring.Services.after_commit` lists them by detail type):
it arms the payment-timeout and auto-confirm timers, and does the money follow-ups of cancels and cases
(refunds at the providers, open attempts closed). It also turns every change of a stock item into its
movement row and its LowStock / SkuSoldOut / SkuBackInStock events (`oms.services.stock_movements`): one
more reader of the stream would pass AWS's advice of at most two per shard.

Triggered by the table's stream, filtered to inserted Outbox rows of those detail types and to inserted or
modified Stock items. Each record is
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
STOCK_CHANGES = (DynamoDBRecordEventName.INSERT, DynamoDBRecordEventName.MODIFY)


def record_handler(record: DynamoDBRecord) -> None:
    if record.dynamodb is None:
        return
    new_image = record.dynamodb.new_image
    if new_image.get("type") == "Stock" and record.event_name in STOCK_CHANGES:
        outcome = services.stock_movements.apply(record.dynamodb.old_image or None, new_image)
        logger.debug("stock change", extra={"skuId": new_image.get("skuId"), "events": outcome.events})
        return
    if record.event_name is not DynamoDBRecordEventName.INSERT:
        return
    event = committed_event(new_image)
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
