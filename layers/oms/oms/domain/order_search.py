"""What staff search orders by (issue 13, seeds 000 and 001): the query, its date presets and the rule that
decides whether one order matches it. Pure: the store picks the index a query is served by
(`oms.store.order_search`) and applies `OrderQuery.matches` to what it reads.

Time ranges are half-open, `[start, end)`, in RFC 3339 UTC with milliseconds (they compare as strings with
the stored times). The presets `today`, `this-week` (from Monday) and `this-month` start at midnight in the
time zone the caller names (an IANA name, UTC by default): staff in Shanghai ask for their day, not UTC's.

Contacts are never searched in clear: a phone number (its digits) or an email address (trimmed, lower-case)
is turned into a keyed hash (`contact_key`), the same one checkout stores with the order.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from oms.domain.clock import parse_rfc3339, to_rfc3339
from oms.domain.errors import InvalidRequest
from oms.domain.flags import OrderFlag
from oms.domain.order import OrderStatus
from oms.domain.payment import PaymentMethod

PAID_AT_CHECKOUT = "checkout"  # paidWith of an order nothing was left to pay for (points, coupons)
MAX_MERGED_STORES = 10  # a merchant's stores read side by side; more are filtered from the wider index


class DatePreset(StrEnum):
    TODAY = "today"
    THIS_WEEK = "this-week"
    THIS_MONTH = "this-month"


class PaidWith(StrEnum):
    """What paid an order: a payment method, or `checkout` (nothing was left to pay: points, coupons)."""

    ALIPAY = PaymentMethod.ALIPAY.value
    WECHAT = PaymentMethod.WECHAT.value
    CARD = PaymentMethod.CARD.value
    CRYPTO = PaymentMethod.CRYPTO.value
    BANK_TRANSFER = PaymentMethod.BANK_TRANSFER.value
    BALANCE = PaymentMethod.BALANCE.value
    CHECKOUT = PAID_AT_CHECKOUT


class SearchFlag(StrEnum):
    """The flags a search names: the order flag rows, and `on-hold` (the status ON_HOLD)."""

    SPECIAL = OrderFlag.SPECIAL.value
    ABNORMAL = OrderFlag.ABNORMAL.value
    RISK_REVIEW = OrderFlag.RISK_REVIEW.value
    ON_HOLD = "on-hold"


class ContactKind(StrEnum):
    PHONE = "phone"
    EMAIL = "email"


def normalise_contact(kind: ContactKind, value: str) -> str:
    """The form a contact is compared in: a phone's digits; an email trimmed and lower-cased."""
    if kind is ContactKind.PHONE:
        return re.sub(r"\D", "", value)
    return value.strip().lower()


def contact_key(kind: ContactKind, value: str, secret: bytes) -> str | None:
    """The keyed hash (HMAC-SHA256, 128 bits shown) a contact is stored and searched under; None when nothing
    is left of it after normalising."""
    normal = normalise_contact(kind, value)
    if not normal:
        return None
    return hmac.new(secret, f"{kind.value}:{normal}".encode(), hashlib.sha256).hexdigest()[:32]


@dataclass(frozen=True)
class TimeRange:
    start: str | None  # inclusive
    end: str | None  # exclusive

    def contains(self, moment: str | None) -> bool:
        if moment is None:
            return False
        return (self.start is None or moment >= self.start) and (self.end is None or moment < self.end)

    @property
    def empty(self) -> bool:
        return self.start is not None and self.end is not None and self.start >= self.end


def zone_of(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError, OSError) as error:
        raise InvalidRequest("tz must be an IANA time zone name, e.g. Asia/Shanghai", field="tz") from error


def preset_range(preset: DatePreset, now: datetime, zone: ZoneInfo) -> TimeRange:
    """`today`, `this-week` (Monday on) or `this-month` around `now`, as seen in `zone`."""
    local = now.astimezone(zone)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if preset is DatePreset.TODAY:
        start, end = midnight, midnight + timedelta(days=1)
    elif preset is DatePreset.THIS_WEEK:
        start = midnight - timedelta(days=local.weekday())
        end = start + timedelta(days=7)
    else:
        start = midnight.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1)
    # Midnight in the zone, re-resolved after the arithmetic (a DST change between start and end).
    start = start.replace(tzinfo=None).replace(tzinfo=zone)
    end = end.replace(tzinfo=None).replace(tzinfo=zone)
    return TimeRange(to_rfc3339(start), to_rfc3339(end))


