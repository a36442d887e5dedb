"""Response bodies of the reports function, as `oms.services.reports.ReportService.view` builds them."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from oms.api.schemas import Page, View


class ReportFileLink(View):
    name: str
    contentType: str
    size: int = Field(description="Bytes.")
    url: str = Field(description="A presigned GET link to the file.")
    expiresIn: int = Field(description="Seconds the link stays valid.")


class Report(View):
    """A published report: one (type, period), its files and key figures. A re-run replaces it."""

    type: str
    period: str = Field(description="2026-12-01 (day), 2026-W48 (ISO week), 2026-12 (month), 2026-Q4 (quarter).")
    periodStart: str = Field(description="The period's first day.")
    generatedAt: str
    firstGeneratedAt: str
    runs: int = Field(description="How many times the report was built for this period.")
    summary: dict[str, Any]
    files: list[ReportFileLink]


ReportPage = Page[Report]
