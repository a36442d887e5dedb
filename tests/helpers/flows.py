"""Steps of the integration tests against a running local stack (over HTTP): fresh SKUs and orders,
payments started and paid through the sandboxes, tokens for shoppers and staff."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from typing import Any

from oms_local.stack import LocalStack

ADDRESS = {"name": "Han Meimei", "phone": "13800000000", "line1": "88 Century Ave", "city": "Shanghai", "country": "CN"}


@contextlib.contextmanager
def payment_timeout(stack: Any, seconds: int) -> Iterator[None]:
    """Orders placed in the block get `seconds` to be paid instead of the session's 2 s (the deadline is
    taken at placement)."""
    service = stack.functions["OrdersFunction"].module.service
    original = service.payment_timeout_seconds
    service.payment_timeout_seconds = seconds
    try:
        yield
    finally:
        service.payment_timeout_seconds = original


def new_sku(stack: Any, http: Any, stock: int, price: int = 1999) -> str:
    """A fresh SKU per test (the demo store is shared by the whole session)."""
    sku_id = f"IT-{uuid.uuid4().hex[:10].upper()}"
    admin = stack.mint_token("it-admin", ["admin"])
    response = http.post(
        "/products",
        token=admin,
        json={
            "storeId": "demo",
            "name": "Integration item",
            "skus": [
                {
                    "skuId": sku_id,
                    "name": "One size",
                    "price": {"amount": price, "currency": "CNY"},
                    "stock": stock,
                    "warehouseId": "WH-SH",
                    "weightGrams": 100,
                }
            ],
        },
    )
    assert response.status == 201, response.text
    return sku_id


def available(http: Any, sku_id: str) -> int:
    response = http.get(f"/skus/{sku_id}")
    assert response.status == 200
    return int(response.json()["available"])


def place(http: Any, token: str, sku_id: str, quantity: int, key: str | None = None) -> Any:
    return http.post(
        "/orders",
        token=token,
        headers={"Idempotency-Key": key or str(uuid.uuid4())},
        json={"lines": [{"skuId": sku_id, "quantity": quantity}], "shippingAddress": ADDRESS},
    )


ACKS = {
    "alipay": (200, "success"),
    "wechat": (204, ""),
    "card": (200, '{"received":true}'),
    "crypto": (200, "ok"),
}


def enable_crypto(stack: LocalStack, http: Any) -> None:
    """Crypto is off by default; an admin turns it on for the demo store."""
    admin = stack.mint_token("it-admin", ["admin"])
    channel = {"enabled": True, "minAmount": 1, "maxAmount": 10_000_000, "feeRateBps": 100, "feeBearer": "merchant"}
    response = http.put("/settings/payment-channels/demo", token=admin, json={"channels": {"crypto": channel}})
    assert response.status == 200, response.text


def shopper(stack: LocalStack, name: str | None = None) -> str:
    return stack.mint_token(name or f"payer-{uuid.uuid4().hex[:8]}", ["customer"])


def fresh_order(stack: LocalStack, http: Any, stock: int = 5) -> tuple[str, str, dict[str, Any]]:
    """A new SKU, a new shopper, and that shopper's PENDING_PAYMENT order for one unit."""
    sku = new_sku(stack, http, stock=stock)
    token = shopper(stack)
    return sku, token, place(http, token, sku, 1).json()


def start_payment(http: Any, token: str, order_id: str, method: str) -> dict[str, Any]:
    response = http.post(
        f"/orders/{order_id}/payments",
        token=token,
        json={"method": method},
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert response.status == 201, response.text
    return dict(response.json())


def order(http: Any, token: str, order_id: str) -> dict[str, Any]:
    response = http.get(f"/orders/{order_id}", token=token)
    assert response.status == 200
    return dict(response.json())


def admin(stack: LocalStack) -> str:
    return stack.mint_token("it-admin", ["admin"])


def product(stack: LocalStack, http: Any, store: str, warehouse: str, price: int, **extra: Any) -> str:
    sku_id = f"IT-{uuid.uuid4().hex[:10].upper()}"
    body = {
        "storeId": store,
        "name": "Fulfilment item",
        "skus": [
            {
                "skuId": sku_id,
                "name": "One size",
                "price": {"amount": price, "currency": "CNY"},
                "stock": 10,
                "warehouseId": warehouse,
                "weightGrams": 100,
                **extra,
            }
        ],
    }
    response = http.post("/products", token=admin(stack), json=body)
    assert response.status == 201, response.text
    return sku_id


# ---------------------------------------------------------------- after-sales
def delivered_order(stack: LocalStack, http: Any, quantity: int = 1) -> tuple[str, dict[str, Any], str]:
    """A shopper's order of `quantity` units paid through the Alipay sandbox, shipped and delivered."""
    sku = product(stack, http, "demo", "WH-SH", 4900)
    token = stack.mint_token(f"it-case-{uuid.uuid4().hex[:8]}", ["customer"])
    placed = http.post(
        "/orders",
        token=token,
        headers={"Idempotency-Key": str(uuid.uuid4())},
        json={"lines": [{"skuId": sku, "quantity": quantity}], "shippingAddress": ADDRESS},
    )
    assert placed.status == 201, placed.text
    order_id = placed.json()["orderId"]
    stack.sandbox_pay(start_payment(http, token, order_id, "alipay")["paymentId"])
    child = order(http, token, order_id)["children"][0]["childOrderId"]
    tracking = f"SF{uuid.uuid4().hex[:10].upper()}"
    warehouse = stack.mint_token("it-warehouse", ["warehouse"])
    shipped = http.post(
        f"/orders/{child}/shipments", token=warehouse, json={"carrier": "sf", "trackingNumber": tracking}
    )
    assert shipped.status == 201, shipped.text
    carrier_event(http, tracking, "DELIVERED")
    return token, order(http, token, order_id), child


def carrier_event(http: Any, tracking: str, status: str) -> None:
    response = http.post("/_local/sandbox/carriers/sf/events", json={"trackingNumber": tracking, "status": status})
    assert response.status == 200, response.text
    assert [d["status"] for d in response.json()["deliveries"]] == [204]


def open_case(http: Any, token: str, order_id: str, body: dict[str, Any]) -> dict[str, Any]:
    opened = http.post(
        f"/orders/{order_id}/after-sales", token=token, headers={"Idempotency-Key": str(uuid.uuid4())}, json=body
    )
    assert opened.status == 201, opened.text
    case: dict[str, Any] = opened.json()
    return case


def execution(stack: LocalStack, case_id: str) -> dict[str, Any] | None:
    sfn = stack.boto3_client("stepfunctions")
    arn = stack.template.state_machines["AfterSalesCaseStateMachine"].arn.replace(":stateMachine:", ":execution:")
    try:
        described: dict[str, Any] = sfn.describe_execution(executionArn=f"{arn}:case-{case_id}")
    except sfn.exceptions.ExecutionDoesNotExist:
        return None
    return described


def case_of(http: Any, token: str, case_id: str) -> dict[str, Any]:
    response = http.get(f"/after-sales/{case_id}", token=token)
    assert response.status == 200, response.text
    body: dict[str, Any] = response.json()
    return body
