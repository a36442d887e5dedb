"""The order search's entries are written by the changes that make them true, through the real paths:
checkout (SKU, product, store, contact entries; no new item in its transaction), the payment that pays
the order (the paid row, with the payment method), and `GET /orders/by-number/{n}` answers the order."""

from __future__ import annotations

import random
from types import ModuleType
from typing import Any

import boto3
import pytest
from oms.store import keys
from oms.store.models import ExportJobItem

from tests.handlers.conftest import ADMIN, CUSTOMER, OTHER_CUSTOMER, SUPPORT, Api, load_function
from tests.helpers.order_search import random_orders, seed_orders
from tests.helpers.payments import notice, pay, place
from tests.helpers.problems import assert_problem
from tests.helpers.table import table_snapshot

BY_NUMBER = "GET /orders/by-number/{orderNumber}"


def rows(order_id: str) -> list[dict[str, Any]]:
    return [i for i in table_snapshot() if i.get("orderId") == order_id]


def ids(api: Api, who: dict[str, Any] = SUPPORT, **query: str) -> list[str]:
    status, _, page = api("GET", "/orders", **who, query=query)
    assert status == 200, page
    return [o["orderId"] for o in page["items"]]


def test_checkout_indexes_the_order_for_search_without_a_new_item(seeded: Any, orders_api: Api) -> None:
    order = place(orders_api)
    items = rows(order["orderId"])
    kinds = sorted(i["type"] for i in items)
    assert "OrderPaid" not in kinds  # not paid yet
    [line] = [i for i in items if i["type"] == "OrderLine"]
    sort_key = f"{order['createdAt']}#{order['orderId']}"
    assert (line["GSI1PK"], line["GSI2PK"], line["GSI3PK"]) == (
        "ORDERSKU#TEE-M",
        f"ORDERPRODUCT#{line['productId']}",
        "ORDERSTORE#demo",
    )
    assert line["GSI1SK"] == line["GSI2SK"] == line["GSI3SK"] == sort_key
    [number] = [i for i in table_snapshot() if i["type"] == "OrderNumber" and i["orderId"] == order["orderId"]]
    assert number["GSI1PK"].startswith("ORDERCONTACT#") and number["GSI1SK"] == sort_key
    assert "138" not in number["GSI1PK"]  # a keyed hash of the phone, never the phone
    assert ids(orders_api, skuId="TEE-M") == [order["orderId"]]
    assert ids(orders_api, productId=line["productId"]) == [order["orderId"]]
    assert ids(orders_api, storeId="demo") == [order["orderId"]]
    assert ids(orders_api, phone="+86 13800000000") == [order["orderId"]]
    assert ids(orders_api, phone="+86 13800000001") == []
    assert ids(orders_api, customerId=CUSTOMER["sub"]) == [order["orderId"]]


def test_the_payment_that_pays_the_order_writes_its_paid_entry(
    seeded: Any, orders_api: Api, pay_api: Api, payments_module: ModuleType
) -> None:
    order = place(orders_api)
    other = place(orders_api, key="o2")
    assert ids(orders_api, paymentMethod="alipay") == []
    _, payment = pay(pay_api, order, "alipay")
    assert payments_module.service.apply_notice(notice(payment)) == "pay_order"
    [paid] = [i for i in rows(order["orderId"]) if i["type"] == "OrderPaid"]
    assert paid["method"] == "alipay" and paid["GSI3PK"] == "ORDERPAIDBY#alipay"
    header = next(i for i in rows(order["orderId"]) if i["type"] == "Order")
    assert (header["paidAt"], header["paidWith"]) == (paid["paidAt"], "alipay")
    assert ids(orders_api, paymentMethod="alipay") == [order["orderId"]]
    assert ids(orders_api, paymentMethod="wechat") == []
    assert ids(orders_api, paidFrom=paid["paidAt"]) == [order["orderId"]]
    assert ids(orders_api, paid="today") == [order["orderId"]]
    assert ids(orders_api, status="PENDING_PAYMENT") == [other["orderId"]]
    _, _, listed = orders_api("GET", "/orders", **SUPPORT, query={"paymentMethod": "alipay"})
    [row] = listed["items"]
    assert (row["paidAt"], row["paymentMethod"]) == (paid["paidAt"], "alipay")
    _, _, unpaid = orders_api("GET", "/orders", **SUPPORT, query={"status": "PENDING_PAYMENT"})
    assert "paidAt" not in unpaid["items"][0] and "paymentMethod" not in unpaid["items"][0]


