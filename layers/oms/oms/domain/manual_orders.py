"""Manual orders and order editing by staff: the payment modes of a manual order, the per-role cap of a
manual discount (or price change), and what an edit may change. Pure: the services
(`oms.services.manual_orders`, `oms.services.order_editing`) read the order and write the changes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from oms.domain.errors import InvalidRequest
from oms.domain.money import Money
from oms.domain.permissions import Actor, Role
from oms.domain.promotions import BPS


class PaymentMode(StrEnum):
    ONLINE = "online"  # a payment link is sent to the shopper; the order awaits payment like a checkout
    BANK_TRANSFER = "bank-transfer"  # awaits a transfer and finance's review (the bank transfer attempt)
    OFFLINE = "offline"  # paid outside the system: finance marks it paid with a proof reference


class ManualDiscountOverCap(InvalidRequest):
    slug = "manual-discount-over-cap"
    title = "The manual discount is over the role's limit"


@dataclass(frozen=True, slots=True)
class ManualLimit:
    """A role's cap on a manual discount: at most `bps` of the goods it applies to and, in a currency
    listed in `amounts`, at most that many minor units."""

    bps: int
    amounts: Mapping[str, int] = field(default_factory=dict)

    def cap(self, base: Money) -> Money:
        by_share = base.amount * self.bps // BPS
        by_amount = self.amounts.get(base.currency)
        return Money(by_share if by_amount is None else min(by_share, by_amount), base.currency)


# Support gives at most 10 % and 200.00 CNY; admin up to the whole goods amount. (Settings: the wiring passes
# these; a role without an entry gives no manual discount.)
DEFAULT_LIMITS: Mapping[str, ManualLimit] = {
    Role.ADMIN.value: ManualLimit(BPS),
    Role.SUPPORT.value: ManualLimit(1_000, {"CNY": 20_000, "USD": 3_000, "EUR": 3_000}),
}


def limit_of(actor: Actor, limits: Mapping[str, ManualLimit]) -> ManualLimit | None:
    """The most generous limit among the actor's roles (None: the actor gives no manual discount)."""
    held = [limits[role.value] for role in actor.roles if role.value in limits]
    if not held:
        return None
    return max(held, key=lambda limit: (limit.bps, -min(limit.amounts.values(), default=0)))


def check_cap(actor: Actor, limits: Mapping[str, ManualLimit], discount: Money, base: Money, *, field: str) -> None:
    """422 `manual-discount-over-cap` naming the cap when `discount` (what it takes off `base`, the goods
    left after promotions and coupons) is more than the actor's roles may give."""
    if discount.amount <= 0:
        return
    limit = limit_of(actor, limits)
    cap = Money.zero(base.currency) if limit is None else limit.cap(base)
    if discount.amount > cap.amount:
        raise ManualDiscountOverCap(
            f"a manual discount of {discount.display()} is over your limit of {cap.display()}",
            field=field,
            cap=cap.to_dict(),
            capBps=0 if limit is None else limit.bps,
            discount=discount.to_dict(),
        )
