"""The bus's consumers on the local stack, fed the way the outbox relay feeds them (its own PutEvents entries):
an event delivered twice and events delivered out of order are counted once and the same; a consumer that
keeps failing leaves the event in its dead-letter queue, and `oms-dlq` redrives it once the fault is gone."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from oms.adapters.outbox import outbox_entry
from oms.consumer_dlq import main as oms_dlq
from oms.domain import events
from oms.domain.events import OutboxEvent
from oms_local.core import moto_patches
from oms_local.stack import LocalStack

pytestmark = pytest.mark.integration

CONSUMER = "oms-local-statistics"


def _order(store: str, now: datetime) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    at = now.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    order_id = uuid.uuid4().hex.upper()
    summary = {
        "orderId": order_id,
        "orderNumber": f"T{order_id[:12]}",
        "customerId": f"bus-{order_id[:8]}",
        "status": "PENDING_PAYMENT",
        "currency": "CNY",
        "total": {"amount": 2500, "currency": "CNY"},
        "reportingTotal": {"amount": 2500, "currency": "CNY"},
        "storeIds": [store],
        "paymentDeadline": at,
        "createdAt": at,
        "updatedAt": at,
    }
    lines = [
        {
            "lineNo": 1,
            "productId": f"P-{store}",
            "skuId": f"S-{store}",
            "storeId": store,
            "categoryId": "bus-test",
            "quantity": 1,
            "payable": {"amount": 2500, "currency": "CNY"},
            "reportingPayable": {"amount": 2500, "currency": "CNY"},
        }
    ]
    return summary, lines


def _publish(stack: LocalStack, event: OutboxEvent, event_id: str, occurred_at: str) -> None:
    row = {
        "detailType": event.type.value,
        "detail": json.dumps(event.detail),
        "eventId": event_id,
        "createdAt": occurred_at,
    }
    result = stack.boto3_client("events").put_events(Entries=[outbox_entry(row, stack.outputs["EventBusName"])])
    assert result["FailedEntryCount"] == 0, result


def _sales(http: Any, token: str, store: str, day: str) -> dict[str, Any]:
    response = http.get("/stats/sales", token=token, params={"from": day, "to": day, "store": store})
    assert response.status == 200, response.text
    return dict(response.json()["series"][0])


@pytest.fixture
def failing_statistics() -> Iterator[set[str]]:
    """The statistics consumer fails every delivery of the event ids in the returned set."""
    original = moto_patches.registered_function(CONSUMER)
    assert original is not None
    config = moto_patches.async_config(CONSUMER)
    failing: set[str] = set()

    def flaky(event: Any) -> Any:
        if event.get("detail", {}).get("eventId") in failing:
            raise RuntimeError("the statistics store is down")
        return original(event)

    moto_patches.register_function(CONSUMER, flaky, config)
    try:
        yield failing
    finally:
        moto_patches.register_function(CONSUMER, original, config)


def test_duplicates_and_reordering_change_no_count(
    stack: LocalStack, http: Any, eventually: Callable[..., Any]
) -> None:
    finance = stack.mint_token("it-finance", ["finance"])
    now = datetime.now(UTC)
    day, store = now.date().isoformat(), f"bus-{uuid.uuid4().hex[:8]}"
    summary, lines = _order(store, now)
    placed = events.order_placed(summary, line_count=1, lines=lines)
    paid = events.order_paid(
        {**summary, "status": "PAID"}, payment_id="PA-bus", method="alipay", payment_attempts=1, lines=lines
    )
    at = summary["createdAt"]
    # Paid before placed, and each of them twice (a relay retry, a redrive): the same eventId every time.
    for event, event_id in ((paid, "E-paid-" + store), (placed, "E-placed-" + store)) * 2:
        _publish(stack, event, event_id, at)
    assert moto_patches.wait_for_event_deliveries(timeout=60)
    figures = eventually(lambda: (s := _sales(http, finance, store, day))["paidOrders"] and s, timeout=30)
    assert (figures["placedOrders"], figures["paidOrders"], figures["sales"]) == (1, 1, 2500)
    assert figures["convertedOrders"] == 1  # placed → paid, whichever arrived first


def test_a_failing_consumer_leaves_the_event_in_its_dead_letter_queue_and_a_redrive_counts_it_once(
    stack: LocalStack, http: Any, failing_statistics: set[str], capsys: pytest.CaptureFixture[str]
) -> None:
    finance = stack.mint_token("it-finance", ["finance"])
    now = datetime.now(UTC)
    day, store = now.date().isoformat(), f"bus-{uuid.uuid4().hex[:8]}"
    summary, lines = _order(store, now)
    event_id = f"E-dlq-{store}"
    failing_statistics.add(event_id)
    _publish(stack, events.order_placed(summary, line_count=1, lines=lines), event_id, summary["createdAt"])
    assert moto_patches.wait_for_event_deliveries(timeout=60)  # the run and Lambda's two retries failed
    assert _sales(http, finance, store, day)["placedOrders"] == 0

    assert oms_dlq(["--local", stack.base_url, "list", "statistics", "--json"]) == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    mine = [row for row in listed if row["eventId"] == event_id]
    assert len(mine) == 1 and "the statistics store is down" in mine[0]["error"]

    # While the fault lasts a redrive fails and keeps the message; once it is gone the event is counted once.
    assert oms_dlq(["--local", stack.base_url, "redrive", "statistics", "--event-id", event_id, "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["redriven"] is False
    failing_statistics.clear()
    assert oms_dlq(["--local", stack.base_url, "redrive", "statistics", "--event-id", event_id, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["redriven"] is True
    assert _sales(http, finance, store, day)["placedOrders"] == 1
    # A second redrive finds nothing, and the event delivered again is a duplicate.
    assert oms_dlq(["--local", stack.base_url, "redrive", "statistics", "--event-id", event_id, "--json"]) == 0
    assert capsys.readouterr().out.strip() == ""
    _publish(stack, events.order_placed(summary, line_count=1, lines=lines), event_id, summary["createdAt"])
    assert moto_patches.wait_for_event_deliveries(timeout=60)
    assert _sales(http, finance, store, day)["placedOrders"] == 1
