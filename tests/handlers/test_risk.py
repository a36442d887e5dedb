"""Risk control under moto (issue 13 item 8): per-user and per-IP rate limits on checkout, payments and coupon
redemption (429 with Retry-After, exact under racing threads), blacklists (refused with 403 `blocked`, nothing
changed, the list not told), amount limits per order, per day and per payment method, the rules' verdict on the
order, and the manual review queue: a risky paid order is held (ON_HOLD, risk-review flag, children not queued)
until staff approve it (PAID, queued) or reject it (refunded and cancelled, the ledger balanced)."""

from __future__ import annotations

import json
import os
import threading
from collections import Counter
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from oms.domain.clock import parse_rfc3339
from oms.domain.money import Money
from oms.domain.payment import PaymentMethod
from oms.domain.promotions import AmountOff, CouponTemplate, Scope, ValidityWindow
from oms.domain.rules_json import template_to_dict
from oms.store import keys
from oms.store.models import CouponItem, CouponTemplateItem

from tests.handlers.conftest import ADDRESS, ADMIN, CUSTOMER, OTHER_CUSTOMER, SUPPORT, Api, LambdaContext, load_function
from tests.helpers.handlers import AwsCalls, environments, http_event
from tests.helpers.payments import FakeProvider, ledger_items, notice, order_of, pay
from tests.helpers.table import stock_of, table_snapshot

CHECKOUT = "POST /orders"
REVIEW = "POST /orders/{orderId}/risk-review"
TEE = [{"skuId": "TEE-M", "quantity": 1}]
ALIPAY = PaymentMethod.ALIPAY


@pytest.fixture
def risk_api(aws: None) -> Api:
    return Api(load_function("risk"))


@pytest.fixture
def orders_module(aws: None) -> ModuleType:
    return load_function("orders")


def call(
    module: ModuleType,
    method: str,
    path: str,
    who: dict[str, Any],
    *,
    route: str | None = None,
    body: Any = None,
    headers: dict[str, str] | None = None,
    ip: str = "203.0.113.7",
) -> tuple[int, dict[str, str], Any]:
    event = http_event(method, path, route=route, body=body, headers=headers, **who)
    event["requestContext"]["http"]["sourceIp"] = ip
    result = module.handler(event, LambdaContext())
    text = result.get("body")
    return result["statusCode"], result.get("headers", {}), json.loads(text) if text else None


def checkout(
    module: ModuleType,
    key: str,
    who: dict[str, Any] = CUSTOMER,
    *,
    address: dict[str, Any] | None = None,
    device: str | None = None,
    ip: str = "203.0.113.7",
    **extra: Any,
) -> tuple[int, dict[str, str], Any]:
    headers = {"Idempotency-Key": key, **({"X-Device-Fingerprint": device} if device else {})}
    body = {"lines": TEE, "shippingAddress": address or ADDRESS, **extra}
    return call(module, "POST", "/orders", who, route=CHECKOUT, body=body, headers=headers, ip=ip)


def add_coupon(code: str, owner: str) -> None:
    """A 1.00-off coupon of the demo store, with its template (as issuance leaves them)."""
    template = CouponTemplate(
        template_id="TPL-RISK",
        stackable=True,
        benefit=AmountOff(Money(100, "CNY")),
        scope=Scope(store_id="demo"),
        window=ValidityWindow(parse_rfc3339("2020-01-01T00:00:00Z")),
        min_spend=Money(0, "CNY"),
        total_limit=None,
        per_customer_limit=None,
    )
    at = "2026-01-01T00:00:00Z"
    CouponTemplateItem(
        *keys.coupon_template("TPL-RISK"),
        templateId="TPL-RISK",
        definition=template_to_dict(template),
        status="ACTIVE",
        issued=0,
        used=0,
        createdAt=at,
        updatedAt=at,
        createdBy="admin-1",
        version=1,
    ).save()
    CouponItem(
        *keys.coupon(code),
        GSI1PK=keys.customer_coupons_gsi1(owner),
        GSI1SK=f"COUPON#{at}#{code}",
        code=code,
        templateId="TPL-RISK",
        template=template_to_dict(template),
        ownerId=owner,
        status="AVAILABLE",
        issuedAt=at,
        issuedBy="admin-1",
        version=1,
    ).save()