def test_an_order_covered_at_checkout_is_paid_by_balance(seeded: Any, orders_api: Api) -> None:
    from tests.helpers.handlers import give_balance

    give_balance(CUSTOMER["sub"], 100_000)
    status, _, order = orders_api(
        "POST",
        "/orders",
        **CUSTOMER,
        headers={"Idempotency-Key": "bal"},
        body={
            "lines": [{"skuId": "TEE-M", "quantity": 1}],
            "shippingAddress": {"name": "A", "phone": "123", "line1": "x", "city": "y", "country": "CN"},
            "balance": "max",
        },
    )
    assert status == 201 and order["status"] == "PAID", order
    assert ids(orders_api, paymentMethod="balance") == [order["orderId"]]


def test_by_number_answers_the_order_as_its_id_does(seeded: Any, orders_api: Api) -> None:
    order = place(orders_api)
    path = f"/orders/by-number/{order['orderNumber']}"
    for who in (SUPPORT, ADMIN, CUSTOMER):
        status, _, found = orders_api("GET", path, route=BY_NUMBER, **who)
        assert status == 200, found
        _, _, by_id = orders_api("GET", f"/orders/{order['orderId']}", route="GET /orders/{orderId}", **who)
        assert found == by_id
    for who, number in ((OTHER_CUSTOMER, order["orderNumber"]), (SUPPORT, "26112299999999")):
        status, headers, body = orders_api("GET", f"/orders/by-number/{number}", route=BY_NUMBER, **who)
        assert_problem(status, headers, body, 404, "not-found")
    assert ids(orders_api, orderNumber=order["orderNumber"]) == [order["orderId"]]


def test_a_cancelled_order_leaves_its_search_entries_pointing_at_its_new_status(seeded: Any, orders_api: Api) -> None:
    order = place(orders_api)
    status, _, _ = orders_api(
        "POST", f"/orders/{order['orderId']}/cancel", route="POST /orders/{orderId}/cancel", **CUSTOMER, body={}
    )
    assert status == 200
    assert ids(orders_api, storeId="demo", status="CANCELLED") == [order["orderId"]]
    assert ids(orders_api, storeId="demo", status="PENDING_PAYMENT") == []


def test_an_export_filters_as_the_search_does_and_keeps_no_contact_in_clear(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Exports reuse the search: its filters, recorded resolved (a phone as its hash only), the rows exactly
    the search's matches."""
    monkeypatch.setenv("EXPORTS_BUCKET", "exports-test")
    boto3.client("s3").create_bucket(Bucket="exports-test")
    orders = random_orders(random.Random(3), 300)
    seed_orders(orders)
    exports, export_job = Api(load_function("exports")), load_function("export_job")
    phone = orders[7].phone
    store = next(iter(orders[7].store_ids))
    body = {"format": "csv", "fields": ["orderNumber"], "filters": {"phone": phone, "storeId": store}}
    status, _, view = exports("POST", "/exports", **SUPPORT, headers={"Idempotency-Key": "e1"}, body=body)
    assert status == 202, view
    assert set(view["filters"]) == {"phoneKey", "storeId"} and "139" not in view["filters"]["phoneKey"]
    while not export_job.services.exports.run_chunk(view["exportId"], lambda: 600_000)["done"]:
        pass
    key = ExportJobItem.get(*keys.export_job(view["exportId"])).objectKey
    text = boto3.client("s3").get_object(Bucket="exports-test", Key=key)["Body"].read().decode("utf-8-sig")
    numbers = sorted(line.strip().strip("'") for line in text.splitlines()[1:] if line.strip())
    assert numbers == sorted(o.order_number for o in orders if o.phone == phone and store in o.store_ids)
    assert orders[7].order_number in numbers
