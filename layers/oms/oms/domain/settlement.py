"""Merchant settlement (pure): what a merchant is paid for a completed child order.

A child order is due for settlement `settlementDays` (T+N, a store setting) after its completion, once no
after-sales case on it is open. The merchant is paid what the shopper paid for the child (its total) less
every refund committed against it, less the platform's commission on that net (a store setting in basis
points, rounded half-even to the minor unit). A child is settled once: a conditional marker on it is
written in the same transaction as the settlement row that pays it.

Refunds after settlement: a settled child is never paid again, and a refund committed after its settlement
is not taken back from the merchant by a later run (the amount paid is final; such refunds show in the
financial report, and a clawback is a separate, manual adjustment). The due amount itself is never
negative: refunds never exceed what the child was paid.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from oms.domain.fx import Rounding, divide

DEFAULT_SETTLEMENT_DAYS = 7  # the after-sales window: cases may be opened for 7 days after completion
DEFAULT_COMMISSION_BPS = 500  # 5 %
BPS = 10_000


def commission(net: int, bps: int) -> int:
    """The platform's commission on `net` minor units at `bps` basis points, rounded half-even."""
    return divide(net * bps, BPS, Rounding.HALF_EVEN) if net > 0 else 0


def due_at(completed_at: datetime, settlement_days: int) -> datetime:
    return completed_at + timedelta(days=settlement_days)


@dataclass(frozen=True, slots=True)
class SettlementLine:
    """One child order in a settlement: gross (its total), refunds against it, commission, due."""

    child_id: str
    order_id: str
    store_id: str
    currency: str
    completed_at: str
    gross: int
    refunds: int
    commission_bps: int

    @property
    def net(self) -> int:
        return max(0, self.gross - self.refunds)

    @property
    def commission(self) -> int:
        return commission(self.net, self.commission_bps)

    @property
    def due(self) -> int:
        return self.net - self.commission

    def to_dict(self) -> dict[str, object]:
        return {
            "childId": self.child_id,
            "orderId": self.order_id,
            "storeId": self.store_id,
            "currency": self.currency,
            "completedAt": self.completed_at,
            "gross": self.gross,
            "refunds": self.refunds,
            "commissionBps": self.commission_bps,
            "commission": self.commission,
            "due": self.due,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> SettlementLine:
        return cls(
            child_id=str(data["childId"]),
            order_id=str(data["orderId"]),
            store_id=str(data["storeId"]),
            currency=str(data["currency"]),
            completed_at=str(data["completedAt"]),
            gross=int(str(data["gross"])),
            refunds=int(str(data["refunds"])),
            commission_bps=int(str(data["commissionBps"])),
        )
