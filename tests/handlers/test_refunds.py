"""Refunds as requests through the payments function (moto), issue 11 item 3: finance refunds lines,
shipping or an amount; the parts go back to each tender in proportion and sum exactly; counters on the
payment and the order keep refunds within what was paid under concurrency; claims beyond what is left are
409 with nothing written; replays change nothing twice; staff without the role get 403; a provider refusal
is retried, then re-routed to the balance; the finance queue lists refused legs."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import boto3
import moto.core.botocore_stubber as stubber
import pytest
from oms.adapters.providers.base import NoticeStatus
from oms.domain.clock import parse_rfc3339
from oms.domain.errors import DomainError
from oms.domain.money import Money
from oms.domain.payment import PaymentMethod
from oms.domain.permissions import Actor, Role
from oms.services.refunds import RefundAsk
from oms.store import keys
from oms.store.models import PointsAccountItem, PricingSettingsItem

from tests.handlers.conftest import ADMIN, CUSTOMER, SUPPORT, Api, load_function
from tests.helpers.fulfilment import callback, minutes_ahead, ship, tracking_event
from tests.helpers.fulfilment import paid_order as paid_with_balance
from tests.helpers.handlers import give_balance
from tests.helpers.payments import FakeProvider, notice, pay, place
from tests.helpers.problems import assert_problem
from tests.helpers.refunds import place_gadgets, points_of, points_shop  # noqa: F401 (the fixture)
from tests.helpers.table import table_snapshot
from tests.helpers.world import FINANCE, WAREHOUSE

REFUNDS = "POST /orders/{orderId}/refunds"
CNY = "CNY"
ALIPAY = PaymentMethod.ALIPAY


def paid_order(orders_api: Api, pay_api: Api, payments_module: Any, quantity: int = 2) -> dict[str, Any]:
    order = place(orders_api, quantity=quantity)
    status, payment = pay(pay_api, order, "alipay")
    assert status == 201, payment
    assert payments_module.service.apply_notice(notice(payment)) == "pay_order"
    return order


def refund(
    pay_api: Api, order_id: str, body: dict[str, Any], *, key: str = "r1", who: dict[str, Any] = FINANCE
) -> tuple[int, dict[str, str], Any]:
    return pay_api(
        "POST", f"/orders/{order_id}/refunds", route=REFUNDS, **who, headers={"Idempotency-Key": key}, body=body
    )


def units(order: dict[str, Any], quantity: int, line_no: int = 1, **more: Any) -> dict[str, Any]:
    child = order["children"][0]["childOrderId"]
    return {"childOrderId": child, "lines": [{"lineNo": line_no, "quantity": quantity}], "reason": "damaged", **more}


def table() -> Any:
    return boto3.resource("dynamodb").Table("oms-local-oms")


def balance_of(customer_id: str) -> int:
    item = table().get_item(Key={"PK": keys.balance_pk(customer_id), "SK": keys.BALANCE_ACCOUNT_SK}).get("Item", {})
    return int(item.get("available", 0))


def header_of(order_id: str) -> dict[str, Any]:
    return dict(table().get_item(Key={"PK": keys.order_pk(order_id), "SK": keys.ORDER_META})["Item"])


def refund_rows(order_id: str) -> list[dict[str, Any]]:
    return [i for i in table_snapshot() if i["type"] == "Refund" and i["orderId"] == order_id]


def order_payments(pay_api: Api, order_id: str) -> dict[str, Any]:
    status, _, body = pay_api("GET", f"/orders/{order_id}/payments", route="GET /orders/{orderId}/payments", **ADMIN)
    assert status == 200, body
    return dict(body)


def test_finance_refunds_units_to_the_provider_and_the_last_closes_the_order(
    seeded: Any, orders_api: Api, pay_api: Api, payments_module: Any, providers: dict[PaymentMethod, FakeProvider]
) -> None:
    order = paid_order(orders_api, pay_api, payments_module)
    status, _, first = refund(pay_api, order["orderId"], units(order, 1))
    assert status == 201, first
    assert first["status"] == "SUCCEEDED"
    assert [leg["method"] for leg in first["legs"]] == ["alipay"]
    assert first["legs"][0]["requestId"] == first["refundId"]
    assert providers[ALIPAY].refunds == [(first["refundId"], first["amount"]["amount"])]
    assert first["order"]["payment"]["status"] == "PARTIALLY_REFUNDED"
    assert first["shipping"] is False
    status, _, last = refund(pay_api, order["orderId"], units(order, 1), key="r2")
    assert status == 201, last
    assert last["shipping"] is True  # the refund completes the child: its shipping goes back too
    payment = last["order"]["payment"]
    assert payment["refunded"] == payment["received"] and payment["status"] == "REFUNDED"
    assert last["order"]["status"] == "CLOSED"  # booked with the last leg
    history = orders_api("GET", f"/orders/{order['orderId']}", route="GET /orders/{orderId}", **ADMIN)[2]["history"]
    assert [h["to"] for h in history][-1] == "CLOSED"
    assert sum("refund RF" in (h.get("reason") or "") for h in history) == 2  # who, when, why: each request
    assert int(header_of(order["orderId"])["refunded"]) == payment["received"]["amount"]


def test_provider_balance_and_points_split_exactly_and_the_whole_order_gives_the_coupon_back(
    points_shop: str,  # noqa: F811
    orders_api: Api,
    pay_api: Api,
    payments_module: Any,
    providers: dict[PaymentMethod, FakeProvider],
) -> None:
    give_balance("cust-1", 20000)
    order = place_gadgets(
        orders_api, "k1", coupons=[points_shop], points=500, balance={"amount": 5000, "currency": CNY}
    )
    points_after_checkout = points_of("cust-1")
    status, payment = pay(pay_api, order, "alipay")
    assert status == 201, payment
    assert payments_module.service.apply_notice(notice(payment)) == "pay_order"
    balance_before = balance_of("cust-1")

    status, _, first = refund(pay_api, order["orderId"], units(order, 1))
    assert status == 201, first
    legs = {leg["method"]: leg["amount"]["amount"] for leg in first["legs"]}
    assert set(legs) == {"alipay", "balance"}
    assert sum(legs.values()) == first["amount"]["amount"]
    assert balance_of("cust-1") == balance_before + legs["balance"]
    assert first["points"]["back"] == 250 and points_of("cust-1") == points_after_checkout + 250
    assert first["points"]["revoked"] > 0  # not credited yet: the order earns less

    status, _, last = refund(pay_api, order["orderId"], units(order, 1), key="r2")
    assert status == 201, last
    total = first["amount"]["amount"] + last["amount"]["amount"]
    payment_view = last["order"]["payment"]
    assert total == payment_view["received"]["amount"] == payment_view["refunded"]["amount"]
    balance_back = sum(
        leg["amount"]["amount"] for r in (first, last) for leg in r["legs"] if leg["method"] == "balance"
    )
    assert balance_back == 5000  # exactly the balance used at checkout
    assert points_of("cust-1") == points_after_checkout + 500
    assert last["order"]["status"] == "CLOSED"
    coupon = table().get_item(Key=dict(zip(("PK", "SK"), keys.coupon(points_shop), strict=True)))["Item"]
    assert coupon["status"] == "AVAILABLE"  # still valid: back with the whole order


def test_a_claim_beyond_what_is_left_is_409_and_writes_nothing(
    seeded: Any, orders_api: Api, pay_api: Api, payments_module: Any
) -> None:
    order = paid_order(orders_api, pay_api, payments_module)
    before = table_snapshot()
    assert_problem(*refund(pay_api, order["orderId"], units(order, 3)), 409, "refund-exceeds-paid")
    assert_problem(*refund(pay_api, order["orderId"], units(order, 1, line_no=9), key="r2"), 409, "refund-exceeds-paid")
    too_much = {"amount": {"amount": 10**7, "currency": CNY}, "reason": "staff_adjustment"}
    assert_problem(*refund(pay_api, order["orderId"], too_much, key="r3"), 409, "refund-exceeds-paid")
    assert table_snapshot() == before
    assert refund(pay_api, order["orderId"], units(order, 2), key="r4")[0] == 201
    before = table_snapshot()
    assert_problem(*refund(pay_api, order["orderId"], units(order, 1), key="r5"), 409, "refund-exceeds-paid")
    assert table_snapshot() == before


@pytest.mark.parametrize("who", [SUPPORT, WAREHOUSE, CUSTOMER], ids=["support", "warehouse", "customer"])
def test_staff_without_the_role_cannot_refund(
    seeded: Any, orders_api: Api, pay_api: Api, payments_module: Any, who: dict[str, Any]
) -> None:
    order = paid_order(orders_api, pay_api, payments_module)
    before = table_snapshot()
    status, _, body = refund(pay_api, order["orderId"], units(order, 1), who=who)
    assert status == 403, body
    assert table_snapshot() == before


def test_unknown_fields_and_missing_keys_are_refused(
    seeded: Any, orders_api: Api, pay_api: Api, payments_module: Any
) -> None:
    order = paid_order(orders_api, pay_api, payments_module)
    assert refund(pay_api, order["orderId"], {**units(order, 1), "refunded": True})[0] == 422
    assert refund(pay_api, order["orderId"], {"reason": "damaged"})[0] == 422
    status, _, _ = pay_api(
        "POST", f"/orders/{order['orderId']}/refunds", route=REFUNDS, **FINANCE, body=units(order, 1)
    )
    assert status == 400  # the edge refuses a request without its Idempotency-Key


def test_a_replay_changes_nothing_twice(
    seeded: Any, orders_api: Api, pay_api: Api, payments_module: Any, providers: dict[PaymentMethod, FakeProvider]
) -> None:
    order = paid_order(orders_api, pay_api, payments_module)
    body = {"amount": {"amount": 1000, "currency": CNY}, "reason": "staff_adjustment", "note": "goodwill"}
    status, _, first = refund(pay_api, order["orderId"], body)
    assert status == 201, first
    before = table_snapshot()
    status, headers, again = refund(pay_api, order["orderId"], body)
    assert status == 201 and again == first
    assert headers.get("Idempotent-Replayed") == "true"
    assert table_snapshot() == before
    assert len(providers[ALIPAY].refunds) == 1
    other = {**body, "note": "another"}
    assert refund(pay_api, order["orderId"], other)[0] == 422  # same key, another body


def test_twenty_concurrent_refunds_never_exceed_what_was_captured(
    seeded: Any, orders_api: Api, pay_api: Api, payments_module: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Real threads against moto, each DynamoDB call serialized as the local stack's server does (its
    conditions are evaluated atomically; the race is between our reads and our writes)."""
    lock = threading.Lock()
    original = stubber.BotocoreStubber.__call__

    def locked(self: Any, *args: Any, **kwargs: Any) -> Any:
        with lock:
            return original(self, *args, **kwargs)

    monkeypatch.setattr(stubber.BotocoreStubber, "__call__", locked)
    order = paid_order(orders_api, pay_api, payments_module)
    captured = order_payments(pay_api, order["orderId"])["received"]["amount"]
    service = payments_module.services.refunds
    finance = Actor("fin-1", frozenset({Role.FINANCE}))
    amount = captured // 7 + 1  # at most 6 fit
    start = threading.Barrier(20)

    def one(n: int) -> str:
        ask = RefundAsk(order["orderId"], f"RFRACE{n:02d}", "staff_adjustment", amount=Money(amount, CNY))
        start.wait()
        try:
            service.refund(finance, ask)
        except DomainError as error:
            return error.slug
        return "ok"

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(one, range(20)))
    assert results.count("ok") == captured // amount, results
    assert set(results) <= {"ok", "refund-exceeds-paid"}
    rows = refund_rows(order["orderId"])
    assert sum(int(r["amount"]["amount"]) for r in rows) <= captured
    attempt = next(i for i in table_snapshot() if i["type"] == "PaymentAttempt" and i["orderId"] == order["orderId"])
    assert int(attempt["refunded"]) == int(header_of(order["orderId"])["refunded"]) <= captured
    assert order_payments(pay_api, order["orderId"])["refunded"]["amount"] <= captured


