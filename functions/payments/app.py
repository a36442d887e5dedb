"""Payments: pay an order, read its payments and ledger, review bank transfers, sync with the provider,
decide refunds a provider refused, customer balances, abnormal-payment cases and payment-method settings
(`/settings/payment-methods/{storeId}`; `/settings/payment-channels/{storeId}` is its former name, kept as
an alias)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from oms import snapstart, wiring
from oms.api.http import actor, answer, etag, if_match, make_resolver
from oms.api.params import Cursor, IdempotencyKey, IfMatch, Limit, replayed_header
from oms.api.payment_schemas import (
    BalanceAdjustmentIn,
    ChannelSettingsIn,
    PaymentIn,
    RefundIn,
    RefundResolveIn,
    ResolveIn,
    ReviewIn,
)
from oms.api.payment_views import (
    AnomalyPage,
    BalanceAdjustment,
    CustomerBalance,
    DecidedAnomaly,
    DecidedRefund,
    FailedRefundPage,
    OrderPayments,
    OrderRefunds,
    PaymentCreated,
    PaymentMethods,
    PaymentMethodsDetail,
    RefundRequest,
    ReviewedPayment,
    SyncedPayment,
)
from oms.api.risk_schemas import DeviceFingerprint
from oms.domain.money import Money
from oms.domain.payment import AnomalyStatus, ChannelSettings, FeeBearer, PaymentMethod
from oms.domain.permissions import Permission
from oms.services.idempotency import request_fingerprint

logger = Logger()
app = make_resolver(logger, tag="Payments")
services = wiring.services()
snapstart.build_before_snapshot(services, "payments")

METHODS = "/settings/payment-methods/{storeId}"
CHANNELS = "/settings/payment-channels/{storeId}"  # the former name of METHODS, kept as an alias


@app.endpoint(
    "POST",
    "/orders/{orderId}/payments",
    status=201,
    permits=Permission.PAYMENT_CREATE,
    problems=(400, 409, 429),
    headers=("Idempotent-Replayed",),
)
def create_payment(
    orderId: str, body: Annotated[PaymentIn, Body()], key: IdempotencyKey, device: DeviceFingerprint = None
) -> Response[PaymentCreated]:
    """Pay an order's outstanding amount through a payment method (the balance pays at once).

    The same Idempotency-Key and body again answer the first attempt (Idempotent-Replayed: true)."""
    status, result, replayed = services.payments.create_payment(
        actor(app),
        orderId,
        PaymentMethod(body.method),
        idempotency_key=key,
        fingerprint=request_fingerprint({"orderId": orderId, **body.model_dump()}),
        device=device,
    )
    return Response(status, "application/json", answer(PaymentCreated, result), replayed_header(replayed))


@app.endpoint("GET", "/orders/{orderId}/payments")
def order_payments(orderId: str) -> OrderPayments:
    """An order's payment picture: what it is owed, received and gave back, its attempts, refunds and ledger."""
    return answer(OrderPayments, services.payments.payments_of(actor(app), orderId))


@app.endpoint(
    "POST", "/orders/{orderId}/payments/{paymentId}/review", permits=Permission.PAYMENT_REVIEW, problems=(409,)
)
def review(orderId: str, paymentId: str, body: Annotated[ReviewIn, Body()]) -> ReviewedPayment:
    """Finance approves a bank transfer found on the statement, or rejects one that is not (with a reason)."""
    who = actor(app)
    result = services.payments.review(who, orderId, paymentId, approve=body.decision == "approve", reason=body.reason)
    return answer(ReviewedPayment, {**result, "order": services.personal_data.masked(who, result["order"])})


@app.endpoint("POST", "/orders/{orderId}/payments/{paymentId}/sync", problems=(409,))
def sync(orderId: str, paymentId: str) -> SyncedPayment:
    """'I paid but the order says unpaid': ask the provider about the payment and apply its answer once."""
    return answer(SyncedPayment, services.payments.sync(actor(app), orderId, paymentId))


@app.endpoint(
    "POST", "/orders/{orderId}/refunds/{refundId}/resolve", permits=Permission.REFUND_RESOLVE, problems=(409,)
)
def resolve_refund(orderId: str, refundId: str, body: Annotated[RefundResolveIn, Body()]) -> DecidedRefund:
    """Finance decides a refund its provider refused: credit the balance, record a payout by hand, or retry."""
    result = services.payments.resolve_refund(
        actor(app), orderId, refundId, body.decision, note=body.note, reference=body.reference
    )
    return answer(DecidedRefund, result)


@app.endpoint(
    "POST",
    "/orders/{orderId}/refunds",
    status=201,
    permits=Permission.REFUND_CREATE,
    problems=(400, 409),
    headers=("Idempotent-Replayed",),
)
def create_refund(orderId: str, body: Annotated[RefundIn, Body()], key: IdempotencyKey) -> Response[RefundRequest]:
    """Refund lines and quantities of a child order (their paid share), its shipping, or a manual amount,
    back to the tenders the order was paid with in proportion (or all to the stored balance).

    Never more than was paid: 409 `refund-exceeds-paid`. The same Idempotency-Key and body again answer the
    first refund (Idempotent-Replayed: true)."""
    from oms.services.refunds import RefundAsk, finance_refund_id  # the service's own module: at first use

    who = actor(app)
    ask = RefundAsk(
        order_id=orderId,
        refund_id=finance_refund_id(who, key),
        reason=body.reason.value,
        note=body.note,
        child_id=body.childOrderId,
        units=tuple((line.lineNo, line.quantity) for line in body.lines),
        shipping=body.shipping,
        amount=None if body.amount is None else Money(body.amount.amount, body.amount.currency),
        to_balance=body.toBalance,
    )
    status, result, replayed = services.refunds.create(
        who,
        ask,
        idempotency_key=key,
        fingerprint=request_fingerprint({"orderId": orderId, **body.model_dump(mode="json")}),
    )
    return Response(status, "application/json", answer(RefundRequest, result), replayed_header(replayed))


