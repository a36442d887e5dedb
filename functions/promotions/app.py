"""Pricing administration: promotions, coupon templates and issuance, customers' coupons, points
programmes, FX rates and points accounts (read, staff adjustments).

Writes name their permission at the edge (`permits`: 403 before the body is read); reads meant for staff
are refused by the service (403), which decides who counts as staff."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from oms import snapstart, wiring
from oms.api.http import (
    IDEMPOTENCY_HEADER,
    IDEMPOTENCY_KEY_MAX,
    actor,
    answer,
    etag,
    if_match,
    make_resolver,
)
from oms.api.params import RETRY_SAFE, Cursor, IfMatch, Limit, replayed_header
from oms.api.pricing_schemas import (
    CouponTemplateIn,
    DisableIn,
    FxRatesIn,
    IssueIn,
    MemberTiersIn,
    PointsAdjustmentIn,
    PointsProgrammesIn,
    PromotionIn,
    fx_rates_from_body,
    member_tiers_from_body,
    points_rules_from_body,
    promotion_from_body,
    template_from_body,
)
from oms.api.pricing_views import (
    Coupon,
    CouponPage,
    CouponTemplate,
    CouponTemplateDetail,
    CouponTemplatePage,
    FxRates,
    FxRatesDetail,
    IssuedCoupons,
    Membership,
    MemberTiers,
    MemberTiersDetail,
    PointsAccount,
    PointsAdjustment,
    PointsRules,
    PointsRulesDetail,
    Promotion,
    PromotionDetail,
    PromotionPage,
)
from oms.domain.ids import new_id
from oms.domain.permissions import Permission
from oms.services.idempotency import request_fingerprint

logger = Logger()
app = make_resolver(logger, tag="Promotions")
services = wiring.services()
snapstart.build_before_snapshot(services, "pricing_admin")


# ---------------------------------------------------------------- promotions
@app.endpoint("GET", "/promotions", problems=(403,))
def list_promotions(
    storeId: Annotated[str | None, Query(description="Only this store's promotions.")] = None,
    status: Annotated[Literal["ACTIVE", "ENDED"] | None, Query(description="Only promotions in this status.")] = None,
) -> PromotionPage:
    """Every promotion (staff), newest first, by store and status: one page."""
    items = services.pricing_admin.promotions(actor(app), storeId, status)
    return answer(PromotionPage, {"items": items, "next_cursor": None})


@app.endpoint(
    "POST",
    "/promotions",
    status=201,
    permits=Permission.PROMOTION_MANAGE,
    problems=(409,),
    headers=(
        "ETag",
        "Location",
    ),
)
def create_promotion(body: Annotated[PromotionIn, Body()]) -> Response[Promotion]:
    """Create a promotion: checkout applies it within its window."""
    created = services.pricing_admin.create_promotion(actor(app), promotion_from_body(body, new_id()), body.reason)
    headers = {**etag(created["version"]), "Location": f"/promotions/{created['promotionId']}"}
    return Response(201, "application/json", answer(Promotion, created), headers)


@app.endpoint("GET", "/promotions/{promotionId}", problems=(403,), headers=("ETag",))
def get_promotion(promotionId: str) -> Response[PromotionDetail]:
    """A promotion with its audit entries (ETag: its version)."""
    found = services.pricing_admin.promotion(actor(app), promotionId)
    return Response(200, "application/json", answer(PromotionDetail, found), etag(found["version"]))


@app.endpoint(
    "PUT", "/promotions/{promotionId}", permits=Permission.PROMOTION_MANAGE, problems=(400, 409, 412), headers=("ETag",)
)
def replace_promotion(
    promotionId: str, body: Annotated[PromotionIn, Body()], ifMatch: IfMatch = None
) -> Response[Promotion]:
    """Replace a live promotion as a whole (an ended one stays ended)."""
    replaced = services.pricing_admin.replace_promotion(
        actor(app), promotion_from_body(body, promotionId), if_match(app), body.reason
    )
    return Response(200, "application/json", answer(Promotion, replaced), etag(replaced["version"]))


@app.endpoint(
    "DELETE",
    "/promotions/{promotionId}",
    permits=Permission.PROMOTION_MANAGE,
    problems=(400, 409, 412),
    headers=("ETag",),
)
def end_promotion(
    promotionId: str, body: Annotated[DisableIn | None, Body()] = None, ifMatch: IfMatch = None
) -> Response[Promotion]:
    """End a promotion at once; it stays listed for history (ending twice changes nothing)."""
    reason = body.reason if body is not None else None
    ended = services.pricing_admin.end_promotion(actor(app), promotionId, if_match(app), reason)
    return Response(200, "application/json", answer(Promotion, ended), etag(ended["version"]))


# ---------------------------------------------------------------- coupon templates
@app.endpoint("GET", "/coupon-templates", problems=(403,))
def list_templates(limit: Limit = None, cursor: Cursor = None) -> CouponTemplatePage:
    """Coupon templates (staff), newest first."""
    page = services.pricing_admin.templates(actor(app), limit, cursor)
    return answer(CouponTemplatePage, {"items": page.items, "next_cursor": page.next_cursor})


@app.endpoint(
    "POST",
    "/coupon-templates",
    status=201,
    permits=Permission.PROMOTION_MANAGE,
    headers=(
        "ETag",
        "Location",
    ),
)
def create_template(body: Annotated[CouponTemplateIn, Body()]) -> Response[CouponTemplate]:
    """Create a coupon template (immutable: issued coupons carry a copy of it)."""
    created = services.pricing_admin.create_template(actor(app), template_from_body(body, new_id()), body.reason)
    headers = {**etag(created["version"]), "Location": f"/coupon-templates/{created['templateId']}"}
    return Response(201, "application/json", answer(CouponTemplate, created), headers)


@app.endpoint("GET", "/coupon-templates/{templateId}", problems=(403,), headers=("ETag",))
def get_template(templateId: str) -> Response[CouponTemplateDetail]:
    """A coupon template with its counters and audit entries (ETag: its version)."""
    found = services.pricing_admin.template(actor(app), templateId)
    return Response(200, "application/json", answer(CouponTemplateDetail, found), etag(found["version"]))


@app.endpoint(
    "POST",
    "/coupon-templates/{templateId}/disable",
    permits=Permission.PROMOTION_MANAGE,
    problems=(400, 409, 412),
    headers=("ETag",),
)
def disable_template(
    templateId: str, body: Annotated[DisableIn | None, Body()] = None, ifMatch: IfMatch = None
) -> Response[CouponTemplate]:
    """Disable a template: it issues no more coupons and its coupons are no longer usable."""
    reason = body.reason if body is not None else None
    disabled = services.pricing_admin.disable_template(actor(app), templateId, if_match(app), reason)
    return Response(200, "application/json", answer(CouponTemplate, disabled), etag(disabled["version"]))


@app.endpoint(
    "POST",
    "/coupon-templates/{templateId}/coupons",
    status=201,
    permits=Permission.PROMOTION_MANAGE,
    problems=(400, 409),
    headers=("Idempotent-Replayed",),
)
def issue_coupons(
    templateId: str,
    body: Annotated[IssueIn, Body()],
    key: Annotated[
        str | None,
        Header(
            alias=IDEMPOTENCY_HEADER,
            max_length=IDEMPOTENCY_KEY_MAX,
            description=f"Optional (recommended): without one, a repeated request issues again. {RETRY_SAFE}",
        ),
    ] = None,
) -> Response[IssuedCoupons]:
    """Issue one coupon to each named customer, or one public code (replayed: Idempotent-Replayed: true)."""
    status, result, replayed = services.pricing_admin.issue(
        actor(app),
        templateId,
        customer_ids=body.customerIds,
        public_code=body.publicCode,
        reason=body.reason,
        idempotency_key=key,
        fingerprint=request_fingerprint({"issue": templateId, **body.model_dump()}),
    )
    return Response(status, "application/json", answer(IssuedCoupons, result), replayed_header(replayed))


@app.endpoint("GET", "/coupon-templates/{templateId}/coupons", problems=(403,))
def template_coupons(templateId: str, limit: Limit = None, cursor: Cursor = None) -> CouponPage:
    """The coupons issued from a template (staff)."""
    page = services.pricing_admin.template_coupons(actor(app), templateId, limit, cursor)
    return answer(CouponPage, {"items": page.items, "next_cursor": page.next_cursor})


# ---------------------------------------------------------------- coupons
@app.endpoint("GET", "/coupons")
def my_coupons(
    status: Annotated[
        Literal["AVAILABLE", "USED", "VOID"] | None, Query(description="Only coupons in this status.")
    ] = None,
    limit: Limit = None,
    cursor: Cursor = None,
) -> CouponPage:
    """The caller's own coupons, newest first."""
    page = services.pricing_admin.my_coupons(actor(app), status, limit, cursor)
    return answer(CouponPage, {"items": page.items, "next_cursor": page.next_cursor})


