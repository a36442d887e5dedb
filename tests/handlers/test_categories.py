"""Category tree through the catalog function under moto: tree operations and their rules, products filed in
one category, listing a category with its descendants' products, and the re-filing after a move or a delete
(the after-commit function fed from the table's stream)."""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

import boto3
import pytest

from tests.handlers.conftest import ADMIN, CUSTOMER, DEMO_STORE, Api, LambdaContext, TableStream, load_function
from tests.helpers.problems import assert_problem
from tests.helpers.table import table_snapshot

CATEGORIES = "/stores/{storeId}/categories"
CATEGORY = "/stores/{storeId}/categories/{categoryId}"
PRODUCT = "/products/{productId}"


@pytest.fixture
def api(catalog_api: Api) -> Api:
    for store in ("demo", "other"):
        status, _, _ = catalog_api("PUT", f"/stores/{store}", route="PUT /stores/{storeId}", body=DEMO_STORE, **ADMIN)
        assert status == 201
    return catalog_api


@pytest.fixture
def after_commit(api: Api) -> ModuleType:
    return load_function("after_commit")


def create(api: Api, name: str, parent: str | None = None, store: str = "demo", **extra: Any) -> dict[str, Any]:
    body = {"name": name, **({"parentId": parent} if parent else {}), **extra}
    status, headers, category = api(
        "POST", f"/stores/{store}/categories", route=f"POST {CATEGORIES}", body=body, **ADMIN
    )
    assert status == 201, category
    assert headers["ETag"] == '"1"'
    return category


def patch(api: Api, category_id: str, body: dict[str, Any], **kwargs: Any) -> tuple[int, dict[str, str], Any]:
    return api(
        "PATCH", f"/stores/demo/categories/{category_id}", route=f"PATCH {CATEGORY}", body=body, **ADMIN, **kwargs
    )


def delete(api: Api, category_id: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, str], Any]:
    return api("DELETE", f"/stores/demo/categories/{category_id}", route=f"DELETE {CATEGORY}", body=body, **ADMIN)


def product(api: Api, name: str, category_id: str | None, store: str = "demo", **extra: Any) -> tuple[int, Any]:
    sku = {
        "skuId": f"{name}-1",
        "name": name,
        "price": {"amount": 1000, "currency": "CNY"},
        "stock": 5,
        "warehouseId": "WH1",
        "weightGrams": 100,
    }
    body: dict[str, Any] = {"storeId": store, "name": name, "skus": [sku], **extra}
    if category_id:
        body["categoryId"] = category_id
    status, _, answer = api("POST", "/products", body=body, **ADMIN)
    return status, answer


def listed(api: Api, category_id: str, **query: str) -> tuple[list[str], str | None]:
    status, _, page = api(
        "GET", "/products", route="GET /products", query={"store": "demo", "category": category_id, **query}
    )
    assert status == 200, page
    return [p["name"] for p in page["items"]], page["next_cursor"]


def tree(api: Api, store: str = "demo") -> list[dict[str, Any]]:
    status, _, body = api("GET", f"/stores/{store}/categories", route=f"GET {CATEGORIES}")
    assert status == 200, body
    return list(body["categories"])


def shape(nodes: list[dict[str, Any]]) -> list[Any]:
    return [(n["name"], shape(n["children"])) if n["children"] else n["name"] for n in nodes]


def sku_item(sku_id: str) -> dict[str, Any]:
    return dict(
        boto3.resource("dynamodb").Table("oms-local-oms").get_item(Key={"PK": f"SKU#{sku_id}", "SK": "META"})["Item"]
    )


def run_after_commit(after_commit: ModuleType, stream: TableStream) -> None:
    records = stream.new_records()
    while records:
        assert after_commit.handler({"Records": records}, LambdaContext()) == {"batchItemFailures": []}
        records = stream.new_records()  # a long re-filing continues from a new outbox row


def audit_actions(category: dict[str, Any]) -> list[str]:
    items = (
        boto3.resource("dynamodb")
        .Table("oms-local-oms")
        .query(
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": f"AUDIT#CATEGORY#{category['storeId']}#{category['categoryId']}"},
        )["Items"]
    )
    return [str(i["action"]) for i in items]


