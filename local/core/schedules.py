"""Timers for scheduled rules: moto accepts ``rate(...)``/``cron(...)`` rules but never fires them.

``rate(N unit)`` rules fire every N units from start (as on AWS, the first time one period after
creation); ``cron(...)`` rules fire only on demand (``POST /_local/schedules/<rule>/fire``). Locally
``rate(N seconds)`` is accepted too (AWS's minimum is a minute), so a sweeper can run every few seconds.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable

log = logging.getLogger("local_stack")

_RATE = re.compile(r"rate\(\s*(\d+)\s+(second|seconds|minute|minutes|hour|hours|day|days)\s*\)")
_UNIT_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def rate_seconds(expression: str) -> int | None:
    """Seconds between firings of a ``rate(...)`` expression; None for anything else."""
    match = _RATE.fullmatch(expression.strip())
    if match is None:
        return None
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2).rstrip("s")]


def moto_schedule_expression(expression: str) -> str:
    """What moto (like EventBridge) accepts for a rule: a local-only ``rate(N seconds)`` is registered as
    ``rate(1 minute)``; the local timer still fires at the template's own interval."""
    seconds = rate_seconds(expression)
    if seconds is not None and seconds < 60 and "second" in expression:
        return "rate(1 minute)"
    return expression


class ScheduleTimers:
    def __init__(self, fire: Callable[[str], object]) -> None:
        self._fire = fire
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def add(self, rule_name: str, interval_seconds: float) -> None:
        thread = threading.Thread(
            target=self._run, args=(rule_name, interval_seconds), name=f"oms-schedule-{rule_name}", daemon=True
        )
        self._threads.append(thread)
        thread.start()

    def _run(self, rule_name: str, interval_seconds: float) -> None:
        while not self._stop.wait(interval_seconds):
            try:
                self._fire(rule_name)
            except Exception:
                log.exception("firing schedule %s failed", rule_name)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
