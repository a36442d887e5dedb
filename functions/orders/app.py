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
from oms.api.ids import NAME_ID_PATTERN
from oms.api.order_schemas import (
    MAX_AMOUNT,
    ORDER_NUMBER_PATTERN,
    SEARCH_FLAGS,
    CancelIn,
    CheckoutIn,
    CouponOptionsIn,
    QuoteIn,
)
from oms.api.order_views import ChildOrderDetail, CouponOptions, Order, OrderPage, Quote
from oms.api.params import Cursor, IdempotencyKey, Limit
from oms.api.risk_schemas import DeviceFingerprint
from oms.domain.order import OrderStatus
from oms.domain.order_search import DatePreset, PaidWith, SearchParams, search_flags
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
    where = body.destination.destination() if body.destination else None
    return answer(Quote, services.orders.quote(actor(app), cart, body.pricing_request(), destination=where))


@app.endpoint("POST", "/orders/coupon-options", permits=Permission.ORDER_PLACE, problems=(429,))
def coupon_options(body: Annotated[CouponOptionsIn, Body()]) -> CouponOptions:
    """Each of the shopper's unused coupons tried alone on this cart."""
    where = body.destination.destination() if body.destination else None
    options = services.orders.coupon_options(actor(app), [line.cart_line() for line in body.lines], where)
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


STAFF = "Staff only."
Range = "RFC 3339, any offset; staff only."


@app.endpoint("GET", "/orders")
def list_orders(
    orderNumber: Annotated[str | None, Query(max_length=32, pattern=ORDER_NUMBER_PATTERN, description=STAFF)] = None,
    status: Annotated[OrderStatus | None, Query(description=STAFF)] = None,
    created: Annotated[
        DatePreset | None, Query(description="Created today / this week / this month (in `tz`).")
    ] = None,
    createdFrom: Annotated[str | None, Query(max_length=40, description=f"Inclusive. {Range}")] = None,
    createdTo: Annotated[str | None, Query(max_length=40, description=f"Exclusive. {Range}")] = None,
    paid: Annotated[DatePreset | None, Query(description="Paid today / this week / this month (in `tz`).")] = None,
    paidFrom: Annotated[str | None, Query(max_length=40, description=f"Inclusive. {Range}")] = None,
    paidTo: Annotated[str | None, Query(max_length=40, description=f"Exclusive. {Range}")] = None,
    paymentMethod: Annotated[PaidWith | None, Query(description=STAFF)] = None,
    customerId: Annotated[str | None, Query(max_length=64, pattern=NAME_ID_PATTERN, description=STAFF)] = None,
    phone: Annotated[str | None, Query(max_length=32, description="Any format: its digits are compared.")] = None,
    email: Annotated[str | None, Query(max_length=254, description="Compared trimmed and lower-cased.")] = None,
    skuId: Annotated[str | None, Query(max_length=64, pattern=NAME_ID_PATTERN, description=STAFF)] = None,
    productId: Annotated[str | None, Query(max_length=64, pattern=NAME_ID_PATTERN, description=STAFF)] = None,
    storeId: Annotated[str | None, Query(max_length=64, pattern=NAME_ID_PATTERN, description=STAFF)] = None,
    amountMin: Annotated[int | None, Query(ge=0, le=MAX_AMOUNT, description="Total, minor units.")] = None,
    amountMax: Annotated[int | None, Query(ge=0, le=MAX_AMOUNT, description="Total, minor units.")] = None,
    currency: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$", description=STAFF)] = None,
    pointsUsed: Annotated[bool | None, Query(description="Whether points paid part of it.")] = None,
    flags: Annotated[
        str | None, Query(max_length=80, description=f"Comma-separated, all must hold: {SEARCH_FLAGS}.")
    ] = None,
    tz: Annotated[
        str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9_+/-]+$", description="IANA zone of the presets (UTC).")
    ] = None,
    limit: Limit = None,
    cursor: Cursor = None,
) -> OrderPage:
    """A customer's own orders, newest first. Staff search every order by any combination of filters,
    newest first (by payment time when filtered by payment only); a page reads a bounded number of items and
    may hold fewer than `limit` orders yet have a `next_cursor` (docs/data-model.md, "Order search")."""
    params = SearchParams(
        orderNumber=orderNumber,
        status=status,
        created=created,
        createdFrom=createdFrom,
        createdTo=createdTo,
        paid=paid,
        paidFrom=paidFrom,
        paidTo=paidTo,
        paymentMethod=paymentMethod.value if paymentMethod else None,
        customerId=customerId,
        phone=phone,
        email=email,
        skuId=skuId,
        productId=productId,
        storeId=storeId,
        amountMin=amountMin,
        amountMax=amountMax,
        currency=currency,
        pointsUsed=pointsUsed,
        flags=search_flags(flags),
        tz=tz,
    )
    page = services.orders.list(actor(app), params, limit=limit, cursor=cursor)
    return answer(OrderPage, {"items": page.items, "next_cursor": page.next_cursor})


@app.endpoint("GET", "/orders/by-number/{orderNumber}")
def get_order_by_number(orderNumber: str) -> Order:
    """The order with this order number (the number the shopper reads out), as `GET /orders/{orderId}`."""
    return answer(Order, services.orders.get_by_number(actor(app), orderNumber))


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
