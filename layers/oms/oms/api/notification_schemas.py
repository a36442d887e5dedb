"""Request bodies and answers of the notification routes: the caller's inbox and preferences, a store's
notification rules."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StringConstraints
from pydantic import Strict as StrictMode

from oms.api.schemas import Id, SingleLine, Strict, View
from oms.domain.notifications import MAX_STAFF_RECIPIENTS, Category, Channel, Locale

EventName = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z]+$")]
ChannelName = Annotated[str, StringConstraints(min_length=1, max_length=16, pattern=r"^[a-z]+$")]
Email = Annotated[str, StringConstraints(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"), SingleLine]
Phone = Annotated[str, StringConstraints(pattern=r"^\+[1-9][0-9]{6,14}$")]  # E.164


class PreferencesIn(Strict):
    """What to change of the caller's preferences; what is left out stays as it is."""

    locale: Locale | None = Field(None, strict=False)
    channels: dict[Annotated[Channel, StrictMode(False)], bool] | None = Field(
        None, description="Per channel: on or off."
    )
    categories: dict[Annotated[Category, StrictMode(False)], bool] | None = Field(
        None, description="Per category: on or off."
    )
    email: Email | None = None
    phone: Phone | None = Field(None, description="E.164, e.g. +8613800000000.")


class ReadAllIn(Strict):
    """No fields: the body of `POST /me/notifications/read-all` is empty or `{}` (anything else is refused)."""


class RulesIn(Strict):
    """A store's rules (replacing the stored ones): per event, the channels it sends on (an event left out
    uses its defaults; an empty list sends nothing), the staff who get the store's alerts, and the locale
    of recipients who chose none."""

    events: dict[EventName, list[ChannelName]] = Field(default_factory=dict, max_length=50)
    staff: list[Id] = Field(default_factory=list, max_length=MAX_STAFF_RECIPIENTS)
    locale: Locale = Field(Locale.ZH_CN, strict=False)
    reason: Annotated[str, StringConstraints(max_length=500), SingleLine] | None = None


class Notification(View):
    notificationId: str
    event: str
    category: Category
    title: str
    body: str
    locale: Locale
    orderId: str | None
    createdAt: str
    readAt: str | None


class NotificationRead(Notification):
    """The notification, read, and how many of the caller's are still unread."""

    unreadCount: int


class NotificationPage(View):
    """The caller's notifications, newest first, and how many are unread."""

    items: list[Notification]
    next_cursor: str | None
    unreadCount: int


class UnreadCount(View):
    unreadCount: int


class PreferencesOut(View):
    """The caller's preferences: every channel and category with whether it is on."""

    userId: str
    locale: Locale | None
    channels: dict[Channel, bool]
    categories: dict[Category, bool]
    email: str | None
    phone: str | None


class RulesAudit(View):
    action: str
    by: str
    role: str
    at: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str | None


class Rules(View):
    """A store's notification rules and their version (ETag); `stored`: false while the defaults apply."""

    storeId: str
    events: dict[str, list[Channel]]
    staff: list[str]
    locale: Locale
    stored: bool
    version: int


class RulesDetail(Rules):
    """The rules with their newest changes (at most 20, newest first)."""

    audit: list[RulesAudit]
