"""Steps of the after-sales handler tests (`world`): the recording `Flow` that stands in for the case's
Step Functions execution (wire it with `wiring.Adapters(case_flow=...)`), the flow's tasks called as the
state machine calls them, paid and delivered orders, cases opened and moved."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from oms import wiring

from tests.helpers.handlers import ADDRESS, ADMIN, CUSTOMER, LambdaContext
from tests.helpers.table import stock_of as _stock_of
from tests.helpers.world import WAREHOUSE, Call, World, carrier_callback, checkout_call, payment_callback


@dataclass
class Flow:
    """Stands in for the case flow's Step Functions execution: records starts and resumes."""

    started: list[tuple[str, str]] = field(default_factory=list)
    resumed: list[tuple[str, str]] = field(default_factory=list)
    done: set[str] = field(default_factory=set)

    def start(self, case_id: str, order_id: str, timeouts: dict[str, int]) -> None:
        self.started.append((case_id, order_id))

    def resume(self, token: str, next_step: str) -> bool:
        if token in self.done:
            return False
        self.done.add(token)
        self.resumed.append((token, next_step))
        return True


@pytest.fixture(name="flow")
def recording_flow(world: World) -> Iterator[Flow]:
    """The case flow stood in for by the recording `Flow` (registered in tests/handlers/conftest.py)."""
    recording = Flow()
    current = wiring.adapters()
    wiring.configure(
        wiring.Adapters(
            providers=current.providers,
            warehouse=current.warehouse,
            carrier_webhooks=current.carrier_webhooks,
            case_flow=recording,
        )
    )
    yield recording
    wiring.configure(current)


def task(world: World, action: str, case_id: str, **extra: Any) -> dict[str, Any]:
    """A task of the case flow, as its state machine invokes it."""
    result: dict[str, Any] = world.functions["case_flow"].handler(
        {"action": action, "caseId": case_id, **extra}, LambdaContext()
    )
    return result


def wait(world: World, case_id: str, step: str) -> str:
    """The flow waits on `step` (its task token kept on the case); returns the token."""
    token = f"token-{case_id}-{step}-{world.key('token')}"
    task(world, "wait", case_id, step=step, token=token)
    return token


def order_with(world: World, quantity: int, *, method: str = "balance") -> dict[str, Any]:
    """A paid order of `quantity` tees: paid at checkout with the stored balance, or through a provider."""
    body: dict[str, Any] = {"lines": [{"skuId": "TEE-M", "quantity": quantity}], "shippingAddress": ADDRESS}
    if method == "balance":
        body["balance"] = "max"
    order = world.ok("POST /orders", checkout_call(body, world.key("order")))
    if method != "balance":
        attempt = world.attempt(order, method)
        callback = world.sandbox.pay(method, attempt["paymentId"], amount=attempt["amount"]["amount"])
        assert payment_callback(world.functions["payment_callbacks"], method, callback)["statusCode"] in (200, 204)
    return order


def deliver(world: World, order: dict[str, Any]) -> str:
    """Ship and deliver the order's first child; returns its id."""
    child = order["children"][0]["childOrderId"]
    tracking = world.tracking()
    world.ok(
        "POST /orders/{orderId}/shipments",
        Call(f"/orders/{child}/shipments", WAREHOUSE, {"carrier": "sf", "trackingNumber": tracking}, status=201),
    )
    assert (
        carrier_callback(world.functions["carrier_callbacks"], tracking, "DELIVERED", "d-" + tracking)["statusCode"]
        == 204
    )
    return str(child)


def open_case(
    world: World,
    order: dict[str, Any],
    child: str,
    kind: str,
    lines: list[tuple[int, int]],
    who: dict[str, Any] = CUSTOMER,
    **more: Any,
) -> Any:
    body = {"childOrderId": child, "type": kind, "lines": [{"lineNo": n, "quantity": q} for n, q in lines]}
    body = {**body, "reason": more.pop("reason", "damaged"), **more}
    return world.call(
        "POST /orders/{orderId}/after-sales",
        Call(f"/orders/{order['orderId']}/after-sales", who, body, {"Idempotency-Key": world.key("case")}, 201),
    )


def move(world: World, case_id: str, action: str, who: dict[str, Any], body: dict[str, Any] | None = None) -> Any:
    return world.call(
        f"POST /after-sales/{{caseId}}/{action}", Call(f"/after-sales/{case_id}/{action}", who, body or {})
    )


def case(world: World, case_id: str, who: dict[str, Any] = CUSTOMER) -> dict[str, Any]:
    body: dict[str, Any] = world.ok("GET /after-sales/{caseId}", Call(f"/after-sales/{case_id}", who))
    return body


def stock_of(sku_id: str) -> dict[str, int]:
    """The SKU's counters, with the damaged count inspections add."""
    item = boto3.resource("dynamodb").Table("oms-local-oms").get_item(Key={"PK": f"SKU#{sku_id}", "SK": "STOCK"})
    return {**_stock_of(sku_id), "damaged": int(item["Item"].get("damaged", 0))}


def payment(world: World, order: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = world.ok(
        "GET /orders/{orderId}/payments", Call(f"/orders/{order['orderId']}/payments", ADMIN)
    )
    return body
