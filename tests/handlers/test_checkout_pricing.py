"""Checkout with promotions, coupons, points and balance through the orders function (moto).

Rules are written straight into the table here (the admin routes have their own tests); what is tested
is that quote and checkout price through one function, that checkout takes coupons, points and
balance inside its one transaction, that refused requests change nothing, and that a cancel gives
everything back.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import boto3
import pytest
from oms.domain.clock import parse_rfc3339
from oms.domain.money import Money
from oms.domain.promotions import (
    AmountOff,
    CouponTemplate,
    PointsRate,
    PointsRules,
    Promotion,
    Scope,
    SpendAndSave,
    Tier,
    ValidityWindow,
)
from oms.domain.rules_json import points_rules_to_dict, promotion_to_dict, template_to_dict
from oms.store import keys
from oms.store.models import (
    CouponItem,
    CouponTemplateItem,
    PointsAccountItem,
    PricingSettingsItem,
    PromotionDirectoryItem,
)
from oms.store.orders import CouponState

from tests.handlers.conftest import (
    ADDRESS,
    ADMIN,
    CUSTOMER,
    OTHER_CUSTOMER,
    Api,
    due_entry_of,
    give_balance,
    outbox_rows,
)
from tests.helpers.problems import assert_problem
from tests.helpers.table import stock_of, table_snapshot

NOW = "2026-01-01T00:00:00Z"
WINDOW = ValidityWindow(parse_rfc3339("2020-01-01T00:00:00Z"))
CNY = "CNY"


def cny(amount: int) -> Money:
    return Money(amount, CNY)


def item(pk: str, sk: str) -> dict[str, Any]:
    return boto3.resource("dynamodb").Table("oms-local-oms").get_item(Key={"PK": pk, "SK": sk}).get("Item", {})


def points_of(customer_id: str) -> int:
    return int(item(*keys.points_account(customer_id)).get("available", 0))


def add_template(
    template_id: str,
    *,
    total_limit: int | None = None,
    per_customer: int | None = 1,
    min_spend: int = 10000,
    stackable: bool = False,
) -> CouponTemplate:
    template = CouponTemplate(
        template_id=template_id,
        stackable=stackable,
        benefit=AmountOff(cny(1000)),
        scope=Scope(store_id="demo"),
        window=WINDOW,
        min_spend=cny(min_spend),
        total_limit=total_limit,
        per_customer_limit=per_customer,
    )
    CouponTemplateItem(
        *keys.coupon_template(template_id),
        templateId=template_id,
        definition=template_to_dict(template),
        status="ACTIVE",
        issued=0,
        used=0,
        createdAt=NOW,
        updatedAt=NOW,
        createdBy="admin-1",
        version=1,
    ).save()
    return template


def disable_template(template_id: str) -> None:
    """What POST /coupon-templates/{id}/disable does (tested with the admin routes)."""
    pk, sk = keys.coupon_template(template_id)
    boto3.resource("dynamodb").Table("oms-local-oms").update_item(
        Key={"PK": pk, "SK": sk},
        UpdateExpression="SET #s = :d",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":d": "DISABLED"},
    )


def add_coupon(code: str, template: CouponTemplate, owner: str | None) -> None:
    CouponItem(
        *keys.coupon(code),
        GSI1PK=keys.customer_coupons_gsi1(owner) if owner else None,
        GSI1SK=f"COUPON#{NOW}#{code}" if owner else None,
        code=code,
        templateId=template.template_id,
        template=template_to_dict(template),
        ownerId=owner,
        status="AVAILABLE",
        issuedAt=NOW,
        issuedBy="admin-1",
        version=1,
    ).save()


@pytest.fixture
def rules(seeded: dict[str, Any], catalog_api: Api) -> CouponTemplate:
    """Seed 003's example: SKU G100 at 100.00, spend 200 save 50, a 10.00 coupon (over 100.00),
    points at 100 = 1.00 with a 50 % cap and 1 point earned per 1.00; cust-1 holds 1000 points."""
    status, _, _ = catalog_api(
        "POST",
        "/products",
        **ADMIN,
        body={
            "storeId": "demo",
            "name": "Gadget",
            "category": "gadgets",
            "skus": [
                {
                    "skuId": "G100",
                    "name": "Gadget",
                    "price": {"amount": 10000, "currency": CNY},
                    "stock": 50,
                    "warehouseId": "WH1",
                    "weightGrams": 100,
                },
                {
                    "skuId": "PM-CUP",
                    "name": "Points cup",
                    "price": {"amount": 0, "currency": CNY},
                    "pointsPrice": 500,
                    "stock": 5,
                    "warehouseId": "WH1",
                    "weightGrams": 100,
                },
            ],
        },
    )
    assert status == 201
    promotion = Promotion(
        promotion_id="P200-50",
        rule=SpendAndSave((Tier(cny(20000), cny(5000)),)),
        scope=Scope(store_id="demo"),
        window=WINDOW,
    )
    PromotionDirectoryItem(
        *keys.PROMOTION_DIRECTORY,
        promotions={"P200-50": {**promotion_to_dict(promotion), "status": "ACTIVE"}},
        version=1,
    ).save()
    programme = PointsRules(redeem_rate=PointsRate(100, cny(100)), cap_bps=5000, earn_rate=PointsRate(1, cny(100)))
    PricingSettingsItem(
        *keys.POINTS_SETTINGS, data={CNY: points_rules_to_dict(programme)}, version=1, updatedAt=NOW, updatedBy="a"
    ).save()
    PointsAccountItem(*keys.points_account("cust-1"), customerId="cust-1", available=1000, updatedAt=NOW).save()
    template = add_template("T10", total_limit=100)
    add_coupon("C10-CUST1", template, "cust-1")
    add_coupon("WELCOME10", template, None)
    return template


def place(api: Api, key: str, who: dict[str, Any] = CUSTOMER, **options: Any) -> tuple[int, dict[str, str], Any]:
    body = {"lines": [{"skuId": "G100", "quantity": 2}], "shippingAddress": ADDRESS, **options}
    return api("POST", "/orders", **who, headers={"Idempotency-Key": key}, body=body)


def quote(api: Api, who: dict[str, Any] = CUSTOMER, **options: Any) -> tuple[int, dict[str, str], Any]:
    return api("POST", "/orders/quote", **who, body={"lines": [{"skuId": "G100", "quantity": 2}], **options})


SEED_EXAMPLE = {"coupons": ["C10-CUST1"], "points": 500}


def test_seed_example_quote_and_checkout_agree_to_the_cent(rules: CouponTemplate, orders_api: Api) -> None:
    status, _, quoted = quote(orders_api, **SEED_EXAMPLE)
    assert status == 200, quoted
    status, _, order = place(orders_api, "k1", **SEED_EXAMPLE)
    assert status == 201, order
    assert order["breakdown"] == quoted["breakdown"]
    assert order["breakdown"]["total"] == {"amount": 13500, "currency": CNY}
    assert order["breakdown"]["amountDue"] == {"amount": 13500, "currency": CNY}
    assert order["breakdown"]["discount"] == {"amount": 6500, "currency": CNY}  # 50 + 10 + 5 points
    assert order["breakdown"]["pointsUsed"] == 500
    assert order["breakdown"]["pointsEarned"] == 135
    frozen = order["pricing"]
    assert [p["id"] for p in frozen["promotions"]] == ["P200-50"]
    assert [(c["id"], c["amount"]["amount"]) for c in frozen["coupons"]] == [("C10-CUST1", 1000)]
    assert {k: v for k, v in frozen.items() if k != "lines"} == {
        k: v for k, v in quoted.items() if k not in ("lines", "breakdown")
    }
    # Each line carries its share, and the lines sum to the order.
    assert [line["payable"]["amount"] for line in order["lines"]] == [13500]
    assert order["lines"][0]["pricing"]["pointsRedeemed"] == 500
    # Taken in the checkout's transaction: coupon, template counter, customer counter, points, stock.
    coupon = item(*keys.coupon("C10-CUST1"))
    assert (coupon["status"], coupon["orderId"]) == ("USED", order["orderId"])
    assert int(item(*keys.coupon_template("T10"))["used"]) == 1
    assert int(item(*keys.coupon_use("T10", "cust-1"))["used"]) == 1
    assert points_of("cust-1") == 500
    assert stock_of("G100")["reserved"] == 2


def test_quote_takes_nothing(rules: CouponTemplate, orders_api: Api) -> None:
    before = table_snapshot()
    status, _, quoted = quote(orders_api, **SEED_EXAMPLE)
    assert status == 200 and quoted["total"]["amount"] == 13500
    assert table_snapshot() == before


def test_cancel_returns_coupon_points_and_counters(rules: CouponTemplate, orders_api: Api) -> None:
    _, _, order = place(orders_api, "k1", **SEED_EXAMPLE)
    route = "POST /orders/{orderId}/cancel"
    status, _, cancelled = orders_api("POST", f"/orders/{order['orderId']}/cancel", route=route, **CUSTOMER)
    assert status == 200 and cancelled["status"] == "CANCELLED"
    coupon = item(*keys.coupon("C10-CUST1"))
    assert coupon["status"] == "AVAILABLE" and "orderId" not in coupon
    assert int(item(*keys.coupon_template("T10"))["used"]) == 0
    assert int(item(*keys.coupon_use("T10", "cust-1"))["used"]) == 0
    assert points_of("cust-1") == 1000
    assert stock_of("G100")["reserved"] == 0
    entries = (
        boto3.resource("dynamodb")
        .Table("oms-local-oms")
        .query(
            KeyConditionExpression="PK = :pk AND begins_with(SK, :e)",
            ExpressionAttributeValues={":pk": "POINTS#cust-1", ":e": "ENTRY#"},
        )["Items"]
    )
    assert sorted((int(e["delta"]), e["kind"]) for e in entries) == [(-500, "redeem"), (500, "return")]
    # The coupon works again.
    assert place(orders_api, "k2", **SEED_EXAMPLE)[0] == 201


def test_a_used_coupon_is_refused_and_nothing_changes(rules: CouponTemplate, orders_api: Api) -> None:
    assert place(orders_api, "k1", coupons=["C10-CUST1"])[0] == 201
    before = table_snapshot()
    got = place(orders_api, "k2", coupons=["C10-CUST1"])
    assert_problem(*got, 422, "coupon-not-applicable")
    assert got[2]["reason"] == "coupon-used" and got[2]["code"] == "C10-CUST1"
    assert table_snapshot() == before


@pytest.mark.parametrize("code", ["C10-CUST1", "NO-SUCH-CODE"])
def test_another_customers_coupon_and_an_unknown_code_look_alike(
    rules: CouponTemplate, orders_api: Api, code: str
) -> None:
    before = table_snapshot()
    got = place(orders_api, "k1", who=OTHER_CUSTOMER, coupons=[code])
    assert_problem(*got, 422, "coupon-not-applicable")
    assert got[2]["reason"] == "coupon-not-found"
    assert table_snapshot() == before


def test_public_code_holds_its_per_customer_limit(rules: CouponTemplate, orders_api: Api) -> None:
    assert place(orders_api, "k1", coupons=["WELCOME10"])[0] == 201
    before = table_snapshot()
    got = place(orders_api, "k2", coupons=["WELCOME10"])
    assert_problem(*got, 422, "coupon-not-applicable")
    assert got[2]["reason"] == "coupon-customer-limit-reached"
    assert table_snapshot() == before
    assert place(orders_api, "k3", who=OTHER_CUSTOMER, coupons=["WELCOME10"])[0] == 201
    assert int(item(*keys.coupon_template("T10"))["used"]) == 2
    assert item(*keys.coupon("WELCOME10"))["status"] == "AVAILABLE"  # a public code stays usable


def test_total_limit_and_disabled_template(rules: CouponTemplate, orders_api: Api) -> None:
    template = add_template("T1", total_limit=1, per_customer=None)
    add_coupon("ONE-A", template, None)
    assert place(orders_api, "k1", coupons=["ONE-A"])[0] == 201
    got = place(orders_api, "k2", who=OTHER_CUSTOMER, coupons=["ONE-A"])
    assert_problem(*got, 422, "coupon-not-applicable")
    assert got[2]["reason"] == "coupon-limit-reached"
    disable_template("T10")
    before = table_snapshot()
    got = place(orders_api, "k3", coupons=["C10-CUST1"])
    assert_problem(*got, 422, "coupon-not-applicable")
    assert got[2]["reason"] == "coupon-disabled"
    assert table_snapshot() == before


def test_the_transaction_refuses_a_coupon_taken_after_the_read(
    rules: CouponTemplate, orders_module: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another checkout used the coupon between this one's read and its write: the condition holds."""
    api = Api(orders_module)
    repo = orders_module.service.repository
    real_read = repo.read_checkout_inputs
    stale = real_read(["G100"], None, customer_id="cust-1", coupon_codes=("C10-CUST1",))
    assert place(api, "k1", coupons=["C10-CUST1"])[0] == 201
    monkeypatch.setattr(repo, "read_checkout_inputs", lambda ids, idem, **kw: stale)
    monkeypatch.setattr(repo, "read_coupon_state", lambda tids, cid: CouponState({"T10": "ACTIVE"}, {"T10": 0}, {}))
    before = table_snapshot()
    got = place(api, "k2", coupons=["C10-CUST1"])
    assert_problem(*got, 422, "coupon-not-applicable")
    assert got[2]["reason"] == "coupon-used"
    assert table_snapshot() == before


