"""Notifications (issue 12 item 2): the consumer behind the bus rules, under moto, with a recording notifier
(and once with moto's own SES and SNS): a duplicate delivery sends once, a failed send is retried on the
next delivery without repeating the others, the recipient's language, opt-outs, stores' rules, the inbox
and its owner, the payment reminder while unpaid, and the staff alerts."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import boto3
import pytest
from oms.adapters.notifier import AwsNotifier
from oms.domain import events
from oms.domain.order import OrderStatus
from oms.services.notifications import NotificationNotSent

from tests.handlers.conftest import (
    ADDRESS,
    ADMIN,
    CUSTOMER,
    OTHER_CUSTOMER,
    SUPPORT,
    Api,
    LambdaContext,
    adapters,
    load_function,
    outbox_rows,
)
from tests.helpers.bus import bus_event
from tests.helpers.cases import Flow, move, open_case, order_with, task
from tests.helpers.cases import deliver as deliver_parcel
from tests.helpers.table import table_snapshot
from tests.helpers.world import World

SUMMARY = {
    "orderId": "01ORDER",
    "orderNumber": "N20261201001",
    "customerId": "cust-1",
    "status": "PAID",
    "currency": "CNY",
    "total": {"amount": 13500, "currency": "CNY"},
    "reportingTotal": None,
    "storeIds": ["demo"],
    "paymentDeadline": "2026-12-01T08:30:00.000Z",
    "createdAt": "2026-12-01T08:00:00.000Z",
    "updatedAt": "2026-12-01T08:00:00.000Z",
}
SHIPPED = events.order_shipped(
    SUMMARY,
    OrderStatus.SHIPPED,
    child_order_id="01ORDER-01",
    shipment_id="S1",
    carrier="sf",
    tracking_number="SF100",
    lines={1: 1},
)
STAFF = {"sub": "support-1", "roles": ("support",)}


@dataclass
class FakeNotifier:
    """Records what it sends; `failing` channels raise (as SES or SNS refusing)."""

    sent: list[tuple[str, str, str, str]] = field(default_factory=list)  # channel, to, subject, body
    failing: set[str] = field(default_factory=set)

    def send_email(self, to: str, subject: str, html: str) -> str:
        if "email" in self.failing:
            raise ConnectionError("SES is out of reach")
        self.sent.append(("email", to, subject, html))
        return f"m{len(self.sent)}"

    def send_sms(self, phone: str, text: str) -> str:
        if "sms" in self.failing:
            raise ConnectionError("SNS is out of reach")
        self.sent.append(("sms", phone, "", text))
        return f"m{len(self.sent)}"


@pytest.fixture
def notifier() -> Iterator[FakeNotifier]:
    fake = FakeNotifier()
    with adapters(notifier=fake):
        yield fake


@pytest.fixture
def consumer(aws: None, notifier: FakeNotifier) -> ModuleType:
    return load_function("notifications")


@pytest.fixture
def api(aws: None) -> Api:
    return Api(load_function("notification_api"))


def deliver(consumer: ModuleType, event: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = consumer.handler(event, LambdaContext())
    return result


def prefer(api: Api, who: dict[str, Any], **body: Any) -> dict[str, Any]:
    status, _, answer = api("PUT", "/me/notification-preferences", body=body, **who)
    assert status == 200, answer
    return answer


def inbox(api: Api, who: dict[str, Any], **query: str) -> dict[str, Any]:
    status, _, page = api("GET", "/me/notifications", query=query or None, **who)
    assert status == 200, page
    return page


def reachable(api: Api, who: dict[str, Any], locale: str = "en", phone: str = "+8613800000001") -> None:
    prefer(api, who, email=f"{who['sub']}@example.com", phone=phone, locale=locale)


# ---------------------------------------------------------------- once, and retried
def test_a_duplicate_delivery_sends_once(api: Api, consumer: ModuleType, notifier: FakeNotifier) -> None:
    reachable(api, CUSTOMER)
    event = bus_event(SHIPPED, event_id="ev-1")
    first = deliver(consumer, event)
    assert first["applied"] is True and first["sent"] == 2
    assert sorted(c for c, *_ in notifier.sent) == ["email", "sms"]
    before = table_snapshot()
    again = deliver(consumer, bus_event(SHIPPED, event_id="ev-1"))  # EventBridge's id differs: ours does not
    assert again["applied"] is False and again["sent"] == 0
    assert len(notifier.sent) == 2
    assert table_snapshot() == before
    page = inbox(api, CUSTOMER)
    assert [n["title"] for n in page["items"]] == ["Order N20261201001 shipped"]
    assert page["unreadCount"] == 1


def test_a_failing_send_is_retried_on_redelivery_without_repeating_the_others(
    api: Api, consumer: ModuleType, notifier: FakeNotifier
) -> None:
    reachable(api, CUSTOMER)
    notifier.failing = {"sms"}
    with pytest.raises(NotificationNotSent):
        deliver(consumer, bus_event(SHIPPED, event_id="ev-2"))
    assert [c for c, *_ in notifier.sent] == ["email"]
    notifier.failing = set()
    result = deliver(consumer, bus_event(SHIPPED, event_id="ev-2"))  # Lambda's retry of the invoke
    assert (result["applied"], result["sent"]) == (False, 1)
    assert [c for c, *_ in notifier.sent] == ["email", "sms"]
    deliver(consumer, bus_event(SHIPPED, event_id="ev-2"))  # a redrive after all: nothing more
    assert len(notifier.sent) == 2
    assert inbox(api, CUSTOMER)["unreadCount"] == 1


# ---------------------------------------------------------------- language, opt-out, store rules
def test_each_recipient_reads_their_own_language(api: Api, consumer: ModuleType, notifier: FakeNotifier) -> None:
    reachable(api, CUSTOMER, locale="zh-CN")
    reachable(api, OTHER_CUSTOMER, locale="en", phone="+14155550102")
    deliver(consumer, bus_event(SHIPPED))
    deliver(
        consumer,
        bus_event(
            events.order_shipped(
                {**SUMMARY, "customerId": "cust-2"},
                OrderStatus.SHIPPED,
                child_order_id="01ORDER-01",
                shipment_id="S1",
                carrier="sf",
                tracking_number="SF100",
                lines={1: 1},
            )
        ),
    )
    mail = {to: (subject, body) for channel, to, subject, body in notifier.sent if channel == "email"}
    assert mail["cust-1@example.com"][0] == "订单 N20261201001 已发货"
    assert 'lang="zh-CN"' in mail["cust-1@example.com"][1]
    assert mail["cust-2@example.com"][0] == "Order N20261201001 shipped"
    sms = {to: body for channel, to, _, body in notifier.sent if channel == "sms"}
    assert sms["+8613800000001"].startswith("【OMS】您的订单 N20261201001 已发货")
    assert sms["+14155550102"].startswith("[OMS] Your order N20261201001 is on its way with sf")


def test_money_and_dates_follow_the_locale_and_the_currency(
    api: Api, consumer: ModuleType, notifier: FakeNotifier
) -> None:
    reachable(api, CUSTOMER, locale="zh-CN")
    reminder = events.payment_reminder_due({**SUMMARY, "total": {"amount": 123456, "currency": "CNY"}})
    deliver(consumer, bus_event(reminder))
    sms = next(body for channel, _, _, body in notifier.sent if channel == "sms")
    assert "¥1,234.56" in sms and "2026年12月1日 16:30" in sms  # China time
    prefer(api, CUSTOMER, locale="en")
    deliver(consumer, bus_event(events.payment_reminder_due({**SUMMARY, "total": {"amount": 1500, "currency": "JPY"}})))
    sms = [body for channel, _, _, body in notifier.sent if channel == "sms"][-1]
    assert "(JPY 1,500)" in sms and "1 Dec 2026, 08:30 UTC" in sms  # no decimals for yen


def test_an_opted_out_channel_or_category_is_not_sent(api: Api, consumer: ModuleType, notifier: FakeNotifier) -> None:
    reachable(api, CUSTOMER)
    prefer(api, CUSTOMER, channels={"sms": False})
    deliver(consumer, bus_event(SHIPPED))
    assert [c for c, *_ in notifier.sent] == ["email"]
    assert inbox(api, CUSTOMER)["unreadCount"] == 1
    answer = prefer(api, CUSTOMER, categories={"shipping": False})
    assert answer["channels"]["sms"] is False and answer["categories"]["shipping"] is False  # both kept
    deliver(consumer, bus_event(SHIPPED))
    assert len(notifier.sent) == 1  # nothing more, not even the inbox
    assert inbox(api, CUSTOMER)["unreadCount"] == 1
    deliver(consumer, bus_event(events.order_paid(SUMMARY, payment_id="P1")))  # payments are still on
    assert [c for c, *_ in notifier.sent] == ["email", "email"]


def test_a_stores_rules_choose_the_channels_and_are_validated_and_audited(
    api: Api, consumer: ModuleType, notifier: FakeNotifier
) -> None:
    reachable(api, CUSTOMER)
    path, route = "/settings/notifications/demo", "PUT /settings/notifications/{storeId}"
    before = table_snapshot()
    for body in (
        {"events": {"OrderExploded": ["email"]}},
        {"events": {"OrderShipped": ["fax"]}},
        {"events": {"OrderPlaced": ["sms"]}},
    ):
        status, _, problem = api("PUT", path, route=route, body=body, **ADMIN)
        assert (status, problem["type"]) == (422, "urn:oms:problem:validation-failed"), problem
    status, _, _ = api("PUT", path, route=route, body={"events": {"OrderShipped": ["inbox"]}}, **SUPPORT)
    assert status == 403
    assert table_snapshot() == before
    status, headers, rules = api(
        "PUT", path, route=route, body={"events": {"OrderShipped": ["inbox"]}, "reason": "quiet"}, **ADMIN
    )
    assert (status, rules["events"], rules["version"], headers["ETag"]) == (200, {"OrderShipped": ["inbox"]}, 1, '"1"')
    deliver(consumer, bus_event(SHIPPED))
    assert notifier.sent == []  # inbox only
    assert inbox(api, CUSTOMER)["unreadCount"] == 1
    stale = api("PUT", path, route=route, body={}, headers={"If-Match": '"0"'}, **ADMIN)
    assert stale[0] == 412
    status, _, read = api("GET", path, route="GET /settings/notifications/{storeId}", **ADMIN)
    assert status == 200
    assert [(a["action"], a["by"], a["reason"]) for a in read["audit"]] == [
        ("notification-rules.update", "admin-1", "quiet")
    ]


# ---------------------------------------------------------------- the inbox and its owner
def test_the_inbox_is_newest_first_paged_and_only_its_owners(api: Api, consumer: ModuleType) -> None:
    for n in range(3):
        deliver(consumer, bus_event(events.order_paid({**SUMMARY, "orderNumber": f"N{n}"}, payment_id="P1")))
    page = inbox(api, CUSTOMER, limit="2")
    assert [n["title"] for n in page["items"]] == ["订单 N2 支付成功", "订单 N1 支付成功"]  # the store's zh-CN
    assert page["unreadCount"] == 3
    rest = inbox(api, CUSTOMER, limit="2", cursor=page["next_cursor"])
    assert [n["title"] for n in rest["items"]] == ["订单 N0 支付成功"]
    assert inbox(api, OTHER_CUSTOMER)["items"] == []
    mine = page["items"][0]["notificationId"]
    route = "POST /me/notifications/{notificationId}/read"
    before = table_snapshot()
    status, _, problem = api("POST", f"/me/notifications/{mine}/read", route=route, **OTHER_CUSTOMER)
    assert (status, problem["type"]) == (404, "urn:oms:problem:not-found")
    assert table_snapshot() == before
    status, _, read = api("POST", f"/me/notifications/{mine}/read", route=route, **CUSTOMER)
    assert (status, read["unreadCount"]) == (200, 2) and read["readAt"]
    assert api("POST", f"/me/notifications/{mine}/read", route=route, **CUSTOMER)[2] == read  # again: the same
    status, _, count = api("GET", "/me/notifications/unread-count", **CUSTOMER)
    assert (status, count) == (200, {"unreadCount": 2})
    status, _, count = api("POST", "/me/notifications/read-all", **CUSTOMER)
    assert (status, count) == (200, {"unreadCount": 0})
    assert all(n["readAt"] for n in inbox(api, CUSTOMER)["items"])


def test_staff_see_their_own_alerts(api: Api, consumer: ModuleType, notifier: FakeNotifier) -> None:
    status, _, _ = api(
        "PUT",
        "/settings/notifications/default",
        route="PUT /settings/notifications/{storeId}",
        body={"staff": ["support-1"], "locale": "en"},
        **ADMIN,
    )
    assert status == 200
    reachable(api, STAFF)
    anomaly = events.payment_anomaly(
        SUMMARY,
        anomaly_id="A1",
        anomaly_type="AMOUNT_MISMATCH",
        anomaly_status="OPEN",
        payment_id="P1",
        expected=events.Money(13500, "CNY"),
        received=events.Money(9000, "CNY"),
        refund=None,
        note="short",
    )
    deliver(consumer, bus_event(anomaly))
    staff = inbox(api, STAFF)["items"]
    assert [n["title"] for n in staff] == ["[Alert] Payment anomaly AMOUNT_MISMATCH: order N20261201001"]
    assert [n["title"] for n in inbox(api, CUSTOMER)["items"]] == ["Payment problem on order N20261201001"]
    assert [to for channel, to, *_ in notifier.sent] == ["support-1@example.com"]  # the shopper left no address
    refund = {
        "orderId": "01ORDER",
        "customerId": "cust-1",
        "refundId": "RF1",
        "paymentId": "P1",
        "method": "wechat",
        "amount": {"amount": 500, "currency": "CNY"},
        "reason": "case",
        "anomalyId": None,
    }
    deliver(consumer, bus_event(events.refund_failed(refund, status="PENDING", error="busy", retried=True)))
    assert len(inbox(api, STAFF)["items"]) == 1  # retried: no alert yet
    deliver(consumer, bus_event(events.refund_failed(refund, status="FAILED", error="closed", retried=False)))
    case = {
        "caseId": "AS1",
        "orderId": "01ORDER",
        "childOrderId": "01ORDER-01",
        "customerId": "cust-1",
        "storeId": "demo",
        "type": "refund_only",
        "reason": "damaged",
        "amount": {"amount": 500, "currency": "CNY"},
    }
    overdue = events.case_overdue(
        case, status="REQUESTED", step="decision", deadline="2026-12-01T08:00:00Z", action="escalate"
    )
    deliver(consumer, bus_event(overdue))
    assert [n["event"] for n in inbox(api, STAFF)["items"]] == ["CaseOverdue", "RefundFailed", "PaymentAnomaly"]
    assert inbox(api, CUSTOMER)["unreadCount"] == 1  # the shopper hears of none of these


def test_the_shopper_hears_of_case_moves_others_made(api: Api, consumer: ModuleType) -> None:
    case = {
        "caseId": "AS1",
        "orderId": "01ORDER",
        "customerId": "cust-1",
        "storeId": "demo",
        "type": "return_refund",
        "reason": "damaged",
        "amount": {"amount": 500, "currency": "CNY"},
    }
    own = events.case_updated(
        case, status="CANCELLED", step="done", action="cancel", from_status="REQUESTED", by="cust-1", role="customer"
    )
    approved = events.case_updated(
        case,
        status="APPROVED",
        step="return_shipment",
        action="approve",
        from_status="REQUESTED",
        by="support-1",
        role="support",
    )
    deliver(consumer, bus_event(own))
    deliver(consumer, bus_event(approved))
    assert [n["title"] for n in inbox(api, CUSTOMER)["items"]] == ["售后申请 AS1 有新进展"]


# ---------------------------------------------------------------- moto's SES and SNS
def test_the_aws_notifier_sends_through_ses_and_sns(aws: None) -> None:
    ses = boto3.client("ses", region_name="us-east-1")
    ses.verify_email_identity(EmailAddress="no-reply@example.com")
    sender = AwsNotifier("no-reply@example.com", ses, boto3.client("sns", region_name="us-east-1"))
    assert sender.send_email("cust-1@example.com", "订单已发货", "<p>hi</p>")
    assert sender.send_sms("+8613800000001", "【OMS】hi")
    assert ses.get_send_quota()["SentLast24Hours"] == 1


# ---------------------------------------------------------------- the payment reminder
def place(orders_api: Api, key: str) -> dict[str, Any]:
    status, _, order = orders_api(
        "POST",
        "/orders",
        **CUSTOMER,
        headers={"Idempotency-Key": key},
        body={"lines": [{"skuId": "MUG", "quantity": 1}], "shippingAddress": ADDRESS},
    )
    assert status == 201
    return order


def test_the_payment_reminder_is_emitted_once_and_only_while_unpaid(seeded: dict[str, Any], orders_api: Api) -> None:
    timeout = load_function("payment_timeout")
    order = place(orders_api, "r1")
    remind = {"orderId": order["orderId"], "action": "remind"}
    assert timeout.handler(remind, LambdaContext())["result"] == "reminded"
    reminders = [d for t, d in outbox_rows(order["orderId"]) if t == "PaymentReminderDue"]
    assert [(d["orderNumber"], d["paymentDeadline"]) for d in reminders] == [
        (order["orderNumber"], order["paymentDeadline"])
    ]
    before = table_snapshot()
    assert timeout.handler(remind, LambdaContext())["result"] == "skipped"  # a retried task: once per deadline
    assert table_snapshot() == before
    cancelled = place(orders_api, "r2")
    status, _, _ = orders_api(
        "POST",
        f"/orders/{cancelled['orderId']}/cancel",
        route="POST /orders/{orderId}/cancel",
        body={"reason": "changed my mind"},
        **CUSTOMER,
    )
    assert status == 200
    before = table_snapshot()
    answer = timeout.handler({"orderId": cancelled["orderId"], "action": "remind"}, LambdaContext())
    assert (answer["result"], answer["status"]) == ("skipped", "CANCELLED")
    assert table_snapshot() == before


# ---------------------------------------------------------------- overdue after-sales cases
def test_a_staff_step_past_its_deadline_emits_case_overdue_once_and_alerts_staff(
    world: World, flow: Flow, consumer: ModuleType, api: Api
) -> None:
    order = order_with(world, 2)
    child = deliver_parcel(world, order)
    case_id = open_case(world, order, child, "refund_only", [(1, 2)]).body["caseId"]
    assert task(world, "deadline", case_id, step="decision") == {"next": "arbitration"}  # nobody decided
    assert task(world, "deadline", case_id, step="decision") == {"next": "arbitration"}  # the sweeper after it
    overdue = [d for t, d in outbox_rows(order["orderId"]) if t == "CaseOverdue"]
    assert [(d["caseId"], d["step"], d["status"], d["action"]) for d in overdue] == [
        (case_id, "decision", "REQUESTED", "escalate")
    ]
    status, _, _ = api(
        "PUT",
        "/settings/notifications/default",
        route="PUT /settings/notifications/{storeId}",
        body={"staff": ["support-1"]},
        **ADMIN,
    )
    assert status == 200
    deliver(consumer, bus_event("CaseOverdue", overdue[0]))
    [alert] = inbox(api, STAFF)["items"]
    assert (alert["event"], alert["title"]) == ("CaseOverdue", f"【告警】售后单 {case_id} 超时")


def test_a_shoppers_step_past_its_deadline_is_not_overdue_for_staff(world: World, flow: Flow) -> None:
    order = order_with(world, 1)
    child = deliver_parcel(world, order)
    case_id = open_case(world, order, child, "return_refund", [(1, 1)]).body["caseId"]
    move(world, case_id, "approve", SUPPORT)
    assert task(world, "deadline", case_id, step="return_shipment") == {"next": "done"}
    assert [t for t, _ in outbox_rows(order["orderId"]) if t == "CaseOverdue"] == []