def put_settings(risk_api: Api, settings: dict[str, Any]) -> dict[str, Any]:
    status, _, current = risk_api("GET", "/settings/risk", **ADMIN)
    assert status == 200, current
    status, _, body = risk_api(
        "PUT",
        "/settings/risk",
        **ADMIN,
        body={**settings, "reason": "tighter for the test"},
        headers={"If-Match": f'"{current["version"]}"'},
    )
    assert status == 200, body
    return dict(body)


def window(limit: int, seconds: int = 3600) -> dict[str, Any]:
    return {"limit": limit, "windowSeconds": seconds}


def block(risk_api: Api, kind: str, value: str, **extra: Any) -> tuple[int, Any]:
    status, _, body = risk_api(
        "POST", "/risk/blacklist", **ADMIN, body={"kind": kind, "value": value, "reason": "chargebacks", **extra}
    )
    return status, body


def orders_in_table() -> list[dict[str, Any]]:
    return [i for i in table_snapshot() if i["type"] == "Order"]


def assert_ledger_balances() -> None:
    by_posting: Counter[str] = Counter()
    for line in ledger_items():
        by_posting[line["postingId"]] += int(line["amount"]["amount"])
    assert by_posting and all(total == 0 for total in by_posting.values()), by_posting


@pytest.fixture
def shop(seeded: Any, risk_api: Api) -> Iterator[None]:
    yield


# ---------------------------------------------------------------- rate limits
def test_checkouts_past_the_per_user_limit_get_429_with_retry_after_and_change_nothing(
    shop: None, risk_api: Api, orders_module: ModuleType
) -> None:
    put_settings(risk_api, {"rateLimits": {"checkout": {"perUser": window(2), "perIp": window(100)}}})
    assert checkout(orders_module, "a")[0] == 201
    assert checkout(orders_module, "b")[0] == 201
    before = table_snapshot()
    status, headers, problem = checkout(orders_module, "c")
    assert status == 429, problem
    assert problem["type"] == "urn:oms:problem:rate-limited"
    assert (problem["scope"], headers["Content-Type"]) == ("checkout-user", "application/problem+json")
    assert 1 <= int(headers["Retry-After"]) <= 3600 and int(headers["Retry-After"]) == problem["retryAfter"]
    assert table_snapshot() == before
    # Another shopper is not limited by the first one's window; a replay of a placed order still answers.
    assert checkout(orders_module, "d", OTHER_CUSTOMER)[0] == 201
    status, headers, _ = checkout(orders_module, "a")
    assert (status, headers.get("Idempotent-Replayed")) == (201, "true")


def test_the_per_ip_limit_counts_every_account_behind_one_address(
    shop: None, risk_api: Api, orders_module: ModuleType
) -> None:
    put_settings(risk_api, {"rateLimits": {"checkout": {"perUser": window(10), "perIp": window(2)}}})
    assert checkout(orders_module, "a", CUSTOMER)[0] == 201
    assert checkout(orders_module, "b", OTHER_CUSTOMER)[0] == 201
    status, _, problem = checkout(orders_module, "c", CUSTOMER)
    assert (status, problem["scope"]) == (429, "checkout-ip")
    assert checkout(orders_module, "c", CUSTOMER, ip="198.51.100.9")[0] == 201


