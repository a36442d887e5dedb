"""Stock operations' storage (oms.services.stock_ops): the once-only marker of a batch or stocktake line,
a stocktake line's conditional count, the stocktake record, and what the inventory report reads.

A batch of stock lines is many transactions (one per line), so its Idempotency-Key record
(oms.store.batches) cannot ride in them. Each line's transaction carries instead its own marker
(`IDEMPOTENCY#stockline:<operationId>#<n>`, written only if absent, holding the line's answer): a run of
the same batch again (a retry with the same key after a crash or a transient fault) meets the marker,
so the line answers what it answered the first time and its stock moves once.

The inventory report's reads are Queries on keys: a store's stock items (GSI2 `STORE#<sid>#STOCK`), a
day's movement rows (GSI3 `STOCKMOVEDAY#<day>#<shard>`, every shard), the store directory (which stores).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist

from oms.domain.clock import parse_rfc3339
from oms.domain.permissions import Actor
from oms.domain.stock import COUNTERS, StockMove
from oms.domain.stock_ops import Movement, StockNow
from oms.store import keys
from oms.store.audit import add_audit
from oms.store.models import (
    IdempotencyItem,
    Item,
    StockItem,
    StockMovementItem,
    StocktakeItem,
    StoreDirectoryItem,
)
from oms.store.pages import Page, clamp_limit, decode_cursor, encode_cursor
from oms.store.transactions import Part, Transaction, TransactionCancelled

LINE_TTL = timedelta(hours=24)  # as long as the batch's own Idempotency-Key record (oms.store.orders)
PAGE = 200  # items per query page of the report's reads


@dataclass(frozen=True)
class LineOnce:
    """Line `line` of operation `operation_id` (a batch or a stocktake), and the answer it stores."""

    operation_id: str
    line: int
    result: dict[str, Any]

    @property
    def key(self) -> tuple[str, str]:
        return keys.idempotency(f"stockline:{self.operation_id}", str(self.line))


class LineAlreadyDone(Exception):
    """A run of the same operation wrote this line first: `result` is what it answered."""

    def __init__(self, result: dict[str, Any]) -> None:
        super().__init__("the line was already applied")
        self.result = result


def add_line_marker(tx: Transaction, once: LineOnce, now: str) -> None:
    tx.put(
        Part.IDEMPOTENCY,
        IdempotencyItem(
            *once.key,
            requestHash="",
            statusCode=200,
            responseBody=json.dumps(once.result, separators=(",", ":")),
            createdAt=now,
            expiresAt=parse_rfc3339(now) + LINE_TTL,
        ),
        IdempotencyItem.PK.does_not_exist(),
    )


def line_done(once: LineOnce) -> dict[str, Any] | None:
    """The answer the line gave in an earlier run of its operation (None: it has not run)."""
    try:
        item = IdempotencyItem.get(*once.key, consistent_read=True)
    except DoesNotExist:
        return None
    result: dict[str, Any] = json.loads(item.responseBody)
    return result


def raise_if_line_done(cancelled: TransactionCancelled, once: LineOnce) -> None:
    if cancelled.failed(Part.IDEMPOTENCY):
        done = line_done(once)
        if done is not None:
            raise LineAlreadyDone(done) from cancelled


# ---------------------------------------------------------------- stocktake lines
@dataclass(frozen=True)
class StockImage:
    """A stock item as read for a count: its store and the counters a count must find unchanged."""

    sku_id: str
    store_id: str | None
    available: int
    reserved: int
    sold: int


def stock_image(sku_id: str) -> StockImage | None:
    try:
        item = StockItem.get(*keys.stock(sku_id), consistent_read=True)
    except DoesNotExist:
        return None
    return StockImage(sku_id, item.storeId, int(item.available), int(item.reserved), int(item.sold))


def count_stock(
    before: StockImage, counted: int, move: StockMove, move_id: str, actor: Actor, once: LineOnce, now: str
) -> bool:
    """Set the SKU's available to `counted` (the difference booked on `adjusted`, `lastMove` a stocktake
    movement) if none of available, reserved and sold moved since `before` was read, with the line's
    marker and audit entry; False when they moved (read again), `LineAlreadyDone` when the line ran."""
    difference = counted - before.available
    tx = Transaction()
    add_line_marker(tx, once, now)
    if difference:
        tx.update(
            Part.STOCK,
            StockItem(*keys.stock(before.sku_id)),
            [
                StockItem.available.add(difference),
                StockItem.adjusted.add(difference),
                StockItem.updatedAt.set(now),
                StockItem.lastMove.set(move.to_dict(move_id, now)),
            ],
            (StockItem.available == before.available)
            & (StockItem.reserved == before.reserved)
            & (StockItem.sold == before.sold),
        )
        add_audit(
            tx,
            f"SKU#{before.sku_id}",
            "stock.count",
            actor=actor,
            now=now,
            before={"available": before.available},
            after={"available": counted, "difference": difference, "kind": "stocktake"},
            reason=move.reason,
        )
    try:
        tx.commit()
    except TransactionCancelled as cancelled:
        raise_if_line_done(cancelled, once)
        return False
    return True


# ---------------------------------------------------------------- stocktake records
@dataclass(frozen=True)
class StocktakeRecord:
    stocktake_id: str
    store_id: str
    by: str
    at: str
    note: str | None
    lines: list[dict[str, Any]]
    summary: dict[str, Any]


def _record(item: StocktakeItem) -> StocktakeRecord:
    return StocktakeRecord(
        item.stocktakeId, item.storeId, item.by, item.at, item.note, list(item.lines), dict(item.summary)
    )


def put_stocktake(record: StocktakeRecord, actor: Actor) -> None:
    """The stocktake's record with its audit entry, in one transaction (a second run of the same
    stocktake writes nothing: the record exists)."""
    tx = Transaction()
    tx.put(
        Part.STOCKTAKE,
        StocktakeItem(
            *keys.stocktake(record.stocktake_id),
            GSI2PK=keys.store_stocktakes_gsi2(record.store_id),
            GSI2SK=f"{record.at}#{record.stocktake_id}",
            stocktakeId=record.stocktake_id,
            storeId=record.store_id,
            by=record.by,
            at=record.at,
            note=record.note,
            lines=record.lines,
            summary=record.summary,
        ),
        StocktakeItem.PK.does_not_exist(),
    )
    add_audit(
        tx,
        f"STOCKTAKE#{record.stocktake_id}",
        "stocktake.record",
        actor=actor,
        now=record.at,
        before=None,
        after={"storeId": record.store_id, **record.summary},
        reason=record.note,
    )
    try:
        tx.commit()
    except TransactionCancelled as cancelled:
        if not cancelled.failed(Part.STOCKTAKE):
            raise


def get_stocktake(stocktake_id: str) -> StocktakeRecord | None:
    try:
        return _record(StocktakeItem.get(*keys.stocktake(stocktake_id), consistent_read=True))
    except DoesNotExist:
        return None


def list_stocktakes(store_id: str, limit: int | None, cursor: str | None) -> Page[StocktakeRecord]:
    partition = keys.store_stocktakes_gsi2(store_id)
    results = Item.gsi2.query(
        partition,
        scan_index_forward=False,
        limit=clamp_limit(limit),
        last_evaluated_key=decode_cursor(cursor, partition_attr="GSI2PK", partition_value=partition),
    )
    items = [_record(i) for i in results if isinstance(i, StocktakeItem)]
    return Page(items, encode_cursor(results.last_evaluated_key))


# ---------------------------------------------------------------- the inventory report's reads
def store_ids() -> list[str]:
    """Every store (the store directory: one read)."""
    try:
        directory = StoreDirectoryItem.get(*keys.STORE_DIRECTORY)
    except DoesNotExist:
        return []
    return sorted(directory.all_policies())


def store_stock(store_id: str) -> Iterator[StockItem]:
    """The store's stock items, by SKU id (GSI2 `STORE#<sid>#STOCK`)."""
    for item in Item.gsi2.query(keys.store_stock_gsi2(store_id), page_size=PAGE):
        if isinstance(item, StockItem):
            yield item


def movements_of_day(day: str) -> Iterator[StockMovementItem]:
    """Every movement row of `day` (YYYY-MM-DD, UTC): one Query per shard of GSI3 `STOCKMOVEDAY#<day>`."""
    for partition in keys.stock_move_day_partitions(day):
        for item in Item.gsi3.query(partition, page_size=PAGE):
            if isinstance(item, StockMovementItem):
                yield item


# ---------------------------------------------------------------- the inventory report's inputs
def stock_now(item: StockItem, store_id: str) -> StockNow:
    counters = {name: int(getattr(item, name) or 0) for name in COUNTERS}
    threshold = None if item.lowStockThreshold is None else int(item.lowStockThreshold)
    return StockNow(store_id, item.skuId, counters, threshold)


def movement_of(item: StockMovementItem) -> Movement:
    changes = {str(name): int(delta) for name, delta in (item.changes or {}).items()}
    return Movement(item.skuId, item.storeId, item.kind, changes, parse_rfc3339(item.at))
