"""Double-entry ledger. Every money movement is a Posting whose lines sum to zero per currency:
a positive amount debits an account, a negative amount credits it.

Accounts (names are stable strings):
    provider:<method>          money held by / owed from a payment provider (asset)
    fees:<method>              provider fees we bear (expense)
    surcharge:<method>         fees the payer bore on top of the order (income that pays the fee)
    order:<orderId>            what the order has received (credit) and given back (debit)
    balance:<customerId>       a customer's stored balance (liability: credit = we owe them)
    adjustments                manual balance credits/debits by staff (equity/expense)
    owed:<orderId>             changes to what the order is owed beyond its frozen total: credited when
                               value is cancelled (a cancel, a cancelled child) or written off, debited
                               when a cancellation is reversed (a late payment revives the order)
    cancellations              the value of cancelled orders and children (contra-revenue)
    write-offs                 underpayments a person accepted (expense)
    manual-payouts             refunds finance paid out by hand (a bank transfer), outside any provider

What an order is owed is its frozen total plus the balance of `owed:<orderId>`; what it still asks for
is what is owed minus the money it holds (received − refunded), never below zero.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from oms.domain.errors import InvalidRequest
from oms.domain.money import Money


class PostingKind(StrEnum):
    PAYMENT = "payment"  # a payer paid (provider or balance) toward an order
    PROVIDER_FEE = "provider_fee"
    REFUND = "refund"  # money given back to the payer
    BALANCE_ADJUSTMENT = "balance_adjustment"
    CANCELLATION = "cancellation"  # value the order no longer sells (or, reversed, sells again)
    WRITE_OFF = "write_off"  # part of what the order is owed that a person decided not to collect
    EXCHANGE = "exchange"  # an exchange's dearer replacement: the order is owed the price difference (or no longer)


def provider_account(method: str) -> str:
    return f"provider:{method}"


def fees_account(method: str) -> str:
    return f"fees:{method}"


def surcharge_account(method: str) -> str:
    return f"surcharge:{method}"


def order_account(order_id: str) -> str:
    return f"order:{order_id}"


def balance_account(customer_id: str) -> str:
    return f"balance:{customer_id}"


def owed_account(order_id: str) -> str:
    return f"owed:{order_id}"


ADJUSTMENTS = "adjustments"
CANCELLATIONS = "cancellations"
WRITE_OFFS = "write-offs"
MANUAL_PAYOUTS = "manual-payouts"
EXCHANGES = "exchanges"


@dataclass(frozen=True, slots=True)
class Line:
    account: str
    amount: Money  # + debit, − credit


@dataclass(frozen=True, slots=True)
class Posting:
    kind: PostingKind
    lines: tuple[Line, ...]
    memo: str

    def __post_init__(self) -> None:
        if len(self.lines) < 2:
            raise InvalidRequest("a posting needs at least two lines")
        sums: dict[str, int] = {}
        for line in self.lines:
            sums[line.amount.currency] = sums.get(line.amount.currency, 0) + line.amount.amount
        if any(sums.values()):
            raise InvalidRequest(f"posting does not balance: {sums}")


def transfer(kind: PostingKind, debit: str, credit: str, amount: Money, memo: str) -> Posting:
    """Money moves from `credit` to `debit` (debit the receiver, credit the giver)."""
    if amount.amount <= 0:
        raise InvalidRequest("a transfer moves a positive amount")
    return Posting(kind, (Line(debit, amount), Line(credit, Money(-amount.amount, amount.currency))), memo)


def payment_postings(
    method: str,
    order_id: str,
    goods_amount: Money,
    fee: Money,
    surcharge: Money,
    *,
    payer_account: str | None = None,
) -> list[Posting]:
    """The postings of one received payment.

    The payer's money lands in the provider account (or comes out of their balance); the order's
    account is credited with what counts toward the order; a customer-borne surcharge goes to the
    surcharge account; a provider fee is an expense that reduces what the provider owes us.
    """
    source = payer_account or provider_account(method)
    postings = [transfer(PostingKind.PAYMENT, source, order_account(order_id), goods_amount, "payment received")]
    if surcharge.amount:
        postings.append(
            transfer(PostingKind.PAYMENT, source, surcharge_account(method), surcharge, "payment surcharge")
        )
    if fee.amount:
        postings.append(transfer(PostingKind.PROVIDER_FEE, fees_account(method), source, fee, "provider fee"))
    return postings


def account_balance(lines: Iterable[Line], account: str, currency: str) -> Money:
    """Debits minus credits of one account."""
    return Money(sum(line.amount.amount for line in lines if line.account == account), currency)


def order_money(lines: Sequence[Line], order_id: str, currency: str) -> tuple[Money, Money]:
    """(received, refunded) for an order: credits to its account are money received, debits refunds."""
    account = order_account(order_id)
    received = sum(-line.amount.amount for line in lines if line.account == account and line.amount.amount < 0)
    refunded = sum(line.amount.amount for line in lines if line.account == account and line.amount.amount > 0)
    return Money(received, currency), Money(refunded, currency)


def cancellation(order_id: str, amount: Money, memo: str) -> Posting:
    """The order is owed `amount` less: that value was cancelled."""
    return transfer(PostingKind.CANCELLATION, CANCELLATIONS, owed_account(order_id), amount, memo)


def cancellation_reversed(order_id: str, amount: Money, memo: str) -> Posting:
    """A cancellation undone (a late payment revived the order): the order is owed `amount` again."""
    return transfer(PostingKind.CANCELLATION, owed_account(order_id), CANCELLATIONS, amount, memo)


def exchange_difference(order_id: str, amount: Money, memo: str) -> Posting:
    """An exchange's replacement costs `amount` more: the order is owed it (the shopper pays it)."""
    return transfer(PostingKind.EXCHANGE, owed_account(order_id), EXCHANGES, amount, memo)


def exchange_difference_dropped(order_id: str, amount: Money, memo: str) -> Posting:
    """The difference was not paid and the replacement is not sent: the order is no longer owed it."""
    return transfer(PostingKind.EXCHANGE, EXCHANGES, owed_account(order_id), amount, memo)


def write_off(order_id: str, amount: Money, memo: str) -> Posting:
    """A person accepted that the order will not collect `amount`."""
    return transfer(PostingKind.WRITE_OFF, WRITE_OFFS, owed_account(order_id), amount, memo)


def order_owed(lines: Sequence[Line], order_id: str, total: Money) -> Money:
    """What the order is owed now: its frozen total, less what was cancelled or written off."""
    return total + account_balance(lines, owed_account(order_id), total.currency)
