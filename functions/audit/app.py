"""The audit trail (admin), an order's timeline, and personal data: support's reveal of one order's contact
details, a customer's erasure, the data-retention setting. Thin: parse, authorize, call oms, shape the
response. The retention job itself is functions/data_retention, on a schedule."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from oms import snapstart, wiring
from oms.api.audit_schemas import (
    AuditPage,
    ContactRevealed,
    ContactRevealIn,
    CustomerErasure,
    CustomerErasureIn,
    DataRetention,
    DataRetentionIn,
    TimelinePage,
)
from oms.api.http import actor, answer, etag, if_match, make_resolver
from oms.api.params import Cursor, IdempotencyKey, IfMatch, Limit, replayed_header
from oms.domain.permissions import Permission
from oms.services.idempotency import request_fingerprint

logger = Logger()
app = make_resolver(logger, tag="Audit")
services = wiring.services()
snapstart.build_before_snapshot(services, "audit", "timeline", "personal_data")

RETENTION = "/settings/data-retention"
Key = Annotated[str | None, Query(min_length=1, max_length=256, pattern=r"^[^\x00-\x1f\x7f]+$")]


@app.endpoint("GET", "/audit", permits=Permission.AUDIT_READ)
def trail(
    actor_: Annotated[str | None, Query(alias="actor", min_length=1, max_length=256, description="Who acted.")] = None,
    action: Annotated[
        str | None,
        Query(max_length=64, pattern=r"^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$", description="e.g. order.hold"),
    ] = None,
    subject: Key = None,
    from_: Annotated[str | None, Query(alias="from", max_length=40, description="RFC 3339 (inclusive).")] = None,
    to: Annotated[str | None, Query(max_length=40, description="RFC 3339 (exclusive; default now).")] = None,
    limit: Limit = None,
    cursor: Cursor = None,
) -> AuditPage:
    """The audit trail, newest first: staff actions, settings changes and staff status changes, with who,
    role, when, what (before → after), why, request id and source IP. Filter by actor, action, subject
    (`ORDER#<orderId>`, `PROMOTION#<id>`, `CUSTOMER#<id>`, ...) and time; without actor, action or subject
    the range is the last 24 hours by default and at most 31 days (422 beyond)."""
    page = services.audit.trail(
        actor(app),
        by=actor_,
        action=action,
        subject=subject,
        time_from=from_,
        time_to=to,
        limit=limit,
        cursor=cursor,
    )
    return answer(AuditPage, {"items": page.items, "next_cursor": page.next_cursor})


@app.endpoint("GET", "/orders/{orderId}/timeline")
def timeline(orderId: str, limit: Limit = None, cursor: Cursor = None) -> TimelinePage:
    """Everything that happened to an order, oldest first: status changes, payments, refunds, shipments and
    tracking, after-sales cases, notes and communications, abnormal payments and staff actions. The shopper
    sees their view: no internal notes, anomalies or audit entries, no staff identities or request traces."""
    page = services.timeline.timeline(actor(app), orderId, limit, cursor)
    return answer(TimelinePage, {"items": page.items, "next_cursor": page.next_cursor})


@app.endpoint(
    "POST", "/orders/{orderId}/personal-data/reveal", permits=Permission.PERSONAL_DATA_REVEAL, problems=(409,)
)
def reveal(orderId: str, body: Annotated[ContactRevealIn, Body()]) -> ContactRevealed:
    """Show one order's contact details (the fields asked for: name, phone, address) to support, with a
    reason: audited (`personal-data.reveal`) before the answer. 409 once the order's data was erased."""
    return answer(ContactRevealed, services.personal_data.reveal(actor(app), orderId, body.fields, body.reason))


@app.endpoint(
    "POST",
    "/customers/{customerId}/erasure",
    permits=Permission.PERSONAL_DATA_ERASE,
    headers=("Idempotent-Replayed",),
)
def erase(
    customerId: str, body: Annotated[CustomerErasureIn, Body()], key: IdempotencyKey
) -> Response[CustomerErasure]:
    """Pseudonymise the personal data (name, phone, street address, checkout note, communications' text)
    of a customer's completed, cancelled and closed orders; amounts, ledger, payments and refunds stay.
    Open orders are listed, not erased. 404 for a customer without orders; the same Idempotency-Key and
    body again answers the first result."""
    status, result, replayed = services.personal_data.erase_customer(
        actor(app),
        customerId,
        body.reason,
        idempotency_key=key,
        fingerprint=request_fingerprint({"customerId": customerId, **body.model_dump(mode="json")}),
    )
    return Response(status, "application/json", answer(CustomerErasure, result), replayed_header(replayed))


@app.endpoint("GET", RETENTION, permits=Permission.PERSONAL_DATA_ERASE, headers=("ETag",))
def retention() -> Response[DataRetention]:
    """The data-retention setting (its version as the ETag): how long closed orders keep personal data."""
    result = services.personal_data.retention()
    return Response(200, "application/json", answer(DataRetention, result), etag(result["version"]))


@app.endpoint("PUT", RETENTION, permits=Permission.PERSONAL_DATA_ERASE, problems=(409, 412), headers=("ETag",))
def put_retention(body: Annotated[DataRetentionIn, Body()], ifMatch: IfMatch = None) -> Response[DataRetention]:
    """Change the data-retention setting (audited, `data-retention.update`; If-Match: 412 when it changed)."""
    result = services.personal_data.put_retention(
        actor(app), enabled=body.enabled, closed_days=body.closedDays, reason=body.reason, if_match=if_match(app)
    )
    return Response(200, "application/json", answer(DataRetention, result), etag(result["version"]))


@logger.inject_lambda_context(clear_state=True, correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
