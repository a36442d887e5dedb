"""Money after a cancel, under moto (issue 9 items 2-4): a payment that arrives after a person cancelled
is refunded and never revives the order; the payment timeout revives only where every store allows it
(`latePaymentPolicy`); open attempts are closed at the provider; a held order's money goes back when
staff cancel it, and staff decide a mismatched payment (accept: write off or charge the rest, refund the
excess; refund); what an order still asks for comes from the ledger (cancelled value is no longer owed).
Providers are the recording fakes of test_payments_api (every function uses them here)."""

# ruff: noqa: F811  (the payment fixtures of test_payments_api are imported, then named as arguments)

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest
from oms.adapters.providers.base import CloseOutcome, NoticeStatus, PaymentMethod, ProviderQuery
from oms.domain.money import Money
from oms.services.after_commit import AfterCommit, CommittedEvent, rearm_payment_timeout

from tests.handlers.conftest import (
    ADDRESS,
    ADMIN,
    CUSTOMER,
    DEMO_STORE,
    SUPPORT,
    Api,
    LambdaContext,
    TableStream,
    load_function,
)
from tests.handlers.test_orders_api import stock_of, table_snapshot
from tests.handlers.test_payments_api import (  # noqa: F401  (fixtures)
    FakeProvider,
    _cancel_by_timeout,
    late_payment_policy,
    ledger_items,
    notice,
    order_of,
    pay,
    pay_api,
    payments_module,
    place,
    providers,
)

CANCEL = "POST /orders/{orderId}/cancel"
RESOLVE = "POST /anomalies/{anomalyId}/resolve"
SYNC = "POST /orders/{orderId}/payments/{paymentId}/sync"
ALIPAY = PaymentMethod.ALIPAY
UNTOUCHED_TEE = {"available": 10, "reserved": 0, "sold": 0, "received": 10, "adjusted": 0}


class FakeTimer:
    def __init__(self) -> None:
        self.rearmed: list[tuple[str, str]] = []

    def rearm(self, order_id: str, deadline: str) -> None:
        self.rearmed.append((order_id, deadline))


@dataclass(frozen=True)
class Shop:
    """The seeded demo store and every function a money test calls, with the recording providers."""

    catalog: Api
    orders: Api
    pay: Api
    payments: ModuleType
    providers: dict[PaymentMethod, FakeProvider]


@pytest.fixture
def shop(
    seeded: Any,
    catalog_api: Api,
    orders_api: Api,
    pay_api: Api,
    payments_module: ModuleType,
    providers: dict[PaymentMethod, FakeProvider],
) -> Shop:
    return Shop(catalog_api, orders_api, pay_api, payments_module, providers)


def cancel(orders_api: Api, order_id: str, who: dict[str, Any]) -> tuple[int, Any]:
    status, _, body = orders_api("POST", f"/orders/{order_id}/cancel", route=CANCEL, **who)
    return status, body


def resolve(pay_api: Api, anomaly_id: str, body: dict[str, Any], who: dict[str, Any] = SUPPORT) -> tuple[int, Any]:
    status, _, answer = pay_api("POST", f"/anomalies/{anomaly_id}/resolve", route=RESOLVE, **who, body=body)
    return status, answer


def payments(pay_api: Api, order_id: str) -> dict[str, Any]:
    status, _, body = pay_api("GET", f"/orders/{order_id}/payments", route="GET /orders/{orderId}/payments", **ADMIN)
    assert status == 200, body
    return dict(body)


def _decoded(item: dict[str, Any], *names: str) -> dict[str, Any]:
    """A raw item with its JSON attributes (stored as strings) decoded."""
    return {**item, **{n: json.loads(item[n]) for n in names if isinstance(item.get(n), str)}}


def outbox(detail_type: str) -> list[dict[str, Any]]:
    return [
        _decoded(i, "detail")["detail"]
        for i in table_snapshot()
        if i["type"] == "Outbox" and i["detailType"] == detail_type
    ]


def anomalies() -> list[dict[str, Any]]:
    return [_decoded(i, "notes", "refund", "resolution") for i in table_snapshot() if i["type"] == "Anomaly"]


def moves(view: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(h["from"], h["to"]) for h in view["history"]]