@app.endpoint("GET", "/coupons/{code}")
def get_coupon(code: str) -> Coupon:
    """A coupon by its code: the owner's and staff's, or a public code (any signed-in caller)."""
    return answer(Coupon, services.pricing_admin.coupon(actor(app), code))


# ---------------------------------------------------------------- settings
@app.endpoint("GET", "/settings/points-rules", problems=(403,), headers=("ETag",))
def get_points_rules() -> Response[PointsRulesDetail]:
    """The points programmes by currency, with their audit entries (ETag: their version)."""
    result = services.pricing_admin.points_rules(actor(app))
    return Response(200, "application/json", answer(PointsRulesDetail, result), etag(result["version"]))


@app.endpoint(
    "PUT", "/settings/points-rules", permits=Permission.PRICING_SETTINGS, problems=(400, 409, 412), headers=("ETag",)
)
def put_points_rules(body: Annotated[PointsProgrammesIn, Body()], ifMatch: IfMatch = None) -> Response[PointsRules]:
    """Replace every points programme (a currency left out has none)."""
    result = services.pricing_admin.put_points_rules(
        actor(app), points_rules_from_body(body), if_match(app), body.reason
    )
    return Response(200, "application/json", answer(PointsRules, result), etag(result["version"]))


@app.endpoint("GET", "/settings/fx-rates", problems=(403,), headers=("ETag",))
def get_fx_rates() -> Response[FxRatesDetail]:
    """The reporting currency and the FX rates to it, with their audit entries (ETag: their version)."""
    result = services.pricing_admin.fx_rates(actor(app))
    return Response(200, "application/json", answer(FxRatesDetail, result), etag(result["version"]))


