"""Fulfilment through the functions (moto): splitting at checkout, shipments and their guards, carrier
callbacks (signature, replay, order), delivery and auto-confirm, interception, batch shipping."""

from __future__ import annotations

from datetime import timedelta
from types import ModuleType
from typing import Any

import boto3
from oms.domain.clock import parse_rfc3339
from oms.store import keys
from oms.store.models import BalanceAccountItem, PointsAccountItem, PricingSettingsItem
from oms_local.oms.warehouse_sandbox import SandboxWarehouse

from tests.handlers.conftest import (
    ADDRESS,
    ADMIN,
    CUSTOMER,
    OTHER_CUSTOMER,
    Api,
    LambdaContext,
    TableStream,
    due_entry_of,
    executions,
    load_function,
    outbox_rows,
)
from tests.helpers.fulfilment import (
    SHIP,
    WAREHOUSE,
    callback,
    minutes_ahead,
    paid_order,
    place,
    read,
    ship,
    sku,
    tracking_event,
)
from tests.helpers.problems import assert_problem
from tests.helpers.table import stock_of, table_snapshot

NOW = "2026-01-01T00:00:00Z"
CANCEL = "POST /orders/{orderId}/cancel"
RELEASE = "POST /orders/{orderId}/release"


# ---------------------------------------------------------------- splitting at checkout
def test_checkout_splits_by_merchant_warehouse_and_handling(catalog: None, orders_api: Api) -> None:
    order = place(orders_api, [("TEE-M", 2), ("MUG", 1), ("VASE", 1), ("LAMP", 1)], "split")
    children = order["children"]
    assert [(c["storeId"], c["warehouseId"], c["handling"]) for c in children] == [
        ("demo", "WH1", "normal"),
        ("demo", "WH1", "fragile"),
        ("north", "WH2", "normal"),
    ]
    assert [[line["skuId"] for line in c["lines"]] for c in children] == [["TEE-M", "MUG"], ["VASE"], ["LAMP"]]
    assert [c["childOrderId"] for c in children] == [f"{order['orderId']}-0{n}" for n in (1, 2, 3)]
    assert all(c["status"] == "PENDING_PAYMENT" for c in children)  # they follow the parent until paid
    assert sum(c["total"]["amount"] for c in children) == order["breakdown"]["total"]["amount"]


def test_cross_border_goods_split_under_the_customs_limit(catalog: None, orders_api: Api) -> None:
    order = place(orders_api, [("WATCH", 3), ("TEE-M", 1)], "cb")
    cross = [c for c in order["children"] if c["crossBorder"]]
    assert [[(line["skuId"], line["quantity"]) for line in c["lines"]] for c in cross] == [
        [("WATCH", 2)],
        [("WATCH", 1)],
    ]
    assert all(c["total"]["amount"] <= 500_000 for c in cross)
    assert sum(c["total"]["amount"] for c in order["children"]) == order["breakdown"]["total"]["amount"]


def test_a_single_unit_over_the_customs_limit_is_refused(catalog: None, catalog_api: Api, orders_api: Api) -> None:
    product = {"storeId": "demo", "name": "Gold", "skus": [sku("GOLD", 600_000, "WH-BONDED", crossBorder=True)]}
    assert catalog_api("POST", "/products", **ADMIN, body=product)[0] == 201
    before = table_snapshot()
    body = {"lines": [{"skuId": "GOLD", "quantity": 1}], "shippingAddress": ADDRESS}
    got = orders_api("POST", "/orders", **CUSTOMER, headers={"Idempotency-Key": "gold"}, body=body)
    assert_problem(*got, 422, "cross-border-limit-exceeded")
    assert table_snapshot() == before


