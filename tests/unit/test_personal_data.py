"""Masking of personal data (oms.domain.personal_data) and the export rows built from order headers
(oms.domain.exports): masked fields keep just enough to recognise a record, never the person."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from oms.domain.exports import FIELDS, PERSONAL_FIELDS, Locale, csv_text, decimal_amount, headers, row
from oms.domain.personal_data import address_text, mask_address, mask_email, mask_name, mask_phone

from tests.helpers.exports import header


@pytest.mark.parametrize(
    ("name", "masked"),
    [("李雷", "李*"), ("Li Lei", "L*****"), ("王", "王*"), ("", ""), (None, ""), (" 欧阳娜娜 ", "欧***")],
)
def test_a_name_keeps_its_first_character(name: str | None, masked: str) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13800001234", "138****1234"),
        ("+86 138 0000 1234", "+86 1** **** 1234"),
        ("(021) 555-0199", "(021) ***-0199"),
        ("12345", "***45"),
        ("", ""),
    ],
)
def test_a_phone_keeps_its_first_three_and_last_four_digits(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


@pytest.mark.parametrize(
    ("email", "masked"), [("lilei@example.com", "l****@example.com"), ("x@y.cn", "x****@y.cn"), ("nope", "****")]
)
def test_an_email_keeps_its_first_letter_and_domain(email: str, masked: str) -> None:
    assert mask_email(email) == masked


def test_an_address_keeps_only_city_region_and_country() -> None:
    address = {"line1": "1 Nanjing Rd", "line2": "Flat 5", "city": "Shanghai", "region": "SH", "postalCode": "200000",
               "country": "CN"}  # fmt: skip
    assert mask_address(address) == "****, Shanghai, SH, CN"
    assert address_text(address) == "1 Nanjing Rd, Flat 5, Shanghai, SH, 200000, CN"
    assert mask_address(None) == "" == address_text({})


@given(st.text(alphabet="0123456789 +-()", min_size=8, max_size=24).filter(lambda t: sum(c.isdigit() for c in t) >= 8))
def test_a_masked_phone_hides_all_but_seven_digits_and_keeps_its_layout(phone: str) -> None:
    masked = mask_phone(phone)
    assert len(masked) == len(phone)
    assert sum(c.isdigit() for c in masked) == 7
    assert [c for c in masked if not c.isdigit() and c != "*"] == [c for c in phone if not c.isdigit()]


def test_rows_mask_exactly_the_personal_fields() -> None:
    order = header(7)
    fields = list(FIELDS)
    plain, masked = row(order, fields, masked=False), row(order, fields, masked=True)
    differ = {f for f, a, b in zip(fields, plain, masked, strict=True) if a != b}
    assert differ == PERSONAL_FIELDS == {"shippingName", "shippingPhone", "shippingAddress"}
    assert dict(zip(fields, plain, strict=True))["total"] == Decimal("131.50")
    assert dict(zip(fields, plain, strict=True))["lines"] == "Tee M 短袖 ×2; Mug ×1"
    assert headers(["orderNumber", "total"], Locale.EN) == ["Order number", "Order total"]
    assert headers(["orderNumber", "total"], Locale.ZH_CN) == ["订单号", "订单金额"]


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [(13500, "CNY", "135.00"), (5, "CNY", "0.05"), (1200, "JPY", "1200"), (1234, "KWD", "1.234")],
)
def test_amounts_are_exact_decimals_in_major_units(amount: int, currency: str, text: str) -> None:
    assert format(decimal_amount(amount, currency), "f") == text


@pytest.mark.parametrize(
    ("cell", "text"),
    [("=1+1", "'=1+1"), ("+86 138", "'+86 138"), ("@x", "'@x"), ("Li", "Li"), (Decimal("-1.50"), "-1.50"), (3, "3"),
     (None, "")],
)  # fmt: skip
def test_csv_cells_that_a_spreadsheet_would_run_are_quoted(cell: object, text: str) -> None:
    assert csv_text(cell) == text  # type: ignore[arg-type]