@app.endpoint("GET", "/orders/{orderId}/refunds")
def order_refunds(orderId: str) -> OrderRefunds:
    """An order's refund requests with their legs and status, and its payment picture."""
    return answer(OrderRefunds, services.refunds.refunds_of(actor(app), orderId))


@app.endpoint("GET", "/refunds", problems=(403,))
def failed_refunds(
    status: Annotated[Literal["FAILED"], Query(description="FAILED: refunds their provider refused.")] = "FAILED",
    limit: Limit = None,
    cursor: Cursor = None,
) -> FailedRefundPage:
    """The finance queue: refund legs their provider refused, oldest first (decide each with
    POST /orders/{orderId}/refunds/{refundId}/resolve)."""
    del status
    page = services.refunds.failed(actor(app), limit, cursor)
    return answer(FailedRefundPage, {"items": page.items, "next_cursor": page.next_cursor})


@app.endpoint("GET", "/customers/{customerId}/balance")
def balance(customerId: str, limit: Limit = None, cursor: Cursor = None) -> CustomerBalance:
    """A customer's stored balance and its movements, newest first (`me`: the caller's own)."""
    who = actor(app)
    subject = who.subject if customerId == "me" else customerId
    return answer(CustomerBalance, services.payments.balance_of(who, subject, limit, cursor))


@app.endpoint(
    "POST",
    "/customers/{customerId}/balance/adjustments",
    status=201,
    permits=Permission.BALANCE_ADJUST,
    problems=(400, 409),
    headers=("Idempotent-Replayed",),
)
def adjust_balance(
    customerId: str, body: Annotated[BalanceAdjustmentIn, Body()], key: IdempotencyKey
) -> Response[BalanceAdjustment]:
    """Credit or debit a customer's balance, with the reason in the ledger.

    The same Idempotency-Key and body again answer the first adjustment (Idempotent-Replayed: true)."""
    status, result, replayed = services.payments.adjust_balance(
        actor(app),
        customerId,
        body.amount.money(),
        credit=body.direction == "credit",
        reason=body.reason,
        idempotency_key=key,
        fingerprint=request_fingerprint({"customerId": customerId, **body.model_dump()}),
    )
    return Response(status, "application/json", answer(BalanceAdjustment, result), replayed_header(replayed))


@app.endpoint("GET", "/anomalies", problems=(403,))
def anomalies(
    status: Annotated[AnomalyStatus, Query(description="OPEN (default) or RESOLVED.")] = AnomalyStatus.OPEN,
    limit: Limit = None,
    cursor: Cursor = None,
) -> AnomalyPage:
    """Abnormal-payment cases by status, newest first (staff)."""
    page = services.payments.anomalies(actor(app), status, limit, cursor)
    return answer(AnomalyPage, {"items": page.items, "next_cursor": page.next_cursor})


@app.endpoint("POST", "/anomalies/{anomalyId}/resolve", permits=Permission.ANOMALY_MANAGE, problems=(409,))
def resolve(anomalyId: str, body: Annotated[ResolveIn, Body()]) -> DecidedAnomaly:
    """Staff decide an abnormal-payment case: accept the money, refund it, or dismiss the case."""
    result = services.payments.resolve_anomaly(
        actor(app), anomalyId, body.note, decision=body.decision, remainder=body.remainder
    )
    return answer(DecidedAnomaly, result)


@app.endpoint("GET", METHODS, problems=(403,), headers=("ETag",))
def get_payment_methods(storeId: str) -> Response[PaymentMethodsDetail]:
    """A store's payment-method settings, their version (ETag) and newest changes."""
    result = services.payments.channel_settings(actor(app), storeId)
    return Response(200, "application/json", answer(PaymentMethodsDetail, result), etag(result["version"]))


@app.endpoint("PUT", METHODS, permits=Permission.PAYMENT_SETTINGS, problems=(400, 409, 412), headers=("ETag",))
def put_payment_methods(
    storeId: str, body: Annotated[ChannelSettingsIn, Body()], ifMatch: IfMatch = None
) -> Response[PaymentMethods]:
    """Change some of a store's payment methods (the others stay as they are), with an audit entry."""
    channels = {
        method: ChannelSettings(method, c.enabled, c.minAmount, c.maxAmount, c.feeRateBps, FeeBearer(c.feeBearer))
        for method, c in body.channels.items()
    }
    result = services.payments.put_channel_settings(actor(app), storeId, channels, if_match(app), body.reason)
    return Response(200, "application/json", answer(PaymentMethods, result), etag(result["version"]))


@app.endpoint("GET", CHANNELS, problems=(403,), headers=("ETag",))
def get_payment_channels(storeId: str) -> Response[PaymentMethodsDetail]:
    """Former name of GET /settings/payment-methods/{storeId} (the same answer)."""
    return get_payment_methods(storeId)


@app.endpoint("PUT", CHANNELS, permits=Permission.PAYMENT_SETTINGS, problems=(400, 409, 412), headers=("ETag",))
def put_payment_channels(
    storeId: str, body: Annotated[ChannelSettingsIn, Body()], ifMatch: IfMatch = None
) -> Response[PaymentMethods]:
    """Former name of PUT /settings/payment-methods/{storeId} (the same change and answer)."""
    return put_payment_methods(storeId, body, ifMatch)


@logger.inject_lambda_context(clear_state=True, correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


def __getattr__(name: str) -> Any:
    """`service`: the function's payments service, built at its first use (not at import: cold start)."""
    if name == "service":
        return services.payments
    raise AttributeError(name)
