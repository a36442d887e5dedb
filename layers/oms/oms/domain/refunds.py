"""Refunds in the domain: their states, where their money goes and when a provider is asked again.

Money goes back the way it came: through the provider payments of the order that still have room
(newest first, each up to what counted toward the order less what it already refunded), and what
no provider payment can take (balance payments, balance used at checkout) to the shopper's stored
balance. A refund the provider refused for good is decided by staff (ask again, to the balance, or
paid out by hand)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from oms.domain.errors import Conflict, IllegalTransition


class RefundStatus(StrEnum):
    PENDING = "PENDING"  # to be asked of the provider (again): not taken yet
    PROCESSING = "PROCESSING"  # the provider accepted it and has not paid it out yet
    SUCCEEDED = "SUCCEEDED"  # the money went back (route: provider, balance or manual)
    FAILED = "FAILED"  # the provider refused it for good: staff decide (retry, to-balance, paid-out)


R = RefundStatus
REFUND_TRANSITIONS: dict[RefundStatus, frozenset[RefundStatus]] = {
    R.PENDING: frozenset({R.PROCESSING, R.SUCCEEDED, R.FAILED}),
    R.PROCESSING: frozenset({R.SUCCEEDED, R.FAILED}),
    # A person decides: ask the provider again, or give the money back another way.
    R.FAILED: frozenset({R.PENDING, R.SUCCEEDED}),
    R.SUCCEEDED: frozenset(),
}
del R
# Refunds the provider may still pay: asked (again) after a cancel, by sync and by the sweeper.
ACTIVE_REFUNDS = frozenset({RefundStatus.PENDING.value, RefundStatus.PROCESSING.value})


def check_refund_transition(current: RefundStatus, target: RefundStatus) -> None:
    if target not in REFUND_TRANSITIONS[current]:
        raise IllegalTransition("refund", current.value, target.value)


class RefundRoute(StrEnum):
    """How a refund's money went back."""

    PROVIDER = "provider"  # through the payment's provider (the default)
    BALANCE = "balance"  # credited to the shopper's stored balance (a staff decision)
    MANUAL = "manual"  # paid out by hand (a bank transfer by finance), with its reference


class RefundDecision(StrEnum):
    """What staff decide for a refund the provider refused for good."""

    TO_BALANCE = "to-balance"  # credit the shopper's stored balance
    PAID_OUT = "paid-out"  # finance paid it out by hand: record it with the payout's reference
    RETRY = "retry"  # ask the provider again (a new request at the provider)


class RefundNotFailed(Conflict):
    slug = "refund-not-failed"
    title = "Only a refund the provider refused is decided by staff"


# The provider is asked again after waiting as long as the refund has waited already (at least a
# minute, at most six hours): 1, 2, 4, 8 … minutes, whoever else asked meanwhile (the request, the
# stream's retries), so extra tries never shorten the pause. A refund the provider could not take for
# three days is given up (FAILED) and goes to staff; one the provider accepted (PROCESSING) is never
# given up, it is the provider's to pay.
REFUND_RETRY_MIN = timedelta(minutes=1)
REFUND_RETRY_MAX = timedelta(hours=6)
REFUND_GIVE_UP_AFTER = timedelta(days=3)


def refund_retry_delay(waited: timedelta) -> timedelta:
    """How long to wait before asking the provider again, for a refund pending for `waited`."""
    return min(max(waited, REFUND_RETRY_MIN), REFUND_RETRY_MAX)


def refund_provider_key(refund_id: str, retries: int) -> str:
    """The id the provider knows a refund by (its idempotency key): the refund id, and after the n-th
    staff retry `<refundId>-R<n>`, because providers replay a refusal to the same key (a card refund
    that failed stays failed) and a refusal means no money moved, so a new request is safe."""
    return refund_id if retries <= 0 else f"{refund_id}-R{retries}"


# ---------------------------------------------------------------- where the money goes
@dataclass(frozen=True)
class ProviderPayment:
    """A payment of the order as far as refunds are concerned."""

    payment_id: str
    method: str
    succeeded: bool
    counted: int  # what counted toward the order: what the provider reported, else the goods amount


@dataclass(frozen=True)
class RefundMade:
    """A refund already written for a payment (pending, paid or refused: each holds its room)."""

    payment_id: str
    amount: int


def refund_rooms(payments: Iterable[ProviderPayment], refunds: Iterable[RefundMade]) -> list[tuple[str, int]]:
    """(payment id, what can still go back through its provider) for every provider payment of the order,
    newest first: what counted toward the order, less the refunds made, pending or refused. Balance
    payments go back to the balance instead."""
    refunded: dict[str, int] = {}
    for refund in refunds:
        # A refused (FAILED) refund keeps its room: staff may ask the provider again, or the money went
        # back another way (balance, by hand) and is not the payment's to refund twice.
        refunded[refund.payment_id] = refunded.get(refund.payment_id, 0) + refund.amount
    rooms = []
    for payment in sorted(payments, key=lambda p: p.payment_id, reverse=True):
        if not payment.succeeded or payment.method == "balance":
            continue
        rooms.append((payment.payment_id, max(payment.counted - refunded.get(payment.payment_id, 0), 0)))
    return rooms


def allocate_refund(wanted: int, rooms: Sequence[tuple[str, int]]) -> list[tuple[str, int]]:
    """Spread a refund of `wanted` over payments, each `(payment id, refundable room)`, in the given order:
    each takes what it can until the refund is covered. What no payment can take is left out (the
    caller decides where it goes, e.g. the stored balance)."""
    parts: list[tuple[str, int]] = []
    left = wanted
    for payment_id, room in rooms:
        if left <= 0:
            break
        take = min(room, left)
        if take > 0:
            parts.append((payment_id, take))
            left -= take
    return parts


def refund_id_for(base: str, taken: Sequence[str]) -> str:
    """`base` (e.g. RF<paymentId>, RF<childId>), or `base-2`, `base-3`… when taken: one id per refund,
    stable for the same decision (it is the provider's idempotency key)."""
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


@dataclass(frozen=True)
class RefundPlan:
    """Where `amount` goes back: `provider` parts `(payment id, amount)` and the rest to the balance."""

    provider: list[tuple[str, int]]
    to_balance: int


def plan_refund(
    amount: int, rooms: Sequence[tuple[str, int]], *, balance_share: int = 0, first: str | None = None
) -> RefundPlan:
    """`balance_share` of `amount` (balance used at checkout) goes back to the balance; the rest through
    the providers with room (payment `first` first, then in the order of `rooms`), and what they cannot
    take to the balance too."""
    ordered = sorted(rooms, key=lambda room: room[0] != first) if first is not None else list(rooms)
    provider = allocate_refund(amount - balance_share, ordered)
    return RefundPlan(provider, amount - sum(part for _, part in provider))
