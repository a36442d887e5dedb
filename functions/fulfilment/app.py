"""Fulfilment: release child orders to the warehouse, ship them (one by one or in batches), read parcels
and their tracking, list a warehouse's child orders. Thin: parse, authorize, call oms."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from oms import snapstart, wiring
from oms.api.auth import require
from oms.api.fulfilment_schemas import BatchShipmentIn, ShipmentIn
from oms.api.http import actor, json_response, make_resolver, parse_body, query_int
from oms.domain.fulfilment import ShipmentRequest
from oms.domain.permissions import Permission

logger = Logger()
app = make_resolver(logger)
services = wiring.services()
snapstart.build_before_snapshot(services, "fulfilment")


def _request(child_order_id: str, body: ShipmentIn) -> ShipmentRequest:
    lines = None if body.lines is None else {line.lineNo: line.quantity for line in body.lines}
    return ShipmentRequest(child_order_id, body.carrier, body.trackingNumber, lines)


@app.post("/orders/<orderId>/shipments")
def create_shipment(orderId: str) -> Response[str]:
    who = actor(app)
    require(who, Permission.SHIPMENT_CREATE)
    shipment = services.fulfilment.ship(who, _request(orderId, parse_body(app, ShipmentIn)))
    headers = {"Location": f"/orders/{shipment['orderId']}/shipments"}
    return json_response(201, shipment, headers)


@app.get("/orders/<orderId>/shipments")
def list_shipments(orderId: str) -> Response[str]:
    return json_response(200, services.fulfilment.shipments_of(actor(app), orderId))


@app.post("/orders/<orderId>/release")
def release(orderId: str) -> Response[str]:
    return json_response(200, services.fulfilment.release(actor(app), orderId))


@app.post("/shipments/batch")
def ship_batch() -> Response[str]:
    who = actor(app)
    require(who, Permission.SHIPMENT_CREATE)
    body = parse_body(app, BatchShipmentIn)
    requests = [_request(item.childOrderId, item) for item in body.items]
    return json_response(200, services.fulfilment.ship_batch(who, requests))


@app.get("/warehouses/<warehouseId>/child-orders")
def warehouse_orders(warehouseId: str) -> Response[str]:
    cursor = app.current_event.get_query_string_value("cursor")
    return json_response(
        200, services.fulfilment.children_of_warehouse(actor(app), warehouseId, query_int(app, "limit"), cursor)
    )


@logger.inject_lambda_context(clear_state=True, correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


def __getattr__(name: str) -> Any:
    """`service`: the function's fulfilment service, built at its first use (not at import: cold start)."""
    if name == "service":
        return services.fulfilment
    raise AttributeError(name)
