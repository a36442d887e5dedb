"""Notifications, behind EventBridge rules on the OMS bus: each event tells the shopper (and, for anomalies,
failed refunds and overdue cases, the store's staff) on the channels the store's rules and each person's
preferences keep: email (SES), SMS (SNS) and the in-app inbox. Applied once per event id; a redelivery
sends only what is still unsent (`oms.services.notifications`). Raises on anything not done: Lambda
retries, then the event goes to the function's dead-letter queue."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from oms import wiring
from oms.faults import transient_store_errors
from oms.services.consumers import BusEvent

logger = Logger()
services = wiring.services()


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    bus_event = BusEvent.from_eventbridge(event)
    with transient_store_errors():
        result = services.notifications.consume(bus_event)
    logger.info("notified", extra={"type": bus_event.type, **result})
    return result