def assert_ledger_balances() -> None:
    """Every posting balances: per posting, and so over the whole table."""
    by_posting: Counter[str] = Counter()
    for line in ledger_items():
        by_posting[line["postingId"]] += int(line["amount"]["amount"])
    assert by_posting and all(total == 0 for total in by_posting.values()), by_posting


def held(shop: Shop, amount: int) -> tuple[dict[str, Any], Any]:
    """A 108.00 order paid `amount` through Alipay: ON_HOLD with an AMOUNT_MISMATCH case."""
    order = place(shop.orders)
    _, payment = pay(shop.pay, order, "alipay")
    assert shop.payments.service.apply_notice(notice(payment, amount=amount)) == "hold"
    return order, payment


# ---------------------------------------------------------------- item 2: a cancel is final
@pytest.mark.parametrize("who", [CUSTOMER, SUPPORT], ids=["shopper", "staff"])
def test_a_payment_after_a_person_cancelled_is_refunded_and_the_order_stays_cancelled(
    shop: Shop, who: dict[str, Any]
) -> None:
    order = place(shop.orders)
    _, payment = pay(shop.pay, order, "alipay")
    status, cancelled = cancel(shop.orders, order["orderId"], who)
    assert (status, cancelled["status"]) == (200, "CANCELLED")

    assert shop.payments.service.apply_notice(notice(payment)) == "refund"
    view = order_of(shop.orders, order["orderId"])
    assert view["status"] == "CANCELLED"
    assert ("CANCELLED", "PAID") not in moves(view)
    assert stock_of("TEE-M") == UNTOUCHED_TEE  # never taken again
    assert shop.providers[ALIPAY].refunds == [(f"RF{payment['paymentId']}", 10800)]
    money = view["payment"]
    assert (money["status"], money["outstanding"]["amount"], money["owed"]["amount"]) == ("REFUNDED", 0, 0)
    [case] = anomalies()
    assert (case["anomalyType"], case["status"], case["refund"]["status"]) == (
        "PAID_AFTER_CANCEL",
        "RESOLVED",
        "SUCCEEDED",
    )
    assert "cancelled the order" in case["notes"][0]["note"]
    [told] = outbox("PaymentAnomaly")
    assert (told["customerId"], told["orderId"], told["anomalyType"], told["anomalyStatus"]) == (
        "cust-1",
        order["orderId"],
        "PAID_AFTER_CANCEL",
        "OPEN",
    )
    assert int(told["received"]["amount"]) == 10800 and int(told["refund"]["amount"]["amount"]) == 10800
    [refunded] = outbox("RefundSucceeded")
    assert (refunded["customerId"], refunded["anomalyId"], int(refunded["amount"]["amount"])) == (
        "cust-1",
        case["anomalyId"],
        10800,
    )
    assert_ledger_balances()


def test_the_case_stays_open_until_the_refund_succeeds(shop: Shop) -> None:
    order = place(shop.orders)
    _, payment = pay(shop.pay, order, "alipay")
    cancel(shop.orders, order["orderId"], CUSTOMER)
    shop.providers[ALIPAY].fail_refunds = True
    assert shop.payments.service.apply_notice(notice(payment)) == "refund"
    [case] = anomalies()
    assert case["status"] == "OPEN"
    [refund] = payments(shop.pay, order["orderId"])["refunds"]
    assert (refund["status"], refund["failures"], refund["anomalyId"]) == ("PENDING", 1, case["anomalyId"])
    assert order_of(shop.orders, order["orderId"])["payment"]["status"] == "OVERPAID"  # held money owed back
    [delayed] = outbox("RefundFailed")
    assert (delayed["customerId"], int(delayed["amount"]["amount"])) == ("cust-1", 10800)

    shop.providers[ALIPAY].query_answer = ProviderQuery(
        payment["paymentId"], "trade-evt-1", NoticeStatus.SUCCEEDED, Money(10800, "CNY"), "query-1"
    )
    sync_path = f"/orders/{order['orderId']}/payments/{payment['paymentId']}/sync"
    assert shop.pay("POST", sync_path, route=SYNC, **CUSTOMER)[0] == 200  # still failing: counted, told once
    assert payments(shop.pay, order["orderId"])["refunds"][0]["failures"] == 2
    assert len(outbox("RefundFailed")) == 1 and anomalies()[0]["status"] == "OPEN"

    shop.providers[ALIPAY].fail_refunds = False
    assert shop.pay("POST", sync_path, route=SYNC, **CUSTOMER)[0] == 200
    [case] = anomalies()
    assert (case["status"], case["refund"]["status"]) == ("RESOLVED", "SUCCEEDED")
    assert payments(shop.pay, order["orderId"])["status"] == "REFUNDED"
    assert len(outbox("RefundSucceeded")) == 1
    assert order_of(shop.orders, order["orderId"])["status"] == "CANCELLED"
    assert_ledger_balances()


