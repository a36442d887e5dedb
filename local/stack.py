"""``LocalStack``: template.yaml running on one machine, for the CLI and for tests.

Start order: bind the API port (a busy port fails at once), read the template (fails before anything
runs), share the process's moto server, create the resources, set the process environment, import the
functions and register them for Lambda invokes, serve the API (and start the payment provider sandbox),
give the functions their adapters (`oms.wiring.configure`: the provider, carrier and warehouse
sandboxes), start stream pollers and schedule timers, mint demo
tokens, seed, and only then open the API to clients: until then `/_local/health` says "starting" (503)
and API requests answer 503 `stack-starting`, so nothing a client does can race the seed.

moto keeps its state in module globals, so every stack in a process shares one moto server; each
stack deletes its resources when it stops, and the last one to stop resets moto and stops the server.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar

from oms import wiring
from oms.adapters.carriers import CarrierWebhooks
from oms.adapters.providers.sandbox import Sandbox, SandboxError, SandboxPaymentClosed
from oms.adapters.warehouse import SandboxWarehouse
from oms.domain.payment import PaymentMethod

from . import moto_patches
from .deploy import Clients, deploy, undeploy
from .functions import (
    InProcessFunction,
    ProcessEnvironment,
    load_function,
    reset_cached_connections,
    sandbox_environment,
    unload_function,
)
from .http import STARTING_HEADER, ApiGateway, ScheduleNotFound, listen
from .logistics_sandbox import CARRIERS, CarrierSandbox, generate_carrier_secrets
from .schedules import ScheduleTimers, rate_seconds
from .seed import DEMO_USERS, SeedResult, seed
from .streams import StreamPoller
from .template import REGION, URL_SUFFIX, RuleSpec, StackTemplate, load_template
from .tokens import TokenIssuer

# Not "oms...": powertools filters out records of every logger whose name contains its service name.
log = logging.getLogger("local_stack")

LOCAL_PARAMETER_DEFAULTS: dict[str, str] = {
    "Stage": "local",
    "PaymentTimeoutSeconds": "120",
    "TimerSweepSchedule": "rate(5 seconds)",
}
"""Used for the parameters a template declares, unless overridden: short timers locally."""

DEMO_TOKEN_LIFETIME = 7 * 86400


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


class _SharedLogistics:
    """One set of carrier secrets and one sandbox warehouse per process, made by the first stack and dropped
    by the last. The functions' adapters (`oms.wiring.configure`) are process-global like moto's state, so
    stacks side by side must agree on them: a second stack configuring its own secrets would make the first
    one's functions reject its own carriers' notices."""

    _lock = threading.Lock()
    _keys: dict[str, bytes] | None = None
    _warehouse: SandboxWarehouse | None = None
    _users = 0

    @classmethod
    def acquire(cls) -> tuple[dict[str, bytes], SandboxWarehouse]:
        with cls._lock:
            if cls._keys is None or cls._warehouse is None:
                cls._keys = generate_carrier_secrets(CARRIERS)
                cls._warehouse = SandboxWarehouse()
            cls._users += 1
            return dict(cls._keys), cls._warehouse

    @classmethod
    def release(cls) -> None:
        with cls._lock:
            cls._users -= 1
            if cls._users <= 0:
                cls._users = 0
                cls._keys = None
                cls._warehouse = None
                wiring.reset()  # the last stack is gone: the functions' adapters are the environment's again


CALLBACK_PREFIX = "/callbacks/payments"
CALLBACK_METHODS = (PaymentMethod.ALIPAY, PaymentMethod.WECHAT, PaymentMethod.CARD, PaymentMethod.CRYPTO)


class LocalStack:
    _running: ClassVar[set[str]] = set()  # stack names started in this process (they name resources)
    _running_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self,
        template_path: str | Path = "template.yaml",
        port: int = 3000,
        host: str = "127.0.0.1",
        parameter_overrides: Mapping[str, str] | None = None,
        stack_name: str = "oms-local",
        seed: bool = True,
    ) -> None:
        self.template_path = Path(template_path)
        self.host = host
        self.requested_port = port
        self.parameter_overrides = dict(parameter_overrides or {})
        self.stack_name = stack_name
        self.seed_enabled = seed
        self.seed_result: SeedResult | None = None
        self._template: StackTemplate | None = None
        self._moto_url: str | None = None
        self._clients: Clients | None = None
        self._deployed = False
        self._environment: dict[str, str] = {}
        self._functions: dict[str, InProcessFunction] = {}
        self._gateway: ApiGateway | None = None
        self._listener: socket.socket | None = None
        self._issuer: TokenIssuer | None = None
        self._pollers: list[StreamPoller] = []
        self._timers: ScheduleTimers | None = None
        self._demo_tokens: dict[str, str] = {}
        self._sandbox: Sandbox | None = None
        self._adapters: wiring.Adapters | None = None
        self._adapters_before = wiring.Adapters()
        self._logistics: tuple[dict[str, bytes], SandboxWarehouse] | None = None
        self._carrier_sandbox: CarrierSandbox | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> LocalStack:
        if self._moto_url is not None:
            raise RuntimeError("this LocalStack is already started")
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
        template = load_template(
            self.template_path,
            self.parameter_overrides,
            self.stack_name,
            local_defaults=LOCAL_PARAMETER_DEFAULTS,
        )
        for warning in template.warnings:
            log.warning("%s", warning)
        with LocalStack._running_lock:
            if self.stack_name in LocalStack._running:
                raise RuntimeError(f"a stack named {self.stack_name!r} is already running in this process")
            LocalStack._running.add(self.stack_name)
        self._template = template
        try:
            self._moto_url, moto_port = _SharedMotoServer.acquire()
        except BaseException:
            with LocalStack._running_lock:
                LocalStack._running.discard(self.stack_name)
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
        self._logistics = _SharedLogistics.acquire()
        for logical_id, spec in template.functions.items():
            function = load_function(spec, self.stack_name)
            self._functions[logical_id] = function
            moto_patches.register_function(spec.name, function.invoke)

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
        )
        audiences = [aud for api in template.http_apis.values() for a in api.authorizers.values() for aud in a.audience]
        self._issuer = TokenIssuer(f"http://{self.host}:{self.port}/_local", audiences or [self.stack_name])
        self._gateway.start()
        if any(route.path.startswith(CALLBACK_PREFIX) for route in template.routes):
            self._start_sandbox()
        self._start_logistics_sandbox()
        self._configure_adapters()

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
            if rule.enabled and interval is not None:
                self._timers.add(rule.name, interval)

        for user in DEMO_USERS:
            token = self.mint_token(
                user.subject,
                list(user.roles),
                expires_in=DEMO_TOKEN_LIFETIME,
                claims={"email": user.email, "email_verified": True, **user.claims},
            )
            self._demo_tokens.setdefault(user.key, token)
            self._demo_tokens.setdefault(user.roles[0], token)
            self._demo_tokens[user.subject] = token
        if self.seed_enabled:
            self.seed_result = seed(
                self.base_url,
                self._demo_tokens["admin"],
                headers={STARTING_HEADER: self._gateway.starting_key},
            )
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

    # -- payment providers ------------------------------------------------------------------

    def _start_sandbox(self) -> None:
        """Every payment provider is played by an in-process sandbox with keys generated now: the
        functions' adapters talk to it, and it signs callbacks exactly as the provider would."""
        self._sandbox = Sandbox(notify_base_url=f"{self.base_url}{CALLBACK_PREFIX}")

    def _configure_adapters(self) -> None:
        """What the functions reach outside the table, as one `oms.wiring.Adapters` bundle (before the streams
        and the schedules run and the API opens): the provider sandbox's adapters, the sandbox warehouse and the
        carriers' secrets the logistics sandbox signs with. A stack without payment callbacks keeps the providers
        of the stacks running beside it. `stop` puts the bundle before it back."""
        assert self._logistics is not None
        keys, warehouse = self._logistics
        self._adapters_before = wiring.adapters()
        providers = self._adapters_before.providers
        if self._sandbox is not None:
            sandbox = self._sandbox
            adapters: dict[PaymentMethod, Any] = {}
            lock = threading.Lock()

            def adapter(method: PaymentMethod) -> Any:
                with lock:
                    if method not in adapters:
                        adapters[method] = sandbox.provider(method)
                    return adapters[method]

            providers = adapter

        webhooks = CarrierWebhooks({carrier: [key] for carrier, key in keys.items()})
        self._adapters = wiring.Adapters(providers=providers, warehouse=warehouse, carrier_webhooks=webhooks)
        wiring.configure(self._adapters)

    @property
    def sandbox(self) -> Sandbox:
        if self._sandbox is None:
            raise RuntimeError("this stack has no payment callbacks, so no provider sandbox")
        return self._sandbox

    def _open_payment_page(self, payment_id: str) -> PaymentMethod:
        """Alipay's page payment exists at the provider only once the buyer opens our signed gateway URL:
        do what the browser does (the sandbox checks the request signature as Alipay would)."""
        admin = self.mint_token("local-sandbox", ["admin"], expires_in=60)
        request = urllib.request.Request(
            f"{self.base_url}/orders/{payment_id[:26]}/payments", headers={"Authorization": f"Bearer {admin}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                attempts = json.loads(response.read())["attempts"]
        except urllib.error.HTTPError as error:
            raise LookupError(f"payment {payment_id} not found") from error
        attempt = next((a for a in attempts if a["paymentId"] == payment_id), None)
        if attempt is None or attempt["method"] not in {m.value for m in CALLBACK_METHODS}:
            raise LookupError(f"payment {payment_id} is not a provider payment")
        method = PaymentMethod(attempt["method"])
        url = attempt["instructions"].get("url")
        if method is PaymentMethod.ALIPAY and url:
            status, _, body = self.sandbox.send("GET", url, {}, b"")
            if status != 200:
                raise LookupError(f"the alipay sandbox refused the payment page: {body[:200]!r}")
        return method

    def sandbox_pay(
        self,
        payment_id: str,
        *,
        amount: int | None = None,
        currency: str | None = None,
        status: str = "SUCCEEDED",
        event_id: str | None = None,
        times: int = 1,
        concurrent: bool = False,
        signed_at: datetime | None = None,
    ) -> dict[str, Any]:
        """The payer pays `payment_id` at its provider, which then delivers its signed callback to this
        API `times` times (a retry reuses the same notice), one after another or all at once. `signed_at`
        dates the notice (default now): an old one is refused as stale. A payment the merchant closed at
        the provider (its order was cancelled) raises `SandboxPaymentClosed`."""
        sandbox = self.sandbox
        method = next((m for m in CALLBACK_METHODS if sandbox.payment(m, payment_id) is not None), None)
        if method is None:
            method = self._open_payment_page(payment_id)
        try:
            callback = sandbox.pay(
                method,
                payment_id,
                amount=amount,
                currency=currency,
                status=status,
                event_id=event_id,
                timestamp=signed_at,
            )
        except SandboxPaymentClosed:
            raise  # the merchant closed it (the order was cancelled): the payer cannot pay
        except SandboxError as error:
            raise LookupError(str(error)) from error

        def deliver(_: int) -> dict[str, Any]:
            request = urllib.request.Request(
                f"{self.base_url}{CALLBACK_PREFIX}/{method.value}",
                data=callback.body,
                headers={**callback.headers, "Content-Type": callback.content_type},
                method="POST",
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    return {"status": response.status, "body": response.read().decode(errors="replace")}
            except urllib.error.HTTPError as error:
                return {"status": error.code, "body": error.read().decode(errors="replace")}

        if concurrent and times > 1:
            with ThreadPoolExecutor(max_workers=times) as pool:
                deliveries = list(pool.map(deliver, range(times)))
        else:
            deliveries = [deliver(n) for n in range(times)]
        return {
            "paymentId": payment_id,
            "method": method.value,
            "eventId": callback.event_id,
            "deliveries": deliveries,
        }

    # -- carriers and the warehouse ----------------------------------------------------------

    def _start_logistics_sandbox(self) -> None:
        """Carriers "sf", "zto", "jd" and "ems" are played by a carrier sandbox whose secrets the functions'
        `CarrierWebhooks` holds, and the warehouse by a `SandboxWarehouse` (both shared by the stacks of this
        process, see `_SharedLogistics`); the sandbox posts its notices to this stack's API."""
        assert self._logistics is not None
        keys, _ = self._logistics
        self._carrier_sandbox = CarrierSandbox(self.base_url, CARRIERS, keys=keys)

    @property
    def carrier_sandbox(self) -> CarrierSandbox:
        if self._carrier_sandbox is None:
            raise RuntimeError("the stack is not serving")
        return self._carrier_sandbox

    @property
    def warehouse(self) -> SandboxWarehouse:
        if self._logistics is None:
            raise RuntimeError("the stack is not started")
        return self._logistics[1]

    def sandbox_carrier_event(
        self,
        carrier: str,
        *,
        tracking_number: str,
        status: str,
        occurred_at: str | None = None,
        event_id: str | None = None,
        location: str | None = None,
        description: str | None = None,
        times: int = 1,
        concurrent: bool = False,
        tamper: bool = False,
    ) -> dict[str, Any]:
        """The carrier signs a tracking notice and posts it to `/callbacks/carriers/<carrier>` `times` times."""
        return self.carrier_sandbox.send(
            carrier,
            tracking_number,
            status,
            occurred_at=occurred_at,
            event_id=event_id,
            location=location,
            description=description,
            times=times,
            concurrent=concurrent,
            tamper=tamper,
        )

    def sandbox_hand_over(self, child_order_id: str) -> dict[str, Any]:
        """The warehouse hands the parcel to the carrier: interception fails from now on."""
        self.warehouse.hand_over(child_order_id)
        return {"childOrderId": child_order_id, "handedOver": True}

    def sandbox_warehouse_state(self, child_order_id: str) -> dict[str, Any]:
        return self.warehouse.state(child_order_id)

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
            self._listener.close()  # already closed by the gateway's stop, unless it never served
            self._listener = None
        if self._adapters is not None and wiring.adapters() is self._adapters:
            wiring.configure(self._adapters_before)
        self._adapters = None
        self._sandbox = None
        self._carrier_sandbox = None
        moto_patches.wait_for_event_deliveries(timeout=5)
        for function in self._functions.values():
            moto_patches.unregister_function(function.spec.name)
            unload_function(function, self.stack_name)
        self._functions = {}
        if self._logistics is not None:
            _SharedLogistics.release()
            self._logistics = None
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
        self._demo_tokens = {}
        self.seed_result = None
        with LocalStack._running_lock:
            LocalStack._running.discard(self.stack_name)

    def __enter__(self) -> LocalStack:
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
        if self._gateway is None:
            raise RuntimeError("the stack is not serving")
        return self._gateway.address[1]

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

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
    def demo_tokens(self) -> dict[str, str]:
        """Tokens of the demo users, by role (first user of the role), user key and subject."""
        return dict(self._demo_tokens)

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
    ) -> str:
        """A token the API accepts for ``sub`` with ``roles`` (``cognito:groups``) and extra claims."""
        return self._token_issuer().mint(sub, roles, expires_in=expires_in, extra_claims=claims)

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

    def fire_schedule(self, name: str) -> dict[str, Any]:
        """Fire a scheduled rule now (by rule name or logical id), as EventBridge would when due."""
        for rule in self.scheduled_rules:
            if name in (rule.name, rule.logical_id):
                event_id = moto_patches.fire_rule(
                    rule.name,
                    account_id=self.template.account_id,
                    region=REGION,
                    event_bus_name=rule.event_bus_name,
                )
                return {"rule": rule.name, "eventId": event_id}
        raise ScheduleNotFound(name)
