"""Risk control: screening checkouts and payments (blacklists, rate limits, amount limits, rules), the manual
review queue of suspicious paid orders and its decisions, blacklist administration and the settings.

A screen reads what it judges by in ONE BatchGetItem and gives the request's own transaction its counters
(`Screen.add`): a limit is checked on what was read (the answer names it) and again by the counters'
conditions, so racing requests never pass it (`Screen.explain` turns such a failed condition into the same
answer). A paid order whose checkout matched a rule goes ON_HOLD (`hold_for_review`, called from the payment
success path) with the `risk-review` flag; staff approve it (PAID, its children queued to the warehouse) or
reject it (refunded and cancelled through the held order's cancel path)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Protocol

from oms.domain import events
from oms.domain.clock import epoch_seconds, parse_rfc3339, to_rfc3339, utcnow
from oms.domain.errors import Conflict, Forbidden, InvalidRequest, NotFound, PreconditionFailed
from oms.domain.flags import OrderFlag
from oms.domain.holds import Hold, HoldKind
from oms.domain.money import Money
from oms.domain.order import CancelReason, OrderStatus, StatusChange, cancellation_record
from oms.domain.payment import PaymentMethod
from oms.domain.permissions import Actor, Permission
from oms.domain.risk import (
    AmountLimitExceeded,
    Blocked,
    CheckoutFacts,
    ListKind,
    RateLimited,
    RiskReviewDecided,
    RiskSettings,
    RiskWindow,
    address_text,
    check_methods,
    digest,
    evaluate,
    needs_review,
    normalise,
    retry_after,
    utc_day,
    valid_ip,
    verdict,
)
from oms.store import risk as store
from oms.store.audit import add_audit, audit_records
from oms.store.flags import add_flag, remove_flag
from oms.store.orders import (
    OrderRepository,
    StaleOrder,
    add_children_to_warehouse_queues,
    add_order_move,
)
from oms.store.pages import Page
from oms.store.payments import add_stock_sale
from oms.store.records import HeaderRecord, OrderRecord
from oms.store.stock import mover
from oms.store.transactions import Part, Transaction, TransactionCancelled
from oms.views.orders import line_facts, order_summary
from oms.views.pricing import audit_view

log = logging.getLogger(__name__)

DAY_SECONDS = 86_400
DEVICE_HEADER = "X-Device-Fingerprint"
DECIDE_ATTEMPTS = 4


class CancelMoney(Protocol):
    """The payments side of a cancel (oms.services.payments.PaymentService)."""

    def cancel_refunds(self, record: OrderRecord, actor: Actor, now: str) -> Callable[[Transaction], None] | None: ...

    def after_cancel(self, order_id: str) -> None: ...


@dataclass
class _Cached:
    settings: RiskSettings | None = None
    version: int = -1  # -1: never read


_cache = _Cached()
_cache_lock = threading.Lock()


def _remember(data: Mapping[str, Any] | None, version: int) -> RiskSettings:
    settings = RiskSettings.of(data)
    with _cache_lock:
        _cache.settings, _cache.version = settings, version
    return settings


def known_settings() -> RiskSettings:
    """The settings as last read (the defaults before the first read): a screen computes its keys with them
    and reads the stored settings in the same BatchGetItem (`RiskService._refresh`), so it makes no call of
    its own. A PUT in this process updates them at once; another function sees it with its next screen."""
    with _cache_lock:
        return _cache.settings or RiskSettings()


@dataclass(frozen=True)
class CheckoutProbe:
    """What a checkout's screen needs from before its read: who, when, the settings and the keys read."""

    actor: Actor
    at: str
    epoch: int
    settings: RiskSettings
    ip: str | None
    listed: list[tuple[ListKind, str]]
    windows: list[tuple[str, tuple[str, str], RiskWindow]]
    velocity_keys: dict[str, tuple[str, str]]
    day: str
    device_digest: str | None
    address_digest: str | None
    shipping_country: str | None
    coupons: bool
    keys: list[tuple[str, str]]