# ---------------------------------------------------------------- shipments
def test_partial_then_full_shipments_move_child_and_parent(catalog: None, orders_api: Api, fulfilment: Api) -> None:
    order = paid_order(orders_api, [("TEE-M", 2), ("LAMP", 1)])
    first, second = (c["childOrderId"] for c in order["children"])
    status, _, shipment = ship(fulfilment, first, "SF0001", [(1, 1)])
    assert status == 201, shipment
    assert shipment["status"] == "SHIPPED" and shipment["lines"] == [{"lineNo": 1, "quantity": 1}]
    now = read(orders_api, order["orderId"])
    assert now["status"] == "PARTIALLY_SHIPPED"
    assert [c["status"] for c in now["children"]] == ["PARTIALLY_SHIPPED", "AWAITING_SHIPMENT"]

    before = table_snapshot()
    got = ship(fulfilment, first, "SF0002", [(1, 2)])
    assert_problem(*got, 409, "shipment-quantity-exceeded")
    assert got[2]["lines"] == [{"lineNo": 1, "requested": 2, "remaining": 1}]
    assert_problem(*ship(fulfilment, first, "SF0003", [(2, 1)]), 422, "validation-failed")  # LAMP is not in it
    assert table_snapshot() == before

    assert ship(fulfilment, first, "SF0004")[0] == 201  # the rest
    assert ship(fulfilment, second, "SF0005")[0] == 201
    now = read(orders_api, order["orderId"])
    assert now["status"] == "SHIPPED"
    assert [c["status"] for c in now["children"]] == ["SHIPPED", "SHIPPED"]
    assert [len(c["shipments"]) for c in now["children"]] == [2, 1]
    assert [h["to"] for h in now["history"]][-2:] == ["PARTIALLY_SHIPPED", "SHIPPED"]
    assert_problem(*ship(fulfilment, first, "SF0006"), 409, "conflict")  # nothing left to ship


def test_retrying_a_shipment_returns_it_and_a_tracking_number_is_one_parcels(
    catalog: None, orders_api: Api, fulfilment: Api
) -> None:
    order = paid_order(orders_api, [("TEE-M", 1), ("LAMP", 1)])
    first, second = (c["childOrderId"] for c in order["children"])
    _, _, shipment = ship(fulfilment, first, "SF1000")
    status, _, again = ship(fulfilment, first, "SF1000")
    assert status == 201 and again["shipmentId"] == shipment["shipmentId"]
    before = table_snapshot()
    assert_problem(*ship(fulfilment, second, "SF1000"), 409, "tracking-number-taken")
    assert table_snapshot() == before


def test_who_may_ship_what(catalog: None, orders_api: Api, fulfilment: Api) -> None:
    unpaid = place(orders_api, [("TEE-M", 1)], "unpaid")
    child = unpaid["children"][0]["childOrderId"]
    before = table_snapshot()
    assert_problem(*ship(fulfilment, child, "SF2000"), 409, "conflict")
    assert_problem(*ship(fulfilment, child, "SF2000", **CUSTOMER), 403, "forbidden")
    assert_problem(*ship(fulfilment, f"{unpaid['orderId']}-09", "SF2000"), 404, "not-found")
    bad = {"carrier": "SF Express", "trackingNumber": "x"}
    got = fulfilment("POST", f"/orders/{child}/shipments", route=SHIP, **WAREHOUSE, body=bad)
    assert_problem(*got, 422, "validation-failed")
    assert table_snapshot() == before


def test_batch_shipping_answers_per_item(catalog: None, orders_api: Api, fulfilment: Api) -> None:
    a = paid_order(orders_api, [("TEE-M", 1)], "a")["children"][0]["childOrderId"]
    b = paid_order(orders_api, [("MUG", 1)], "b")["children"][0]["childOrderId"]
    unpaid = place(orders_api, [("TEE-M", 1)], "c")["children"][0]["childOrderId"]
    items = [
        {"childOrderId": a, "carrier": "sf", "trackingNumber": "SF3001"},
        {"childOrderId": unpaid, "carrier": "sf", "trackingNumber": "SF3002"},
        {"childOrderId": b, "carrier": "sf", "trackingNumber": "SF3003"},
    ]
    status, _, result = fulfilment("POST", "/shipments/batch", **WAREHOUSE, body={"items": items})
    assert status == 200, result
    assert [r["status"] for r in result["results"]] == [201, 409, 201]
    assert (result["succeeded"], result["failed"]) == (2, 1)
    assert result["results"][1]["problem"]["type"] == "urn:oms:problem:conflict"


