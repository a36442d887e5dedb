"""A small world of every function under moto, with the real adapters against the payment, warehouse
and carrier sandboxes, and botocore hooks that inject transient faults: `World`, `Call`, `Faults`,
and the fixtures `functions`, `sandbox`, `world`, `faults` (registered in tests/handlers/conftest.py)."""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends
from oms.adapters.carriers import CarrierWebhooks, sign_carrier_notice
from oms.adapters.sealing import KEY_ENV as SEALING_KEY_ENV
from oms.adapters.sealing import new_key as new_sealing_key
from oms.domain.clock import to_rfc3339, utcnow
from oms.store.models import Item
from oms_local.core.template import load_template
from oms_local.oms.channel_sandbox import SandboxChannels
from oms_local.oms.payment_sandbox import Sandbox
from oms_local.oms.warehouse_sandbox import SandboxWarehouse
from pynamodb.models import Model

from tests.helpers.handlers import (
    ADDRESS,
    ADMIN,
    CUSTOMER,
    DEMO_STORE,
    SUPPORT,
    LambdaContext,
    adapters,
    give_balance,
    http_event,
    load_function,
)
from tests.helpers.pricing import cny, spend_and_save, ten_off

ROOT = Path(__file__).resolve().parents[2]


FINANCE = {"sub": "fin-1", "roles": ("finance",)}


WAREHOUSE = {"sub": "wh-1", "roles": ("warehouse",)}


CARRIER_SECRET = b"sf-test-secret-0123456789"


TABLE = "oms-local-oms"


TEMPLATE = load_template(ROOT / "template.yaml")


FUNCTION_OF_ROUTE = {r.route_key: TEMPLATE.functions[r.function_id].code_dir.name for r in TEMPLATE.routes}


WRITES = frozenset({"TransactWriteItems", "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"})


READS = frozenset({"GetItem", "Query", "BatchGetItem", "TransactGetItems", "Scan"})


@dataclass
class Fault:
    """What the next matching calls meet. `kind`: throttle | conflict | connect-timeout | lost-answer, or
    invalid (a ValidationException: a bug, not a transient fault)."""

    kind: str
    operations: frozenset[str]
    times: int | None = None  # None: every matching call
    fired: int = 0

    def wanted(self, operation: str) -> bool:
        return operation in self.operations and (self.times is None or self.fired < self.times)


def _error(operation: str, code: str, status: int = 400, **extra: Any) -> tuple[AWSResponse, dict[str, Any]]:
    parsed = {"Error": {"Code": code, "Message": "injected"}, "ResponseMetadata": {"HTTPStatusCode": status}, **extra}
    return AWSResponse("https://dynamodb.us-east-1.amazonaws.com/", status, {}, None), parsed


