"""Ledger and balance-account writes shared by checkout, cancel, payments and refunds."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from oms.domain.clock import parse_rfc3339, to_rfc3339
from oms.domain.ids import new_id
from oms.domain.ledger import Posting
from oms.domain.money import Money
from oms.domain.refunds import refund_retry_delay
from oms.store import keys
from oms.store.due import refund_due_entry
from oms.store.models import BalanceAccountItem, LedgerLineItem, MoneyAttribute, RefundItem
from oms.store.records import LedgerLineRecord, RefundRecord
from oms.store.rows import ledger_line_record, refund_record
from oms.store.transactions import Part, Transaction


def add_postings(
    tx: Transaction,
    postings: list[Posting],
    now: str,
    *,
    pk: str,
    order_id: str | None,
    payment_id: str | None,
    by: str,
    refund_id: str | None = None,
) -> list[LedgerLineRecord]:
    items = []
    for posting in postings:
        posting_id = new_id()
        for n, line in enumerate(posting.lines):
            item = LedgerLineItem(
                pk,
                keys.ledger_sk(posting_id, n),
                GSI2PK=keys.account_gsi2(line.account),
                GSI2SK=f"{now}#{posting_id}#{n}",
                # Every line also by the day it was booked (the financial report reads a day's ledger).
                GSI3PK=keys.ledger_day_gsi3(now[:10], posting_id),
                GSI3SK=f"{now}#{posting_id}#{n}",
                postingId=posting_id,
                kind=posting.kind.value,
                account=line.account,
                amount=MoneyAttribute.of(line.amount),
                memo=posting.memo,
                at=now,
                orderId=order_id,
                paymentId=payment_id,
                by=by,
                refundId=refund_id,
            )
            tx.put((Part.LEDGER, posting_id, n), item)
            items.append(ledger_line_record(item))
    return items


def add_balance_change(tx: Transaction, customer_id: str, delta: int, currency: str, now: str) -> None:
    """A debit is conditional on the account holding that much in its currency (a missing account holds
    nothing). A credit creates the account when it is missing (an ADD on a missing item creates it), so a
    credit never depends on what was read before: concurrent first credits all land."""
    account = BalanceAccountItem(keys.balance_pk(customer_id), keys.BALANCE_ACCOUNT_SK)
    actions = [BalanceAccountItem.available.add(delta), BalanceAccountItem.updatedAt.set(now)]
    same_currency = BalanceAccountItem.currency == currency
    if delta < 0:
        tx.update(Part.BALANCE, account, actions, same_currency & (BalanceAccountItem.available >= -delta))
        return
    actions += [
        BalanceAccountItem.customerId.set(customer_id),
        BalanceAccountItem.currency.set(currency),
        BalanceAccountItem.type.set(BalanceAccountItem),  # the discriminator, so reads know the kind
    ]
    tx.update(Part.BALANCE, account, actions, BalanceAccountItem.PK.does_not_exist() | same_currency)


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
    customer_id: str | None = None,
    anomaly_id: str | None = None,
    request: dict[str, Any] | None = None,
) -> RefundRecord:
    """A refund to make through the payment's provider: PENDING until the provider confirms it (then its
    ledger posting is booked), retried while it is not (the refund id is the provider's idempotency key).
    Its first try is right after the commit (the request, then the stream); the deadline index holds it
    for the sweeper from a minute after, in case neither did it. `request`: the leg's facts when it belongs
    to a refund request (requestId, caseId, lines, counted: oms.store.payments.add_refund_leg)."""
    partition, sort_key = refund_due_entry(
        order_id, refund_id, to_rfc3339(parse_rfc3339(now) + refund_retry_delay(timedelta(0)))
    )
    item = RefundItem(
        keys.order_pk(order_id),
        keys.refund_sk(refund_id),
        GSI4PK=partition,
        GSI4SK=sort_key,
        refundId=refund_id,
        orderId=order_id,
        paymentId=payment_id,
        method=method,
        amount=MoneyAttribute.of(amount),
        status="PENDING",
        reason=reason,
        customerId=customer_id,
        anomalyId=anomaly_id,
        pendingSince=now,
        createdAt=now,
        updatedAt=now,
        **(request or {}),
    )
    tx.put((Part.REFUND, refund_id), item, RefundItem.PK.does_not_exist())
    return refund_record(item)