def test_a_payment_after_the_timeout_is_refunded_by_default(shop: Shop) -> None:
    order = place(shop.orders)
    _, payment = pay(shop.pay, order, "alipay")
    _cancel_by_timeout(order)
    assert shop.payments.service.apply_notice(notice(payment)) == "refund"
    view = order_of(shop.orders, order["orderId"])
    assert (view["status"], view["payment"]["status"]) == ("CANCELLED", "REFUNDED")
    assert stock_of("TEE-M") == UNTOUCHED_TEE
    [case] = anomalies()
    assert "latePaymentPolicy" in case["notes"][0]["note"] and case["status"] == "RESOLVED"


def test_a_multi_store_order_revives_only_when_every_store_allows_it(shop: Shop) -> None:
    north = {"name": "North", "currency": "CNY", "shippingFee": {"amount": 800, "currency": "CNY"}}
    assert shop.catalog("PUT", "/stores/north", route="PUT /stores/{storeId}", body=north, **ADMIN)[0] == 201
    lamp = {
        "storeId": "north",
        "name": "Lamp",
        "skus": [
            {
                "skuId": "LAMP",
                "name": "Lamp",
                "price": {"amount": 6000, "currency": "CNY"},
                "stock": 5,
                "warehouseId": "WH2",
                "weightGrams": 500,
            }
        ],
    }
    assert shop.catalog("POST", "/products", **ADMIN, body=lamp)[0] == 201
    late_payment_policy(shop.catalog, "revive-if-stock")  # demo revives, north keeps the default (refund)

    def late_paid(key: str) -> tuple[str, str]:
        status, _, order = shop.orders(
            "POST",
            "/orders",
            **CUSTOMER,
            headers={"Idempotency-Key": key},
            body={
                "lines": [{"skuId": "TEE-M", "quantity": 1}, {"skuId": "LAMP", "quantity": 1}],
                "shippingAddress": ADDRESS,
            },
        )
        assert status == 201, order
        _, payment = pay(shop.pay, order, "alipay", key=f"pay-{key}")
        _cancel_by_timeout(order)
        return payment_result(shop.payments, payment), order_of(shop.orders, order["orderId"])["status"]

    assert late_paid("k1") == ("refund", "CANCELLED")
    status, _, _ = shop.catalog(
        "PUT",
        "/stores/north",
        route="PUT /stores/{storeId}",
        **ADMIN,
        body={**north, "latePaymentPolicy": "revive-if-stock"},
    )
    assert status == 200
    assert late_paid("k2") == ("revive_or_refund", "PAID")


def payment_result(payments_module: ModuleType, payment: dict[str, Any]) -> str:
    return str(payments_module.service.apply_notice(notice(payment, event=f"evt-{payment['paymentId']}")))


def test_cancel_closes_the_open_attempts_at_the_provider_once(shop: Shop) -> None:
    order = place(shop.orders)
    _, first = pay(shop.pay, order, "alipay", key="a")
    _, second = pay(shop.pay, order, "wechat", key="b")
    assert cancel(shop.orders, order["orderId"], CUSTOMER)[0] == 200
    assert shop.providers[ALIPAY].closes == [first["paymentId"]]
    assert shop.providers[PaymentMethod.WECHAT].closes == [second["paymentId"]]
    attempts = payments(shop.pay, order["orderId"])["attempts"]
    assert [(a["status"], a["closedAtProvider"]["outcome"]) for a in attempts] == [
        ("EXPIRED", "CLOSED"),
        ("EXPIRED", "CLOSED"),
    ]
    history = order_of(shop.orders, order["orderId"])["history"]
    assert any(f"{first['paymentId']} closed at alipay" in (h["reason"] or "") for h in history)
    assert shop.payments.service.close_open_attempts(order["orderId"]) == {}  # idempotent: not asked again
    assert shop.providers[ALIPAY].closes == [first["paymentId"]]


