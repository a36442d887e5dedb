"""Refunds as first-class requests (issue 11, item 3): one request (`RefundAsk`) becomes one leg per tender
(`REFUND#` rows in the order's partition, each carrying the request's id and case), written in ONE
transaction with conditional counters on every payment and on the order (what goes back never exceeds what
came in, whatever the concurrency), the child's refunded units (never refunded twice), the balance credit
and ledger posting of the balance leg, points given back and earned points revoked, the coupons when the
whole order is refunded, the events and a history line. Provider legs are settled after the commit by
`PaymentService.settle_refund` (idempotent provider key, backoff by the sweeper, FAILED → finance).

Callers: the finance route (`POST /orders/{orderId}/refunds`), paid cancellations (a child, a whole
order: `add` inside their own transaction) and the after-sales cases (`refund`)."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from oms.domain import events
from oms.domain.benefits import Benefits
from oms.domain.clock import parse_rfc3339, to_rfc3339, utcnow
from oms.domain.errors import Forbidden, InvalidRequest, NotFound
from oms.domain.ledger import PostingKind, balance_account, order_account, transfer
from oms.domain.money import Money
from oms.domain.order import OrderStatus, StatusChange, check_transition
from oms.domain.permissions import Actor, Permission
from oms.domain.refunds import (
    ACTIVE_REFUNDS,
    RefundExceedsPaid,
    RefundPart,
    RefundReason,
    RefundRooms,
    RefundSplit,
    RefundStatus,
    leg_ids,
    refund_id_for,
    split_amount,
    split_units,
)
from oms.domain.rules_json import template_from_dict
from oms.services.access import may_see_order
from oms.services.idempotency import raise_if_key_in_use, replay
from oms.store import keys
from oms.store.cross_border import add_quota_release, child_share
from oms.store.ledger import add_balance_change, add_postings
from oms.store.orders import OrderRepository, add_event, add_history, add_order_move
from oms.store.pages import Page
from oms.store.payments import (
    PaymentReads,
    RefundReads,
    add_attempt_refunded,
    add_child_refunded,
    add_idempotency,
    add_order_benefits,
    add_order_refunded,
    add_refund_leg,
)
from oms.store.pricing import CouponTaken, add_coupons_return, add_points_change
from oms.store.records import ChildRecord, OrderRecord, RefundRecord, money_of, refund_rooms_of
from oms.store.transactions import Part, Transaction, TransactionCancelled
from oms.views.orders import order_summary
from oms.views.payments import payment_summary, refund_facts, refund_view

log = logging.getLogger(__name__)

BALANCE_LEG = ""  # the payment id of a balance leg: no payment, the shopper's stored balance
# Orders whose money may be refunded by a request (a held order is decided through its case; an unpaid
# or cancelled one holds nothing a request may take).
REFUNDABLE = frozenset(
    {
        OrderStatus.PAID,
        OrderStatus.PARTIALLY_SHIPPED,
        OrderStatus.SHIPPED,
        OrderStatus.DELIVERED,
        OrderStatus.COMPLETED,
    }
)
ATTEMPTS = 4


@dataclass(frozen=True)
class RefundAsk:
    """One refund request (the interface between cases, cancels, finance and refunds)."""

    order_id: str
    refund_id: str  # the request's id, stable for retries: RF<caseId>, RF<hash of a key>, RF<childId>…
    reason: str  # a RefundReason code
    note: str | None = None
    child_id: str | None = None  # the child whose lines `units` are
    units: tuple[tuple[int, int], ...] = ()  # (lineNo, quantity): each unit's paid share
    shipping: bool = False  # add the child's shipping (automatic when the refund completes the child)
    amount: Money | None = None  # no units: a manual amount; with units: a cap below their paid share
    to_balance: bool = False  # all money to the shopper's stored balance instead of the tenders
    case_id: str | None = None
    # A whole-order cancel gives back the checkout's balance, points and coupons itself: its request
    # covers only what the provider payments hold, one leg per payment named RF<paymentId> (as before
    # requests existed), each linked to its payment's open case (`anomalies`: payment id, case id).
    providers_only: bool = False
    anomalies: tuple[tuple[str, str], ...] = ()


def finance_refund_id(actor: Actor, idempotency_key: str) -> str:
    """A finance request's id: stable for the same person and Idempotency-Key."""
    digest = hashlib.sha256(f"{actor.subject}\n{idempotency_key}".encode()).hexdigest()[:20].upper()
    return f"RF{digest}"