@app.endpoint(
    "PUT", "/settings/fx-rates", permits=Permission.PRICING_SETTINGS, problems=(400, 409, 412), headers=("ETag",)
)
def put_fx_rates(body: Annotated[FxRatesIn, Body()], ifMatch: IfMatch = None) -> Response[FxRates]:
    """Replace every FX rate (exact decimals; an unchanged rate keeps when it was set)."""
    result = services.pricing_admin.put_fx_rates(
        actor(app), body.reportingCurrency, fx_rates_from_body(body), if_match(app), body.reason
    )
    return Response(200, "application/json", answer(FxRates, result), etag(result["version"]))


@app.endpoint("GET", "/settings/member-tiers", problems=(403,), headers=("ETag",))
def get_member_tiers() -> Response[MemberTiersDetail]:
    """The member tiers, lowest first, with their audit entries (ETag: their version)."""
    result = services.pricing_admin.member_tiers(actor(app))
    return Response(200, "application/json", answer(MemberTiersDetail, result), etag(result["version"]))


@app.endpoint(
    "PUT", "/settings/member-tiers", permits=Permission.PRICING_SETTINGS, problems=(400, 409, 412), headers=("ETag",)
)
def put_member_tiers(body: Annotated[MemberTiersIn, Body()], ifMatch: IfMatch = None) -> Response[MemberTiers]:
    """Replace every member tier (thresholds on lifetime points earned, strictly increasing)."""
    result = services.pricing_admin.put_member_tiers(
        actor(app), member_tiers_from_body(body), if_match(app), body.reason
    )
    return Response(200, "application/json", answer(MemberTiers, result), etag(result["version"]))


# ---------------------------------------------------------------- membership
@app.endpoint("GET", "/me/membership")
def my_membership() -> Membership:
    """The caller's member tier, lifetime points earned, the next tier and the points missing to reach it."""
    who = actor(app)
    return answer(Membership, services.pricing_admin.membership(who, who.subject))


@app.endpoint("GET", "/customers/{customerId}/membership")
def customer_membership(customerId: str) -> Membership:
    """A customer's membership (`me`: the caller's own; others' for admin, support and finance staff)."""
    who = actor(app)
    subject = who.subject if customerId == "me" else customerId
    return answer(Membership, services.pricing_admin.membership(who, subject))


# ---------------------------------------------------------------- points accounts
@app.endpoint("GET", "/customers/{customerId}/points")
def points(customerId: str, limit: Limit = None, cursor: Cursor = None) -> PointsAccount:
    """A customer's points and ledger (`me`: the caller's own; others' for staff)."""
    who = actor(app)
    subject = who.subject if customerId == "me" else customerId
    return answer(PointsAccount, services.pricing_admin.points_of(who, subject, limit, cursor))


@app.endpoint(
    "POST",
    "/customers/{customerId}/points/adjustments",
    status=201,
    permits=Permission.POINTS_ADJUST,
    problems=(400, 409),
    headers=("Idempotent-Replayed",),
)
def adjust_points(
    customerId: str,
    body: Annotated[PointsAdjustmentIn, Body()],
    key: Annotated[
        str, Header(alias=IDEMPOTENCY_HEADER, min_length=1, max_length=IDEMPOTENCY_KEY_MAX, description=RETRY_SAFE)
    ],
) -> Response[PointsAdjustment]:
    """Credit or debit a customer's points, with a ledger and an audit entry (replayed: Idempotent-Replayed: true)."""
    status, result, replayed = services.pricing_admin.adjust_points(
        actor(app),
        customerId,
        body.delta,
        reason=body.reason,
        idempotency_key=key,
        fingerprint=request_fingerprint({"pointsAdjustment": customerId, **body.model_dump()}),
    )
    return Response(status, "application/json", answer(PointsAdjustment, result), replayed_header(replayed))


@logger.inject_lambda_context(clear_state=True, correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


def __getattr__(name: str) -> Any:
    """`service`: the function's pricing_admin service, built at its first use (not at import: cold start)."""
    if name == "service":
        return services.pricing_admin
    raise AttributeError(name)
