"""Payments through the functions (moto) with a recording fake provider: placing and paying orders,
verified notices, ledger reads, and the fixtures `providers`, `payments_module`, `pay_api`
(registered in tests/handlers/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import pytest
from oms.adapters.providers.base import (
    CallbackAnswer,
    CloseOutcome,
    NoticeStatus,
    PaymentInstructions,
    ProviderClose,
    ProviderNotice,
    ProviderQuery,
    ProviderRefund,
)
from oms.domain.money import Money
from oms.domain.payment import PaymentMethod

from tests.helpers.handlers import ADDRESS, ADMIN, CUSTOMER, Api, adapters, load_function
from tests.helpers.table import table_snapshot


@dataclass
class FakeProvider:
    method: PaymentMethod
    refunds: list[tuple[str, int]] = field(default_factory=list)
    query_answer: ProviderQuery | None = None
    fail_refunds: bool = False
    refund_status: NoticeStatus = NoticeStatus.SUCCEEDED  # PENDING: accepted, paid out later
    closes: list[str] = field(default_factory=list)
    close_outcome: CloseOutcome | None = CloseOutcome.CLOSED  # None: the provider cannot be reached

    def instructions(self, payment_id: str, order_number: str, amount: Money, description: str) -> PaymentInstructions:
        return PaymentInstructions(self.method, {"pay": f"fake://{self.method}/{payment_id}", "amount": amount.amount})

    def verify_callback(self, headers: dict[str, str], raw_body: bytes) -> ProviderNotice:
        raise AssertionError("not used: these tests call apply_notice with verified notices")

    def success_answer(self) -> CallbackAnswer:
        return CallbackAnswer(200, "success")

    def failure_answer(self, reason: str) -> CallbackAnswer:
        return CallbackAnswer(200, "failure")

    def refund(
        self, payment_id: str, provider_reference: str, refund_id: str, amount: Money, total: Money
    ) -> ProviderRefund:
        if self.fail_refunds:
            raise ConnectionError("provider down")
        self.refunds.append((refund_id, amount.amount))
        return ProviderRefund(refund_id, f"prov-{refund_id}", self.refund_status)

    def query(self, payment_id: str, expected_amount: Money, provider_reference: str | None = None) -> ProviderQuery:
        assert self.query_answer is not None
        return self.query_answer

    def close(self, payment_id: str, provider_reference: str | None = None) -> ProviderClose:
        self.closes.append(payment_id)
        if self.close_outcome is None:
            raise ConnectionError("provider down")
        return ProviderClose(payment_id, self.close_outcome)


def place(orders_api: Api, quantity: int = 2, who: dict[str, Any] = CUSTOMER, key: str = "o1") -> dict[str, Any]:
    status, _, order = orders_api(
        "POST",
        "/orders",
        **who,
        headers={"Idempotency-Key": key},
        body={"lines": [{"skuId": "TEE-M", "quantity": quantity}], "shippingAddress": ADDRESS},
    )
    assert status == 201, order
    return order


def pay(
    pay_api: Api, order: dict[str, Any], method: str, key: str = "p1", who: dict[str, Any] = CUSTOMER
) -> tuple[int, Any]:
    status, _, body = pay_api(
        "POST",
        f"/orders/{order['orderId']}/payments",
        route="POST /orders/{orderId}/payments",
        **who,
        headers={"Idempotency-Key": key},
        body={"method": method},
    )
    return status, body


def notice(
    payment: dict[str, Any],
    *,
    amount: int | None = None,
    event: str = "evt-1",
    currency: str = "CNY",
    status: NoticeStatus = NoticeStatus.SUCCEEDED,
    method: PaymentMethod = PaymentMethod.ALIPAY,
) -> ProviderNotice:
    return ProviderNotice(
        provider=method,
        event_id=event,
        payment_id=payment["paymentId"],
        provider_reference=f"trade-{event}",
        status=status,
        amount=Money(payment["amount"]["amount"] if amount is None else amount, currency),
        merchant_ok=True,
    )


def order_of(orders_api: Api, order_id: str, who: dict[str, Any] = CUSTOMER) -> dict[str, Any]:
    status, _, order = orders_api("GET", f"/orders/{order_id}", route="GET /orders/{orderId}", **who)
    assert status == 200
    return order


def ledger_items() -> list[dict[str, Any]]:
    return [i for i in table_snapshot() if i["type"] == "LedgerLine"]


def _cancel_by_timeout(order: dict[str, Any]) -> None:
    timeout = load_function("payment_timeout")
    from datetime import timedelta

    from oms.domain.clock import parse_rfc3339

    moment = parse_rfc3339(order["paymentDeadline"]) + timedelta(seconds=1)
    timeout.service.clock = lambda: moment
    assert timeout.service.expire(order["orderId"]).to_json()["result"] == "cancelled"


def late_payment_policy(catalog_api: Api, policy: str, store: str = "demo") -> None:
    from tests.helpers.handlers import DEMO_STORE

    status, _, body = catalog_api(
        "PUT",
        f"/stores/{store}",
        route="PUT /stores/{storeId}",
        **ADMIN,
        body={**DEMO_STORE, "latePaymentPolicy": policy},
    )
    assert status in (200, 201) and body["latePaymentPolicy"] == policy, body


@pytest.fixture
def providers() -> Iterator[dict[PaymentMethod, FakeProvider]]:
    """Every function's adapters (payments, orders, timeout, fulfilment) are these recording fakes."""
    fakes = {m: FakeProvider(m) for m in PaymentMethod}
    with adapters(providers=fakes.__getitem__):
        yield fakes


@pytest.fixture
def payments_module(aws: None, providers: dict[PaymentMethod, FakeProvider]) -> ModuleType:
    module = load_function("payments")
    module.service.providers = providers.__getitem__
    return module


@pytest.fixture
def pay_api(payments_module: ModuleType) -> Api:
    return Api(payments_module)
