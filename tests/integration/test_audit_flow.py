"""Through the local stack: support cancels a shopper's order and reveals its phone; the order's timeline
shows both, the audit trail finds them by actor, action and subject; the data-retention job fires from
its schedule (`POST /_local/schedules/data-retention-daily`) and, while the setting is off, erases nothing."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.helpers.flows import new_sku, place

pytestmark = pytest.mark.integration


def test_a_staff_action_is_on_the_timeline_and_in_the_trail(stack: Any, http: Any) -> None:
    shopper = stack.mint_token(f"it-audit-{uuid.uuid4().hex[:8]}", ["customer"])
    support_id = f"it-support-{uuid.uuid4().hex[:8]}"
    support, admin = stack.mint_token(support_id, ["support"]), stack.mint_token("it-admin", ["admin"])
    placed = place(http, shopper, new_sku(stack, http, stock=3), 1)
    assert placed.status == 201, placed.text
    order_id = placed.json()["orderId"]
    cancelled = http.post(f"/orders/{order_id}/cancel", token=support, json={"reason": "duplicate"})
    assert cancelled.status == 200, cancelled.text
    revealed = http.post(
        f"/orders/{order_id}/personal-data/reveal", token=support, json={"fields": ["phone"], "reason": "call back"}
    )
    assert revealed.status == 200, revealed.text
    assert revealed.json()["revealed"] == ["phone"]

    staff_view = http.get(f"/orders/{order_id}/timeline", token=support).json()["items"]
    assert [e["kind"] for e in staff_view] == ["order.placed", "order.status-changed", "staff.action"]
    mine = http.get(f"/orders/{order_id}/timeline", token=shopper).json()["items"]
    assert [e["kind"] for e in mine] == ["order.placed", "order.status-changed"]
    assert mine[1]["actor"] == {"id": None, "role": "staff"}

    trail = http.get("/audit", token=admin, params={"actor": support_id}).json()["items"]
    assert [e["action"] for e in trail] == ["personal-data.reveal", "order.status-change"]
    assert all(e["requestId"] and e["sourceIp"] for e in trail)
    subject = http.get("/audit", token=admin, params={"subject": f"ORDER#{order_id}"}).json()["items"]
    assert len(subject) == 3
    assert http.get("/audit", token=support).status == 403


def test_the_retention_job_fires_from_its_schedule(stack: Any, http: Any) -> None:
    fired = http.post("/_local/schedules/data-retention-daily", json={})
    assert fired.status == 200, fired.text
    assert fired.json()["rule"] == f"{stack.stack_name}-data-retention-daily"
