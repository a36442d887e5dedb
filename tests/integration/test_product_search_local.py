"""Through the local stack: a product created over HTTP becomes searchable once the after-commit function
(the stack's stream poller) has indexed it from its committed ProductChanged row, by a Chinese keyword
without spaces; deactivated, it leaves search; a paid order counts its sales."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.helpers.polling import poll_until

pytestmark = pytest.mark.integration


def hits(http: Any, **query: str) -> list[str]:
    response = http.get("/search/products", params=query)
    assert response.status == 200, response
    return [item["productId"] for item in response.json()["items"]]


def test_a_new_product_is_found_by_its_chinese_name_and_leaves_when_deactivated(stack: Any, http: Any) -> None:
    admin = stack.mint_token("it-admin", ["admin"])
    word = f"款{uuid.uuid4().hex[:6]}"  # a term no other product of the shared stack has
    sku = f"IT-{uuid.uuid4().hex[:10].upper()}"
    created = http.post(
        "/products",
        token=admin,
        json={
            "storeId": "demo",
            "name": f"夏季碎花连衣裙{word}",
            "attributes": {"颜色": "红色"},
            "skus": [
                {
                    "skuId": sku,
                    "name": "M",
                    "price": {"amount": 19900, "currency": "CNY"},
                    "stock": 5,
                    "warehouseId": "WH-SH",
                    "weightGrams": 300,
                }
            ],
        },
    )
    assert created.status == 201, created
    pid = created.json()["productId"]
    assert poll_until(lambda: pid in hits(http, q=word[1:], store="demo"))
    assert pid in hits(http, q="碎花连衣裙", store="demo", attr="颜色:红色", sort="newest", limit="100")
    [hit] = [h for h in http.get("/search/products", params={"q": word[1:]}).json()["items"] if h["productId"] == pid]
    assert hit["price"]["min"] == {"amount": 19900, "currency": "CNY"}
    bad = http.get("/search/products", params={"sort": "cheapest"})
    assert bad.status == 422 and bad.headers["Content-Type"] == "application/problem+json"
    patched = http.patch(f"/products/{pid}", token=admin, json={"status": "INACTIVE"})
    assert patched.status == 200, patched
    assert poll_until(lambda: pid not in hits(http, q=word[1:], store="demo"))
