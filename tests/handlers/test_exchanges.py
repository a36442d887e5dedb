"""Exchanges through the functions under moto (issue 11, item 4), with the provider and carrier sandboxes
(`world`) and the recording case flow of tests/helpers/cases.py (its tasks called as the state machine calls
them).

An exchange is a return whose inspected goods are replaced: the flow's exchange task makes a replacement
child order for the SKUs the case named (the same SKU, or another variant of the product) in one
transaction — stock taken, lines at the SKU's price, the child marked as the case's replacement — and the
price difference is refunded (cheaper), charged through a payment attempt (dearer: the replacement is held
until it is paid, or the exchange becomes a refund at the deadline) or nothing (same price). The
replacement ships through fulfilment and resolves the case; the parent order's status does not move back.
No stock: the exchange becomes a refund of the returned units."""

from __future__ import annotations

from typing import Any

from tests.handlers.conftest import ADMIN, CUSTOMER, SUPPORT
from tests.helpers.cases import (
    Flow,
    case,
    deliver,
    move,
    open_case,
    order_with,
    payment,
    stock_of,
    task,
    wait,
)
from tests.helpers.pricing import cny
from tests.helpers.problems import assert_problem
from tests.helpers.world import WAREHOUSE, Call, World, payment_callback, sku


def add_variant(world: World, sku_id: str, price: int, stock: int = 50) -> None:
    """Another SKU of the world's tee product."""
    body = {**sku(sku_id), "price": cny(price), "stock": stock}
    world.ok(
        "POST /products/{productId}/skus",
        Call(f"/products/{world.product_id}/skus", ADMIN, body, status=201),
    )


def exchange_inspected(world: World, order: dict[str, Any], quantity: int, sku_id: str, flow: Flow) -> tuple[str, str]:
    """An exchange of `quantity` tees of the order's delivered child for `sku_id`, approved, returned,
    received and inspected (every unit restockable): it waits for its replacement. Returns (case, child)."""
    child = deliver(world, order)
    opened = open_case(
        world,
        order,
        child,
        "exchange",
        [(1, quantity)],
        reason="size_or_fit",
        replacements=[{"lineNo": 1, "skuId": sku_id}],
    )
    assert opened.status == 201, opened.body
    case_id = opened.body["caseId"]
    assert opened.body["replacements"] == [{"lineNo": 1, "skuId": sku_id}]
    move(world, case_id, "approve", SUPPORT)
    shipment = {"carrier": "sf", "trackingNumber": world.tracking()}
    assert move(world, case_id, "return-shipment", CUSTOMER, shipment).status == 200
    assert move(world, case_id, "receive", WAREHOUSE).status == 200
    verdict = {"lines": [{"lineNo": 1, "restockable": quantity, "damaged": 0}]}
    inspected = move(world, case_id, "inspect", WAREHOUSE, verdict)
    assert (inspected.body["status"], inspected.body["waitingFor"]) == ("EXCHANGING", "replacement"), inspected.body
    return case_id, child


