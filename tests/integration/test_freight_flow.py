"""Freight templates through the local stack over HTTP: a store of the test's own, templates written by
racing threads (none lost), a SKU on a template, quote and checkout by destination, an excluded region
refused, and the placed order keeping the rule it was charged by after the template changes."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from local.stack import LocalStack
from tests.helpers.flows import ADDRESS
from tests.helpers.freight import BY_PIECE, BY_WEIGHT

pytestmark = pytest.mark.integration


def test_templates_race_price_checkout_and_stay_frozen(
    stack: LocalStack, http: Any, long_payment_timeout: None
) -> None:
    admin = stack.mint_token("it-admin", ["admin"])
    store = f"it-freight-{uuid.uuid4().hex[:8]}"
    store_body = {
        "name": "Freight test",
        "currency": "CNY",
        "shippingFee": {"amount": 1000, "currency": "CNY"},
        "freeShippingThreshold": {"amount": 99900, "currency": "CNY"},
    }
    assert http.put(f"/stores/{store}", token=admin, json=store_body).status == 201
    sku = f"IT-{uuid.uuid4().hex[:10].upper()}"
    product = {
        "storeId": store,
        "name": "Kettlebell",
        "skus": [
            {
                "skuId": sku,
                "name": "8 kg",
                "price": {"amount": 5000, "currency": "CNY"},
                "stock": 20,
                "warehouseId": "WH-SH",
                "weightGrams": 1200,
            }
        ],
    }
    assert http.post("/products", token=admin, json=product).status == 201

    # four templates of one store written at once: each write retries on the store's book, none is lost
    start = threading.Barrier(4)

    def write(n: int) -> int:
        start.wait()
        body = BY_WEIGHT if n == 0 else {**BY_PIECE, "name": f"piece {n}"}
        return http.put(f"/stores/{store}/freight-templates/t{n}", token=admin, json=body).status

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert sorted(pool.map(write, range(4))) == [201, 201, 201, 201]
    listed = http.get(f"/stores/{store}/freight-templates").json()
    assert sorted(t["templateId"] for t in listed["items"]) == ["t0", "t1", "t2", "t3"]

    patched = http.patch(f"/skus/{sku}", token=admin, json={"freightTemplateId": "t0"})
    assert patched.status == 200, patched.text
    customer = stack.mint_token(f"it-freight-{uuid.uuid4().hex[:6]}", ["customer"])
    lines = [{"skuId": sku, "quantity": 2}]  # 2,400 g
    quote = http.post("/orders/quote", token=customer, json={"lines": lines, "destination": {"country": "CN"}})
    assert quote.status == 200, quote.text
    assert quote.json()["shipping"] == {"amount": 1000 + 3 * 400, "currency": "CNY"}  # 1 kg + three 500 g steps

    refused = http.post(
        "/orders",
        token=customer,
        json={"lines": lines, "shippingAddress": {**ADDRESS, "region": "西藏"}},
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert refused.status == 422, refused.text
    assert refused.json()["type"] == "urn:oms:problem:shipping-region-excluded"
    assert int(http.get(f"/skus/{sku}").json()["available"]) == 20

    placed = http.post(
        "/orders",
        token=customer,
        json={"lines": lines, "shippingAddress": {**ADDRESS, "region": "广东"}},
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert placed.status == 201, placed.text
    order = placed.json()
    assert order["breakdown"]["shipping"] == {"amount": 600 + 3 * 200, "currency": "CNY"}
    frozen = order["pricing"]["freight"]
    assert [(f["templateId"], f["region"], f["units"]) for f in frozen] == [("t0", "CN/广东", 2400)]

    current = http.get(f"/stores/{store}/freight-templates/t0")
    edited = {**BY_WEIGHT, "rules": [{"first": 1, "firstFee": {"amount": 1, "currency": "CNY"}}]}
    headers = {"If-Match": current.headers["ETag"]}
    assert http.put(f"/stores/{store}/freight-templates/t0", token=admin, json=edited, headers=headers).status == 200
    again = http.get(f"/orders/{order['orderId']}", token=customer).json()
    assert (again["pricing"]["freight"], again["breakdown"]["shipping"]["amount"]) == (frozen, 1200)
