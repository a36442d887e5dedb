"""Payment use cases: pay an order, apply provider callbacks exactly once, review bank transfers,
sync with the provider, the customer balance, anomaly cases (and the staff decisions that resolve
them), channel settings, and the money side of cancels: refunds of what a cancelled order received and
closing its open payment attempts at the provider."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any, Protocol

from oms.adapters.providers.base import (
    CallbackAnswer,
    CallbackRejected,
    CloseOutcome,
    NoticeStatus,
    PaymentProvider,
    ProviderNotice,
)
from oms.domain import events
from oms.domain.benefits import Benefits
from oms.domain.clock import parse_rfc3339, to_rfc3339, to_rfc3339_seconds, utcnow
from oms.domain.errors import Conflict, Forbidden, InvalidRequest, NotFound
from oms.domain.flags import OrderFlag
from oms.domain.holds import Hold, HoldKind, judged_status
from oms.domain.ids import new_id
from oms.domain.ledger import (
    ADJUSTMENTS,
    MANUAL_PAYOUTS,
    PostingKind,
    balance_account,
    cancellation_reversed,
    order_account,
    payment_postings,
    provider_account,
    transfer,
    write_off,
)
from oms.domain.money import Money
from oms.domain.order import CancelReason, OrderStatus, StatusChange, cancellation_record, check_transition
from oms.domain.payment import (
    PAID_STATES,
    AnomalyAlreadyDecided,
    AnomalyStatus,
    AnomalyType,
    AttemptStatus,
    ChannelSettings,
    DecisionNotAllowed,
    FeeBearer,
    InsufficientBalance,
    OrderNotPayable,
    PaymentMethod,
    PaymentStatus,
    Remainder,
    ResolveDecision,
    SuccessOutcome,
    check_attempt_transition,
    decide_success,
    may_revive,
)
from oms.domain.permissions import Actor, Permission
from oms.domain.refunds import (
    ACTIVE_REFUNDS,
    REFUND_GIVE_UP_AFTER,
    RefundDecision,
    RefundNotFailed,
    RefundReason,
    RefundRoute,
    RefundStatus,
    check_refund_transition,
    plan_refund,
    refund_id_for,
    refund_provider_key,
    refund_retry_delay,
)
from oms.domain.timers import TimerOutcome, TimerResult
from oms.faults import TransientStoreError, is_transient
from oms.services.access import may_see_order, owns
from oms.services.idempotency import raise_if_key_in_use, replay
from oms.services.refunds import RefundAsk, RefundService
from oms.services.replays import reviewed_by
from oms.services.risk import RiskService, Screen, hold_for_review, needs_risk_review
from oms.store import keys
from oms.store.audit import add_audit, audit_records
from oms.store.flags import add_flag, remove_flag
from oms.store.ledger import add_balance_change, add_postings, add_refund
from oms.store.order_search import add_paid_entry
from oms.store.orders import (
    OrderRepository,
    StaleOrder,
    add_children_to_warehouse_queues,
    add_event,
    add_history,
    add_order_move,
)
from oms.store.pages import Page
from oms.store.payments import (
    PaymentReads,
    RefundReads,
    add_anomaly,
    add_anomaly_update,
    add_attempt_closure,
    add_attempt_move,
    add_deadline_change,
    add_idempotency,
    add_inbox,
    add_new_attempt,
    add_order_guard,
    add_refund_asked_again,
    add_refund_failure_counted,
    add_refund_paid_elsewhere,
    add_refund_processing,
    add_refund_refused,
    add_refund_settled,
    add_refunds,
    add_stock_sale,
    channels_to_json,
    new_attempt,
    put_channel_settings,
)
from oms.store.records import (
    AnomalyRecord,
    AttemptRecord,
    HeaderRecord,
    OrderRecord,
    RefundRecord,
    money_of,
    refund_rooms_of,
)
from oms.store.stock import mover
from oms.store.transactions import Part, Transaction, TransactionCancelled
from oms.views.orders import line_facts, order_summary, order_view
from oms.views.payments import anomaly_view, attempt_view, ledger_line_view, payment_summary, refund_facts, refund_view
from oms.views.pricing import audit_view

log = logging.getLogger(__name__)

ORDER_ID_LENGTH = 26  # a ULID; a payment id is the order id + a 2-digit attempt number
MAX_ATTEMPTS = 99


class ConcurrentChange(Exception):
    """The order moved between our read and our write: read again and decide again."""


def payment_id_for(order_id: str, attempt_number: int) -> str:
    return f"{order_id}{attempt_number:02d}"


def attempt_number_of(payment_id: str) -> int | None:
    """The attempt's sequence number within its order (1 for the first); None for another kind of id."""
    return int(payment_id[-2:]) if payment_id[-2:].isdigit() else None


def order_id_of(payment_id: str) -> str:
    if len(payment_id) != ORDER_ID_LENGTH + 2 or not payment_id[-2:].isdigit():
        raise CallbackRejected("payment reference is not one of ours")
    return payment_id[:ORDER_ID_LENGTH]


class ExchangeDifferences(Protocol):
    """After-sales exchanges as payments use them (oms.services.after_sales.AfterSalesService)."""

    def difference_due(self, record: OrderRecord) -> Money | None: ...

    def add_difference_paid(self, tx: Transaction, record: OrderRecord, actor: Actor, now: str) -> Any: ...

    def difference_paid_committed(self, before: Any) -> None: ...


