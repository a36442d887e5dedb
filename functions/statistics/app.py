"""Statistics consumer: counts each order, payment, refund and case event into the pre-aggregated
statistics rows (`oms.services.statistics`), once per event, whatever the delivery order. Invoked by
EventBridge rules (docs/events.md); anything not done raises, so Lambda retries and the event ends in
the function's dead-letter queue."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from oms import wiring
from oms.services.consumers import BusEvent

logger = Logger()
services = wiring.services()


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    bus_event = BusEvent.from_eventbridge(event)
    written = services.statistics.apply(bus_event)
    logger.info("counted", extra={"eventId": bus_event.event_id, "type": bus_event.type, "chunks": written})
    return {"eventId": bus_event.event_id, "chunks": written}
