"""Issue 12's "done when": a scripted day of demo traffic through the local stack's public API produces the
notifications, the statistics, an export in each format and the sales, financial, settlement and
reconciliation reports in the local S3 — each file opened by a real parser."""

from __future__ import annotations

import csv
import io
import urllib.request
from typing import Any

import openpyxl
import pytest
from oms_local.demo_day import Api, aftermath, run_day
from oms_local.stack import LocalStack
from pypdf import PdfReader

pytestmark = pytest.mark.integration


def _download(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        body: bytes = response.read()
    return body


@pytest.mark.usefixtures("long_payment_timeout")
def test_a_day_of_traffic_produces_notifications_statistics_exports_and_reports(stack: LocalStack, http: Any) -> None:
    api = Api(stack.base_url)
    day = run_day(api, orders=10, seed=11, shoppers=4)
    outcomes = day.outcomes()
    assert sum(outcomes.values()) == 10 and outcomes["completed"] + outcomes["refunded"] >= 1
    after = aftermath(api, day, timeout=180)

    # Notifications: email to the shoppers' addresses (moto's SES), an SMS, the in-app inbox.
    assert after.messages["email"] >= 10  # at least the order confirmation of each order
    assert after.messages["sms"] >= 1
    assert after.inbox_unread >= 1

    # Statistics: today's counters hold the day's orders and payments (other tests add to them too).
    assert after.sales["placedOrders"] >= day.baseline + 10
    assert after.sales["paidOrders"] >= sum(day.payments.values())
    assert after.payments["succeeded"] >= sum(day.payments.values())

    # Exports: finance's files are masked; each opens with a real parser and holds the day's orders.
    numbers = {
        http.get(f"/orders/{order_id}", token=stack.mint_token("it-admin", ["admin"])).json()["orderNumber"]
        for order_id in day.orders
    }
    exports = after.exports
    assert {job["state"] for job in exports.values()} == {"SUCCEEDED"} and all(j["masked"] for j in exports.values())
    rows = list(csv.reader(io.StringIO(_download(exports["csv"]["download"]["url"]).decode("utf-8-sig"))))
    assert numbers <= {row[0] for row in rows[1:]}
    assert all("*" in row[6] for row in rows[1:] if row[0] in numbers)  # the recipient's name, masked
    sheet = openpyxl.load_workbook(io.BytesIO(_download(exports["xlsx"]["download"]["url"])), read_only=True).active
    assert sheet is not None and numbers <= {str(row[0]) for row in sheet.iter_rows(min_row=2, values_only=True)}
    pdf_text = "".join(
        page.extract_text() for page in PdfReader(io.BytesIO(_download(exports["pdf"]["download"]["url"]))).pages
    )
    assert all(number in pdf_text for number in numbers)

    # Reports: each type of the day is published with a CSV and a PDF summary that open.
    assert set(after.reports) == {
        "sales-daily",
        "financial-daily",
        "settlement-daily",
        "reconciliation-alipay",
        "reconciliation-wechat",
        "reconciliation-card",
    }
    for report, published in after.reports.items():
        kinds = {item["contentType"].split(";")[0] for item in published["files"]}
        assert {"text/csv", "application/pdf"} <= kinds, (report, kinds)
        for item in published["files"]:
            body = _download(item["url"])
            if item["contentType"].startswith("text/csv"):
                assert list(csv.reader(io.StringIO(body.decode("utf-8-sig")))), report
            else:
                assert PdfReader(io.BytesIO(body)).pages, report
    sales = after.reports["sales-daily"]["summary"]
    assert sales, "the sales summary has key figures"
