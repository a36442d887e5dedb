"""Handler tests: each function's `app.handler` called with API Gateway v2 events, under moto's
in-process mock (no server). The table comes from template.yaml's own definition."""

from __future__ import annotations

import importlib.util
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from cfnlint.decode import decode
from moto import mock_aws
from oms.store import keys
from oms.store.models import BalanceAccountItem

ROOT = Path(__file__).resolve().parents[2]


def table_definition() -> dict[str, Any]:
    template, _ = decode(str(ROOT / "template.yaml"))
    props = dict(template["Resources"]["Table"]["Properties"])
    props["TableName"] = os.environ["TABLE_NAME"]
    for unsupported in ("TimeToLiveSpecification", "PointInTimeRecoverySpecification", "SSESpecification"):
        props.pop(unsupported)
    props["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
    return props


def load_function(name: str) -> ModuleType:
    path = ROOT / "functions" / name / "app.py"
    spec = importlib.util.spec_from_file_location(f"oms_test_fn_{name}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class FakeScheduler:
    def __init__(self) -> None:
        self.armed: list[tuple[str, str]] = []

    def arm(self, order_id: str, deadline: str) -> None:
        self.armed.append((order_id, deadline))


class LambdaContext:
    function_name = "test"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:test"
    memory_limit_in_mb = 512
    aws_request_id = "req"
    log_group_name = "/aws/lambda/test"
    log_stream_name = "stream"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def http_event(
    method: str,
    path: str,
    *,
    route: str | None = None,
    sub: str | None = None,
    roles: tuple[str, ...] = (),
    body: Any = None,
    raw_body: str | None = None,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    path_parameters: dict[str, str] | None = None,
) -> dict[str, Any]:
    all_headers = {"content-type": "application/json"}
    all_headers.update({k.lower(): v for k, v in (headers or {}).items()})
    text = raw_body if raw_body is not None else (json.dumps(body) if body is not None else None)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route or f"{method} {path}",
        "rawPath": path,
        "rawQueryString": "&".join(f"{k}={v}" for k, v in (query or {}).items()),
        "headers": all_headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": "localhost",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "t"},
            "requestId": str(uuid.uuid4()),
            "routeKey": route or f"{method} {path}",
            "stage": "$default",
            "time": "22/Nov/2026:00:00:00 +0000",
            "timeEpoch": 0,
        },
        "isBase64Encoded": False,
    }
    if text is not None:
        event["body"] = text
    if query:
        event["queryStringParameters"] = query
    if path_parameters:
        event["pathParameters"] = path_parameters
    if sub:
        event["requestContext"]["authorizer"] = {
            "jwt": {"claims": {"sub": sub, "cognito:groups": "[" + " ".join(roles) + "]"}, "scopes": None}
        }
    return event


class Api:
    """Calls a function module's handler the way API Gateway would and decodes the answer."""

    def __init__(self, module: ModuleType) -> None:
        self.module = module

    def __call__(self, method: str, path: str, **kwargs: Any) -> tuple[int, dict[str, str], Any]:
        result = self.module.handler(http_event(method, path, **kwargs), LambdaContext())
        body = result.get("body")
        content_type = result.get("headers", {}).get("Content-Type", "")
        decoded = json.loads(body) if body and "json" in content_type else body
        return result["statusCode"], result.get("headers", {}), decoded


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        boto3.client("dynamodb").create_table(**table_definition())
        yield


@pytest.fixture
def catalog_api(aws: None) -> Api:
    return Api(load_function("catalog"))


@pytest.fixture
def orders_module(aws: None) -> ModuleType:
    module = load_function("orders")
    module.service.scheduler = FakeScheduler()
    return module


@pytest.fixture
def orders_api(orders_module: ModuleType) -> Api:
    return Api(orders_module)


def give_balance(customer_id: str, amount: int, currency: str = "CNY") -> None:
    """A stored balance for the customer, written directly (as a finance credit would leave it)."""
    BalanceAccountItem(
        keys.balance_pk(customer_id),
        keys.BALANCE_ACCOUNT_SK,
        customerId=customer_id,
        currency=currency,
        available=amount,
        updatedAt="2026-01-01T00:00:00Z",
    ).save()


ADMIN = {"sub": "admin-1", "roles": ("admin",)}
CUSTOMER = {"sub": "cust-1", "roles": ("customer",)}
OTHER_CUSTOMER = {"sub": "cust-2", "roles": ("customer",)}
SUPPORT = {"sub": "support-1", "roles": ("support",)}

DEMO_STORE = {
    "name": "Demo",
    "currency": "CNY",
    "shippingFee": {"amount": 1000, "currency": "CNY"},
    "freeShippingThreshold": {"amount": 9900, "currency": "CNY"},
}
ADDRESS = {"name": "Li Lei", "phone": "+86 138 0000 0000", "line1": "1 Nanjing Rd", "city": "Shanghai", "country": "CN"}


@pytest.fixture
def seeded(catalog_api: Api) -> dict[str, Any]:
    status, _, _ = catalog_api("PUT", "/stores/demo", route="PUT /stores/{storeId}", body=DEMO_STORE, **ADMIN)
    assert status == 201
    status, _, product = catalog_api(
        "POST",
        "/products",
        **ADMIN,
        body={
            "storeId": "demo",
            "name": "Tee",
            "skus": [
                {
                    "skuId": "TEE-M",
                    "name": "Tee M",
                    "price": {"amount": 4900, "currency": "CNY"},
                    "stock": 10,
                    "warehouseId": "WH1",
                    "weightGrams": 200,
                },
                {
                    "skuId": "MUG",
                    "name": "Mug",
                    "price": {"amount": 2550, "currency": "CNY"},
                    "stock": 3,
                    "warehouseId": "WH1",
                    "weightGrams": 300,
                },
            ],
        },
    )
    assert status == 201, product
    return product
