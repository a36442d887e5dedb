"""Through the local stack: a checkout's OrderPlaced reaches the statistics consumer by its EventBridge
rule, and `GET /stats/sales` counts the order once for the platform and for its store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.helpers.flows import new_sku, place

pytestmark = pytest.mark.integration


def test_a_placed_order_shows_in_the_sales_statistics(stack: Any, http: Any, eventually: Callable[..., Any]) -> None:
    staff = stack.mint_token("it-finance", ["finance"])
    today = datetime.now(UTC).date().isoformat()

    def placed(store: str | None) -> int:
        params = {"from": today, "to": today, **({"store": store} if store else {})}
        response = http.get("/stats/sales", token=staff, params=params)
        assert response.status == 200, response.text
        return int(response.json()["series"][0]["placedOrders"])

    before = placed(None), placed("demo")
    sku = new_sku(stack, http, stock=5)
    response = place(http, stack.mint_token("it-stats-shopper", ["customer"]), sku, 1)
    assert response.status == 201, response.text
    eventually(lambda: placed(None) >= before[0] + 1, timeout=30)
    assert placed("demo") >= before[1] + 1
