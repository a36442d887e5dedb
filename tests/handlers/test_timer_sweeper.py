"""The timer sweeper: on its schedule it finds, through the sparse deadline index (a Query per shard,
never a Scan), unpaid orders past their payment deadline and delivered orders past auto-confirm, and
acts on them with the timers' own task code; everything else is left exactly as it is."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from types import ModuleType
from typing import Any

import pytest
from oms.domain.clock import parse_rfc3339, to_rfc3339, utcnow
from oms.domain.timers import TimerOutcome

from tests.handlers.conftest import ADMIN, Api, AwsCalls, LambdaContext, due_entry_of, load_function
from tests.helpers.fulfilment import callback, minutes_ahead, paid_order, place, read, ship, tracking_event
from tests.helpers.payments import pay
from tests.helpers.table import stock_of

# Fixtures of the fulfilment and payment tests, used here too.

GET = "GET /orders/{orderId}"


@pytest.fixture
def sweeper(aws: None) -> ModuleType:
    return load_function("timer_sweeper")


def sweep_at(sweeper: ModuleType, moment: datetime) -> dict[str, Any]:
    timers = sweeper.timers
    timers.orders.clock = timers.fulfilment.clock = timers.payments.clock = lambda: moment
    event = {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}
    report: dict[str, Any] = sweeper.handler(event, LambdaContext())
    return report


def delivered(orders_api: Api, fulfilment: Api, carriers: ModuleType, sku: str, tracking: str) -> dict[str, Any]:
    order = paid_order(orders_api, [(sku, 1)], key=f"paid-{tracking}")
    ship(fulfilment, order["children"][0]["childOrderId"], tracking)
    assert callback(carriers, tracking_event(tracking, "DELIVERED", minutes_ahead(1), f"ev-{tracking}")) == 204
    return read(orders_api, order["orderId"])


def status_of(orders_api: Api, order_id: str) -> str:
    return str(orders_api("GET", f"/orders/{order_id}", route=GET, **ADMIN)[2]["status"])


def test_the_sweeper_acts_on_overdue_orders_only_and_reads_only_the_index(
    catalog: None,
    orders_module: ModuleType,
    orders_api: Api,
    fulfilment: Api,
    carriers: ModuleType,
    pay_api: Api,
    sweeper: ModuleType,
    aws_calls: AwsCalls,
) -> None:
    overdue = place(orders_api, [("MUG", 2)], "overdue")  # deadline in 30 minutes
    orders_module.service.payment_timeout_seconds = 7200
    not_due = place(orders_api, [("MUG", 1)], "not-due")  # deadline in 2 hours
    orders_module.service.payment_timeout_seconds = 1800
    transfer = place(orders_api, [("TEE-M", 3)], "transfer")  # bank transfers take 100.00 and more
    status, attempt = pay(pay_api, transfer, "bank_transfer")
    assert status == 201, attempt
    assert attempt["paymentDeadline"] > transfer["paymentDeadline"]  # extended by 3 days
    paid = paid_order(orders_api, [("TEE-M", 1)], key="paid")
    carriers.service.auto_confirm_seconds = 60
    confirm_due = delivered(orders_api, fulfilment, carriers, "LAMP", "SF9001")  # auto-confirm in a minute
    carriers.service.auto_confirm_seconds = 7 * 86400
    confirm_later = delivered(orders_api, fulfilment, carriers, "VASE", "SF9002")  # in a week
    assert stock_of("MUG")["reserved"] == 3
    # The bank transfer moved the order's index entry to the new deadline.
    assert due_entry_of(transfer["orderId"])[1].startswith(attempt["paymentDeadline"][:-1])  # type: ignore[index]
    assert due_entry_of(paid["orderId"]) is None

    aws_calls.clear()
    report = sweep_at(sweeper, utcnow() + timedelta(hours=1))
    calls, requests = list(aws_calls.calls), list(aws_calls.requests)
    assert report["payment"] == {
        "examined": 1,
        "results": {"cancelled": 1},
        "acted": [overdue["orderId"]],
        "more": False,
    }
    assert report["confirm"] == {
        "examined": 1,
        "results": {"completed": 1},
        "acted": [confirm_due["orderId"]],
        "more": False,
    }
    cancelled = read(orders_api, overdue["orderId"])
    assert (cancelled["status"], cancelled["cancellation"]["reason"]) == ("CANCELLED", "payment_timeout")
    assert stock_of("MUG")["reserved"] == 1 and stock_of("MUG")["available"] == 2  # 2 released, 1 still held
    completed = read(orders_api, confirm_due["orderId"])
    assert completed["status"] == "COMPLETED" and completed["children"][0]["status"] == "COMPLETED"
    for order, status in [
        (not_due, "PENDING_PAYMENT"),
        (transfer, "PENDING_PAYMENT"),
        (paid, "PAID"),
        (confirm_later, "DELIVERED"),
    ]:
        assert status_of(orders_api, order["orderId"]) == status
    # Found through the index: one Query per shard and kind on GSI4, no Scan; the rest is the task code
    # (for each of the two orders acted on: reads of its partition, and its one transaction).
    index_queries = [body for name, body in requests if b'"IndexName": "GSI4"' in body]
    # payment deadlines, auto-confirm, refunds due another try, delayed activations of virtual goods (4 shards
    # each), after-sales case deadlines (1)
    assert len(index_queries) == 17
    assert {json.loads(body)["ExpressionAttributeValues"][":0"]["S"] for body in index_queries} == {
        f"DUE#{kind}#{shard}" for kind in ("PAYMENT", "CONFIRM", "REFUND", "ACTIVATION") for shard in range(4)
    } | {"DUE#CASE"}
    assert set(calls) == {"dynamodb:Query", "dynamodb:TransactWriteItems"}  # no Scan
    assert calls.count("dynamodb:TransactWriteItems") == 2
    # The orders acted on have left the index: the next run finds nothing.
    assert due_entry_of(overdue["orderId"]) is None and due_entry_of(confirm_due["orderId"]) is None
    again = sweep_at(sweeper, utcnow() + timedelta(hours=1))
    assert again["payment"]["examined"] == again["confirm"]["examined"] == 0


def test_each_run_takes_at_most_its_limit_and_the_next_one_the_rest(
    catalog: None, orders_api: Api, sweeper: ModuleType
) -> None:
    orders = [place(orders_api, [("TEE-M", 1)], f"o{n}") for n in range(3)]
    sweeper.timers.limit = 2
    later = utcnow() + timedelta(hours=1)
    first = sweep_at(sweeper, later)["payment"]
    assert (first["examined"], first["more"]) == (2, True)
    second = sweep_at(sweeper, later)["payment"]
    assert (second["examined"], second["more"]) == (1, False)
    assert sorted(first["acted"] + second["acted"]) == sorted(o["orderId"] for o in orders)
    assert stock_of("TEE-M")["reserved"] == 0


def test_an_order_that_fails_is_counted_and_the_others_are_still_swept(
    catalog: None, orders_api: Api, sweeper: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken, fine = place(orders_api, [("TEE-M", 1)], "broken"), place(orders_api, [("TEE-M", 1)], "fine")
    real_expire: Callable[[str], TimerOutcome] = sweeper.timers.orders.expire

    def expire(order_id: str) -> TimerOutcome:
        if order_id == broken["orderId"]:
            raise RuntimeError("store hiccup")
        return real_expire(order_id)

    monkeypatch.setattr(sweeper.timers.orders, "expire", expire)
    moment = parse_rfc3339(fine["paymentDeadline"])
    report = sweep_at(sweeper, moment)
    assert report["payment"]["results"] == {"cancelled": 1, "failed": 1}
    assert report["payment"]["acted"] == [fine["orderId"]]
    # Still there for a later run, moved five minutes on so it does not hold the front of its shard.
    entry = due_entry_of(broken["orderId"])
    assert entry is not None and entry[1].startswith(to_rfc3339(moment + timedelta(minutes=5)))
    assert sweep_at(sweeper, moment)["payment"]["examined"] == 0
    monkeypatch.undo()
    assert sweep_at(sweeper, moment + timedelta(minutes=5))["payment"]["acted"] == [broken["orderId"]]


def test_an_order_that_is_not_due_yet_moves_to_the_deadline_its_task_answered(
    catalog: None, orders_api: Api, fulfilment: Api, carriers: ModuleType, sweeper: ModuleType
) -> None:
    """Auto-confirm waits while an after-sales case is open (`openCases`, kept by after-sales): the task
    answers not_due with the next check. Left at its overdue key, such orders would fill every run's
    limit and starve the rest of their shard; the sweeper moves the entry to the deadline answered."""
    from oms.store import keys
    from oms.store.models import OrderItem

    carriers.service.auto_confirm_seconds = 60
    waiting = delivered(orders_api, fulfilment, carriers, "LAMP", "SF9101")
    other = delivered(orders_api, fulfilment, carriers, "VASE", "SF9102")
    OrderItem(keys.order_pk(waiting["orderId"]), keys.ORDER_META).update(actions=[OrderItem.openCases.set(1)])
    sweeper.timers.limit = 1
    sweeper.timers.fulfilment.auto_confirm_seconds = 7 * 86400
    moment = utcnow() + timedelta(hours=1)
    results = [sweep_at(sweeper, moment)["confirm"]["results"] for _ in range(2)]
    assert sorted(r for result in results for r in result) == ["completed", "not_due"]  # the limit did not starve it
    entry = due_entry_of(waiting["orderId"])
    later = moment.replace(microsecond=0) + timedelta(days=7)  # the task answers whole seconds
    assert entry is not None and entry[1].startswith(to_rfc3339(later))
    assert sweep_at(sweeper, moment)["confirm"]["examined"] == 0
    assert status_of(orders_api, waiting["orderId"]) == "DELIVERED"
    assert status_of(orders_api, other["orderId"]) == "COMPLETED"
