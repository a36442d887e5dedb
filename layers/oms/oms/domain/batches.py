"""Batch actions on orders (oms.services.batches): what a batch may do, and to how many orders at once."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from oms.domain.flags import OrderFlag
from oms.domain.notes import CommunicationChannel, NoteKind, NoteVisibility

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
    DELIVER = "deliver"  # an order's virtual goods (电商发货)
    AFTER_SALES = "after-sales"  # the decision on the order's cases waiting for one (售后处理): approve or reject
    DELETE = "delete"  # soft: a cancelled or closed order leaves the e-commerce order list (批量删除)
    RESTORE = "restore"  # an admin brings a deleted order back


@dataclass(frozen=True)
class BatchNote:
    kind: NoteKind
    text: str
    visibility: NoteVisibility = NoteVisibility.INTERNAL
    channel: CommunicationChannel | None = None


@dataclass(frozen=True)
class BatchRequest:
    """A validated batch (oms.api.desk_schemas.BatchIn): the action, the orders and the action's fields."""

    action: BatchAction
    order_ids: list[str]
    reason: str | None = None
    approve: bool | None = None  # review, after-sales
    flag: OrderFlag = OrderFlag.SPECIAL  # flag, unflag
    note: BatchNote | None = None  # note
    carrier: str | None = None  # ship
    tracking_numbers: dict[str, str] = field(default_factory=dict)  # ship: order (or child order) id -> number