@pytest.mark.parametrize(
    ("points", "reason"),
    [(1100, "points-insufficient"), (10100, "points-insufficient"), (150, "points-over-cap")],
)
def test_points_beyond_what_is_held_or_allowed_change_nothing(
    rules: CouponTemplate, orders_api: Api, points: int, reason: str
) -> None:
    if reason == "points-over-cap":
        PointsAccountItem(*keys.points_account("cust-1"), customerId="cust-1", available=100_000, updatedAt=NOW).save()
        points = 10_100  # 101.00: over 50 % of the 150.00 left after the promotion
    before = table_snapshot()
    got = place(orders_api, "k1", points=points)
    assert_problem(*got, 422, "validation-failed")
    assert got[2]["reason"] == reason
    assert table_snapshot() == before


def test_points_taken_after_the_read_are_refused_by_the_transaction(
    rules: CouponTemplate, orders_module: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = Api(orders_module)
    repo = orders_module.service.repository
    stale = repo.read_checkout_inputs(["G100"], None, customer_id="cust-1")
    PointsAccountItem(*keys.points_account("cust-1"), customerId="cust-1", available=100, updatedAt=NOW).save()
    monkeypatch.setattr(repo, "read_checkout_inputs", lambda ids, idem, **kw: stale)
    before = table_snapshot()
    got = place(api, "k1", points=500)
    assert_problem(*got, 422, "validation-failed")
    assert got[2]["reason"] == "points-insufficient"
    assert table_snapshot() == before
    assert points_of("cust-1") == 100


def test_balance_covering_everything_pays_the_order_at_checkout(
    rules: CouponTemplate, orders_module: ModuleType
) -> None:
    api = Api(orders_module)
    give_balance("cust-1", 20000)
    status, _, order = place(api, "k1", balance="max", points=500)
    assert status == 201, order
    assert order["status"] == "PAID"
    assert order["breakdown"]["balanceUsed"] == {"amount": 14500, "currency": CNY}  # 150 − 5 points
    assert order["breakdown"]["amountDue"] == {"amount": 0, "currency": CNY}
    assert [h["to"] for h in order["history"]] == ["PENDING_PAYMENT", "PAID"]
    assert due_entry_of(order["orderId"]) is None  # nothing left to time out: no payment deadline to sweep
    assert [(kind, detail["status"]) for kind, detail in outbox_rows(order["orderId"])] == [
        ("OrderPlaced", "PAID"),  # so no payment timer is armed from it
        ("OrderPaid", "PAID"),
    ]
    assert stock_of("G100")["sold"] == 2 and stock_of("G100")["reserved"] == 0
    assert int(item(keys.balance_pk("cust-1"), keys.BALANCE_ACCOUNT_SK)["available"]) == 5500
    _, _, read = api("GET", f"/orders/{order['orderId']}", route="GET /orders/{orderId}", **CUSTOMER)
    assert read["payment"]["status"] == "PAID"
    assert read["payment"]["received"] == {"amount": 14500, "currency": CNY}


def test_partial_balance_leaves_the_rest_to_a_provider_and_cancel_returns_it(
    rules: CouponTemplate, orders_api: Api
) -> None:
    give_balance("cust-1", 20000)
    status, _, order = place(orders_api, "k1", balance={"amount": 5000, "currency": CNY})
    assert status == 201, order
    assert order["status"] == "PENDING_PAYMENT"
    assert order["breakdown"]["total"]["amount"] == 15000
    assert order["breakdown"]["amountDue"]["amount"] == 10000
    route = "GET /orders/{orderId}"
    _, _, read = orders_api("GET", f"/orders/{order['orderId']}", route=route, **CUSTOMER)
    assert read["payment"]["outstanding"] == {"amount": 10000, "currency": CNY}
    cancel_route = "POST /orders/{orderId}/cancel"
    assert orders_api("POST", f"/orders/{order['orderId']}/cancel", route=cancel_route, **CUSTOMER)[0] == 200
    assert int(item(keys.balance_pk("cust-1"), keys.BALANCE_ACCOUNT_SK)["available"]) == 20000
    _, _, read = orders_api("GET", f"/orders/{order['orderId']}", route=route, **CUSTOMER)
    assert read["payment"]["received"]["amount"] == 5000 and read["payment"]["refunded"]["amount"] == 5000


def test_more_balance_than_held_changes_nothing(rules: CouponTemplate, orders_api: Api) -> None:
    give_balance("cust-1", 1000)
    before = table_snapshot()
    got = place(orders_api, "k1", balance={"amount": 5000, "currency": CNY})
    assert_problem(*got, 422, "validation-failed")
    assert got[2]["reason"] == "balance-insufficient"
    assert table_snapshot() == before


def test_points_mall_goods_cost_points_and_shipping(rules: CouponTemplate, orders_api: Api) -> None:
    body = {"lines": [{"skuId": "PM-CUP", "quantity": 1}], "shippingAddress": ADDRESS}
    status, _, order = orders_api("POST", "/orders", **CUSTOMER, headers={"Idempotency-Key": "pm"}, body=body)
    assert status == 201, order
    assert order["breakdown"]["pointsUsed"] == 500
    assert order["breakdown"]["amountDue"] == {"amount": 1000, "currency": CNY}  # the store's shipping fee
    assert points_of("cust-1") == 500
    got = orders_api("POST", "/orders", **OTHER_CUSTOMER, headers={"Idempotency-Key": "pm"}, body=body)
    assert_problem(*got, 422, "validation-failed")
    assert got[2]["reason"] == "points-insufficient"


@pytest.mark.parametrize(
    "options",
    [
        {"coupons": "C10-CUST1"},
        {"coupons": ["a"] * 6},
        {"coupons": ["bad code!"]},
        {"points": -1},
        {"points": "all"},
        {"points": 1.5},
        {"balance": {"amount": -1, "currency": CNY}},
        {"balance": "everything"},
    ],
)
def test_bad_pricing_options_are_422_and_change_nothing(rules: CouponTemplate, orders_api: Api, options: Any) -> None:
    before = table_snapshot()
    assert_problem(*place(orders_api, "k1", **options), 422, "validation-failed")
    assert table_snapshot() == before


def deliver(order_id: str) -> None:
    """Fulfilment moves orders to DELIVERED; until it exists, tests put the order there directly."""
    table = boto3.resource("dynamodb").Table("oms-local-oms")
    table.update_item(
        Key={"PK": keys.order_pk(order_id), "SK": keys.ORDER_META},
        UpdateExpression="SET #s = :d",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":d": "DELIVERED"},
    )


