"""Money after a cancel, under moto (issue 9 items 2-4): a payment that arrives after a person cancelled
is refunded and never revives the order; the payment timeout revives only where every store allows it
(`latePaymentPolicy`) and only when the order then holds what it is owed; open attempts are closed at the
provider; a held order's money goes back when staff cancel it, and staff decide a mismatched payment
(accept: write off or charge the rest, refund the excess; refund); what an order still asks for comes
from the ledger (cancelled value is no longer owed). A bank transfer found after a cancel is approved and
refunded. Refunds a provider cannot take yet are retried from the stream and by the sweeper; refunds it
refuses for good are FAILED and moved on by staff (to the balance, paid out by hand, or asked again).

The first tests use the recording fakes of tests/helpers/payments.py (every function uses them); the later ones
(the review of issue 9 and what followed from it) drive the real adapters against the provider sandbox
through the `world` of tests/helpers/world.py."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest
from oms.adapters.providers.base import CloseOutcome, NoticeStatus, ProviderQuery
from oms.domain.clock import parse_rfc3339
from oms.domain.money import Money
from oms.domain.payment import PaymentMethod
from oms.domain.payment import PaymentMethod as _Method
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
from tests.helpers.table import stock_of, table_snapshot
from tests.helpers.world import FINANCE, Call, World

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


# ---------------------------------------------------------------- item 2: revive only when it brings the order its due
def test_a_late_payment_of_a_charged_rest_is_refunded_while_the_first_payments_refund_is_on_its_way(
    shop: Shop,
) -> None:
    """As the review's charged-rest case, with the cancel's refund of the first payment still PENDING (its
    provider is down): that money is going back, so the rest alone cannot revive the order."""
    late_payment_policy(shop.catalog, "revive-if-stock")
    order, _ = held(shop, 10000)
    [case] = anomalies()
    body = {"decision": "accept", "remainder": "charge", "note": "charge the rest"}
    assert resolve(shop.pay, case["anomalyId"], body)[0] == 200
    deadline = order_of(shop.orders, order["orderId"])["paymentDeadline"]
    _, rest = pay(shop.pay, order, "card", key="rest")
    assert rest["amount"]["amount"] == 800
    shop.providers[ALIPAY].fail_refunds = True
    _cancel_by_timeout({"orderId": order["orderId"], "paymentDeadline": deadline})
    assert [(r["status"], r["amount"]["amount"]) for r in payments(shop.pay, order["orderId"])["refunds"]] == [
        ("PENDING", 10000)
    ]

    assert shop.payments.service.apply_notice(notice(rest, event="c-1", method=PaymentMethod.CARD)) == "refund"
    view = order_of(shop.orders, order["orderId"])
    assert view["status"] == "CANCELLED"
    assert shop.providers[PaymentMethod.CARD].refunds == [(f"RF{rest['paymentId']}", 800)]
    assert stock_of("TEE-M") == UNTOUCHED_TEE
    assert_ledger_balances()


def test_a_late_payment_of_the_whole_total_still_revives_an_order_whose_earlier_money_went_back(shop: Shop) -> None:
    """The rule is "the order then holds exactly what it is owed", not "never after a refund": the shopper's
    first attempt was for the whole 108.00; its late notice revives the timed-out order, whose other
    (short) payment had been refunded by the timeout's cancel."""
    late_payment_policy(shop.catalog, "revive-if-stock")
    order = place(shop.orders)
    _, whole = pay(shop.pay, order, "wechat", key="whole")
    _, short = pay(shop.pay, order, "alipay", key="short")
    assert shop.payments.service.apply_notice(notice(short, amount=10000)) == "hold"
    [case] = anomalies()
    body = {"decision": "accept", "remainder": "charge", "note": "charge the rest"}
    assert resolve(shop.pay, case["anomalyId"], body)[0] == 200
    deadline = order_of(shop.orders, order["orderId"])["paymentDeadline"]
    _cancel_by_timeout({"orderId": order["orderId"], "paymentDeadline": deadline})
    assert payments(shop.pay, order["orderId"])["refunded"]["amount"] == 10000

    late = notice(whole, event="w-1", method=PaymentMethod.WECHAT)
    assert shop.payments.service.apply_notice(late) == "revive_or_refund"
    view = order_of(shop.orders, order["orderId"])
    assert view["status"] == "PAID"
    money = view["payment"]
    assert (money["received"]["amount"] - money["refunded"]["amount"], money["outstanding"]["amount"]) == (10800, 0)
    assert_ledger_balances()


