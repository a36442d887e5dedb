"""Stock history and alerts (issue 14 item 6), through the handlers under moto: every change of a SKU's
counters (checkout, payment callback, cancel, return inspection, adjustment) becomes one movement row with
who and why once the table's stream is pumped into the after-commit function; the history route pages it
newest first, filtered, store-scoped; LowStock is told once per crossing, SkuSoldOut at zero, SkuBackInStock
from zero; a redelivered record writes nothing; staff are notified of LowStock and SkuSoldOut."""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

import boto3
import pytest
from boto3.dynamodb.conditions import Key
from oms.store.stock import forget_store_defaults

from tests.helpers.bus import bus_event
from tests.helpers.cases import Flow, deliver, move, open_case, order_with, wait
from tests.helpers.handlers import (
    ADDRESS,
    ADMIN,
    CUSTOMER,
    DEMO_STORE,
    SUPPORT,
    LambdaContext,
    TableStream,
    load_function,
)
from tests.helpers.pricing import cny
from tests.helpers.world import WAREHOUSE, Call, World, carrier_callback, checkout_call

MOVES = "GET /skus/{skuId}/stock-movements"
MERCHANT = {"sub": "merchant-1", "roles": ("merchant",), "stores": ("demo",)}
OTHER_MERCHANT = {"sub": "merchant-2", "roles": ("merchant",), "stores": ("elsewhere",)}
COUNTERS = ("available", "reserved", "sold", "damaged", "received", "adjusted")


@pytest.fixture
def after_commit(world: World) -> ModuleType:
    return load_function("after_commit")


class Pump:
    """The table's stream as the after-commit function's stock filter sees it, delivered on demand."""

    def __init__(self, after_commit: ModuleType) -> None:
        self.after_commit = after_commit
        self.stream = TableStream("AfterCommitFunction")
        self.delivered: list[dict[str, Any]] = []

    def __call__(self) -> list[dict[str, Any]]:
        records = self.stream.new_records(only="Stock")
        assert self.after_commit.handler({"Records": records}, LambdaContext()) == {"batchItemFailures": []}
        self.delivered += records
        return records

    def again(self) -> None:
        """Every record delivered so far, delivered once more (a retried batch, a replayed shard)."""
        assert self.after_commit.handler({"Records": self.delivered}, LambdaContext()) == {"batchItemFailures": []}


@pytest.fixture
def pump(after_commit: ModuleType) -> Pump:
    return Pump(after_commit)


def table() -> Any:
    return boto3.resource("dynamodb").Table("oms-local-oms")


def movement_rows(sku_id: str) -> list[dict[str, Any]]:
    query = Key("PK").eq(f"SKU#{sku_id}") & Key("SK").begins_with("MOVE#")
    return list(table().query(KeyConditionExpression=query, ConsistentRead=True)["Items"])


def outbox(sku_id: str) -> list[dict[str, Any]]:
    """The SKU's stock events' outbox rows, oldest first, their detail decoded."""
    query = Key("PK").eq(f"SKU#{sku_id}") & Key("SK").begins_with("OUTBOX#")
    rows = table().query(KeyConditionExpression=query, ConsistentRead=True)["Items"]
    return [{**r, "detail": json.loads(r["detail"])} for r in sorted(rows, key=lambda r: (r["createdAt"], r["SK"]))]


def stock_events(sku_id: str) -> list[tuple[str, int]]:
    """The SKU's stock events, oldest first: (detail type, available then)."""
    return [(str(r["detailType"]), int(r["detail"]["available"])) for r in outbox(sku_id)]


def counters(sku_id: str) -> dict[str, int]:
    item = table().get_item(Key={"PK": f"SKU#{sku_id}", "SK": "STOCK"}, ConsistentRead=True)["Item"]
    return {name: int(item.get(name, 0)) for name in COUNTERS}


