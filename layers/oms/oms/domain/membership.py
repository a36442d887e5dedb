"""Member tiers (seed 003: checkout asks the member centre for the member's benefits).

A customer's tier follows one measure: the **points earned over their lifetime** (credited when orders
complete, less what refunds revoke), kept on the points account in the same transactions that move those
points. Points are the programme's own normalisation of spend across currencies (each currency's
programme sets its earn rate), so no FX rate is needed to rank customers, and a rate changing later
never moves anyone's tier.

Staff configure ordered tiers: each reached at a threshold of that measure, with a name and a tier
discount in basis points. The pricing engine applies the member benefit first, on unit prices: a SKU's
member price for the tier when it has one, else the tier discount (`member_unit_price`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from oms.domain.errors import InvalidRequest
from oms.domain.money import Money

BPS = 10_000
MAX_TIERS = 20
MAX_THRESHOLD = 10**12
TIER_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
MEASURE = "lifetime-points-earned"  # the one measure tiers are reached by (docs/pricing.md, decision #450)


class MemberBenefitKind(StrEnum):
    MEMBER_PRICE = "member_price"  # the SKU's own price for the tier
    TIER_DISCOUNT = "tier_discount"  # the tier's percentage off the unit price


@dataclass(frozen=True, slots=True)
class MemberTier:
    tier_id: str
    name: str
    threshold: int  # lifetime points earned from which the tier applies
    discount_bps: int  # off the unit price of a SKU without a member price for this tier

    def to_dict(self) -> dict[str, Any]:
        return {
            "tierId": self.tier_id,
            "name": self.name,
            "threshold": self.threshold,
            "discountBps": self.discount_bps,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MemberTier:
        return cls(str(data["tierId"]), str(data["name"]), int(data["threshold"]), int(data["discountBps"]))


def check_tier_id(tier_id: str, field: str) -> None:
    if not isinstance(tier_id, str) or not TIER_ID.match(tier_id):
        raise InvalidRequest("a tier id is 1-32 of a-z, 0-9, '-' and '_', not starting with '-' or '_'", field=field)


@dataclass(frozen=True, slots=True)
class MemberTiers:
    """The configured tiers, lowest first; thresholds strictly increase (none: no member benefits)."""

    tiers: tuple[MemberTier, ...] = ()

    def __post_init__(self) -> None:
        if len(self.tiers) > MAX_TIERS:
            raise InvalidRequest(f"at most {MAX_TIERS} tiers", field="tiers")
        seen: set[str] = set()
        previous: int | None = None
        for index, tier in enumerate(self.tiers):
            field = f"tiers[{index}]"
            check_tier_id(tier.tier_id, f"{field}.tierId")
            if tier.tier_id in seen:
                raise InvalidRequest("tier ids are unique", field=f"{field}.tierId")
            seen.add(tier.tier_id)
            if not tier.name.strip():
                raise InvalidRequest("a tier has a name", field=f"{field}.name")
            if type(tier.threshold) is not int or not 0 <= tier.threshold <= MAX_THRESHOLD:
                raise InvalidRequest(f"a threshold is 0..{MAX_THRESHOLD} points", field=f"{field}.threshold")
            if previous is not None and tier.threshold <= previous:
                raise InvalidRequest("tiers are ordered by a strictly increasing threshold", field=f"{field}.threshold")
            previous = tier.threshold
            if type(tier.discount_bps) is not int or not 0 <= tier.discount_bps < BPS:
                raise InvalidRequest(f"a tier discount is 0..{BPS - 1} basis points", field=f"{field}.discountBps")

    def tier_for(self, measure: int) -> MemberTier | None:
        """The highest tier whose threshold `measure` reaches (None: below every tier)."""
        reached = None
        for tier in self.tiers:
            if measure >= tier.threshold:
                reached = tier
        return reached

    def next_after(self, measure: int) -> MemberTier | None:
        return next((tier for tier in self.tiers if tier.threshold > measure), None)

    def ids(self) -> frozenset[str]:
        return frozenset(tier.tier_id for tier in self.tiers)

    def to_list(self) -> list[dict[str, Any]]:
        return [tier.to_dict() for tier in self.tiers]

    @classmethod
    def from_list(cls, data: Sequence[Mapping[str, Any]] | None) -> MemberTiers:
        return cls(tuple(MemberTier.from_dict(d) for d in data or ()))


def membership_view(customer_id: str, tiers: MemberTiers, measure: int) -> dict[str, Any]:
    """Where a customer stands: their tier, the measure, the next tier and what is missing to reach it."""
    tier = tiers.tier_for(measure)
    following = tiers.next_after(measure)
    return {
        "customerId": customer_id,
        "measure": MEASURE,
        "pointsEarned": measure,
        "tier": None if tier is None else tier.to_dict(),
        "nextTier": None if following is None else following.to_dict(),
        "pointsToNextTier": None if following is None else following.threshold - max(measure, 0),
    }


def member_unit_price(
    unit_price: Money, member_prices: Mapping[str, Money], tier: MemberTier
) -> tuple[int, MemberBenefitKind] | None:
    """The member unit price of a SKU for `tier` and how it was found; None when it saves nothing.

    A member price in the SKU's currency wins (never above the list price: a list price lowered since
    the member price was set wins then); else the tier discount, its saving rounded down to a minor
    unit on each unit price (the unit price is what the shopper sees, so quantity never changes it)."""
    own = member_prices.get(tier.tier_id)
    if own is not None and own.currency == unit_price.currency:
        price = min(own.amount, unit_price.amount)
        kind = MemberBenefitKind.MEMBER_PRICE
    else:
        price = unit_price.amount - unit_price.amount * tier.discount_bps // BPS
        kind = MemberBenefitKind.TIER_DISCOUNT
    if price >= unit_price.amount:
        return None
    return max(price, 0), kind
