"""Bank transfer: beneficiary details, reference codes with a check symbol, manual refunds, no callbacks."""

from __future__ import annotations

import re

import pytest
from oms.adapters.providers import provider_for
from oms.adapters.providers.bank_transfer import (
    ALPHABET,
    BankTransferProvider,
    check_symbol,
    normalize_reference,
    reference_code,
)
from oms.adapters.providers.base import CallbackRejected, NoticeStatus
from oms.adapters.providers.credentials import env_var
from oms.domain.ids import new_id
from oms.domain.money import Money
from oms.domain.payment import PaymentMethod

DETAILS = (
    '{"beneficiary_name": "OMS Trading Ltd", "bank_name": "Bank of Example", "account_number": "6222000011112222",'
    ' "swift_bic": "EXMPCNSH", "reference_prefix": "oms"}'
)


@pytest.fixture(scope="module")
def bank() -> BankTransferProvider:
    provider = provider_for("bank_transfer", environ={env_var(PaymentMethod.BANK_TRANSFER): DETAILS})
    assert isinstance(provider, BankTransferProvider)
    return provider


def test_instructions_give_the_account_and_a_reference(bank: BankTransferProvider) -> None:
    payment_id = new_id()

    data = bank.instructions(payment_id, "26112200000001", Money(10800, "CNY"), "Tea set").data

    assert data["beneficiary_name"] == "OMS Trading Ltd"
    assert data["bank_name"] == "Bank of Example"
    assert data["account_number"] == "6222000011112222"
    assert data["swift_bic"] == "EXMPCNSH"
    assert data["amount"] == {"amount": 10800, "currency": "CNY"} and data["amount_display"] == "108.00 CNY"
    assert re.fullmatch(rf"OMS-[{ALPHABET}]{{8}}", data["reference"])
    assert data["reference"] == bank.reference_for(payment_id)  # derived, so the same every time


def test_the_alphabet_has_no_look_alikes() -> None:
    assert not set("01OILU") & set(ALPHABET)
    assert len(set(ALPHABET)) == len(ALPHABET) == 30


def test_references_differ_between_payments() -> None:
    references = {reference_code("OMS", new_id()) for _ in range(2000)}
    assert len(references) == 2000


def test_every_single_wrong_symbol_is_caught() -> None:
    code = reference_code("OMS", "01JD5N6Q2S3T4V5W6X7Y8Z9A0B")[4:]
    for position in range(len(code)):
        for symbol in ALPHABET:
            if symbol != code[position]:
                typo = code[:position] + symbol + code[position + 1 :]
                assert normalize_reference("OMS-" + typo, "OMS") is None, typo


def test_most_swapped_neighbours_are_caught() -> None:
    caught = total = 0
    for seed in range(300):
        code = reference_code("OMS", f"payment-{seed}")[4:]
        for i in range(len(code) - 1):
            if code[i] != code[i + 1]:
                swapped = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
                total += 1
                caught += normalize_reference("OMS-" + swapped, "OMS") is None
    assert caught / total > 0.95


def test_what_a_payer_types_is_normalized() -> None:
    code = reference_code("OMS", "01JD5N6Q2S3T4V5W6X7Y8Z9A0B")

    assert normalize_reference(code.lower(), "OMS") == code
    assert normalize_reference(" " + code.replace("-", " ") + " ", "oms") == code
    assert normalize_reference(code.replace("-", ""), "OMS") == code
    assert normalize_reference("XYZ-" + code[4:], "OMS") is None
    assert normalize_reference(code + "2", "OMS") is None
    assert check_symbol(code[4:-1]) == code[-1]


def test_bank_transfers_have_no_callbacks(bank: BankTransferProvider) -> None:
    with pytest.raises(CallbackRejected, match="no callbacks"):
        bank.verify_callback({}, b"{}")


def test_refunds_are_recorded_for_manual_payout(bank: BankTransferProvider) -> None:
    refund = bank.refund(new_id(), "", "R-1", Money(100, "CNY"), Money(10800, "CNY"))

    assert refund.status is NoticeStatus.SUCCEEDED
    assert refund.provider_reference == "manual-payout:R-1"
    assert "manual payout" in refund.reason


def test_query_stays_pending_until_review(bank: BankTransferProvider) -> None:
    answer = bank.query("P-1", Money(10800, "CNY"))

    assert answer.status is NoticeStatus.PENDING and answer.amount is None and answer.provider_reference is None
