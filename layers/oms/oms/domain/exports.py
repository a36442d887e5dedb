"""Order exports, the pure part: the documented field list (docs/exports.md), formats, limits, job states,
headers in zh-CN and en, and how one order header becomes one row (masked or not).

Every field comes from the order header alone (the item an order listing returns), so an export reads
O(orders) items through the same index as `GET /orders`, never one more query per order."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol

from oms.domain.money import minor_unit_exponent
from oms.domain.personal_data import address_text, mask_address, mask_name, mask_phone


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"
    PDF = "pdf"


class ExportState(StrEnum):
    QUEUED = "QUEUED"  # committed; its job starts after the commit (the stream)
    RUNNING = "RUNNING"  # a chunk has run; rowsDone and the cursor say how far
    SUCCEEDED = "SUCCEEDED"  # the file is in the exports bucket
    FAILED = "FAILED"  # `failure` says why


FINAL_STATES = frozenset({ExportState.SUCCEEDED, ExportState.FAILED})


class Locale(StrEnum):
    ZH_CN = "zh-CN"
    EN = "en"


# Limits (docs/exports.md says why each is what it is).
PDF_MAX_ROWS = 2_000  # a readable document (about 60 landscape pages); more is a spreadsheet's job
XLSX_MAX_ROWS = 200_000  # written in one invocation (XlsxWriter zips its temp files at close): well within its time
PART_BYTES = 8 * 1024 * 1024  # a multipart part (S3: at least 5 MiB except the last)
MIN_PART_BYTES = 5 * 1024 * 1024
MAX_FIELDS = 32
CONTENT_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ExportFormat.PDF: "application/pdf",
}


class ExportTooLarge(Exception):
    """More orders match than the format takes (PDF at POST time, XLSX while writing)."""


class MoneyLike(Protocol):
    @property
    def amount(self) -> int: ...

    @property
    def currency(self) -> str: ...


class ExportedOrder(Protocol):
    """What a row is made of: an order header (oms.store.records.HeaderRecord)."""

    @property
    def orderId(self) -> str: ...
    @property
    def orderNumber(self) -> str: ...
    @property
    def customerId(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def currency(self) -> str: ...
    @property
    def storeIds(self) -> list[str]: ...
    @property
    def subtotal(self) -> MoneyLike: ...
    @property
    def shipping(self) -> MoneyLike: ...
    @property
    def discount(self) -> MoneyLike: ...
    @property
    def total(self) -> MoneyLike: ...
    @property
    def shippingAddress(self) -> Any: ...
    @property
    def paymentDeadline(self) -> str: ...
    @property
    def pricing(self) -> Any: ...
    @property
    def deliveredAt(self) -> str | None: ...
    @property
    def createdAt(self) -> str: ...
    @property
    def updatedAt(self) -> str: ...
    @property
    def refunded(self) -> int | None: ...


Cell = str | int | Decimal | None


def decimal_amount(amount: int, currency: str) -> Decimal:
    """Minor units as an exact decimal in major units (13500 CNY → Decimal('135.00'))."""
    exp = minor_unit_exponent(currency)
    return Decimal(amount).scaleb(-exp).quantize(Decimal(1).scaleb(-exp))


def _money(pick: Callable[[ExportedOrder], MoneyLike]) -> Callable[[ExportedOrder, bool], Cell]:
    def cell(order: ExportedOrder, masked: bool) -> Cell:
        money = pick(order)
        return decimal_amount(int(money.amount), money.currency)

    return cell


def _lines(order: ExportedOrder) -> list[Mapping[str, Any]]:
    pricing = order.pricing if isinstance(order.pricing, Mapping) else {}
    lines = pricing.get("lines")
    return [line for line in lines if isinstance(line, Mapping)] if isinstance(lines, list) else []


def lines_summary(order: ExportedOrder) -> str:
    """'Tee M ×2; Mug ×1' (from the prices frozen at checkout)."""
    return "; ".join(f"{line.get('name', line.get('skuId', '?'))} ×{line.get('quantity', 0)}" for line in _lines(order))


def _address(order: ExportedOrder) -> Mapping[str, Any]:
    return order.shippingAddress if isinstance(order.shippingAddress, Mapping) else {}


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One exportable field: its headers, whether it is personal data, and its cell."""

    en: str
    zh: str
    cell: Callable[[ExportedOrder, bool], Cell]
    personal: bool = False
    width: int = 14  # a PDF column's relative width


