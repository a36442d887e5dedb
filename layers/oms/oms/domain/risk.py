"""Risk control, the pure part: the settings (rate limits, amount limits, rules and their thresholds), how
blacklisted values are normalised, fixed-window rate counters, and the rules that judge a checkout.

The store keeps the counters and lists (oms.store.risk); the service (oms.services.risk) reads them with the
checkout and writes them in the checkout's own transaction, so nothing here knows about DynamoDB."""

from __future__ import annotations

import hashlib
import ipaddress
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from oms.domain.errors import DomainError, Forbidden, InvalidRequest


# ---------------------------------------------------------------- errors
class RateLimited(DomainError):
    """Too many requests of one kind by one user or from one address in the current window."""

    slug = "rate-limited"
    title = "Too many requests"
    status = 429

    def __init__(self, detail: str, *, retry_after: int, scope: str) -> None:
        super().__init__(detail, retryAfter=retry_after, scope=scope)
        self.retry_after = retry_after


class Blocked(Forbidden):
    """A blacklisted user, phone, email, IP, device or address. The client is not told which list matched
    (staff find it in the log); the detail is the same for every list."""

    slug = "blocked"
    title = "Not allowed"

    def __init__(self) -> None:
        super().__init__("this request cannot be accepted; contact customer service")


class AmountLimitExceeded(DomainError):
    """An order or payment over a per-transaction or daily amount limit (the limit is named)."""

    slug = "amount-limit-exceeded"
    title = "Amount over the limit"
    status = 422

    def __init__(self, detail: str, *, limit: str, allowed: Mapping[str, Any]) -> None:
        super().__init__(detail, limit=limit, allowed=dict(allowed))


class RiskReviewDecided(DomainError):
    slug = "risk-review-decided"
    title = "The risk review was already decided"
    status = 409


# ---------------------------------------------------------------- settings
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Minor = Annotated[int, Field(ge=1, le=10**13)]


class RiskWindow(_Strict):
    """At most `limit` requests per `windowSeconds` (a fixed window: oms.domain.risk.window_of)."""

    limit: Annotated[int, Field(ge=1, le=100_000)]
    windowSeconds: Annotated[int, Field(ge=1, le=86_400)]


class RiskScopeLimits(_Strict):
    perUser: RiskWindow
    perIp: RiskWindow


class RiskRateLimits(_Strict):
    checkout: RiskScopeLimits = RiskScopeLimits(
        perUser=RiskWindow(limit=30, windowSeconds=60), perIp=RiskWindow(limit=1000, windowSeconds=60)
    )
    payment: RiskScopeLimits = RiskScopeLimits(
        perUser=RiskWindow(limit=30, windowSeconds=60), perIp=RiskWindow(limit=1000, windowSeconds=60)
    )
    coupon: RiskScopeLimits = RiskScopeLimits(
        perUser=RiskWindow(limit=30, windowSeconds=60), perIp=RiskWindow(limit=1000, windowSeconds=60)
    )


class RiskMethodLimits(_Strict):
    perPayment: Minor | None = None
    dailyPerCustomer: Minor | None = None


class RiskAmountLimits(_Strict):
    """Limits in one currency (minor units); orders and payments in other currencies are not limited by them."""

    perOrder: Minor | None = None
    dailyPerCustomer: Minor | None = None  # the sum of a customer's orders placed in a UTC day
    methods: dict[str, RiskMethodLimits] = {}  # payment method -> its limits for one customer


class NewAccountRule(_Strict):
    enabled: bool = True
    accountAgeSeconds: Annotated[int, Field(ge=1, le=365 * 86_400)] = 86_400
    amountOver: dict[Currency, Minor] = {"CNY": 2_000_000}


class VelocityRule(_Strict):
    enabled: bool = True
    windowSeconds: Annotated[int, Field(ge=60, le=86_400)] = 600
    maxOrdersPerCustomer: Annotated[int, Field(ge=1, le=10_000)] = 50
    maxOrdersPerDevice: Annotated[int, Field(ge=1, le=10_000)] = 50


class SharedAccountsRule(_Strict):
    enabled: bool = True
    maxAccounts: Annotated[int, Field(ge=1, le=10_000)] = 50


class CountryMismatchRule(_Strict):
    enabled: bool = True


class RiskRules(_Strict):
    newAccount: NewAccountRule = NewAccountRule()
    velocity: VelocityRule = VelocityRule()
    sharedDevice: SharedAccountsRule = SharedAccountsRule(maxAccounts=5)
    # Off by default: parcel lockers, offices and campuses are shared by many honest accounts.
    sharedAddress: SharedAccountsRule = SharedAccountsRule(enabled=False)
    countryMismatch: CountryMismatchRule = CountryMismatchRule()


class RiskSettings(_Strict):
    """Everything risk control decides by (GET/PUT /settings/risk). `reviewMatched`: a paid order that matched
    any enabled rule goes to the manual review queue; off, the verdict is only recorded."""

    rateLimits: RiskRateLimits = RiskRateLimits()
    amountLimits: dict[Currency, RiskAmountLimits] = {}
    rules: RiskRules = RiskRules()
    reviewMatched: bool = True

    @classmethod
    def of(cls, data: Mapping[str, Any] | None) -> RiskSettings:
        return cls.model_validate(dict(data)) if data else cls()

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def check_methods(settings: RiskSettings, methods: frozenset[str]) -> None:
    for currency, limits in settings.amountLimits.items():
        for method in limits.methods:
            if method not in methods:
                raise InvalidRequest(
                    f"{method} is not a payment method", field=f"amountLimits.{currency}.methods.{method}"
                )