def test_confirming_receipt_completes_the_order_and_credits_points_once(rules: CouponTemplate, orders_api: Api) -> None:
    give_balance("cust-1", 20000)
    _, _, order = place(orders_api, "k1", balance="max", **SEED_EXAMPLE)
    assert order["status"] == "PAID"
    deliver(order["orderId"])
    route = "POST /orders/{orderId}/confirm-receipt"
    path = f"/orders/{order['orderId']}/confirm-receipt"
    assert_problem(*orders_api("POST", path, route=route, **OTHER_CUSTOMER), 404, "not-found")
    status, _, done = orders_api("POST", path, route=route, **CUSTOMER)
    assert status == 200 and done["status"] == "COMPLETED"
    assert points_of("cust-1") == 500 + 135  # 1000 − 500 used + 135 earned on 135.00 paid
    before = table_snapshot()
    # The same confirmation again (a retry after a lost answer) answers the order as it is, once credited.
    status, _, again = orders_api("POST", path, route=route, **CUSTOMER)
    assert (status, again["status"], again["history"]) == (200, "COMPLETED", done["history"])
    assert table_snapshot() == before


def test_an_order_in_another_currency_freezes_its_fx_rate(
    seeded: dict[str, Any], catalog_api: Api, orders_api: Api
) -> None:
    store = {"name": "US", "currency": "USD", "shippingFee": {"amount": 500, "currency": "USD"}}
    assert catalog_api("PUT", "/stores/us", route="PUT /stores/{storeId}", body=store, **ADMIN)[0] == 201
    sku = {
        "skuId": "US-CAP",
        "name": "Cap",
        "price": {"amount": 1999, "currency": "USD"},
        "stock": 5,
        "warehouseId": "WH-US",
        "weightGrams": 80,
    }
    product = {"storeId": "us", "name": "Cap", "skus": [sku]}
    assert catalog_api("POST", "/products", **ADMIN, body=product)[0] == 201
    rates = {"reportingCurrency": CNY, "rates": {"USD": {"numerator": 71234, "denominator": 10000, "updatedAt": NOW}}}
    PricingSettingsItem(*keys.FX_SETTINGS, data=rates, version=1, updatedAt=NOW, updatedBy="fin-1").save()
    body = {"lines": [{"skuId": "US-CAP", "quantity": 1}], "shippingAddress": ADDRESS}
    status, _, order = orders_api("POST", "/orders", **CUSTOMER, headers={"Idempotency-Key": "usd"}, body=body)
    assert status == 201, order
    assert order["currency"] == "USD" and order["breakdown"]["total"] == {"amount": 2499, "currency": "USD"}
    assert order["pricing"]["fx"] == {
        "base": "USD",
        "quote": CNY,
        "numerator": 35617,
        "denominator": 5000,
        "rate": "7.1234",
    }
    # 24.99 × 7.1234 = 178.013766 → 178.01 (half-even), from the frozen rate, whatever the rate is today
    assert order["reportingTotal"] == {"amount": 17801, "currency": CNY}
    rates["rates"]["USD"]["numerator"] = 80000
    PricingSettingsItem(*keys.FX_SETTINGS, data=rates, version=2, updatedAt=NOW, updatedBy="fin-1").save()
    _, _, listed = orders_api("GET", "/orders", **CUSTOMER)
    assert listed["items"][0]["reportingTotal"] == {"amount": 17801, "currency": CNY}


