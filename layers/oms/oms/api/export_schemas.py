"""Request and response bodies of the exports function (docs/exports.md: fields, formats, limits)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from oms.api.schemas import Page, Strict, View
from oms.domain.exports import DEFAULT_FIELDS, MAX_FIELDS, ExportFormat, ExportState, Locale
from oms.domain.order import OrderStatus

FieldName = Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=r"^[A-Za-z]+$")]
Timestamp = Annotated[str, StringConstraints(max_length=40)]


class ExportFiltersIn(Strict):
    """The staff order listing's filters (`GET /orders`): status, and the creation time range."""

    status: OrderStatus | None = Field(default=None, strict=False)
    createdFrom: Timestamp | None = Field(default=None, description="RFC 3339 (inclusive).")
    createdTo: Timestamp | None = Field(default=None, description="RFC 3339 (exclusive).")


class ExportIn(Strict):
    format: ExportFormat = Field(strict=False)
    fields: list[FieldName] = Field(
        default=list(DEFAULT_FIELDS), min_length=1, max_length=MAX_FIELDS, description="From docs/exports.md's list."
    )
    filters: ExportFiltersIn = ExportFiltersIn()
    locale: Locale = Field(default=Locale.ZH_CN, strict=False)


class ExportFilters(View):
    status: str | None = None
    createdFrom: str | None = None
    createdTo: str | None = None
    storeScope: list[str] | None = Field(
        default=None, description="Set for store-scoped staff: the file holds only these stores' orders."
    )


class ExportDownload(View):
    """A presigned GET of the file, valid `expiresInSeconds` from this answer."""

    url: str
    expiresInSeconds: int


class Export(View):
    """An export job: its request, how far it is, and once SUCCEEDED a short-lived link to the file."""

    exportId: str
    state: ExportState
    format: ExportFormat
    fields: list[str]
    filters: ExportFilters
    locale: Locale
    masked: bool = Field(description="Whether personal data (name, phone, address) is masked in the file.")
    rowsDone: int
    bytes: int
    chunks: int
    createdBy: str
    createdAt: str
    updatedAt: str
    finishedAt: str | None = None
    failure: str | None = None
    download: ExportDownload | None = None


class ExportPage(Page[Export]):
    pass
