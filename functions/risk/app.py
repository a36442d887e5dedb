"""Risk control for staff: blacklists (list, add, remove; audited), the risk settings (rate and amount limits,
rules and thresholds; ETag, audited) and the manual review queue of suspicious paid orders (approve or
reject). Thin: parse, authorize, call oms, shape the response. Checkouts and payments are screened where
they happen (functions/orders, functions/payments)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from oms import snapstart, wiring
from oms.api.http import actor, answer, etag, if_match, make_resolver
from oms.api.params import Cursor, IfMatch, Limit
from oms.api.problems import HttpProblem
from oms.api.risk_schemas import (
    BlacklistEntry,
    BlacklistIn,
    BlacklistPage,
    BlacklistRemoveIn,
    RiskDecision,
    RiskReviewIn,
    RiskReviewOutcome,
    RiskReviewPage,
    RiskSettingsDetail,
    RiskSettingsIn,
    RiskSettingsOut,
)
from oms.domain.permissions import Permission
from oms.domain.risk import ListKind

logger = Logger()
app = make_resolver(logger, tag="Risk")
services = wiring.services()
snapstart.build_before_snapshot(services, "risk", "payments")

SETTINGS = "/settings/risk"


@app.endpoint("GET", "/risk/blacklist", permits=Permission.RISK_MANAGE)
def blacklist(
    kind: Annotated[ListKind, Query(description="Which list (default: user).")] = ListKind.USER,
    limit: Limit = None,
    cursor: Cursor = None,
) -> BlacklistPage:
    """One blacklist's entries, newest first."""
    page = services.risk.entries(actor(app), kind, limit, cursor)
    return answer(BlacklistPage, {"items": page.items, "next_cursor": page.next_cursor})


@app.endpoint(
    "POST", "/risk/blacklist", status=201, permits=Permission.RISK_MANAGE, also={200: "The entry existed: updated"}
)
def add_to_blacklist(body: Annotated[BlacklistIn, Body()]) -> Response[BlacklistEntry]:
    """List a user, phone, email, IP, device fingerprint or shipping address, with a reason and an optional
    expiry (`until`); audited. Listing a listed value again replaces its reason and expiry (200)."""
    created, entry = services.risk.add_entry(actor(app), body.kind, body.value, body.reason, body.until)
    return Response(201 if created else 200, "application/json", answer(BlacklistEntry, entry))


@app.endpoint("POST", "/risk/blacklist/{kind}/remove", permits=Permission.RISK_MANAGE)
def remove_from_blacklist(kind: str, body: Annotated[BlacklistRemoveIn, Body()]) -> BlacklistEntry:
    """Unlist a value, with a reason; audited (404 when it is not listed)."""
    listed = _kind(kind)
    return answer(BlacklistEntry, services.risk.remove_entry(actor(app), listed, body.value, body.reason))


@app.endpoint("GET", "/risk/reviews", permits=Permission.RISK_REVIEW)
def reviews(limit: Limit = None, cursor: Cursor = None) -> RiskReviewPage:
    """Paid orders held for a risk review, oldest first."""
    page = services.risk.reviews(actor(app), limit, cursor)
    return answer(RiskReviewPage, {"items": page.items, "next_cursor": page.next_cursor})


@app.endpoint("POST", "/orders/{orderId}/risk-review", permits=Permission.RISK_REVIEW, problems=(409,))
def risk_review(orderId: str, body: Annotated[RiskReviewIn, Body()]) -> RiskReviewOutcome:
    """Approve (the order is PAID and goes to the warehouse) or reject (what it received is refunded and it is
    cancelled) an order held for risk review, with a reason; audited. The same decision again answers the
    same; another decision after one is 409."""
    approve = body.decision is RiskDecision.APPROVE
    return answer(RiskReviewOutcome, services.risk.decide(actor(app), orderId, approve, body.reason))


@app.endpoint("GET", SETTINGS, permits=Permission.RISK_MANAGE, headers=("ETag",))
def risk_settings() -> Response[RiskSettingsDetail]:
    """The risk settings (the defaults until stored), their version (ETag) and newest changes."""
    result = services.risk.settings(actor(app))
    return Response(200, "application/json", answer(RiskSettingsDetail, result), etag(result["version"]))


@app.endpoint("PUT", SETTINGS, permits=Permission.RISK_MANAGE, problems=(409, 412), headers=("ETag",))
def put_risk_settings(body: Annotated[RiskSettingsIn, Body()], ifMatch: IfMatch = None) -> Response[RiskSettingsOut]:
    """Replace the risk settings (rate limits, amount limits, rules and thresholds), audited."""
    result = services.risk.put_settings(actor(app), body.settings(), if_match(app), body.reason)
    return Response(200, "application/json", answer(RiskSettingsOut, result), etag(result["version"]))


def _kind(kind: str) -> ListKind:
    try:
        return ListKind(kind)
    except ValueError as error:
        raise HttpProblem(404, "not-found", "Not found", f"no such list: {kind}", parameter="kind") from error


@logger.inject_lambda_context(clear_state=True, correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