def time_range(
    preset: DatePreset | None,
    start: str | None,
    end: str | None,
    *,
    now: datetime,
    zone: ZoneInfo,
    name: str,
) -> TimeRange | None:
    """A preset or a custom `[start, end)` (RFC 3339, any offset) for the field `name` (created, paid)."""
    if preset is not None and (start or end):
        raise InvalidRequest(f"give {name} or {name}From/{name}To, not both", field=name)
    if preset is not None:
        return preset_range(preset, now, zone)
    if start is None and end is None:
        return None
    bounds = TimeRange(_instant(start, f"{name}From"), _instant(end, f"{name}To"))
    if bounds.empty:
        raise InvalidRequest(f"{name}From must be before {name}To", field=f"{name}From")
    return bounds


def _instant(value: str | None, field_name: str) -> str | None:
    if value is None:
        return None
    try:
        return to_rfc3339(parse_rfc3339(value))
    except ValueError as error:
        raise InvalidRequest(f"{field_name} must be an RFC 3339 timestamp", field=field_name) from error


@dataclass(frozen=True)
class OrderFacts:
    """What a search compares of one order (its header, and the flags set on it)."""

    order_id: str
    order_number: str
    customer_id: str
    status: str
    created_at: str
    paid_at: str | None
    paid_with: str | None
    total: int
    currency: str
    store_ids: frozenset[str]
    sku_ids: frozenset[str]
    product_ids: frozenset[str]
    contact_keys: frozenset[str]
    points_debited: int
    flags: frozenset[str]


@dataclass(frozen=True)
class OrderQuery:
    """Every filter of the staff order search; all given filters must hold (AND). `stores` is the store
    scope of a merchant (None: every store), applied whatever else is asked."""

    order_number: str | None = None
    status: OrderStatus | None = None
    created: TimeRange | None = None
    paid: TimeRange | None = None
    payment_method: str | None = None
    customer_id: str | None = None
    phone_key: str | None = None
    email_key: str | None = None
    sku_id: str | None = None
    product_id: str | None = None
    store_id: str | None = None
    amount_min: int | None = None
    amount_max: int | None = None
    currency: str | None = None
    points_used: bool | None = None
    flags: frozenset[SearchFlag] = field(default_factory=frozenset)
    stores: frozenset[str] | None = None

    def __post_init__(self) -> None:
        if self.amount_min is not None and self.amount_max is not None and self.amount_min > self.amount_max:
            raise InvalidRequest("amountMin must not exceed amountMax", field="amountMin")

    def to_json(self) -> dict[str, Any]:
        """The query as an export job records it: ranges resolved, contacts as their hashes only."""
        data: dict[str, Any] = {
            "orderNumber": self.order_number,
            "status": self.status.value if self.status else None,
            "createdFrom": self.created.start if self.created else None,
            "createdTo": self.created.end if self.created else None,
            "paidFrom": self.paid.start if self.paid else None,
            "paidTo": self.paid.end if self.paid else None,
            "paymentMethod": self.payment_method,
            "customerId": self.customer_id,
            "phoneKey": self.phone_key,
            "emailKey": self.email_key,
            "skuId": self.sku_id,
            "productId": self.product_id,
            "storeId": self.store_id,
            "amountMin": self.amount_min,
            "amountMax": self.amount_max,
            "currency": self.currency,
            "pointsUsed": self.points_used,
            "flags": sorted(f.value for f in self.flags) or None,
            "stores": sorted(self.stores) if self.stores is not None else None,
        }
        return {k: v for k, v in data.items() if v is not None}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OrderQuery:
        """The query an export job recorded (`to_json`; a job written before search recorded only status and
        the created range, under the same names)."""

        def span(start: str, end: str) -> TimeRange | None:
            return TimeRange(data.get(start), data.get(end)) if data.get(start) or data.get(end) else None

        created, paid = span("createdFrom", "createdTo"), span("paidFrom", "paidTo")
        amount = {k: int(data[k]) for k in ("amountMin", "amountMax") if data.get(k) is not None}
        return cls(
            order_number=data.get("orderNumber"),
            status=OrderStatus(data["status"]) if data.get("status") else None,
            created=created,
            paid=paid,
            payment_method=data.get("paymentMethod"),
            customer_id=data.get("customerId"),
            phone_key=data.get("phoneKey"),
            email_key=data.get("emailKey"),
            sku_id=data.get("skuId"),
            product_id=data.get("productId"),
            store_id=data.get("storeId"),
            amount_min=amount.get("amountMin"),
            amount_max=amount.get("amountMax"),
            currency=data.get("currency"),
            points_used=data.get("pointsUsed"),
            flags=frozenset(SearchFlag(f) for f in data.get("flags") or ()),
            stores=frozenset(data["stores"]) if data.get("stores") is not None else None,
        )

    @property
    def order_flags(self) -> tuple[OrderFlag, ...]:
        """The flag rows the order must carry, in a fixed order (the first one can serve the query)."""
        return tuple(OrderFlag(f.value) for f in SearchFlag if f in self.flags and f is not SearchFlag.ON_HOLD)

    @property
    def wanted_status(self) -> OrderStatus | None:
        """The status asked for, `on-hold` included (an `on-hold` search for another status finds nothing)."""
        return OrderStatus.ON_HOLD if SearchFlag.ON_HOLD in self.flags else self.status

    @property
    def contradictory(self) -> bool:
        """Nothing can match: on hold and another status, or a store outside the caller's scope."""
        if SearchFlag.ON_HOLD in self.flags and self.status not in (None, OrderStatus.ON_HOLD):
            return True
        return self.stores is not None and (
            not self.stores or (self.store_id is not None and self.store_id not in self.stores)
        )

    @property
    def scoped_stores(self) -> frozenset[str] | None:
        """The stores an order must belong to (one of): the store asked for, within the scope."""
        if self.store_id is not None:
            return frozenset({self.store_id})
        return self.stores

    def matches(self, order: OrderFacts) -> bool:
        status = self.wanted_status
        stores = self.scoped_stores
        return (
            (self.order_number is None or order.order_number == self.order_number)
            and (status is None or order.status == status.value)
            and (self.created is None or self.created.contains(order.created_at))
            and (self.paid is None or self.paid.contains(order.paid_at))
            and (self.payment_method is None or order.paid_with == self.payment_method)
            and (self.customer_id is None or order.customer_id == self.customer_id)
            and (self.phone_key is None or self.phone_key in order.contact_keys)
            and (self.email_key is None or self.email_key in order.contact_keys)
            and (self.sku_id is None or self.sku_id in order.sku_ids)
            and (self.product_id is None or self.product_id in order.product_ids)
            and (stores is None or bool(stores & order.store_ids))
            and (self.amount_min is None or order.total >= self.amount_min)
            and (self.amount_max is None or order.total <= self.amount_max)
            and (self.currency is None or order.currency == self.currency)
            and (self.points_used is None or (order.points_debited > 0) == self.points_used)
            and all(flag.value in order.flags for flag in self.order_flags)
        )


