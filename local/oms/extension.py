"""`OmsExtension`: what the local runtime adds for OMS — sandboxes, demo users and the demo seed.

- `on_start` (before the functions are imported): the carriers "sf", "zto", "jd" and "ems" are played
  by a `CarrierSandbox` whose secrets the functions' `CarrierWebhooks` holds, the warehouse by a
  `SandboxWarehouse` (both shared by the stacks of one process, see `_SharedLogistics`), and — when the
  template has payment callbacks — every payment provider by a `Sandbox` with keys generated now, which
  signs callbacks exactly as the provider would;
- `on_ready`: tokens for the demo users, then the demo seed through the API;
- `routes()`: `/_local/sandbox/...` and `/_local/users` (see `routes.py`); `sites()`: the web console at
  `/console/` (see `console.py`);
- the local user pool (`users.py`): the functions' user directory and the post-confirmation trigger's
  group membership, whose groups the stack's tokens carry.
"""

from __future__ import annotations

import json
import os
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from oms import wiring
from oms.adapters.carriers import CarrierWebhooks
from oms.adapters.sealing import KEY_ENV as SEALING_KEY_ENV
from oms.adapters.sealing import new_key as new_sealing_key
from oms.domain.money import Money
from oms.domain.payment import PaymentMethod

from ..core.extension import LocalRoute, Site
from ..core.stack import Stack
from .channel_sandbox import SandboxChannels
from .console import console_site
from .logistics_sandbox import CARRIERS, CarrierSandbox, generate_carrier_secrets
from .notifications import RecordingNotifier
from .payment_sandbox import Sandbox, SandboxError, SandboxPaymentClosed
from .routes import NoSignUpTrigger, account_routes, image_routes, sandbox_routes
from .seed import DEMO_USERS, ChannelSeed, SeedError, SeedResult, seed, seed_channels, seed_notifications
from .users import LocalUserDirectory
from .warehouse_sandbox import SandboxWarehouse

__all__ = ["CALLBACK_PREFIX", "DEMO_TOKEN_LIFETIME", "OmsExtension", "SeedError", "seed"]

CALLBACK_PREFIX = "/callbacks/payments"
CALLBACK_METHODS = (PaymentMethod.ALIPAY, PaymentMethod.WECHAT, PaymentMethod.CARD, PaymentMethod.CRYPTO)
DEMO_TOKEN_LIFETIME = 7 * 86400
POST_CONFIRMATION = "PostConfirmationFunction"  # the user pool's post-confirmation trigger in template.yaml
SIGN_UP_TOKEN_LIFETIME = 3600  # as Cognito's ID tokens (UserPoolClient IdTokenValidity)


# -- what the functions are given (process-global, like moto's state) ------------------------------


class _SharedLogistics:
    """One set of carrier secrets and one sandbox warehouse per process, made by the first stack and dropped
    by the last. The functions' adapters (`oms.wiring.configure`) are process-global like moto's state, so
    stacks side by side must agree on them: a second stack configuring its own secrets would make the first
    one's functions reject its own carriers' notices. The local user pool likewise: the post-confirmation
    trigger finds accounts through the process-global adapters, whichever stack's `/_local/users` made them."""

    _lock = threading.Lock()
    _keys: dict[str, bytes] | None = None
    _warehouse: SandboxWarehouse | None = None
    _directory: LocalUserDirectory | None = None
    _channels: SandboxChannels | None = None
    _users = 0

    @classmethod
    def acquire(cls) -> tuple[dict[str, bytes], SandboxWarehouse]:
        with cls._lock:
            if cls._keys is None or cls._warehouse is None:
                cls._keys = generate_carrier_secrets(CARRIERS)
                cls._warehouse = SandboxWarehouse()
                cls._directory = LocalUserDirectory()
                cls._channels = SandboxChannels()
            # Codes and channel secrets are sealed at rest with this process's key (SEALING_KEY_SECRET_ARN on
            # AWS); the moto state lives as long as the process, and so does the key.
            os.environ.setdefault(SEALING_KEY_ENV, new_sealing_key())
            cls._users += 1
            return dict(cls._keys), cls._warehouse

    @classmethod
    def channels(cls) -> SandboxChannels:
        """The process's sandbox sales channel."""
        with cls._lock:
            if cls._channels is None:
                cls._channels = SandboxChannels()
            return cls._channels

    @classmethod
    def directory(cls) -> LocalUserDirectory:
        """The process's local user pool (made with the first stack's logistics)."""
        with cls._lock:
            if cls._directory is None:
                cls._directory = LocalUserDirectory()
            return cls._directory

    @classmethod
    def release(cls) -> None:
        with cls._lock:
            cls._users -= 1
            if cls._users <= 0:
                cls._users = 0
                cls._keys = None
                cls._warehouse = None
                cls._directory = None
                cls._channels = None
                wiring.reset()  # the last stack is gone: the functions' adapters are the environment's again