def test_a_close_that_fails_never_fails_the_cancel_and_is_tried_again(shop: Shop) -> None:
    order = place(shop.orders)
    _, payment = pay(shop.pay, order, "alipay")
    shop.providers[ALIPAY].close_outcome = None  # unreachable
    status, cancelled = cancel(shop.orders, order["orderId"], CUSTOMER)
    assert (status, cancelled["status"]) == (200, "CANCELLED")
    [attempt] = payments(shop.pay, order["orderId"])["attempts"]
    assert (attempt["closedAtProvider"]["outcome"], attempt["closedAtProvider"]["tries"]) == ("ERROR", 1)
    shop.providers[ALIPAY].close_outcome = CloseOutcome.PAID  # meanwhile the payer paid: the late payment is refunded
    assert shop.payments.service.close_open_attempts(order["orderId"]) == {payment["paymentId"]: "PAID"}
    [attempt] = payments(shop.pay, order["orderId"])["attempts"]
    assert (attempt["closedAtProvider"]["outcome"], attempt["closedAtProvider"]["tries"]) == ("PAID", 2)
    assert shop.payments.service.close_open_attempts(order["orderId"]) == {}


def test_what_a_cancel_could_not_do_after_its_commit_is_done_from_the_committed_row(shop: Shop) -> None:
    """The request's own follow-up (close the attempt, settle refunds) is only the fast path: the committed
    OrderCancelled row reaches the after-commit function through the table's stream, which does it too."""
    stream = TableStream("AfterCommitFunction")
    order = place(shop.orders)
    _, payment = pay(shop.pay, order, "alipay")
    shop.providers[ALIPAY].close_outcome = None  # the provider is unreachable while the request runs
    assert cancel(shop.orders, order["orderId"], CUSTOMER)[0] == 200
    [attempt] = payments(shop.pay, order["orderId"])["attempts"]
    assert attempt["closedAtProvider"]["outcome"] == "ERROR"
    shop.providers[ALIPAY].close_outcome = CloseOutcome.CLOSED
    cancelled = [r for r in stream.new_records() if r["dynamodb"]["NewImage"]["detailType"]["S"] == "OrderCancelled"]
    assert len(cancelled) == 1
    after_commit = load_function("after_commit")
    assert after_commit.handler({"Records": cancelled}, LambdaContext()) == {"batchItemFailures": []}
    [attempt] = payments(shop.pay, order["orderId"])["attempts"]
    assert (attempt["closedAtProvider"]["outcome"], attempt["closedAtProvider"]["tries"]) == ("CLOSED", 2)
    # Delivered again (at least once), it asks nobody again.
    assert after_commit.handler({"Records": cancelled}, LambdaContext()) == {"batchItemFailures": []}
    [attempt] = payments(shop.pay, order["orderId"])["attempts"]
    assert attempt["closedAtProvider"]["tries"] == 2 and payment["paymentId"] == attempt["paymentId"]


def test_stores_take_a_late_payment_policy(shop: Shop) -> None:
    status, _, store = shop.catalog("GET", "/stores/demo", route="GET /stores/{storeId}")
    assert (status, store["latePaymentPolicy"]) == (200, "refund")
    before = table_snapshot()
    status, _, problem = shop.catalog(
        "PUT",
        "/stores/demo",
        route="PUT /stores/{storeId}",
        **ADMIN,
        body={**DEMO_STORE, "latePaymentPolicy": "revive"},
    )
    assert (status, problem["errors"][0]["field"]) == (422, "latePaymentPolicy")
    assert table_snapshot() == before
    late_payment_policy(shop.catalog, "revive-if-stock")
    assert (
        shop.catalog("GET", "/stores/demo", route="GET /stores/{storeId}")[2]["latePaymentPolicy"] == "revive-if-stock"
    )


