"""Orders: quote, checkout, read, list and cancel. Thin: parse, authorize, call oms, shape the response."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from oms import snapstart, wiring
from oms.api.auth import require, require_any
from oms.api.http import (
    actor,
    idempotency_key,
    json_response,
    make_resolver,
    page_response,
    parse_body,
    query_int,
)
from oms.api.order_schemas import CancelIn, CheckoutIn, CouponOptionsIn, QuoteIn
from oms.api.problems import HttpProblem
from oms.domain.order import OrderStatus
from oms.domain.permissions import Permission
from oms.services.idempotency import request_fingerprint

logger = Logger()
app = make_resolver(logger)
# A paid order (or one of its child orders) is cancelled part by part, before it ships (the fulfilment
# side); an unpaid or held order's cancel refunds what it received and closes its open attempts at the provider.
services = wiring.services()
snapstart.build_before_snapshot(services, "orders", "fulfilment")


@app.post("/orders/quote")
def quote() -> Response[str]:
    who = actor(app)
    require(who, Permission.ORDER_QUOTE)
    body = parse_body(app, QuoteIn)
    cart = [line.cart_line() for line in body.lines]
    return json_response(200, services.orders.quote(who, cart, body.pricing_request()))


@app.post("/orders/coupon-options")
def coupon_options() -> Response[str]:
    who = actor(app)
    require(who, Permission.ORDER_PLACE)
    body = parse_body(app, CouponOptionsIn)
    return json_response(200, services.orders.coupon_options(who, [line.cart_line() for line in body.lines]))


@app.post("/orders")
def checkout() -> Response[str]:
    who = actor(app)
    require(who, Permission.ORDER_PLACE)
    key = idempotency_key(app)
    body = parse_body(app, CheckoutIn)
    result = services.orders.checkout(
        who,
        [line.cart_line() for line in body.lines],
        shipping_address=body.shippingAddress.model_dump(exclude_none=True),
        note=body.note,
        idempotency_key=key,
        fingerprint=request_fingerprint(body.model_dump(mode="json")),
        request=body.pricing_request(),
    )
    headers = {"Location": f"/orders/{result.body['orderId']}"}
    if result.replayed:
        headers["Idempotent-Replayed"] = "true"
    return json_response(result.status_code, result.body, headers)


@app.get("/orders")
def list_orders() -> Response[str]:
    status_text = app.current_event.get_query_string_value("status")
    try:
        status = OrderStatus(status_text) if status_text else None
    except ValueError as error:
        raise HttpProblem(
            422,
            "validation-failed",
            "The request is not valid",
            f"unknown status {status_text!r}",
            errors=[{"field": "status", "message": f"one of {', '.join(OrderStatus)}", "code": "enum"}],
        ) from error
    page = services.orders.list(
        actor(app),
        status=status,
        created_from=app.current_event.get_query_string_value("createdFrom"),
        created_to=app.current_event.get_query_string_value("createdTo"),
        limit=query_int(app, "limit"),
        cursor=app.current_event.get_query_string_value("cursor"),
    )
    return page_response(page)


@app.get("/orders/<orderId>")
def get_order(orderId: str) -> Response[str]:
    return json_response(200, services.orders.get(actor(app), orderId))


@app.post("/orders/<orderId>/cancel")
def cancel_order(orderId: str) -> Response[str]:
    who = actor(app)
    require_any(who, Permission.ORDER_CANCEL_OWN, Permission.ORDER_CANCEL_ANY)
    body = parse_body(app, CancelIn, optional=True)
    return json_response(200, services.orders.cancel(who, orderId, body.reason))


@app.post("/orders/<orderId>/confirm-receipt")
def confirm_receipt(orderId: str) -> Response[str]:
    return json_response(200, services.orders.confirm_receipt(actor(app), orderId))


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
