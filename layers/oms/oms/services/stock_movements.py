"""Stock history and alerts, from the table's stream: each change of a stock item (its old and new image)
becomes one movement row and the events of the levels it crossed.

Every update of a SKU's counters records why on the stock item (`lastMove`, `oms.store.stock.add_stock_update`);
the after-commit function hands each stock item's INSERT / MODIFY record here. The movement row's key is the
movement's own (`SKU#<sku>/MOVE#<at>#<id>`) and each event's id is derived from the change it reports, both
written with conditional puts: a redelivered record writes nothing again, so the outbox relay publishes each
crossing once. The staff-facing history is `GET /skus/{skuId}/stock-movements`.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from oms.domain import events
from oms.domain.clock import parse_rfc3339, to_rfc3339
from oms.domain.errors import InvalidRequest, NotFound
from oms.domain.events import OutboxEvent
from oms.domain.permissions import Actor
from oms.domain.stock import COUNTERS, Crossing, MovementKind, counter_changes, crossings, is_low
from oms.services.access import in_scope
from oms.store import stock as store
from oms.store.pages import Page

log = logging.getLogger(__name__)

UNRECORDED_BY = "system:unrecorded"  # counters moved by an update that did not say why (should not happen)

EVENT_OF: dict[Crossing, Callable[..., OutboxEvent]] = {
    Crossing.LOW: events.low_stock,
    Crossing.SOLD_OUT: events.sku_sold_out,
    Crossing.BACK_IN_STOCK: events.sku_back_in_stock,
}


@dataclass
class StockChangeOutcome:
    movement_written: bool = False
    events: list[str] = field(default_factory=list)  # detail types written now


def _counters(image: Mapping[str, Any]) -> dict[str, int]:
    return {name: int(image.get(name) or 0) for name in COUNTERS}


def _json(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, str):
        parsed = json.loads(value)
        return parsed if isinstance(parsed, dict) else None
    return dict(value)


def _threshold(image: Mapping[str, Any], store_default: int | None) -> int | None:
    own = image.get("lowStockThreshold")
    return int(own) if own is not None else store_default


def _event_id(sku_id: str, new: Mapping[str, Any], move_id: str, crossing: Crossing) -> str:
    """The same stream record (or a redelivery of it) gives the same id; another change another one."""
    seed = f"{sku_id}|{move_id}|{new.get('updatedAt')}|{crossing.value}"
    return "STK" + hashlib.sha256(seed.encode()).hexdigest()[:26].upper()


class StockMovements:
    def __init__(self, store_default: Callable[[str | None], int | None] = store.store_low_stock_default) -> None:
        self.store_default = store_default

    def apply(self, old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> StockChangeOutcome:
        """One stock item change: its movement row (when counters moved) and its crossing events."""
        outcome = StockChangeOutcome()
        sku_id = str(new["skuId"])
        store_id = new.get("storeId")
        before, after = _counters(old or {}), _counters(new)
        move = _json(new.get("lastMove")) or {}
        previous = _json((old or {}).get("lastMove")) or {}
        changes = counter_changes(before, after)
        now = str(new.get("updatedAt") or move.get("at"))
        if changes:
            if not move or move.get("id") == previous.get("id"):
                # Every counter update records its movement (oms.store.stock.add_stock_update); one that did
                # not is still history, under a key of its own change.
                log.error("stock counters of %s moved without a recorded movement", sku_id)
                move = {
                    "id": "U" + hashlib.sha256(f"{sku_id}|{now}|{after}".encode()).hexdigest()[:25].upper(),
                    "kind": MovementKind.ADJUSTMENT.value,
                    "by": UNRECORDED_BY,
                    "ref": {},
                    "reason": "counters moved without a recorded movement",
                    "at": now,
                }
            movement = store.MovementRecord(
                sku_id=sku_id,
                movement_id=str(move["id"]),
                kind=str(move.get("kind")),
                changes=changes,
                after=after,
                by=str(move.get("by") or UNRECORDED_BY),
                ref={str(k): str(v) for k, v in (move.get("ref") or {}).items()},
                reason=move.get("reason"),
                at=str(move.get("at") or now),
                store_id=str(store_id) if store_id else None,
            )
            outcome.movement_written = store.put_movement(movement)
        found = self._crossings(old, new, before["available"], after["available"], store_id)
        if found:
            facts = {"storeId": store_id, **store.sku_facts(sku_id)}
            threshold = _threshold(new, self.store_default(store_id))
            for crossing in found:
                event = EVENT_OF[crossing](facts, available=after["available"], threshold=threshold, movement=move)
                event_id = _event_id(sku_id, new, str(move.get("id")), crossing)
                if store.put_stock_event(sku_id, event_id, event.type.value, event.detail, now):
                    outcome.events.append(event.type.value)
        return outcome

    def _crossings(
        self, old: Mapping[str, Any] | None, new: Mapping[str, Any], before: int, after: int, store_id: Any
    ) -> list[Crossing]:
        own_before = None if old is None else old.get("lowStockThreshold")
        own_after = new.get("lowStockThreshold")
        default = None
        if own_before is None or own_after is None:
            default = self.store_default(str(store_id) if store_id else None)
        threshold_after = _threshold(new, default)
        if old is None:  # a new SKU: low from the start is told; its opening stock is not "back in stock"
            return [Crossing.LOW] if is_low(after, threshold_after) else []
        return crossings(before, after, _threshold(old, default), threshold_after)


# ---------------------------------------------------------------- the history, for staff
def _bound(value: str | None, name: str) -> str | None:
    if value is None:
        return None
    try:
        return to_rfc3339(parse_rfc3339(value))  # the stored form, so bounds compare as strings
    except ValueError as error:
        raise InvalidRequest(f"{name} must be an RFC 3339 time", field=name) from error


def movement_view(movement: store.MovementRecord) -> dict[str, Any]:
    return {
        "movementId": movement.movement_id,
        "skuId": movement.sku_id,
        "kind": movement.kind,
        "changes": movement.changes,
        "after": movement.after,
        "by": movement.by,
        "ref": movement.ref,
        "reason": movement.reason,
        "at": movement.at,
    }


class StockHistory:
    """`GET /skus/{skuId}/stock-movements`: what moved a SKU's stock, who and why, newest first."""

    def movements(
        self,
        actor: Actor,
        sku_id: str,
        *,
        kinds: Sequence[str] = (),
        time_from: str | None = None,
        time_to: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page[dict[str, Any]]:
        wanted = frozenset(kinds)
        unknown = sorted(wanted - {k.value for k in MovementKind})
        if unknown:
            raise InvalidRequest(f"unknown movement kind {unknown[0]!r}", field="kind")
        since, until = _bound(time_from, "from"), _bound(time_to, "to")
        if since and until and since >= until:
            raise InvalidRequest("from must be before to", field="from")
        sku = store.sku_facts(sku_id)
        # Merchant staff see their stores' SKUs only; any other SKU is the same 404 as a missing one.
        if "storeId" not in sku or not in_scope(actor, str(sku["storeId"])):
            raise NotFound(f"SKU {sku_id} not found")
        page = store.movements_page(sku_id, limit, cursor, kinds=wanted, since=since, until=until)
        return page.map(movement_view)
