"""The STORES/DIRECTORY item checkout reads: each store writes only its own entry (issue 9 item 11b), and
a directory written the old way (one JSON string of every store's policy) is still read."""

from __future__ import annotations

import json
from typing import Any

import boto3

from tests.handlers.conftest import ADDRESS, ADMIN, CUSTOMER, DEMO_STORE, Api


def directory() -> dict[str, Any]:
    item = boto3.client("dynamodb").get_item(
        TableName="oms-local-oms", Key={"PK": {"S": "STORES"}, "SK": {"S": "DIRECTORY"}}, ConsistentRead=True
    )
    return dict(item["Item"])


def test_each_store_writes_its_own_entry_of_the_directory(catalog_api: Api) -> None:
    for store_id in ("demo", "b.2:x-y"):  # '.', ':' and '-' are names in the map, not paths
        status, _, _ = catalog_api(
            "PUT", f"/stores/{store_id}", route="PUT /stores/{storeId}", body=DEMO_STORE, **ADMIN
        )
        assert status == 201
    item = directory()
    assert set(item["stores"]["M"]) == {"demo", "b.2:x-y"}
    assert "policies" not in item and "version" not in item  # no whole-item JSON, no whole-item version


def test_a_directory_written_the_old_way_is_still_read_and_a_new_entry_wins(catalog_api: Api, orders_api: Api) -> None:
    legacy = {
        "old": {
            "currency": "CNY",
            "shippingFee": {"amount": 700, "currency": "CNY"},
            "freeShippingThreshold": None,
            "stockPolicy": "reserve_at_order",
        },
    }
    boto3.client("dynamodb").put_item(
        TableName="oms-local-oms",
        Item={
            "PK": {"S": "STORES"},
            "SK": {"S": "DIRECTORY"},
            "type": {"S": "StoreDirectory"},
            "policies": {"S": json.dumps(legacy)},
            "version": {"N": "3"},
        },
    )
    store = {**DEMO_STORE, "shippingFee": {"amount": 700, "currency": "CNY"}, "freeShippingThreshold": None}
    boto3.client("dynamodb").put_item(  # the store item itself, as the old code wrote it
        TableName="oms-local-oms",
        Item={
            "PK": {"S": "STORE#old"},
            "SK": {"S": "META"},
            "type": {"S": "Store"},
            "storeId": {"S": "old"},
            "name": {"S": store["name"]},
            "currency": {"S": "CNY"},
            "shippingFee": {"M": {"amount": {"N": "700"}, "currency": {"S": "CNY"}}},
            "version": {"N": "1"},
            "updatedAt": {"S": "2026-01-01T00:00:00Z"},
        },
    )
    sku = {"skuId": "OLD-1", "name": "Old", "price": {"amount": 1000, "currency": "CNY"}, "stock": 5}
    product = {"storeId": "old", "name": "Old", "skus": [{**sku, "warehouseId": "WH1", "weightGrams": 1}]}
    assert catalog_api("POST", "/products", body=product, **ADMIN)[0] == 201
    quote = {"lines": [{"skuId": "OLD-1", "quantity": 1}]}

    def shipping() -> int:
        status, _, priced = orders_api("POST", "/orders/quote", body=quote, **CUSTOMER)
        assert status == 200, priced
        return int(priced["breakdown"]["shipping"]["amount"])

    assert shipping() == 700  # from the old JSON
    new_store = {**store, "shippingFee": {"amount": 900, "currency": "CNY"}}
    status, _, _ = catalog_api(
        "PUT", "/stores/old", route="PUT /stores/{storeId}", body=new_store, headers={"If-Match": '"1"'}, **ADMIN
    )
    assert status == 200
    assert shipping() == 900  # the store's own entry wins over the old JSON
    assert json.loads(directory()["policies"]["S"]) == legacy  # never written again, only read
    checkout = {**quote, "shippingAddress": ADDRESS}
    status, _, order = orders_api("POST", "/orders", body=checkout, headers={"Idempotency-Key": "old-1"}, **CUSTOMER)
    assert (status, order["breakdown"]["shipping"]["amount"]) == (201, 900)