def _name(order: ExportedOrder, masked: bool) -> Cell:
    name = _address(order).get("name")
    return mask_name(name) if masked else (name or "")


def _phone(order: ExportedOrder, masked: bool) -> Cell:
    phone = _address(order).get("phone")
    return mask_phone(phone) if masked else (phone or "")


def _full_address(order: ExportedOrder, masked: bool) -> Cell:
    address = _address(order)
    return mask_address(address) if masked else address_text(address)


FIELDS: dict[str, FieldSpec] = {
    "orderNumber": FieldSpec("Order number", "订单号", lambda o, m: o.orderNumber, width=16),
    "orderId": FieldSpec("Order id", "订单ID", lambda o, m: o.orderId, width=26),
    "status": FieldSpec("Status", "订单状态", lambda o, m: o.status, width=16),
    "createdAt": FieldSpec("Created at", "下单时间", lambda o, m: o.createdAt, width=22),
    "updatedAt": FieldSpec("Updated at", "更新时间", lambda o, m: o.updatedAt, width=22),
    "paymentDeadline": FieldSpec("Payment deadline", "支付截止时间", lambda o, m: o.paymentDeadline, width=22),
    "deliveredAt": FieldSpec("Delivered at", "签收时间", lambda o, m: o.deliveredAt or "", width=22),
    "stores": FieldSpec("Stores", "店铺", lambda o, m: " ".join(o.storeIds)),
    "customerId": FieldSpec("Customer id", "客户ID", lambda o, m: o.customerId, width=16),
    "currency": FieldSpec("Currency", "币种", lambda o, m: o.currency, width=8),
    "subtotal": FieldSpec("Goods amount", "商品金额", _money(lambda o: o.subtotal), width=12),
    "shipping": FieldSpec("Shipping fee", "运费", _money(lambda o: o.shipping), width=12),
    "discount": FieldSpec("Discount", "优惠金额", _money(lambda o: o.discount), width=12),
    "total": FieldSpec("Order total", "订单金额", _money(lambda o: o.total), width=12),
    "refunded": FieldSpec(
        "Refunded", "已退款金额", lambda o, m: decimal_amount(int(o.refunded or 0), o.currency), width=12
    ),
    "itemCount": FieldSpec(
        "Items", "商品件数", lambda o, m: sum(int(li.get("quantity", 0)) for li in _lines(o)), width=8
    ),
    "lines": FieldSpec("Lines", "商品明细", lambda o, m: lines_summary(o), width=40),
    "shippingName": FieldSpec("Recipient", "收货人", _name, personal=True, width=14),
    "shippingPhone": FieldSpec("Phone", "联系电话", _phone, personal=True, width=18),
    "shippingAddress": FieldSpec("Address", "收货地址", _full_address, personal=True, width=40),
    "shippingCity": FieldSpec("City", "城市", lambda o, m: _address(o).get("city") or "", width=14),
    "shippingCountry": FieldSpec("Country", "国家/地区", lambda o, m: _address(o).get("country") or "", width=8),
}
DEFAULT_FIELDS = ("orderNumber", "status", "createdAt", "stores", "customerId", "currency", "total", "lines")
PERSONAL_FIELDS = frozenset(name for name, spec in FIELDS.items() if spec.personal)


def headers(fields: Sequence[str], locale: Locale) -> list[str]:
    return [FIELDS[f].zh if locale is Locale.ZH_CN else FIELDS[f].en for f in fields]


def row(order: ExportedOrder, fields: Sequence[str], masked: bool) -> list[Cell]:
    """One order's cells, in `fields` order; personal fields masked when `masked`."""
    return [FIELDS[f].cell(order, masked) for f in fields]


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_text(cell: Cell) -> str:
    """A CSV cell: text that a spreadsheet would run as a formula (=, +, -, @ first) is prefixed with a
    quote (OWASP CSV injection); amounts and counts are written as they are."""
    value = text(cell)
    if isinstance(cell, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def text(cell: Cell) -> str:
    """A cell as text (CSV, PDF): decimals in plain notation."""
    if cell is None:
        return ""
    if isinstance(cell, Decimal):
        return format(cell, "f")
    return str(cell)
