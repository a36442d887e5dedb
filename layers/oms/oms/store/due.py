"""The sparse deadline index (GSI4): which orders a timer must act on, which refunds to ask again, and when.

An order header carries `GSI4PK`/`GSI4SK` only while a timer waits on it, a refund only while its
provider may still pay it (PENDING, PROCESSING):

    PENDING_PAYMENT   DUE#PAYMENT#<shard>   <paymentDeadline>#<orderId>    the payment timeout cancels it
    DELIVERED         DUE#CONFIRM#<shard>   <autoConfirmAt>#<orderId>      auto-confirm completes it
    refund PENDING    DUE#REFUND#<shard>    <next try>#<orderId>#<refundId> the sweeper asks the provider
    or PROCESSING

Every write that sets an order's status or moves one of these deadlines sets, moves or removes the
entry in the same transaction (`due_index_actions`, `refund_due_actions`), so the index never disagrees
with the item. The sweeper queries each shard for keys up to "now" (`overdue`): what a lost or failed
timer left behind, and refunds whose next try has come. Deadlines are stored in the millisecond form of
`to_rfc3339` so the keys sort as the times do. The one exception is `postpone`: the sweeper moves an
entry it cannot act on yet (a delivered order waiting on an open after-sales case, a task that keeps
failing) to a later key, so it does not fill every run's limit; the next write of the item puts the
entry back where the item says.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from pynamodb.expressions.update import Action

from oms.domain.clock import parse_rfc3339, to_rfc3339
from oms.domain.order import OrderStatus
from oms.store import keys
from oms.store.models import Item, OrderItem, RefundItem
from oms.store.records import HeaderRecord
from oms.store.transactions import Part, Transaction, TransactionCancelled

PAGE_SIZE = 50


def due_entry(
    status: OrderStatus, order_id: str, *, payment_deadline: str | None, auto_confirm_at: str | None
) -> tuple[str, str] | None:
    """The (GSI4PK, GSI4SK) an order in `status` carries; None when no timer waits on it."""
    if status is OrderStatus.PENDING_PAYMENT and payment_deadline:
        kind, deadline = keys.DUE_PAYMENT, payment_deadline
    elif status is OrderStatus.DELIVERED and auto_confirm_at:
        kind, deadline = keys.DUE_CONFIRM, auto_confirm_at
    else:
        return None
    sort_key = keys.due_sort_key(to_rfc3339(parse_rfc3339(deadline)), order_id)
    return keys.due_gsi4(kind, order_id), sort_key


def due_index_actions(
    status: OrderStatus,
    header: HeaderRecord,
    *,
    payment_deadline: str | None = None,
    auto_confirm_at: str | None = None,
) -> list[Action]:
    """Update actions that put the order where `status` (and the given or current deadlines) say:
    in the payment or the confirm index, or in neither. Part of the write that changes them."""
    entry = due_entry(
        status,
        header.orderId,
        payment_deadline=payment_deadline or header.paymentDeadline,
        auto_confirm_at=auto_confirm_at or header.autoConfirmAt,
    )
    if entry is None:
        return [OrderItem.GSI4PK.remove(), OrderItem.GSI4SK.remove()]
    return [OrderItem.GSI4PK.set(entry[0]), OrderItem.GSI4SK.set(entry[1])]


def refund_due_entry(order_id: str, refund_id: str, at: str) -> tuple[str, str]:
    """The (GSI4PK, GSI4SK) of a refund next asked of its provider at `at` (any RFC 3339 form)."""
    moment = to_rfc3339(parse_rfc3339(at))
    return keys.due_gsi4(keys.DUE_REFUND, order_id), keys.refund_due_sort_key(moment, order_id, refund_id)


def refund_due_actions(order_id: str, refund_id: str, at: str | None) -> list[Action]:
    """Update actions that put the refund's next try at `at`, or take it out of the index (None: it
    succeeded or failed for good). Part of the write that changes the refund."""
    if at is None:
        return [RefundItem.GSI4PK.remove(), RefundItem.GSI4SK.remove()]
    partition, sort_key = refund_due_entry(order_id, refund_id, at)
    return [RefundItem.GSI4PK.set(partition), RefundItem.GSI4SK.set(sort_key)]


@dataclass(frozen=True)
class Due:
    """One entry of the index as the sweeper found it."""

    order_id: str
    sort_key: str  # GSI4SK when it was read (postpone is conditional on it)
    refund_id: str | None = None  # set for refund entries

    @property
    def at(self) -> str:
        return self.sort_key.split("#", 1)[0]


def overdue(kind: str, at: str, limit: int) -> Iterator[Due]:
    """Entries of `kind` due at or before `at` (millisecond RFC 3339), at most `limit`.

    One Query per shard, read page by page and taken in turn (oldest first within a shard), so one
    shard's backlog cannot hide another's and nothing beyond the limit is read."""
    bound = keys.due_until(at)
    shards = [
        iter(Item.gsi4.query(partition, bound >= Item.GSI4SK, page_size=min(limit, PAGE_SIZE)))
        for partition in keys.due_partitions(kind)
    ]
    taken = 0
    while shards and taken < limit:
        for shard in list(shards):
            item = next(shard, None)
            if item is None:
                shards.remove(shard)
                continue
            order_id = str(item.PK).removeprefix(keys.order_pk(""))
            refund_id = str(item.SK).removeprefix(keys.refund_sk("")) if kind == keys.DUE_REFUND else None
            yield Due(order_id, str(item.GSI4SK), refund_id)
            taken += 1
            if taken == limit:
                return


def postpone(due: Due, until: str) -> bool:
    """Move an entry the sweeper found to `until` (later), only if it is still where it was found: any
    write of the item meanwhile decided its place and wins. Not a change of the item (no version, no
    history): it only keeps the entry from the front of its shard. Returns whether it moved."""
    moment = to_rfc3339(parse_rfc3339(until))
    if moment <= due.at:
        return False
    tx = Transaction()
    if due.refund_id is None:
        sort_key = keys.due_sort_key(moment, due.order_id)
        target: Item = OrderItem(keys.order_pk(due.order_id), keys.ORDER_META)
    else:
        sort_key = keys.refund_due_sort_key(moment, due.order_id, due.refund_id)
        target = RefundItem(keys.order_pk(due.order_id), keys.refund_sk(due.refund_id))
    still_there = Item.GSI4SK == due.sort_key  # noqa: SIM300  (an attribute, not a constant)
    tx.update(Part.DUE, target, [Item.GSI4SK.set(sort_key)], still_there)
    try:
        tx.commit()
    except TransactionCancelled:
        return False
    return True
