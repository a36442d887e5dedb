"""Order exports: ask for one (CSV, Excel or PDF, the order listing's filters, chosen fields), follow it,
list them. The file is written by the export job (functions/export_job) after the commit. Thin: parse,
authorize, call oms, shape the response."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from oms import snapstart, wiring
from oms.api.export_schemas import Export, ExportIn, ExportPage
from oms.api.http import actor, answer, make_resolver
from oms.api.params import Cursor, IdempotencyKey, Limit, replayed_header
from oms.domain.permissions import Permission
from oms.services.exports import ExportRequest
from oms.services.idempotency import request_fingerprint

logger = Logger()
app = make_resolver(logger, tag="Exports")
services = wiring.services()
snapstart.build_before_snapshot(services, "exports")


@app.endpoint(
    "POST",
    "/exports",
    status=202,
    permits=Permission.EXPORT_CREATE,
    problems=(409,),
    headers=("Location", "Idempotent-Replayed"),
)
def create_export(body: Annotated[ExportIn, Body()], key: IdempotencyKey) -> Response[Export]:
    """Ask for an export of the orders matching `filters` (as `GET /orders`), with the chosen `fields`, as csv,
    xlsx or pdf (at most 2,000 rows: 422 `export-too-large`). Personal data is masked unless the caller may see
    it. The job runs after the answer; follow it at `Location`. The same Idempotency-Key and body again answer
    the same export (`Idempotent-Replayed: true`)."""
    request = ExportRequest(
        format=body.format,
        fields=tuple(body.fields),
        status=body.filters.status,
        created_from=body.filters.createdFrom,
        created_to=body.filters.createdTo,
        locale=body.locale,
        search=body.filters.search(),
    )
    status, view, replayed = services.exports.create(
        actor(app), request, idempotency_key=key, fingerprint=request_fingerprint(body.model_dump(mode="json"))
    )
    headers = {"Location": f"/exports/{view['exportId']}", **(replayed_header(replayed) or {})}
    return Response(status, "application/json", answer(Export, view), headers)


@app.endpoint("GET", "/exports", permits=(Permission.EXPORT_CREATE, Permission.EXPORT_READ_ANY))
def list_exports(
    mine: Annotated[bool, Query(description="Only the caller's own (always so without export:read-any).")] = False,
    limit: Limit = None,
    cursor: Cursor = None,
) -> ExportPage:
    """Exports newest first: the caller's own; an admin's list holds everybody's."""
    page = services.exports.list(actor(app), mine=mine, limit=limit, cursor=cursor)
    return answer(ExportPage, {"items": page.items, "next_cursor": page.next_cursor})


@app.endpoint("GET", "/exports/{exportId}", permits=(Permission.EXPORT_CREATE, Permission.EXPORT_READ_ANY))
def get_export(exportId: str) -> Export:
    """One export (its creator's, or any for an admin): state, rows done and, once SUCCEEDED, a presigned
    link to the file valid 15 minutes."""
    return answer(Export, services.exports.get(actor(app), exportId))


@logger.inject_lambda_context(clear_state=True, correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
