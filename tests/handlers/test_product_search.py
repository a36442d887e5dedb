"""Shopper product search through the catalog function (`GET /search/products`), its index kept by the
after-commit function from the committed `ProductChanged` / `OrderPaid` rows in the table's stream."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest
from oms.store import keys
from oms.store.models import Item, OutboxItem, ProductItem

from tests.handlers.conftest import ADMIN, DEMO_STORE, Api
from tests.helpers.handlers import LambdaContext, TableStream, load_function
from tests.helpers.problems import assert_problem
from tests.helpers.table import table_snapshot

ROUTE = "GET /search/products"


def sku(sku_id: str, amount: int, **attributes: str) -> dict[str, Any]:
    return {
        "skuId": sku_id,
        "name": sku_id,
        "price": {"amount": amount, "currency": "CNY"},
        "stock": 5,
        "warehouseId": "WH",
        "weightGrams": 100,
        "attributes": attributes,
    }


@dataclass
class Shop:
    catalog: Api
    after_commit: ModuleType
    stream: TableStream
    ids: dict[str, str]

    def drain(self) -> None:
        """Deliver the committed rows to the after-commit function (as the stream's event source would)."""
        records = self.stream.new_records()
        if records:
            assert self.after_commit.handler({"Records": records}, LambdaContext()) == {"batchItemFailures": []}

    def search(self, **query: str) -> list[str]:
        status, _, body = self.catalog("GET", "/search/products", route=ROUTE, query=query)
        assert status == 200, body
        return [self.name_of[item["productId"]] for item in body["items"]]

    def page(self, **query: str) -> dict[str, Any]:
        status, _, body = self.catalog("GET", "/search/products", route=ROUTE, query=query)
        assert status == 200, body
        return dict(body)

    @property
    def name_of(self) -> dict[str, str]:
        return {pid: label for label, pid in self.ids.items()}

    def file_under(self, label: str, path: str) -> None:
        """What the categories part writes (the product's category path), then its ProductChanged row."""
        pid = self.ids[label]
        ProductItem(*keys.product(pid)).update(
            [ProductItem.categoryPath.set(path), ProductItem.categoryId.set(path.strip("/").split("/")[-1])]
        )
        self.catalog.module.services.product_search.reindex(pid)


CATALOG = [
    ("dress", "女士夏季碎花连衣裙", {"颜色": "红色", "material": "Cotton"}, [("DRESS-S", 19900), ("DRESS-L", 25900)]),
    ("tee", "男士纯棉T恤 Classic Tee", {"颜色": "白色"}, [("TEE-M", 9900)]),
    ("case", "iPhone15手机壳", {"brand": "Apple"}, [("CASE-1", 4900)]),
    ("skirt", "碎花半身裙", {"颜色": "红色"}, [("SKIRT-1", 15900)]),
    ("old", "旧款连衣裙", {}, [("OLD-1", 5900)]),
]


@pytest.fixture
def shop(aws: None, state_machines: dict[str, str]) -> Iterator[Shop]:
    catalog = Api(load_function("catalog"))
    stream = TableStream("AfterCommitFunction")
    status, _, _ = catalog("PUT", "/stores/demo", route="PUT /stores/{storeId}", body=DEMO_STORE, **ADMIN)
    assert status == 201
    other = {**DEMO_STORE, "name": "Other"}
    assert catalog("PUT", "/stores/other", route="PUT /stores/{storeId}", body=other, **ADMIN)[0] == 201
    ids = {}
    for label, name, attributes, skus in CATALOG:
        store = "other" if label == "tee" else "demo"
        body = {"storeId": store, "name": name, "attributes": attributes, "skus": [sku(s, a) for s, a in skus]}
        status, _, product = catalog("POST", "/products", route="POST /products", body=body, **ADMIN)
        assert status == 201, product
        ids[label] = product["productId"]
    built = Shop(catalog, load_function("after_commit"), stream, ids)
    got = catalog(
        "PATCH", f"/products/{ids['old']}", route="PATCH /products/{productId}", body={"status": "INACTIVE"}, **ADMIN
    )
    assert got[0] == 200
    built.drain()
    built.file_under("dress", "/C1/C2/C3/")
    built.file_under("skirt", "/C1/C2/C5/")
    built.file_under("tee", "/C9/")
    yield built


def test_a_chinese_keyword_matches_without_spaces_and_one_character_too(shop: Shop) -> None:
    assert shop.search(q="连衣裙") == ["dress"]  # the INACTIVE 旧款连衣裙 is not shown
    assert set(shop.search(q="碎花")) == {"dress", "skirt"}
    assert set(shop.search(q="裙")) == {"dress", "skirt"}
    assert shop.search(q="夏季连衣裙") == ["dress"]
    assert shop.search(q="冬季连衣裙") == []
    assert shop.search(q="红色", sort="price") == ["skirt", "dress"]  # an attribute value


def test_mixed_latin_and_chinese_are_case_and_width_folded(shop: Shop) -> None:
    assert shop.search(q="IPHONE15") == ["case"]
    assert shop.search(q="iphone15 手机") == ["case"]
    assert shop.search(q="ｃｌａｓｓｉｃ") == ["tee"]  # full-width letters
    assert shop.search(q="apple") == ["case"]
    assert shop.search(q="cotton 连衣裙") == ["dress"]


def test_a_category_answers_its_descendants(shop: Shop) -> None:
    assert set(shop.search(category="C1")) == {"dress", "skirt"}
    assert shop.search(category="C3") == ["dress"]
    assert shop.search(category="C9") == ["tee"]
    assert shop.search(category="C1", q="半身") == ["skirt"]
    assert shop.search(category="nowhere") == []


def test_price_range_store_and_attributes(shop: Shop) -> None:
    assert shop.search(priceMin="5000", priceMax="16000", sort="price") == ["tee", "skirt"]
    assert shop.search(priceMin="5000", priceMax="16000", sort="newest") == ["skirt", "tee"]
    assert shop.search(store="demo", priceMax="16000", sort="price") == ["case", "skirt"]
    assert shop.search(store="other") == ["tee"]
    assert set(shop.search(attr="颜色:红色")) == {"dress", "skirt"}
    assert shop.search(attr="颜色:红色,material:COTTON") == ["dress"]
    assert shop.search(priceMin="300", priceMax="100") == []
    body = shop.page(q="连衣裙")
    [hit] = body["items"]
    assert hit["price"] == {"min": {"amount": 19900, "currency": "CNY"}, "max": {"amount": 25900, "currency": "CNY"}}
    assert hit["categoryPath"] == "/C1/C2/C3/" and hit["image"] is None and hit["storeId"] == "demo"


def test_each_sort(shop: Shop) -> None:
    assert shop.search(sort="price") == ["case", "tee", "skirt", "dress"]
    assert shop.search(sort="-price") == ["dress", "skirt", "tee", "case"]
    assert shop.search(sort="newest") == ["skirt", "case", "tee", "dress"]
    # Sales: an order paid for 3 skirts and 1 case: its committed OrderPaid row reaches the after-commit
    # function through the stream, delivered twice (at least once): counted once.
    lines = [
        {"lineNo": 1, "productId": shop.ids["skirt"], "skuId": "SKIRT-1", "quantity": 3},
        {"lineNo": 2, "productId": shop.ids["case"], "skuId": "CASE-1", "quantity": 1},
    ]
    now = "2026-12-02T03:00:00Z"
    OutboxItem(
        "ORDER#O1",
        keys.outbox_sk("EV-PAID-1"),
        eventId="EV-PAID-1",
        detailType="OrderPaid",
        detail={"orderId": "O1", "status": "PAID", "lines": lines},
        createdAt=now,
    ).save()
    records = shop.stream.new_records()
    assert [r["dynamodb"]["NewImage"]["detailType"]["S"] for r in records] == ["OrderPaid"]
    for _ in range(2):
        assert shop.after_commit.handler({"Records": records}, LambdaContext()) == {"batchItemFailures": []}
    assert shop.search(sort="sales")[:2] == ["skirt", "case"]
    assert shop.page(q="碎花", sort="sales")["items"][0]["sales"] == 3
    # Relevance: a name hit ranks above an attribute-only hit (红色 is in no name).
    shop.catalog(
        "PATCH",
        f"/products/{shop.ids['case']}",
        route="PATCH /products/{productId}",
        body={"name": "红色手机壳"},
        **ADMIN,
    )
    shop.drain()
    assert shop.search(q="红色")[0] == "case"
    assert shop.search(q="iphone15") == []  # the old name's entries are gone


def test_pages_are_stable_and_read_a_bounded_number_of_rows(shop: Shop) -> None:
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        query = {"sort": "price", "limit": "1", **({"cursor": cursor} if cursor else {})}
        body = shop.page(**query)
        seen += [shop.name_of[i["productId"]] for i in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == ["case", "tee", "skirt", "dress"]
    cursor = shop.page(sort="price", limit="1")["next_cursor"]
    other = {"sort": "newest", "cursor": cursor}  # a cursor of another listing
    assert_problem(*shop.catalog("GET", "/search/products", route=ROUTE, query=other), 422, "validation-failed")
    # A filter that rarely matches still reads at most 5 × limit rows per page, and goes on from there.
    body = shop.page(attr="brand:apple", sort="-price", limit="1")
    search = shop.catalog.module.services.product_search.engine
    assert search.last_reads <= 5
    assert body["items"] == [] or shop.name_of[body["items"][0]["productId"]] == "case"


def test_an_inactive_product_leaves_search_and_comes_back(shop: Shop) -> None:
    pid = shop.ids["dress"]
    route = "PATCH /products/{productId}"
    shop.catalog("PATCH", f"/products/{pid}", route=route, body={"status": "INACTIVE"}, **ADMIN)
    shop.drain()
    assert shop.search(q="连衣裙") == []
    assert shop.search(category="C1") == ["skirt"]
    rows = [i for i in Item.scan() if i.PK.startswith("PSEARCH#") and getattr(i, "productId", "") == pid]
    assert rows == []  # every row of it deleted (a test's look at the whole table, not a request path)
    shop.catalog("PATCH", f"/products/{pid}", route=route, body={"status": "ACTIVE"}, **ADMIN)
    shop.drain()
    assert shop.search(q="连衣裙") == ["dress"]


def test_a_sku_price_change_moves_the_product(shop: Shop) -> None:
    route = "PATCH /skus/{skuId}"
    got = shop.catalog(
        "PATCH", "/skus/CASE-1", route=route, body={"price": {"amount": 99900, "currency": "CNY"}}, **ADMIN
    )
    assert got[0] == 200, got
    shop.drain()
    assert shop.search(sort="-price")[0] == "case"
    assert shop.search(priceMax="5000") == []


JUNK: list[dict[str, str]] = [
    {"sort": "cheapest"},
    {"priceMin": "-1"},
    {"priceMin": "abc"},
    {"limit": "0"},
    {"store": "bad store!"},
    {"attr": "nocolon"},
    {"q": "!!!"},
    {"q": "x" * 101},
    {"cursor": "not-a-cursor"},
]


def test_junk_parameters_are_problems(catalog_api: Api) -> None:
    before = table_snapshot()
    for query in JUNK:
        status, headers, body = catalog_api("GET", "/search/products", route=ROUTE, query=query)
        assert status in (400, 422), (query, body)
        assert headers["Content-Type"] == "application/problem+json"
    assert table_snapshot() == before
