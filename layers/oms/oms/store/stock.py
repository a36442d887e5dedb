"""Stock movements: every update of a SKU's counters with the movement that explains it, and the history
the table's stream makes of them.

Writing: `add_stock_update` is the one way a transaction moves a SKU's counters; it sets `lastMove` (what
moved them, who, for what, why) in the same update, so the change's transaction gets no extra row (a
checkout of 40 SKUs is near DynamoDB's 100-item limit already). Reading the stream
(`oms.services.stock_movements`): each stock item change (old and new image) becomes one movement row
(`SKU#<sku>/MOVE#<at>#<id>`, GSI3 by day) and the crossing events' outbox rows, with conditional puts on
deterministic keys, so a redelivered record writes nothing again.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from oms.domain.clock import parse_rfc3339
from oms.domain.ids import new_id
from oms.domain.permissions import Actor
from oms.domain.stock import StockMove
from oms.store import keys
from oms.store.models import Item, OutboxItem, SkuItem, StockItem, StockMovementItem, StoreItem
from oms.store.pages import Page, clamp_limit, decode_cursor, encode_cursor
from oms.store.transactions import Label, Part, Transaction

OUTBOX_TTL_DAYS = 7


def mover(actor: Actor) -> str:
    """Who a movement is by: a person's subject, or `system:<what>` for timers, callbacks and jobs."""
    if actor.is_system and not actor.subject.startswith("system"):
        return f"system:{actor.subject}"
    return actor.subject


def add_stock_update(
    tx: Transaction,
    sku_id: str,
    actions: Sequence[Action],
    condition: Condition | None,
    move: StockMove,
    now: str,
    *,
    label: Label | None = None,
) -> None:
    """Move a SKU's counters in `tx` (`actions`, under `condition`) and record why on the stock item."""
    tx.update(
        label if label is not None else (Part.STOCK, sku_id),
        StockItem(*keys.stock(sku_id)),
        [*actions, StockItem.updatedAt.set(now), StockItem.lastMove.set(move.to_dict(new_id(), now))],
        condition,
    )


# ---------------------------------------------------------------- the history, from the stream
@dataclass(frozen=True)
class MovementRecord:
    sku_id: str
    movement_id: str
    kind: str
    changes: dict[str, int]
    after: dict[str, int]
    by: str
    ref: dict[str, str]
    reason: str | None
    at: str
    store_id: str | None


def _record(item: StockMovementItem) -> MovementRecord:
    movement_id = item.SK.rsplit("#", 1)[-1]
    return MovementRecord(
        sku_id=item.skuId,
        movement_id=movement_id,
        kind=item.kind,
        changes={k: int(v) for k, v in (item.changes or {}).items()},
        after={k: int(v) for k, v in (item.after or {}).items()},
        by=item.by,
        ref=dict(item.ref or {}),
        reason=item.reason,
        at=item.at,
        store_id=item.storeId,
    )


def put_movement(movement: MovementRecord) -> bool:
    """The movement row, once: False when it is there already (a redelivered stream record)."""
    pk, sk = keys.stock_movement(movement.sku_id, movement.at, movement.movement_id)
    item = StockMovementItem(
        pk,
        sk,
        GSI3PK=keys.stock_move_day_gsi3(movement.at[:10], movement.sku_id),
        GSI3SK=f"{movement.at}#{movement.sku_id}#{movement.movement_id}",
        skuId=movement.sku_id,
        storeId=movement.store_id,
        kind=movement.kind,
        changes=movement.changes,
        after=movement.after,
        by=movement.by,
        ref=movement.ref or None,
        reason=movement.reason,
        at=movement.at,
    )
    return _put_once(item, StockMovementItem.PK.does_not_exist())


def put_stock_event(sku_id: str, event_id: str, detail_type: str, detail: dict[str, Any], now: str) -> bool:
    """A stock event's outbox row (`SKU#<sku>/OUTBOX#<eventId>`, the id derived from the change it tells),
    once: the relay publishes it like any other; False when it was written already."""
    item = OutboxItem(
        keys.stock(sku_id)[0],
        keys.outbox_sk(event_id),
        eventId=event_id,
        detailType=detail_type,
        detail=detail,
        createdAt=now,
        expiresAt=parse_rfc3339(now) + timedelta(days=OUTBOX_TTL_DAYS),
    )
    return _put_once(item, OutboxItem.PK.does_not_exist())


def _put_once(item: Item, condition: Condition) -> bool:
    try:
        item.save(condition)
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def movements_page(
    sku_id: str,
    limit: int | None,
    cursor: str | None,
    *,
    kinds: frozenset[str] = frozenset(),
    since: str | None = None,
    until: str | None = None,
) -> Page[MovementRecord]:
    """A SKU's movements, newest first, optionally of some kinds and within [since, until) by time: one Query
    of its partition (`MOVE#<at>` sort keys bound the time range; kinds are a filter)."""
    pk = keys.stock(sku_id)[0]
    low = f"MOVE#{since}" if since else "MOVE#"
    high = f"MOVE#{until}" if until else "MOVE$"  # "$" sorts right after "#": every MOVE# key
    condition = StockMovementItem.SK.between(low, high)
    filters = StockMovementItem.kind.is_in(*sorted(kinds)) if kinds else None
    results = StockMovementItem.query(
        pk,
        condition,
        filter_condition=filters,
        scan_index_forward=False,
        limit=clamp_limit(limit),
        last_evaluated_key=decode_cursor(cursor, partition_attr="PK", partition_value=pk),
    )
    items = [_record(i) for i in results if isinstance(i, StockMovementItem) and (not until or i.at < until)]
    return Page(items, encode_cursor(results.last_evaluated_key))


# ---------------------------------------------------------------- what the consumer reads
_STORE_DEFAULTS: dict[str, tuple[float, int | None]] = {}
STORE_DEFAULT_TTL_SECONDS = 60.0


def store_low_stock_default(store_id: str | None, *, cached: bool = True) -> int | None:
    """The store's default alert level (cached a minute per process: a changed default applies within it;
    `cached=False`: read now, as a report does)."""
    if not store_id:
        return None
    kept = _STORE_DEFAULTS.get(store_id)
    if cached and kept is not None and time.monotonic() - kept[0] < STORE_DEFAULT_TTL_SECONDS:
        return kept[1]
    try:
        item = StoreItem.get(*keys.store(store_id))
        value = None if item.lowStockThreshold is None else int(item.lowStockThreshold)
    except DoesNotExist:
        value = None
    _STORE_DEFAULTS[store_id] = (time.monotonic(), value)
    return value


def forget_store_defaults(store_id: str | None = None) -> None:
    """Forget the cached default of a store (its own writes; other processes see a change within a minute)."""
    if store_id is None:
        _STORE_DEFAULTS.clear()
    else:
        _STORE_DEFAULTS.pop(store_id, None)


def sku_facts(sku_id: str) -> dict[str, Any]:
    """What a stock event tells of the SKU besides its counters (name, product, store)."""
    try:
        sku = SkuItem.get(*keys.sku(sku_id))
    except DoesNotExist:
        return {"skuId": sku_id}
    return {"skuId": sku_id, "productId": sku.productId, "storeId": sku.storeId, "name": sku.name}


__all__ = [
    "MovementRecord",
    "add_stock_update",
    "forget_store_defaults",
    "movements_page",
    "mover",
    "put_movement",
    "put_stock_event",
    "sku_facts",
    "store_low_stock_default",
]
