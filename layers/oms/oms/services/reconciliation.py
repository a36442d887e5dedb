"""The daily reconciliation of one payment provider: fetch its bill, match it against our ledger, open a
case per mismatch, publish the report (a CSV of every line with its status and a PDF summary).

    bill    provider.settlement_file(day)   Alipay zip / WeChat trade bill / card report (the adapters)
    parse   oms.adapters.bills               → SettlementLine
    ours    oms.store.reconciliation         the provider account's ledger lines of the day (one Query)
    match   oms.domain.reconciliation        → Match per line, totals per channel
    cases   oms.store.reconciliation         one anomaly per (provider, day, kind, reference), once
    report  reports/reconciliation-<provider>/<day>/reconciliation.csv | reconciliation.pdf

The day defaults to yesterday on the provider's own calendar (China time for Alipay and WeChat, UTC for
the card processor): bills are T+1, ready after 10:00 (docs/reports.md, "Reconciliation").
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from oms.adapters.bills import parse_bill
from oms.adapters.providers.base import BillSource
from oms.domain.clock import to_rfc3339, utcnow
from oms.domain.money import minor_unit_exponent
from oms.domain.reconciliation import (
    BILL_ZONES,
    GRACE,
    ChannelTotals,
    LineKind,
    Match,
    MatchStatus,
    anomaly_key,
    bill_window,
    reconcile,
    totals,
)

CSV_TYPE = "text/csv; charset=utf-8"
PDF_TYPE = "application/pdf"
CSV_COLUMNS = (
    "provider",
    "bill_day",
    "status",
    "kind",
    "reference",
    "payment_id",
    "order_id",
    "provider_reference",
    "bill_amount",
    "bill_currency",
    "bill_fee",
    "bill_time",
    "our_amount",
    "our_currency",
    "our_fee",
    "our_time",
    "detail",
    "anomaly_id",
)


class ReportSink(Protocol):
    def put(self, key: str, body: bytes, content_type: str) -> None: ...


class S3Sink:
    """Report files into the reports bucket (a re-run of the same day overwrites the same keys)."""

    def __init__(self, bucket: str, client: Any = None) -> None:
        self.bucket = bucket
        self._client = client

    def put(self, key: str, body: bytes, content_type: str) -> None:
        if self._client is None:
            from oms.faults import aws_client

            self._client = aws_client("s3")
        self._client.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType=content_type)


@dataclass(frozen=True)
class ReconciliationRun:
    provider: str
    day: date
    matches: list[Match]
    totals: ChannelTotals
    anomalies: dict[tuple[LineKind, str], str]  # every mismatch's case id (opened now or before)
    opened: list[str]  # cases this run opened
    files: dict[str, str]  # name → S3 key

    @property
    def mismatches(self) -> list[Match]:
        return [m for m in self.matches if m.status is not MatchStatus.MATCHED]


def default_day(provider: str, now: datetime) -> date:
    """Yesterday on the provider's bill calendar."""
    return now.astimezone(BILL_ZONES[provider]).date() - timedelta(days=1)


