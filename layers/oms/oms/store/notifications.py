"""Notifications in the table: a person's inbox (entries, the unread count kept with them), the email/SMS
deliveries an event sends (intents written with the consumer's inbox row, carried out after the commit),
preferences, stores' rules (version-conditional, audited) and the payment reminders sent."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist

from oms.domain.clock import parse_rfc3339
from oms.domain.permissions import Actor
from oms.store import keys
from oms.store.audit import add_audit
from oms.store.models import (
    DeliveryItem,
    Item,
    NotificationItem,
    NotificationPreferencesItem,
    NotificationRulesItem,
    OrderItem,
    PaymentReminderItem,
    UnreadCountItem,
)
from oms.store.pages import Page, clamp_limit, decode_cursor, encode_cursor
from oms.store.transactions import Part, Transaction, TransactionCancelled

DELIVERY_TTL = timedelta(days=30)  # as long as the consumers' inbox rows: a redrive still finds its intents
LEASE = timedelta(seconds=60)  # a delivery held SENDING longer than this (its sender died) is taken again
MARK_ALL_BATCH = 98  # entries marked read per transaction (with the count: ≤ 100 actions)
RULES_AUDIT = "SETTINGS#NOTIFICATIONS#"


@dataclass(frozen=True)
class InboxEntry:
    notification_id: str
    event: str
    category: str
    title: str
    body: str
    locale: str
    order_id: str | None


@dataclass(frozen=True)
class DeliveryIntent:
    channel: str
    recipient: str
    address: str
    subject: str
    body: str


@dataclass(frozen=True)
class PendingDelivery:
    event_id: str
    channel: str
    recipient: str
    address: str
    subject: str
    body: str
    attempts: int


# ---------------------------------------------------------------- writes of the consumer
def add_inbox_entry(tx: Transaction, user_id: str, entry: InboxEntry, event_id: str, now: str) -> None:
    tx.put(
        (Part.NOTIFICATION, f"{user_id}#{entry.notification_id}"),
        NotificationItem(
            *keys.notification(user_id, entry.notification_id),
            GSI1PK=keys.unread_gsi1(user_id),
            GSI1SK=entry.notification_id,
            notificationId=entry.notification_id,
            userId=user_id,
            event=entry.event,
            category=entry.category,
            title=entry.title,
            body=entry.body,
            locale=entry.locale,
            orderId=entry.order_id,
            eventId=event_id,
            createdAt=now,
        ),
        NotificationItem.PK.does_not_exist(),
    )


def add_unread(tx: Transaction, user_id: str, delta: int) -> None:
    tx.update(
        (Part.NOTIFICATION, f"{user_id}#unread"),
        UnreadCountItem(*keys.unread_count(user_id)),
        [UnreadCountItem.type.set(UnreadCountItem), UnreadCountItem.unread.add(delta)],
    )


def add_delivery(tx: Transaction, event_id: str, event_type: str, intent: DeliveryIntent, now: str) -> None:
    tx.put(
        (Part.DELIVERY, f"{intent.channel}#{intent.recipient}"),
        DeliveryItem(
            *keys.delivery(event_id, intent.channel, intent.recipient),
            eventId=event_id,
            event=event_type,
            recipient=intent.recipient,
            channel=intent.channel,
            address=intent.address,
            subject=intent.subject,
            body=intent.body,
            status="PENDING",
            attempts=0,
            createdAt=now,
            expiresAt=parse_rfc3339(now) + DELIVERY_TTL,
        ),
        DeliveryItem.PK.does_not_exist(),
    )


def unsent_deliveries(event_id: str) -> list[PendingDelivery]:
    """The event's emails and SMS not sent yet (PENDING, or SENDING by an attempt that may have died)."""
    return [
        PendingDelivery(i.eventId, i.channel, i.recipient, i.address, i.subject, i.body, int(i.attempts))
        for i in DeliveryItem.query(keys.deliveries_pk(event_id), consistent_read=True)
        if isinstance(i, DeliveryItem) and i.status != "SENT"
    ]


