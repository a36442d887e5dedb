"""Fulfilment: release child orders to the warehouse, ship them (one by one or in batches), read parcels
and their tracking, list a warehouse's child orders. Thin: parse, authorize, call oms, shape the response."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from oms import snapstart, wiring
from oms.api.fulfilment_schemas import BatchShipmentIn, CarrierSettingsIn, ShipmentIn
from oms.api.fulfilment_views import (
    BatchShipmentResult,
    CarrierSettingsView,
    ShipmentCreated,
    ShipmentList,
    WarehouseChildOrderPage,
)
from oms.api.http import actor, answer, etag, if_match, make_resolver
from oms.api.order_views import ChildOrder
from oms.api.params import Cursor, IfMatch, Limit
from oms.domain.fulfilment import ShipmentRequest
from oms.domain.parcels import CarrierSettings
from oms.domain.permissions import Permission

logger = Logger()
app = make_resolver(logger, tag="Fulfilment")
services = wiring.services()
snapstart.build_before_snapshot(services, "fulfilment")


def _request(child_order_id: str, body: ShipmentIn) -> ShipmentRequest:
    lines = None if body.lines is None else {line.lineNo: line.quantity for line in body.lines}
    return ShipmentRequest(child_order_id, body.carrier, body.trackingNumber, lines, body.parcelNo)


@app.endpoint(
    "POST",
    "/orders/{orderId}/shipments",
    status=201,
    permits=Permission.SHIPMENT_CREATE,
    problems=(409,),
    headers=("Location",),
)
def create_shipment(orderId: str, body: Annotated[ShipmentIn, Body()]) -> Response[ShipmentCreated]:
    """Ship a paid child order, whole or some of its lines.

    The same carrier and tracking number on the same child again answers the shipment it made (201)."""
    shipment = services.fulfilment.ship(actor(app), _request(orderId, body))
    headers = {"Location": f"/orders/{shipment['orderId']}/shipments"}
    return Response(201, "application/json", answer(ShipmentCreated, shipment), headers)


@app.endpoint("GET", "/orders/{orderId}/shipments")
def list_shipments(orderId: str) -> ShipmentList:
    """Every parcel of an order (or of one child order) with its tracking timeline."""
    return answer(ShipmentList, services.fulfilment.shipments_of(actor(app), orderId))


# Warehouse staff only: the service refuses anyone else (403) once the path id has passed the edge.
@app.endpoint("POST", "/orders/{orderId}/release", problems=(403, 409))
def release(orderId: str) -> ChildOrder:
    """Hand a paid child order to the warehouse for picking (a released one stays released)."""
    return answer(ChildOrder, services.fulfilment.release(actor(app), orderId))


@app.endpoint("POST", "/shipments/batch", permits=Permission.SHIPMENT_CREATE)
def ship_batch(body: Annotated[BatchShipmentIn, Body()]) -> BatchShipmentResult:
    """Ship up to 50 child orders at once: each item is its own shipment and answers its own outcome."""
    requests = [_request(item.childOrderId, item) for item in body.items]
    return answer(BatchShipmentResult, services.fulfilment.ship_batch(actor(app), requests))


@app.endpoint("GET", "/settings/carriers", permits=Permission.STORE_WRITE, headers=("ETag",))
def get_carriers() -> Response[CarrierSettingsView]:
    """The carriers parcels are packed for: each one's parcel weight limit, each store's carrier (ETag: version)."""
    result = services.carriers.get(actor(app))
    return Response(200, "application/json", answer(CarrierSettingsView, result), etag(result["version"]))


@app.endpoint("PUT", "/settings/carriers", permits=Permission.STORE_WRITE, problems=(400, 409, 412), headers=("ETag",))
def put_carriers(body: Annotated[CarrierSettingsIn, Body()], ifMatch: IfMatch = None) -> Response[CarrierSettingsView]:
    """Replace the carrier settings; checkouts from now on pack child orders into parcels under the limits."""
    settings = CarrierSettings(
        {carrier.code: carrier.parcelWeightLimitGrams for carrier in body.carriers},
        dict(body.storeCarriers),
        body.defaultCarrier,
    )
    result = services.carriers.put(actor(app), settings, if_match(app), body.reason)
    return Response(200, "application/json", answer(CarrierSettingsView, result), etag(result["version"]))


@app.endpoint("GET", "/warehouses/{warehouseId}/child-orders", problems=(403,))
def warehouse_orders(
    warehouseId: str,
    limit: Limit = None,
    cursor: Cursor = None,
) -> WarehouseChildOrderPage:
    """A warehouse's child orders, newest first (warehouse staff)."""
    page = services.fulfilment.children_of_warehouse(actor(app), warehouseId, limit, cursor)
    return answer(WarehouseChildOrderPage, page)


@logger.inject_lambda_context(clear_state=True, correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


def __getattr__(name: str) -> Any:
    """`service`: the function's fulfilment service, built at its first use (not at import: cold start)."""
    if name == "service":
        return services.fulfilment
    raise AttributeError(name)
