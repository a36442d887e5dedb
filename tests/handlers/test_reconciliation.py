"""Daily reconciliation end to end (issue 12 items 5 and 6), per provider: orders are paid and refunded
through the functions against the payment sandbox (moto), one difference of each kind is planted in the
provider's bill, the run fetches the bill through the real adapter and finds exactly the planted
mismatches and nothing else, opens one case each (a re-run opens none), and its CSV and PDF land in S3
and open."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import boto3
import pytest
from oms import wiring
from oms.domain.reconciliation import BILL_ZONES, LineKind, MatchStatus
from oms.services.reconciliation import ReconciliationService
from oms.services.report_jobs import ReportDeps, run_report
from oms_local.oms.payment_sandbox import Sandbox
from pypdf import PdfReader

from tests.helpers.handlers import ADMIN, SUPPORT, LambdaContext, load_function
from tests.helpers.world import FINANCE, Call, World, payment_callback

BUCKET = "oms-local-reports"  # REPORTS_BUCKET of the tests (tests/conftest.py)


class ShiftedClock:
    """Real time plus `offset`: the sandbox hands out tomorrow's bill when moved a day ahead."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


CLOCK = ShiftedClock()


@pytest.fixture
def sandbox() -> Sandbox:
    """A fresh provider per test: its bills hold only what this test processed."""
    return Sandbox(seed=12, clock=CLOCK)


@pytest.fixture
def bucket(aws: None) -> Iterator[Any]:
    client = boto3.client("s3")
    client.create_bucket(Bucket=BUCKET)
    yield client


def paid(world: World, method: str) -> tuple[str, str, int]:
    """An order paid through `method`: (order id, payment id, amount)."""
    order = world.pending_order()
    attempt = world.attempt(order, method)
    amount = int(attempt["amount"]["amount"])
    callback = world.sandbox.pay(method, attempt["paymentId"], amount=amount, currency="CNY")
    assert payment_callback(world.functions["payment_callbacks"], method, callback)["statusCode"] in (200, 204)
    return str(order["orderId"]), str(attempt["paymentId"]), amount


def cancelled(world: World, order_id: str) -> str:
    """Support cancels the paid order: its money goes back through the provider. The refund's id."""
    world.ok("POST /orders/{orderId}/cancel", Call(f"/orders/{order_id}/cancel", SUPPORT, {"reason": "asked"}))
    payments = world.ok("GET /orders/{orderId}/payments", Call(f"/orders/{order_id}/payments", ADMIN))
    [refund] = payments["refunds"]
    assert refund["status"] == "SUCCEEDED", refund
    return str(refund["refundId"])