def test_a_refused_refund_is_retried_then_rerouted_to_the_balance(
    seeded: Any, orders_api: Api, pay_api: Api, payments_module: Any, providers: dict[PaymentMethod, FakeProvider]
) -> None:
    order = paid_order(orders_api, pay_api, payments_module)
    providers[ALIPAY].fail_refunds = True  # unreachable: PENDING, asked again with backoff
    status, _, body = refund(pay_api, order["orderId"], units(order, 1))
    assert status == 201, body
    assert body["status"] == "PENDING" and body["legs"][0]["failures"] == 1
    leg_id = body["legs"][0]["refundId"]
    service = payments_module.service
    later = parse_rfc3339(body["legs"][0]["nextTryAt"]) + timedelta(seconds=1)
    service.clock = lambda: later
    providers[ALIPAY].fail_refunds = False
    providers[ALIPAY].refund_status = NoticeStatus.FAILED  # the provider refuses it for good
    assert service.retry_refund(order["orderId"], leg_id).to_json()["status"] == "FAILED"
    status, _, queue = pay_api("GET", "/refunds", route="GET /refunds", **FINANCE, query={"status": "FAILED"})
    assert status == 200, queue
    assert [(i["orderId"], i["refundId"], i["requestId"]) for i in queue["items"]] == [
        (order["orderId"], leg_id, body["refundId"])
    ]
    assert pay_api("GET", "/refunds", route="GET /refunds", **SUPPORT)[0] == 403
    resolve = "POST /orders/{orderId}/refunds/{refundId}/resolve"
    path = f"/orders/{order['orderId']}/refunds/{leg_id}/resolve"
    status, _, _ = pay_api("POST", path, route=resolve, **FINANCE, body={"decision": "retry", "note": "try again"})
    assert status == 200
    assert payments_module.services.refunds.status(order["orderId"], body["refundId"]) == "FAILED"  # refused again
    balance_before = balance_of("cust-1")
    status, _, _ = pay_api("POST", path, route=resolve, **FINANCE, body={"decision": "to-balance", "note": "card gone"})
    assert status == 200
    assert balance_of("cust-1") == balance_before + body["amount"]["amount"]
    assert payments_module.services.refunds.status(order["orderId"], body["refundId"]) == "SUCCEEDED"
    status, _, queue = pay_api("GET", "/refunds", route="GET /refunds", **FINANCE)
    assert queue["items"] == []
    status, _, listed = pay_api(
        "GET", f"/orders/{order['orderId']}/refunds", route="GET /orders/{orderId}/refunds", **FINANCE
    )
    assert status == 200 and [i["refundId"] for i in listed["items"]] == [body["refundId"]]
    assert listed["items"][0]["status"] == "SUCCEEDED"


