"""The sparse deadline index (GSI4): which orders a timer must act on, and when.

An order header carries `GSI4PK`/`GSI4SK` only while a timer waits on it:

    PENDING_PAYMENT   DUE#PAYMENT#<shard>   <paymentDeadline>#<orderId>    the payment timeout cancels it
    DELIVERED         DUE#CONFIRM#<shard>   <autoConfirmAt>#<orderId>      auto-confirm completes it

Every write that sets an order's status or moves one of these deadlines sets, moves or removes the
entry in the same transaction (`due_index_actions`), so the index never disagrees with the order. The
sweeper queries each shard for keys up to "now" (`overdue`): what a lost or failed timer left behind.
Deadlines are stored in the millisecond form of `to_rfc3339` so the keys sort as the times do.
"""

from __future__ import annotations

from collections.abc import Iterator

from pynamodb.expressions.update import Action

from oms.domain.clock import parse_rfc3339, to_rfc3339
from oms.domain.order import OrderStatus
from oms.store import keys
from oms.store.models import Item, OrderItem

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
    status: OrderStatus, header: OrderItem, *, payment_deadline: str | None = None, auto_confirm_at: str | None = None
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


def overdue(kind: str, at: str, limit: int) -> Iterator[str]:
    """Ids of orders whose `kind` deadline is at or before `at` (millisecond RFC 3339), at most `limit`.

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
            yield str(item.PK).removeprefix(keys.order_pk(""))
            taken += 1
            if taken == limit:
                return