# ---------------------------------------------------------------- the tree
def test_a_tree_is_built_read_publicly_nested_and_ordered(api: Api) -> None:
    tea = create(api, "Tea", sortOrder=2)
    coffee = create(api, "Coffee", sortOrder=1)
    green = create(api, "Green", tea["categoryId"])
    create(api, "Black", tea["categoryId"])
    sencha = create(api, "Sencha", green["categoryId"])
    assert sencha["path"] == f"/{tea['categoryId']}/{green['categoryId']}/{sencha['categoryId']}/"
    assert sencha["depth"] == 3 and sencha["parentId"] == green["categoryId"]
    assert shape(tree(api)) == ["Coffee", ("Tea", ["Black", ("Green", ["Sencha"])])]
    assert tree(api, "other") == []
    status, headers, one = api("GET", f"/stores/demo/categories/{tea['categoryId']}", route=f"GET {CATEGORY}")
    assert (status, headers["ETag"], one["childCount"]) == (200, '"1"', 2)
    assert coffee["sortOrder"] == 1
    assert audit_actions(tea) == ["category.create"]


def test_junk_ids_and_other_stores_are_404_or_422_and_write_nothing(api: Api) -> None:
    tea = create(api, "Tea")
    before = table_snapshot()
    for path in ("/stores/demo/categories/NOPE", f"/stores/other/categories/{tea['categoryId']}"):
        assert_problem(*api("GET", path, route=f"GET {CATEGORY}"), 404, "not-found")
    assert_problem(*api("GET", "/stores/nowhere/categories", route=f"GET {CATEGORIES}"), 404, "not-found")
    got = api("GET", "/stores/demo/categories/" + "x" * 65, route=f"GET {CATEGORY}")
    assert got[0] in (400, 404, 422)
    # a parent of another store, a missing store, a missing parent
    got = api(
        "POST",
        "/stores/other/categories",
        route=f"POST {CATEGORIES}",
        body={"name": "X", "parentId": tea["categoryId"]},
        **ADMIN,
    )
    assert_problem(*got, 422, "validation-failed")
    got = api("POST", "/stores/nowhere/categories", route=f"POST {CATEGORIES}", body={"name": "X"}, **ADMIN)
    assert_problem(*got, 422, "validation-failed")
    assert_problem(*patch(api, "NOPE", {"name": "X"}), 404, "not-found")
    assert_problem(
        *api("POST", "/stores/demo/categories", route=f"POST {CATEGORIES}", body={"name": "X", "extra": 1}, **ADMIN),
        422,
        "validation-failed",
    )
    assert_problem(*patch(api, tea["categoryId"], {"name": None}), 422, "validation-failed")
    # a product in another store's category
    status, answer = product(api, "Cup", tea["categoryId"], store="other")
    assert status == 422 and answer["type"] == "urn:oms:problem:validation-failed", answer
    assert table_snapshot() == before


def test_only_catalog_writers_change_the_tree(api: Api) -> None:
    tea = create(api, "Tea")
    before = table_snapshot()
    got = api("POST", "/stores/demo/categories", route=f"POST {CATEGORIES}", body={"name": "X"}, **CUSTOMER)
    assert_problem(*got, 403, "forbidden")
    got = api(
        "PATCH",
        f"/stores/demo/categories/{tea['categoryId']}",
        route=f"PATCH {CATEGORY}",
        body={"name": "X"},
        **CUSTOMER,
    )
    assert_problem(*got, 403, "forbidden")
    got = api("DELETE", f"/stores/demo/categories/{tea['categoryId']}", route=f"DELETE {CATEGORY}", **CUSTOMER)
    assert_problem(*got, 403, "forbidden")
    assert table_snapshot() == before


def test_rename_and_reorder_with_if_match(api: Api) -> None:
    tea = create(api, "Tea")
    assert_problem(
        *patch(api, tea["categoryId"], {"name": "Teas"}, headers={"If-Match": '"7"'}), 412, "precondition-failed"
    )
    status, headers, renamed = patch(
        api, tea["categoryId"], {"name": "Teas", "sortOrder": 5}, headers={"If-Match": '"1"'}
    )
    assert (status, headers["ETag"], renamed["name"], renamed["sortOrder"]) == (200, '"2"', "Teas", 5)
    assert_problem(
        *patch(api, tea["categoryId"], {"name": "Again"}, headers={"If-Match": '"1"'}), 412, "precondition-failed"
    )
    assert audit_actions(tea) == ["category.create", "category.update"]


