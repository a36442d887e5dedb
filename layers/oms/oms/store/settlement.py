"""Merchant settlement in the table: completed child orders waiting to be settled (GSI2, sparse), the
settlement rows of a period, and the one transaction that pays children: the settlement row plus, per
child, the marker `settlement` (condition: none yet) and the removal of its pending entry. Two runs that
race for a child: one transaction wins, the other is cancelled and retried without that child."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from oms.domain.fulfilment import ChildStatus
from oms.domain.ids import new_id
from oms.domain.settlement import DEFAULT_COMMISSION_BPS, DEFAULT_SETTLEMENT_DAYS, SettlementLine
from oms.store import keys
from oms.store.models import ChildOrderItem, Item, SettlementItem, StoreItem
from oms.store.records import ChildRecord
from oms.store.rows import child_record
from oms.store.transactions import Part, Transaction, TransactionCancelled

PAGE = 200
MAX_CHILDREN_PER_SETTLEMENT = 99  # one row + 99 markers: DynamoDB's 100 actions per transaction
COMMIT_TRIES = 5


@dataclass(frozen=True, slots=True)
class SettlementRecord:
    settlementId: str
    period: str
    storeId: str
    currency: str
    lines: list[dict[str, Any]]
    due: int
    createdAt: str


@dataclass(frozen=True, slots=True)
class StoreTerms:
    settlement_days: int
    commission_bps: int


def pending_children(until: str) -> list[ChildRecord]:
    """Completed children not settled yet, completed before `until` (every shard of GSI2 SETTLE#PENDING)."""
    found = []
    for partition in keys.settlement_pending_partitions():
        for item in ChildOrderItem.gsi2.query(partition, Item.GSI2SK.between("0", f"{until}#"), page_size=PAGE):
            if isinstance(item, ChildOrderItem):
                found.append(child_record(item))
    return sorted(found, key=lambda child: (child.completedAt or "", child.childId))


def store_terms(store_id: str) -> StoreTerms | None:
    """The store's settlement settings (None: no such store)."""
    try:
        item = StoreItem.get(*keys.store(store_id))
    except StoreItem.DoesNotExist:
        return None
    days = DEFAULT_SETTLEMENT_DAYS if item.settlementDays is None else int(item.settlementDays)
    bps = DEFAULT_COMMISSION_BPS if item.commissionBps is None else int(item.commissionBps)
    return StoreTerms(days, bps)


def settlements_of(period: str) -> list[SettlementRecord]:
    return [
        SettlementRecord(
            settlementId=item.settlementId,
            period=item.period,
            storeId=item.storeId,
            currency=item.currency,
            lines=list(item.lines),
            due=int(item.due),
            createdAt=item.createdAt,
        )
        for item in SettlementItem.query(keys.settlement_partition(period), consistent_read=True)
        if isinstance(item, SettlementItem)
    ]


def _child_item(child_id: str) -> ChildOrderItem:
    parsed = keys.parse_child_id(child_id)
    assert parsed is not None, child_id
    order_id, child_no = parsed
    return ChildOrderItem(keys.order_pk(order_id), keys.child_sk(child_no))


def _still_pending(child_id: str) -> bool:
    item = _child_item(child_id)
    try:
        current = ChildOrderItem.get(item.PK, item.SK, consistent_read=True)
    except ChildOrderItem.DoesNotExist:
        return False
    return current.settlement is None and current.status == ChildStatus.COMPLETED.value


def settle(period: str, store_id: str, lines: list[SettlementLine], now: str) -> list[SettlementRecord]:
    """Pay these children (one store, one currency) in settlements of at most 99 children each; a child that
    another run settled meanwhile is left out (never paid twice). Returns the settlement rows written."""
    written = []
    for start in range(0, len(lines), MAX_CHILDREN_PER_SETTLEMENT):
        batch = lines[start : start + MAX_CHILDREN_PER_SETTLEMENT]
        for _ in range(COMMIT_TRIES):
            if not batch:
                break
            settlement_id = new_id()
            tx = Transaction()
            currency = batch[0].currency
            due = sum(line.due for line in batch)
            tx.put(
                Part.SETTLEMENT,
                SettlementItem(
                    *keys.settlement(period, store_id, settlement_id),
                    settlementId=settlement_id,
                    period=period,
                    storeId=store_id,
                    currency=currency,
                    lines=[line.to_dict() for line in batch],
                    due=due,
                    createdAt=now,
                ),
                SettlementItem.PK.does_not_exist(),
            )
            marker = {"settlementId": settlement_id, "period": period, "at": now, "due": 0}
            for line in batch:
                tx.update(
                    (Part.CHILD, line.child_id),
                    _child_item(line.child_id),
                    [
                        ChildOrderItem.settlement.set({**marker, "due": line.due}),
                        ChildOrderItem.GSI2PK.remove(),
                        ChildOrderItem.GSI2SK.remove(),
                    ],
                    ChildOrderItem.settlement.does_not_exist() & (ChildOrderItem.status == ChildStatus.COMPLETED.value),
                )
            try:
                tx.commit()
            except TransactionCancelled as cancelled:
                if not cancelled.failed(Part.CHILD):
                    raise
                batch = [line for line in batch if _still_pending(line.child_id)]
                continue
            written.append(
                SettlementRecord(
                    settlement_id, period, store_id, currency, [line.to_dict() for line in batch], due, now
                )
            )
            break
        else:
            raise RuntimeError(f"settlement of {store_id} for {period} kept losing races")
    return written
