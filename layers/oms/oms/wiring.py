"""The composition root: services built with the real adapters, for the functions to share."""

from __future__ import annotations

from oms.adapters.carriers import carrier_webhooks
from oms.adapters.payment_providers import provider_factory
from oms.adapters.warehouse import warehouse_gateway
from oms.adapters.workflows import StepFunctionsAutoConfirm, StepFunctionsPaymentTimeout
from oms.config import Settings
from oms.domain.money import Money
from oms.services.after_commit import (
    AfterCommit,
    arm_auto_confirm,
    arm_payment_timeout,
    finish_cancel,
    rearm_payment_timeout,
    settle_refunds,
)
from oms.services.fulfilment import FulfilmentService
from oms.services.orders import OrderService, PaidCancel
from oms.services.payments import PaymentService
from oms.services.timers import OrderTimers
from oms.store.models import RefundItem
from oms.store.orders import OrderRepository
from oms.store.payments import PaymentReads


def order_service(settings: Settings, paid_cancel: PaidCancel | None = None) -> OrderService:
    """Orders; a whole-order cancel refunds what the order received and closes its open attempts at the
    provider (the payments side), `paid_cancel` cancels paid orders part by part (the fulfilment side)."""
    return OrderService(
        OrderRepository(),
        settings.payment_timeout_seconds,
        cross_border_limit=Money(settings.cross_border_limit_minor, settings.cross_border_limit_currency),
        paid_cancel=paid_cancel,
        cancel_money=payment_service(settings),
    )


def payment_service(settings: Settings) -> PaymentService:
    return PaymentService(
        OrderRepository(),
        PaymentReads(),
        provider_factory(),
        bank_transfer_review_seconds=settings.bank_transfer_review_seconds,
        payment_timeout_seconds=settings.payment_timeout_seconds,
    )


def fulfilment_service(settings: Settings) -> FulfilmentService:
    payments = payment_service(settings)

    def settle_refund(order_id: str, refund: RefundItem, reference: str | None, payment_total: Money) -> None:
        """The child cancel's own try after its commit (never raises; the stream and the sweeper retry)."""
        payments.try_refund(order_id, refund, reference, payment_total=payment_total)

    return FulfilmentService(
        OrderRepository(),
        auto_confirm_seconds=settings.auto_confirm_seconds,
        warehouse=warehouse_gateway,
        carriers=carrier_webhooks,
        settle_refund=settle_refund,
    )


def order_timers(settings: Settings) -> OrderTimers:
    """The timer tasks (payment timeout, auto-confirm), the refunds' next tries, and their sweeper."""
    return OrderTimers(order_service(settings), fulfilment_service(settings), payment_service(settings))


def after_commit(settings: Settings) -> AfterCommit:
    """What runs once an outbox row is committed, by detail type (read from the table's stream by
    AfterCommitFunction; add the detail type to its FilterCriteria in template.yaml too)."""
    payment_timeout = StepFunctionsPaymentTimeout(settings.payment_timeout_state_machine_arn)
    auto_confirm = StepFunctionsAutoConfirm(settings.auto_confirm_state_machine_arn)
    payments = payment_service(settings)
    return AfterCommit(
        {
            "OrderPlaced": [arm_payment_timeout(payment_timeout)],
            "OrderHoldReleased": [rearm_payment_timeout(payment_timeout)],
            "OrderDelivered": [arm_auto_confirm(auto_confirm)],
            # The request that committed these already tried; this is the try that needs no request (a store
            # fault fails its record; a refund the provider cannot take yet is the sweeper's, with backoff).
            "OrderCancelled": [finish_cancel(payments)],
            "ChildOrderCancelled": [settle_refunds(payments)],
            "PaymentAnomaly": [settle_refunds(payments)],
        }
    )
