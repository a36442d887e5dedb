"""After-sales use cases: open a case, move it (people's decisions, the return parcel, the inspection), the
flow's tasks (its waits, their deadlines, the refund), and the case lists and queues.

Every move is one transaction: the case (conditional on its version and the step it waited for), a line
on the order's history (who, role, when, from, to, why), the CaseUpdated outbox row, and what the move
does besides (the restock of an inspection, the refund's legs, the order's open-case count). The Step
Functions execution `case-<caseId>` (statemachines/after_sales_case.asl.json) only waits: after a move
commits, the request resumes the flow with the task token the case keeps (and the CaseUpdated row does it
again from the stream, for when the request could not); a wait whose deadline passed asks
`deadline_passed`, which acts only if the case still waits for that step, so a timer never overrides what
a person decided."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Protocol

from oms.adapters.carriers import TrackingNotice
from oms.domain import events
from oms.domain.after_sales import (
    DEADLINES,
    DEFAULT_POLICY,
    RELEASES_CLAIM,
    SHOPPER_ACTIONS,
    SYSTEM_ACTIONS,
    TERMINAL,
    CaseAction,
    CaseNotWaiting,
    CasePolicy,
    CaseReason,
    CaseRequest,
    CaseStatus,
    CaseStep,
    CaseType,
    Claim,
    ClaimContext,
    Inspection,
    NotReturnable,
    accept_all,
    check_claims,
    check_inspection,
    check_replacements,
    move,
    price_difference,
)
from oms.domain.clock import to_rfc3339, utcnow
from oms.domain.errors import Conflict, DomainError, Forbidden, InvalidRequest, NotFound
from oms.domain.fulfilment import ChildStatus
from oms.domain.ids import new_id
from oms.domain.ledger import exchange_difference, exchange_difference_dropped
from oms.domain.money import Money
from oms.domain.order import OrderStatus, StatusChange
from oms.domain.permissions import Actor, Permission
from oms.domain.timeline import TRACE, trace_of
from oms.services.access import may_see_case, may_see_order, owns, store_scope
from oms.services.idempotency import raise_if_key_in_use, replay
from oms.store import cases as store
from oms.store import keys
from oms.store.catalog import CatalogRepository, SkuRecord
from oms.store.ledger import add_postings
from oms.store.orders import SOLD, OrderRepository, add_event, add_history, stored_response
from oms.store.payments import add_idempotency, add_inbox
from oms.store.records import CaseRecord, ChildRecord, LineRecord, MoneyRecord, OrderRecord, StoredResponse
from oms.store.stock import mover
from oms.store.transactions import Part, Transaction, TransactionCancelled

log = logging.getLogger(__name__)

ATTEMPTS = 4
# Orders whose goods were paid for: a case can be opened on them.
CLAIMABLE_ORDERS = frozenset(
    {
        OrderStatus.PAID,
        OrderStatus.PARTIALLY_SHIPPED,
        OrderStatus.SHIPPED,
        OrderStatus.DELIVERED,
        OrderStatus.COMPLETED,
    }
)
DELIVERED_CHILDREN = frozenset({ChildStatus.DELIVERED.value, ChildStatus.COMPLETED.value})
MAX_EVIDENCE = 9


class NothingToDecide(Conflict):
    slug = "nothing-to-decide"
    title = "No case of the order waits for a decision"


class CaseFlow(Protocol):
    """The case's Step Functions execution (oms.adapters.workflows.StepFunctionsCaseFlow)."""

    def start(self, case_id: str, order_id: str, timeouts: dict[str, int]) -> None: ...

    def resume(self, token: str, next_step: str) -> bool:
        """Resume a wait with what comes next; False when the token is no longer waited on."""
        ...


@dataclass(frozen=True)
class CaseRefundAsk:
    """What a case asks the refunds side for (oms.services.refunds.RefundAsk)."""

    order_id: str
    refund_id: str
    child_id: str | None  # None: a manual amount over the order's tenders (an exchange's cheaper replacement)
    units: tuple[tuple[int, int], ...]
    amount: Money | None
    to_balance: bool
    case_id: str
    note: str | None


class CaseRefunds(Protocol):
    """The refunds side as cases use it (oms.services.refunds.RefundService, adapted in oms.wiring)."""

    def paid_share(self, record: OrderRecord, ask: CaseRefundAsk) -> Money: ...

    def add(self, tx: Transaction, record: OrderRecord, ask: CaseRefundAsk, actor: Actor, now: str) -> None: ...

    def settle(self, order_id: str) -> None:
        """Ask the providers for the order's refunds now (never raises)."""
        ...

    def status(self, record: OrderRecord, refund_id: str) -> str:
        """SUCCEEDED when every leg succeeded, FAILED when one failed, else PENDING."""
        ...


class EvidenceUploads(Protocol):
    def presigned_post(self, key: str, content_type: str, max_bytes: int) -> dict[str, Any]: ...

    def prefix(self, customer_id: str) -> str: ...


@dataclass(frozen=True)
class Deadlines:
    """Seconds each waiting step may take (template parameters; seconds locally)."""

    review: int
    dispute: int
    return_ship: int
    inspect: int
    difference_pay: int = 2 * 86400  # how long the shopper may take to pay a dearer replacement's difference

    def seconds(self, step: CaseStep) -> int | None:
        name = DEADLINES.get(step)
        if name is None:
            return None
        return {
            "review": self.review,
            "dispute": self.dispute,
            "returnShip": self.return_ship,
            "inspect": self.inspect,
            "differencePay": self.difference_pay,
        }[name]

    def to_json(self) -> dict[str, int]:
        return {
            "review": self.review,
            "dispute": self.dispute,
            "returnShip": self.return_ship,
            "inspect": self.inspect,
            "differencePay": self.difference_pay,
        }


# Who may take each action, besides the case's own shopper for SHOPPER_ACTIONS.
STAFF_PERMISSION: Mapping[CaseAction, Permission] = {
    CaseAction.APPROVE: Permission.AFTER_SALES_DECIDE,
    CaseAction.REJECT: Permission.AFTER_SALES_DECIDE,
    CaseAction.ARBITRATE_APPROVE: Permission.AFTER_SALES_ARBITRATE,
    CaseAction.ARBITRATE_REJECT: Permission.AFTER_SALES_ARBITRATE,
    CaseAction.RECEIVED: Permission.AFTER_SALES_RECEIVE,
    CaseAction.INSPECTED: Permission.AFTER_SALES_RECEIVE,
    CaseAction.RETURN_SHIPPED: Permission.AFTER_SALES_OPEN_ANY,  # support on the shopper's behalf
    CaseAction.CANCEL: Permission.AFTER_SALES_OPEN_ANY,
    CaseAction.DISPUTE: Permission.AFTER_SALES_OPEN_ANY,
}


