"""Auto-confirm task, invoked by the auto-confirm state machine when a delivered order's deadline comes.

Input `{"orderId": ...}`; output `{"orderId", "result": completed|skipped|not_due, "status", "deadline"}`.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from oms.adapters.workflows import StepFunctionsPaymentTimeout
from oms.config import Settings
from oms.domain.permissions import Actor
from oms.faults import transient_store_errors
from oms.services.orders import OrderService
from oms.store.orders import OrderRecord, OrderRepository
from oms.wiring import fulfilment_service

logger = Logger()
settings = Settings.from_env()
orders = OrderService(
    OrderRepository(),
    StepFunctionsPaymentTimeout(settings.payment_timeout_state_machine_arn),
    settings.payment_timeout_seconds,
)
fulfilment = fulfilment_service(settings)


def _complete(record: OrderRecord) -> OrderRecord:
    return orders.complete(record, Actor.system("auto-confirm"), "auto-confirmed after delivery")


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    order_id = event.get("orderId")
    if not isinstance(order_id, str) or not order_id:
        raise ValueError("event must carry an orderId")
    with transient_store_errors():
        result = fulfilment.auto_confirm(order_id, _complete)
    logger.info("auto-confirm", extra=result)
    return result