# ---------------------------------------------------------------- item 3: money stuck on held orders
def test_staff_cancel_of_a_held_order_refunds_what_it_received(shop: Shop) -> None:
    order, payment = held(shop, 10000)
    assert cancel(shop.orders, order["orderId"], CUSTOMER)[0] == 409  # a held order is staff's to cancel
    status, cancelled = cancel(shop.orders, order["orderId"], SUPPORT)
    assert (status, cancelled["status"]) == (200, "CANCELLED")
    assert shop.providers[ALIPAY].refunds == [(f"RF{payment['paymentId']}", 10000)]
    money = payments(shop.pay, order["orderId"])
    assert (money["status"], money["received"]["amount"], money["refunded"]["amount"]) == ("REFUNDED", 10000, 10000)
    assert (money["owed"]["amount"], money["outstanding"]["amount"]) == (0, 0)
    assert stock_of("TEE-M") == UNTOUCHED_TEE
    [case] = anomalies()
    assert (case["anomalyType"], case["status"], case["refund"]["status"]) == (
        "AMOUNT_MISMATCH",
        "RESOLVED",
        "SUCCEEDED",
    )
    assert any("order cancelled by support-1" in n["note"] for n in case["notes"])
    [refunded] = outbox("RefundSucceeded")
    assert (refunded["anomalyType"], int(refunded["amount"]["amount"])) == ("AMOUNT_MISMATCH", 10000)
    assert_ledger_balances()


def test_a_held_cancel_whose_refund_fails_stays_pending_and_is_retried(shop: Shop) -> None:
    order, payment = held(shop, 10000)
    shop.providers[ALIPAY].fail_refunds = True
    assert cancel(shop.orders, order["orderId"], SUPPORT)[0] == 200
    money = payments(shop.pay, order["orderId"])
    assert [(r["status"], r["failures"]) for r in money["refunds"]] == [("PENDING", 1)]
    assert money["status"] == "OVERPAID"  # 100.00 held, nothing owed: visible until it goes back
    assert anomalies()[0]["status"] == "OPEN"
    shop.providers[ALIPAY].fail_refunds = False
    shop.providers[ALIPAY].query_answer = ProviderQuery(
        payment["paymentId"], "trade-evt-1", NoticeStatus.SUCCEEDED, Money(10000, "CNY"), "query-1"
    )
    path = f"/orders/{order['orderId']}/payments/{payment['paymentId']}/sync"
    assert shop.pay("POST", path, route=SYNC, **SUPPORT)[0] == 200
    assert payments(shop.pay, order["orderId"])["status"] == "REFUNDED"
    assert anomalies()[0]["status"] == "RESOLVED"


def test_accepting_an_underpayment_writes_the_difference_off(shop: Shop) -> None:
    order, _ = held(shop, 10000)
    [case] = anomalies()
    body = {"decision": "accept", "remainder": "write-off", "note": "8.00 short: goodwill"}
    status, resolved = resolve(shop.pay, case["anomalyId"], body)
    assert status == 200, resolved
    assert resolved["status"] == "RESOLVED"
    assert (resolved["resolution"]["decision"], resolved["resolution"]["remainder"]) == ("accept", "write-off")
    assert resolved["notes"][-1]["by"] == "support-1" and "written off" in resolved["notes"][-1]["note"]
    view = order_of(shop.orders, order["orderId"])
    assert view["status"] == "PAID" and "written off" in view["history"][-1]["reason"]
    money = view["payment"]
    assert (money["status"], money["owed"]["amount"], money["outstanding"]["amount"]) == ("PAID", 10000, 0)
    assert stock_of("TEE-M")["sold"] == 2 and stock_of("TEE-M")["reserved"] == 0
    write_offs = sorted(
        (line["account"], int(line["amount"]["amount"])) for line in ledger_items() if line["kind"] == "write_off"
    )
    assert write_offs == [("owed:" + order["orderId"], -800), ("write-offs", 800)]
    assert_ledger_balances()

    lines = len(ledger_items())
    assert resolve(shop.pay, case["anomalyId"], body) == (200, resolved)  # a replay changes nothing
    assert len(ledger_items()) == lines
    status, problem = resolve(shop.pay, case["anomalyId"], {"decision": "refund", "note": "changed my mind"})
    assert (status, problem["type"]) == (409, "urn:oms:problem:anomaly-already-decided")