class PaymentService:
    def __init__(
        self,
        orders: OrderRepository,
        reads: PaymentReads,
        providers: Callable[[PaymentMethod], PaymentProvider],
        *,
        bank_transfer_review_seconds: int,
        clock: Callable[[], datetime] = utcnow,
        payment_timeout_seconds: int = 1800,
        exchanges: Callable[[], ExchangeDifferences] | None = None,
        risk: RiskService | None = None,
    ) -> None:
        self.risk = risk  # screens payment attempts (blacklists, rate and amount limits)
        self.orders = orders
        # After-sales exchanges whose dearer replacement waits for its price difference (oms.wiring).
        self.exchanges = exchanges
        self.reads = reads
        self.providers = providers
        self.bank_transfer_review_seconds = bank_transfer_review_seconds
        self.clock = clock
        # How long a held order whose rest is charged (resolve: charge) awaits that payment.
        self.payment_timeout_seconds = payment_timeout_seconds

    def _now(self) -> str:
        return to_rfc3339(self.clock())

    @cached_property
    def refund_requests(self) -> RefundService:
        """Refund requests (oms.services.refunds): their provider legs are settled here after the commit."""
        return RefundService(
            self.orders, self.reads, RefundReads(), self.try_pending_refunds, clock=lambda: self.clock()
        )

    def _order_of(self, actor: Actor, order_id: str) -> OrderRecord:
        record = self.orders.get_order(order_id)
        if record is None:
            raise NotFound(f"order {order_id} not found")
        if may_see_order(actor, record.header.customerId):
            return record
        raise NotFound(f"order {order_id} not found")

    # ---------------------------------------------------------------- pay
    def create_payment(
        self,
        actor: Actor,
        order_id: str,
        method: PaymentMethod,
        *,
        idempotency_key: str,
        fingerprint: str,
        device: str | None = None,
    ) -> tuple[int, dict[str, Any], bool]:
        """A payment attempt for the order's outstanding amount; balance pays at once."""
        if not actor.can(Permission.PAYMENT_CREATE):
            raise Forbidden("only the shopper pays their order")
        record = self._order_of(actor, order_id)
        if not owns(actor, record.header.customerId):
            raise NotFound(f"order {order_id} not found")
        header = record.header
        settings, balance, stored = self.reads.payment_context(
            [str(s) for s in header.storeIds], actor.subject, (actor.subject, idempotency_key)
        )
        replayed = replay(stored, fingerprint)
        if replayed is not None:
            return replayed
        difference = self._difference_to_pay(record, method)
        if record.status is not OrderStatus.PENDING_PAYMENT and difference is None:
            raise OrderNotPayable(f"the order is {record.status.value}; only PENDING_PAYMENT orders are paid")
        total = header.total.money()
        # What is owed (less cancelled / written off) minus what is held; or an exchange's price difference.
        outstanding = difference or money_of(record).outstanding
        if outstanding.amount <= 0:
            raise OrderNotPayable("nothing is outstanding on this order")
        channel = _strictest(method, [settings[str(s)][method.value] for s in header.storeIds])
        channel.check(outstanding)
        if len(record.payments) >= MAX_ATTEMPTS:
            raise OrderNotPayable("too many payment attempts on this order")
        fee = channel.fee_on(outstanding)
        surcharge = fee if channel.fee_bearer is FeeBearer.CUSTOMER else Money.zero(total.currency)
        amount = outstanding + surcharge
        payment_id = payment_id_for(order_id, len(record.payments) + 1)
        now = self._now()
        screen = self.risk.screen_payment(actor, record, method, amount, device) if self.risk else None
        try:
            if method is PaymentMethod.BALANCE:
                return self._pay_with_balance(
                    actor,
                    record,
                    payment_id,
                    amount,
                    fee,
                    balance is not None,
                    idempotency_key,
                    fingerprint,
                    now,
                    screen=screen,
                )
            return self._create_attempt(
                actor,
                record,
                method,
                payment_id,
                amount,
                outstanding,
                surcharge,
                fee,
                idempotency_key,
                fingerprint,
                now,
                screen=screen,
            )
        except ConcurrentChange as changed:
            raise Conflict("the order changed while this payment was being set up; retry") from changed

    def _create_attempt(
        self,
        actor: Actor,
        record: OrderRecord,
        method: PaymentMethod,
        payment_id: str,
        amount: Money,
        outstanding: Money,
        surcharge: Money,
        fee: Money,
        idempotency_key: str,
        fingerprint: str,
        now: str,
        screen: Screen | None = None,
    ) -> tuple[int, dict[str, Any], bool]:
        header = record.header
        provider = self.providers(method)
        instructions = provider.instructions(payment_id, header.orderNumber, amount, f"Order {header.orderNumber}")
        status = AttemptStatus.PENDING if method is PaymentMethod.BANK_TRANSFER else AttemptStatus.CREATED
        tx = Transaction()
        deadline = header.paymentDeadline
        deadline_before = None
        if method is PaymentMethod.BANK_TRANSFER:
            # The order waits while the transfer is under review: its deadline moves out (and comes back
            # if finance rejects the transfer: `review`).
            deadline_before = deadline
            extended = to_rfc3339_seconds(self.clock() + timedelta(seconds=self.bank_transfer_review_seconds))
            deadline = max(deadline, extended)
            add_deadline_change(tx, header, deadline, now)
        else:
            add_order_guard(tx, header)
        attempt = new_attempt(
            header,
            payment_id,
            method=method.value,
            status=status.value,
            amount=amount,
            goods=outstanding,
            surcharge=surcharge,
            fee=fee,
            instructions=instructions.data,
            now=now,
            deadline_before=deadline_before,
        )
        add_new_attempt(tx, attempt)
        body = {**attempt_view(attempt), "paymentDeadline": deadline}
        add_idempotency(tx, actor.subject, idempotency_key, fingerprint, 201, body, now)
        self._commit_screened(tx, screen)
        return 201, body, False

    def _pay_with_balance(
        self,
        actor: Actor,
        record: OrderRecord,
        payment_id: str,
        amount: Money,
        fee: Money,
        has_account: bool,
        idempotency_key: str,
        fingerprint: str,
        now: str,
        screen: Screen | None = None,
    ) -> tuple[int, dict[str, Any], bool]:
        """Debit the balance and pay the order in ONE transaction; not enough balance → 409, nothing written."""
        if not has_account:
            raise InsufficientBalance("your balance is empty", available=0)
        header = record.header
        attempt = new_attempt(
            header,
            payment_id,
            method=PaymentMethod.BALANCE.value,
            status=AttemptStatus.SUCCEEDED.value,
            amount=amount,
            goods=amount,
            surcharge=Money.zero(amount.currency),
            fee=fee,
            instructions={"method": "balance"},
            now=now,
        )
        tx = Transaction()
        add_new_attempt(tx, attempt)
        add_balance_change(tx, actor.subject, -amount.amount, amount.currency, now)
        self._pay_order_actions(
            tx,
            record,
            attempt_payment_id=payment_id,
            method="balance",
            goods=amount,
            fee=fee,
            surcharge=Money.zero(amount.currency),
            now=now,
            actor=actor,
            payer_account=balance_account(actor.subject),
        )
        body = {**attempt_view(attempt), "paymentDeadline": header.paymentDeadline}
        add_idempotency(tx, actor.subject, idempotency_key, fingerprint, 201, body, now)
        try:
            self._commit_screened(tx, screen)
        except TransactionCancelled as cancelled:
            if cancelled.failed(Part.BALANCE):
                current = self.reads.balance(actor.subject)
                raise InsufficientBalance(
                    f"your balance does not cover {amount.display()}",
                    available=int(current.available) if current else 0,
                ) from cancelled
            raise
        return 201, body, False

    def _pay_order_actions(
        self,
        tx: Transaction,
        record: OrderRecord,
        *,
        attempt_payment_id: str,
        method: str,
        goods: Money,
        fee: Money,
        surcharge: Money,
        now: str,
        actor: Actor,
        payer_account: str | None = None,
        revive: bool = False,
    ) -> None:
        header = record.header
        check_transition(record.status, OrderStatus.PAID)
        reason = "payment received after cancel; stock re-reserved" if revive else "payment received"
        change = StatusChange(record.status, OrderStatus.PAID, actor, now, reason)
        paid = events.order_paid(
            order_summary(header),
            payment_id=attempt_payment_id,
            method=method,
            payment_attempts=attempt_number_of(attempt_payment_id),
            lines=line_facts(record),
        )
        paid_entry = add_paid_entry(tx, header, method, now)  # order search: paid when, with what
        if not revive and needs_risk_review(header):
            # the manual review queue, not fulfilment (oms.services.risk)
            hold_for_review(tx, record, actor, now, more=paid_entry)
        else:
            add_order_move(tx, header, change, paid, more=paid_entry)
            add_stock_sale(tx, record.lines, now, from_available=revive, by=mover(actor), reason="payment received")
            add_children_to_warehouse_queues(tx, record, now)
        if revive:
            # The cancel booked the order's value as cancelled; the revived order is owed it again.
            cancelled = header.total.money() - money_of(record).owed
            if cancelled.amount > 0:
                add_postings(
                    tx,
                    [cancellation_reversed(header.orderId, cancelled, "cancellation reversed: late payment accepted")],
                    now,
                    pk=keys.order_pk(header.orderId),
                    order_id=header.orderId,
                    payment_id=attempt_payment_id,
                    by=actor.subject,
                )
        add_postings(
            tx,
            payment_postings(method, header.orderId, goods, fee, surcharge, payer_account=payer_account),
            now,
            pk=keys.order_pk(header.orderId),
            order_id=header.orderId,
            payment_id=attempt_payment_id,
            by=actor.subject,
        )

    @staticmethod
    def _commit(tx: Transaction) -> None:
        try:
            tx.commit()
        except TransactionCancelled as cancelled:
            raise_if_key_in_use(cancelled)
            if cancelled.failed(Part.ORDER, Part.ATTEMPT):
                raise ConcurrentChange from cancelled
            raise

    @classmethod
    def _commit_screened(cls, tx: Transaction, screen: Screen | None) -> None:
        """Commit a new attempt with risk control's counters: a counter's failed condition is a limit a racing
        request reached first (`Screen.explain` raises what it means)."""
        if screen is not None:
            screen.add(tx)
        try:
            cls._commit(tx)
        except TransactionCancelled as cancelled:
            if screen is not None:
                screen.explain(cancelled)
            raise

    # ---------------------------------------------------------------- callbacks
    def handle_callback(self, provider_name: str, headers: dict[str, str], raw_body: bytes) -> CallbackAnswer:
        """Verify first, then apply exactly once; answer in the provider's own format."""
        try:
            method = PaymentMethod(provider_name)
        except ValueError:
            return CallbackAnswer(404, "unknown provider")
        if method in (PaymentMethod.BALANCE, PaymentMethod.BANK_TRANSFER):
            return CallbackAnswer(404, "this channel has no callbacks")
        provider = self.providers(method)
        try:
            notice = provider.verify_callback(headers, raw_body)
            if not notice.merchant_ok:
                # Authentic, but for another merchant or app: ignore it (acknowledged, so it is not retried).
                log.warning("callback for another merchant ignored", extra={"provider": provider_name})
                return provider.success_answer()
            self.apply_notice(notice)
        except CallbackRejected as rejected:
            log.warning("callback rejected", extra={"provider": provider_name, "reason": rejected.reason})
            return provider.failure_answer(rejected.reason)
        return provider.success_answer()

    def apply_notice(self, notice: ProviderNotice, actor: Actor | None = None) -> str:
        """Apply a verified notice exactly once. Returns what happened (for logs and tests)."""
        who = actor or Actor.system(f"provider:{notice.provider.value}")
        for _ in range(5):
            try:
                return self._apply_once(notice, who)
            except ConcurrentChange:
                continue
        # Answered 503 (a retryable failure in every provider's terms): the provider sends it again.
        raise TransientStoreError("the order kept changing while applying a payment notice")

    def _apply_once(self, notice: ProviderNotice, actor: Actor) -> str:
        order_id = order_id_of(notice.payment_id)
        record = self.orders.get_order(order_id)
        attempt = next((a for a in record.payments if a.paymentId == notice.payment_id), None) if record else None
        if record is None or attempt is None:
            raise CallbackRejected("payment reference is not one of ours")
        if attempt.method != notice.provider.value:
            raise CallbackRejected("payment belongs to another channel")
        now = self._now()
        tx = Transaction()
        provider = notice.provider.value
        if notice.status is NoticeStatus.PENDING:
            return "ignored"
        if notice.status is NoticeStatus.FAILED:
            outcome = "failed"
            add_inbox(
                tx, provider, notice.event_id, payment_id=attempt.paymentId, order_id=order_id, outcome=outcome, now=now
            )
            if attempt.status in (AttemptStatus.CREATED, AttemptStatus.PENDING):
                add_attempt_move(
                    tx, attempt, AttemptStatus.FAILED.value, now, provider_reference=notice.provider_reference
                )
            return self._commit_notice(tx, outcome)

        expected = attempt.amount.money()
        outcome_kind, anomaly_type = decide_success(
            judged_status(record.status, Hold.of(record.header.hold)).value,
            AttemptStatus(attempt.status),
            expected,
            notice.amount,
            revive=self._may_revive(record, attempt, notice.amount),
            pays_difference=self._difference_due(record) == attempt.goodsAmount.money(),
        )
        outcome = outcome_kind.value
        add_inbox(
            tx, provider, notice.event_id, payment_id=attempt.paymentId, order_id=order_id, outcome=outcome, now=now
        )
        if outcome_kind is SuccessOutcome.ALREADY_APPLIED:
            return self._commit_notice(tx, outcome)
        check_attempt_transition(AttemptStatus(attempt.status), AttemptStatus.SUCCEEDED)
        exact = outcome_kind in (
            SuccessOutcome.PAY_ORDER,
            SuccessOutcome.REVIVE_OR_REFUND,
            SuccessOutcome.PAY_DIFFERENCE,
        )
        add_attempt_move(
            tx,
            attempt,
            AttemptStatus.SUCCEEDED.value,
            now,
            received=None if exact else notice.amount,
            provider_reference=notice.provider_reference,
        )
        goods, surcharge, fee = attempt.goodsAmount.money(), attempt.surcharge.money(), attempt.fee.money()

        if outcome_kind is SuccessOutcome.PAY_ORDER:
            self._pay_order_actions(
                tx,
                record,
                attempt_payment_id=attempt.paymentId,
                method=attempt.method,
                goods=goods,
                fee=fee,
                surcharge=surcharge,
                now=now,
                actor=actor,
            )
            return self._commit_notice(tx, outcome)

        if outcome_kind is SuccessOutcome.PAY_DIFFERENCE:
            return self._pay_difference(tx, record, attempt, actor, now, outcome)

        if outcome_kind is SuccessOutcome.REVIVE_OR_REFUND:
            # Every store revives timed-out orders (latePaymentPolicy revive-if-stock): take the stock
            # again and accept, or refund when it is gone.
            self._pay_order_actions(
                tx,
                record,
                attempt_payment_id=attempt.paymentId,
                method=attempt.method,
                goods=goods,
                fee=fee,
                surcharge=surcharge,
                now=now,
                actor=actor,
                revive=True,
            )
            assert anomaly_type is not None
            _open_case(
                tx,
                record.header,
                anomaly_type=anomaly_type.value,
                payment_id=attempt.paymentId,
                expected=expected,
                received=notice.amount,
                status=AnomalyStatus.RESOLVED,
                note="paid after the payment timeout: the stores revive late payments, stock taken again, accepted",
                refund=None,
                now=now,
            )
            try:
                return self._commit_notice(tx, outcome)
            except TransactionCancelled as cancelled:
                if not cancelled.failed(Part.STOCK):
                    raise
            # Not enough stock any more: keep the money on record and give it back.
            return self._record_and_refund(
                record,
                attempt,
                notice,
                AnomalyType.PAID_AFTER_CANCEL,
                actor,
                "paid after the payment timeout: the stock is gone, refunding",
            )

        assert anomaly_type is not None
        if outcome_kind is SuccessOutcome.HOLD:
            self._received_money_postings(tx, record, attempt, notice, actor, now)
            if record.status is OrderStatus.PENDING_PAYMENT:
                change = StatusChange(record.status, OrderStatus.ON_HOLD, actor, now, anomaly_type.value.lower())
                hold = Hold(HoldKind.ANOMALY, anomaly_type.value.lower(), actor.subject, now, record.status)
                held = events.order_on_hold(order_summary(record.header), hold=hold.to_dict())
                add_order_move(tx, record.header, change, held, hold=hold)
            else:
                add_order_guard(tx, record.header)
            _open_case(
                tx,
                record.header,
                anomaly_type=anomaly_type.value,
                payment_id=attempt.paymentId,
                expected=expected,
                received=notice.amount,
                status=AnomalyStatus.OPEN,
                note=f"expected {expected.display()}, received {notice.amount.display()}; order held",
                refund=None,
                now=now,
            )
            return self._commit_notice(tx, outcome)

        if outcome_kind is SuccessOutcome.DUPLICATE_REFUND:
            note = "order already paid: refunding this duplicate payment"
        else:
            note = _late_payment_note(record, exact=notice.amount == expected)
        return self._record_and_refund(record, attempt, notice, anomaly_type, actor, note)

    # ---------------------------------------------------------------- an exchange's price difference
    def _difference_due(self, record: OrderRecord) -> Money | None:
        exchanges = self.exchanges() if self.exchanges is not None else None
        return exchanges.difference_due(record) if exchanges is not None else None

    def _difference_to_pay(self, record: OrderRecord, method: PaymentMethod) -> Money | None:
        """A paid order is paid again only for the price difference an exchange on it waits for, through a
        payment provider (its ledger shows the difference owed)."""
        due = self._difference_due(record) if record.status.value in PAID_STATES else None
        if due is not None and method in (PaymentMethod.BALANCE, PaymentMethod.BANK_TRANSFER):
            raise OrderNotPayable("an exchange's price difference is paid through a payment provider")
        return due

    def _pay_difference(
        self, tx: Transaction, record: OrderRecord, attempt: AttemptRecord, actor: Actor, now: str, outcome: str
    ) -> str:
        """Exactly the difference an exchange waits for: the money on the books, and in the same transaction
        the exchange moves on and its replacement child is released to ship (after-sales)."""
        assert self.exchanges is not None
        exchanges = self.exchanges()
        header = record.header
        add_order_guard(tx, header)
        add_postings(
            tx,
            payment_postings(
                attempt.method,
                header.orderId,
                attempt.goodsAmount.money(),
                attempt.fee.money(),
                attempt.surcharge.money(),
            ),
            now,
            pk=keys.order_pk(header.orderId),
            order_id=header.orderId,
            payment_id=attempt.paymentId,
            by=actor.subject,
        )
        before = exchanges.add_difference_paid(tx, record, actor, now)
        try:
            answer = self._commit_notice(tx, outcome)
        except TransactionCancelled as cancelled:
            if cancelled.failed(Part.CASE, Part.CHILD):
                # The exchange moved meanwhile (its deadline passed): decide again on fresh data, where this
                # money is no longer a difference due (it is refunded).
                raise ConcurrentChange from cancelled
            raise
        if before is not None:
            exchanges.difference_paid_committed(before)
        return answer

    def _may_revive(self, record: OrderRecord, attempt: AttemptRecord, received: Money) -> bool:
        """Only exact money for an order the payment timeout cancelled may revive it, only when the order
        then holds exactly what it is owed once revived (its total: a late payment of a charged rest,
        after the first payment was refunded, would leave it short), and only when every store of the
        order says so (read here: the only path that needs the stores' policies)."""
        if record.status is not OrderStatus.CANCELLED or received != attempt.amount.money():
            return False
        reason = (record.header.cancellation or {}).get("reason")
        if reason != CancelReason.PAYMENT_TIMEOUT.value or _took_benefits(record):
            return False
        if _kept(record) + attempt.goodsAmount.money() != record.header.total.money():
            return False
        policies = self.reads.late_payment_policies([str(s) for s in record.header.storeIds])
        return may_revive(reason, False, list(policies.values()))

    def _received_money_postings(
        self,
        tx: Transaction,
        record: OrderRecord,
        attempt: AttemptRecord,
        notice: ProviderNotice,
        actor: Actor,
        now: str,
    ) -> None:
        """Money that arrived is always on the books, even when it cannot pay the order."""
        add_postings(
            tx,
            [
                transfer(
                    PostingKind.PAYMENT,
                    provider_account(attempt.method),
                    order_account(record.header.orderId),
                    notice.amount,
                    "payment received",
                )
            ],
            now,
            pk=keys.order_pk(record.header.orderId),
            order_id=record.header.orderId,
            payment_id=attempt.paymentId,
            by=actor.subject,
        )

    def _record_and_refund(
        self,
        record: OrderRecord,
        attempt: AttemptRecord,
        notice: ProviderNotice,
        anomaly_type: AnomalyType,
        actor: Actor,
        note: str,
    ) -> str:
        """Record the money, open a case (and tell the shopper) and a refund, in one transaction; then
        refund through the provider. The case stays OPEN until the refund succeeds."""
        now = self._now()
        header = record.header
        anomaly_id = new_id()
        tx = Transaction()
        add_inbox(
            tx,
            notice.provider.value,
            notice.event_id,
            payment_id=attempt.paymentId,
            order_id=header.orderId,
            outcome="refund",
            now=now,
        )
        add_attempt_move(
            tx,
            attempt,
            AttemptStatus.SUCCEEDED.value,
            now,
            received=notice.amount,
            provider_reference=notice.provider_reference,
        )
        add_order_guard(tx, header)
        self._received_money_postings(tx, record, attempt, notice, actor, now)
        refund = add_refund(
            tx,
            refund_id=refund_id_for(f"RF{attempt.paymentId}", [r.refundId for r in record.refunds]),
            order_id=header.orderId,
            payment_id=attempt.paymentId,
            method=attempt.method,
            amount=notice.amount,
            reason=anomaly_type.value.lower(),
            now=now,
            customer_id=header.customerId,
            anomaly_id=anomaly_id,
        )
        anomaly = _open_case(
            tx,
            header,
            anomaly_type=anomaly_type.value,
            payment_id=attempt.paymentId,
            expected=attempt.amount.money(),
            received=notice.amount,
            status=AnomalyStatus.OPEN,
            note=note,
            refund=refund,
            now=now,
            anomaly_id=anomaly_id,
        )
        self._commit_notice(tx, "refund")
        # The callback committed: it answers success whatever the provider says now. What is not done
        # here is done from the committed PaymentAnomaly row (oms.wiring.after_commit) or by the sweeper.
        self._quietly(
            f"refund {refund.refundId}",
            lambda: self.settle_refund(
                header.orderId, refund, notice.provider_reference, anomaly, payment_total=notice.amount
            ),
        )
        return "refund"

    # ---------------------------------------------------------------- refunds at the providers
    def settle_refund(
        self,
        order_id: str,
        refund: RefundRecord,
        provider_reference: str | None,
        anomaly: AnomalyRecord | None,
        *,
        payment_total: Money,
    ) -> str:
        """Ask the provider to refund (idempotent by the refund's provider key) and record its answer, in
        one transaction each; returns the refund's status after it:

        - SUCCEEDED: booked (ledger, the shopper's `RefundSucceeded`, its case resolved);
        - PROCESSING: the provider accepted it and pays it out later; asked again with backoff;
        - PENDING: the provider could not take it now (unreachable, "try later"): counted, asked again
          with backoff (the first time also tells the shopper, `RefundFailed`), given up (FAILED) after
          `REFUND_GIVE_UP_AFTER`;
        - FAILED: the provider refused it for good (e.g. WeChat ABNORMAL/CLOSED, Alipay's business
          refusals, a failed card or crypto refund, a request no provider can take): `RefundFailed`, the
          case stays OPEN, staff decide (`resolve_refund`).

        The provider's answers never raise; a store fault does (the caller decides: the request paths
        swallow it, the stream and the sweeper retry)."""
        method = PaymentMethod(refund.method)
        key = refund_provider_key(refund.refundId, int(refund.retries or 0))
        try:
            result = self.providers(method).refund(
                refund.paymentId, provider_reference or "", key, refund.amount.money(), payment_total
            )
        except InvalidRequest as impossible:  # no provider can take this request (currency, amount…)
            return self._refund_refused(order_id, refund, anomaly, f"{method.value}: {impossible.detail}")
        except Exception as error:  # unreachable, "try later", not configured: asked again later
            reason = getattr(error, "reason", None) or type(error).__name__
            log.warning("refund not taken by %s: %s", method.value, reason, extra={"refundId": refund.refundId})
            return self._refund_not_done(order_id, refund, anomaly, reason)
        if result.status is NoticeStatus.FAILED:
            return self._refund_refused(
                order_id, refund, anomaly, f"{method.value}: {result.reason or 'refused by the provider'}"
            )
        if result.status is not NoticeStatus.SUCCEEDED:
            return self._refund_processing(order_id, refund, result.provider_reference)
        if anomaly is None and refund.anomalyId:
            anomaly = self.reads.anomaly(refund.anomalyId)
        for _ in range(3):
            try:
                self._book_refund(order_id, refund, result.provider_reference, anomaly)
                return RefundStatus.SUCCEEDED.value
            except TransactionCancelled as cancelled:
                if cancelled.failed(Part.REFUND):
                    return self._status_now(order_id, refund)  # another settle recorded it first
                if not cancelled.failed(Part.ANOMALY) or anomaly is None:
                    raise
                anomaly = self.reads.anomaly(anomaly.anomalyId)  # a note landed meanwhile: read it again
        raise TransientStoreError("the refund's case kept changing while its refund was booked")

    def _status_now(self, order_id: str, refund: RefundRecord) -> str:
        record = self.orders.get_order(order_id)
        current = next((r for r in record.refunds if r.refundId == refund.refundId), None) if record else None
        return current.status if current is not None else refund.status

    def _book_refund(
        self, order_id: str, refund: RefundRecord, provider_reference: str, anomaly: AnomalyRecord | None
    ) -> None:
        now = self._now()
        tx = Transaction()
        add_refund_settled(tx, order_id, refund, provider_reference, now)
        add_postings(
            tx,
            [
                transfer(
                    PostingKind.REFUND,
                    order_account(order_id),
                    provider_account(refund.method),
                    refund.amount.money(),
                    "refund to payer",
                )
            ],
            now,
            pk=keys.order_pk(order_id),
            order_id=order_id,
            payment_id=refund.paymentId,
            by="system",
            refund_id=refund.refundId,
        )
        anomaly_type = self._case_follows(
            tx, anomaly, refund, now, f"refunded {refund.amount.money().display()} ({refund.refundId})", "system"
        )
        event = events.refund_succeeded(refund_facts(refund), anomaly_type=anomaly_type)
        add_event(tx, refund.orderId, event, now, key="refund")
        if refund.requestId is not None:
            # The last leg of a request booked: a fully refunded order is CLOSED in this transaction.
            record = self.orders.get_order(order_id)
            if record is not None:
                self.refund_requests.close_if_refunded(
                    tx, record, Actor.system("refunds"), now, also=refund.amount.amount, settled=refund.refundId
                )
        tx.commit()

    def _case_follows(
        self,
        tx: Transaction,
        anomaly: AnomalyRecord | None,
        refund: RefundRecord,
        now: str,
        note: str,
        by: str,
        status: RefundStatus = RefundStatus.SUCCEEDED,
        route: RefundRoute = RefundRoute.PROVIDER,
    ) -> str | None:
        """The refund's case (when it is still open) notes the refund's new status, and is resolved when
        the money went back; returns the case's type when it was touched."""
        if anomaly is None or anomaly.status != AnomalyStatus.OPEN.value:
            return None
        ref: dict[str, Any] = {"refundId": refund.refundId, "status": status.value}
        if route is not RefundRoute.PROVIDER:
            ref["route"] = route.value
        resolved = AnomalyStatus.RESOLVED if status is RefundStatus.SUCCEEDED else None
        add_anomaly_update(tx, anomaly, now, note=note, by=by, status=resolved, refund=ref)
        if resolved is not None:
            self._abnormal_ends(tx, anomaly.orderId, {anomaly.anomalyId})
        return str(anomaly.anomalyType)

    def _abnormal_ends(self, tx: Transaction, order_id: str, closing: set[str]) -> None:
        """The order's `abnormal` flag goes with its last open case (these cases close in `tx`)."""
        still_open = [
            a
            for a in self.reads.anomaly_items_of_order(order_id)
            if a.status == AnomalyStatus.OPEN.value and a.anomalyId not in closing
        ]
        if not still_open:
            remove_flag(tx, order_id, OrderFlag.ABNORMAL)

    def _next_try(self, refund: RefundRecord, now: str) -> str:
        """When the provider is asked again: after as long as the refund has waited (1 minute .. 6 hours)."""
        waited = parse_rfc3339(now) - parse_rfc3339(refund.pendingSince or refund.createdAt)
        return to_rfc3339(parse_rfc3339(now) + refund_retry_delay(waited))

    def _refund_not_done(self, order_id: str, refund: RefundRecord, anomaly: AnomalyRecord | None, error: str) -> str:
        """The provider did not take the refund: count it and ask again later (its entry in the deadline
        index moves on); the first failure tells the shopper their money is delayed. Waiting longer than
        `REFUND_GIVE_UP_AFTER` gives it up (FAILED, for staff). A refund the provider already accepted
        (PROCESSING) keeps its status: only the next question moves."""
        now = self._now()
        waited = parse_rfc3339(now) - parse_rfc3339(refund.pendingSince or refund.createdAt)
        if refund.status == RefundStatus.PENDING.value and waited >= REFUND_GIVE_UP_AFTER:
            days = waited.days
            return self._refund_refused(
                order_id,
                refund,
                anomaly,
                f"gave up: the provider could not take it for {days} days (last: {error})",
                by="gave-up",
            )
        failures = int(refund.failures or 0) + 1
        tx = Transaction()
        add_refund_failure_counted(
            tx, order_id, refund, failures=failures, error=error[:300], next_try=self._next_try(refund, now), now=now
        )
        if failures == 1:
            event = events.refund_failed(refund_facts(refund), status=refund.status, error=error[:300], retried=True)
            add_event(tx, refund.orderId, event, now, key="refund")
        try:
            tx.commit()
        except TransactionCancelled:
            log.warning("refund %s changed meanwhile; failure not counted", refund.refundId)
            return self._status_now(order_id, refund)
        return str(refund.status)

    def _refund_processing(self, order_id: str, refund: RefundRecord, provider_reference: str) -> str:
        """The provider accepted the refund and pays it out later: PROCESSING, asked again with backoff."""
        now = self._now()
        tx = Transaction()
        if refund.status != RefundStatus.PROCESSING.value:  # asked again while processing: only the next try moves
            check_refund_transition(RefundStatus(refund.status), RefundStatus.PROCESSING)
        add_refund_processing(tx, order_id, refund, provider_reference, next_try=self._next_try(refund, now), now=now)
        try:
            tx.commit()
        except TransactionCancelled:
            return self._status_now(order_id, refund)
        return RefundStatus.PROCESSING.value

    def _refund_refused(
        self, order_id: str, refund: RefundRecord, anomaly: AnomalyRecord | None, reason: str, *, by: str = "provider"
    ) -> str:
        """The refund cannot go back this way: FAILED with the reason, out of the deadline index, the
        shopper told (`RefundFailed`, status FAILED), a line on the order's history and a note on the
        case, which stays OPEN until staff decide (`resolve_refund`). One transaction."""
        check_refund_transition(RefundStatus(refund.status), RefundStatus.FAILED)
        if anomaly is None and refund.anomalyId:
            anomaly = self.reads.anomaly(refund.anomalyId)
        for _ in range(3):
            record = self.orders.get_order(order_id)
            if record is None:
                raise NotFound(f"order {order_id} not found")
            now = self._now()
            text = f"refund {refund.refundId} ({refund.amount.money().display()}) refused: {reason}; staff decide"
            tx = Transaction()
            add_refund_refused(tx, order_id, refund, reason=reason[:300], by=by, now=now)
            actor = Actor.system("payments")
            add_history(tx, order_id, StatusChange(record.status, record.status, actor, now, text), key="refund")
            self._case_follows(tx, anomaly, refund, now, text, "system", RefundStatus.FAILED)
            event = events.refund_failed(
                refund_facts(refund), status=RefundStatus.FAILED.value, error=reason[:300], retried=False
            )
            add_event(tx, refund.orderId, event, now, key="refund")
            try:
                tx.commit()
            except TransactionCancelled as cancelled:
                if cancelled.failed(Part.REFUND):
                    return self._status_now(order_id, refund)  # recorded meanwhile by another try
                if not cancelled.failed(Part.ANOMALY) or anomaly is None:
                    raise
                anomaly = self.reads.anomaly(anomaly.anomalyId)
                continue
            return RefundStatus.FAILED.value
        raise TransientStoreError("the refund's case kept changing while its refusal was recorded")

    def settle_pending_refunds(self, order_id: str) -> list[str]:
        """Ask the providers for every refund of the order they may still pay (PENDING, PROCESSING): after
        a cancel or a decision committed them, and as a retry. Returns their statuses after it. Every
        refund is tried; a store fault is raised after the others were tried."""
        record = self.orders.get_order(order_id)
        if record is None:
            return []
        results: list[str] = []
        errors: list[Exception] = []
        for refund in record.refunds:
            if refund.status not in ACTIVE_REFUNDS:
                continue
            attempt = next((a for a in record.payments if a.paymentId == refund.paymentId), None)
            if attempt is None:
                continue
            try:
                results.append(
                    self.settle_refund(
                        order_id, refund, attempt.providerReference, None, payment_total=_paid_at_provider(attempt)
                    )
                )
            except Exception as error:
                log.warning("settling refund %s failed: %r", refund.refundId, error)
                errors.append(error)
                results.append(refund.status)
        if errors:
            raise errors[0]
        return results

    def try_refund(
        self, order_id: str, refund: RefundRecord, provider_reference: str | None, *, payment_total: Money
    ) -> None:
        """One refund, asked right after the commit that wrote it: never raises (see `try_pending_refunds`)."""
        self._quietly(
            f"refund {refund.refundId}",
            lambda: self.settle_refund(order_id, refund, provider_reference, None, payment_total=payment_total),
        )

    def try_pending_refunds(self, order_id: str) -> None:
        """The request's own try after its commit: never raises (its answer is committed; the stream and
        the sweeper do what is left)."""
        self._quietly(f"refunds of order {order_id}", lambda: self.settle_pending_refunds(order_id))

    @staticmethod
    def _quietly(what: str, work: Callable[[], object]) -> None:
        try:
            work()
        except Exception as error:
            if is_transient(error):
                log.warning("%s: not done now (%r); the stream or the sweeper retries", what, error)
            else:
                log.exception("%s failed", what)

    # ---------------------------------------------------------------- after the commit, from the stream
    def follow_up_refunds(self, order_id: str) -> None:
        """ChildOrderCancelled / PaymentAnomaly from the stream: ask the providers for the refunds the
        change committed. A store fault raises (the record is delivered again); a refund the provider
        cannot take yet stays PENDING with its next try in the deadline index, where the sweeper finds
        it with backoff, so it does not hold the stream record (nor fill the dead-letter queue)."""
        self.settle_pending_refunds(order_id)

    def follow_up_cancel(self, order_id: str) -> None:
        """OrderCancelled from the stream: settle the cancel's refunds and close the order's open attempts
        at their providers (both, whatever happens to the other); raises as `follow_up_refunds` does."""
        try:
            self.settle_pending_refunds(order_id)
        finally:
            self.close_open_attempts(order_id)

    # ---------------------------------------------------------------- the sweeper's refund task
    def retry_refund(self, order_id: str, refund_id: str) -> TimerOutcome:
        """The sweeper's task for a refund whose next try has come (found through the deadline index):
        ask its provider again. Anything else is left as it is."""
        record = self.orders.get_order(order_id)
        refund = next((r for r in record.refunds if r.refundId == refund_id), None) if record else None
        if record is None or refund is None or refund.status not in ACTIVE_REFUNDS:
            status = refund.status if refund else None
            return TimerOutcome(TimerResult.SKIPPED, order_id, status, refund_id=refund_id)
        due = refund.nextTry
        if due is not None and parse_rfc3339(due) > self.clock():
            return TimerOutcome(TimerResult.NOT_DUE, order_id, refund.status, due, refund_id=refund_id)
        attempt = next((a for a in record.payments if a.paymentId == refund.paymentId), None)
        if attempt is None:
            return TimerOutcome(TimerResult.SKIPPED, order_id, refund.status, refund_id=refund_id)
        status = self.settle_refund(
            order_id, refund, attempt.providerReference, None, payment_total=_paid_at_provider(attempt)
        )
        return TimerOutcome(TimerResult.of_refund(status), order_id, status, refund_id=refund_id)

    # ---------------------------------------------------------------- staff decide a refused refund
    def resolve_refund(
        self,
        actor: Actor,
        order_id: str,
        refund_id: str,
        decision: RefundDecision,
        *,
        note: str,
        reference: str | None = None,
    ) -> dict[str, Any]:
        """A refund its provider refused for good (FAILED) is moved on by staff, in ONE transaction with
        the order's history line (and the ledger, the balance, the case and the shopper's event when the
        money goes back): `to-balance` credits the shopper's stored balance, `paid-out` records a payout
        finance made by hand (with its `reference`), `retry` asks the provider again (PENDING; tried at
        once, then by the sweeper). The same decision again (same person, decision, reference and note)
        answers the refund as it is; any decision on a refund that is not FAILED is 409."""
        if not actor.can(Permission.REFUND_RESOLVE):
            raise Forbidden("refused refunds are decided by finance")
        if decision is RefundDecision.PAID_OUT and not reference:
            raise InvalidRequest("a payout made by hand needs its reference", field="reference")
        if decision is not RefundDecision.PAID_OUT and reference is not None:
            raise InvalidRequest("reference is only given with decision paid-out", field="reference")
        for _ in range(4):
            record = self._order_of(actor, order_id)
            refund = next((r for r in record.refunds if r.refundId == refund_id), None)
            if refund is None:
                raise NotFound(f"refund {refund_id} not found")
            last = refund.resolution or {}
            if (last.get("decision"), last.get("reference"), last.get("note"), last.get("by")) == (
                decision.value,
                reference,
                note,
                actor.subject,
            ):
                return self._refund_answer(record, refund_id)  # this very decision, retried
            if refund.status != RefundStatus.FAILED.value:
                raise RefundNotFailed(
                    f"refund {refund_id} is {refund.status}: only a refund its provider refused is decided here",
                    refundStatus=refund.status,
                )
            anomaly = self.reads.anomaly(refund.anomalyId) if refund.anomalyId else None
            try:
                self._decide_refund(actor, record, refund, anomaly, decision, note, reference)
            except TransactionCancelled as cancelled:
                if cancelled.failed(Part.BALANCE):
                    raise InvalidRequest(
                        "the shopper's balance is kept in another currency: pay this refund out by hand",
                        field="decision",
                    ) from cancelled
                continue  # the refund or its case moved meanwhile: decide again on fresh data
            if decision is RefundDecision.RETRY:
                self.try_pending_refunds(order_id)
            fresh = self.orders.get_order(order_id)
            assert fresh is not None
            return self._refund_answer(fresh, refund_id)
        raise Conflict("the refund or its case kept changing; retry")

    def _decide_refund(
        self,
        actor: Actor,
        record: OrderRecord,
        refund: RefundRecord,
        anomaly: AnomalyRecord | None,
        decision: RefundDecision,
        note: str,
        reference: str | None,
    ) -> None:
        header = record.header
        now = self._now()
        amount = refund.amount.money()
        resolution = {
            "decision": decision.value,
            "reference": reference,
            "note": note,
            "by": actor.subject,
            "role": actor.primary_role,
            "at": now,
        }
        refused = (refund.failure or {}).get("reason") or refund.lastError or "refused"
        tx = Transaction()
        if decision is RefundDecision.RETRY:
            check_refund_transition(RefundStatus.FAILED, RefundStatus.PENDING)
            retries = int(refund.retries or 0) + 1
            text = f"refund {refund.refundId} ({amount.display()}) asked of {refund.method} again: {note}"
            add_refund_asked_again(tx, header.orderId, refund, resolution=resolution, retries=retries, now=now)
            self._case_follows(tx, anomaly, refund, now, text, actor.subject, RefundStatus.PENDING)
        else:
            check_refund_transition(RefundStatus.FAILED, RefundStatus.SUCCEEDED)
            customer = refund.customerId or header.customerId
            if decision is RefundDecision.TO_BALANCE:
                route, account = RefundRoute.BALANCE, balance_account(customer)
                text = f"refund {refund.refundId} ({amount.display()}) credited to the balance of {customer}: {note}"
                add_balance_change(tx, customer, amount.amount, amount.currency, now)
            else:
                route, account = RefundRoute.MANUAL, MANUAL_PAYOUTS
                text = f"refund {refund.refundId} ({amount.display()}) paid out by hand ({reference}): {note}"
            add_refund_paid_elsewhere(tx, refund, resolution=resolution, route=route, reference=reference, now=now)
            add_postings(
                tx,
                [transfer(PostingKind.REFUND, order_account(header.orderId), account, amount, text[:200])],
                now,
                pk=keys.order_pk(header.orderId),
                order_id=header.orderId,
                payment_id=refund.paymentId,
                by=actor.subject,
            )
            anomaly_type = self._case_follows(tx, anomaly, refund, now, text, actor.subject, route=route)
            event = events.refund_succeeded(
                refund_facts(refund), anomaly_type=anomaly_type, route=route.value, reference=reference
            )
            add_event(tx, refund.orderId, event, now, key="refund")
            if refund.requestId is not None:  # the last money of a request back: a fully refunded order closes
                self.refund_requests.close_if_refunded(tx, record, actor, now, also=amount.amount)
        history = f"{text} (the provider had refused it: {refused})"
        add_history(tx, header.orderId, StatusChange(record.status, record.status, actor, now, history), key="refund")
        tx.commit()

    @staticmethod
    def _refund_answer(record: OrderRecord, refund_id: str) -> dict[str, Any]:
        refund = next(r for r in record.refunds if r.refundId == refund_id)
        return {
            **refund_view(refund),
            "order": {
                "orderId": record.header.orderId,
                "status": record.header.status,
                "payment": payment_summary(record),
            },
        }

    @staticmethod
    def _commit_notice(tx: Transaction, outcome: str) -> str:
        try:
            tx.commit()
        except TransactionCancelled as cancelled:
            if cancelled.failed(Part.INBOX):
                return "duplicate"  # this exact notice was applied before: acknowledge, change nothing
            if cancelled.failed(Part.ORDER, Part.ATTEMPT):
                raise ConcurrentChange from cancelled
            raise
        return outcome

    # ---------------------------------------------------------------- review and sync
    def review(
        self, actor: Actor, order_id: str, payment_id: str, *, approve: bool, reason: str | None
    ) -> dict[str, Any]:
        """Finance matched (approve) or did not find (reject) a bank transfer on the statement. A transfer
        awaiting review (PENDING) may be approved or rejected; one that arrived after all, when its order
        was cancelled (EXPIRED) or it had been rejected (FAILED), may still be approved: the money is
        ours, so it goes through `apply_notice` like any late payment (recorded, and refunded — for a
        bank transfer a payout by hand — or it pays an order still awaiting it)."""
        if not actor.can(Permission.PAYMENT_REVIEW):
            raise Forbidden("bank transfers are reviewed by finance")
        record = self._order_of(actor, order_id)
        attempt = _attempt(record, payment_id)
        if attempt.method != PaymentMethod.BANK_TRANSFER.value:
            raise InvalidRequest("only bank transfers are reviewed", field="paymentId")
        if reviewed_by(attempt, actor, approve=approve, reason=reason):  # retried after its answer was lost
            return {**attempt_view(attempt), "order": order_view(record)}
        late = (AttemptStatus.EXPIRED.value, AttemptStatus.FAILED.value)
        if attempt.status != AttemptStatus.PENDING.value and not (approve and attempt.status in late):
            raise OrderNotPayable(f"this transfer is {attempt.status}, not awaiting review")
        now = self._now()
        review = {"by": actor.subject, "at": now, "approved": approve, "reason": reason}
        if approve:
            notice = ProviderNotice(
                provider=PaymentMethod.BANK_TRANSFER,
                event_id=f"review-{payment_id}",
                payment_id=payment_id,
                provider_reference=f"review:{actor.subject}",
                status=NoticeStatus.SUCCEEDED,
                amount=attempt.amount.money(),
                merchant_ok=True,
                raw=review,
            )
            self.apply_notice(notice, actor)
        else:
            if not reason:
                raise InvalidRequest("a rejection needs a reason", field="reason")
            tx = Transaction()
            add_attempt_move(tx, attempt, AttemptStatus.FAILED.value, now, review=review)
            add_audit(
                tx,
                f"ORDER#{order_id}",
                "payment.review",
                actor=actor,
                now=now,
                before={"paymentId": payment_id, "status": attempt.status},
                after={"paymentId": payment_id, "status": AttemptStatus.FAILED.value},
                reason=reason,
            )
            deadline = self._deadline_after_rejection(record, attempt)
            if deadline is None:
                add_order_guard(tx, record.header)
            else:
                # The order waited for this transfer; it need not wait any more: back to its deadline
                # before the transfer, or a short grace to pay another way (the timer's index moves too).
                add_deadline_change(tx, record.header, deadline, now)
                text = f"bank transfer {payment_id} rejected ({reason}): payable until {deadline}"
                change = StatusChange(record.status, record.status, actor, now, text)
                add_history(tx, order_id, change, key="deadline")
            self._commit(tx)
        updated = self.orders.get_order(order_id)
        assert updated is not None
        return {**attempt_view(_attempt(updated, payment_id)), "order": order_view(updated)}

    def _deadline_after_rejection(self, record: OrderRecord, rejected: AttemptRecord) -> str | None:
        """The payment deadline of an order whose bank transfer is rejected: max(its deadline before the
        transfer, now + the payment timeout), when that is earlier than now. None: it stays (the order
        is not awaiting payment, or another transfer is still under review)."""
        if record.status is not OrderStatus.PENDING_PAYMENT:
            return None
        others = [
            a
            for a in record.payments
            if a.paymentId != rejected.paymentId
            and a.method == PaymentMethod.BANK_TRANSFER.value
            and a.status == AttemptStatus.PENDING.value
        ]
        if others:
            return None
        grace = to_rfc3339_seconds(self.clock() + timedelta(seconds=self.payment_timeout_seconds))
        before = rejected.deadlineBefore
        deadline = grace if before is None else max(grace, before, key=parse_rfc3339)
        current = record.header.paymentDeadline
        return deadline if parse_rfc3339(deadline) < parse_rfc3339(current) else None

    def sync(self, actor: Actor, order_id: str, payment_id: str) -> dict[str, Any]:
        """'I paid but the order says unpaid': ask the provider and apply its answer exactly once."""
        record = self._order_of(actor, order_id)
        attempt = _attempt(record, payment_id)
        method = PaymentMethod(attempt.method)
        if method in (PaymentMethod.BALANCE, PaymentMethod.BANK_TRANSFER):
            raise InvalidRequest("this channel has nothing to sync", field="paymentId")
        provider = self.providers(method)
        reference = attempt.providerReference or _provider_object_id(attempt.instructions)
        answer = provider.query(payment_id, attempt.amount.money(), provider_reference=reference)
        result = "unchanged"
        if answer.status is NoticeStatus.SUCCEEDED and answer.amount is not None:
            notice = ProviderNotice(
                provider=method,
                event_id=answer.event_id,
                payment_id=payment_id,
                provider_reference=answer.provider_reference or "",
                status=NoticeStatus.SUCCEEDED,
                amount=answer.amount,
                merchant_ok=True,
                raw={"source": "query"},
            )
            result = self.apply_notice(notice)
        current = self.orders.get_order(order_id) or record
        paid = _attempt(current, payment_id)
        for refund in current.refunds:
            if refund.status in ACTIVE_REFUNDS and refund.paymentId == payment_id:
                anomaly = None
                if not refund.anomalyId:  # refunds made before refunds named their case
                    anomaly = next(
                        (a for a in self.reads.anomaly_items_of_order(order_id) if a.paymentId == payment_id), None
                    )
                self.settle_refund(
                    order_id, refund, paid.providerReference, anomaly, payment_total=_paid_at_provider(paid)
                )
        updated = self.orders.get_order(order_id)
        assert updated is not None
        return {
            "result": result,
            "provider": {"status": answer.status.value},
            **attempt_view(_attempt(updated, payment_id)),
        }

    # ---------------------------------------------------------------- order payment view
    def payments_of(self, actor: Actor, order_id: str) -> dict[str, Any]:
        record = self._order_of(actor, order_id)
        return {
            "orderId": order_id,
            **payment_summary(record),
            "ledger": [ledger_line_view(line) for line in record.ledger],
        }

    # ---------------------------------------------------------------- balance
    def balance_of(self, actor: Actor, customer_id: str, limit: int | None, cursor: str | None) -> dict[str, Any]:
        if customer_id != actor.subject and not actor.can(Permission.BALANCE_ADJUST):
            raise NotFound("no such balance")
        account = self.reads.balance(customer_id)
        page = self.reads.account_lines(balance_account(customer_id), limit, cursor).map(ledger_line_view)
        return {
            "customerId": customer_id,
            "balance": {
                "amount": int(account.available) if account else 0,
                "currency": account.currency if account else "CNY",
            },
            "movements": page.items,
            "next_cursor": page.next_cursor,
        }

    def adjust_balance(
        self,
        actor: Actor,
        customer_id: str,
        amount: Money,
        *,
        credit: bool,
        reason: str,
        idempotency_key: str,
        fingerprint: str,
    ) -> tuple[int, dict[str, Any], bool]:
        if not actor.can(Permission.BALANCE_ADJUST):
            raise Forbidden("balance adjustments are for admin and finance")
        settings_unused, account, stored = self.reads.payment_context(
            [], actor.subject, (actor.subject, idempotency_key)
        )
        del settings_unused
        replayed = replay(stored, fingerprint)
        if replayed is not None:
            return replayed
        account = self.reads.balance(customer_id)
        if account is not None and account.currency != amount.currency:
            raise InvalidRequest(f"this balance is kept in {account.currency}", field="amount.currency")
        if not credit and (account is None or int(account.available) < amount.amount):
            raise InsufficientBalance(
                "the balance does not cover this debit", available=int(account.available) if account else 0
            )
        now = self._now()
        tx = Transaction()
        delta = amount.amount if credit else -amount.amount
        add_balance_change(tx, customer_id, delta, amount.currency, now)
        posting = (
            transfer(PostingKind.BALANCE_ADJUSTMENT, ADJUSTMENTS, balance_account(customer_id), amount, reason)
            if credit
            else transfer(PostingKind.BALANCE_ADJUSTMENT, balance_account(customer_id), ADJUSTMENTS, amount, reason)
        )
        add_postings(
            tx, [posting], now, pk=keys.balance_pk(customer_id), order_id=None, payment_id=None, by=actor.subject
        )
        before = int(account.available) if account else 0
        add_audit(
            tx,
            f"CUSTOMER#{customer_id}",
            "balance.adjust",
            actor=actor,
            now=now,
            before={"balance": before, "currency": amount.currency},
            after={"balance": before + delta, "currency": amount.currency},
            reason=reason,
        )
        body = {
            "customerId": customer_id,
            "direction": "credit" if credit else "debit",
            "amount": amount.to_dict(),
            "reason": reason,
            "by": actor.subject,
            "at": now,
            "balance": {"amount": before + delta, "currency": amount.currency},
        }
        add_idempotency(tx, actor.subject, idempotency_key, fingerprint, 201, body, now)
        try:
            self._commit(tx)
        except TransactionCancelled as cancelled:
            if cancelled.failed(Part.BALANCE):
                if credit:  # a credit fails only when the account was opened meanwhile in another currency
                    raise InvalidRequest(
                        "this balance is kept in another currency", field="amount.currency"
                    ) from cancelled
                raise InsufficientBalance("the balance changed; it no longer covers this debit") from cancelled
            raise
        return 201, body, False

    # ---------------------------------------------------------------- anomalies
    def anomalies(
        self, actor: Actor, status: AnomalyStatus, limit: int | None, cursor: str | None
    ) -> Page[dict[str, Any]]:
        if not actor.can(Permission.ANOMALY_MANAGE):
            raise Forbidden("abnormal payments are handled by staff")
        return self.reads.anomalies(status, limit, cursor).map(anomaly_view)

    def resolve_anomaly(
        self,
        actor: Actor,
        anomaly_id: str,
        note: str,
        decision: ResolveDecision = ResolveDecision.DISMISS,
        remainder: Remainder | None = None,
    ) -> dict[str, Any]:
        """A staff decision on a case, written with its order's move (if any), the order's history and the
        case's notes in ONE transaction. The same decision again answers the case as it is (a replay);
        another decision on a decided case is 409."""
        if not actor.can(Permission.ANOMALY_MANAGE):
            raise Forbidden("abnormal payments are handled by staff")
        for _ in range(4):
            anomaly = self.reads.anomaly(anomaly_id)
            if anomaly is None:
                raise NotFound(f"anomaly {anomaly_id} not found")
            resolution = anomaly.resolution
            if resolution is not None or anomaly.status == AnomalyStatus.RESOLVED.value:
                if resolution is not None and (resolution.get("decision"), resolution.get("remainder")) == (
                    decision.value,
                    None if remainder is None else remainder.value,
                ):
                    return self._case_view(anomaly)
                raise AnomalyAlreadyDecided(
                    "this case was already decided" if resolution else "this case is already resolved",
                    resolution=resolution,
                )
            record = self.orders.get_order(anomaly.orderId)
            if record is None:
                raise NotFound(f"order {anomaly.orderId} not found")
            try:
                self._decide(actor, anomaly, record, decision, remainder, note)
            except (TransactionCancelled, StaleOrder):
                continue  # the case or its order moved meanwhile: decide again on fresh data
            fresh = self.reads.anomaly(anomaly_id)
            assert fresh is not None
            return self._case_view(fresh)
        raise Conflict("the case or its order kept changing; retry")

    def _case_view(self, anomaly: AnomalyRecord) -> dict[str, Any]:
        record = self.orders.get_order(anomaly.orderId)
        order = None
        if record is not None:
            order = {
                "orderId": record.header.orderId,
                "status": record.header.status,
                "paymentDeadline": record.header.paymentDeadline,
                "payment": payment_summary(record),
            }
        return {**anomaly_view(anomaly), "order": order}

    def _decide(
        self,
        actor: Actor,
        anomaly: AnomalyRecord,
        record: OrderRecord,
        decision: ResolveDecision,
        remainder: Remainder | None,
        note: str,
    ) -> None:
        now = self._now()
        # Only the case's own hold is decided here: a staff or risk-review hold is released its own way.
        hold = Hold.of(record.header.hold)
        held = record.status is OrderStatus.ON_HOLD and (hold is None or hold.kind is HoldKind.ANOMALY)
        resolution = {
            "decision": decision.value,
            "remainder": None if remainder is None else remainder.value,
            "by": actor.subject,
            "role": actor.primary_role,
            "at": now,
            "note": note,
        }
        allowed = ["accept", "refund"] if held else ["dismiss"]
        if decision is ResolveDecision.DISMISS:
            if held:
                raise DecisionNotAllowed(
                    "this case holds its order: decide what happens to the money (accept or refund)", allowed=allowed
                )
            tx = Transaction()
            text = f"{anomaly.anomalyType} case {anomaly.anomalyId} dismissed: {note}"
            add_anomaly_update(
                tx, anomaly, now, note=note, by=actor.subject, status=AnomalyStatus.RESOLVED, resolution=resolution
            )
            self._abnormal_ends(tx, record.header.orderId, {anomaly.anomalyId})
            change = StatusChange(record.status, record.status, actor, now, text)
            add_history(tx, record.header.orderId, change, key="case")
            tx.commit()
            return
        if not held:
            raise DecisionNotAllowed(
                f"the order is {record.status.value}: only a held order's money is accepted or refunded",
                allowed=allowed,
            )
        if decision is ResolveDecision.REFUND:
            self._refund_held_order(actor, anomaly, record, resolution, note, now)
            return
        if anomaly.anomalyType != AnomalyType.AMOUNT_MISMATCH.value:
            raise DecisionNotAllowed(f"a {anomaly.anomalyType} case cannot be accepted: refund it", allowed=["refund"])
        self._accept_held_order(actor, anomaly, record, remainder, resolution, note, now)

    def _accept_held_order(
        self,
        actor: Actor,
        anomaly: AnomalyRecord,
        record: OrderRecord,
        remainder: Remainder | None,
        resolution: dict[str, Any],
        note: str,
        now: str,
    ) -> None:
        """Take the held order as paid: what is missing is written off or charged; any excess is refunded."""
        header = record.header
        money = money_of(record)
        missing, excess = money.outstanding, money.excess
        if missing.amount and remainder is None:
            raise InvalidRequest(
                f"{missing.display()} is missing: say whether it is written off or charged", field="remainder"
            )
        if not missing.amount and remainder is not None:
            raise InvalidRequest("nothing is missing on this order: remainder does not apply", field="remainder")
        tx = Transaction()
        case = f"{anomaly.anomalyType} case {anomaly.anomalyId}"
        if remainder is Remainder.CHARGE:
            deadline = to_rfc3339_seconds(self.clock() + timedelta(seconds=self.payment_timeout_seconds))
            text = f"{case} accepted: the rest ({missing.display()}) is charged, payable until {deadline}: {note}"
            change = StatusChange(OrderStatus.ON_HOLD, OrderStatus.PENDING_PAYMENT, actor, now, text)
            released = events.order_hold_released(
                order_summary(header), payment_deadline=deadline, outstanding=missing, anomaly_id=anomaly.anomalyId
            )
            add_order_move(tx, header, change, released, payment_deadline=deadline, clear_hold=True)
            add_anomaly_update(
                tx, anomaly, now, note=text, by=actor.subject, status=AnomalyStatus.RESOLVED, resolution=resolution
            )
            self._abnormal_ends(tx, header.orderId, {anomaly.anomalyId})
            tx.commit()  # its timer is armed from the OrderHoldReleased row (oms.wiring.after_commit)
            return
        if remainder is Remainder.WRITE_OFF:
            text = f"{case} accepted: {missing.display()} written off: {note}"
            add_postings(
                tx,
                [write_off(header.orderId, missing, f"underpayment accepted ({case})")],
                now,
                pk=keys.order_pk(header.orderId),
                order_id=header.orderId,
                payment_id=anomaly.paymentId,
                by=actor.subject,
            )
        elif excess.amount:
            text = f"{case} accepted: the excess {excess.display()} is refunded: {note}"
        else:
            text = f"{case} accepted: {note}"
        change = StatusChange(OrderStatus.ON_HOLD, OrderStatus.PAID, actor, now, text)
        method = next((a.method for a in record.payments if a.paymentId == anomaly.paymentId), None)
        paid = events.order_paid(
            order_summary(header),
            payment_id=anomaly.paymentId,
            method=method,
            payment_attempts=attempt_number_of(anomaly.paymentId),
            lines=line_facts(record),
        )
        paid_entry = add_paid_entry(tx, header, method, now) if method else ()
        add_order_move(tx, header, change, paid, clear_hold=True, more=paid_entry)
        add_stock_sale(tx, record.lines, now, from_available=False, by=mover(actor), reason="payment case accepted")
        add_children_to_warehouse_queues(tx, record, now)
        refunds = (
            add_refunds(
                tx,
                record,
                plan_refund(excess.amount, refund_rooms_of(record), first=anomaly.paymentId).provider,
                reason="overpayment_refunded",
                now=now,
                cases={anomaly.paymentId: anomaly},
            )
            if excess.amount
            else []
        )
        if refunds:
            # Resolved when the refund succeeds.
            add_anomaly_update(
                tx,
                anomaly,
                now,
                note=text,
                by=actor.subject,
                refund={"refundId": refunds[0].refundId, "status": "PENDING"},
                resolution=resolution,
            )
        else:
            add_anomaly_update(
                tx, anomaly, now, note=text, by=actor.subject, status=AnomalyStatus.RESOLVED, resolution=resolution
            )
            self._abnormal_ends(tx, header.orderId, {anomaly.anomalyId})
        tx.commit()
        if refunds:
            self.try_pending_refunds(header.orderId)

    def _refund_held_order(
        self,
        actor: Actor,
        anomaly: AnomalyRecord,
        record: OrderRecord,
        resolution: dict[str, Any],
        note: str,
        now: str,
    ) -> None:
        """Give back what the held order received and cancel it (stock, coupons, points and balance return
        as with any cancel): the shopper may order again. One cancel transaction with the refunds."""
        case = f"{anomaly.anomalyType} case {anomaly.anomalyId}"
        text = f"{case}: refund decided: {note}"
        change = StatusChange(record.status, OrderStatus.CANCELLED, actor, now, text)
        cancellation = cancellation_record(actor, CancelReason.STAFF_DECISION, text, now)
        more = self.cancel_refunds(record, actor, now, decided=(anomaly, resolution))
        event = events.order_cancelled(order_summary(record.header), change.to_status, cancellation=cancellation)
        self.orders.cancel(record, change, cancellation, event, more)
        self.after_cancel(record.header.orderId)

    # ---------------------------------------------------------------- the money side of cancels
    def cancel_refunds(
        self,
        record: OrderRecord,
        actor: Actor,
        now: str,
        *,
        decided: tuple[AnomalyRecord, dict[str, Any]] | None = None,
    ) -> Callable[[Transaction], None] | None:
        """What a whole-order cancel adds to its transaction for money the order received through
        providers: one PENDING refund per payment for all it holds (settled at the provider after the
        commit), and on each open case of such a payment a note and its refund. Balance used at checkout
        goes back with the cancel itself. None when the order holds no provider money."""
        rooms = refund_rooms_of(record)
        if not any(room for _, room in rooms) and decided is None:
            return None
        cases = {a.paymentId: a for a in self.reads.anomaly_items_of_order(record.header.orderId) if a.status == "OPEN"}
        if decided is not None:
            cases[decided[0].paymentId] = decided[0]

        held = sum(room for _, room in rooms)
        ask = RefundAsk(
            record.header.orderId,
            f"RF{record.header.orderId}",
            RefundReason.ORDER_CANCELLED.value,
            amount=Money(held, record.header.currency),
            providers_only=True,
            anomalies=tuple((payment_id, case.anomalyId) for payment_id, case in cases.items()),
        )

        def add(tx: Transaction) -> None:
            # One request over every provider payment, each for all it holds (refund ids RF<paymentId>).
            refunds = self.refund_requests.add(tx, record, ask, actor, now) if held else []
            by_payment = {r.paymentId: r for r in refunds}
            closing = {case.anomalyId for payment_id, case in cases.items() if payment_id not in by_payment}
            if closing and len(closing) == len(cases):
                self._abnormal_ends(tx, record.header.orderId, closing)
            for payment_id, case in cases.items():
                refund = by_payment.get(payment_id)
                resolution = decided[1] if decided is not None and case is decided[0] else None
                text = (
                    f"order cancelled by {actor.subject} ({actor.primary_role}): refunding "
                    f"{refund.amount.money().display()} ({refund.refundId})"
                    if refund is not None
                    else f"order cancelled by {actor.subject} ({actor.primary_role}): nothing left to refund"
                )
                add_anomaly_update(
                    tx,
                    case,
                    now,
                    note=text,
                    by=actor.subject,
                    status=None if refund is not None else AnomalyStatus.RESOLVED,
                    refund=None if refund is None else {"refundId": refund.refundId, "status": "PENDING"},
                    resolution=resolution,
                )

        return add

    def after_cancel(self, order_id: str) -> None:
        """The cancel request's own try, after its commit: refund at the providers what it committed to
        refund, and close the order's open payment attempts. Never raises: the request's answer is
        committed; what is left is done from the committed OrderCancelled row (`follow_up_cancel`) and,
        for refunds, by the sweeper."""
        self.try_pending_refunds(order_id)
        self._quietly(f"closing the attempts of order {order_id}", lambda: self.close_open_attempts(order_id))

    def close_open_attempts(self, order_id: str) -> dict[str, str]:
        """Close at the provider every attempt the order no longer takes (it was cancelled, or paid through
        another attempt), so fewer late payments happen. Idempotent: an attempt whose close had an answer
        is not asked again; a provider that could not answer (ERROR) is asked again next time. Records the
        outcome on the attempt (and a closed one on the order's history). Never raises."""
        record = self.orders.get_order(order_id)
        if record is None or record.status in (OrderStatus.PENDING_PAYMENT, OrderStatus.ON_HOLD):
            return {}
        outcomes: dict[str, str] = {}
        for attempt in sorted(record.payments, key=lambda a: a.paymentId):
            if attempt.method == PaymentMethod.BALANCE.value or attempt.status == AttemptStatus.SUCCEEDED.value:
                continue
            if attempt.closeOutcome not in (None, "ERROR"):
                continue
            outcomes[attempt.paymentId] = self._close_attempt(record, attempt)
        return outcomes

    def _close_attempt(self, record: OrderRecord, attempt: AttemptRecord) -> str:
        method = PaymentMethod(attempt.method)
        reference = attempt.providerReference or _provider_object_id(attempt.instructions)
        try:
            closed = self.providers(method).close(attempt.paymentId, reference)
            outcome, detail = closed.outcome.value, closed.detail
        except Exception as error:  # unreachable, refused, not configured: try again later
            outcome, detail = "ERROR", (getattr(error, "reason", None) or type(error).__name__)[:300]
            log.warning("closing %s at %s failed: %s", attempt.paymentId, method.value, detail)
        now = self._now()
        tries = int((attempt.closure or {}).get("tries") or 0) + 1
        tx = Transaction()
        add_attempt_closure(tx, attempt, outcome, {"outcome": outcome, "at": now, "detail": detail, "tries": tries})
        if outcome == CloseOutcome.CLOSED.value:
            text = f"payment attempt {attempt.paymentId} closed at {method.value}: it can no longer be paid"
            change = StatusChange(record.status, record.status, Actor.system("payments"), now, text)
            add_history(tx, record.header.orderId, change, key="close")
        try:
            tx.commit()
        except TransactionCancelled:
            return outcome  # another close recorded its answer first
        return outcome

    # ---------------------------------------------------------------- channel settings
    def channel_settings(self, actor: Actor, store_id: str) -> dict[str, Any]:
        if not actor.can(Permission.PAYMENT_SETTINGS):
            raise Forbidden("payment settings are for admin and finance")
        channels, version = self.reads.channel_settings(store_id)
        return {
            "storeId": store_id,
            "channels": channels_to_json(channels),
            "version": version,
            "audit": [audit_view(i) for i in audit_records(f"SETTINGS#PAYMENT_CHANNELS#{store_id}", 20)],
        }

    def put_channel_settings(
        self,
        actor: Actor,
        store_id: str,
        channels: dict[str, ChannelSettings],
        if_match: int | None,
        reason: str | None,
    ) -> dict[str, Any]:
        if not actor.can(Permission.PAYMENT_SETTINGS):
            raise Forbidden("payment settings are for admin and finance")
        current, version = self.reads.channel_settings(store_id)
        if if_match is not None and if_match != version:
            from oms.domain.errors import PreconditionFailed

            raise PreconditionFailed("the settings changed since you read them (If-Match)")
        merged = {**current, **channels}
        try:
            new_version = put_channel_settings(
                store_id,
                merged,
                expected_version=version,
                actor=actor,
                reason=reason,
                before=channels_to_json(current),
                now=self._now(),
            )
        except TransactionCancelled as cancelled:
            from oms.domain.errors import Conflict

            raise Conflict("the settings were changed concurrently; read them again") from cancelled
        return {"storeId": store_id, "channels": channels_to_json(merged), "version": new_version}


