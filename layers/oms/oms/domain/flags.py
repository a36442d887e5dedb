"""Flags staff and the system put on an order, besides its status: each is searchable on its own."""

from __future__ import annotations

from enum import StrEnum


class OrderFlag(StrEnum):
    SPECIAL = "special"  # staff marked it for attention (a VIP, a complaint, a fragile parcel)
    ABNORMAL = "abnormal"  # an abnormal payment case is open on it
    RISK_REVIEW = "risk-review"  # a risk rule sent it to the manual review queue