# ---------------------------------------------------------------- carrier callbacks


def test_tracking_events_apply_once_in_order_and_deliver_the_order(
    catalog: None, orders_api: Api, fulfilment: Api, carriers: ModuleType, state_machines: dict[str, str]
) -> None:
    stream = TableStream("AfterCommitFunction")
    order = paid_order(orders_api, [("TEE-M", 1), ("LAMP", 1)])
    first, second = (c["childOrderId"] for c in order["children"])
    ship(fulfilment, first, "SF4001")
    ship(fulfilment, second, "SF4002")
    t1, t2, t3 = minutes_ahead(1), minutes_ahead(3), minutes_ahead(2)
    assert callback(carriers, tracking_event("SF4001", "IN_TRANSIT", t1, "e1")) == 204
    before = table_snapshot()
    assert callback(carriers, tracking_event("SF4001", "IN_TRANSIT", t1, "e1")) == 204
    assert table_snapshot() == before  # a replay changes nothing
    assert callback(carriers, tracking_event("SF4001", "DELIVERED", t2, "e2"), tamper=True) == 401
    assert callback(carriers, tracking_event("SF4001", "DELIVERED", t2, "e2"), secret=b"x" * 20) == 401
    assert table_snapshot() == before  # forged callbacks change nothing

    assert callback(carriers, tracking_event("SF4001", "DELIVERED", t2, "e2")) == 204
    # A late "in transit" from before the delivery is kept in the timeline but moves nothing back.
    assert callback(carriers, tracking_event("SF4001", "IN_TRANSIT", t3, "e3")) == 204
    now = read(orders_api, order["orderId"])
    parcel = now["children"][0]["shipments"][0]
    assert parcel["status"] == "DELIVERED"
    assert [(e.get("eventId"), e["status"], e["applied"]) for e in parcel["tracking"]][1:] == [
        ("e1", "IN_TRANSIT", True),
        ("e3", "IN_TRANSIT", False),
        ("e2", "DELIVERED", True),
    ]
    assert [c["status"] for c in now["children"]] == ["DELIVERED", "SHIPPED"]
    assert now["status"] == "SHIPPED" and due_entry_of(order["orderId"]) is None
    assert "OrderDelivered" not in [kind for kind, _ in outbox_rows(order["orderId"])]

    assert callback(carriers, tracking_event("SF4002", "DELIVERED", minutes_ahead(4), "e4")) == 204
    now = read(orders_api, order["orderId"])
    assert now["status"] == "DELIVERED" and now["autoConfirmAt"]
    assert_auto_confirm_armed_from_the_commit(order["orderId"], now["autoConfirmAt"], stream, state_machines)
    # A parcel we do not know (yet): not acknowledged, so the carrier tries again later.
    assert callback(carriers, tracking_event("NOPE", "DELIVERED", minutes_ahead(4), "e5")) == 409


def assert_auto_confirm_armed_from_the_commit(
    order_id: str, auto_confirm_at: str, stream: TableStream, arns: dict[str, str]
) -> None:
    """A DELIVERED order's commit holds what arms its timer, and no request starts it: one OrderDelivered
    outbox row with the deadline, from which the after-commit function (fed the table's stream) starts
    `confirm-<orderId>`; and the order's entry in the deadline index, for the sweeper."""
    delivered = [detail for kind, detail in outbox_rows(order_id) if kind == "OrderDelivered"]
    assert [(d["orderId"], d["status"], d["autoConfirmAt"]) for d in delivered] == [
        (order_id, "DELIVERED", auto_confirm_at)
    ]
    entry = due_entry_of(order_id)
    assert entry is not None and entry[0].startswith("DUE#CONFIRM#")
    assert entry[1] == f"{auto_confirm_at[:-1]}.000Z#{order_id}"
    assert executions(arns["AutoConfirmStateMachine"]) == {}  # not by the request
    timers = load_function("after_commit")
    assert timers.handler({"Records": stream.new_records()}, LambdaContext()) == {"batchItemFailures": []}
    assert executions(arns["AutoConfirmStateMachine"]) == {
        f"confirm-{order_id}": {"orderId": order_id, "deadline": auto_confirm_at}
    }


