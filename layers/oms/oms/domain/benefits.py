"""What an order's checkout took besides stock (coupons, points, stored balance), the points it
earns, and what has happened to them since (given back by a cancel, credited on completion).

Stored on the order header as a JSON map (`benefits`); this value object reads it and makes each
change as a change of that map's keys, so the stored form stays exactly as it was (older orders
keep whatever keys they had)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from oms.domain.money import Money

Json = dict[str, Any]


@dataclass(frozen=True)
class Benefits:
    data: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, data: Mapping[str, Any] | None) -> Benefits:
        return cls(dict(data or {}))

    @classmethod
    def at_checkout(
        cls,
        customer_id: str,
        *,
        coupons: Sequence[Json],
        points_debited: int,
        balance: Money | None,
        points_earned: int,
    ) -> Benefits:
        """`coupons`: what each coupon taken was (its stored form), to give it back on a cancel."""
        return cls(
            {
                "customerId": customer_id,
                "coupons": list(coupons),
                "pointsDebited": points_debited,
                "balance": None if balance is None else balance.to_dict(),
                "pointsEarned": points_earned,
                "pointsCredited": False,
            }
        )

    def __bool__(self) -> bool:
        """An order placed before benefits existed has none recorded."""
        return bool(self.data)

    @property
    def coupons(self) -> list[Json]:
        return list(self.data.get("coupons") or [])

    @property
    def points_debited(self) -> int:
        return int(self.data.get("pointsDebited") or 0)

    @property
    def balance(self) -> Money | None:
        balance = self.data.get("balance")
        return Money.from_dict(balance) if balance and balance["amount"] else None

    @property
    def points_earned(self) -> int:
        return int(self.data.get("pointsEarned") or 0)

    @property
    def points_credited(self) -> bool:
        return bool(self.data.get("pointsCredited"))

    @property
    def returned(self) -> bool:
        return bool(self.data.get("returned"))

    @property
    def took_any(self) -> bool:
        """Checkout took coupons, points or balance (a late payment may not revive such an order)."""
        return bool(self.coupons or self.points_debited or self.balance)

    def to_dict(self) -> Json:
        return dict(self.data)

    def _with(self, **changes: Any) -> Benefits:
        return Benefits({**self.data, **changes})

    def given_back(self) -> Benefits:
        return self._with(returned=True)

    def credited(self) -> Benefits:
        return self._with(pointsCredited=True)

    def less_earned(self, points: int) -> Benefits:
        """A cancelled child takes its share of the points the order earns with it."""
        return self._with(pointsEarned=max(self.points_earned - points, 0))