@pytest.mark.parametrize("method", ["alipay", "wechat", "card"])
def test_reconciliation_finds_each_planted_mismatch_and_nothing_else(world: World, bucket: Any, method: str) -> None:
    sandbox = world.sandbox
    day = datetime.now(UTC).astimezone(BILL_ZONES[method]).date()
    orders = [paid(world, method) for _ in range(7)]
    (_, dropped, _), (_, changed, amount), (_, other_currency, _), (fee_order, fee_changed, _) = orders[:4]
    (_, doubled, _), (refunded_order, _, _), (kept_order, _, _) = orders[4:]
    lost_refund = cancelled(world, refunded_order)
    kept_refund = cancelled(world, kept_order)
    fee_refund = cancelled(world, fee_order)
    stranger = "NOT-OURS-" + method.upper()

    sandbox.plant(method, "drop", dropped)
    sandbox.plant(method, "amount", changed, amount=amount - 100)
    sandbox.plant(method, "fee", fee_changed, fee=1)
    sandbox.plant(method, "duplicate", doubled)
    sandbox.plant(method, "add", stranger, amount=4200)
    sandbox.plant(method, "drop", lost_refund)
    expected = {
        (MatchStatus.MISSING_THEIRS, dropped),
        (MatchStatus.AMOUNT_MISMATCH, changed),
        (MatchStatus.FEE_MISMATCH, fee_changed),
        (MatchStatus.DUPLICATE_PAYMENT, doubled),
        (MatchStatus.MISSING_OURS, stranger),
        (MatchStatus.REFUND_NOT_RECONCILED, lost_refund),
    }
    if method != "alipay":  # Alipay's business bill has no currency column: CNY only
        sandbox.plant(method, "currency", other_currency, currency="USD")
        expected.add((MatchStatus.CURRENCY_MISMATCH, other_currency))
    CLOCK.offset = timedelta(days=1, hours=1)  # the bill of `day` is out
    try:
        # As the schedule runs it: the registered builder, published by the report service.
        record = run_report(f"reconciliation-{method}", day.isoformat(), ReportDeps.of(wiring.services(), CLOCK()))
        run = ReconciliationService(sandbox.provider, clock=CLOCK).run(method, day)  # the same day again
    finally:
        CLOCK.offset = timedelta(0)
        sandbox.clear_plants()

    assert {(m.status, m.reference) for m in run.mismatches} == expected
    matched = {m.reference for m in run.matches if m.status is MatchStatus.MATCHED}
    assert {kept_refund, fee_refund, doubled} <= matched  # the duplicate's first row matches
    assert record.summary["mismatches"] == record.summary["opened"] == len(expected)
    assert run.opened == []  # the re-run finds every case the first run opened
    opened = set(run.anomalies.values())
    assert len(opened) == len(expected)

    listed = world.ok("GET /anomalies", Call("/anomalies", SUPPORT))
    bill_cases = {a["anomalyId"]: a for a in listed["items"] if a["type"].startswith("BILL_")}
    assert set(bill_cases) == opened
    assert {a["type"] for a in bill_cases.values()} == {f"BILL_{status.value}" for status, _ in expected}

    # Staff alerts follow the PaymentAnomaly events: one per case about one of our orders, none on re-run.
    alerts = [
        json.loads(i["detail"]["S"])
        for i in world.snapshot()
        if i["type"]["S"] == "Outbox" and i["detailType"]["S"] == "PaymentAnomaly"
    ]
    bill_alerts = sorted(a["anomalyId"] for a in alerts if a["anomalyType"].startswith("BILL_"))
    stranger_case = run.anomalies[(LineKind.PAYMENT, stranger)]
    assert bill_alerts == sorted(opened - {stranger_case})

    folder = f"reports/reconciliation-{method}/{day.isoformat()}"
    body = bucket.get_object(Bucket=BUCKET, Key=f"{folder}/reconciliation.csv")["Body"].read().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == len(run.matches)
    assert {(r["status"], r["reference"]) for r in rows if r["status"] != "MATCHED"} == {
        (s.value, ref) for s, ref in expected
    }
    assert {r["anomaly_id"] for r in rows if r["status"] != "MATCHED"} == opened
    pdf = bucket.get_object(Bucket=BUCKET, Key=f"{folder}/reconciliation.pdf")["Body"].read()
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert f"Reconciliation {method} {day.isoformat()}" in text
    assert "Mismatches" in text and "Totals per channel" in text
    reports = world.ok("GET /reports", Call("/reports", FINANCE, query={"type": f"reconciliation-{method}"}))
    assert [r["period"] for r in reports["items"]] == [day.isoformat()]


def test_a_clean_day_has_no_mismatch(world: World, bucket: Any) -> None:
    day: date = datetime.now(UTC).astimezone(BILL_ZONES["wechat"]).date()
    paid(world, "wechat")
    order_id, _, _ = paid(world, "wechat")
    cancelled(world, order_id)
    CLOCK.offset = timedelta(days=1, hours=1)
    try:
        run = ReconciliationService(world.sandbox.provider, clock=CLOCK).run("wechat", day)
        # The schedule's function builds yesterday's report (the period the clock says is the last complete).
        scheduled = load_function("scheduled_reports")
        scheduled.handler({"report": "reconciliation-wechat", "period": day.isoformat()}, LambdaContext())
    finally:
        CLOCK.offset = timedelta(0)
    assert run.mismatches == [] and run.opened == []
    assert run.totals.theirs["CNY"].payment_count == run.totals.ours["CNY"].payment_count >= 2
    assert run.totals.theirs["CNY"].fees == run.totals.ours["CNY"].fees > 0
    keys = [o["Key"] for o in bucket.list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert sorted(keys) == [
        f"reports/reconciliation-wechat/{day.isoformat()}/reconciliation.{ext}" for ext in ("csv", "pdf")
    ]
