"""Through the local stack: `POST /_local/schedules/<report>` fires a scheduled report now (a body merged
into the schedule's input names the period); it lands in the local reports bucket and `GET /reports`
lists it with a presigned link that downloads it."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
import requests
from oms.domain.clock import utcnow
from oms.domain.reporting import Granularity, Period

from tests.helpers.flows import new_sku, place

pytestmark = pytest.mark.integration


def test_a_report_fired_locally_for_a_period_lands_in_s3_and_is_listed(
    stack: Any, http: Any, eventually: Any, long_payment_timeout: None
) -> None:
    sku_id = new_sku(stack, http, stock=3)
    shopper = stack.mint_token("it-reports", ["customer"])
    assert place(http, shopper, sku_id, 1).status == 201
    today = str(Period.containing(utcnow(), Granularity.DAY))
    fired = http.post("/_local/schedules/sales-daily", json={"period": today})
    assert fired.status == 200, fired.text
    assert fired.json()["rule"] == f"{stack.stack_name}-sales-daily"
    finance = stack.mint_token("it-finance", ["finance"])

    def listed() -> list[dict[str, Any]]:
        page = http.get("/reports", token=finance, params={"type": "sales-daily", "from": today})
        return [r for r in page.json()["items"] if r["period"] == today] if page.status == 200 else []

    [report] = eventually(listed)
    assert report["summary"]["ordersPlaced"] >= 1
    link = next(f for f in report["files"] if f["name"] == "sales.csv")
    downloaded = requests.get(link["url"], timeout=10)
    assert downloaded.status_code == 200
    rows = list(csv.DictReader(io.StringIO(downloaded.content.decode("utf-8-sig"))))
    assert rows[-1]["store"] == "ALL" and int(rows[-1]["orders_placed"]) >= 1
    assert http.post("/_local/schedules/no-such-report", json={}).status == 404
    assert http.post("/_local/schedules/sales-daily", body=b"[1]").status == 400
