"""Order-pricing inputs in unit tests: SKUs, carts, shipping policies, promotions and coupons (shared by the
pricing and membership tests)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from oms.domain.catalog import ShippingPolicy, Sku
from oms.domain.money import Money
from oms.domain.pricing import CartLine
from oms.domain.promotions import Coupon, CouponBenefit, CouponTemplate, Promotion, PromotionRule, Scope, ValidityWindow

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
OPEN = ValidityWindow(NOW - timedelta(days=30), NOW + timedelta(days=30))


def cny(amount: int) -> Money:
    return Money(amount, "CNY")


def sku(sku_id: str, price: int, *, store: str = "S1", currency: str = "CNY") -> Sku:
    return Sku(sku_id, f"P-{sku_id}", store, f"Item {sku_id}", Money(price, currency), f"WH-{store}", 250)


def catalog(*items: Sku) -> dict[str, Sku]:
    return {s.sku_id: s for s in items}


def policy(store: str = "S1", fee: int = 0, threshold: int | None = None, currency: str = "CNY") -> ShippingPolicy:
    free = None if threshold is None else Money(threshold, currency)
    return ShippingPolicy(store, currency, Money(fee, currency), free)


def policies(*items: ShippingPolicy) -> dict[str, ShippingPolicy]:
    return {p.store_id: p for p in items}


def cart(*lines: tuple[str, int]) -> list[CartLine]:
    return [CartLine(sku_id, quantity) for sku_id, quantity in lines]


def promo(
    promotion_id: str,
    rule: PromotionRule,
    store: str | None = "S1",
    *,
    categories: Sequence[str] = (),
    skus: Sequence[str] = (),
    priority: int = 0,
    allow_coupons: bool = True,
    window: ValidityWindow = OPEN,
) -> Promotion:
    return Promotion(
        promotion_id=promotion_id,
        rule=rule,
        scope=Scope(store, frozenset(categories), frozenset(skus)),
        window=window,
        priority=priority,
        allow_coupons=allow_coupons,
    )


def coupon(
    code: str,
    benefit: CouponBenefit,
    store: str | None = "S1",
    *,
    template_id: str | None = None,
    categories: Sequence[str] = (),
    skus: Sequence[str] = (),
    min_spend: int | None = None,
    total_limit: int | None = None,
    per_customer_limit: int | None = None,
    stackable: bool = False,
    window: ValidityWindow = OPEN,
    own_window: ValidityWindow | None = None,
    owner: str | None = None,
    uses_total: int = 0,
    uses_by_customer: int = 0,
) -> Coupon:
    template = CouponTemplate(
        template_id=template_id or f"T-{code}",
        benefit=benefit,
        scope=Scope(store, frozenset(categories), frozenset(skus)),
        window=window,
        min_spend=None if min_spend is None else cny(min_spend),
        total_limit=total_limit,
        per_customer_limit=per_customer_limit,
        stackable=stackable,
    )
    return Coupon(
        code=code,
        template=template,
        owner_id=owner,
        window=own_window,
        uses_total=uses_total,
        uses_by_customer=uses_by_customer,
    )
