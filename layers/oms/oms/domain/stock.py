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
