"""40 shoppers race for one SKU with stock 10, over HTTP, against the locked local stack."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.integration.test_order_flow import available, new_sku, place

pytestmark = pytest.mark.integration

SHOPPERS = 40
STOCK = 10


def test_forty_concurrent_checkouts_never_oversell(stack: Any, http: Any, long_payment_timeout: None) -> None:
    sku_id = new_sku(stack, http, stock=STOCK)
    tokens = [stack.mint_token(f"racer-{i}", ["customer"]) for i in range(SHOPPERS)]
    start = threading.Barrier(SHOPPERS)
    racing = threading.Event()
    racing.set()
    observed: list[int] = []

    def watch_stock() -> None:
        while racing.is_set():
            observed.append(available(http, sku_id))

    def shop(i: int) -> tuple[int, Any]:
        start.wait()
        response = place(http, tokens[i], sku_id, 1, key=str(uuid.uuid4()))
        return response.status, response.json()

    watcher = threading.Thread(target=watch_stock, daemon=True)
    watcher.start()
    with ThreadPoolExecutor(max_workers=SHOPPERS) as pool:
        results = list(pool.map(shop, range(SHOPPERS)))
    racing.clear()
    watcher.join(timeout=10)

    statuses = sorted(status for status, _ in results)
    assert statuses.count(201) == STOCK, statuses
    assert statuses.count(409) == SHOPPERS - STOCK, statuses
    assert all(body["type"] == "urn:oms:problem:insufficient-stock" for status, body in results if status == 409)
    assert available(http, sku_id) == 0
    assert observed and min(observed) >= 0
    admin = stack.mint_token("it-admin", ["admin"])
    order_ids = {body["orderId"] for status, body in results if status == 201}
    assert len(order_ids) == STOCK
    for order_id in order_ids:
        order = http.get(f"/orders/{order_id}", token=admin).json()
        assert order["lines"][0]["skuId"] == sku_id and order["status"] == "PENDING_PAYMENT"