def test_a_child_cancel_after_a_partial_refund_gives_back_only_what_is_left(
    seeded: Any, orders_api: Api, pay_api: Api, payments_module: Any, providers: dict[PaymentMethod, FakeProvider]
) -> None:
    order = paid_order(orders_api, pay_api, payments_module)
    status, _, first = refund(pay_api, order["orderId"], units(order, 1))
    assert status == 201, first
    child = order["children"][0]["childOrderId"]
    route = "POST /orders/{orderId}/cancel"
    status, _, after = orders_api("POST", f"/orders/{child}/cancel", route=route, **CUSTOMER, body={"reason": "x"})
    assert status == 200, after
    payment = after["payment"]
    assert payment["refunded"] == payment["received"]  # not a cent twice
    cancel_legs = [r for r in payment["refunds"] if r.get("requestId") == f"RF{child}"]
    assert [r["refundId"] for r in cancel_legs] == [f"RF{child}"]
    assert first["amount"]["amount"] + cancel_legs[0]["amount"]["amount"] == payment["received"]["amount"]
    attempt = next(i for i in table_snapshot() if i["type"] == "PaymentAttempt" and i["orderId"] == order["orderId"])
    assert int(attempt["refunded"]) == payment["received"]["amount"]


def test_points_earned_by_refunded_goods_are_revoked_as_a_debt_after_completion(
    catalog: None, orders_api: Api, pay_api: Api, fulfilment: Api, carriers: Any
) -> None:
    rate = {"points": 1, "value": {"amount": 100, "currency": CNY}}
    data = {CNY: {"redeemRate": {"points": 100, "value": {"amount": 100, "currency": CNY}}, "capBps": 5000}}
    data[CNY]["earnRate"] = rate
    PricingSettingsItem(
        *keys.POINTS_SETTINGS, data=data, version=1, updatedAt="2026-01-01T00:00:00Z", updatedBy="a"
    ).save()
    order = paid_with_balance(orders_api, [("LAMP", 1)])  # paid with balance at checkout
    child = order["children"][0]["childOrderId"]
    ship(fulfilment, child, "SF7001")
    assert callback(carriers, tracking_event("SF7001", "DELIVERED", minutes_ahead(1), "d7")) == 204
    route = "POST /orders/{orderId}/confirm-receipt"
    status, _, done = orders_api("POST", f"/orders/{order['orderId']}/confirm-receipt", route=route, **CUSTOMER)
    assert status == 200 and done["status"] == "COMPLETED"
    earned = order["breakdown"]["pointsEarned"]
    assert earned > 0 and points_of("cust-1") == earned
    PointsAccountItem(*keys.points_account("cust-1"), customerId="cust-1", available=10, updatedAt="t").save()  # spent
    balance_before = balance_of("cust-1")
    body = {"childOrderId": child, "lines": [{"lineNo": 1, "quantity": 1}], "reason": "damaged"}
    status, _, refunded = refund(pay_api, order["orderId"], body)
    assert status == 201, refunded
    assert refunded["points"]["revoked"] == earned
    assert points_of("cust-1") == 10 - earned  # a debt that later earnings settle
    # the ledger shows the revoke (it answered 500 before: the view knew no "revoke" entries)
    status, _, account = Api(load_function("promotions"))("GET", "/customers/me/points", **CUSTOMER)
    assert status == 200, account
    assert [(e["kind"], e["delta"]) for e in account["entries"] if e["kind"] == "revoke"] == [("revoke", -earned)]
    assert [leg["method"] for leg in refunded["legs"]] == ["balance"]
    assert balance_of("cust-1") == balance_before + refunded["amount"]["amount"]
    assert refunded["order"]["status"] == "CLOSED"  # all money back to the balance, in this transaction