def _delivery_key(d: PendingDelivery) -> DeliveryItem:
    return DeliveryItem(*keys.delivery(d.event_id, d.channel, d.recipient))


def claim_delivery(d: PendingDelivery, now: str) -> bool:
    """Hold the delivery for this attempt: True if it was PENDING (or its holder's lease ran out)."""
    stale = (parse_rfc3339(now) - LEASE).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    tx = Transaction()
    tx.update(
        Part.DELIVERY,
        _delivery_key(d),
        [DeliveryItem.status.set("SENDING"), DeliveryItem.claimedAt.set(now), DeliveryItem.attempts.add(1)],
        (DeliveryItem.status == "PENDING") | ((DeliveryItem.status == "SENDING") & (DeliveryItem.claimedAt < stale)),
    )
    try:
        tx.commit()
    except TransactionCancelled as cancelled:
        if cancelled.failed(Part.DELIVERY):
            return False
        raise
    return True


def mark_sent(d: PendingDelivery, message_id: str, now: str) -> None:
    tx = Transaction()
    tx.update(
        Part.DELIVERY,
        _delivery_key(d),
        [DeliveryItem.status.set("SENT"), DeliveryItem.sentAt.set(now), DeliveryItem.messageId.set(message_id)],
        DeliveryItem.status == "SENDING",
    )
    tx.commit()


def release_delivery(d: PendingDelivery, error: str) -> None:
    """A send that failed: PENDING again, for the next delivery of the event."""
    tx = Transaction()
    tx.update(
        Part.DELIVERY,
        _delivery_key(d),
        [DeliveryItem.status.set("PENDING"), DeliveryItem.lastError.set(error[:500])],
        DeliveryItem.status == "SENDING",
    )
    tx.commit()


# ---------------------------------------------------------------- the inbox as its owner reads it
def inbox_page(user_id: str, limit: int | None, cursor: str | None) -> Page[NotificationItem]:
    partition = keys.notifications_pk(user_id)
    results = NotificationItem.query(
        partition,
        NotificationItem.SK.startswith("N#"),
        scan_index_forward=False,
        limit=clamp_limit(limit),
        last_evaluated_key=decode_cursor(cursor, partition_attr="PK", partition_value=partition),
    )
    items = [i for i in results if isinstance(i, NotificationItem)]
    return Page(items, encode_cursor(results.last_evaluated_key))


def unread_count(user_id: str) -> int:
    try:
        item = UnreadCountItem.get(*keys.unread_count(user_id))
    except DoesNotExist:
        return 0
    return max(0, int(item.unread))


def notification(user_id: str, notification_id: str) -> NotificationItem | None:
    try:
        item = NotificationItem.get(*keys.notification(user_id, notification_id), consistent_read=True)
    except DoesNotExist:
        return None
    return item if isinstance(item, NotificationItem) else None


def _mark_read(tx: Transaction, user_id: str, notification_id: str, now: str) -> None:
    tx.update(
        (Part.NOTIFICATION, notification_id),
        NotificationItem(*keys.notification(user_id, notification_id)),
        [NotificationItem.readAt.set(now), NotificationItem.GSI1PK.remove(), NotificationItem.GSI1SK.remove()],
        NotificationItem.PK.exists() & NotificationItem.readAt.does_not_exist(),
    )


def mark_read(user_id: str, notification_id: str, now: str) -> bool:
    """Mark one entry read (and count it off); False if it was read already."""
    tx = Transaction()
    _mark_read(tx, user_id, notification_id, now)
    add_unread(tx, user_id, -1)
    try:
        tx.commit()
    except TransactionCancelled as cancelled:
        if cancelled.failed(Part.NOTIFICATION):
            return False
        raise
    return True


def unread_ids(user_id: str, limit: int) -> list[str]:
    """The oldest unread entries' ids (the sparse unread index)."""
    return [
        str(i.notificationId)
        for i in Item.gsi1.query(keys.unread_gsi1(user_id), limit=limit)
        if isinstance(i, NotificationItem)
    ]


