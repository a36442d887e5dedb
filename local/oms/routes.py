"""The OMS extension's `/_local/sandbox/...` and `/_local/users` endpoints and the pydantic models of their
bodies.

Bodies are strict (`extra="forbid"`, no coercion): a bad one is a 400 problem listing
`errors: [{field, message}]`, as for the core `/_local/token`.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from oms.domain.fulfilment import TrackingStatus
from oms.domain.money import Money
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, field_validator, model_validator
from pydantic_core import PydanticCustomError

from ..core.extension import LocalRequest, LocalRoute
from ..core.responses import Response, json_response, parse_body, problem
from .payment_bills import PlantKind
from .payment_sandbox import SandboxPaymentClosed
from .users import AccountExists
from .warehouse_sandbox import WarehouseConflict

if TYPE_CHECKING:
    from .extension import OmsExtension


class NoSignUpTrigger(LookupError):
    """The template has no post-confirmation trigger to run."""


MAX_TIMES = 20


def aware_timestamp(text: str) -> dt.datetime | None:
    """An RFC 3339 timestamp with `Z` or an offset, else None."""
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)


class SandboxChannelConnect(_Body):
    secret: StrictStr = Field(min_length=8, max_length=200)
    account: StrictStr = Field(min_length=1, max_length=120)
    balance: StrictInt = Field(ge=0, le=10**12)
    currency: StrictStr = Field(default="CNY", pattern="^[A-Z]{3}$")


class SandboxChannelBalance(_Body):
    amount: StrictInt = Field(ge=0, le=10**12)
    currency: StrictStr = Field(default="CNY", pattern="^[A-Z]{3}$")


class SandboxChannelLine(_Body):
    skuId: StrictStr = Field(min_length=1, max_length=64)
    quantity: StrictInt = Field(ge=1, le=99)


class SandboxChannelOrder(_Body):
    channelOrderNo: StrictStr = Field(min_length=1, max_length=64)
    lines: list[SandboxChannelLine] = Field(min_length=1, max_length=20)
    buyer: StrictStr | None = Field(default=None, max_length=120)
    tamper: StrictBool = False  # the body changed after signing: the API must refuse it (401)


class SandboxPayment(_Body):
    """`POST /_local/sandbox/payments/<paymentId>/pay`: how the payer pays and the provider notifies."""

    amount: StrictInt | None = None
    currency: StrictStr | None = None
    status: StrictStr = "SUCCEEDED"
    event_id: StrictStr | None = Field(None, alias="eventId")
    times: StrictInt = Field(1, ge=1, le=MAX_TIMES)
    concurrent: StrictBool = False
    signed_at: StrictStr | None = Field(None, alias="signedAt")

    @field_validator("signed_at")
    @classmethod
    def _zoned(cls, value: str | None) -> str | None:
        if value is not None and aware_timestamp(value) is None:
            raise PydanticCustomError("timestamp", "an RFC 3339 timestamp with a zone")
        return value


class SandboxBillPlant(_Body):
    """`POST /_local/sandbox/<provider>/bills/plant`: make the provider's next bills differ from what it
    processed (`kind`: drop, amount, currency, fee, add, duplicate; `reference`: our payment or refund id)."""

    kind: StrictStr
    reference: StrictStr = Field(min_length=1, max_length=64)
    amount: StrictInt | None = Field(None, ge=0)
    currency: StrictStr | None = None
    fee: StrictInt | None = Field(None, ge=0)
    clear: StrictBool = False  # drop every difference planted for this provider first

    @field_validator("kind")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in {member.value for member in PlantKind}:
            raise PydanticCustomError("kind", "one of {kinds}", {"kinds": ", ".join(PlantKind)})
        return value


class SandboxBillDays(_Body):
    """`PUT /_local/sandbox/bills/same-day`: whether the sandbox providers publish today's bill already
    (a demo of one day; real providers publish a day's bill the next morning, which is the default)."""

    enabled: StrictBool


class SandboxCarrierEvent(_Body):
    """`POST /_local/sandbox/carriers/<carrier>/events`: one tracking notice, signed by the carrier."""

    tracking_number: StrictStr = Field(alias="trackingNumber")
    status: StrictStr
    occurred_at: StrictStr | None = Field(None, alias="occurredAt")
    event_id: StrictStr | None = Field(None, alias="eventId")
    location: StrictStr | None = None
    description: StrictStr | None = None
    times: StrictInt = Field(1, ge=1, le=MAX_TIMES)
    concurrent: StrictBool = False
    tamper: StrictBool = False

    @field_validator("status")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in {member.value for member in TrackingStatus}:
            raise PydanticCustomError("status", "one of {statuses}", {"statuses": ", ".join(TrackingStatus)})
        return value


class LocalSignUp(_Body):
    """`POST /_local/users`: a shopper signs up by email or phone (or both), as through Cognito's SignUp;
    the password, when given, meets the user pool's policy (12+ characters, lower and upper case, a digit)."""

    email: StrictStr | None = Field(None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: StrictStr | None = Field(None, pattern=r"^\+[1-9][0-9]{6,14}$")  # E.164, as Cognito's phone_number
    password: StrictStr | None = Field(None, min_length=12, max_length=256)
    name: StrictStr | None = Field(None, min_length=1, max_length=200)

    @field_validator("password")
    @classmethod
    def _policy(cls, value: str | None) -> str | None:
        if value is not None and not (
            any(c.islower() for c in value) and any(c.isupper() for c in value) and any(c.isdigit() for c in value)
        ):
            raise PydanticCustomError("password_policy", "lower and upper case letters and a digit")
        return value

    @model_validator(mode="after")
    def _reachable(self) -> LocalSignUp:
        if self.email is None and self.phone is None:
            raise PydanticCustomError("username", "an email or a phone number is needed")
        return self


def account_routes(oms: OmsExtension) -> list[LocalRoute]:
    def sign_up(request: LocalRequest) -> Response:
        """Sign up and confirm a shopper; the post-confirmation trigger runs and the answer's token carries the
        groups it gave (`customer`): the shopper can check out at once."""
        body = parse_body(LocalSignUp, request.body, what="sign-up request")
        try:
            result = oms.sign_up(email=body.email, phone=body.phone, name=body.name, password=body.password)
        except AccountExists as error:
            return problem(409, "account-exists", "Conflict", str(error))
        except NoSignUpTrigger as error:
            return problem(404, "post-confirmation-missing", "Not Found", str(error))
        except Exception as error:  # the trigger failed: Cognito answers the client with the failure
            return problem(502, "post-confirmation-failed", "Bad Gateway", f"{type(error).__name__}: {error}")
        return json_response(201, result)

    return [LocalRoute("POST", "/users", sign_up)]


def sandbox_routes(oms: OmsExtension) -> list[LocalRoute]:
    def pay(request: LocalRequest) -> Response:
        """Pay an attempt at its sandbox provider; the provider's signed callback hits this API."""
        body = parse_body(SandboxPayment, request.body, what="sandbox payment request")
        try:
            result = oms.sandbox_pay(
                request.params["payment_id"],
                amount=body.amount,
                currency=body.currency,
                status=body.status,
                event_id=body.event_id,
                times=body.times,
                concurrent=body.concurrent,
                signed_at=aware_timestamp(body.signed_at) if body.signed_at is not None else None,
            )
        except SandboxPaymentClosed as error:
            return problem(409, "sandbox-payment-closed", "Conflict", str(error))
        except (RuntimeError, ValueError, LookupError) as error:
            return problem(404, "sandbox-payment-not-found", "Not Found", str(error))
        return json_response(200, result)

    def plant(request: LocalRequest) -> Response:
        """Plant a difference into a sandbox provider's bills (what the reconciliation must then find)."""
        body = parse_body(SandboxBillPlant, request.body, what="sandbox bill plant")
        provider = request.params["provider"]
        if provider not in ("alipay", "wechat", "card"):
            return problem(404, "sandbox-bills-not-found", "Not Found", f"{provider} publishes no bills")
        try:
            sandbox = oms.sandbox
        except RuntimeError as error:
            return problem(404, "sandbox-not-running", "Not Found", str(error))
        if body.clear:
            sandbox.clear_plants(provider)
        sandbox.plant(provider, body.kind, body.reference, amount=body.amount, currency=body.currency, fee=body.fee)
        return json_response(200, {"provider": provider, "planted": body.model_dump(exclude={"clear"})})

    def same_day_bills(request: LocalRequest) -> Response:
        body = parse_body(SandboxBillDays, request.body, what="sandbox bill days")
        try:
            oms.sandbox.same_day_bills = body.enabled
        except RuntimeError as error:
            return problem(404, "sandbox-not-running", "Not Found", str(error))
        return json_response(200, {"sameDayBills": body.enabled})

    def carrier_event(request: LocalRequest) -> Response:
        """A sandbox carrier signs a tracking notice and posts it to ``/callbacks/carriers/<carrier>``."""
        body = parse_body(SandboxCarrierEvent, request.body, what="sandbox carrier event")
        try:
            result = oms.sandbox_carrier_event(
                request.params["carrier"],
                tracking_number=body.tracking_number,
                status=body.status,
                occurred_at=body.occurred_at,
                event_id=body.event_id,
                location=body.location,
                description=body.description,
                times=body.times,
                concurrent=body.concurrent,
                tamper=body.tamper,
            )
        except LookupError as error:
            return problem(404, "sandbox-carrier-not-found", "Not Found", str(error))
        except RuntimeError as error:
            return problem(404, "sandbox-not-running", "Not Found", str(error))
        except OSError as error:
            return problem(502, "sandbox-delivery-failed", "Bad Gateway", f"delivery failed: {type(error).__name__}")
        return json_response(200, result)

    def warehouse(request: LocalRequest, *, hand_over: bool) -> Response:
        """The sandbox warehouse: hand a parcel to the carrier, or what it knows about a child order."""
        child_order_id = request.params["child_order_id"]
        try:
            if hand_over:
                return json_response(200, oms.sandbox_hand_over(child_order_id))
            return json_response(200, oms.sandbox_warehouse_state(child_order_id))
        except WarehouseConflict as error:
            return problem(409, "sandbox-warehouse-conflict", "Conflict", str(error))
        except ValueError as error:
            return problem(400, "bad-request", "Bad Request", str(error))
        except RuntimeError as error:
            return problem(404, "sandbox-not-running", "Not Found", str(error))

    def sent_messages(request: LocalRequest) -> Response:
        """What the notifications sent through moto's SES and SNS, newest first (`?channel=email|sms`,
        `?to=`, `?limit=` up to 1000)."""
        try:
            limit = max(1, min(int(request.query.get("limit", "100")), 1000))
        except ValueError:
            return problem(400, "bad-request", "Bad Request", "limit must be a number")
        channel = request.query.get("channel") or None
        if channel not in (None, "email", "sms"):
            return problem(400, "bad-request", "Bad Request", "channel is email or sms")
        try:
            items = oms.notifier.messages(limit, channel, request.query.get("to") or None)
        except RuntimeError as error:
            return problem(404, "sandbox-not-running", "Not Found", str(error))
        return json_response(200, {"items": items})

    def channel(request: LocalRequest, *, what: str) -> Response:
        """The sandbox sales channel: connect a store (its callback secret), set the balance it reports,
        send a signed order callback, or show what it holds."""
        store_id = request.params["store_id"]
        channels = oms.channels
        if what == "state":
            state = channels.state(store_id)
            if state is None:
                return problem(404, "sandbox-channel-not-found", "Not Found", f"store {store_id} is not connected")
            return json_response(200, state)
        if what == "connect":
            connect = parse_body(SandboxChannelConnect, request.body, what="sandbox channel connection")
            channels.connect(store_id, connect.secret, connect.account, Money(connect.balance, connect.currency))
            return json_response(200, channels.state(store_id))
        if channels.state(store_id) is None:
            return problem(404, "sandbox-channel-not-found", "Not Found", f"store {store_id} is not connected")
        if what == "balance":
            balance = parse_body(SandboxChannelBalance, request.body, what="sandbox channel balance")
            channels.set_balance(store_id, Money(balance.amount, balance.currency))
            return json_response(200, channels.state(store_id))
        order = parse_body(SandboxChannelOrder, request.body, what="sandbox channel order")
        body = order.model_dump(exclude={"tamper"}, exclude_none=True)
        try:
            return json_response(200, oms.sandbox_channel_order(store_id, body, tamper=order.tamper))
        except OSError as error:
            return problem(502, "sandbox-delivery-failed", "Bad Gateway", f"delivery failed: {type(error).__name__}")

    return [
        LocalRoute("GET", "/sandbox/channels/<store_id>", lambda r: channel(r, what="state")),
        LocalRoute("POST", "/sandbox/channels/<store_id>/connect", lambda r: channel(r, what="connect")),
        LocalRoute("PUT", "/sandbox/channels/<store_id>/balance", lambda r: channel(r, what="balance")),
        LocalRoute("POST", "/sandbox/channels/<store_id>/orders", lambda r: channel(r, what="order")),
        LocalRoute("GET", "/outbox/messages", sent_messages),
        LocalRoute("POST", "/sandbox/payments/<payment_id>/pay", pay),
        LocalRoute("POST", "/sandbox/carriers/<carrier>/events", carrier_event),
        LocalRoute("POST", "/sandbox/<provider>/bills/plant", plant),
        LocalRoute("PUT", "/sandbox/bills/same-day", same_day_bills),
        LocalRoute("POST", "/sandbox/warehouse/<child_order_id>/hand-over", lambda r: warehouse(r, hand_over=True)),
        LocalRoute("GET", "/sandbox/warehouse/<child_order_id>", lambda r: warehouse(r, hand_over=False)),
    ]


IMAGES_BUCKET = "ImagesBucket"  # the template's images bucket (docs/images.md)
IMAGES_PREFIX = "images/"  # what CloudFront serves on AWS: checked images only, never uploads/


def image_routes(oms: OmsExtension) -> list[LocalRoute]:
    """`GET /_local/images/<key>`: the images bucket's objects under `images/` (the checked ones), by key, as the
    CloudFront distribution serves them on AWS (the local default of ImagesBaseUrl points here)."""

    def serve(request: LocalRequest) -> Response:
        stack = oms.stack
        bucket = stack.resources.get(IMAGES_BUCKET)
        key = request.params["key"]
        if bucket is None:
            return problem(404, "not-found", "Not Found", "this stack has no images bucket")
        if not key.startswith(IMAGES_PREFIX) or ".." in key.split("/"):
            return problem(404, "not-found", "Not Found", f"only {IMAGES_PREFIX} is served")
        s3 = stack.boto3_client("s3")
        try:
            found = s3.get_object(Bucket=bucket, Key=key)
        except s3.exceptions.NoSuchKey:
            return problem(404, "not-found", "Not Found", f"no image {key}")
        headers = [("content-type", str(found.get("ContentType") or "application/octet-stream"))]
        if found.get("CacheControl"):
            headers.append(("cache-control", str(found["CacheControl"])))
        return Response(200, headers, found["Body"].read())

    return [LocalRoute("GET", "/images/<greedy:key>", serve)]
