"""Stock conservation (issue 14 item 6), as a property over random sequences of what moves stock, through
the handlers under moto: checkouts (some paid at checkout from the stored balance), payments by a provider's
callback, cancels, returns (inspected as partly restockable, partly damaged) and adjustments. After every
step the SKU's counters keep `oms.domain.catalog.StockLevel`'s invariant (available + reserved + sold +
damaged == received + adjusted, none negative), every movement row's counters after it keep it too, and the
movement rows' changes (from the table's stream) sum to the counters: the history explains every unit."""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

import boto3
import pytest
from boto3.dynamodb.conditions import Key
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from oms.domain.catalog import StockLevel
from oms.services.stock_movements import UNRECORDED_BY

from tests.helpers.cases import Flow, deliver, move, open_case, wait
from tests.helpers.handlers import ADDRESS, ADMIN, CUSTOMER, SUPPORT, LambdaContext, TableStream, load_function
from tests.helpers.pricing import cny
from tests.helpers.world import WAREHOUSE, Call, World, carrier_callback, checkout_call, payment_callback

COUNTERS = ("available", "reserved", "sold", "damaged", "received", "adjusted")

Step = tuple[Any, ...]
STEPS = st.one_of(
    st.tuples(st.just("checkout"), st.integers(1, 3), st.booleans()),
    st.tuples(st.just("pay"), st.integers(0, 5)),
    st.tuples(st.just("cancel"), st.integers(0, 5)),
    st.tuples(st.just("return"), st.integers(0, 5), st.integers(0, 3)),
    st.tuples(st.just("adjust"), st.integers(-4, 6).filter(bool)),
)


def _table() -> Any:
    return boto3.resource("dynamodb").Table("oms-local-oms")


def _counters(sku_id: str) -> dict[str, int]:
    item = _table().get_item(Key={"PK": f"SKU#{sku_id}", "SK": "STOCK"}, ConsistentRead=True)["Item"]
    return {name: int(item.get(name, 0)) for name in COUNTERS}


def _level(counters: dict[str, int]) -> StockLevel:
    return StockLevel(**counters)


def _movements(sku_id: str) -> list[dict[str, Any]]:
    query = Key("PK").eq(f"SKU#{sku_id}") & Key("SK").begins_with("MOVE#")
    return list(_table().query(KeyConditionExpression=query, ConsistentRead=True)["Items"])