@dataclass
class Screen:
    """A screened request's writes for its own transaction, and the answers to their failed conditions."""

    verdict: dict[str, Any] | None = None
    writes: list[Callable[[Transaction], None]] = field(default_factory=list)
    refusals: dict[str, Callable[[], Exception]] = field(default_factory=dict)

    def add(self, tx: Transaction) -> None:
        for write in self.writes:
            write(tx)

    def explain(self, cancelled: TransactionCancelled) -> None:
        """Raise what a failed counter condition means (a limit reached by a racing request)."""
        for failure in cancelled.failed(Part.RISK):
            refusal = self.refusals.get(failure.key)
            if refusal is not None:
                raise refusal() from cancelled


def hold_for_review(tx: Transaction, record: OrderRecord, actor: Actor, now: str, *, more: Sequence[Any] = ()) -> None:
    """The payment success path of an order risk control flagged: ON_HOLD (risk-review, from PAID) with the
    `risk-review` flag instead of PAID; the money is booked as usual, its stock stays reserved and its children
    wait (they are queued to the warehouse when the review approves it)."""
    header = record.header
    rules = ", ".join(str(hit["rule"]) for hit in (header.risk or {}).get("matched", []))
    reason = f"payment received; held for risk review ({rules})"
    change = StatusChange(record.status, OrderStatus.ON_HOLD, actor, now, reason)
    hold = Hold(HoldKind.RISK_REVIEW, reason, by=actor.subject, at=now, from_status=OrderStatus.PAID)
    add_order_move(tx, header, change, events.order_on_hold(order_summary(header)), hold=hold, more=more)
    add_flag(tx, header.orderId, header.createdAt, OrderFlag.RISK_REVIEW, by="risk-control", at=now, reason=rules)


def leaving_review(
    record: OrderRecord, more: Callable[[Transaction], None] | None
) -> Callable[[Transaction], None] | None:
    """`more` of a whole-order cancel, plus, for an order held for risk review, its flag and hold cleared: a
    held order staff cancel (POST /orders/{id}/cancel) leaves the review queue in the cancel's transaction."""
    if not any(flag.flag == OrderFlag.RISK_REVIEW.value for flag in record.flags):
        return more

    def add(tx: Transaction) -> None:
        if more is not None:
            more(tx)
        remove_flag(tx, record.header.orderId, OrderFlag.RISK_REVIEW)  # the cancel itself ends the hold

    return add