def test_an_expired_coupon_stays_used_when_the_whole_order_is_refunded(
    points_shop: str,  # noqa: F811
    orders_api: Api,
    pay_api: Api,
    payments_module: Any,
) -> None:
    order = place_gadgets(orders_api, "k1", coupons=[points_shop])
    status, payment = pay(pay_api, order, "alipay")
    assert status == 201, payment
    assert payments_module.service.apply_notice(notice(payment)) == "pay_order"
    pk, sk = keys.coupon(points_shop)
    coupon = table().get_item(Key={"PK": pk, "SK": sk})["Item"]
    template = json.loads(coupon["template"]) if isinstance(coupon["template"], str) else dict(coupon["template"])
    template["window"] = {"startsAt": "2020-01-01T00:00:00Z", "endsAt": "2021-01-01T00:00:00Z"}
    table().update_item(
        Key={"PK": pk, "SK": sk},
        UpdateExpression="SET #t = :t",
        ExpressionAttributeNames={"#t": "template"},
        ExpressionAttributeValues={":t": json.dumps(template)},
    )
    status, _, body = refund(pay_api, order["orderId"], units(order, 2))
    assert status == 201, body
    assert body["order"]["status"] == "CLOSED"
    assert table().get_item(Key={"PK": pk, "SK": sk})["Item"]["status"] == "USED"
    history = orders_api("GET", f"/orders/{order['orderId']}", route="GET /orders/{orderId}", **ADMIN)[2]["history"]
    assert any(f"coupon {points_shop} expired" in (h.get("reason") or "") for h in history)


