"""Catalog function under moto: stores, products, SKUs and stock adjustments."""

from __future__ import annotations

from typing import Any

import pytest

from tests.handlers.conftest import ADMIN, CUSTOMER, DEMO_STORE, Api
from tests.helpers.problems import assert_problem
from tests.helpers.table import stock_of, table_snapshot

PRODUCT = "PATCH /products/{productId}"


def sku(sku_id: str | None = "S1", **extra: Any) -> dict[str, Any]:
    body = {"name": "S", "price": {"amount": 100, "currency": "CNY"}, "stock": 5, "warehouseId": "WH", "weightGrams": 1}
    if sku_id:
        body["skuId"] = sku_id
    return {**body, **extra}


def test_public_reads_show_product_skus_and_availability(seeded: dict[str, Any], catalog_api: Api) -> None:
    pid = seeded["productId"]
    status, headers, product = catalog_api("GET", f"/products/{pid}", route="GET /products/{productId}")
    assert status == 200
    assert headers["ETag"] == '"1"'
    assert {s["skuId"]: s["available"] for s in product["skus"]} == {"TEE-M": 10, "MUG": 3}
    status, _, one = catalog_api("GET", "/skus/MUG", route="GET /skus/{skuId}")
    assert one["price"] == {"amount": 2550, "currency": "CNY"}
    assert_problem(*catalog_api("GET", "/skus/NOPE", route="GET /skus/{skuId}"), 404, "not-found")
    assert_problem(*catalog_api("GET", "/products/NOPE", route="GET /products/{productId}"), 404, "not-found")


def test_only_admin_writes_the_catalog(seeded: dict[str, Any], catalog_api: Api) -> None:
    before = table_snapshot()
    got = catalog_api("POST", "/products", **CUSTOMER, body={"storeId": "demo", "name": "X", "skus": [sku()]})
    assert_problem(*got, 403, "forbidden")
    assert_problem(*catalog_api("PUT", "/stores/demo", **CUSTOMER, body=DEMO_STORE), 403, "forbidden")
    got = catalog_api("POST", "/skus/MUG/stock-adjustments", **CUSTOMER, body={"delta": 5, "reason": "restock"})
    assert_problem(*got, 403, "forbidden")
    assert table_snapshot() == before


def test_product_creation_rejects_bad_stores_and_duplicate_skus(seeded: dict[str, Any], catalog_api: Api) -> None:
    before = table_snapshot()
    got = catalog_api("POST", "/products", **ADMIN, body={"storeId": "nowhere", "name": "X", "skus": [sku()]})
    assert_problem(*got, 422, "validation-failed")
    usd = sku(price={"amount": 100, "currency": "USD"})
    assert_problem(
        *catalog_api("POST", "/products", **ADMIN, body={"storeId": "demo", "name": "X", "skus": [usd]}),
        422,
        "validation-failed",
    )
    got = catalog_api("POST", "/products", **ADMIN, body={"storeId": "demo", "name": "X", "skus": [sku("MUG")]})
    assert_problem(*got, 409, "conflict")
    assert got[2]["skuIds"] == ["MUG"]
    got = catalog_api("POST", "/products", **ADMIN, body={"storeId": "demo", "name": "X", "skus": [sku(stock=-1)]})
    assert_problem(*got, 422, "validation-failed")
    got = catalog_api(
        "POST",
        "/products",
        **ADMIN,
        body={"storeId": "demo", "name": "X", "skus": [sku(price={"amount": 1.5, "currency": "CNY"})]},
    )
    assert_problem(*got, 422, "validation-failed")
    assert table_snapshot() == before


def test_update_product_with_if_match(seeded: dict[str, Any], catalog_api: Api) -> None:
    path = f"/products/{seeded['productId']}"
    got = catalog_api("PATCH", path, route=PRODUCT, **ADMIN, headers={"If-Match": '"7"'}, body={"name": "New"})
    assert_problem(*got, 412, "precondition-failed")
    status, headers, product = catalog_api(
        "PATCH", path, route=PRODUCT, **ADMIN, headers={"If-Match": '"1"'}, body={"name": "New", "status": "INACTIVE"}
    )
    assert status == 200
    assert (product["name"], product["status"], product["version"], headers["ETag"]) == ("New", "INACTIVE", 2, '"2"')
    assert_problem(
        *catalog_api("PATCH", path, route=PRODUCT, **ADMIN, body={"status": "GONE"}), 422, "validation-failed"
    )
    assert_problem(
        *catalog_api("PATCH", "/products/NOPE", route=PRODUCT, **ADMIN, body={"name": "x"}), 404, "not-found"
    )


