"""Payment-timeout task, invoked by the payment-timeout state machine at an order's deadline.

Input `{"orderId": ...}`; output `{"orderId", "result": cancelled|skipped|not_due, "status", "deadline"}`
(`oms.domain.timers.TimerOutcome.to_json`). With `"action": "remind"` (the machine's reminder step,
PaymentReminderSeconds before the deadline): a PaymentReminderDue event if the order is still unpaid →
`{"orderId", "result": reminded|skipped, ...}`.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from oms import wiring
from oms.faults import transient_store_errors

logger = Logger()
services = wiring.services()
service = services.orders


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    order_id = event.get("orderId")
    if not isinstance(order_id, str) or not order_id:
        raise ValueError("event must carry an orderId")
    if event.get("action") == "remind":
        with transient_store_errors():
            reminded = services.notifications.remind_payment(order_id)
        logger.info("payment reminder", extra=reminded)
        return reminded
    with transient_store_errors():
        result = service.expire(order_id).to_json()
    logger.info("payment timeout", extra=result)
    return result
