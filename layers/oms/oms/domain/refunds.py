"""Refunds in the domain: their states, where their money goes and when a provider is asked again.

Money goes back the way it came. A refund request (`split_units`, `split_amount`: finance, cancels,
cases) gives each unit its paid share by cumulative floor shares, the balance's share back to the
stored balance and the rest to the provider payments in proportion to their rooms (each up to what
counted toward the order less what it already refunded), largest remainder, so the parts sum exactly.
The automatic refunds of late, duplicate and excess payments (`plan_refund`) fill the payments newest
first. What no provider payment can take (balance payments, balance used at checkout) goes to the
shopper's stored balance. A refund the provider refused for good is decided by staff (ask again, to
the balance, or paid out by hand)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from oms.domain.errors import Conflict, IllegalTransition
from oms.domain.money import allocate


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


# ---------------------------------------------------------------- refunds as requests (issue 11)
class RefundReason(StrEnum):
    """Why money goes back: a stable code list (statistics count refunds per reason)."""

    CUSTOMER_REQUEST = "customer_request"
    CASE = "case"  # an after-sales case (refund-only, return-and-refund, exchange difference)
    ORDER_CANCELLED = "order_cancelled"
    CHILD_CANCELLED = "child_cancelled"
    STAFF_ADJUSTMENT = "staff_adjustment"  # a goodwill or price adjustment by finance
    DAMAGED = "damaged"
    NOT_RECEIVED = "not_received"
    WRONG_ITEM = "wrong_item"
    OTHER = "other"


class RefundExceedsPaid(Conflict):
    slug = "refund-exceeds-paid"
    title = "The refund is more than what is left to refund"


def unit_share(amount: int, quantity: int, done: int, take: int) -> int:
    """Units done+1..done+take of a part of `quantity` units worth `amount` together, by cumulative floor
    shares: floor(A(r+k)/q) − floor(Ar/q). Whatever order units go back in, the shares of all `quantity`
    units sum to `amount` exactly, and no share is negative."""
    if quantity <= 0 or take < 0 or done < 0 or done + take > quantity:
        raise ValueError("units out of range")
    return amount * (done + take) // quantity - amount * done // quantity


@dataclass(frozen=True)
class RefundPart:
    """A child's part (one order line's units in that child), as refunds see it: money from the part's
    `amounts`, points from its `points`, and how many of its units went back already (`refunded`)."""

    line_no: int
    quantity: int
    refunded: int
    goods: int  # original − goodsDiscount − pointsValue: the money paid for its goods
    shipping: int  # shipping − shippingDiscount
    balance: int  # the stored balance that paid (goods first, then shipping)
    points_back: int  # pointsRequired + pointsRedeemed: points the shopper spent on it
    points_earned: int

    @property
    def balance_on_goods(self) -> int:
        return min(self.balance, self.goods)

    @property
    def balance_on_shipping(self) -> int:
        return self.balance - self.balance_on_goods

    @property
    def left(self) -> int:
        return self.quantity - self.refunded

    @classmethod
    def of(cls, part: dict[str, object], refunded: int = 0) -> RefundPart:
        amounts: dict[str, int] = dict(part["amounts"])  # type: ignore[call-overload]
        points: dict[str, int] = dict(part["points"])  # type: ignore[call-overload]
        return cls(
            line_no=int(part["lineNo"]),  # type: ignore[call-overload]
            quantity=int(part["quantity"]),  # type: ignore[call-overload]
            refunded=refunded,
            goods=int(amounts["original"]) - int(amounts["goodsDiscount"]) - int(amounts["pointsValue"]),
            shipping=int(amounts["shipping"]) - int(amounts["shippingDiscount"]),
            balance=int(amounts.get("balance", 0)),
            points_back=int(points["pointsRequired"]) + int(points["pointsRedeemed"]),
            points_earned=int(points["pointsEarned"]),
        )


@dataclass(frozen=True)
class RefundRooms:
    """What can still go back: through each provider payment (newest first, `refund_rooms`), and in all
    (`order`: what the order received less everything committed to go back)."""

    provider: tuple[tuple[str, int], ...]
    order: int

    @property
    def balance(self) -> int:
        """What the order holds that no provider payment can take back: it goes to the stored balance."""
        return max(self.order - sum(room for _, room in self.provider), 0)


@dataclass(frozen=True)
class RefundSplit:
    """Where one refund goes: provider legs (payment id, amount), the stored balance, points given back
    and earned points revoked, and what it settles (units per line, the child's shipping, the child,
    the whole order)."""

    provider: tuple[tuple[str, int], ...]
    balance: int
    points_back: int = 0
    points_revoked: int = 0
    units: tuple[tuple[int, int], ...] = ()
    shipping: bool = False
    completes_child: bool = False
    completes_order: bool = False

    @property
    def amount(self) -> int:
        return self.balance + sum(amount for _, amount in self.provider)


def spread_over_rooms(amount: int, rooms: Sequence[tuple[str, int]]) -> tuple[list[tuple[str, int]], int]:
    """`amount` over provider payments in proportion to their rooms (largest remainder: no part is over
    its room, the parts sum exactly); what is beyond all rooms is returned as the rest."""
    total = sum(room for _, room in rooms)
    take = min(amount, total)
    if take <= 0:
        return [], amount
    parts = allocate(take, [room for _, room in rooms])
    return [(pid, part) for (pid, _), part in zip(rooms, parts, strict=True) if part > 0], amount - take


def _scale(split_money: tuple[int, list[tuple[str, int]]], cap: int) -> tuple[int, list[tuple[str, int]]]:
    """Every tender scaled to `cap` by largest remainder (each part at most what it was)."""
    balance, provider = split_money
    weights = [balance, *(amount for _, amount in provider)]
    if sum(weights) == 0:
        return 0, []
    scaled = allocate(cap, weights)
    legs = [(pid, part) for (pid, _), part in zip(provider, scaled[1:], strict=True) if part > 0]
    return scaled[0], legs


def _tenders(
    balance: int, provider_money: int, rooms: RefundRooms, *, to_balance: bool, cap: int | None
) -> tuple[int, list[tuple[str, int]], int]:
    """(balance, provider legs, the whole before a cap)."""
    whole = balance + provider_money
    if to_balance:
        legs: list[tuple[str, int]] = []
        balance = whole
    else:
        legs, rest = spread_over_rooms(provider_money, rooms.provider)
        balance += rest  # paid by balance payments: back to the balance
    if cap is not None and cap < whole:
        balance, legs = _scale((balance, legs), cap)
    return balance, legs, whole


def split_units(
    parts: Sequence[RefundPart],
    units: Sequence[tuple[int, int]],
    rooms: RefundRooms,
    *,
    shipping: bool = False,
    shipping_refunded: bool = False,
    cap: int | None = None,
    to_balance: bool = False,
    others_complete: bool = False,
) -> RefundSplit:
    """A refund of `units` (lineNo, quantity) of one child whose `parts` are given: each unit's paid
    share (cumulative floor shares of the part's goods money; its balance share the same way, the rest
    through the providers in proportion to their rooms); the child's shipping when asked or when the
    refund completes the child (not twice); `cap` (a refund asking less) scales every tender.
    `others_complete`: every other child of the order is refunded or cancelled already.
    Raises RefundExceedsPaid when units are not left or the money does not fit what the order holds."""
    by_line = {p.line_no: p for p in parts}
    taken: dict[int, int] = {}
    for line_no, quantity in units:
        if quantity <= 0:
            raise RefundExceedsPaid(f"line {line_no}: a refund takes at least one unit", lineNo=line_no)
        taken[line_no] = taken.get(line_no, 0) + quantity
    balance = provider_money = points_back = revoked = 0
    for line_no, quantity in taken.items():
        part = by_line.get(line_no)
        if part is None:
            raise RefundExceedsPaid(f"line {line_no} is not in this child order", lineNo=line_no)
        if quantity > part.left:
            raise RefundExceedsPaid(
                f"line {line_no}: {quantity} units asked, {part.left} left to refund", lineNo=line_no, left=part.left
            )
        on_balance = unit_share(part.balance_on_goods, part.quantity, part.refunded, quantity)
        rest = unit_share(part.goods - part.balance_on_goods, part.quantity, part.refunded, quantity)
        balance += on_balance
        provider_money += rest
        points_back += unit_share(part.points_back, part.quantity, part.refunded, quantity)
        revoked += unit_share(part.points_earned, part.quantity, part.refunded, quantity)
    completes_child = all(p.left == taken.get(p.line_no, 0) for p in parts)
    with_shipping = (shipping or completes_child) and not shipping_refunded
    if with_shipping:
        balance += sum(p.balance_on_shipping for p in parts)
        provider_money += sum(p.shipping - p.balance_on_shipping for p in parts)
    final_balance, legs, whole = _tenders(balance, provider_money, rooms, to_balance=to_balance, cap=cap)
    if cap is not None and cap > whole:
        raise RefundExceedsPaid(f"{cap} asked, the units' paid share is {whole}", paidShare=whole)
    if cap is not None and cap < whole and whole:
        points_back = points_back * cap // whole
        revoked = revoked * cap // whole
    split = RefundSplit(
        tuple(legs),
        final_balance,
        points_back,
        revoked,
        tuple(sorted(taken.items())),
        with_shipping,
        completes_child,
        completes_child and others_complete,
    )
    if split.amount > rooms.order:
        raise RefundExceedsPaid(
            f"the refund ({split.amount}) is more than what is left to refund ({rooms.order})", refundable=rooms.order
        )
    return split


def split_amount(amount: int, rooms: RefundRooms, *, to_balance: bool = False) -> RefundSplit:
    """A manual amount (no units): over the order's tenders in proportion to what each can still take
    (the stored balance's room and each provider payment's room, largest remainder), or all to the
    balance. Never more than the order holds."""
    if amount <= 0:
        raise RefundExceedsPaid("a refund moves a positive amount")
    if amount > rooms.order:
        raise RefundExceedsPaid(
            f"the refund ({amount}) is more than what is left to refund ({rooms.order})", refundable=rooms.order
        )
    if to_balance:
        return RefundSplit((), amount, completes_order=amount == rooms.order)
    named = [("", rooms.balance), *rooms.provider]
    parts = allocate(amount, [room for _, room in named])
    legs = tuple((pid, part) for (pid, _), part in zip(named[1:], parts[1:], strict=True) if part > 0)
    return RefundSplit(legs, parts[0], completes_order=amount == rooms.order)


def leg_ids(refund_id: str, providers: int, balance: bool, taken: Sequence[str]) -> tuple[list[str], str | None]:
    """Ids of a request's legs: `refund_id` for the first provider leg, then `-2`, `-3`…; the balance leg
    `<refund_id>-B` (`refund_id_for` when a cancel's base id was taken before)."""
    ids: list[str] = []
    used = list(taken)
    for _ in range(providers):
        leg = refund_id_for(refund_id, used)
        used.append(leg)
        ids.append(leg)
    balance_id = refund_id_for(f"{refund_id}-B", used) if balance else None
    return ids, balance_id
