"""The order desk's writes (oms.services.order_desk): notes and recorded communications in the order's
partition (`ORDER#<id>` / `NOTE#<noteId>`, read with the order), and what a staff hold does to the order's
child orders — they leave their warehouse's list while it lasts and come back at its release."""

from __future__ import annotations

from oms.domain.fulfilment import ChildStatus
from oms.store import keys
from oms.store.models import ChildOrderItem, OrderNoteItem
from oms.store.records import NoteRecord, OrderRecord
from oms.store.rows import note_record
from oms.store.transactions import Part, Transaction

# Children with something left to ship: what a hold takes out of the warehouse lists.
UNSHIPPED = frozenset({ChildStatus.AWAITING_SHIPMENT.value, ChildStatus.PARTIALLY_SHIPPED.value})


def add_note(
    tx: Transaction,
    order_id: str,
    note_id: str,
    *,
    kind: str,
    visibility: str,
    text: str,
    channel: str | None,
    by: str,
    role: str,
    at: str,
) -> NoteRecord:
    """A note row, written once (a note id already taken fails the transaction on `Part.NOTE`: a batch
    resumed after a crash writes each order's note only once)."""
    item = OrderNoteItem(
        keys.order_pk(order_id),
        keys.order_note_sk(note_id),
        noteId=note_id,
        orderId=order_id,
        kind=kind,
        visibility=visibility,
        text=text,
        channel=channel,
        by=by,
        role=role,
        at=at,
    )
    tx.put(Part.NOTE, item, OrderNoteItem.SK.does_not_exist())
    return note_record(item)


def add_children_unqueued(tx: Transaction, record: OrderRecord) -> None:
    """A staff hold: the order's children with something left to ship leave their warehouse's list (the
    release puts them back with `oms.store.orders.add_children_to_warehouse_queues`)."""
    for child in record.children:
        if not child.queued or child.status not in UNSHIPPED:
            continue
        tx.update(
            (Part.CHILD, int(child.childNo)),
            ChildOrderItem(keys.order_pk(child.orderId), keys.child_sk(int(child.childNo))),
            [ChildOrderItem.GSI1PK.remove(), ChildOrderItem.GSI1SK.remove()],
        )


def add_children_requeued(tx: Transaction, record: OrderRecord, now: str) -> None:
    """A staff hold's release: the children it took out of their warehouse's list go back (at the end of
    it); a replacement still waiting for its price difference stays out, as before the hold."""
    for child in record.children:
        if child.queued or child.status not in UNSHIPPED or child.heldFor:
            continue
        tx.update(
            (Part.CHILD, int(child.childNo)),
            ChildOrderItem(keys.order_pk(child.orderId), keys.child_sk(int(child.childNo))),
            [
                ChildOrderItem.GSI1PK.set(keys.warehouse_children_gsi1(child.warehouseId)),
                ChildOrderItem.GSI1SK.set(f"{now}#{child.childId}"),
            ],
        )
