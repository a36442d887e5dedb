"""Published reports (sales, financial, merchant settlement, reconciliation): list them with short-lived
presigned links to their files. Thin: parse, authorize, call oms, shape the response."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from oms import snapstart, wiring
from oms.api.http import answer, make_resolver
from oms.api.params import Cursor, Limit
from oms.api.report_views import ReportPage
from oms.domain.permissions import Permission

logger = Logger()
app = make_resolver(logger, tag="Reports")
services = wiring.services()
snapstart.build_before_snapshot(services, "reports")

ReportType = Annotated[
    str | None,
    Query(
        description="A report type (sales-daily, financial-daily, settlement-daily, ...); all types when absent.",
        max_length=64,
        pattern=r"^[a-z][a-z0-9-]*$",
    ),
]
From = Annotated[
    str | None,
    Query(
        alias="from",
        description="Reports whose period starts on or after this day (YYYY-MM-DD, or a period name).",
        max_length=10,
        pattern=r"^[0-9]{4}-([0-9]{2}(-[0-9]{2})?|W[0-9]{2}|Q[1-4])$",
    ),
]


@app.endpoint("GET", "/reports", permits=Permission.REPORT_READ)
def list_reports(type: ReportType = None, from_: From = None, limit: Limit = None, cursor: Cursor = None) -> ReportPage:
    """Published reports, newest period first, each file with a presigned GET link valid five minutes."""
    return answer(ReportPage, services.reports.list(type, from_, cursor, limit))


@logger.inject_lambda_context(clear_state=True, correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
