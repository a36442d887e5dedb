"""The sandboxes' daily bill files, in each provider's own format, and the differences tests plant in them.

`BillRow` is what a provider processed (a payment or a refund, with its fee); `Plant` changes what goes
into the file (a dropped row, another amount / currency / fee, a row we never saw, a payment twice).
The writers produce Alipay's 业务明细 zip (GBK), WeChat Pay's ALL trade bill (backtick values, summary) and
the card processor's itemized balance-change report (major units), matching what oms.adapters.bills reads.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from enum import StrEnum

from oms.adapters.bills import ALIPAY_COLUMNS, CARD_COLUMNS, WECHAT_COLUMNS, WECHAT_SUMMARY
from oms.domain.money import minor_unit_exponent
from oms.domain.reconciliation import CHINA


@dataclass(frozen=True)
class BillRow:
    kind: str  # payment | refund
    payment_id: str
    refund_id: str | None
    reference: str  # trade_no / transaction_id / ch_ (payments), refund reference (refunds)
    amount: int  # positive minor units
    currency: str
    fee: int  # what the provider took (positive), minor units
    at: datetime
    subject: str = ""
    trade_reference: str = ""  # refunds: the payment's trade_no / transaction_id / intent

    @property
    def key(self) -> str:
        return self.refund_id if self.kind == "refund" and self.refund_id else self.payment_id


class PlantKind(StrEnum):
    DROP = "drop"  # leave the row out (a payment or a refund)
    AMOUNT = "amount"  # another amount
    CURRENCY = "currency"  # another currency
    FEE = "fee"  # another fee
    ADD = "add"  # a payment we never saw
    DUPLICATE = "duplicate"  # the payment twice, under another provider reference


@dataclass(frozen=True)
class Plant:
    kind: PlantKind
    reference: str  # our payment id (payments, add) or refund id (refunds)
    amount: int | None = None
    currency: str | None = None
    fee: int | None = None


def apply_plants(rows: Sequence[BillRow], plants: Iterable[Plant], day_start: datetime) -> list[BillRow]:
    result = list(rows)
    for plant in plants:
        hits = [i for i, row in enumerate(result) if row.key == plant.reference]
        if plant.kind is PlantKind.ADD:
            amount = plant.amount or 100
            currency = plant.currency or "CNY"
            result.append(
                BillRow(
                    "payment",
                    plant.reference,
                    None,
                    f"planted-{plant.reference}",
                    amount,
                    currency,
                    plant.fee if plant.fee is not None else 0,
                    day_start.replace(hour=6),
                    "planted",
                )
            )
            continue
        if not hits:
            raise ValueError(f"nothing to plant {plant.kind.value} on: {plant.reference} is not in the bill")
        i = hits[0]
        row = result[i]
        if plant.kind is PlantKind.DROP:
            result.pop(i)
        elif plant.kind is PlantKind.AMOUNT:
            result[i] = replace(row, amount=plant.amount if plant.amount is not None else row.amount + 1)
        elif plant.kind is PlantKind.CURRENCY:
            result[i] = replace(row, currency=plant.currency or "USD")
        elif plant.kind is PlantKind.FEE:
            result[i] = replace(row, fee=plant.fee if plant.fee is not None else row.fee + 1)
        elif plant.kind is PlantKind.DUPLICATE:
            result.insert(i + 1, replace(row, reference=row.reference + "2"))
    return result


def _major(amount: int, currency: str) -> str:
    digits = minor_unit_exponent(currency)
    sign = "-" if amount < 0 else ""
    whole, fraction = divmod(abs(amount), 10**digits)
    return f"{sign}{whole}.{fraction:0{digits}d}" if digits else f"{sign}{whole}"


def _china(moment: datetime) -> str:
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")


# ---------------------------------------------------------------- Alipay


def alipay_bill_zip(rows: Sequence[BillRow], day: date, account: str, exported_at: datetime) -> bytes:
    """The `{account}_{yyyyMMdd}.csv.zip` Alipay serves: 业务明细 and 业务明细(汇总), GBK."""
    stamp = day.strftime("%Y%m%d")
    with io.BytesIO() as buffer:
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zipped:
            zipped.writestr(f"{account}_{stamp}_业务明细.csv", alipay_details(rows, day, account, exported_at))
            zipped.writestr(f"{account}_{stamp}_业务明细(汇总).csv", _alipay_summary(rows, day, account))
        return buffer.getvalue()


def alipay_details(rows: Sequence[BillRow], day: date, account: str, exported_at: datetime) -> bytes:
    out = io.StringIO()
    out.write("#支付宝业务明细查询\n")
    out.write(f"#账号：[{account}]\n")
    out.write(f"#起始日期：[{day:%Y年%m月%d日} 00:00:00]   终止日期：[{day:%Y年%m月%d日} 23:59:59]\n")
    out.write("#-----------------------------------------业务明细列表----------------------------------------\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(ALIPAY_COLUMNS)
    payments = [r for r in rows if r.kind == "payment"]
    refunds = [r for r in rows if r.kind == "refund"]
    for row in rows:
        sign = -1 if row.kind == "refund" else 1
        amount = _major(sign * row.amount, "CNY")
        trade_no = row.reference if row.kind == "payment" else row.trade_reference
        writer.writerow(
            [
                f"{trade_no}\t",
                f"{row.payment_id}\t",
                "交易" if row.kind == "payment" else "退款",
                row.subject or "沙箱订单",
                _china(row.at),
                _china(row.at),
                "",
                "",
                "",
                "",
                "san***@sandbox.invalid",
                amount,
                amount,
                "0.00",
                "0.00",
                "0.00",
                "0.00",
                "0.00",
                "",
                "0.00",
                "0.00",
                f"{row.refund_id}\t" if row.kind == "refund" else "",
                _major(-row.fee, "CNY"),
                "0.00",
                "",
            ]
        )
    out.write("#-----------------------------------------业务明细列表结束------------------------------------\n")
    paid = sum(r.amount for r in payments)
    back = sum(r.amount for r in refunds)
    out.write(f"#交易合计：{len(payments)}笔，商家实收共{_major(paid, 'CNY')}元，商家优惠共0.00元\n")
    out.write(f"#退款合计：{len(refunds)}笔，商家实收共{_major(-back, 'CNY')}元，商家优惠共0.00元\n")
    out.write(f"#导出时间：[{exported_at.astimezone(CHINA):%Y年%m月%d日 %H:%M:%S}]\n")
    return out.getvalue().encode("gbk")


def _alipay_summary(rows: Sequence[BillRow], day: date, account: str) -> bytes:
    payments = [r for r in rows if r.kind == "payment"]
    refunds = [r for r in rows if r.kind == "refund"]
    out = io.StringIO()
    out.write("#支付宝业务汇总查询\n")
    out.write(f"#账号：[{account}]\n")
    out.write(f"#起始日期：[{day:%Y年%m月%d日}]   终止日期：[{day:%Y年%m月%d日}]\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["门店编号", "门店名称", "交易订单总笔数", "退款订单总笔数", "订单金额（元）", "商家实收（元）", "服务费（元）"]
    )
    paid = sum(r.amount for r in payments) - sum(r.amount for r in refunds)
    writer.writerow(
        [
            "",
            "合计",
            len(payments),
            len(refunds),
            _major(paid, "CNY"),
            _major(paid, "CNY"),
            _major(-sum(r.fee for r in rows), "CNY"),
        ]
    )
    return out.getvalue().encode("gbk")


# ---------------------------------------------------------------- WeChat Pay


def wechat_tradebill(rows: Sequence[BillRow], app_id: str, mch_id: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(WECHAT_COLUMNS)
    for row in rows:
        refund = row.kind == "refund"
        money = _major(row.amount, row.currency)
        values = [
            _china(row.at),
            app_id,
            mch_id,
            "0",
            "",
            row.trade_reference if refund else row.reference,
            row.payment_id,
            "oSandboxPayer",
            "NATIVE",
            "REFUND" if refund else "SUCCESS",
            "OTHERS",
            row.currency,
            "0.00" if refund else money,
            "0.00",
            row.reference if refund else "0",
            row.refund_id if refund and row.refund_id else "0",
            money if refund else "0.00",
            "0.00",
            "ORIGINAL" if refund else "",
            "SUCCESS" if refund else "",
            row.subject or "沙箱订单",
            "",
            _major(row.fee, row.currency),
            "0.60%",
            "0.00" if refund else money,
            money if refund else "0.00",
            "",
        ]
        writer.writerow([f"`{v}" for v in values])
    writer.writerow(WECHAT_SUMMARY)
    settled = sum(r.amount for r in rows if r.kind == "payment")
    refunded = sum(r.amount for r in rows if r.kind == "refund")
    fees = sum(r.fee for r in rows)
    summary = [len(rows), _major(settled, "CNY"), _major(refunded, "CNY"), "0.00", _major(fees, "CNY")]
    summary += [_major(settled, "CNY"), _major(refunded, "CNY")]
    writer.writerow([f"`{v}" for v in summary])
    return out.getvalue().encode("utf-8")


# ---------------------------------------------------------------- card processor


def card_report(rows: Sequence[BillRow], order_numbers: dict[str, str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CARD_COLUMNS)
    for n, row in enumerate(rows):
        refund = row.kind == "refund"
        gross = -row.amount if refund else row.amount
        writer.writerow(
            [
                f"txn_{n:04d}{row.reference[-12:]}",
                row.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
                row.currency.lower(),
                _major(gross, row.currency),
                _major(row.fee, row.currency),
                _major(gross - row.fee, row.currency),
                "refund" if refund else "charge",
                row.reference,
                row.subject,
                row.trade_reference,
                row.payment_id,
                order_numbers.get(row.payment_id, ""),
                row.refund_id if refund and row.refund_id else "",
            ]
        )
    return out.getvalue().encode("utf-8")