def test_accepting_an_underpayment_can_charge_exactly_the_rest(shop: Shop) -> None:
    order, _ = held(shop, 10000)
    [case] = anomalies()
    status, resolved = resolve(
        shop.pay, case["anomalyId"], {"decision": "accept", "remainder": "charge", "note": "asked for the rest"}
    )
    assert status == 200, resolved
    view = order_of(shop.orders, order["orderId"])
    assert view["status"] == "PENDING_PAYMENT"
    assert view["payment"]["outstanding"]["amount"] == 800
    # Its new timer is armed from the committed row (the after-commit dispatcher), and until then the
    # sweeper finds it by its new deadline.
    [released] = outbox("OrderHoldReleased")
    timer = FakeTimer()
    after = AfterCommit({"OrderHoldReleased": [rearm_payment_timeout(timer)]})
    after.run(CommittedEvent("event", "OrderHoldReleased", released, released["updatedAt"]))
    assert timer.rearmed == [(order["orderId"], view["paymentDeadline"])]
    header = next(i for i in table_snapshot() if i["PK"] == f"ORDER#{order['orderId']}" and i["SK"] == "META")
    assert header["GSI4SK"].startswith(view["paymentDeadline"].removesuffix("Z"))
    assert stock_of("TEE-M")["reserved"] == 2  # still held for the order
    status, rest = pay(shop.pay, order, "card", key="rest")
    assert status == 201 and rest["amount"] == {"amount": 800, "currency": "CNY"}
    assert shop.payments.service.apply_notice(notice(rest, event="c-1", method=PaymentMethod.CARD)) == "pay_order"
    view = order_of(shop.orders, order["orderId"])
    assert (view["status"], view["payment"]["status"], view["payment"]["received"]["amount"]) == ("PAID", "PAID", 10800)
    assert stock_of("TEE-M")["sold"] == 2
    assert_ledger_balances()


def test_accepting_an_overpayment_refunds_the_excess(shop: Shop) -> None:
    order, payment = held(shop, 12000)
    [case] = anomalies()
    status, problem = resolve(
        shop.pay, case["anomalyId"], {"decision": "accept", "remainder": "charge", "note": "x y z"}
    )
    assert (status, problem["field"]) == (422, "remainder")  # nothing is missing
    status, resolved = resolve(shop.pay, case["anomalyId"], {"decision": "accept", "note": "keep the order"})
    assert status == 200, resolved
    assert shop.providers[ALIPAY].refunds == [(f"RF{payment['paymentId']}", 1200)]
    assert (resolved["status"], resolved["refund"]["status"]) == ("RESOLVED", "SUCCEEDED")
    view = order_of(shop.orders, order["orderId"])
    assert (view["status"], view["payment"]["status"], view["payment"]["refunded"]["amount"]) == ("PAID", "PAID", 1200)
    assert_ledger_balances()


def test_deciding_refund_gives_the_money_back_and_cancels_the_order(shop: Shop) -> None:
    order, payment = held(shop, 10000)
    [case] = anomalies()
    status, resolved = resolve(shop.pay, case["anomalyId"], {"decision": "refund", "note": "wrong amount, refund it"})
    assert status == 200, resolved
    assert shop.providers[ALIPAY].refunds == [(f"RF{payment['paymentId']}", 10000)]
    assert (resolved["status"], resolved["resolution"]["decision"]) == ("RESOLVED", "refund")
    view = order_of(shop.orders, order["orderId"])
    assert view["status"] == "CANCELLED" and "refund decided" in view["cancellation"]["note"]
    assert (view["payment"]["status"], view["payment"]["outstanding"]["amount"]) == ("REFUNDED", 0)
    assert stock_of("TEE-M") == UNTOUCHED_TEE
    assert resolve(shop.pay, case["anomalyId"], {"decision": "refund", "note": "wrong amount, refund it"})[0] == 200
    assert len(shop.providers[ALIPAY].refunds) == 1
    assert_ledger_balances()


REFUSED_DECISIONS: list[tuple[dict[str, Any], int, str]] = [
    ({"note": "no decision"}, 422, "decision"),
    ({"decision": "forgive", "note": "unknown"}, 422, "decision"),
    ({"decision": "refund", "remainder": "charge", "note": "refund has no remainder"}, 422, "remainder"),
    ({"decision": "accept", "remainder": "later", "note": "unknown remainder"}, 422, "remainder"),
    ({"decision": "accept", "note": "underpaid needs a remainder"}, 422, "remainder"),
    ({"decision": "accept", "remainder": "write-off", "note": "x", "amount": 1}, 422, "note"),
    ({"decision": "dismiss", "note": "the money is stuck"}, 409, "anomaly-decision-not-allowed"),
]


