"""Work that must follow a commit, driven by the committed data: the outbox rows in the table's stream.

A state change writes its outbox row inside its own transaction. `AfterCommitFunction` reads the table's
stream, filtered to inserted outbox rows of the detail types registered here (its `FilterCriteria` in
template.yaml; a test keeps the two equal), and runs the actions of each row's detail type. So the work
happens once the data is committed, whatever became of the request that committed it.

Actions must be idempotent: a row can be delivered more than once (a failed record is retried, and on
AWS so are the records after it in its shard). An action that raises makes its record a batch item
failure, retried by the event source mapping and finally reported to its on-failure queue; for the
timers and for refunds a provider could not take yet, the sweeper (`oms.services.timers`, over the
deadline index) is the backstop that needs no stream at all.

To add an action after a commit: one entry in `oms.wiring.after_commit`, and the detail type in the
function's FilterCriteria.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from oms.adapters.workflows import OrderTimer, PaymentTimerRestart
from oms.domain.order import OrderStatus


@dataclass(frozen=True)
class CommittedEvent:
    """An outbox row as the stream delivers it: the event a committed state change recorded."""

    event_id: str
    detail_type: str
    detail: dict[str, Any]
    occurred_at: str


AfterCommitAction = Callable[[CommittedEvent], None]


def committed_event(image: Mapping[str, Any]) -> CommittedEvent | None:
    """The outbox row in a stream record's new image (already deserialized); None for any other item."""
    if image.get("type") != "Outbox":
        return None
    detail = image["detail"]
    return CommittedEvent(
        event_id=str(image["eventId"]),
        detail_type=str(image["detailType"]),
        detail=json.loads(detail) if isinstance(detail, str) else dict(detail),
        occurred_at=str(image["createdAt"]),
    )


class AfterCommit:
    """Detail type → what to do once a row of that type is committed (in order)."""

    def __init__(self, actions: Mapping[str, Sequence[AfterCommitAction]]) -> None:
        self._actions = {detail_type: tuple(todo) for detail_type, todo in actions.items()}

    @property
    def detail_types(self) -> frozenset[str]:
        return frozenset(self._actions)

    def run(self, event: CommittedEvent) -> int:
        """Run the event's actions; returns how many ran. The first that raises stops the rest."""
        todo = self._actions.get(event.detail_type, ())
        for action in todo:
            action(event)
        return len(todo)


def arm_payment_timeout(timer: OrderTimer) -> AfterCommitAction:
    """OrderPlaced → the payment timer `pay-<orderId>` until the order's payment deadline (an order
    paid in full at checkout is placed PAID and needs none)."""

    def arm(event: CommittedEvent) -> None:
        if event.detail.get("status") == OrderStatus.PENDING_PAYMENT.value:
            timer.arm(str(event.detail["orderId"]), str(event.detail["paymentDeadline"]))

    return arm


def arm_auto_confirm(timer: OrderTimer) -> AfterCommitAction:
    """OrderDelivered → the auto-confirm timer `confirm-<orderId>` until the order's `autoConfirmAt`."""

    def arm(event: CommittedEvent) -> None:
        timer.arm(str(event.detail["orderId"]), str(event.detail["autoConfirmAt"]))

    return arm


def rearm_payment_timeout(timer: PaymentTimerRestart) -> AfterCommitAction:
    """OrderHoldReleased → a held order awaits the rest of its money again: a new payment timer until its
    new deadline (its first timer ended; the new one is named after the deadline). A staff hold's release
    has no deadline (the order was paid): nothing to arm."""

    def arm(event: CommittedEvent) -> None:
        deadline = event.detail.get("paymentDeadline")
        if deadline:
            timer.rearm(str(event.detail["orderId"]), str(deadline))

    return arm


class CancelFollowUp(Protocol):
    """The payments side's work after a change committed money to go back (PaymentService). Both raise
    on a transient fault and while a provider could not take a refund yet, so the record is retried."""

    def follow_up_cancel(self, order_id: str) -> None: ...

    def follow_up_refunds(self, order_id: str) -> None: ...


def finish_cancel(payments: CancelFollowUp) -> AfterCommitAction:
    """OrderCancelled → settle the refunds the cancel committed and close the order's open payment attempts
    at their providers. Both are idempotent (refund ids are the providers' idempotency keys; a closed
    attempt is not asked again), so the request's own try and this one never do anything twice. A store
    fault fails the record (delivered again); a refund the provider cannot take yet is the sweeper's
    (its entry in the deadline index, with backoff)."""

    def finish(event: CommittedEvent) -> None:
        payments.follow_up_cancel(str(event.detail["orderId"]))

    return finish


def settle_refunds(payments: CancelFollowUp) -> AfterCommitAction:
    """ChildOrderCancelled / PaymentAnomaly → ask the providers for the refunds that change committed
    (idempotent by refund id); failures as in `finish_cancel`."""

    def settle(event: CommittedEvent) -> None:
        payments.follow_up_refunds(str(event.detail["orderId"]))

    return settle


