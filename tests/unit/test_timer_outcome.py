"""The timer tasks' typed outcome (oms.domain.timers): its JSON is the shape the order-timer state machine
and the callers read, a refund's next try reports by the refund's status, and the state machine branches
on the enum's own value."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from oms.domain.refunds import RefundStatus
from oms.domain.timers import TimerOutcome, TimerResult

ROOT = Path(__file__).resolve().parents[2]
AT = "2026-12-01T10:00:00Z"


def test_an_order_timer_outcome_always_carries_its_four_keys_in_order() -> None:
    assert json.dumps(TimerOutcome(TimerResult.SKIPPED, "o1", None).to_json()) == (
        '{"orderId": "o1", "result": "skipped", "status": null, "deadline": null}'
    )
    assert TimerOutcome(TimerResult.NOT_DUE, "o1", "PENDING_PAYMENT", AT).to_json() == {
        "orderId": "o1",
        "result": "not_due",
        "status": "PENDING_PAYMENT",
        "deadline": AT,
    }


def test_a_refund_outcome_names_its_refund_and_a_deadline_only_when_not_due() -> None:
    assert json.dumps(TimerOutcome(TimerResult.SKIPPED, "o1", "FAILED", refund_id="RF1").to_json()) == (
        '{"orderId": "o1", "refundId": "RF1", "result": "skipped", "status": "FAILED"}'
    )
    assert TimerOutcome(TimerResult.NOT_DUE, "o1", "PENDING", AT, refund_id="RF1").to_json() == {
        "orderId": "o1",
        "refundId": "RF1",
        "result": "not_due",
        "status": "PENDING",
        "deadline": AT,
    }


@pytest.mark.parametrize(
    ("status", "result"),
    [
        (RefundStatus.SUCCEEDED, "refunded"),
        (RefundStatus.PROCESSING, "processing"),
        (RefundStatus.PENDING, "pending"),
        (RefundStatus.FAILED, "refused"),
    ],
)
def test_a_refunds_next_try_reports_by_the_refunds_status_after_it(status: RefundStatus, result: str) -> None:
    assert TimerResult.of_refund(status) == result
    assert TimerResult.of_refund(status.value) is TimerResult(result)


def test_not_due_names_its_deadline_and_failed_is_no_tasks_answer() -> None:
    with pytest.raises(ValueError, match="deadline"):
        TimerOutcome(TimerResult.NOT_DUE, "o1", "DELIVERED")
    with pytest.raises(ValueError, match="sweeper"):
        TimerOutcome(TimerResult.FAILED, "o1", None)


def test_the_state_machine_reads_the_outcomes_keys_and_waits_again_on_not_due() -> None:
    machine = json.loads((ROOT / "statemachines" / "order_timer.asl.json").read_text(encoding="utf-8"))
    task = next(state for state in machine["States"].values() if state["Type"] == "Task" and "ResultSelector" in state)
    read = {key.removesuffix(".$") for key in task["ResultSelector"]}
    assert read <= set(TimerOutcome(TimerResult.SKIPPED, "o1", None).to_json())
    [choice] = machine["States"]["DeadlineMoved?"]["Choices"]
    assert (choice["Variable"], choice["StringEquals"]) == ("$.result", TimerResult.NOT_DUE.value)
    assert choice["Next"] == machine["StartAt"]
