# ruff: noqa: E501  (the sample bills keep the providers' own long lines)
"""Reconciliation bill files (issue 12 item 5): each parser reads a hand-written file in the provider's
documented layout; the sandboxes' bills, fetched through the real adapters, round-trip through the
parsers; planted differences change exactly the rows they name; the matching finds each kind of
difference and nothing else."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from oms.adapters.bills import BillFormatError, parse_alipay_bill, parse_card_report, parse_wechat_bill
from oms.adapters.providers.base import ProviderError
from oms.domain.money import Money
from oms.domain.reconciliation import (
    CHINA,
    GRACE,
    BookedEntry,
    LineKind,
    MatchStatus,
    SettlementLine,
    anomaly_key,
    bill_window,
    order_of_payment,
    reconcile,
    totals,
)
from oms_local.oms.payment_sandbox import Sandbox

ORDER = "01KBQ7ZB3D6YV4XG0M8S2T5W9C"
PAY = ORDER + "01"

ALIPAY_DETAILS = f"""#支付宝业务明细查询
#账号：[20881234567890120156]
#起始日期：[2026年12月01日 00:00:00]   终止日期：[2026年12月02日 00:00:00]
#-----------------------------------------业务明细列表----------------------------------------
支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注
2026120122001489531410351234	,{PAY}	,交易,T恤,2026-12-01 10:00:01,2026-12-01 10:00:05,,,,,abc***@163.com,108.00,108.00,0.00,0.00,0.00,0.00,0.00,,0.00,0.00,,-0.65,0.00,
2026120122001489531410351234	,{PAY}	,退款,T恤,2026-12-01 15:00:00,2026-12-01 15:00:02,,,,,abc***@163.com,-8.00,-8.00,0.00,0.00,0.00,0.00,0.00,,0.00,0.00,RF0001	,0.00,0.00,
#-----------------------------------------业务明细列表结束------------------------------------
#交易合计：1笔，商家实收共108.00元，商家优惠共0.00元
#退款合计：1笔，商家实收共-8.00元，商家优惠共0.00元
#导出时间：[2026年12月02日 10:12:34]
"""

WECHAT_BILL = f"""交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注
`2026-12-01 10:00:05,`wx2421b1c4370ec43b,`10000100,`0,`,`4200001234202612011234567890,`{PAY},`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`NATIVE,`SUCCESS,`OTHERS,`CNY,`108.00,`0.00,`0,`0,`0.00,`0.00,`,`,`T恤,`,`0.65,`0.60%,`108.00,`0.00,`
`2026-12-01 15:00:02,`wx2421b1c4370ec43b,`10000100,`0,`,`4200001234202612011234567890,`{PAY},`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`NATIVE,`REFUND,`OTHERS,`CNY,`0.00,`0.00,`50000001234202612010000000001,`RF0001,`8.00,`0.00,`ORIGINAL,`SUCCESS,`T恤,`,`0.00,`0.60%,`0.00,`8.00,`
总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额
`2,`108.00,`8.00,`0.00,`0.65,`108.00,`8.00
"""

CARD_REPORT = f"""balance_transaction_id,created_utc,currency,gross,fee,net,reporting_category,source_id,description,payment_intent_id,payment_metadata[payment_id],payment_metadata[order_number],refund_metadata[refund_id]
txn_1,2026-12-01 02:00:05,cny,108.00,3.13,104.87,charge,ch_3Abc,Tee,pi_3Abc,{PAY},26120100000001,
txn_2,2026-12-01 07:00:02,cny,-8.00,0.00,-8.00,refund,re_3Abc,,pi_3Abc,{PAY},26120100000001,RF0001
txn_3,2026-12-01 08:00:00,cny,-104.87,0.00,-104.87,payout,po_1,,,,,
"""


def alipay_zip(details: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped:
        zipped.writestr("20881234567890120156_20261201_业务明细.csv", details.encode("gbk"))
        zipped.writestr("20881234567890120156_20261201_业务明细(汇总).csv", "#支付宝业务汇总查询\n".encode("gbk"))
    return buffer.getvalue()


def cny(amount: int) -> Money:
    return Money(amount, "CNY")


def test_alipay_business_bill_sample() -> None:
    payment, refund = parse_alipay_bill(alipay_zip(ALIPAY_DETAILS))
    assert (payment.kind, payment.payment_id, payment.refund_id) == (LineKind.PAYMENT, PAY, None)
    assert (payment.amount, payment.fee) == (cny(10800), cny(65))  # 服务费 -0.65: what Alipay took
    assert payment.provider_reference == "2026120122001489531410351234"  # trailing tab / spaces trimmed
    assert payment.at == datetime(2026, 12, 1, 10, 0, 5, tzinfo=CHINA)
    assert (refund.kind, refund.reference, refund.amount, refund.fee) == (LineKind.REFUND, "RF0001", cny(800), cny(0))


def test_alipay_bill_cut_short_or_miscounted_is_refused() -> None:
    with pytest.raises(BillFormatError, match="交易合计"):
        parse_alipay_bill(
            alipay_zip(ALIPAY_DETAILS.split("#-----------------------------------------业务明细列表结束")[0])
        )
    with pytest.raises(BillFormatError, match="counts"):
        parse_alipay_bill(alipay_zip(ALIPAY_DETAILS.replace("#交易合计：1笔", "#交易合计：2笔")))
    with pytest.raises(BillFormatError):
        parse_alipay_bill(b"not a zip")


def test_wechat_trade_bill_sample() -> None:
    payment, refund = parse_wechat_bill(WECHAT_BILL.encode())
    assert (payment.kind, payment.reference, payment.amount, payment.fee) == (
        LineKind.PAYMENT,
        PAY,
        cny(10800),
        cny(65),
    )
    assert payment.provider_reference == "4200001234202612011234567890"
    assert (refund.kind, refund.reference, refund.payment_id, refund.amount) == (
        LineKind.REFUND,
        "RF0001",
        PAY,
        cny(800),
    )
    assert refund.provider_reference == "50000001234202612010000000001"
    with pytest.raises(BillFormatError, match="summary"):
        parse_wechat_bill(WECHAT_BILL.replace("`2,`108.00", "`3,`108.00").encode())
    with pytest.raises(BillFormatError, match="summary header"):
        parse_wechat_bill("\n".join(WECHAT_BILL.splitlines()[:3]).encode())


def test_card_itemized_report_sample() -> None:
    payment, refund = parse_card_report(CARD_REPORT.encode())  # the payout row is not about a payment
    assert (payment.kind, payment.reference, payment.amount, payment.fee) == (
        LineKind.PAYMENT,
        PAY,
        cny(10800),
        cny(313),
    )
    assert payment.at == datetime(2026, 12, 1, 2, 0, 5, tzinfo=UTC)
    assert (refund.kind, refund.reference, refund.amount, refund.provider_reference) == (
        LineKind.REFUND,
        "RF0001",
        cny(800),
        "re_3Abc",
    )
    with pytest.raises(BillFormatError, match="lacks columns"):
        parse_card_report(b"id,amount\n1,2\n")


# ---------------------------------------------------------------- the sandboxes' bills through the adapters

DAY = date(2026, 12, 1)
PARSE: dict[str, Callable[[bytes], list[SettlementLine]]] = {
    "alipay": parse_alipay_bill,
    "wechat": parse_wechat_bill,
    "card": parse_card_report,
}


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)  # 12:00 China time

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def processed(clock: Clock) -> Sandbox:
    """Each provider took two payments (one partly refunded) on 2026-12-01."""
    sandbox = Sandbox(clock=clock, seed=4)
    for method in ("alipay", "wechat", "card"):
        provider = sandbox.provider(method)
        for n in (1, 2):
            payment_id = f"{ORDER[:-1]}{method[0].upper()}0{n}"
            provider.instructions(payment_id, f"2612010000000{n}", cny(10000 * n), "Tee")
            sandbox.pay(method, payment_id, amount=10000 * n, currency="CNY")
        first = f"{ORDER[:-1]}{method[0].upper()}01"
        reference = sandbox.payment(method, first).reference  # type: ignore[union-attr]
        provider.refund(first, reference or "", f"RF{method}1", cny(2500), cny(10000))
    clock.now = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)  # 11:00 the next day in China: bills are out
    return sandbox


@pytest.mark.parametrize("method", ["alipay", "wechat", "card"])
def test_sandbox_bill_round_trips_through_adapter_and_parser(processed: Sandbox, method: str) -> None:
    lines = PARSE[method](processed.provider(method).settlement_file(DAY))
    rate = {"alipay": 60, "wechat": 60, "card": 290}[method]
    payments = sorted((line.amount.amount, line.fee.amount) for line in lines if line.kind is LineKind.PAYMENT)
    assert payments == [(10000, (10000 * rate + 5000) // 10000), (20000, (20000 * rate + 5000) // 10000)]
    [refund] = [line for line in lines if line.kind is LineKind.REFUND]
    assert (refund.reference, refund.amount, refund.payment_id) == (
        f"RF{method}1",
        cny(2500),
        f"{ORDER[:-1]}{method[0].upper()}01",
    )
    assert all(bill_window(method, DAY).holds(line.at.astimezone(UTC)) for line in lines)
    assert PARSE[method](processed.provider(method).settlement_file(DAY + timedelta(days=-1))) == []


@pytest.mark.parametrize("method", ["alipay", "wechat", "card"])
def test_todays_bill_is_not_ready(processed: Sandbox, method: str) -> None:
    with pytest.raises(ProviderError):
        processed.provider(method).settlement_file(DAY + timedelta(days=1))
    processed.same_day_bills = True  # a local demo of one day
    try:
        if method != "card":  # the card report's interval must have ended: today's is never complete
            assert PARSE[method](processed.provider(method).settlement_file(DAY + timedelta(days=1))) == []
    finally:
        processed.same_day_bills = False


def test_wechat_download_checks_the_sha1(processed: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    real = processed.bill_file
    answers = iter([real("wechat", DAY), real("wechat", DAY) + b"tampered"])
    monkeypatch.setattr(processed, "bill_file", lambda method, day: next(answers))
    with pytest.raises(ProviderError, match="SHA1"):
        processed.provider("wechat").settlement_file(DAY)


def test_plants_change_exactly_the_rows_they_name(processed: Sandbox) -> None:
    pay1, pay2 = f"{ORDER[:-1]}A01", f"{ORDER[:-1]}A02"
    before = processed.bill_rows("alipay", DAY)
    try:
        processed.plant("alipay", "amount", pay2, amount=19999)
        processed.plant("alipay", "drop", "RFalipay1")
        processed.plant("alipay", "add", "SOMEONE-ELSES", amount=500)
        processed.plant("alipay", "duplicate", pay1)
        after = parse_alipay_bill(processed.provider("alipay").settlement_file(DAY))
    finally:
        processed.clear_plants()
    keys = sorted((line.kind.value, line.reference, line.amount.amount) for line in after)
    assert keys == sorted(
        [
            ("payment", "SOMEONE-ELSES", 500),
            ("payment", pay1, 10000),
            ("payment", pay1, 10000),
            ("payment", pay2, 19999),
        ]
    )
    assert processed.bill_rows("alipay", DAY) == before


# ---------------------------------------------------------------- matching

WINDOW = bill_window("alipay", DAY)
NOON = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)


def theirs(reference: str, amount: int = 1000, fee: int = 6, kind: LineKind = LineKind.PAYMENT) -> SettlementLine:
    refund = reference if kind is LineKind.REFUND else None
    payment = PAY if kind is LineKind.REFUND else reference
    return SettlementLine("alipay", "T" + reference, payment, refund, kind, cny(amount), cny(fee), NOON)


def ours(
    reference: str, amount: int = 1000, fee: int = 6, kind: LineKind = LineKind.PAYMENT, at: datetime = NOON
) -> BookedEntry:
    refund = reference if kind is LineKind.REFUND else None
    payment = PAY if kind is LineKind.REFUND else reference
    return BookedEntry(kind, payment, refund, ORDER, cny(amount), cny(fee), at)


def statuses(found: list[object]) -> dict[str, str]:
    return {m.reference: m.status.value for m in found}  # type: ignore[attr-defined]


def test_matching_finds_each_kind_of_difference() -> None:
    bill = [
        theirs("P-ok"),
        theirs("P-amount", 999),
        SettlementLine("alipay", "TP-cur", "P-cur", None, LineKind.PAYMENT, Money(1000, "USD"), Money(6, "USD"), NOON),
        theirs("P-fee", fee=7),
        theirs("P-theirs-only"),
        theirs("P-dup"),
        theirs("P-dup"),
        theirs("R-theirs-only", 100, 0, LineKind.REFUND),
        theirs("R-ok", 100, 0, LineKind.REFUND),
    ]
    booked = [
        ours("P-ok"),
        ours("P-amount"),
        ours("P-cur"),
        ours("P-fee"),
        ours("P-ours-only"),
        ours("P-dup"),
        ours("R-ours-only", 100, 0, LineKind.REFUND),
        ours("R-ok", 100, 0, LineKind.REFUND),
        ours("P-next-day", at=WINDOW.end + GRACE / 2),  # booked after the cut-off: tomorrow's bill
    ]
    found = reconcile(bill, booked, WINDOW)
    assert sorted((m.reference, m.status.value) for m in found) == sorted(
        [
            ("P-ok", "MATCHED"),
            ("P-amount", "AMOUNT_MISMATCH"),
            ("P-cur", "CURRENCY_MISMATCH"),
            ("P-fee", "FEE_MISMATCH"),
            ("P-theirs-only", "MISSING_OURS"),
            ("P-ours-only", "MISSING_THEIRS"),
            ("P-dup", "MATCHED"),
            ("P-dup", "DUPLICATE_PAYMENT"),
            ("R-theirs-only", "REFUND_NOT_RECONCILED"),
            ("R-ours-only", "REFUND_NOT_RECONCILED"),
            ("R-ok", "MATCHED"),
        ]
    )
    summary = totals("alipay", found)
    assert summary.mismatches == 8
    assert summary.theirs["CNY"].payment_count == 6 and summary.ours["CNY"].payment_count == 6
    assert summary.theirs["USD"].payments == 1000


def test_an_entry_booked_after_midnight_that_yesterdays_bill_holds_is_not_missing() -> None:
    early = ours("P-late-notice", at=WINDOW.start + timedelta(minutes=1))
    assert statuses(reconcile([], [early], WINDOW)) == {"P-late-notice": "MISSING_THEIRS"}
    assert reconcile([], [early], WINDOW, billed_before=[(LineKind.PAYMENT, "P-late-notice")]) == []


amounts = st.integers(min_value=1, max_value=10**7)


@given(st.dictionaries(st.text("ABCDEF0123", min_size=3, max_size=8), st.tuples(amounts, st.integers(0, 999))))
def test_identical_sides_match_entirely(rows: dict[str, tuple[int, int]]) -> None:
    bill = [theirs(ref, amount, fee) for ref, (amount, fee) in rows.items()]
    booked = [ours(ref, amount, fee) for ref, (amount, fee) in rows.items()]
    found = reconcile(bill, booked, WINDOW)
    assert len(found) == len(rows) and all(m.status is MatchStatus.MATCHED for m in found)


@given(
    st.dictionaries(st.text("ABCDEF0123", min_size=3, max_size=8), amounts, min_size=1),
    st.data(),
)
def test_one_changed_amount_is_the_only_mismatch(rows: dict[str, int], data: st.DataObject) -> None:
    changed = data.draw(st.sampled_from(sorted(rows)))
    delta = data.draw(st.integers(1, 500))
    bill = [theirs(ref, amount + (delta if ref == changed else 0)) for ref, amount in rows.items()]
    found = reconcile(bill, [ours(ref, amount) for ref, amount in rows.items()], WINDOW)
    assert [(m.reference, m.status) for m in found if m.status is not MatchStatus.MATCHED] == [
        (changed, MatchStatus.AMOUNT_MISMATCH)
    ]


def test_anomaly_ids_are_fixed_per_provider_day_kind_and_reference() -> None:
    [match] = reconcile([theirs("P-1", 5)], [ours("P-1")], WINDOW)
    again = reconcile([theirs("P-1", 7)], [ours("P-1")], WINDOW)[0]
    assert anomaly_key("alipay", DAY, match) == anomaly_key("alipay", DAY, again)
    assert anomaly_key("alipay", DAY, match) != anomaly_key("wechat", DAY, match)
    assert anomaly_key("alipay", DAY, match) != anomaly_key("alipay", DAY + timedelta(days=1), match)
    assert len(anomaly_key("alipay", DAY, match)) == 26


def test_order_of_payment() -> None:
    assert order_of_payment(PAY) == ORDER
    assert order_of_payment("SOMEONE-ELSES") is None


def test_local_route_plants_into_the_sandbox_bills(processed: Sandbox) -> None:
    import json
    from types import SimpleNamespace

    from oms_local.core.extension import LocalRequest
    from oms_local.core.responses import BadBody
    from oms_local.oms.routes import sandbox_routes

    [route] = [r for r in sandbox_routes(SimpleNamespace(sandbox=processed)) if r.rule.endswith("/bills/plant")]  # type: ignore[arg-type]

    def post(provider: str, body: dict[str, object]) -> int:
        request = LocalRequest(
            "POST", f"/_local/sandbox/{provider}/bills/plant", {}, {}, json.dumps(body).encode(), {"provider": provider}
        )
        try:
            return route.handler(request).status
        except BadBody:  # the stack answers it as a 400 problem
            return 400

    pay2 = f"{ORDER[:-1]}W02"
    try:
        assert post("wechat", {"kind": "amount", "reference": pay2, "amount": 1}) == 200
        assert post("wechat", {"kind": "explode", "reference": pay2}) == 400
        assert post("crypto", {"kind": "drop", "reference": pay2}) == 404
        changed = [r for r in processed.bill_rows("wechat", DAY) if r.key == pay2]
        assert [r.amount for r in changed] == [1]
        assert post("wechat", {"kind": "drop", "reference": pay2, "clear": True}) == 200
        assert [r for r in processed.bill_rows("wechat", DAY) if r.key == pay2] == []
    finally:
        processed.clear_plants()
