"""Fulfilment through the functions (moto): the demo catalog that splits (a second store and warehouse,
a fragile and a cross-border SKU), placing and paying orders, shipping, carrier callbacks, and the
fixtures `warehouse`, `fulfilment`, `carriers`, `catalog` (registered in tests/handlers/conftest.py)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from types import ModuleType
from typing import Any

import pytest
from oms.adapters.carriers import CarrierWebhooks, sign_carrier_notice
from oms.domain.clock import to_rfc3339, utcnow
from oms_local.oms.warehouse_sandbox import SandboxWarehouse

from tests.helpers.handlers import (
    ADDRESS,
    ADMIN,
    CUSTOMER,
    Api,
    LambdaContext,
    adapters,
    give_balance,
    http_event,
    load_function,
)

WAREHOUSE = {"sub": "wh-1", "roles": ("warehouse",)}


SECRET = b"sf-test-secret-0123456789"


SHIP = "POST /orders/{orderId}/shipments"


GET = "GET /orders/{orderId}"


def sku(sku_id: str, price: int, warehouse_id: str = "WH1", **extra: Any) -> dict[str, Any]:
    return {
        "skuId": sku_id,
        "name": sku_id,
        "price": {"amount": price, "currency": "CNY"},
        "stock": 20,
        "warehouseId": warehouse_id,
        "weightGrams": 100,
        **extra,
    }


def place(orders_api: Api, lines: list[tuple[str, int]], key: str, **options: Any) -> dict[str, Any]:
    body = {"lines": [{"skuId": s, "quantity": q} for s, q in lines], "shippingAddress": ADDRESS, **options}
    status, _, order = orders_api("POST", "/orders", **CUSTOMER, headers={"Idempotency-Key": key}, body=body)
    assert status == 201, order
    return order


def paid_order(orders_api: Api, lines: list[tuple[str, int]], key: str = "k1") -> dict[str, Any]:
    order = place(orders_api, lines, key, balance="max")
    assert order["status"] == "PAID"
    return order


def read(orders_api: Api, order_id: str) -> dict[str, Any]:
    status, _, order = orders_api("GET", f"/orders/{order_id}", route=GET, **ADMIN)
    assert status == 200
    return order


def ship(api: Api, child_id: str, tracking: str, lines: list[tuple[int, int]] | None = None, **who: Any) -> Any:
    body: dict[str, Any] = {"carrier": "sf", "trackingNumber": tracking}
    if lines is not None:
        body["lines"] = [{"lineNo": n, "quantity": q} for n, q in lines]
    return api("POST", f"/orders/{child_id}/shipments", route=SHIP, **(who or WAREHOUSE), body=body)


def callback(carriers: ModuleType, event: dict[str, Any], *, secret: bytes = SECRET, tamper: bool = False) -> int:
    raw = json.dumps(event).encode()
    signature = sign_carrier_notice(secret, raw, int(time.time()))
    if tamper:
        raw = raw.replace(b"Shanghai", b"Beijing!")
    request = http_event(
        "POST",
        "/callbacks/carriers/sf",
        route="POST /callbacks/carriers/{carrier}",
        raw_body=raw.decode(),
        headers={"Carrier-Signature": signature},
        path_parameters={"carrier": "sf"},
    )
    return int(carriers.handler(request, LambdaContext())["statusCode"])


def minutes_ahead(minutes: int) -> str:
    """Carrier events happen after the parcel left the warehouse (now)."""
    return to_rfc3339(utcnow() + timedelta(minutes=minutes))


def tracking_event(number: str, status: str, at: str, event_id: str) -> dict[str, Any]:
    return {
        "eventId": event_id,
        "trackingNumber": number,
        "status": status,
        "occurredAt": at,
        "location": "Shanghai",
        "description": status.lower(),
    }


@pytest.fixture
def warehouse(aws: None) -> Iterator[SandboxWarehouse]:
    sandbox = SandboxWarehouse()
    with adapters(warehouse=sandbox, carrier_webhooks=CarrierWebhooks({"sf": [SECRET]})):
        yield sandbox


@pytest.fixture
def fulfilment(warehouse: SandboxWarehouse) -> Api:
    return Api(load_function("fulfilment"))


@pytest.fixture
def carriers(warehouse: SandboxWarehouse) -> ModuleType:
    return load_function("carrier_callbacks")


@pytest.fixture
def catalog(seeded: dict[str, Any], catalog_api: Api) -> None:
    """demo store: TEE-M, MUG (WH1) plus a fragile VASE (WH1), a cross-border WATCH at 2000.00; store
    north: LAMP in WH2. cust-1 holds 10 000.00 of balance, so checkouts can be paid at once."""
    north = {"name": "North", "currency": "CNY", "shippingFee": {"amount": 800, "currency": "CNY"}}
    assert catalog_api("PUT", "/stores/north", route="PUT /stores/{storeId}", body=north, **ADMIN)[0] == 201
    products = [
        {"storeId": "demo", "name": "Vase", "skus": [sku("VASE", 3000, handling="fragile")]},
        {"storeId": "demo", "name": "Watch", "skus": [sku("WATCH", 200000, "WH-BONDED", crossBorder=True)]},
        {"storeId": "north", "name": "Lamp", "skus": [sku("LAMP", 6000, "WH2")]},
    ]
    for product in products:
        assert catalog_api("POST", "/products", **ADMIN, body=product)[0] == 201
    give_balance("cust-1", 1_000_000)
