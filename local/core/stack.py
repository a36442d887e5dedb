"""``Stack``: a SAM template running on one machine, extended by a project's `Extension`s.

Start order: bind the API port (a busy port fails at once), read the template (fails before anything
runs), share the process's moto server, create the resources, set the process environment, let the
extensions inject what the functions use (`on_start`), import the functions and register them for
Lambda invokes, serve the API, start stream pollers and schedule timers, let the extensions seed
(`on_ready`, through the API with `starting_headers`), and only then open the API to clients: until then
`/_local/health` says "starting" (503) and API requests answer 503 `stack-starting`, so nothing a client
does can race the seed.

moto keeps its state in module globals, so every stack in a process shares one moto server; each
stack deletes its resources when it stops, and the last one to stop resets moto and stops the server.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar, Self

from . import moto_patches
from .deploy import Clients, deploy, undeploy
from .extension import Extension
from .functions import (
    InProcessFunction,
    ProcessEnvironment,
    load_function,
    reset_cached_connections,
    sandbox_environment,
    unload_function,
)
from .gateway import STARTING_HEADER, ApiGateway, ScheduleNotFound, listen
from .schedules import ScheduleTimers, parse_cron, rate_seconds
from .streams import StreamPoller
from .template import REGION, URL_SUFFIX, RuleSpec, StackTemplate, load_template
from .tokens import TokenIssuer

# Not "oms...": powertools filters out records of every logger whose name contains its service name.
log = logging.getLogger("local_stack")


class _SharedMotoServer:
    """One moto server per process, started by the first stack and stopped by the last."""

    _lock = threading.Lock()
    _server: moto_patches.LockedMotoServer | None = None
    _users = 0

    @classmethod
    def acquire(cls) -> tuple[str, int]:
        with cls._lock:
            if cls._server is None:
                server = moto_patches.LockedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
                server.start()
                cls._server = server
            cls._users += 1
            host, port = cls._server.get_host_and_port()
            return f"http://{host}:{port}", port

    @classmethod
    def release(cls) -> bool:
        """Drop one user; True when that was the last one (moto was then reset and stopped)."""
        with cls._lock:
            cls._users -= 1
            if cls._users > 0 or cls._server is None:
                return False
            host, port = cls._server.get_host_and_port()
            try:
                urllib.request.urlopen(
                    urllib.request.Request(f"http://{host}:{port}/moto-api/reset", method="POST"), timeout=10
                ).close()
            except OSError as exc:
                log.warning("could not reset moto: %s", exc)
            cls._server.stop()
            cls._server = None
            return True


LOCAL_URL = "{local_url}"


class Stack:
    _running: ClassVar[set[str]] = set()  # stack names started in this process (they name resources)
    _running_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self,
        template_path: str | Path = "template.yaml",
        port: int = 3000,
        host: str = "127.0.0.1",
        parameter_overrides: Mapping[str, str] | None = None,
        stack_name: str = "local",
        *,
        extensions: Sequence[Extension] = (),
        local_defaults: Mapping[str, str] | None = None,
    ) -> None:
        self.template_path = Path(template_path)
        self.host = host
        self.requested_port = port
        self.parameter_overrides = dict(parameter_overrides or {})
        self.stack_name = stack_name
        self.extensions = list(extensions)
        self.local_defaults = dict(local_defaults or {})
        self._template: StackTemplate | None = None
        self._moto_url: str | None = None
        self._clients: Clients | None = None
        self._deployed = False
        self._environment: dict[str, str] = {}
        self._functions: dict[str, InProcessFunction] = {}
        self._gateway: ApiGateway | None = None
        self._listener: socket.socket | None = None
        self._issuer: TokenIssuer | None = None
        # The groups a subject holds in the local user pool (an extension's directory): tokens carry them
        # besides the roles asked for, as Cognito's carry a user's groups.
        self.member_groups: Callable[[str], Iterable[str]] | None = None
        self._pollers: list[StreamPoller] = []
        self._timers: ScheduleTimers | None = None
        self._started_extensions: list[Extension] = []

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Self:
        if self._moto_url is not None:
            raise RuntimeError("this stack is already started")
        self._listener = listen(self.host, self.requested_port)  # before anything is built
        try:
            self._start_after_listening()
        except BaseException:
            if self._listener is not None:
                self._listener.close()
                self._listener = None
            raise
        return self

    def _start_after_listening(self) -> None:
        moto_patches.apply()
        # `{local_url}` in a parameter value: this stack's own base URL (the port is bound by now), for
        # parameters that name where clients reach something the stack serves (e.g. images under /_local).
        assert self._listener is not None
        local_url = f"http://{self.host}:{self._listener.getsockname()[1]}"
        template = load_template(
            self.template_path,
            {key: value.replace(LOCAL_URL, local_url) for key, value in self.parameter_overrides.items()},
            self.stack_name,
            local_defaults={key: value.replace(LOCAL_URL, local_url) for key, value in self.local_defaults.items()},
        )
        for warning in template.warnings:
            log.warning("%s", warning)
        with Stack._running_lock:
            if self.stack_name in Stack._running:
                raise RuntimeError(f"a stack named {self.stack_name!r} is already running in this process")
            Stack._running.add(self.stack_name)
        self._template = template
        try:
            self._moto_url, moto_port = _SharedMotoServer.acquire()
        except BaseException:
            with Stack._running_lock:
                Stack._running.discard(self.stack_name)
            raise
        try:
            self._start(template, moto_port)
        except BaseException:
            self.stop()
            raise

    def _start(self, template: StackTemplate, moto_port: int) -> None:
        assert self._moto_url is not None
        moto_patches.set_endpoint_url(self._moto_url)
        self._clients = clients = Clients.for_endpoint(self._moto_url)
        self._deployed = True  # from here on, stop() deletes what was created
        deploy(clients, template)

        environment = {**sandbox_environment(self._moto_url, moto_port, REGION), **template.environment()}
        ProcessEnvironment.claim(environment)
        self._environment = environment
        reset_cached_connections()
        # Before the functions load, so a module that asks for an adapter at import already gets the sandbox.
        for extension in self.extensions:
            self._started_extensions.append(extension)
            extension.on_start(self)
        for logical_id, spec in template.functions.items():
            function = load_function(spec, self.stack_name)
            self._functions[logical_id] = function
            moto_patches.register_function(
                spec.name,
                function.invoke,
                moto_patches.AsyncInvokeConfig(spec.async_retry_attempts, spec.dead_letter_arn),
            )

        api_id = next(iter(template.http_apis.values())).api_id
        self._gateway = ApiGateway(
            routes=template.routes,
            functions=self._functions,
            control=self,
            cors=template.cors,
            api_id=api_id,
            account_id=template.account_id,
            host=self.host,
            port=self.requested_port,
            listener=self._listener,
            local_routes=[route for extension in self.extensions for route in extension.routes()],
            sites=[site for extension in self.extensions for site in extension.sites()],
        )
        audiences = [aud for api in template.http_apis.values() for a in api.authorizers.values() for aud in a.audience]
        self._issuer = TokenIssuer(f"{self.base_url}/_local", audiences or [self.stack_name])
        self._gateway.start()

        for subscription in template.streams:
            if not subscription.enabled:
                continue
            table = template.tables[subscription.table_id]
            stream_arn = clients.dynamodb.describe_table(TableName=table.name)["Table"]["LatestStreamArn"]
            poller = StreamPoller(
                Clients.streams_client(self._moto_url),
                stream_arn,
                subscription,
                self._functions[subscription.function_id],
                REGION,
                on_failure=self._deliver_on_failure,
            )
            poller.start()
            self._pollers.append(poller)

        self._timers = ScheduleTimers(self.fire_schedule)
        for rule in self.scheduled_rules:
            interval = rate_seconds(rule.schedule or "")
            cron = parse_cron(rule.schedule or "")
            if rule.enabled and interval is not None:
                self._timers.add(rule.name, interval)
            elif rule.enabled and cron is not None:
                self._timers.add_cron(rule.name, cron)

        for extension in self.extensions:
            extension.on_ready(self)
        self._gateway.open()
        log.info("stack %s serving on %s (moto at %s)", self.stack_name, self.base_url, self._moto_url)

    def _deliver_on_failure(self, destination_arn: str, record: dict[str, Any]) -> None:
        """An event source mapping's on-failure destination: an SQS queue or an SNS topic (by ARN)."""
        assert self._clients is not None
        service, name = destination_arn.split(":")[2], destination_arn.split(":")[-1]
        body = json.dumps(record)
        if service == "sqs":
            url = self._clients.sqs.get_queue_url(QueueName=name)["QueueUrl"]
            self._clients.sqs.send_message(QueueUrl=url, MessageBody=body)
        elif service == "sns":
            self._clients.sns.publish(TopicArn=destination_arn, Message=body)
        else:
            raise ValueError(f"on-failure destination {destination_arn} is neither SQS nor SNS")

    def stop(self) -> None:
        """Stop serving and delete this stack's resources. Safe to call more than once."""
        if self._moto_url is None:
            return
        if self._timers is not None:
            self._timers.stop()
            self._timers = None
        for poller in self._pollers:
            poller.stop()
        self._pollers = []
        if self._gateway is not None:
            self._gateway.stop()
            self._gateway = None
        if self._listener is not None:
            self._listener.close()  # the gateway serves a duplicate of it; closed here if it never served
            self._listener = None
        moto_patches.wait_for_event_deliveries(timeout=5)
        for function in self._functions.values():
            moto_patches.unregister_function(function.spec.name)
            unload_function(function, self.stack_name)
        self._functions = {}
        for extension in reversed(self._started_extensions):
            extension.on_stop()
        self._started_extensions = []
        ProcessEnvironment.release(self._environment)
        self._environment = {}
        reset_cached_connections()
        if self._deployed and self._clients is not None and self._template is not None:
            if _SharedMotoServer.release() is False:
                undeploy(self._clients, self._template)
        else:
            _SharedMotoServer.release()
        self._deployed = False
        self._moto_url = None
        self._issuer = None
        with Stack._running_lock:
            Stack._running.discard(self.stack_name)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- what it serves ----------------------------------------------------------------------

    @property
    def template(self) -> StackTemplate:
        if self._template is None:
            raise RuntimeError("the stack is not started")
        return self._template

    @property
    def port(self) -> int:
        if self._gateway is not None:
            return self._gateway.address[1]
        if self._listener is not None and self._moto_url is not None:  # starting: bound, not yet serving
            return int(self._listener.getsockname()[1])
        raise RuntimeError("the stack is not serving")

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def starting_headers(self) -> dict[str, str]:
        """Headers that let the stack's own requests (a seed) in before the API opens to clients."""
        if self._gateway is None:
            raise RuntimeError("the stack is not serving")
        return {STARTING_HEADER: self._gateway.starting_key}

    @property
    def aws_endpoint_url(self) -> str:
        if self._moto_url is None:
            raise RuntimeError("the stack is not started")
        return self._moto_url

    @property
    def resources(self) -> dict[str, str]:
        """What ``Ref`` gives for each resource, by logical id (names; ARNs for state machines)."""
        return dict(self.template.physical_ids)

    @property
    def outputs(self) -> dict[str, Any]:
        """The template's outputs, with the API URL pointing at this local server."""
        outputs = {}
        for name, value in self.template.outputs.items():
            if isinstance(value, str):
                for api in self.template.http_apis.values():
                    value = value.replace(f"https://{api.api_id}.execute-api.{REGION}.{URL_SUFFIX}", self.base_url)
            outputs[name] = value
        return outputs

    @property
    def functions(self) -> dict[str, InProcessFunction]:
        return dict(self._functions)

    @property
    def scheduled_rules(self) -> list[RuleSpec]:
        return [rule for rule in self.template.rules if rule.schedule is not None]

    def boto3_client(self, service: str) -> Any:
        """A boto3 client for ``service`` on this stack's moto server."""
        return Clients.client(self.aws_endpoint_url, service)

    # -- identity (also the gateway's LocalControl) -------------------------------------------

    def _token_issuer(self) -> TokenIssuer:
        if self._issuer is None:
            raise RuntimeError("the stack is not serving")
        return self._issuer

    def mint_token(
        self,
        sub: str,
        roles: list[str],
        *,
        expires_in: int = 3600,
        claims: Mapping[str, Any] | None = None,
        custom_roles: Iterable[str] = (),
        stores: Iterable[str] = (),
    ) -> str:
        """A token the API accepts for ``sub`` with ``roles`` and ``custom_roles`` (``cognito:groups``, with
        the groups ``member_groups`` knows for ``sub``), the ``custom:stores`` claim when ``stores`` are
        given, and extra claims."""
        known = list(self.member_groups(sub)) if self.member_groups is not None else []
        roles = [*roles, *(group for group in known if group not in roles)]
        return self._token_issuer().mint(
            sub, roles, expires_in=expires_in, extra_claims=claims, custom_roles=custom_roles, stores=stores
        )

    def verify_token(self, token: str) -> dict[str, Any]:
        return self._token_issuer().verify(token)

    def jwks(self) -> dict[str, Any]:
        return self._token_issuer().jwks()

    @property
    def issuer_url(self) -> str:
        return self._token_issuer().issuer

    @property
    def ready(self) -> bool:
        """Serving every client: started and seeded."""
        return self._gateway is not None and self._gateway.ready.is_set()

    def health(self) -> dict[str, Any]:
        """`status` is "ok" once the stack is seeded and open to clients, "starting" before."""
        template = self.template
        return {
            "status": "ok" if self.ready else "starting",
            "stack": self.stack_name,
            "endpoints": {
                "api": self.base_url,
                "aws": self.aws_endpoint_url,
                "issuer": self.issuer_url,
                "jwks": f"{self.issuer_url}/.well-known/jwks.json",
            },
            "functions": sorted(function.name for function in template.functions.values()),
            # Asynchronous consumers' dead-letter queues (oms-dlq lists and redrives them).
            "deadLetterQueues": [
                {"function": function.name, "queueArn": function.dead_letter_arn}
                for function in template.functions.values()
                if function.dead_letter_arn
            ],
            "routes": [
                {"routeKey": route.route_key, "function": route.function_id, "public": route.public}
                for route in template.routes
            ],
            "stateMachines": sorted(machine.arn for machine in template.state_machines.values()),
            "schedules": [
                {"rule": rule.name, "schedule": rule.schedule, "enabled": rule.enabled} for rule in self.scheduled_rules
            ],
            "parameters": template.parameters,
            "outputs": self.outputs,
        }

    def fire_schedule(self, name: str, extra_input: dict[str, Any] | None = None) -> dict[str, Any]:
        """Fire a scheduled rule now (by rule name, by its name without the stack's prefix, or by logical id),
        as EventBridge would when due; `extra_input` is merged into each target's constant input (a report's
        `period`)."""
        for rule in self.scheduled_rules:
            if name in (rule.name, rule.logical_id, rule.name.removeprefix(f"{self.stack_name}-")):
                event_id = moto_patches.fire_rule(
                    rule.name,
                    account_id=self.template.account_id,
                    region=REGION,
                    event_bus_name=rule.event_bus_name,
                    extra_input=extra_input,
                )
                return {"rule": rule.name, "eventId": event_id}
        raise ScheduleNotFound(name)
