"""Pricing administration: promotions, coupon templates and issuance, customers' coupons, points
programmes, FX rates and points accounts (read, staff adjustments)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from oms import snapstart, wiring
from oms.api.auth import require
from oms.api.http import (
    actor,
    etag,
    idempotency_key,
    if_match,
    json_response,
    make_resolver,
    page_response,
    parse_body,
    query_int,
)
from oms.api.pricing_schemas import (
    CouponTemplateIn,
    DisableIn,
    FxRatesIn,
    IssueIn,
    PointsAdjustmentIn,
    PointsProgrammesIn,
    PromotionIn,
    fx_rates_from_body,
    points_rules_from_body,
    promotion_from_body,
    template_from_body,
)
from oms.domain.ids import new_id
from oms.domain.permissions import Permission
from oms.services.idempotency import request_fingerprint

logger = Logger()
app = make_resolver(logger)
services = wiring.services()
snapstart.build_before_snapshot(services, "pricing_admin")


def _query(name: str) -> str | None:
    return app.current_event.get_query_string_value(name)


def _replayed(status: int, body: dict[str, Any], replayed: bool) -> Response[str]:
    return json_response(status, body, {"Idempotent-Replayed": "true"} if replayed else None)


# ---------------------------------------------------------------- promotions
@app.get("/promotions")
def list_promotions() -> Response[str]:
    items = services.pricing_admin.promotions(actor(app), _query("storeId"), _query("status"))
    return json_response(200, {"items": items, "next_cursor": None})


@app.post("/promotions")
def create_promotion() -> Response[str]:
    who = actor(app)
    require(who, Permission.PROMOTION_MANAGE)
    body = parse_body(app, PromotionIn)
    created = services.pricing_admin.create_promotion(who, promotion_from_body(body, new_id()), body.reason)
    headers = {**etag(created["version"]), "Location": f"/promotions/{created['promotionId']}"}
    return json_response(201, created, headers)


@app.get("/promotions/<promotionId>")
def get_promotion(promotionId: str) -> Response[str]:
    found = services.pricing_admin.promotion(actor(app), promotionId)
    return json_response(200, found, etag(found["version"]))


@app.put("/promotions/<promotionId>")
def replace_promotion(promotionId: str) -> Response[str]:
    who = actor(app)
    require(who, Permission.PROMOTION_MANAGE)
    body = parse_body(app, PromotionIn)
    replaced = services.pricing_admin.replace_promotion(
        who, promotion_from_body(body, promotionId), if_match(app), body.reason
    )
    return json_response(200, replaced, etag(replaced["version"]))


@app.delete("/promotions/<promotionId>")
def end_promotion(promotionId: str) -> Response[str]:
    who = actor(app)
    require(who, Permission.PROMOTION_MANAGE)
    body = parse_body(app, DisableIn, optional=True)
    ended = services.pricing_admin.end_promotion(who, promotionId, if_match(app), body.reason)
    return json_response(200, ended, etag(ended["version"]))


# ---------------------------------------------------------------- coupon templates
@app.get("/coupon-templates")
def list_templates() -> Response[str]:
    return page_response(services.pricing_admin.templates(actor(app), query_int(app, "limit"), _query("cursor")))


@app.post("/coupon-templates")
def create_template() -> Response[str]:
    who = actor(app)
    require(who, Permission.PROMOTION_MANAGE)
    body = parse_body(app, CouponTemplateIn)
    created = services.pricing_admin.create_template(who, template_from_body(body, new_id()), body.reason)
    headers = {**etag(created["version"]), "Location": f"/coupon-templates/{created['templateId']}"}
    return json_response(201, created, headers)


@app.get("/coupon-templates/<templateId>")
def get_template(templateId: str) -> Response[str]:
    found = services.pricing_admin.template(actor(app), templateId)
    return json_response(200, found, etag(found["version"]))


@app.post("/coupon-templates/<templateId>/disable")
def disable_template(templateId: str) -> Response[str]:
    who = actor(app)
    require(who, Permission.PROMOTION_MANAGE)
    body = parse_body(app, DisableIn, optional=True)
    disabled = services.pricing_admin.disable_template(who, templateId, if_match(app), body.reason)
    return json_response(200, disabled, etag(disabled["version"]))


@app.post("/coupon-templates/<templateId>/coupons")
def issue_coupons(templateId: str) -> Response[str]:
    who = actor(app)
    require(who, Permission.PROMOTION_MANAGE)
    # Optional here (recommended): with a key a retried request replays instead of issuing twice.
    key = idempotency_key(app) if "idempotency-key" in app.current_event.headers else None
    body = parse_body(app, IssueIn)
    status, result, replayed = services.pricing_admin.issue(
        who,
        templateId,
        customer_ids=body.customerIds,
        public_code=body.publicCode,
        reason=body.reason,
        idempotency_key=key,
        fingerprint=request_fingerprint({"issue": templateId, **body.model_dump()}),
    )
    return _replayed(status, result, replayed)


@app.get("/coupon-templates/<templateId>/coupons")
def template_coupons(templateId: str) -> Response[str]:
    return page_response(
        services.pricing_admin.template_coupons(actor(app), templateId, query_int(app, "limit"), _query("cursor"))
    )


# ---------------------------------------------------------------- coupons
@app.get("/coupons")
def my_coupons() -> Response[str]:
    return page_response(
        services.pricing_admin.my_coupons(actor(app), _query("status"), query_int(app, "limit"), _query("cursor"))
    )


@app.get("/coupons/<code>")
def get_coupon(code: str) -> Response[str]:
    return json_response(200, services.pricing_admin.coupon(actor(app), code))


# ---------------------------------------------------------------- settings
@app.get("/settings/points-rules")
def get_points_rules() -> Response[str]:
    result = services.pricing_admin.points_rules(actor(app))
    return json_response(200, result, etag(result["version"]))


@app.put("/settings/points-rules")
def put_points_rules() -> Response[str]:
    who = actor(app)
    require(who, Permission.PRICING_SETTINGS)
    body = parse_body(app, PointsProgrammesIn)
    result = services.pricing_admin.put_points_rules(who, points_rules_from_body(body), if_match(app), body.reason)
    return json_response(200, result, etag(result["version"]))


@app.get("/settings/fx-rates")
def get_fx_rates() -> Response[str]:
    result = services.pricing_admin.fx_rates(actor(app))
    return json_response(200, result, etag(result["version"]))


@app.put("/settings/fx-rates")
def put_fx_rates() -> Response[str]:
    who = actor(app)
    require(who, Permission.PRICING_SETTINGS)
    body = parse_body(app, FxRatesIn)
    result = services.pricing_admin.put_fx_rates(
        who, body.reportingCurrency, fx_rates_from_body(body), if_match(app), body.reason
    )
    return json_response(200, result, etag(result["version"]))


# ---------------------------------------------------------------- points accounts
@app.get("/customers/<customerId>/points")
def points(customerId: str) -> Response[str]:
    who = actor(app)
    subject = who.subject if customerId == "me" else customerId
    return json_response(200, services.pricing_admin.points_of(who, subject, query_int(app, "limit"), _query("cursor")))


@app.post("/customers/<customerId>/points/adjustments")
def adjust_points(customerId: str) -> Response[str]:
    who = actor(app)
    require(who, Permission.POINTS_ADJUST)
    key = idempotency_key(app)
    body = parse_body(app, PointsAdjustmentIn)
    status, result, replayed = services.pricing_admin.adjust_points(
        who,
        customerId,
        body.delta,
        reason=body.reason,
        idempotency_key=key,
        fingerprint=request_fingerprint({"pointsAdjustment": customerId, **body.model_dump()}),
    )
    return _replayed(status, result, replayed)


@logger.inject_lambda_context(clear_state=True, correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


def __getattr__(name: str) -> Any:
    """`service`: the function's pricing_admin service, built at its first use (not at import: cold start)."""
    if name == "service":
        return services.pricing_admin
    raise AttributeError(name)
