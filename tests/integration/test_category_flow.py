"""A store's category tree through the local stack over HTTP: build it, file products, list a category with its
descendants' products, price a leaf's SKU under a promotion on its root, move the subtree and delete a category
with its products reassigned (both re-filed by the after-commit function from the table's stream)."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from local.stack import LocalStack
from tests.helpers.flows import admin, shopper

pytestmark = pytest.mark.integration

CNY = "CNY"


def _category(http: Any, token: str, store: str, name: str, parent: str | None = None) -> dict[str, Any]:
    body = {"name": name, **({"parentId": parent} if parent else {})}
    made = http.post(f"/stores/{store}/categories", token=token, json=body)
    assert made.status == 201, made.text
    return dict(made.json())


def _product(http: Any, token: str, store: str, name: str, category_id: str) -> str:
    sku = {
        "skuId": f"IT-CAT-{uuid.uuid4().hex[:10].upper()}",
        "name": name,
        "price": {"amount": 10000, "currency": CNY},
        "stock": 10,
        "warehouseId": "WH1",
        "weightGrams": 100,
    }
    made = http.post(
        "/products", token=token, json={"storeId": store, "name": name, "categoryId": category_id, "skus": [sku]}
    )
    assert made.status == 201, made.text
    return str(sku["skuId"])


def _names(http: Any, store: str, category_id: str) -> list[str]:
    page = http.get("/products", params={"store": store, "category": category_id})
    assert page.status == 200, page.text
    return sorted(p["name"] for p in page.json()["items"])


def test_a_category_tree_files_lists_prices_moves_and_reassigns(stack: LocalStack, http: Any, eventually: Any) -> None:
    token = admin(stack)
    store = f"it-cat-{uuid.uuid4().hex[:8]}"
    put = http.put(
        f"/stores/{store}",
        token=token,
        json={"name": "Tea house", "currency": CNY, "shippingFee": {"amount": 0, "currency": CNY}},
    )
    assert put.status == 201, put.text
    tea = _category(http, token, store, "茶")
    green = _category(http, token, store, "绿茶", tea["categoryId"])
    longjing = _category(http, token, store, "龙井", green["categoryId"])
    gifts = _category(http, token, store, "礼品")
    leaf_sku = _product(http, token, store, "West Lake Longjing", longjing["categoryId"])
    _product(http, token, store, "Green sampler", green["categoryId"])
    _product(http, token, store, "Tea towel", tea["categoryId"])

    tree = http.get(f"/stores/{store}/categories").json()["categories"]  # public: no token
    assert [n["name"] for n in tree] == ["礼品", "茶"] or [n["name"] for n in tree] == ["茶", "礼品"]
    assert _names(http, store, tea["categoryId"]) == ["Green sampler", "Tea towel", "West Lake Longjing"]
    assert _names(http, store, green["categoryId"]) == ["Green sampler", "West Lake Longjing"]

    # a promotion on the root category covers the leaf's SKU
    promotion = {
        "kind": "percent_off",
        "name": "10% off tea",
        "rule": {"bps": 1000},
        "scope": {"storeId": store, "categoryIds": [tea["categoryId"]]},
        "window": {"startsAt": "2026-01-01T00:00:00Z"},
    }
    made = http.post("/promotions", token=token, json=promotion)
    assert made.status == 201, made.text
    quote = http.post("/orders/quote", token=shopper(stack), json={"lines": [{"skuId": leaf_sku, "quantity": 1}]})
    assert quote.status == 200, quote.text
    assert quote.json()["breakdown"]["total"] == {"amount": 9000, "currency": CNY}

    # move 绿茶 (with 龙井) under 礼品: the tree at once, the products just after the commit
    moved = http.patch(
        f"/stores/{store}/categories/{green['categoryId']}",
        token=token,
        json={"parentId": gifts["categoryId"]},
        headers={"If-Match": '"1"'},
    )
    assert moved.status == 200, moved.text
    assert moved.json()["path"] == f"/{gifts['categoryId']}/{green['categoryId']}/"
    assert eventually(lambda: _names(http, store, gifts["categoryId"]) == ["Green sampler", "West Lake Longjing"])
    assert _names(http, store, tea["categoryId"]) == ["Tea towel"]
    repriced = http.post("/orders/quote", token=shopper(stack), json={"lines": [{"skuId": leaf_sku, "quantity": 1}]})
    assert repriced.json()["breakdown"]["total"] == {"amount": 10000, "currency": CNY}  # no longer under 茶

    # into its own subtree: refused; 龙井 deleted with its product reassigned to 茶
    refused = http.patch(
        f"/stores/{store}/categories/{gifts['categoryId']}", token=token, json={"parentId": longjing["categoryId"]}
    )
    assert refused.status == 409 and refused.json()["type"] == "urn:oms:problem:category-rule", refused.text
    not_empty = http.delete(f"/stores/{store}/categories/{longjing['categoryId']}", token=token)
    assert not_empty.status == 409 and not_empty.json()["type"] == "urn:oms:problem:category-not-empty"
    gone = http.delete(
        f"/stores/{store}/categories/{longjing['categoryId']}", token=token, json={"reassignTo": tea["categoryId"]}
    )
    assert gone.status == 200, gone.text
    assert eventually(lambda: _names(http, store, tea["categoryId"]) == ["Tea towel", "West Lake Longjing"])
    assert eventually(lambda: http.get(f"/stores/{store}/categories/{longjing['categoryId']}").status == 404 or None)


def test_racing_opposite_moves_never_make_a_cycle(stack: LocalStack, http: Any) -> None:
    """A under B and B under A at the same moment, again and again: at most one wins each time, and the tree
    stays a tree (every category reachable from a root, each path its ancestors' ids)."""
    token = admin(stack)
    store = f"it-race-{uuid.uuid4().hex[:8]}"
    put = http.put(
        f"/stores/{store}",
        token=token,
        json={"name": "Race", "currency": CNY, "shippingFee": {"amount": 0, "currency": CNY}},
    )
    assert put.status == 201, put.text
    a, b = (_category(http, token, store, name)["categoryId"] for name in ("A", "B"))
    barrier = threading.Barrier(2)

    def move(child: str, parent: str) -> int:
        barrier.wait()
        return int(http.patch(f"/stores/{store}/categories/{child}", token=token, json={"parentId": parent}).status)

    wins = 0
    for _ in range(6):
        for child in (a, b):  # back to roots first
            reset = http.patch(f"/stores/{store}/categories/{child}", token=token, json={"parentId": None})
            assert reset.status == 200, reset.text
        with ThreadPoolExecutor(2) as pool:
            statuses = list(pool.map(lambda pair: move(*pair), [(a, b), (b, a)]))
        assert statuses.count(200) <= 1, statuses
        assert all(s in (200, 409, 412) for s in statuses), statuses
        wins += statuses.count(200)
        nodes = http.get(f"/stores/{store}/categories").json()["categories"]
        seen = _walk(nodes, "/")
        assert sorted(seen) == sorted([a, b])  # both reachable: no cycle hid one
    assert wins >= 1


def _walk(level: list[dict[str, Any]], prefix: str) -> list[str]:
    """The ids of a nested tree, checking each path is its parent's plus its own id."""
    seen = []
    for n in level:
        assert n["path"] == f"{prefix}{n['categoryId']}/"
        seen += [n["categoryId"], *_walk(n["children"], n["path"])]
    return seen