def case_view(case: CaseRecord) -> dict[str, Any]:
    view: dict[str, Any] = {
        "caseId": case.caseId,
        "orderId": case.orderId,
        "childOrderId": case.childId,
        "customerId": case.customerId,
        "storeId": case.storeId,
        "type": case.caseType,
        "status": case.status,
        "waitingFor": case.step,
        "deadline": case.deadline,
        "reason": case.reason,
        "note": case.note,
        "lines": [dict(line) for line in case.lines],
        "amount": case.amount.money().to_dict(),
        "toBalance": case.toBalance == "true",
        "evidence": list(case.evidence or []),
        "disputed": case.disputed == "true",
        # the request trace of each decision is for the audit trail and the staff timeline, not the case view
        "decisions": [{k: v for k, v in d.items() if k not in TRACE} for d in case.decisions or []],
        "createdAt": case.createdAt,
        "createdBy": case.createdBy,
        "updatedAt": case.updatedAt,
    }
    if case.requestedAmount is not None:
        view["requestedAmount"] = case.requestedAmount.money().to_dict()
    if case.returnShipment:
        view["returnShipment"] = dict(case.returnShipment)
    if case.inspection:
        view["inspection"] = dict(case.inspection)
    if case.refundId:
        view["refundId"] = case.refundId
    if case.replacements:
        view["replacements"] = [dict(r) for r in case.replacements]
    if case.replacement:
        view["replacement"] = dict(case.replacement)
    return view


def case_facts(case: CaseRecord) -> dict[str, Any]:
    """What the case's events carry."""
    return {
        "caseId": case.caseId,
        "orderId": case.orderId,
        "childOrderId": case.childId,
        "customerId": case.customerId,
        "storeId": case.storeId,
        "type": case.caseType,
        "reason": case.reason,
        "amount": case.amount.money().to_dict(),
    }


# Steps whose deadline is the staff's to keep (a decision, an inspection): passing it alerts them (CaseOverdue).
STAFF_STEPS = frozenset({CaseStep.DECISION.value, CaseStep.INSPECTION.value})


def _overdue(case: CaseRecord, action: CaseAction, now: str) -> Callable[[Transaction], None] | None:
    """The CaseOverdue event of a staff step whose deadline passed, in the transaction of the rules' move."""
    if case.step not in STAFF_STEPS:
        return None
    event = events.case_overdue(
        case_facts(case), status=case.status, step=case.step, deadline=case.deadline, action=action.value
    )
    return lambda tx: add_event(tx, case.orderId, event, now, key="overdue")


