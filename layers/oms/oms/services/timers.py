"""The two order timers: what their tasks do, and the sweeper that does it for timers that were lost.

The payment timeout cancels an unpaid order at its deadline (`OrderService.expire`); auto-confirm
completes a delivered order at its `autoConfirmAt` (`FulfilmentService.auto_confirm`). Each runs in a
Step Functions execution armed after the commit (`oms.services.after_commit`). If arming failed, or an
execution failed for good, the order is still in the sparse deadline index (`oms.store.due`): the
sweeper, run on a schedule, queries it for what is overdue and calls the same task code. Both are
conditional writes that re-read the order first, so a sweeper and a timer racing on one order are
harmless: one acts, the other finds nothing to do.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from typing import Any

from oms.domain.clock import to_rfc3339
from oms.domain.permissions import Actor
from oms.services.fulfilment import FulfilmentService
from oms.services.orders import OrderService
from oms.store import keys
from oms.store.due import overdue
from oms.store.orders import OrderRecord

log = logging.getLogger(__name__)

SWEEP_LIMIT = 100  # orders looked at per kind and run; the next run takes the rest
MIN_TIME_LEFT_MS = 3000  # stop early rather than be cut off by the function's timeout
ACTED = frozenset({"cancelled", "completed"})


class OrderTimers:
    def __init__(self, orders: OrderService, fulfilment: FulfilmentService, *, limit: int = SWEEP_LIMIT) -> None:
        self.orders = orders
        self.fulfilment = fulfilment
        self.limit = limit

    def expire(self, order_id: str) -> dict[str, Any]:
        """The payment-timeout task."""
        return self.orders.expire(order_id)

    def auto_confirm(self, order_id: str) -> dict[str, Any]:
        """The auto-confirm task."""
        return self.fulfilment.auto_confirm(order_id, self._complete)

    def _complete(self, record: OrderRecord) -> OrderRecord:
        return self.orders.complete(record, Actor.system("auto-confirm"), "auto-confirmed after delivery")

    def sweep(self, time_left_ms: Callable[[], int] | None = None) -> dict[str, Any]:
        """Act on every overdue order the index holds (up to the limit per kind): unpaid orders past their
        payment deadline are cancelled, delivered orders past auto-confirm are completed. Returns what it
        did; an order that fails is logged and counted, and the others still run."""
        now = to_rfc3339(self.orders.clock())
        return {
            "at": now,
            "payment": self._sweep(keys.DUE_PAYMENT, now, self.expire, time_left_ms),
            "confirm": self._sweep(keys.DUE_CONFIRM, now, self.auto_confirm, time_left_ms),
        }

    def _sweep(
        self,
        kind: str,
        now: str,
        task: Callable[[str], dict[str, Any]],
        time_left_ms: Callable[[], int] | None,
    ) -> dict[str, Any]:
        results: Counter[str] = Counter()
        acted: list[str] = []
        examined = 0
        stopped = False
        for order_id in overdue(kind, now, self.limit):
            if time_left_ms is not None and time_left_ms() < MIN_TIME_LEFT_MS:
                stopped = True
                break
            examined += 1
            try:
                result = str(task(order_id)["result"])
            except Exception:
                log.exception("sweeping %s order %s failed", kind.lower(), order_id)
                result = "failed"
            results[result] += 1
            if result in ACTED:
                acted.append(order_id)
        return {
            "examined": examined,
            "results": dict(sorted(results.items())),
            "acted": acted,
            "more": stopped or examined == self.limit,  # the next run continues
        }
