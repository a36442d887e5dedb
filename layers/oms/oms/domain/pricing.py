"""Cart pricing from server-side prices only. Quote and checkout call the same function."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from oms.domain.catalog import ShippingPolicy, Sku, SkuStatus
from oms.domain.errors import InvalidRequest
from oms.domain.money import Money, allocate, total

MAX_DISTINCT_SKUS = 40  # keeps one checkout inside one 100-item DynamoDB transaction
MAX_QUANTITY = 999
MAX_COUPONS = 5  # per order: room for real stacking; each coupon costs checkout transaction items
AsMuchAsAllowed = Literal["max"]


@dataclass(frozen=True, slots=True)
class CartLine:
    sku_id: str
    quantity: int


@dataclass(frozen=True)
class PricingRequest:
    """What the shopper asks for beyond the cart: coupon codes, points ("max" = as many as allowed;
    None or 0 = none) and stored balance ("max" = as much as possible; None = none)."""

    coupons: tuple[str, ...] = ()
    points: int | AsMuchAsAllowed | None = None
    balance: Money | AsMuchAsAllowed | None = None


@dataclass(frozen=True, slots=True)
class PricedLine:
    line_no: int
    sku_id: str
    product_id: str
    store_id: str
    warehouse_id: str
    name: str
    unit_price: Money
    quantity: int
    line_total: Money  # unit_price × quantity, before order-level parts
    shipping: Money  # this line's share of its store's shipping fee
    discount: Money
    payable: Money  # line_total + shipping - discount

    def to_dict(self) -> dict[str, object]:
        return {
            "lineNo": self.line_no,
            "skuId": self.sku_id,
            "productId": self.product_id,
            "storeId": self.store_id,
            "warehouseId": self.warehouse_id,
            "name": self.name,
            "unitPrice": self.unit_price.to_dict(),
            "quantity": self.quantity,
            "lineTotal": self.line_total.to_dict(),
            "shipping": self.shipping.to_dict(),
            "discount": self.discount.to_dict(),
            "payable": self.payable.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class PriceBreakdown:
    subtotal: Money
    shipping: Money
    discount: Money
    total: Money

    def to_dict(self) -> dict[str, object]:
        return {
            "subtotal": self.subtotal.to_dict(),
            "shipping": self.shipping.to_dict(),
            "discount": self.discount.to_dict(),
            "total": self.total.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class Quote:
    currency: str
    lines: tuple[PricedLine, ...]
    breakdown: PriceBreakdown

    def to_dict(self) -> dict[str, object]:
        return {
            "currency": self.currency,
            "lines": [line.to_dict() for line in self.lines],
            "breakdown": self.breakdown.to_dict(),
        }


def merge_cart(lines: Sequence[CartLine]) -> list[CartLine]:
    """One line per SKU (quantities added), in first-seen order; validates quantities and size."""
    if not lines:
        raise InvalidRequest("the cart is empty", field="lines")
    merged: dict[str, int] = {}
    for index, line in enumerate(lines):
        if type(line.quantity) is not int or not 1 <= line.quantity <= MAX_QUANTITY:
            raise InvalidRequest(f"quantity must be between 1 and {MAX_QUANTITY}", field=f"lines[{index}].quantity")
        merged[line.sku_id] = merged.get(line.sku_id, 0) + line.quantity
    if len(merged) > MAX_DISTINCT_SKUS:
        raise InvalidRequest(f"a cart holds at most {MAX_DISTINCT_SKUS} different SKUs", field="lines")
    for sku_id, quantity in merged.items():
        if quantity > MAX_QUANTITY:
            raise InvalidRequest(f"quantity of {sku_id} exceeds {MAX_QUANTITY}", field="lines")
    return [CartLine(sku_id, quantity) for sku_id, quantity in merged.items()]


def price_cart(
    cart: Sequence[CartLine],
    skus: Mapping[str, Sku],
    shipping: Mapping[str, ShippingPolicy],
) -> Quote:
    """Price a cart exactly: line totals, per-store shipping fee and the order breakdown.

    Shipping is charged per store (flat fee unless that store's subtotal reaches its threshold) and
    allocated to that store's lines by largest remainder, so line payables sum exactly to the total.
    """
    lines = merge_cart(cart)
    unknown = [line.sku_id for line in lines if line.sku_id not in skus]
    if unknown:
        raise InvalidRequest(f"unknown SKU: {', '.join(unknown)}", field="lines", unknownSkus=unknown)
    inactive = [line.sku_id for line in lines if skus[line.sku_id].status is not SkuStatus.ACTIVE]
    if inactive:
        raise InvalidRequest(f"not for sale: {', '.join(inactive)}", field="lines", inactiveSkus=inactive)
    currencies = {skus[line.sku_id].unit_price.currency for line in lines}
    if len(currencies) != 1:
        raise InvalidRequest("all items of one order must be priced in one currency", field="lines")
    currency = currencies.pop()

    totals = [skus[line.sku_id].unit_price * line.quantity for line in lines]
    shipping_shares = [Money.zero(currency)] * len(lines)
    for store_id in dict.fromkeys(skus[line.sku_id].store_id for line in lines):
        policy = shipping.get(store_id)
        if policy is None:
            raise InvalidRequest(f"store {store_id} is not open for orders", field="lines")
        indexes = [i for i, line in enumerate(lines) if skus[line.sku_id].store_id == store_id]
        store_subtotal = total([totals[i] for i in indexes], currency)
        fee = policy.fee_for(store_subtotal)
        if fee.currency != currency:
            raise InvalidRequest(f"store {store_id} charges shipping in {fee.currency}", field="lines")
        for i, share in zip(indexes, allocate(fee.amount, [totals[i].amount for i in indexes]), strict=True):
            shipping_shares[i] = Money(share, currency)

    priced = tuple(
        PricedLine(
            line_no=n + 1,
            sku_id=line.sku_id,
            product_id=skus[line.sku_id].product_id,
            store_id=skus[line.sku_id].store_id,
            warehouse_id=skus[line.sku_id].warehouse_id,
            name=skus[line.sku_id].name,
            unit_price=skus[line.sku_id].unit_price,
            quantity=line.quantity,
            line_total=totals[n],
            shipping=shipping_shares[n],
            discount=Money.zero(currency),
            payable=totals[n] + shipping_shares[n],
        )
        for n, line in enumerate(lines)
    )
    subtotal = total(totals, currency)
    shipping_total = total(shipping_shares, currency)
    discount = Money.zero(currency)
    breakdown = PriceBreakdown(subtotal, shipping_total, discount, subtotal + shipping_total - discount)
    return Quote(currency=currency, lines=priced, breakdown=breakdown)
