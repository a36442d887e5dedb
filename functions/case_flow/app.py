"""The after-sales case flow's tasks, invoked by its state machine (statemachines/after_sales_case.asl.json).

Input `{"action", "caseId", "step"?, "token"?}`:
- `begin`: the first task (a refund-only case before shipment stops the parcel) → `{"next": step}`;
- `wait`: keep the wait's task token on the case (or resume at once when the case moved on already);
- `deadline`: the wait's deadline passed → `{"next": step}` (acts only if the case still waits for it);
- `refund`: the case's refund, asked of the providers → `{"next": step}`; raises `RefundNotSettled` while a
  leg is on its way, so the flow retries it with backoff and then waits for its RefundSucceeded;
- `exchange`: an inspected exchange's replacement child order, once → `{"next": step}` (`replacement`: it
  ships through fulfilment; `difference`: the shopper pays the price difference first; `refund`: no stock).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from oms import wiring
from oms.domain.after_sales import CaseStep, RefundNotSettled
from oms.faults import transient_store_errors

logger = Logger()
services = wiring.services()


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    action, case_id = event.get("action"), event.get("caseId")
    if not isinstance(case_id, str) or not case_id:
        raise ValueError("event must carry a caseId")
    cases = services.after_sales
    with transient_store_errors():
        if action == "begin":
            return {"next": cases.flow_begin(case_id)}
        if action == "wait":
            cases.flow_wait(case_id, CaseStep(event["step"]), str(event["token"]))
            return {}
        if action == "deadline":
            step = cases.deadline_passed(case_id, CaseStep(event["step"]))
            logger.info("case deadline", extra={"caseId": case_id, "step": event["step"], "next": step})
            return {"next": step}
        if action == "refund":
            step = cases.flow_refund(case_id)
            if step == CaseStep.REFUND.value:
                raise RefundNotSettled(f"the refund of case {case_id} is still on its way")
            return {"next": step}
        if action == "exchange":
            step = cases.flow_exchange(case_id)
            logger.info("case exchange", extra={"caseId": case_id, "next": step})
            return {"next": step}
    raise ValueError(f"unknown action {action!r}")
