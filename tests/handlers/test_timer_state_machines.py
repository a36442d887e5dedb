"""The timers' state machines, as template.yaml defines them, run by moto's real ASL executor: when the
task keeps failing the execution puts a TimerFailed event (timer, orderId, error) on the OMS bus and
ends FAILED, so a lost timer is visible; the order itself stays in the deadline index for the sweeper."""

from __future__ import annotations

import io
import json
import logging
import zipfile
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.awslambda.models import LambdaFunction
from oms_local.core import moto_patches
from oms_local.core.template import load_template

from tests.handlers.conftest import ROOT, table_definition
from tests.helpers.polling import poll_until

TIMERS = {  # state machine → its task function
    "PaymentTimeoutStateMachine": "PaymentTimeoutFunction",
    "AutoConfirmStateMachine": "AutoConfirmFunction",
}


@pytest.fixture
def executing(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """moto with Step Functions executing, Lambda tasks routed to in-process handlers (the local stack's
    patch (b), for this test only), the template's bus and state machines, and a queue that receives
    every event on the bus."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setattr(LambdaFunction, "_invoke_lambda", moto_patches._invoke_lambda_in_process)
    logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)  # it logs every caught error
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        template = load_template(ROOT / "template.yaml", {}, "oms-local")
        boto3.client("dynamodb").create_table(**table_definition())
        events, sqs = boto3.client("events"), boto3.client("sqs")
        bus = template.event_buses["EventBus"].name
        events.create_event_bus(Name=bus)
        queue = sqs.create_queue(QueueName="bus-watch")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(Name="watch", EventBusName=bus, EventPattern=json.dumps({"source": ["oms"]}))
        events.put_targets(Rule="watch", EventBusName=bus, Targets=[{"Id": "q", "Arn": queue_arn}])
        role = boto3.client("iam").create_role(RoleName="x", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        code = io.BytesIO()
        with zipfile.ZipFile(code, "w") as archive:
            archive.writestr("app.py", "")
        arns = {}
        for machine_id, function_id in TIMERS.items():
            function = template.functions[function_id]
            boto3.client("lambda").create_function(
                FunctionName=function.name, Runtime="python3.11", Role=role, Handler="app.handler",
                Code={"ZipFile": code.getvalue()},
            )  # fmt: skip
            machine = template.state_machines[machine_id]
            arns[machine_id] = boto3.client("stepfunctions").create_state_machine(
                name=machine.name, definition=machine.definition, roleArn=role
            )["stateMachineArn"]
        yield {"template": template, "queue": queue, "arns": arns}
        for function_id in TIMERS.values():
            moto_patches.unregister_function(template.functions[function_id].name)


def run(arn: str, name: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Start an execution and wait until it ends."""
    sfn = boto3.client("stepfunctions")
    execution_arn = sfn.start_execution(stateMachineArn=arn, name=name, input=json.dumps(payload))["executionArn"]

    def finished() -> dict[str, Any] | None:
        described: dict[str, Any] = sfn.describe_execution(executionArn=execution_arn)
        return described if described["status"] != "RUNNING" else None

    return poll_until(finished, timeout=20, interval=0.05)


def bus_events(queue: str) -> list[dict[str, Any]]:
    messages = boto3.client("sqs").receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


@pytest.mark.parametrize(("machine_id", "timer", "prefix"), [
    ("PaymentTimeoutStateMachine", "payment-timeout", "pay"),
    ("AutoConfirmStateMachine", "auto-confirm", "confirm"),
])  # fmt: skip
def test_a_task_that_keeps_failing_is_reported_on_the_bus_and_fails_the_execution(
    executing: dict[str, Any], machine_id: str, timer: str, prefix: str
) -> None:
    attempts: list[dict[str, Any]] = []

    def broken_task(event: dict[str, Any]) -> Any:
        attempts.append(event)
        raise RuntimeError("the order cannot be read")

    function = executing["template"].functions[TIMERS[machine_id]]
    moto_patches.register_function(function.name, broken_task)
    armed = {"orderId": "01FAILING", "deadline": "2026-01-01T00:00:00Z"}  # due at once
    execution = run(executing["arns"][machine_id], f"{prefix}-01FAILING", armed)
    assert (execution["status"], execution["error"]) == ("FAILED", "TimerFailed")
    assert attempts == [{"orderId": "01FAILING"}]  # an error nobody retries goes straight to the Catch
    [event] = bus_events(executing["queue"])
    assert (event["source"], event["detail-type"]) == ("oms", "TimerFailed")
    detail = event["detail"]
    assert (detail["timer"], detail["orderId"], detail["execution"]) == (timer, "01FAILING", f"{prefix}-01FAILING")
    assert detail["error"]["Error"] == "RuntimeError"
    assert "the order cannot be read" in detail["error"]["Cause"]


def test_a_task_that_succeeds_puts_nothing_on_the_bus(executing: dict[str, Any]) -> None:
    function = executing["template"].functions["PaymentTimeoutFunction"]
    skipped = {"result": "skipped", "status": None, "deadline": None}
    moto_patches.register_function(function.name, lambda event: {"orderId": event["orderId"], **skipped})
    arn = executing["arns"]["PaymentTimeoutStateMachine"]
    execution = run(arn, "pay-01FINE", {"orderId": "01FINE", "deadline": "2026-01-01T00:00:00Z"})
    assert execution["status"] == "SUCCEEDED"
    assert bus_events(executing["queue"]) == []


def test_the_payment_timer_reminds_at_remind_at_then_waits_for_the_deadline(executing: dict[str, Any]) -> None:
    calls: list[dict[str, Any]] = []

    def task(event: dict[str, Any]) -> dict[str, Any]:
        calls.append(event)
        if event.get("action") == "remind":
            return {"orderId": event["orderId"], "result": "reminded"}
        return {"orderId": event["orderId"], "result": "cancelled", "status": "CANCELLED", "deadline": "x"}

    function = executing["template"].functions["PaymentTimeoutFunction"]
    moto_patches.register_function(function.name, task)
    arn = executing["arns"]["PaymentTimeoutStateMachine"]
    armed = {"orderId": "01REMIND", "deadline": "2026-01-01T00:00:00Z", "remindAt": "2025-12-31T23:59:00Z"}
    execution = run(arn, "pay-01REMIND", armed)
    assert execution["status"] == "SUCCEEDED"
    assert calls == [{"orderId": "01REMIND", "action": "remind"}, {"orderId": "01REMIND"}]
    calls.clear()
    assert run(arn, "pay-01PLAIN", {"orderId": "01PLAIN", "deadline": "2026-01-01T00:00:00Z"})["status"] == "SUCCEEDED"
    assert calls == [{"orderId": "01PLAIN"}]  # no remindAt (PaymentReminderSeconds 0, or too late): no reminder


def test_a_reminder_that_keeps_failing_does_not_stop_the_timeout(executing: dict[str, Any]) -> None:
    calls: list[dict[str, Any]] = []

    def task(event: dict[str, Any]) -> dict[str, Any]:
        calls.append(event)
        if event.get("action") == "remind":
            raise RuntimeError("the outbox is out of reach")
        return {"orderId": event["orderId"], "result": "cancelled", "status": "CANCELLED", "deadline": "x"}

    function = executing["template"].functions["PaymentTimeoutFunction"]
    moto_patches.register_function(function.name, task)
    arn = executing["arns"]["PaymentTimeoutStateMachine"]
    armed = {"orderId": "01LOUD", "deadline": "2026-01-01T00:00:00Z", "remindAt": "2025-12-31T23:59:00Z"}
    assert run(arn, "pay-01LOUD", armed)["status"] == "SUCCEEDED"
    assert calls[-1] == {"orderId": "01LOUD"}  # the expire task ran after all
    assert bus_events(executing["queue"]) == []
