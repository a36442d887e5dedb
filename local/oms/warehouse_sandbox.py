"""The warehouse (WMS) the local stack plays: releases, interceptions and hand-overs in memory.

Given to the functions in `oms.wiring.Adapters` (see `oms.wiring`), shared by the stacks of
one process; `/_local/sandbox/warehouse/<child>` shows what it knows and hands a parcel over.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Mapping
from typing import Any

from oms.adapters.warehouse import (
    HANDED_OVER,
    InterceptResult,
    WarehouseGateway,
    WarehouseUnavailable,
    check_child_order_id,
    release_document,
)


class WarehouseConflict(Exception):
    """The sandbox warehouse was asked for something a warehouse cannot do (hand over an intercepted
    parcel)."""


class SandboxWarehouse(WarehouseGateway):
    """A warehouse in memory, for the local stack and tests; thread-safe.

    `released` holds each released child's payload as the WMS would have received it (a JSON round trip,
    first release wins); `hand_over` marks a parcel as gone to the carrier, after which interception fails;
    `intercepted` holds the child orders stopped. `calls` records every request in order, retries included,
    and `unavailable = True` makes every request raise WarehouseUnavailable (an outage)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.released: dict[str, Mapping[str, Any]] = {}
        self.handed_over: set[str] = set()
        self.intercepted: set[str] = set()
        self.calls: list[tuple[str, str]] = []
        self.unavailable = False

    def __repr__(self) -> str:
        with self._lock:
            return (
                f"SandboxWarehouse(released={len(self.released)}, handed_over={len(self.handed_over)}, "
                f"intercepted={len(self.intercepted)})"
            )

    def _request(self, kind: str, child_order_id: str) -> None:
        self.calls.append((kind, child_order_id))
        if self.unavailable:
            raise WarehouseUnavailable("the sandbox warehouse is unavailable")

    def release(self, child_order_id: str, payload: Mapping[str, Any]) -> None:
        document = json.loads(release_document(child_order_id, payload))
        with self._lock:
            self._request("release", child_order_id)
            self.released.setdefault(child_order_id, document)

    def intercept(self, child_order_id: str) -> InterceptResult:
        check_child_order_id(child_order_id)
        with self._lock:
            self._request("intercept", child_order_id)
            if child_order_id in self.handed_over:
                return InterceptResult(False, HANDED_OVER)
            self.intercepted.add(child_order_id)
            return InterceptResult(True, None)

    def hand_over(self, child_order_id: str) -> None:
        """The parcel left the warehouse with the carrier (idempotent). WarehouseConflict if it was
        intercepted: a stopped parcel does not ship."""
        check_child_order_id(child_order_id)
        with self._lock:
            if child_order_id in self.intercepted:
                raise WarehouseConflict(f"child order {child_order_id} was intercepted: it cannot be handed over")
            self.handed_over.add(child_order_id)

    def state(self, child_order_id: str) -> dict[str, Any]:
        """What the warehouse knows about one child order (a copy)."""
        check_child_order_id(child_order_id)
        with self._lock:
            payload = self.released.get(child_order_id)
            return {
                "childOrderId": child_order_id,
                "released": payload is not None,
                "handedOver": child_order_id in self.handed_over,
                "intercepted": child_order_id in self.intercepted,
                "payload": copy.deepcopy(dict(payload)) if payload is not None else None,
            }