def test_a_category_never_moves_into_its_own_subtree(api: Api) -> None:
    tea = create(api, "Tea")
    green = create(api, "Green", tea["categoryId"])
    sencha = create(api, "Sencha", green["categoryId"])
    before = table_snapshot()
    for target in (tea, green, sencha):
        got = patch(api, tea["categoryId"], {"parentId": target["categoryId"]})
        assert_problem(*got, 409, "category-rule")
        assert got[2]["rule"] == "own-subtree"
    assert table_snapshot() == before


def test_the_tree_limits_depth_and_children(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    from oms.domain import categories

    parent = None
    for level in range(categories.MAX_DEPTH):
        parent = create(api, f"L{level}", parent["categoryId"] if parent else None)
    assert parent is not None and parent["depth"] == categories.MAX_DEPTH
    got = api(
        "POST",
        "/stores/demo/categories",
        route=f"POST {CATEGORIES}",
        body={"name": "deep", "parentId": parent["categoryId"]},
        **ADMIN,
    )
    assert_problem(*got, 409, "category-rule")
    assert got[2]["rule"] == "max-depth"
    # moving a two-level subtree under the deepest-but-one level would pass the depth too
    other = create(api, "Other")
    create(api, "Child", other["categoryId"])
    [root] = [n for n in tree(api) if n["name"] == "L0"]
    level3 = root["children"][0]["children"][0]["children"][0]
    got = patch(api, other["categoryId"], {"parentId": level3["categoryId"]})
    assert_problem(*got, 409, "category-rule")
    assert got[2]["rule"] == "max-depth"
    monkeypatch.setattr(categories, "MAX_CHILDREN", 2)
    create(api, "Child 2", other["categoryId"])
    got = api(
        "POST",
        "/stores/demo/categories",
        route=f"POST {CATEGORIES}",
        body={"name": "3", "parentId": other["categoryId"]},
        **ADMIN,
    )
    assert_problem(*got, 409, "category-rule")
    assert got[2]["rule"] == "max-children"


# ---------------------------------------------------------------- products in categories
def test_products_are_listed_with_their_descendants_products_a_page_at_a_time(api: Api) -> None:
    tea = create(api, "Tea")
    green = create(api, "Green", tea["categoryId"])
    sencha = create(api, "Sencha", green["categoryId"])
    coffee = create(api, "Coffee")
    for name, category in (("T1", tea), ("G1", green), ("S1", sencha), ("S2", sencha), ("C1", coffee)):
        status, answer = product(api, name, category["categoryId"])
        assert status == 201, answer
        assert answer["categoryId"] == category["categoryId"] and answer["categoryPath"] == category["path"]
        assert answer["skus"][0]["categoryId"] == category["categoryId"]
    names, cursor = listed(api, tea["categoryId"])
    assert sorted(names) == ["G1", "S1", "S2", "T1"] and cursor is None
    assert sorted(listed(api, green["categoryId"])[0]) == ["G1", "S1", "S2"]
    assert listed(api, coffee["categoryId"])[0] == ["C1"]
    first, cursor = listed(api, tea["categoryId"], limit="3")
    assert len(first) == 3 and cursor
    rest, end = listed(api, tea["categoryId"], limit="3", cursor=cursor)
    assert sorted(first + rest) == ["G1", "S1", "S2", "T1"] and end is None
    # a cursor of another category's listing, a category of no store
    _, coffee_cursor = listed(api, tea["categoryId"], limit="1")
    got = api(
        "GET",
        "/products",
        route="GET /products",
        query={"store": "demo", "category": coffee["categoryId"], "cursor": coffee_cursor},
    )
    assert_problem(*got, 422, "validation-failed")
    got = api("GET", "/products", route="GET /products", query={"store": "demo", "category": "NOPE"})
    assert_problem(*got, 404, "not-found")
    status, _, one = api("GET", f"/stores/demo/categories/{sencha['categoryId']}", route=f"GET {CATEGORY}")
    assert one["productCount"] == 2


def test_a_product_moves_between_categories_with_its_skus_and_counts(api: Api) -> None:
    tea = create(api, "Tea")
    coffee = create(api, "Coffee")
    _, made = product(api, "Cup", tea["categoryId"])
    path = f"/products/{made['productId']}"
    status, _, moved = api("PATCH", path, route=f"PATCH {PRODUCT}", body={"categoryId": coffee["categoryId"]}, **ADMIN)
    assert status == 200, moved
    assert (moved["categoryId"], moved["categoryPath"]) == (coffee["categoryId"], coffee["path"])
    assert sku_item("Cup-1")["categoryId"] == coffee["categoryId"]
    assert listed(api, tea["categoryId"])[0] == [] and listed(api, coffee["categoryId"])[0] == ["Cup"]
    # out of the tree: the SKU falls back to the free-text label
    status, _, out = api(
        "PATCH", path, route=f"PATCH {PRODUCT}", body={"categoryId": None, "category": "cups"}, **ADMIN
    )
    assert (status, out["categoryId"], out["categoryPath"]) == (200, None, None)
    assert sku_item("Cup-1")["categoryId"] == "cups" and "categoryPath" not in sku_item("Cup-1")
    assert listed(api, coffee["categoryId"])[0] == []
    # a SKU of a filed product follows the product
    api("PATCH", path, route=f"PATCH {PRODUCT}", body={"categoryId": tea["categoryId"]}, **ADMIN)
    got = api("PATCH", "/skus/Cup-1", route="PATCH /skus/{skuId}", body={"categoryId": "other"}, **ADMIN)
    assert_problem(*got, 422, "validation-failed")
    got = api("PATCH", path, route=f"PATCH {PRODUCT}", body={"categoryId": "NOPE"}, **ADMIN)
    assert_problem(*got, 422, "validation-failed")


# ---------------------------------------------------------------- delete and move
def test_delete_is_refused_while_not_empty_and_reassigns_products_when_asked(
    api: Api, after_commit: ModuleType
) -> None:
    stream = TableStream("AfterCommitFunction")
    tea = create(api, "Tea")
    green = create(api, "Green", tea["categoryId"])
    coffee = create(api, "Coffee")
    for n in range(3):
        product(api, f"G{n}", green["categoryId"])
    before = table_snapshot()
    got = delete(api, tea["categoryId"])
    assert_problem(*got, 409, "category-not-empty")
    got = delete(api, green["categoryId"])
    assert_problem(*got, 409, "category-not-empty")
    assert got[2]["products"] == 3
    assert_problem(*delete(api, green["categoryId"], {"reassignTo": green["categoryId"]}), 422, "validation-failed")
    assert_problem(*delete(api, green["categoryId"], {"reassignTo": "NOPE"}), 422, "validation-failed")
    assert table_snapshot() == before

    status, _, gone = delete(api, green["categoryId"], {"reassignTo": coffee["categoryId"]})
    assert status == 200, gone
    assert gone == {
        "storeId": "demo",
        "categoryId": green["categoryId"],
        "reassignTo": coffee["categoryId"],
        "reassigning": 3,
    }
    assert shape(tree(api)) == ["Coffee", "Tea"]
    run_after_commit(after_commit, stream)
    assert sorted(listed(api, coffee["categoryId"])[0]) == ["G0", "G1", "G2"]
    assert sku_item("G0-1")["categoryPath"] == coffee["path"]
    assert_problem(
        *api("GET", f"/stores/demo/categories/{green['categoryId']}", route=f"GET {CATEGORY}"), 404, "not-found"
    )
    assert (
        boto3.resource("dynamodb")
        .Table("oms-local-oms")
        .get_item(Key={"PK": "STORE#demo", "SK": f"CATEGORY#{green['categoryId']}"})
        .get("Item")
        is None
    )
    _, _, target = api("GET", f"/stores/demo/categories/{coffee['categoryId']}", route=f"GET {CATEGORY}")
    assert target["productCount"] == 3
    # now empty: Tea goes without a reassignment
    status, _, _ = delete(api, tea["categoryId"])
    assert status == 200
    assert shape(tree(api)) == ["Coffee"]
    assert audit_actions(green) == ["category.create", "category.delete"]


def test_a_move_re_files_the_subtrees_products_after_the_commit(
    api: Api, after_commit: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    from oms.services import categories

    monkeypatch.setattr(categories, "REFILE_PER_RUN", 2)  # the re-filing continues from new outbox rows
    monkeypatch.setattr(categories, "REFILE_PAGE", 2)
    stream = TableStream("AfterCommitFunction")
    tea = create(api, "Tea")
    green = create(api, "Green", tea["categoryId"])
    sencha = create(api, "Sencha", green["categoryId"])
    drinks = create(api, "Drinks")
    for name, category in (("G1", green), ("G2", green), ("S1", sencha), ("S2", sencha), ("S3", sencha), ("T1", tea)):
        product(api, name, category["categoryId"])
    status, headers, moved = patch(
        api, green["categoryId"], {"parentId": drinks["categoryId"]}, headers={"If-Match": '"1"'}
    )
    assert status == 200, moved
    assert moved["path"] == f"/{drinks['categoryId']}/{green['categoryId']}/" and headers["ETag"] == '"2"'
    assert shape(tree(api)) == [("Drinks", [("Green", ["Sencha"])]), "Tea"]
    _, _, sencha_now = api("GET", f"/stores/demo/categories/{sencha['categoryId']}", route=f"GET {CATEGORY}")
    assert sencha_now["path"] == f"/{drinks['categoryId']}/{green['categoryId']}/{sencha['categoryId']}/"
    run_after_commit(after_commit, stream)
    assert sorted(listed(api, drinks["categoryId"])[0]) == ["G1", "G2", "S1", "S2", "S3"]
    assert listed(api, tea["categoryId"])[0] == ["T1"]
    assert sku_item("S3-1")["categoryPath"] == sencha_now["path"]
    # delivered again (a retried record): nothing changes
    snapshot = table_snapshot()
    events = [i for i in snapshot if i["PK"] == "CATEGORYJOB#demo"]
    assert len(events) >= 3  # the move's row and the continuations
    from oms import wiring
    from oms.services.after_commit import CommittedEvent

    for row in events:
        wiring.services().after_commit.run(
            CommittedEvent(row["eventId"], row["detailType"], json.loads(row["detail"]), row["createdAt"])
        )
    assert [i for i in table_snapshot() if i["PK"] != "CATEGORYJOB#demo"] == [
        i for i in snapshot if i["PK"] != "CATEGORYJOB#demo"
    ]
    assert audit_actions(green) == ["category.create", "category.move"]
    # a move to the root
    status, _, root = patch(api, sencha["categoryId"], {"parentId": None})
    assert (status, root["path"], root["parentId"]) == (200, f"/{sencha['categoryId']}/", None)
    run_after_commit(after_commit, stream)
    assert sorted(listed(api, sencha["categoryId"])[0]) == ["S1", "S2", "S3"]
    assert sorted(listed(api, drinks["categoryId"])[0]) == ["G1", "G2"]


def test_a_promotion_on_a_category_covers_its_descendants(api: Api) -> None:
    from oms.domain.promotions import Scope

    tea = create(api, "Tea")
    green = create(api, "Green", tea["categoryId"])
    product(api, "G1", green["categoryId"])
    item = sku_item("G1-1")
    scope = Scope("demo", frozenset({tea["categoryId"]}))
    assert scope.covers(
        store_id="demo", sku_id="G1-1", category_id=item["categoryId"], category_path=item["categoryPath"]
    )
    assert not Scope("demo", frozenset({"coffee"})).covers(
        store_id="demo", sku_id="G1-1", category_id=item["categoryId"], category_path=item["categoryPath"]
    )


def test_a_product_filed_at_a_path_that_moved_meanwhile_is_refused_and_writes_nothing(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The category read before the product's transaction moved in between: the transaction's condition on the
    category's path refuses it (409), so no product is ever filed at a stale path."""
    from oms import wiring
    from oms.domain.catalog import NewSku
    from oms.domain.errors import Conflict
    from oms.domain.money import Money
    from oms.store.categories import Filing

    tea = create(api, "Tea")
    green = create(api, "Green", tea["categoryId"])
    stale = Filing(green["categoryId"], green["path"])
    assert patch(api, green["categoryId"], {"parentId": None})[0] == 200
    before = table_snapshot()
    catalog = wiring.services().catalog
    monkeypatch.setattr(catalog, "filing", lambda store, category: stale)  # what a request read before the move
    sku = NewSku("LATE-1", "Late", Money(100, "CNY"), 1, "WH1", 10, {})
    with pytest.raises(Conflict, match="category changed"):
        catalog.create_product(
            store_id="demo", name="Late", description=None, category=None, attributes={}, skus=[sku], category_id="x"
        )
    assert table_snapshot() == before