def _moto_notifier(stack: Stack) -> RecordingNotifier:
    """SES and SNS clients on the stack's moto server, sending from the template's SenderEmail."""
    import boto3

    sender = str(stack.template.parameters.get("SenderEmail") or "no-reply@example.com")
    endpoint = stack.aws_endpoint_url
    return RecordingNotifier(
        sender,
        boto3.client("ses", endpoint_url=endpoint, region_name="us-east-1"),
        boto3.client("sns", endpoint_url=endpoint, region_name="us-east-1"),
    )


def _sandbox_providers(sandbox: Sandbox) -> Any:
    """The functions' payment adapters talk to `sandbox` (one adapter per method, made on first use)."""
    adapters: dict[PaymentMethod, Any] = {}
    lock = threading.Lock()

    def adapter(method: PaymentMethod) -> Any:
        with lock:
            if method not in adapters:
                adapters[method] = sandbox.provider(method)
            return adapters[method]

    return adapter


# -- the extension ---------------------------------------------------------------------------------


class OmsExtension:
    def __init__(self, *, seed: bool = True) -> None:
        self.seed_enabled = seed
        self.seed_result: SeedResult | None = None
        self._stack: Stack | None = None
        self._demo_tokens: dict[str, str] = {}
        self._sandbox: Sandbox | None = None
        self._logistics: tuple[dict[str, bytes], SandboxWarehouse] | None = None
        self._carrier_sandbox: CarrierSandbox | None = None
        self._adapters: wiring.Adapters | None = None
        self._adapters_before = wiring.Adapters()
        self._notifier: RecordingNotifier | None = None
        self._users: LocalUserDirectory | None = None
        self.channel_seed: ChannelSeed | None = None

    def routes(self) -> list[LocalRoute]:
        return [*sandbox_routes(self), *account_routes(self), *image_routes(self)]

    def sites(self) -> list[Site]:
        return [console_site()]

    def on_start(self, stack: Stack) -> None:
        self._stack = stack
        self._logistics = _SharedLogistics.acquire()
        self._carrier_sandbox = CarrierSandbox(stack.base_url, CARRIERS, keys=self._logistics[0])
        if any(route.path.startswith(CALLBACK_PREFIX) for route in stack.template.routes):
            self._sandbox = Sandbox(notify_base_url=f"{stack.base_url}{CALLBACK_PREFIX}")
        self._notifier = _moto_notifier(stack)
        self._users = _SharedLogistics.directory()
        stack.member_groups = self._users.groups_of
        self._configure_adapters()

    def _configure_adapters(self) -> None:
        """What the functions reach outside the table, as one `oms.wiring.Adapters` bundle (before the
        functions run): the provider sandbox's adapters, the sandbox warehouse and the carriers' secrets the
        logistics sandbox signs with. A stack without payment callbacks keeps the providers of the stacks
        running beside it. `on_stop` puts the bundle before it back."""
        assert self._logistics is not None
        keys, warehouse = self._logistics
        self._adapters_before = wiring.adapters()
        providers = self._adapters_before.providers
        if self._sandbox is not None:
            providers = _sandbox_providers(self._sandbox)
        # Likewise a stack without notifications keeps the notifier of the stack beside it (whose
        # /_local/outbox/messages would otherwise miss what its own consumer sent).
        notifier = self._adapters_before.notifier
        if self._notifier is not None and any(
            route.path.startswith("/me/notification") for route in self._stack_routes()
        ):
            notifier = self._notifier
        webhooks = CarrierWebhooks({carrier: [key] for carrier, key in keys.items()})
        self._adapters = wiring.Adapters(
            providers=providers,
            warehouse=warehouse,
            carrier_webhooks=webhooks,
            notifier=notifier,
            users=self._users,
            user_groups=self._users,
            channels=_SharedLogistics.channels(),
        )
        wiring.configure(self._adapters)

    def _stack_routes(self) -> list[Any]:
        return list(self._stack.template.routes) if self._stack is not None else []

    def on_ready(self, stack: Stack) -> None:
        for user in DEMO_USERS:
            token = stack.mint_token(
                user.subject,
                list(user.roles),
                expires_in=DEMO_TOKEN_LIFETIME,
                claims={"email": user.email, "email_verified": True, **user.claims},
            )
            self._demo_tokens.setdefault(user.key, token)
            self._demo_tokens.setdefault(user.roles[0], token)
            self._demo_tokens[user.subject] = token
        if self.seed_enabled:
            self.seed_result = seed(stack.base_url, self._demo_tokens["admin"], headers=stack.starting_headers)
            if any(route.path == "/me/notification-preferences" for route in stack.template.routes):
                seed_notifications(stack.base_url, self._demo_tokens, headers=stack.starting_headers)
            if any(route.path == "/channel-stores" for route in stack.template.routes):
                demo = seed_channels(stack.base_url, self._demo_tokens["admin"], headers=stack.starting_headers)
                self.channel_seed = demo
                self.channels.connect(demo.store_id, demo.secret, demo.account, Money(demo.balance, "CNY"))

    def on_stop(self) -> None:
        if self._adapters is not None and wiring.adapters() is self._adapters:
            wiring.configure(self._adapters_before)
        self._adapters = None
        self._sandbox = None
        self._notifier = None
        if self._stack is not None:
            self._stack.member_groups = None
        self._users = None
        self._carrier_sandbox = None
        if self._logistics is not None:
            _SharedLogistics.release()
            self._logistics = None
        self._demo_tokens = {}
        self.seed_result = None
        self._stack = None

    # -- what it offers ----------------------------------------------------------------------

    @property
    def demo_tokens(self) -> dict[str, str]:
        """Tokens of the demo users, by role (first user of the role), user key and subject."""
        return dict(self._demo_tokens)

    @property
    def users(self) -> LocalUserDirectory:
        """The local user pool (accounts signed up through `POST /_local/users` or created by staff)."""
        if self._users is None:
            raise RuntimeError("the stack is not started")
        return self._users

    def sign_up(
        self, *, email: str | None, phone: str | None, name: str | None, password: str | None
    ) -> dict[str, Any]:
        """Cognito's sign-up and confirmation, locally: the account is created and confirmed, the template's
        post-confirmation trigger runs with the event Cognito would send (it puts the account in the
        `customer` group), and a token is minted with the groups the account now has. AccountExists when
        the email or phone is taken; the trigger's failure propagates (as Cognito reports it)."""
        stack = self.stack
        trigger = stack.functions.get(POST_CONFIRMATION)
        if trigger is None:
            raise NoSignUpTrigger(f"the template has no {POST_CONFIRMATION}")
        user = self.users.sign_up(email=email, phone=phone, name=name, password=password)
        trigger.invoke(self.users.post_confirmation_event(user, region=stack.template.region))
        claims: dict[str, Any] = {}
        if user.email:
            claims |= {"email": user.email, "email_verified": True}
        if user.phone:
            claims |= {"phone_number": user.phone, "phone_number_verified": True}
        if user.name:
            claims["name"] = user.name
        token = stack.mint_token(user.subject, [], expires_in=SIGN_UP_TOKEN_LIFETIME, claims=claims)
        return {
            "sub": user.subject,
            "email": user.email,
            "phone": user.phone,
            "name": user.name,
            "groups": self.users.groups_of(user.subject),
            "token": token,
            "expiresIn": SIGN_UP_TOKEN_LIFETIME,
        }

    @property
    def stack(self) -> Stack:
        if self._stack is None:
            raise RuntimeError("the stack is not started")
        return self._stack

    @property
    def notifier(self) -> RecordingNotifier:
        """The notifications' email and SMS sender (moto's SES and SNS), with what it sent."""
        if self._notifier is None:
            raise RuntimeError("the local stack is not running")
        return self._notifier

    @property
    def sandbox(self) -> Sandbox:
        if self._sandbox is None:
            raise RuntimeError("this stack has no payment callbacks, so no provider sandbox")
        return self._sandbox

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

    # -- payment providers ------------------------------------------------------------------

    def _open_payment_page(self, payment_id: str) -> PaymentMethod:
        """Alipay's page payment exists at the provider only once the buyer opens our signed gateway URL:
        do what the browser does (the sandbox checks the request signature as Alipay would)."""
        stack = self.stack
        admin = stack.mint_token("local-sandbox", ["admin"], expires_in=60)
        request = urllib.request.Request(
            f"{stack.base_url}/orders/{payment_id[:26]}/payments", headers={"Authorization": f"Bearer {admin}"}
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
        base_url = self.stack.base_url

        def deliver(_: int) -> dict[str, Any]:
            request = urllib.request.Request(
                f"{base_url}{CALLBACK_PREFIX}/{method.value}",
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

    @property
    def channels(self) -> SandboxChannels:
        return _SharedLogistics.channels()

    def sandbox_channel_order(self, store_id: str, order: dict[str, Any], *, tamper: bool = False) -> dict[str, Any]:
        """The sandbox channel signs `order` with the store's secret and posts it to the store's callback;
        the channel's answer (status and body)."""
        headers, raw = self.channels.signed_order(store_id, order)
        if tamper:
            raw = raw + b" "
        request = urllib.request.Request(
            f"{self.stack.base_url}/callbacks/channels/{store_id}", data=raw, headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode()
        answer = json.loads(text) if text else None
        if status == 200:
            self.channels.book_charge(store_id, answer)
        return {"status": status, "answer": answer}

    def sandbox_warehouse_state(self, child_order_id: str) -> dict[str, Any]:
        return self.warehouse.state(child_order_id)
