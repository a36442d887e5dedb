"""Personal data writes: an order's contact details pseudonymised (erasure on request, the retention job),
the data-retention setting, and the reads both walk (a customer's orders, a closed status's index range)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import DoesNotExist, UpdateError

from oms.domain.permissions import Actor
from oms.domain.personal_data import CLOSED_STATUSES, ERASED, pseudonymised_address
from oms.store import keys
from oms.store.audit import add_audit
from oms.store.models import DataRetentionItem, Item, OrderItem, OrderNoteItem
from oms.store.payments import add_idempotency
from oms.store.records import HeaderRecord, OrderRecord
from oms.store.rows import header_record
from oms.store.transactions import Part, Transaction

RETENTION_KEY = ("SETTINGS#PERSONAL_DATA", "RETENTION")
RETENTION_AUDIT = "SETTINGS#DATA_RETENTION"
PAGE = 100
WALK_START = "0"  # below every `<createdAt>#<orderId>` (a key condition takes no empty string)


@dataclass(frozen=True)
class Retention:
    enabled: bool
    closed_days: int
    progress: dict[str, str]
    version: int  # 0: never set (the defaults)
    updated_at: str | None
    updated_by: str | None


def retention(default_days: int) -> Retention:
    try:
        item = DataRetentionItem.get(*RETENTION_KEY, consistent_read=True)
    except DoesNotExist:
        return Retention(False, default_days, {}, 0, None, None)
    return Retention(
        bool(item.enabled),
        int(item.closedDays),
        dict(item.progress or {}),
        int(item.version),
        item.updatedAt,
        item.updatedBy,
    )


def put_retention(
    *,
    enabled: bool,
    closed_days: int,
    current: Retention,
    actor: Actor,
    reason: str | None,
    now: str,
) -> int:
    """Replace the setting (conditional on the version the caller read), with its audit entry."""
    tx = Transaction()
    condition = (
        DataRetentionItem.version == current.version if current.version else DataRetentionItem.PK.does_not_exist()
    )
    tx.put(
        Part.SETTINGS,
        DataRetentionItem(
            *RETENTION_KEY,
            enabled=enabled,
            closedDays=closed_days,
            progress=current.progress,
            version=current.version + 1,
            updatedAt=now,
            updatedBy=actor.subject,
        ),
        condition,
    )
    add_audit(
        tx,
        RETENTION_AUDIT,
        "data-retention.update",
        actor=actor,
        now=now,
        before={"enabled": current.enabled, "closedDays": current.closed_days} if current.version else None,
        after={"enabled": enabled, "closedDays": closed_days},
        reason=reason,
        shown_as="data-retention",
    )
    tx.commit()
    return current.version + 1


def save_progress(progress: dict[str, str], version: int) -> bool:
    """The retention job's walk so far, only while the setting is the version it read (False: changed)."""
    try:
        DataRetentionItem(*RETENTION_KEY).update(
            actions=[DataRetentionItem.progress.set(progress)], condition=DataRetentionItem.version == version
        )
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def customer_orders(customer_id: str) -> Iterator[HeaderRecord]:
    """Every order a customer placed (their GSI1 range, page by page)."""
    for item in Item.gsi1.query(
        keys.customer_orders_gsi1(customer_id), Item.GSI1SK.startswith("ORDER#"), page_size=PAGE
    ):
        if isinstance(item, OrderItem):
            yield header_record(item)


def closed_orders(status: str, after: str, before: str, limit: int) -> list[HeaderRecord]:
    """Orders of a closed status created in (`after`, `before`) (their `<createdAt>#<orderId>` sort keys),
    oldest first, at most `limit`: one bounded range of the by-status index."""
    if limit < 1:
        return []
    results = Item.gsi3.query(
        keys.orders_by_status_gsi3(status),
        Item.GSI3SK.between(after, before),
        limit=limit,
        page_size=min(limit, PAGE),
    )
    return [header_record(i) for i in results if isinstance(i, OrderItem) and after != i.GSI3SK]


def erase_order(record: OrderRecord, *, actor: Actor, now: str, reason: str, more: Transaction | None = None) -> None:
    """Pseudonymise one closed order's personal data in ONE transaction: the shipping address (its city,
    region and country stay), the shopper's checkout note, the text of recorded communications; with an
    audit entry on the order. Amounts, lines, the ledger, payments and refunds are untouched (the financial
    record). Conditional on the order's version and a closed status, so a change in between (or a second
    erasure) fails the condition instead of erasing twice."""
    header = record.header
    tx = more if more is not None else Transaction()
    order = OrderItem(keys.order_pk(header.orderId), keys.ORDER_META)
    tx.update(
        Part.ORDER,
        order,
        [
            OrderItem.shippingAddress.set(pseudonymised_address(header.shippingAddress)),
            OrderItem.note.remove(),
            OrderItem.erasedAt.set(now),
            OrderItem.version.set(int(header.version) + 1),
            OrderItem.updatedAt.set(now),
        ],
        (OrderItem.version == int(header.version))
        & OrderItem.status.is_in(*CLOSED_STATUSES)
        & OrderItem.erasedAt.does_not_exist(),
    )
    for note in record.notes:
        if note.kind == "communication" and note.text != ERASED:
            tx.update(
                ("note", note.noteId),  # the desk helper's rows: no Part of their own here
                OrderNoteItem(keys.order_pk(header.orderId), keys.order_note_sk(note.noteId)),
                [OrderNoteItem.text.set(ERASED)],
            )
    add_audit(
        tx,
        f"ORDER#{header.orderId}",
        "personal-data.erase",
        actor=actor,
        now=now,
        before=None,
        after={"fields": ["name", "phone", "address", "note", *(["communications"] if record.notes else [])]},
        reason=reason,
    )
    if more is None:
        tx.commit()


def record_erasure(
    customer_id: str,
    *,
    actor: Actor,
    now: str,
    summary: dict[str, Any],
    idempotency: tuple[str, str, str] | None,
    body: dict[str, Any],
) -> None:
    """The erasure request's own entry on the customer (what was erased, what was left open), with the
    idempotency record of its answer."""
    tx = Transaction()
    add_audit(
        tx,
        f"CUSTOMER#{customer_id}",
        "personal-data.erasure",
        actor=actor,
        now=now,
        before=None,
        after=summary,
        reason=summary.get("reason"),
    )
    if idempotency is not None:
        subject, key, fingerprint = idempotency
        add_idempotency(tx, subject, key, fingerprint, 200, body, now)
    tx.commit()