def search_flags(text: str | None) -> tuple[SearchFlag, ...]:
    """`special,on-hold` (comma-separated) as flags; 422 for a name that is not one."""
    if not text:
        return ()
    try:
        return tuple(dict.fromkeys(SearchFlag(name.strip()) for name in text.split(",")))
    except ValueError as error:
        names = ", ".join(f.value for f in SearchFlag)
        raise InvalidRequest(f"flags are a comma-separated list of {names}", field="flags") from error


def distinct(values: Iterable[str]) -> list[str]:
    """`values` once each, in their first order (the SKUs or products of an order's lines)."""
    return list(dict.fromkeys(values))


@dataclass(frozen=True)
class SearchParams:
    """The staff filters of `GET /orders` (and of an export), as the request gives them."""

    orderNumber: str | None = None
    status: OrderStatus | None = None
    created: DatePreset | None = None
    createdFrom: str | None = None
    createdTo: str | None = None
    paid: DatePreset | None = None
    paidFrom: str | None = None
    paidTo: str | None = None
    paymentMethod: str | None = None
    customerId: str | None = None
    phone: str | None = None
    email: str | None = None
    skuId: str | None = None
    productId: str | None = None
    storeId: str | None = None
    amountMin: int | None = None
    amountMax: int | None = None
    currency: str | None = None
    pointsUsed: bool | None = None
    flags: tuple[SearchFlag, ...] = ()
    tz: str | None = None

    @property
    def given(self) -> bool:
        """Any filter at all (customers may give none)."""
        return any(getattr(self, f.name) not in (None, ()) for f in fields(self))

    def to_json(self) -> dict[str, object]:
        """The filters given, as an export job records them."""
        data: dict[str, object] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value in (None, ()):
                continue
            data[f.name] = [v.value for v in value] if f.name == "flags" else value
        return data

    @classmethod
    def from_json(cls, data: dict[str, object]) -> SearchParams:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if values.get("status"):
            values["status"] = OrderStatus(str(values["status"]))
        for name in ("created", "paid"):
            if values.get(name):
                values[name] = DatePreset(str(values[name]))
        values["flags"] = tuple(SearchFlag(str(f)) for f in values.get("flags") or ())  # type: ignore[attr-defined]
        return cls(**values)  # type: ignore[arg-type]
