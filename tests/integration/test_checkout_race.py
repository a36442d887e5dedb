"""40 shoppers race for one SKU with stock 10, over HTTP, against the locked local stack."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.helpers.flows import available, new_sku, place

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


def test_concurrent_duplicates_of_one_request_make_one_order(stack: Any, http: Any, long_payment_timeout: None) -> None:
    """Ten copies of one checkout (same Idempotency-Key, same body) at once: one order, stock reserved
    once; every copy answers with that order (201) or asks to retry while it is in flight (409)."""
    sku_id = new_sku(stack, http, stock=5)
    token = stack.mint_token("double-clicker", ["customer"])
    key = str(uuid.uuid4())
    start = threading.Barrier(10)

    def send(_: int) -> tuple[int, Any]:
        start.wait()
        response = place(http, token, sku_id, 2, key=key)
        return response.status, response.json()

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(send, range(10)))
    assert {status for status, _ in results} <= {201, 409}, results
    created = {body["orderId"] for status, body in results if status == 201}
    assert len(created) == 1
    conflicts = [body for status, body in results if status == 409]
    assert all(body["type"] == "urn:oms:problem:idempotency-key-in-use" for body in conflicts)
    assert available(http, sku_id) == 3
    retry = place(http, token, sku_id, 2, key=key)
    assert (retry.status, retry.json()["orderId"]) == (201, created.pop())
