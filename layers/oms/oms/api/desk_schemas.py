"""Request bodies of the order desk function: notes and communications, flags, holds, batches (shared field
types in `oms.api.schemas`)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from oms.api.fulfilment_schemas import Carrier, TrackingNumber
from oms.api.ids import ORDER_ID
from oms.api.schemas import MultiLine, Reason, Strict
from oms.domain.batches import MAX_BATCH_ORDERS, BatchAction
from oms.domain.notes import MAX_NOTE_TEXT, CommunicationChannel, NoteKind, NoteVisibility

# Kept as sent (never interpreted as HTML: clients show it as text); line breaks and tabs allowed.
NoteText = Annotated[str, StringConstraints(min_length=1, max_length=MAX_NOTE_TEXT, strip_whitespace=True), MultiLine]
OrderId = Annotated[str, StringConstraints(min_length=1, max_length=ORDER_ID.max_length, pattern=ORDER_ID.pattern)]


class NoteIn(Strict):
    """A note (`kind: note`, internal or for the shopper) or a recorded customer communication (`kind:
    communication`, with its `channel`: what was said, always internal)."""

    kind: Annotated[NoteKind, Field(strict=False)] = NoteKind.NOTE
    text: NoteText
    visibility: Annotated[NoteVisibility, Field(strict=False)] = NoteVisibility.INTERNAL
    channel: Annotated[CommunicationChannel | None, Field(strict=False)] = None


class FlagIn(Strict):
    reason: Reason | None = None


class HoldIn(Strict):
    reason: Reason


class BatchIn(Strict):
    """One action on up to 100 orders. The action's fields: `review` — `decision` (approve | reject) and
    `reason`; `cancel` — `reason` (optional); `ship` — `carrier` and `trackingNumbers` (one per id: an order
    with one child order to ship, or a child order id); `flag` / `unflag` — `flag` (special) and `reason`
    (optional); `hold` / `release-hold` — `reason`; `note` — `note` (as `POST /orders/{orderId}/notes`);
    `deliver` — nothing (the order's virtual goods); `after-sales` — `decision` and `reason` (the order's
    cases waiting for a decision); `delete` / `restore` — `reason` (a cancelled or closed order out of, or back
    into, the e-commerce order list)."""

    action: Annotated[BatchAction, Field(strict=False)]
    orderIds: list[OrderId] = Field(min_length=1, max_length=MAX_BATCH_ORDERS)
    reason: Reason | None = None
    decision: Literal["approve", "reject"] | None = None
    flag: Literal["special"] | None = None
    note: NoteIn | None = None
    carrier: Carrier | None = None
    trackingNumbers: dict[OrderId, TrackingNumber] | None = Field(default=None, max_length=MAX_BATCH_ORDERS)

    @field_validator("orderIds")
    @classmethod
    def _distinct(cls, ids: list[str]) -> list[str]:
        if len(set(ids)) != len(ids):
            raise ValueError("each order at most once")
        return ids

    @model_validator(mode="after")
    def _fields_of_the_action(self) -> BatchIn:
        action = self.action
        wanted = {
            BatchAction.REVIEW: {"decision", "reason"},
            BatchAction.CANCEL: set(),
            BatchAction.SHIP: {"carrier", "trackingNumbers"},
            BatchAction.FLAG: set(),
            BatchAction.UNFLAG: set(),
            BatchAction.HOLD: {"reason"},
            BatchAction.RELEASE_HOLD: {"reason"},
            BatchAction.NOTE: {"note"},
            BatchAction.DELIVER: set(),
            BatchAction.AFTER_SALES: {"decision", "reason"},
            BatchAction.DELETE: {"reason"},
            BatchAction.RESTORE: {"reason"},
        }[action]
        allowed = wanted | {
            BatchAction.CANCEL: {"reason"},
            BatchAction.FLAG: {"flag", "reason"},
            BatchAction.UNFLAG: {"flag", "reason"},
        }.get(action, set())
        missing = sorted(name for name in wanted if getattr(self, name) is None)
        if missing:
            raise ValueError(f"{action.value} needs {', '.join(missing)}")
        extra = sorted(
            name
            for name in ("reason", "decision", "flag", "note", "carrier", "trackingNumbers")
            if name not in allowed and getattr(self, name) is not None
        )
        if extra:
            raise ValueError(f"{action.value} does not take {', '.join(extra)}")
        if self.trackingNumbers is not None and set(self.trackingNumbers) != set(self.orderIds):
            raise ValueError("trackingNumbers gives one tracking number per id of orderIds, and no other")
        return self
