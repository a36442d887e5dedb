"""Step Functions timers: the payment-timeout workflow (one execution per order named `pay-<orderId>`)
and the delivery auto-confirm workflow (`confirm-<orderId>`). Both wait until a deadline, then call a
task that re-reads the order and either acts, skips, or answers `not_due` with a new deadline.

They are armed after the commit, from the outbox rows in the table's stream (`oms.services.after_commit`),
never by the request that committed."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient


class OrderTimer(Protocol):
    def arm(self, order_id: str, deadline: str) -> None:
        """Make sure a timer will act on the order at `deadline`; safe to call more than once."""


class PaymentTimerRestart(Protocol):
    def rearm(self, order_id: str, deadline: str) -> None:
        """Arm a new timer for an order whose first timer already ended (a held order awaits payment
        again); one timer per (order, deadline)."""


def execution_name(order_id: str, prefix: str = "pay") -> str:
    return f"{prefix}-{order_id}"


class _StateMachine:
    """A state machine's executions, through a Step Functions client made at first use."""

    def __init__(self, state_machine_arn: str, client: SFNClient | None = None) -> None:
        self._arn = state_machine_arn
        self._client = client

    @property
    def client(self) -> SFNClient:
        if self._client is None:
            from oms.faults import aws_client  # lazily: keeps cold starts of read-only invocations cheap

            self._client = aws_client("stepfunctions")
        return self._client


class StepFunctionsTimer(_StateMachine):
    def __init__(
        self, state_machine_arn: str, prefix: str, client: SFNClient | None = None, *, remind_seconds: int = 0
    ) -> None:
        super().__init__(state_machine_arn, client)
        self._prefix = prefix
        self._remind_seconds = remind_seconds

    def arm(self, order_id: str, deadline: str) -> None:
        self._start(execution_name(order_id, self._prefix), order_id, deadline)

    def rearm(self, order_id: str, deadline: str) -> None:
        """A second timer for the order (the first one ended): its name carries the deadline, since an
        execution name cannot be used twice."""
        digits = "".join(c for c in deadline if c.isdigit())
        self._start(f"{execution_name(order_id, self._prefix)}-{digits}", order_id, deadline)

    def _start(self, name: str, order_id: str, deadline: str) -> None:
        payload: dict[str, Any] = {"orderId": order_id, "deadline": deadline}
        remind_at = self._remind_at(deadline)
        if remind_at is not None:
            payload["remindAt"] = remind_at  # the machine's reminder step waits until then
        from botocore.exceptions import ClientError

        try:
            self.client.start_execution(
                stateMachineArn=self._arn,
                name=name,
                input=json.dumps(payload, separators=(",", ":")),
            )
        except ClientError as error:
            # Named executions make the start idempotent: the timer is already armed. (Matched by code:
            # botocore builds `client.exceptions` lazily and unlocked, so racing threads can miss it.)
            if error.response.get("Error", {}).get("Code") != "ExecutionAlreadyExists":
                raise

    def _remind_at(self, deadline: str) -> str | None:
        """`remind_seconds` before the deadline, when that is still ahead (no reminder otherwise)."""
        if self._remind_seconds <= 0:
            return None
        from datetime import timedelta

        from oms.domain.clock import parse_rfc3339, to_rfc3339, utcnow

        at = parse_rfc3339(deadline) - timedelta(seconds=self._remind_seconds)
        return to_rfc3339(at) if at > utcnow() else None


class StepFunctionsPaymentTimeout(StepFunctionsTimer):
    """The payment timer; with `remind_seconds` (PaymentReminderSeconds) it reminds the shopper that long
    before the deadline (a PaymentReminderDue event, if the order is still unpaid)."""

    def __init__(self, state_machine_arn: str, client: SFNClient | None = None, *, remind_seconds: int = 0) -> None:
        super().__init__(state_machine_arn, "pay", client, remind_seconds=remind_seconds)


class StepFunctionsAutoConfirm(StepFunctionsTimer):
    def __init__(self, state_machine_arn: str, client: SFNClient | None = None) -> None:
        super().__init__(state_machine_arn, "confirm", client)


class StepFunctionsCaseFlow(_StateMachine):
    """The after-sales case flow: one execution per case, `case-<caseId>`, whose input carries the waits'
    deadlines in seconds (the template's parameters, `oms.services.after_sales.Deadlines`); its waits are
    resumed with their task tokens."""

    def start(self, case_id: str, order_id: str, timeouts: dict[str, int]) -> None:
        from botocore.exceptions import ClientError

        payload = {"caseId": case_id, "orderId": order_id, "timeouts": timeouts}
        try:
            self.client.start_execution(
                stateMachineArn=self._arn,
                name=execution_name(case_id, "case"),
                input=json.dumps(payload, separators=(",", ":")),
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ExecutionAlreadyExists":
                raise

    def resume(self, token: str, next_step: str) -> bool:
        """Resume the wait holding `token` with the step the case waits for now; False when that wait is
        over already (resumed before, or timed out)."""
        from botocore.exceptions import ClientError

        try:
            self.client.send_task_success(taskToken=token, output=json.dumps({"next": next_step}))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("TaskTimedOut", "InvalidToken", "TaskDoesNotExist"):
                return False
            raise
        return True


class StepFunctionsExportJob(_StateMachine):
    """The export job: one execution per export, `export-<exportId>` (starting it again is a no-op)."""

    def start(self, export_id: str) -> None:
        from botocore.exceptions import ClientError

        try:
            self.client.start_execution(
                stateMachineArn=self._arn,
                name=execution_name(export_id, "export"),
                input=json.dumps({"exportId": export_id}, separators=(",", ":")),
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ExecutionAlreadyExists":
                raise
