"""Timer sweeper, run on a schedule (`TimerSweepSchedule`): cancels unpaid orders past their payment
deadline and completes delivered orders past their auto-confirm deadline, found through the sparse
deadline index, whatever happened to their Step Functions timers. Returns (and logs) what it did.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from oms.config import Settings
from oms.wiring import order_timers

logger = Logger()
timers = order_timers(Settings.from_env())


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    report = timers.sweep(time_left_ms=context.get_remaining_time_in_millis)
    acted = len(report["payment"]["acted"]) + len(report["confirm"]["acted"])
    failed = report["payment"]["results"].get("failed", 0) + report["confirm"]["results"].get("failed", 0)
    if failed:
        logger.error("timer sweep: some orders failed", extra=report)
    elif acted:
        logger.info("timer sweep", extra=report)
    else:
        logger.debug("timer sweep: nothing overdue", extra=report)
    return report
