"""The composition root: services built with the real adapters, for the functions to share."""

from __future__ import annotations

from oms.adapters.carriers import carrier_webhooks
from oms.adapters.payment_providers import provider_factory
from oms.adapters.warehouse import warehouse_gateway
from oms.adapters.workflows import StepFunctionsAutoConfirm
from oms.config import Settings
from oms.domain.money import Money
from oms.services.fulfilment import FulfilmentService
from oms.services.payments import PaymentService
from oms.store.models import RefundItem
from oms.store.orders import OrderRepository
from oms.store.payments import PaymentReads


def payment_service(settings: Settings) -> PaymentService:
    return PaymentService(
        OrderRepository(),
        PaymentReads(),
        provider_factory(),
        bank_transfer_review_seconds=settings.bank_transfer_review_seconds,
    )


def fulfilment_service(settings: Settings) -> FulfilmentService:
    payments = payment_service(settings)

    def settle_refund(order_id: str, refund: RefundItem, reference: str | None, payment_total: Money) -> str:
        return payments.settle_refund(order_id, refund, reference, None, payment_total=payment_total)

    return FulfilmentService(
        OrderRepository(),
        auto_confirm=StepFunctionsAutoConfirm(settings.auto_confirm_state_machine_arn),
        auto_confirm_seconds=settings.auto_confirm_seconds,
        warehouse=warehouse_gateway,
        carriers=carrier_webhooks,
        settle_refund=settle_refund,
    )
