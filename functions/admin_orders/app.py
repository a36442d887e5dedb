"""Staff's orders: a manual order placed for a shopper (POST /admin/orders), the edit of an unpaid order
(PATCH /orders/{orderId}), and the offline payment finance records for a manual order (with its proof upload).
Thin: parse, authorize, call oms, shape the response."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from oms import snapstart, wiring
from oms.api.admin_order_schemas import (
    ManualOrderIn,
    OfflinePayment,
    OfflinePaymentIn,
    OrderEditIn,
    ProofUpload,
    ProofUploadIn,
)
from oms.api.http import actor, answer, etag, if_match, make_resolver
from oms.api.order_views import Order
from oms.api.params import IdempotencyKey, IfMatch, replayed_header
from oms.domain.permissions import Permission
from oms.services.idempotency import request_fingerprint

logger = Logger()
app = make_resolver(logger, tag="AdminOrders")
services = wiring.services()
snapstart.build_before_snapshot(services, "manual_orders", "order_editing")


@app.endpoint(
    "POST",
    "/admin/orders",
    status=201,
    permits=Permission.ORDER_CREATE_MANUAL,
    problems=(409, 503),
    headers=("Location", "Idempotent-Replayed"),
)
def create_manual_order(body: Annotated[ManualOrderIn, Body()], key: IdempotencyKey) -> Response[Order]:
    """Place an order for a shopper: an existing customer (`customerId`) or a new one (`customer`, created in the
    user directory). Priced and placed like a checkout (the customer's coupons, points and balance), with a
    manual discount within the caller's role cap (422 `manual-discount-over-cap` naming it), internal notes and
    a payment mode: `online` (a payment link is sent to the shopper), `bank-transfer` (a transfer awaiting
    finance's review), `offline` (finance marks it paid with a proof). The same Idempotency-Key and body again
    answers the order it placed (`Idempotent-Replayed: true`)."""
    who = actor(app)
    result = services.manual_orders.create(
        who, body.request(), idempotency_key=key, fingerprint=request_fingerprint(body.model_dump(mode="json"))
    )
    headers = {"Location": f"/orders/{result.body['orderId']}", **(replayed_header(result.replayed) or {})}
    view = services.personal_data.masked(who, result.body)  # contact details as the caller's role sees them
    return Response(result.status_code, "application/json", answer(Order, view), headers)


@app.endpoint("PATCH", "/orders/{orderId}", permits=Permission.ORDER_EDIT, problems=(409, 412), headers=("ETag",))
def edit_order(orderId: str, body: Annotated[OrderEditIn, Body()], ifMatch: IfMatch = None) -> Response[Order]:
    """Edit an order awaiting payment (409 `order-not-editable` otherwise; 409 `payment-in-progress` while a
    payment attempt is open): its lines (the whole new list), shipping address, or a manual price change with
    a reason. Stock is re-reserved and the price re-computed in one transaction; If-Match is the order's
    `version` (412 when it has changed). The shopper is told (OrderEdited)."""
    who = actor(app)
    view = services.order_editing.edit(who, orderId, body.request(), if_match=if_match(app))
    masked = services.personal_data.masked(who, view)  # contact details as the caller's role sees them
    return Response(200, "application/json", answer(Order, masked), etag(view["version"]))


@app.endpoint("POST", "/admin/orders/{orderId}/payment-proofs", status=201, permits=Permission.PAYMENT_REVIEW)
def proof_upload(orderId: str, body: Annotated[ProofUploadIn, Body()]) -> Response[ProofUpload]:
    """A presigned POST for an offline payment's proof (JPEG, PNG, WebP or PDF, at most 5 MiB), valid 15 minutes."""
    upload = services.manual_orders.proof_upload(actor(app), orderId, body.contentType, body.size)
    return Response(201, "application/json", answer(ProofUpload, upload))


@app.endpoint(
    "POST",
    "/admin/orders/{orderId}/offline-payment",
    permits=Permission.PAYMENT_REVIEW,
    problems=(409,),
    headers=("Idempotent-Replayed",),
)
def offline_payment(
    orderId: str, body: Annotated[OfflinePaymentIn, Body()], key: IdempotencyKey
) -> Response[OfflinePayment]:
    """Finance records the money of a manual order placed with payment mode `offline`: with its proof reference
    (and image), the order is PAID — stock sold, child orders queued, the offline tender in the ledger."""
    status, result, replayed = services.manual_orders.mark_paid_offline(
        actor(app),
        orderId,
        reference=body.reference,
        proof_key=body.proofKey,
        idempotency_key=key,
        fingerprint=request_fingerprint({"orderId": orderId, **body.model_dump(mode="json")}),
    )
    return Response(status, "application/json", answer(OfflinePayment, result), replayed_header(replayed))


@logger.inject_lambda_context(clear_state=True, correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
