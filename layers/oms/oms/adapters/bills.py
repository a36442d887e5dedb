"""Parsers of the providers' daily bill files into `SettlementLine`s (pure code, no I/O).

- Alipay business bill (`alipay.data.dataservice.bill.downloadurl.query`, bill_type `trade`): a zip of two
  GBK CSVs, 业务明细 (the rows) and 业务明细(汇总); `#` header lines, a column row of 25 columns, data rows,
  `#` footer lines (`#交易合计：N笔，…`, `#退款合计：N笔，…`). IDs may carry trailing whitespace, 服务费 is negative
  (what Alipay took). 业务类型 `交易` rows are payments, `退款` rows refunds (refund amounts are negative in
  the file; we read their size).
- WeChat Pay trade bill (`GET /v3/bill/tradebill`, bill_type ALL): UTF-8 CSV, every detail and summary value
  prefixed with a backtick; a detail header, detail rows, then the summary header and the summary row.
  交易状态 SUCCESS rows are payments, REFUND rows refunds (退款金额, 商户退款单号); REVOKED rows carry no money.
- Card processor itemized balance-change report (Stripe `balance_change_from_activity.itemized.3`): CSV,
  amounts in major units, refunds negative; reporting_category `charge` / `refund`; our ids in
  `payment_metadata[payment_id]` and `refund_metadata[refund_id]`.

A file that does not have the documented layout, or whose footer / summary counts disagree with its rows
(a truncated download), raises `BillFormatError`.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from oms.domain.money import Money, minor_unit_exponent
from oms.domain.reconciliation import CHINA, LineKind, SettlementLine

ALIPAY_COLUMNS = (
    "支付宝交易号",
    "商户订单号",
    "业务类型",
    "商品名称",
    "创建时间",
    "完成时间",
    "门店编号",
    "门店名称",
    "操作员",
    "终端号",
    "对方账户",
    "订单金额（元）",
    "商家实收（元）",
    "支付宝红包（元）",
    "集分宝（元）",
    "支付宝优惠（元）",
    "商家优惠（元）",
    "券核销金额（元）",
    "券名称",
    "商家红包消费金额（元）",
    "卡消费金额（元）",
    "退款批次号/请求号",
    "服务费（元）",
    "分润（元）",
    "备注",
)
WECHAT_COLUMNS = (
    "交易时间",
    "公众账号ID",
    "商户号",
    "特约商户号",
    "设备号",
    "微信订单号",
    "商户订单号",
    "用户标识",
    "交易类型",
    "交易状态",
    "付款银行",
    "货币种类",
    "应结订单金额",
    "代金券金额",
    "微信退款单号",
    "商户退款单号",
    "退款金额",
    "充值券退款金额",
    "退款类型",
    "退款状态",
    "商品名称",
    "商户数据包",
    "手续费",
    "费率",
    "订单金额",
    "申请退款金额",
    "费率备注",
)
WECHAT_SUMMARY = (
    "总交易单数",
    "应结订单总金额",
    "退款总金额",
    "充值券退款总金额",
    "手续费总金额",
    "订单总金额",
    "申请退款总金额",
)
CARD_COLUMNS = (
    "balance_transaction_id",
    "created_utc",
    "currency",
    "gross",
    "fee",
    "net",
    "reporting_category",
    "source_id",
    "description",
    "payment_intent_id",
    "payment_metadata[payment_id]",
    "payment_metadata[order_number]",
    "refund_metadata[refund_id]",
)
CNY = "CNY"


class BillFormatError(ValueError):
    """The file is not the provider's documented bill layout (or it is cut short)."""


