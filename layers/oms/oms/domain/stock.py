"""Stock movements and alert levels: what moved a SKU's counters, and when its availability is low.

A SKU's counters (`oms.domain.catalog.StockLevel`) move in the transaction of the change that moves them
(checkout, payment, cancel, return, adjustment, stocktake); each such update also records *why* on the
stock item (`lastMove`: kind, who, reference, reason). The stock item's changes in the table's stream
become the movement history and the low-stock / sold-out / back-in-stock events, once per change.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class MovementKind(StrEnum):
    OPENING = "opening"  # a new SKU's opening stock
    RESERVATION = "reservation"  # available → reserved (an order holds stock until paid)
    RELEASE = "release"  # reserved (or sold) → available (a cancel, an edit that takes fewer units)
    SALE = "sale"  # reserved (or available) → sold
    RETURN = "return"  # sold → available (a returned unit back on sale)
    DAMAGED = "damaged"  # sold → damaged (a returned unit inspected as not sellable)
    ADJUSTMENT = "adjustment"  # a staff restock or correction
    STOCKTAKE = "stocktake"  # a count set available; the difference is recorded


COUNTERS = ("available", "reserved", "sold", "damaged", "received", "adjusted")


@dataclass(frozen=True, slots=True)
class StockMove:
    """Why a stock update happens: recorded on the stock item with the update (`lastMove`)."""

    kind: MovementKind
    by: str  # the subject of the person or the service ("system:checkout", "system:payment-timeout")
    ref: dict[str, str] | None = None  # what it belongs to: {"orderId": ...}, {"caseId": ...}, {"batchId": ...}
    reason: str | None = None

    def to_dict(self, move_id: str, at: str) -> dict[str, object]:
        return {
            "id": move_id,
            "kind": self.kind.value,
            "by": self.by,
            "ref": dict(self.ref or {}),
            "reason": self.reason,
            "at": at,
        }


def is_low(available: int, threshold: int | None) -> bool:
    """At or under the alert level (no threshold: never low; sold out is its own state)."""
    return threshold is not None and 0 < available <= threshold


def counter_changes(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    """The counters that moved between two images of a stock item (non-zero deltas only)."""
    deltas = {name: after.get(name, 0) - before.get(name, 0) for name in COUNTERS}
    return {name: delta for name, delta in deltas.items() if delta}


class StockState(StrEnum):
    """What a SKU's availability looks like to staff and shoppers."""

    IN_STOCK = "in_stock"
    LOW = "low"  # at or under its alert level
    SOLD_OUT = "sold_out"


def stock_state(available: int, threshold: int | None) -> StockState:
    if available <= 0:
        return StockState.SOLD_OUT
    return StockState.LOW if is_low(available, threshold) else StockState.IN_STOCK


class Crossing(StrEnum):
    """A change of a SKU's stock state worth telling: each is told once per crossing."""

    LOW = "low"  # available fell to or under the alert level (from above it), still above zero
    SOLD_OUT = "sold_out"  # available reached zero
    BACK_IN_STOCK = "back_in_stock"  # available rose from zero


def crossings(before: int, after: int, threshold_before: int | None, threshold_after: int | None) -> list[Crossing]:
    """The crossings between two images of a SKU's available stock, each with the alert level it had then.

    Low is told when the SKU was above its level and is now at or under it but not sold out (a sale straight
    from above the level to zero tells sold out only); it is not told again while the SKU stays at or under
    its level (including sold out and back), only after it rose above the level. A raised level that puts the
    SKU under it is a crossing too."""
    found: list[Crossing] = []
    was_under = before <= (threshold_before if threshold_before is not None else 0)
    if not was_under and is_low(after, threshold_after):
        found.append(Crossing.LOW)
    if before > 0 >= after:
        found.append(Crossing.SOLD_OUT)
    if before <= 0 < after:
        found.append(Crossing.BACK_IN_STOCK)
    return found


def product_stock_state(states: list[str]) -> StockState:
    """A product is in stock when one of its SKUs is, low when the best of them is low, else sold out."""
    for state in (StockState.IN_STOCK, StockState.LOW):
        if state.value in states:
            return state
    return StockState.SOLD_OUT
