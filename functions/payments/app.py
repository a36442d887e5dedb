"""Payments: pay an order, read its payments and ledger, review bank transfers, sync with the provider,
decide refunds a provider refused, customer balances, abnormal-payment cases and payment-method settings
(`/settings/payment-methods/{storeId}`; `/settings/payment-channels/{storeId}` is its former name, kept as
an alias)."""

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
    idempotency_key,
    if_match,
    json_response,
    make_resolver,
    page_response,
    parse_body,
    query_int,
)
from oms.api.payment_schemas import (
    BalanceAdjustmentIn,
    ChannelSettingsIn,
    PaymentIn,
    RefundResolveIn,
    ResolveIn,
    ReviewIn,
)
from oms.api.problems import HttpProblem
from oms.domain.payment import AnomalyStatus, ChannelSettings, FeeBearer, PaymentMethod
from oms.domain.permissions import Permission
from oms.services.idempotency import request_fingerprint

logger = Logger()
app = make_resolver(logger)
services = wiring.services()
snapstart.build_before_snapshot(services, "payments")


def _replayed(status: int, body: dict[str, Any], replayed: bool) -> Response[str]:
    return json_response(status, body, {"Idempotent-Replayed": "true"} if replayed else None)


@app.post("/orders/<orderId>/payments")
def create_payment(orderId: str) -> Response[str]:
    who = actor(app)
    require(who, Permission.PAYMENT_CREATE)
    key = idempotency_key(app)
    body = parse_body(app, PaymentIn)
    status, result, replayed = services.payments.create_payment(
        who,
        orderId,
        PaymentMethod(body.method),
        idempotency_key=key,
        fingerprint=request_fingerprint({"orderId": orderId, **body.model_dump()}),
    )
    return _replayed(status, result, replayed)


@app.get("/orders/<orderId>/payments")
def order_payments(orderId: str) -> Response[str]:
    return json_response(200, services.payments.payments_of(actor(app), orderId))


@app.post("/orders/<orderId>/payments/<paymentId>/review")
def review(orderId: str, paymentId: str) -> Response[str]:
    who = actor(app)
    require(who, Permission.PAYMENT_REVIEW)
    body = parse_body(app, ReviewIn)
    return json_response(
        200, services.payments.review(who, orderId, paymentId, approve=body.decision == "approve", reason=body.reason)
    )


@app.post("/orders/<orderId>/payments/<paymentId>/sync")
def sync(orderId: str, paymentId: str) -> Response[str]:
    return json_response(200, services.payments.sync(actor(app), orderId, paymentId))


@app.post("/orders/<orderId>/refunds/<refundId>/resolve")
def resolve_refund(orderId: str, refundId: str) -> Response[str]:
    who = actor(app)
    require(who, Permission.REFUND_RESOLVE)
    body = parse_body(app, RefundResolveIn)
    return json_response(
        200,
        services.payments.resolve_refund(
            who, orderId, refundId, body.decision, note=body.note, reference=body.reference
        ),
    )


@app.get("/customers/<customerId>/balance")
def balance(customerId: str) -> Response[str]:
    who = actor(app)
    subject = who.subject if customerId == "me" else customerId
    return json_response(
        200,
        services.payments.balance_of(
            who, subject, query_int(app, "limit"), app.current_event.get_query_string_value("cursor")
        ),
    )


@app.post("/customers/<customerId>/balance/adjustments")
def adjust_balance(customerId: str) -> Response[str]:
    who = actor(app)
    require(who, Permission.BALANCE_ADJUST)
    key = idempotency_key(app)
    body = parse_body(app, BalanceAdjustmentIn)
    status, result, replayed = services.payments.adjust_balance(
        who,
        customerId,
        body.amount.money(),
        credit=body.direction == "credit",
        reason=body.reason,
        idempotency_key=key,
        fingerprint=request_fingerprint({"customerId": customerId, **body.model_dump()}),
    )
    return _replayed(status, result, replayed)


@app.get("/anomalies")
def anomalies() -> Response[str]:
    raw = app.current_event.get_query_string_value("status") or "OPEN"
    try:
        status = AnomalyStatus(raw)
    except ValueError as error:
        raise HttpProblem(
            422,
            "validation-failed",
            "The request is not valid",
            "status is OPEN or RESOLVED",
            errors=[{"field": "status", "message": "OPEN or RESOLVED", "code": "enum"}],
        ) from error
    return page_response(
        services.payments.anomalies(
            actor(app), status, query_int(app, "limit"), app.current_event.get_query_string_value("cursor")
        )
    )


@app.post("/anomalies/<anomalyId>/resolve")
def resolve(anomalyId: str) -> Response[str]:
    who = actor(app)
    require(who, Permission.ANOMALY_MANAGE)
    body = parse_body(app, ResolveIn)
    return json_response(
        200,
        services.payments.resolve_anomaly(who, anomalyId, body.note, decision=body.decision, remainder=body.remainder),
    )


@app.get("/settings/payment-methods/<storeId>")
@app.get("/settings/payment-channels/<storeId>")
def get_payment_methods(storeId: str) -> Response[str]:
    result = services.payments.channel_settings(actor(app), storeId)
    return json_response(200, result, {"ETag": f'"{result["version"]}"'})


@app.put("/settings/payment-methods/<storeId>")
@app.put("/settings/payment-channels/<storeId>")
def put_payment_methods(storeId: str) -> Response[str]:
    who = actor(app)
    require(who, Permission.PAYMENT_SETTINGS)
    body = parse_body(app, ChannelSettingsIn)
    channels = {
        method: ChannelSettings(method, c.enabled, c.minAmount, c.maxAmount, c.feeRateBps, FeeBearer(c.feeBearer))
        for method, c in body.channels.items()
    }
    result = services.payments.put_channel_settings(who, storeId, channels, if_match(app), body.reason)
    return json_response(200, result, {"ETag": f'"{result["version"]}"'})


@logger.inject_lambda_context(clear_state=True, correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


def __getattr__(name: str) -> Any:
    """`service`: the function's payments service, built at its first use (not at import: cold start)."""
    if name == "service":
        return services.payments
    raise AttributeError(name)
