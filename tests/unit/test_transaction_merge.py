"""A transaction holds one action per item (DynamoDB's rule): a second update of an item it already
updates is merged into the first (actions added, conditions AND-ed, the first label kept), so a refund's
counters ride on the header or child update of a cancel (oms.services.refunds)."""

from __future__ import annotations

from oms.store import keys
from oms.store.models import OrderItem
from oms.store.transactions import Part, Transaction


def header() -> OrderItem:
    return OrderItem(keys.order_pk("O1"), keys.ORDER_META)


def test_a_second_update_of_an_item_is_merged_into_the_first() -> None:
    tx = Transaction()
    tx.update(Part.ORDER, header(), [OrderItem.refunded.add(5)], OrderItem.refunded <= 10)
    assert tx.updates(header())
    tx.update((Part.ORDER, "move"), header(), [OrderItem.status.set("CLOSED")], OrderItem.version == 3)
    assert len(tx) == 1
    [(label, _, actions, condition)] = tx._updates
    assert label == Part.ORDER
    assert len(actions) == 2
    assert condition is not None and condition.operator == "AND"


def test_updates_of_other_items_stay_apart() -> None:
    tx = Transaction()
    tx.update(Part.ORDER, header(), [OrderItem.refunded.add(5)])
    tx.update(Part.ORDER, OrderItem(keys.order_pk("O2"), keys.ORDER_META), [OrderItem.refunded.add(5)])
    assert len(tx) == 2
    assert not tx.updates(OrderItem(keys.order_pk("O3"), keys.ORDER_META))