def test_resolve_bodies_are_validated_and_refused_ones_write_nothing(shop: Shop) -> None:
    held(shop, 10000)
    [case] = anomalies()
    before = table_snapshot()
    for body, status, where in REFUSED_DECISIONS:
        got, problem = resolve(shop.pay, case["anomalyId"], body)
        assert got == status, (body, problem)
        if status == 422:
            fields = {e["field"] for e in problem.get("errors", [])} | {problem.get("field")}
            assert where in fields, (body, problem)
        else:
            assert problem["type"] == f"urn:oms:problem:{where}", problem
        assert table_snapshot() == before, body


def test_a_currency_mismatch_cannot_be_accepted_only_refunded(shop: Shop) -> None:
    order = place(shop.orders)
    _, payment = pay(shop.pay, order, "card")
    assert shop.payments.service.apply_notice(notice(payment, currency="USD", method=PaymentMethod.CARD)) == "hold"
    [case] = anomalies()
    status, problem = resolve(shop.pay, case["anomalyId"], {"decision": "accept", "note": "take dollars"})
    assert (status, problem["type"]) == (409, "urn:oms:problem:anomaly-decision-not-allowed")
    assert resolve(shop.pay, case["anomalyId"], {"decision": "refund", "note": "give them back"})[0] == 200
    assert order_of(shop.orders, order["orderId"])["status"] == "CANCELLED"


# ---------------------------------------------------------------- item 4: outstanding from the ledger
def test_outstanding_counts_cancelled_children_as_no_longer_owed(shop: Shop) -> None:
    north = {"name": "North", "currency": "CNY", "shippingFee": {"amount": 800, "currency": "CNY"}}
    assert shop.catalog("PUT", "/stores/north", route="PUT /stores/{storeId}", body=north, **ADMIN)[0] == 201
    for store, sku, price, warehouse in (("demo", "T48", 4800, "WH1"), ("north", "L40", 4000, "WH2")):
        product = {
            "storeId": store,
            "name": sku,
            "skus": [
                {
                    "skuId": sku,
                    "name": sku,
                    "price": {"amount": price, "currency": "CNY"},
                    "stock": 5,
                    "warehouseId": warehouse,
                    "weightGrams": 100,
                }
            ],
        }
        assert shop.catalog("POST", "/products", **ADMIN, body=product)[0] == 201
    status, _, order = shop.orders(
        "POST",
        "/orders",
        **CUSTOMER,
        headers={"Idempotency-Key": "o106"},
        body={
            "lines": [{"skuId": "T48", "quantity": 1}, {"skuId": "L40", "quantity": 1}],
            "shippingAddress": ADDRESS,
        },
    )
    assert status == 201 and order["breakdown"]["total"]["amount"] == 10600, order
    _, payment = pay(shop.pay, order, "alipay")
    assert shop.payments.service.apply_notice(notice(payment)) == "pay_order"
    demo_child = next(c for c in order["children"] if c["storeId"] == "demo")
    north_child = next(c for c in order["children"] if c["storeId"] == "north")
    assert demo_child["total"]["amount"] == 5800

    assert cancel(shop.orders, demo_child["childOrderId"], CUSTOMER)[0] == 200
    money = payments(shop.pay, order["orderId"])
    assert (money["owed"]["amount"], money["received"]["amount"], money["refunded"]["amount"]) == (4800, 10600, 5800)
    assert (money["outstanding"]["amount"], money["status"]) == (0, "PARTIALLY_REFUNDED")

    assert cancel(shop.orders, north_child["childOrderId"], CUSTOMER)[0] == 200
    money = payments(shop.pay, order["orderId"])
    assert (money["owed"]["amount"], money["refunded"]["amount"], money["outstanding"]["amount"]) == (0, 10600, 0)
    assert money["status"] == "REFUNDED"
    assert order_of(shop.orders, order["orderId"])["status"] == "CLOSED"
    assert sorted(r[1] for r in shop.providers[ALIPAY].refunds) == [4800, 5800]
    assert_ledger_balances()


def test_a_cancelled_unpaid_order_owes_nothing(shop: Shop) -> None:
    order = place(shop.orders)
    assert payments(shop.pay, order["orderId"])["outstanding"]["amount"] == 10800
    assert cancel(shop.orders, order["orderId"], CUSTOMER)[0] == 200
    money = payments(shop.pay, order["orderId"])
    assert (money["owed"]["amount"], money["outstanding"]["amount"], money["status"]) == (0, 0, "UNPAID")
    assert_ledger_balances()
