"""Merchant staff are scoped to their stores (issue 13 items 1 and 10): a merchant of one store never sees
another store's order, child order, parcel, after-sales case, export rows or statistics, and a merchant
with no store claim sees nothing. Stores here: `demo` (TEE-M, WH1) and `north` (LAMP, WH2); an order of
both splits into one child order per store."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import boto3
import pytest
from oms.store import keys
from oms.store.models import ExportJobItem

from tests.handlers.conftest import ADDRESS, ADMIN, CUSTOMER, Api, load_function
from tests.helpers.cases import deliver, move, open_case, order_with
from tests.helpers.exports import Budget
from tests.helpers.fulfilment import sku
from tests.helpers.order_search import random_orders, seed_orders
from tests.helpers.problems import assert_problem
from tests.helpers.world import Call, World, checkout_call

DEMO = {"sub": "m-demo", "roles": ("merchant",), "stores": ("demo",)}
NORTH = {"sub": "m-north", "roles": ("merchant",), "stores": ("north",)}
NOWHERE = {"sub": "m-none", "roles": ("merchant",)}
GET_ORDER = "GET /orders/{orderId}"


@pytest.fixture
def shop(world: World) -> World:
    north = {"name": "North", "currency": "CNY", "shippingFee": {"amount": 800, "currency": "CNY"}}
    world.ok("PUT /stores/{storeId}", Call("/stores/north", ADMIN, north, status=201))
    lamp = {"storeId": "north", "name": "Lamp", "skus": [sku("LAMP", 6000, "WH2")]}
    world.ok("POST /products", Call("/products", ADMIN, lamp, status=201))
    return world


def both_stores(world: World) -> dict[str, Any]:
    """A paid order with a demo child (TEE-M) and a north child (LAMP)."""
    body = {
        "lines": [{"skuId": "TEE-M", "quantity": 1}, {"skuId": "LAMP", "quantity": 1}],
        "shippingAddress": ADDRESS,
        "balance": "max",
    }
    order: dict[str, Any] = world.ok("POST /orders", checkout_call(body, world.key("order")))
    assert order["status"] == "PAID" and {c["storeId"] for c in order["children"]} == {"demo", "north"}
    return order


def child_of(order: dict[str, Any], store: str) -> str:
    return str(next(c["childOrderId"] for c in order["children"] if c["storeId"] == store))


def test_a_merchant_reads_only_its_stores_part_of_an_order(shop: World) -> None:
    order = both_stores(shop)
    path = f"/orders/{order['orderId']}"
    for who, store, sku_id in ((DEMO, "demo", "TEE-M"), (NORTH, "north", "LAMP")):
        seen = shop.ok(GET_ORDER, Call(path, who))
        assert seen["storeIds"] == [store]
        assert [line["skuId"] for line in seen["lines"]] == [sku_id]
        assert [child["storeId"] for child in seen["children"]] == [store]
        assert "payment" not in seen  # the money of the whole order is not a store's
        assert (seen["pricing"], seen["reportingTotal"]) == (None, None)
        (line,) = seen["lines"]
        assert seen["breakdown"]["subtotal"] == line["lineTotal"] and seen["breakdown"]["total"] == line["payable"]
    whole = shop.ok(GET_ORDER, Call(path, CUSTOMER))
    assert len(whole["lines"]) == 2 and len(whole["children"]) == 2 and "payment" in whole


def test_another_stores_order_and_child_are_the_404_of_a_missing_one(shop: World) -> None:
    lamp = {"lines": [{"skuId": "LAMP", "quantity": 1}], "shippingAddress": ADDRESS, "balance": "max"}
    north_only = shop.ok("POST /orders", checkout_call(lamp, shop.key("order")))
    both = both_stores(shop)
    for path in (f"/orders/{north_only['orderId']}", f"/orders/{child_of(both, 'north')}"):
        hidden = shop.call(GET_ORDER, Call(path, DEMO))
        assert_problem(hidden.status, hidden.headers, hidden.body, 404, "not-found")
    assert shop.ok(GET_ORDER, Call(f"/orders/{child_of(both, 'demo')}", DEMO))["storeId"] == "demo"
    for path in (f"/orders/{both['orderId']}", f"/orders/{child_of(both, 'demo')}"):
        assert shop.call(GET_ORDER, Call(path, NOWHERE)).status == 404
    # payments and refunds (the whole order's money) are not shown to store-scoped staff
    assert shop.call("GET /orders/{orderId}/payments", Call(f"/orders/{both['orderId']}/payments", DEMO)).status == 404


def test_a_merchant_ships_only_its_stores_child_orders(shop: World) -> None:
    order = both_stores(shop)
    mine, theirs = child_of(order, "demo"), child_of(order, "north")
    parcel = {"carrier": "sf", "trackingNumber": "SF9000001"}
    refused = shop.call("POST /orders/{orderId}/shipments", Call(f"/orders/{theirs}/shipments", DEMO, parcel))
    assert refused.status == 404, refused.body
    released = shop.call("POST /orders/{orderId}/release", Call(f"/orders/{theirs}/release", DEMO))
    assert released.status == 404, released.body
    shop.ok("POST /orders/{orderId}/shipments", Call(f"/orders/{mine}/shipments", DEMO, parcel, status=201))
    batch = {
        "items": [
            {"childOrderId": theirs, "carrier": "sf", "trackingNumber": "SF9000002"},
            {"childOrderId": mine, "carrier": "sf", "trackingNumber": "SF9000001"},
        ]
    }
    result = shop.ok("POST /shipments/batch", Call("/shipments/batch", DEMO, batch))
    assert [r["status"] for r in result["results"]] == [404, 201]
    # the parcels of the order: the demo merchant sees its own, the north merchant none yet
    parcels = f"/orders/{order['orderId']}/shipments"
    assert [s["childOrderId"] for s in shop.ok("GET /orders/{orderId}/shipments", Call(parcels, DEMO))["items"]] == [
        mine
    ]
    assert shop.ok("GET /orders/{orderId}/shipments", Call(parcels, NORTH))["items"] == []
    assert shop.call("GET /orders/{orderId}/shipments", Call(parcels, NOWHERE)).status == 404
    # the warehouse lists: only the merchant's stores' child orders
    for warehouse in ("WH1", "WH2"):
        path = f"/warehouses/{warehouse}/child-orders"
        listed = {
            c["childOrderId"] for c in shop.ok("GET /warehouses/{warehouseId}/child-orders", Call(path, DEMO))["items"]
        }
        assert theirs not in listed
        assert shop.ok("GET /warehouses/{warehouseId}/child-orders", Call(path, NOWHERE))["items"] == []


def test_a_merchant_lists_reads_and_decides_only_its_stores_cases(shop: World) -> None:
    order = order_with(shop, 1)  # a demo order
    child = deliver(shop, order)
    opened = open_case(shop, order, child, "refund_only", [(1, 1)])
    assert opened.status == 201, opened.body
    case_id = opened.body["caseId"]
    listed = shop.ok("GET /after-sales", Call("/after-sales", DEMO))
    assert [c["caseId"] for c in listed["items"]] == [case_id]
    for who in (NORTH, NOWHERE):
        assert shop.ok("GET /after-sales", Call("/after-sales", who))["items"] == []
        other = shop.ok("GET /after-sales", Call("/after-sales", who, query={"storeId": "demo"}))
        assert other["items"] == []
        assert shop.call("GET /after-sales/{caseId}", Call(f"/after-sales/{case_id}", who)).status == 404
        decided = move(shop, case_id, "approve", who, {"note": "ok"})
        assert decided.status == 404, decided.body
        cases = f"/orders/{order['orderId']}/after-sales"
        assert shop.call("GET /orders/{orderId}/after-sales", Call(cases, who)).status == 404
    assert shop.ok("GET /after-sales/{caseId}", Call(f"/after-sales/{case_id}", DEMO))["caseId"] == case_id
    assert move(shop, case_id, "arbitrate", DEMO, {"decision": "approve", "note": "x"}).status == 403
    approved = move(shop, case_id, "approve", DEMO, {"note": "ok"})
    assert approved.status == 200, approved.body


def test_a_merchant_reads_only_its_stores_statistics(shop: World) -> None:
    stats = "GET /stats/sales"
    forced = shop.ok(stats, Call("/stats/sales", DEMO))
    assert forced["store"] == "demo"
    assert shop.ok(stats, Call("/stats/sales", DEMO, query={"store": "demo"}))["store"] == "demo"
    other = shop.call(stats, Call("/stats/sales", DEMO, query={"store": "north"}))
    assert_problem(other.status, other.headers, other.body, 403, "forbidden")
    none = shop.call(stats, Call("/stats/sales", NOWHERE))
    assert_problem(none.status, none.headers, none.body, 403, "forbidden")
    assert shop.ok(stats, Call("/stats/sales", ADMIN))["store"] is None  # staff: the platform


# ---------------------------------------------------------------- exports
BUCKET = "oms-exports-scope-test"


@pytest.fixture
def exports(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Api, ModuleType]]:
    monkeypatch.setenv("EXPORTS_BUCKET", BUCKET)
    boto3.client("s3").create_bucket(Bucket=BUCKET)
    yield Api(load_function("exports")), load_function("export_job")


def export_rows(api: Api, job: ModuleType, who: dict[str, Any]) -> tuple[dict[str, Any], list[list[str]]]:
    body = {"format": "csv", "fields": ["orderNumber", "total"]}
    status, _, view = api("POST", "/exports", body=body, headers={"Idempotency-Key": f"k-{who['sub']}"}, **who)
    assert status == 202, view
    while not job.services.exports.run_chunk(view["exportId"], Budget(600_000))["done"]:
        pass
    key = ExportJobItem.get(*keys.export_job(view["exportId"])).objectKey
    text = boto3.client("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read().decode("utf-8-sig")
    return view, list(csv.reader(io.StringIO(text)))[1:]


def test_a_merchants_export_holds_only_its_stores_orders(exports: tuple[Api, ModuleType]) -> None:
    api, job = exports
    orders = random_orders(random.Random(13), 30)
    seed_orders(orders)  # as checkout writes them: headers, lines (their store entries), order numbers
    for store in ("s1", "s2"):
        who = {"sub": f"merchant-{store}", "roles": ("merchant",), "stores": (store,)}
        view, rows = export_rows(api, job, who)
        assert view["filters"]["storeScope"] == [store]
        assert sorted(row[0] for row in rows) == sorted(o.order_number for o in orders if store in o.store_ids)
    view, rows = export_rows(api, job, NOWHERE)
    assert (view["filters"]["storeScope"], rows) == ([], [])
    _, everything = export_rows(api, job, ADMIN)
    assert len(everything) == len(orders)
