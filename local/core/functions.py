"""Load the template's functions into this interpreter and call them as the Lambda runtime would.

Every function runs in the one local process, so they share ``os.environ``: the process gets the
union of the functions' variables (a conflict is an error) plus what a Lambda sandbox provides,
and the variables must be set before a function module is imported (pynamodb models read
``TABLE_NAME`` at class creation).
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, ClassVar

from .template import FunctionSpec

Handler = Callable[[Any, Any], Any]


class FunctionLoadError(Exception):
    """A function module is missing, fails to import, or has no handler."""


@dataclass
class LambdaContext:
    """What the Lambda runtime passes as ``context``."""

    function_name: str
    function_version: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    timeout_seconds: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = ""
    log_stream_name: str = ""
    identity: Any = None
    client_context: Any = None
    _deadline: float = 0.0

    def __post_init__(self) -> None:
        self.log_group_name = self.log_group_name or f"/aws/lambda/{self.function_name}"
        self.log_stream_name = self.log_stream_name or (
            time.strftime("%Y/%m/%d") + f"/[{self.function_version}]{uuid.uuid4().hex}"
        )
        self._deadline = time.monotonic() + self.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@dataclass(frozen=True)
class InProcessFunction:
    """A function's handler module, and the further copies of it that concurrent invocations run in.

    Lambda runs one request at a time in each execution environment and scales out with more of them;
    powertools' resolver keeps the current request on the app (`current_event`, `context`), so two
    requests must never share one module. An invocation takes an idle copy, or imports another (a cold
    start), and gives it back when it returns."""

    spec: FunctionSpec
    module: ModuleType
    handler: Handler
    name: str = ""
    _idle: list[Handler] = field(default_factory=list, compare=False, repr=False)
    _copies: list[str] = field(default_factory=list, compare=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._idle.append(self.handler)

    def context(self) -> LambdaContext:
        return LambdaContext(
            function_name=self.spec.name,
            function_version="$LATEST",
            invoked_function_arn=self.spec.arn,
            memory_limit_in_mb=self.spec.memory_size,
            timeout_seconds=self.spec.timeout,
        )

    def invoke(self, event: Any) -> Any:
        """Call the handler with ``event`` and a fresh context in an environment of its own; exceptions
        propagate."""
        handler = self._take()
        try:
            return handler(event, self.context())
        finally:
            with self._lock:
                self._idle.append(handler)

    def _take(self) -> Handler:
        with self._lock:
            if self._idle:
                return self._idle.pop()
            copy = f"{self.name or self.module.__name__}__env{len(self._copies) + 2}"
            self._copies.append(copy)
        with _IMPORTING:  # one import at a time, as Python's own import lock would
            module, handler = _import(self.spec, copy)
        for name in SHARED_GLOBALS:
            if hasattr(self.module, name):
                setattr(module, name, getattr(self.module, name))
        return handler

    def module_names(self) -> list[str]:
        with self._lock:
            return [self.module.__name__, *self._copies]


class ProcessEnvironment:
    """Variables the running local stacks set in ``os.environ``, restored when the last one stops.

    Two stacks in one process (tests run the fixture stack and the real one) may both set a variable
    only to the same value: a function reading it at call time would otherwise see the other stack's.
    """

    _lock: ClassVar[threading.Lock] = threading.Lock()
    _claims: ClassVar[dict[str, tuple[str, int]]] = {}  # key -> (value, number of stacks that set it)
    _saved: ClassVar[dict[str, str | None]] = {}  # values before the first claim

    @classmethod
    def claim(cls, variables: Mapping[str, str]) -> None:
        with cls._lock:
            conflicts = [
                f"{key} ({cls._claims[key][0]!r} vs {value!r})"
                for key, value in variables.items()
                if key in cls._claims and cls._claims[key][0] != value
            ]
            if conflicts:
                raise FunctionLoadError(
                    "another local stack in this process set these variables differently: " + ", ".join(conflicts)
                )
            for key, value in variables.items():
                if key not in cls._claims:
                    cls._saved[key] = os.environ.get(key)
                    os.environ[key] = value
                count = cls._claims.get(key, (value, 0))[1]
                cls._claims[key] = (value, count + 1)

    @classmethod
    def release(cls, variables: Mapping[str, str]) -> None:
        with cls._lock:
            for key in variables:
                if key not in cls._claims:
                    continue
                value, count = cls._claims[key]
                if count > 1:
                    cls._claims[key] = (value, count - 1)
                    continue
                del cls._claims[key]
                previous = cls._saved.pop(key, None)
                if previous is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = previous


# The moto server queues DynamoDB requests behind one lock: under a burst a request waits, which is no
# fault, and moto ignores ClientRequestToken, so an SDK retry after a timeout would apply a transaction
# twice. Locally a call may take its time (oms.faults reads these before any client is made).
LOCAL_CALL_BUDGET = {"OMS_AWS_CONNECT_TIMEOUT": "10", "OMS_AWS_READ_TIMEOUT": "60"}


def sandbox_environment(endpoint_url: str, port: int, region: str) -> dict[str, str]:
    """What a Lambda sandbox provides, pointed at the moto server (fake credentials, never AWS)."""
    return {
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_SESSION_TOKEN": "local",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_ENDPOINT_URL": endpoint_url,
        "MOTO_PORT": str(port),
        # No X-Ray daemon locally: powertools' Tracer becomes a no-op instead of logging errors.
        "POWERTOOLS_TRACE_DISABLED": "true",
        **LOCAL_CALL_BUDGET,
    }


def reset_cached_connections() -> None:
    """Make pynamodb models reconnect with the current environment.

    A model caches its connection, endpoint included, on the class: one used before the stack set
    ``AWS_ENDPOINT_URL`` (say, by tests under ``mock_aws`` in the same process) would keep calling
    the real AWS endpoint, and one used while a stack ran would keep calling its stopped server.
    """
    try:
        from pynamodb.models import Model
    except ImportError:  # pynamodb is the functions' dependency, not the local runtime's
        return
    pending: list[type[Any]] = list(Model.__subclasses__())
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        if model.__dict__.get("_connection") is not None:
            model._connection = None


def module_name(stack_name: str, logical_id: str) -> str:
    return "oms_fn_" + re.sub(r"\W", "_", f"{stack_name}_{logical_id}").lower()


_IMPORTING = threading.Lock()
# What a function's copies share with its module: the services it built (one set per function, as the
# tests and the local extension reach them through the module: clocks, timeouts, adapters). The
# resolver and everything else that holds the current request stay one per copy.
SHARED_GLOBALS = ("services",)


def _import(spec: FunctionSpec, name: str) -> tuple[ModuleType, Handler]:
    path = spec.module_file
    if not path.is_file():
        raise FunctionLoadError(f"{spec.logical_id}: {path} does not exist")
    module_spec = importlib.util.spec_from_file_location(name, path)
    if module_spec is None or module_spec.loader is None:
        raise FunctionLoadError(f"{spec.logical_id}: cannot load {path}")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module
    try:
        module_spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[name]
        raise FunctionLoadError(f"{spec.logical_id}: importing {path} failed: {exc!r}") from exc
    handler = getattr(module, spec.handler_attribute, None)
    if not callable(handler):
        del sys.modules[name]
        raise FunctionLoadError(f"{spec.logical_id}: {path} has no callable {spec.handler_attribute!r}")
    return module, handler


def load_function(spec: FunctionSpec, stack_name: str) -> InProcessFunction:
    """Import ``spec``'s handler module under a unique name (call after the environment is set)."""
    name = module_name(stack_name, spec.logical_id)
    module, handler = _import(spec, name)
    return InProcessFunction(spec, module, handler, name)


def unload_function(function: InProcessFunction, stack_name: str) -> None:
    for name in function.module_names():
        sys.modules.pop(name, None)
