"""Report building blocks without AWS: the PDF summary (fpdf2, opened again with pypdf; characters the
bundled font lacks are replaced, not fatal), the CSV helper, the settlement arithmetic and the financial
report's classification of ledger lines."""

from __future__ import annotations

import csv
import io

import pypdf
from oms.domain.reporting import BarChart, Summary, Table
from oms.domain.settlement import SettlementLine, commission
from oms.services.report_finance import classify
from oms.services.reports import csv_file, money_cell
from oms.store.records import LedgerLineRecord, MoneyRecord


def test_a_summary_renders_figures_tables_and_bars_and_replaces_what_the_font_lacks() -> None:
    from oms.adapters.report_pdf import render_summary

    summary = Summary(
        "Sales summary",
        "2026-12-01",
        figures=[("Net sales", "1234.50 CNY"), ("Store", "上海店 Ünïcode")],
        tables=[Table("By store", ["Store", "Net"], [["上海", "1234.50"], ["Köln", "0.00"]])],
        charts=[BarChart("Net sales by hour", [("00", 0), ("13", 123450)], ["0.00", "1234.50"])],
        notes=["A note."],
    )
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(render_summary(summary))).pages)
    for expected in ("Sales summary", "2026-12-01", "1234.50 CNY", "Ünïcode", "Köln", "Net sales by hour", "A note."):
        assert expected in text
    assert "???" in text and "上" not in text  # CJK glyphs are not in DejaVu Sans: replaced


def test_a_long_table_spills_onto_more_pages() -> None:
    from oms.adapters.report_pdf import render_summary

    rows = [[f"row {n}", "1.00"] for n in range(150)]
    pdf = pypdf.PdfReader(io.BytesIO(render_summary(Summary("Long", "2026-12", tables=[Table("T", ["a", "b"], rows)]))))
    assert len(pdf.pages) > 1 and "row 149" in pdf.pages[-1].extract_text()


def test_csv_files_are_utf8_with_a_bom_and_crlf() -> None:
    made = csv_file("x.csv", ["store", "net"], [["上海", money_cell(-1205, "CNY")], ["jp", money_cell(500, "JPY")]])
    assert made.body.startswith(b"\xef\xbb\xbfstore,net\r\n") and made.content_type.startswith("text/csv")
    assert list(csv.reader(io.StringIO(made.body.decode("utf-8-sig")))) == [
        ["store", "net"],
        ["上海", "-12.05"],
        ["jp", "500"],
    ]


def test_commission_rounds_half_even_on_the_net_after_refunds() -> None:
    assert commission(12000, 500) == 600
    assert commission(10, 500) == 0  # 0.5 → 0 (even)
    assert commission(30, 500) == 2  # 1.5 → 2 (even)
    assert commission(0, 500) == 0
    line = SettlementLine("O-01", "O", "demo", "CNY", "2026-12-01T00:00:00.000Z", 24000, 4000, 1000)
    assert (line.net, line.commission, line.due) == (20000, 2000, 18000)
    fully_refunded = SettlementLine("O-02", "O", "demo", "CNY", "t", 24000, 24000, 500)
    assert (fully_refunded.net, fully_refunded.due) == (0, 0)
    assert SettlementLine.from_dict(line.to_dict()) == line


def _line(kind: str, account: str, amount: int, at: str = "2026-12-01T10:00:00.000Z") -> LedgerLineRecord:
    return LedgerLineRecord("P", kind, account, MoneyRecord(amount, "CNY"), "m", at, "O", None, None)


def test_ledger_lines_are_classified_into_income_refunds_and_fees_by_method_and_bearer() -> None:
    flows = classify(
        [
            _line("payment", "provider:card", 10290),  # 102.90 paid: 100.00 goods + 2.90 surcharge
            _line("payment", "order:O", -10000),
            _line("payment", "surcharge:card", -290),
            _line("provider_fee", "fees:card", 290),
            _line("provider_fee", "provider:card", -290),
            _line("payment", "balance:cust-1", 5000),
            _line("refund", "order:O", 2000),
            _line("refund", "provider:card", -2000),
            _line("refund", "manual-payouts", -100),
            _line("cancellation", "cancellations", 700),
            _line("payment", "provider:wechat", 3000, at="2026-12-02T00:00:00.000Z"),
        ]
    )
    card = flows[("2026-12-01", "CNY", "card")]
    assert (card.income, card.surcharges, card.refunds, card.fees) == (10290, 290, 2000, 290)
    assert (card.customer_fees, card.merchant_fees, card.net) == (290, 0, 10290 - 2000 - 290)
    assert flows[("2026-12-01", "CNY", "balance")].income == 5000
    assert flows[("2026-12-01", "CNY", "manual")].refunds == 100
    assert flows[("2026-12-02", "CNY", "wechat")].income == 3000
    assert len(flows) == 4
