"""Payment items and the pieces of payment transactions.

The payment use cases compose ONE `Transaction` per state change out of these pieces (inbox row,
attempt move, order move, stock moves, ledger lines, anomaly, refund, balance debit, idempotency
record), so every combination keeps the same conditions.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist

from oms.domain.clock import parse_rfc3339
from oms.domain.ids import new_id
from oms.domain.ledger import Line, order_money
from oms.domain.money import Money
from oms.domain.order import OrderStatus
from oms.domain.payment import DEFAULT_CHANNELS, AnomalyStatus, ChannelSettings, FeeBearer, payment_status
from oms.domain.permissions import Actor
from oms.store import keys
from oms.store.due import due_index_actions
from oms.store.models import (
    AnomalyItem,
    AuditItem,
    BalanceAccountItem,
    ChannelSettingsItem,
    IdempotencyItem,
    InboxItem,
    Item,
    LedgerLineItem,
    MoneyAttribute,
    OrderItem,
    OrderLineItem,
    PaymentAttemptItem,
    RefundItem,
    StockItem,
)
from oms.store.orders import (
    IDEMPOTENCY_TTL,
    OrderRecord,
    StoredResponse,
)
from oms.store.pages import Page, clamp_limit, decode_cursor, encode_cursor
from oms.store.transactions import Transaction

INBOX_TTL = timedelta(days=90)


# ---------------------------------------------------------------- views
def attempt_view(item: PaymentAttemptItem) -> dict[str, Any]:
    return {
        "paymentId": item.paymentId,
        "orderId": item.orderId,
        "method": item.method,
        "status": item.status,
        "amount": item.amount.money().to_dict(),
        "goodsAmount": item.goodsAmount.money().to_dict(),
        "surcharge": item.surcharge.money().to_dict(),
        "received": item.received.money().to_dict() if item.received else None,
        "providerReference": item.providerReference,
        "instructions": item.instructions,
        "review": item.review,
        "createdAt": item.createdAt,
        "updatedAt": item.updatedAt,
    }


def ledger_line_view(item: LedgerLineItem) -> dict[str, Any]:
    return {
        "postingId": item.postingId,
        "kind": item.kind,
        "account": item.account,
        "amount": item.amount.money().to_dict(),
        "memo": item.memo,
        "at": item.at,
        "orderId": item.orderId,
        "paymentId": item.paymentId,
    }


def anomaly_view(item: AnomalyItem) -> dict[str, Any]:
    return {
        "anomalyId": item.anomalyId,
        "type": item.anomalyType,
        "orderId": item.orderId,
        "paymentId": item.paymentId,
        "expected": item.expected.money().to_dict(),
        "received": item.received.money().to_dict(),
        "status": item.status,
        "notes": item.notes,
        "refund": item.refund,
        "createdAt": item.createdAt,
        "updatedAt": item.updatedAt,
    }


def refund_view(item: RefundItem) -> dict[str, Any]:
    return {
        "refundId": item.refundId,
        "paymentId": item.paymentId,
        "method": item.method,
        "amount": item.amount.money().to_dict(),
        "status": item.status,
        "reason": item.reason,
        "providerReference": item.providerReference,
        "createdAt": item.createdAt,
        "updatedAt": item.updatedAt,
    }


def ledger_lines(record: OrderRecord) -> list[Line]:
    return [Line(item.account, item.amount.money()) for item in record.ledger]


def payment_summary(record: OrderRecord) -> dict[str, Any]:
    """The order's payment picture, derived from its ledger lines (never a stored flag)."""
    total = record.header.total.money()
    received, refunded = order_money(ledger_lines(record), record.header.orderId, total.currency)
    net = received - refunded
    return {
        "status": payment_status(total, received, refunded).value,
        "received": received.to_dict(),
        "refunded": refunded.to_dict(),
        "outstanding": Money(max(total.amount - net.amount, 0), total.currency).to_dict(),
        "attempts": [attempt_view(a) for a in sorted(record.payments, key=lambda a: a.paymentId)],
        "refunds": [refund_view(r) for r in record.refunds],
    }


