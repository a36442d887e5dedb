"""The inventory report (daily, monthly) under moto, from a fixed history of movement rows: stock by SKU at
the period's end (today's counters less the movements since), movements by kind, the low-stock list and
turnover; the files in S3, the index row, and the scheduled function's input."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pypdf
import pytest
from oms import wiring
from oms.domain.stock import MovementKind
from oms.services.report_jobs import REPORTS, ReportDeps, run_report

from tests.handlers.conftest import LambdaContext, load_function
from tests.helpers.stock_moves import play

BUCKET = os.environ["REPORTS_BUCKET"]
RUN = datetime(2026, 12, 1, 2, 45, tzinfo=UTC)  # when the daily schedule fires for 2026-11-30
K = MovementKind


@pytest.fixture
def history(seeded: dict[str, Any]) -> Iterator[None]:
    """Store demo. TEE-M (threshold 5): 10 available on 2026-11-30; 4 reserved at 06:00, sold at 12:00, 2
    restocked at 18:00, 4 more reserved on 2026-12-01 at 01:00 (after the day). MUG: 3 available, counted 0
    at 09:00. On 2026-11-10, 1 MUG restocked and taken back (the month sees it, the day does not)."""
    boto3.client("s3").create_bucket(Bucket=BUCKET)
    play(
        "TEE-M",
        "demo",
        {"available": 10, "received": 10},
        [
            ("2026-11-30T06:00:00.000Z", K.RESERVATION, {"available": -4, "reserved": 4}),
            ("2026-11-30T12:00:00.000Z", K.SALE, {"reserved": -4, "sold": 4}),
            ("2026-11-30T18:00:00.000Z", K.ADJUSTMENT, {"available": 2, "received": 2}),
            ("2026-12-01T01:00:00.000Z", K.RESERVATION, {"available": -4, "reserved": 4}),
        ],
        threshold=5,
    )
    play(
        "MUG",
        "demo",
        {"available": 2, "received": 2},
        [
            ("2026-11-10T00:00:00.000Z", K.ADJUSTMENT, {"available": 1, "received": 1}),
            ("2026-11-10T12:00:00.000Z", K.ADJUSTMENT, {"available": -1, "adjusted": -1}),
            ("2026-11-10T12:00:01.000Z", K.ADJUSTMENT, {"available": 1, "received": 1}),
            ("2026-11-30T09:00:00.000Z", K.STOCKTAKE, {"available": -3, "adjusted": -3}),
        ],
    )
    yield


def body_of(key: str) -> bytes:
    data: bytes = boto3.client("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read()
    return data


def rows(key: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body_of(key).decode("utf-8-sig"))))


def objects(prefix: str) -> list[str]:
    listed = boto3.client("s3").list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return sorted(o["Key"] for o in listed.get("Contents", []))


def test_the_daily_report_shows_stock_at_the_days_end_movements_low_stock_and_turnover(history: None) -> None:
    record = run_report("inventory-daily", None, ReportDeps.of(wiring.services(), RUN))
    assert record.period == "2026-11-30"
    folder = "reports/inventory-daily/2026-11-30/"
    assert objects(folder) == [folder + n for n in ("inventory.csv", "low-stock.csv", "movements.csv", "summary.pdf")]
    stock = {r["sku"]: r for r in rows(folder + "inventory.csv")}
    tee = stock["TEE-M"]
    # At the day's end: 8 available (today's 4 plus the 4 reserved after midnight), 4 sold, none reserved.
    assert (tee["opening_available"], tee["available"], tee["reserved"], tee["sold"], tee["received"]) == (
        "10",
        "8",
        "0",
        "4",
        "12",
    )
    # Available 10 for 6 h, 6 for 12 h, 8 for 6 h: 7.5 on average; 4 sold: turnover 4 / 7.5.
    assert (tee["movements"], tee["units_sold"], tee["average_available"], tee["turnover"]) == (
        "3",
        "4",
        "7.50",
        "0.53",
    )
    assert (tee["low_stock_threshold"], tee["state"]) == ("5", "ok")  # 8 then; 4 (low) only today
    mug = stock["MUG"]
    assert (mug["opening_available"], mug["available"], mug["adjusted"], mug["state"]) == ("3", "0", "-4", "sold-out")
    assert (mug["average_available"], mug["turnover"]) == ("1.12", "0.00")  # 3 for 9 h of 24: 1.125
    kinds = {r["kind"]: r for r in rows(folder + "movements.csv")}
    assert sorted(kinds) == ["adjustment", "reservation", "sale", "stocktake"]
    assert (kinds["reservation"]["movements"], kinds["reservation"]["available"]) == ("1", "-4")
    assert (kinds["sale"]["reserved"], kinds["sale"]["sold"]) == ("-4", "4")
    assert (kinds["stocktake"]["available"], kinds["stocktake"]["adjusted"]) == ("-3", "-3")
    assert [(r["sku"], r["state"]) for r in rows(folder + "low-stock.csv")] == [("MUG", "sold-out")]
    assert record.summary == {
        "skus": 2,
        "stores": 1,
        "unitsAvailable": 8,
        "movements": 4,
        "unitsSold": 4,
        "turnover": round(4 / (7.5 + 1.125), 4),
        "lowStock": 0,
        "soldOut": 1,
    }
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(body_of(folder + "summary.pdf"))).pages)
    assert "Inventory (day)" in text and "MUG" in text and "sold-out" in text


def test_the_monthly_report_covers_the_month(history: None) -> None:
    record = run_report("inventory-monthly", None, ReportDeps.of(wiring.services(), RUN))
    assert record.period == "2026-11"
    stock = {r["sku"]: r for r in rows("reports/inventory-monthly/2026-11/inventory.csv")}
    assert (stock["MUG"]["opening_available"], stock["MUG"]["movements"]) == ("2", "4")
    assert (stock["TEE-M"]["opening_available"], stock["TEE-M"]["units_sold"]) == ("10", "4")
    # TEE-M: 10 for 29 days 6 h, 6 for 12 h, 8 for 6 h, over 30 days.
    hours = 30 * 24
    assert stock["TEE-M"]["average_available"] == f"{(10 * (hours - 18) + 6 * 12 + 8 * 6) / hours:.2f}"
    kinds = {r["kind"]: r for r in rows("reports/inventory-monthly/2026-11/movements.csv")}
    assert kinds["adjustment"]["movements"] == "4"
    assert record.summary["movements"] == 7


def test_a_re_run_later_reports_the_same_day(history: None) -> None:
    first = run_report("inventory-daily", "2026-11-30", ReportDeps.of(wiring.services(), RUN))
    later = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
    play(
        "MUG",
        "demo",
        {"available": 0, "received": 3, "adjusted": -3},
        [
            ("2026-12-02T10:00:00.000Z", K.ADJUSTMENT, {"available": 6, "received": 6}),
        ],
    )
    again = run_report("inventory-daily", "2026-11-30", ReportDeps.of(wiring.services(), later))
    assert again.runs == 2 and again.summary == first.summary
    assert {r["sku"]: r["available"] for r in rows("reports/inventory-daily/2026-11-30/inventory.csv")} == {
        "MUG": "0",
        "TEE-M": "8",
    }


def test_the_schedules_name_the_inventory_reports(history: None) -> None:
    assert {"inventory-daily", "inventory-monthly"} <= set(REPORTS)
    scheduled = load_function("scheduled_reports")
    result = scheduled.handler({"report": "inventory-monthly", "period": "2026-11"}, LambdaContext())
    assert result["period"] == "2026-11" and "reports/inventory-monthly/2026-11/inventory.csv" in result["files"]
