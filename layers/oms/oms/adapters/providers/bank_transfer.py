"""Bank transfer: no provider API. The payer wires the amount to our account with a reference code in the
memo; finance matches the statement line to the payment (the review step) and pays refunds out by hand.

Reference codes are `<PREFIX>-XXXXXXXC`: seven symbols derived from the payment id and a Luhn mod 30 check
symbol, from an alphabet without look-alikes (no 0/O, 1/I/L, U), so a mistyped memo is caught at review
instead of matching another payment. Derived codes can collide (30^7 ≈ 2.2e10 values): the store should
look payments up by reference and treat two matches as a case for review.
"""

from __future__ import annotations

import hashlib

from oms.adapters.providers import Clock
from oms.adapters.providers.base import (
    CallbackAnswer,
    CallbackRejected,
    CloseOutcome,
    NoticeStatus,
    PaymentInstructions,
    ProviderClose,
    ProviderNotice,
    ProviderQuery,
    ProviderRefund,
    Transport,
)
from oms.adapters.providers.credentials import BankTransferCredentials
from oms.domain.clock import utcnow
from oms.domain.errors import InvalidRequest
from oms.domain.money import Money
from oms.domain.payment import PaymentMethod

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
BODY_LENGTH = 7
MANUAL_PAYOUT = "recorded for manual payout: finance transfers the amount back to the payer's account"


def check_symbol(body: str) -> str:
    """Luhn mod N check symbol over ALPHABET: catches every single wrong symbol and most swaps."""
    n = len(ALPHABET)
    total, factor = 0, 2
    for symbol in reversed(body):
        addend = factor * ALPHABET.index(symbol)
        total += addend // n + addend % n
        factor = 1 if factor == 2 else 2
    return ALPHABET[(n - total % n) % n]


def reference_code(prefix: str, payment_id: str) -> str:
    """`<prefix>-<7 symbols><check>`: the same payment id always gives the same code."""
    number = int.from_bytes(hashlib.sha256(payment_id.encode("utf-8")).digest()[:8], "big")
    symbols = []
    for _ in range(BODY_LENGTH):
        number, index = divmod(number, len(ALPHABET))
        symbols.append(ALPHABET[index])
    body = "".join(symbols)
    return f"{prefix.upper()}-{body}{check_symbol(body)}"


def normalize_reference(text: str, prefix: str) -> str | None:
    """The canonical code from what a payer typed (any case, spaces, hyphen optional), or None if it is not
    a well-formed code of this prefix (wrong length, foreign symbol, bad check symbol)."""
    compact = "".join(text.split()).upper().replace("-", "")
    prefix = prefix.upper()
    if not compact.startswith(prefix):
        return None
    code = compact[len(prefix) :]
    if len(code) != BODY_LENGTH + 1 or any(symbol not in ALPHABET for symbol in code):
        return None
    if check_symbol(code[:-1]) != code[-1]:
        return None
    return f"{prefix}-{code}"


class BankTransferProvider:
    method: PaymentMethod = PaymentMethod.BANK_TRANSFER

    def __init__(self, credentials: BankTransferCredentials, transport: Transport, clock: Clock = utcnow) -> None:
        self._creds = credentials
        self._clock = clock

    def __repr__(self) -> str:
        return f"BankTransferProvider(bank_name={self._creds.bank_name!r})"

    def reference_for(self, payment_id: str) -> str:
        return reference_code(self._creds.reference_prefix, payment_id)

    def instructions(self, payment_id: str, order_number: str, amount: Money, description: str) -> PaymentInstructions:
        if amount.amount <= 0:
            raise InvalidRequest("bank transfers need a positive amount")
        return PaymentInstructions(
            self.method,
            {
                "beneficiary_name": self._creds.beneficiary_name,
                "bank_name": self._creds.bank_name,
                "account_number": self._creds.account_number,
                "swift_bic": self._creds.swift_bic,
                "reference": self.reference_for(payment_id),
                "amount": amount.to_dict(),
                "amount_display": amount.display(),
                "note": "Put the reference in the transfer memo; the payment is confirmed after review.",
            },
        )

    def verify_callback(self, headers: dict[str, str], raw_body: bytes) -> ProviderNotice:
        raise CallbackRejected("bank transfers have no callbacks")

    def success_answer(self) -> CallbackAnswer:
        return CallbackAnswer(200, "ok")

    def failure_answer(self, reason: str) -> CallbackAnswer:
        return CallbackAnswer(400, "bank transfers have no callbacks")

    def refund(
        self, payment_id: str, provider_reference: str, refund_id: str, amount: Money, total: Money
    ) -> ProviderRefund:
        """No API to call: the refund is SUCCEEDED in the sense "recorded for manual payout" (see `reason`).
        Finance pays it out from the bank and keeps the refund id as the transfer's reference."""
        if amount.currency != total.currency or amount.amount <= 0 or amount.amount > total.amount:
            raise InvalidRequest("refund amount must be positive, in the payment's currency, at most its total")
        return ProviderRefund(refund_id, f"manual-payout:{refund_id}", NoticeStatus.SUCCEEDED, MANUAL_PAYOUT)

    def query(self, payment_id: str, expected_amount: Money, provider_reference: str | None = None) -> ProviderQuery:
        """Nobody to ask: a transfer stays PENDING until finance reviews the statement."""
        return ProviderQuery(payment_id, None, NoticeStatus.PENDING, None, f"query:{payment_id}:PENDING")

    def close(self, payment_id: str, provider_reference: str | None = None) -> ProviderClose:
        """A transfer cannot be stopped from here: money that still arrives is found at review."""
        return ProviderClose(payment_id, CloseOutcome.UNSUPPORTED, "bank transfers cannot be closed")
