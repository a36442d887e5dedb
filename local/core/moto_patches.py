"""Every change the local stack makes to moto, in one module.

moto is pinned exactly (see pyproject.toml); the canary tests in
tests/integration/test_local_stack.py exercise each patch below through the public AWS APIs and
``check_patch_points()`` fails loudly if an upgrade renames what we patch. The patches:

(a) Step Functions executions run for real (moto only records them unless told otherwise), and the
    loggers that report every *caught* error of an execution, or every HTTP request, stay quiet.
(b) Lambda invokes (from a Step Functions task, or boto3 ``invoke``) run in Docker in moto; here they
    call the in-process Python handler registered under the function's name. A raised exception
    becomes a function error whose ``errorType`` is the exception's class name, so ASL
    ``Retry``/``Catch`` on error names behave as on AWS.
(c) EventBridge: moto raises NotImplementedError for Lambda and Step Functions targets and ignores a
    target's ``Input``/``InputPath``; it also delivers to DISABLED rules and sends ``time`` as a
    float. We deliver Lambda and Step Functions targets ourselves, asynchronously as AWS does, with
    the target's input rules applied, and leave the other target types to moto. A Lambda target that
    fails is retried as Lambda retries asynchronous invokes (the function's ``EventInvokeConfig``,
    seconds apart instead of minutes), then sent to the function's ``DeadLetterQueue`` with Lambda's
    message attributes; a target that cannot be invoked goes to the rule target's ``DeadLetterConfig``.
    Scheduled rules never fire in moto: ``fire_rule`` sends the "Scheduled Event" AWS would send.
(d) moto's server runs each request in its own thread without a backend lock, so concurrent
    conditional writes can all succeed (oversold stock, lost updates). ``LockedMotoServer`` wraps
    moto's WSGI app so DynamoDB (and DynamoDB Streams) requests run one at a time. Other services stay
    concurrent on purpose: a Lambda invoke request runs a handler that itself calls DynamoDB.
(e) A Wait state's ``Timestamp``/``TimestampPath`` is compared with the *local* wall clock as if it were
    UTC and the difference is truncated, so waits end early (up to a second; hours on a machine whose
    time zone is east of UTC) or late (hours, west of UTC), and offsets such as ``+08:00`` are
    rejected. We compute the wait in UTC, round it up so it never ends before the timestamp, and
    accept RFC 3339 offsets as AWS does.
(g) moto's TransactWriteItems deep-copies the *whole table* once per item of the transaction, to roll
    back on failure: a checkout got slower with every order (130 ms → 1 s after a few hundred) and
    the process grew by gigabytes. Under lock (d) no other DynamoDB request runs meanwhile, so we
    snapshot only the items the transaction touches (and the stream's length), let moto's own
    "copy" of the table be the table itself, and restore those items if the transaction fails.
(f) moto's DynamoDB-stream event source mappings invoke the function synchronously inside the write
    request (so inside lock (d): a handler writing to the table would deadlock). The local stack
    never creates them; it polls the stream instead (see ``oms_local.streams``).
(h) moto evaluates a bucket policy's statements without their conditions, so the template's TLS-only
    statement (Deny s3:* when ``aws:SecureTransport`` is false) denied every object request: nothing
    could write an export or a report locally. The local endpoint stands for AWS's HTTPS one, so
    requests to it count as secure: statements denying insecure transport are left out of the
    evaluation (the policy itself is stored and read back as written).
(i) S3 event notifications to Lambda (a template function's `Type: S3` event, configured on the bucket by
    the deploy): moto invokes the function synchronously inside the upload request, *before* it stores the
    object's metadata (its Content-Type), and swallows every error. We deliver them like EventBridge's
    Lambda targets (c): asynchronously, retried per the function's EventInvokeConfig, then to its
    dead-letter queue; and only once the request that created the object has finished.
(j) moto stores whatever a browser-style POST upload sends: it checks neither the form's policy document
    (expiration, conditions on the bucket, the key, the Content-Type, content-length-range) nor anything
    else. We check the policy's expiration and conditions as S3 does (403 AccessDenied "Invalid according
    to Policy", 400 EntityTooLarge / EntityTooSmall), so a form refuses another key, type or size locally
    too. The signature is not verified (local credentials sign everything).
(k) moto's Query starts from ``Table.all_items()``: every item of the table, *sorted* (by Python comparisons
    of DynamoType), for every query — one of the base table (a single partition) as much as one of an index.
    Over a local session the table grows (orders, outbox and inbox rows, search rows, stock movements), each
    query cost more, and under lock (d) every other DynamoDB request waited: the stream consumers fell
    minutes behind and requests timed out. A base-table query now starts from its partition's items, an
    index query from the unsorted items whose index hash key has the queried value (compared as plain
    values); moto's own checks, sort by the index's keys and paging run on them as before. Scans keep
    moto's sorted order.
"""

