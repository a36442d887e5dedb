"""Calling the functions' handlers in-process: the template's table, API Gateway v2 events, a Lambda context,
`Api`, the roles of the test tokens, the demo store, and reads of what the table holds."""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import functools
import importlib.util
import json
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import boto3
import moto.core.botocore_stubber as stubber
import pytest
from cfnlint.decode import decode
from moto.events.models import EventPattern
from oms import wiring
from oms.store import keys
from oms.store.models import BalanceAccountItem
from oms_local.core.streams import lambda_record
from oms_local.core.template import load_template

ROOT = Path(__file__).resolve().parents[2]


@functools.cache
def _template_table() -> dict[str, Any]:
    template, _ = decode(str(ROOT / "template.yaml"))
    return dict(template["Resources"]["Table"]["Properties"])


def table_definition() -> dict[str, Any]:
    """The template's table, as moto's create_table takes it (the template is read once per process)."""
    props = copy.deepcopy(_template_table())
    props["TableName"] = os.environ["TABLE_NAME"]
    for unsupported in ("TimeToLiveSpecification", "PointInTimeRecoverySpecification", "SSESpecification"):
        props.pop(unsupported)
    props["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
    return props


@contextlib.contextmanager
def adapters(**fields: Any) -> Iterator[wiring.Adapters]:
    """Every function's adapters with these fields replaced (`oms.wiring.Adapters`: providers, warehouse,
    carrier_webhooks) while the block runs; the bundle before it afterwards."""
    before = wiring.adapters()
    bundle = dataclasses.replace(before, **fields)
    wiring.configure(bundle)
    try:
        yield bundle
    finally:
        wiring.configure(before)


def load_function(name: str) -> ModuleType:
    path = ROOT / "functions" / name / "app.py"
    spec = importlib.util.spec_from_file_location(f"oms_test_fn_{name}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def environments(module: ModuleType, count: int) -> list[ModuleType]:
    """`count` execution environments of a function module, for threads that race it: Lambda runs one request
    at a time in each environment (powertools' resolver keeps the current request on its app, so two threads
    in one module would read each other's headers), and scales out with more of them, as the local stack's
    invocations do (oms_local.core.functions.InProcessFunction)."""
    name = Path(str(module.__file__)).parent.name
    return [load_function(name) for _ in range(count)]


class AwsCalls:
    """Every AWS call the test's own thread makes through the clients created while the `aws_calls` fixture
    is active, as "service:Operation", seen by botocore before-call hooks; `fail` injects an error response
    instead. Calls of other threads (a local stack's timers and Step Functions executions still running in
    the same process after integration tests) are not the test's, and are left out."""

    def __init__(self) -> None:
        self._thread = threading.get_ident()
        self.calls: list[str] = []
        self.requests: list[tuple[str, bytes]] = []  # with the serialized request body
        self._faults: list[tuple[str, str, Callable[[bytes], bool]]] = []

    def fail(self, operation: str, code: str, when: Callable[[bytes], bool] = lambda body: True) -> None:
        """Answer `operation` ("stepfunctions:StartExecution") with error `code` when `when(body)`."""
        self._faults.append((operation, code, when))

    def heal(self) -> None:
        self._faults.clear()

    def clear(self) -> None:
        self.calls.clear()
        self.requests.clear()

    def before_call(self, model: Any, params: dict[str, Any], **_: Any) -> Any:
        if threading.get_ident() != self._thread:
            return None
        name = f"{model.service_model.service_name}:{model.name}"
        body = params.get("body") or b""
        body = body.encode() if isinstance(body, str) else body
        self.calls.append(name)
        self.requests.append((name, body))
        for operation, code, when in self._faults:
            if operation == name and when(body):
                http = SimpleNamespace(status_code=503, headers={}, content=b"")
                return http, {"Error": {"Code": code, "Message": f"injected {code}"}, "ResponseMetadata": {}}
        return None


def executions(arn: str) -> dict[str, dict[str, Any]]:
    """Executions of a state machine by name, with their input."""
    sfn = boto3.client("stepfunctions")
    found = {}
    for execution in sfn.list_executions(stateMachineArn=arn)["executions"]:
        described = sfn.describe_execution(executionArn=execution["executionArn"])
        found[execution["name"]] = json.loads(described["input"])
    return found


def outbox_rows(order_id: str) -> list[tuple[str, dict[str, Any]]]:
    """The order's outbox rows, oldest first: (detail type, detail)."""
    table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
    items = table.query(
        KeyConditionExpression="PK = :pk AND begins_with(SK, :outbox)",
        ExpressionAttributeValues={":pk": f"ORDER#{order_id}", ":outbox": "OUTBOX#"},
        ConsistentRead=True,
    )["Items"]
    return [(str(i["detailType"]), json.loads(str(i["detail"]))) for i in sorted(items, key=lambda i: i["SK"])]


def due_entry_of(order_id: str) -> tuple[str, str] | None:
    """The order's entry in the sparse deadline index (GSI4PK, GSI4SK), or None."""
    table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
    header = table.get_item(Key={"PK": f"ORDER#{order_id}", "SK": "META"}, ConsistentRead=True)["Item"]
    if "GSI4PK" not in header:
        assert "GSI4SK" not in header
        return None
    return str(header["GSI4PK"]), str(header["GSI4SK"])


class TableStream:
    """The table's stream as a stream consumer of the template sees it: Lambda-shaped records, only those
    its FilterCriteria let through, each record once (`new_records` continues where it stopped)."""

    def __init__(self, function_id: str) -> None:
        template = load_template(ROOT / "template.yaml", {}, "oms-local")
        [subscription] = [s for s in template.streams if s.function_id == function_id]
        self.patterns = [EventPattern.load(pattern) for pattern in subscription.filters]
        # botocore sends stream calls to an account endpoint (<account>.streams-ddb...) that moto's in-process
        # mock does not route: name the regional endpoint.
        self.client = boto3.client("dynamodbstreams", endpoint_url="https://streams.dynamodb.us-east-1.amazonaws.com")
        self.arn = boto3.client("dynamodb").describe_table(TableName=os.environ["TABLE_NAME"])["Table"][
            "LatestStreamArn"
        ]
        shard = self.client.describe_stream(StreamArn=self.arn)["StreamDescription"]["Shards"][0]["ShardId"]
        self.iterator = self.client.get_shard_iterator(
            StreamArn=self.arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]

    def new_records(self, only: str | None = "Outbox") -> list[dict[str, Any]]:
        """The records since the last call that the filters let through, of items of type `only` (the
        outbox rows by default; "Stock" for stock item changes; None: all)."""
        records = []
        while True:
            page = self.client.get_records(ShardIterator=self.iterator, Limit=1000)
            self.iterator = page["NextShardIterator"]
            if not page["Records"]:
                break
            records += [lambda_record(r, self.arn, "us-east-1") for r in page["Records"]]
        passed = [r for r in records if any(p.matches_event(r) for p in self.patterns)]
        return [r for r in passed if only is None or r["dynamodb"]["NewImage"]["type"]["S"] == only]


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
    stores: tuple[str, ...] = (),
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
        if stores:
            event["requestContext"]["authorizer"]["jwt"]["claims"]["custom:stores"] = ",".join(stores)
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
def serialized(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real threads against moto, each DynamoDB call serialized as the local stack's server does (its
    conditions are evaluated atomically; the race is between our reads and our writes)."""
    lock = threading.Lock()
    original = stubber.BotocoreStubber.__call__

    def locked(self: Any, *args: Any, **kwargs: Any) -> Any:
        with lock:
            return original(self, *args, **kwargs)

    monkeypatch.setattr(stubber.BotocoreStubber, "__call__", locked)
