"""Payment items and the pieces of payment transactions.

The payment use cases compose ONE `Transaction` per state change out of these pieces (inbox row,
attempt move, order move, stock moves, ledger lines, anomaly, refund, balance debit, idempotency
record), so every combination keeps the same conditions.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from oms.domain.clock import parse_rfc3339
from oms.domain.ids import new_id
from oms.domain.money import Money
from oms.domain.order import OrderStatus
from oms.domain.payment import (
    DEFAULT_CHANNELS,
    AnomalyStatus,
    ChannelSettings,
    FeeBearer,
    LatePaymentPolicy,
)
from oms.domain.permissions import Actor
from oms.domain.refunds import ACTIVE_REFUNDS, RefundRoute, RefundStatus, refund_id_for
from oms.domain.stock import MovementKind, StockMove
from oms.store import keys
from oms.store.audit import add_audit
from oms.store.due import due_index_actions, refund_due_actions
from oms.store.ledger import add_refund
from oms.store.models import (
    AnomalyItem,
    BalanceAccountItem,
    ChannelSettingsItem,
    ChildOrderItem,
    CouponItem,
    IdempotencyItem,
    InboxItem,
    Item,
    LedgerLineItem,
    MoneyAttribute,
    OrderItem,
    PaymentAttemptItem,
    RefundItem,
    StockItem,
    StoreItem,
)
from oms.store.orders import IDEMPOTENCY_TTL
from oms.store.pages import Page, clamp_limit, decode_cursor, encode_cursor
from oms.store.records import (
    AnomalyRecord,
    AttemptRecord,
    BalanceRecord,
    ChildRecord,
    HeaderRecord,
    LedgerLineRecord,
    LineRecord,
    MoneyRecord,
    OrderRecord,
    RefundRecord,
    StoredResponse,
)
from oms.store.rows import anomaly_record, balance_record, item_of, ledger_line_record, refund_record
from oms.store.stock import add_stock_update
from oms.store.transactions import Part, Transaction

INBOX_TTL = timedelta(days=90)


# ---------------------------------------------------------------- views
# ---------------------------------------------------------------- transaction pieces
def add_inbox(
    tx: Transaction, provider: str, event_id: str, *, payment_id: str | None, order_id: str, outcome: str, now: str
) -> None:
    tx.put(
        Part.INBOX,
        InboxItem(
            *keys.inbox(provider, event_id),
            provider=provider,
            eventId=event_id,
            paymentId=payment_id,
            orderId=order_id,
            outcome=outcome,
            receivedAt=now,
            expiresAt=parse_rfc3339(now) + INBOX_TTL,
        ),
        InboxItem.PK.does_not_exist(),
    )


def add_attempt_move(
    tx: Transaction,
    attempt: AttemptRecord,
    status: str,
    now: str,
    *,
    received: Money | None = None,
    provider_reference: str | None = None,
    review: dict[str, Any] | None = None,
) -> None:
    actions = [
        PaymentAttemptItem.status.set(status),
        PaymentAttemptItem.updatedAt.set(now),
        PaymentAttemptItem.version.set(int(attempt.version) + 1),
    ]
    if received is not None:
        actions.append(PaymentAttemptItem.received.set(MoneyAttribute.of(received)))
    if provider_reference:
        actions.append(PaymentAttemptItem.providerReference.set(provider_reference))
    if review is not None:
        actions.append(PaymentAttemptItem.review.set(review))
    tx.update(
        Part.ATTEMPT,
        PaymentAttemptItem(keys.order_pk(attempt.orderId), keys.payment_sk(attempt.paymentId)),
        actions,
        (PaymentAttemptItem.status == attempt.status) & (PaymentAttemptItem.version == int(attempt.version)),
    )


def add_order_guard(tx: Transaction, header: HeaderRecord) -> None:
    """The order must still be as we read it (no move, but the decision depended on it)."""
    tx.check(
        Part.ORDER,
        OrderItem(keys.order_pk(header.orderId), keys.ORDER_META),
        (OrderItem.status == header.status) & (OrderItem.version == int(header.version)),
    )


def add_deadline_change(tx: Transaction, header: HeaderRecord, deadline: str, now: str) -> None:
    """The payment deadline moves (bank transfer under review): the timer waits again, and the order's
    entry in the deadline index moves with it, so the sweeper leaves it alone until then."""
    version = int(header.version)
    tx.update(
        Part.ORDER,
        OrderItem(keys.order_pk(header.orderId), keys.ORDER_META),
        [
            OrderItem.paymentDeadline.set(deadline),
            *due_index_actions(OrderStatus(header.status), header, payment_deadline=deadline),
            OrderItem.updatedAt.set(now),
            OrderItem.version.set(version + 1),
        ],
        (OrderItem.status == header.status) & (OrderItem.version == version),
    )


def add_stock_sale(
    tx: Transaction, lines: list[LineRecord], now: str, *, from_available: bool, by: str, reason: str = "paid"
) -> None:
    """Paid: reserved → sold (normal), or available → sold (re-reserving a cancelled order's stock).
    Lines whose store deducts at order were sold at checkout: nothing to move for them then.
    `by`: who the payment's movement is by (`oms.store.stock.mover`)."""
    for line in lines:
        if not from_available and line.stockState == "SOLD":
            continue
        quantity = int(line.quantity)
        source = StockItem.available if from_available else StockItem.reserved
        add_stock_update(
            tx,
            line.skuId,
            [source.add(-quantity), StockItem.sold.add(quantity)],
            source >= quantity,
            StockMove(MovementKind.SALE, by, {"orderId": line.orderId}, reason),
            now,
        )


def add_anomaly(
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
    """A case about money that did not fit (its `PaymentAnomaly` event is the caller's: `add_event`)."""
    anomaly_id = anomaly_id or new_id()
    order_id = header.orderId
    refund_ref = None if refund is None else {"refundId": refund.refundId, "status": refund.status}
    item = AnomalyItem(
        *keys.anomaly(anomaly_id),
        GSI1PK=keys.anomalies_by_order_gsi1(order_id),
        GSI1SK=now,
        GSI3PK=keys.anomalies_by_status_gsi3(status.value),
        GSI3SK=f"{now}#{anomaly_id}",
        anomalyId=anomaly_id,
        anomalyType=anomaly_type,
        orderId=order_id,
        paymentId=payment_id,
        expected=MoneyAttribute.of(expected),
        received=MoneyAttribute.of(received),
        status=status.value,
        notes=[{"at": now, "by": "system", "note": note}],
        refund=refund_ref,
        createdAt=now,
        updatedAt=now,
        version=1,
    )
    tx.put(Part.ANOMALY, item, AnomalyItem.PK.does_not_exist())
    return anomaly_record(item)


def new_attempt(
    header: HeaderRecord,
    payment_id: str,
    *,
    method: str,
    status: str,
    amount: Money,
    goods: Money,
    surcharge: Money,
    fee: Money,
    instructions: dict[str, Any],
    now: str,
    deadline_before: str | None = None,
) -> AttemptRecord:
    """A payment attempt of the order, not yet written (`add_new_attempt`)."""
    return AttemptRecord(
        paymentId=payment_id,
        orderId=header.orderId,
        customerId=header.customerId,
        method=method,
        status=status,
        amount=MoneyRecord.of(amount),
        goodsAmount=MoneyRecord.of(goods),
        surcharge=MoneyRecord.of(surcharge),
        fee=MoneyRecord.of(fee),
        received=None,
        providerReference=None,
        instructions=instructions,
        review=None,
        deadlineBefore=deadline_before,
        closeOutcome=None,
        closure=None,
        createdAt=now,
        updatedAt=now,
        version=1,
    )


def add_new_attempt(tx: Transaction, attempt: AttemptRecord) -> None:
    item = item_of(PaymentAttemptItem, attempt, keys.order_pk(attempt.orderId), keys.payment_sk(attempt.paymentId))
    tx.put(Part.ATTEMPT, item, PaymentAttemptItem.PK.does_not_exist())


def add_attempt_closure(tx: Transaction, attempt: AttemptRecord, outcome: str, closure: dict[str, Any]) -> None:
    """What the provider said when asked to close the attempt; written once, unless it was an ERROR."""
    tx.update(
        Part.ATTEMPT,
        PaymentAttemptItem(keys.order_pk(attempt.orderId), keys.payment_sk(attempt.paymentId)),
        [PaymentAttemptItem.closeOutcome.set(outcome), PaymentAttemptItem.closure.set(closure)],
        PaymentAttemptItem.closeOutcome.does_not_exist() | (PaymentAttemptItem.closeOutcome == "ERROR"),
    )


def _refund_unchanged(refund: RefundRecord) -> Condition:
    unchanged: Condition = (RefundItem.status == refund.status) & (RefundItem.updatedAt == refund.updatedAt)
    return unchanged


def _add_refund_update(tx: Transaction, refund: RefundRecord, actions: Sequence[Action], condition: Condition) -> None:
    tx.update(
        Part.REFUND, RefundItem(keys.order_pk(refund.orderId), keys.refund_sk(refund.refundId)), actions, condition
    )


def add_refund_settled(tx: Transaction, order_id: str, refund: RefundRecord, provider_reference: str, now: str) -> None:
    """The provider paid the refund back: SUCCEEDED, out of the deadline index (once: from an active status)."""
    actions = [
        RefundItem.status.set(RefundStatus.SUCCEEDED.value),
        RefundItem.providerReference.set(provider_reference),
        RefundItem.updatedAt.set(now),
        *refund_due_actions(order_id, refund.refundId, None),
    ]
    _add_refund_update(tx, refund, actions, RefundItem.status.is_in(*ACTIVE_REFUNDS))


def add_refund_failure_counted(
    tx: Transaction, order_id: str, refund: RefundRecord, *, failures: int, error: str, next_try: str, now: str
) -> None:
    """The provider did not take the refund this time: counted, and asked again at `next_try`."""
    actions = [
        RefundItem.failures.set(failures),
        RefundItem.lastError.set(error),
        RefundItem.updatedAt.set(now),
        *refund_due_actions(order_id, refund.refundId, next_try),
    ]
    _add_refund_update(tx, refund, actions, _refund_unchanged(refund))


def add_refund_processing(
    tx: Transaction, order_id: str, refund: RefundRecord, provider_reference: str, *, next_try: str, now: str
) -> None:
    """The provider accepted the refund and pays it out later: PROCESSING, asked again at `next_try`."""
    actions = [
        RefundItem.status.set(RefundStatus.PROCESSING.value),
        RefundItem.updatedAt.set(now),
        *refund_due_actions(order_id, refund.refundId, next_try),
    ]
    if provider_reference:
        actions.append(RefundItem.providerReference.set(provider_reference))
    _add_refund_update(tx, refund, actions, _refund_unchanged(refund))


def add_refund_refused(tx: Transaction, order_id: str, refund: RefundRecord, *, reason: str, by: str, now: str) -> None:
    """The refund cannot go back this way: FAILED with the reason, out of the deadline index, into the
    finance queue (GSI2 `REFUNDS#FAILED`) until staff move it on."""
    actions = [
        RefundItem.status.set(RefundStatus.FAILED.value),
        RefundItem.failure.set({"at": now, "reason": reason, "by": by}),
        RefundItem.lastError.set(reason),
        RefundItem.updatedAt.set(now),
        *refund_due_actions(order_id, refund.refundId, None),
        RefundItem.GSI2PK.set(keys.FAILED_REFUNDS_GSI2),
        RefundItem.GSI2SK.set(keys.failed_refund_gsi2sk(now, order_id, refund.refundId)),
    ]
    _add_refund_update(tx, refund, actions, _refund_unchanged(refund))


def _out_of_failed_queue() -> list[Action]:
    return [RefundItem.GSI2PK.remove(), RefundItem.GSI2SK.remove()]


def _refund_still_failed(refund: RefundRecord) -> Condition:
    failed: Condition = (RefundItem.status == RefundStatus.FAILED.value) & (RefundItem.updatedAt == refund.updatedAt)
    return failed


def add_refund_asked_again(
    tx: Transaction, order_id: str, refund: RefundRecord, *, resolution: dict[str, Any], retries: int, now: str
) -> None:
    """Staff send a refused refund to its provider again: PENDING, due now."""
    actions = [
        RefundItem.resolution.set(resolution),
        RefundItem.updatedAt.set(now),
        RefundItem.status.set(RefundStatus.PENDING.value),
        RefundItem.retries.set(retries),
        RefundItem.pendingSince.set(now),
        *refund_due_actions(order_id, refund.refundId, now),
        *_out_of_failed_queue(),
    ]
    _add_refund_update(tx, refund, actions, _refund_still_failed(refund))


def add_refund_paid_elsewhere(
    tx: Transaction,
    refund: RefundRecord,
    *,
    resolution: dict[str, Any],
    route: RefundRoute,
    reference: str | None,
    now: str,
) -> None:
    """Staff paid a refused refund back another way (the balance, or by hand): SUCCEEDED by that route."""
    actions = [
        RefundItem.resolution.set(resolution),
        RefundItem.updatedAt.set(now),
        RefundItem.status.set(RefundStatus.SUCCEEDED.value),
        RefundItem.route.set(route.value),
        *_out_of_failed_queue(),
    ]
    if reference:
        actions.append(RefundItem.providerReference.set(reference))
    _add_refund_update(tx, refund, actions, _refund_still_failed(refund))


def add_idempotency(
    tx: Transaction, subject: str, key: str, request_hash: str, status: int, body: dict[str, Any], now: str
) -> None:
    tx.put(
        Part.IDEMPOTENCY,
        IdempotencyItem(
            *keys.idempotency(subject, key),
            requestHash=request_hash,
            statusCode=status,
            responseBody=json.dumps(body, separators=(",", ":")),
            createdAt=now,
            expiresAt=parse_rfc3339(now) + IDEMPOTENCY_TTL,
        ),
        IdempotencyItem.PK.does_not_exist(),
    )


# ---------------------------------------------------------------- reads
class PaymentReads:
    def payment_context(
        self, store_ids: list[str], customer_id: str, idempotency: tuple[str, str] | None
    ) -> tuple[dict[str, dict[str, ChannelSettings]], BalanceRecord | None, StoredResponse | None]:
        """Channel settings of the stores, the customer's balance account and a stored response: one read."""
        wanted = [keys.channel_settings(s) for s in store_ids]
        wanted.append((keys.balance_pk(customer_id), keys.BALANCE_ACCOUNT_SK))
        if idempotency:
            wanted.append(keys.idempotency(*idempotency))
        settings = {s: dict(DEFAULT_CHANNELS) for s in store_ids}
        balance: BalanceRecord | None = None
        stored: StoredResponse | None = None
        for item in Item.batch_get(wanted, consistent_read=True):
            if isinstance(item, ChannelSettingsItem):
                settings[item.storeId] = channels_from_json(item.channels)
            elif isinstance(item, BalanceAccountItem):
                balance = balance_record(item)
            elif isinstance(item, IdempotencyItem):
                stored = StoredResponse(item.requestHash, int(item.statusCode), json.loads(item.responseBody))
        return settings, balance, stored

    def channel_settings(self, store_id: str) -> tuple[dict[str, ChannelSettings], int]:
        try:
            item = ChannelSettingsItem.get(*keys.channel_settings(store_id), consistent_read=True)
        except DoesNotExist:
            return dict(DEFAULT_CHANNELS), 0
        return channels_from_json(item.channels), int(item.version)

    def balance(self, customer_id: str) -> BalanceRecord | None:
        try:
            item = BalanceAccountItem.get(keys.balance_pk(customer_id), keys.BALANCE_ACCOUNT_SK, consistent_read=True)
        except DoesNotExist:
            return None
        return balance_record(item)

    def account_lines(self, account: str, limit: int | None, cursor: str | None) -> Page[LedgerLineRecord]:
        partition = keys.account_gsi2(account)
        results = Item.gsi2.query(
            partition,
            scan_index_forward=False,
            limit=clamp_limit(limit),
            last_evaluated_key=decode_cursor(cursor, partition_attr="GSI2PK", partition_value=partition),
        )
        items = [ledger_line_record(i) for i in results if isinstance(i, LedgerLineItem)]
        return Page(items, encode_cursor(results.last_evaluated_key))

    def anomaly(self, anomaly_id: str) -> AnomalyRecord | None:
        try:
            item = AnomalyItem.get(*keys.anomaly(anomaly_id), consistent_read=True)
        except DoesNotExist:
            return None
        return anomaly_record(item)

    def anomalies(self, status: AnomalyStatus, limit: int | None, cursor: str | None) -> Page[AnomalyRecord]:
        partition = keys.anomalies_by_status_gsi3(status.value)
        results = Item.gsi3.query(
            partition,
            scan_index_forward=False,
            limit=clamp_limit(limit),
            last_evaluated_key=decode_cursor(cursor, partition_attr="GSI3PK", partition_value=partition),
        )
        items = [anomaly_record(i) for i in results if isinstance(i, AnomalyItem)]
        return Page(items, encode_cursor(results.last_evaluated_key))

    def anomaly_items_of_order(self, order_id: str) -> list[AnomalyRecord]:
        items = Item.gsi1.query(keys.anomalies_by_order_gsi1(order_id))
        return [anomaly_record(i) for i in items if isinstance(i, AnomalyItem)]

    @staticmethod
    def late_payment_policies(store_ids: list[str]) -> dict[str, LatePaymentPolicy]:
        """Each store's `latePaymentPolicy` (one BatchGetItem; a store without one refunds). Read only when
        money arrives for an order the payment timeout cancelled."""
        policies = {store_id: LatePaymentPolicy.REFUND for store_id in store_ids}
        for item in Item.batch_get([keys.store(s) for s in dict.fromkeys(store_ids)], consistent_read=True):
            if isinstance(item, StoreItem) and item.latePaymentPolicy:
                policies[item.storeId] = LatePaymentPolicy(item.latePaymentPolicy)
        return policies


def channels_to_json(channels: dict[str, ChannelSettings]) -> dict[str, Any]:
    return {
        method: {
            "enabled": c.enabled,
            "minAmount": c.min_amount,
            "maxAmount": c.max_amount,
            "feeRateBps": c.fee_rate_bps,
            "feeBearer": c.fee_bearer.value,
        }
        for method, c in sorted(channels.items())
    }


def channels_from_json(data: dict[str, Any]) -> dict[str, ChannelSettings]:
    return {
        method: ChannelSettings(
            method,
            bool(c["enabled"]),
            int(c["minAmount"]),
            int(c["maxAmount"]),
            int(c["feeRateBps"]),
            FeeBearer(c["feeBearer"]),
        )
        for method, c in data.items()
    }


def put_channel_settings(
    store_id: str,
    channels: dict[str, ChannelSettings],
    *,
    expected_version: int,
    actor: Actor,
    reason: str | None,
    before: dict[str, Any],
    now: str,
) -> int:
    """Replace a store's channel settings (version-conditional) with an audit entry, in one transaction."""
    tx = Transaction()
    item = ChannelSettingsItem(
        *keys.channel_settings(store_id),
        storeId=store_id,
        channels=channels_to_json(channels),
        version=expected_version + 1,
        updatedAt=now,
        updatedBy=actor.subject,
    )
    condition = (
        ChannelSettingsItem.version == expected_version if expected_version else ChannelSettingsItem.PK.does_not_exist()
    )
    tx.put(Part.SETTINGS, item, condition)
    add_audit(
        tx,
        f"SETTINGS#PAYMENT_CHANNELS#{store_id}",
        "payment-channels.update",
        actor=actor,
        now=now,
        before=before,
        after=channels_to_json(channels),
        reason=reason,
        shown_as=f"payment-channels:{store_id}",
    )
    tx.commit()
    return expected_version + 1


def add_anomaly_update(
    tx: Transaction,
    anomaly: AnomalyRecord,
    now: str,
    *,
    note: str,
    by: str,
    status: AnomalyStatus | None = None,
    refund: dict[str, Any] | None = None,
    resolution: dict[str, Any] | None = None,
) -> None:
    """A note on a case (always), and what changed with it: its status, its refund, the staff decision.
    Conditional on the case's version, so two decisions cannot both land."""
    actions = [
        AnomalyItem.notes.set([*anomaly.notes, {"at": now, "by": by, "note": note}]),
        AnomalyItem.updatedAt.set(now),
        AnomalyItem.version.set(int(anomaly.version) + 1),
    ]
    if status is not None:
        actions += [
            AnomalyItem.status.set(status.value),
            AnomalyItem.GSI3PK.set(keys.anomalies_by_status_gsi3(status.value)),
        ]
    if refund is not None:
        actions.append(AnomalyItem.refund.set(refund))
    if resolution is not None:
        actions.append(AnomalyItem.resolution.set(resolution))
    tx.update(
        (Part.ANOMALY, anomaly.anomalyId),
        AnomalyItem(*keys.anomaly(anomaly.anomalyId)),
        actions,
        AnomalyItem.version == int(anomaly.version),
    )


def add_refunds(
    tx: Transaction,
    record: OrderRecord,
    parts: Sequence[tuple[str, int]],
    *,
    reason: str,
    now: str,
    base: str | None = None,
    cases: dict[str, AnomalyRecord] | None = None,
) -> list[RefundRecord]:
    """PENDING refunds of the order, one per `(payment id, amount)` part (`oms.domain.refunds.plan_refund`),
    named `base` (default `RF<paymentId>`) with a suffix when taken, each linked to its payment's case."""
    by_id = {a.paymentId: a for a in record.payments}
    taken = [r.refundId for r in record.refunds]
    refunds = []
    for payment_id, part in parts:
        attempt = by_id[payment_id]
        case = (cases or {}).get(payment_id)
        refund_id = refund_id_for(base or f"RF{payment_id}", taken)
        taken.append(refund_id)
        refunds.append(
            add_refund(
                tx,
                refund_id=refund_id,
                order_id=record.header.orderId,
                payment_id=payment_id,
                method=attempt.method,
                amount=Money(part, record.header.currency),
                reason=reason,
                now=now,
                customer_id=record.header.customerId,
                anomaly_id=None if case is None else case.anomalyId,
            )
        )
    return refunds


# ---------------------------------------------------------------- refund requests (oms.services.refunds)
def add_refund_leg(
    tx: Transaction,
    record: OrderRecord,
    *,
    refund_id: str,
    request_id: str,
    case_id: str | None,
    payment_id: str,
    method: str,
    amount: Money,
    reason: str,
    lines: dict[str, Any],
    now: str,
    to_balance: bool = False,
    anomaly_id: str | None = None,
) -> RefundRecord:
    """One leg of a refund request: through a provider (PENDING, in the deadline index like every
    provider refund), or to the stored balance (SUCCEEDED at once, route balance; the caller books its
    ledger posting and balance credit in the same transaction)."""
    header = record.header
    if not to_balance:
        return add_refund(
            tx,
            refund_id=refund_id,
            order_id=header.orderId,
            payment_id=payment_id,
            method=method,
            amount=amount,
            reason=reason,
            now=now,
            customer_id=header.customerId,
            anomaly_id=anomaly_id,
            request={"requestId": request_id, "caseId": case_id, "lines": lines, "counted": True},
        )
    item = RefundItem(
        keys.order_pk(header.orderId),
        keys.refund_sk(refund_id),
        refundId=refund_id,
        orderId=header.orderId,
        paymentId=payment_id,
        method=method,
        amount=MoneyAttribute.of(amount),
        status=RefundStatus.SUCCEEDED.value,
        route=RefundRoute.BALANCE.value,
        reason=reason,
        customerId=header.customerId,
        createdAt=now,
        updatedAt=now,
        requestId=request_id,
        caseId=case_id,
        lines=lines,
        counted=True,
    )
    tx.put((Part.REFUND, refund_id), item, RefundItem.PK.does_not_exist())
    return refund_record(item)


def _at_most(attribute: Any, limit: int) -> Condition:
    """`attribute <= limit`, a missing attribute counting as 0 (an ADD creates it)."""
    at_most: Condition = attribute <= limit
    if limit >= 0:
        at_most = attribute.does_not_exist() | at_most
    return at_most


def add_attempt_refunded(tx: Transaction, attempt: AttemptRecord, amount: int, limit: int) -> None:
    """The payment's refunded counter grows by `amount`, only while refunded <= `limit` (what counted
    toward the order less the amount and less refunds made outside the counter): what goes back through
    a payment never exceeds what it brought, whatever the concurrency."""
    tx.update(
        (Part.ATTEMPT, attempt.paymentId),
        PaymentAttemptItem(keys.order_pk(attempt.orderId), keys.payment_sk(attempt.paymentId)),
        [PaymentAttemptItem.refunded.add(amount)],
        (PaymentAttemptItem.status == "SUCCEEDED") & _at_most(PaymentAttemptItem.refunded, limit),
    )


def add_order_refunded(tx: Transaction, header: HeaderRecord, amount: int, limit: int) -> None:
    """The order's refunded counter grows by `amount`, only while refunded <= `limit` (what the order
    received less the amount and less refunds made outside the counter). Merged into the header's update
    when the same transaction moves the order (a cancel, CLOSED)."""
    tx.update(
        Part.ORDER,
        OrderItem(keys.order_pk(header.orderId), keys.ORDER_META),
        [OrderItem.refunded.add(amount)],
        _at_most(OrderItem.refunded, limit),
    )


def add_child_refunded(tx: Transaction, child: ChildRecord, refunded: dict[str, Any], now: str) -> None:
    """The child's refunded units (and shipping), conditioned by the child's version read: units are
    never refunded twice. When the transaction already updates the child (a cancel), its condition
    holds the version and this only adds the counters."""
    label = (Part.CHILD, int(child.childNo))
    item = ChildOrderItem(keys.order_pk(child.orderId), keys.child_sk(int(child.childNo)))
    if tx.updates(item):
        tx.update(label, item, [ChildOrderItem.refunded.set(refunded)])
        return
    version = int(child.version)
    tx.update(
        label,
        item,
        [
            ChildOrderItem.refunded.set(refunded),
            ChildOrderItem.updatedAt.set(now),
            ChildOrderItem.version.set(version + 1),
        ],
        ChildOrderItem.version == version,
    )


def add_order_benefits(tx: Transaction, header: HeaderRecord, benefits: dict[str, Any]) -> None:
    """The order's benefits after a refund (points it earns less, coupons given back): merged into the
    header's update of the same transaction."""
    tx.update(Part.ORDER, OrderItem(keys.order_pk(header.orderId), keys.ORDER_META), [OrderItem.benefits.set(benefits)])


class RefundReads:
    @staticmethod
    def coupon_templates(codes: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Each coupon's template as it was issued (its validity window), by code: one BatchGetItem."""
        if not codes:
            return {}
        items = Item.batch_get([keys.coupon(code) for code in dict.fromkeys(codes)])
        return {i.code: dict(i.template) for i in items if isinstance(i, CouponItem) and i.template}

    def failed_refunds(self, limit: int | None, cursor: str | None) -> Page[RefundRecord]:
        """The finance queue: refunds their provider refused (FAILED), oldest first."""
        partition = keys.FAILED_REFUNDS_GSI2
        results = Item.gsi2.query(
            partition,
            limit=clamp_limit(limit),
            last_evaluated_key=decode_cursor(cursor, partition_attr="GSI2PK", partition_value=partition),
        )
        items = [refund_record(i) for i in results if isinstance(i, RefundItem)]
        return Page(items, encode_cursor(results.last_evaluated_key))
