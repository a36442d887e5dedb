"""Member tiers and member prices through the handlers (moto): the tiers setting (If-Match, audit,
validation, permissions), member prices on SKUs, the quote's member line per tier, checkout freezing it,
manual orders and edits priced for the order's customer, the tier moving once when an order completes
(not again on a retry, a stale replay or a replayed event), and a refund after completion lowering it."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import boto3
import pytest
from oms.store import keys
from oms.store.models import PointsAccountItem, PricingSettingsItem

from tests.handlers.conftest import (
    ADDRESS,
    ADMIN,
    CUSTOMER,
    OTHER_CUSTOMER,
    SUPPORT,
    Api,
    LambdaContext,
    load_function,
)
from tests.helpers.admin_orders import body, created, edit
from tests.helpers.bus import bus_event
from tests.helpers.fulfilment import callback, minutes_ahead, paid_order, ship, tracking_event
from tests.helpers.handlers import outbox_rows
from tests.helpers.problems import assert_problem
from tests.helpers.table import table_snapshot
from tests.helpers.world import FINANCE, WAREHOUSE

CNY = "CNY"
TIERS_BODY = {
    "tiers": [
        {"tierId": "basic", "name": "Basic", "threshold": 0, "discountBps": 0},
        {"tierId": "silver", "name": "Silver", "threshold": 50, "discountBps": 500},
        {"tierId": "gold", "name": "Gold", "threshold": 1000, "discountBps": 1000},
    ],
    "reason": "launch",
}
CONFIRM = "POST /orders/{orderId}/confirm-receipt"


def cny(amount: int) -> dict[str, Any]:
    return {"amount": amount, "currency": CNY}


def table() -> Any:
    return boto3.resource("dynamodb").Table("oms-local-oms")


def set_tiers(data: dict[str, Any] = TIERS_BODY) -> None:
    """The tiers setting as PUT /settings/member-tiers stores it (the route has its own test)."""
    PricingSettingsItem(
        *keys.MEMBER_TIERS_SETTINGS, data={"tiers": data["tiers"]}, version=1, updatedAt="t", updatedBy="a"
    ).save()


def set_earned(customer_id: str, earned: int, available: int = 0) -> None:
    PointsAccountItem(
        *keys.points_account(customer_id), customerId=customer_id, available=available, earned=earned, updatedAt="t"
    ).save()


def earned_of(customer_id: str) -> int:
    pk, sk = keys.points_account(customer_id)
    return int(table().get_item(Key={"PK": pk, "SK": sk}, ConsistentRead=True).get("Item", {}).get("earned", 0))


def earn_one_point_per_yuan() -> None:
    data = {
        CNY: {
            "redeemRate": {"points": 100, "value": cny(100)},
            "capBps": 5000,
            "earnRate": {"points": 1, "value": cny(100)},
        }
    }
    PricingSettingsItem(*keys.POINTS_SETTINGS, data=data, version=1, updatedAt="t", updatedBy="a").save()


@pytest.fixture
def promotions(aws: None, seeded: dict[str, Any]) -> Api:
    return Api(load_function("promotions"))


@pytest.fixture
def priced_shop(seeded: dict[str, Any], catalog_api: Api) -> None:
    """The demo store (TEE-M 49.00, MUG 25.50; shipping 10.00, free from 99.00) with a gold member price of
    40.00 on TEE-M, and the three tiers."""
    route = "PATCH /skus/{skuId}"
    status, _, sku = catalog_api(
        "PATCH", "/skus/TEE-M", route=route, **ADMIN, body={"memberPrices": {"gold": cny(4000)}}
    )
    assert status == 200, sku
    set_tiers()


def quote(orders_api: Api, who: dict[str, Any] = CUSTOMER, lines: Any = None) -> Any:
    lines = lines or [{"skuId": "TEE-M", "quantity": 2}, {"skuId": "MUG", "quantity": 1}]
    status, _, quoted = orders_api("POST", "/orders/quote", **who, body={"lines": lines})
    assert status == 200, quoted
    return quoted


# ---------------------------------------------------------------- the setting
def test_member_tiers_put_get_if_match_and_audit(promotions: Api) -> None:
    status, headers, empty = promotions("GET", "/settings/member-tiers", **FINANCE)
    assert (status, headers["ETag"], empty["tiers"], empty["measure"]) == (200, '"0"', [], "lifetime-points-earned")
    status, headers, saved = promotions(
        "PUT", "/settings/member-tiers", **FINANCE, headers={"If-Match": '"0"'}, body=TIERS_BODY
    )
    assert (status, headers["ETag"], saved["tiers"], saved["updatedBy"]) == (200, '"1"', TIERS_BODY["tiers"], "fin-1")
    shown = promotions("GET", "/settings/member-tiers", **ADMIN)[2]
    assert [(a["action"], a["by"], a["before"], a["after"], a["reason"]) for a in shown["audit"]] == [
        ("member-tiers.update", "fin-1", None, {"tiers": TIERS_BODY["tiers"]}, "launch")
    ]
    before = table_snapshot()
    stale = promotions("PUT", "/settings/member-tiers", **ADMIN, headers={"If-Match": '"0"'}, body=TIERS_BODY)
    assert_problem(*stale, 412, "precondition-failed")
    for who in (SUPPORT, CUSTOMER, WAREHOUSE):
        assert promotions("PUT", "/settings/member-tiers", **who, body=TIERS_BODY)[0] == 403
        assert promotions("GET", "/settings/member-tiers", **who)[0] == 403
    assert table_snapshot() == before
    status, _, off = promotions(
        "PUT", "/settings/member-tiers", **ADMIN, headers={"If-Match": '"1"'}, body={"tiers": []}
    )
    assert (status, off["tiers"], off["version"]) == (200, [], 2)


def tier(tier_id: str, threshold: Any, bps: Any = 0, **more: Any) -> dict[str, Any]:
    return {"tierId": tier_id, "name": tier_id.title(), "threshold": threshold, "discountBps": bps, **more}


@pytest.mark.parametrize(
    ("tiers", "field"),
    [
        ([tier("gold", 100), tier("silver", 50)], "tiers[1].threshold"),  # not increasing
        ([tier("silver", 50), tier("silver", 100)], "tiers[1].tierId"),  # twice
        ([tier("Gold!", 0)], "tiers.0.tierId"),
        ([tier("gold", 0, 10_000)], "tiers.0.discountBps"),
        ([tier("gold", -1)], "tiers.0.threshold"),
        ([tier("gold", "100")], "tiers.0.threshold"),
        ([tier("gold", 0, colour="gold")], "tiers.0.colour"),
        ([tier(f"t{n}", n) for n in range(21)], "tiers"),
    ],
)
def test_bad_tiers_are_422_with_a_field_and_change_nothing(promotions: Api, tiers: Any, field: str) -> None:
    before = table_snapshot()
    status, headers, problem = promotions("PUT", "/settings/member-tiers", **ADMIN, body={"tiers": tiers})
    assert_problem(status, headers, problem, 422, "validation-failed")
    fields = {e["field"] for e in problem.get("errors", [])} | {problem.get("field")}
    assert field in fields, problem
    assert table_snapshot() == before


# ---------------------------------------------------------------- member prices on SKUs
def test_member_prices_on_sku_create_and_patch(seeded: dict[str, Any], catalog_api: Api) -> None:
    product = {
        "storeId": "demo",
        "name": "Cap",
        "skus": [
            {
                "skuId": "CAP",
                "name": "Cap",
                "price": cny(3000),
                "stock": 5,
                "warehouseId": "WH1",
                "weightGrams": 80,
                "memberPrices": {"gold": cny(2500), "silver": cny(2800)},
            }
        ],
    }
    status, _, created_product = catalog_api("POST", "/products", **ADMIN, body=product)
    assert status == 201, created_product
    assert created_product["skus"][0]["memberPrices"] == {"gold": cny(2500), "silver": cny(2800)}
    route = "PATCH /skus/{skuId}"
    before = table_snapshot()
    for prices, field in (
        ({"gold": {"amount": 2500, "currency": "USD"}}, "memberPrices.gold.currency"),
        ({"gold": cny(3000)}, "memberPrices.gold.amount"),  # not below the list price
    ):
        got = catalog_api("PATCH", "/skus/CAP", route=route, **ADMIN, body={"memberPrices": prices})
        assert_problem(*got, 422, "validation-failed")
        assert got[2].get("field") == field, got[2]
    assert_problem(
        *catalog_api("PATCH", "/skus/CAP", route=route, **ADMIN, body={"memberPrices": {"GOLD": cny(1)}}),
        422,
        "validation-failed",
    )
    assert table_snapshot() == before
    # A lower price and its member price in one patch; {} removes them all.
    status, _, sku = catalog_api(
        "PATCH", "/skus/CAP", route=route, **ADMIN, body={"price": cny(2000), "memberPrices": {"gold": cny(1900)}}
    )
    assert (status, sku["memberPrices"]) == (200, {"gold": cny(1900)})
    status, _, sku = catalog_api("PATCH", "/skus/CAP", route=route, **ADMIN, body={"memberPrices": {}})
    assert (status, sku["memberPrices"]) == (200, {})
    assert catalog_api("GET", "/skus/CAP", route="GET /skus/{skuId}")[2]["memberPrices"] == {}
    bad = dict(product, skus=[{**product["skus"][0], "skuId": "CAP2", "memberPrices": {"gold": cny(3500)}}])
    assert_problem(*catalog_api("POST", "/products", **ADMIN, body=bad), 422, "validation-failed")


# ---------------------------------------------------------------- quote and checkout
@pytest.mark.parametrize(
    ("earned", "tier_id", "member_lines", "savings"),
    [
        (0, None, [], 0),  # basic: 0 %, saves nothing, no member line
        (50, "silver", [(1, "tier_discount", 4655, 490), (2, "tier_discount", 2423, 127)], 617),
        (1000, "gold", [(1, "member_price", 4000, 1800), (2, "tier_discount", 2295, 255)], 2055),
    ],
)
def test_the_quote_shows_the_member_line_of_the_customers_tier(
    priced_shop: None, orders_api: Api, earned: int, tier_id: str | None, member_lines: list[Any], savings: int
) -> None:
    set_earned("cust-1", earned)
    quoted = quote(orders_api)
    subtotal = 2 * 4900 + 2550
    if tier_id is None:
        assert "member" not in quoted
    else:
        member = quoted["member"]
        assert member["tier"]["tierId"] == tier_id
        got = [(m["lineNo"], m["kind"], m["unitPrice"]["amount"], m["savings"]["amount"]) for m in member["lines"]]
        assert got == member_lines
        assert member["savings"] == cny(savings)
        assert [d for line in quoted["lines"] for d in line["discounts"] if d["source"] == "member"]
    # Shipping's free-over threshold (99.00) is judged after the member benefit.
    goods = subtotal - savings
    shipping = 0 if goods >= 9900 else 1000
    assert quoted["breakdown"]["discount"] == cny(savings)
    assert quoted["breakdown"]["total"] == cny(goods + shipping)


def test_checkout_freezes_the_member_pricing_and_a_later_tier_change_leaves_it(
    priced_shop: None, orders_api: Api, promotions: Api
) -> None:
    set_earned("cust-1", 1000)
    quoted = quote(orders_api)
    body_ = {"lines": [{"skuId": "TEE-M", "quantity": 2}, {"skuId": "MUG", "quantity": 1}], "shippingAddress": ADDRESS}
    status, _, order = orders_api("POST", "/orders", **CUSTOMER, headers={"Idempotency-Key": "k1"}, body=body_)
    assert status == 201, order
    assert order["pricing"]["member"] == quoted["member"]
    assert order["breakdown"]["total"] == quoted["breakdown"]["total"]
    # The line amounts refunds split by carry the member saving as goods discount.
    assert [line["pricing"]["goodsDiscount"]["amount"] for line in order["lines"]] == [1800, 255]
    set_tiers({"tiers": [{"tierId": "gold", "name": "Gold", "threshold": 0, "discountBps": 5000}]})
    route = "GET /orders/{orderId}"
    again = orders_api("GET", f"/orders/{order['orderId']}", route=route, **CUSTOMER)[2]
    assert again["pricing"]["member"] == quoted["member"] and again["breakdown"] == order["breakdown"]
    assert quote(orders_api)["member"]["savings"] != quoted["member"]["savings"]  # new quotes follow the setting


def test_checkout_reads_the_tier_in_its_one_batch_read(priced_shop: None, orders_api: Api, aws_calls: Any) -> None:
    set_earned("cust-1", 1000)
    aws_calls.clear()
    body_ = {"lines": [{"skuId": "TEE-M", "quantity": 1}], "shippingAddress": ADDRESS}
    status, _, order = orders_api("POST", "/orders", **CUSTOMER, headers={"Idempotency-Key": "k1"}, body=body_)
    assert status == 201 and order["pricing"]["member"]["tier"]["tierId"] == "gold"
    assert aws_calls.calls == ["dynamodb:BatchGetItem", "dynamodb:TransactWriteItems"]


def test_a_manual_order_and_its_edit_are_priced_for_the_orders_customer(
    priced_shop: None,
    admin_api: Api,
) -> None:
    set_earned("cust-1", 1000)  # gold: TEE-M at 40.00
    order = created(admin_api, body(quantity=2))
    assert order["pricing"]["member"]["tier"]["tierId"] == "gold"
    assert order["breakdown"]["subtotal"] == cny(9800) and order["breakdown"]["discount"] == cny(1800)
    status, _, edited = edit(admin_api, order, {"lines": [{"skuId": "TEE-M", "quantity": 3}]})
    assert status == 200, edited
    assert edited["pricing"]["member"]["savings"] == cny(2700)
    assert edited["breakdown"]["total"] == cny(12000)  # 3 × 40.00, shipping free over 99.00


# ---------------------------------------------------------------- the tier follows completed orders
def complete(orders_api: Api, fulfilment: Api, carriers: ModuleType, order: dict[str, Any], tracking: str) -> Any:
    child = order["children"][0]["childOrderId"]
    assert ship(fulfilment, child, tracking)[0] == 201
    assert callback(carriers, tracking_event(tracking, "DELIVERED", minutes_ahead(1), f"d-{tracking}")) == 204
    path = f"/orders/{order['orderId']}/confirm-receipt"
    status, _, done = orders_api("POST", path, route=CONFIRM, **CUSTOMER)
    assert status == 200 and done["status"] == "COMPLETED", done
    return done


def test_completion_moves_the_tier_exactly_once(
    catalog: None,
    orders_api: Api,
    orders_module: ModuleType,
    promotions: Api,
    fulfilment: Api,
    carriers: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    set_tiers()
    earn_one_point_per_yuan()
    assert promotions("GET", "/me/membership", **CUSTOMER)[2]["tier"]["tierId"] == "basic"
    order = paid_order(orders_api, [("LAMP", 1)])  # 60.00 + 8.00 shipping, paid from the balance
    earned = order["breakdown"]["pointsEarned"]
    assert earned == 60 and earned_of("cust-1") == 0  # earned when the order completes, not before
    stale = orders_module.service.repository.get_order(order["orderId"])
    complete(orders_api, fulfilment, carriers, order, "SF9001")
    assert earned_of("cust-1") == 60
    mine = promotions("GET", "/me/membership", **CUSTOMER)[2]
    assert (mine["tier"]["tierId"], mine["pointsEarned"], mine["nextTier"]["tierId"], mine["pointsToNextTier"]) == (
        "silver",
        60,
        "gold",
        940,
    )
    # A retried confirmation, a confirmation that read the order before it completed, and the completion's
    # event delivered twice to a bus consumer: none counts the points again.
    path = f"/orders/{order['orderId']}/confirm-receipt"
    assert orders_api("POST", path, route=CONFIRM, **CUSTOMER)[0] == 200
    monkeypatch.setattr(orders_module.service.repository, "get_order", lambda order_id, **kw: stale)
    orders_api("POST", path, route=CONFIRM, **CUSTOMER)
    monkeypatch.undo()
    completed = [detail for kind, detail in outbox_rows(order["orderId"]) if kind == "OrderCompleted"]
    assert len(completed) == 1
    statistics = load_function("statistics")
    event = bus_event("OrderCompleted", completed[0], event_id="E-complete")
    for _ in range(2):
        statistics.handler(event, LambdaContext())
    assert earned_of("cust-1") == 60
    # The next quote is priced for silver (5 %).
    quoted = quote(orders_api, lines=[{"skuId": "LAMP", "quantity": 1}])
    assert quoted["member"]["tier"]["tierId"] == "silver" and quoted["member"]["savings"] == cny(300)


def test_a_refund_after_completion_takes_its_points_off_the_measure(
    catalog: None,
    orders_api: Api,
    pay_api: Api,
    promotions: Api,
    fulfilment: Api,
    carriers: ModuleType,
) -> None:
    set_tiers()
    earn_one_point_per_yuan()
    order = paid_order(orders_api, [("LAMP", 1)])
    complete(orders_api, fulfilment, carriers, order, "SF9002")
    assert promotions("GET", "/me/membership", **CUSTOMER)[2]["tier"]["tierId"] == "silver"
    child = order["children"][0]["childOrderId"]
    refund = {"childOrderId": child, "lines": [{"lineNo": 1, "quantity": 1}], "reason": "damaged"}
    route = "POST /orders/{orderId}/refunds"
    status, _, refunded = pay_api(
        "POST",
        f"/orders/{order['orderId']}/refunds",
        route=route,
        **FINANCE,
        headers={"Idempotency-Key": "r1"},
        body=refund,
    )
    assert status == 201, refunded
    assert refunded["points"]["revoked"] == 60
    assert earned_of("cust-1") == 0
    assert promotions("GET", "/me/membership", **CUSTOMER)[2]["tier"]["tierId"] == "basic"


def test_staff_read_a_customers_membership_and_others_do_not(priced_shop: None, promotions: Api) -> None:
    set_earned("cust-1", 1200)
    route = "GET /customers/{customerId}/membership"
    for who in (SUPPORT, ADMIN, FINANCE, CUSTOMER):
        status, _, shown = promotions("GET", "/customers/cust-1/membership", route=route, **who)
        assert (status, shown["tier"]["tierId"], shown["nextTier"], shown["pointsToNextTier"]) == (
            200,
            "gold",
            None,
            None,
        )
    assert promotions("GET", "/customers/me/membership", route=route, **CUSTOMER)[2]["pointsEarned"] == 1200
    for who in (OTHER_CUSTOMER, WAREHOUSE):
        assert_problem(*promotions("GET", "/customers/cust-1/membership", route=route, **who), 404, "not-found")
    other = promotions("GET", "/me/membership", **OTHER_CUSTOMER)[2]
    assert (other["pointsEarned"], other["tier"]["tierId"]) == (0, "basic")
