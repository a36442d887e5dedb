"""Scheduled reports under moto: the report infrastructure (publish replaces a period's files and row
idempotently, the listing by type and day with cursors, presigned links that fetch the files, GET /reports
and who may call it, the scheduled function's input) and the sales reports built from orders placed through
the functions, their CSV read with csv and their PDF with pypdf."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pypdf
import pytest
import requests
from oms import wiring
from oms.domain.clock import utcnow
from oms.domain.errors import InvalidRequest
from oms.domain.reporting import Granularity, Period
from oms.services.report_jobs import REPORTS, ReportDeps, run_report
from oms.services.reports import ReportFile, ReportOutput, ReportService

from tests.handlers.conftest import ADMIN, DEMO_STORE, SUPPORT, LambdaContext, load_function
from tests.helpers.world import Call, World, checkout_call

FINANCE = {"sub": "fin-1", "roles": ("finance",)}
BUCKET = os.environ["REPORTS_BUCKET"]


@pytest.fixture
def bucket(aws: None) -> Iterator[str]:
    boto3.client("s3").create_bucket(Bucket=BUCKET)
    yield BUCKET


@pytest.fixture
def services(bucket: str) -> wiring.Services:
    return wiring.services()


def objects() -> list[str]:
    listed = boto3.client("s3").list_objects_v2(Bucket=BUCKET)
    return sorted(o["Key"] for o in listed.get("Contents", []))


def body_of(key: str) -> bytes:
    data: bytes = boto3.client("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read()
    return data


def csv_rows(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with a byte-order mark
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def output(period: str, *names: str, figure: int = 1, report_type: str = "demo-daily") -> ReportOutput:
    files = [ReportFile(name, "text/csv", f"{name},{figure}".encode()) for name in names]
    return ReportOutput(report_type, period, files, {"figure": figure})


# ---------------------------------------------------------------- infrastructure
def test_publishing_the_same_period_again_replaces_its_files_and_row(services: wiring.Services) -> None:
    reports: ReportService = services.reports
    first = reports.publish(output("2026-12-01", "a.csv", "b.csv", figure=1))
    assert first.runs == 1 and first.summary == {"figure": 1}
    assert objects() == ["reports/demo-daily/2026-12-01/a.csv", "reports/demo-daily/2026-12-01/b.csv"]

    again = reports.publish(output("2026-12-01", "a.csv", figure=2))
    assert again.runs == 2 and again.summary == {"figure": 2}
    assert again.firstGeneratedAt == first.firstGeneratedAt
    assert objects() == ["reports/demo-daily/2026-12-01/a.csv"]  # b.csv is not part of the report any more
    assert body_of("reports/demo-daily/2026-12-01/a.csv") == b"a.csv,2"
    page = reports.list("demo-daily", None, None, None)
    assert [(r["period"], r["runs"], [f["name"] for f in r["files"]]) for r in page["items"]] == [
        ("2026-12-01", 2, ["a.csv"])
    ]


def test_reports_are_listed_newest_first_by_type_or_all_from_a_day_with_cursors(services: wiring.Services) -> None:
    reports: ReportService = services.reports
    for day in ("2026-11-29", "2026-11-30", "2026-12-01"):
        reports.publish(output(day, "x.csv"))
    reports.publish(output("2026-W48", "w.csv", report_type="demo-weekly"))  # Monday 2026-11-23

    first = reports.list("demo-daily", None, None, 2)
    assert [r["period"] for r in first["items"]] == ["2026-12-01", "2026-11-30"] and first["next_cursor"]
    rest = reports.list("demo-daily", None, first["next_cursor"], 2)
    assert [r["period"] for r in rest["items"]] == ["2026-11-29"]
    assert [r["period"] for r in reports.list("demo-daily", "2026-11-30", None, None)["items"]] == [
        "2026-12-01",
        "2026-11-30",
    ]
    everything = reports.list(None, None, None, None)["items"]
    assert [(r["type"], r["period"]) for r in everything][-1] == ("demo-weekly", "2026-W48")
    assert len(everything) == 4
    assert [r["type"] for r in reports.list(None, "2026-11-24", None, None)["items"]] == ["demo-daily"] * 3
    with pytest.raises(InvalidRequest):
        reports.list("demo-daily", None, "bm90LWEtY3Vyc29y", None)


def test_a_presigned_link_fetches_the_file_and_expires_soon(services: wiring.Services) -> None:
    services.reports.publish(output("2026-12-01", "a.csv", figure=7))
    [report] = services.reports.list("demo-daily", None, None, None)["items"]
    [link] = report["files"]
    assert link["expiresIn"] == 300 and "X-Amz-Expires=300" in link["url"]
    fetched = requests.get(link["url"], timeout=5)
    assert fetched.status_code == 200 and fetched.content == b"a.csv,7"
    assert 'filename="a.csv"' in fetched.headers["Content-Disposition"]


def test_get_reports_is_for_finance_and_admin(services: wiring.Services) -> None:
    services.reports.publish(output("2026-12-01", "a.csv"))
    api = load_function("reports")

    def get(who: dict[str, Any], query: dict[str, str] | None = None) -> tuple[int, Any]:
        from tests.helpers.handlers import http_event

        event = http_event("GET", "/reports", route="GET /reports", sub=who["sub"], roles=who["roles"], query=query)
        result = api.handler(event, LambdaContext())
        import json

        return result["statusCode"], json.loads(result["body"])

    status, body = get(FINANCE, {"type": "demo-daily", "from": "2026-12-01"})
    assert status == 200, body
    assert [r["period"] for r in body["items"]] == ["2026-12-01"] and body["items"][0]["files"][0]["url"]
    assert get(ADMIN)[0] == 200
    assert get(SUPPORT)[0] == 403
    assert get(FINANCE, {"from": "2026-13-01"})[0] == 422


def test_periods_name_days_weeks_months_and_quarters() -> None:
    day = Period.parse("2026-12-01")
    assert (day.start, day.end) == (datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 2, tzinfo=UTC))
    assert str(day.previous()) == "2026-11-30"
    week = Period.parse("2026-W48")
    assert week.first.isoformat() == "2026-11-23" and str(week.previous()) == "2026-W47" and len(week.days()) == 7
    assert str(Period.parse("2027-W01").previous()) == "2026-W53"
    assert str(Period.parse("2026-01").previous()) == "2025-12"
    quarter = Period.parse("2026-Q4")
    assert quarter.first.isoformat() == "2026-10-01" and quarter.end_day.isoformat() == "2027-01-01"
    assert str(quarter.previous()) == "2026-Q3"
    now = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # a Tuesday
    assert str(Period.last_complete(now, Granularity.DAY)) == "2026-11-30"
    assert str(Period.last_complete(now, Granularity.WEEK)) == "2026-W48"
    assert str(Period.last_complete(now, Granularity.MONTH)) == "2026-11"
    for bad in ("2026-13", "2026-W60", "2026-Q5", "yesterday"):
        with pytest.raises(InvalidRequest):
            Period.parse(bad)


# ---------------------------------------------------------------- sales
def place(world: World, quantity: int, *, paid: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"lines": [{"skuId": "TEE-M", "quantity": quantity}], "shippingAddress": ADDRESS_}
    if paid:
        body["balance"] = "max"
    order: dict[str, Any] = world.ok("POST /orders", checkout_call(body, world.key("order")))
    return order


ADDRESS_ = {"name": "李雷", "phone": "+86 138 0000 0000", "line1": "1 Nanjing Rd", "city": "Shanghai", "country": "CN"}


@pytest.fixture
def day_of_sales(world: World, bucket: str) -> dict[str, Any]:
    """Two paid orders (1 and 2 tees at 120.00), one left unpaid, one cancelled by the shopper."""
    paid = [place(world, 1, paid=True), place(world, 2, paid=True)]
    place(world, 1, paid=False)
    cancelled = place(world, 1, paid=False)
    world.ok(
        "POST /orders/{orderId}/cancel",
        Call(f"/orders/{cancelled['orderId']}/cancel", {"sub": "cust-1", "roles": ("customer",)}, {"reason": "no"}),
    )
    return {"paid": paid}


def test_the_daily_sales_report_counts_the_day_per_store_and_overall(day_of_sales: dict[str, Any]) -> None:
    today = Period.containing(utcnow(), Granularity.DAY)
    record = run_report("sales-daily", str(today), ReportDeps.of(wiring.services()))
    net = sum(order["breakdown"]["total"]["amount"] for order in day_of_sales["paid"])
    assert record.summary["ordersPlaced"] == 4 and record.summary["ordersPaid"] == 2
    assert record.summary["ordersCancelled"] == 1 and record.summary["netSales"] == net
    assert record.summary["averageOrderValue"] == net // 2 and record.summary["currency"] == "CNY"
    folder = f"reports/sales-daily/{today}/"
    assert objects() == [folder + "sales-by-hour.csv", folder + "sales.csv", folder + "summary.pdf"]

    rows = {row["store"]: row for row in csv_rows(body_of(folder + "sales.csv"))}
    assert set(rows) == {"demo", "ALL"}
    assert rows["ALL"]["orders_placed"] == "4" and rows["ALL"]["orders_paid"] == "2"
    assert rows["ALL"]["net_sales"] == f"{net // 100}.{net % 100:02d}"
    assert rows["demo"] == {**rows["ALL"], "store": "demo"}
    assert rows["ALL"]["gross_sales"] == "360.00"  # three tees at 120.00
    hours = csv_rows(body_of(folder + "sales-by-hour.csv"))
    assert len(hours) == 24 and sum(int(h["net_sales"].replace(".", "")) for h in hours) == net

    text = pdf_text(body_of(folder + "summary.pdf"))
    assert "Sales summary" in text and str(today) in text
    assert f"{net // 100}.{net % 100:02d} CNY" in text and "Orders paid 2" in text.replace("\n", " ")

    again = run_report("sales-daily", str(today), ReportDeps.of(wiring.services()))
    assert again.runs == 2 and again.summary == record.summary and len(objects()) == 3


def test_weekly_and_monthly_rollups_chart_by_day(day_of_sales: dict[str, Any]) -> None:
    now = utcnow()
    for report, granularity in (("sales-weekly", Granularity.WEEK), ("sales-monthly", Granularity.MONTH)):
        period = Period.containing(now, granularity)
        record = run_report(report, str(period), ReportDeps.of(wiring.services()))
        assert record.summary["ordersPaid"] == 2
        days = csv_rows(body_of(f"reports/{report}/{period}/sales-by-day.csv"))
        assert [d["day"] for d in days] == [d.isoformat() for d in period.days()]
        assert pdf_text(body_of(f"reports/{report}/{period}/summary.pdf")).count("Net sales by day") == 1


def test_a_schedule_reports_the_last_complete_period_or_the_one_it_names(bucket: str) -> None:
    scheduled = load_function("scheduled_reports")
    result = scheduled.handler({"report": "sales-daily"}, LambdaContext())
    assert result["period"] == str(Period.last_complete(utcnow(), Granularity.DAY))
    assert result["summary"]["ordersPlaced"] == 0
    named = scheduled.handler({"report": "sales-daily", "period": "2026-11-02"}, LambdaContext())
    assert named["period"] == "2026-11-02" and named["runs"] == 1
    with pytest.raises(InvalidRequest):
        scheduled.handler({"report": "sales-daily", "period": "2026-W44"}, LambdaContext())
    with pytest.raises(InvalidRequest):
        scheduled.handler({"report": "no-such-report"}, LambdaContext())


def test_every_registered_report_has_a_schedule_in_the_template() -> None:
    from tests.helpers.handlers import ROOT

    template = (ROOT / "template.yaml").read_text()
    for report in REPORTS:
        assert f'Input: \'{{"report": "{report}"}}\'' in template, report


# ---------------------------------------------------------------- financial
def test_the_financial_report_shows_income_by_method_refunds_fees_and_net(world: World, bucket: str) -> None:
    from tests.helpers.cases import order_with

    order_with(world, 1, method="balance")  # 120.00 from the stored balance
    wechat = order_with(world, 2, method="wechat")  # 240.00 through WeChat Pay (its fee borne by the merchant)
    world.ok(
        "POST /orders/{orderId}/refunds",
        Call(
            f"/orders/{wechat['orderId']}/refunds",
            ADMIN,
            {"amount": {"amount": 5000, "currency": "CNY"}, "reason": "staff_adjustment", "note": "late"},
            {"Idempotency-Key": world.key("refund")},
            201,
        ),
    )
    today = Period.containing(utcnow(), Granularity.DAY)
    record = run_report("financial-daily", str(today), ReportDeps.of(wiring.services()))
    cny = record.summary["currencies"]["CNY"]
    folder = f"reports/financial-daily/{today}/"
    rows = {(r["day"], r["method"]): r for r in csv_rows(body_of(folder + "financial.csv"))}
    assert rows[("ALL", "balance")]["income"] == "120.00"
    assert rows[("ALL", "wechat")]["income"] == "240.00"
    assert rows[("ALL", "wechat")]["refunds"] == "50.00"
    fees = cny["providerFees"]
    assert fees > 0 and cny["feesBorneByMerchant"] == fees and cny["feesBorneByCustomer"] == 0
    assert cny["income"] == 36000 and cny["refunds"] == 5000 and cny["net"] == 36000 - 5000 - fees
    assert rows[("ALL", "ALL")]["net"] == f"{cny['net'] // 100}.{cny['net'] % 100:02d}"
    ledger = csv_rows(body_of(folder + "ledger.csv"))
    assert len(ledger) == record.summary["ledgerLines"] and {line["kind"] for line in ledger} >= {"payment", "refund"}
    text = pdf_text(body_of(folder + "summary.pdf")).replace("\n", " ")
    assert "Financial report" in text and "Payment method share of income (CNY)" in text
    assert f"Net (CNY) {cny['net'] // 100}.{cny['net'] % 100:02d} CNY" in text

    yesterday = run_report("financial-daily", str(today.previous()), ReportDeps.of(wiring.services()))
    assert yesterday.summary == {"ledgerLines": 0, "currencies": {}}  # another day's ledger: nothing of today


# ---------------------------------------------------------------- merchant settlement
def completed(world: World, quantity: int = 1) -> tuple[dict[str, Any], str]:
    """A paid order of `quantity` tees, delivered and confirmed by the shopper: (order, its child id)."""
    from tests.helpers.cases import deliver, order_with

    order = order_with(world, quantity)
    child = deliver(world, order)
    world.ok(
        "POST /orders/{orderId}/confirm-receipt",
        Call(f"/orders/{order['orderId']}/confirm-receipt", {"sub": "cust-1", "roles": ("customer",)}, {}),
    )
    return order, child


def settle_on(day: Period) -> Any:
    return run_report("settlement-daily", str(day), ReportDeps.of(wiring.services()))


def test_settlement_pays_each_child_once_after_the_window_and_skips_open_cases(world: World, bucket: str) -> None:
    from tests.helpers.cases import move, open_case

    _, first = completed(world, 1)
    order, second = completed(world, 2)
    case = open_case(world, order, second, "refund_only", [(1, 1)])
    assert case.status == 201, case.body

    today = Period.containing(utcnow(), Granularity.DAY)
    assert settle_on(today).summary["notDueYet"] == 2  # inside the 7-day after-sales window: nothing paid
    due_day = Period.containing(utcnow() + timedelta(days=7), Granularity.DAY)
    report = settle_on(due_day)
    assert report.summary["settledThisRun"] == 1 and report.summary["skippedOpenCase"] == 1
    rows = csv_rows(body_of(f"reports/settlement-daily/{due_day}/settlement.csv"))
    assert [(r["child_order_id"], r["gross"], r["refunds"], r["commission"], r["due"]) for r in rows] == [
        (first, "120.00", "0.00", "6.00", "114.00")  # 5 % commission by default
    ]

    again = settle_on(due_day)  # the same period again: the same list, nobody paid twice
    assert again.runs == 2 and again.summary["settledThisRun"] == 0 and again.summary["childOrders"] == 1
    later = settle_on(due_day.next())  # an overlapping later run: the first child is not paid again
    assert later.summary["settledThisRun"] == 0 and later.summary["skippedOpenCase"] == 1

    assert move(world, case.body["caseId"], "cancel", {"sub": "cust-1", "roles": ("customer",)}).status == 200
    closed = settle_on(due_day.next().next())  # the case closed: the second child is paid now
    assert closed.summary["settledThisRun"] == 1
    [row] = csv_rows(body_of(f"reports/settlement-daily/{due_day.next().next()}/settlement.csv"))
    assert (row["child_order_id"], row["gross"], row["due"]) == (second, "240.00", "228.00")
    merchants = csv_rows(body_of(f"reports/settlement-daily/{due_day.next().next()}/merchants.csv"))
    assert [(m["store"], m["child_orders"], m["due"]) for m in merchants] == [("demo", "1", "228.00")]
    text = pdf_text(body_of(f"reports/settlement-daily/{due_day.next().next()}/summary.pdf")).replace("\n", " ")
    assert "Merchant settlement" in text and "228.00 CNY" in text
    assert settle_on(due_day.next().next().next()).summary["settledThisRun"] == 0


def test_settlement_deducts_refunds_and_uses_the_store_terms(world: World, bucket: str) -> None:
    world.ok(
        "PUT /stores/{storeId}",
        Call("/stores/demo", ADMIN, {**DEMO_STORE, "settlementDays": 0, "commissionBps": 1000}),
    )
    order, child = completed(world, 2)
    world.ok(
        "POST /orders/{orderId}/refunds",
        Call(
            f"/orders/{order['orderId']}/refunds",
            ADMIN,
            {
                "childOrderId": child,
                "lines": [{"lineNo": 1, "quantity": 1}],
                "amount": {"amount": 4000, "currency": "CNY"},
                "reason": "staff_adjustment",
            },
            {"Idempotency-Key": world.key("refund")},
            201,
        ),
    )
    today = Period.containing(utcnow(), Granularity.DAY)
    report = settle_on(today)  # T+0: due at once
    [row] = csv_rows(body_of(f"reports/settlement-daily/{today}/settlement.csv"))
    # 240.00 less 40.00 refunded = 200.00; 10 % commission = 20.00; due 180.00
    assert (row["gross"], row["refunds"], row["net"], row["commission"], row["due"]) == (
        "240.00",
        "40.00",
        "200.00",
        "20.00",
        "180.00",
    )
    assert report.summary["due"] == {"CNY": 18000}


def test_two_runs_racing_for_a_child_pay_it_once(world: World, bucket: str) -> None:
    from oms.domain.settlement import SettlementLine
    from oms.store.settlement import pending_children, settle

    _, child = completed(world)
    [pending] = pending_children("9999")
    line = SettlementLine(child, pending.orderId, "demo", "CNY", pending.completedAt or "", 12000, 0, 500)
    assert len(settle("2026-12-01", "demo", [line], "2026-12-01T00:00:00.000Z")) == 1
    assert settle("2026-12-02", "demo", [line], "2026-12-02T00:00:00.000Z") == []  # its marker is there
    assert pending_children("9999") == []
