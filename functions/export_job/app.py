"""The export job's tasks, invoked by its state machine (statemachines/export_job.asl.json).

Input `{"action", "exportId"}`:
- `chunk`: one chunk of the export within this invocation's remaining time → `{"done", "state", "rowsDone"}`;
  the state machine runs the next chunk until `done` (transient faults raise: retried with backoff);
- `fail`: the Catch of a chunk that kept failing, with its `error` and `cause` → the job FAILED with that reason.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from oms import wiring
from oms.faults import transient_store_errors

logger = Logger()
services = wiring.services()


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    action, export_id = event.get("action"), event.get("exportId")
    if not isinstance(export_id, str) or not export_id:
        raise ValueError("event must carry an exportId")
    exports = services.exports
    with transient_store_errors():
        if action == "chunk":
            progress = exports.run_chunk(export_id, context.get_remaining_time_in_millis)
            logger.info("export chunk", extra=progress)
            return progress
        if action == "fail":
            error = str(event.get("error") or "Error")
            cause = str(event.get("cause") or "")[:300]
            reason = f"the export job failed ({error}): {cause}" if cause else f"the export job failed ({error})"
            if error == "States.Timeout":
                reason = "an export chunk ran out of time; narrow the filters or ask again"
            progress = exports.fail(export_id, reason)
            logger.warning("export failed", extra={**progress, "error": error})
            return progress
    raise ValueError(f"unknown action {action!r}")