class RefundService:
    def __init__(
        self,
        orders: OrderRepository,
        reads: PaymentReads,
        refund_reads: RefundReads,
        settle: Callable[[str], None],
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.orders = orders
        self.reads = reads
        self.refund_reads = refund_reads
        self.settle = settle  # PaymentService.try_pending_refunds: the provider legs after the commit
        self.clock = clock

    def _now(self) -> str:
        return to_rfc3339(self.clock())

    # ---------------------------------------------------------------- planning (pure over the record)
    @staticmethod
    def rooms(record: OrderRecord, *, providers_only: bool = False) -> RefundRooms:
        """What can still go back: each provider payment's room and the order's (received less all money
        committed to go back: refunded in the ledger, and refund legs still on their way or refused)."""
        provider = tuple(refund_rooms_of(record))
        if providers_only:
            return RefundRooms(provider, sum(room for _, room in provider))
        money = money_of(record)
        on_the_way = sum(int(r.amount.amount) for r in record.refunds if r.status != RefundStatus.SUCCEEDED.value)
        return RefundRooms(provider, max(money.received.amount - money.refunded.amount - on_the_way, 0))

    def plan(self, record: OrderRecord, ask: RefundAsk) -> RefundSplit:
        """Where the refund's money and points go (`oms.domain.refunds`); RefundExceedsPaid when it does
        not fit what is left."""
        rooms = self.rooms(record, providers_only=ask.providers_only)
        cap = None if ask.amount is None else ask.amount.amount
        if ask.amount is not None and ask.amount.currency != record.header.currency:
            raise InvalidRequest(f"the order is in {record.header.currency}", field="amount.currency")
        if ask.child_id is None:
            if ask.units or ask.shipping:
                raise InvalidRequest("lines and shipping are refunded on a child order", field="childOrderId")
            if cap is None:
                raise InvalidRequest("a refund needs lines, shipping or an amount", field="amount")
            return split_amount(cap, rooms, to_balance=ask.to_balance)
        child = _child(record, ask.child_id)
        if child.status == "CANCELLED" and not child.refunded:
            raise RefundExceedsPaid(f"child order {child.childId} was cancelled and refunded", left=0)
        split = split_units(
            _parts(child),
            ask.units,
            rooms,
            shipping=ask.shipping,
            shipping_refunded=bool((child.refunded or {}).get("shipping")),
            cap=cap,
            to_balance=ask.to_balance,
            others_complete=all(_done(c) for c in record.children if c.childId != child.childId),
        )
        if split.amount == 0 and not (split.points_back or split.points_revoked or split.units):
            raise RefundExceedsPaid("nothing is left to refund on this child order", left=0)
        return split

    # ---------------------------------------------------------------- writing (in the caller's transaction)
    def add(self, tx: Transaction, record: OrderRecord, ask: RefundAsk, actor: Actor, now: str) -> list[RefundRecord]:
        """Everything the refund writes, added to the caller's transaction: one leg per tender (provider
        legs PENDING, settled after the commit; a balance leg SUCCEEDED at once with its posting and the
        balance credit), the counters on each payment and the order (conditional: never more than came
        in), the child's refunded units, points back and earned points revoked, coupons back when the
        whole order is refunded, the events and a history line; the order CLOSED when nothing is left
        and nothing is on its way. Raises RefundExceedsPaid when the plan does not fit."""
        split = self.plan(record, ask)
        header = record.header
        currency = header.currency
        taken = [r.refundId for r in record.refunds]
        provider_ids, balance_id = leg_ids(ask.refund_id, len(split.provider), split.balance > 0, taken)
        if ask.providers_only:
            provider_ids = []
            for payment_id, _ in split.provider:
                provider_ids.append(refund_id_for(f"RF{payment_id}", [*taken, *provider_ids]))
        anomalies = dict(ask.anomalies)
        lines = {
            "childId": ask.child_id,
            "units": [list(u) for u in split.units],
            "shipping": split.shipping,
            "pointsBack": split.points_back,
            "pointsRevoked": split.points_revoked,
            "reason": ask.reason,
            "note": ask.note,
            "toBalance": ask.to_balance,
            "by": actor.subject,
            "role": actor.primary_role,
        }
        attempts = {a.paymentId: a for a in record.payments}
        legs: list[RefundRecord] = []
        for leg_id, (payment_id, amount) in zip(provider_ids, split.provider, strict=True):
            attempt = attempts[payment_id]
            legs.append(
                add_refund_leg(
                    tx,
                    record,
                    refund_id=leg_id,
                    request_id=ask.refund_id,
                    case_id=ask.case_id,
                    payment_id=payment_id,
                    method=attempt.method,
                    amount=Money(amount, currency),
                    reason=ask.reason,
                    lines=lines,
                    now=now,
                    anomaly_id=anomalies.get(payment_id),
                )
            )
            counted = int(attempt.received.amount) if attempt.received else int(attempt.goodsAmount.amount)
            made = sum(int(r.amount.amount) for r in record.refunds if r.paymentId == payment_id)
            outside = made - int(attempt.refunded or 0)  # refunds written before the counter existed
            add_attempt_refunded(tx, attempt, amount, counted - outside - amount)
        if balance_id is not None:
            money = Money(split.balance, currency)
            leg = add_refund_leg(
                tx,
                record,
                refund_id=balance_id,
                request_id=ask.refund_id,
                case_id=ask.case_id,
                payment_id=BALANCE_LEG,
                method="balance",
                amount=money,
                reason=ask.reason,
                lines=lines,
                now=now,
                to_balance=True,
            )
            legs.append(leg)
            add_balance_change(tx, header.customerId, split.balance, currency, now)
            add_postings(
                tx,
                [
                    transfer(
                        PostingKind.REFUND,
                        order_account(header.orderId),
                        balance_account(header.customerId),
                        money,
                        f"refund {ask.refund_id} to the balance ({ask.reason})",
                    )
                ],
                now,
                pk=keys.order_pk(header.orderId),
                order_id=header.orderId,
                payment_id=None,
                by=actor.subject,
            )
            add_event(tx, header.orderId, events.refund_succeeded(refund_facts(leg), anomaly_type=None), now, key="rfb")
        if split.amount:
            position = money_of(record)
            committed = position.refunded.amount + sum(
                int(r.amount.amount) for r in record.refunds if r.status != RefundStatus.SUCCEEDED.value
            )
            outside = committed - int(header.refunded or 0)  # refunds written outside the counter
            add_order_refunded(tx, header, split.amount, position.received.amount - outside - split.amount)
        if ask.child_id is not None:
            child = _child(record, ask.child_id)
            refunded = dict((child.refunded or {}).get("units") or {})
            for line_no, quantity in split.units:
                refunded[str(line_no)] = int(refunded.get(str(line_no), 0)) + quantity
            shipped_back = bool((child.refunded or {}).get("shipping")) or split.shipping
            add_child_refunded(tx, child, {"units": refunded, "shipping": shipped_back}, now)
            if ask.reason not in (RefundReason.ORDER_CANCELLED.value, RefundReason.CHILD_CANCELLED.value):
                _release_cross_border(tx, record, child, split.amount, now)
        # A cancel writes its own history line and moves the order itself; a whole-order cancel also gives
        # back what checkout took (coupons, points, balance) itself.
        cancel = ask.reason in (RefundReason.ORDER_CANCELLED.value, RefundReason.CHILD_CANCELLED.value)
        before = Benefits.of(header.benefits)
        benefits, notes = self._points(tx, record, ask, split, before, actor, now)
        more: list[str] = []
        if ask.reason != RefundReason.ORDER_CANCELLED.value:
            benefits, more = self._coupons(tx, record, split, benefits, now)
        if benefits != before:
            add_order_benefits(tx, header, benefits.to_dict())
        if not cancel:
            self._history(tx, record, ask, split, legs, actor, now, [*notes, *more])
        if split.completes_order and not split.provider and not cancel:
            self.close_if_refunded(tx, record, actor, now, also=split.amount)
        return legs

    def _points(
        self,
        tx: Transaction,
        record: OrderRecord,
        ask: RefundAsk,
        split: RefundSplit,
        benefits: Benefits,
        actor: Actor,
        now: str,
    ) -> tuple[Benefits, list[str]]:
        """Points spent on the refunded units come back as points; points they earn are revoked: before
        the order credits its points (on completion) by earning less, after it by a debit that may leave
        a debt (settled by later earnings: checkout never redeems from a negative account)."""
        header = record.header
        notes = []
        if split.points_back:
            add_points_change(
                tx,
                header.customerId,
                split.points_back,
                kind="return",
                order_id=header.orderId,
                reason=f"refund {ask.refund_id}",
                by=actor.subject,
                now=now,
            )
            notes.append(f"{split.points_back} points back")
        if split.points_revoked and benefits:
            if benefits.points_credited:
                add_points_change(
                    tx,
                    header.customerId,
                    -split.points_revoked,
                    kind="revoke",
                    order_id=header.orderId,
                    reason=f"refund {ask.refund_id}: points earned by the refunded goods",
                    by=actor.subject,
                    now=now,
                    allow_debt=True,
                )
            else:
                benefits = benefits.less_earned(split.points_revoked)
            notes.append(f"{split.points_revoked} earned points revoked")
        return benefits, notes

    def _coupons(
        self, tx: Transaction, record: OrderRecord, split: RefundSplit, benefits: Benefits, now: str
    ) -> tuple[Benefits, list[str]]:
        """Coupons come back only when the whole order is refunded, and only while still valid: an expired
        (or disabled) coupon stays used, said on the history line."""
        if not split.completes_order or not benefits or benefits.returned or not benefits.coupons:
            return benefits, []
        taken = [CouponTaken.from_dict(c) for c in benefits.coupons]
        stored = self.refund_reads.coupon_templates([c.code for c in taken])
        moment = parse_rfc3339(now)
        valid, expired = [], []
        for coupon in taken:
            template = stored.get(coupon.code)
            window = template_from_dict(template).window if template else None
            if window is not None and window.ends_at is not None and window.ends_at <= moment:
                expired.append(coupon.code)
            else:
                valid.append(coupon)
        if valid:
            add_coupons_return(tx, valid, record.header.customerId, record.header.orderId, now)
        notes = [f"coupon {c.code} back" for c in valid]
        notes += [f"coupon {code} expired: not given back" for code in expired]
        return benefits.given_back(), notes

    @staticmethod
    def _history(
        tx: Transaction,
        record: OrderRecord,
        ask: RefundAsk,
        split: RefundSplit,
        legs: list[RefundRecord],
        actor: Actor,
        now: str,
        notes: list[str],
    ) -> None:
        money = Money(split.amount, record.header.currency)
        where = ", ".join(
            f"{leg.amount.money().display()} {'to the balance' if leg.method == 'balance' else 'via ' + leg.method}"
            for leg in legs
        )
        what = []
        if split.units:
            what.append(f"lines {', '.join(f'{n}×{q}' for n, q in split.units)} of {ask.child_id}")
        if split.shipping:
            what.append("shipping")
        text = f"refund {ask.refund_id} ({ask.reason}): {money.display()}"
        if what:
            text += f" for {' and '.join(what)}"
        if where:
            text += f" ({where})"
        if notes:
            text += "; " + "; ".join(notes)
        if ask.case_id:
            text += f"; case {ask.case_id}"
        if ask.note:
            text += f": {ask.note}"
        status = record.status
        add_history(tx, record.header.orderId, StatusChange(status, status, actor, now, text[:1000]), key="refund-req")

    @staticmethod
    def close_if_refunded(
        tx: Transaction, record: OrderRecord, actor: Actor, now: str, *, also: int, settled: str | None = None
    ) -> bool:
        """The order is CLOSED in this transaction when the ledger will show it fully refunded (`also`:
        what this transaction adds to the refunded money) and no other leg is on its way (`settled`: the
        leg this transaction books). Only from a status that may close; a cancel moves the order itself."""
        header = record.header
        if record.status not in REFUNDABLE:
            return False
        money = money_of(record)
        on_the_way = any(r.status in ACTIVE_REFUNDS and r.refundId != settled for r in record.refunds)
        if on_the_way or money.received.amount - money.refunded.amount - also > 0:
            return False
        check_transition(record.status, OrderStatus.CLOSED)
        change = StatusChange(record.status, OrderStatus.CLOSED, actor, now, "fully refunded")
        add_order_move(tx, header, change, events.order_closed(order_summary(header), reason="fully refunded"))
        return True

    # ---------------------------------------------------------------- a request on its own
    def refund(self, actor: Actor, ask: RefundAsk) -> dict[str, Any]:
        """The request in its own transaction, then its provider legs asked (never raises after the
        commit: the stream and the sweeper do what is left). A request whose legs exist already answers
        them (a retry changes nothing). The counters' conditions failing means another refund took the
        room meanwhile: read again and plan again; no room left → 409 refund-exceeds-paid."""
        for _ in range(ATTEMPTS):
            record = self.orders.get_order(ask.order_id)
            if record is None:
                raise NotFound(f"order {ask.order_id} not found")
            if any(r.requestId == ask.refund_id for r in record.refunds):
                return self.request_view(record, ask.refund_id)
            if record.status not in REFUNDABLE:
                raise RefundExceedsPaid(f"the order is {record.status.value}: nothing a request may refund", left=0)
            tx = Transaction()
            self.add(tx, record, ask, actor, self._now())
            try:
                tx.commit()
            except TransactionCancelled as cancelled:
                if cancelled.failed(Part.BALANCE):
                    raise InvalidRequest(
                        "the shopper's balance is kept in another currency: refund to the tenders", field="toBalance"
                    ) from cancelled
                if cancelled.failed(Part.ORDER, Part.ATTEMPT, Part.CHILD, Part.REFUND):
                    continue  # another refund (or move) landed: plan again on fresh data
                raise
            self.settle(ask.order_id)
            fresh = self.orders.get_order(ask.order_id)
            assert fresh is not None
            return self.request_view(fresh, ask.refund_id)
        raise RefundExceedsPaid("other refunds of this order keep taking its room; read it again")

    def create(
        self,
        actor: Actor,
        ask: RefundAsk,
        *,
        idempotency_key: str,
        fingerprint: str,
    ) -> tuple[int, dict[str, Any], bool]:
        """Finance's route: `refund` behind the Idempotency-Key (same key and body → the first answer)."""
        if not actor.can(Permission.REFUND_CREATE):
            raise Forbidden("refunds are created by finance and admin")
        record = self.orders.get_order(ask.order_id)
        if record is None or not may_see_order(actor, record.header.customerId):
            raise NotFound(f"order {ask.order_id} not found")
        _, _, stored = self.reads.payment_context([], actor.subject, (actor.subject, idempotency_key))
        replayed = replay(stored, fingerprint)
        if replayed is not None:
            return replayed
        body = self.refund(actor, ask)
        tx = Transaction()
        add_idempotency(tx, actor.subject, idempotency_key, fingerprint, 201, body, self._now())
        try:
            tx.commit()
        except TransactionCancelled as cancelled:
            raise_if_key_in_use(cancelled)
            raise
        return 201, body, False

    # ---------------------------------------------------------------- reads
    def status(self, order_id: str, refund_id: str) -> str:
        """The request's status from its legs: SUCCEEDED when every leg succeeded, FAILED if any failed,
        else PENDING (NotFound when it has no legs)."""
        record = self.orders.get_order(order_id)
        legs = [r for r in record.refunds if r.requestId == refund_id] if record else []
        if not legs:
            raise NotFound(f"refund {refund_id} not found")
        return _aggregate(legs)

    def request_view(self, record: OrderRecord, request_id: str) -> dict[str, Any]:
        legs = sorted((r for r in record.refunds if r.requestId == request_id), key=lambda r: r.refundId)
        facts = legs[0].lines or {}
        return {
            "refundId": request_id,
            "orderId": record.header.orderId,
            "status": _aggregate(legs),
            "amount": Money(sum(int(r.amount.amount) for r in legs), record.header.currency).to_dict(),
            "reason": legs[0].reason,
            "caseId": legs[0].caseId,
            "childOrderId": facts.get("childId"),
            "units": [{"lineNo": n, "quantity": q} for n, q in facts.get("units") or []],
            "shipping": bool(facts.get("shipping")),
            "points": {"back": int(facts.get("pointsBack") or 0), "revoked": int(facts.get("pointsRevoked") or 0)},
            "note": facts.get("note"),
            "legs": [refund_view(r) for r in legs],
            "createdAt": legs[0].createdAt,
            "order": {
                "orderId": record.header.orderId,
                "status": record.header.status,
                "payment": payment_summary(record),
            },
        }

    def refunds_of(self, actor: Actor, order_id: str) -> dict[str, Any]:
        """Every refund request of the order (and refunds made before requests existed, each its own)."""
        record = self.orders.get_order(order_id)
        if record is None or not may_see_order(actor, record.header.customerId):
            raise NotFound(f"order {order_id} not found")
        requests = dict.fromkeys(r.requestId or r.refundId for r in sorted(record.refunds, key=lambda r: r.createdAt))
        items = []
        for request_id in requests:
            if any(r.requestId == request_id for r in record.refunds):
                items.append({k: v for k, v in self.request_view(record, request_id).items() if k != "order"})
        legacy = [refund_view(r) for r in record.refunds if r.requestId is None]
        return {"orderId": order_id, "items": items, "other": legacy, "payment": payment_summary(record)}

    def failed(self, actor: Actor, limit: int | None, cursor: str | None) -> Page[dict[str, Any]]:
        """The finance queue: refund legs their provider refused (FAILED), oldest first."""
        if not actor.can(Permission.REFUND_RESOLVE):
            raise Forbidden("the refund queue is finance's")
        page = self.refund_reads.failed_refunds(limit, cursor)
        items = [{**refund_view(r), "orderId": r.orderId, "requestId": r.requestId} for r in page.items]
        return Page(items, page.next_cursor)


def _aggregate(legs: list[RefundRecord]) -> str:
    statuses = {leg.status for leg in legs}
    if statuses == {RefundStatus.SUCCEEDED.value}:
        return RefundStatus.SUCCEEDED.value
    if RefundStatus.FAILED.value in statuses:
        return RefundStatus.FAILED.value
    return RefundStatus.PENDING.value


def _child(record: OrderRecord, child_id: str) -> ChildRecord:
    child = next((c for c in record.children if c.childId == child_id), None)
    if child is None:
        raise NotFound(f"child order {child_id} not found", field="childOrderId")
    return child


def _parts(child: ChildRecord) -> list[RefundPart]:
    units = (child.refunded or {}).get("units") or {}
    return [RefundPart.of(p, int(units.get(str(p["lineNo"]), 0))) for p in child.parts]


def _done(child: ChildRecord) -> bool:
    """A child with nothing left to refund: cancelled, or every unit refunded."""
    if child.status == "CANCELLED":
        return True
    return all(p.left == 0 for p in _parts(child))


__all__ = ["RefundAsk", "RefundReason", "RefundService", "finance_refund_id"]


def _release_cross_border(tx: Transaction, record: OrderRecord, child: ChildRecord, amount: int, now: str) -> None:
    """Refunded cross-border goods give back their part of the child's share of the yearly allowance: the
    share times the refunded money over the child's total, rounded down (so refunds never give back more
    than the child took). Once: the child's refunded units are written conditionally in the same transaction.
    A cancel gives back the child's whole share itself (oms.services.fulfilment)."""
    quota = record.header.crossBorderQuota
    share = child_share(quota, int(child.childNo))
    total = int(child.total.amount)
    if not quota or not share or amount <= 0 or total <= 0:
        return
    add_quota_release(tx, record.header.customerId, quota, share * min(amount, total) // total, now)
