"""Timer sweeper, run on a schedule (`TimerSweepSchedule`): cancels unpaid orders past their payment
deadline and completes delivered orders past their auto-confirm deadline, found through the sparse
deadline index, whatever happened to their Step Functions timers; and asks the providers again for
refunds whose next try has come (the same index). Returns (and logs) what it did.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from oms import wiring
from oms.domain.timers import TimerResult

logger = Logger()
timers = wiring.services().timers
KINDS = ("payment", "confirm", "refund")


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    report = timers.sweep(time_left_ms=context.get_remaining_time_in_millis)
    parts = [report[kind] for kind in KINDS if kind in report]
    acted = sum(len(part["acted"]) for part in parts)
    failed = sum(part["results"].get(TimerResult.FAILED.value, 0) for part in parts)
    if failed:
        logger.error("timer sweep: some entries failed", extra=report)
    elif acted:
        logger.info("timer sweep", extra=report)
    else:
        logger.debug("timer sweep: nothing overdue", extra=report)
    return report
