"""Movement rows as the stream consumer writes them (the `stock` side's, not on this branch): a pure function
from a stock item's change (its image before and after, `lastMove` saying why) to a `StockMovementItem` of
the foundation's schema, and a helper that plays a SKU's history through it for report tests."""

from __future__ import annotations

from typing import Any

from oms.domain.ids import new_id
from oms.domain.stock import COUNTERS, MovementKind, StockMove, counter_changes
from oms.store import keys
from oms.store.models import StockItem, StockMovementItem


def counters_of(item: StockItem) -> dict[str, int]:
    return {name: int(getattr(item, name) or 0) for name in COUNTERS}


def movement_row(before: dict[str, int], after: StockItem) -> StockMovementItem:
    """The movement row of a stock item's change: `after.lastMove` names it (id, kind, by, ref, reason, at)."""
    move: dict[str, Any] = after.lastMove
    at, move_id, sku_id = move["at"], move["id"], after.skuId
    return StockMovementItem(
        *keys.stock_movement(sku_id, at, move_id),
        GSI3PK=keys.stock_move_day_gsi3(at[:10], sku_id),
        GSI3SK=f"{at}#{sku_id}#{move_id}",
        skuId=sku_id,
        storeId=after.storeId,
        kind=move["kind"],
        changes=counter_changes(before, counters_of(after)),
        after=counters_of(after),
        by=move["by"],
        ref=move.get("ref") or None,
        reason=move.get("reason"),
        at=at,
    )


def play(
    sku_id: str,
    store_id: str,
    opening: dict[str, int],
    moves: list[tuple[str, MovementKind, dict[str, int]]],
    threshold: int | None = None,
) -> StockItem:
    """Save the SKU's stock item as `moves` (at, kind, counter deltas) leave it from `opening`, with the
    movement row of each change (as the stream consumer would write them)."""
    counters = {name: opening.get(name, 0) for name in COUNTERS}
    item = StockItem(*keys.stock(sku_id))
    for at, kind, deltas in moves:
        before = dict(counters)
        for name, delta in deltas.items():
            counters[name] += delta
        item = StockItem(
            *keys.stock(sku_id),
            GSI2PK=keys.store_stock_gsi2(store_id),
            GSI2SK=sku_id,
            skuId=sku_id,
            storeId=store_id,
            lowStockThreshold=threshold,
            updatedAt=at,
            lastMove=StockMove(kind, "system:test").to_dict(new_id(), at),
            **counters,
        )
        movement_row(before, item).save()
    item.save()
    return item
