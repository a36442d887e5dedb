"""Fulfilment writes: shipments, carrier tracking events, releases, child cancellations.

Every write is one transaction that moves the shipment, its child order and the parent order together,
each conditioned on its version: a shipment change bumps its child, a child change bumps the parent, so
concurrent events on siblings serialize (the loser re-reads and tries again) and the parent's status,
derived from all its children, is never computed from a stale picture.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.update import Action

from oms.domain.benefits import Benefits
from oms.domain.events import OutboxEvent
from oms.domain.fulfilment import ChildStatus
from oms.domain.ids import new_id
from oms.domain.order import OrderStatus, StatusChange
from oms.domain.stock import StockMove
from oms.store import keys
from oms.store.due import due_index_actions
from oms.store.models import ChildOrderItem, Item, OrderItem, ShipmentItem, StockItem, TrackingItem
from oms.store.orders import add_event, event_item
from oms.store.pages import Page, clamp_limit, decode_cursor, encode_cursor
from oms.store.records import ChildRecord, HeaderRecord, ShipmentRecord, TrackingRecord
from oms.store.rows import child_record, item_of, tracking_record
from oms.store.stock import add_stock_update
from oms.store.transactions import Part, Transaction

MAX_TRACKING_EVENTS = 200  # per shipment; older ones beyond this are dropped from the item (oldest first)


@dataclass(frozen=True)
class ParentMove:
    """What happens to the parent order in a fulfilment write: always a version bump (so siblings
    serialize) and a history entry (the timeline); a status change when the derived status moved
    (`change.from_status == change.to_status` otherwise), and the outbox row of `event`.
    `auto_confirm_at` and `delivered` (the `OrderDelivered` event) are required when the move makes
    the order DELIVERED: the deadline of its auto-confirm timer, and the event that arms it."""

    change: StatusChange
    event: OutboxEvent
    benefits: Benefits | None = None  # the order's benefits after this move, when they changed
    auto_confirm_at: str | None = None
    delivered: OutboxEvent | None = None


def add_parent_move(tx: Transaction, header: HeaderRecord, move: ParentMove, now: str) -> None:
    """Whatever moved the order there (the last parcel delivered, or the cancel of the last child not
    delivered), an order that becomes DELIVERED gets its `autoConfirmAt`, its entry in the deadline
    index and an `OrderDelivered` outbox row carrying the deadline, from which its timer is armed."""
    version = int(header.version)
    actions: list[Action] = [OrderItem.updatedAt.set(now), OrderItem.version.set(version + 1)]
    if move.benefits is not None:
        actions.append(OrderItem.benefits.set(move.benefits.to_dict()))
    target = move.change.to_status
    delivered = target is OrderStatus.DELIVERED and header.status != target.value
    if delivered:
        if not move.auto_confirm_at or move.delivered is None:
            raise ValueError("an order that becomes DELIVERED needs its auto-confirm deadline and its event")
        actions += [OrderItem.deliveredAt.set(now), OrderItem.autoConfirmAt.set(move.auto_confirm_at)]
    if target.value != header.status:
        actions += [
            OrderItem.status.set(target.value),
            OrderItem.GSI3PK.set(keys.orders_by_status_gsi3(target.value)),
            *due_index_actions(target, header, auto_confirm_at=move.auto_confirm_at),
        ]
    tx.put((Part.EVENT, "parent"), event_item(header.orderId, move.change))
    tx.update(
        Part.ORDER,
        OrderItem(keys.order_pk(header.orderId), keys.ORDER_META),
        actions,
        (OrderItem.status == header.status) & (OrderItem.version == version),
    )
    add_event(tx, header.orderId, move.event, now)
    if delivered and move.delivered is not None:
        add_event(tx, header.orderId, move.delivered, now, key="delivered")


def add_child_update(
    tx: Transaction,
    child: ChildRecord,
    now: str,
    *,
    status: ChildStatus | None = None,
    released: bool | None = None,
    shipped: dict[int, int] | None = None,
    cancellation: dict[str, Any] | None = None,
) -> None:
    """One write of a child order (conditional on its version and status): a new status, released to
    the warehouse (`released=True` marks it now, `False` undoes the mark), the quantities shipped per
    line, or how it was cancelled."""
    version = int(child.version)
    actions: list[Action] = []
    if released is True:
        actions.append(ChildOrderItem.releasedAt.set(now))
    elif released is False:
        actions.append(ChildOrderItem.releasedAt.remove())
    if shipped is not None:
        actions.append(ChildOrderItem.shipped.set({str(k): v for k, v in shipped.items()}))
    if cancellation is not None:
        actions.append(ChildOrderItem.cancellation.set(cancellation))
    actions += [ChildOrderItem.updatedAt.set(now), ChildOrderItem.version.set(version + 1)]
    if status is not None:
        actions.append(ChildOrderItem.status.set(status.value))
    tx.update(
        (Part.CHILD, int(child.childNo)),
        ChildOrderItem(keys.order_pk(child.orderId), keys.child_sk(int(child.childNo))),
        actions,
        (ChildOrderItem.version == version) & (ChildOrderItem.status == child.status),
    )


def add_child_history(tx: Transaction, header: HeaderRecord, change: StatusChange) -> None:
    """A timeline entry about a child (or an attempt on it) that does not move the parent."""
    tx.put((Part.EVENT, new_id()), event_item(header.orderId, change))


def new_shipment(
    *,
    order_id: str,
    child_id: str,
    carrier: str,
    tracking_number: str,
    lines: dict[int, int],
    status: str,
    by: str,
    now: str,
    parcel_no: int | None = None,
) -> ShipmentRecord:
    shipment_id = new_id()
    return ShipmentRecord(
        shipmentId=shipment_id,
        orderId=order_id,
        childId=child_id,
        carrier=carrier,
        trackingNumber=tracking_number,
        lines={str(line): quantity for line, quantity in sorted(lines.items())},
        status=status,
        events=[{"status": status, "occurredAt": now, "source": "warehouse", "by": by, "applied": True}],
        latestEventAt=None,
        createdAt=now,
        createdBy=by,
        updatedAt=now,
        version=1,
        parcelNo=parcel_no,
    )


def add_shipment(tx: Transaction, shipment: ShipmentRecord) -> None:
    item = item_of(ShipmentItem, shipment, keys.order_pk(shipment.orderId), keys.shipment_sk(shipment.shipmentId))
    tx.put(Part.SHIPMENT, item, ShipmentItem.PK.does_not_exist())
    tx.put(
        Part.TRACKING,
        TrackingItem(
            *keys.tracking(shipment.carrier, shipment.trackingNumber),
            carrier=shipment.carrier,
            trackingNumber=shipment.trackingNumber,
            orderId=shipment.orderId,
            childId=shipment.childId,
            shipmentId=shipment.shipmentId,
        ),
        TrackingItem.PK.does_not_exist(),
    )


def add_shipment_update(
    tx: Transaction,
    shipment: ShipmentRecord,
    now: str,
    *,
    events: list[dict[str, Any]],
    status: str | None,
    latest_event_at: str | None,
) -> None:
    version = int(shipment.version)
    actions: list[Action] = [
        ShipmentItem.events.set(events[-MAX_TRACKING_EVENTS:]),
        ShipmentItem.updatedAt.set(now),
        ShipmentItem.version.set(version + 1),
    ]
    if status is not None:
        actions.append(ShipmentItem.status.set(status))
    if latest_event_at is not None:
        actions.append(ShipmentItem.latestEventAt.set(latest_event_at))
    tx.update(
        Part.SHIPMENT,
        ShipmentItem(keys.order_pk(shipment.orderId), keys.shipment_sk(shipment.shipmentId)),
        actions,
        ShipmentItem.version == version,
    )


def add_stock_release_of_sold(
    tx: Transaction, parts: list[dict[str, Any]], sku_of_line: dict[int, str], now: str, *, move: StockMove
) -> None:
    """A cancelled, paid child puts its goods back on sale: sold → available (`move`: a release, who, the order)."""
    by_sku: dict[str, int] = {}
    for part in parts:
        sku_id = sku_of_line[int(part["lineNo"])]
        by_sku[sku_id] = by_sku.get(sku_id, 0) + int(part["quantity"])
    for sku_id, quantity in sorted(by_sku.items()):
        add_stock_update(
            tx,
            sku_id,
            [StockItem.available.add(quantity), StockItem.sold.add(-quantity)],
            StockItem.sold >= quantity,
            move,
            now,
        )


def tracking_of(carrier: str, tracking_number: str) -> TrackingRecord | None:
    try:
        item = TrackingItem.get(*keys.tracking(carrier, tracking_number), consistent_read=True)
    except DoesNotExist:
        return None
    return tracking_record(item)


def warehouse_children(
    warehouse_id: str, limit: int | None, cursor: str | None
) -> tuple[list[ChildRecord], str | None]:
    partition = keys.warehouse_children_gsi1(warehouse_id)
    results = Item.gsi1.query(
        partition,
        scan_index_forward=False,
        limit=clamp_limit(limit),
        last_evaluated_key=decode_cursor(cursor, partition_attr="GSI1PK", partition_value=partition),
    )
    items = [child_record(i) for i in results if isinstance(i, ChildOrderItem)]
    return items, encode_cursor(results.last_evaluated_key)


__all__ = [
    "OrderStatus",
    "Page",
    "ParentMove",
    "add_child_history",
    "add_child_update",
    "add_parent_move",
    "add_shipment",
    "add_shipment_update",
    "add_stock_release_of_sold",
    "new_shipment",
    "tracking_of",
    "warehouse_children",
]