class AfterSalesService:
    def __init__(
        self,
        orders: OrderRepository,
        *,
        refunds: CaseRefunds,
        flow: Callable[[], CaseFlow],
        evidence: Callable[[], EvidenceUploads],
        deadlines: Deadlines,
        policy: Callable[[str], CasePolicy] = lambda store_id: DEFAULT_POLICY,
        intercept: Callable[[str, str], bool] | None = None,
        skus: Callable[[str], SkuRecord | None] | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.orders = orders
        self.refunds = refunds
        self.flow = flow
        self.evidence = evidence
        self.deadlines = deadlines
        self.policy = policy
        # Cancel a paid child that has not shipped, through the warehouse's interception (fulfilment);
        # (child id, why) -> whether it was stopped in time.
        self.intercept = intercept
        # A SKU with its availability (an exchange's replacement: its product, price, warehouse, stock).
        self.skus = skus or CatalogRepository().get_sku
        self.clock = clock

    def _now(self) -> str:
        return to_rfc3339(self.clock())

    def _deadline(self, step: CaseStep, now: str) -> str | None:
        seconds = self.deadlines.seconds(step)
        if seconds is None:
            return None
        from oms.domain.clock import parse_rfc3339

        return to_rfc3339(parse_rfc3339(now) + timedelta(seconds=seconds))

    # ---------------------------------------------------------------- evidence
    def evidence_upload(self, actor: Actor, content_type: str, size: int) -> dict[str, Any]:
        """A presigned POST for one image of the caller's future case (the policy enforces the type and the
        size; the key is in the caller's own prefix, which a case checks)."""
        if not (actor.can(Permission.AFTER_SALES_OPEN_OWN) or actor.can(Permission.AFTER_SALES_OPEN_ANY)):
            raise Forbidden("only shoppers and support upload after-sales evidence")
        extension = EVIDENCE_TYPES.get(content_type)
        if extension is None:
            raise InvalidRequest(f"evidence images are {', '.join(EVIDENCE_TYPES)}", field="contentType")
        if not 0 < size <= EVIDENCE_MAX_BYTES:
            raise InvalidRequest(f"an evidence image is at most {EVIDENCE_MAX_BYTES} bytes", field="size")
        now = self.clock()
        expires = now + timedelta(days=2)
        if not store.take_evidence_upload(actor.subject, now.date().isoformat(), EVIDENCE_PER_DAY, expires):
            raise TooManyUploads(
                f"at most {EVIDENCE_PER_DAY} evidence images a day per account; try again tomorrow",
                limit=EVIDENCE_PER_DAY,
            )
        uploads = self.evidence()
        key = f"{uploads.prefix(actor.subject)}{new_id()}.{extension}"
        post = uploads.presigned_post(key, content_type, EVIDENCE_MAX_BYTES)
        return {"key": key, "url": post["url"], "fields": post["fields"], "maxBytes": EVIDENCE_MAX_BYTES}

    # ---------------------------------------------------------------- open
    def open_case(
        self, actor: Actor, order_id: str, request: CaseRequest, *, idempotency_key: str, fingerprint: str
    ) -> tuple[int, dict[str, Any], bool]:
        """Open a case on the order's child: the shopper for their own order, support on their behalf."""
        own = actor.can(Permission.AFTER_SALES_OPEN_OWN)
        if not (own or actor.can(Permission.AFTER_SALES_OPEN_ANY)):
            raise Forbidden("after-sales cases are opened by the order's shopper or by support")
        for _ in range(ATTEMPTS):
            record = self._visible(actor, order_id)
            if not actor.can(Permission.AFTER_SALES_OPEN_ANY) and not owns(actor, record.header.customerId):
                raise NotFound(f"order {order_id} not found")
            replayed = replay(self._stored(actor, idempotency_key), fingerprint)
            if replayed is not None:
                return replayed
            case, child = self._new_case(actor, record, request)
            now = case.createdAt
            view = case_view(case)
            tx = Transaction()
            store.add_case_opened(tx, case, child, record.header, now)
            text = f"after-sales case {case.caseId} ({case.caseType}, {case.reason}) opened: {self._claims_text(case)}"
            add_history(tx, order_id, StatusChange(record.status, record.status, actor, now, text), key="case")
            add_event(tx, order_id, events.case_opened(case_facts(case), status=case.status, step=case.step), now)
            add_idempotency(tx, actor.subject, idempotency_key, fingerprint, 201, view, now)
            try:
                tx.commit()
            except TransactionCancelled as cancelled:
                raise_if_key_in_use(cancelled)
                if cancelled.failed(Part.CHILD, Part.ORDER):
                    continue  # another case (or fulfilment) moved the child: claim again on fresh data
                raise
            return 201, view, False
        raise Conflict("the order is changing too fast; retry")

    def _stored(self, actor: Actor, key: str) -> StoredResponse | None:
        return stored_response(actor.subject, key)

    def _visible(self, actor: Actor, order_id: str) -> OrderRecord:
        record = self.orders.get_order(order_id)
        if record is None or not may_see_order(actor, record.header.customerId, record.header.storeIds):
            raise NotFound(f"order {order_id} not found")
        return record

    def _new_case(self, actor: Actor, record: OrderRecord, request: CaseRequest) -> tuple[CaseRecord, ChildRecord]:
        header = record.header
        if record.status not in CLAIMABLE_ORDERS:
            raise NotReturnable(f"the order is {record.status.value}: nothing on it can be claimed")
        child = next((c for c in record.children if c.childId == request.child_order_id), None)
        if child is None:
            raise InvalidRequest(
                f"child order {request.child_order_id} is not part of order {header.orderId}", field="childOrderId"
            )
        if child.status == ChildStatus.CANCELLED.value:
            raise NotReturnable(f"child order {child.childId} was cancelled (and refunded)")
        paid: dict[int, int] = {}
        for part in child.parts:
            paid[int(part["lineNo"])] = paid.get(int(part["lineNo"]), 0) + int(part["quantity"])
        shipped = {int(k): int(v) for k, v in (child.shipped or {}).items()}
        claimed: dict[int, int] = {}
        for other in record.cases:
            if other.childId != child.childId or CaseStatus(other.status) in RELEASES_CLAIM:
                continue
            if other.status == CaseStatus.REJECTED.value and other.step == CaseStep.DONE.value:
                continue  # a final rejection releases its claim too
            for line in other.lines:
                claimed[int(line["lineNo"])] = claimed.get(int(line["lineNo"]), 0) + int(line["quantity"])
        context = ClaimContext(paid, shipped, claimed)
        check_claims(request.case_type, request.lines, context, delivered=child.status in DELIVERED_CHILDREN)
        if request.case_type is CaseType.REFUND_ONLY and child.status == ChildStatus.AWAITING_SHIPMENT.value:
            # Before it ships, a refund stops the parcel: the whole child (what the warehouse would send).
            wanted = {c.line_no: c.quantity for c in request.lines}
            if claimed or wanted != paid:
                raise NotReturnable(
                    "before the child order ships a refund-only case takes the whole child order (the parcel is "
                    "stopped and everything in it refunded); ask for single lines once it is delivered",
                    childOrderId=child.childId,
                )
        for key in request.evidence:
            if not key.startswith(self.evidence().prefix(header.customerId)):
                raise InvalidRequest("evidence keys come from this shopper's own uploads", field="evidence")
        self._check_replacements(record, request)
        units = tuple((c.line_no, c.quantity) for c in request.lines)
        case_id = f"AS{new_id()}"
        ask = CaseRefundAsk(
            header.orderId, f"RF{case_id}", child.childId, units, None, request.to_balance, case_id, request.note
        )
        share = self.refunds.paid_share(record, ask)
        amount = share
        if request.requested_amount is not None:
            asked = request.requested_amount
            if asked.currency != share.currency:
                raise InvalidRequest(f"the order is paid in {share.currency}", field="requestedAmount")
            if asked.amount > share.amount:
                raise InvalidRequest(
                    f"at most {share.display()} can be asked for these units (their paid share)",
                    field="requestedAmount",
                    paidShare=share.to_dict(),
                )
            if request.case_type is not CaseType.REFUND_ONLY and asked != share:
                raise InvalidRequest(
                    "only a refund-only case asks for less than the units' paid share", field="requestedAmount"
                )
            amount = asked
        sku_of = {int(line.lineNo): line.skuId for line in record.lines}
        now = self._now()
        case = CaseRecord(
            caseId=case_id,
            orderId=header.orderId,
            childId=child.childId,
            customerId=header.customerId,
            storeId=child.storeId,
            caseType=request.case_type.value,
            status=CaseStatus.REQUESTED.value,
            step=CaseStep.DECISION.value,
            deadline=self._deadline(CaseStep.DECISION, now),
            reason=request.reason.value,
            note=request.note,
            lines=[{"lineNo": n, "quantity": q, "skuId": sku_of.get(n, "")} for n, q in units],
            amount=MoneyRecord.of(amount),
            requestedAmount=None if request.requested_amount is None else MoneyRecord.of(request.requested_amount),
            toBalance="true" if request.to_balance else None,
            evidence=list(request.evidence),
            disputed=None,
            decisions=[],
            returnShipment=None,
            inspection=None,
            refundId=None,
            replacement=None,
            replacements=[{"lineNo": r.line_no, "skuId": r.sku_id} for r in request.replacements] or None,
            flowToken=None,
            flowStep=None,
            createdAt=now,
            createdBy=actor.subject,
            updatedAt=now,
            version=1,
        )
        return case, child

    def _check_replacements(self, record: OrderRecord, request: CaseRequest) -> None:
        """An exchange names, for each claimed line, a SKU that exists and is of the line's product, all
        shipped from one warehouse (the replacement is one child order); other types name none."""
        skus = {r.sku_id: self.skus(r.sku_id) for r in request.replacements}
        check_replacements(
            request.case_type,
            request.lines,
            request.replacements,
            product_of_line={int(line.lineNo): line.productId for line in record.lines},
            product_of_sku={sku_id: sku.product_id if sku else None for sku_id, sku in skus.items()},
        )
        for sku in skus.values():
            if sku is not None and sku.price.currency != record.header.currency:
                raise InvalidRequest(f"SKU {sku.sku_id} is not sold in {record.header.currency}", field="replacements")
        if len({(sku.store_id, sku.warehouse_id) for sku in skus.values() if sku}) > 1:
            raise InvalidRequest(
                "the replacements ship from one warehouse: exchange them in two cases", field="replacements"
            )

    @staticmethod
    def _claims_text(case: CaseRecord) -> str:
        units = ", ".join(f"line {line['lineNo']} x{line['quantity']}" for line in case.lines)
        return f"{units} of {case.childId}, {case.amount.money().display()}"

    # ---------------------------------------------------------------- reads
    def _case(self, actor: Actor, case_id: str) -> tuple[OrderRecord, CaseRecord]:
        order_id = store.order_of_case(case_id)
        record = self.orders.get_order(order_id) if order_id else None
        case = next((c for c in record.cases if c.caseId == case_id), None) if record else None
        if record is None or case is None or not self._may_see(actor, case):
            raise NotFound(f"after-sales case {case_id} not found")
        return record, case

    @staticmethod
    def _may_see(actor: Actor, case: CaseRecord) -> bool:
        return may_see_case(actor, case.customerId, case.storeId)

    def get(self, actor: Actor, case_id: str) -> dict[str, Any]:
        return case_view(self._case(actor, case_id)[1])

    def of_order(self, actor: Actor, order_id: str) -> dict[str, Any]:
        record = self._visible(actor, order_id)
        cases = sorted(record.cases, key=lambda c: c.createdAt)
        return {"orderId": order_id, "items": [case_view(c) for c in cases if self._may_see(actor, c)]}

    def list(
        self,
        actor: Actor,
        *,
        mine: bool,
        status: CaseStatus | None,
        case_type: CaseType | None,
        store_id: str | None,
        reason: CaseReason | None,
        since: str | None,
        until: str | None,
        limit: int | None,
        cursor: str | None,
    ) -> dict[str, Any]:
        """The caller's own cases (`mine`), or staff's by store or by status (one of them is needed: a list
        reads one key range), narrowed by type, reason and created dates. Store-scoped staff list their
        stores' cases (`storeId` one of theirs; left out, their only store's)."""
        scope = None if mine else store_scope(actor)
        scoped = scope is not None and not actor.can(Permission.AFTER_SALES_READ_ANY)
        if scope is not None and scoped:
            if store_id is None and len(scope) == 1:
                store_id = next(iter(scope))
            if store_id is None and scope:
                raise InvalidRequest("you work for several stores: name one (`storeId`)", field="storeId")
            if store_id not in scope:
                return {"items": [], "next_cursor": None}
        if mine or not (scoped or actor.can(Permission.AFTER_SALES_READ_ANY)):
            page = store.list_cases(
                customer_id=actor.subject,
                status=status.value if status else None,
                case_type=case_type.value if case_type else None,
                reason=reason.value if reason else None,
                since=since,
                until=until,
                limit=limit,
                cursor=cursor,
            )
        else:
            if store_id is None and status is None:
                status = CaseStatus.REQUESTED  # each list reads one index range: by default, the decisions due
            page = store.list_cases(
                status=status.value if status else None,
                store_id=store_id,
                case_type=case_type.value if case_type else None,
                reason=reason.value if reason else None,
                since=since,
                until=until,
                limit=limit,
                cursor=cursor,
            )
        return {"items": [case_view(c) for c in page.items], "next_cursor": page.next_cursor}

    def queue(
        self, actor: Actor, *, overdue: bool, step: CaseStep | None, limit: int | None, cursor: str | None
    ) -> dict[str, Any]:
        """Cases waiting on a step with a deadline, earliest first: every waiting case, or the overdue ones."""
        if not actor.can(Permission.AFTER_SALES_READ_ANY):
            raise Forbidden("the after-sales queue is for staff")
        until = self._now() if overdue else "9999"
        page = store.cases_due(until, step.value if step else None, limit, cursor)
        return {"items": [case_view(c) for c in page.items], "next_cursor": page.next_cursor}

    def stats(self, actor: Actor, since: str | None, until: str | None) -> dict[str, Any]:
        """Cases opened per reason and per type from `since` to `until` (days, inclusive; by default the 30
        days up to today): one Query of the day counters the case opening writes."""
        if not actor.can(Permission.AFTER_SALES_READ_ANY):
            raise Forbidden("after-sales statistics are for staff")
        today = self.clock().date()
        until = until or today.isoformat()
        since = since or (today - timedelta(days=29)).isoformat()
        if until < since:
            raise InvalidRequest("`to` is before `from`", field="to")
        by_reason: dict[str, int] = {}
        by_type: dict[str, int] = {}
        by_day: dict[str, int] = {}
        for day, reason, kind, opened in store.case_counts(since, until):
            by_reason[reason] = by_reason.get(reason, 0) + opened
            by_type[kind] = by_type.get(kind, 0) + opened
            by_day[day] = by_day.get(day, 0) + opened
        return {
            "fromDay": since,
            "toDay": until,
            "opened": sum(by_day.values()),
            "byReason": dict(sorted(by_reason.items())),
            "byType": dict(sorted(by_type.items())),
            "byDay": dict(sorted(by_day.items())),
        }

    # ---------------------------------------------------------------- moves
    def act(
        self,
        actor: Actor,
        case_id: str,
        action: CaseAction,
        *,
        note: str | None = None,
        return_shipment: Mapping[str, str] | None = None,
        inspection: Sequence[Inspection] | None = None,
    ) -> dict[str, Any]:
        """A person's move on a case (approve, reject, dispute, arbitrate, return shipped, received,
        inspected, cancel): 409 `case-not-waiting` when the case does not wait for it now. The same move
        again by the same person (a retry) answers the case as it is."""
        if action in SYSTEM_ACTIONS:
            raise InvalidRequest(f"{action.value} is not a person's move", field="action")
        for _ in range(ATTEMPTS):
            record, case = self._case(actor, case_id)
            self._check_actor(actor, case, action)
            last = (case.decisions or [])[-1:] or [{}]
            if last[0].get("action") == action.value and last[0].get("by") == actor.subject:
                return case_view(case)  # this very move, retried after its answer was lost
            try:
                moved = self._move(actor, record, case, action, note, return_shipment, inspection)
            except _Moved:
                continue
            return case_view(moved)
        raise Conflict("the case is changing too fast; retry")

    def _check_actor(self, actor: Actor, case: CaseRecord, action: CaseAction) -> None:
        if action in SHOPPER_ACTIONS and owns(actor, case.customerId):
            return
        permission = STAFF_PERMISSION.get(action)
        if permission is None or not actor.can(permission):
            raise Forbidden(f"you may not {action.value} this case")

    def _move(
        self,
        actor: Actor,
        record: OrderRecord,
        case: CaseRecord,
        action: CaseAction,
        note: str | None,
        return_shipment: Mapping[str, str] | None = None,
        inspection: Sequence[Inspection] | None = None,
        *,
        also: Callable[[Transaction], None] | None = None,
        changes: dict[str, Any] | None = None,
    ) -> CaseRecord:
        kind, step = CaseType(case.caseType), CaseStep(case.step)
        if action is CaseAction.CANCEL and case.refundId:
            raise CaseNotWaiting("the refund has started: the case can no longer be cancelled", step=step.value)
        target = move(kind, step, action, disputed=case.disputed == "true")
        now = self._now()
        decision = {"action": action.value, "by": actor.subject, "role": actor.primary_role, "at": now}
        if note:
            decision["note"] = note
        decision.update(trace_of(actor))
        changes = {**(changes or {}), "decisions": [*(dict(d) for d in case.decisions or []), decision]}
        tx = Transaction()
        if also is not None:
            also(tx)
        if action is CaseAction.DISPUTE:
            changes["disputed"] = "true"
        if action is CaseAction.RETURN_SHIPPED:
            if not return_shipment:
                raise InvalidRequest("the return's carrier and tracking number are needed", field="carrier")
            changes["returnShipment"] = {**return_shipment, "at": now, "by": actor.subject, "events": []}
            store.add_return_tracking(tx, case, return_shipment["carrier"], return_shipment["trackingNumber"])
        if action is CaseAction.INSPECTED:
            claims = [Claim(int(line["lineNo"]), int(line["quantity"])) for line in case.lines]
            verdicts = list(inspection) if inspection is not None else accept_all(claims)
            check_inspection(claims, verdicts)
            changes["inspection"] = {
                "lines": [{"lineNo": v.line_no, "restockable": v.restockable, "damaged": v.damaged} for v in verdicts],
                "by": actor.subject,
                "at": now,
            }
            sku_of = {int(line["lineNo"]): str(line["skuId"]) for line in case.lines}
            units: dict[str, tuple[int, int]] = {}
            for v in verdicts:
                before = units.get(sku_of[v.line_no], (0, 0))
                units[sku_of[v.line_no]] = (before[0] + v.restockable, before[1] + v.damaged)
            store.add_restock(tx, units, now, case=case, by=mover(actor))
        store.add_case_move(
            tx,
            case,
            now,
            status=target.status,
            step=target.step,
            deadline=self._deadline(target.step, now),
            changes=changes,
        )
        if target.status in TERMINAL or (target.status is CaseStatus.REJECTED and target.step is CaseStep.DONE):
            store.add_open_cases(tx, record.header, -1, now)
        why = f": {note}" if note else ""
        text = f"after-sales case {case.caseId}: {action.value}, {case.status} → {target.status.value}{why}"
        add_history(tx, case.orderId, StatusChange(record.status, record.status, actor, now, text[:500]), key="case")
        moved = replace(
            case,
            **changes,
            status=target.status.value,
            step=target.step.value,
            deadline=self._deadline(target.step, now),
            version=int(case.version) + 1,
            updatedAt=now,
        )
        event = events.case_updated(
            case_facts(case),
            status=target.status.value,
            step=target.step.value,
            action=action.value,
            from_status=case.status,
            by=actor.subject,
            role=actor.primary_role,
        )
        add_event(tx, case.orderId, event, now)
        try:
            tx.commit()
        except TransactionCancelled as cancelled:
            if cancelled.failed(Part.CASE):
                raise _Moved from cancelled
            if cancelled.failed(Part.TRACKING):
                raise TrackingNumberTaken("this tracking number belongs to another parcel") from cancelled
            if cancelled.failed(Part.INBOX):
                raise _Duplicate from cancelled
            if cancelled.failed(Part.STOCK):
                raise Conflict("the returned units do not match the SKU's sold stock") from cancelled
            raise
        self.resume_flow(moved, case)
        return moved

    def decide_open(self, actor: Actor, order_id: str, approve: bool, reason: str) -> tuple[str, ...]:
        """The batch's 售后处理: approve or reject each of the order's cases waiting for a decision (as
        `POST /after-sales/{caseId}/approve|reject` would); 409 `nothing-to-decide` when none waits."""
        record = self.orders.get_order(order_id)
        if record is None:
            raise NotFound(f"order {order_id} not found")
        waiting = tuple(c.caseId for c in record.cases if c.step == CaseStep.DECISION.value)
        if not waiting:
            raise NothingToDecide(f"no after-sales case of order {order_id} waits for a decision")
        action = CaseAction.APPROVE if approve else CaseAction.REJECT
        for case_id in waiting:
            self.act(actor, case_id, action, note=reason)
        return waiting

    # ---------------------------------------------------------------- the return parcel
    def return_tracking(self, case_id: str, notice: TrackingNotice) -> str:
        """A carrier's event for a case's return parcel (the fulfilment side routes it here): kept on the
        case's return shipment, once (the carrier's event id in the inbox); DELIVERED books the return in
        (the case then waits for its inspection) when the case still waits for it. Returns applied |
        recorded | duplicate | unknown."""
        carrier = Actor.system(f"carrier:{notice.carrier}")
        for _ in range(ATTEMPTS):
            found = store.case_of(case_id)
            if found is None:
                return "unknown"
            record, case = self._case(carrier, case_id)
            now = self._now()
            shipment = dict(case.returnShipment or {})
            if any(e.get("eventId") == notice.event_id for e in shipment.get("events", [])):
                return "duplicate"
            entry = {
                "eventId": notice.event_id,
                "status": notice.status.value,
                "occurredAt": to_rfc3339(notice.occurred_at),
                "location": notice.location,
                "receivedAt": now,
            }
            shipment["events"] = sorted([*shipment.get("events", []), entry], key=lambda e: str(e["occurredAt"]))[-50:]
            arrives = notice.status.value == "DELIVERED" and case.step in (
                CaseStep.RECEIPT.value,
                CaseStep.RETURN_SHIPMENT.value,
            )
            outcome = "applied" if arrives else "recorded"

            inbox = partial(
                add_inbox,
                provider=f"carrier:{notice.carrier}",
                event_id=notice.event_id,
                payment_id=None,
                order_id=case.orderId,
                outcome=outcome,
                now=now,
            )

            try:
                if arrives:
                    note = f"the return parcel was delivered ({notice.carrier} {shipment.get('trackingNumber')})"
                    self._move(
                        carrier,
                        record,
                        case,
                        CaseAction.RECEIVED,
                        note,
                        also=inbox,
                        changes={"returnShipment": shipment},
                    )
                else:
                    tx = Transaction()
                    inbox(tx)
                    store.add_case_note(tx, case, now, {"returnShipment": shipment})
                    try:
                        tx.commit()
                    except TransactionCancelled as cancelled:
                        if cancelled.failed(Part.INBOX):
                            raise _Duplicate from cancelled
                        if cancelled.failed(Part.CASE):
                            raise _Moved from cancelled
                        raise
            except _Duplicate:
                return "duplicate"
            except _Moved:
                continue
            return outcome
        raise Conflict("the case is changing too fast; the carrier will retry")

    # ---------------------------------------------------------------- the flow
    def resume_flow(self, case: CaseRecord, before: CaseRecord) -> None:
        """After a move committed: the flow waits on the step the case left (the token `before` holds), so
        resume it with what comes next. Never raises: the CaseUpdated row does it again from the stream."""
        try:
            self._resume(case, before.flowToken, before.flowStep)
        except Exception as error:
            log.warning("resuming the flow of case %s failed: %r; the stream retries", case.caseId, error)

    def resume_case(self, case_id: str) -> None:
        """CaseUpdated from the stream: resume the flow if it still waits on a step the case left (raises on
        a fault, so the record is delivered again)."""
        case = store.case_of(case_id)
        if case is not None:
            self._resume(case, case.flowToken, case.flowStep)

    def _resume(self, case: CaseRecord, token: str | None, waiting: str | None) -> None:
        if not token or waiting == case.step:
            return
        self.flow().resume(token, case.step)
        store.clear_flow_token(case, token)

    def flow_started(self, case_id: str, order_id: str) -> None:
        """CaseOpened from the stream: the case's flow (`case-<caseId>`), once."""
        self.flow().start(case_id, order_id, self.deadlines.to_json())

    def flow_begin(self, case_id: str) -> str:
        """The flow's first task: a refund-only case on a child that has not shipped stops the parcel (the
        child is cancelled and refunded, and the case resolved with that refund); too late, the case waits
        for staff like any other, and says so. Returns the step to wait for."""
        record, case = self._case(Actor.system("after-sales"), case_id)
        if (
            case.caseType == CaseType.REFUND_ONLY.value
            and case.step == CaseStep.DECISION.value
            and not case.decisions
            and self.intercept is not None
        ):
            child = next(c for c in record.children if c.childId == case.childId)
            if child.status == ChildStatus.AWAITING_SHIPMENT.value:
                stopped = self.intercept(case.childId, f"after-sales case {case_id} (refund only)")
                fresh_record, fresh = self._case(Actor.system("after-sales"), case_id)
                if stopped:
                    return self._resolve_intercepted(fresh_record, fresh)
                self._note(
                    fresh_record,
                    fresh,
                    "too late to stop the parcel (it has left the warehouse): the case waits for the merchant's "
                    "decision; once delivered, the goods may have to come back (a return)",
                )
        return case.step

    def _resolve_intercepted(self, record: OrderRecord, case: CaseRecord) -> str:
        refund_id = f"RF{case.childId}"
        system = Actor.system("after-sales")
        now = self._now()
        tx = Transaction()
        decision = {"action": "intercepted", "by": system.subject, "role": "system", "at": now}
        changes = {"decisions": [*(dict(d) for d in case.decisions or []), decision], "refundId": refund_id}
        store.add_case_move(
            tx, case, now, status=CaseStatus.REFUNDING, step=CaseStep.REFUND, deadline=None, changes=changes
        )
        text = f"after-sales case {case.caseId}: the parcel was stopped; the child's refund {refund_id} pays it"
        add_history(tx, case.orderId, StatusChange(record.status, record.status, system, now, text), key="case")
        add_event(
            tx,
            case.orderId,
            events.case_updated(
                case_facts(case),
                status=CaseStatus.REFUNDING.value,
                step=CaseStep.REFUND.value,
                action="intercepted",
                from_status=case.status,
                by=system.subject,
                role="system",
            ),
            now,
        )
        tx.commit()
        return CaseStep.REFUND.value

    def _note(self, record: OrderRecord, case: CaseRecord, text: str) -> None:
        tx = Transaction()
        system = Actor.system("after-sales")
        line = f"after-sales case {case.caseId}: {text}"
        add_history(tx, case.orderId, StatusChange(record.status, record.status, system, self._now(), line), key="case")
        tx.commit()

    def flow_wait(self, case_id: str, step: CaseStep, token: str) -> None:
        """The flow waits on `step`: keep its token on the case; when the case has already moved on (a person
        was faster than the flow), resume it at once."""
        _, case = self._case(Actor.system("after-sales"), case_id)
        if case.step == step.value and store.set_flow_token(case, step, token):
            return
        fresh = store.case_of(case_id) or case
        self.flow().resume(token, fresh.step)

    def deadline_passed(self, case_id: str, step: CaseStep) -> str:
        """A wait's deadline passed (the flow's timeout): when the case still waits for that step, what the
        rules say happens (the store's policy decides a review; a rejection not disputed stands; a return
        not shipped closes the case; an inspection not done accepts every unit); when a person moved it
        meanwhile, nothing. Returns the step the case waits for now."""
        system = Actor.system("after-sales")
        for _ in range(ATTEMPTS):
            record, case = self._case(system, case_id)
            if case.step != step.value:
                return case.step
            if step is CaseStep.DECISION:
                action = self.policy(case.storeId).on_review_timeout(CaseType(case.caseType), case.amount.money())
                note = "no decision in time: the store's policy decided"
            elif step is CaseStep.INSPECTION:
                action, note = CaseAction.INSPECTED, "not inspected in time: every returned unit is accepted"
            elif step is CaseStep.RETURN_SHIPMENT:
                action, note = CaseAction.EXPIRE, "the return was not shipped in time: the case is closed"
            elif step is CaseStep.DISPUTE:
                action, note = CaseAction.EXPIRE, "the rejection was not disputed in time: it stands"
            elif step is CaseStep.DIFFERENCE:
                try:
                    return self._difference_not_paid(system, record, case)
                except _Moved:
                    continue
            else:
                return case.step
            try:
                return self._move(system, record, case, action, note, also=_overdue(case, action, self._now())).step
            except _Moved:
                continue
        raise Conflict("the case kept changing at its deadline")

    def flow_refund(self, case_id: str) -> str:
        """The flow's refund task: the case's refund (once: its legs in one transaction with the case's note
        of its id), asked of the providers now; resolved when every leg succeeded. Returns the step the case
        waits for (`refund` while a leg is still on its way, `done` once resolved)."""
        system = Actor.system("after-sales")
        record, case = self._case(system, case_id)
        if case.step != CaseStep.REFUND.value:
            return case.step
        if not case.refundId:
            units = tuple((int(line["lineNo"]), int(line["quantity"])) for line in case.lines)
            requested = case.requestedAmount.money() if case.requestedAmount is not None else None
            ask = CaseRefundAsk(
                case.orderId,
                f"RF{case.caseId}",
                case.childId,
                units,
                requested,
                case.toBalance == "true",
                case.caseId,
                case.note,
            )
            now = self._now()
            tx = Transaction()
            try:
                self.refunds.add(tx, record, ask, system, now)
            except Conflict as nothing_left:  # the units' money went back another way meanwhile
                text = f"nothing is left to refund: {nothing_left.detail}"
                return self._move(system, record, case, CaseAction.CLOSE, text[:300]).step
            store.add_case_note(tx, case, now, {"refundId": ask.refund_id})
            try:
                tx.commit()
            except TransactionCancelled as cancelled:
                if not cancelled.failed(Part.CASE):
                    raise
            record, case = self._case(system, case_id)
        self.refunds.settle(case.orderId)
        return self.refund_settled(case_id)

    def refund_settled(self, case_id: str) -> str:
        """A leg of the case's refund settled (RefundSucceeded from the stream, or the flow's task): the case
        is resolved once every leg succeeded. Returns the step the case waits for."""
        system = Actor.system("after-sales")
        for _ in range(ATTEMPTS):
            record, case = self._case(system, case_id)
            if case.step != CaseStep.REFUND.value or not case.refundId:
                return case.step
            if self.refunds.status(record, case.refundId) != "SUCCEEDED":
                return case.step
            try:
                return self._move(system, record, case, CaseAction.REFUNDED, f"refund {case.refundId} paid").step
            except _Moved:
                continue
        raise Conflict("the case kept changing while its refund was booked")

    # ---------------------------------------------------------------- exchanges
    def flow_exchange(self, case_id: str) -> str:
        """The flow's exchange task, once the goods are inspected: the replacement child order for the SKUs
        the case asked for (`_make_replacement`), once; a case whose replacement is made does nothing again
        (it only notices a replacement that shipped meanwhile). Returns the step the case waits for:
        `replacement` (made, ships through fulfilment), `difference` (the shopper pays a dearer
        replacement's difference first), `refund` (no stock: the returned units are refunded instead)."""
        system = Actor.system("after-sales")
        for _ in range(ATTEMPTS):
            record, case = self._case(system, case_id)
            if case.step != CaseStep.REPLACEMENT.value:
                return case.step
            try:
                if case.replacement:
                    return self._replaced_if_shipped(system, record, case)
                return self._make_replacement(system, record, case)
            except _Moved:
                continue
        raise Conflict("the case kept changing while its replacement was made")

    def _make_replacement(self, actor: Actor, record: OrderRecord, case: CaseRecord) -> str:
        """ONE transaction: the replacement SKUs' stock taken (never oversold), new order lines at each SKU's
        current price, a new child order marked as the case's replacement, the case linked to it with the
        price difference, a history line and the CaseUpdated row. A cheaper replacement refunds the
        difference (`RF<caseId>`, a manual amount over the order's tenders, settled after the commit); a
        dearer one makes the order owe it and holds the child until it is paid (step `difference`)."""
        header = record.header
        asked = {int(r["lineNo"]): str(r["skuId"]) for r in case.replacements or []}
        skus = {sku_id: self.skus(sku_id) for sku_id in set(asked.values())}
        claims = sorted((int(line["lineNo"]), int(line["quantity"])) for line in case.lines)
        needed: dict[str, int] = {}
        for line_no, quantity in claims:
            needed[asked[line_no]] = needed.get(asked[line_no], 0) + quantity
        short = [
            f"{sku_id} ({units} wanted, {found.available if found else 0} available)"
            for sku_id, units in sorted(needed.items())
            for found in [skus[sku_id]]
            if found is None or found.status != "ACTIVE" or found.available < units
        ]
        if short:
            return self._not_replaceable(actor, record, case, short)
        now = self._now()
        returned = {int(line.lineNo): line for line in record.lines}
        line_no = max(returned, default=0)
        child_no = max((int(c.childNo) for c in record.children), default=0) + 1
        child_id = keys.child_id(header.orderId, child_no)
        new_lines: list[LineRecord] = []
        parts: list[dict[str, Any]] = []
        shown: list[dict[str, Any]] = []
        difference = 0
        for returned_no, quantity in claims:
            sku = skus[asked[returned_no]]
            assert sku is not None
            old = returned[returned_no]
            extra = price_difference(sku.price, old.unitPrice.money(), quantity)
            share = self.refunds.paid_share(record, self._ask(case, ((returned_no, quantity),), None))
            difference += extra.amount
            line_no += 1
            value = sku.price.amount * quantity
            paid = max(share.amount + extra.amount, 0)  # what the shopper has paid for the replacement units
            currency = header.currency
            new_lines.append(
                LineRecord(
                    orderId=header.orderId,
                    lineNo=line_no,
                    skuId=sku.sku_id,
                    productId=sku.product_id,
                    storeId=sku.store_id,
                    warehouseId=sku.warehouse_id,
                    name=sku.name,
                    unitPrice=MoneyRecord.of(sku.price),
                    quantity=quantity,
                    lineTotal=MoneyRecord(value, currency),
                    shipping=MoneyRecord(0, currency),
                    discount=MoneyRecord(value - paid, currency),
                    payable=MoneyRecord(paid, currency),
                    stockState=SOLD,
                    pricing={"replacementOf": case.caseId, "replacesLineNo": returned_no},
                )
            )
            parts.append(
                {
                    "lineNo": line_no,
                    "skuId": sku.sku_id,
                    "quantity": quantity,
                    "amounts": {
                        "original": value,
                        "shipping": 0,
                        "goodsDiscount": value - paid,
                        "shippingDiscount": 0,
                        "pointsValue": 0,
                        "balance": 0,
                    },
                    "points": {"pointsRequired": 0, "pointsRedeemed": 0, "pointsEarned": 0},
                }
            )
            shown.append(
                {
                    "lineNo": line_no,
                    "replacesLineNo": returned_no,
                    "skuId": sku.sku_id,
                    "quantity": quantity,
                    "unitPrice": sku.price.to_dict(),
                }
            )
        first = skus[asked[claims[0][0]]]
        assert first is not None
        owed = Money(difference, header.currency)
        held = owed.amount > 0
        child = ChildRecord(
            childId=child_id,
            orderId=header.orderId,
            childNo=child_no,
            storeId=first.store_id,
            warehouseId=first.warehouse_id,
            handling=first.handling,
            crossBorder="true" if first.cross_border else "false",
            parts=parts,
            total=MoneyRecord(
                sum(int(p["amounts"]["original"]) - int(p["amounts"]["goodsDiscount"]) for p in parts), header.currency
            ),
            status=ChildStatus.AWAITING_SHIPMENT.value,
            shipped={},
            releasedAt=None,
            cancellation=None,
            createdAt=now,
            updatedAt=now,
            version=1,
            queued=not held,
            replacementOf=case.caseId,
            heldFor="difference" if held else None,
        )
        replacement: dict[str, Any] = {
            "childOrderId": child_id,
            "lines": shown,
            "difference": owed.to_dict(),
            "madeAt": now,
        }
        tx = Transaction()
        store.add_replacement(tx, new_lines, child, needed, now, case_id=case.caseId, by=mover(actor))
        text = f"replacement child order {child_id} made ({self._replacement_text(shown)})"
        refund_id = None
        if held:
            replacement["differencePaid"] = False
            add_postings(
                tx,
                [exchange_difference(header.orderId, owed, f"case {case.caseId}: the replacement costs more")],
                now,
                pk=keys.order_pk(header.orderId),
                order_id=header.orderId,
                payment_id=None,
                by=actor.subject,
            )
            deadline = self._deadline(CaseStep.DIFFERENCE, now)
            replacement["differenceDeadline"] = deadline
            text += f"; it costs {owed.display()} more: the shopper pays the difference until {deadline}, then it ships"
            action = CaseAction.DIFFERENCE_DUE
        else:
            if owed.amount < 0:
                back = Money(-owed.amount, header.currency)
                try:
                    # The refund plans before it writes: refused, it has added nothing to the transaction.
                    self.refunds.add(tx, record, self._ask(case, (), back), actor, now)
                except Conflict as nothing_left:  # the order's money went back another way meanwhile
                    text += f"; it costs {back.display()} less, but nothing is left to refund: {nothing_left.detail}"
                else:
                    refund_id = f"RF{case.caseId}"
                    replacement["refundId"] = refund_id
                    text += f"; it costs {back.display()} less: refund {refund_id} pays the difference back"
            else:
                text += "; same price: nothing to pay"
            action = None
        try:
            moved = self._case_step(
                tx, actor, record, case, action, text, now, {"replacement": replacement, "refundId": refund_id}
            )
        except TransactionCancelled as cancelled:
            if cancelled.failed(Part.LINE, Part.CHILD):
                raise _Moved from cancelled  # another replacement on this order took the keys: again
            short_now = cancelled.failed(Part.STOCK)
            if not short_now:
                raise
            fresh_record, fresh = self._case(actor, case.caseId)
            if fresh.step != CaseStep.REPLACEMENT.value or fresh.replacement:
                return fresh.step
            return self._not_replaceable(
                actor, fresh_record, fresh, [f"{f.key} (sold out meanwhile)" for f in short_now]
            )
        if refund_id:
            self.refunds.settle(header.orderId)
        return moved.step

    @staticmethod
    def _replacement_text(lines: Sequence[Mapping[str, Any]]) -> str:
        return ", ".join(
            f"line {line['lineNo']}: {line['skuId']} x{line['quantity']} for line {line['replacesLineNo']}"
            for line in lines
        )

    @staticmethod
    def _ask(case: CaseRecord, units: tuple[tuple[int, int], ...], amount: Money | None) -> CaseRefundAsk:
        """The case's refund: its claimed units (`units`), or an amount over the order's tenders."""
        return CaseRefundAsk(
            case.orderId,
            f"RF{case.caseId}",
            case.childId if units else None,
            units,
            amount,
            case.toBalance == "true",
            case.caseId,
            case.note,
        )

    def _case_step(
        self,
        tx: Transaction,
        actor: Actor,
        record: OrderRecord,
        case: CaseRecord,
        action: CaseAction | None,
        text: str,
        now: str,
        changes: dict[str, Any],
    ) -> CaseRecord:
        """Commit `tx` with the case's part of it: moved by `action` (None: it keeps its step), a decision
        entry, a history line and the CaseUpdated row. Raises _Moved when the case changed meanwhile."""
        decision = {"action": action.value if action else "replacement-made"}
        decision.update({"by": actor.subject, "role": actor.primary_role, "at": now, "note": text[:300]})
        changes = {**changes, "decisions": [*(dict(d) for d in case.decisions or []), decision]}
        if action is None:
            status, step = CaseStatus(case.status), CaseStep(case.step)
            store.add_case_note(tx, case, now, changes)
        else:
            target = move(CaseType(case.caseType), CaseStep(case.step), action)
            status, step = target.status, target.step
            store.add_case_move(
                tx, case, now, status=status, step=step, deadline=self._deadline(step, now), changes=changes
            )
        line = f"after-sales case {case.caseId}: {decision['action']}, {case.status} → {status.value}: {text}"
        add_history(tx, case.orderId, StatusChange(record.status, record.status, actor, now, line[:1000]), key="case")
        event = events.case_updated(
            case_facts(case),
            status=status.value,
            step=step.value,
            action=str(decision["action"]),
            from_status=case.status,
            by=actor.subject,
            role=actor.primary_role,
        )
        add_event(tx, case.orderId, event, now, key="case")
        try:
            tx.commit()
        except TransactionCancelled as cancelled:
            if cancelled.failed(Part.CASE):
                raise _Moved from cancelled
            raise
        moved = replace(
            case,
            **changes,
            status=status.value,
            step=step.value,
            deadline=self._deadline(step, now),
            version=int(case.version) + 1,
            updatedAt=now,
        )
        self.resume_flow(moved, case)
        return moved

    def _not_replaceable(self, actor: Actor, record: OrderRecord, case: CaseRecord, short: Sequence[str]) -> str:
        """No stock for the replacement: the exchange becomes a refund of the returned units (the flow's
        refund task pays it), said on the history."""
        note = (
            f"the replacement is out of stock ({', '.join(short)}): the exchange becomes a refund of the returned units"
        )
        return self._move(actor, record, case, CaseAction.NOT_REPLACEABLE, note[:300]).step

    def _replaced_if_shipped(self, actor: Actor, record: OrderRecord, case: CaseRecord) -> str:
        child = next((c for c in record.children if c.childId == case.replacement["childOrderId"]), None)
        if child is None or child.status == ChildStatus.AWAITING_SHIPMENT.value:
            return case.step
        note = f"the replacement child order {child.childId} shipped"
        return self._move(actor, record, case, CaseAction.REPLACED, note).step

    def replacement_shipped(self, case_id: str) -> str:
        """Fulfilment shipped a replacement child order (after its commit): the case is resolved and the flow
        resumed. Never raises for a case that moved on; returns the step the case waits for."""
        system = Actor.system("after-sales")
        for _ in range(ATTEMPTS):
            record, case = self._case(system, case_id)
            if case.step != CaseStep.REPLACEMENT.value or not case.replacement:
                return case.step
            try:
                return self._replaced_if_shipped(system, record, case)
            except _Moved:
                continue
        raise Conflict("the case kept changing while its replacement shipped")

    # ---------------------------------------------------------------- the price difference
    @staticmethod
    def _awaiting_difference(record: OrderRecord) -> CaseRecord | None:
        return next(
            (c for c in record.cases if c.step == CaseStep.DIFFERENCE.value and c.replacement),
            None,
        )

    def difference_due(self, record: OrderRecord) -> Money | None:
        """The price difference an exchange on this order waits for (the payments side lets the shopper pay
        it), or None."""
        case = self._awaiting_difference(record)
        if case is None:
            return None
        return Money.from_dict(case.replacement["difference"])

    def add_difference_paid(self, tx: Transaction, record: OrderRecord, actor: Actor, now: str) -> CaseRecord | None:
        """The payment of an exchange's difference succeeded (the payments side's transaction): in that same
        transaction the case moves on (it waits for the replacement to ship) and the held child is released
        to its warehouse. Returns the case as it was (for `difference_paid_committed`), None when no case
        waits for a difference."""
        case = self._awaiting_difference(record)
        if case is None:
            return None
        child = next(c for c in record.children if c.childId == case.replacement["childOrderId"])
        target = move(CaseType(case.caseType), CaseStep(case.step), CaseAction.DIFFERENCE_PAID)
        difference = Money.from_dict(case.replacement["difference"])
        note = f"the price difference {difference.display()} was paid: replacement {child.childId} is released"
        decision = {"action": CaseAction.DIFFERENCE_PAID.value, "by": actor.subject, "role": actor.primary_role}
        decision.update({"at": now, "note": note})
        changes = {
            "replacement": {**dict(case.replacement), "differencePaid": True},
            "decisions": [*(dict(d) for d in case.decisions or []), decision],
        }
        store.add_case_move(tx, case, now, status=target.status, step=target.step, deadline=None, changes=changes)
        store.add_replacement_released(tx, child, now)
        line = f"after-sales case {case.caseId}: {decision['action']}, {case.status} → {target.status.value}: {note}"
        add_history(tx, case.orderId, StatusChange(record.status, record.status, actor, now, line), key="case")
        event = events.case_updated(
            case_facts(case),
            status=target.status.value,
            step=target.step.value,
            action=CaseAction.DIFFERENCE_PAID.value,
            from_status=case.status,
            by=actor.subject,
            role=actor.primary_role,
        )
        add_event(tx, case.orderId, event, now, key="case")
        return case

    def difference_paid_committed(self, before: CaseRecord) -> None:
        """After the difference's payment committed: resume the flow waiting on the difference (never raises;
        the CaseUpdated row does it again from the stream)."""
        fresh = store.case_of(before.caseId)
        if fresh is not None:
            self.resume_flow(fresh, before)

    def _difference_not_paid(self, actor: Actor, record: OrderRecord, case: CaseRecord) -> str:
        """The difference's deadline passed unpaid: the held replacement is cancelled (its stock available
        again), the order no longer owes the difference, and the exchange becomes a refund of the returned
        units (the flow's refund task pays it)."""
        replacement = dict(case.replacement or {})
        child = next((c for c in record.children if c.childId == replacement.get("childOrderId")), None)
        difference = Money.from_dict(replacement["difference"])
        note = (
            f"the price difference {difference.display()} was not paid in time: replacement "
            f"{replacement.get('childOrderId')} is cancelled and the exchange becomes a refund of the returned units"
        )
        now = self._now()

        def drop(tx: Transaction) -> None:
            if child is not None and child.heldFor:
                units: dict[str, int] = {}
                for part in child.parts:
                    units[str(part["skuId"])] = units.get(str(part["skuId"]), 0) + int(part["quantity"])
                store.add_replacement_dropped(tx, child, units, note[:300], now, case_id=case.caseId, by=mover(actor))
            add_postings(
                tx,
                [exchange_difference_dropped(case.orderId, difference, f"case {case.caseId}: difference not paid")],
                now,
                pk=keys.order_pk(case.orderId),
                order_id=case.orderId,
                payment_id=None,
                by=actor.subject,
            )

        changes = {"replacement": {**replacement, "differencePaid": False}}
        return self._move(actor, record, case, CaseAction.EXPIRE, note[:300], also=drop, changes=changes).step


class TooManyUploads(DomainError):
    slug = "too-many-uploads"
    title = "Too many evidence uploads today"
    status = 429


class TrackingNumberTaken(Conflict):
    slug = "tracking-number-taken"
    title = "The tracking number belongs to another shipment"


class _Duplicate(Exception):
    """This carrier event was applied before."""


class _Moved(Exception):
    """The case moved between its read and the write: read it again."""


EVIDENCE_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
EVIDENCE_MAX_BYTES = 5 * 1024 * 1024
EVIDENCE_PER_DAY = 50  # uploads one account is given a day: a case takes 9 at most