class ReconciliationService:
    def __init__(
        self,
        providers: Callable[[str], BillSource],
        sink: Callable[[], ReportSink],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.providers = providers
        self.sink = sink
        self.clock = clock

    def run(self, provider: str, day: date | None = None) -> ReconciliationRun:
        from oms.store.reconciliation import booked_entries, provider_lines

        if provider not in BILL_ZONES:
            raise ValueError(f"{provider} publishes no bill to reconcile")
        now = self.clock()
        chosen = day or default_day(provider, now)
        source = self.providers(provider)
        theirs = parse_bill(provider, source.settlement_file(chosen))
        window = bill_window(provider, chosen)
        ours = booked_entries(provider_lines(provider, window.wide_start, window.wide_end))
        billed = {(t.kind, t.reference) for t in theirs}
        early = [e for e in ours if (e.kind, e.reference) not in billed and e.at < window.start + GRACE]
        before: set[tuple[LineKind, str]] = set()
        if any(window.holds(e.at) for e in early):
            # Booked just after midnight: the payer may have paid just before, in the previous day's bill.
            previous = parse_bill(provider, source.settlement_file(chosen - timedelta(days=1)))
            before = {(t.kind, t.reference) for t in previous}
        matches = reconcile(theirs, ours, window, billed_before=before)
        stamp = to_rfc3339(now)
        anomalies: dict[tuple[LineKind, str], str] = {}
        opened: list[str] = []
        for match in matches:
            if match.status is MatchStatus.MATCHED or (match.kind, match.reference) in anomalies:
                continue
            created = self._open(provider, chosen, match, stamp)
            anomalies[(match.kind, match.reference)] = created or anomaly_key(provider, chosen, match)
            if created is not None:
                opened.append(created)
        summary = totals(provider, matches)
        files = self._publish(provider, chosen, matches, summary, anomalies, now)
        return ReconciliationRun(provider, chosen, matches, summary, anomalies, opened, files)

    @staticmethod
    def _open(provider: str, day: date, match: Match, now: str) -> str | None:
        """One case per mismatch, with a PaymentAnomaly event when the payment is one of our orders' (staff
        alerts follow it); None when a run before opened it."""
        from oms.domain import events
        from oms.store.reconciliation import anomaly_item, open_anomaly, order_header
        from oms.views.orders import order_summary

        item = anomaly_item(provider, day, match, now)
        header = order_header(match.order_id)
        event = None
        if header is not None:
            event = events.payment_anomaly(
                order_summary(header),
                anomaly_id=item.anomalyId,
                anomaly_type=item.anomalyType,
                anomaly_status=item.status,
                payment_id=item.paymentId,
                expected=item.expected.money(),
                received=item.received.money(),
                refund=item.refund,
                note=item.notes[0]["note"],
            )
        record = open_anomaly(item, event)
        return record.anomalyId if record is not None else None

    def _publish(
        self,
        provider: str,
        day: date,
        matches: Sequence[Match],
        summary: ChannelTotals,
        anomalies: dict[tuple[LineKind, str], str],
        now: datetime,
    ) -> dict[str, str]:
        folder = f"reports/reconciliation-{provider}/{day.isoformat()}"
        sink = self.sink()
        files = {
            "reconciliation.csv": (report_csv(provider, day, matches, anomalies), CSV_TYPE),
            "reconciliation.pdf": (report_pdf(provider, day, summary, now), PDF_TYPE),
        }
        keys: dict[str, str] = {}
        for name, (body, content_type) in files.items():
            keys[name] = f"{folder}/{name}"
            sink.put(keys[name], body, content_type)
        return keys


# ---------------------------------------------------------------- the files


def _major(amount: int, currency: str) -> str:
    digits = minor_unit_exponent(currency)
    sign = "-" if amount < 0 else ""
    whole, fraction = divmod(abs(amount), 10**digits)
    return f"{sign}{whole}.{fraction:0{digits}d}" if digits else f"{sign}{whole}"


def report_csv(provider: str, day: date, matches: Sequence[Match], anomalies: dict[tuple[LineKind, str], str]) -> bytes:
    """Every bill row and every entry of ours of the day, one line each, with its match status."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for m in matches:
        t, o = m.theirs, m.ours
        writer.writerow(
            [
                provider,
                day.isoformat(),
                m.status.value,
                m.kind.value,
                m.reference,
                m.payment_id,
                m.order_id or "",
                t.provider_reference if t else "",
                _major(t.amount.amount, t.amount.currency) if t else "",
                t.amount.currency if t else "",
                _major(t.fee.amount, t.fee.currency) if t else "",
                t.at.astimezone(UTC).isoformat() if t else "",
                _major(o.amount.amount, o.amount.currency) if o else "",
                o.amount.currency if o else "",
                _major(o.fee.amount, o.fee.currency) if o else "",
                o.at.astimezone(UTC).isoformat() if o else "",
                m.detail,
                anomalies.get((m.kind, m.reference), "") if m.status is not MatchStatus.MATCHED else "",
            ]
        )
    return buffer.getvalue().encode("utf-8-sig")


def report_pdf(provider: str, day: date, summary: ChannelTotals, now: datetime) -> bytes:
    """One page: totals per currency on each side (payments, refunds, fees, net) and mismatch counts.
    Every text here is ASCII (provider names, statuses, amounts): fpdf2's core font suffices."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 15)
    pdf.cell(0, 10, f"Reconciliation {provider} {day.isoformat()}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    zone = "China time (UTC+8)" if BILL_ZONES[provider] is not UTC else "UTC"
    pdf.cell(0, 6, f"Bill day in {zone}; generated {to_rfc3339(now)}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    widths = (34, 22, 30, 22, 30, 26, 30)
    header = ("Side / currency", "Payments", "Amount", "Refunds", "Amount", "Fees", "Net")
    pdf.set_font("Helvetica", "B", 9)
    for width, text in zip(widths, header, strict=True):
        pdf.cell(width, 7, text, border=1)
    pdf.ln()
    pdf.set_font("Helvetica", "", 9)
    for side, per_currency in (("bill", summary.theirs), ("ledger", summary.ours)):
        for currency, t in sorted(per_currency.items()):
            cells = (
                f"{side} {currency}",
                str(t.payment_count),
                _major(t.payments, currency),
                str(t.refund_count),
                _major(t.refunds, currency),
                _major(t.fees, currency),
                _major(t.net, currency),
            )
            for width, text in zip(widths, cells, strict=True):
                pdf.cell(width, 7, text, border=1)
            pdf.ln()
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 8, f"Mismatches: {summary.mismatches}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    for status, count in summary.counts.items():
        pdf.cell(70, 6, status.value, border=1)
        pdf.cell(20, 6, str(count), border=1, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