class Shop:
    """One SKU of its own per example, and the orders placed of it."""

    def __init__(self, world: World, after_commit: ModuleType, stream: TableStream, sku_id: str) -> None:
        self.world, self.after_commit, self.stream, self.sku_id = world, after_commit, stream, sku_id
        self.orders: list[dict[str, Any]] = []

    def _order(self, index: int, *statuses: str) -> dict[str, Any] | None:
        wanted = [o for o in self.orders if o["status"] in statuses]
        return wanted[index % len(wanted)] if wanted else None

    def run(self, step: Step) -> None:
        w, kind = self.world, step[0]
        if kind == "checkout":
            body: dict[str, Any] = {
                "lines": [{"skuId": self.sku_id, "quantity": step[1]}],
                "shippingAddress": ADDRESS,
                **({"balance": "max"} if step[2] else {}),
            }
            answer = w.call("POST /orders", checkout_call(body, w.key("order")))
            assert answer.status in (201, 409), answer.body  # 409: not enough stock (never oversold)
            if answer.status == 201:
                self.orders.append(answer.body)
        elif kind == "pay":
            order = self._order(step[1], "PENDING_PAYMENT")
            if order is not None:
                attempt = w.attempt(order, "alipay")
                callback = w.sandbox.pay("alipay", attempt["paymentId"], amount=attempt["amount"]["amount"])
                assert payment_callback(w.functions["payment_callbacks"], "alipay", callback)["statusCode"] == 200
                order["status"] = "PAID"
        elif kind == "cancel":
            order = self._order(step[1], "PENDING_PAYMENT", "PAID")
            if order is not None:
                path = f"/orders/{order['orderId']}/cancel"
                answer = w.call("POST /orders/{orderId}/cancel", Call(path, SUPPORT, {"reason": "dup"}))
                assert answer.status in (200, 409), answer.body
                if answer.status == 200:
                    order["status"] = "CANCELLED"
        elif kind == "return":
            order = self._order(step[1], "PAID")
            if order is not None:
                self._return(order, restockable=min(step[2], order["lines"][0]["quantity"]))
        else:
            body = {"delta": step[1], "reason": "restock" if step[1] > 0 else "stocktake_correction"}
            answer = w.call(
                "POST /skus/{skuId}/stock-adjustments", Call(f"/skus/{self.sku_id}/stock-adjustments", ADMIN, body)
            )
            assert answer.status in (201, 409), answer.body  # 409: it would take available below zero

    def _return(self, order: dict[str, Any], restockable: int) -> None:
        w, quantity = self.world, order["lines"][0]["quantity"]
        child = deliver(w, order)
        case_id = open_case(w, order, child, "return_refund", [(1, quantity)], reason="size_or_fit").body["caseId"]
        assert move(w, case_id, "approve", SUPPORT).status == 200
        wait(w, case_id, "return_shipment")
        tracking = w.tracking()
        move(w, case_id, "return-shipment", CUSTOMER, {"carrier": "sf", "trackingNumber": tracking})
        assert (
            carrier_callback(w.functions["carrier_callbacks"], tracking, "DELIVERED", "r" + tracking)["statusCode"]
            == 204
        )
        verdict = {"lineNo": 1, "restockable": restockable, "damaged": quantity - restockable}
        assert move(w, case_id, "inspect", WAREHOUSE, {"lines": [verdict]}).status == 200
        order["status"] = "RETURNED"

    def check(self) -> None:
        now = _counters(self.sku_id)
        assert _level(now).conserved, now
        records = self.stream.new_records(only="Stock")
        if records:
            assert self.after_commit.handler({"Records": records}, LambdaContext()) == {"batchItemFailures": []}
        items = _movements(self.sku_id)
        assert {r["by"] for r in items}.isdisjoint({UNRECORDED_BY}), "a counter update that did not record its move"
        rows = [(json.loads(r["changes"]), json.loads(r["after"])) for r in items]
        for changes, after in rows:
            assert changes and _level({name: int(after.get(name, 0)) for name in COUNTERS}).conserved, after
        summed = {name: sum(int(changes.get(name, 0)) for changes, _ in rows) for name in COUNTERS}
        assert summed == now, (summed, now)


@pytest.fixture
def after_commit(world: World) -> ModuleType:
    return load_function("after_commit")


@settings(
    max_examples=5,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],  # a failure is reported as found: shrinking through handlers is slow
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
@given(stock=st.integers(0, 8), steps=st.lists(STEPS, min_size=1, max_size=8))
# Every kind of step at least once, whatever the random examples draw: reserve, pay by callback, pay at checkout,
# a return inspected as one restockable and one damaged unit, cancels of a paid and an unpaid order, a restock.
@example(
    stock=8,
    steps=[
        ("checkout", 2, False),
        ("pay", 0),
        ("checkout", 2, True),
        ("return", 0, 1),
        ("cancel", 0),
        ("adjust", 3),
        ("checkout", 1, False),
        ("cancel", 0),
        ("checkout", 9, False),
    ],
)
def test_every_movement_keeps_stock_conserved_and_the_history_sums_to_the_counters(
    world: World, flow: Flow, after_commit: ModuleType, stock: int, steps: list[Step]
) -> None:
    sku_id = world.key("PROP")  # a SKU of its own per example: examples share the test's table
    stream = TableStream("AfterCommitFunction")  # from the shard's start: its opening row is delivered too
    world.ok(
        "POST /products/{productId}/skus",
        Call(
            f"/products/{world.product_id}/skus",
            ADMIN,
            {
                "skuId": sku_id,
                "name": sku_id,
                "price": cny(12000),
                "stock": stock,
                "warehouseId": "WH1",
                "weightGrams": 1,
            },
            status=201,
        ),
    )
    shop = Shop(world, after_commit, stream, sku_id)
    shop.check()
    for step in steps:
        shop.run(step)
        shop.check()
