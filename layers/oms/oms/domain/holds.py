"""Why an order is ON_HOLD, and what releases it.

A hold remembers the status it interrupted (`from_status`), so a release returns the order where it was.
Each kind is released its own way: a staff hold by staff (`POST /orders/{id}/release-hold`), an abnormal
payment's hold by resolving the anomaly (accept, refund or charge the rest), a risk review by approving
or rejecting it. A release of the wrong kind is refused: a person's decision is never bypassed."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from oms.domain.order import OrderStatus


class HoldKind(StrEnum):
    STAFF = "staff"  # staff put it on hold (a customer's call, a suspected mistake)
    ANOMALY = "anomaly"  # money that did not fit (an abnormal payment case is open)
    RISK_REVIEW = "risk-review"  # a risk rule sent the paid order to manual review


@dataclass(frozen=True, slots=True)
class Hold:
    kind: HoldKind
    reason: str
    by: str
    at: str
    from_status: OrderStatus

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "reason": self.reason,
            "by": self.by,
            "at": self.at,
            "fromStatus": self.from_status.value,
        }

    @classmethod
    def of(cls, data: dict[str, Any] | None) -> Hold | None:
        if not data:
            return None
        return cls(
            kind=HoldKind(data["kind"]),
            reason=str(data["reason"]),
            by=str(data["by"]),
            at=str(data["at"]),
            from_status=OrderStatus(data["fromStatus"]),
        )
