"""The index of published reports: one row per (type, period) naming its files in ReportsBucket.

A re-run of a report for the same period overwrites its row (files, summary, generatedAt) and counts the
run; the first generation time is kept. Listing is a Query on the type's partition (or, across types, on
GSI2 `REPORTS`), newest period first, from a first day on: never a scan.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from oms.store import keys
from oms.store.models import ReportItem
from oms.store.pages import Page, clamp_limit, decode_cursor, encode_cursor


@dataclass(frozen=True, slots=True)
class ReportRecord:
    reportType: str
    period: str
    periodStart: str
    files: list[dict[str, Any]]
    summary: dict[str, Any]
    generatedAt: str
    firstGeneratedAt: str
    runs: int


def _record(item: ReportItem) -> ReportRecord:
    return ReportRecord(
        reportType=item.reportType,
        period=item.period,
        periodStart=item.periodStart,
        files=list(item.files or []),
        summary=dict(item.summary or {}),
        generatedAt=item.generatedAt,
        firstGeneratedAt=item.firstGeneratedAt,
        runs=int(item.runs),
    )


def put_report(
    report_type: str, period: str, period_start: str, files: list[dict[str, Any]], summary: dict[str, Any], now: str
) -> ReportRecord:
    """Write (or replace) the report's row in one UpdateItem: a second run replaces files and summary and
    adds one to `runs`; `firstGeneratedAt` stays the first run's."""
    item = ReportItem(*keys.report(report_type, period_start, period))
    item.update(
        [
            ReportItem.type.set(ReportItem),  # the discriminator: the item may be new
            ReportItem.reportType.set(report_type),
            ReportItem.period.set(period),
            ReportItem.periodStart.set(period_start),
            ReportItem.files.set(files),
            ReportItem.summary.set(summary),
            ReportItem.generatedAt.set(now),
            ReportItem.firstGeneratedAt.set(ReportItem.firstGeneratedAt | now),
            ReportItem.runs.add(1),
            ReportItem.GSI2PK.set(keys.REPORTS_GSI2),
            ReportItem.GSI2SK.set(keys.reports_gsi2sk(period_start, report_type, period)),
        ]
    )
    return _record(item)


def get_report(report_type: str, period: str, period_start: str) -> ReportRecord | None:
    try:
        return _record(ReportItem.get(*keys.report(report_type, period_start, period), consistent_read=True))
    except ReportItem.DoesNotExist:
        return None


def list_reports(
    report_type: str | None, from_day: str | None, limit: int | None, cursor: str | None
) -> Page[ReportRecord]:
    """Reports newest period first, of one type (its partition) or of every type (GSI2), whose period starts
    on or after `from_day` (YYYY-MM-DD)."""
    size = clamp_limit(limit)
    lower = from_day or "0000"
    results: Any
    if report_type is not None:
        partition = keys.report_partition(report_type)
        start = decode_cursor(cursor, partition_attr="PK", partition_value=partition)
        results = ReportItem.query(
            partition,
            lower <= ReportItem.SK,
            scan_index_forward=False,
            limit=size,
            last_evaluated_key=start,
        )
    else:
        start = decode_cursor(cursor, partition_attr="GSI2PK", partition_value=keys.REPORTS_GSI2)
        results = ReportItem.gsi2.query(
            keys.REPORTS_GSI2,
            lower <= ReportItem.GSI2SK,
            scan_index_forward=False,
            limit=size,
            last_evaluated_key=start,
        )
    items = [_record(item) for item in results]
    return Page(items, encode_cursor(results.last_evaluated_key))