def mark_all_read(user_id: str, ids: Sequence[str], now: str) -> None:
    """Mark these unread entries read in one transaction (an entry read meanwhile cancels it: read again)."""
    tx = Transaction()
    for notification_id in ids:
        _mark_read(tx, user_id, notification_id, now)
    add_unread(tx, user_id, -len(ids))
    tx.commit()


# ---------------------------------------------------------------- preferences and store rules
def preferences(user_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The stored preferences of these people (one BatchGetItem; people with none are absent)."""
    wanted = list(dict.fromkeys(user_ids))
    if not wanted:
        return {}
    found = NotificationPreferencesItem.batch_get([keys.notification_preferences(u) for u in wanted])
    return {str(i.userId): dict(i.preferences) for i in found if isinstance(i, NotificationPreferencesItem)}


def put_preferences(user_id: str, data: dict[str, Any], now: str) -> None:
    tx = Transaction()
    tx.put(
        Part.SETTINGS,
        NotificationPreferencesItem(
            *keys.notification_preferences(user_id), userId=user_id, preferences=data, updatedAt=now
        ),
    )
    tx.commit()


def store_rules(store_ids: Sequence[str]) -> dict[str, tuple[dict[str, Any], int]]:
    """The stored rules (and versions) of these stores (one BatchGetItem)."""
    wanted = list(dict.fromkeys(store_ids))
    if not wanted:
        return {}
    found = NotificationRulesItem.batch_get([keys.notification_rules(s) for s in wanted])
    return {str(i.storeId): (dict(i.rules), int(i.version)) for i in found if isinstance(i, NotificationRulesItem)}


def rules_of(store_id: str) -> tuple[dict[str, Any] | None, int]:
    try:
        item = NotificationRulesItem.get(*keys.notification_rules(store_id), consistent_read=True)
    except DoesNotExist:
        return None, 0
    return dict(item.rules), int(item.version)


def put_rules(
    store_id: str,
    rules: dict[str, Any],
    *,
    expected_version: int,
    actor: Actor,
    before: dict[str, Any] | None,
    reason: str | None,
    now: str,
) -> int:
    """Replace a store's rules (version-conditional) with an audit entry, in one transaction."""
    tx = Transaction()
    condition = (
        NotificationRulesItem.version == expected_version
        if expected_version
        else NotificationRulesItem.PK.does_not_exist()
    )
    tx.put(
        Part.SETTINGS,
        NotificationRulesItem(
            *keys.notification_rules(store_id),
            storeId=store_id,
            rules=rules,
            version=expected_version + 1,
            updatedAt=now,
            updatedBy=actor.subject,
        ),
        condition,
    )
    add_audit(
        tx,
        f"{RULES_AUDIT}{store_id}",
        "notification-rules.update",
        actor=actor,
        now=now,
        before=before,
        after=rules,
        reason=reason,
        shown_as=f"notification-rules:{store_id}",
    )
    tx.commit()
    return expected_version + 1


# ---------------------------------------------------------------- the payment reminder
def record_payment_reminder(tx: Transaction, order_id: str, deadline: str, now: str) -> None:
    """The reminder of this deadline, once, while the order is still unpaid."""
    tx.check(Part.ORDER, OrderItem(keys.order_pk(order_id), keys.ORDER_META), OrderItem.status == "PENDING_PAYMENT")
    tx.put(
        Part.REMINDER,
        PaymentReminderItem(
            *keys.payment_reminder(order_id, deadline),
            orderId=order_id,
            deadline=deadline,
            createdAt=now,
            expiresAt=parse_rfc3339(now) + DELIVERY_TTL,
        ),
        PaymentReminderItem.PK.does_not_exist(),
    )


def order_stores(order_id: str) -> list[str]:
    """The stores of an order (for events that do not carry them: a refund's)."""
    try:
        item = OrderItem.get(keys.order_pk(order_id), keys.ORDER_META)
    except DoesNotExist:
        return []
    return [str(s) for s in item.storeIds or []]