# ---------------------------------------------------------------- blacklists
class ListKind(StrEnum):
    USER = "user"
    PHONE = "phone"
    EMAIL = "email"
    IP = "ip"
    DEVICE = "device"
    ADDRESS = "address"


_SPACES = re.compile(r"\s+")


def normalise(kind: ListKind, value: str) -> str:
    """The form a value is listed and looked up in: phones by their digits, emails lower-cased, IPs in
    canonical form, addresses folded (NFKC, case, spaces, punctuation). 422 for a value that is no such thing."""
    text = unicodedata.normalize("NFKC", value).strip()
    if kind is ListKind.PHONE:
        digits = re.sub(r"\D", "", text)
        if len(digits) < 3:
            raise InvalidRequest("a phone number has at least 3 digits", field="value")
        return digits
    if kind is ListKind.EMAIL:
        if "@" not in text:
            raise InvalidRequest("not an email address", field="value")
        return text.casefold()
    if kind is ListKind.IP:
        try:
            return str(ipaddress.ip_address(text))
        except ValueError as error:
            raise InvalidRequest("not an IP address", field="value") from error
    if kind is ListKind.ADDRESS:
        folded = re.sub(r"[^\w]+", " ", text.casefold())
        return _SPACES.sub(" ", folded).strip()
    if not text:
        raise InvalidRequest("the value is empty", field="value")
    return text


ADDRESS_FIELDS = ("country", "region", "city", "postalCode", "line1", "line2")


def address_text(address: Mapping[str, Any]) -> str:
    """A shipping address as one line of the parts that locate it (not the recipient's name or phone)."""
    return " ".join(str(address[part]) for part in ADDRESS_FIELDS if address.get(part))


def digest(kind: ListKind, normalised: str) -> str:
    """The key part of a listed value: a hash, so the table's keys hold no personal data in clear."""
    return hashlib.sha256(f"{kind.value}:{normalised}".encode()).hexdigest()[:40]


def valid_ip(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


# ---------------------------------------------------------------- rate windows
def window_of(epoch: int, seconds: int) -> int:
    """The start of the fixed window `epoch` falls in."""
    return epoch - epoch % seconds


def retry_after(epoch: int, seconds: int) -> int:
    """Seconds until the current window ends (at least 1)."""
    return max(1, window_of(epoch, seconds) + seconds - epoch)


def utc_day(at: str) -> str:
    return at[:10]


# ---------------------------------------------------------------- rules
class RuleName(StrEnum):
    NEW_ACCOUNT_HIGH_AMOUNT = "new-account-high-amount"
    CUSTOMER_VELOCITY = "customer-velocity"
    DEVICE_VELOCITY = "device-velocity"
    SHARED_DEVICE = "shared-device"
    SHARED_ADDRESS = "shared-address"
    COUNTRY_MISMATCH = "country-mismatch"


@dataclass(frozen=True)
class CheckoutFacts:
    """What checkout knows about the shopper when it judges the order (read with the checkout, this order
    included in the counts)."""

    amount: int
    currency: str
    account_age_seconds: int | None  # since the customer's first checkout; None: this is the first
    customer_orders_in_window: int
    device_orders_in_window: int | None  # None: no device fingerprint was sent
    device_accounts: int | None
    address_accounts: int
    shipping_country: str | None
    billing_country: str | None


def evaluate(settings: RiskSettings, facts: CheckoutFacts) -> list[dict[str, Any]]:
    """The rules the order matched, each with what it saw and the threshold."""
    rules = settings.rules
    hits: list[dict[str, Any]] = []

    def hit(rule: RuleName, **seen: Any) -> None:
        hits.append({"rule": rule.value, **seen})

    over = rules.newAccount.amountOver.get(facts.currency)
    age = facts.account_age_seconds
    young = age is None or age < rules.newAccount.accountAgeSeconds
    if rules.newAccount.enabled and over is not None and facts.amount >= over and young:
        hit(RuleName.NEW_ACCOUNT_HIGH_AMOUNT, amount=facts.amount, threshold=over, accountAgeSeconds=age)
    velocity = rules.velocity
    if velocity.enabled and facts.customer_orders_in_window > velocity.maxOrdersPerCustomer:
        hit(RuleName.CUSTOMER_VELOCITY, orders=facts.customer_orders_in_window, threshold=velocity.maxOrdersPerCustomer)
    device_orders = facts.device_orders_in_window
    if velocity.enabled and device_orders is not None and device_orders > velocity.maxOrdersPerDevice:
        hit(RuleName.DEVICE_VELOCITY, orders=device_orders, threshold=velocity.maxOrdersPerDevice)
    accounts = facts.device_accounts
    if rules.sharedDevice.enabled and accounts is not None and accounts > rules.sharedDevice.maxAccounts:
        hit(RuleName.SHARED_DEVICE, accounts=accounts, threshold=rules.sharedDevice.maxAccounts)
    if rules.sharedAddress.enabled and facts.address_accounts > rules.sharedAddress.maxAccounts:
        hit(RuleName.SHARED_ADDRESS, accounts=facts.address_accounts, threshold=rules.sharedAddress.maxAccounts)
    billing, shipping = facts.billing_country, facts.shipping_country
    if rules.countryMismatch.enabled and billing and shipping and billing != shipping:
        hit(RuleName.COUNTRY_MISMATCH, billing=billing, shipping=shipping)
    return hits


def verdict(settings: RiskSettings, hits: list[dict[str, Any]], at: str) -> dict[str, Any]:
    """What the order header records: the rules matched and whether the paid order waits for a review."""
    return {"review": bool(hits) and settings.reviewMatched, "matched": hits, "at": at}


def needs_review(risk: Mapping[str, Any] | None) -> bool:
    return bool(risk and risk.get("review"))
