"""Payment use cases: pay an order, apply provider callbacks exactly once, review bank transfers,
sync with the provider, the customer balance, anomaly cases and channel settings."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from oms.adapters.providers.base import (
    CallbackAnswer,
    CallbackRejected,
    NoticeStatus,
    PaymentMethod,
    PaymentProvider,
    ProviderNotice,
)
from oms.domain.clock import to_rfc3339, to_rfc3339_seconds, utcnow
from oms.domain.errors import Conflict, Forbidden, InvalidRequest, NotFound
from oms.domain.ledger import (
    ADJUSTMENTS,
    PostingKind,
    balance_account,
    order_account,
    order_money,
    payment_postings,
    provider_account,
    transfer,
)
from oms.domain.money import Money
from oms.domain.order import OrderStatus, StatusChange, check_transition
from oms.domain.payment import (
    AnomalyStatus,
    AnomalyType,
    AttemptStatus,
    ChannelSettings,
    FeeBearer,
    InsufficientBalance,
    OrderNotPayable,
    PaymentStatus,
    SuccessOutcome,
    check_attempt_transition,
    decide_success,
)
from oms.domain.permissions import Actor, Permission
from oms.services.orders import IdempotencyKeyReused
from oms.services.replays import resolved_by, reviewed_by
from oms.store import keys
from oms.store.ledger import add_balance_change, add_postings
from oms.store.models import AnomalyItem, PaymentAttemptItem, RefundItem
from oms.store.orders import (
    IdempotencyKeyInUse,
    OrderRecord,
    OrderRepository,
    add_children_to_warehouse_queues,
    add_order_move,
    order_view,
)
from oms.store.pages import Page
from oms.store.payments import (
    PaymentReads,
    add_anomaly,
    add_attempt_move,
    add_deadline_change,
    add_idempotency,
    add_inbox,
    add_order_guard,
    add_refund,
    add_stock_sale,
    anomaly_view,
    attempt_view,
    audit_entries,
    channels_to_json,
    ledger_line_view,
    ledger_lines,
    payment_summary,
    put_channel_settings,
)
from oms.store.transactions import Transaction, TransactionCancelled

log = logging.getLogger(__name__)

ORDER_ID_LENGTH = 26  # a ULID; a payment id is the order id + a 2-digit attempt number
MAX_ATTEMPTS = 99


class ConcurrentChange(Exception):
    """The order moved between our read and our write: read again and decide again."""


def payment_id_for(order_id: str, attempt_number: int) -> str:
    return f"{order_id}{attempt_number:02d}"


def order_id_of(payment_id: str) -> str:
    if len(payment_id) != ORDER_ID_LENGTH + 2 or not payment_id[-2:].isdigit():
        raise CallbackRejected("payment reference is not one of ours")
    return payment_id[:ORDER_ID_LENGTH]


class PaymentService:
    def __init__(
        self,
        orders: OrderRepository,
        reads: PaymentReads,
        providers: Callable[[PaymentMethod], PaymentProvider],
        *,
        bank_transfer_review_seconds: int,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.orders = orders
        self.reads = reads
        self.providers = providers
        self.bank_transfer_review_seconds = bank_transfer_review_seconds
        self.clock = clock

    def _now(self) -> str:
        return to_rfc3339(self.clock())

    def _order_of(self, actor: Actor, order_id: str) -> OrderRecord:
        record = self.orders.get_order(order_id)
        if record is None:
            raise NotFound(f"order {order_id} not found")
        if actor.can(Permission.ORDER_READ_ANY) or record.header.customerId == actor.subject:
            return record
        raise NotFound(f"order {order_id} not found")

    # ---------------------------------------------------------------- pay
    def create_payment(
        self, actor: Actor, order_id: str, method: PaymentMethod, *, idempotency_key: str, fingerprint: str
    ) -> tuple[int, dict[str, Any], bool]:
        """A payment attempt for the order's outstanding amount; balance pays at once."""
        if not actor.can(Permission.PAYMENT_CREATE):
            raise Forbidden("only the shopper pays their order")
        record = self._order_of(actor, order_id)
        if record.header.customerId != actor.subject:
            raise NotFound(f"order {order_id} not found")
        header = record.header
        settings, balance, stored = self.reads.payment_context(
            [str(s) for s in header.storeIds], actor.subject, (actor.subject, idempotency_key)
        )
        if stored is not None:
            if stored.request_hash != fingerprint:
                raise IdempotencyKeyReused("this Idempotency-Key was used with a different request body")
            return stored.status_code, stored.body, True
        if record.status is not OrderStatus.PENDING_PAYMENT:
            raise OrderNotPayable(f"the order is {record.status.value}; only PENDING_PAYMENT orders are paid")
        total = header.total.money()
        received, refunded = order_money(ledger_lines(record), order_id, total.currency)
        outstanding = total - (received - refunded)
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
        try:
            if method is PaymentMethod.BALANCE:
                return self._pay_with_balance(
                    actor, record, payment_id, amount, fee, balance is not None, idempotency_key, fingerprint, now
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
    ) -> tuple[int, dict[str, Any], bool]:
        header = record.header
        provider = self.providers(method)
        instructions = provider.instructions(payment_id, header.orderNumber, amount, f"Order {header.orderNumber}")
        status = AttemptStatus.PENDING if method is PaymentMethod.BANK_TRANSFER else AttemptStatus.CREATED
        attempt = self._attempt_item(
            record, payment_id, method, status, amount, outstanding, surcharge, fee, instructions.data, now
        )
        tx = Transaction()
        tx.put("attempt", attempt, PaymentAttemptItem.PK.does_not_exist())
        deadline = header.paymentDeadline
        if method is PaymentMethod.BANK_TRANSFER:
            # The order waits while the transfer is under review: its deadline moves out.
            extended = to_rfc3339_seconds(self.clock() + timedelta(seconds=self.bank_transfer_review_seconds))
            deadline = max(deadline, extended)
            add_deadline_change(tx, header, deadline, now)
        else:
            add_order_guard(tx, header)
        body = {**attempt_view(attempt), "paymentDeadline": deadline}
        add_idempotency(tx, actor.subject, idempotency_key, fingerprint, 201, body, now)
        self._commit(tx)
        return 201, body, False

    def _attempt_item(
        self,
        record: OrderRecord,
        payment_id: str,
        method: PaymentMethod,
        status: AttemptStatus,
        amount: Money,
        goods: Money,
        surcharge: Money,
        fee: Money,
        instructions: dict[str, Any],
        now: str,
    ) -> PaymentAttemptItem:
        from oms.store.models import MoneyAttribute

        return PaymentAttemptItem(
            keys.order_pk(record.header.orderId),
            keys.payment_sk(payment_id),
            paymentId=payment_id,
            orderId=record.header.orderId,
            customerId=record.header.customerId,
            method=method.value,
            status=status.value,
            amount=MoneyAttribute.of(amount),
            goodsAmount=MoneyAttribute.of(goods),
            surcharge=MoneyAttribute.of(surcharge),
            fee=MoneyAttribute.of(fee),
            instructions=instructions,
            createdAt=now,
            updatedAt=now,
            version=1,
        )

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
    ) -> tuple[int, dict[str, Any], bool]:
        """Debit the balance and pay the order in ONE transaction; not enough balance → 409, nothing written."""
        if not has_account:
            raise InsufficientBalance("your balance is empty", available=0)
        header = record.header
        attempt = self._attempt_item(
            record,
            payment_id,
            PaymentMethod.BALANCE,
            AttemptStatus.SUCCEEDED,
            amount,
            amount,
            Money.zero(amount.currency),
            fee,
            {"method": "balance"},
            now,
        )
        tx = Transaction()
        tx.put("attempt", attempt, PaymentAttemptItem.PK.does_not_exist())
        add_balance_change(tx, actor.subject, -amount.amount, amount.currency, now, exists=True)
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
            self._commit(tx)
        except TransactionCancelled as cancelled:
            if cancelled.failed(lambda label: label == "balance"):
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
        add_order_move(tx, header, change, detail_type="OrderPaid", extra={"paymentId": attempt_payment_id})
        add_stock_sale(tx, record.lines, now, from_available=revive)
        add_children_to_warehouse_queues(tx, record, now)
        add_postings(
            tx,
            payment_postings(method, header.orderId, goods, fee, surcharge, payer_account=payer_account),
            now,
            pk=header.PK,
            order_id=header.orderId,
            payment_id=attempt_payment_id,
            by=actor.subject,
        )

    @staticmethod
    def _commit(tx: Transaction) -> None:
        try:
            tx.commit()
        except TransactionCancelled as cancelled:
            if cancelled.failed(lambda label: label == "idempotency"):
                raise IdempotencyKeyInUse("another request with this Idempotency-Key is in flight") from cancelled
            if cancelled.failed(lambda label: label in ("order", "attempt")):
                raise ConcurrentChange from cancelled
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
        raise RuntimeError("the order kept changing while applying a payment notice")

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
            record.header.status, AttemptStatus(attempt.status), expected, notice.amount
        )
        outcome = outcome_kind.value
        add_inbox(
            tx, provider, notice.event_id, payment_id=attempt.paymentId, order_id=order_id, outcome=outcome, now=now
        )
        if outcome_kind is SuccessOutcome.ALREADY_APPLIED:
            return self._commit_notice(tx, outcome)
        check_attempt_transition(AttemptStatus(attempt.status), AttemptStatus.SUCCEEDED)
        exact = outcome_kind in (SuccessOutcome.PAY_ORDER, SuccessOutcome.REVIVE_OR_REFUND)
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

        if outcome_kind is SuccessOutcome.REVIVE_OR_REFUND and _took_benefits(record):
            # The cancel gave its coupons, points and balance back; reviving would need them again.
            return self._record_and_refund(
                record,
                attempt,
                notice,
                AnomalyType.PAID_AFTER_CANCEL,
                actor,
                "paid after cancel: the order's coupons, points or balance were returned, refunding",
            )

        if outcome_kind is SuccessOutcome.REVIVE_OR_REFUND:
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
            add_anomaly(
                tx,
                anomaly_type=anomaly_type.value,
                order_id=order_id,
                payment_id=attempt.paymentId,
                expected=expected,
                received=notice.amount,
                status=AnomalyStatus.RESOLVED,
                note="paid after cancel: stock re-reserved and the payment accepted",
                refund=None,
                now=now,
            )
            try:
                return self._commit_notice(tx, outcome)
            except TransactionCancelled as cancelled:
                if not cancelled.failed(lambda label: isinstance(label, tuple) and label[0] == "stock"):
                    raise
            # Not enough stock any more: keep the money on record and give it back.
            return self._record_and_refund(
                record,
                attempt,
                notice,
                AnomalyType.PAID_AFTER_CANCEL,
                actor,
                "paid after cancel: stock is gone, refunding",
            )

        assert anomaly_type is not None
        if outcome_kind is SuccessOutcome.HOLD:
            self._received_money_postings(tx, record, attempt, notice, actor, now)
            if record.status is OrderStatus.PENDING_PAYMENT:
                change = StatusChange(record.status, OrderStatus.ON_HOLD, actor, now, anomaly_type.value.lower())
                add_order_move(tx, record.header, change, detail_type="OrderOnHold")
            else:
                add_order_guard(tx, record.header)
            add_anomaly(
                tx,
                anomaly_type=anomaly_type.value,
                order_id=order_id,
                payment_id=attempt.paymentId,
                expected=expected,
                received=notice.amount,
                status=AnomalyStatus.OPEN,
                note=f"expected {expected.display()}, received {notice.amount.display()}; order held",
                refund=None,
                now=now,
            )
            return self._commit_notice(tx, outcome)

        note = (
            "order already paid: refunding this duplicate payment"
            if outcome_kind is SuccessOutcome.DUPLICATE_REFUND
            else "order was cancelled and this payment cannot be accepted: refunding"
        )
        return self._record_and_refund(record, attempt, notice, anomaly_type, actor, note)

    def _received_money_postings(
        self,
        tx: Transaction,
        record: OrderRecord,
        attempt: PaymentAttemptItem,
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
            pk=record.header.PK,
            order_id=record.header.orderId,
            payment_id=attempt.paymentId,
            by=actor.subject,
        )

    def _record_and_refund(
        self,
        record: OrderRecord,
        attempt: PaymentAttemptItem,
        notice: ProviderNotice,
        anomaly_type: AnomalyType,
        actor: Actor,
        note: str,
    ) -> str:
        """Record the money, open a case and a refund in one transaction; then refund through the provider."""
        now = self._now()
        refund_id = f"RF{attempt.paymentId}"
        tx = Transaction()
        add_inbox(
            tx,
            notice.provider.value,
            notice.event_id,
            payment_id=attempt.paymentId,
            order_id=record.header.orderId,
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
        add_order_guard(tx, record.header)
        self._received_money_postings(tx, record, attempt, notice, actor, now)
        refund = add_refund(
            tx,
            refund_id=refund_id,
            order_id=record.header.orderId,
            payment_id=attempt.paymentId,
            method=attempt.method,
            amount=notice.amount,
            reason=anomaly_type.value.lower(),
            now=now,
        )
        anomaly = add_anomaly(
            tx,
            anomaly_type=anomaly_type.value,
            order_id=record.header.orderId,
            payment_id=attempt.paymentId,
            expected=attempt.amount.money(),
            received=notice.amount,
            status=AnomalyStatus.OPEN,
            note=note,
            refund={"refundId": refund_id, "status": "PENDING"},
            now=now,
        )
        self._commit_notice(tx, "refund")
        self.settle_refund(
            record.header.orderId, refund, notice.provider_reference, anomaly, payment_total=notice.amount
        )
        return "refund"

    def settle_refund(
        self,
        order_id: str,
        refund: RefundItem,
        provider_reference: str | None,
        anomaly: AnomalyItem | None,
        *,
        payment_total: Money,
    ) -> str:
        """Ask the provider to refund (idempotent by refund id) and book the result. A failure leaves
        the refund PENDING and the case OPEN: visible and retryable (POST .../sync retries it)."""
        method = PaymentMethod(refund.method)
        try:
            result = self.providers(method).refund(
                refund.paymentId, provider_reference or "", refund.refundId, refund.amount.money(), payment_total
            )
        except Exception:  # the provider is unreachable or refused: stays visible for a retry
            log.exception("refund failed", extra={"refundId": refund.refundId})
            return "PENDING"
        if result.status is not NoticeStatus.SUCCEEDED:
            return result.status.value
        now = self._now()
        tx = Transaction()
        tx.update(
            "refund",
            RefundItem(refund.PK, refund.SK),
            [
                RefundItem.status.set("SUCCEEDED"),
                RefundItem.providerReference.set(result.provider_reference),
                RefundItem.updatedAt.set(now),
            ],
            RefundItem.status == "PENDING",
        )
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
        )
        if anomaly is not None:
            tx.update(
                "anomaly",
                AnomalyItem(anomaly.PK, anomaly.SK),
                [
                    AnomalyItem.status.set(AnomalyStatus.RESOLVED.value),
                    AnomalyItem.GSI3PK.set(keys.anomalies_by_status_gsi3(AnomalyStatus.RESOLVED.value)),
                    AnomalyItem.refund.set({"refundId": refund.refundId, "status": "SUCCEEDED"}),
                    AnomalyItem.notes.set(
                        [*anomaly.notes, {"at": now, "by": "system", "note": "refunded automatically"}]
                    ),
                    AnomalyItem.updatedAt.set(now),
                    AnomalyItem.version.set(int(anomaly.version) + 1),
                ],
                AnomalyItem.version == int(anomaly.version),
            )
        try:
            tx.commit()
        except TransactionCancelled:
            return "SUCCEEDED"  # already booked by a concurrent settle
        return "SUCCEEDED"

    @staticmethod
    def _commit_notice(tx: Transaction, outcome: str) -> str:
        try:
            tx.commit()
        except TransactionCancelled as cancelled:
            if cancelled.failed(lambda label: label == "inbox"):
                return "duplicate"  # this exact notice was applied before: acknowledge, change nothing
            if cancelled.failed(lambda label: label in ("order", "attempt")):
                raise ConcurrentChange from cancelled
            raise
        return outcome

    # ---------------------------------------------------------------- review and sync
    def review(
        self, actor: Actor, order_id: str, payment_id: str, *, approve: bool, reason: str | None
    ) -> dict[str, Any]:
        if not actor.can(Permission.PAYMENT_REVIEW):
            raise Forbidden("bank transfers are reviewed by finance")
        record = self._order_of(actor, order_id)
        attempt = _attempt(record, payment_id)
        if attempt.method != PaymentMethod.BANK_TRANSFER.value:
            raise InvalidRequest("only bank transfers are reviewed", field="paymentId")
        if reviewed_by(attempt, actor, approve=approve, reason=reason):  # retried after its answer was lost
            return {**attempt_view(attempt), "order": order_view(record)}
        if attempt.status != AttemptStatus.PENDING.value:
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
            add_order_guard(tx, record.header)
            self._commit(tx)
        updated = self.orders.get_order(order_id)
        assert updated is not None
        return {**attempt_view(_attempt(updated, payment_id)), "order": order_view(updated)}

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
        for refund in record.refunds:
            if refund.status == "PENDING" and refund.paymentId == payment_id:
                anomaly = next(
                    (a for a in self.reads.anomaly_items_of_order(order_id) if a.paymentId == payment_id), None
                )
                received = attempt.received.money() if attempt.received else attempt.amount.money()
                self.settle_refund(order_id, refund, attempt.providerReference, anomaly, payment_total=received)
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
        page: Page[dict[str, Any]] = self.reads.account_lines(balance_account(customer_id), limit, cursor)
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
        if stored is not None:
            if stored.request_hash != fingerprint:
                raise IdempotencyKeyReused("this Idempotency-Key was used with a different request body")
            return stored.status_code, stored.body, True
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
        add_balance_change(tx, customer_id, delta, amount.currency, now, exists=account is not None)
        posting = (
            transfer(PostingKind.BALANCE_ADJUSTMENT, ADJUSTMENTS, balance_account(customer_id), amount, reason)
            if credit
            else transfer(PostingKind.BALANCE_ADJUSTMENT, balance_account(customer_id), ADJUSTMENTS, amount, reason)
        )
        add_postings(
            tx, [posting], now, pk=keys.balance_pk(customer_id), order_id=None, payment_id=None, by=actor.subject
        )
        before = int(account.available) if account else 0
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
            if cancelled.failed(lambda label: label == "balance"):
                raise InsufficientBalance("the balance changed; it no longer covers this debit") from cancelled
            raise
        return 201, body, False

    # ---------------------------------------------------------------- anomalies
    def anomalies(
        self, actor: Actor, status: AnomalyStatus, limit: int | None, cursor: str | None
    ) -> Page[dict[str, Any]]:
        if not actor.can(Permission.ANOMALY_MANAGE):
            raise Forbidden("abnormal payments are handled by staff")
        return self.reads.anomalies(status, limit, cursor)

    def resolve_anomaly(self, actor: Actor, anomaly_id: str, note: str) -> dict[str, Any]:
        if not actor.can(Permission.ANOMALY_MANAGE):
            raise Forbidden("abnormal payments are handled by staff")
        anomaly = self.reads.anomaly(anomaly_id)
        if anomaly is None:
            raise NotFound(f"anomaly {anomaly_id} not found")
        if resolved_by(anomaly, actor, note):  # retried after its answer was lost
            return anomaly_view(anomaly)
        if anomaly.status == AnomalyStatus.RESOLVED.value:
            raise OrderNotPayable("this case is already resolved")
        now = self._now()
        notes = [*anomaly.notes, {"at": now, "by": actor.subject, "note": note}]
        tx = Transaction()  # one conditional write, re-sent by the store when it loses a race
        tx.update(
            "anomaly",
            AnomalyItem(anomaly.PK, anomaly.SK),
            [
                AnomalyItem.status.set(AnomalyStatus.RESOLVED.value),
                AnomalyItem.GSI3PK.set(keys.anomalies_by_status_gsi3(AnomalyStatus.RESOLVED.value)),
                AnomalyItem.notes.set(notes),
                AnomalyItem.updatedAt.set(now),
                AnomalyItem.version.set(int(anomaly.version) + 1),
            ],
            AnomalyItem.version == int(anomaly.version),
        )
        tx.commit()
        resolved = self.reads.anomaly(anomaly_id)
        assert resolved is not None
        return anomaly_view(resolved)

    # ---------------------------------------------------------------- channel settings
    def channel_settings(self, actor: Actor, store_id: str) -> dict[str, Any]:
        if not actor.can(Permission.PAYMENT_SETTINGS):
            raise Forbidden("payment settings are for admin and finance")
        channels, version = self.reads.channel_settings(store_id)
        return {
            "storeId": store_id,
            "channels": channels_to_json(channels),
            "version": version,
            "audit": audit_entries(f"SETTINGS#PAYMENT_CHANNELS#{store_id}", 20),
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


def _took_benefits(record: OrderRecord) -> bool:
    """Whether checkout took coupons, points or balance for this order."""
    benefits = record.header.benefits or {}
    balance = benefits.get("balance") or {}
    return bool(benefits.get("coupons") or benefits.get("pointsDebited") or balance.get("amount"))


def _attempt(record: OrderRecord, payment_id: str) -> PaymentAttemptItem:
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
