"""Twenty finance refunds racing over HTTP against one paid order on the local stack (real threads, the
local gateway, moto's DynamoDB): the refunds that land never exceed what the payment captured, the rest
are 409 `refund-exceeds-paid`, and the order's refunded total is exactly the sum of the refunds granted."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from local.stack import LocalStack
from tests.helpers.flows import ADDRESS, order, product, start_payment

pytestmark = pytest.mark.integration

FINANCE_CLICKS = 20
EACH = 1000  # 10.00 CNY per refund


def test_twenty_concurrent_refunds_never_exceed_what_was_captured(
    stack: LocalStack, http: Any, long_payment_timeout: None
) -> None:
    sku = product(stack, http, "demo", "WH-SH", 4900)
    token = stack.mint_token(f"it-race-{uuid.uuid4().hex[:8]}", ["customer"])
    placed = http.post(
        "/orders",
        token=token,
        headers={"Idempotency-Key": str(uuid.uuid4())},
        json={"lines": [{"skuId": sku, "quantity": 1}], "shippingAddress": ADDRESS},
    )
    assert placed.status == 201, placed.text
    order_id = placed.json()["orderId"]
    stack.sandbox_pay(start_payment(http, token, order_id, "alipay")["paymentId"])
    captured = order(http, token, order_id)["payment"]["received"]["amount"]
    assert captured == 5900  # 49.00 and 10.00 shipping: room for five refunds of 10.00, not six
    finance = stack.mint_token("it-finance", ["finance"])
    start = threading.Barrier(FINANCE_CLICKS)

    def click(_: int) -> tuple[int, Any]:
        start.wait()
        response = http.post(
            f"/orders/{order_id}/refunds",
            token=finance,
            headers={"Idempotency-Key": str(uuid.uuid4())},
            json={"amount": {"amount": EACH, "currency": "CNY"}, "reason": "staff_adjustment", "note": "race"},
        )
        return response.status, response.json()

    with ThreadPoolExecutor(max_workers=FINANCE_CLICKS) as pool:
        results = list(pool.map(click, range(FINANCE_CLICKS)))
    statuses = sorted(status for status, _ in results)
    granted = statuses.count(201)
    assert granted == captured // EACH, statuses
    assert statuses.count(409) == FINANCE_CLICKS - granted, statuses
    assert all(body["type"] == "urn:oms:problem:refund-exceeds-paid" for status, body in results if status == 409)
    money = order(http, token, order_id)["payment"]
    assert money["refunded"]["amount"] == granted * EACH <= captured
