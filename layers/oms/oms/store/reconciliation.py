"""What the daily reconciliation reads and writes.

Reads: the ledger lines of one provider's account for a span of time, from the account index that every
ledger line already carries (GSI2 `ACCOUNT#provider:<method>` / `<at>#<posting>#<n>`): one Query per day,
never a scan. Writes: one anomaly case per mismatch, its id fixed by (provider, day, kind, reference), put
only when it does not exist yet, so a re-run opens nothing new.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from pynamodb.exceptions import DoesNotExist

from oms.domain.clock import parse_rfc3339, to_rfc3339
from oms.domain.events import OutboxEvent
from oms.domain.ledger import PostingKind, provider_account
from oms.domain.money import Money
from oms.domain.payment import AnomalyStatus
from oms.domain.reconciliation import BookedEntry, LineKind, Match, anomaly_key
from oms.store import keys
from oms.store.models import AnomalyItem, MoneyAttribute, OrderItem
from oms.store.orders import add_event
from oms.store.records import AnomalyRecord, HeaderRecord, LedgerLineRecord
from oms.store.report_reads import account_lines
from oms.store.rows import anomaly_record, header_record
from oms.store.transactions import Part, Transaction, TransactionCancelled

UNKNOWN_ORDER = "unknown"  # a bill row about a payment id that is not one of ours


def provider_lines(method: str, start: datetime, end: datetime) -> list[LedgerLineRecord]:
    """Every ledger line of `provider:<method>` booked in [start, end) (the account index, paged through)."""
    return list(account_lines(provider_account(method), to_rfc3339(start), to_rfc3339(end)))


def booked_entries(lines: Sequence[LedgerLineRecord]) -> list[BookedEntry]:
    """The provider account's lines summed per payment (payments and their fees) and per refund."""

    @dataclass
    class Sums:
        kind: LineKind
        payment_id: str
        refund_id: str | None
        order_id: str | None
        currency: str
        amount: int = 0
        fee: int = 0
        at: str = ""

    sums: dict[tuple[LineKind, str], Sums] = {}
    for line in lines:
        payment_id = line.paymentId or ""
        if line.kind == PostingKind.REFUND.value:
            kind, reference = LineKind.REFUND, line.refundId or payment_id
        elif line.kind in (PostingKind.PAYMENT.value, PostingKind.PROVIDER_FEE.value):
            kind, reference = LineKind.PAYMENT, payment_id
        else:
            continue
        entry = sums.get((kind, reference))
        if entry is None:
            entry = Sums(kind, payment_id, line.refundId, line.orderId, line.amount.currency, at=line.at)
            sums[(kind, reference)] = entry
        entry.at = min(entry.at, line.at)
        if line.kind == PostingKind.PROVIDER_FEE.value:
            entry.fee -= line.amount.amount  # the fee is credited to the provider account
        elif kind is LineKind.REFUND:
            entry.amount -= line.amount.amount  # a refund credits the provider account
        else:
            entry.amount += line.amount.amount
    return [
        BookedEntry(
            s.kind,
            s.payment_id,
            s.refund_id,
            s.order_id,
            Money(s.amount, s.currency),
            Money(s.fee, s.currency),
            parse_rfc3339(s.at),
        )
        for s in sums.values()
    ]


def order_header(order_id: str | None) -> HeaderRecord | None:
    if order_id is None:
        return None
    try:
        return header_record(OrderItem.get(keys.order_pk(order_id), keys.ORDER_META))
    except DoesNotExist:
        return None


def anomaly_item(provider: str, day: date, match: Match, now: str) -> AnomalyItem:
    """The case of one mismatch (OPEN), its id fixed by (provider, day, kind, reference)."""
    from oms.domain.payment import AnomalyType

    anomaly_id = anomaly_key(provider, day, match)
    if match.status.value == "MATCHED":
        raise ValueError("a matched line opens no case")
    order_id = match.order_id or UNKNOWN_ORDER
    theirs, ours = match.theirs, match.ours
    currency = theirs.amount.currency if theirs is not None else ours.amount.currency if ours is not None else "CNY"
    expected = ours.amount if ours is not None else Money(0, currency)
    received = theirs.amount if theirs is not None else Money(0, currency)
    note = (
        f"{provider} bill of {day.isoformat()}: {match.kind.value} {match.reference} {match.status.value}"
        f" ({match.detail}); provider reference {theirs.provider_reference if theirs else '-'}"
    )
    item = AnomalyItem(
        *keys.anomaly(anomaly_id),
        GSI1PK=keys.anomalies_by_order_gsi1(order_id),
        GSI1SK=now,
        GSI3PK=keys.anomalies_by_status_gsi3(AnomalyStatus.OPEN.value),
        GSI3SK=f"{now}#{anomaly_id}",
        anomalyId=anomaly_id,
        anomalyType=AnomalyType(f"BILL_{match.status.value}").value,
        orderId=order_id,
        paymentId=match.payment_id,
        expected=MoneyAttribute.of(expected),
        received=MoneyAttribute.of(received),
        status=AnomalyStatus.OPEN.value,
        notes=[{"at": now, "by": "reconciliation", "note": note[:500]}],
        # A refund we booked is one that succeeded; one only the bill knows stays in the note.
        refund={"refundId": match.reference, "status": "SUCCEEDED"} if match.kind is LineKind.REFUND and ours else None,
        createdAt=now,
        updatedAt=now,
        version=1,
    )
    return item


def open_anomaly(item: AnomalyItem, event: OutboxEvent | None) -> AnomalyRecord | None:
    """Put the case (and, for one of our orders, its PaymentAnomaly event) unless a run before opened it:
    the record when opened now, else None."""
    tx = Transaction()
    tx.put(Part.ANOMALY, item, AnomalyItem.PK.does_not_exist())
    if event is not None:
        add_event(tx, item.orderId, event, item.createdAt, key="anomaly")
    try:
        tx.commit()
    except TransactionCancelled as cancelled:
        if cancelled.failed(Part.ANOMALY):
            return None
        raise
    return anomaly_record(item)