# ---------------------------------------------------------------- delivery and auto-confirm
def delivered_order(orders_api: Api, fulfilment: Api, carriers: ModuleType) -> dict[str, Any]:
    PricingSettingsItem(
        *keys.POINTS_SETTINGS,
        data={
            "CNY": {
                "redeemRate": {"points": 100, "value": {"amount": 100, "currency": "CNY"}},
                "capBps": 5000,
                "earnRate": {"points": 1, "value": {"amount": 100, "currency": "CNY"}},
            }
        },
        version=1,
        updatedAt=NOW,
        updatedBy="a",
    ).save()
    order = paid_order(orders_api, [("LAMP", 1)])
    child = order["children"][0]["childOrderId"]
    ship(fulfilment, child, "SF5001")
    assert callback(carriers, tracking_event("SF5001", "DELIVERED", minutes_ahead(1), "d1")) == 204
    return read(orders_api, order["orderId"])


def run_auto_confirm(order_id: str, at: Any) -> dict[str, Any]:
    module = load_function("auto_confirm")
    module.timers.fulfilment.clock = lambda: at
    result: dict[str, Any] = module.handler({"orderId": order_id}, LambdaContext())
    return result


def test_auto_confirm_completes_a_delivered_order_at_its_deadline(
    catalog: None, orders_api: Api, fulfilment: Api, carriers: ModuleType
) -> None:
    order = delivered_order(orders_api, fulfilment, carriers)
    deadline = parse_rfc3339(order["autoConfirmAt"])
    early = run_auto_confirm(order["orderId"], deadline - timedelta(seconds=1))
    assert (early["result"], early["deadline"]) == ("not_due", order["autoConfirmAt"])
    done = run_auto_confirm(order["orderId"], deadline)
    assert (done["result"], done["status"]) == ("completed", "COMPLETED")
    now = read(orders_api, order["orderId"])
    assert now["status"] == "COMPLETED" and now["children"][0]["status"] == "COMPLETED"
    earned = order["breakdown"]["pointsEarned"]
    assert earned == 6000 // 100  # on the goods paid (60.00), not the 8.00 shipping
    assert int(PointsAccountItem.get(*keys.points_account("cust-1")).available) == earned
    assert run_auto_confirm(order["orderId"], deadline)["result"] == "skipped"  # once only


def test_auto_confirm_waits_while_an_after_sales_case_is_open(
    catalog: None, orders_api: Api, fulfilment: Api, carriers: ModuleType
) -> None:
    order = delivered_order(orders_api, fulfilment, carriers)
    boto3.resource("dynamodb").Table("oms-local-oms").update_item(
        Key={"PK": keys.order_pk(order["orderId"]), "SK": keys.ORDER_META},
        UpdateExpression="SET openCases = :one",
        ExpressionAttributeValues={":one": 1},
    )
    at = parse_rfc3339(order["autoConfirmAt"]) + timedelta(seconds=5)
    result = run_auto_confirm(order["orderId"], at)
    assert result["result"] == "not_due" and parse_rfc3339(result["deadline"]) > at
    assert read(orders_api, order["orderId"])["status"] == "DELIVERED"


def test_the_shopper_confirms_receipt_of_a_delivered_order(
    catalog: None, orders_api: Api, fulfilment: Api, carriers: ModuleType
) -> None:
    order = delivered_order(orders_api, fulfilment, carriers)
    route = "POST /orders/{orderId}/confirm-receipt"
    status, _, done = orders_api("POST", f"/orders/{order['orderId']}/confirm-receipt", route=route, **CUSTOMER)
    assert status == 200 and done["status"] == "COMPLETED"
    assert [c["status"] for c in done["children"]] == ["COMPLETED"]


# ---------------------------------------------------------------- cancel before shipment
def balance_of(customer_id: str) -> int:
    return int(BalanceAccountItem.get(keys.balance_pk(customer_id), keys.BALANCE_ACCOUNT_SK).available)