class CaseFollowUp(Protocol):
    """The after-sales side's work after a case (or its refund) committed (AfterSalesService)."""

    def flow_started(self, case_id: str, order_id: str) -> None: ...

    def resume_case(self, case_id: str) -> None: ...

    def refund_settled(self, case_id: str) -> str: ...


def start_case_flow(cases: CaseFollowUp) -> AfterCommitAction:
    """CaseOpened → the case's flow `case-<caseId>` (a named execution: starting it again is a no-op)."""

    def start(event: CommittedEvent) -> None:
        cases.flow_started(str(event.detail["caseId"]), str(event.detail["orderId"]))

    return start


def resume_case_flow(cases: CaseFollowUp) -> AfterCommitAction:
    """CaseUpdated → the flow resumes if it still waits on the step the case left (the request that moved
    the case tried first; a used token is not used again)."""

    def resume(event: CommittedEvent) -> None:
        cases.resume_case(str(event.detail["caseId"]))

    return resume


def settle_case(cases: CaseFollowUp) -> AfterCommitAction:
    """RefundSucceeded of a case's refund → the case is resolved once every leg of its refund succeeded."""

    def settle(event: CommittedEvent) -> None:
        case_id = event.detail.get("caseId")
        if case_id:
            cases.refund_settled(str(case_id))

    return settle


class ExportJobStarter(Protocol):
    def start(self, export_id: str) -> None: ...


def start_export_job(jobs: ExportJobStarter) -> AfterCommitAction:
    """ExportRequested → the export's job `export-<exportId>` (a named execution: starting it again is a no-op)."""

    def start(event: CommittedEvent) -> None:
        jobs.start(str(event.detail["exportId"]))

    return start


class CategoryRefiling(Protocol):
    def refile(self, detail: Mapping[str, Any]) -> int: ...


def refile_category_products(categories: CategoryRefiling) -> AfterCommitAction:
    """CategoryMoved / CategoryDeleted → the products filed under the old path are re-filed at their categories'
    current paths (a deleted category's: in its target), page by page, each product in its own conditional
    transaction; a long subtree continues from a new outbox row (oms.services.categories.refile)."""

    def refile(event: CommittedEvent) -> None:
        categories.refile(event.detail)

    return refile


class ProductIndexing(Protocol):
    """The product search side (ProductSearchService): re-index a product, count an order's sales."""

    def reindex(self, product_id: str, sku_ids: Sequence[str] = ()) -> bool: ...

    def count_sales(self, event_id: str, lines: Sequence[Mapping[str, Any]]) -> list[str]: ...


def reindex_product(search: ProductIndexing) -> AfterCommitAction:
    """ProductChanged → the product's search entries say what the catalog says now (idempotent)."""

    def reindex(event: CommittedEvent) -> None:
        search.reindex(str(event.detail["productId"]), [str(s) for s in event.detail.get("skuIds") or ()])

    return reindex


def count_product_sales(search: ProductIndexing) -> AfterCommitAction:
    """OrderPaid → each product's sales counter grows by the units paid (once per event), then re-indexed."""

    def count(event: CommittedEvent) -> None:
        search.count_sales(event.event_id, list(event.detail.get("lines") or ()))

    return count


class RefundedGoods(Protocol):
    def revoke_refunded(self, order_id: str) -> int: ...


def revoke_refunded_goods(goods: RefundedGoods) -> AfterCommitAction:
    """RefundSucceeded / OrderClosed → the vouchers of the refunded units (codes, links, services) are
    revoked, from the order's committed refunds (idempotent: it counts what is revoked already)."""

    def revoke(event: CommittedEvent) -> None:
        order_id = event.detail.get("orderId")
        if isinstance(order_id, str):
            goods.revoke_refunded(order_id)

    return revoke


class ChannelSettlement(Protocol):
    def settle(self, order_id: str, status: str) -> bool: ...


def settle_channel_order(channels: ChannelSettlement) -> AfterCommitAction:
    """OrderCompleted / OrderClosed / OrderCancelled → a channel order leaves its store's unsettled list
    (what a store's disable waits for)."""

    def settle(event: CommittedEvent) -> None:
        order_id, status = event.detail.get("orderId"), event.detail.get("status")
        if isinstance(order_id, str) and isinstance(status, str):
            channels.settle(order_id, status)

    return settle


class CaseHolds(Protocol):
    def follow_cases(self, order_id: str) -> int: ...


def hold_for_cases(goods: CaseHolds) -> AfterCommitAction:
    """CaseOpened / CaseUpdated → the vouchers of lines an open case covers wait for it (PENDING_AFTER_SALES),
    and return when it ends without a refund (from the order's committed cases; idempotent)."""

    def follow(event: CommittedEvent) -> None:
        order_id = event.detail.get("orderId")
        if isinstance(order_id, str):
            goods.follow_cases(order_id)

    return follow