def test_racing_checkouts_never_pass_the_limit(
    shop: None, risk_api: Api, orders_module: ModuleType, serialized: None
) -> None:
    put_settings(risk_api, {"rateLimits": {"checkout": {"perUser": window(3), "perIp": window(100)}}})
    answers: list[int] = []
    lock = threading.Lock()
    copies = environments(orders_module, 8)

    def one(n: int) -> None:
        status, headers, _ = checkout(copies[n], f"race-{n}")
        with lock:
            answers.append(status)
        if status == 429:
            assert int(headers["Retry-After"]) >= 1

    threads = [threading.Thread(target=one, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [201, 201, 201, 429, 429, 429, 429, 429]
    assert len(orders_in_table()) == 3
    assert stock_of("TEE-M")["reserved"] == 3


def test_checkouts_with_coupons_count_against_the_coupon_limit_too(
    shop: None, risk_api: Api, orders_module: ModuleType
) -> None:
    for code in ("RISK-A", "RISK-B"):
        add_coupon(code, "cust-1")
    limits = {"perUser": window(10), "perIp": window(100)}
    put_settings(risk_api, {"rateLimits": {"checkout": limits, "coupon": {**limits, "perUser": window(1)}}})
    assert checkout(orders_module, "c1", coupons=["RISK-A"])[0] == 201
    before = table_snapshot()
    status, headers, problem = checkout(orders_module, "c2", coupons=["RISK-B"])
    assert (status, problem["scope"]) == (429, "coupon-user"), problem
    assert int(headers["Retry-After"]) >= 1
    assert table_snapshot() == before  # the coupon is still there to use later
    assert checkout(orders_module, "plain")[0] == 201  # no coupon: only the checkout limit counts


def test_payments_past_the_per_user_limit_get_429(
    shop: None, risk_api: Api, orders_module: ModuleType, pay_api: Api
) -> None:
    put_settings(risk_api, {"rateLimits": {"payment": {"perUser": window(1), "perIp": window(100)}}})
    _, _, order = checkout(orders_module, "a")
    assert pay(pay_api, order, "alipay", key="p1")[0] == 201
    status, problem = pay(pay_api, order, "wechat", key="p2")
    assert (status, problem["type"], problem["scope"]) == (429, "urn:oms:problem:rate-limited", "payment-user")


# ---------------------------------------------------------------- blacklists
@pytest.mark.parametrize(
    ("kind", "value", "extra"),
    [
        ("user", "cust-1", {}),
        ("phone", "86-138-0000-0000", {}),  # the same digits as the address's "+86 138 0000 0000"
        ("ip", "203.0.113.7", {}),
        ("device", "dev-evil", {"device": "dev-evil"}),
        ("address", "cn  SHANGHAI, 1 nanjing rd.", {}),  # folded: case, spaces and punctuation
    ],
)
def test_a_blacklisted_checkout_is_refused_without_saying_which_list_and_changes_nothing(
    shop: None, risk_api: Api, orders_module: ModuleType, kind: str, value: str, extra: dict[str, Any]
) -> None:
    status, entry = block(risk_api, kind, value)
    assert status == 201, entry
    before = table_snapshot()
    status, _, problem = checkout(orders_module, "k", **extra)
    assert (status, problem["type"]) == (403, "urn:oms:problem:blocked"), problem
    assert kind not in json.dumps(problem) and "list" not in problem
    assert table_snapshot() == before


def test_blacklist_entries_are_listed_expire_are_removed_and_audited(
    shop: None, risk_api: Api, orders_module: ModuleType
) -> None:
    assert block(risk_api, "email", "Fraud@Example.com")[0] == 201
    assert block(risk_api, "email", "fraud@example.com", reason="again")[0] == 200  # the same value: updated
    status, _, page = risk_api("GET", "/risk/blacklist", **ADMIN, query={"kind": "email"})
    assert status == 200
    assert [(e["value"], e["reason"]) for e in page["items"]] == [("fraud@example.com", "again")]
    assert risk_api("GET", "/risk/blacklist", **SUPPORT)[0] == 403
    # Bad input: no reason, an unknown list, a value that is not an IP, an expiry in the past.
    assert risk_api("POST", "/risk/blacklist", **ADMIN, body={"kind": "ip", "value": "1.2.3.4"})[0] == 422
    assert block(risk_api, "planet", "mars")[0] == 422
    assert block(risk_api, "ip", "not-an-ip")[0] == 422
    assert block(risk_api, "ip", "198.51.100.1", until="2020-01-01T00:00:00Z")[0] == 422

    assert block(risk_api, "user", "cust-1", until="2099-01-01T00:00:00Z")[0] == 201
    assert checkout(orders_module, "blocked")[0] == 403
    remove = "POST /risk/blacklist/{kind}/remove"
    body = {"value": "cust-1", "reason": "cleared by the bank"}
    status, _, removed = risk_api("POST", "/risk/blacklist/user/remove", route=remove, **ADMIN, body=body)
    assert (status, removed["value"]) == (200, "cust-1")
    assert risk_api("POST", "/risk/blacklist/user/remove", route=remove, **ADMIN, body=body)[0] == 404
    assert risk_api("POST", "/risk/blacklist/planet/remove", route=remove, **ADMIN, body=body)[0] == 404
    assert checkout(orders_module, "free")[0] == 201
    actions = [i["action"] for i in table_snapshot() if i["type"] == "Audit"]
    assert Counter(actions)["risk.blacklist-add"] == 3 and Counter(actions)["risk.blacklist-remove"] == 1


def test_an_expired_entry_no_longer_refuses(shop: None, risk_api: Api, orders_module: ModuleType) -> None:
    import boto3

    assert block(risk_api, "user", "cust-1", until="2099-01-01T00:00:00Z")[0] == 201
    [entry] = [i for i in table_snapshot() if i["type"] == "RiskBlock"]
    boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"]).update_item(
        Key={"PK": entry["PK"], "SK": entry["SK"]},
        UpdateExpression="SET #u = :past",
        ExpressionAttributeNames={"#u": "until"},
        ExpressionAttributeValues={":past": "2020-01-01T00:00:00.000Z"},
    )  # as if that time had come (TTL removes such rows within days)
    assert checkout(orders_module, "k")[0] == 201


def test_a_blacklisted_device_cannot_pay_either(
    shop: None, risk_api: Api, orders_module: ModuleType, pay_api: Api, payments_module: ModuleType
) -> None:
    _, _, order = checkout(orders_module, "a")
    assert block(risk_api, "device", "dev-evil")[0] == 201
    before = table_snapshot()
    status, _, problem = call(
        payments_module,
        "POST",
        f"/orders/{order['orderId']}/payments",
        CUSTOMER,
        route="POST /orders/{orderId}/payments",
        body={"method": "alipay"},
        headers={"Idempotency-Key": "p", "X-Device-Fingerprint": "dev-evil"},
    )
    assert (status, problem["type"]) == (403, "urn:oms:problem:blocked")
    assert table_snapshot() == before


# ---------------------------------------------------------------- amount limits
def test_an_order_over_the_per_order_limit_is_refused_naming_it(
    shop: None, risk_api: Api, orders_module: ModuleType
) -> None:
    put_settings(risk_api, {"amountLimits": {"CNY": {"perOrder": 6000}}})
    before = table_snapshot()
    status, _, problem = call(
        orders_module,
        "POST",
        "/orders",
        CUSTOMER,
        route=CHECKOUT,
        body={"lines": [{"skuId": "TEE-M", "quantity": 2}], "shippingAddress": ADDRESS},
        headers={"Idempotency-Key": "big"},
    )
    assert (status, problem["type"], problem["limit"]) == (422, "urn:oms:problem:amount-limit-exceeded", "perOrder")
    assert problem["allowed"] == {"amount": 6000, "currency": "CNY"}
    assert table_snapshot() == before
    assert checkout(orders_module, "small")[0] == 201  # 49.00 + 10.00 shipping


def test_the_daily_limit_holds_exactly_under_racing_checkouts(
    shop: None, risk_api: Api, orders_module: ModuleType, serialized: None
) -> None:
    put_settings(risk_api, {"amountLimits": {"CNY": {"dailyPerCustomer": 3 * 5900 + 100}}})
    answers: list[tuple[int, Any]] = []
    lock = threading.Lock()
    copies = environments(orders_module, 6)

    def one(n: int) -> None:
        status, _, body = checkout(copies[n], f"day-{n}")
        with lock:
            answers.append((status, body))

    threads = [threading.Thread(target=one, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(status for status, _ in answers)
    assert statuses == [201, 201, 201, 422, 422, 422], answers
    assert {body["limit"] for status, body in answers if status == 422} == {"dailyPerCustomer"}
    [daily] = [i for i in table_snapshot() if i["type"] == "RiskDaily"]
    assert int(daily["amount"]) == 3 * 5900


def test_a_payment_method_over_its_limit_is_refused(
    shop: None, risk_api: Api, orders_module: ModuleType, pay_api: Api
) -> None:
    put_settings(risk_api, {"amountLimits": {"CNY": {"methods": {"wechat": {"perPayment": 1000}}}}})
    _, _, order = checkout(orders_module, "a")
    status, problem = pay(pay_api, order, "wechat")
    assert (status, problem["limit"]) == (422, "methods.wechat.perPayment")
    assert pay(pay_api, order, "alipay", key="p2")[0] == 201
    status, _, bad = risk_api(
        "PUT", "/settings/risk", **ADMIN, body={"amountLimits": {"CNY": {"methods": {"cheque": {"perPayment": 1}}}}}
    )
    assert (status, bad["field"]) == (422, "amountLimits.CNY.methods.cheque")


# ---------------------------------------------------------------- rules and the review queue
def risky(risk_api: Api) -> None:
    """Every order of a new account is "high" (from 0.01): the new-account rule matches each checkout."""
    put_settings(risk_api, {"rules": {"newAccount": {"amountOver": {"CNY": 1}}}})


def held_order(orders_module: ModuleType, pay_api: Api, payments_module: ModuleType, key: str) -> dict[str, Any]:
    _, _, order = checkout(orders_module, key)
    _, payment = pay(pay_api, order, "alipay", key=f"p-{key}")
    payments_module.service.apply_notice(notice(payment, event=f"evt-{key}"))
    return {**order, "paid": payment["amount"]["amount"]}


def children_queued(order_id: str) -> list[bool]:
    """Whether each child order is in its warehouse's list (GSI1 WAREHOUSE...)."""
    return [bool(i.get("GSI1PK")) for i in table_snapshot() if i["type"] == "ChildOrder" and i["orderId"] == order_id]


def test_a_risky_paid_order_waits_in_the_review_queue_and_ships_when_approved(
    shop: None,
    risk_api: Api,
    orders_module: ModuleType,
    pay_api: Api,
    payments_module: ModuleType,
    providers: dict[PaymentMethod, FakeProvider],
) -> None:
    risky(risk_api)
    order = held_order(orders_module, pay_api, payments_module, "r1")
    orders_api = Api(orders_module)
    view = order_of(orders_api, order["orderId"])
    assert (view["status"], view["payment"]["status"]) == ("ON_HOLD", "PAID")
    assert children_queued(order["orderId"]) == [False]
    assert stock_of("TEE-M")["reserved"] == 1  # held, not sold yet
    status, _, queue = risk_api("GET", "/risk/reviews", **SUPPORT)
    assert status == 200
    assert [(i["orderId"], i["rules"]) for i in queue["items"]] == [(order["orderId"], "new-account-high-amount")]
    assert risk_api("GET", "/risk/reviews", **CUSTOMER)[0] == 403

    path = f"/orders/{order['orderId']}/risk-review"
    body = {"decision": "approve", "reason": "called the shopper"}
    assert risk_api("POST", path, route=REVIEW, **SUPPORT, body={"decision": "approve"})[0] == 422
    assert risk_api("POST", path, route=REVIEW, **SUPPORT, body={"decision": "maybe", "reason": "hmm"})[0] == 422
    status, _, decided = risk_api("POST", path, route=REVIEW, **SUPPORT, body=body)
    assert (status, decided["status"], decided["decision"]["decision"]) == (200, "PAID", "approve"), decided
    assert risk_api("POST", path, route=REVIEW, **SUPPORT, body=body)[2] == decided  # a replay answers the same
    status, _, conflict = risk_api("POST", path, route=REVIEW, **SUPPORT, body={**body, "decision": "reject"})
    assert (status, conflict["type"]) == (409, "urn:oms:problem:risk-review-decided")
    assert children_queued(order["orderId"]) == [True]
    assert stock_of("TEE-M")["sold"] == 1
    assert risk_api("GET", "/risk/reviews", **SUPPORT)[2]["items"] == []
    audit = [i for i in table_snapshot() if i["type"] == "Audit" and i["PK"] == f"AUDIT#ORDER#{order['orderId']}"]
    assert [(a["action"], a["by"], a["reason"]) for a in audit] == [("risk.approve", "support-1", "called the shopper")]
    assert providers[ALIPAY].refunds == []


def test_a_rejected_review_refunds_what_was_received_and_cancels(
    shop: None,
    risk_api: Api,
    orders_module: ModuleType,
    pay_api: Api,
    payments_module: ModuleType,
    providers: dict[PaymentMethod, FakeProvider],
) -> None:
    risky(risk_api)
    order = held_order(orders_module, pay_api, payments_module, "r2")
    path = f"/orders/{order['orderId']}/risk-review"
    body = {"decision": "reject", "reason": "stolen card"}
    status, _, decided = risk_api("POST", path, route=REVIEW, **ADMIN, body=body)
    assert (status, decided["status"]) == (200, "CANCELLED"), decided
    assert risk_api("POST", path, route=REVIEW, **ADMIN, body=body)[2] == decided
    assert risk_api("POST", path, route=REVIEW, **ADMIN, body={**body, "decision": "approve"})[0] == 409
    assert len(providers[ALIPAY].refunds) == 1 and providers[ALIPAY].refunds[0][1] == order["paid"]
    view = order_of(Api(orders_module), order["orderId"])
    assert view["status"] == "CANCELLED"
    assert view["payment"]["status"] == "REFUNDED"
    assert stock_of("TEE-M")["reserved"] == 0 and stock_of("TEE-M")["sold"] == 0
    assert children_queued(order["orderId"]) == [False]
    assert not [i for i in table_snapshot() if i["type"] == "OrderFlag"]
    assert_ledger_balances()


def test_a_held_order_staff_cancel_leaves_the_queue_with_its_money_refunded(
    shop: None,
    risk_api: Api,
    orders_module: ModuleType,
    pay_api: Api,
    payments_module: ModuleType,
    providers: dict[PaymentMethod, FakeProvider],
) -> None:
    risky(risk_api)
    order = held_order(orders_module, pay_api, payments_module, "r3")
    status, _, cancelled = Api(orders_module)(
        "POST", f"/orders/{order['orderId']}/cancel", route="POST /orders/{orderId}/cancel", **SUPPORT, body={}
    )
    assert (status, cancelled["status"]) == (200, "CANCELLED"), cancelled
    assert risk_api("GET", "/risk/reviews", **SUPPORT)[2]["items"] == []
    assert [r[1] for r in providers[ALIPAY].refunds] == [order["paid"]]
    [header] = [i for i in orders_in_table() if i["orderId"] == order["orderId"]]
    assert "hold" not in header
    status, _, _ = risk_api(
        "POST",
        f"/orders/{order['orderId']}/risk-review",
        route=REVIEW,
        **SUPPORT,
        body={"decision": "approve", "reason": "too late"},
    )
    assert status == 409
    assert_ledger_balances()


def test_a_review_of_an_order_not_held_for_risk_is_a_conflict(
    shop: None, risk_api: Api, orders_module: ModuleType
) -> None:
    _, _, order = checkout(orders_module, "plain")
    status, _, problem = risk_api(
        "POST",
        f"/orders/{order['orderId']}/risk-review",
        route=REVIEW,
        **ADMIN,
        body={"decision": "approve", "reason": "fine"},
    )
    assert (status, problem["type"]) == (409, "urn:oms:problem:conflict")


def test_rules_see_shared_devices_and_addresses_and_country_mismatches(
    shop: None, risk_api: Api, orders_module: ModuleType
) -> None:
    put_settings(
        risk_api,
        {
            "rules": {"sharedDevice": {"maxAccounts": 1}, "sharedAddress": {"enabled": True, "maxAccounts": 1}},
            "reviewMatched": False,
        },
    )
    assert checkout(orders_module, "a", CUSTOMER, device="dev-1")[0] == 201
    assert checkout(orders_module, "b", OTHER_CUSTOMER, device="dev-1", billingCountry="US")[0] == 201
    verdicts = {i["customerId"]: json.loads(i["risk"]) for i in orders_in_table()}
    assert verdicts["cust-1"]["matched"] == []
    rules = {hit["rule"] for hit in verdicts[OTHER_CUSTOMER["sub"]]["matched"]}
    assert rules == {"shared-device", "shared-address", "country-mismatch"}
    assert verdicts[OTHER_CUSTOMER["sub"]]["review"] is False  # recorded only: reviewMatched is off
    assert checkout(orders_module, "c", CUSTOMER, billingCountry="usa")[0] == 422


def test_risk_settings_are_versioned_and_audited(shop: None, risk_api: Api) -> None:
    status, headers, current = risk_api("GET", "/settings/risk", **ADMIN)
    assert (status, current["stored"], current["version"], headers["ETag"]) == (200, False, 0, '"0"')
    updated = put_settings(risk_api, {"reviewMatched": False})
    assert (updated["version"], updated["reviewMatched"]) == (1, False)
    stale = risk_api("PUT", "/settings/risk", **ADMIN, body={}, headers={"If-Match": '"0"'})
    assert stale[0] == 412
    assert risk_api("PUT", "/settings/risk", **ADMIN, body={"rateLimits": {"checkout": {"perUser": 5}}})[0] == 422
    assert risk_api("PUT", "/settings/risk", **SUPPORT, body={})[0] == 403
    _, _, detail = risk_api("GET", "/settings/risk", **ADMIN)
    assert [(a["action"], a["reason"]) for a in detail["audit"]] == [("risk-settings.update", "tighter for the test")]


def test_checkout_keeps_its_two_calls_with_risk_control(
    shop: None, risk_api: Api, orders_module: ModuleType, aws_calls: AwsCalls
) -> None:
    assert checkout(orders_module, "warm")[0] == 201
    aws_calls.clear()
    assert checkout(orders_module, "counted", device="dev-1")[0] == 201
    assert aws_calls.calls == ["dynamodb:BatchGetItem", "dynamodb:TransactWriteItems"]
