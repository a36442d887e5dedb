"""Through the local stack: a CSV batch adjustment, a stocktake read back, and the inventory report fired
for today, listed by GET /reports with a link to its stock-by-SKU file."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import pytest
import requests
from oms.domain.clock import utcnow
from oms.domain.reporting import Granularity, Period

from tests.helpers.flows import new_sku

pytestmark = pytest.mark.integration


def test_batch_stocktake_and_inventory_report_through_the_stack(stack: Any, http: Any, eventually: Any) -> None:
    sku_id = new_sku(stack, http, stock=5)
    admin = stack.mint_token("it-admin", ["admin"])
    csv_body = f"skuId,delta,reason,note\n{sku_id},7,restock,PO-IT\n{sku_id},-100,stocktake_correction,\n"
    batch = http.post(
        "/stock-adjustments/batch",
        token=admin,
        body=csv_body.encode(),
        headers={"Content-Type": "text/csv", "Idempotency-Key": str(uuid.uuid4())},
    )
    assert batch.status == 200, batch.text
    assert [r["status"] for r in batch.json()["results"]] == ["applied", "refused"]
    assert batch.json()["results"][0]["stock"]["available"] == 12

    key = str(uuid.uuid4())
    body = {"storeId": "demo", "lines": [{"skuId": sku_id, "counted": 9}], "note": "IT count"}
    taken = http.post("/stocktakes", token=admin, json=body, headers={"Idempotency-Key": key})
    assert taken.status == 201, taken.text
    line = taken.json()["lines"][0]
    assert (line["before"], line["counted"], line["difference"]) == (12, 9, -3)
    read = http.get(f"/stocktakes/{taken.json()['stocktakeId']}", token=admin)
    assert read.status == 200 and read.json()["lines"] == taken.json()["lines"]
    assert http.post("/stocktakes", token=admin, json=body, headers={"Idempotency-Key": key}).json() == taken.json()
    assert http.get(f"/skus/{sku_id}").json()["available"] == 9

    today = str(Period.containing(utcnow(), Granularity.DAY))
    fired = http.post("/_local/schedules/inventory-daily", json={"period": today})
    assert fired.status == 200, fired.text
    finance = stack.mint_token("it-finance", ["finance"])

    def listed() -> list[dict[str, Any]]:
        page = http.get("/reports", token=finance, params={"type": "inventory-daily", "from": today})
        return [r for r in page.json()["items"] if r["period"] == today] if page.status == 200 else []

    [report] = eventually(listed)
    link = next(f for f in report["files"] if f["name"] == "inventory.csv")
    downloaded = requests.get(link["url"], timeout=10)
    rows = {r["sku"]: r for r in csv.DictReader(io.StringIO(downloaded.content.decode("utf-8-sig")))}
    assert rows[sku_id]["available"] == "9" and rows[sku_id]["store"] == "demo"
