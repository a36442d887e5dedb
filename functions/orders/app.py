"""Orders: quote, checkout, read, list and cancel. Thin: parse, authorize, call oms, shape the response."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from oms import snapstart, wiring
from oms.api.http import actor, answer, make_resolver
from oms.api.order_schemas import CancelIn, CheckoutIn, CouponOptionsIn, QuoteIn
from oms.api.order_views import ChildOrderDetail, CouponOptions, Order, OrderPage, Quote
from oms.api.params import Cursor, IdempotencyKey, Limit
from oms.api.risk_schemas import DeviceFingerprint
from oms.domain.order import OrderStatus
from oms.domain.permissions import Permission
from oms.services.idempotency import request_fingerprint

logger = Logger()
app = make_resolver(logger, tag="Orders")
# A paid order (or one of its child orders) is cancelled part by part, before it ships (the fulfilment
# side); an unpaid or held order's cancel refunds what it received and closes its open attempts at the provider.
services = wiring.services()
snapstart.build_before_snapshot(services, "orders", "fulfilment")


@app.endpoint("POST", "/orders/quote", permits=Permission.ORDER_QUOTE)
def quote(body: Annotated[QuoteIn, Body()]) -> Quote:
    """Price a cart exactly as checkout would, without placing anything."""
    cart = [line.cart_line() for line in body.lines]
    return answer(Quote, services.orders.quote(actor(app), cart, body.pricing_request()))


@app.endpoint("POST", "/orders/coupon-options", permits=Permission.ORDER_PLACE, problems=(429,))
def coupon_options(body: Annotated[CouponOptionsIn, Body()]) -> CouponOptions:
    """Each of the shopper's unused coupons tried alone on this cart."""
    options = services.orders.coupon_options(actor(app), [line.cart_line() for line in body.lines])
    return answer(CouponOptions, options)


@app.endpoint(
    "POST",
    "/orders",
    status=201,
    permits=Permission.ORDER_PLACE,
    problems=(400, 409, 429),
    also={200: "Replayed: this Idempotency-Key already placed this order (Idempotent-Replayed: true)"},
    headers=(
        "Location",
        "Idempotent-Replayed",
    ),
)
def checkout(
    body: Annotated[CheckoutIn, Body()], key: IdempotencyKey, device: DeviceFingerprint = None
) -> Response[Order]:
    """Place an order: price it, reserve its stock and split it into child orders, in one transaction."""
    who = actor(app)
    result = services.orders.checkout(
        who,
        [line.cart_line() for line in body.lines],
        shipping_address=body.shippingAddress.model_dump(exclude_none=True) if body.shippingAddress else None,
        shipping_address_id=body.shippingAddressId,
        note=body.note,
        idempotency_key=key,
        # Without shippingAddressId, the body's fingerprint is what it was before that field existed.
        fingerprint=request_fingerprint(
            body.model_dump(mode="json", exclude={"shippingAddressId"} if body.shippingAddressId is None else None)
        ),
        request=body.pricing_request(),
        device=device,
        billing_country=body.billingCountry,
    )
    headers = {"Location": f"/orders/{result.body['orderId']}"}
    if result.replayed:
        headers["Idempotent-Replayed"] = "true"
    return Response(result.status_code, "application/json", answer(Order, result.body), headers)


@app.endpoint("GET", "/orders")
def list_orders(
    status: Annotated[OrderStatus | None, Query(description="Staff only.")] = None,
    createdFrom: Annotated[str | None, Query(description="RFC 3339; staff only.")] = None,
    createdTo: Annotated[str | None, Query(description="RFC 3339; staff only.")] = None,
    limit: Limit = None,
    cursor: Cursor = None,
) -> OrderPage:
    """A customer's own orders, newest first; staff list by status and creation time."""
    page = services.orders.list(
        actor(app), status=status, created_from=createdFrom, created_to=createdTo, limit=limit, cursor=cursor
    )
    return answer(OrderPage, {"items": page.items, "next_cursor": page.next_cursor})


@app.endpoint("GET", "/orders/{orderId}")
def get_order(orderId: str) -> Order | ChildOrderDetail:
    """An order with its payment picture, or a child order (`<orderId>-<nn>`) with its parent's summary."""
    view = services.orders.get(actor(app), orderId)
    return answer(ChildOrderDetail, view) if "parent" in view else answer(Order, view)


@app.endpoint(
    "POST",
    "/orders/{orderId}/cancel",
    permits=(Permission.ORDER_CANCEL_OWN, Permission.ORDER_CANCEL_ANY),
    problems=(409,),
)
def cancel_order(orderId: str, body: Annotated[CancelIn | None, Body()] = None) -> Order:
    """Cancel an unpaid order, or what has not shipped of a paid one (refunded)."""
    reason = body.reason if body is not None else None
    who = actor(app)
    return answer(Order, services.personal_data.masked(who, services.orders.cancel(who, orderId, reason)))


@app.endpoint("POST", "/orders/{orderId}/confirm-receipt", problems=(403, 409))
def confirm_receipt(orderId: str) -> Order:
    """The shopper confirms a delivered order: it completes and its points are credited."""
    return answer(Order, services.orders.confirm_receipt(actor(app), orderId))


@logger.inject_lambda_context(clear_state=True, correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


def __getattr__(name: str) -> Any:
    """`service` and `fulfilment`: the function's orders and fulfilment services, built at their first use
    (not at import: cold start)."""
    if name == "service":
        return services.orders
    if name == "fulfilment":
        return services.fulfilment
    raise AttributeError(name)
