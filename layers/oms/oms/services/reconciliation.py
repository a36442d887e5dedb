"""The daily reconciliation of one payment provider: fetch its bill, match it against our ledger, open a
case per mismatch, publish the report (a CSV of every line with its status and a PDF summary).

    bill    provider.settlement_file(day)   Alipay zip / WeChat trade bill / card report (the adapters)
    parse   oms.adapters.bills               → SettlementLine
    ours    oms.store.reconciliation         the provider account's ledger lines of the day (one Query)
    match   oms.domain.reconciliation        → Match per line, totals per channel
    cases   oms.store.reconciliation         one anomaly per (provider, day, kind, reference), once
    report  `reconciliation_report(provider)`: the REPORTS builder (oms.services.report_jobs), published as
            reports/reconciliation-<provider>/<day>/reconciliation.csv | reconciliation.pdf

The day defaults to yesterday on the provider's own calendar (China time for Alipay and WeChat, UTC for
the card processor): bills are T+1, ready after 10:00 (docs/reports.md, "Reconciliation").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from oms.adapters.bills import parse_bill
from oms.adapters.providers.base import BillSource
from oms.domain.clock import to_rfc3339, utcnow
from oms.domain.payment import PaymentMethod
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
from oms.domain.reporting import BarChart, Period, Summary, Table
from oms.services.reports import ReportOutput, csv_file, money_cell, money_text, pdf_file

if TYPE_CHECKING:
    from oms.services.report_jobs import ReportDeps

CSV_COLUMNS = [
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
]


@dataclass(frozen=True)
class ReconciliationRun:
    provider: str
    day: date
    matches: list[Match]
    totals: ChannelTotals
    anomalies: dict[tuple[LineKind, str], str]  # every mismatch's case id (opened now or before)
    opened: list[str]  # cases this run opened

    @property
    def mismatches(self) -> list[Match]:
        return [m for m in self.matches if m.status is not MatchStatus.MATCHED]


def default_day(provider: str, now: datetime) -> date:
    """Yesterday on the provider's bill calendar."""
    return now.astimezone(BILL_ZONES[provider]).date() - timedelta(days=1)


class ReconciliationService:
    def __init__(self, providers: Callable[[str], BillSource], clock: Callable[[], datetime] = utcnow) -> None:
        self.providers = providers
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
        return ReconciliationRun(provider, chosen, matches, totals(provider, matches), anomalies, opened)

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


# ---------------------------------------------------------------- the report


def report_rows(run: ReconciliationRun) -> list[list[str]]:
    """Every bill row and every entry of ours of the day, one line each, with its match status."""
    rows = []
    for m in run.matches:
        t, o = m.theirs, m.ours
        rows.append(
            [
                run.provider,
                run.day.isoformat(),
                m.status.value,
                m.kind.value,
                m.reference,
                m.payment_id,
                m.order_id or "",
                t.provider_reference if t else "",
                money_cell(t.amount.amount, t.amount.currency) if t else "",
                t.amount.currency if t else "",
                money_cell(t.fee.amount, t.fee.currency) if t else "",
                t.at.astimezone(UTC).isoformat() if t else "",
                money_cell(o.amount.amount, o.amount.currency) if o else "",
                o.amount.currency if o else "",
                money_cell(o.fee.amount, o.fee.currency) if o else "",
                o.at.astimezone(UTC).isoformat() if o else "",
                m.detail,
                run.anomalies.get((m.kind, m.reference), "") if m.status is not MatchStatus.MATCHED else "",
            ]
        )
    return rows


def report_summary(run: ReconciliationRun) -> Summary:
    """Totals per currency on each side (payments, refunds, fees, net) and the count per status."""
    zone = "UTC" if BILL_ZONES[run.provider] is UTC else "China time (UTC+8)"
    sides = []
    for side, per_currency in (("bill", run.totals.theirs), ("ledger", run.totals.ours)):
        for currency, t in sorted(per_currency.items()):
            sides.append(
                [
                    f"{side} {currency}",
                    str(t.payment_count),
                    money_text(t.payments, currency),
                    str(t.refund_count),
                    money_text(t.refunds, currency),
                    money_text(t.fees, currency),
                    money_text(t.net, currency),
                ]
            )
    counts = [(status.value, n) for status, n in run.totals.counts.items() if n]
    return Summary(
        title=f"Reconciliation {run.provider} {run.day.isoformat()}",
        period=f"{run.day.isoformat()} ({zone})",
        figures=[
            ("Lines", str(len(run.matches))),
            ("Mismatches", str(run.totals.mismatches)),
            ("Cases opened by this run", str(len(run.opened))),
        ],
        tables=[
            Table(
                "Totals per channel",
                ["Side / currency", "Payments", "Amount", "Refunds", "Amount", "Fees", "Net"],
                sides,
            ),
            Table("Lines per status", ["Status", "Lines"], [[s.value, str(n)] for s, n in run.totals.counts.items()]),
        ],
        charts=[BarChart("Lines per status", counts)] if counts else [],
        notes=["Every mismatch is an anomaly case (GET /anomalies); a re-run of the day opens none again."],
    )


def summary_figures(run: ReconciliationRun) -> dict[str, Any]:
    return {
        "provider": run.provider,
        "lines": len(run.matches),
        "mismatches": run.totals.mismatches,
        "opened": len(run.opened),
        "byStatus": {s.value: n for s, n in run.totals.counts.items() if n},
        "bill": {
            c: {"payments": t.payments, "refunds": t.refunds, "fees": t.fees} for c, t in run.totals.theirs.items()
        },
        "ledger": {
            c: {"payments": t.payments, "refunds": t.refunds, "fees": t.fees} for c, t in run.totals.ours.items()
        },
    }


def reconciliation_report(provider: str) -> Callable[[Period, ReportDeps], ReportOutput]:
    """The builder of `reconciliation-<provider>` (oms.services.report_jobs.REPORTS) for a bill day."""

    def build(period: Period, deps: ReportDeps) -> ReportOutput:
        def source(method: str) -> BillSource:
            adapter = deps.services.providers(PaymentMethod(method))
            if not hasattr(adapter, "settlement_file"):
                raise ValueError(f"{method} publishes no bill")
            return cast("BillSource", adapter)

        run = ReconciliationService(source, clock=lambda: deps.now).run(provider, period.first)
        return ReportOutput(
            type=f"reconciliation-{provider}",
            period=str(period),
            files=[
                csv_file("reconciliation.csv", CSV_COLUMNS, report_rows(run)),
                pdf_file("reconciliation.pdf", report_summary(run)),
            ],
            summary=summary_figures(run),
        )

    return build
