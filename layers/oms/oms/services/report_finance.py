"""Financial report (daily, weekly, monthly) from the ledger: the lines booked in the period, read day by
day from GSI3 `LEDGERDAY#<day>#<shard>` (never a scan), classified by posting kind and account
(`oms.domain.ledger`):

- income: what payers paid (`payment` postings' debit of `provider:<method>`, or of `balance:<customer>`
  for the stored balance), surcharges included; surcharges alone: the credit of `surcharge:<method>`;
- refunds: money given back (`refund` postings' credit of `provider:<method>`, `balance:<customer>` for a
  refund to the balance, `manual-payouts` for one finance paid by hand: method `manual`);
- provider fees (`provider_fee` postings' debit of `fees:<method>`), by fee bearer: the customer bore what
  the surcharges covered (at most the fees), the merchant the rest;
- net = income − refunds − fees.

The ledger keeps each movement in its own currency, so does the report: a row per (day, method, currency),
no conversion (this is money that moved, not a sales figure).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from oms.domain.clock import to_rfc3339
from oms.domain.ledger import MANUAL_PAYOUTS, PostingKind
from oms.domain.reporting import BarChart, Granularity, Period, Summary, Table
from oms.services.reports import ReportOutput, csv_file, money_cell, money_text, pdf_file

if TYPE_CHECKING:
    from oms.services.report_jobs import ReportDeps
    from oms.store.records import LedgerLineRecord

NAMES = {
    Granularity.DAY: "financial-daily",
    Granularity.WEEK: "financial-weekly",
    Granularity.MONTH: "financial-monthly",
}
COLUMNS = [
    "day",
    "currency",
    "method",
    "income",
    "surcharges",
    "refunds",
    "provider_fees",
    "fees_borne_by_customer",
    "fees_borne_by_merchant",
    "net",
]
LEDGER_COLUMNS = ["at", "posting_id", "kind", "account", "currency", "amount", "order_id", "payment_id", "memo"]


@dataclass
class Flows:
    income: int = 0
    surcharges: int = 0
    refunds: int = 0
    fees: int = 0

    @property
    def customer_fees(self) -> int:
        return max(0, min(self.surcharges, self.fees))

    @property
    def merchant_fees(self) -> int:
        return self.fees - self.customer_fees

    @property
    def net(self) -> int:
        return self.income - self.refunds - self.fees

    def add(self, other: Flows) -> None:
        self.income += other.income
        self.surcharges += other.surcharges
        self.refunds += other.refunds
        self.fees += other.fees


def _method(account: str) -> str | None:
    """The payment method an account stands for in the report (None: not a payer-side account)."""
    kind, _, rest = account.partition(":")
    if kind in ("provider", "fees", "surcharge") and rest:
        return rest
    if kind == "balance":
        return "balance"
    if account == MANUAL_PAYOUTS:
        return "manual"
    return None


def classify(lines: list[LedgerLineRecord]) -> dict[tuple[str, str, str], Flows]:
    """(day, currency, method) -> the money flows of those lines."""
    flows: dict[tuple[str, str, str], Flows] = defaultdict(Flows)
    for line in lines:
        method = _method(line.account)
        if method is None:
            continue
        amount = int(line.amount.amount)
        key = (line.at[:10], line.amount.currency, method)
        account_kind = line.account.partition(":")[0]
        if line.kind == PostingKind.PAYMENT.value:
            if account_kind in ("provider", "balance") and amount > 0:
                flows[key].income += amount
            elif account_kind == "surcharge" and amount < 0:
                flows[key].surcharges += -amount
        elif line.kind == PostingKind.PROVIDER_FEE.value:
            if account_kind == "fees":
                flows[key].fees += amount
        elif line.kind == PostingKind.REFUND.value and amount < 0:
            flows[key].refunds += -amount
    return flows


def _row(day: str, currency: str, method: str, f: Flows) -> list[object]:
    cells = (f.income, f.surcharges, f.refunds, f.fees, f.customer_fees, f.merchant_fees, f.net)
    return [day, currency, method, *(money_cell(value, currency) for value in cells)]


def financial_report(period: Period, deps: ReportDeps) -> ReportOutput:
    from oms.store.report_reads import ledger_lines_of_day

    report_type = NAMES[period.granularity]
    lines = [line for day in period.days() for line in ledger_lines_of_day(day.isoformat())]
    flows = classify(lines)
    by_method: dict[tuple[str, str], Flows] = defaultdict(Flows)
    by_currency: dict[str, Flows] = defaultdict(Flows)
    by_day: dict[tuple[str, str], Flows] = defaultdict(Flows)
    for (day, currency, method), f in flows.items():
        by_method[(currency, method)].add(f)
        by_currency[currency].add(f)
        by_day[(currency, day)].add(f)
    rows = [_row(day, cur, method, f) for (day, cur, method), f in sorted(flows.items())]
    rows += [_row("ALL", cur, method, f) for (cur, method), f in sorted(by_method.items())]
    rows += [_row("ALL", cur, "ALL", f) for cur, f in sorted(by_currency.items())]

    figures: list[tuple[str, str]] = []
    for cur, f in sorted(by_currency.items()):
        figures += [
            (f"Income ({cur})", money_text(f.income, cur)),
            (f"Refunds ({cur})", money_text(f.refunds, cur)),
            (f"Provider fees ({cur})", money_text(f.fees, cur)),
            ("  borne by customers", money_text(f.customer_fees, cur)),
            ("  borne by merchants", money_text(f.merchant_fees, cur)),
            (f"Net ({cur})", money_text(f.net, cur)),
        ]
    if not figures:
        figures = [("Ledger lines", "none in this period")]
    method_rows = [
        [method, cur, *(money_cell(value, cur) for value in (f.income, f.refunds, f.fees, f.net))]
        for (cur, method), f in sorted(by_method.items())
    ]
    charts = []
    for cur in sorted(by_currency):
        share = [(method, f.income) for (c, method), f in sorted(by_method.items()) if c == cur and f.income]
        title = f"Payment method share of income ({cur})"
        charts.append(BarChart(title, share, [money_cell(v, cur) for _, v in share]))
        if period.granularity is not Granularity.DAY:
            daily = [(d.isoformat(), by_day[(cur, d.isoformat())].net) for d in period.days()]
            charts.append(BarChart(f"Net by day ({cur})", daily, [money_cell(v, cur) for _, v in daily]))
    summary = Summary(
        title=f"Financial report ({period.granularity.value})",
        period=str(period),
        figures=figures,
        tables=[Table("By payment method", ["Method", "Currency", "Income", "Refunds", "Fees", "Net"], method_rows)],
        charts=charts,
        notes=[
            f"Ledger lines booked {period.start:%Y-%m-%d} to {period.end:%Y-%m-%d} (exclusive) UTC, read at "
            f"{to_rfc3339(deps.now)}. Each currency is shown as it moved (no conversion)."
        ],
    )
    ledger_rows = [
        [
            line.at,
            line.postingId,
            line.kind,
            line.account,
            line.amount.currency,
            money_cell(int(line.amount.amount), line.amount.currency),
            line.orderId or "",
            line.paymentId or "",
            line.memo,
        ]
        for line in lines
    ]
    return ReportOutput(
        type=report_type,
        period=str(period),
        files=[
            csv_file("financial.csv", COLUMNS, rows),
            csv_file("ledger.csv", LEDGER_COLUMNS, ledger_rows),
            pdf_file("summary.pdf", summary),
        ],
        summary={
            "ledgerLines": len(lines),
            "currencies": {
                cur: {
                    "income": f.income,
                    "surcharges": f.surcharges,
                    "refunds": f.refunds,
                    "providerFees": f.fees,
                    "feesBorneByCustomer": f.customer_fees,
                    "feesBorneByMerchant": f.merchant_fees,
                    "net": f.net,
                }
                for cur, f in sorted(by_currency.items())
            },
        },
    )
