"""Pricing inputs in the table, and the transaction pieces that take and return coupons and points.

Checkout reads promotions, points programmes, FX rates, the presented coupons and the customer's points
and balance accounts in the same consistent BatchGetItem as SKUs and stock (`OrderRepository.
read_checkout_inputs`); these helpers turn the items into domain values. Taking a coupon or points is a
conditional update inside the order's own transaction, so two checkouts can never use one coupon, and
points never go below zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from oms.domain.errors import InvalidRequest
from oms.domain.fx import FxRate
from oms.domain.ids import new_id
from oms.domain.membership import MemberTiers
from oms.domain.promotions import Coupon, CouponTemplate, PointsRules, Promotion
from oms.domain.rules_json import points_rules_from_dict, promotion_from_dict, template_from_dict
from oms.store import keys
from oms.store.models import (
    CouponItem,
    CouponTemplateItem,
    CouponUseItem,
    PointsAccountItem,
    PointsEntryItem,
    PricingSettingsItem,
    PromotionDirectoryItem,
)
from oms.store.records import CouponRecord, PointsEntryRecord
from oms.store.rows import points_entry_record
from oms.store.transactions import Part, Transaction

COUPON_AVAILABLE, COUPON_USED, COUPON_VOID = "AVAILABLE", "USED", "VOID"
TEMPLATE_ACTIVE, TEMPLATE_DISABLED = "ACTIVE", "DISABLED"
PROMOTION_ACTIVE, PROMOTION_ENDED = "ACTIVE", "ENDED"
DEFAULT_REPORTING_CURRENCY = "CNY"
LIFETIME_KINDS = frozenset({"earn", "revoke"})  # points entries that move the lifetime points earned


class PointsInsufficient(InvalidRequest):
    slug = "points-insufficient"
    title = "Not enough points"
    status = 409


# ---------------------------------------------------------------- reading
def promotions_from_directory(item: PromotionDirectoryItem | None) -> list[Promotion]:
    """Live promotions (not ended by an operator); the engine itself drops those outside their window."""
    if item is None:
        return []
    return [
        promotion_from_dict(data)
        for data in item.promotions.values()
        if data.get("status", PROMOTION_ACTIVE) == PROMOTION_ACTIVE
    ]


def member_tiers_from_settings(item: PricingSettingsItem | None) -> MemberTiers:
    return MemberTiers() if item is None else MemberTiers.from_list(item.data.get("tiers"))


def points_rules_from_settings(item: PricingSettingsItem | None) -> dict[str, PointsRules]:
    if item is None:
        return {}
    return {currency: points_rules_from_dict(data) for currency, data in item.data.items()}


@dataclass(frozen=True)
class FxSettings:
    reporting_currency: str
    rates: dict[str, FxRate]  # order currency -> rate to the reporting currency

    def rate_for(self, currency: str) -> FxRate | None:
        if currency == self.reporting_currency:
            return FxRate.identity(currency)
        return self.rates.get(currency)


def fx_from_settings(item: PricingSettingsItem | None) -> FxSettings:
    if item is None:
        return FxSettings(DEFAULT_REPORTING_CURRENCY, {})
    reporting = item.data.get("reportingCurrency") or DEFAULT_REPORTING_CURRENCY
    rates = {
        ccy: FxRate.from_dict({**data, "base": ccy, "quote": reporting})
        for ccy, data in item.data.get("rates", {}).items()
    }
    return FxSettings(reporting, rates)


def coupon_domain(item: CouponRecord, uses_total: int = 0, uses_by_customer: int = 0) -> Coupon:
    return Coupon(
        code=item.code,
        template=template_from_dict(item.template),
        owner_id=item.ownerId,
        uses_total=uses_total,
        uses_by_customer=uses_by_customer,
    )


# ---------------------------------------------------------------- transaction pieces
@dataclass(frozen=True)
class CouponTaken:
    """What a checkout took for one coupon, kept on the order so a cancel can give it back."""

    code: str
    template_id: str
    owned: bool  # an issued coupon (status moves); else a public code (only counters move)
    per_customer: bool  # a per-customer counter was taken

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "templateId": self.template_id,
            "owned": self.owned,
            "perCustomer": self.per_customer,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CouponTaken:
        return cls(data["code"], data["templateId"], bool(data["owned"]), bool(data["perCustomer"]))


def coupon_taken(coupon: Coupon) -> CouponTaken:
    template = coupon.template
    return CouponTaken(
        coupon.code, template.template_id, coupon.owner_id is not None, template.per_customer_limit is not None
    )


def add_coupons_take(tx: Transaction, coupons: Sequence[Coupon], customer_id: str, order_id: str, now: str) -> None:
    """Use coupons in this transaction: each issued coupon itself (AVAILABLE and the customer's), then per
    template — once, however many of its coupons the order uses — the template's counter (ACTIVE and
    room for n more under its total limit) and the customer's counter (room for n more under the
    per-customer limit). Labels: ("coupon", code), ("template", tid), ("coupon-use", tid)."""
    for coupon in coupons:
        if coupon.owner_id is None:
            continue
        tx.update(
            (Part.COUPON, coupon.code),
            CouponItem(*keys.coupon(coupon.code)),
            [
                CouponItem.status.set(COUPON_USED),
                CouponItem.orderId.set(order_id),
                CouponItem.usedAt.set(now),
                CouponItem.version.add(1),
            ],
            (CouponItem.status == COUPON_AVAILABLE) & (CouponItem.ownerId == customer_id),
        )
    for template, n in _per_template(coupons):
        tid = template.template_id
        template_condition = CouponTemplateItem.status == TEMPLATE_ACTIVE
        if template.total_limit is not None:
            template_condition &= CouponTemplateItem.used <= template.total_limit - n
        tx.update(
            (Part.TEMPLATE, tid),
            CouponTemplateItem(*keys.coupon_template(tid)),
            [CouponTemplateItem.used.add(n), CouponTemplateItem.updatedAt.set(now)],
            template_condition,
        )
        if template.per_customer_limit is not None:
            tx.update(
                (Part.COUPON_USE, tid),
                CouponUseItem(*keys.coupon_use(tid, customer_id)),
                [
                    CouponUseItem.used.add(n),
                    CouponUseItem.templateId.set(tid),
                    CouponUseItem.customerId.set(customer_id),
                    CouponUseItem.type.set(CouponUseItem),  # the discriminator: the item may be new
                ],
                CouponUseItem.used.does_not_exist() | (CouponUseItem.used <= template.per_customer_limit - n),
            )


def _per_template(coupons: Sequence[Coupon]) -> list[tuple[CouponTemplate, int]]:
    counts: dict[str, tuple[CouponTemplate, int]] = {}
    for coupon in coupons:
        template = coupon.template
        counts[template.template_id] = (template, counts.get(template.template_id, (template, 0))[1] + 1)
    return list(counts.values())


def add_coupons_return(
    tx: Transaction, taken: Sequence[CouponTaken], customer_id: str, order_id: str, now: str
) -> None:
    """Give coupons back (cancel before payment): each coupon AVAILABLE again, each template's and the
    customer's counters lowered once by the number of its coupons the order used."""
    for coupon in taken:
        if not coupon.owned:
            continue
        tx.update(
            (Part.COUPON, coupon.code),
            CouponItem(*keys.coupon(coupon.code)),
            [
                CouponItem.status.set(COUPON_AVAILABLE),
                CouponItem.orderId.remove(),
                CouponItem.usedAt.remove(),
                CouponItem.version.add(1),
            ],
            (CouponItem.status == COUPON_USED) & (CouponItem.orderId == order_id),
        )
    counts: dict[str, tuple[int, bool]] = {}
    for coupon in taken:
        n, per_customer = counts.get(coupon.template_id, (0, False))
        counts[coupon.template_id] = (n + 1, per_customer or coupon.per_customer)
    for tid, (n, per_customer) in counts.items():
        tx.update(
            (Part.TEMPLATE, tid),
            CouponTemplateItem(*keys.coupon_template(tid)),
            [CouponTemplateItem.used.add(-n), CouponTemplateItem.updatedAt.set(now)],
            CouponTemplateItem.used >= n,
        )
        if per_customer:
            tx.update(
                (Part.COUPON_USE, tid),
                CouponUseItem(*keys.coupon_use(tid, customer_id)),
                [CouponUseItem.used.add(-n)],
                CouponUseItem.used >= n,
            )


