"""Published reports: each a few files (CSV, a PDF summary) in ReportsBucket under
`reports/<type>/<period>/<name>` plus one index row per (type, period) in the table, listed with
short-lived presigned links.

Publishing is idempotent per (type, period): a re-run overwrites the files of the same names, deletes
those the new run no longer has, and replaces the row (summary, file keys, generatedAt; `runs` counts the
runs). The files are written before the row, so a row only ever names files that exist.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from oms.domain.clock import to_rfc3339, utcnow
from oms.domain.errors import InvalidRequest
from oms.domain.money import Money, minor_unit_exponent
from oms.domain.reporting import Period, Summary, period_start_key

if TYPE_CHECKING:
    from datetime import datetime

    from oms.adapters.report_files import S3ReportFiles
    from oms.store.reports import ReportRecord

CSV = "text/csv; charset=utf-8"
PDF = "application/pdf"
_REPORT_TYPE = r"^[a-z][a-z0-9-]{0,63}$"


@dataclass(frozen=True, slots=True)
class ReportFile:
    name: str  # the file name in the report's folder, e.g. "sales.csv"
    content_type: str
    body: bytes


@dataclass(frozen=True, slots=True)
class ReportOutput:
    type: str  # the report type, e.g. "sales-daily" (the REPORTS key)
    period: str  # Period's name: 2026-12-01, 2026-W48, 2026-12, 2026-Q4
    files: list[ReportFile]
    summary: dict[str, Any] = field(default_factory=dict)  # key figures, JSON-able; shown by GET /reports


def file_key(report_type: str, period: str, name: str) -> str:
    return f"reports/{report_type}/{period}/{name}"


# ---------------------------------------------------------------- file helpers for the builders
def money_cell(amount: int, currency: str) -> str:
    """An amount in major units as a plain decimal ("1234.50"), the currency in its own column."""
    exp = minor_unit_exponent(currency)
    sign = "-" if amount < 0 else ""
    whole, frac = divmod(abs(amount), 10**exp)
    return f"{sign}{whole}.{frac:0{exp}d}" if exp else f"{sign}{whole}"


def money_text(amount: int, currency: str) -> str:
    """For the PDF: '1234.50 CNY'."""
    return Money(amount, currency).display()


def csv_file(name: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> ReportFile:
    """A CSV file, UTF-8 with a byte-order mark (spreadsheet programs then read Chinese names right), CRLF
    line ends (RFC 4180)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return ReportFile(name, CSV, buffer.getvalue().encode("utf-8-sig"))


def pdf_file(name: str, summary: Summary) -> ReportFile:
    from oms.adapters.report_pdf import render_summary

    return ReportFile(name, PDF, render_summary(summary))


# ---------------------------------------------------------------- the service
class ReportService:
    def __init__(self, files: Callable[[], S3ReportFiles], clock: Callable[[], datetime] = utcnow) -> None:
        self._files = files
        self._clock = clock

    def publish(self, output: ReportOutput) -> ReportRecord:
        """Write the report's files and (re)place its index row; the same (type, period) again replaces it."""
        from oms.store.reports import get_report, put_report

        period = Period.parse(output.period)
        names = [f.name for f in output.files]
        if len(set(names)) != len(names) or not names:
            raise ValueError(f"a report needs files with distinct names, not {names}")
        files = self._files()
        start = period_start_key(period)
        before = get_report(output.type, str(period), start)
        stored = []
        for report_file in output.files:
            key = file_key(output.type, str(period), report_file.name)
            files.put(key, report_file.body, report_file.content_type)
            stored.append(
                {
                    "name": report_file.name,
                    "key": key,
                    "contentType": report_file.content_type,
                    "size": len(report_file.body),
                }
            )
        record = put_report(output.type, str(period), start, stored, output.summary, to_rfc3339(self._clock()))
        if before is not None:
            kept = {f["key"] for f in stored}
            files.delete([f["key"] for f in before.files if f["key"] not in kept])
        return record

    def list(self, report_type: str | None, from_: str | None, cursor: str | None, limit: int | None) -> dict[str, Any]:
        """Published reports newest period first (of one type, or all) whose period starts on or after
        `from_` (a day, or any period name: its first day), each file with a presigned GET link valid a few
        minutes. Who may list is the edge's check (`report:read`)."""
        from oms.store.reports import list_reports

        if from_ is not None:
            from_ = period_start_key(Period.parse(from_))
        if report_type is not None and not _valid_type(report_type):
            raise InvalidRequest("unknown report type", field="type")
        page = list_reports(report_type, from_, limit, cursor)
        return {"items": [self.view(record) for record in page.items], "next_cursor": page.next_cursor}

    def view(self, record: ReportRecord) -> dict[str, Any]:
        from oms.adapters.report_files import LINK_SECONDS

        files = self._files()
        return {
            "type": record.reportType,
            "period": record.period,
            "periodStart": record.periodStart,
            "generatedAt": record.generatedAt,
            "firstGeneratedAt": record.firstGeneratedAt,
            "runs": record.runs,
            "summary": record.summary,
            "files": [
                {
                    "name": f["name"],
                    "contentType": f["contentType"],
                    "size": int(f["size"]),
                    "url": files.link(f["key"], f["name"]),
                    "expiresIn": LINK_SECONDS,
                }
                for f in record.files
            ],
        }


def _valid_type(report_type: str) -> bool:
    import re

    return re.match(_REPORT_TYPE, report_type) is not None
