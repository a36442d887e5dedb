"""Notifications: the bus consumer that tells shoppers and staff what happened (email, SMS, the in-app
inbox), the inbox as its owner reads it, people's preferences, stores' rules, and the payment timer's
reminder.

A bus event is applied once (`oms.services.consumers.consume_once`, consumer `notifications`): in one
transaction, the inbox entries (with their unread counts) and an intent row per email and SMS, rendered
then (the message is fixed once decided). After the commit each intent is claimed (PENDING → SENDING,
conditionally), sent, and marked SENT; a send that fails is put back PENDING and the delivery raises, so
Lambda delivers the event again: that delivery finds the inbox row, writes nothing, and sends only what
is still PENDING. Nothing is sent twice by a redelivery; a message is lost only if the provider took it
and the SENT mark then failed for good (at most once more, after the claim's lease)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from oms.domain import events
from oms.domain.clock import parse_rfc3339, to_rfc3339, utcnow
from oms.domain.errors import Conflict, Forbidden, NotFound, PreconditionFailed
from oms.domain.ids import new_id
from oms.domain.notifications import (
    MAX_STAFF_RECIPIENTS,
    PLATFORM_RULES,
    Audience,
    Channel,
    Delivery,
    Preferences,
    StoreRules,
    deliveries,
    routes_for,
    store_rules,
    strictest,
)
from oms.domain.order import OrderStatus
from oms.domain.permissions import Actor, Permission
from oms.services.consumers import BusEvent, consume_once
from oms.store import notifications as store
from oms.store.audit import audit_records
from oms.store.pages import Page
from oms.store.transactions import Transaction, TransactionCancelled
from oms.views.pricing import audit_view

log = logging.getLogger(__name__)

CONSUMER = "notifications"
MARK_ALL_ROUNDS = 10  # POST /me/notifications/read-all marks up to this many batches per request


class NotificationNotSent(RuntimeError):
    """Some email or SMS of an event could not be sent: the delivery fails and is retried (the others stay sent)."""


def _now(clock: Callable[[], datetime]) -> str:
    return to_rfc3339(clock())


def notification_view(item: Any) -> dict[str, Any]:
    return {
        "notificationId": item.notificationId,
        "event": item.event,
        "category": item.category,
        "title": item.title,
        "body": item.body,
        "locale": item.locale,
        "orderId": item.orderId,
        "createdAt": item.createdAt,
        "readAt": item.readAt,
    }


class NotificationService:
    def __init__(self, notifier: Callable[[], Any], clock: Callable[[], datetime] = utcnow) -> None:
        self.notifier = notifier  # the configured oms.adapters.notifier.Notifier, at call time
        self.clock = clock

    # ---------------------------------------------------------------- the bus consumer
    def consume(self, event: BusEvent) -> dict[str, Any]:
        """Apply one bus event: decide and record what it sends, then send what is still unsent."""
        planned = self._plan(event)
        now = _now(self.clock)
        inbox = [d for d in planned if d.channel is Channel.INBOX]
        outside = [d for d in planned if d.channel is not Channel.INBOX]

        def write(tx: Transaction) -> None:
            from oms.services.notification_templates import render

            counts: dict[str, int] = {}
            for d in inbox:
                message = render(d.template, d.channel, d.locale, event.detail)
                entry = store.InboxEntry(
                    new_id(), event.type, d.category.value, message.subject, message.body, d.locale.value, _order(event)
                )
                store.add_inbox_entry(tx, d.recipient, entry, event.event_id, now)
                counts[d.recipient] = counts.get(d.recipient, 0) + 1
            for user_id, n in counts.items():
                store.add_unread(tx, user_id, n)
            for d in outside:
                message = render(d.template, d.channel, d.locale, event.detail)
                intent = store.DeliveryIntent(d.channel.value, d.recipient, d.address, message.subject, message.body)
                store.add_delivery(tx, event.event_id, event.type, intent, now)

        applied = consume_once(CONSUMER, event, write, now=now) if planned else True
        sent, failed = self.finish(event.event_id)
        result = {"eventId": event.event_id, "applied": applied, "inbox": len(inbox), "sent": sent}
        if failed:
            raise NotificationNotSent(f"{len(failed)} message(s) of event {event.event_id} not sent: {failed}")
        return result

    def _plan(self, event: BusEvent) -> list[Delivery]:
        routes = routes_for(event.type, event.detail)
        if not routes:
            return []
        store_ids = _stores(event)
        rules = self._rules(store_ids)
        recipients: dict[Audience, list[str]] = {
            Audience.CUSTOMER: [str(event.detail["customerId"])] if event.detail.get("customerId") else [],
            Audience.STAFF: list(rules.staff[:MAX_STAFF_RECIPIENTS]),
        }
        everyone = [u for r in routes for u in recipients[r.audience]]
        prefs = {u: Preferences.from_json(p) for u, p in store.preferences(everyone).items()}
        planned: list[Delivery] = []
        for route in routes:
            planned.extend(deliveries(route, recipients[route.audience], rules, prefs))
        return planned

    @staticmethod
    def _rules(store_ids: Sequence[str]) -> StoreRules:
        """The rules of the order's stores (a store with none follows the platform's `default` rules)."""
        stored = store.store_rules([*store_ids, PLATFORM_RULES])
        platform = StoreRules.from_json(stored[PLATFORM_RULES][0]) if PLATFORM_RULES in stored else StoreRules()
        own = [StoreRules.from_json(stored[s][0]) if s in stored else platform for s in store_ids]
        return strictest(own or [platform])

    def finish(self, event_id: str) -> tuple[int, list[str]]:
        """Send the event's emails and SMS still unsent; returns how many were sent and which failed."""
        sent, failed = 0, []
        for pending in store.unsent_deliveries(event_id):
            now = _now(self.clock)
            if not store.claim_delivery(pending, now):
                continue  # another attempt holds it (or sent it)
            try:
                notifier = self.notifier()
                if pending.channel == Channel.EMAIL:
                    message_id = notifier.send_email(pending.address, pending.subject, pending.body)
                else:
                    message_id = notifier.send_sms(pending.address, pending.body)
            except Exception as error:
                log.warning("sending %s to %s failed", pending.channel, pending.recipient, exc_info=True)
                store.release_delivery(pending, f"{type(error).__name__}: {error}")
                failed.append(f"{pending.channel}:{pending.recipient}")
                continue
            store.mark_sent(pending, message_id, _now(self.clock))
            sent += 1
        return sent, failed

    # ---------------------------------------------------------------- the inbox
    def inbox(self, actor: Actor, limit: int | None, cursor: str | None) -> dict[str, Any]:
        """The caller's notifications, newest first, and how many are unread."""
        page: Page[Any] = store.inbox_page(actor.subject, limit, cursor)
        return {
            "items": [notification_view(i) for i in page.items],
            "next_cursor": page.next_cursor,
            "unreadCount": store.unread_count(actor.subject),
        }

    def unread(self, actor: Actor) -> dict[str, Any]:
        return {"unreadCount": store.unread_count(actor.subject)}

    def mark_read(self, actor: Actor, notification_id: str) -> dict[str, Any]:
        """Mark one of the caller's notifications read (again: the same answer); another's is a 404."""
        now = _now(self.clock)
        item = store.notification(actor.subject, notification_id)
        if item is None:
            raise NotFound("no such notification")
        if item.readAt is None and store.mark_read(actor.subject, notification_id, now):
            item.readAt = now
        elif item.readAt is None:
            item = store.notification(actor.subject, notification_id) or item
        return {**notification_view(item), "unreadCount": store.unread_count(actor.subject)}

    def mark_all_read(self, actor: Actor) -> dict[str, Any]:
        """Mark every unread notification of the caller read (in batches of one transaction each)."""
        for _ in range(MARK_ALL_ROUNDS):
            ids = store.unread_ids(actor.subject, store.MARK_ALL_BATCH)
            if not ids:
                break
            try:
                store.mark_all_read(actor.subject, ids, _now(self.clock))
            except TransactionCancelled:
                continue  # one was read meanwhile: read the unread ones again
        return {"unreadCount": store.unread_count(actor.subject)}

    # ---------------------------------------------------------------- preferences
    def preferences(self, actor: Actor) -> dict[str, Any]:
        stored = store.preferences([actor.subject]).get(actor.subject)
        return {"userId": actor.subject, **Preferences.from_json(stored).to_json()}

    def put_preferences(self, actor: Actor, changes: Mapping[str, Any]) -> dict[str, Any]:
        """Change some of the caller's preferences (what the body leaves out stays as it is)."""
        current = Preferences.from_json(store.preferences([actor.subject]).get(actor.subject)).to_json()
        merged = {**current}
        for name in ("locale", "email", "phone"):
            if name in changes:
                merged[name] = changes[name]
        for name in ("channels", "categories"):
            merged[name] = {**current[name], **(changes.get(name) or {})}
        data = Preferences.from_json(merged).to_json()
        store.put_preferences(actor.subject, data, _now(self.clock))
        return {"userId": actor.subject, **data}

    # ---------------------------------------------------------------- store rules
    def rules(self, actor: Actor, store_id: str) -> dict[str, Any]:
        if not actor.can(Permission.NOTIFICATION_SETTINGS):
            raise Forbidden("notification rules are for admin")
        data, version = store.rules_of(store_id)
        return self._rules_view(store_id, data, version)

    @staticmethod
    def _rules_view(store_id: str, data: Mapping[str, Any] | None, version: int) -> dict[str, Any]:
        return {
            "storeId": store_id,
            **StoreRules.from_json(data).to_json(),
            "stored": data is not None,
            "version": version,
            "audit": [audit_view(a) for a in audit_records(f"{store.RULES_AUDIT}{store_id}", 20)],
        }

    def put_rules(
        self,
        actor: Actor,
        store_id: str,
        events_: Mapping[str, Sequence[str]],
        staff: Sequence[str],
        locale: str,
        if_match: int | None,
        reason: str | None,
    ) -> dict[str, Any]:
        """Replace a store's rules (validated: 422 on events or channels no notification uses), audited."""
        if not actor.can(Permission.NOTIFICATION_SETTINGS):
            raise Forbidden("notification rules are for admin")
        rules = store_rules(events_, staff, locale)
        before, version = store.rules_of(store_id)
        if if_match is not None and if_match != version:
            raise PreconditionFailed("the rules changed since you read them (If-Match)")
        try:
            new_version = store.put_rules(
                store_id,
                rules.to_json(),
                expected_version=version,
                actor=actor,
                before=before,
                reason=reason,
                now=_now(self.clock),
            )
        except TransactionCancelled as cancelled:
            raise Conflict("the rules were changed concurrently; read them again") from cancelled
        return {"storeId": store_id, **rules.to_json(), "stored": True, "version": new_version}

    # ---------------------------------------------------------------- the payment timer's reminder
    def remind_payment(self, order_id: str) -> dict[str, Any]:
        """The payment timer's reminder task: a PaymentReminderDue event, once per deadline, only while the
        order is still PENDING_PAYMENT with its deadline ahead."""
        from oms.store.orders import OrderRepository, add_event
        from oms.views.orders import order_summary

        record = OrderRepository().get_order(order_id)
        if record is None or record.status is not OrderStatus.PENDING_PAYMENT:
            return {"orderId": order_id, "result": "skipped", "status": record.status.value if record else None}
        deadline = record.header.paymentDeadline
        now = _now(self.clock)
        if not deadline or parse_rfc3339(deadline) <= self.clock():
            return {"orderId": order_id, "result": "skipped", "status": record.status.value}
        tx = Transaction()
        store.record_payment_reminder(tx, order_id, deadline, now)
        add_event(tx, order_id, events.payment_reminder_due(order_summary(record.header)), now)
        try:
            tx.commit()
        except TransactionCancelled:
            return {"orderId": order_id, "result": "skipped", "status": None}  # paid meanwhile, or reminded
        return {"orderId": order_id, "result": "reminded", "status": record.status.value, "deadline": deadline}


def _order(event: BusEvent) -> str | None:
    order_id = event.detail.get("orderId")
    return str(order_id) if order_id else None


def _stores(event: BusEvent) -> list[str]:
    detail = event.detail
    if detail.get("storeIds"):
        return [str(s) for s in detail["storeIds"]]
    if detail.get("storeId"):
        return [str(detail["storeId"])]
    order_id = _order(event)
    return store.order_stores(order_id) if order_id else []
