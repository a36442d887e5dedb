"""The two order timers: what their tasks do, and the sweeper that does it for timers that were lost —
and for refunds whose next try at the provider has come.

The payment timeout cancels an unpaid order at its deadline (`OrderService.expire`); auto-confirm
completes a delivered order at its `autoConfirmAt` (`FulfilmentService.auto_confirm`). Each runs in a
Step Functions execution armed after the commit (`oms.services.after_commit`). If arming failed, or an
execution failed for good, the order is still in the sparse deadline index (`oms.store.due`): the
sweeper, run on a schedule, queries it for what is overdue and calls the same task code. Both are
conditional writes that re-read the order first, so a sweeper and a timer racing on one order are
harmless: one acts, the other finds nothing to do.

Refunds the providers may still pay (PENDING, PROCESSING) are in the same index at their next try
(moved with backoff after each try, removed when they succeed or are refused for good): the sweeper
asks their providers again (`PaymentService.retry_refund`), so a refund the request and the stream
could not settle goes back without anyone calling sync.

After-sales cases waiting on a step with a deadline are in the index too (`DUE#CASE`, at the deadline):
the case flow's own timeout acts on them; a case still waiting `CASE_GRACE` after its deadline (its flow
failed or was lost) is acted on by the sweeper with the same task (`AfterSalesService.deadline_passed`,
which acts only when the case still waits for that step, and resumes a flow still waiting).

An entry the sweeper cannot act on yet does not stay at the front of its shard: a task that answers
`not_due` with a later deadline (a delivered order waiting on an open after-sales case) has its entry
moved there, and one that fails is moved `FAILED_RETRY_DELAY` on, so neither fills every run's limit.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from oms.domain.after_sales import CaseStep
from oms.domain.clock import parse_rfc3339, to_rfc3339
from oms.domain.timers import TimerOutcome, TimerResult
from oms.services.after_sales import AfterSalesService
from oms.services.fulfilment import FulfilmentService
from oms.services.orders import OrderService
from oms.services.payments import PaymentService
from oms.store import keys
from oms.store.cases import cases_due
from oms.store.due import Due, overdue, postpone

log = logging.getLogger(__name__)

SWEEP_LIMIT = 100  # orders looked at per kind and run; the next run takes the rest
REFUND_SWEEP_LIMIT = 25  # refunds asked per run: each is a call to a provider
MIN_TIME_LEFT_MS = 3000  # stop early rather than be cut off by the function's timeout
FAILED_RETRY_DELAY = timedelta(minutes=5)  # an entry whose task failed is looked at again after this
CASE_GRACE = timedelta(minutes=1)  # the case flow's own timeout acts first; the sweeper after this
CASE_SWEEP_LIMIT = 25
# What the sweeper lists as acted on: an order cancelled or completed, a refund paid back or refused for good.
ACTED = frozenset({TimerResult.CANCELLED, TimerResult.COMPLETED, TimerResult.REFUNDED, TimerResult.REFUSED})


class OrderTimers:
    def __init__(
        self,
        orders: OrderService,
        fulfilment: FulfilmentService,
        payments: PaymentService | None = None,
        cases: AfterSalesService | None = None,
        *,
        limit: int = SWEEP_LIMIT,
        refund_limit: int = REFUND_SWEEP_LIMIT,
        activations: Callable[[], dict[str, Any]] | None = None,
    ) -> None:
        self.activations = activations  # delayed service activations due (oms.services.virtual_goods)
        self.orders = orders
        self.fulfilment = fulfilment
        self.payments = payments
        self.cases = cases
        self.limit = limit
        self.refund_limit = refund_limit

    def expire(self, order_id: str) -> TimerOutcome:
        """The payment-timeout task."""
        return self.orders.expire(order_id)

    def auto_confirm(self, order_id: str) -> TimerOutcome:
        """The auto-confirm task."""
        return self.fulfilment.auto_confirm(order_id)

    def retry_refund(self, due: Due) -> TimerOutcome:
        """A refund's next try at its provider."""
        assert self.payments is not None and due.refund_id is not None
        return self.payments.retry_refund(due.order_id, due.refund_id)

    def sweep(self, time_left_ms: Callable[[], int] | None = None) -> dict[str, Any]:
        """Act on every overdue entry the index holds (up to the limit per kind): unpaid orders past their
        payment deadline are cancelled, delivered orders past auto-confirm are completed, refunds whose
        next try has come are asked of their providers again. Returns what it did; an entry that fails is
        logged and counted (and looked at again later), and the others still run."""
        now = to_rfc3339(self.orders.clock())
        report = {
            "at": now,
            "payment": self._sweep(keys.DUE_PAYMENT, now, lambda d: self.expire(d.order_id), time_left_ms),
            "confirm": self._sweep(keys.DUE_CONFIRM, now, lambda d: self.auto_confirm(d.order_id), time_left_ms),
        }
        if self.payments is not None:
            report["refund"] = self._sweep(keys.DUE_REFUND, now, self.retry_refund, time_left_ms, self.refund_limit)
        if self.cases is not None:
            report["case"] = self._sweep_cases(now, time_left_ms)
        if self.activations is not None:
            report["activation"] = self.activations()
        return report

    def _sweep_cases(self, now: str, time_left_ms: Callable[[], int] | None) -> dict[str, Any]:
        """Cases still waiting `CASE_GRACE` after their step's deadline: the deadline's task, as the flow's
        timeout would have run it."""
        assert self.cases is not None
        until = to_rfc3339(parse_rfc3339(now) - CASE_GRACE)
        acted: list[str] = []
        failed = 0
        page = cases_due(until, None, CASE_SWEEP_LIMIT, None)
        for case in page.items:
            if time_left_ms is not None and time_left_ms() < MIN_TIME_LEFT_MS:
                break
            try:
                if self.cases.deadline_passed(case.caseId, CaseStep(case.step)) != case.step:
                    acted.append(case.caseId)
            except Exception:
                log.exception("sweeping case %s failed", case.caseId)
                failed += 1
        return {"examined": len(page.items), "acted": acted, "failed": failed, "more": page.next_cursor is not None}

    def _sweep(
        self,
        kind: str,
        now: str,
        task: Callable[[Due], TimerOutcome],
        time_left_ms: Callable[[], int] | None,
        limit: int | None = None,
    ) -> dict[str, Any]:
        limit = self.limit if limit is None else limit
        results: Counter[TimerResult] = Counter()
        acted: list[str] = []
        examined = 0
        stopped = False
        for due in overdue(kind, now, limit):
            if time_left_ms is not None and time_left_ms() < MIN_TIME_LEFT_MS:
                stopped = True
                break
            examined += 1
            subject = due.order_id if due.refund_id is None else f"{due.order_id}/{due.refund_id}"
            later: str | None = None
            try:
                outcome = task(due)
                result = outcome.result
                if result is TimerResult.NOT_DUE and outcome.deadline:
                    later = outcome.deadline
            except Exception:
                log.exception("sweeping %s %s failed", kind.lower(), subject)
                result = TimerResult.FAILED
                later = to_rfc3339(parse_rfc3339(now) + FAILED_RETRY_DELAY)
            results[result] += 1
            if result in ACTED:
                acted.append(subject)
            if later is not None:
                self._postpone(due, later)
        return {
            "examined": examined,
            "results": {r.value: n for r, n in sorted(results.items())},
            "acted": acted,
            "more": stopped or examined == limit,  # the next run continues
        }

    @staticmethod
    def _postpone(due: Due, until: str) -> None:
        """Keep an entry that cannot be acted on yet from the front of its shard (best effort: an entry
        left where it was is only looked at again)."""
        try:
            postpone(due, until)
        except Exception:
            log.warning("could not postpone %s of order %s", due.sort_key, due.order_id, exc_info=True)