def cancel(orders_api: Api, order_id: str, **who: Any) -> Any:
    return orders_api(
        "POST", f"/orders/{order_id}/cancel", route=CANCEL, **(who or CUSTOMER), body={"reason": "changed my mind"}
    )


def test_a_child_not_yet_in_the_warehouse_is_cancelled_and_refunded_at_once(
    catalog: None, orders_api: Api, warehouse: SandboxWarehouse
) -> None:
    order = paid_order(orders_api, [("TEE-M", 1), ("LAMP", 1)])
    lamp = order["children"][1]
    before_balance, before_stock = balance_of("cust-1"), stock_of("LAMP")
    status, _, after = cancel(orders_api, lamp["childOrderId"])
    assert status == 200, after
    assert after["cancelledChildren"] == [lamp["childOrderId"]]
    assert [c["status"] for c in after["children"]] == ["AWAITING_SHIPMENT", "CANCELLED"]
    assert after["status"] == "PAID"
    assert balance_of("cust-1") == before_balance + lamp["total"]["amount"]
    assert stock_of("LAMP")["available"] == before_stock["available"] + 1
    assert stock_of("LAMP")["sold"] == before_stock["sold"] - 1
    assert warehouse.intercepted == set()  # never asked: the warehouse did not have it
    assert "not yet released" in after["history"][-1]["reason"]
    assert after["payment"]["refunded"]["amount"] == lamp["total"]["amount"]


def test_a_released_child_is_intercepted_or_the_cancel_is_refused(
    catalog: None, orders_api: Api, fulfilment: Api, warehouse: SandboxWarehouse
) -> None:
    order = paid_order(orders_api, [("TEE-M", 1), ("LAMP", 1)])
    tee, lamp = (c["childOrderId"] for c in order["children"])
    for child in (tee, lamp):
        status, _, released = fulfilment("POST", f"/orders/{child}/release", route=RELEASE, **WAREHOUSE)
        assert status == 200 and released["releasedAt"], released
    warehouse.hand_over(lamp)

    status, _, after = cancel(orders_api, tee)
    assert status == 200 and after["children"][0]["status"] == "CANCELLED"
    assert tee in warehouse.intercepted and "intercepted in the warehouse" in after["history"][-1]["reason"]

    before = read(orders_api, order["orderId"])
    got = cancel(orders_api, lamp)
    assert_problem(*got, 409, "already-shipped")
    now = read(orders_api, order["orderId"])
    assert now["children"] == before["children"] and now["status"] == before["status"]
    assert "interception failed" in now["history"][-1]["reason"]  # the refusal is on the timeline
    assert_problem(*cancel(orders_api, lamp), 409, "already-shipped")
    assert read(orders_api, order["orderId"])["history"] == now["history"]  # once, not once per retry
    assert_problem(*cancel(orders_api, tee, **OTHER_CUSTOMER), 404, "not-found")


def test_cancelling_a_whole_paid_order_cancels_every_unshipped_child(
    catalog: None, orders_api: Api, fulfilment: Api
) -> None:
    order = paid_order(orders_api, [("TEE-M", 1), ("LAMP", 1)])
    tee = order["children"][0]["childOrderId"]
    ship(fulfilment, tee, "SF6001")
    status, _, after = cancel(orders_api, order["orderId"])
    assert status == 200
    assert after["cancelledChildren"] == [order["children"][1]["childOrderId"]]
    assert after["status"] == "SHIPPED"
    # The same cancel again (a client retrying after a lost answer) answers what it did, changing nothing;
    # any other cancel finds nothing left to cancel.
    before = table_snapshot()
    status, _, again = cancel(orders_api, order["orderId"])
    assert (status, again["cancelledChildren"], again["status"]) == (200, after["cancelledChildren"], "SHIPPED")
    assert [c["childOrderId"] for c in again["notCancelled"]] == [tee]
    assert table_snapshot() == before
    assert_problem(*cancel(orders_api, order["orderId"], **ADMIN), 409, "already-shipped")

    whole = paid_order(orders_api, [("MUG", 1)], "k2")
    status, _, closed = cancel(orders_api, whole["orderId"])
    assert status == 200 and closed["status"] == "CLOSED"