def test_coupon_options_rank_the_shoppers_coupons_for_this_cart(rules: CouponTemplate, orders_api: Api) -> None:
    add_coupon("BIG-SPENDER", add_template("T1000", min_spend=100_000), "cust-1")
    add_coupon("WITHDRAWN", add_template("TOFF"), "cust-1")
    add_coupon("OTHERS", rules, "cust-2")
    disable_template("TOFF")
    before = table_snapshot()
    body = {"lines": [{"skuId": "G100", "quantity": 2}]}
    status, _, options = orders_api("POST", "/orders/coupon-options", **CUSTOMER, body=body)
    assert status == 200, options
    assert options["items"][0] == {
        "code": "C10-CUST1",
        "applicable": True,
        "reason": None,
        "saves": {"amount": 1000, "currency": CNY},
    }
    assert {o["code"]: o["reason"] for o in options["items"][1:]} == {
        "BIG-SPENDER": "coupon-min-spend-not-met",
        "WITHDRAWN": "coupon-disabled",
    }
    assert table_snapshot() == before
    assert_problem(*orders_api("POST", "/orders/coupon-options", **ADMIN, body=body), 403, "forbidden")


def test_two_coupons_of_one_stackable_template_count_twice_and_return_twice(
    rules: CouponTemplate, orders_api: Api
) -> None:
    template = add_template("TSTACK", total_limit=10, per_customer=2, stackable=True)
    add_coupon("STACK-A", template, "cust-1")
    add_coupon("STACK-B", template, "cust-1")
    status, _, order = place(orders_api, "k1", coupons=["STACK-A", "STACK-B"])
    assert status == 201, order
    assert [c["id"] for c in order["pricing"]["coupons"]] == ["STACK-A", "STACK-B"]
    assert int(item(*keys.coupon_template("TSTACK"))["used"]) == 2
    assert int(item(*keys.coupon_use("TSTACK", "cust-1"))["used"]) == 2
    route = "POST /orders/{orderId}/cancel"
    assert orders_api("POST", f"/orders/{order['orderId']}/cancel", route=route, **CUSTOMER)[0] == 200
    assert int(item(*keys.coupon_template("TSTACK"))["used"]) == 0
    assert int(item(*keys.coupon_use("TSTACK", "cust-1"))["used"]) == 0
    assert {item(*keys.coupon(code))["status"] for code in ("STACK-A", "STACK-B")} == {"AVAILABLE"}