def test_a_refund_the_provider_accepted_is_processing_and_asked_again_until_it_is_paid(shop: Shop) -> None:
    """WeChat answers most refunds PROCESSING (card: pending): the provider has the money, it pays it out
    later. The refund is PROCESSING, keeps its next try (backoff), does not fail the stream's record and
    is booked when the provider says it is done."""
    order, payment = held(shop, 10000)
    shop.providers[ALIPAY].refund_status = NoticeStatus.PENDING
    assert cancel(shop.orders, order["orderId"], SUPPORT)[0] == 200
    [refund] = payments(shop.pay, order["orderId"])["refunds"]
    assert (refund["status"], refund["failures"], refund["nextTryAt"] is not None) == ("PROCESSING", 0, True)
    assert anomalies()[0]["status"] == "OPEN"
    service = shop.payments.service
    service.follow_up_refunds(order["orderId"])  # the stream's try: still processing, and that is no failure
    [refund] = payments(shop.pay, order["orderId"])["refunds"]
    assert refund["status"] == "PROCESSING"

    shop.providers[ALIPAY].refund_status = NoticeStatus.SUCCEEDED
    saved = service.clock
    service.clock = lambda: parse_rfc3339(refund["nextTryAt"])
    try:
        answer = service.retry_refund(order["orderId"], refund["refundId"]).to_json()
    finally:
        service.clock = saved
    assert (answer["result"], answer["status"]) == ("refunded", "SUCCEEDED")
    # Asked under the same id each time (the provider's idempotency key): one refund at the provider.
    assert {r for r, _ in shop.providers[ALIPAY].refunds} == {f"RF{payment['paymentId']}"}
    money = payments(shop.pay, order["orderId"])
    assert (money["status"], money["refunds"][0]["nextTryAt"]) == ("REFUNDED", None)
    assert anomalies()[0]["status"] == "RESOLVED"
    assert_ledger_balances()


# ---------------------------------------------------------------- the review of issue 9 (tests/review), and after it
REVIEW = "POST /orders/{orderId}/payments/{paymentId}/review"
PAYMENTS = "GET /orders/{orderId}/payments"
RESOLVE_REFUND = "POST /orders/{orderId}/refunds/{refundId}/resolve"


def _payments(w: World, order_id: str) -> dict[str, Any]:
    return dict(w.ok(PAYMENTS, Call(f"/orders/{order_id}/payments", ADMIN)))


def test_item2_a_bank_transfer_that_arrives_after_the_shoppers_cancel_can_be_approved_and_is_refunded(
    world: World,
) -> None:
    """The shopper chose bank transfer (the attempt is PENDING, awaiting finance's review) and then cancelled.
    The transfer arrives anyway; finance finds it on the statement and approves it. The money is ours now:
    like any late payment it must be recorded and refunded (the order stays CANCELLED, a PAID_AFTER_CANCEL
    case OPEN until the refund succeeds). Today the approval is 409 `order-not-payable` ("this transfer is
    EXPIRED"): the cancel expired the attempt, so the received money has no way into the books and no
    way back to the shopper."""
    w = world
    order = w.pending_order()
    attempt = w.attempt(order, "bank_transfer")
    order_id, payment_id = order["orderId"], attempt["paymentId"]
    w.ok(CANCEL, Call(f"/orders/{order_id}/cancel", CUSTOMER, {"reason": "changed my mind"}))
    answer = w.call(REVIEW, Call(f"/orders/{order_id}/payments/{payment_id}/review", FINANCE, {"decision": "approve"}))
    assert answer.status == 200, answer.body
    assert answer.body["order"]["status"] == "CANCELLED"
    money = _payments(w, order_id)
    assert money["received"]["amount"] == attempt["amount"]["amount"]
    assert [r["amount"]["amount"] for r in money["refunds"]] == [attempt["amount"]["amount"]]