def test_sku_price_change_keeps_currency_and_inactive_skus_cannot_be_bought(
    seeded: dict[str, Any], catalog_api: Api, orders_api: Api
) -> None:
    route = "PATCH /skus/{skuId}"
    got = catalog_api("PATCH", "/skus/MUG", route=route, **ADMIN, body={"price": {"amount": 100, "currency": "USD"}})
    assert_problem(*got, 422, "validation-failed")
    status, _, updated = catalog_api(
        "PATCH", "/skus/MUG", route=route, **ADMIN, body={"price": {"amount": 3000, "currency": "CNY"}}
    )
    assert status == 200 and updated["price"]["amount"] == 3000
    _, _, quote = orders_api("POST", "/orders/quote", **CUSTOMER, body={"lines": [{"skuId": "MUG", "quantity": 1}]})
    assert quote["breakdown"]["subtotal"]["amount"] == 3000
    catalog_api("PATCH", "/skus/MUG", route=route, **ADMIN, body={"status": "INACTIVE"})
    got = orders_api("POST", "/orders/quote", **CUSTOMER, body={"lines": [{"skuId": "MUG", "quantity": 1}]})
    assert_problem(*got, 422, "validation-failed")


@pytest.mark.parametrize(
    ("body", "status", "slug"),
    [
        ({"delta": 0, "reason": "restock"}, 422, "validation-failed"),
        ({"delta": -1, "reason": "restock"}, 422, "validation-failed"),
        ({"delta": -11, "reason": "stocktake_correction"}, 409, "conflict"),
        ({"delta": 5, "reason": "gift"}, 422, "validation-failed"),
        ({"delta": 5}, 422, "validation-failed"),
    ],
)
def test_bad_stock_adjustments_change_nothing(
    seeded: dict[str, Any], catalog_api: Api, body: Any, status: int, slug: str
) -> None:
    before = table_snapshot()
    got = catalog_api(
        "POST", "/skus/TEE-M/stock-adjustments", route="POST /skus/{skuId}/stock-adjustments", **ADMIN, body=body
    )
    assert_problem(*got, status, slug)
    assert table_snapshot() == before


def test_stock_adjustments_keep_conservation(seeded: dict[str, Any], catalog_api: Api) -> None:
    route = "POST /skus/{skuId}/stock-adjustments"
    status, _, result = catalog_api(
        "POST",
        "/skus/TEE-M/stock-adjustments",
        route=route,
        **ADMIN,
        body={"delta": 5, "reason": "restock", "note": "PO-1"},
    )
    assert status == 201
    assert result["stock"] == {"available": 15, "reserved": 0, "sold": 0, "received": 15, "adjusted": 0, "damaged": 0}
    catalog_api(
        "POST",
        "/skus/TEE-M/stock-adjustments",
        route=route,
        **ADMIN,
        body={"delta": -2, "reason": "stocktake_correction"},
    )
    level = stock_of("TEE-M")
    assert level == {"available": 13, "reserved": 0, "sold": 0, "received": 15, "adjusted": -2}
    assert level["available"] + level["reserved"] + level["sold"] == level["received"] + level["adjusted"]


def test_store_upsert_and_if_match(aws: None, catalog_api: Api) -> None:
    route = "PUT /stores/{storeId}"
    assert catalog_api("PUT", "/stores/s1", route=route, **ADMIN, body=DEMO_STORE)[0] == 201
    status, headers, store = catalog_api(
        "PUT", "/stores/s1", route=route, **ADMIN, headers={"If-Match": '"1"'}, body={**DEMO_STORE, "name": "Renamed"}
    )
    assert (status, store["name"], headers["ETag"]) == (200, "Renamed", '"2"')
    assert_problem(
        *catalog_api("PUT", "/stores/s1", route=route, **ADMIN, headers={"If-Match": '"1"'}, body=DEMO_STORE),
        412,
        "precondition-failed",
    )
    bad = {**DEMO_STORE, "shippingFee": {"amount": 100, "currency": "USD"}}
    assert_problem(*catalog_api("PUT", "/stores/s1", route=route, **ADMIN, body=bad), 422, "validation-failed")
    status, _, got = catalog_api("GET", "/stores/s1", route="GET /stores/{storeId}")
    assert got["name"] == "Renamed"


def test_list_products_by_store_pages(seeded: dict[str, Any], catalog_api: Api) -> None:
    for n in range(3):
        catalog_api("POST", "/products", **ADMIN, body={"storeId": "demo", "name": f"P{n}", "skus": [sku(f"P{n}")]})
    seen: list[str] = []
    cursor = None
    while True:
        query = {"store": "demo", "limit": "2", **({"cursor": cursor} if cursor else {})}
        status, _, page = catalog_api("GET", "/products", query=query)
        assert status == 200
        seen += [p["name"] for p in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == ["P0", "P1", "P2", "Tee"]
    assert_problem(*catalog_api("GET", "/products"), 422, "validation-failed")
