"""The caller's notifications (the in-app inbox: list, unread count, mark read), their notification
preferences, and a store's notification rules (admin, audited). Thin: parse, authorize, call oms, shape
the response. The messages themselves are sent by the notifications consumer (functions/notifications)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from oms import snapstart, wiring
from oms.api.http import actor, answer, etag, if_match, make_resolver
from oms.api.notification_schemas import (
    NotificationPage,
    NotificationRead,
    PreferencesIn,
    PreferencesOut,
    ReadAllIn,
    Rules,
    RulesDetail,
    RulesIn,
    UnreadCount,
)
from oms.api.params import Cursor, IfMatch, Limit
from oms.domain.permissions import Permission

logger = Logger()
app = make_resolver(logger, tag="Notifications")
services = wiring.services()
snapstart.build_before_snapshot(services, "notifications")

RULES = "/settings/notifications/{storeId}"


@app.endpoint("GET", "/me/notifications")
def inbox(limit: Limit = None, cursor: Cursor = None) -> NotificationPage:
    """The caller's notifications, newest first, with how many are unread."""
    return answer(NotificationPage, services.notifications.inbox(actor(app), limit, cursor))


@app.endpoint("GET", "/me/notifications/unread-count")
def unread_count() -> UnreadCount:
    """How many of the caller's notifications are unread."""
    return answer(UnreadCount, services.notifications.unread(actor(app)))


@app.endpoint("POST", "/me/notifications/read-all")
def read_all(body: Annotated[ReadAllIn | None, Body()] = None) -> UnreadCount:
    """Mark every notification of the caller read (no body, or `{}`)."""
    return answer(UnreadCount, services.notifications.mark_all_read(actor(app)))


@app.endpoint("POST", "/me/notifications/{notificationId}/read")
def read(notificationId: str) -> NotificationRead:
    """Mark one of the caller's notifications read (once: again answers the same); another person's is a 404."""
    return answer(NotificationRead, services.notifications.mark_read(actor(app), notificationId))


@app.endpoint("GET", "/me/notification-preferences")
def preferences() -> PreferencesOut:
    """The caller's notification preferences (every channel and category on until switched off)."""
    return answer(PreferencesOut, services.notifications.preferences(actor(app)))


@app.endpoint("PUT", "/me/notification-preferences")
def put_preferences(body: Annotated[PreferencesIn, Body()]) -> PreferencesOut:
    """Change some of the caller's preferences: channels and categories on or off, locale, email and phone."""
    changes = body.model_dump(mode="json", exclude_unset=True)
    return answer(PreferencesOut, services.notifications.put_preferences(actor(app), changes))


@app.endpoint("GET", RULES, permits=Permission.NOTIFICATION_SETTINGS, headers=("ETag",))
def rules(storeId: str) -> Response[RulesDetail]:
    """A store's notification rules (`default`: the platform's, for stores without their own), their
    version (ETag) and newest changes."""
    result = services.notifications.rules(actor(app), storeId)
    return Response(200, "application/json", answer(RulesDetail, result), etag(result["version"]))


@app.endpoint("PUT", RULES, permits=Permission.NOTIFICATION_SETTINGS, problems=(409, 412), headers=("ETag",))
def put_rules(storeId: str, body: Annotated[RulesIn, Body()], ifMatch: IfMatch = None) -> Response[Rules]:
    """Replace a store's notification rules, with an audit entry (422 for an event no notification is sent
    for, or a channel that event does not use)."""
    result = services.notifications.put_rules(
        actor(app), storeId, body.events, body.staff, body.locale.value, if_match(app), body.reason
    )
    return Response(200, "application/json", answer(Rules, result), etag(result["version"]))


@logger.inject_lambda_context(clear_state=True, correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
