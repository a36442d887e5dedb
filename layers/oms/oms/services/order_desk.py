"""The order desk (issue 13 item 5): staff notes and recorded customer communications, the `special` flag,
and staff holds with their release. Every action is ONE transaction with its audit entry (`order.note`,
`order.flag`, `order.unflag`, `order.hold`, `order.release-hold` in `AUDIT#ORDER#<orderId>`) and, for a
hold and its release, the order's status event and outbox row, so the order's timeline shows all of it.

A retry of an action after its answer was lost changes nothing twice: a flag set (or cleared) already, a
hold this actor made for this reason, a release this actor made for this reason answer the order as it is.
A note has no such key (two notes of the same text may be meant): `POST .../notes` again adds another one;
the batch route (oms.services.batches) writes a batch's note once per order whatever the retries.

Holds: staff hold a paid order that has not shipped in full (oms.domain.holds.STAFF_HOLDABLE). While held,
fulfilment refuses to release or ship its child orders (they ship only from PAID / PARTIALLY_SHIPPED /
SHIPPED) and the children leave their warehouse's list; no timer runs on a paid order until delivery, so
there is none to stop or re-arm. The release returns the order to the status the hold interrupted.
An abnormal payment's hold is released by deciding its case, a risk review's by deciding the review: a
staff release of either is 409 `hold-released-elsewhere`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from oms.domain import events
from oms.domain.clock import to_rfc3339, utcnow
from oms.domain.errors import Conflict, Forbidden, NotFound
from oms.domain.flags import OrderFlag
from oms.domain.holds import Hold, HoldKind, check_staff_hold, check_staff_release
from oms.domain.ids import new_id
from oms.domain.notes import CommunicationChannel, NoteKind, NoteVisibility, check_note
from oms.domain.order import OrderStatus, StatusChange, check_transition
from oms.domain.permissions import Actor, Permission
from oms.services.access import may_see_order, owns, store_scope
from oms.store.audit import add_audit
from oms.store.flags import add_flag, remove_flag
from oms.store.notes import add_children_requeued, add_children_unqueued, add_note
from oms.store.orders import OrderRepository, add_order_move
from oms.store.records import FlagRecord, NoteRecord, OrderRecord
from oms.store.transactions import Part, Transaction, TransactionCancelled
from oms.views.orders import order_summary

ATTEMPTS = 3  # an order that moved while we decided is read again, this many times
STAFF_FLAGS = frozenset({OrderFlag.SPECIAL})  # abnormal and risk-review are the system's


class FlagNotSettable(Conflict):
    slug = "flag-not-settable"
    title = "This flag is set and cleared by the system"


def note_view(note: NoteRecord, *, staff: bool = True) -> dict[str, Any]:
    """A note as staff see it; the shopper sees no staff identity (who wrote it stays internal)."""
    view: dict[str, Any] = {
        "noteId": note.noteId,
        "orderId": note.orderId,
        "kind": note.kind,
        "visibility": note.visibility,
        "text": note.text,
        "channel": note.channel,
        "at": note.at,
    }
    if staff:
        view.update({"by": note.by, "role": note.role})
    return view


def flag_view(flag: FlagRecord) -> dict[str, Any]:
    return {"flag": flag.flag, "setBy": flag.setBy, "setAt": flag.setAt, "reason": flag.reason}


def desk_view(record: OrderRecord) -> dict[str, Any]:
    """What the desk's actions answer: the order's status, its hold and its flags."""
    header = record.header
    return {
        "orderId": header.orderId,
        "orderNumber": header.orderNumber,
        "status": header.status,
        "hold": header.hold,
        "flags": [flag_view(f) for f in sorted(record.flags, key=lambda f: f.flag)],
        "updatedAt": header.updatedAt,
    }


def _released_text(reason: str) -> str:
    return f"hold released: {reason}"


class OrderDeskService:
    def __init__(self, orders: OrderRepository, clock: Callable[[], datetime] = utcnow) -> None:
        self.orders = orders
        self.clock = clock

    def _now(self) -> str:
        return to_rfc3339(self.clock())

    def order(self, actor: Actor, order_id: str) -> OrderRecord:
        """The order, when this actor may see it (the same 404 as a missing one otherwise)."""
        record = self.orders.get_order(order_id)
        if record is None or not may_see_order(actor, record.header.customerId):
            raise NotFound(f"order {order_id} not found")
        scope = store_scope(actor)
        if scope is not None and not scope & set(record.header.storeIds):
            raise NotFound(f"order {order_id} not found")
        return record

    def _fresh(self, order_id: str) -> OrderRecord:
        record = self.orders.get_order(order_id)
        assert record is not None
        return record

    # ---------------------------------------------------------------- notes
    def add_note(
        self,
        actor: Actor,
        order_id: str,
        *,
        kind: NoteKind,
        text: str,
        visibility: NoteVisibility = NoteVisibility.INTERNAL,
        channel: CommunicationChannel | None = None,
        note_id: str | None = None,
    ) -> dict[str, Any]:
        """A note (internal, or for the shopper to read) or a communication (what was said, on which
        channel: internal), with its `order.note` audit entry. `note_id` (a batch's) writes it once."""
        if not actor.can(Permission.ORDER_NOTE):
            raise Forbidden("staff write order notes")
        record = self.order(actor, order_id)
        if note_id is not None:
            done = next((n for n in record.notes if n.noteId == note_id), None)
            if done is not None:
                return note_view(done)  # the batch that wrote it, resumed
        checked = check_note(kind, visibility, channel, text, len(record.notes))
        now = self._now()
        tx = Transaction()
        note = add_note(
            tx,
            order_id,
            note_id or new_id(),
            kind=kind.value,
            visibility=visibility.value,
            text=checked,
            channel=None if channel is None else channel.value,
            by=actor.subject,
            role=actor.primary_role,
            at=now,
        )
        after = {
            "noteId": note.noteId,
            "kind": note.kind,
            "visibility": note.visibility,
            "channel": note.channel,
            "text": note.text,
        }
        add_audit(tx, f"ORDER#{order_id}", "order.note", actor=actor, now=now, before=None, after=after, reason=None)
        try:
            tx.commit()
        except TransactionCancelled as cancelled:
            if not cancelled.failed(Part.NOTE):
                raise
            return note_view(next(n for n in self._fresh(order_id).notes if n.noteId == note.noteId))
        return note_view(note)

    def notes(self, actor: Actor, order_id: str) -> dict[str, Any]:
        """The order's notes, newest first: staff see every note with who wrote it; the shopper sees the
        notes meant for them, without staff identity. At most `MAX_NOTES_PER_ORDER`: one list."""
        record = self.order(actor, order_id)
        staff = actor.can(Permission.ORDER_READ_ANY) or (
            store_scope(actor) is not None and not owns(actor, record.header.customerId)
        )
        notes = sorted(record.notes, key=lambda n: n.noteId, reverse=True)
        if not staff:
            notes = [n for n in notes if n.visibility == NoteVisibility.SHOPPER.value]
        return {"orderId": order_id, "items": [note_view(n, staff=staff) for n in notes]}

    # ---------------------------------------------------------------- flags
    def set_flag(self, actor: Actor, order_id: str, flag: OrderFlag, reason: str | None) -> dict[str, Any]:
        """Mark the order (idempotent: a flag already set is left as it was set)."""
        return self._flag(actor, order_id, flag, reason, on=True)

    def clear_flag(self, actor: Actor, order_id: str, flag: OrderFlag, reason: str | None) -> dict[str, Any]:
        """Unmark the order (idempotent: a flag not set stays so, nothing written)."""
        return self._flag(actor, order_id, flag, reason, on=False)

    def _flag(self, actor: Actor, order_id: str, flag: OrderFlag, reason: str | None, *, on: bool) -> dict[str, Any]:
        if not actor.can(Permission.ORDER_FLAG):
            raise Forbidden("support and admin mark orders")
        if flag not in STAFF_FLAGS:
            raise FlagNotSettable(
                f"the {flag.value} flag is the system's: it follows the order's cases", flag=flag.value
            )
        record = self.order(actor, order_id)
        current = next((f for f in record.flags if f.flag == flag.value), None)
        if (current is not None) is on:
            return desk_view(record)
        now = self._now()
        tx = Transaction()
        header = record.header
        subject = f"ORDER#{order_id}"
        if on:
            add_flag(tx, order_id, header.createdAt, flag, by=actor.subject, at=now, reason=reason)
            after = {"flag": flag.value, "setBy": actor.subject, "setAt": now}
            add_audit(tx, subject, "order.flag", actor=actor, now=now, before=None, after=after, reason=reason)
        else:
            assert current is not None
            remove_flag(tx, order_id, flag)
            before = flag_view(current)
            add_audit(tx, subject, "order.unflag", actor=actor, now=now, before=before, after=None, reason=reason)
        tx.commit()
        return desk_view(self._fresh(order_id))

    # ---------------------------------------------------------------- holds
    def hold(self, actor: Actor, order_id: str, reason: str) -> dict[str, Any]:
        """Put a paid order on hold: nothing of it is released or shipped until a staff release."""
        if not actor.can(Permission.ORDER_HOLD):
            raise Forbidden("support and admin hold orders")
        for _ in range(ATTEMPTS):
            record = self.order(actor, order_id)
            current = Hold.of(record.header.hold)
            if (
                record.status is OrderStatus.ON_HOLD
                and current is not None
                and (current.kind, current.by, current.reason) == (HoldKind.STAFF, actor.subject, reason)
            ):
                return desk_view(record)  # this very hold, retried after its answer was lost
            check_staff_hold(record.status, current)
            now = self._now()
            hold = Hold(HoldKind.STAFF, reason, actor.subject, now, record.status)
            change = StatusChange(record.status, OrderStatus.ON_HOLD, actor, now, f"held: {reason}")
            tx = Transaction()
            event = events.order_on_hold(order_summary(record.header), hold=hold.to_dict())
            add_order_move(tx, record.header, change, event, hold=hold)
            add_children_unqueued(tx, record)
            add_audit(
                tx,
                f"ORDER#{order_id}",
                "order.hold",
                actor=actor,
                now=now,
                before={"status": record.status.value},
                after={"status": OrderStatus.ON_HOLD.value, "hold": hold.to_dict()},
                reason=reason,
            )
            if self._committed(tx):
                return desk_view(self._fresh(order_id))
        raise Conflict("the order kept changing; retry")

    def release_hold(self, actor: Actor, order_id: str, reason: str) -> dict[str, Any]:
        """Release a staff hold: the order is back where the hold found it, its children back in their
        warehouse's lists. Another kind of hold is released its own way (409)."""
        if not actor.can(Permission.ORDER_HOLD):
            raise Forbidden("support and admin release holds")
        text = _released_text(reason)
        for _ in range(ATTEMPTS):
            record = self.order(actor, order_id)
            if record.status is not OrderStatus.ON_HOLD and _released_by(record, actor, text):
                return desk_view(record)  # this very release, retried after its answer was lost
            hold = check_staff_release(record.status, Hold.of(record.header.hold))
            target = hold.from_status
            check_transition(OrderStatus.ON_HOLD, target)
            now = self._now()
            change = StatusChange(OrderStatus.ON_HOLD, target, actor, now, text)
            tx = Transaction()
            event = events.order_hold_released(order_summary(record.header), status=target, hold=hold.to_dict())
            add_order_move(tx, record.header, change, event, clear_hold=True)
            add_children_requeued(tx, record, now)
            add_audit(
                tx,
                f"ORDER#{order_id}",
                "order.release-hold",
                actor=actor,
                now=now,
                before={"status": OrderStatus.ON_HOLD.value, "hold": hold.to_dict()},
                after={"status": target.value},
                reason=reason,
            )
            if self._committed(tx):
                return desk_view(self._fresh(order_id))
        raise Conflict("the order kept changing; retry")

    @staticmethod
    def _committed(tx: Transaction) -> bool:
        """Commit; False when the order (or a child) moved meanwhile: decide again on fresh data."""
        try:
            tx.commit()
        except TransactionCancelled as cancelled:
            if cancelled.failed(Part.ORDER, Part.CHILD):
                return False
            raise
        return True


def _released_by(record: OrderRecord, actor: Actor, text: str) -> bool:
    """The order's newest move is a release from ON_HOLD by this actor for this reason."""
    moves = [e for e in record.events if e.fromStatus != e.toStatus]
    if not moves:
        return False
    last = max(moves, key=lambda e: e.eventId)
    return last.fromStatus == OrderStatus.ON_HOLD.value and last.by == actor.subject and last.reason == text
