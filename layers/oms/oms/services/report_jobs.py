"""The scheduled reports: one registry, `REPORTS`, from a report type to its builder.

A builder is a `ReportBuilder`: the granularity of its periods (what "the previous period" means when a
schedule fires) and a callable `(period, deps) -> ReportOutput` that reads what it needs through `deps`
(indexed queries only) and returns its files and summary. `run_report` runs one for a period (by default
the last complete one at `deps.now`) and publishes it (`ReportService.publish`: idempotent per period).

To add a report: write its builder (a module under oms/services/, e.g. report_sales.py), add one line to
`REPORTS`, a `Schedule` event with `Input: {"report": "<type>"}` on ScheduledReportsFunction in
template.yaml, and its section in docs/reports.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from oms.domain.clock import utcnow
from oms.domain.errors import InvalidRequest
from oms.domain.reporting import Granularity, Period
from oms.services import report_daily_checks, report_finance, report_inventory, report_sales, report_settlement
from oms.services.reconciliation import reconciliation_report
from oms.services.reports import ReportOutput

if TYPE_CHECKING:
    from oms.services.reports import ReportService
    from oms.store.reports import ReportRecord
    from oms.wiring import Services


@dataclass(frozen=True)
class ReportDeps:
    """What a builder may use: the time of the run, the function's services (built on first use: payments,
    refunds, after-sales...) and the report service (files, the index). Builders read the table through the
    oms.store readers of their own report (indexed queries by date)."""

    now: datetime
    services: Services
    reports: ReportService

    @classmethod
    def of(cls, services: Services, now: datetime | None = None) -> ReportDeps:
        return cls(now or utcnow(), services, services.reports)


@dataclass(frozen=True)
class ReportBuilder:
    granularity: Granularity
    build: Callable[[Period, ReportDeps], ReportOutput]

    def __call__(self, period: Period, deps: ReportDeps) -> ReportOutput:
        return self.build(period, deps)


REPORTS: dict[str, ReportBuilder] = {
    "sales-daily": ReportBuilder(Granularity.DAY, report_sales.sales_report),
    "sales-weekly": ReportBuilder(Granularity.WEEK, report_sales.sales_report),
    "sales-monthly": ReportBuilder(Granularity.MONTH, report_sales.sales_report),
    "financial-daily": ReportBuilder(Granularity.DAY, report_finance.financial_report),
    "financial-weekly": ReportBuilder(Granularity.WEEK, report_finance.financial_report),
    "financial-monthly": ReportBuilder(Granularity.MONTH, report_finance.financial_report),
    "settlement-daily": ReportBuilder(Granularity.DAY, report_settlement.settlement_report),
    "inventory-daily": ReportBuilder(Granularity.DAY, report_inventory.inventory_report),
    "inventory-monthly": ReportBuilder(Granularity.MONTH, report_inventory.inventory_report),
    "daily-checks": ReportBuilder(Granularity.DAY, report_daily_checks.daily_checks_report),
    # The bill day of each provider (China time for Alipay and WeChat, UTC for the card processor).
    "reconciliation-alipay": ReportBuilder(Granularity.DAY, reconciliation_report("alipay")),
    "reconciliation-wechat": ReportBuilder(Granularity.DAY, reconciliation_report("wechat")),
    "reconciliation-card": ReportBuilder(Granularity.DAY, reconciliation_report("card")),
}


def run_report(report_type: str, period: str | None, deps: ReportDeps) -> ReportRecord:
    """Build and publish one report for `period` (its name; None: the last complete period at `deps.now`).
    InvalidRequest for an unknown type or a period of another granularity."""
    builder = REPORTS.get(report_type)
    if builder is None:
        raise InvalidRequest(f"unknown report {report_type!r}", field="report")
    if period is None:
        chosen = Period.last_complete(deps.now, builder.granularity)
    else:
        chosen = Period.parse(period)
        if chosen.granularity is not builder.granularity:
            raise InvalidRequest(f"{report_type} reports a {builder.granularity.value}, not {period!r}", field="period")
    output = builder(chosen, deps)
    if output.type != report_type or output.period != str(chosen):
        raise ValueError(f"builder of {report_type} returned {output.type} {output.period}")
    return deps.reports.publish(output)
