"""Batch actions on orders (issue 13 item 7, issue 15 item 5): review, cancel, ship, flag, unflag, hold,
release-hold, note, deliver (virtual goods), after-sales (decide the waiting cases), delete or restore (the
e-commerce order list) up to `MAX_BATCH_ORDERS` orders in one request, answered with a result per order.

Each order is its own atomic, audited transaction, made by the same service method as the single-order
route (`OrderDeskService`, `OrderService.cancel`, `PaymentService.review`, `FulfilmentService.ship`, the
risk side's `decide`): a batch is never all-or-nothing, and one order's failure — its problem, as the
single route would have answered it, or a 503 problem for a transient AWS fault on that order — never
stops the others.

Permission: the action's function-level permission is the single route's and does not depend on the
order, so it is checked once for the request (403, nothing done). `review` is the exception: an order's
pending review is a bank transfer (finance's) or a risk review (the risk side's permission), so it is
checked per order by the service that decides it (a 403 result). Object-level rules (ownership, store
scope, a missing order: 404) are per order.

Idempotency-Key (required): the same key and body answer the stored answer again; another body is 422. The
key's record is written when the batch starts (with the batch's id) and replaced by the answer at the end:
a retry while it runs, or after a crash, runs the batch again under the same batch id, which changes
nothing twice (every action is a no-op on an order it was already applied to — a note carries the batch
id as its id, so it is written once)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from oms.domain.batches import MAX_BATCH_ORDERS, BatchAction, BatchRequest
from oms.domain.clock import to_rfc3339, utcnow
from oms.domain.errors import Conflict, DomainError, Forbidden, InvalidRequest
from oms.domain.fulfilment import ChildStatus, ShipmentRequest
from oms.domain.holds import Hold, HoldKind
from oms.domain.ids import new_id
from oms.domain.order import OrderStatus
from oms.domain.payment import AttemptStatus, PaymentMethod
from oms.domain.permissions import Actor, Permission
from oms.faults import is_transient
from oms.services.fulfilment import FulfilmentService
from oms.services.idempotency import replay
from oms.services.order_desk import OrderDeskService
from oms.services.orders import OrderService
from oms.services.payments import PaymentService
from oms.store import keys
from oms.store.batches import STARTED, batch_record, finish_batch, start_batch

log = logging.getLogger(__name__)

# The single routes' permissions; review's is per order (see the module's docstring).
PERMISSION: dict[BatchAction, Permission | None] = {
    BatchAction.REVIEW: None,
    BatchAction.CANCEL: Permission.ORDER_CANCEL_ANY,
    BatchAction.SHIP: Permission.SHIPMENT_CREATE,
    BatchAction.FLAG: Permission.ORDER_FLAG,
    BatchAction.UNFLAG: Permission.ORDER_FLAG,
    BatchAction.HOLD: Permission.ORDER_HOLD,
    BatchAction.RELEASE_HOLD: Permission.ORDER_HOLD,
    BatchAction.NOTE: Permission.ORDER_NOTE,
    BatchAction.DELIVER: Permission.VIRTUAL_DELIVER,
    BatchAction.AFTER_SALES: Permission.AFTER_SALES_DECIDE,
    BatchAction.DELETE: Permission.CHANNEL_MANAGE,
    BatchAction.RESTORE: Permission.CHANNEL_MANAGE,
}


class RiskReviews(Protocol):
    """The risk side's decision on an order held for risk review (approve releases it; reject refunds and
    cancels it), as its own route makes it."""

    def decide(self, actor: Actor, order_id: str, approve: bool, reason: str) -> dict[str, Any]: ...


class VirtualGoods(Protocol):
    """oms.services.virtual_goods.VirtualGoodsService, as the batch uses it."""

    def deliver(self, actor: Actor, order_id: str, activate_at: str | None = None) -> dict[str, Any]: ...

    def set_deleted(self, actor: Actor, order_id: str, deleted: bool, reason: str) -> dict[str, Any]: ...


class CaseDecisions(Protocol):
    """oms.services.after_sales.AfterSalesService, as the batch uses it."""

    def decide_open(self, actor: Actor, order_id: str, approve: bool, reason: str) -> tuple[str, ...]: ...


class NothingToReview(Conflict):
    slug = "nothing-to-review"
    title = "The order has no pending review"


def problem_of(error: DomainError) -> dict[str, Any]:
    """The problem+json body the single route answers for `error`."""
    return {
        "type": f"urn:oms:problem:{error.slug}",
        "title": error.title,
        "status": error.status,
        "detail": error.detail,
        **error.extensions,
    }


UNAVAILABLE = {
    "type": "urn:oms:problem:service-unavailable",
    "title": "Service temporarily unavailable",
    "status": 503,
    "detail": "the store is busy or did not answer in time for this order; retry it (in a new batch)",
}
INTERNAL = {
    "type": "urn:oms:problem:internal-error",
    "title": "Internal error",
    "status": 500,
    "detail": "this order met an error of ours (logged); the others went on",
}


class BatchService:
    def __init__(
        self,
        desk: OrderDeskService,
        orders: OrderService,
        payments: PaymentService,
        fulfilment: FulfilmentService,
        risk: RiskReviews,
        clock: Callable[[], datetime] = utcnow,
        virtual: VirtualGoods | None = None,
        cases: CaseDecisions | None = None,
    ) -> None:
        self.virtual = virtual
        self.cases = cases
        self.desk = desk
        self.orders = orders
        self.payments = payments
        self.fulfilment = fulfilment
        self.risk = risk
        self.clock = clock

    def run(self, actor: Actor, request: BatchRequest, key: str, fingerprint: str) -> tuple[int, dict[str, Any], bool]:
        """(status, body, replayed): the batch's answer, or the stored one for a key already answered."""
        needed = PERMISSION[request.action]
        if needed is not None and not actor.can(needed):
            raise Forbidden(f"your role may not {request.action.value} orders")
        if not request.order_ids or len(request.order_ids) > MAX_BATCH_ORDERS:
            raise InvalidRequest(f"1 to {MAX_BATCH_ORDERS} orders per batch", field="orderIds")
        subject = f"batch:{actor.subject}"
        stored = batch_record(subject, key)
        if stored is not None and stored.status_code != STARTED:
            replayed = replay(stored, fingerprint)
            assert replayed is not None
            return replayed
        if stored is not None:
            replay(stored, fingerprint)  # the same body, or 422
            batch_id = str(stored.body["batchId"])  # started and never answered: run it again, as itself
        else:
            batch_id = new_id()
            if not start_batch(subject, key, fingerprint, {"batchId": batch_id}, self._now()):
                return self.run(actor, request, key, fingerprint)  # another request with this key started it
        results = [self._one(actor, request, order_id, batch_id) for order_id in request.order_ids]
        succeeded = sum(1 for r in results if r["status"] == "succeeded")
        body = {
            "batchId": batch_id,
            "action": request.action.value,
            "succeeded": succeeded,
            "failed": len(results) - succeeded,
            "results": results,
        }
        finish_batch(subject, key, fingerprint, 200, body, self._now())
        return 200, body, False

    def _now(self) -> str:
        return to_rfc3339(self.clock())

    def _one(self, actor: Actor, request: BatchRequest, order_id: str, batch_id: str) -> dict[str, Any]:
        try:
            self._act(actor, request, order_id, batch_id)
        except DomainError as error:
            return {"orderId": order_id, "status": "failed", "problem": problem_of(error)}
        except Exception as error:
            if is_transient(error):
                log.warning("batch %s: order %s met a transient fault", batch_id, order_id, exc_info=True)
                return {"orderId": order_id, "status": "failed", "problem": dict(UNAVAILABLE)}
            log.exception("batch %s: order %s failed", batch_id, order_id)
            return {"orderId": order_id, "status": "failed", "problem": dict(INTERNAL)}
        return {"orderId": order_id, "status": "succeeded"}

    def _act(self, actor: Actor, request: BatchRequest, order_id: str, batch_id: str) -> None:
        action, reason = request.action, request.reason
        if action is BatchAction.NOTE:
            note = request.note
            assert note is not None
            self.desk.add_note(
                actor,
                order_id,
                kind=note.kind,
                text=note.text,
                visibility=note.visibility,
                channel=note.channel,
                note_id=batch_id,
            )
        elif action is BatchAction.FLAG:
            self.desk.set_flag(actor, order_id, request.flag, reason)
        elif action is BatchAction.UNFLAG:
            self.desk.clear_flag(actor, order_id, request.flag, reason)
        elif action is BatchAction.HOLD:
            assert reason is not None
            self.desk.hold(actor, order_id, reason)
        elif action is BatchAction.RELEASE_HOLD:
            assert reason is not None
            self.desk.release_hold(actor, order_id, reason)
        elif action is BatchAction.DELIVER:
            assert self.virtual is not None
            self.virtual.deliver(actor, order_id)
        elif action in (BatchAction.DELETE, BatchAction.RESTORE):
            assert self.virtual is not None and reason is not None
            self.virtual.set_deleted(actor, order_id, action is BatchAction.DELETE, reason)
        elif action is BatchAction.AFTER_SALES:
            assert self.cases is not None and request.approve is not None and reason is not None
            self.cases.decide_open(actor, order_id, request.approve, reason)
        elif action is BatchAction.CANCEL:
            self.orders.cancel(actor, order_id, reason)
        elif action is BatchAction.SHIP:
            assert request.carrier is not None
            child_id = self._child_to_ship(actor, order_id)
            shipment = ShipmentRequest(child_id, request.carrier, request.tracking_numbers[order_id], None)
            self.fulfilment.ship(actor, shipment)
        else:
            assert request.approve is not None
            self._review(actor, order_id, request.approve, reason)

    def _child_to_ship(self, actor: Actor, order_id: str) -> str:
        """A child order id ships as it is; an order id ships its one child order with something to ship."""
        if keys.parse_child_id(order_id) is not None:
            return order_id
        record = self.desk.order(actor, order_id)
        open_children = [
            c.childId
            for c in record.children
            if c.status in (ChildStatus.AWAITING_SHIPMENT.value, ChildStatus.PARTIALLY_SHIPPED.value)
        ]
        if len(open_children) > 1:
            raise InvalidRequest(
                f"order {order_id} ships as {len(open_children)} child orders: give their ids", field="orderIds"
            )
        if not open_children:
            raise Conflict(f"order {order_id} has nothing left to ship", orderStatus=record.status.value)
        return open_children[0]

    def _review(self, actor: Actor, order_id: str, approve: bool, reason: str | None) -> None:
        """The order's pending review: a bank transfer awaiting finance, or a risk-review hold."""
        record = self.desk.order(actor, order_id)
        transfers = [
            a.paymentId
            for a in record.payments
            if a.method == PaymentMethod.BANK_TRANSFER.value and a.status == AttemptStatus.PENDING.value
        ]
        if transfers:
            self.payments.review(actor, order_id, max(transfers), approve=approve, reason=reason)
            return
        hold = Hold.of(record.header.hold)
        if record.status is OrderStatus.ON_HOLD and hold is not None and hold.kind is HoldKind.RISK_REVIEW:
            self.risk.decide(actor, order_id, approve, reason or "")
            return
        raise NothingToReview(
            f"order {order_id} has no bank transfer awaiting review and no risk review", orderStatus=record.status.value
        )