# ---------------------------------------------------------------- transaction pieces
def add_inbox(
    tx: Transaction, provider: str, event_id: str, *, payment_id: str | None, order_id: str, outcome: str, now: str
) -> None:
    tx.put(
        "inbox",
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
    attempt: PaymentAttemptItem,
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
        "attempt",
        PaymentAttemptItem(attempt.PK, attempt.SK),
        actions,
        (PaymentAttemptItem.status == attempt.status) & (PaymentAttemptItem.version == int(attempt.version)),
    )


def add_order_guard(tx: Transaction, header: OrderItem) -> None:
    """The order must still be as we read it (no move, but the decision depended on it)."""
    tx.check(
        "order",
        OrderItem(header.PK, header.SK),
        (OrderItem.status == header.status) & (OrderItem.version == int(header.version)),
    )


def add_deadline_change(tx: Transaction, header: OrderItem, deadline: str, now: str) -> None:
    """The payment deadline moves (bank transfer under review): the timer waits again, and the order's
    entry in the deadline index moves with it, so the sweeper leaves it alone until then."""
    version = int(header.version)
    tx.update(
        "order",
        OrderItem(header.PK, header.SK),
        [
            OrderItem.paymentDeadline.set(deadline),
            *due_index_actions(OrderStatus(header.status), header, payment_deadline=deadline),
            OrderItem.updatedAt.set(now),
            OrderItem.version.set(version + 1),
        ],
        (OrderItem.status == header.status) & (OrderItem.version == version),
    )


def add_stock_sale(tx: Transaction, lines: list[OrderLineItem], now: str, *, from_available: bool) -> None:
    """Paid: reserved → sold (normal), or available → sold (re-reserving a cancelled order's stock).
    Lines whose store deducts at order were sold at checkout: nothing to move for them then."""
    for line in lines:
        if not from_available and line.stockState == "SOLD":
            continue
        quantity = int(line.quantity)
        source = StockItem.available if from_available else StockItem.reserved
        tx.update(
            ("stock", line.skuId),
            StockItem(*keys.stock(line.skuId)),
            [source.add(-quantity), StockItem.sold.add(quantity), StockItem.updatedAt.set(now)],
            source >= quantity,
        )


def add_anomaly(
    tx: Transaction,
    *,
    anomaly_type: str,
    order_id: str,
    payment_id: str,
    expected: Money,
    received: Money,
    status: AnomalyStatus,
    note: str,
    refund: dict[str, Any] | None,
    now: str,
) -> AnomalyItem:
    anomaly_id = new_id()
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
        refund=refund,
        createdAt=now,
        updatedAt=now,
        version=1,
    )
    tx.put("anomaly", item, AnomalyItem.PK.does_not_exist())
    return item


def add_refund(
    tx: Transaction,
    *,
    refund_id: str,
    order_id: str,
    payment_id: str,
    method: str,
    amount: Money,
    reason: str,
    now: str,
) -> RefundItem:
    item = RefundItem(
        keys.order_pk(order_id),
        keys.refund_sk(refund_id),
        refundId=refund_id,
        orderId=order_id,
        paymentId=payment_id,
        method=method,
        amount=MoneyAttribute.of(amount),
        status="PENDING",
        reason=reason,
        createdAt=now,
        updatedAt=now,
    )
    tx.put("refund", item, RefundItem.PK.does_not_exist())
    return item