from __future__ import annotations

import copy
import datetime as dt
import inspect
import json
import logging
import math
import os
import queue
import re
import threading
import traceback
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

import boto3
import moto
import moto.core.config
import moto.dynamodb.models as dynamodb_models
import moto.s3.notifications as s3_notifications
from botocore.config import Config
from moto.awslambda.models import LambdaFunction
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.events.models import EventPattern, Rule, events_backends
from moto.events.utils import EventTemplateParser
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from moto.s3.models import FakeBucket
from moto.s3.responses import S3Response
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEventException
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.timestamp import Timestamp
from werkzeug.serving import make_server

EXPECTED_MOTO_VERSION = "5.2.5"

log = logging.getLogger("local_stack")

InProcessHandler = Callable[[Any], Any]
"""Takes the event, returns the function's result (JSON-serialisable) or raises."""

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# ----------------------------------------------------------------------------- handler registry

_handlers: dict[str, InProcessHandler] = {}
_async_configs: dict[str, AsyncInvokeConfig] = {}
_handlers_lock = threading.Lock()
_endpoint: dict[str, str] = {}


@dataclass(frozen=True)
class AsyncInvokeConfig:
    """How Lambda treats a failed asynchronous invoke of a function (EventBridge, schedules): retried
    `retry_attempts` times (AWS waits about 1 and 2 minutes; locally `retry_delays` seconds), then the
    event is sent to `dead_letter_arn` (an SQS queue) with Lambda's message attributes, or dropped."""

    retry_attempts: int = 2
    dead_letter_arn: str | None = None
    retry_delays: tuple[float, ...] = (0.2, 0.4)

    def delay(self, attempt: int) -> float:
        return self.retry_delays[min(attempt, len(self.retry_delays) - 1)] if self.retry_delays else 0.0


def register_function(
    function_name: str, handler: InProcessHandler, async_config: AsyncInvokeConfig | None = None
) -> None:
    """Route invokes of the moto Lambda function ``function_name`` to ``handler``."""
    with _handlers_lock:
        _handlers[function_name] = handler
        _async_configs[function_name] = async_config or AsyncInvokeConfig()


def unregister_function(function_name: str) -> None:
    with _handlers_lock:
        _handlers.pop(function_name, None)
        _async_configs.pop(function_name, None)


def async_config(function_name: str) -> AsyncInvokeConfig:
    with _handlers_lock:
        return _async_configs.get(function_name) or AsyncInvokeConfig()


def registered_function(function_name: str) -> InProcessHandler | None:
    with _handlers_lock:
        return _handlers.get(function_name)


def set_endpoint_url(url: str) -> None:
    """The moto server URL that patch (c) uses to start Step Functions executions."""
    _endpoint["url"] = url


# ----------------------------------------------------------------------------- (a) configuration

QUIET_LOGGERS = ("moto.stepfunctions.parser", "werkzeug")


def _configure_moto() -> None:
    moto.core.config.default_user_config["stepfunctions"] = {"execute_state_machine": True}
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.CRITICAL)


# ----------------------------------------------------------------------------- (b) Lambda invokes


def run_handler(function_name: str, handler: InProcessHandler, event: Any) -> tuple[str, bool, str]:
    """Run one invoke the way the Lambda runtime reports it: (payload JSON, errored, log text)."""
    try:
        result = handler(event)
    except Exception as exc:
        log.warning("function %s raised %s: %s", function_name, type(exc).__name__, exc, exc_info=True)
        error = {
            "errorType": type(exc).__name__,
            "errorMessage": str(exc),
            "stackTrace": traceback.format_tb(exc.__traceback__),
        }
        return json.dumps(error), True, traceback.format_exc()
    return json.dumps(result, default=str), False, ""


_original_invoke_lambda: Callable[..., Any] = LambdaFunction._invoke_lambda


