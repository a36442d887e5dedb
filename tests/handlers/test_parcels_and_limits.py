"""Seed 003's splitting limits (issue 14 item 7): a carrier's parcel weight limit splits a child order into
parcels (GET/PUT /settings/carriers, shipments per parcel), and the yearly cross-border allowance per person
(26,000 CNY a calendar year, China time) is tracked per customer and refused past it."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from oms.domain.clock import utcnow
from oms.domain.parcels import customs_year
from oms.store import keys
from oms.store.models import CrossBorderQuotaItem

from tests.handlers.conftest import ADMIN, CUSTOMER, SUPPORT, Api, AwsCalls
from tests.helpers.fulfilment import GET, WAREHOUSE, paid_order, place, read, ship, sku
from tests.helpers.handlers import environments
from tests.helpers.problems import assert_problem
from tests.helpers.table import stock_of, table_snapshot

LIMIT = 2_600_000
CARRIERS = "PUT /settings/carriers"
SHIP = "POST /orders/{orderId}/shipments"
CANCEL = "POST /orders/{orderId}/cancel"


def put_carriers(fulfilment: Api, body: dict[str, Any], **headers: str) -> tuple[int, dict[str, str], Any]:
    result: tuple[int, dict[str, str], Any] = fulfilment(
        "PUT", "/settings/carriers", route=CARRIERS, body=body, headers=headers, **ADMIN
    )
    return result


def used(customer_id: str = "cust-1") -> int | None:
    try:
        item = CrossBorderQuotaItem.get(*keys.cross_border_quota(customer_id, customs_year(utcnow())))
    except CrossBorderQuotaItem.DoesNotExist:
        return None
    return int(item.used)


def seed_used(amount: int, customer_id: str = "cust-1") -> None:
    """Earlier cross-border purchases of this year."""
    year = customs_year(utcnow())
    key = keys.cross_border_quota(customer_id, year)
    CrossBorderQuotaItem(*key, customerId=customer_id, year=year, used=amount, updatedAt="2026-01-01T00:00:00Z").save()


def share(order: dict[str, Any]) -> int:
    allowance = order["crossBorderAllowance"]
    assert allowance["limit"] == {"amount": LIMIT, "currency": "CNY"} and allowance["year"] == customs_year(utcnow())
    return int(allowance["amount"]["amount"])


# ---------------------------------------------------------------- parcels


def test_carrier_settings_are_admin_only_versioned_and_checked(fulfilment: Api) -> None:
    status, headers, body = fulfilment("GET", "/settings/carriers", **ADMIN)
    assert (status, body["carriers"], body["version"], headers["ETag"]) == (200, [], 0, '"0"')
    refused = fulfilment("GET", "/settings/carriers", **SUPPORT)
    assert refused[0] == 403
    unknown = put_carriers(
        fulfilment, {"carriers": [{"code": "ems", "parcelWeightLimitGrams": 2000}], "defaultCarrier": "sf"}
    )
    assert_problem(*unknown, 422, "validation-failed")
    good = {"carriers": [{"code": "ems", "parcelWeightLimitGrams": 2000}], "defaultCarrier": "ems", "reason": "EMS"}
    status, headers, body = put_carriers(fulfilment, good)
    assert (status, body["version"], body["defaultCarrier"], headers["ETag"]) == (200, 1, "ems", '"1"')
    assert body["carriers"] == [{"code": "ems", "parcelWeightLimitGrams": 2000}]
    stale = put_carriers(fulfilment, good, **{"If-Match": '"0"'})
    assert stale[0] == 412


def test_checkout_splits_a_heavy_child_into_parcels_and_ships_them_one_by_one(
    catalog: None, catalog_api: Api, orders_api: Api, fulfilment: Api
) -> None:
    heavy = {"storeId": "demo", "name": "Kettlebell", "skus": [sku("BELL", 5000, weightGrams=400)]}
    anvil = {"storeId": "demo", "name": "Anvil", "skus": [sku("ANVIL", 9000, weightGrams=1500)]}
    for product in (heavy, anvil):
        assert catalog_api("POST", "/products", **ADMIN, body=product)[0] == 201
    body = {"carriers": [{"code": "ems", "parcelWeightLimitGrams": 1000}], "defaultCarrier": "ems"}
    assert put_carriers(fulfilment, body)[0] == 200
    # TEE-M weighs 200 g: 3 of them and 5 kettlebells (400 g) under a 1 kg limit, and an anvil over it.
    order = paid_order(orders_api, [("BELL", 5), ("TEE-M", 3), ("ANVIL", 1)])
    (child,) = order["children"]
    parcels = child["parcels"]
    lines = {line["skuId"]: line["lineNo"] for line in order["lines"]}
    bell, tee, big = lines["BELL"], lines["TEE-M"], lines["ANVIL"]
    # First-fit decreasing: the anvil alone (oversize), kettlebells two a parcel, T-shirts into the gaps.
    assert [(p["parcelNo"], p["weightGrams"], p["oversize"], p["carrier"]) for p in parcels] == [
        (1, 1500, True, "ems"),
        (2, 1000, False, "ems"),
        (3, 1000, False, "ems"),
        (4, 600, False, "ems"),
    ]
    assert [p["lines"] for p in parcels[1:]] == [
        [{"lineNo": bell, "quantity": 2}, {"lineNo": tee, "quantity": 1}],
        [{"lineNo": bell, "quantity": 2}, {"lineNo": tee, "quantity": 1}],
        [{"lineNo": bell, "quantity": 1}, {"lineNo": tee, "quantity": 1}],
    ]
    assert parcels[0]["lines"] == [{"lineNo": big, "quantity": 1}]
    assert all(p["shipmentId"] is None and p["weightLimitGrams"] == 1000 for p in parcels)

    child_id = child["childOrderId"]
    shipped = fulfilment("POST", f"/orders/{child_id}/shipments", route=SHIP, body=_parcel("EMS0002", 2), **WAREHOUSE)
    assert shipped[0] == 201, shipped
    assert shipped[2]["parcelNo"] == 2 and shipped[2]["lines"] == parcels[1]["lines"]
    again = fulfilment("POST", f"/orders/{child_id}/shipments", route=SHIP, body=_parcel("EMS0099", 2), **WAREHOUSE)
    assert_problem(*again, 409, "parcel-already-shipped")
    missing = fulfilment("POST", f"/orders/{child_id}/shipments", route=SHIP, body=_parcel("EMS0098", 9), **WAREHOUSE)
    assert_problem(*missing, 422, "validation-failed")
    both = {**_parcel("EMS0097", 1), "lines": [{"lineNo": big, "quantity": 1}]}
    assert fulfilment("POST", f"/orders/{child_id}/shipments", route=SHIP, body=both, **WAREHOUSE)[0] == 422
    # The same request again (a lost answer) is the same shipment.
    retried = fulfilment("POST", f"/orders/{child_id}/shipments", route=SHIP, body=_parcel("EMS0002", 2), **WAREHOUSE)
    assert (retried[0], retried[2]["shipmentId"]) == (201, shipped[2]["shipmentId"])

    view = read(orders_api, order["orderId"])["children"][0]
    assert view["status"] == "PARTIALLY_SHIPPED"
    assert [p["shipmentId"] for p in view["parcels"]] == [None, shipped[2]["shipmentId"], None, None]
    for n, tracking in ((1, "EMS0001"), (3, "EMS0003"), (4, "EMS0004")):
        status, _, made = fulfilment(
            "POST", f"/orders/{child_id}/shipments", route=SHIP, body=_parcel(tracking, n), **WAREHOUSE
        )
        assert status == 201, made
    final = read(orders_api, order["orderId"])
    assert final["status"] == "SHIPPED" and final["children"][0]["status"] == "SHIPPED"
    assert all(p["shipmentId"] for p in final["children"][0]["parcels"])


def test_without_carrier_settings_a_child_is_one_parcel(catalog: None, orders_api: Api, fulfilment: Api) -> None:
    order = place(orders_api, [("TEE-M", 3)], "k-one-parcel")
    (parcel,) = order["children"][0]["parcels"]
    assert (parcel["carrier"], parcel["weightLimitGrams"], parcel["weightGrams"]) == (None, None, 600)
    # Shipping by lines, as before, still works.
    paid = paid_order(orders_api, [("MUG", 1)], "k-lines")
    assert ship(fulfilment, paid["children"][0]["childOrderId"], "SF7777")[0] == 201


def _parcel(tracking: str, parcel_no: int) -> dict[str, Any]:
    return {"carrier": "ems", "trackingNumber": tracking, "parcelNo": parcel_no}


# ---------------------------------------------------------------- the yearly cross-border allowance


def test_the_yearly_limit_allows_the_boundary_refuses_past_it_unchanged_and_a_cancel_gives_it_back(
    catalog: None, orders_api: Api
) -> None:
    first = place(orders_api, [("WATCH", 1)], "cb-1")
    amount = share(first)
    assert amount == first["children"][0]["total"]["amount"]
    assert used() == amount
    seed_used(LIMIT - 2 * amount)
    assert share(place(orders_api, [("WATCH", 1)], "cb-2")) == amount
    at_limit = place(orders_api, [("WATCH", 1)], "cb-3")
    assert used() == LIMIT  # exactly at the limit is allowed

    before, stock = table_snapshot(), stock_of("WATCH")
    refused = orders_api(
        "POST",
        "/orders",
        **CUSTOMER,
        headers={"Idempotency-Key": "cb-4"},
        body={"lines": [{"skuId": "WATCH", "quantity": 1}], "shippingAddress": first["shippingAddress"]},
    )
    assert_problem(*refused, 422, "cross-border-yearly-limit")
    problem = refused[2]
    assert problem["remaining"] == {"amount": 0, "currency": "CNY"}
    assert problem["requested"] == {"amount": amount, "currency": "CNY"}
    assert problem["year"] == customs_year(utcnow())
    assert table_snapshot() == before and stock_of("WATCH") == stock

    # Domestic goods are not limited.
    assert place(orders_api, [("TEE-M", 1)], "cb-domestic")["crossBorderAllowance"] is None
    assert used() == LIMIT

    status, _, cancelled = orders_api(
        "POST", f"/orders/{at_limit['orderId']}/cancel", route=CANCEL, body={}, **CUSTOMER
    )
    assert (status, cancelled["status"]) == (200, "CANCELLED"), cancelled
    assert used() == LIMIT - amount
    retried = orders_api(  # a retried cancel gives nothing back twice
        "POST", f"/orders/{at_limit['orderId']}/cancel", route=CANCEL, body={}, **CUSTOMER
    )
    assert retried[0] == 200 and used() == LIMIT - amount
    assert share(place(orders_api, [("WATCH", 1)], "cb-5")) == amount
    assert used() == LIMIT


def test_a_paid_child_cancelled_before_it_ships_gives_its_share_back(
    catalog: None, orders_api: Api, fulfilment: Api
) -> None:
    order = paid_order(orders_api, [("WATCH", 1), ("TEE-M", 1)], "cb-paid")
    amount = share(order)
    # Only the cross-border child counts, in CNY.
    assert amount == next(c["total"]["amount"] for c in order["children"] if c["crossBorder"])
    assert used() == amount
    watch_child = next(c["childOrderId"] for c in order["children"] if c["crossBorder"])
    tee_child = next(c["childOrderId"] for c in order["children"] if not c["crossBorder"])
    status, _, body = orders_api("POST", f"/orders/{tee_child}/cancel", route=CANCEL, body={}, **CUSTOMER)
    assert status == 200, body
    assert used() == amount  # the domestic child took nothing
    status, _, body = orders_api("POST", f"/orders/{watch_child}/cancel", route=CANCEL, body={}, **CUSTOMER)
    assert status == 200, body
    assert used() == 0


def test_two_racing_checkouts_that_together_pass_the_limit_one_wins(
    catalog: None, orders_api: Api, serialized: None
) -> None:
    amount = share(place(orders_api, [("WATCH", 1)], "cb-probe"))
    seed_used(LIMIT - amount - amount // 2)  # room for one more watch, not two
    start = threading.Barrier(2)
    answers: list[tuple[int, Any]] = []
    lock = threading.Lock()
    apis = [Api(module) for module in environments(orders_api.module, 2)]

    def shop(n: int) -> None:
        start.wait()
        status, _, body = apis[n](
            "POST",
            "/orders",
            **CUSTOMER,
            headers={"Idempotency-Key": f"cb-race-{n}"},
            body={"lines": [{"skuId": "WATCH", "quantity": 1}], "shippingAddress": _address()},
        )
        with lock:
            answers.append((status, body))

    threads = [threading.Thread(target=shop, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(status for status, _ in answers) == [201, 422], answers
    loser = next(body for status, body in answers if status == 422)
    assert loser["type"] == "urn:oms:problem:cross-border-yearly-limit"
    assert loser["remaining"]["amount"] == amount // 2
    assert used() == LIMIT - amount // 2
    assert stock_of("WATCH")["reserved"] == 2  # the probe's and the winner's


def test_checkout_keeps_its_two_calls_with_the_limits(
    catalog: None, orders_api: Api, fulfilment: Api, aws_calls: AwsCalls
) -> None:
    body = {"carriers": [{"code": "ems", "parcelWeightLimitGrams": 250}], "defaultCarrier": "ems"}
    assert put_carriers(fulfilment, body)[0] == 200
    place(orders_api, [("TEE-M", 1)], "warm")
    aws_calls.clear()
    order = place(orders_api, [("WATCH", 1), ("TEE-M", 2)], "counted")
    assert aws_calls.calls == ["dynamodb:BatchGetItem", "dynamodb:TransactWriteItems"]
    assert len(next(c for c in order["children"] if not c["crossBorder"])["parcels"]) == 2


def _address() -> dict[str, Any]:
    from tests.helpers.handlers import ADDRESS

    return dict(ADDRESS)


def test_a_child_order_read_shows_its_parcels(catalog: None, orders_api: Api) -> None:
    order = place(orders_api, [("TEE-M", 2)], "k-child-parcels")
    child_id = order["children"][0]["childOrderId"]
    status, _, child = orders_api("GET", f"/orders/{child_id}", route=GET, **CUSTOMER)
    assert status == 200 and child["parcels"][0]["lines"] == [{"lineNo": 1, "quantity": 2}]


# ---------------------------------------------------------------- manual orders and edits keep to it


@pytest.fixture
def admin_api(aws: None, providers: Any) -> Any:
    from tests.helpers.admin_orders import FakeDirectory
    from tests.helpers.handlers import adapters, load_function

    directory = FakeDirectory()
    directory.add("cust-1", "cust-1@example.com")
    with adapters(users=directory):
        yield Api(load_function("admin_orders"))


def test_manual_orders_and_edits_keep_to_the_yearly_limit(catalog: None, orders_api: Api, admin_api: Api) -> None:
    order = place(orders_api, [("WATCH", 1)], "cb-edit")
    amount = share(order)
    seed_used(LIMIT - 1000)  # this order's share included: 10.00 CNY left this year
    version = read(orders_api, order["orderId"])["version"]
    path, tag = f"/orders/{order['orderId']}", f'"{version}"'
    before = table_snapshot()
    status, _, problem = admin_api(
        "PATCH",
        path,
        route="PATCH /orders/{orderId}",
        body={"lines": [{"skuId": "WATCH", "quantity": 2}]},
        headers={"If-Match": tag},
        **SUPPORT,
    )
    assert (status, problem["type"]) == (422, "urn:oms:problem:cross-border-yearly-limit"), problem
    assert problem["remaining"]["amount"] == 1000 + amount  # what the order holds counts as free again
    assert table_snapshot() == before
    # Less cross-border goods: the difference goes back.
    status, _, edited = admin_api(
        "PATCH",
        path,
        route="PATCH /orders/{orderId}",
        body={"lines": [{"skuId": "TEE-M", "quantity": 1}]},
        headers={"If-Match": tag},
        **SUPPORT,
    )
    assert status == 200, edited
    assert edited["crossBorderAllowance"] is None and used() == LIMIT - 1000 - amount

    seed_used(LIMIT)
    manual = {
        "customerId": "cust-1",
        "lines": [{"skuId": "WATCH", "quantity": 1}],
        "shippingAddress": _address(),
        "paymentMode": "online",
    }
    before = table_snapshot()
    status, _, refused = admin_api(
        "POST", "/admin/orders", route="POST /admin/orders", body=manual, headers={"Idempotency-Key": "m-cb"}, **SUPPORT
    )
    assert (status, refused["type"]) == (422, "urn:oms:problem:cross-border-yearly-limit"), refused
    assert table_snapshot() == before


def test_a_refund_of_cross_border_goods_reduces_the_years_total(
    catalog: None, orders_api: Api, fulfilment: Api, pay_api: Api
) -> None:
    order = paid_order(orders_api, [("WATCH", 2)], "cb-refund")
    (child,) = order["children"]
    amount, total = share(order), child["total"]["amount"]
    assert ship(fulfilment, child["childOrderId"], "SF4242")[0] == 201
    assert used() == amount
    finance = {"sub": "fin-1", "roles": ("finance",)}
    refund = {
        "childOrderId": child["childOrderId"],
        "lines": [{"lineNo": 1, "quantity": 1}],
        "reason": "damaged",
        "toBalance": True,
    }
    status, _, made = pay_api(
        "POST",
        f"/orders/{order['orderId']}/refunds",
        route="POST /orders/{orderId}/refunds",
        body=refund,
        headers={"Idempotency-Key": "rf-cb"},
        **finance,
    )
    assert status == 201, made
    refunded = int(made["amount"]["amount"])  # one watch's paid share
    assert 0 < refunded < total
    assert used() == amount - amount * refunded // total


def test_the_payment_timeout_gives_the_share_back(catalog: None, orders_api: Api) -> None:
    from datetime import timedelta

    from oms.domain.timers import TimerResult
    from oms.services.orders import OrderService
    from oms.store.orders import OrderRepository

    order = place(orders_api, [("WATCH", 1)], "cb-timeout")
    assert used() == share(order)
    later = OrderService(OrderRepository(), 900, clock=lambda: utcnow() + timedelta(days=1))
    assert later.expire(order["orderId"]).result is TimerResult.CANCELLED
    assert used() == 0
    assert later.expire(order["orderId"]).result is TimerResult.SKIPPED and used() == 0