def _expire(w: World, order_id: str, deadline: str) -> dict[str, Any]:
    """The payment timeout's task, run just after `deadline`."""
    from datetime import timedelta

    service = w.functions["payment_timeout"].service
    moment = parse_rfc3339(deadline) + timedelta(seconds=1)
    saved = service.clock
    service.clock = lambda: moment
    try:
        return service.expire(order_id).to_json()
    finally:
        service.clock = saved


def test_a_bank_transfer_found_after_the_payment_timeout_is_approved_once_and_paid_back_by_hand(world: World) -> None:
    w = world
    order = w.pending_order()
    attempt = w.attempt(order, "bank_transfer")
    order_id, payment_id = order["orderId"], attempt["paymentId"]
    assert _expire(w, order_id, attempt["paymentDeadline"])["result"] == "cancelled"
    approve = Call(f"/orders/{order_id}/payments/{payment_id}/review", FINANCE, {"decision": "approve"})
    approved = w.ok(REVIEW, approve)
    assert (approved["status"], approved["order"]["status"]) == ("SUCCEEDED", "CANCELLED")
    money = _payments(w, order_id)
    [refund] = money["refunds"]
    amount = attempt["amount"]["amount"]
    # No API gives a bank transfer back: the adapter records it for a payout by finance.
    assert (refund["status"], refund["amount"]["amount"], refund["providerReference"]) == (
        "SUCCEEDED",
        amount,
        f"manual-payout:{refund['refundId']}",
    )
    assert (money["received"]["amount"], money["refunded"]["amount"], money["status"]) == (amount, amount, "REFUNDED")
    [case] = [c for c in anomalies() if c["orderId"] == order_id]
    assert (case["anomalyType"], case["status"]) == ("PAID_AFTER_CANCEL", "RESOLVED")

    settled = w.snapshot()
    assert w.ok(REVIEW, approve) == approved  # the same approval again (a lost answer) answers the same
    assert w.snapshot() == settled
    other = w.call(REVIEW, Call(approve.path, {"sub": "fin-2", "roles": ("finance",)}, {"decision": "approve"}))
    assert (other.status, other.body["type"]) == (409, "urn:oms:problem:order-not-payable")
    reject = w.call(REVIEW, Call(approve.path, FINANCE, {"decision": "reject", "reason": "not ours"}))
    assert reject.status == 409
    assert w.snapshot() == settled
    assert_ledger_balances()


def test_a_rejected_bank_transfer_that_arrives_after_all_can_still_be_approved(world: World) -> None:
    w = world
    order = w.pending_order()
    attempt = w.attempt(order, "bank_transfer")
    path = f"/orders/{order['orderId']}/payments/{attempt['paymentId']}/review"
    assert w.ok(REVIEW, Call(path, FINANCE, {"decision": "reject", "reason": "not on the statement"}))["status"] == (
        "FAILED"
    )
    approved = w.ok(REVIEW, Call(path, FINANCE, {"decision": "approve"}))
    assert (approved["status"], approved["order"]["status"]) == ("SUCCEEDED", "PAID")
    assert _payments(w, order["orderId"])["refunds"] == []


def test_a_rejected_bank_transfer_gives_the_order_its_payment_deadline_back(world: World) -> None:
    """The transfer moved the deadline out by the review period; once rejected, the order need not wait
    for it: max(its deadline before, now + the payment timeout), and the sweeper's entry moves with it."""
    from tests.handlers.conftest import due_entry_of

    w = world
    order = w.pending_order()
    order_id = order["orderId"]
    attempt = w.attempt(order, "bank_transfer")
    assert attempt["paymentDeadline"] > order["paymentDeadline"]
    path = f"/orders/{order_id}/payments/{attempt['paymentId']}/review"
    rejected = w.ok(REVIEW, Call(path, FINANCE, {"decision": "reject", "reason": "not on the statement"}))
    deadline = rejected["order"]["paymentDeadline"]
    assert (
        parse_rfc3339(order["paymentDeadline"]) <= parse_rfc3339(deadline) < parse_rfc3339(attempt["paymentDeadline"])
    )
    entry = due_entry_of(order_id)
    assert entry is not None and entry[1].startswith(deadline.removesuffix("Z"))
    assert any("rejected" in (h["reason"] or "") for h in rejected["order"]["history"])
    # A rejection while another transfer is still under review leaves the deadline alone.
    second = w.attempt({"orderId": order_id}, "bank_transfer")
    third = w.attempt({"orderId": order_id}, "bank_transfer")
    path = f"/orders/{order_id}/payments/{second['paymentId']}/review"
    again = w.ok(REVIEW, Call(path, FINANCE, {"decision": "reject", "reason": "a duplicate"}))
    assert again["order"]["paymentDeadline"] == third["paymentDeadline"]


