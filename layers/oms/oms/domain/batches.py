"""Batch actions on orders (oms.services.batches): what a batch may do, and to how many orders at once."""

from __future__ import annotations

from enum import StrEnum

MAX_BATCH_ORDERS = 100


class BatchAction(StrEnum):
    REVIEW = "review"  # the order's pending review: a bank transfer, or a risk-review hold
    CANCEL = "cancel"
    SHIP = "ship"
    FLAG = "flag"
    UNFLAG = "unflag"
    HOLD = "hold"
    RELEASE_HOLD = "release-hold"
    NOTE = "note"
