"""Notifications: which bus event tells whom what, on which channels — the routing table — and the
rules that narrow it (a store's rules for its orders, a person's preferences). Pure: the service
(`oms.services.notifications`) reads the settings and the event, this module decides the deliveries.

Audience: the order's shopper (`customer`) or the store's staff (`staff`, the recipients its rules name).
A channel is used when the routing table offers it for the event, the store's rules keep it on for that
event, and the recipient has not opted out of the channel or of the event's category. Every route has a
template per channel and locale (`oms/templates/notifications/<template>/<channel>.<locale>.j2`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from oms.domain.errors import InvalidRequest
from oms.domain.events import EventType


class Channel(StrEnum):
    EMAIL = "email"  # SES
    SMS = "sms"  # SNS, to a phone number
    INBOX = "inbox"  # the in-app inbox (GET /me/notifications)


class Category(StrEnum):
    """What a person opts in or out of (`PUT /me/notification-preferences`)."""

    ORDERS = "orders"  # placed, cancelled, completed
    PAYMENTS = "payments"  # paid, reminders, payment problems
    SHIPPING = "shipping"  # shipped, delivered
    REFUNDS = "refunds"  # money sent back
    AFTER_SALES = "after_sales"  # cases: received, decided, resolved
    ALERTS = "alerts"  # staff: anomalies, failed refunds, overdue cases, low and sold-out stock


class Audience(StrEnum):
    CUSTOMER = "customer"
    STAFF = "staff"


class Locale(StrEnum):
    ZH_CN = "zh-CN"
    EN = "en"


DEFAULT_LOCALE = Locale.ZH_CN
PLATFORM_RULES = "default"  # the store id of the platform's rules: used for a store that has none
MAX_STAFF_RECIPIENTS = 20


@dataclass(frozen=True)
class Route:
    """One notification an event sends: to whom, its template, the channels it may use and those on by default."""

    event: EventType
    audience: Audience
    template: str
    category: Category
    channels: frozenset[Channel]
    default_on: frozenset[Channel]


def _route(
    event: EventType, audience: Audience, template: str, category: Category, channels: str, default_on: str
) -> Route:
    return Route(
        event,
        audience,
        template,
        category,
        frozenset(Channel(c) for c in channels.split()),
        frozenset(Channel(c) for c in default_on.split()),
    )


C, S = Audience.CUSTOMER, Audience.STAFF
ALL, MAIL = "inbox email sms", "inbox email"
ROUTES: tuple[Route, ...] = (
    _route(EventType.ORDER_PLACED, C, "order_placed", Category.ORDERS, MAIL, MAIL),
    _route(EventType.ORDER_PAID, C, "order_paid", Category.PAYMENTS, ALL, MAIL),
    _route(EventType.PAYMENT_REMINDER_DUE, C, "payment_reminder", Category.PAYMENTS, ALL, ALL),
    _route(EventType.ORDER_CANCELLED, C, "order_cancelled", Category.ORDERS, ALL, MAIL),
    _route(EventType.ORDER_SHIPPED, C, "order_shipped", Category.SHIPPING, ALL, ALL),
    _route(EventType.ORDER_DELIVERED, C, "order_delivered", Category.SHIPPING, ALL, MAIL),
    _route(EventType.ORDER_COMPLETED, C, "order_completed", Category.ORDERS, MAIL, "inbox"),
    _route(EventType.REFUND_SUCCEEDED, C, "refund_succeeded", Category.REFUNDS, ALL, ALL),
    _route(EventType.CASE_OPENED, C, "case_opened", Category.AFTER_SALES, MAIL, MAIL),
    _route(EventType.CASE_UPDATED, C, "case_updated", Category.AFTER_SALES, ALL, MAIL),
    # The anomaly's own comment: "a case opened: money that did not fit (the shopper is told)".
    _route(EventType.PAYMENT_ANOMALY, C, "payment_anomaly", Category.PAYMENTS, ALL, MAIL),
    _route(EventType.PAYMENT_ANOMALY, S, "staff_payment_anomaly", Category.ALERTS, MAIL, MAIL),
    _route(EventType.REFUND_FAILED, S, "staff_refund_failed", Category.ALERTS, MAIL, MAIL),
    _route(EventType.CASE_OVERDUE, S, "staff_case_overdue", Category.ALERTS, MAIL, MAIL),
    # A SKU's stock fell to its alert level, or sold out (once per crossing): its store's staff.
    _route(EventType.LOW_STOCK, S, "staff_low_stock", Category.ALERTS, MAIL, MAIL),
    _route(EventType.SKU_SOLD_OUT, S, "staff_sku_sold_out", Category.ALERTS, MAIL, MAIL),
    # A virtual SKU's code pool fell to its alert level (once per crossing): upload codes before it is empty.
    _route(EventType.CODE_POOL_LOW, S, "staff_code_pool_low", Category.ALERTS, MAIL, MAIL),
    # Staff placed an order for the shopper: how to pay it (the link, a bank transfer, or settled offline).
    _route(EventType.MANUAL_ORDER_CREATED, C, "manual_order_created", Category.PAYMENTS, ALL, ALL),
    _route(EventType.ORDER_EDITED, C, "order_edited", Category.ORDERS, ALL, MAIL),
)
EVENTS: frozenset[EventType] = frozenset(r.event for r in ROUTES)
# The case moves the shopper hears of: the staff's and the rules' decisions, not the shopper's own moves.
CASE_MOVES_TOLD = frozenset(
    {
        "approve",
        "reject",
        "arbitrate-approve",
        "arbitrate-reject",
        "received",
        "inspected",
        "refunded",
        "replaced",
        "difference-due",
        "not-replaceable",
        "escalate",
        "expire",
        "close",
    }
)


def routes_for(event_type: str, detail: Mapping[str, Any]) -> list[Route]:
    """The routes an event takes, given its detail (a refund failing for good alerts staff; a retried one
    does not; the shopper hears of a case's move only when someone else made it)."""
    found = [r for r in ROUTES if r.event.value == event_type]
    if event_type == EventType.REFUND_FAILED and detail.get("status") != "FAILED":
        return []
    if event_type == EventType.CASE_UPDATED and (
        detail.get("role") == "customer" or str(detail.get("action")) not in CASE_MOVES_TOLD
    ):
        return []
    return found


# ---------------------------------------------------------------- store rules
@dataclass(frozen=True)
class StoreRules:
    """A store's rules for its orders: per event, the channels used (absent: the routing table's defaults);
    the staff who get its alerts; the locale of recipients who chose none."""

    events: Mapping[str, frozenset[Channel]] = field(default_factory=dict)
    staff: tuple[str, ...] = ()
    locale: Locale = DEFAULT_LOCALE

    def channels(self, route: Route) -> frozenset[Channel]:
        chosen = self.events.get(route.event.value)
        return route.default_on if chosen is None else chosen & route.channels

    def to_json(self) -> dict[str, Any]:
        return {
            "events": {event: sorted(channels) for event, channels in sorted(self.events.items())},
            "staff": list(self.staff),
            "locale": self.locale.value,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> StoreRules:
        if not data:
            return cls()
        return cls(
            {e: frozenset(Channel(c) for c in cs) for e, cs in (data.get("events") or {}).items()},
            tuple(data.get("staff") or ()),
            Locale(data.get("locale") or DEFAULT_LOCALE),
        )


def store_rules(events: Mapping[str, Sequence[str]], staff: Sequence[str], locale: str) -> StoreRules:
    """Validated rules (422 on an event the routing table does not know or a channel it does not offer
    for that event)."""
    offered: dict[str, frozenset[Channel]] = {}
    for route in ROUTES:
        offered[route.event.value] = offered.get(route.event.value, frozenset()) | route.channels
    checked: dict[str, frozenset[Channel]] = {}
    for event, channels in events.items():
        if event not in offered:
            raise InvalidRequest(f"no notification is sent for event {event!r}", field=f"events.{event}")
        unknown = sorted(set(channels) - set(offered[event]))
        if unknown:
            raise InvalidRequest(
                f"{event} is not sent on {', '.join(unknown)} (it can use {', '.join(sorted(offered[event]))})",
                field=f"events.{event}",
            )
        checked[event] = frozenset(Channel(c) for c in channels)
    if len(staff) > MAX_STAFF_RECIPIENTS:
        raise InvalidRequest(f"at most {MAX_STAFF_RECIPIENTS} staff recipients", field="staff")
    return StoreRules(checked, tuple(dict.fromkeys(staff)), Locale(locale))


def strictest(rules: Sequence[StoreRules]) -> StoreRules:
    """An order of several stores: a channel is used when every store's rules use it; every store's staff."""
    if not rules:
        return StoreRules()
    if len(rules) == 1:
        return rules[0]
    events: dict[str, frozenset[Channel]] = {}
    for route in ROUTES:
        channels = frozenset.intersection(*(r.channels(route) for r in rules))
        events[route.event.value] = events.get(route.event.value, frozenset()) | channels
    staff = tuple(dict.fromkeys(s for r in rules for s in r.staff))
    return StoreRules(events, staff, rules[0].locale)


# ---------------------------------------------------------------- a person's preferences
@dataclass(frozen=True)
class Preferences:
    """A person's choices: channels and categories switched off, their locale, where to reach them."""

    locale: Locale | None = None
    channels_off: frozenset[Channel] = frozenset()
    categories_off: frozenset[Category] = frozenset()
    email: str | None = None
    phone: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "locale": None if self.locale is None else self.locale.value,
            "channels": {c.value: c not in self.channels_off for c in Channel},
            "categories": {c.value: c not in self.categories_off for c in Category},
            "email": self.email,
            "phone": self.phone,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Preferences:
        if not data:
            return cls()
        return cls(
            Locale(data["locale"]) if data.get("locale") else None,
            frozenset(Channel(c) for c, on in (data.get("channels") or {}).items() if not on),
            frozenset(Category(c) for c, on in (data.get("categories") or {}).items() if not on),
            data.get("email"),
            data.get("phone"),
        )

    def address(self, channel: Channel, recipient: str) -> str | None:
        """Where `channel` reaches this person (the inbox is theirs by id); None: it does not."""
        if channel is Channel.INBOX:
            return recipient
        return self.email if channel is Channel.EMAIL else self.phone


@dataclass(frozen=True)
class Delivery:
    """One message to send: recipient (a user id), channel, address, template and locale."""

    recipient: str
    channel: Channel
    address: str
    template: str
    locale: Locale
    category: Category


def deliveries(
    route: Route, recipients: Sequence[str], rules: StoreRules, preferences: Mapping[str, Preferences]
) -> list[Delivery]:
    """What a route sends: for each recipient, each channel the store's rules use and the recipient keeps on
    (and can be reached on)."""
    out: list[Delivery] = []
    for recipient in dict.fromkeys(recipients):
        prefs = preferences.get(recipient, Preferences())
        if route.category in prefs.categories_off:
            continue
        locale = prefs.locale or rules.locale
        for channel in sorted(rules.channels(route) - prefs.channels_off):
            address = prefs.address(channel, recipient)
            if address:
                out.append(Delivery(recipient, channel, address, route.template, locale, route.category))
    return out