def add_points_change(
    tx: Transaction,
    customer_id: str,
    delta: int,
    *,
    kind: str,
    order_id: str | None,
    reason: str | None,
    by: str,
    now: str,
    allow_debt: bool = False,
) -> PointsEntryRecord:
    """Move points with a ledger entry. A debit is conditional on the account holding enough, so points
    never go below zero; a credit creates the account on first use. Label: "points". `allow_debt`: a
    debit that may take the account below zero (points a refund revokes that were spent already: a debt
    that later earnings settle, as checkout never redeems from a negative account). "earn" and "revoke"
    also move the lifetime points earned that member tiers follow, in the same update: counted exactly
    as often as the points themselves."""
    if delta == 0:
        raise ValueError("a points change moves a non-zero number of points")
    account = PointsAccountItem(*keys.points_account(customer_id))
    actions = [PointsAccountItem.available.add(delta), PointsAccountItem.updatedAt.set(now)]
    if kind in LIFETIME_KINDS:
        actions.append(PointsAccountItem.earned.add(delta))
    if delta < 0 and allow_debt:
        actions += [PointsAccountItem.customerId.set(customer_id), PointsAccountItem.type.set(PointsAccountItem)]
        tx.update(Part.POINTS, account, actions)
    elif delta < 0:
        tx.update(Part.POINTS, account, actions, PointsAccountItem.available >= -delta)
    else:
        actions += [PointsAccountItem.customerId.set(customer_id), PointsAccountItem.type.set(PointsAccountItem)]
        tx.update(Part.POINTS, account, actions)
    entry = PointsEntryItem(
        *keys.points_entry(customer_id, now, new_id()),
        customerId=customer_id,
        delta=delta,
        kind=kind,
        orderId=order_id,
        reason=reason,
        by=by,
        at=now,
    )
    tx.put(Part.POINTS_ENTRY, entry)
    return points_entry_record(entry)