def history(world: World, sku_id: str, who: dict[str, Any] = ADMIN, **query: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = world.ok(
            MOVES,
            Call(f"/skus/{sku_id}/stock-movements", who, query={**query, **({"cursor": cursor} if cursor else {})}),
        )
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items


def add_sku(world: World, sku_id: str, stock: int, threshold: int | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "skuId": sku_id,
        "name": f"Tea {sku_id}",
        "price": cny(12000),
        "stock": stock,
        "warehouseId": "WH1",
        "weightGrams": 100,
    }
    if threshold is not None:
        body["lowStockThreshold"] = threshold
    return world.ok(
        "POST /products/{productId}/skus",
        Call(f"/products/{world.product_id}/skus", ADMIN, body, status=201),
    )


def buy(world: World, sku_id: str, quantity: int = 1) -> dict[str, Any]:
    body = {"lines": [{"skuId": sku_id, "quantity": quantity}], "shippingAddress": ADDRESS}
    return world.ok("POST /orders", checkout_call(body, world.key("order")))


def cancel(world: World, order: dict[str, Any]) -> None:
    world.ok("POST /orders/{orderId}/cancel", Call(f"/orders/{order['orderId']}/cancel", SUPPORT, {"reason": "dup"}))


def adjust(world: World, sku_id: str, delta: int, reason: str = "restock", note: str | None = None) -> None:
    body: dict[str, Any] = {"delta": delta, "reason": reason, **({"note": note} if note else {})}
    world.ok("POST /skus/{skuId}/stock-adjustments", Call(f"/skus/{sku_id}/stock-adjustments", ADMIN, body, status=201))


# ---------------------------------------------------------------- the history
def test_every_movement_of_an_order_its_payment_its_return_and_a_cancel_is_in_the_history_with_who_and_why(
    world: World, flow: Flow, pump: Pump
) -> None:
    order = order_with(world, 3, method="alipay")  # reserved at checkout, sold by the provider's callback
    child = deliver(world, order)
    case_id = open_case(world, order, child, "return_refund", [(1, 2)], reason="size_or_fit").body["caseId"]
    assert move(world, case_id, "approve", SUPPORT).status == 200
    wait(world, case_id, "return_shipment")
    tracking = world.tracking()
    move(world, case_id, "return-shipment", CUSTOMER, {"carrier": "sf", "trackingNumber": tracking})
    assert (
        carrier_callback(world.functions["carrier_callbacks"], tracking, "DELIVERED", "r-" + tracking)["statusCode"]
        == 204
    )
    inspected = move(world, case_id, "inspect", WAREHOUSE, {"lines": [{"lineNo": 1, "restockable": 1, "damaged": 1}]})
    assert inspected.status == 200, inspected.body
    cancelled = world.pending_order()
    cancel(world, cancelled)
    adjust(world, "TEE-M", 5, note="supplier delivery 42")
    pump()

    moves = history(world, "TEE-M")
    assert [m["kind"] for m in moves] == [
        "adjustment",
        "release",
        "reservation",
        "return",
        "sale",
        "reservation",
        "opening",
    ]
    adjustment, release, reservation, returned, sale, first, opening = moves
    assert (first["by"], first["ref"], first["changes"]) == (
        "cust-1",
        {"orderId": order["orderId"]},
        {"available": -3, "reserved": 3},
    )
    assert (sale["by"], sale["ref"], sale["changes"]) == (
        "system:provider:alipay",
        {"orderId": order["orderId"]},
        {"reserved": -3, "sold": 3},
    )
    assert (returned["by"], returned["ref"]) == ("wh-1", {"caseId": case_id, "orderId": order["orderId"]})
    assert returned["changes"] == {"sold": -2, "available": 1, "damaged": 1}
    assert (release["by"], release["ref"], release["reason"]) == (
        "support-1",
        {"orderId": cancelled["orderId"]},
        "order cancelled",
    )
    assert (reservation["ref"], release["changes"]) == (
        {"orderId": cancelled["orderId"]},
        {"available": 1, "reserved": -1},
    )
    assert (adjustment["by"], adjustment["reason"], adjustment["changes"]) == (
        "admin-1",
        "supplier delivery 42",
        {"available": 5, "received": 5},
    )
    assert opening["changes"] == {"available": 50, "received": 50}
    # The counters after each movement, and the sum of every movement's changes, are the counters now.
    now = counters("TEE-M")
    assert adjustment["after"] == now
    assert {name: sum(m["changes"].get(name, 0) for m in moves) for name in COUNTERS} == now
    assert [m["at"] for m in moves] == sorted((m["at"] for m in moves), reverse=True)

    # A redelivered stream (a retried batch) writes nothing again.
    rows = movement_rows("TEE-M")
    pump.again()
    assert movement_rows("TEE-M") == rows


def test_the_history_pages_newest_first_and_filters_by_kind_and_time(world: World, pump: Pump) -> None:
    for n in range(4):
        adjust(world, "TEE-M", n + 1)
    orders = [world.pending_order() for _ in range(2)]
    pump()
    everything = history(world, "TEE-M", limit="2")
    assert len(everything) == 7  # opening, four adjustments, two reservations
    assert [m["kind"] for m in history(world, "TEE-M", kind="reservation")] == ["reservation"] * 2
    assert {m["kind"] for m in history(world, "TEE-M", kind="adjustment,opening")} == {"adjustment", "opening"}
    middle = everything[3]["at"]
    newer = history(world, "TEE-M", **{"from": middle})
    assert [m["movementId"] for m in newer] == [m["movementId"] for m in everything[:4]]
    older = history(world, "TEE-M", to=middle)
    assert [m["movementId"] for m in older] == [m["movementId"] for m in everything if m["at"] < middle]
    assert orders[0]["orderId"] in {m["ref"].get("orderId") for m in newer}
    # Bad filters are 4xx problems, never a 500.
    for query in (
        {"kind": "theft"},
        {"from": "yesterday"},
        {"from": "2026-12-02T00:00:00Z", "to": "2026-12-01T00:00:00Z"},
    ):
        answer = world.call(MOVES, Call("/skus/TEE-M/stock-movements", ADMIN, query=query))
        assert 400 <= answer.status < 500, (query, answer.status, answer.body)


def test_the_history_is_staffs_and_merchants_see_only_their_stores_skus(world: World, pump: Pump) -> None:
    pump()
    assert history(world, "TEE-M", MERCHANT)[0]["kind"] == "opening"
    assert history(world, "TEE-M", WAREHOUSE)[0]["kind"] == "opening"
    hidden = world.call(MOVES, Call("/skus/TEE-M/stock-movements", OTHER_MERCHANT))
    missing = world.call(MOVES, Call("/skus/NO-SUCH/stock-movements", ADMIN))
    assert (hidden.status, missing.status) == (404, 404)  # no existence oracle
    assert world.call(MOVES, Call("/skus/TEE-M/stock-movements", CUSTOMER)).status == 403
    assert world.call(MOVES, Call("/skus/TEE-M/stock-movements", SUPPORT)).status == 403


# ---------------------------------------------------------------- alerts
def test_low_stock_is_told_once_per_crossing_sold_out_at_zero_and_back_in_stock_from_zero(
    world: World, pump: Pump
) -> None:
    add_sku(world, "TEA", 5, threshold=3)
    pump()
    first = buy(world, "TEA")  # 4
    pump()
    assert stock_events("TEA") == []
    second = buy(world, "TEA")  # 3: at the level
    pump()
    assert stock_events("TEA") == [("LowStock", 3)]
    buy(world, "TEA")  # 2: still low, not told again
    cancel(world, first)  # 3
    cancel(world, second)  # 4: above the level again
    pump()
    assert stock_events("TEA") == [("LowStock", 3)]
    buy(world, "TEA")  # 3: a new crossing
    pump()
    assert stock_events("TEA") == [("LowStock", 3), ("LowStock", 3)]
    adjust(world, "TEA", -3, reason="stocktake_correction", note="counted 0")  # 0: sold out, not low again
    pump()
    assert stock_events("TEA")[2:] == [("SkuSoldOut", 0)]
    adjust(world, "TEA", 2)  # 2: back in stock, still under the level (not told low: it never rose above)
    pump()
    assert stock_events("TEA")[3:] == [("SkuBackInStock", 2)]
    sku = world.ok("GET /skus/{skuId}", Call("/skus/TEA", ADMIN))
    assert (sku["stockState"], sku["lowStockThreshold"], sku["available"]) == ("low", 3, 2)

    # Redelivery publishes nothing twice: the event rows are keyed by the change they tell.
    before = stock_events("TEA")
    pump.again()
    assert stock_events("TEA") == before


def test_the_stores_default_level_applies_to_skus_without_their_own_and_a_raised_level_is_a_crossing(
    world: World, pump: Pump
) -> None:
    store = world.ok("GET /stores/{storeId}", Call("/stores/demo", ADMIN))
    world.ok(
        "PUT /stores/{storeId}",
        Call("/stores/demo", ADMIN, {**DEMO_STORE, "lowStockThreshold": 10}, {"If-Match": f'"{store["version"]}"'}),
    )
    add_sku(world, "OWN", 12, threshold=2)
    pump()
    forget_store_defaults()  # the consumer's cache (a minute per process) is the functions' shared process here
    adjust(world, "TEE-M", -40, reason="stocktake_correction")  # 50 → 10: the store's level
    buy(world, "OWN", 2)  # 10: above its own level of 2
    pump()
    assert stock_events("TEE-M") == [("LowStock", 10)]
    assert stock_events("OWN") == []
    product = world.ok("GET /products/{productId}", Call(f"/products/{world.product_id}", ADMIN))
    states = {s["skuId"]: s["stockState"] for s in product["skus"]}
    assert states == {"TEE-M": "low", "OWN": "in_stock"} and product["stockState"] == "in_stock"
    # Raising OWN's level over what is available is a crossing too; null puts it back on the store's.
    sku = world.ok("GET /skus/{skuId}", Call("/skus/OWN", ADMIN))
    patched = world.ok(
        "PATCH /skus/{skuId}",
        Call("/skus/OWN", ADMIN, {"lowStockThreshold": 15}, {"If-Match": f'"{sku["version"]}"'}),
    )
    assert (patched["lowStockThreshold"], patched["stockState"]) == (15, "low")
    pump()
    assert stock_events("OWN") == [("LowStock", 10)]
    reset = world.ok(
        "PATCH /skus/{skuId}",
        Call("/skus/OWN", ADMIN, {"lowStockThreshold": None}, {"If-Match": f'"{patched["version"]}"'}),
    )
    assert (reset["lowStockThreshold"], reset["stockState"]) == (None, "low")  # the store's 10
    assert counters("OWN")["available"] == 10 and len(movement_rows("OWN")) == 2  # no movement for a level


def test_staff_are_notified_of_low_stock_and_sold_out_in_their_language(world: World, pump: Pump) -> None:
    world.ok(
        "PUT /settings/notifications/{storeId}",
        Call("/settings/notifications/demo", ADMIN, {"staff": ["support-1"], "locale": "en"}),
    )
    add_sku(world, "TEA", 2, threshold=1)
    buy(world, "TEA")
    buy(world, "TEA")
    pump()
    consumer = load_function("notifications")
    rows = outbox("TEA")
    assert [r["detailType"] for r in rows] == ["LowStock", "SkuSoldOut"]
    for row in rows:  # as the relay publishes them and the bus rule delivers them
        event = bus_event(str(row["detailType"]), row["detail"], event_id=str(row["eventId"]))
        consumer.handler(event, LambdaContext())
        consumer.handler(event, LambdaContext())  # a duplicate delivery tells nobody twice
    inbox = world.ok("GET /me/notifications", Call("/me/notifications", SUPPORT))["items"]
    assert sorted(n["title"] for n in inbox) == ["[Alert] Low stock: Tea TEA (TEA)", "[Alert] Sold out: Tea TEA (TEA)"]
    assert world.ok("GET /me/notifications", Call("/me/notifications", CUSTOMER))["items"] == []


@pytest.mark.parametrize("kind", ["throttle", "lost-answer"])
def test_a_store_fault_fails_the_record_and_its_retry_writes_the_movement_and_the_event_once(
    world: World, after_commit: ModuleType, faults: Any, kind: str
) -> None:
    stream = TableStream("AfterCommitFunction")
    add_sku(world, "TEA", 2, threshold=1)
    buy(world, "TEA")
    records = stream.new_records(only="Stock")
    faults.inject(kind, frozenset({"PutItem"}), times=None if kind == "throttle" else 1)
    first = after_commit.handler({"Records": records}, LambdaContext())
    faults.clear()
    if kind == "throttle":  # nothing could be written: every record is reported, none is lost
        assert len(first["batchItemFailures"]) == len(records)
    # The mapping delivers the batch again (a lost answer's write did happen: the retry finds it).
    assert after_commit.handler({"Records": records}, LambdaContext()) == {"batchItemFailures": []}
    assert [r["kind"] for r in history(world, "TEA")] == ["reservation", "opening"]
    assert stock_events("TEA") == [("LowStock", 1)]
    assert len(movement_rows("TEA")) == 2