def _late_payment_note(record: OrderRecord, *, exact: bool) -> str:
    """Why money for a cancelled order is given back, in words for the case and the shopper's event."""
    cancellation = record.header.cancellation or {}
    reason = cancellation.get("reason")
    if record.status is OrderStatus.CLOSED:
        return "paid after the order was closed: refunding"
    if reason == CancelReason.PAYMENT_TIMEOUT.value:
        if not exact:
            return "paid after the payment timeout, and not the amount asked: refunding"
        if _took_benefits(record):
            return "paid after the payment timeout: the order's coupons, points or balance were returned, refunding"
        return "paid after the payment timeout: the store refunds late payments (latePaymentPolicy refund), refunding"
    who = f"{cancellation.get('by')} ({cancellation.get('role')})" if cancellation else "someone"
    return f"paid after {who} cancelled the order: a cancel is final, refunding"


def _kept(record: OrderRecord) -> Money:
    """What the order keeps of the money it holds: received less refunded, less every refund still on its
    way back (or refused, awaiting a staff decision): that money is not the order's any more."""
    going_back = sum(int(r.amount.amount) for r in record.refunds if r.status != RefundStatus.SUCCEEDED.value)
    return money_of(record).held - Money(going_back, record.header.currency)


def _paid_at_provider(attempt: AttemptRecord) -> Money:
    """What the provider holds for an attempt: what it reported when that differed, else the amount asked."""
    return attempt.received.money() if attempt.received else attempt.amount.money()


