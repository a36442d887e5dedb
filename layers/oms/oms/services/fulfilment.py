"""Fulfilment use cases: release to the warehouse, shipments (one or many at once), carrier tracking
callbacks, delivery and auto-confirm, and cancelling a paid child order before it ships (interception).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from oms.adapters.carriers import CarrierWebhooks, TrackingNotice
from oms.adapters.warehouse import WarehouseGateway, WarehouseUnavailable
from oms.domain.benefits import Benefits
from oms.domain.clock import parse_rfc3339, to_rfc3339, to_rfc3339_seconds, utcnow
from oms.domain.errors import Conflict, DomainError, Forbidden, InvalidRequest, NotFound
from oms.domain.events import (
    OutboxEvent,
    child_order_cancelled,
    child_order_delivered,
    order_delivered,
    order_shipped,
)
from oms.domain.fulfilment import (
    AlreadyShipped,
    ChildStatus,
    ShipmentRequest,
    ShipmentStatus,
    apply_tracking,
    check_cancel_child,
    check_child_transition,
    check_shipment_lines,
    child_delivered,
    child_status_after_shipping,
    parcel_lines,
    parent_status,
)
from oms.domain.money import Money
from oms.domain.order import OrderStatus, StatusChange
from oms.domain.permissions import Actor, Permission
from oms.domain.refunds import RefundReason
from oms.domain.stock import MovementKind, StockMove
from oms.domain.timers import TimerOutcome, TimerResult
from oms.services.access import in_scope, may_see_order, owns, store_scope
from oms.services.refunds import RefundAsk, RefundService
from oms.services.replays import children_cancelled_by
from oms.store import keys
from oms.store.cases import RETURN_PARCEL
from oms.store.cross_border import add_quota_release, child_share
from oms.store.fulfilment import (
    ParentMove,
    add_child_history,
    add_child_update,
    add_parent_move,
    add_shipment,
    add_shipment_update,
    add_stock_release_of_sold,
    new_shipment,
    tracking_of,
    warehouse_children,
)
from oms.store.orders import OrderRepository, add_cancellation
from oms.store.payments import PaymentReads, RefundReads, add_inbox
from oms.store.records import (
    AttemptRecord,
    ChildRecord,
    OrderRecord,
    RefundRecord,
    child_quantities,
    shipped_quantities,
)
from oms.store.stock import mover
from oms.store.transactions import Part, Transaction, TransactionCancelled
from oms.views.orders import child_view, order_summary, order_view, shipment_view
from oms.views.payments import payment_summary

log = logging.getLogger(__name__)

ATTEMPTS = 6  # re-read and retry when a sibling moved the parent at the same moment
MAX_BATCH = 50
PAID_OR_SHIPPING = frozenset({OrderStatus.PAID, OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED})
# An exchange's replacement child ships after the order's own goods were delivered (or the order completed).
REPLACEMENT_SHIPPING = PAID_OR_SHIPPING | {OrderStatus.DELIVERED, OrderStatus.COMPLETED}


def _may_ship(record: OrderRecord, child: ChildRecord) -> None:
    """Only paid orders ship; an exchange's replacement also once the order was delivered, and only once its
    price difference is paid."""
    allowed = REPLACEMENT_SHIPPING if child.replacementOf else PAID_OR_SHIPPING
    if record.status not in allowed:
        raise Conflict(f"the order is {record.status.value}: only paid orders ship", orderStatus=record.status.value)
    if child.heldFor:
        raise Conflict(
            f"replacement {child.childId} waits for its price difference to be paid (case {child.replacementOf})",
            childStatus=child.status,
            heldFor=child.heldFor,
        )


class WarehouseDown(DomainError):
    slug = "warehouse-unavailable"
    title = "The warehouse cannot be reached"
    status = 503


class TrackingNumberTaken(Conflict):
    slug = "tracking-number-taken"
    title = "The tracking number belongs to another shipment"


class _Retry(Exception):
    """A version condition failed: another write moved the child or the parent; read and try again."""


class FulfilmentService:
    def __init__(
        self,
        orders: OrderRepository,
        *,
        auto_confirm_seconds: int,
        warehouse: Callable[[], WarehouseGateway],
        carriers: Callable[[], CarrierWebhooks],
        # Asks the provider for a child's refund right after the cancel committed; never raises (the
        # ChildOrderCancelled row and the sweeper retry what it could not do).
        settle_refund: Callable[[str, RefundRecord, str | None, Money], None] | None = None,
        # The orders side's completion of a delivered order (auto-confirm).
        complete: Callable[[OrderRecord], OrderRecord] | None = None,
        # The after-sales side's handling of a tracking event of a case's return parcel (its outcome).
        return_tracking: Callable[[str, TrackingNotice], str] | None = None,
        replacement_shipped: Callable[[str], object] | None = None,
        clock: Callable[[], datetime] = utcnow,
        # Refund requests (a cancelled child's money goes back through them); built here when not given.
        refunds: Callable[[], RefundService] | None = None,
    ) -> None:
        self.orders = orders
        self.auto_confirm_seconds = auto_confirm_seconds
        self.warehouse = warehouse
        self.carriers = carriers
        self.settle_refund = settle_refund
        self.complete = complete
        self.return_tracking = return_tracking
        # An exchange's replacement child shipped: after-sales resolves its case (case id).
        self.replacement_shipped = replacement_shipped
        self.clock = clock
        self.refunds = refunds or self._own_refunds

    def _own_refunds(self) -> RefundService:
        """Refund requests of their own (no provider legs settled by them: `settle_refund` does that)."""
        return RefundService(
            self.orders, PaymentReads(), RefundReads(), lambda _order_id: None, clock=lambda: self.clock()
        )

    def _now(self) -> str:
        return to_rfc3339(self.clock())

    # ---------------------------------------------------------------- lookups
    def _record_of_child(self, child_order_id: str) -> tuple[OrderRecord, ChildRecord]:
        parsed = keys.parse_child_id(child_order_id)
        record = self.orders.get_order(parsed[0]) if parsed else None
        child = record.child(parsed[1]) if record and parsed else None
        if record is None or child is None:
            # A parent id of an order with a single child is accepted for that child.
            record = self.orders.get_order(child_order_id)
            if record is not None and len(record.children) == 1:
                return record, record.children[0]
            raise NotFound(f"child order {child_order_id} not found")
        return record, child

    def _visible(
        self, actor: Actor, record: OrderRecord, child_order_id: str, store_ids: list[str] | None = None
    ) -> None:
        if may_see_order(actor, record.header.customerId, store_ids or ()):
            return
        raise NotFound(f"child order {child_order_id} not found")

    @staticmethod
    def _in_scope(actor: Actor, child: ChildRecord, child_order_id: str) -> None:
        """Store-scoped staff work on their stores' child orders only (any other is a 404 to them)."""
        if not in_scope(actor, child.storeId):
            raise NotFound(f"child order {child_order_id} not found")

    def children_of_warehouse(
        self, actor: Actor, warehouse_id: str, limit: int | None, cursor: str | None
    ) -> dict[str, Any]:
        if not actor.can(Permission.SHIPMENT_CREATE):
            raise Forbidden("warehouse staff list child orders")
        items, next_cursor = warehouse_children(warehouse_id, limit, cursor)
        items = [c for c in items if in_scope(actor, c.storeId)]  # store-scoped staff: their stores' only
        return {
            "items": [
                {
                    "childOrderId": c.childId,
                    "orderId": c.orderId,
                    "status": c.status,
                    "warehouseId": c.warehouseId,
                    "handling": c.handling,
                    "releasedAt": c.releasedAt,
                    "createdAt": c.createdAt,
                }
                for c in items
            ],
            "next_cursor": next_cursor,
        }

    # ---------------------------------------------------------------- release
    def release(self, actor: Actor, child_order_id: str) -> dict[str, Any]:
        """Hand a paid child to the warehouse for picking (idempotent: a released child stays released)."""
        if not actor.can(Permission.SHIPMENT_CREATE):
            raise Forbidden("warehouse staff release child orders")
        record, child = self._record_of_child(child_order_id)
        self._in_scope(actor, child, child_order_id)
        _may_ship(record, child)
        if child.releasedAt:
            if child.status == ChildStatus.AWAITING_SHIPMENT.value:
                # Tell the warehouse again (idempotent by child id): a release whose answer was lost
                # after its commit may never have reached it.
                self._send_release(record, child)
            return child_view(child, record.header.status, record.shipments)
        if ChildStatus(child.status) is not ChildStatus.AWAITING_SHIPMENT:
            raise Conflict(f"the child order is {child.status}")
        # Mark first, then tell the warehouse: a cancel from now on sees "released" and intercepts.
        now = self._now()
        tx = Transaction()
        add_child_update(tx, child, now, released=True)
        change = StatusChange(
            record.status, record.status, actor, now, f"child {child.childId} released to the warehouse"
        )
        add_child_history(tx, record.header, change)
        try:
            tx.commit()
        except TransactionCancelled as cancelled:
            raise Conflict("the child order changed meanwhile; read it again") from cancelled
        try:
            self._send_release(record, child)
        except WarehouseDown:
            self._unmark_release(child.childId, actor)
            raise
        fresh, updated = self._record_of_child(child.childId)
        if updated.status == ChildStatus.CANCELLED.value:
            # Cancelled while we were handing it over: make sure the warehouse drops it again.
            self.warehouse().intercept(child.childId)
        return child_view(updated, fresh.header.status, fresh.shipments)

    def _send_release(self, record: OrderRecord, child: ChildRecord) -> None:
        try:
            self.warehouse().release(child.childId, {"orderId": record.header.orderId, "parts": child.parts})
        except WarehouseUnavailable as error:
            raise WarehouseDown(f"the warehouse did not take the order: {error.reason}") from error

    def _unmark_release(self, child_order_id: str, actor: Actor) -> None:
        """The warehouse did not take the child: it is not released (unless a cancel already moved it)."""
        record, child = self._record_of_child(child_order_id)
        if child.status != ChildStatus.AWAITING_SHIPMENT.value or not child.releasedAt:
            return
        now = self._now()
        tx = Transaction()
        add_child_update(tx, child, now, released=False)
        text = f"child {child.childId}: the warehouse did not take it; release undone"
        add_child_history(tx, record.header, StatusChange(record.status, record.status, actor, now, text))
        try:
            tx.commit()
        except TransactionCancelled:
            log.warning("release of %s not undone: the child changed meanwhile", child_order_id)

    # ---------------------------------------------------------------- shipments
    def ship(self, actor: Actor, request: ShipmentRequest) -> dict[str, Any]:
        if not actor.can(Permission.SHIPMENT_CREATE):
            raise Forbidden("warehouse staff create shipments")
        for _ in range(ATTEMPTS):
            try:
                return self._ship_once(actor, request)
            except _Retry:
                continue
        raise Conflict("the order is changing too fast; retry")

    def _ship_once(self, actor: Actor, request: ShipmentRequest) -> dict[str, Any]:
        record, child = self._record_of_child(request.child_order_id)
        self._in_scope(actor, child, request.child_order_id)
        existing = self._same_shipment(record, child, request)
        if existing is not None:
            return existing
        _may_ship(record, child)
        status = ChildStatus(child.status)
        if status not in (ChildStatus.AWAITING_SHIPMENT, ChildStatus.PARTIALLY_SHIPPED):
            raise Conflict(f"the child order is {status.value}", childStatus=status.value)
        ordered, shipped = child_quantities(child), shipped_quantities(child)
        wanted = request.lines
        if request.parcel_no is not None:  # a planned parcel: its lines, once
            gone = {int(s.parcelNo) for s in record.shipments if s.childId == child.childId and s.parcelNo}
            wanted = parcel_lines(child.parcels, request.parcel_no, gone)
        lines = check_shipment_lines(wanted, ordered, shipped)
        after = dict(shipped)
        for line, quantity in lines.items():
            after[line] = after.get(line, 0) + quantity
        new_child = child_status_after_shipping(ordered, after)
        check_child_transition(status, new_child)
        now = self._now()
        shipment = new_shipment(
            order_id=record.header.orderId,
            child_id=child.childId,
            carrier=request.carrier,
            tracking_number=request.tracking_number,
            lines=lines,
            status=ShipmentStatus.SHIPPED.value,
            by=actor.subject,
            now=now,
            parcel_no=request.parcel_no,
        )
        tx = Transaction()
        add_shipment(tx, shipment)
        add_child_update(
            tx, child, now, status=new_child, shipped=after, released=True if not child.releasedAt else None
        )
        statuses = _children_with(record, child, new_child)
        self._move_parent(
            tx,
            record,
            statuses,
            actor,
            now,
            reason=f"child {child.childId} shipped ({request.carrier} {request.tracking_number})",
            event=partial(
                order_shipped,
                child_order_id=child.childId,
                shipment_id=shipment.shipmentId,
                carrier=request.carrier,
                tracking_number=request.tracking_number,
                lines=lines,
            ),
        )
        try:
            tx.commit()
        except TransactionCancelled as cancelled:
            if cancelled.failed(Part.TRACKING):
                existing = self._same_shipment_after_race(request)
                if existing is not None:
                    return existing
                raise TrackingNumberTaken(
                    f"{request.carrier} {request.tracking_number} is already another shipment's tracking number"
                ) from cancelled
            if cancelled.failed(Part.ORDER, Part.CHILD):
                raise _Retry from cancelled
            raise
        if child.replacementOf and self.replacement_shipped is not None:
            self._tell_replacement_shipped(child)
        return {**shipment_view(shipment), "orderId": record.header.orderId}

    def _tell_replacement_shipped(self, child: ChildRecord) -> None:
        """An exchange's replacement shipped: its case is resolved (after-sales). Never raises: the case's flow
        notices it too (its exchange task, and the sweeper)."""
        assert self.replacement_shipped is not None and child.replacementOf
        try:
            self.replacement_shipped(child.replacementOf)
        except Exception as error:
            log.warning("case %s not told its replacement shipped: %r", child.replacementOf, error)

    def _same_shipment(
        self, record: OrderRecord, child: ChildRecord, request: ShipmentRequest
    ) -> dict[str, Any] | None:
        """A retried request (same carrier and tracking number on the same child) answers the shipment it made."""
        for shipment in record.shipments:
            if (
                shipment.childId == child.childId
                and shipment.carrier == request.carrier
                and shipment.trackingNumber == request.tracking_number
            ):
                same = request.lines is None or {int(k): int(v) for k, v in shipment.lines.items()} == {
                    k: v for k, v in request.lines.items() if v
                }
                if not same:
                    raise TrackingNumberTaken(
                        "this tracking number is already used for other lines of this child order"
                    )
                return {**shipment_view(shipment), "orderId": record.header.orderId}
        return None

    def _same_shipment_after_race(self, request: ShipmentRequest) -> dict[str, Any] | None:
        record, child = self._record_of_child(request.child_order_id)
        return self._same_shipment(record, child, request)

    def ship_batch(self, actor: Actor, requests: list[ShipmentRequest]) -> dict[str, Any]:
        """Many shipments in one call; each is its own transaction, and one bad item never blocks the others."""
        if not actor.can(Permission.SHIPMENT_CREATE):
            raise Forbidden("warehouse staff create shipments")
        if len(requests) > MAX_BATCH:
            raise InvalidRequest(f"at most {MAX_BATCH} shipments per batch", field="items")
        results = []
        for n, request in enumerate(requests):
            try:
                shipment = self.ship(actor, request)
                results.append(
                    {"index": n, "childOrderId": request.child_order_id, "status": 201, "shipment": shipment}
                )
            except DomainError as error:
                results.append(
                    {
                        "index": n,
                        "childOrderId": request.child_order_id,
                        "status": error.status,
                        "problem": {
                            "type": f"urn:oms:problem:{error.slug}",
                            "title": error.title,
                            "status": error.status,
                            "detail": error.detail,
                            **error.extensions,
                        },
                    }
                )
        succeeded = sum(1 for r in results if r["status"] == 201)
        return {"succeeded": succeeded, "failed": len(results) - succeeded, "results": results}

    # ---------------------------------------------------------------- carrier tracking
    def tracking_callback(self, carrier: str, headers: Mapping[str, str], raw_body: bytes) -> str:
        """Verify, then apply once. Returns the outcome: applied | recorded | duplicate | unknown."""
        notice = self.carriers().verify(carrier, headers, raw_body)
        for _ in range(ATTEMPTS):
            try:
                return self._apply_tracking(notice)
            except _Retry:
                continue
        raise Conflict("the shipment is changing too fast; the carrier will retry")

    def _apply_tracking(self, notice: TrackingNotice) -> str:
        reservation = tracking_of(notice.carrier, notice.tracking_number)
        if reservation is None:
            log.warning("tracking event for an unknown parcel", extra={"carrier": notice.carrier})
            return "unknown"
        if reservation.shipmentId.startswith(RETURN_PARCEL) and self.return_tracking is not None:
            return self.return_tracking(reservation.shipmentId.removeprefix(RETURN_PARCEL), notice)
        record = self.orders.get_order(reservation.orderId)
        shipment = (
            next((s for s in record.shipments if s.shipmentId == reservation.shipmentId), None) if record else None
        )
        if record is None or shipment is None:
            return "unknown"
        child = next(c for c in record.children if c.childId == shipment.childId)
        if any(e.get("eventId") == notice.event_id for e in shipment.events):
            return "duplicate"
        now = self._now()
        current = ShipmentStatus(shipment.status)
        latest = parse_rfc3339(shipment.latestEventAt) if shipment.latestEventAt else None
        event_status = ShipmentStatus(notice.status.value)
        decision = apply_tracking(current, latest, event_status, notice.occurred_at)
        occurred = to_rfc3339(notice.occurred_at)
        entry = {
            "eventId": notice.event_id,
            "status": event_status.value,
            "occurredAt": occurred,
            "location": notice.location,
            "description": notice.description,
            "receivedAt": now,
            "source": f"carrier:{notice.carrier}",
            "applied": decision.new_status is not None,
            "note": decision.why,
        }
        events = sorted([*shipment.events, entry], key=lambda e: str(e.get("occurredAt", "")))
        newest = occurred if latest is None or notice.occurred_at > latest else None
        tx = Transaction()
        add_inbox(
            tx,
            f"carrier:{notice.carrier}",
            notice.event_id,
            payment_id=None,
            order_id=record.header.orderId,
            outcome="applied" if decision.new_status else "recorded",
            now=now,
        )
        add_shipment_update(
            tx,
            shipment,
            now,
            events=events,
            status=decision.new_status.value if decision.new_status else None,
            latest_event_at=newest,
        )
        if decision.new_status is not None:
            statuses = [
                decision.new_status if s.shipmentId == shipment.shipmentId else ShipmentStatus(s.status)
                for s in record.shipments
                if s.childId == child.childId
            ]
            child_status = ChildStatus(child.status)
            if child_delivered(child_status, statuses):
                add_child_update(tx, child, now, status=ChildStatus.DELIVERED)
                children = _children_with(record, child, ChildStatus.DELIVERED)
                # The last parcel delivered makes the order DELIVERED: `add_parent_move` adds the
                # OrderDelivered row that arms its auto-confirm timer.
                self._move_parent(
                    tx,
                    record,
                    children,
                    Actor.system(f"carrier:{notice.carrier}"),
                    now,
                    reason=f"child {child.childId} delivered",
                    event=partial(child_order_delivered, child_order_id=child.childId, shipment_id=shipment.shipmentId),
                )
            else:
                # Serialize with the child's other shipments: their delivery decides the child's.
                add_child_update(tx, child, now)
        try:
            tx.commit()
        except TransactionCancelled as cancelled:
            if cancelled.failed(Part.INBOX):
                return "duplicate"
            if cancelled.failed(Part.SHIPMENT, Part.ORDER, Part.CHILD):
                raise _Retry from cancelled
            raise
        return "applied" if decision.new_status else "recorded"

    def _move_parent(
        self,
        tx: Transaction,
        record: OrderRecord,
        children: list[ChildStatus],
        actor: Actor,
        now: str,
        *,
        reason: str,
        event: Callable[[dict[str, Any], OrderStatus], OutboxEvent],
        benefits: Benefits | None = None,
    ) -> OrderStatus:
        """`event(summary, status)`: the event of the move, given the order's summary and its status after it."""
        target = parent_status(record.status, children)
        change = StatusChange(record.status, target, actor, now, reason)
        summary = order_summary(record.header)
        deadline = delivered = None
        if target is not record.status and target is OrderStatus.DELIVERED:
            deadline = to_rfc3339_seconds(parse_rfc3339(now) + timedelta(seconds=self.auto_confirm_seconds))
            delivered = order_delivered(summary, delivered_at=now, auto_confirm_at=deadline)
        move = ParentMove(change, event(summary, target), benefits, deadline, delivered)
        add_parent_move(tx, record.header, move, now)
        return target

    def add_virtual_delivered(
        self, tx: Transaction, record: OrderRecord, child: ChildRecord, actor: Actor, now: str
    ) -> OrderStatus:
        """A virtual child order's last unit delivered (oms.services.virtual_goods): the child is DELIVERED
        and the parent follows, in the delivery's transaction (auto-confirm is armed as for a parcel)."""
        add_child_update(tx, child, now, status=ChildStatus.DELIVERED)
        children = _children_with(record, child, ChildStatus.DELIVERED)
        return self._move_parent(
            tx,
            record,
            children,
            actor,
            now,
            reason=f"child {child.childId} delivered (virtual goods)",
            event=partial(child_order_delivered, child_order_id=child.childId, shipment_id="virtual"),
        )

    def shipments_of(self, actor: Actor, order_id: str) -> dict[str, Any]:
        """Every parcel of an order (or of one child) with its tracking timeline."""
        record = self.orders.get_order(order_id)
        if record is None:
            record, child = self._record_of_child(order_id)
            self._visible(actor, record, order_id, [child.storeId])
            return {"items": [shipment_view(s) for s in record.shipments if s.childId == child.childId]}
        self._visible(actor, record, order_id, record.header.storeIds)
        parcels = sorted(record.shipments, key=lambda s: s.createdAt)
        if store_scope(actor) is not None and not owns(actor, record.header.customerId):
            ours = {c.childId for c in record.children if in_scope(actor, c.storeId)}
            parcels = [s for s in parcels if s.childId in ours]  # their stores' parcels only
        return {"items": [shipment_view(s) for s in parcels]}

    # ---------------------------------------------------------------- auto-confirm
    def auto_confirm(self, order_id: str) -> TimerOutcome:
        """The auto-confirm timer's task: completes a DELIVERED order at its deadline unless an
        after-sales case is open (then it waits another period)."""
        record = self.orders.get_order(order_id)
        if record is None:
            return TimerOutcome(TimerResult.SKIPPED, order_id, None)
        deadline = record.header.autoConfirmAt
        if record.status is not OrderStatus.DELIVERED or not deadline:
            return TimerOutcome(TimerResult.SKIPPED, order_id, record.status.value, deadline)
        now = self.clock()
        if now < parse_rfc3339(deadline):
            return TimerOutcome(TimerResult.NOT_DUE, order_id, record.status.value, deadline)
        if int(record.header.openCases or 0) > 0:
            later = to_rfc3339_seconds(now + timedelta(seconds=self.auto_confirm_seconds))
            return TimerOutcome(TimerResult.NOT_DUE, order_id, record.status.value, later)
        try:
            assert self.complete is not None, "auto-confirm needs the orders side's complete"
            completed = self.complete(record)
        except Conflict:
            current = self.orders.get_order(order_id)
            if current is not None and current.status is OrderStatus.DELIVERED:
                # Another write touched the order at the same moment: try again in a moment.
                soon = to_rfc3339_seconds(self.clock() + timedelta(seconds=1))
                return TimerOutcome(TimerResult.NOT_DUE, order_id, current.status.value, soon)
            status = current.status.value if current else None
            return TimerOutcome(TimerResult.SKIPPED, order_id, status, deadline)
        return TimerOutcome(TimerResult.COMPLETED, order_id, completed.status.value, deadline)

    # ---------------------------------------------------------------- cancel before shipment
    def cancel_paid(
        self, actor: Actor, order_id: str, record: OrderRecord | None, reason: str | None
    ) -> dict[str, Any]:
        """`POST /orders/{id}/cancel` for a child id (`record` None), or for a paid parent already read
        (and checked visible) by the order service: cancel every child that has not shipped."""
        if record is None:
            return self.cancel_child(actor, order_id, reason)
        open_children = [c for c in record.children if c.status == ChildStatus.AWAITING_SHIPMENT.value]
        if not open_children:
            mine = children_cancelled_by(record, actor, reason)
            if mine:  # this very cancel, retried after its answer was lost: what it did
                return self._paid_cancel_view(record, [c.childId for c in mine])
            raise AlreadyShipped("every part of this order has shipped (or was cancelled): use after-sales")
        cancelled, refused = [], []
        for child in open_children:
            try:
                self.cancel_child(actor, child.childId, reason)
                cancelled.append(child.childId)
            except (AlreadyShipped, WarehouseDown) as error:
                refused.append(
                    {"childOrderId": child.childId, "type": f"urn:oms:problem:{error.slug}", "detail": error.detail}
                )
        if not cancelled:
            raise AlreadyShipped("the order has already shipped", refused=refused)
        fresh = self.orders.get_order(order_id)
        assert fresh is not None
        return self._paid_cancel_view(fresh, cancelled, refused)

    @staticmethod
    def _paid_cancel_view(
        record: OrderRecord, cancelled: list[str], refused: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        if refused is None:  # a retried cancel: what did not go is what has shipped
            refused = [
                {
                    "childOrderId": c.childId,
                    "type": f"urn:oms:problem:{AlreadyShipped.slug}",
                    "detail": f"the child order is {c.status}",
                }
                for c in record.children
                if c.status != ChildStatus.CANCELLED.value
            ]
        return {
            **order_view(record),
            "payment": payment_summary(record),
            "cancelledChildren": cancelled,
            "notCancelled": refused,
        }

    def cancel_child(self, actor: Actor, child_order_id: str, reason: str | None) -> dict[str, Any]:
        """Cancel a paid child that has not shipped: at once when the warehouse does not have it yet,
        through the warehouse's interception when it does; refused with 409 `already-shipped` when the
        parcel has left. Every branch is written to the order's history. Cancelling a cancelled child
        again answers the order as it is (a retry changes nothing)."""
        record, child = self._record_of_child(child_order_id)
        self._visible(actor, record, child_order_id)
        own = owns(actor, record.header.customerId) and actor.can(Permission.ORDER_CANCEL_OWN)
        if not (own or actor.can(Permission.ORDER_CANCEL_ANY)):
            raise Forbidden("you may not cancel this order")
        return self._cancel_child(actor, record, child, reason)

    def stop_for_case(self, child_order_id: str, reason: str) -> bool:
        """An after-sales refund-only case on a child that has not shipped (the case checked who asked):
        cancel it, through the warehouse's interception when it has it. False when the parcel has left
        (the case goes on as any other); WarehouseDown when the warehouse cannot be asked (retried)."""
        record, child = self._record_of_child(child_order_id)
        try:
            self._cancel_child(Actor.system("after-sales"), record, child, reason)
        except AlreadyShipped:
            return False
        return True

    def _cancel_child(
        self, actor: Actor, record: OrderRecord, child: ChildRecord, reason: str | None
    ) -> dict[str, Any]:
        intercepted = False
        for _ in range(ATTEMPTS):
            if child.status == ChildStatus.CANCELLED.value:
                view = {**order_view(record), "payment": payment_summary(record)}
                return {**view, "cancelledChildren": [child.childId], "notCancelled": []}
            if record.status not in PAID_OR_SHIPPING:
                raise Conflict(f"the order is {record.status.value}: an unpaid order is cancelled as a whole")
            try:
                check_cancel_child(ChildStatus(child.status))
            except AlreadyShipped:
                self._note(record, actor, f"cancel of child {child.childId} refused: it has shipped")
                raise
            if child.releasedAt and not intercepted:
                self._intercept(record, child, actor)
                intercepted = True
            try:
                return self._cancel_child_once(actor, record, child, reason, intercepted)
            except _Retry:
                # Something moved the child or the order (a release, a sibling): decide again on fresh data.
                record, child = self._record_of_child(child.childId)
        raise Conflict("the order is changing too fast; retry")

    def _intercept(self, record: OrderRecord, child: ChildRecord, actor: Actor) -> None:
        try:
            result = self.warehouse().intercept(child.childId)
        except WarehouseUnavailable as error:
            self._note(record, actor, f"cancel of child {child.childId}: warehouse unreachable, nothing changed")
            raise WarehouseDown("the warehouse could not be asked to stop the parcel; try again") from error
        if not result.intercepted:
            why = result.reason or "already handed to the carrier"
            self._note(record, actor, f"cancel of child {child.childId} refused: interception failed ({why})")
            raise AlreadyShipped(f"the order has already shipped: {why}")

    def _note(self, record: OrderRecord, actor: Actor, text: str) -> None:
        """A refusal goes on the timeline once: the same refusal repeated adds nothing."""
        latest = max(record.events, key=lambda e: e.eventId, default=None)
        if latest is not None and latest.reason == text:
            return
        tx = Transaction()
        add_child_history(tx, record.header, StatusChange(record.status, record.status, actor, self._now(), text))
        tx.commit()

    def _cancel_child_once(
        self, actor: Actor, record: OrderRecord, child: ChildRecord, reason: str | None, intercepted: bool
    ) -> dict[str, Any]:
        now = self._now()
        header = record.header
        how = "intercepted in the warehouse" if intercepted else "not yet released to the warehouse"
        cancellation = {"by": actor.subject, "role": actor.primary_role, "reason": reason, "at": now, "how": how}
        tx = Transaction()
        add_child_update(tx, child, now, status=ChildStatus.CANCELLED, cancellation=cancellation)
        sku_of_line = {int(line.lineNo): line.skuId for line in record.lines}
        release = StockMove(
            MovementKind.RELEASE, mover(actor), {"orderId": header.orderId}, f"child {child.childId} cancelled"
        )
        add_stock_release_of_sold(tx, list(child.parts), sku_of_line, now, move=release)
        add_cancellation(tx, header, child.total.money(), now, f"child {child.childId} cancelled")
        # Its share of the yearly cross-border allowance goes back (once: the child's move is conditional).
        share = child_share(header.crossBorderQuota, int(child.childNo))
        if header.crossBorderQuota and share:
            add_quota_release(tx, header.customerId, header.crossBorderQuota, share, now)
        refunds = self._refund_actions(tx, record, child, actor, now)

        statuses = _children_with(record, child, ChildStatus.CANCELLED)
        self._move_parent(
            tx,
            record,
            statuses,
            actor,
            now,
            reason=f"child {child.childId} cancelled ({how}) and refunded",
            event=partial(child_order_cancelled, child_order_id=child.childId, how=how, refund=child.total.money()),
        )
        try:
            tx.commit()
        except TransactionCancelled as cancelled:
            # A payment's refund counter too: a refund landed meanwhile and took its room.
            if cancelled.failed(Part.ORDER, Part.CHILD, Part.ATTEMPT):
                raise _Retry from cancelled
            raise
        if self.settle_refund is not None:
            for refund, attempt in refunds:
                paid = attempt.received.money() if attempt.received else attempt.amount.money()
                self.settle_refund(header.orderId, refund, attempt.providerReference, paid)
        fresh = self.orders.get_order(header.orderId)
        assert fresh is not None
        view = {**order_view(fresh), "payment": payment_summary(fresh)}
        return {**view, "cancelledChildren": [child.childId], "notCancelled": [], "how": how}

    def _refund_actions(
        self, tx: Transaction, record: OrderRecord, child: ChildRecord, actor: Actor, now: str
    ) -> list[tuple[RefundRecord, AttemptRecord]]:
        """Money back for a cancelled child, through the refund requests (oms.services.refunds): every unit
        not refunded yet and its shipping, each tender in proportion (its share of balance used at checkout
        to the balance now, the rest through the providers that were paid, refund ids `RF<childId>`,
        `RF<childId>-2`…, what no provider payment can take to the balance), its points back and the points
        it earns revoked. Returns the provider legs to ask after the commit."""
        refunded = (child.refunded or {}).get("units") or {}
        units = tuple(
            (int(p["lineNo"]), int(p["quantity"]) - int(refunded.get(str(p["lineNo"]), 0)))
            for p in child.parts
            if int(p["quantity"]) - int(refunded.get(str(p["lineNo"]), 0)) > 0
        )
        if not units and (child.refunded or {}).get("shipping"):
            return []  # refunded in full before the cancel
        ask = RefundAsk(
            record.header.orderId,
            f"RF{child.childId}",
            RefundReason.CHILD_CANCELLED.value,
            child_id=child.childId,
            units=units,
            shipping=True,
        )
        legs = self.refunds().add(tx, record, ask, actor, now)
        attempts = {a.paymentId: a for a in record.payments}
        return [(leg, attempts[leg.paymentId]) for leg in legs if leg.paymentId in attempts]


def _children_with(record: OrderRecord, child: ChildRecord, status: ChildStatus) -> list[ChildStatus]:
    """The statuses of the order's children as they will be once `child` has moved to `status`. An exchange's
    replacement children do not count: the order's status follows the goods it sold, so a replacement
    shipping after the delivery never moves a DELIVERED or COMPLETED order back."""
    return [
        status if c.childId == child.childId else ChildStatus(c.status) for c in record.children if not c.replacementOf
    ]
