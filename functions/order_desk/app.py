"""The order desk: staff notes and recorded customer communications, the special flag, staff holds and
their release, and batch actions on up to 100 orders. Thin: parse, authorize, call oms, shape the response."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from oms import snapstart, wiring
from oms.api.desk_schemas import BatchIn, FlagIn, HoldIn, NoteIn
from oms.api.desk_views import BatchAnswer, DeskOrder, OrderNote, OrderNotes
from oms.api.http import actor, answer, make_resolver
from oms.api.params import IdempotencyKey, replayed_header
from oms.domain.batches import BatchNote, BatchRequest
from oms.domain.flags import OrderFlag
from oms.domain.permissions import Permission
from oms.services.idempotency import request_fingerprint

logger = Logger()
app = make_resolver(logger, tag="Order desk")
services = wiring.services()
snapstart.build_before_snapshot(services, "desk", "batches")

SPECIAL = "/orders/{orderId}/flags/special"
BATCH_PERMISSIONS = (
    Permission.ORDER_NOTE,
    Permission.ORDER_FLAG,
    Permission.ORDER_HOLD,
    Permission.ORDER_CANCEL_ANY,
    Permission.SHIPMENT_CREATE,
    Permission.PAYMENT_REVIEW,
    Permission.VIRTUAL_DELIVER,
    Permission.AFTER_SALES_DECIDE,
    Permission.CHANNEL_MANAGE,
)


@app.endpoint("POST", "/orders/{orderId}/notes", status=201, permits=Permission.ORDER_NOTE, problems=(409,))
def add_note(orderId: str, body: Annotated[NoteIn, Body()]) -> Response[OrderNote]:
    """Add a note (internal, or for the shopper to read) or record a customer communication (what was said,
    on which channel; internal), with its audit entry. Not idempotent: sent again, it adds another note."""
    note = services.desk.add_note(
        actor(app), orderId, kind=body.kind, text=body.text, visibility=body.visibility, channel=body.channel
    )
    return Response(201, "application/json", answer(OrderNote, note))


@app.endpoint("GET", "/orders/{orderId}/notes")
def notes(orderId: str) -> OrderNotes:
    """The order's notes, newest first: staff see all of them with who wrote each; the shopper sees the
    notes meant for them, without staff identity."""
    return answer(OrderNotes, services.desk.notes(actor(app), orderId))


@app.endpoint("PUT", SPECIAL, permits=Permission.ORDER_FLAG)
def flag_special(orderId: str, body: Annotated[FlagIn | None, Body()] = None) -> DeskOrder:
    """Mark the order special (idempotent: marked already, it stays as it was marked)."""
    reason = body.reason if body is not None else None
    return answer(DeskOrder, services.desk.set_flag(actor(app), orderId, OrderFlag.SPECIAL, reason))


@app.endpoint("DELETE", SPECIAL, permits=Permission.ORDER_FLAG)
def unflag_special(orderId: str, body: Annotated[FlagIn | None, Body()] = None) -> DeskOrder:
    """Unmark the order special, with an optional reason (idempotent: not marked, nothing changes)."""
    reason = body.reason if body is not None else None
    return answer(DeskOrder, services.desk.clear_flag(actor(app), orderId, OrderFlag.SPECIAL, reason))


@app.endpoint("POST", "/orders/{orderId}/hold", permits=Permission.ORDER_HOLD, problems=(409,))
def hold(orderId: str, body: Annotated[HoldIn, Body()]) -> DeskOrder:
    """Put a paid order that has not shipped in full on hold: none of it is released or shipped, and its
    child orders leave the warehouse lists, until a staff release."""
    return answer(DeskOrder, services.desk.hold(actor(app), orderId, body.reason))


@app.endpoint("POST", "/orders/{orderId}/release-hold", permits=Permission.ORDER_HOLD, problems=(409,))
def release_hold(orderId: str, body: Annotated[HoldIn, Body()]) -> DeskOrder:
    """Release a staff hold: the order is back at the status the hold interrupted. An abnormal payment's
    hold (resolve its case) or a risk review's (decide it) is 409 `hold-released-elsewhere`."""
    return answer(DeskOrder, services.desk.release_hold(actor(app), orderId, body.reason))


@app.endpoint("POST", "/orders/batch", permits=BATCH_PERMISSIONS, problems=(400, 409), headers=("Idempotent-Replayed",))
def batch(body: Annotated[BatchIn, Body()], key: IdempotencyKey) -> Response[BatchAnswer]:
    """One action (review, cancel, ship, flag, unflag, hold, release-hold, note) on up to 100 orders: each
    order is its own transaction and gets its own result (succeeded, or failed with the problem its
    single-order route would have answered). The same Idempotency-Key and body answer the same again."""
    note = body.note
    request = BatchRequest(
        action=body.action,
        order_ids=list(body.orderIds),
        reason=body.reason,
        approve=None if body.decision is None else body.decision == "approve",
        flag=OrderFlag(body.flag or OrderFlag.SPECIAL.value),
        note=None if note is None else BatchNote(note.kind, note.text, note.visibility, note.channel),
        carrier=body.carrier,
        tracking_numbers=dict(body.trackingNumbers or {}),
    )
    fingerprint = request_fingerprint(body.model_dump(mode="json"))
    status, result, replayed = services.batches.run(actor(app), request, key, fingerprint)
    return Response(status, "application/json", answer(BatchAnswer, result), replayed_header(replayed))


@logger.inject_lambda_context(clear_state=True, correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