class Faults:
    """botocore event hooks on a set of clients: `before-call` answers for AWS (an error response, or a
    raised connect timeout) without sending; `after-call` raises a read timeout once the call was applied."""

    def __init__(self) -> None:
        self.fault: Fault | None = None
        self.calls: Counter[str] = Counter()
        self._clients: list[Any] = []

    def attach(self, client: Any) -> None:
        client.meta.events.register("before-call.*.*", self._before_call, unique_id="fault-before")
        client.meta.events.register("after-call.*.*", self._after_call, unique_id="fault-after")
        self._clients.append(client)

    def detach(self) -> None:
        for client in self._clients:
            client.meta.events.unregister("before-call.*.*", unique_id="fault-before")
            client.meta.events.unregister("after-call.*.*", unique_id="fault-after")
        self._clients.clear()

    def inject(self, kind: str, operations: frozenset[str] = WRITES, times: int | None = None) -> Fault:
        self.fault = Fault(kind, operations, times)
        return self.fault

    def clear(self) -> None:
        self.fault = None

    def _before_call(self, model: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        self.calls[model.name] += 1
        fault = self.fault
        if fault is None or fault.kind == "lost-answer" or not fault.wanted(model.name):
            return None
        fault.fired += 1
        if fault.kind == "throttle":
            code = "ThrottlingException" if model.service_model.service_name == "stepfunctions" else None
            return _error(model.name, code or "ProvisionedThroughputExceededException")
        if fault.kind == "conflict":
            if model.name == "TransactWriteItems":
                reasons = [{"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}]
                return _error(model.name, "TransactionCanceledException", CancellationReasons=reasons)
            return _error(model.name, "TransactionConflictException")
        if fault.kind == "invalid":
            return _error(model.name, "ValidationException")
        if fault.kind == "connect-timeout":
            raise ConnectTimeoutError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com/")
        raise AssertionError(f"unknown fault {fault.kind}")

    def _after_call(self, model: Any, http_response: Any, **_: Any) -> None:
        fault = self.fault
        applied = http_response.status_code < 300
        if fault is not None and fault.kind == "lost-answer" and applied and fault.wanted(model.name):
            fault.fired += 1
            raise ReadTimeoutError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com/")


def store_clients() -> list[Any]:
    """Every botocore client the pynamodb models use (they share the base model's once it exists)."""
    Item._get_connection()
    clients: dict[int, Any] = {}
    pending: list[type[Model]] = [Model]
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        connection = model.__dict__.get("_connection")
        if connection is not None:
            client = connection.connection.client
            clients[id(client)] = client
    return list(clients.values())


@pytest.fixture(scope="module")
def functions() -> dict[str, ModuleType]:
    names = {*FUNCTION_OF_ROUTE.values(), "payment_timeout", "auto_confirm", "case_flow"}
    return {name: load_function(name) for name in sorted(names)}


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    return Sandbox(seed=9)


@dataclass
class Call:
    path: str
    who: dict[str, Any]
    body: Any = None
    headers: dict[str, str] | None = None
    status: int = 200  # the success status
    query: dict[str, str] | None = None


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: Any


@dataclass
class World:
    functions: dict[str, ModuleType]
    sandbox: Sandbox
    warehouse: SandboxWarehouse
    product_id: str = ""
    counter: Counter[str] = field(default_factory=Counter)
    channels: SandboxChannels = field(default_factory=SandboxChannels)

    def call(self, route: str, call: Call) -> Answer:
        module = self.functions[FUNCTION_OF_ROUTE[route]]
        event = http_event(
            route.split(" ", 1)[0],
            call.path,
            route=route,
            sub=call.who["sub"],
            roles=call.who["roles"],
            stores=call.who.get("stores", ()),
            body=call.body,
            headers=call.headers,
            query=call.query,
        )
        result = module.handler(event, LambdaContext())
        headers = result.get("headers", {})
        text = result.get("body")
        body = json.loads(text) if text and "json" in headers.get("Content-Type", "") else text
        return Answer(result["statusCode"], headers, body)

    def ok(self, route: str, call: Call) -> Any:
        answer = self.call(route, call)
        assert answer.status == call.status, (route, answer.body)
        return answer.body

    def key(self, prefix: str) -> str:
        """A fresh id, so a case can be prepared twice in one world."""
        self.counter[prefix] += 1
        return f"{prefix}-{self.counter[prefix]}"

    def tracking(self) -> str:
        self.counter["tracking"] += 1
        return f"SF{self.counter['tracking']:08d}"

    def notification(self, who: dict[str, Any]) -> str:
        """A new unread notification in `who`'s inbox (an OrderPaid event consumed); its id."""
        from oms.services.consumers import BusEvent

        from tests.helpers.bus import bus_event

        self.counter["notification"] += 1
        detail = {
            "orderId": "01NOTIFIED",
            "orderNumber": f"N{self.counter['notification']}",
            "customerId": who["sub"],
            "storeIds": ["demo"],
            "total": {"amount": 100, "currency": "CNY"},
        }
        service = self.functions["notification_api"].services.notifications
        service.consume(BusEvent.from_eventbridge(bus_event("OrderPaid", detail)))
        return str(service.inbox(_actor(who), 1, None)["items"][0]["notificationId"])

    def snapshot(self) -> list[dict[str, Any]]:
        """Every item of the table, read from moto's own backend (a Scan through the API costs ten
        times as much, for the same dump), for "nothing was written"."""
        table = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].get_table(TABLE)
        items = [item.to_json()["Attributes"] for item in table.all_items()]
        return sorted(items, key=lambda item: (item["PK"]["S"], item["SK"]["S"]))

    # -- orders
    def pending_order(self) -> dict[str, Any]:
        body = {"lines": [{"skuId": "TEE-M", "quantity": 1}], "shippingAddress": ADDRESS}
        return self.ok("POST /orders", checkout_call(body, self.key("order")))

    def paid_order(self) -> dict[str, Any]:
        body = {"lines": [{"skuId": "TEE-M", "quantity": 1}], "shippingAddress": ADDRESS, "balance": "max"}
        order = self.ok("POST /orders", checkout_call(body, self.key("order")))
        assert order["status"] == "PAID"
        return order

    def attempt(self, order: dict[str, Any], method: str) -> dict[str, Any]:
        return self.ok(
            "POST /orders/{orderId}/payments",
            Call(
                f"/orders/{order['orderId']}/payments",
                CUSTOMER,
                {"method": method},
                {"Idempotency-Key": self.key("pay")},
                201,
            ),
        )

    def shipped_child(self) -> tuple[dict[str, Any], str, str]:
        order = self.paid_order()
        child = order["children"][0]["childOrderId"]
        tracking = self.tracking()
        self.ok(
            "POST /orders/{orderId}/shipments",
            Call(f"/orders/{child}/shipments", WAREHOUSE, {"carrier": "sf", "trackingNumber": tracking}, status=201),
        )
        return order, child, tracking

    def delivered_order(self) -> dict[str, Any]:
        order, _, tracking = self.shipped_child()
        answer = carrier_callback(self.functions["carrier_callbacks"], tracking, "DELIVERED", "d-" + tracking)
        assert answer["statusCode"] == 204, answer
        return order

    def anomaly(self) -> str:
        order = self.pending_order()
        attempt = self.attempt(order, "wechat")
        callback = self.sandbox.pay("wechat", attempt["paymentId"], amount=1)
        assert payment_callback(self.functions["payment_callbacks"], "wechat", callback)["statusCode"] == 204
        listed = self.ok("GET /anomalies", Call("/anomalies", SUPPORT))
        return str(next(a["anomalyId"] for a in listed["items"] if a["orderId"] == order["orderId"]))

    # -- virtual goods and channels (issue 15)
    def virtual_skus(self) -> None:
        """VCODE (codes, 200 in its pool), VLINK (a link) and VSVC (a service activated by staff), once."""
        if self.counter["virtual"]:
            return
        self.counter["virtual"] += 1

        def virtual(sku_id: str, spec: dict[str, Any], stock: int) -> dict[str, Any]:
            return {**sku(sku_id), "stock": stock, "weightGrams": 0, "virtual": spec}

        skus = [virtual("VCODE", {"kind": "code"}, 0), virtual("VLINK", {"kind": "link"}, 500)]
        skus.append(virtual("VSVC", {"kind": "service", "activation": "manual"}, 500))
        self.ok(
            "POST /products", Call("/products", ADMIN, {"storeId": "demo", "name": "Cards", "skus": skus}, status=201)
        )
        codes = "".join(f"VC-{n:05d}\n" for n in range(200))
        self.ok("POST /skus/{skuId}/codes", Call("/skus/VCODE/codes", ADMIN, {"file": codes}, status=201))

    def virtual_order(self, sku_id: str, *, delivered: bool = False) -> str:
        """A paid order of one virtual unit (delivered by support when asked); its id."""
        self.virtual_skus()
        body = {"lines": [{"skuId": sku_id, "quantity": 1}], "balance": "max"}
        order = self.ok("POST /orders", checkout_call(body, self.key("vorder")))
        if delivered:
            self.ok("POST /orders/{orderId}/deliveries", Call(f"/orders/{order['orderId']}/deliveries", SUPPORT))
        return str(order["orderId"])

    def channel_store(self) -> str:
        """A new channel store ordering as `channel-<n>` (10,000.00 of balance), connected to the sandbox."""
        from oms.domain.money import Money

        user = self.key("channel")
        body = {"name": "Shop", "channelType": "taobao", "orderingUserId": user, "redemptionDomain": "r.test"}
        store = self.ok("POST /channel-stores", Call("/channel-stores", ADMIN, body, status=201))
        give_balance(user, 1_000_000)
        self.channels.connect(store["storeId"], store["callbackSecret"], "acct", Money(1_000_000, "CNY"))
        return str(store["storeId"])

    def risk_held_order(self) -> dict[str, Any]:
        """An order paid through WeChat and held for a risk review (a rule matched it at checkout: the
        new-account rule with a threshold of 0.01 while it is placed)."""
        risky = {"rules": {"newAccount": {"amountOver": {"CNY": 1}}}}
        self.ok("PUT /settings/risk", Call("/settings/risk", ADMIN, risky))
        order = self.pending_order()
        self.ok("PUT /settings/risk", Call("/settings/risk", ADMIN, {}))
        attempt = self.attempt(order, "wechat")
        callback = self.sandbox.pay("wechat", attempt["paymentId"])
        assert payment_callback(self.functions["payment_callbacks"], "wechat", callback)["statusCode"] == 204
        return order

    def refused_refund(self, provider: str = "wechat") -> tuple[str, str]:
        """A held order (0.01 received through `provider`) cancelled by support while the provider refuses
        refunds for good: its refund is FAILED, its case OPEN. Returns (order id, refund id)."""
        order = self.pending_order()
        attempt = self.attempt(order, provider)
        callback = self.sandbox.pay(provider, attempt["paymentId"], amount=1)
        assert payment_callback(self.functions["payment_callbacks"], provider, callback)["statusCode"] in (200, 204)
        self.sandbox.refunds_declined = True
        try:
            self.ok(
                "POST /orders/{orderId}/cancel",
                Call(f"/orders/{order['orderId']}/cancel", SUPPORT, {"reason": "asked"}),
            )
        finally:
            self.sandbox.refunds_declined = False
        payments = self.ok("GET /orders/{orderId}/payments", Call(f"/orders/{order['orderId']}/payments", ADMIN))
        [refund] = payments["refunds"]
        assert refund["status"] == "FAILED", refund
        return str(order["orderId"]), str(refund["refundId"])

    # -- pricing
    def promotion(self) -> dict[str, Any]:
        return self.ok("POST /promotions", Call("/promotions", ADMIN, spend_and_save(), status=201))

    def template(self) -> dict[str, Any]:
        return self.ok("POST /coupon-templates", Call("/coupon-templates", ADMIN, ten_off(), status=201))


def _actor(who: dict[str, Any]) -> Any:
    from oms.domain.permissions import Actor, Role

    return Actor(who["sub"], frozenset(Role(r) for r in who["roles"]))


def checkout_call(body: dict[str, Any], key: str) -> Call:
    return Call("/orders", CUSTOMER, body, {"Idempotency-Key": key}, 201)


def sku(sku_id: str) -> dict[str, Any]:
    """At 120.00 one unit is enough for every channel's minimum (bank transfers take 100.00 and up)."""
    return {"skuId": sku_id, "name": sku_id, "price": cny(12000), "stock": 50, "warehouseId": "WH1", "weightGrams": 100}


def payment_callback(module: ModuleType, provider: str, callback: Any) -> dict[str, Any]:
    event = http_event(
        "POST",
        f"/callbacks/payments/{provider}",
        route="POST /callbacks/payments/{provider}",
        raw_body=callback.body.decode(),
        headers={**callback.headers, "Content-Type": callback.content_type},
        path_parameters={"provider": provider},
    )
    result: dict[str, Any] = module.handler(event, LambdaContext())
    return result


def carrier_callback(module: ModuleType, tracking: str, status: str, event_id: str) -> dict[str, Any]:
    raw = json.dumps(
        {
            "eventId": event_id,
            "trackingNumber": tracking,
            "status": status,
            "occurredAt": to_rfc3339(utcnow()),
            "location": "Shanghai",
        }
    ).encode()
    event = http_event(
        "POST",
        "/callbacks/carriers/sf",
        route="POST /callbacks/carriers/{carrier}",
        raw_body=raw.decode(),
        headers={"Carrier-Signature": sign_carrier_notice(CARRIER_SECRET, raw, int(time.time()))},
        path_parameters={"carrier": "sf"},
    )
    result: dict[str, Any] = module.handler(event, LambdaContext())
    return result


@pytest.fixture
def world(aws: None, functions: dict[str, ModuleType], sandbox: Sandbox) -> Iterator[World]:
    warehouse = SandboxWarehouse()
    w = World(functions, sandbox, warehouse)
    sealing = os.environ.get(SEALING_KEY_ENV)
    os.environ[SEALING_KEY_ENV] = sealing or new_sealing_key()
    with adapters(
        providers=sandbox.provider,
        warehouse=warehouse,
        carrier_webhooks=CarrierWebhooks({"sf": [CARRIER_SECRET]}),
        channels=w.channels,
    ):
        w.ok("PUT /stores/{storeId}", Call("/stores/demo", ADMIN, DEMO_STORE, status=201))
        product = w.ok(
            "POST /products",
            Call("/products", ADMIN, {"storeId": "demo", "name": "Tee", "skus": [sku("TEE-M")]}, status=201),
        )
        w.product_id = product["productId"]
        give_balance("cust-1", 1_000_000)  # paid orders are paid with it at checkout
        yield w
    if sealing is None:
        os.environ.pop(SEALING_KEY_ENV, None)


@pytest.fixture
def faults(aws: None) -> Iterator[Faults]:
    injector = Faults()
    for client in store_clients():
        injector.attach(client)
    yield injector
    injector.detach()