def to_minor(text: str, currency: str) -> int:
    """A signed decimal of major units ("-0.01", "108.00", "1,080.00") to minor units, exactly."""
    cleaned = text.strip().replace(",", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise BillFormatError(f"not an amount: {text!r}") from None
    scaled = value.scaleb(minor_unit_exponent(currency))
    if scaled != scaled.to_integral_value():
        raise BillFormatError(f"amount {text!r} has more decimals than {currency}")
    return int(scaled)


def _china_time(text: str) -> datetime:
    try:
        return datetime.strptime(text.strip(), "%Y-%m-%d %H:%M:%S").replace(tzinfo=CHINA)
    except ValueError:
        raise BillFormatError(f"not a time: {text!r}") from None


# ---------------------------------------------------------------- Alipay


def parse_alipay_bill(archive: bytes) -> list[SettlementLine]:
    """The 业务明细 CSV inside Alipay's bill zip (found by its column row, whatever the member's name)."""
    try:
        with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
            texts = [zipped.read(name).decode("gbk") for name in zipped.namelist()]
    except (zipfile.BadZipFile, UnicodeDecodeError) as error:
        raise BillFormatError(f"alipay bill is not a zip of GBK CSVs: {type(error).__name__}") from None
    details = [t for t in texts if any(line.startswith("支付宝交易号") for line in t.splitlines())]
    if len(details) != 1:
        raise BillFormatError("alipay bill zip has no single 业务明细 CSV")
    return parse_alipay_details(details[0])


def parse_alipay_details(text: str) -> list[SettlementLine]:
    rows = list(csv.reader(io.StringIO(text)))
    header_at = next((i for i, row in enumerate(rows) if row and row[0].strip() == ALIPAY_COLUMNS[0]), None)
    if header_at is None or tuple(c.strip() for c in rows[header_at]) != ALIPAY_COLUMNS:
        raise BillFormatError("alipay bill has no 业务明细 column row")
    lines: list[SettlementLine] = []
    footer: list[str] = []
    for row in rows[header_at + 1 :]:
        if not row or not "".join(row).strip():
            continue
        if row[0].startswith("#"):
            footer.append(",".join(row))
            continue
        if footer:
            raise BillFormatError("alipay bill has rows after its footer")
        if len(row) != len(ALIPAY_COLUMNS):
            raise BillFormatError(f"alipay bill row has {len(row)} columns, not {len(ALIPAY_COLUMNS)}")
        lines.append(_alipay_line(dict(zip(ALIPAY_COLUMNS, (c.strip() for c in row), strict=True))))
    _check_alipay_footer(footer, lines)
    return lines


def _alipay_line(row: dict[str, str]) -> SettlementLine:
    kind = {"交易": LineKind.PAYMENT, "退款": LineKind.REFUND}.get(row["业务类型"])
    if kind is None:
        raise BillFormatError(f"alipay bill row of unknown 业务类型 {row['业务类型']!r}")
    received = to_minor(row["商家实收（元）"], CNY)
    refund_id = row["退款批次号/请求号"] or None
    if kind is LineKind.REFUND and refund_id is None:
        raise BillFormatError("alipay refund row has no 退款批次号/请求号")
    return SettlementLine(
        provider="alipay",
        provider_reference=row["支付宝交易号"],
        payment_id=row["商户订单号"],
        refund_id=refund_id if kind is LineKind.REFUND else None,
        kind=kind,
        amount=Money(abs(received), CNY),
        fee=Money(-to_minor(row["服务费（元）"] or "0", CNY), CNY),  # the file shows what Alipay took as negative
        at=_china_time(row["完成时间"] or row["创建时间"]),
    )


def _check_alipay_footer(footer: list[str], lines: list[SettlementLine]) -> None:
    def count(prefix: str) -> int | None:
        found = next((f for f in footer if f.startswith(prefix)), None)
        if found is None:
            return None
        digits = found[len(prefix) :].split("笔", 1)[0]
        if not digits.isdigit():
            raise BillFormatError(f"alipay bill footer {prefix} is malformed")
        return int(digits)

    payments = count("#交易合计：")
    if payments is None:
        raise BillFormatError("alipay bill has no #交易合计 footer (cut short?)")
    refunds = count("#退款合计：") or 0
    have = (
        sum(1 for line in lines if line.kind is LineKind.PAYMENT),
        sum(1 for line in lines if line.kind is LineKind.REFUND),
    )
    if have != (payments, refunds):
        raise BillFormatError(f"alipay bill footer counts {payments}/{refunds} rows, the file has {have[0]}/{have[1]}")


# ---------------------------------------------------------------- WeChat Pay


def _wechat_values(row: list[str]) -> list[str]:
    return [value[1:] if value.startswith("`") else value for value in (c.strip() for c in row)]


def parse_wechat_bill(raw: bytes) -> list[SettlementLine]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BillFormatError("wechat bill is not UTF-8") from None
    rows = [row for row in csv.reader(io.StringIO(text)) if row and "".join(row).strip()]
    if len(rows) < 3 or tuple(c.strip() for c in rows[0]) != WECHAT_COLUMNS:
        raise BillFormatError("wechat bill has no ALL detail header")
    if tuple(c.strip() for c in rows[-2]) != WECHAT_SUMMARY:
        raise BillFormatError("wechat bill has no summary header (cut short?)")
    summary = dict(zip(WECHAT_SUMMARY, _wechat_values(rows[-1]), strict=False))
    lines: list[SettlementLine] = []
    details = rows[1:-2]
    for row in details:
        if len(row) != len(WECHAT_COLUMNS):
            raise BillFormatError(f"wechat bill row has {len(row)} columns, not {len(WECHAT_COLUMNS)}")
        line = _wechat_line(dict(zip(WECHAT_COLUMNS, _wechat_values(row), strict=True)))
        if line is not None:
            lines.append(line)
    if summary.get("总交易单数", "") != str(len(details)):
        raise BillFormatError(
            f"wechat bill summary counts {summary.get('总交易单数')} rows, the file has {len(details)}"
        )
    return lines


def _wechat_line(row: dict[str, str]) -> SettlementLine | None:
    state = row["交易状态"]
    currency = row["货币种类"] or CNY
    if state == "REVOKED":
        return None
    if state == "SUCCESS":
        kind, amount, refund_id = LineKind.PAYMENT, to_minor(row["应结订单金额"], currency), None
    elif state == "REFUND":
        kind, amount, refund_id = LineKind.REFUND, to_minor(row["退款金额"], currency), row["商户退款单号"]
        if not refund_id or refund_id == "0":
            raise BillFormatError("wechat refund row has no 商户退款单号")
    else:
        raise BillFormatError(f"wechat bill row of unknown 交易状态 {state!r}")
    reference = row["微信退款单号"] if kind is LineKind.REFUND else row["微信订单号"]
    return SettlementLine(
        provider="wechat",
        provider_reference=reference,
        payment_id=row["商户订单号"],
        refund_id=refund_id,
        kind=kind,
        amount=Money(abs(amount), currency),
        fee=Money(to_minor(row["手续费"] or "0", currency), currency),
        at=_china_time(row["交易时间"]),
    )


# ---------------------------------------------------------------- card processor


def parse_card_report(raw: bytes) -> list[SettlementLine]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BillFormatError("card report is not UTF-8") from None
    reader = csv.DictReader(io.StringIO(text))
    missing = {"balance_transaction_id", "created_utc", "currency", "gross", "fee", "reporting_category"} - set(
        reader.fieldnames or ()
    )
    if missing:
        raise BillFormatError(f"card report lacks columns {sorted(missing)}")
    return [line for line in (_card_line(row) for row in reader) if line is not None]


def _card_line(row: dict[str, str]) -> SettlementLine | None:
    category = (row.get("reporting_category") or "").strip()
    kinds = {"charge": LineKind.PAYMENT, "refund": LineKind.REFUND}
    if category not in kinds:
        return None  # payouts, adjustments, fees billed apart: not about one of our payments
    kind = kinds[category]
    currency = (row.get("currency") or "").strip().upper()
    try:
        at = datetime.strptime(row["created_utc"].strip(), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        raise BillFormatError(f"card report created_utc {row['created_utc']!r} is not a time") from None
    payment_id = (row.get("payment_metadata[payment_id]") or "").strip()
    refund_id = (row.get("refund_metadata[refund_id]") or "").strip() or None
    if kind is LineKind.REFUND and refund_id is None:
        raise BillFormatError("card refund row has no refund_metadata[refund_id]")
    return SettlementLine(
        provider="card",
        provider_reference=(row.get("source_id") or row["balance_transaction_id"]).strip(),
        payment_id=payment_id,
        refund_id=refund_id,
        kind=kind,
        amount=Money(abs(to_minor(row["gross"], currency)), currency),
        fee=Money(to_minor(row["fee"] or "0", currency), currency),
        at=at,
    )


PARSERS = {"alipay": parse_alipay_bill, "wechat": parse_wechat_bill, "card": parse_card_report}


def parse_bill(provider: str, raw: bytes) -> list[SettlementLine]:
    return PARSERS[provider](raw)
