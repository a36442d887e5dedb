"""Virtual goods through the handlers (moto): virtual SKUs (no freight, their own child order), code pools
(sealed at rest, masked, duplicates refused, stock follows), delivery (codes, links, services; the child
and the order DELIVERED), pool exhaustion (409, nothing given) and 50 concurrent deliveries (no code
twice), verification (idempotent by key, a used / expired / revoked code refused, another store's unknown),
redemption of links (idempotent, rate-limited), staff reveal (audited), delayed activation at its time, and
revocation of refunded units."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from typing import Any

import boto3
import pytest
from oms.adapters.sealing import new_key
from oms.domain.clock import to_rfc3339, utcnow

from tests.handlers.conftest import ADDRESS, ADMIN, SUPPORT, Api, adapters, give_balance, load_function
from tests.helpers.fulfilment import paid_order
from tests.helpers.handlers import environments
from tests.helpers.table import table_snapshot

MERCHANT = {"sub": "m-1", "roles": ("merchant",), "stores": ("demo",)}
OTHER_MERCHANT = {"sub": "m-2", "roles": ("merchant",), "stores": ("north",)}
CODES = "POST /skus/{skuId}/codes"
POOL = "GET /skus/{skuId}/codes"
DELIVER = "POST /orders/{orderId}/deliveries"
VOUCHERS = "GET /orders/{orderId}/vouchers"
REVEAL = "POST /orders/{orderId}/vouchers/reveal"
ACTIVATE = "POST /orders/{orderId}/vouchers/activate"
REDEEM = "POST /redemptions/{token}"
VERIFY = "POST /verifications"


@pytest.fixture(autouse=True)
def sealing_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEALING_KEY", new_key())
    monkeypatch.setenv("REDEMPTION_DOMAIN", "redeem.shop.test")


def expect_problem(status: int, body: Any, expected: int, slug: str) -> None:
    assert status == expected, body
    assert body["type"] == f"urn:oms:problem:{slug}", body


def virtual_sku(sku_id: str, price: int, virtual: dict[str, Any], stock: int = 0) -> dict[str, Any]:
    return {
        "skuId": sku_id,
        "name": sku_id,
        "price": {"amount": price, "currency": "CNY"},
        "stock": stock,
        "warehouseId": "WH1",
        "weightGrams": 0,
        "virtual": virtual,
    }


@pytest.fixture
def virtual(seeded: dict[str, Any], catalog_api: Api) -> Api:
    """demo store: CARD (codes, alert at 2), VIP (a link valid 30 days), SVC (a service activated 60 s after
    delivery), NOW (a service activated at delivery); cust-1 holds 10 000.00."""
    product = {
        "storeId": "demo",
        "name": "Gift cards",
        "skus": [
            virtual_sku("CARD", 5000, {"kind": "code", "lowPoolThreshold": 2}),
            virtual_sku("VIP", 3000, {"kind": "link", "validDays": 30}, stock=50),
            virtual_sku("SVC", 2000, {"kind": "service", "activation": "delayed", "delaySeconds": 60}, stock=50),
            virtual_sku("NOW", 1000, {"kind": "service"}, stock=50),
        ],
    }
    status, _, body = catalog_api("POST", "/products", **ADMIN, body=product)
    assert status == 201, body
    give_balance("cust-1", 1_000_000)
    return Api(load_function("virtual_goods"))


def upload(api: Api, sku_id: str, text: str, who: dict[str, Any] = MERCHANT) -> tuple[int, Any]:
    status, _, body = api(
        "POST",
        f"/skus/{sku_id}/codes",
        route=CODES,
        raw_body=text,
        headers={"content-type": "text/csv"},
        path_parameters={"skuId": sku_id},
        **who,
    )
    return status, body


def deliver(api: Api, order_id: str, who: dict[str, Any] = SUPPORT) -> tuple[int, Any]:
    status, _, body = api(
        "POST", f"/orders/{order_id}/deliveries", route=DELIVER, path_parameters={"orderId": order_id}, **who
    )
    return status, body


def verify(api: Api, code: str, key: str = "v1", who: dict[str, Any] = MERCHANT) -> tuple[int, dict[str, str], Any]:
    return api("POST", "/verifications", route=VERIFY, body={"code": code}, headers={"Idempotency-Key": key}, **who)


def reveal(api: Api, order_id: str) -> dict[str, Any]:
    status, _, body = api(
        "POST",
        f"/orders/{order_id}/vouchers/reveal",
        route=REVEAL,
        path_parameters={"orderId": order_id},
        body={"reason": "the shopper lost the code"},
        **SUPPORT,
    )
    assert status == 200, body
    return body


def redeem(api: Api, token: str, ip: str = "10.0.0.1") -> tuple[int, Any]:
    status, _, body = api(
        "POST", f"/redemptions/{token}", route=REDEEM, path_parameters={"token": token}, body={"account": "li@x.cn"}
    )
    return status, body


def codes_text(n: int, prefix: str = "GIFT") -> str:
    return "code\n" + "".join(f"{prefix}-{i:04d}-ZZ\n" for i in range(n))


def test_a_virtual_sku_has_no_freight_and_ships_in_its_own_child(virtual: Api, orders_api: Api) -> None:
    assert upload(virtual, "CARD", codes_text(3))[0] == 201
    order = paid_order(orders_api, [("CARD", 1), ("TEE-M", 1)])
    shipping = {line["skuId"]: line["shipping"]["amount"] for line in order["lines"]}
    assert shipping["CARD"] == 0
    handling = sorted(c["handling"] for c in order["children"])
    assert handling == ["normal", "virtual"]


def test_codes_are_sealed_masked_deduplicated_and_counted_in_stock(virtual: Api, catalog_api: Api) -> None:
    status, body = upload(virtual, "CARD", codes_text(3) + "GIFT-0001-ZZ\nbad code\n")
    assert status == 201, body
    assert body["added"] == 3 and body["available"] == 3
    assert [r["line"] for r in body["rejected"]] == [5, 6]
    assert body["rejected"][0]["reason"] == "repeated in this file"
    status, again = upload(virtual, "CARD", codes_text(4))
    assert status == 201 and again["added"] == 1 and len(again["duplicates"]) == 3
    status, _, pool = virtual("GET", "/skus/CARD/codes", route=POOL, path_parameters={"skuId": "CARD"}, **MERCHANT)
    assert status == 200 and pool["available"] == 4 and pool["uploaded"] == 4
    assert all("*" in c["masked"] and "GIFT-0001-ZZ" not in c["masked"] for c in pool["codes"]["items"])
    # Never in clear at rest.
    items = boto3.resource("dynamodb").Table("oms-local-oms").scan()["Items"]
    assert not any("GIFT-0001-ZZ" in str(item) for item in items)
    _, _, sku = catalog_api("GET", "/skus/CARD", route="GET /skus/{skuId}", path_parameters={"skuId": "CARD"})
    assert sku["available"] == 4 and sku["virtual"]["kind"] == "code"
    # The stock moved by the upload says why (the SKU's history shows a restock by the uploader, not an
    # unexplained change).
    stock = next(i for i in items if i["PK"] == "SKU#CARD" and i["SK"] == "STOCK")
    move = json.loads(stock["lastMove"]) if isinstance(stock["lastMove"], str) else stock["lastMove"]
    assert (move["kind"], move["by"], move["reason"]) == ("adjustment", MERCHANT["sub"], "code pool upload (1)")


def test_only_merchant_staff_of_the_store_and_admins_upload(virtual: Api) -> None:
    status, body = upload(virtual, "CARD", codes_text(1), who=OTHER_MERCHANT)
    expect_problem(status, body, 404, "not-found")
    status, body = upload(virtual, "CARD", codes_text(1), who=SUPPORT)
    expect_problem(status, body, 403, "forbidden")
    status, body = upload(virtual, "VIP", codes_text(1))
    expect_problem(status, body, 422, "validation-failed")


def test_delivery_gives_codes_links_and_services_and_delivers_the_order(virtual: Api, orders_api: Api) -> None:
    assert upload(virtual, "CARD", codes_text(5))[0] == 201
    order = paid_order(orders_api, [("CARD", 2), ("VIP", 1), ("NOW", 1), ("SVC", 1)])
    status, body = deliver(virtual, order["orderId"])
    assert status == 200, body
    assert body["delivered"] == 5 and body["orderStatus"] == "DELIVERED"
    states = {v["skuId"]: v["state"] for v in body["vouchers"]}
    assert states == {
        "CARD": "PENDING_VERIFICATION",
        "VIP": "PENDING_REDEMPTION",
        "NOW": "ACTIVE",
        "SVC": "PENDING_ACTIVATION",
    }
    link = next(v for v in body["vouchers"] if v["skuId"] == "VIP")
    assert link["url"].startswith("https://redeem.shop.test/r/")
    # A repeat changes nothing.
    status, again = deliver(virtual, order["orderId"])
    assert status == 200 and again["delivered"] == 0 and again["vouchers"] == body["vouchers"]
    revealed = reveal(virtual, order["orderId"])
    codes = [v["code"] for v in revealed["vouchers"] if v["kind"] == "code"]
    assert len(set(codes)) == 2 and all(c.startswith("GIFT-") for c in codes)


def test_pool_exhaustion_is_a_409_and_nothing_is_given(virtual: Api, orders_api: Api, catalog_api: Api) -> None:
    assert upload(virtual, "CARD", codes_text(2))[0] == 201
    order = paid_order(orders_api, [("CARD", 2)], key="k-a")
    # Staff corrected stock upwards by hand: the pool, not the counter, decides what can be delivered.
    status, _, _ = catalog_api(
        "POST",
        "/skus/CARD/stock-adjustments",
        route="POST /skus/{skuId}/stock-adjustments",
        path_parameters={"skuId": "CARD"},
        body={"delta": 3, "reason": "stocktake_correction"},
        **ADMIN,
    )
    assert status == 201
    second = paid_order(orders_api, [("CARD", 1)], key="k-b")
    assert deliver(virtual, order["orderId"])[0] == 200
    before = table_snapshot()
    status, body = deliver(virtual, second["orderId"])
    expect_problem(status, body, 409, "code-pool-empty")
    assert body["available"] == 0 and body["needed"] == 1
    assert table_snapshot() == before


def test_fifty_concurrent_deliveries_never_give_a_code_twice(virtual: Api, orders_api: Api, serialized: None) -> None:
    assert upload(virtual, "CARD", codes_text(60))[0] == 201
    orders = []
    for n in range(50):  # fifty shoppers (one shopper's checkouts are rate-limited)
        give_balance(f"shopper-{n}", 100_000)
        body = {"lines": [{"skuId": "CARD", "quantity": 1}], "shippingAddress": ADDRESS, "balance": "max"}
        status, _, order = orders_api(
            "POST", "/orders", sub=f"shopper-{n}", roles=("customer",), headers={"Idempotency-Key": "k"}, body=body
        )
        assert status == 201 and order["status"] == "PAID", order
        orders.append(order)
    modules = environments(virtual.module, 50)
    results: list[tuple[int, Any]] = [(0, None)] * 50
    start = threading.Barrier(50)

    def run(n: int) -> None:
        start.wait()
        results[n] = deliver(Api(modules[n]), orders[n]["orderId"])

    threads = [threading.Thread(target=run, args=(n,)) for n in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(status == 200 for status, _ in results), [b for s, b in results if s != 200][:2]
    codes = [reveal(virtual, o["orderId"])["vouchers"][0]["code"] for o in orders]
    assert len(set(codes)) == 50
    _, _, pool = virtual("GET", "/skus/CARD/codes", route=POOL, path_parameters={"skuId": "CARD"}, **MERCHANT)
    assert pool["available"] == 10 and pool["assigned"] == 50


def test_verification_is_idempotent_by_key_and_refuses_a_used_code(virtual: Api, orders_api: Api) -> None:
    assert upload(virtual, "CARD", codes_text(2))[0] == 201
    order = paid_order(orders_api, [("CARD", 1)])
    deliver(virtual, order["orderId"])
    code = reveal(virtual, order["orderId"])["vouchers"][0]["code"]
    status, headers, first = verify(virtual, code)
    assert status == 200 and first["state"] == "VERIFIED" and "Idempotent-Replayed" not in headers
    status, headers, again = verify(virtual, code)
    assert status == 200 and again == first and headers.get("Idempotent-Replayed") == "true"
    status, _, body = verify(virtual, code, key="v2")
    expect_problem(status, body, 409, "code-already-verified")
    status, _, body = verify(virtual, code, key="v3", who=OTHER_MERCHANT)
    expect_problem(status, body, 404, "code-not-found")
    status, _, body = verify(virtual, "NO-SUCH-CODE")
    expect_problem(status, body, 404, "code-not-found")


def test_an_expired_code_is_refused(virtual: Api, orders_api: Api) -> None:
    soon = to_rfc3339(utcnow() + timedelta(seconds=2))
    assert upload(virtual, "CARD", f"code,expiresAt\nEXP-CODE-1,{soon}\n")[0] == 201
    order = paid_order(orders_api, [("CARD", 1)])
    deliver(virtual, order["orderId"])
    code = reveal(virtual, order["orderId"])["vouchers"][0]["code"]
    table = boto3.resource("dynamodb").Table("oms-local-oms")
    past = to_rfc3339(utcnow() - timedelta(seconds=1))
    table.update_item(
        Key={"PK": f"VOUCHERS#{order['orderId']}", "SK": "V#001-001"},
        UpdateExpression="SET validUntil = :p",
        ExpressionAttributeValues={":p": past},
    )
    status, _, body = verify(virtual, code)
    expect_problem(status, body, 409, "code-expired")


def test_a_link_is_redeemed_once_and_then_verified(virtual: Api, orders_api: Api) -> None:
    order = paid_order(orders_api, [("VIP", 1)])
    _, body = deliver(virtual, order["orderId"])
    token = body["vouchers"][0]["url"].rsplit("/", 1)[1]
    status, first = redeem(virtual, token)
    assert status == 200 and first["alreadyRedeemed"] is False and first["state"] == "PENDING_VERIFICATION"
    status, again = redeem(virtual, token)
    assert status == 200 and again["alreadyRedeemed"] is True and again["code"] == first["code"]
    status, body = redeem(virtual, "x" * 32)
    expect_problem(status, body, 404, "link-not-found")
    status, _, verified = verify(virtual, first["code"])
    assert status == 200 and verified["state"] == "VERIFIED"


def test_redemption_is_rate_limited_per_client(virtual: Api) -> None:
    answers = [redeem(virtual, f"{n:032d}")[0] for n in range(21)]
    assert answers[:20] == [404] * 20 and answers[20] == 429
    status, headers, body = virtual(
        "POST", f"/redemptions/{'x' * 32}", route=REDEEM, path_parameters={"token": "x" * 32}, body={}
    )
    assert status == 429 and headers.get("Retry-After") == "60" and body["type"] == "urn:oms:problem:rate-limited"


def test_a_delayed_service_activates_at_its_time(virtual: Api, orders_api: Api) -> None:
    from oms import wiring

    order = paid_order(orders_api, [("SVC", 1)])
    _, body = deliver(virtual, order["orderId"])
    assert body["vouchers"][0]["state"] == "PENDING_ACTIVATION"
    service = wiring.services().virtual_goods
    assert service.activate_due()["acted"] == []  # not yet
    later = utcnow() + timedelta(seconds=61)
    service.clock = lambda: later
    try:
        assert service.activate_due()["acted"] == [f"{order['orderId']}/001-001"]
        assert service.activate_due()["acted"] == []
    finally:
        service.clock = utcnow
    _, _, vouchers = virtual(
        "GET",
        f"/orders/{order['orderId']}/vouchers",
        route=VOUCHERS,
        path_parameters={"orderId": order["orderId"]},
        **SUPPORT,
    )
    assert vouchers["vouchers"][0]["state"] == "ACTIVE"


def test_a_manual_activation_by_staff(virtual: Api, orders_api: Api, catalog_api: Api) -> None:
    order = paid_order(orders_api, [("SVC", 1)])
    deliver(virtual, order["orderId"])
    status, _, body = virtual(
        "POST",
        f"/orders/{order['orderId']}/vouchers/activate",
        route=ACTIVATE,
        path_parameters={"orderId": order["orderId"]},
        **SUPPORT,
    )
    assert status == 200 and body["vouchers"][0]["state"] == "ACTIVE"


def test_a_refund_revokes_the_refunded_units(virtual: Api, orders_api: Api) -> None:
    from oms import wiring

    assert upload(virtual, "CARD", codes_text(3))[0] == 201
    order = paid_order(orders_api, [("CARD", 2)])
    deliver(virtual, order["orderId"])
    codes = [v["code"] for v in reveal(virtual, order["orderId"])["vouchers"]]
    payments = Api(load_function("payments"))
    child = order["children"][0]["childOrderId"]
    status, _, refund = payments(
        "POST",
        f"/orders/{order['orderId']}/refunds",
        route="POST /orders/{orderId}/refunds",
        path_parameters={"orderId": order["orderId"]},
        headers={"Idempotency-Key": "r1"},
        body={"childOrderId": child, "lines": [{"lineNo": 1, "quantity": 1}], "reason": "customer_request"},
        sub="fin-1",
        roles=("finance",),
    )
    assert status == 201, refund
    service = wiring.services().virtual_goods
    assert service.revoke_refunded(order["orderId"]) == 1
    assert service.revoke_refunded(order["orderId"]) == 0  # idempotent
    outcomes = [verify(virtual, c, key=f"k-{c}")[0] for c in codes]
    assert sorted(outcomes) == [200, 409]


BATCH = "POST /orders/batch"


def batch(action: str, order_ids: list[str], key: str, who: dict[str, Any] = ADMIN, **more: Any) -> Any:
    desk = Api(load_function("order_desk"))
    status, _, body = desk(
        "POST",
        "/orders/batch",
        route=BATCH,
        headers={"Idempotency-Key": key},
        body={"action": action, "orderIds": order_ids, **more},
        **who,
    )
    assert status == 200, body
    return body


def test_a_batch_delivery_answers_each_order(virtual: Api, orders_api: Api) -> None:
    assert upload(virtual, "CARD", codes_text(1))[0] == 201
    first = paid_order(orders_api, [("CARD", 1)], key="k1")
    link = paid_order(orders_api, [("VIP", 1)], key="k2")
    result = batch("deliver", [first["orderId"], link["orderId"], "01J9ZZZZZZZZZZZZZZZZZZZZZZ"], "b1", who=SUPPORT)
    outcome = {r["orderId"]: r for r in result["results"]}
    assert outcome[first["orderId"]]["status"] == "succeeded"
    assert outcome[link["orderId"]]["status"] == "succeeded"
    assert outcome["01J9ZZZZZZZZZZZZZZZZZZZZZZ"]["problem"]["status"] == 404
    assert (result["succeeded"], result["failed"]) == (2, 1)


def test_a_batch_delivery_meets_an_empty_pool_for_one_order_only(
    virtual: Api, orders_api: Api, catalog_api: Api
) -> None:
    assert upload(virtual, "CARD", codes_text(1))[0] == 201
    catalog_api(
        "POST",
        "/skus/CARD/stock-adjustments",
        route="POST /skus/{skuId}/stock-adjustments",
        path_parameters={"skuId": "CARD"},
        body={"delta": 1, "reason": "stocktake_correction"},
        **ADMIN,
    )
    orders = [paid_order(orders_api, [("CARD", 1)], key=f"k{n}") for n in range(2)]
    result = batch("deliver", [o["orderId"] for o in orders], "b2", who=SUPPORT)
    statuses = sorted(r["status"] for r in result["results"])
    assert statuses == ["failed", "succeeded"]
    failed = next(r for r in result["results"] if r["status"] == "failed")
    assert failed["problem"]["type"] == "urn:oms:problem:code-pool-empty"


def test_batch_delete_takes_only_settled_orders_and_an_admin_restores_them(virtual: Api, orders_api: Api) -> None:
    from oms import wiring

    kept = paid_order(orders_api, [("VIP", 1)], key="k1")
    gone = paid_order(orders_api, [("VIP", 1)], key="k2")
    for order in (kept, gone):
        deliver(virtual, order["orderId"])
    payments = Api(load_function("payments"))
    status, _, _ = payments(
        "POST",
        f"/orders/{gone['orderId']}/refunds",
        route="POST /orders/{orderId}/refunds",
        path_parameters={"orderId": gone["orderId"]},
        headers={"Idempotency-Key": "r1"},
        body={
            "childOrderId": gone["children"][0]["childOrderId"],
            "lines": [{"lineNo": 1, "quantity": 1}],
            "reason": "customer_request",
        },
        sub="fin-1",
        roles=("finance",),
    )
    assert status == 201
    wiring.services().virtual_goods.revoke_refunded(gone["orderId"])
    result = batch("delete", [kept["orderId"], gone["orderId"]], "d1", reason="test orders")
    outcome = {r["orderId"]: r for r in result["results"]}
    assert outcome[gone["orderId"]]["status"] == "succeeded"
    assert outcome[kept["orderId"]]["problem"]["type"] == "urn:oms:problem:order-not-deletable"
    channels = Api(load_function("channels"))
    listed = channels("GET", "/ecommerce-orders", **ADMIN)[2]["items"]
    assert [r["orderId"] for r in listed] == [kept["orderId"]]
    deleted = channels("GET", "/ecommerce-orders", query={"deleted": "true"}, **ADMIN)[2]["items"]
    assert [r["orderId"] for r in deleted] == [gone["orderId"]] and deleted[0]["reason"] == "refunded"
    desk = Api(load_function("order_desk"))
    status, _, _ = desk(
        "POST",
        "/orders/batch",
        route=BATCH,
        headers={"Idempotency-Key": "x"},
        body={"action": "restore", "orderIds": [gone["orderId"]], "reason": "a mistake"},
        **SUPPORT,
    )
    assert status == 403
    batch("restore", [gone["orderId"]], "d2", reason="a mistake")
    listed = channels("GET", "/ecommerce-orders", **ADMIN)[2]["items"]
    assert {r["orderId"] for r in listed} == {kept["orderId"], gone["orderId"]}


def test_an_open_case_holds_the_vouchers_and_a_batch_rejection_returns_them(virtual: Api, orders_api: Api) -> None:
    from oms import wiring

    from tests.helpers.cases import Flow

    assert upload(virtual, "CARD", codes_text(2))[0] == 201
    order = paid_order(orders_api, [("CARD", 1)])
    deliver(virtual, order["orderId"])
    cases = Api(load_function("after_sales"))
    with adapters(case_flow=Flow()):
        status, _, case = cases(
            "POST",
            f"/orders/{order['orderId']}/after-sales",
            route="POST /orders/{orderId}/after-sales",
            path_parameters={"orderId": order["orderId"]},
            headers={"Idempotency-Key": "c1"},
            body={
                "childOrderId": order["children"][0]["childOrderId"],
                "type": "refund_only",
                "lines": [{"lineNo": 1, "quantity": 1}],
                "reason": "not_received",
            },
            sub="cust-1",
            roles=("customer",),
        )
        assert status == 201, case
        service = wiring.services().virtual_goods
        assert service.follow_cases(order["orderId"]) == 1
        code = reveal(virtual, order["orderId"])["vouchers"][0]["code"]
        status, _, refused = verify(virtual, code)
        expect_problem(status, refused, 409, "code-not-usable")
        result = batch("after-sales", [order["orderId"]], "a1", decision="reject", reason="the code works")
        assert result["succeeded"] == 1, result
        assert service.follow_cases(order["orderId"]) == 1
    assert verify(virtual, code, key="v9")[0] == 200


def test_a_shopper_buys_virtual_goods_without_an_address_and_nothing_else(virtual: Api, orders_api: Api) -> None:
    body = {"lines": [{"skuId": "VIP", "quantity": 1}], "balance": "max"}
    status, _, order = orders_api(
        "POST", "/orders", sub="cust-1", roles=("customer",), headers={"Idempotency-Key": "v1"}, body=body
    )
    assert status == 201 and order["status"] == "PAID" and order["shippingAddress"] is None, order
    before = table_snapshot()
    physical = {"lines": [{"skuId": "TEE-M", "quantity": 1}, {"skuId": "VIP", "quantity": 1}]}
    status, _, problem = orders_api(
        "POST", "/orders", sub="cust-1", roles=("customer",), headers={"Idempotency-Key": "v2"}, body=physical
    )
    expect_problem(status, problem, 422, "validation-failed")
    assert table_snapshot() == before


def test_frozen_codes_wait_and_rejected_codes_stop_working(virtual: Api, orders_api: Api) -> None:
    assert upload(virtual, "CARD", codes_text(2))[0] == 201
    order = paid_order(orders_api, [("CARD", 2)])
    deliver(virtual, order["orderId"])
    first, second = (v["code"] for v in reveal(virtual, order["orderId"])["vouchers"])
    path = {"orderId": order["orderId"]}

    def move(action: str, ids: list[str], reason: str = "checking a complaint") -> Any:
        status, _, body = virtual(
            "POST",
            f"/orders/{order['orderId']}/vouchers/{action}",
            route=f"POST /orders/{{orderId}}/vouchers/{action}",
            path_parameters=path,
            body={"voucherIds": ids, "reason": reason},
            **SUPPORT,
        )
        assert status == 200, body
        return {v["voucherId"]: v for v in body["vouchers"]}

    frozen = move("freeze", ["001-001"])
    assert frozen["001-001"]["state"] == "FROZEN" and frozen["001-002"]["state"] == "PENDING_VERIFICATION"
    status, _, refused = verify(virtual, first)
    expect_problem(status, refused, 409, "code-not-usable")
    assert move("unfreeze", ["001-001"])["001-001"]["state"] == "PENDING_VERIFICATION"
    assert verify(virtual, first, key="v2")[0] == 200
    rejected = move("reject", ["001-002"], reason="bought with a stolen account")
    assert rejected["001-002"]["state"] == "REJECTED"
    status, _, refused = verify(virtual, second, key="v3")
    expect_problem(status, refused, 409, "code-revoked")
    status, _, conflict = virtual(
        "POST",
        f"/orders/{order['orderId']}/vouchers/reject",
        route="POST /orders/{orderId}/vouchers/reject",
        path_parameters=path,
        body={"voucherIds": ["001-001"], "reason": "too late"},
        **SUPPORT,
    )
    expect_problem(status, conflict, 409, "conflict")  # a verified code was used: it cannot be rejected
    channels = Api(load_function("channels"))
    row = channels("GET", "/ecommerce-orders", **SUPPORT)[2]["items"][0]
    assert row["reason"] == "bought with a stolen account" and row["states"] == {"VERIFIED": 1, "REJECTED": 1}
