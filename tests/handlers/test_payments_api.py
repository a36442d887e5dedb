"""Payments under moto: attempts per channel, exactly-once notices, the ledger, balance, anomalies,
bank-transfer review and channel settings. Provider protocol code is replaced by a recording fake
here (the real signed callbacks are tested in tests/unit/test_provider_* and through the local stack)."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import boto3
from oms.adapters.providers.base import (
    NoticeStatus,
    ProviderQuery,
)
from oms.domain.money import Money
from oms.domain.payment import PaymentMethod

from tests.handlers.conftest import ADMIN, CUSTOMER, OTHER_CUSTOMER, SUPPORT, Api
from tests.helpers.payments import (
    FakeProvider,
    _cancel_by_timeout,
    late_payment_policy,
    ledger_items,
    notice,
    order_of,
    pay,
    place,
)
from tests.helpers.problems import assert_problem
from tests.helpers.table import stock_of, table_snapshot

FINANCE = {"sub": "fin-1", "roles": ("finance",)}


def anomalies() -> list[dict[str, Any]]:
    return [i for i in table_snapshot() if i["type"] == "Anomaly"]


# ---------------------------------------------------------------- provider payments
def test_alipay_attempt_then_callback_pays_the_order_once(
    seeded: Any, orders_api: Api, pay_api: Api, payments_module: ModuleType
) -> None:
    order = place(orders_api)
    status, payment = pay(pay_api, order, "alipay")
    assert status == 201, payment
    assert payment["status"] == "CREATED"
    assert payment["amount"] == {"amount": 10800, "currency": "CNY"}
    assert payment["instructions"]["pay"].startswith("fake://alipay/")
    assert pay(pay_api, order, "alipay")[1] == payment  # same key → same answer

    results = [payments_module.service.apply_notice(notice(payment)) for _ in range(5)]
    assert results == ["pay_order", "duplicate", "duplicate", "duplicate", "duplicate"]
    paid = order_of(orders_api, order["orderId"])
    assert paid["status"] == "PAID"
    assert paid["payment"]["status"] == "PAID"
    assert paid["payment"]["received"]["amount"] == 10800
    assert stock_of("TEE-M") == {"available": 8, "reserved": 0, "sold": 2, "received": 10, "adjusted": 0}
    lines = ledger_items()
    # one payment posting (2 lines) + one fee posting (2 lines: 0.60 % of 108.00 = 0.65)
    assert sorted((line["account"], int(line["amount"]["amount"])) for line in lines) == sorted(
        [
            ("provider:alipay", 10800),
            (f"order:{order['orderId']}", -10800),
            ("fees:alipay", 65),
            ("provider:alipay", -65),
        ]
    )
    assert sum(int(line["amount"]["amount"]) for line in lines) == 0


def test_failed_notice_fails_the_attempt_and_the_order_stays_payable(
    seeded: Any, orders_api: Api, pay_api: Api, payments_module: ModuleType
) -> None:
    order = place(orders_api)
    _, payment = pay(pay_api, order, "wechat")
    result = payments_module.service.apply_notice(
        notice(payment, status=NoticeStatus.FAILED, method=PaymentMethod.WECHAT)
    )
    assert result == "failed"
    view = order_of(orders_api, order["orderId"])
    assert view["status"] == "PENDING_PAYMENT"
    assert view["payment"]["attempts"][0]["status"] == "FAILED"
    assert pay(pay_api, order, "card", key="p2")[0] == 201


def test_amount_mismatch_holds_the_order_and_opens_a_case(
    seeded: Any, orders_api: Api, pay_api: Api, payments_module: ModuleType
) -> None:
    order = place(orders_api)
    _, payment = pay(pay_api, order, "alipay")
    assert payments_module.service.apply_notice(notice(payment, amount=100)) == "hold"
    view = order_of(orders_api, order["orderId"])
    assert view["status"] == "ON_HOLD"
    assert view["payment"]["status"] == "PARTIALLY_PAID"
    assert view["payment"]["received"]["amount"] == 100
    [case] = anomalies()
    assert (case["anomalyType"], case["status"]) == ("AMOUNT_MISMATCH", "OPEN")
    assert (int(case["expected"]["amount"]), int(case["received"]["amount"])) == (10800, 100)
    assert stock_of("TEE-M")["reserved"] == 2  # nothing sold while held


def test_duplicate_payment_is_refunded_automatically_and_idempotently(
    seeded: Any,
    orders_api: Api,
    pay_api: Api,
    payments_module: ModuleType,
    providers: dict[PaymentMethod, FakeProvider],
) -> None:
    order = place(orders_api)
    _, first = pay(pay_api, order, "alipay", key="a")
    _, second = pay(pay_api, order, "wechat", key="b")
    assert payments_module.service.apply_notice(notice(first)) == "pay_order"
    assert payments_module.service.apply_notice(notice(second, event="w-1", method=PaymentMethod.WECHAT)) == "refund"
    assert payments_module.service.apply_notice(notice(second, event="w-1", method=PaymentMethod.WECHAT)) == "duplicate"
    assert providers[PaymentMethod.WECHAT].refunds == [(f"RF{second['paymentId']}", 10800)]
    view = order_of(orders_api, order["orderId"])
    assert view["payment"]["status"] == "PAID"  # received 2 × 108.00, refunded 108.00
    assert view["payment"]["refunded"]["amount"] == 10800
    assert view["payment"]["refunds"][0]["status"] == "SUCCEEDED"
    [case] = anomalies()
    assert (case["anomalyType"], case["status"]) == ("DUPLICATE_PAYMENT", "RESOLVED")


def test_failed_refund_stays_visible_and_sync_retries_it(
    seeded: Any,
    orders_api: Api,
    pay_api: Api,
    payments_module: ModuleType,
    providers: dict[PaymentMethod, FakeProvider],
) -> None:
    order = place(orders_api)
    _, first = pay(pay_api, order, "alipay", key="a")
    _, second = pay(pay_api, order, "card", key="b")
    payments_module.service.apply_notice(notice(first))
    providers[PaymentMethod.CARD].fail_refunds = True
    payments_module.service.apply_notice(notice(second, event="c-1", method=PaymentMethod.CARD))
    [case] = anomalies()
    assert case["status"] == "OPEN"
    assert order_of(orders_api, order["orderId"])["payment"]["status"] == "OVERPAID"
    providers[PaymentMethod.CARD].fail_refunds = False
    providers[PaymentMethod.CARD].query_answer = ProviderQuery(
        second["paymentId"], "pi_1", NoticeStatus.SUCCEEDED, Money(10800, "CNY"), "query-pi_1"
    )
    status, _, synced = pay_api(
        "POST",
        f"/orders/{order['orderId']}/payments/{second['paymentId']}/sync",
        route="POST /orders/{orderId}/payments/{paymentId}/sync",
        **CUSTOMER,
    )
    assert status == 200, synced
    assert order_of(orders_api, order["orderId"])["payment"]["status"] == "PAID"
    assert anomalies()[0]["status"] == "RESOLVED"


def test_payment_after_timeout_revives_the_order_when_the_store_allows_it(
    seeded: Any, catalog_api: Api, orders_api: Api, pay_api: Api, payments_module: ModuleType
) -> None:
    late_payment_policy(catalog_api, "revive-if-stock")
    order = place(orders_api)
    _, payment = pay(pay_api, order, "alipay")
    _cancel_by_timeout(order)
    assert stock_of("TEE-M")["available"] == 10
    assert order_of(orders_api, order["orderId"])["payment"]["attempts"][0]["status"] == "EXPIRED"
    assert payments_module.service.apply_notice(notice(payment)) == "revive_or_refund"
    view = order_of(orders_api, order["orderId"])
    assert view["status"] == "PAID"
    assert (view["payment"]["status"], view["payment"]["owed"]["amount"]) == ("PAID", 10800)
    assert stock_of("TEE-M") == {"available": 8, "reserved": 0, "sold": 2, "received": 10, "adjusted": 0}
    [case] = anomalies()
    assert (case["anomalyType"], case["status"]) == ("PAID_AFTER_CANCEL", "RESOLVED")


def test_payment_after_timeout_without_stock_is_refunded(
    seeded: Any,
    catalog_api: Api,
    orders_api: Api,
    pay_api: Api,
    payments_module: ModuleType,
    providers: dict[PaymentMethod, FakeProvider],
) -> None:
    late_payment_policy(catalog_api, "revive-if-stock")
    order = place(orders_api)
    _, payment = pay(pay_api, order, "alipay")
    _cancel_by_timeout(order)
    place(orders_api, quantity=9, who=OTHER_CUSTOMER, key="other")  # the stock is gone again
    assert payments_module.service.apply_notice(notice(payment)) == "refund"
    view = order_of(orders_api, order["orderId"])
    assert view["status"] == "CANCELLED"
    assert view["payment"]["status"] == "REFUNDED"
    assert providers[PaymentMethod.ALIPAY].refunds == [(f"RF{payment['paymentId']}", 10800)]
    assert stock_of("TEE-M")["available"] == 1


# ---------------------------------------------------------------- balance
def credit(pay_api: Api, amount: int, who: str = "cust-1", key: str = "c1") -> tuple[int, Any]:
    status, _, body = pay_api(
        "POST",
        f"/customers/{who}/balance/adjustments",
        route="POST /customers/{customerId}/balance/adjustments",
        **FINANCE,
        headers={"Idempotency-Key": key},
        body={"direction": "credit", "amount": {"amount": amount, "currency": "CNY"}, "reason": "goodwill"},
    )
    return status, body


def test_balance_pays_in_one_transaction(seeded: Any, orders_api: Api, pay_api: Api) -> None:
    assert credit(pay_api, 20000)[0] == 201
    order = place(orders_api)
    status, payment = pay(pay_api, order, "balance")
    assert status == 201, payment
    assert payment["status"] == "SUCCEEDED"
    assert order_of(orders_api, order["orderId"])["status"] == "PAID"
    status, _, balance = pay_api(
        "GET", "/customers/me/balance", route="GET /customers/{customerId}/balance", **CUSTOMER
    )
    assert balance["balance"] == {"amount": 20000 - 10800, "currency": "CNY"}
    assert [int(m["amount"]["amount"]) for m in balance["movements"]] == [10800, -20000]
    assert stock_of("TEE-M")["sold"] == 2


def test_insufficient_balance_is_409_and_writes_nothing(seeded: Any, orders_api: Api, pay_api: Api) -> None:
    credit(pay_api, 5000)
    order = place(orders_api)
    before = table_snapshot()
    status, problem = pay(pay_api, order, "balance")
    assert status == 409
    assert problem["type"] == "urn:oms:problem:insufficient-balance"
    assert table_snapshot() == before


def test_balance_adjustments_need_finance_and_never_go_negative(seeded: Any, pay_api: Api) -> None:
    route = "POST /customers/{customerId}/balance/adjustments"
    status, _, _ = pay_api(
        "POST",
        "/customers/cust-1/balance/adjustments",
        route=route,
        **CUSTOMER,
        headers={"Idempotency-Key": "x"},
        body={"direction": "credit", "amount": {"amount": 1, "currency": "CNY"}, "reason": "free money"},
    )
    assert status == 403
    credit(pay_api, 1000)
    before = table_snapshot()
    status, _, problem = pay_api(
        "POST",
        "/customers/cust-1/balance/adjustments",
        route=route,
        **FINANCE,
        headers={"Idempotency-Key": "d1"},
        body={"direction": "debit", "amount": {"amount": 1001, "currency": "CNY"}, "reason": "correction"},
    )
    assert_problem(status, {"Content-Type": "application/problem+json"}, problem, 409, "insufficient-balance")
    assert table_snapshot() == before
    status, _, _other = pay_api(
        "GET", "/customers/cust-1/balance", route="GET /customers/{customerId}/balance", **OTHER_CUSTOMER
    )
    assert status == 404


# ---------------------------------------------------------------- bank transfer
def test_bank_transfer_extends_the_deadline_and_finance_approves(seeded: Any, orders_api: Api, pay_api: Api) -> None:
    order = place(orders_api)
    status, payment = pay(pay_api, order, "bank_transfer")
    assert status == 201, payment
    assert payment["status"] == "PENDING"
    assert payment["paymentDeadline"] > order["paymentDeadline"]
    route = "POST /orders/{orderId}/payments/{paymentId}/review"
    path = f"/orders/{order['orderId']}/payments/{payment['paymentId']}/review"
    assert pay_api("POST", path, route=route, **SUPPORT, body={"decision": "approve"})[0] == 403
    status, _, reviewed = pay_api("POST", path, route=route, **FINANCE, body={"decision": "approve"})
    assert status == 200, reviewed
    assert reviewed["status"] == "SUCCEEDED"
    assert reviewed["order"]["status"] == "PAID"
    # The same approval again (retried after a lost answer) answers the same and writes nothing;
    # another reviewer finds the transfer no longer awaiting review.
    before = table_snapshot()
    assert pay_api("POST", path, route=route, **FINANCE, body={"decision": "approve"})[1:] == (
        {"Content-Type": "application/json"},
        reviewed,
    )
    assert table_snapshot() == before
    other = {"sub": "fin-2", "roles": ("finance",)}
    assert pay_api("POST", path, route=route, **other, body={"decision": "approve"})[0] == 409


def test_bank_transfer_rejection_needs_a_reason(seeded: Any, orders_api: Api, pay_api: Api) -> None:
    order = place(orders_api)
    _, payment = pay(pay_api, order, "bank_transfer")
    route = "POST /orders/{orderId}/payments/{paymentId}/review"
    path = f"/orders/{order['orderId']}/payments/{payment['paymentId']}/review"
    assert pay_api("POST", path, route=route, **FINANCE, body={"decision": "reject"})[0] == 422
    status, _, reviewed = pay_api(
        "POST", path, route=route, **FINANCE, body={"decision": "reject", "reason": "no funds arrived"}
    )
    assert (status, reviewed["status"], reviewed["review"]["reason"]) == (200, "FAILED", "no funds arrived")
    assert reviewed["order"]["status"] == "PENDING_PAYMENT"


# ---------------------------------------------------------------- channels and payability
def test_disabled_channel_and_limits_are_422(seeded: Any, orders_api: Api, pay_api: Api) -> None:
    order = place(orders_api)
    status, problem = pay(pay_api, order, "crypto")  # disabled by default
    assert (status, problem["type"]) == (422, "urn:oms:problem:payment-channel-unavailable")
    route = "PUT /settings/payment-channels/{storeId}"
    body = {
        "channels": {
            "card": {
                "enabled": True,
                "minAmount": 50000,
                "maxAmount": 100000,
                "feeRateBps": 290,
                "feeBearer": "merchant",
            }
        },
        "reason": "card minimum 500.00",
    }
    assert pay_api("PUT", "/settings/payment-channels/demo", route=route, **CUSTOMER, body=body)[0] == 403
    status, _headers, settings = pay_api("PUT", "/settings/payment-channels/demo", route=route, **ADMIN, body=body)
    assert (status, settings["version"]) == (200, 1)
    status, problem = pay(pay_api, order, "card", key="p2")
    assert (status, problem["type"]) == (422, "urn:oms:problem:payment-channel-unavailable")
    audit = [i for i in table_snapshot() if i["type"] == "Audit" and i["PK"].startswith("AUDIT#SETTINGS#PAYMENT")]
    assert len(audit) == 1 and audit[0]["by"] == "admin-1" and audit[0]["reason"] == "card minimum 500.00"
    status, _, shown = pay_api(
        "GET", "/settings/payment-channels/demo", route="GET /settings/payment-channels/{storeId}", **FINANCE
    )
    assert (status, shown["audit"][0]["by"], shown["channels"]["card"]["minAmount"]) == (200, "admin-1", 50000)
    stale = pay_api(
        "PUT", "/settings/payment-channels/demo", route=route, **ADMIN, headers={"If-Match": '"0"'}, body=body
    )
    assert stale[0] == 412


def test_payment_method_settings_answer_under_their_name_and_their_former_one(seeded: Any, pay_api: Api) -> None:
    body = {
        "channels": {
            "card": {"enabled": True, "minAmount": 1, "maxAmount": 10**6, "feeRateBps": 0, "feeBearer": "merchant"}
        },
        "reason": "cards on",
    }
    put = "PUT /settings/payment-methods/{storeId}"
    status, headers, written = pay_api("PUT", "/settings/payment-methods/demo", route=put, **ADMIN, body=body)
    assert (status, headers["ETag"], written["channels"]["card"]["enabled"]) == (200, '"1"', True)
    new = pay_api("GET", "/settings/payment-methods/demo", route="GET /settings/payment-methods/{storeId}", **FINANCE)
    old = pay_api("GET", "/settings/payment-channels/demo", route="GET /settings/payment-channels/{storeId}", **FINANCE)
    assert new[0] == old[0] == 200 and new[2] == old[2]
    assert (new[2]["channels"], new[2]["version"]) == (written["channels"], 1)
    assert pay_api("PUT", "/settings/payment-methods/demo", route=put, **CUSTOMER, body=body)[0] == 403


def test_customer_borne_fee_is_added_to_what_the_payer_pays(
    seeded: Any, orders_api: Api, pay_api: Api, payments_module: ModuleType
) -> None:
    route = "PUT /settings/payment-channels/{storeId}"
    pay_api(
        "PUT",
        "/settings/payment-channels/demo",
        route=route,
        **ADMIN,
        body={
            "channels": {
                "crypto": {
                    "enabled": True,
                    "minAmount": 1,
                    "maxAmount": 10**7,
                    "feeRateBps": 100,
                    "feeBearer": "customer",
                }
            }
        },
    )
    order = place(orders_api)
    _, payment = pay(pay_api, order, "crypto")
    assert payment["amount"]["amount"] == 10800 + 108
    assert payments_module.service.apply_notice(notice(payment, method=PaymentMethod.CRYPTO)) == "pay_order"
    view = order_of(orders_api, order["orderId"])
    assert (view["status"], view["payment"]["status"]) == ("PAID", "PAID")


def test_cancelled_order_and_other_customers_cannot_pay(seeded: Any, orders_api: Api, pay_api: Api) -> None:
    order = place(orders_api)
    assert pay(pay_api, order, "alipay", who=OTHER_CUSTOMER)[0] == 404
    orders_api("POST", f"/orders/{order['orderId']}/cancel", route="POST /orders/{orderId}/cancel", **CUSTOMER)
    status, problem = pay(pay_api, order, "alipay")
    assert (status, problem["type"]) == (409, "urn:oms:problem:order-not-payable")
    assert pay(pay_api, order, "paypal", key="z")[0] == 422


def test_staff_list_and_resolve_anomalies(
    seeded: Any, orders_api: Api, pay_api: Api, payments_module: ModuleType
) -> None:
    order = place(orders_api)
    _, payment = pay(pay_api, order, "alipay")
    payments_module.service.apply_notice(notice(payment, amount=1))
    assert pay_api("GET", "/anomalies", **CUSTOMER)[0] == 403
    status, _, page = pay_api("GET", "/anomalies", **SUPPORT, query={"status": "OPEN"})
    [case] = page["items"]
    route = "POST /anomalies/{anomalyId}/resolve"
    status, _, resolved = pay_api(
        "POST",
        f"/anomalies/{case['anomalyId']}/resolve",
        route=route,
        **SUPPORT,
        body={"decision": "accept", "remainder": "write-off", "note": "customer paid the rest by bank"},
    )
    assert (status, resolved["status"], resolved["notes"][-1]["by"]) == (200, "RESOLVED", "support-1")
    assert resolved["order"]["status"] == "PAID"
    assert pay_api("GET", "/anomalies", **SUPPORT, query={"status": "OPEN"})[2]["items"] == []
    assert boto3  # keeps the import for table helpers used above


def test_store_that_deducts_at_order_sells_at_checkout(
    seeded: Any, catalog_api: Api, orders_api: Api, pay_api: Api, payments_module: ModuleType
) -> None:
    from tests.handlers.conftest import DEMO_STORE

    status, _, store = catalog_api(
        "PUT",
        "/stores/demo",
        route="PUT /stores/{storeId}",
        **ADMIN,
        body={**DEMO_STORE, "stockPolicy": "deduct_at_order"},
    )
    assert (status, store["stockPolicy"]) == (200, "deduct_at_order")
    cancelled = place(orders_api, key="c")
    assert stock_of("TEE-M") == {"available": 8, "reserved": 0, "sold": 2, "received": 10, "adjusted": 0}
    orders_api("POST", f"/orders/{cancelled['orderId']}/cancel", route="POST /orders/{orderId}/cancel", **CUSTOMER)
    assert stock_of("TEE-M") == {"available": 10, "reserved": 0, "sold": 0, "received": 10, "adjusted": 0}
    order = place(orders_api, key="p")
    _, payment = pay(pay_api, order, "alipay")
    assert payments_module.service.apply_notice(notice(payment)) == "pay_order"
    assert stock_of("TEE-M") == {"available": 8, "reserved": 0, "sold": 2, "received": 10, "adjusted": 0}


def test_query_parameters_are_typed_and_a_bad_one_is_named(seeded: Any, pay_api: Api) -> None:
    """`status` (an AnomalyStatus, OPEN by default) and `limit` (an integer) are validated before the handler
    runs, with the field and code the hand-written checks answered before the routes were typed."""
    status, _, problem = pay_api("GET", "/anomalies", **SUPPORT, query={"status": "LOST"})
    assert (status, problem["type"], [(e["field"], e["code"]) for e in problem["errors"]]) == (
        422,
        "urn:oms:problem:validation-failed",
        [("status", "enum")],
    )
    balance = "GET /customers/{customerId}/balance"
    status, _, problem = pay_api("GET", "/customers/me/balance", route=balance, **CUSTOMER, query={"limit": "ten"})
    assert (status, [(e["field"], e["code"]) for e in problem["errors"]]) == (422, [("limit", "int_parsing")])
    status, _, page = pay_api("GET", "/anomalies", **SUPPORT, query={"status": "RESOLVED", "limit": "5"})
    assert (status, page) == (200, {"items": [], "next_cursor": None})