class RiskService:
    def __init__(
        self,
        orders: OrderRepository,
        money: Callable[[], CancelMoney] | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.orders = orders
        self.money = money
        self.clock = clock

    # ---------------------------------------------------------------- screening
    def checkout_probe(
        self, actor: Actor, shipping_address: Mapping[str, Any], device: str | None, *, with_coupons: bool
    ) -> CheckoutProbe:
        """The rows a checkout is judged by, for the checkout's own BatchGetItem (no call of its own)."""
        now = self.clock()
        at, epoch = to_rfc3339(now), epoch_seconds(now)
        settings = known_settings()
        customer = actor.subject
        ip = valid_ip(actor.source_ip)
        address = address_text(shipping_address)
        address_digest = digest(ListKind.ADDRESS, normalise(ListKind.ADDRESS, address)) if address else None
        device_digest = _device_digest(device)
        listed = _listed_values(customer, ip, device, shipping_address)
        windows, velocity_keys = _checkout_windows(settings, customer, ip, device_digest, epoch, with_coupons)
        day = utc_day(at)
        # The day's totals in every currency with limits (the order's currency is known only once priced).
        daily_keys = {currency: store.daily_key(customer, day, currency, None) for currency in settings.amountLimits}
        wanted = [
            *(store.block_key(kind, value) for kind, value in listed),
            *(key for _, key, _ in windows),
            *velocity_keys.values(),
            *daily_keys.values(),
            store.customer_key(customer),
            *([store.device_accounts_key(device_digest)] if device_digest else []),
            *([store.address_accounts_key(address_digest)] if address_digest else []),
            store.SETTINGS_KEY,
        ]
        return CheckoutProbe(
            actor, at, epoch, settings, ip, listed, windows, velocity_keys, day, device_digest, address_digest,
            shipping_address.get("country"), with_coupons, wanted,
        )  # fmt: skip

    def probe_rows(self, probe: CheckoutProbe) -> list[Any]:
        """The rows a probe needs, read on their own (a checkout to a saved address knows it only after its
        first read)."""
        return store.items(probe.keys)

    def screen_checkout(
        self, probe: CheckoutProbe, found: list[Any], *, total: Money, billing_country: str | None
    ) -> Screen:
        """Judge a priced checkout on the rows its read found: a blacklisted user, phone, email, IP, device or
        address is refused (403 `blocked`), a rate limit reached is 429, an amount limit 422; otherwise the
        rules' verdict for the order header and the counters for the checkout's transaction."""
        actor, at, epoch, settings = probe.actor, probe.at, probe.epoch, probe.settings
        customer, listed, windows, velocity_keys = actor.subject, probe.listed, probe.windows, probe.velocity_keys
        device_digest, address_digest = probe.device_digest, probe.address_digest
        daily_key = store.daily_key(customer, probe.day, total.currency, None)
        rows = store.rows_of(found)
        settings = self._refresh(settings, rows)
        if settings is not probe.settings:
            # Changed since this process last read them: count in the windows they define now (not read, so
            # counted from 0 here; the counters' conditions still hold every limit exactly).
            windows, velocity_keys = _checkout_windows(
                settings, customer, probe.ip, device_digest, epoch, probe.coupons
            )
        velocity = settings.rules.velocity
        self._refuse_blocked(rows, listed, at, what="checkout", actor=actor)
        screen = Screen()
        self._rate_limits(screen, rows, windows, epoch)

        limits_here = settings.amountLimits.get(total.currency)
        amount = total.amount
        if limits_here is not None and limits_here.perOrder is not None and amount > limits_here.perOrder:
            raise _over("perOrder", "per-order", Money(limits_here.perOrder, total.currency))
        daily_limit = limits_here.dailyPerCustomer if limits_here else None
        spent = rows.counts.get(daily_key, 0)
        if daily_limit is not None:
            allowed = Money(daily_limit, total.currency)
            if spent + amount > daily_limit:
                raise _over("dailyPerCustomer", "daily", allowed, spent=Money(spent, total.currency))
            screen.refusals["daily"] = lambda: _over("dailyPerCustomer", "daily", allowed)
        if amount and daily_limit is not None:  # counted while a daily limit applies to the currency
            screen.writes.append(
                lambda tx: store.add_daily_amount(
                    tx, "daily", daily_key, amount, limit=daily_limit, expires=epoch + 2 * DAY_SECONDS
                )
            )

        first_seen = rows.first_seen
        device_accounts = (
            rows.accounts.get(store.device_accounts_key(device_digest), frozenset()) if device_digest else None
        )
        address_accounts = (
            rows.accounts.get(store.address_accounts_key(address_digest), frozenset())
            if address_digest
            else frozenset()
        )
        facts = CheckoutFacts(
            amount=amount,
            currency=total.currency,
            account_age_seconds=None if first_seen is None else epoch - epoch_seconds(parse_rfc3339(first_seen)),
            customer_orders_in_window=rows.counts.get(velocity_keys["orders-customer"], 0) + 1,
            device_orders_in_window=rows.counts.get(velocity_keys["orders-device"], 0) + 1 if device_digest else None,
            device_accounts=None if device_accounts is None else len(device_accounts | {customer}),
            address_accounts=len(address_accounts | {customer}),
            shipping_country=probe.shipping_country,
            billing_country=billing_country,
        )
        hits = evaluate(settings, facts)
        if hits:
            log.warning("risk rules matched", extra={"customer": customer, "rules": hits})
        screen.verdict = verdict(settings, hits, at)
        for key in velocity_keys.values() if velocity.enabled else ():
            expires = epoch + velocity.windowSeconds + 60
            screen.writes.append(
                partial(store.add_window_count, label=f"velocity:{key[0]}", key=key, limit=None, expires=expires)
            )
        if first_seen is None:
            screen.writes.append(lambda tx: store.add_first_seen(tx, customer, at))
        rules = settings.rules
        device_key = store.device_accounts_key(device_digest) if device_digest and rules.sharedDevice.enabled else None
        address_key = (
            store.address_accounts_key(address_digest) if address_digest and rules.sharedAddress.enabled else None
        )
        sets = (("device", device_key, device_accounts), ("address", address_key, address_accounts))
        for label, account_key, seen in sets:
            if account_key and seen is not None and customer not in seen and len(seen) < store.ACCOUNTS_CAP:
                screen.writes.append(
                    partial(store.add_account_seen, label=label, key=account_key, customer_id=customer)
                )
        return screen

    def screen_payment(
        self, actor: Actor, record: OrderRecord, method: PaymentMethod, amount: Money, device: str | None
    ) -> Screen:
        """Judge a payment attempt (one BatchGetItem): blacklists (user, IP, device, the order's phone and
        address), the payment rate limits, and the method's per-payment and daily limits for this customer
        (its daily total counts an order once per method, on its first attempt with that method)."""
        now = self.clock()
        at, epoch = to_rfc3339(now), epoch_seconds(now)
        settings = known_settings()
        customer = actor.subject
        ip = valid_ip(actor.source_ip)
        listed = _listed_values(customer, ip, device, record.header.shippingAddress or {})
        limits = settings.rateLimits.payment
        windows = _windows("payment", limits.perUser, limits.perIp, customer, ip, epoch)
        daily_key = store.daily_key(customer, utc_day(at), amount.currency, method.value)
        rows = store.read(
            [*(store.block_key(kind, value) for kind, value in listed), *(k for _, k, _ in windows), daily_key]
        )
        settings = self._refresh(settings, rows)
        self._refuse_blocked(rows, listed, at, what="payment", actor=actor)
        screen = Screen()
        self._rate_limits(screen, rows, windows, epoch)
        here = settings.amountLimits.get(amount.currency)
        method_limits = here.methods.get(method.value) if here else None
        if method_limits is None:
            return screen
        if method_limits.perPayment is not None and amount.amount > method_limits.perPayment:
            raise _over(
                f"methods.{method.value}.perPayment",
                f"per-payment ({method.value})",
                Money(method_limits.perPayment, amount.currency),
            )
        first_of_method = not any(a.method == method.value for a in record.payments)
        daily_limit = method_limits.dailyPerCustomer
        if daily_limit is None or not first_of_method:
            return screen
        spent = rows.counts.get(daily_key, 0)
        allowed = Money(daily_limit, amount.currency)
        name = f"methods.{method.value}.dailyPerCustomer"
        if spent + amount.amount > daily_limit:
            raise _over(name, f"daily ({method.value})", allowed, spent=Money(spent, amount.currency))
        screen.refusals["daily"] = lambda: _over(name, f"daily ({method.value})", allowed)
        screen.writes.append(
            lambda tx: store.add_daily_amount(
                tx, "daily", daily_key, amount.amount, limit=daily_limit, expires=epoch + 2 * DAY_SECONDS
            )
        )
        return screen

    @staticmethod
    def _refresh(settings: RiskSettings, rows: store.RiskRows) -> RiskSettings:
        with _cache_lock:
            same = rows.settings_version == _cache.version
        return settings if same else _remember(rows.settings, rows.settings_version)

    @staticmethod
    def _refuse_blocked(
        rows: store.RiskRows, listed: list[tuple[ListKind, str]], at: str, *, what: str, actor: Actor
    ) -> None:
        for kind, value in listed:
            entry = rows.blocks.get(store.block_key(kind, value))
            if entry is not None and (entry.until is None or entry.until > at):
                # Staff read which list matched in the log; the client is told only that it is refused.
                log.warning(
                    "blacklisted %s refused",
                    what,
                    extra={
                        "list": kind.value,
                        "entry": entry.digest,
                        "customer": actor.subject,
                        "requestId": actor.request_id,
                    },
                )
                raise Blocked()

    @staticmethod
    def _rate_limits(
        screen: Screen, rows: store.RiskRows, windows: list[tuple[str, tuple[str, str], RiskWindow]], epoch: int
    ) -> None:
        for scope, key, window in windows:
            wait = retry_after(epoch, window.windowSeconds)

            def refusal(scope: str = scope, wait: int = wait, window: RiskWindow = window) -> RateLimited:
                return RateLimited(
                    f"at most {window.limit} requests per {window.windowSeconds} s ({scope}); retry after {wait} s",
                    retry_after=wait,
                    scope=scope,
                )

            if rows.counts.get(key, 0) >= window.limit:
                raise refusal()
            label = f"rate:{scope}"
            screen.refusals[label] = refusal
            expires = epoch + window.windowSeconds + 60
            screen.writes.append(
                partial(store.add_window_count, label=label, key=key, limit=window.limit, expires=expires)
            )

    # ---------------------------------------------------------------- the review queue
    def reviews(self, actor: Actor, limit: int | None, cursor: str | None) -> Page[dict[str, Any]]:
        """Orders waiting for a risk review, oldest first (the `risk-review` flag index)."""
        _require(actor, Permission.RISK_REVIEW)
        return store.reviews(limit, cursor)

    def decide(self, actor: Actor, order_id: str, approve: bool, reason: str) -> dict[str, Any]:
        """Approve (PAID, children queued to the warehouse) or reject (what was received refunded, the order
        cancelled) an order held for risk review, audited (`risk.approve` / `risk.reject`). The same decision
        again answers the same; another one after a decision is 409."""
        _require(actor, Permission.RISK_REVIEW)
        if not reason.strip():
            raise InvalidRequest("say why", field="reason")
        decision = "approve" if approve else "reject"
        for _ in range(DECIDE_ATTEMPTS):
            record = self.orders.get_order(order_id)
            if record is None:
                raise NotFound(f"order {order_id} not found")
            header = record.header
            decided = (header.risk or {}).get("decision")
            if decided is not None:
                if decided.get("decision") == decision:
                    return _decision_view(header)
                raise RiskReviewDecided(
                    f"this order's risk review was already decided: {decided.get('decision')}", decision=decided
                )
            hold = Hold.of(header.hold)
            if record.status is not OrderStatus.ON_HOLD or hold is None or hold.kind is not HoldKind.RISK_REVIEW:
                raise Conflict(f"order {order_id} is not waiting for a risk review (it is {record.status.value})")
            now = to_rfc3339(self.clock())
            outcome = {
                "decision": decision,
                "reason": reason,
                "by": actor.subject,
                "role": actor.primary_role,
                "at": now,
            }
            risk = {**(header.risk or {}), "decision": outcome}
            try:
                if approve:
                    self._approve(record, actor, risk, reason, now)
                else:
                    self._reject(record, actor, risk, reason, now)
            except (StaleOrder, TransactionCancelled):
                continue  # the order moved meanwhile: decide again on what it is now
            fresh = self.orders.get_order(order_id)
            assert fresh is not None
            return _decision_view(fresh.header)
        raise Conflict("the order kept changing; retry")

    def _approve(self, record: OrderRecord, actor: Actor, risk: dict[str, Any], reason: str, now: str) -> None:
        header = record.header
        tx = Transaction()
        change = StatusChange(OrderStatus.ON_HOLD, OrderStatus.PAID, actor, now, f"risk review approved: {reason}")
        paid = next((a for a in record.payments if a.status == "SUCCEEDED"), None)
        event = events.order_paid(
            order_summary(header),
            payment_id=None if paid is None else paid.paymentId,
            method=None if paid is None else paid.method,
            payment_attempts=len(record.payments),
            lines=line_facts(record),
        )
        add_order_move(tx, header, change, event, clear_hold=True, more=[store.risk_set(risk)])
        add_stock_sale(tx, record.lines, now, from_available=False, by=mover(actor), reason="risk review approved")
        add_children_to_warehouse_queues(tx, record, now)
        remove_flag(tx, header.orderId, OrderFlag.RISK_REVIEW)
        add_audit(
            tx, f"ORDER#{header.orderId}", "risk.approve", actor=actor, now=now,
            before={"status": header.status}, after={"status": OrderStatus.PAID.value}, reason=reason,
        )  # fmt: skip
        tx.commit()

    def _reject(self, record: OrderRecord, actor: Actor, risk: dict[str, Any], reason: str, now: str) -> None:
        """The held order's cancel path: one transaction that releases its stock, returns what checkout took,
        refunds every provider payment in full, clears the hold and the flag; the refunds are then asked of
        the providers (and retried by the sweeper), so no money stays on a cancelled order."""
        header = record.header
        text = f"risk review rejected: {reason}"
        change = StatusChange(OrderStatus.ON_HOLD, OrderStatus.CANCELLED, actor, now, text)
        cancellation = cancellation_record(actor, CancelReason.STAFF_DECISION, text, now)
        money = self.money() if self.money is not None else None
        refunds = money.cancel_refunds(record, actor, now) if money is not None else None

        def more(tx: Transaction) -> None:
            if refunds is not None:
                refunds(tx)
            store.add_review_decided(tx, header.orderId, risk)
            remove_flag(tx, header.orderId, OrderFlag.RISK_REVIEW)
            add_audit(
                tx, f"ORDER#{header.orderId}", "risk.reject", actor=actor, now=now,
                before={"status": header.status}, after={"status": OrderStatus.CANCELLED.value}, reason=reason,
            )  # fmt: skip

        event = events.order_cancelled(order_summary(header), change.to_status, cancellation=cancellation)
        self.orders.cancel(record, change, cancellation, event, more)
        if money is not None:
            money.after_cancel(header.orderId)

    # ---------------------------------------------------------------- blacklists
    def add_entry(
        self, actor: Actor, kind: ListKind, value: str, reason: str, until: str | None
    ) -> tuple[bool, dict[str, Any]]:
        """List a value (a shipping address as its text, normalised and hashed), audited; True when it is new."""
        _require(actor, Permission.RISK_MANAGE)
        now = self.clock()
        at = to_rfc3339(now)
        expires = None
        if until is not None:
            try:
                ends = parse_rfc3339(until)
            except ValueError as error:
                raise InvalidRequest("until must be an RFC 3339 time", field="until") from error
            if ends <= now:
                raise InvalidRequest("until must be in the future", field="until")
            until = to_rfc3339(ends)
            expires = epoch_seconds(ends + timedelta(days=1))
        normalised = normalise(kind, value)
        record = store.BlockRecord(kind.value, normalised, digest(kind, normalised), reason, actor.subject, at, until)
        before = store.put_block(record, actor=actor, reason=reason, now=at, expires=expires)
        return before is None, _entry_view(record)

    def remove_entry(self, actor: Actor, kind: ListKind, value: str, reason: str) -> dict[str, Any]:
        _require(actor, Permission.RISK_MANAGE)
        normalised = normalise(kind, value)
        removed = store.remove_block(
            kind, digest(kind, normalised), actor=actor, reason=reason, now=to_rfc3339(self.clock())
        )
        if removed is None:
            raise NotFound(f"no {kind.value} entry for this value")
        return _entry_view(removed)

    def entries(self, actor: Actor, kind: ListKind, limit: int | None, cursor: str | None) -> Page[dict[str, Any]]:
        _require(actor, Permission.RISK_MANAGE)
        return store.blocks(kind, limit, cursor).map(_entry_view)

    # ---------------------------------------------------------------- settings
    def settings(self, actor: Actor) -> dict[str, Any]:
        _require(actor, Permission.RISK_MANAGE)
        data, version = store.settings_of()
        settings = _remember(data, version)
        return {
            **settings.to_json(),
            "stored": data is not None,
            "version": version,
            "audit": [audit_view(a) for a in audit_records(store.SETTINGS_AUDIT, 20)],
        }

    def put_settings(
        self, actor: Actor, settings: RiskSettings, if_match: int | None, reason: str | None
    ) -> dict[str, Any]:
        """Replace the settings (ETag/If-Match), audited; read again by every screen."""
        _require(actor, Permission.RISK_MANAGE)
        check_methods(settings, frozenset(m.value for m in PaymentMethod))
        before, version = store.settings_of()
        if if_match is not None and if_match != version:
            raise PreconditionFailed("the risk settings changed since you read them (If-Match)")
        try:
            new_version = store.put_settings(
                settings.to_json(), expected_version=version, actor=actor, before=before, reason=reason,
                now=to_rfc3339(self.clock()),
            )  # fmt: skip
        except TransactionCancelled as cancelled:
            raise Conflict("the risk settings were changed concurrently; read them again") from cancelled
        _remember(settings.to_json(), new_version)
        return {**settings.to_json(), "stored": True, "version": new_version}


def _require(actor: Actor, permission: Permission) -> None:
    if not actor.can(permission):
        raise Forbidden("risk control is for staff")


def _listed_values(
    customer: str, ip: str | None, device: str | None, address: Mapping[str, Any]
) -> list[tuple[ListKind, str]]:
    """(list, key digest) of every value of the request a blacklist could hold."""
    values: list[tuple[ListKind, str]] = [(ListKind.USER, customer)]
    if ip:
        values.append((ListKind.IP, ip))
    if device and device.strip():
        values.append((ListKind.DEVICE, normalise(ListKind.DEVICE, device)))
    for kind, raw in ((ListKind.PHONE, address.get("phone")), (ListKind.EMAIL, address.get("email"))):
        if raw:
            try:
                values.append((kind, normalise(kind, str(raw))))
            except InvalidRequest:
                continue
    text = address_text(address)
    if text:
        values.append((ListKind.ADDRESS, normalise(ListKind.ADDRESS, text)))
    return [(kind, digest(kind, value)) for kind, value in values]


def _device_digest(device: str | None) -> str | None:
    return digest(ListKind.DEVICE, normalise(ListKind.DEVICE, device)) if device and device.strip() else None


def _checkout_windows(
    settings: RiskSettings, customer: str, ip: str | None, device_digest: str | None, epoch: int, coupons: bool
) -> tuple[list[tuple[str, tuple[str, str], RiskWindow]], dict[str, tuple[str, str]]]:
    """A checkout's rate windows (checkout, and coupon when it redeems coupons) and its velocity counters."""
    limits = settings.rateLimits
    windows = _windows("checkout", limits.checkout.perUser, limits.checkout.perIp, customer, ip, epoch)
    if coupons:
        windows += _windows("coupon", limits.coupon.perUser, limits.coupon.perIp, customer, ip, epoch)
    seconds = settings.rules.velocity.windowSeconds
    counted = [("orders-customer", customer)] + ([("orders-device", device_digest)] if device_digest else [])
    return windows, {scope: store.window_key(scope, who, epoch - epoch % seconds) for scope, who in counted}


def _windows(
    scope: str, per_user: RiskWindow, per_ip: RiskWindow, customer: str, ip: str | None, epoch: int
) -> list[tuple[str, tuple[str, str], RiskWindow]]:
    found = [
        (f"{scope}-user", store.window_key(f"{scope}-user", customer, epoch - epoch % per_user.windowSeconds), per_user)
    ]
    if ip:
        found.append((f"{scope}-ip", store.window_key(f"{scope}-ip", ip, epoch - epoch % per_ip.windowSeconds), per_ip))
    return found


def _over(name: str, label: str, allowed: Money, spent: Money | None = None) -> AmountLimitExceeded:
    detail = f"over the {label} limit of {allowed.display()}"
    if spent is not None:
        detail += f" ({spent.display()} already today)"
    return AmountLimitExceeded(detail, limit=name, allowed=allowed.to_dict())


def _decision_view(header: HeaderRecord) -> dict[str, Any]:
    risk = header.risk or {}
    return {
        "orderId": header.orderId,
        "status": header.status,
        "matched": list(risk.get("matched", [])),
        "decision": risk.get("decision"),
    }


def _entry_view(record: store.BlockRecord) -> dict[str, Any]:
    return {
        "kind": record.kind,
        "value": record.value,
        "reason": record.reason,
        "addedBy": record.addedBy,
        "addedAt": record.addedAt,
        "until": record.until,
    }


def needs_risk_review(header: HeaderRecord) -> bool:
    return needs_review(header.risk)