# ---------------------------------------------------------------- item 7 / DESIGN §6: follow-ups are retried
def _held_order_cancelled_with_its_refund_pending(w: World) -> tuple[str, list[dict[str, Any]]]:
    """A held order (0.01 received through WeChat Pay) cancelled by support while WeChat refuses refunds
    ("try later"): the refund is PENDING. Returns the order id and the OrderCancelled stream record."""
    stream = TableStream("AfterCommitFunction")
    anomaly_id = w.anomaly()
    case = w.ok("GET /anomalies", Call("/anomalies", SUPPORT))
    order_id = next(a["orderId"] for a in case["items"] if a["anomalyId"] == anomaly_id)
    w.sandbox.refunds_unavailable = True
    try:
        w.ok(CANCEL, Call(f"/orders/{order_id}/cancel", SUPPORT, {"reason": "customer asked"}))
    finally:
        w.sandbox.refunds_unavailable = False
    assert [r["status"] for r in _payments(w, order_id)["refunds"]] == ["PENDING"]
    cancelled = [
        r
        for r in stream.new_records()
        if r["dynamodb"]["NewImage"]["detailType"]["S"] == "OrderCancelled"
        and json.loads(r["dynamodb"]["NewImage"]["detail"]["S"])["orderId"] == order_id
    ]
    assert len(cancelled) == 1
    return order_id, cancelled


def test_item7_the_after_commit_consumer_reports_a_throttled_cancel_follow_up_as_failed_not_done(
    world: World, faults: Any, state_machines: dict[str, str]
) -> None:
    """OrderCancelled → `finish_cancel` → `PaymentService.after_cancel`, which catches every exception and
    logs it ("never raises"). Under a throttled table the record is therefore reported as done
    (`batchItemFailures: []`) and the stream never delivers it again: the cancel's PENDING refund is
    never settled by the consumer that exists to settle it. A transient fault in a stream consumer must
    make its record a batch item failure (retried by the event source mapping), as arming does."""
    w = world
    after_commit = load_function("after_commit")
    order_id, records = _held_order_cancelled_with_its_refund_pending(w)
    faults.inject("throttle", frozenset({"Query", "GetItem", "TransactWriteItems", "UpdateItem"}))
    try:
        result = after_commit.handler({"Records": records}, LambdaContext())
    finally:
        faults.clear()
    still = [r["status"] for r in _payments(w, order_id)["refunds"]]
    assert result == {"batchItemFailures": [{"itemIdentifier": records[0]["dynamodb"]["SequenceNumber"]}]}, (
        f"record reported done under throttling; the cancel's refund is still {still}"
    )


def test_item7_a_refund_the_provider_could_not_take_yet_is_retried_without_anyone_calling_sync(
    world: World, state_machines: dict[str, str]
) -> None:
    """The provider answers a cancel's refund with "try later" during the request and again when the
    after-commit consumer runs. The record is done (a provider that is down for a while must not send
    every cancel through the stream's retries into the dead-letter queue), and the refund is not
    forgotten: it waits in the deadline index, and the scheduled sweep settles it once the provider is
    back, with nobody calling sync."""
    from datetime import timedelta

    w = world
    after_commit = load_function("after_commit")
    order_id, records = _held_order_cancelled_with_its_refund_pending(w)
    w.sandbox.refunds_unavailable = True
    try:
        assert after_commit.handler({"Records": records}, LambdaContext()) == {"batchItemFailures": []}
    finally:
        w.sandbox.refunds_unavailable = False
    [refund] = _payments(w, order_id)["refunds"]
    assert refund["status"] == "PENDING" and refund["nextTryAt"] is not None
    report = _sweep(load_function("timer_sweeper"), parse_rfc3339(refund["nextTryAt"]) + timedelta(seconds=1))
    assert report["refund"]["results"] == {"refunded": 1}
    assert [r["status"] for r in _payments(w, order_id)["refunds"]] == ["SUCCEEDED"]


