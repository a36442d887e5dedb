"""The bus consumers' contract (oms.services.consumers): an event is applied once per consumer, whatever the
number of deliveries, and a change that fails its own condition is not recorded as consumed."""

from __future__ import annotations

from typing import Any

import pytest
from oms.domain.events import order_paid
from oms.services.consumers import BusEvent, MalformedEvent, consume_once, consumed
from oms.store.models import CaseCountItem
from oms.store.transactions import Part, Transaction, TransactionCancelled

from tests.helpers.bus import bus_event

SUMMARY = {"orderId": "o1", "orderNumber": "N1", "customerId": "c1", "total": {"amount": 100, "currency": "CNY"}}


def _counter() -> CaseCountItem:
    return CaseCountItem("TEST#COUNTER", "DAY#2026-12-01")


def _add_one(tx: Transaction) -> None:
    tx.update(
        Part.STATS,
        _counter(),
        [
            CaseCountItem.type.set(CaseCountItem),
            CaseCountItem.opened.add(1),
            CaseCountItem.day.set("2026-12-01"),
            CaseCountItem.reason.set("test"),
            CaseCountItem.caseType.set("test"),
        ],
    )


def _count() -> int:
    try:
        return int(CaseCountItem.get("TEST#COUNTER", "DAY#2026-12-01", consistent_read=True).opened)
    except CaseCountItem.DoesNotExist:
        return 0


def test_a_bus_event_reads_the_outbox_event_id_not_eventbridges() -> None:
    raw = bus_event(order_paid(SUMMARY, payment_id="p1"), event_id="E1")
    event = BusEvent.from_eventbridge(raw)
    assert (event.event_id, event.type, event.detail["paymentId"]) == ("E1", "OrderPaid", "p1")
    assert event.occurred_at == raw["detail"]["occurredAt"]
    # A redrive publishes again: EventBridge's id changes, the outbox's does not.
    assert BusEvent.from_eventbridge({**raw, "id": "other"}).event_id == "E1"


@pytest.mark.parametrize(
    "raw",
    [{}, {"detail": "x", "detail-type": "T", "id": "1"}, {"detail": {}, "id": "1"}, {"detail": {}, "detail-type": "T"}],
)
def test_an_event_without_id_type_or_detail_is_malformed(raw: dict[str, Any]) -> None:
    with pytest.raises(MalformedEvent):
        BusEvent.from_eventbridge(raw)


def test_a_second_delivery_changes_nothing(aws: None) -> None:
    event = BusEvent.from_eventbridge(bus_event(order_paid(SUMMARY), event_id="E2"))
    assert consume_once("test", event, _add_one) is True
    assert consume_once("test", event, _add_one) is False
    assert _count() == 1 and consumed("test", "E2")
    # Another consumer has its own inbox: it applies the same event once too.
    assert consume_once("other", event, _add_one) is True
    assert _count() == 2


def test_a_change_whose_own_condition_fails_raises_and_is_not_consumed(aws: None) -> None:
    event = BusEvent.from_eventbridge(bus_event(order_paid(SUMMARY), event_id="E4"))

    def impossible(tx: Transaction) -> None:
        tx.update(Part.STATS, _counter(), [CaseCountItem.opened.add(1)], CaseCountItem.opened > 10**9)

    with pytest.raises(TransactionCancelled):
        consume_once("test", event, impossible)
    assert not consumed("test", "E4") and _count() == 0
    assert consume_once("test", event, _add_one) is True  # a retry that can apply it does
