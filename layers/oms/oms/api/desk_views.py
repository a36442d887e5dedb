"""Response bodies of the order desk function, as `oms.services.order_desk` and `oms.services.batches`
build them."""

from __future__ import annotations

from typing import Literal

from oms.api.problems import Problem
from oms.api.schemas import View
from oms.domain.batches import BatchAction
from oms.domain.notes import CommunicationChannel, NoteKind, NoteVisibility
from oms.domain.order import OrderStatus


class OrderNote(View):
    """A note or recorded communication. `by` and `role` (who wrote it) are staff's to see: a shopper
    reading the notes meant for them gets neither. `text` is plain text, as written."""

    noteId: str
    orderId: str
    kind: NoteKind
    visibility: NoteVisibility
    text: str
    channel: CommunicationChannel | None
    at: str
    by: str | None = None
    role: str | None = None


class OrderNotes(View):
    """The order's notes, newest first (at most 200: one list)."""

    orderId: str
    items: list[OrderNote]


class HoldOut(View):
    """Why the order is on hold: its kind (staff, anomaly, risk-review), reason, who, when, and the status
    it interrupted (where a release returns it)."""

    kind: Literal["staff", "anomaly", "risk-review"]
    reason: str
    by: str
    at: str
    fromStatus: OrderStatus


class FlagOut(View):
    flag: Literal["special", "abnormal", "risk-review"]
    setBy: str
    setAt: str
    reason: str | None


class DeskOrder(View):
    """The order as the desk's actions leave it: its status, its hold (null when not held) and flags."""

    orderId: str
    orderNumber: str
    status: OrderStatus
    hold: HoldOut | None
    flags: list[FlagOut]
    updatedAt: str


class BatchResult(View):
    """One order's outcome. `problem`: what the single-order route would have answered (RFC 9457), a 503
    `service-unavailable` for a transient fault on this order (retry it)."""

    orderId: str
    status: Literal["succeeded", "failed"]
    problem: Problem | None = None


class BatchAnswer(View):
    """A batch's outcome, one result per order in the order asked."""

    batchId: str
    action: BatchAction
    succeeded: int
    failed: int
    results: list[BatchResult]
