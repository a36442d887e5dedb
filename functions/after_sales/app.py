"""After-sales: open a case on a child order (refund only, return and refund, exchange), upload its evidence,
read and list cases, the staff queue, and every person's move (approve, reject, dispute, arbitrate, return
shipped, received, inspected, cancel). Thin: parse, authorize, call oms, shape the response."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from oms import snapstart, wiring
from oms.api.after_sales_schemas import (
    ArbitrationIn,
    CaseIn,
    CaseNoteIn,
    CaseReasonIn,
    EvidenceUploadIn,
    InspectionIn,
    ReturnShipmentIn,
)
from oms.api.after_sales_views import Case, CasePage, CaseStats, EvidenceUpload, OrderCases
from oms.api.http import actor, answer, make_resolver
from oms.api.params import Cursor, IdempotencyKey, Limit, replayed_header
from oms.domain.after_sales import (
    CaseAction,
    CaseReason,
    CaseRequest,
    CaseStatus,
    CaseStep,
    CaseType,
    Claim,
    Inspection,
    Replacement,
)
from oms.domain.permissions import Permission
from oms.services.idempotency import request_fingerprint

logger = Logger()
app = make_resolver(logger, tag="AfterSales")
services = wiring.services()
snapstart.build_before_snapshot(services, "after_sales")

OPENERS = (Permission.AFTER_SALES_OPEN_OWN, Permission.AFTER_SALES_OPEN_ANY)
MOVES = (409,)


@app.endpoint(
    "POST",
    "/orders/{orderId}/after-sales",
    status=201,
    permits=OPENERS,
    problems=(409,),
    headers=("Location", "Idempotent-Replayed"),
)
def open_case(orderId: str, body: Annotated[CaseIn, Body()], key: IdempotencyKey) -> Response[Case]:
    """Open an after-sales case on a child order's lines: the order's shopper, or support on their behalf.

    A line can be claimed for at most what was paid (refund only) or delivered (return, exchange), less
    what other open or settled cases claim (409 `claim-exceeded`). An exchange names a replacement for each
    claimed line (`replacements`: the same SKU, or another SKU of the same product). The same
    Idempotency-Key and body again answers the case it opened (201, `Idempotent-Replayed: true`)."""
    request = CaseRequest(
        child_order_id=body.childOrderId,
        case_type=body.type,
        lines=tuple(Claim(line.lineNo, line.quantity) for line in body.lines),
        reason=body.reason,
        note=body.note,
        requested_amount=body.requestedAmount.money() if body.requestedAmount else None,
        to_balance=body.toBalance,
        evidence=tuple(body.evidence),
        replacements=tuple(Replacement(r.lineNo, r.skuId) for r in body.replacements),
    )
    status, case, replayed = services.after_sales.open_case(
        actor(app),
        orderId,
        request,
        idempotency_key=key,
        fingerprint=request_fingerprint({"orderId": orderId, **body.model_dump(mode="json")}),
    )
    headers = {"Location": f"/after-sales/{case['caseId']}", **(replayed_header(replayed) or {})}
    return Response(status, "application/json", answer(Case, case), headers)


@app.endpoint("GET", "/orders/{orderId}/after-sales")
def order_cases(orderId: str) -> OrderCases:
    """Every after-sales case of an order, oldest first."""
    return answer(OrderCases, services.after_sales.of_order(actor(app), orderId))


@app.endpoint("GET", "/after-sales", problems=(403,))
def list_cases(
    mine: Annotated[bool, Query(description="Only the caller's own cases (always so for shoppers).")] = False,
    status: Annotated[CaseStatus | None, Query()] = None,
    type: Annotated[CaseType | None, Query()] = None,
    storeId: Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")] = None,
    reason: Annotated[CaseReason | None, Query()] = None,
    createdFrom: Annotated[str | None, Query(description="RFC 3339 (inclusive).", max_length=40)] = None,
    createdTo: Annotated[str | None, Query(description="RFC 3339 (inclusive).", max_length=40)] = None,
    limit: Limit = None,
    cursor: Cursor = None,
) -> CasePage:
    """Cases newest first: a shopper's own; staff's by status or by store (without either: the cases waiting
    for a decision, REQUESTED), narrowed by type, reason and created dates."""
    page = services.after_sales.list(
        actor(app),
        mine=mine,
        status=status,
        case_type=type,
        store_id=storeId,
        reason=reason,
        since=createdFrom,
        until=createdTo,
        limit=limit,
        cursor=cursor,
    )
    return answer(CasePage, page)


@app.endpoint("GET", "/after-sales/queue", permits=Permission.AFTER_SALES_READ_ANY)
def queue(
    overdue: Annotated[bool, Query(description="Only cases past their step's deadline.")] = False,
    waitingFor: Annotated[CaseStep | None, Query()] = None,
    limit: Limit = None,
    cursor: Cursor = None,
) -> CasePage:
    """Cases waiting on a step with a deadline (a decision, a dispute, a return, an inspection), earliest
    deadline first."""
    page = services.after_sales.queue(actor(app), overdue=overdue, step=waitingFor, limit=limit, cursor=cursor)
    return answer(CasePage, page)


Day = Annotated[str | None, Query(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", description="A day, YYYY-MM-DD (UTC).")]


@app.endpoint("GET", "/after-sales/stats", permits=Permission.AFTER_SALES_READ_ANY)
def stats(fromDay: Day = None, toDay: Day = None) -> CaseStats:
    """Cases opened per reason, per type and per day, from `fromDay` to `toDay` (inclusive; by default the
    30 days up to today)."""
    return answer(CaseStats, services.after_sales.stats(actor(app), fromDay, toDay))


@app.endpoint("POST", "/after-sales/evidence-uploads", status=201, permits=OPENERS, problems=(429,))
def evidence_upload(body: Annotated[EvidenceUploadIn, Body()]) -> Response[EvidenceUpload]:
    """A presigned POST for one evidence image (JPEG, PNG or WebP, at most 5 MiB), valid 15 minutes; at most
    50 a day per account (429 `too-many-uploads`)."""
    upload = services.after_sales.evidence_upload(actor(app), body.contentType, body.size)
    return Response(201, "application/json", answer(EvidenceUpload, upload))


@app.endpoint("GET", "/after-sales/{caseId}")
def get_case(caseId: str) -> Case:
    """One case (its shopper, or staff)."""
    return answer(Case, services.after_sales.get(actor(app), caseId))


def _move(case_id: str, action: CaseAction, **extra: Any) -> Case:
    return answer(Case, services.after_sales.act(actor(app), case_id, action, **extra))


@app.endpoint("POST", "/after-sales/{caseId}/approve", permits=Permission.AFTER_SALES_DECIDE, problems=MOVES)
def approve(caseId: str, body: Annotated[CaseNoteIn, Body()]) -> Case:
    """Approve a case waiting for a decision: a refund-only case is refunded, a return waits for the goods."""
    return _move(caseId, CaseAction.APPROVE, note=body.note)


@app.endpoint("POST", "/after-sales/{caseId}/reject", permits=Permission.AFTER_SALES_DECIDE, problems=MOVES)
def reject(caseId: str, body: Annotated[CaseReasonIn, Body()]) -> Case:
    """Reject a case waiting for a decision, with the reason; the shopper may dispute it once."""
    return _move(caseId, CaseAction.REJECT, note=body.note)


@app.endpoint("POST", "/after-sales/{caseId}/dispute", permits=OPENERS, problems=MOVES)
def dispute(caseId: str, body: Annotated[CaseReasonIn, Body()]) -> Case:
    """The shopper disputes a rejection (once, before its deadline): platform support arbitrates."""
    return _move(caseId, CaseAction.DISPUTE, note=body.note)


@app.endpoint("POST", "/after-sales/{caseId}/arbitrate", permits=Permission.AFTER_SALES_ARBITRATE, problems=MOVES)
def arbitrate(caseId: str, body: Annotated[ArbitrationIn, Body()]) -> Case:
    """Platform support decides an escalated or disputed case; its decision is final."""
    action = CaseAction.ARBITRATE_APPROVE if body.decision == "approve" else CaseAction.ARBITRATE_REJECT
    return _move(caseId, action, note=body.note)


@app.endpoint("POST", "/after-sales/{caseId}/return-shipment", permits=OPENERS, problems=MOVES)
def return_shipment(caseId: str, body: Annotated[ReturnShipmentIn, Body()]) -> Case:
    """The shopper ships the approved return: its carrier and tracking number (tracked by the carrier's
    callbacks; its delivery to the warehouse books it in)."""
    shipment = {"carrier": body.carrier, "trackingNumber": body.trackingNumber}
    return _move(caseId, CaseAction.RETURN_SHIPPED, return_shipment=shipment)


@app.endpoint("POST", "/after-sales/{caseId}/receive", permits=Permission.AFTER_SALES_RECEIVE, problems=MOVES)
def receive(caseId: str, body: Annotated[CaseNoteIn, Body()]) -> Case:
    """The warehouse books the return in: the merchant inspects it next."""
    return _move(caseId, CaseAction.RECEIVED, note=body.note)


@app.endpoint("POST", "/after-sales/{caseId}/inspect", permits=Permission.AFTER_SALES_RECEIVE, problems=MOVES)
def inspect(caseId: str, body: Annotated[InspectionIn, Body()]) -> Case:
    """Judge every returned unit: restockable units go back to available stock, damaged ones to the damaged
    count, in the same transaction; then the refund (or the replacement) follows."""
    verdicts = [Inspection(line.lineNo, line.restockable, line.damaged) for line in body.lines]
    return _move(caseId, CaseAction.INSPECTED, note=body.note, inspection=verdicts)


@app.endpoint("POST", "/after-sales/{caseId}/cancel", permits=OPENERS, problems=MOVES)
def cancel(caseId: str, body: Annotated[CaseNoteIn, Body()]) -> Case:
    """The shopper withdraws their case (support on their behalf), until its refund has started."""
    return _move(caseId, CaseAction.CANCEL, note=body.note)


@logger.inject_lambda_context(clear_state=True, correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


def __getattr__(name: str) -> Any:
    """`service`: the function's after-sales service, built at its first use (not at import: cold start)."""
    if name == "service":
        return services.after_sales
    raise AttributeError(name)