def test_a_cap_asks_less_than_the_paid_share_and_shipping_goes_back_when_asked(
    seeded: Any, orders_api: Api, pay_api: Api, payments_module: Any
) -> None:
    order = paid_order(orders_api, pay_api, payments_module)
    status, _, capped = refund(pay_api, order["orderId"], units(order, 1, amount={"amount": 500, "currency": CNY}))
    assert status == 201, capped
    assert capped["amount"]["amount"] == 500 and capped["units"] == [{"lineNo": 1, "quantity": 1}]
    too_much = units(order, 1, amount={"amount": 10**6, "currency": CNY})
    assert_problem(*refund(pay_api, order["orderId"], too_much, key="r2"), 409, "refund-exceeds-paid")
    child = order["children"][0]["childOrderId"]
    status, _, shipping = refund(
        pay_api, order["orderId"], {"childOrderId": child, "shipping": True, "reason": "other"}, key="r3"
    )
    assert status == 201, shipping
    assert shipping["shipping"] is True and shipping["units"] == []
    shipping_fee = order["breakdown"]["shipping"]["amount"]
    assert shipping["amount"]["amount"] == shipping_fee
    again = {"childOrderId": child, "shipping": True, "reason": "other"}
    assert_problem(*refund(pay_api, order["orderId"], again, key="r4"), 409, "refund-exceeds-paid")  # never twice
