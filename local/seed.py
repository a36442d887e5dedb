"""Demo data, created through the HTTP API with an admin token so it runs the real handlers."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

DEMO_STORE_ID = "demo"


def _cny(amount: int) -> dict[str, Any]:
    return {"amount": amount, "currency": "CNY"}


def _sku(sku_id: str, name: str, price: int, stock: int, weight_grams: int, **attributes: str) -> dict[str, Any]:
    return {
        "skuId": sku_id,
        "name": name,
        "price": _cny(price),
        "stock": stock,
        "warehouseId": "WH-SH",
        "weightGrams": weight_grams,
        "attributes": attributes,
    }


DEMO_STORE: dict[str, Any] = {
    "name": "Demo Store",
    "currency": "CNY",
    "shippingFee": _cny(1000),
    "freeShippingThreshold": _cny(9900),
}

# Prices in minor units (fen). MUG-LTD is the scarce SKU for oversell demos; HP-NC700 the pricey one.
DEMO_PRODUCTS: list[dict[str, Any]] = [
    {
        "storeId": DEMO_STORE_ID,
        "name": "Classic Tee",
        "description": "Heavyweight cotton T-shirt.",
        "category": "apparel",
        "attributes": {"material": "cotton"},
        "skus": [
            _sku("TEE-RED-M", "Red / M", 4900, 100, 200, color="red", size="M"),
            _sku("TEE-RED-L", "Red / L", 4900, 100, 220, color="red", size="L"),
            _sku("TEE-BLK-M", "Black / M", 5200, 80, 200, color="black", size="M"),
        ],
    },
    {
        "storeId": DEMO_STORE_ID,
        "name": "Ceramic Mug",
        "description": "350 ml stoneware mug; the signed edition is limited.",
        "category": "home",
        "attributes": {},
        "skus": [
            _sku("MUG-STD", "Standard", 2900, 200, 400, edition="standard"),
            _sku("MUG-LTD", "Signed limited edition", 5900, 10, 400, edition="limited"),
        ],
    },
    {
        "storeId": DEMO_STORE_ID,
        "name": "A5 Notebook",
        "description": "Dot-grid, 160 pages.",
        "category": "stationery",
        "attributes": {},
        "skus": [_sku("NOTE-A5", "Dot grid", 1500, 300, 250, paper="dot-grid")],
    },
    {
        "storeId": DEMO_STORE_ID,
        "name": "Noise-Cancelling Headphones",
        "description": "Over-ear, 30 h battery.",
        "category": "electronics",
        "attributes": {"warrantyMonths": "24"},
        "skus": [_sku("HP-NC700", "Black", 129900, 20, 250, color="black")],
    },
]


@dataclass(frozen=True)
class DemoUser:
    key: str  # also the suffix of the OMS_TOKEN_<KEY> variable the CLI prints
    subject: str
    roles: tuple[str, ...]
    claims: dict[str, Any] = field(default_factory=dict)

    @property
    def email(self) -> str:
        return f"{self.subject}@example.com"


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("admin", "demo-admin", ("admin",)),
    DemoUser("support", "demo-support", ("support",)),
    DemoUser("warehouse", "demo-warehouse", ("warehouse",)),
    DemoUser("finance", "demo-finance", ("finance",)),
    DemoUser("merchant", "demo-merchant", ("merchant",), {"custom:store_id": DEMO_STORE_ID}),
    DemoUser("customer", "demo-customer", ("customer",)),
    DemoUser("customer_2", "demo-customer-2", ("customer",)),
)


class SeedError(Exception):
    """A seeding request got an answer other than the expected one."""


@dataclass
class SeedResult:
    store: Any
    products: list[Any]


def _call(
    base_url: str,
    method: str,
    path: str,
    token: str,
    body: Any,
    expected: tuple[int, ...],
    idempotency_key: str | None = None,
) -> Any:
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    if idempotency_key is not None:
        headers["idempotency-key"] = idempotency_key
    request = urllib.request.Request(base_url + path, method=method, data=json.dumps(body).encode(), headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode()
    if status not in expected:
        raise SeedError(f"{method} {path} answered {status} (expected {expected}): {text[:500]}")
    return json.loads(text) if text else None


def seed(base_url: str, admin_token: str) -> SeedResult:
    """Create the demo store and catalog; raises SeedError on the first unexpected answer."""
    store = _call(base_url, "PUT", f"/stores/{DEMO_STORE_ID}", admin_token, DEMO_STORE, (200, 201))
    products = [
        _call(base_url, "POST", "/products", admin_token, product, (201,), f"seed-{product['skus'][0]['skuId']}")
        for product in DEMO_PRODUCTS
    ]
    return SeedResult(store=store, products=products)