def test_a_cancel_whose_refund_cannot_be_booked_still_answers_200_and_the_stream_books_it(
    world: World, state_machines: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The request's own follow-up never fails the request that committed (the provider refunded, but the
    table would not take the booking): the committed OrderCancelled row gets it done."""
    from oms.faults import TransientStoreError

    w = world
    stream = TableStream("AfterCommitFunction")
    anomaly_id = w.anomaly()
    listed = w.ok("GET /anomalies", Call("/anomalies", SUPPORT))
    order_id = next(a["orderId"] for a in listed["items"] if a["anomalyId"] == anomaly_id)

    def throttled(*_: Any, **__: Any) -> None:
        raise TransientStoreError("throttled")

    monkeypatch.setattr(w.functions["orders"].service.cancel_money, "_book_refund", throttled)
    cancelled = w.ok(CANCEL, Call(f"/orders/{order_id}/cancel", SUPPORT, {"reason": "customer asked"}))
    assert cancelled["status"] == "CANCELLED"
    assert [r["status"] for r in _payments(w, order_id)["refunds"]] == ["PENDING"]
    records = [r for r in stream.new_records() if r["dynamodb"]["NewImage"]["detailType"]["S"] == "OrderCancelled"]
    assert load_function("after_commit").handler({"Records": records}, LambdaContext()) == {"batchItemFailures": []}
    [refund] = _payments(w, order_id)["refunds"]
    assert (refund["status"], refund["nextTryAt"]) == ("SUCCEEDED", None)


def _sweep(sweeper: ModuleType, moment: Any) -> dict[str, Any]:
    timers = sweeper.timers
    timers.orders.clock = timers.fulfilment.clock = timers.payments.clock = lambda: moment
    report: dict[str, Any] = sweeper.handler(
        {"source": "aws.events", "detail-type": "Scheduled Event"}, LambdaContext()
    )
    return report


def test_a_pending_refund_is_settled_by_the_sweep_once_its_provider_is_back_with_nobody_calling_sync(
    world: World, state_machines: dict[str, str]
) -> None:
    from datetime import timedelta

    w = world
    sweeper = load_function("timer_sweeper")
    order_id, _ = _held_order_cancelled_with_its_refund_pending(w)
    [refund] = _payments(w, order_id)["refunds"]
    assert (refund["failures"], refund["nextTryAt"] is not None) == (1, True)
    created, first_try = parse_rfc3339(refund["createdAt"]), parse_rfc3339(refund["nextTryAt"])
    assert timedelta(seconds=59) <= first_try - created <= timedelta(seconds=61)  # a minute after the first failure

    assert _sweep(sweeper, first_try - timedelta(seconds=1))["refund"]["examined"] == 0  # not due yet
    w.sandbox.refunds_unavailable = True
    try:
        report = _sweep(sweeper, first_try)["refund"]
    finally:
        w.sandbox.refunds_unavailable = False
    assert (report["examined"], report["results"]) == (1, {"pending": 1})
    [refund] = _payments(w, order_id)["refunds"]
    # Backoff: it waits again as long as it has waited so far (1, 2, 4 … minutes, at most 6 hours).
    assert (refund["status"], refund["failures"]) == ("PENDING", 2)
    assert parse_rfc3339(refund["nextTryAt"]) - first_try == first_try - created
    assert _sweep(sweeper, first_try)["refund"]["examined"] == 0

    later = parse_rfc3339(refund["nextTryAt"])
    report = _sweep(sweeper, later)["refund"]
    assert (report["results"], report["acted"]) == ({"refunded": 1}, [f"{order_id}/{refund['refundId']}"])
    [refund] = _payments(w, order_id)["refunds"]
    assert (refund["status"], refund["nextTryAt"]) == ("SUCCEEDED", None)
    [case] = [c for c in anomalies() if c["orderId"] == order_id]
    assert case["status"] == "RESOLVED"
    assert _sweep(sweeper, later + timedelta(days=1))["refund"]["examined"] == 0


def test_the_sweep_takes_at_most_its_refund_limit_and_gives_up_after_three_days(
    world: World, state_machines: dict[str, str]
) -> None:
    from datetime import timedelta

    w = world
    sweeper = load_function("timer_sweeper")
    first, _ = _held_order_cancelled_with_its_refund_pending(w)
    second, _ = _held_order_cancelled_with_its_refund_pending(w)
    sweeper.timers.refund_limit = 1
    moment = parse_rfc3339(_payments(w, second)["refunds"][0]["nextTryAt"])
    w.sandbox.refunds_unavailable = True
    try:
        one = _sweep(sweeper, moment)["refund"]
        two = _sweep(sweeper, moment)["refund"]
        assert (one["examined"], one["more"], two["examined"], two["more"]) == (1, True, 1, True)
        assert _sweep(sweeper, moment)["refund"]["examined"] == 0  # both moved on to their next tries
        # Three days of "not now": given up, FAILED, for staff to decide; out of the index.
        end = moment + timedelta(days=3, minutes=1)
        sweeper.timers.refund_limit = 25
        report = _sweep(sweeper, end)["refund"]
    finally:
        w.sandbox.refunds_unavailable = False
    assert report["results"] == {"refused": 2}
    for order_id in (first, second):
        [refund] = _payments(w, order_id)["refunds"]
        assert (refund["status"], refund["failure"]["by"], refund["nextTryAt"]) == ("FAILED", "gave-up", None)
        assert "gave up" in refund["lastError"]
        [case] = [c for c in anomalies() if c["orderId"] == order_id]
        assert case["status"] == "OPEN"
    assert _sweep(sweeper, end + timedelta(days=1))["refund"]["examined"] == 0


# ---------------------------------------------------------------- item 3 / DESIGN §5: refunds refused for good
def test_item3_a_refund_the_provider_declines_for_good_can_be_moved_on_by_staff(world: World) -> None:
    """WeChat Pay answers a refund with status ABNORMAL (the payer's account is closed or frozen): a final
    answer, the money cannot go back that way. DESIGN §5: Refund PENDING → … → FAILED (retry, or re-route
    to balance). Today `settle_refund` treats it like "try later": the refund stays PENDING for ever (each
    sync asks again, gets ABNORMAL again), the case stays OPEN, the order shows OVERPAID, and no route lets
    staff re-route the refund to the shopper's balance or record a manual payout."""
    w = world
    anomaly_id = w.anomaly()
    cases = w.ok("GET /anomalies", Call("/anomalies", SUPPORT))["items"]
    order_id = next(a["orderId"] for a in cases if a["anomalyId"] == anomaly_id)
    original = w.sandbox._wechat_refund

    def abnormal(payload: dict[str, Any]) -> Any:
        status, _, body = original(payload)
        answer = json.loads(body)
        answer["status"] = "ABNORMAL"
        return w.sandbox._wechat_signed(status, answer)

    w.sandbox._wechat_refund = abnormal  # type: ignore[method-assign]
    try:
        w.ok(CANCEL, Call(f"/orders/{order_id}/cancel", SUPPORT, {"reason": "customer asked"}))
    finally:
        w.sandbox._wechat_refund = original  # type: ignore[method-assign]
    [refund] = _payments(w, order_id)["refunds"]
    from tests.helpers.world import TEMPLATE

    refund_routes = [r.route_key for r in TEMPLATE.routes if "refund" in r.path.lower()]
    assert refund["status"] != "PENDING" and refund_routes, (
        f"a refund WeChat declined for good is {refund['status']} (failures {refund.get('failures')}), "
        f"retried only by sync; staff routes to re-route or settle it by hand: {refund_routes}"
    )


@pytest.mark.parametrize("provider", ["wechat", "alipay", "card"])
def test_a_refund_each_provider_refuses_for_good_is_failed_visible_and_left_to_staff(
    world: World, provider: str
) -> None:
    w = world
    order_id, refund_id = w.refused_refund(provider)
    money = _payments(w, order_id)
    [refund] = money["refunds"]
    assert (refund["refundId"], refund["status"], refund["nextTryAt"], refund["failure"]["by"]) == (
        refund_id,
        "FAILED",
        None,
        "provider",
    )
    assert refund["failure"]["reason"].startswith(f"{provider}: ")
    assert money["status"] == "OVERPAID"  # the money is still with us, owed back
    [case] = [c for c in anomalies() if c["orderId"] == order_id]
    assert case["status"] == "OPEN" and "refused" in case["notes"][-1]["note"]
    refused = [e for e in outbox("RefundFailed") if e["refundId"] == refund_id and e["status"] == "FAILED"]
    assert len(refused) == 1 and refused[0]["retried"] is False
    history = w.ok("GET /orders/{orderId}", Call(f"/orders/{order_id}", ADMIN))["history"]
    assert any(f"refund {refund_id}" in (h["reason"] or "") and "refused" in h["reason"] for h in history)
    # sync does not ask a refused refund again: it waits for staff
    calls = len(w.sandbox.calls)
    attempt = money["attempts"][0]["paymentId"]
    w.ok(
        "POST /orders/{orderId}/payments/{paymentId}/sync",
        Call(f"/orders/{order_id}/payments/{attempt}/sync", SUPPORT),
    )
    assert not any("refund" in c.url for c in w.sandbox.calls[calls:])


def _balance(w: World, customer: str = "cust-1") -> int:
    body = w.ok("GET /customers/{customerId}/balance", Call(f"/customers/{customer}/balance", FINANCE))
    return int(body["balance"]["amount"])


def test_staff_credit_a_refused_refund_to_the_shoppers_balance_once(world: World) -> None:
    w = world
    order_id, refund_id = w.refused_refund()
    path = f"/orders/{order_id}/refunds/{refund_id}/resolve"
    before = _balance(w)
    body = {"decision": "to-balance", "note": "the payer's WeChat account is closed"}
    answer = w.ok(RESOLVE_REFUND, Call(path, FINANCE, body))
    assert (answer["refundId"], answer["status"], answer["route"]) == (refund_id, "SUCCEEDED", "balance")
    assert (answer["resolution"]["decision"], answer["resolution"]["by"]) == ("to-balance", "fin-1")
    assert (answer["order"]["status"], answer["order"]["payment"]["status"]) == ("CANCELLED", "REFUNDED")
    assert _balance(w) == before + 1
    [case] = [c for c in anomalies() if c["orderId"] == order_id]
    assert (case["status"], case["refund"]) == (
        "RESOLVED",
        {"refundId": refund_id, "status": "SUCCEEDED", "route": "balance"},
    )
    [told] = [e for e in outbox("RefundSucceeded") if e["refundId"] == refund_id]
    assert (told["route"], told["customerId"], int(told["amount"]["amount"])) == ("balance", "cust-1", 1)
    lines = sorted(
        (line["account"], int(line["amount"]["amount"]))
        for line in ledger_items()
        if line["orderId"] == order_id and line["kind"] == "refund"
    )
    assert lines == [("balance:cust-1", -1), (f"order:{order_id}", 1)]
    history = w.ok("GET /orders/{orderId}", Call(f"/orders/{order_id}", ADMIN))["history"]
    assert "credited to the balance" in history[-1]["reason"] and history[-1]["by"] == "fin-1"
    assert_ledger_balances()

    settled = w.snapshot()
    assert w.ok(RESOLVE_REFUND, Call(path, FINANCE, body)) == answer  # the same decision again
    assert w.snapshot() == settled
    for other in ({"decision": "retry", "note": "try again"}, {**body, "note": "another note"}):
        problem = w.call(RESOLVE_REFUND, Call(path, FINANCE, other))
        assert (problem.status, problem.body["type"]) == (409, "urn:oms:problem:refund-not-failed")
    assert w.snapshot() == settled


def test_staff_record_a_refused_refund_paid_out_by_hand_with_its_reference(world: World) -> None:
    w = world
    order_id, refund_id = w.refused_refund("alipay")
    path = f"/orders/{order_id}/refunds/{refund_id}/resolve"
    body = {"decision": "paid-out", "reference": "ICBC-2026-12-01-0042", "note": "wired to the payer's bank account"}
    answer = w.ok(RESOLVE_REFUND, Call(path, ADMIN, body))
    assert (answer["status"], answer["route"], answer["providerReference"]) == (
        "SUCCEEDED",
        "manual",
        "ICBC-2026-12-01-0042",
    )
    lines = sorted(
        (line["account"], int(line["amount"]["amount"]))
        for line in ledger_items()
        if line["orderId"] == order_id and line["kind"] == "refund"
    )
    assert lines == [("manual-payouts", -1), (f"order:{order_id}", 1)]
    assert answer["order"]["payment"]["status"] == "REFUNDED"
    [case] = [c for c in anomalies() if c["orderId"] == order_id]
    assert case["status"] == "RESOLVED"
    assert_ledger_balances()


def test_staff_ask_the_provider_again_with_a_new_request(world: World) -> None:
    w = world
    order_id, refund_id = w.refused_refund()
    path = f"/orders/{order_id}/refunds/{refund_id}/resolve"
    payment_id = _payments(w, order_id)["attempts"][0]["paymentId"]
    w.sandbox.refunds_declined = True  # still refused: FAILED again, a decision is needed again
    try:
        answer = w.ok(RESOLVE_REFUND, Call(path, FINANCE, {"decision": "retry", "note": "asked the shopper"}))
    finally:
        w.sandbox.refunds_declined = False
    assert answer["status"] == "FAILED" and answer["resolution"]["decision"] == "retry"
    answer = w.ok(RESOLVE_REFUND, Call(path, FINANCE, {"decision": "retry", "note": "the account is open again"}))
    assert (answer["status"], answer["route"], answer["nextTryAt"]) == ("SUCCEEDED", "provider", None)
    # Each retry is a new request at the provider (a refused refund id is refused again): -R1, -R2.
    paid = w.sandbox._payments[(_Method.WECHAT, payment_id)]
    assert sorted(paid.refunds) == [f"{refund_id}-R2"]
    [case] = [c for c in anomalies() if c["orderId"] == order_id]
    assert case["status"] == "RESOLVED"
    assert answer["order"]["payment"]["status"] == "REFUNDED"
    assert_ledger_balances()


REFUSED_REFUND_DECISIONS: list[tuple[dict[str, Any], dict[str, Any], int, str]] = [
    (FINANCE, {"note": "no decision"}, 422, "decision"),
    (FINANCE, {"decision": "forgive", "note": "unknown"}, 422, "decision"),
    (FINANCE, {"decision": "to-balance"}, 422, "note"),
    (FINANCE, {"decision": "paid-out", "note": "no reference"}, 422, "reference"),
    (FINANCE, {"decision": "to-balance", "reference": "X-1", "note": "a reference"}, 422, "reference"),
    (FINANCE, {"decision": "to-balance", "note": "x y z", "amount": 1}, 422, "amount"),
    (SUPPORT, {"decision": "to-balance", "note": "support cannot"}, 403, "forbidden"),
    (CUSTOMER, {"decision": "to-balance", "note": "nor the shopper"}, 403, "forbidden"),
]


def test_refund_decisions_are_validated_and_refused_ones_write_nothing(world: World) -> None:
    w = world
    order_id, refund_id = w.refused_refund()
    before = w.snapshot()
    for who, body, status, where in REFUSED_REFUND_DECISIONS:
        answer = w.call(RESOLVE_REFUND, Call(f"/orders/{order_id}/refunds/{refund_id}/resolve", who, body))
        assert answer.status == status, (body, answer.body)
        if status == 422:
            fields = {e["field"] for e in answer.body.get("errors", [])} | {answer.body.get("field")}
            assert any(str(f).startswith(where) for f in fields if f), (body, answer.body)
        else:
            assert answer.body["type"] == f"urn:oms:problem:{where}"
        assert w.snapshot() == before, body
    missing = w.call(
        RESOLVE_REFUND,
        Call(f"/orders/{order_id}/refunds/RF{order_id}99/resolve", FINANCE, {"decision": "retry", "note": "x y z"}),
    )
    assert (missing.status, missing.body["type"]) == (404, "urn:oms:problem:not-found")
    # A refund its provider may still pay is not staff's to move.
    pending_order, _ = _held_order_cancelled_with_its_refund_pending(w)
    [pending] = _payments(w, pending_order)["refunds"]
    path = f"/orders/{pending_order}/refunds/{pending['refundId']}/resolve"
    answer = w.call(RESOLVE_REFUND, Call(path, FINANCE, {"decision": "to-balance", "note": "too early"}))
    assert (answer.status, answer.body["type"], answer.body["refundStatus"]) == (
        409,
        "urn:oms:problem:refund-not-failed",
        "PENDING",
    )