def _invoke_lambda_in_process(self: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
    # moto passes the parsed JSON body, or the *string* "{}" when the body was empty.
    if isinstance(event, str | bytes):
        event = json.loads(event or "{}")
    handler = registered_function(self.function_name)
    if handler is None:
        error = {
            "errorType": "ResourceNotFoundException",
            "errorMessage": f"no in-process handler is registered for function {self.function_name!r}",
        }
        return json.dumps(error), True, ""
    return run_handler(self.function_name, handler, event)


# ----------------------------------------------------------------------------- (c) EventBridge

_original_send_to_targets: Callable[..., None] = Rule.send_to_targets


def _iso_time(value: Any) -> Any:
    if isinstance(value, int | float):
        return dt.datetime.fromtimestamp(value, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value


def aws_event(moto_event: dict[str, Any]) -> dict[str, Any]:
    """The event as AWS delivers it: ISO-8601 ``time``, no moto bookkeeping fields."""
    event = {key: value for key, value in moto_event.items() if key != "ingestion-time"}
    event["time"] = _iso_time(event.get("time"))
    return event


def target_input(target: dict[str, Any], event: dict[str, Any]) -> Any:
    """Apply a target's Input / InputPath / InputTransformer to an AWS-shaped event."""
    if target.get("Input") is not None:
        return json.loads(target["Input"])
    if target.get("InputPath"):
        from jsonpath_ng.ext.parser import parse  # a moto dependency

        matches = parse(target["InputPath"]).find(event)
        return matches[0].value if matches else None
    transformer = target.get("InputTransformer")
    if transformer:
        return EventTemplateParser.parse(
            input_template=transformer.get("InputTemplate"),
            input_paths_map=transformer.get("InputPathsMap", {}),
            event=event,  # type: ignore[arg-type]
        )
    return event


def _delivered_here(arn: str) -> bool:
    return arn.split(":")[2] in ("lambda", "states")


def _send_to_targets(self: Rule, original_event: dict[str, Any], transform_input: bool = True) -> None:
    if self.state == "DISABLED" or not self.event_pattern.matches_event(original_event):  # type: ignore[arg-type]
        return
    ours = [target for target in self.targets if _delivered_here(target["Arn"])]
    others = [target for target in self.targets if not _delivered_here(target["Arn"])]
    if others:
        moto_view = copy.copy(self)
        moto_view.targets = others
        _original_send_to_targets(moto_view, original_event, transform_input)
    event = aws_event(original_event)
    for target in ours:
        payload = target_input(target, event) if transform_input else event
        _dispatcher.submit(
            Delivery(target["Arn"], payload, self.arn, (target.get("DeadLetterConfig") or {}).get("Arn"))
        )


@dataclass(frozen=True)
class Delivery:
    """One asynchronous invoke of a rule's target; `attempt` counts Lambda's retries after a failed run."""

    arn: str
    payload: Any
    rule_arn: str = ""
    target_dead_letter_arn: str | None = None  # the target's DeadLetterConfig: EventBridge could not invoke
    attempt: int = 0


def _client(service: str, region: str) -> Any:
    return boto3.client(  # type: ignore[call-overload]
        service,
        region_name=region,
        endpoint_url=_endpoint["url"],
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(retries={"max_attempts": 2}),
    )


def send_dead_letter(queue_arn: str, body: Any, attributes: dict[str, str]) -> None:
    """Send a failed event to a dead-letter queue, as Lambda or EventBridge does (body: the event)."""
    region, name = queue_arn.split(":")[3], queue_arn.split(":")[5]
    sqs = _client("sqs", region)
    sqs.send_message(
        QueueUrl=sqs.get_queue_url(QueueName=name)["QueueUrl"],
        MessageBody=json.dumps(body, default=str),
        MessageAttributes={
            key: {"DataType": "Number" if value.isdigit() else "String", "StringValue": value}
            for key, value in attributes.items()
        },
    )


def _deliver(delivery: Delivery) -> None:
    parts = delivery.arn.split(":")
    service, region = parts[2], parts[3]
    if service != "lambda":
        _client("stepfunctions", region).start_execution(
            stateMachineArn=delivery.arn, name=uuid.uuid4().hex, input=json.dumps(delivery.payload)
        )
        return
    name = parts[6]
    handler = registered_function(name)
    if handler is None:  # EventBridge could not invoke the target: its own dead-letter queue, if any
        log.error("EventBridge target %s has no in-process handler", delivery.arn)
        if delivery.target_dead_letter_arn:
            send_dead_letter(
                delivery.target_dead_letter_arn,
                delivery.payload,
                {
                    "ERROR_CODE": "RESOURCE_NOT_FOUND",
                    "ERROR_MESSAGE": f"no function {name}",
                    "RULE_ARN": delivery.rule_arn,
                    "TARGET_ARN": delivery.arn,
                },
            )
        return
    result, errored, _ = run_handler(name, handler, delivery.payload)  # errors are logged there
    if not errored:
        return
    config = async_config(name)
    if delivery.attempt < config.retry_attempts:
        _dispatcher.submit_later(config.delay(delivery.attempt), replace(delivery, attempt=delivery.attempt + 1))
        return
    if config.dead_letter_arn:
        error = json.loads(result)
        send_dead_letter(
            config.dead_letter_arn,
            delivery.payload,
            {
                "RequestID": uuid.uuid4().hex,
                "ErrorCode": "200",
                "ErrorMessage": f"{error.get('errorType')}: {error.get('errorMessage')}"[:1000],
            },
        )
    else:
        log.error("function %s failed %d times; no dead-letter queue, event dropped", name, delivery.attempt + 1)


class _Dispatcher:
    """A few daemon threads that deliver EventBridge targets after ``put_events`` has returned."""

    def __init__(self, workers: int = 4) -> None:
        self._queue: queue.Queue[Delivery] = queue.Queue()
        self._workers = workers
        self._started = False
        self._lock = threading.Lock()
        self._idle = threading.Condition()
        self._pending = 0

    def submit(self, delivery: Delivery) -> None:
        with self._lock:
            if not self._started:
                for index in range(self._workers):
                    threading.Thread(target=self._run, name=f"oms-events-{index}", daemon=True).start()
                self._started = True
        with self._idle:
            self._pending += 1
        self._queue.put(delivery)

    def submit_later(self, seconds: float, delivery: Delivery) -> None:
        """A retry: counted as pending from now, so `wait_idle` waits for it too."""
        with self._idle:
            self._pending += 1

        def fire() -> None:
            self.submit(delivery)
            with self._idle:
                self._pending -= 1
                self._idle.notify_all()

        timer = threading.Timer(seconds, fire)
        timer.daemon = True
        timer.start()

    def _run(self) -> None:
        while True:
            delivery = self._queue.get()
            try:
                _deliver(delivery)
            except Exception:
                log.exception("delivering an EventBridge event to %s failed", delivery.arn)
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every submitted delivery has run; False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)


# Deliveries run side by side as Lambda's would (each consumer waits on moto, mostly): enough threads that a
# burst of events (every event goes to every matching consumer) does not queue for minutes behind itself.
_dispatcher = _Dispatcher(workers=int(os.environ.get("OMS_LOCAL_EVENT_WORKERS") or 8))


def wait_for_event_deliveries(timeout: float = 10.0) -> bool:
    return _dispatcher.wait_idle(timeout)


def fire_rule(
    rule_name: str,
    *,
    account_id: str,
    region: str,
    event_bus_name: str = "default",
    extra_input: dict[str, Any] | None = None,
) -> str:
    """Send the "Scheduled Event" AWS sends when a schedule is due; returns the event id. `extra_input`
    (local only): merged into the constant input of each target that has one, delivered here."""
    backend = events_backends[account_id][region]
    rule = backend.describe_rule(rule_name, event_bus_name)
    event_id = str(uuid.uuid4())
    event = {
        "version": "0",
        "id": event_id,
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account_id,
        "time": dt.datetime.now(dt.UTC).timestamp(),
        "region": region,
        "resources": [rule.arn],
        "detail": {},
    }
    if extra_input:
        if rule.state == "DISABLED":
            return event_id
        for target in rule.targets:
            if not _delivered_here(target["Arn"]):
                continue
            payload = target_input(target, aws_event(event))
            if isinstance(payload, dict):
                payload = {**payload, **extra_input}
            _dispatcher.submit(
                Delivery(target["Arn"], payload, rule.arn, (target.get("DeadLetterConfig") or {}).get("Arn"))
            )
        return event_id
    rule.send_to_targets(event)  # type: ignore[arg-type]
    return event_id


# ----------------------------------------------------------------------------- (d) DynamoDB lock


class DynamoDBLock:
    """WSGI middleware: DynamoDB and DynamoDB Streams requests run one at a time."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB"):
            return self.app(environ, start_response)
        with self.lock:
            # Build the whole response inside the lock: moto may compute it lazily.
            return list(self.app(environ, start_response))


class _NoDelayMotoRequestHandler(MotoRequestHandler):
    # botocore keeps connections alive; with Nagle on, split header/body writes meet delayed ACKs.
    disable_nagle_algorithm = True


class LockedMotoServer(ThreadedMotoServer):
    """moto's threaded server with ``DynamoDBLock`` around its WSGI app."""

    def _server_entry(self) -> None:
        app = DynamoDBLock(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(
            self._ip_address, self._port, app, threaded=True, request_handler=_NoDelayMotoRequestHandler
        )
        self._server_ready_event.set()
        self._server.serve_forever()


# ----------------------------------------------------------------------------- (e) Wait until a timestamp

_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


def parse_state_timestamp(text: str) -> dt.datetime | None:
    """An ASL timestamp (RFC 3339, ``T`` separator, ``Z`` or an offset) as an aware datetime."""
    if not isinstance(text, str) or _RFC3339.fullmatch(text) is None:
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


_original_timestamp_wait: Callable[..., Any] = Timestamp._get_wait_seconds


def _timestamp_wait_seconds(self: Timestamp, env: Any) -> int:
    self.string.eval(env=env)
    text = env.stack.pop()
    deadline = parse_state_timestamp(text)
    if deadline is None:
        raise FailureEventException(self._create_failure_event(env, text))
    return max(0, math.ceil((deadline - dt.datetime.now(dt.UTC)).total_seconds()))


# ----------------------------------------------------------------------------- (g) transaction rollback
_original_transact_write_items = DynamoDBBackend.transact_write_items


class _CopyKeepingTables:
    """Stands in for the ``copy`` module inside ``moto.dynamodb.models``: a deep copy of a whole Table
    (moto's per-transaction backup) is the table itself; every other copy is a real one."""

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)


def _item_key(table: Table, operation: dict[str, Any]) -> tuple[DynamoType, DynamoType | None] | None:
    key = operation.get("Key") or operation.get("Item") or {}
    if table.hash_key_attr not in key:
        return None
    hash_value = DynamoType(key[table.hash_key_attr])
    range_value = None
    if table.range_key_attr:
        if table.range_key_attr not in key:
            return None
        range_value = DynamoType(key[table.range_key_attr])
    return hash_value, range_value


def _transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    snapshots: list[tuple[Table, DynamoType, DynamoType | None, Any]] = []
    streams: dict[int, tuple[Any, int]] = {}
    for entry in transact_items:
        operation = next(iter(entry.values())) if entry else {}
        table = self.tables.get(str(operation.get("TableName"))) if isinstance(operation, dict) else None
        if table is None:
            continue
        key = _item_key(table, operation)
        if key is None:
            continue  # moto rejects the request itself; nothing to snapshot
        current = table.get_item(*key) if (key[1] is not None or not table.has_range_key) else None
        snapshots.append((table, key[0], key[1], copy.deepcopy(current)))
        if table.stream_shard is not None:
            streams.setdefault(id(table), (table.stream_shard, len(table.stream_shard.items)))
    try:
        _original_transact_write_items(self, transact_items)
    except Exception:
        for table, hash_value, range_value, item in reversed(snapshots):
            if range_value is not None:
                if item is None:
                    table.items[hash_value].pop(range_value, None)
                else:
                    table.items[hash_value][range_value] = item
            elif item is None:
                table.items.pop(hash_value, None)
            else:
                table.items[hash_value] = item
        for shard, length in streams.values():
            del shard.items[length:]
        raise


# ----------------------------------------------------------------------------- (h) TLS-only bucket policies

_original_get_permission = FakeBucket.get_permission


# ---------------------------------------------------------------- (k) query candidates
_original_query: Callable[..., Any] = Table.query
_original_all_items: Callable[..., list[Any]] = Table.all_items
_QUERY_SIGNATURE = inspect.signature(_original_query)
_query_scope = threading.local()  # (table, its candidates) while that table's query runs in this thread


def _index_candidates(table: Table, index_name: str, hash_key: Any) -> list[Any]:
    """The table's items, unsorted, whose value of the index's (first) hash attribute is `hash_key`'s: a
    comparison of plain values, where moto's own check compares DynamoType objects (it still runs on these)."""
    items: list[Any] = (
        [item for partition in table.items.values() for item in partition.values()]
        if table.range_key_attr
        else list(table.items.values())
    )
    index = next((i for i in table.all_indexes() if i.name == index_name), None)
    hash_attributes = [key["AttributeName"] for key in index.schema if key["KeyType"] == "HASH"] if index else []
    if hash_key is None or not hash_attributes:
        return items
    attribute, wanted = hash_attributes[0], (hash_key.type, hash_key.value)
    return [
        item
        for item in items
        if (value := item.attrs.get(attribute)) is not None and (value.type, value.value) == wanted
    ]


def _partition_items(table: Table, hash_key: Any) -> list[Any]:
    partition = table.items.get(hash_key)  # .get: the defaultdict must not grow a partition per query
    if partition is None:
        return []
    return list(partition.values()) if table.range_key_attr else [partition]


def _all_items(self: Table) -> list[Any]:
    scope = getattr(_query_scope, "scope", None)
    if scope is not None and scope[0] is self:
        candidates: list[Any] = scope[1]  # the query's own list: moto only iterates it
        return candidates
    return _original_all_items(self)


def _query(self: Table, *args: Any, **kwargs: Any) -> Any:
    arguments = _QUERY_SIGNATURE.bind(self, *args, **kwargs).arguments
    hash_key = arguments.get("hash_key")
    if arguments.get("index_name"):
        candidates = _index_candidates(self, str(arguments["index_name"]), hash_key)
    elif hash_key is not None:
        candidates = _partition_items(self, hash_key)
    else:
        return _original_query(self, *args, **kwargs)
    outer = getattr(_query_scope, "scope", None)
    _query_scope.scope = (self, candidates)
    try:
        return _original_query(self, *args, **kwargs)
    finally:
        _query_scope.scope = outer


def _denies_insecure_transport(statement: Any) -> bool:
    condition = statement.get("Condition") if isinstance(statement, dict) else None
    bool_condition = condition.get("Bool", {}) if isinstance(condition, dict) else {}
    return statement.get("Effect") == "Deny" and str(bool_condition.get("aws:SecureTransport")).lower() == "false"


def _get_permission_over_tls(self: FakeBucket, action: str, resource: str) -> Any:
    """The bucket's permission as if the request came over TLS (the local endpoint stands for HTTPS)."""
    if self.policy is None:
        return _original_get_permission(self, action, resource)
    document = json.loads(self.policy.decode())
    statements = document.get("Statement", [])
    statements = statements if isinstance(statements, list) else [statements]
    kept = [st for st in statements if not _denies_insecure_transport(st)]
    if len(kept) == len(statements):
        return _original_get_permission(self, action, resource)
    from moto.iam.access_control import IAMPolicy, PermissionResult

    if not kept:
        return PermissionResult.NEUTRAL
    return IAMPolicy(json.dumps({**document, "Statement": kept})).is_action_permitted(action, resource)


# ----------------------------------------------------------------------------- (i) S3 event notifications

_original_invoke_awslambda: Callable[..., None] = s3_notifications._invoke_awslambda
_original_bucket_response: Callable[..., Any] = S3Response.bucket_response
_original_key_response: Callable[..., Any] = S3Response.key_response
_held = threading.local()  # the S3 events raised by the request this thread is answering


def _notify_lambda(account_id: str, event_body: Any, fn_arn: str, region_name: str) -> None:
    delivery = Delivery(fn_arn, event_body)
    held: list[Delivery] | None = getattr(_held, "deliveries", None)
    if held is not None:
        held.append(delivery)
    else:
        _dispatcher.submit(delivery)


def _holding_events(original: Callable[..., Any]) -> Callable[..., Any]:
    def answer(self: S3Response, request: Any, full_url: str, headers: Any) -> Any:
        outer = getattr(_held, "deliveries", None)
        _held.deliveries = [] if outer is None else outer
        try:
            return original(self, request, full_url, headers)
        finally:
            if outer is None:
                deliveries, _held.deliveries = _held.deliveries, None
                for delivery in deliveries:
                    _dispatcher.submit(delivery)

    answer._oms_local = True  # type: ignore[attr-defined]
    return answer


# ----------------------------------------------------------------------------- (j) POST policies

_original_bucket_response_post: Callable[..., Any] = S3Response._bucket_response_post


def _s3_error(status: int, code: str, message: str) -> tuple[int, dict[str, str], str]:
    body = f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{message}</Message></Error>'
    return status, {"Content-Type": "application/xml"}, body


def post_policy_failure(
    policy_b64: str, fields: dict[str, str], bucket: str, size: int, now: dt.datetime | None = None
) -> tuple[int, str, str] | None:
    """Why S3 would refuse a POST upload under this policy: (status, code, message), or None."""
    import base64

    try:
        policy = json.loads(base64.b64decode(policy_b64))
        expires = dt.datetime.fromisoformat(str(policy["expiration"]).replace("Z", "+00:00"))
        conditions = list(policy.get("conditions", []))
    except (ValueError, KeyError, TypeError):
        return 400, "InvalidPolicyDocument", "Invalid Policy: Invalid JSON."
    if expires <= (now or dt.datetime.now(dt.UTC)):
        return 403, "AccessDenied", "Invalid according to Policy: Policy expired."
    values = {name.lower(): value for name, value in fields.items()}
    values["bucket"] = bucket

    def failed(condition: Any) -> tuple[int, str, str]:
        return 403, "AccessDenied", f"Invalid according to Policy: Policy Condition failed: {json.dumps(condition)}"

    for condition in conditions:
        if isinstance(condition, dict):
            for name, expected in condition.items():
                if values.get(str(name).lower()) != expected:
                    return failed(condition)
        elif isinstance(condition, list) and len(condition) == 3 and condition[0] == "content-length-range":
            low, high = int(condition[1]), int(condition[2])
            if size > high:
                return 400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size"
            if size < low:
                return 400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size"
        elif isinstance(condition, list) and len(condition) == 3:
            operator, name, expected = condition[0], str(condition[1]).lstrip("$").lower(), str(condition[2])
            value = values.get(name, "")
            if (operator == "eq" and value != expected) or (
                operator == "starts-with" and not value.startswith(expected)
            ):
                return failed(condition)
    return None


def _bucket_response_post_checking_policy(self: S3Response, request: Any, bucket_name: str) -> Any:
    fields = {key: values[0] for key, values in (self.querystring or {}).items() if values}
    if "policy" in fields and "key" in fields:
        body = self.body if isinstance(self.body, bytes) else str(self.body or "").encode()
        failure = post_policy_failure(fields["policy"], fields, bucket_name, len(body))
        if failure is not None:
            return _s3_error(*failure)
    return _original_bucket_response_post(self, request, bucket_name)


_bucket_response_post_checking_policy._oms_local = True  # type: ignore[attr-defined]


# ----------------------------------------------------------------------------- apply + checks

_applied = threading.Lock()


def apply() -> None:
    """Install patches (a), (b), (c), (e), (g), (h), (i), (j) and (k). Idempotent; (d) is the ``LockedMotoServer``
    class."""
    with _applied:
        _configure_moto()
        if not getattr(LambdaFunction._invoke_lambda, "_oms_local", False):
            _invoke_lambda_in_process._oms_local = True  # type: ignore[attr-defined]
            LambdaFunction._invoke_lambda = _invoke_lambda_in_process  # type: ignore[method-assign]
        if not getattr(Rule.send_to_targets, "_oms_local", False):
            _send_to_targets._oms_local = True  # type: ignore[attr-defined]
            Rule.send_to_targets = _send_to_targets  # type: ignore[method-assign,assignment]
        Timestamp._from_timestamp_string = staticmethod(parse_state_timestamp)  # type: ignore[method-assign,assignment]
        Timestamp._get_wait_seconds = _timestamp_wait_seconds  # type: ignore[method-assign]
        FakeBucket.get_permission = _get_permission_over_tls  # type: ignore[method-assign]
        s3_notifications._invoke_awslambda = _notify_lambda
        S3Response._bucket_response_post = _bucket_response_post_checking_policy  # type: ignore[method-assign]
        if not getattr(S3Response.bucket_response, "_oms_local", False):
            S3Response.bucket_response = _holding_events(_original_bucket_response)  # type: ignore[method-assign]
            S3Response.key_response = _holding_events(_original_key_response)  # type: ignore[method-assign]
        Table.query = _query  # type: ignore[method-assign]
        Table.all_items = _all_items  # type: ignore[method-assign]
        if not isinstance(dynamodb_models.copy, _CopyKeepingTables):  # type: ignore[attr-defined]
            dynamodb_models.copy = _CopyKeepingTables()  # type: ignore[assignment,attr-defined]
            DynamoDBBackend.transact_write_items = _transact_write_items  # type: ignore[method-assign]


def is_applied() -> bool:
    return (
        LambdaFunction._invoke_lambda is _invoke_lambda_in_process
        and Rule.send_to_targets is _send_to_targets
        and Timestamp._get_wait_seconds is _timestamp_wait_seconds
        and DynamoDBBackend.transact_write_items is _transact_write_items
        and Table.query is _query
        and FakeBucket.get_permission is _get_permission_over_tls
        and s3_notifications._invoke_awslambda is _notify_lambda
        and S3Response._bucket_response_post is _bucket_response_post_checking_policy
        and moto.core.config.default_user_config.get("stepfunctions", {}).get("execute_state_machine") is True
    )


def _parameters(function: Callable[..., Any]) -> list[str]:
    return list(inspect.signature(function).parameters)


def check_patch_points() -> list[str]:
    """What no longer matches the moto internals these patches were written against (empty = fine)."""
    problems: list[str] = []
    if moto.__version__ != EXPECTED_MOTO_VERSION:
        problems.append(f"moto {moto.__version__} is installed; patches were checked on {EXPECTED_MOTO_VERSION}")
    if _parameters(_original_invoke_lambda) != ["self", "event"]:
        problems.append(f"LambdaFunction._invoke_lambda signature changed: {_parameters(_original_invoke_lambda)}")
    if _parameters(_original_send_to_targets) != ["self", "original_event", "transform_input"]:
        problems.append(f"Rule.send_to_targets signature changed: {_parameters(_original_send_to_targets)}")
    if _parameters(_original_timestamp_wait) != ["self", "env"]:
        problems.append(f"Timestamp._get_wait_seconds signature changed: {_parameters(_original_timestamp_wait)}")
    if "_from_timestamp_string" not in inspect.getsource(Timestamp.__init__):
        problems.append("Timestamp no longer validates literals with _from_timestamp_string")
    if "IAMPolicy(self.policy.decode())" not in inspect.getsource(_original_get_permission):
        problems.append("FakeBucket.get_permission no longer evaluates the bucket policy with IAMPolicy")
    transact_source = inspect.getsource(_original_transact_write_items)
    if "copy.deepcopy(" not in transact_source or "original_table_state" not in transact_source:
        problems.append("DynamoDBBackend.transact_write_items no longer backs up tables with copy.deepcopy")
    query_source = inspect.getsource(_original_query)
    if query_source.count("self.all_items()") != 2 or "index_name" not in _QUERY_SIGNATURE.parameters:
        problems.append("Table.query no longer takes its candidates from self.all_items() (patch k)")
    table_init = inspect.getsource(Table.__init__)
    for needle in ("self.items = defaultdict(dict)", "self.stream_shard", "self.hash_key_attr", "self.range_key_attr"):
        if needle not in table_init:
            problems.append(f"moto Table internals changed: {needle!r} not found")
    if _parameters(_original_get_permission) != ["self", "action", "resource"]:
        problems.append(f"FakeBucket.get_permission signature changed: {_parameters(_original_get_permission)}")
    if _parameters(_original_invoke_awslambda) != ["account_id", "event_body", "fn_arn", "region_name"]:
        problems.append(f"moto.s3.notifications._invoke_awslambda changed: {_parameters(_original_invoke_awslambda)}")
    for name, method in (("bucket_response", _original_bucket_response), ("key_response", _original_key_response)):
        if _parameters(method) != ["self", "request", "full_url", "headers"]:
            problems.append(f"S3Response.{name} signature changed: {_parameters(method)}")
    if _parameters(_original_bucket_response_post) != ["self", "request", "bucket_name"]:
        problems.append(f"S3Response._bucket_response_post changed: {_parameters(_original_bucket_response_post)}")
    if 'self.querystring["key"]' not in inspect.getsource(_original_bucket_response_post):
        problems.append("S3Response._bucket_response_post no longer reads the form's fields from self.querystring")
    if "_invoke_awslambda(" not in inspect.getsource(s3_notifications.send_event):
        problems.append("moto.s3.notifications.send_event no longer invokes Lambda through _invoke_awslambda")
    if not hasattr(EventPattern, "matches_event"):
        problems.append("moto.events.models.EventPattern.matches_event is gone")
    if not hasattr(moto.core.config, "default_user_config"):
        problems.append("moto.core.config.default_user_config is gone")
    server_source = inspect.getsource(ThreadedMotoServer)
    for needle in ("_server_entry", "_server_ready_event", "self._server =", "self._ip_address", "self._port"):
        if needle not in server_source:
            problems.append(f"ThreadedMotoServer internals changed: {needle!r} not found")
    return problems
