"""What an order timer's task did: the payment timeout (`OrderService.expire`), auto-confirm
(`FulfilmentService.auto_confirm`) and the sweeper's next try of a refund (`PaymentService.retry_refund`).

A task answers a `TimerOutcome`. The task functions hand its `to_json()` to Step Functions (the
order-timer state machine waits again, until the answered `deadline`, on `not_due`); the sweeper
(`oms.services.timers`) counts outcomes by result, and moves an entry that is `not_due` to its deadline."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from oms.domain.refunds import RefundStatus


class TimerResult(StrEnum):
    CANCELLED = "cancelled"  # payment timeout: the unpaid order is cancelled
    COMPLETED = "completed"  # auto-confirm: the delivered order is completed
    SKIPPED = "skipped"  # nothing to do: no such order or refund, it moved on, or another write moved it first
    NOT_DUE = "not_due"  # not yet: wait until the outcome's deadline (moved, or an after-sales case is open)
    REFUNDED = "refunded"  # a refund's next try: the provider paid it back
    PROCESSING = "processing"  # a refund's next try: accepted, paid out later (asked again with backoff)
    PENDING = "pending"  # a refund's next try: the provider could not take it now (asked again with backoff)
    REFUSED = "refused"  # a refund's next try: refused for good (staff decide)
    FAILED = "failed"  # the sweeper's count of a task that raised (no task answers it)

    @classmethod
    def of_refund(cls, status: RefundStatus | str) -> TimerResult:
        """What a refund's next try reports, by the refund's status after it."""
        return REFUND_RESULTS[RefundStatus(status)]


REFUND_RESULTS: dict[RefundStatus, TimerResult] = {
    RefundStatus.SUCCEEDED: TimerResult.REFUNDED,
    RefundStatus.PROCESSING: TimerResult.PROCESSING,
    RefundStatus.PENDING: TimerResult.PENDING,
    RefundStatus.FAILED: TimerResult.REFUSED,
}


@dataclass(frozen=True)
class TimerOutcome:
    """One task's answer: its result, the order's (or the refund's) status after it, and the deadline the
    timer waits for (`not_due` always names one). A refund's outcome carries its `refund_id`."""

    result: TimerResult
    order_id: str
    status: str | None
    deadline: str | None = None
    refund_id: str | None = None

    def __post_init__(self) -> None:
        if self.result is TimerResult.NOT_DUE and self.deadline is None:
            raise ValueError("a not_due outcome names the deadline to wait for")
        if self.result is TimerResult.FAILED:
            raise ValueError("failed is the sweeper's count of a task that raised, not a task's answer")

    def to_json(self) -> dict[str, Any]:
        """The task function's answer: `{"orderId", "result", "status", "deadline"}` for an order's timer
        (the state machine reads `result` and `deadline`, null when there is none);
        `{"orderId", "refundId", "result", "status"}` for a refund's next try, with `deadline` only when
        it is not due."""
        answer: dict[str, Any] = {"orderId": self.order_id}
        if self.refund_id is not None:
            answer["refundId"] = self.refund_id
        answer["result"] = self.result.value
        answer["status"] = None if self.status is None else str(self.status)
        if self.refund_id is None or self.deadline is not None:
            answer["deadline"] = self.deadline
        return answer