# ---------------------------------------------------------------- races and retries (from review)
def test_a_release_landing_during_a_cancel_is_intercepted_not_left_in_the_warehouse(
    catalog: None, orders_module: ModuleType, orders_api: Api, fulfilment: Api, warehouse: SandboxWarehouse
) -> None:
    order = paid_order(orders_api, [("TEE-M", 1), ("LAMP", 1)])
    lamp = order["children"][1]["childOrderId"]
    service = orders_module.fulfilment
    original = service._cancel_child_once

    def release_first(*args: Any, **kwargs: Any) -> Any:
        # The warehouse's release commits between the cancel's read and its transaction.
        assert fulfilment("POST", f"/orders/{lamp}/release", route=RELEASE, **WAREHOUSE)[0] == 200
        return original(*args, **kwargs)

    service._cancel_child_once = release_first
    status, _, after = cancel(orders_api, lamp)
    assert status == 200 and after["children"][1]["status"] == "CANCELLED"
    assert lamp in warehouse.intercepted  # the cancel saw the release and stopped the parcel


def test_a_cancel_landing_during_a_release_is_taken_back_from_the_warehouse(
    catalog: None, orders_api: Api, fulfilment: Api, warehouse: SandboxWarehouse
) -> None:
    order = paid_order(orders_api, [("TEE-M", 1), ("LAMP", 1)])
    lamp = order["children"][1]["childOrderId"]
    real = warehouse.release

    def release_then_cancel(child_id: str, payload: Any) -> None:
        real(child_id, payload)
        assert cancel(orders_api, lamp)[0] == 200  # the shopper's cancel commits meanwhile

    warehouse.release = release_then_cancel  # type: ignore[method-assign]
    fulfilment("POST", f"/orders/{lamp}/release", route=RELEASE, **WAREHOUSE)
    assert read(orders_api, order["orderId"])["children"][1]["status"] == "CANCELLED"
    assert lamp in warehouse.intercepted


def test_the_warehouse_list_holds_only_paid_children(catalog: None, orders_api: Api, fulfilment: Api) -> None:
    place(orders_api, [("LAMP", 1)], "unpaid")
    paid = paid_order(orders_api, [("LAMP", 1)], "paid")
    route = "GET /warehouses/{warehouseId}/child-orders"
    status, _, page = fulfilment("GET", "/warehouses/WH2/child-orders", route=route, **WAREHOUSE)
    assert status == 200
    assert [(i["orderId"], i["status"]) for i in page["items"]] == [(paid["orderId"], "AWAITING_SHIPMENT")]
    assert_problem(*fulfilment("GET", "/warehouses/WH2/child-orders", route=route, **CUSTOMER), 403, "forbidden")


def test_cancelling_the_last_undelivered_child_arms_the_auto_confirm_timer(
    catalog: None, orders_api: Api, fulfilment: Api, carriers: ModuleType, state_machines: dict[str, str]
) -> None:
    stream = TableStream("AfterCommitFunction")
    order = paid_order(orders_api, [("TEE-M", 1), ("LAMP", 1)])
    tee, lamp = (c["childOrderId"] for c in order["children"])
    ship(fulfilment, tee, "SF7001")
    assert callback(carriers, tracking_event("SF7001", "DELIVERED", minutes_ahead(1), "x1")) == 204
    status, _, after = cancel(orders_api, lamp)
    assert status == 200 and after["status"] == "DELIVERED"
    assert_auto_confirm_armed_from_the_commit(order["orderId"], after["autoConfirmAt"], stream, state_machines)


def test_cancelling_a_cancelled_child_again_changes_nothing(catalog: None, orders_api: Api) -> None:
    order = paid_order(orders_api, [("TEE-M", 1), ("LAMP", 1)])
    lamp = order["children"][1]["childOrderId"]
    assert cancel(orders_api, lamp)[0] == 200
    before = table_snapshot()
    status, _, again = cancel(orders_api, lamp)
    assert status == 200 and again["children"][1]["status"] == "CANCELLED"
    assert table_snapshot() == before
