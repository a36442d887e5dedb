"""The writes of manual orders and order editing: a manual order's note rows (written with the order by
the checkout's transaction, `OrderRepository.place_order(..., more=)`), the offline payment that finance
records, and the edit of an unpaid order — each ONE conditional TransactWriteItems with its history,
audit entry and outbox row."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from oms.domain.events import OutboxEvent
from oms.domain.ids import new_id
from oms.domain.ledger import PostingKind, order_account, provider_account, transfer
from oms.domain.money import Money
from oms.domain.order import StatusChange
from oms.domain.permissions import Actor
from oms.domain.stock import MovementKind, StockMove
from oms.store import keys
from oms.store.audit import add_audit
from oms.store.cross_border import add_quota_change
from oms.store.ledger import add_postings
from oms.store.models import ChildOrderItem, MoneyAttribute, OrderItem, OrderLineItem, OrderNoteItem, StockItem
from oms.store.orders import (
    SOLD,
    StaleOrder,
    _child_item,
    add_children_to_warehouse_queues,
    add_event,
    add_history,
    add_order_move,
)
from oms.store.payments import add_idempotency, add_new_attempt, add_stock_sale
from oms.store.records import AttemptRecord, ChildRecord, HeaderRecord, LineRecord, OrderRecord
from oms.store.rows import item_of
from oms.store.stock import add_stock_update, mover
from oms.store.transactions import Part, Transaction, TransactionCancelled

Json = dict[str, Any]


class StockShort(Exception):
    """An edit needs more of these SKUs than are available (the stock rows' conditions failed)."""

    def __init__(self, sku_ids: list[str]) -> None:
        super().__init__(", ".join(sku_ids))
        self.sku_ids = sku_ids


def add_note(tx: Transaction, order_id: str, text: str, *, actor: Actor, now: str, key: str) -> None:
    """An internal note on the order (the foundation's note row; the timeline shows it)."""
    note_id = new_id()
    tx.put(
        (Part.EVENT, f"note-{key}"),
        OrderNoteItem(
            keys.order_pk(order_id),
            keys.order_note_sk(note_id),
            noteId=note_id,
            orderId=order_id,
            kind="note",
            visibility="internal",
            text=text,
            channel=None,
            by=actor.subject,
            role=actor.primary_role,
            at=now,
        ),
    )


def add_manual_audit(
    tx: Transaction, order_id: str, action: str, *, actor: Actor, now: str, before: Json | None, after: Json | None
) -> None:
    add_audit(tx, f"ORDER#{order_id}", action, actor=actor, now=now, before=before, after=after, reason=None)


# ---------------------------------------------------------------- offline payment
def record_offline_payment(
    record: OrderRecord,
    attempt: AttemptRecord,
    change: StatusChange,
    paid: OutboxEvent,
    *,
    manual: Json,
    memo: str,
    audit_before: Json,
    audit_after: Json,
    idempotency: tuple[str, str, str, dict[str, Any]],
) -> None:
    """ONE transaction: the offline tender (a SUCCEEDED attempt), the order PAID (status and version
    conditions), its stock sold, its children queued for their warehouses, the ledger posting of the money
    received outside any provider, the proof on the header, the audit entry and the idempotency record."""
    header = record.header
    now = change.at
    tx = Transaction()
    add_new_attempt(tx, attempt)
    add_order_move(tx, header, change, paid, more=[OrderItem.manual.set(manual)])
    add_stock_sale(tx, record.lines, now, from_available=False, by=mover(change.actor), reason="paid offline")
    add_children_to_warehouse_queues(tx, record, now)
    goods = attempt.goodsAmount.money()
    add_postings(
        tx,
        [transfer(PostingKind.PAYMENT, provider_account(attempt.method), order_account(header.orderId), goods, memo)],
        now,
        pk=keys.order_pk(header.orderId),
        order_id=header.orderId,
        payment_id=attempt.paymentId,
        by=change.actor.subject,
    )
    add_manual_audit(
        tx,
        header.orderId,
        "order.mark-paid-offline",
        actor=change.actor,
        now=now,
        before=audit_before,
        after=audit_after,
    )
    subject, key, fingerprint, body = idempotency
    add_idempotency(tx, subject, key, fingerprint, 200, body, now)
    _commit(tx, "paid")


# ---------------------------------------------------------------- edit
@dataclass(frozen=True)
class OrderEdit:
    """An unpaid order's new state: header columns, lines, children, and what the edit records."""

    header: HeaderRecord  # the new header (version as read: the write bumps it)
    lines: Sequence[LineRecord]
    children: Sequence[ChildRecord]
    change: StatusChange  # the history line (status unchanged)
    event: OutboxEvent  # OrderEdited
    audit_before: Json
    audit_after: Json


def edit_order(record: OrderRecord, edit: OrderEdit) -> None:
    """ONE transaction: the header rewritten (conditional on PENDING_PAYMENT and the version read), the
    lines and child orders replaced, the stock difference reserved (conditional on availability) or
    released, the history line, the `order.edit` audit entry and the OrderEdited outbox row."""
    header, new = record.header, edit.header
    now = edit.change.at
    version = int(header.version)
    tx = Transaction()
    tx.update(
        Part.ORDER,
        OrderItem(keys.order_pk(header.orderId), keys.ORDER_META),
        [
            OrderItem.storeIds.set(list(new.storeIds)),  # type: ignore[arg-type]  # pynamodb types the list by its attribute
            OrderItem.subtotal.set(MoneyAttribute.of(new.subtotal.money())),
            OrderItem.shipping.set(MoneyAttribute.of(new.shipping.money())),
            OrderItem.discount.set(MoneyAttribute.of(new.discount.money())),
            OrderItem.total.set(MoneyAttribute.of(new.total.money())),
            OrderItem.shippingAddress.set(new.shippingAddress),
            OrderItem.pricing.set(new.pricing),
            OrderItem.benefits.set(new.benefits) if new.benefits is not None else OrderItem.benefits.remove(),
            OrderItem.manual.set(new.manual) if new.manual is not None else OrderItem.manual.remove(),
            OrderItem.crossBorderQuota.set(new.crossBorderQuota)
            if new.crossBorderQuota is not None
            else OrderItem.crossBorderQuota.remove(),
            OrderItem.updatedAt.set(now),
            OrderItem.version.set(version + 1),
        ],
        (OrderItem.status == header.status) & (OrderItem.version == version),
    )
    kept = {int(line.lineNo) for line in edit.lines}
    for line in edit.lines:
        tx.put(
            (Part.LINE, str(line.lineNo)),
            item_of(OrderLineItem, line, keys.order_pk(line.orderId), keys.order_line_sk(int(line.lineNo))),
        )
    for line in record.lines:
        if int(line.lineNo) not in kept:
            tx.delete(
                (Part.LINE, f"gone-{line.lineNo}"),
                OrderLineItem(keys.order_pk(line.orderId), keys.order_line_sk(int(line.lineNo))),
            )
    _add_stock_difference(tx, record.lines, edit.lines, now, order_id=header.orderId, by=mover(edit.change.actor))
    add_quota_change(tx, header.customerId, header.crossBorderQuota, new.crossBorderQuota, now)
    new_children = {int(child.childNo) for child in edit.children}
    for child in edit.children:
        tx.put((Part.CHILD, int(child.childNo)), _child_item(child))
    for old in record.children:
        if int(old.childNo) not in new_children:
            tx.delete(
                (Part.CHILD, f"gone-{old.childNo}"),
                ChildOrderItem(keys.order_pk(old.orderId), keys.child_sk(int(old.childNo))),
            )
    add_history(tx, header.orderId, edit.change, key="edit")
    add_event(tx, header.orderId, edit.event, now)
    add_manual_audit(
        tx,
        header.orderId,
        "order.edit",
        actor=edit.change.actor,
        now=now,
        before=edit.audit_before,
        after=edit.audit_after,
    )
    _commit(tx, "edited")


class QuotaShort(Exception):
    """A racing checkout took the room an edit's cross-border goods needed in the customer's yearly allowance."""


def _held(lines: Sequence[LineRecord]) -> dict[tuple[str, bool], int]:
    """Units held per (SKU, sold at order?)."""
    held: dict[tuple[str, bool], int] = {}
    for line in lines:
        key = (line.skuId, line.stockState == SOLD)
        held[key] = held.get(key, 0) + int(line.quantity)
    return held


def _add_stock_difference(
    tx: Transaction, before: Sequence[LineRecord], after: Sequence[LineRecord], now: str, *, order_id: str, by: str
) -> None:
    """Reserve what is new (available ≥ the difference), release what is no longer needed; a SKU whose
    store deducts at order moves between available and sold instead. available + reserved + sold is unchanged."""
    old, new = _held(before), _held(after)
    for sku_id, sold in sorted(set(old) | set(new)):
        delta = new.get((sku_id, sold), 0) - old.get((sku_id, sold), 0)
        if delta == 0:
            continue
        held = StockItem.sold if sold else StockItem.reserved
        condition = StockItem.available >= delta if delta > 0 else held >= -delta
        taken = MovementKind.SALE if sold else MovementKind.RESERVATION
        move = StockMove(taken if delta > 0 else MovementKind.RELEASE, by, {"orderId": order_id}, "order edited")
        add_stock_update(tx, sku_id, [StockItem.available.add(-delta), held.add(delta)], condition, move, now)


def _commit(tx: Transaction, what: str) -> None:
    try:
        tx.commit()
    except TransactionCancelled as cancelled:
        short = cancelled.failed(Part.STOCK)
        if short:
            raise StockShort([str(failure.key) for failure in short]) from cancelled
        if cancelled.failed(Part.CROSS_BORDER):
            raise QuotaShort from cancelled
        if cancelled.failed(Part.IDEMPOTENCY):
            from oms.store.orders import IdempotencyKeyInUse

            raise IdempotencyKeyInUse("another request with this Idempotency-Key is in flight") from cancelled
        if cancelled.failed(Part.ORDER, Part.ATTEMPT):
            raise StaleOrder(f"the order changed while it was being {what}; read it again") from cancelled
        raise


def offline_tender(
    record: OrderRecord, payment_id: str, goods: Money, instructions: Json, review: Json, now: str
) -> AttemptRecord:
    """The tender of an offline payment: a SUCCEEDED bank-transfer attempt (refunds of it are payouts by hand,
    as a transfer's are), its instructions naming the proof."""
    from dataclasses import replace

    from oms.store.payments import new_attempt

    attempt = new_attempt(
        record.header,
        payment_id,
        method="bank_transfer",
        status="SUCCEEDED",
        amount=goods,
        goods=goods,
        surcharge=Money.zero(goods.currency),
        fee=Money.zero(goods.currency),
        instructions=instructions,
        now=now,
    )
    return replace(attempt, review=review, providerReference=f"offline:{instructions.get('proofReference')}")
