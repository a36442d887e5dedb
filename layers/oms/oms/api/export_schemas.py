"""Request and response bodies of the exports function (docs/exports.md: fields, formats, limits)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from oms.api.order_schemas import MAX_AMOUNT, ORDER_NUMBER_PATTERN
from oms.api.schemas import Id, Page, Strict, View
from oms.domain.exports import DEFAULT_FIELDS, MAX_FIELDS, ExportFormat, ExportState, Locale
from oms.domain.order import OrderStatus
from oms.domain.order_search import DatePreset, PaidWith, SearchFlag, SearchParams

FieldName = Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=r"^[A-Za-z]+$")]
Timestamp = Annotated[str, StringConstraints(max_length=40)]


class ExportFiltersIn(Strict):
    """The staff order search's filters (`GET /orders`, the same names and meanings)."""

    orderNumber: Annotated[str, StringConstraints(max_length=32, pattern=ORDER_NUMBER_PATTERN)] | None = None
    status: OrderStatus | None = Field(default=None, strict=False)
    created: DatePreset | None = Field(default=None, strict=False)
    createdFrom: Timestamp | None = Field(default=None, description="RFC 3339 (inclusive).")
    createdTo: Timestamp | None = Field(default=None, description="RFC 3339 (exclusive).")
    paid: DatePreset | None = Field(default=None, strict=False)
    paidFrom: Timestamp | None = Field(default=None, description="RFC 3339 (inclusive).")
    paidTo: Timestamp | None = Field(default=None, description="RFC 3339 (exclusive).")
    paymentMethod: PaidWith | None = Field(default=None, strict=False)
    customerId: Id | None = None
    phone: Annotated[str, StringConstraints(max_length=32)] | None = None
    email: Annotated[str, StringConstraints(max_length=254)] | None = None
    skuId: Id | None = None
    productId: Id | None = None
    storeId: Id | None = None
    amountMin: Annotated[int, Field(ge=0, le=MAX_AMOUNT)] | None = None
    amountMax: Annotated[int, Field(ge=0, le=MAX_AMOUNT)] | None = None
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] | None = None
    pointsUsed: bool | None = None
    flags: list[SearchFlag] = Field(default=[], max_length=4, strict=False)
    tz: Annotated[str, StringConstraints(max_length=64)] | None = None

    def search(self) -> SearchParams:
        values = self.model_dump(exclude={"paymentMethod", "flags"})
        method = self.paymentMethod.value if self.paymentMethod else None
        return SearchParams(**values, paymentMethod=method, flags=tuple(self.flags))


class ExportIn(Strict):
    format: ExportFormat = Field(strict=False)
    fields: list[FieldName] = Field(
        default=list(DEFAULT_FIELDS), min_length=1, max_length=MAX_FIELDS, description="From docs/exports.md's list."
    )
    filters: ExportFiltersIn = ExportFiltersIn()
    locale: Locale = Field(default=Locale.ZH_CN, strict=False)


class ExportFilters(View):
    """The filters as the job applies them: presets resolved to ranges, contacts as their hashes only,
    `stores` the caller's store scope."""

    orderNumber: str | None = None
    status: str | None = None
    createdFrom: str | None = None
    createdTo: str | None = None
    storeScope: list[str] | None = Field(
        default=None, description="Set for store-scoped staff: the file holds only these stores' orders."
    )
    paidFrom: str | None = None
    paidTo: str | None = None
    paymentMethod: str | None = None
    customerId: str | None = None
    phoneKey: str | None = None
    emailKey: str | None = None
    skuId: str | None = None
    productId: str | None = None
    storeId: str | None = None
    amountMin: int | None = None
    amountMax: int | None = None
    currency: str | None = None
    pointsUsed: bool | None = None
    flags: list[str] | None = None
    stores: list[str] | None = None


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
