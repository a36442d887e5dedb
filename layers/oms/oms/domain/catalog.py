"""Catalog facts the order flow needs: sellable SKUs, store shipping policies, stock levels."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from oms.domain.errors import Conflict, InvalidRequest
from oms.domain.freight import FreightTemplate, flat_template
from oms.domain.money import Money


class SkuStatus(StrEnum):
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"


@dataclass(frozen=True, slots=True)
class Sku:
    sku_id: str
    product_id: str
    store_id: str
    name: str
    unit_price: Money
    warehouse_id: str
    weight_grams: int
    status: SkuStatus = SkuStatus.ACTIVE
    freight_template_id: str | None = None  # None: the store's default template
    virtual: bool = False  # a virtual good (oms.domain.virtual_goods): no freight, no parcel


@dataclass(frozen=True)
class NewSku:
    """A SKU to add to a product, with its opening stock."""

    sku_id: str | None  # None: a new id
    name: str
    price: Money
    stock: int
    warehouse_id: str
    weight_grams: int
    attributes: dict[str, str]
    category_id: str | None = None  # None: the product's category
    points_price: int = 0
    handling: str = "normal"
    cross_border: bool = False
    member_prices: dict[str, Money] = field(default_factory=dict)  # tier id -> unit price (SKU currency)
    freight_template_id: str | None = None  # None: the store's default freight template
    low_stock_threshold: int | None = None  # its alert level (None: the store's default)
    virtual: dict[str, object] | None = None  # oms.domain.virtual_goods.VirtualSpec.to_json() (None: physical)


@dataclass(frozen=True, slots=True)
class ShippingPolicy:
    """Per store: a flat fee per order, waived when the store's subtotal reaches the threshold; and the
    store's freight templates (`oms.domain.freight`) with the default one (None: the flat fee)."""

    store_id: str
    currency: str
    flat_fee: Money
    free_threshold: Money | None
    templates: Mapping[str, FreightTemplate] = field(default_factory=dict)
    default_template_id: str | None = None

    def default_template(self) -> FreightTemplate:
        found = self.templates.get(self.default_template_id) if self.default_template_id else None
        return found or flat_template(self.currency, self.flat_fee, self.free_threshold)

    def fee_for(self, store_subtotal: Money) -> Money:
        if self.free_threshold is not None and store_subtotal >= self.free_threshold:
            return Money.zero(self.flat_fee.currency)
        return self.flat_fee


class StockPolicy(StrEnum):
    """When an order takes stock: reserve at order and deduct at payment, or deduct at order."""

    RESERVE_AT_ORDER = "reserve_at_order"
    DEDUCT_AT_ORDER = "deduct_at_order"


class StockAdjustmentReason(StrEnum):
    RESTOCK = "restock"
    STOCKTAKE_CORRECTION = "stocktake_correction"


@dataclass(frozen=True, slots=True)
class StockLevel:
    """available + reserved + sold + damaged == received + adjusted, always (`damaged`: returned units
    inspected as not sellable; they left `sold` and are still units the SKU received)."""

    available: int
    reserved: int
    sold: int
    received: int
    adjusted: int
    damaged: int = 0

    @property
    def conserved(self) -> bool:
        return (
            self.available + self.reserved + self.sold + self.damaged == self.received + self.adjusted
            and min(self.available, self.reserved, self.sold, self.damaged) >= 0
        )


def check_adjustment(reason: StockAdjustmentReason, delta: int, current_available: int) -> None:
    """Restock adds; a stocktake correction may go either way; stock never goes below zero."""
    if delta == 0:
        raise InvalidRequest("delta must not be zero", field="delta")
    if reason is StockAdjustmentReason.RESTOCK and delta < 0:
        raise InvalidRequest("a restock adds stock: delta must be positive", field="delta")
    if current_available + delta < 0:
        raise Conflict(
            f"adjustment would take available stock below zero (available {current_available}, delta {delta})",
            available=current_available,
        )