def add_idempotency(
    tx: Transaction, subject: str, key: str, request_hash: str, status: int, body: dict[str, Any], now: str
) -> None:
    tx.put(
        "idempotency",
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
    ) -> tuple[dict[str, dict[str, ChannelSettings]], BalanceAccountItem | None, StoredResponse | None]:
        """Channel settings of the stores, the customer's balance account and a stored response: one read."""
        wanted = [keys.channel_settings(s) for s in store_ids]
        wanted.append((keys.balance_pk(customer_id), keys.BALANCE_ACCOUNT_SK))
        if idempotency:
            wanted.append(keys.idempotency(*idempotency))
        settings = {s: dict(DEFAULT_CHANNELS) for s in store_ids}
        balance: BalanceAccountItem | None = None
        stored: StoredResponse | None = None
        for item in Item.batch_get(wanted, consistent_read=True):
            if isinstance(item, ChannelSettingsItem):
                settings[item.storeId] = channels_from_json(item.channels)
            elif isinstance(item, BalanceAccountItem):
                balance = item
            elif isinstance(item, IdempotencyItem):
                stored = StoredResponse(item.requestHash, int(item.statusCode), json.loads(item.responseBody))
        return settings, balance, stored

    def channel_settings(self, store_id: str) -> tuple[dict[str, ChannelSettings], int]:
        try:
            item = ChannelSettingsItem.get(*keys.channel_settings(store_id), consistent_read=True)
        except DoesNotExist:
            return dict(DEFAULT_CHANNELS), 0
        return channels_from_json(item.channels), int(item.version)

    def balance(self, customer_id: str) -> BalanceAccountItem | None:
        try:
            return BalanceAccountItem.get(keys.balance_pk(customer_id), keys.BALANCE_ACCOUNT_SK, consistent_read=True)
        except DoesNotExist:
            return None

    def account_lines(self, account: str, limit: int | None, cursor: str | None) -> Page[dict[str, Any]]:
        partition = keys.account_gsi2(account)
        results = Item.gsi2.query(
            partition,
            scan_index_forward=False,
            limit=clamp_limit(limit),
            last_evaluated_key=decode_cursor(cursor, partition_attr="GSI2PK", partition_value=partition),
        )
        items = [ledger_line_view(i) for i in results if isinstance(i, LedgerLineItem)]
        return Page(items, encode_cursor(results.last_evaluated_key))

    def anomaly(self, anomaly_id: str) -> AnomalyItem | None:
        try:
            return AnomalyItem.get(*keys.anomaly(anomaly_id), consistent_read=True)
        except DoesNotExist:
            return None

    def anomalies(self, status: AnomalyStatus, limit: int | None, cursor: str | None) -> Page[dict[str, Any]]:
        partition = keys.anomalies_by_status_gsi3(status.value)
        results = Item.gsi3.query(
            partition,
            scan_index_forward=False,
            limit=clamp_limit(limit),
            last_evaluated_key=decode_cursor(cursor, partition_attr="GSI3PK", partition_value=partition),
        )
        items = [anomaly_view(i) for i in results if isinstance(i, AnomalyItem)]
        return Page(items, encode_cursor(results.last_evaluated_key))

    def anomaly_items_of_order(self, order_id: str) -> list[AnomalyItem]:
        return [i for i in Item.gsi1.query(keys.anomalies_by_order_gsi1(order_id)) if isinstance(i, AnomalyItem)]


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
    tx.put("settings", item, condition)
    tx.put(
        "audit",
        AuditItem(
            *keys.audit(f"SETTINGS#PAYMENT_CHANNELS#{store_id}", now, new_id()),
            subject=f"payment-channels:{store_id}",
            action="payment-channels.update",
            by=actor.subject,
            role=actor.primary_role,
            at=now,
            before=before,
            after=channels_to_json(channels),
            reason=reason,
        ),
    )
    tx.commit()
    return expected_version + 1


def audit_entries(subject: str, limit: int) -> list[dict[str, Any]]:
    return [
        {
            "by": i.by,
            "role": i.role,
            "at": i.at,
            "action": i.action,
            "before": i.before,
            "after": i.after,
            "reason": i.reason,
        }
        for i in Item.query(f"AUDIT#{subject}", scan_index_forward=False, limit=limit)
        if isinstance(i, AuditItem)
    ]
