"""Through the local stack: the table's stream reaches the after-commit function's stock filter, so a
checkout's reservations appear in the SKU's movement history with who and why, and a SKU that sells out
shows it on its view and in its history, with its LowStock and SkuSoldOut events in the outbox."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.helpers.flows import ADDRESS

pytestmark = pytest.mark.integration


def test_checkouts_become_the_skus_history_and_its_sold_out_state(
    stack: Any, http: Any, eventually: Callable[..., Any], long_payment_timeout: None
) -> None:
    admin = stack.mint_token("it-admin", ["admin"])
    sku_id = f"IT-{uuid.uuid4().hex[:10].upper()}"
    body = {
        "storeId": "demo",
        "name": "Stock history item",
        "skus": [
            {
                "skuId": sku_id,
                "name": "One size",
                "price": {"amount": 1999, "currency": "CNY"},
                "stock": 2,
                "warehouseId": "WH-SH",
                "weightGrams": 100,
                "lowStockThreshold": 1,
            }
        ],
    }
    assert http.post("/products", token=admin, json=body).status == 201
    shopper = stack.mint_token(f"it-stock-{uuid.uuid4().hex[:6]}", ["customer"])
    orders = []
    for _ in range(2):
        placed = http.post(
            "/orders",
            token=shopper,
            headers={"Idempotency-Key": str(uuid.uuid4())},
            json={"lines": [{"skuId": sku_id, "quantity": 1}], "shippingAddress": ADDRESS},
        )
        assert placed.status == 201, placed.text
        orders.append(placed.json()["orderId"])

    def moves() -> list[dict[str, Any]] | None:
        page = http.get(f"/skus/{sku_id}/stock-movements", token=admin).json()
        return page["items"] if len(page["items"]) >= 3 else None

    newest, older, opening = eventually(moves, timeout=60)
    assert [m["kind"] for m in (newest, older, opening)] == ["reservation", "reservation", "opening"]
    assert {newest["ref"]["orderId"], older["ref"]["orderId"]} == set(orders)
    assert newest["after"]["available"] == 0 and newest["changes"] == {"available": -1, "reserved": 1}
    sku = http.get(f"/skus/{sku_id}").json()
    assert (sku["stockState"], sku["lowStockThreshold"]) == ("sold_out", 1)
    rows = stack.boto3_client("dynamodb").query(
        TableName=stack.resources["Table"],
        KeyConditionExpression="PK = :pk AND begins_with(SK, :sk)",
        ExpressionAttributeValues={":pk": {"S": f"SKU#{sku_id}"}, ":sk": {"S": "OUTBOX#"}},
    )["Items"]
    assert sorted(r["detailType"]["S"] for r in rows) == ["LowStock", "SkuSoldOut"]