def order_of(world: World, order: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = world.ok("GET /orders/{orderId}", Call(f"/orders/{order['orderId']}", ADMIN))
    return body


def ship(world: World, child_id: str) -> Any:
    return world.call(
        "POST /orders/{orderId}/shipments",
        Call(f"/orders/{child_id}/shipments", WAREHOUSE, {"carrier": "sf", "trackingNumber": world.tracking()}),
    )


def held(counters: dict[str, int]) -> int:
    return counters["available"] + counters["reserved"] + counters["sold"] + counters["damaged"]


# ---------------------------------------------------------------- the case request
def test_an_exchange_names_a_replacement_of_the_same_product_for_each_line(world: World, flow: Flow) -> None:
    add_variant(world, "TEE-L", 12000)
    mug = world.ok(
        "POST /products",
        Call("/products", ADMIN, {"storeId": "demo", "name": "Mug", "skus": [sku("MUG-1")]}, status=201),
    )
    assert mug["productId"] != world.product_id
    order = order_with(world, 2)
    child = deliver(world, order)
    before = world.snapshot()
    for replacements in (
        [],  # an exchange names one
        [{"lineNo": 1, "skuId": "NOPE"}],  # no such SKU
        [{"lineNo": 1, "skuId": "MUG-1"}],  # another product
        [{"lineNo": 2, "skuId": "TEE-L"}],  # a line not claimed
    ):
        refused = open_case(world, order, child, "exchange", [(1, 1)], replacements=replacements)
        assert_problem(refused.status, refused.headers, refused.body, 422, "validation-failed")
    tee_l = [{"lineNo": 1, "skuId": "TEE-L"}]
    not_an_exchange = open_case(world, order, child, "return_refund", [(1, 1)], replacements=tee_l)
    assert_problem(not_an_exchange.status, not_an_exchange.headers, not_an_exchange.body, 422, "validation-failed")
    assert world.snapshot() == before
    opened = open_case(world, order, child, "exchange", [(1, 1)], replacements=tee_l)
    assert opened.status == 201, opened.body
    assert case(world, opened.body["caseId"])["replacements"] == [{"lineNo": 1, "skuId": "TEE-L"}]


# ---------------------------------------------------------------- same price
def test_the_same_sku_is_sent_again_and_the_case_resolves_when_it_ships(world: World, flow: Flow) -> None:
    order = order_with(world, 2)
    case_id, _ = exchange_inspected(world, order, 1, "TEE-M", flow)
    stock_before = stock_of("TEE-M")
    status_before = order_of(world, order)["status"]
    money_before = payment(world, order)

    assert task(world, "exchange", case_id) == {"next": "replacement"}
    made = case(world, case_id)
    replacement = made["replacement"]
    assert replacement["difference"] == {"amount": 0, "currency": "CNY"}
    assert replacement["lines"] == [
        {"lineNo": 2, "replacesLineNo": 1, "skuId": "TEE-M", "quantity": 1, "unitPrice": cny(12000)}
    ]
    new_child = replacement["childOrderId"]
    assert new_child == f"{order['orderId']}-02"
    stock = stock_of("TEE-M")
    assert (stock["available"], stock["sold"]) == (stock_before["available"] - 1, stock_before["sold"] + 1)
    assert held(stock) == held(stock_before)

    # The replay changes nothing twice.
    snapshot = world.snapshot()
    assert task(world, "exchange", case_id) == {"next": "replacement"}
    assert world.snapshot() == snapshot

    view = order_of(world, order)
    linked = next(c for c in view["children"] if c["childOrderId"] == new_child)
    assert linked["replacementOf"] == case_id and linked["status"] == "AWAITING_SHIPMENT"
    assert [line["lineNo"] for line in view["lines"]] == [1, 2]
    assert view["status"] == status_before == "DELIVERED"
    assert payment(world, order)["refunded"] == money_before["refunded"]
    history = [e["reason"] or "" for e in view["history"]]
    assert any(f"replacement child order {new_child} made" in text for text in history)

    token = wait(world, case_id, "replacement")
    shipped = ship(world, new_child)
    assert shipped.status == 201, shipped.body
    resolved = case(world, case_id)
    assert (resolved["status"], resolved["waitingFor"]) == ("RESOLVED", "done")
    assert (token, "done") in flow.resumed
    assert order_of(world, order)["status"] == "DELIVERED"  # the parent never moves back to SHIPPED
    assert task(world, "exchange", case_id) == {"next": "done"}


# ---------------------------------------------------------------- cheaper
def test_a_cheaper_variant_refunds_the_difference_exactly(world: World, flow: Flow) -> None:
    add_variant(world, "TEE-S", 10500)
    order = order_with(world, 3, method="alipay")
    case_id, _ = exchange_inspected(world, order, 2, "TEE-S", flow)
    assert task(world, "exchange", case_id) == {"next": "replacement"}
    made = case(world, case_id)
    assert made["replacement"]["difference"] == {"amount": -3000, "currency": "CNY"}
    assert made["refundId"] == made["replacement"]["refundId"] == f"RF{case_id}"
    money = payment(world, order)
    legs = [r for r in money["refunds"] if r.get("requestId") == f"RF{case_id}"]
    assert legs and all(r["status"] == "SUCCEEDED" for r in legs)
    assert sum(r["amount"]["amount"] for r in legs) == 3000  # the legs sum exactly to the difference
    assert money["refunded"] == {"amount": 3000, "currency": "CNY"}
    assert money["status"] == "PARTIALLY_REFUNDED"
    snapshot = world.snapshot()
    assert task(world, "exchange", case_id) == {"next": "replacement"}
    assert world.snapshot() == snapshot  # the difference is refunded once


# ---------------------------------------------------------------- dearer
def test_a_dearer_variant_is_charged_then_released_shipped_and_resolved(world: World, flow: Flow) -> None:
    add_variant(world, "TEE-XL", 13000)
    order = order_with(world, 2, method="wechat")
    case_id, _ = exchange_inspected(world, order, 2, "TEE-XL", flow)
    stock_before = stock_of("TEE-XL")
    assert task(world, "exchange", case_id) == {"next": "difference"}
    waiting = case(world, case_id)
    assert (waiting["status"], waiting["waitingFor"]) == ("EXCHANGING", "difference") and waiting["deadline"]
    replacement = waiting["replacement"]
    assert replacement["difference"] == {"amount": 2000, "currency": "CNY"} and replacement["differencePaid"] is False
    new_child = replacement["childOrderId"]
    assert stock_of("TEE-XL")["available"] == stock_before["available"] - 2  # taken while it waits
    assert payment(world, order)["outstanding"] == {"amount": 2000, "currency": "CNY"}
    held_child = next(c for c in order_of(world, order)["children"] if c["childOrderId"] == new_child)
    assert held_child["heldFor"] == "difference"
    refused = ship(world, new_child)
    assert_problem(refused.status, refused.headers, refused.body, 409, "conflict")
    assert task(world, "exchange", case_id) == {"next": "difference"}  # a replay: still waiting

    token = wait(world, case_id, "difference")
    attempt = world.attempt(order, "wechat")
    assert attempt["amount"]["amount"] >= 2000
    callback = world.sandbox.pay("wechat", attempt["paymentId"], amount=attempt["amount"]["amount"])
    assert payment_callback(world.functions["payment_callbacks"], "wechat", callback)["statusCode"] in (200, 204)
    assert payment_callback(world.functions["payment_callbacks"], "wechat", callback)["statusCode"] in (200, 204)
    paid = case(world, case_id)
    assert (paid["status"], paid["waitingFor"]) == ("EXCHANGING", "replacement")
    assert paid["replacement"]["differencePaid"] is True
    assert (token, "replacement") in flow.resumed
    money = payment(world, order)
    assert money["outstanding"]["amount"] == 0 and money["status"] == "PAID"
    assert money["refunded"]["amount"] == 0  # the difference is not a duplicate payment refunded
    assert "heldFor" not in next(c for c in order_of(world, order)["children"] if c["childOrderId"] == new_child)
    assert task(world, "exchange", case_id) == {"next": "replacement"}

    assert ship(world, new_child).status == 201
    assert case(world, case_id)["status"] == "RESOLVED"
    assert order_of(world, order)["status"] == "DELIVERED"


def test_a_difference_not_paid_in_time_turns_the_exchange_into_a_refund(world: World, flow: Flow) -> None:
    add_variant(world, "TEE-XL", 13000)
    order = order_with(world, 1, method="wechat")
    case_id, _ = exchange_inspected(world, order, 1, "TEE-XL", flow)
    stock_before = stock_of("TEE-XL")
    assert task(world, "exchange", case_id) == {"next": "difference"}
    new_child = case(world, case_id)["replacement"]["childOrderId"]
    assert task(world, "deadline", case_id, step="difference") == {"next": "refund"}
    dropped = case(world, case_id)
    assert (dropped["status"], dropped["waitingFor"]) == ("REFUNDING", "refund")
    assert stock_of("TEE-XL") == stock_before  # the held replacement's stock is back
    cancelled = next(c for c in order_of(world, order)["children"] if c["childOrderId"] == new_child)
    assert cancelled["status"] == "CANCELLED"
    assert payment(world, order)["outstanding"]["amount"] == 0
    assert task(world, "refund", case_id) == {"next": "done"}
    money = payment(world, order)
    assert money["refunded"] == {"amount": 12000, "currency": "CNY"}  # the returned unit's paid share
    late = world.call(
        "POST /orders/{orderId}/payments",
        Call(
            f"/orders/{order['orderId']}/payments",
            CUSTOMER,
            {"method": "wechat"},
            {"Idempotency-Key": world.key("pay")},
        ),
    )
    assert_problem(late.status, late.headers, late.body, 409, "order-not-payable")


# ---------------------------------------------------------------- no stock
def test_an_exchange_without_stock_is_refunded_instead(world: World, flow: Flow) -> None:
    add_variant(world, "TEE-L", 12000, stock=1)
    order = order_with(world, 2, method="alipay")
    case_id, _ = exchange_inspected(world, order, 2, "TEE-L", flow)
    stock_before = stock_of("TEE-L")
    assert task(world, "exchange", case_id) == {"next": "refund"}
    refunding = case(world, case_id)
    assert (refunding["status"], refunding["waitingFor"]) == ("REFUNDING", "refund")
    assert "replacement" not in refunding
    assert stock_of("TEE-L") == stock_before  # never oversold
    history = [e["reason"] or "" for e in order_of(world, order)["history"]]
    assert any("out of stock" in text and "becomes a refund of the returned units" in text for text in history)
    assert task(world, "refund", case_id) == {"next": "done"}
    assert case(world, case_id)["status"] == "RESOLVED"
    assert payment(world, order)["refunded"] == {"amount": 24000, "currency": "CNY"}
    assert len(order_of(world, order)["children"]) == 1