def _took_benefits(record: OrderRecord) -> bool:
    """Whether checkout took coupons, points or balance for this order."""
    return Benefits.of(record.header.benefits).took_any


def _attempt(record: OrderRecord, payment_id: str) -> AttemptRecord:
    attempt = next((a for a in record.payments if a.paymentId == payment_id), None)
    if attempt is None:
        raise NotFound(f"payment {payment_id} not found")
    return attempt


def _provider_object_id(instructions: dict[str, Any]) -> str | None:
    """The provider-side object an attempt created (card intent, crypto charge), for queries."""
    for key in ("payment_intent", "charge_code"):
        value = instructions.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _strictest(method: PaymentMethod, settings: list[ChannelSettings]) -> ChannelSettings:
    """A multi-store order may use a channel only as far as every store allows it."""
    return ChannelSettings(
        method.value,
        all(s.enabled for s in settings),
        max(s.min_amount for s in settings),
        min(s.max_amount for s in settings),
        max(s.fee_rate_bps for s in settings),
        settings[0].fee_bearer,
    )


__all__ = ["PaymentService", "PaymentStatus", "payment_summary"]


def _open_case(
    tx: Transaction,
    header: HeaderRecord,
    *,
    anomaly_type: str,
    payment_id: str,
    expected: Money,
    received: Money,
    status: AnomalyStatus,
    note: str,
    refund: RefundRecord | None,
    now: str,
    anomaly_id: str | None = None,
) -> AnomalyRecord:
    """A case about money that did not fit, and the `PaymentAnomaly` event that tells the shopper; an open
    case flags its order `abnormal` (cleared with its last open case, `_abnormal_ends`)."""
    if status is AnomalyStatus.OPEN:
        add_flag(tx, header.orderId, header.createdAt, OrderFlag.ABNORMAL, by="system", at=now, reason=anomaly_type)
    anomaly = add_anomaly(
        tx,
        header,
        anomaly_type=anomaly_type,
        payment_id=payment_id,
        expected=expected,
        received=received,
        status=status,
        note=note,
        refund=refund,
        now=now,
        anomaly_id=anomaly_id,
    )
    refund_ref = None
    if refund is not None:
        refund_ref = {"refundId": refund.refundId, "status": refund.status, "amount": refund.amount.money().to_dict()}
    event = events.payment_anomaly(
        order_summary(header),
        anomaly_id=anomaly.anomalyId,
        anomaly_type=anomaly_type,
        anomaly_status=status.value,
        payment_id=payment_id,
        expected=expected,
        received=received,
        refund=refund_ref,
        note=note,
    )
    add_event(tx, header.orderId, event, now, key="anomaly")
    return anomaly
