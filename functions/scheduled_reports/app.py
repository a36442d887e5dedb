"""Scheduled reports, invoked by the EventBridge schedules of template.yaml with a constant input
`{"report": "<type>"}` (`oms.services.report_jobs.REPORTS`): builds the report for the last complete
period (yesterday, last week, last month) and publishes it to ReportsBucket; `{"report": ..., "period":
"2026-12-01"}` builds that period instead (a re-run replaces it). A failure raises, so the invocation
fails: EventBridge retries it (the schedule's retry policy), then puts the input on the reports'
dead-letter queue, and the function's Errors alarm fires (docs/operations.md)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from oms import wiring
from oms.services.report_jobs import ReportDeps, run_report

logger = Logger()
services = wiring.services()


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    report_type = event.get("report")
    period = event.get("period")
    if not isinstance(report_type, str) or not (period is None or isinstance(period, str)):
        raise ValueError(f"a scheduled report needs {{'report': str, 'period'?: str}}, not {event!r}")
    record = run_report(report_type, period, ReportDeps.of(services))
    result = {
        "report": record.reportType,
        "period": record.period,
        "runs": record.runs,
        "files": [f["key"] for f in record.files],
        "summary": record.summary,
    }
    logger.info("report published", extra=result)
    return result
