"""Request bodies and answers of the audit function: the trail, an order's timeline, the reveal of an
order's contact details, a customer's erasure and the data-retention setting."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field
from pydantic import Strict as StrictMode

from oms.api.schemas import AuditReason, Page, Strict, View
from oms.domain.personal_data import MAX_RETENTION_DAYS, MIN_RETENTION_DAYS, ContactField
from oms.domain.timeline import EntryKind

Json = dict[str, Any]


class TrailActor(View):
    id: str | None = Field(description="The person's id (null in a shopper's view of a staff member).")
    role: str


class TrailEntry(View):
    """One entry of the trail: who (id, role), when, what (action on subject), before → after, why, and
    the request that did it (API Gateway's request id, the caller's IP)."""

    entryId: str
    at: str
    subject: str
    action: str
    actor: TrailActor
    before: Any
    after: Any
    reason: str | None
    requestId: str | None
    sourceIp: str | None


class AuditPage(Page[TrailEntry]):
    pass


class TimelineItem(View):
    """One line of an order's timeline: when, what kind (a stable enum), a summary, who (staff and the
    shopper's own moves; null for the system) and the kind's details."""

    at: str
    kind: EntryKind
    id: str
    summary: str
    actor: TrailActor | None
    details: Json


class TimelinePage(Page[TimelineItem]):
    pass


class ContactRevealIn(Strict):
    """What to reveal of one order's contact details, and why (recorded in the audit trail)."""

    fields: list[Annotated[ContactField, StrictMode(False)]] = Field(
        default_factory=lambda: list(ContactField), min_length=1, max_length=3
    )
    reason: AuditReason


class ContactRevealed(View):
    orderId: str
    revealed: list[ContactField]
    shippingAddress: Json | None


class CustomerErasureIn(Strict):
    reason: AuditReason


class CustomerErasure(View):
    """What an erasure did: orders pseudonymised now, orders erased before, orders still open (left as
    they are: erase again once they close, or the retention job erases them)."""

    customerId: str
    erased: list[str]
    alreadyErased: list[str]
    open: list[str]
    erasedAt: str


class DataRetentionIn(Strict):
    enabled: bool = Field(description="Whether the scheduled job pseudonymises closed orders.")
    closedDays: int = Field(
        ge=MIN_RETENTION_DAYS,
        le=MAX_RETENTION_DAYS,
        description="Days an order keeps its personal data after its last change once completed, cancelled, closed.",
    )
    reason: AuditReason | None = None


class DataRetention(View):
    enabled: bool
    closedDays: int
    version: int
    updatedAt: str | None
    updatedBy: str | None
