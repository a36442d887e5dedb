"""Request bodies of the catalog function: stores, products, SKUs, stock adjustments (shared field types
in `oms.api.schemas`)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints, field_validator

from oms.api.schemas import (
    MAX_POINTS,
    Id,
    LongText,
    MoneyIn,
    Note,
    ShortText,
    SingleLine,
    Strict,
)
from oms.api.virtual_schemas import VirtualSpecIn
from oms.domain.catalog import StockAdjustmentReason, StockPolicy
from oms.domain.errors import InvalidRequest
from oms.domain.freight import MAX_REGIONS, MAX_RULES, FreeShipping, FreightBasis, FreightRule, FreightTemplate, Steps
from oms.domain.membership import MAX_TIERS, TIER_ID
from oms.domain.money import SUPPORTED_CURRENCIES
from oms.domain.payment import LatePaymentPolicy
from oms.domain.settlement import DEFAULT_COMMISSION_BPS, DEFAULT_SETTLEMENT_DAYS
from oms.domain.splitting import HandlingClass

# Powertools validates the body after parsing it (pydantic's Python mode), where a strict model takes an
# enum member and not its value: enum fields take their values, as they did from the JSON text.
ByValue = Field(strict=False)


class StoreIn(Strict):
    name: ShortText
    currency: str
    shippingFee: MoneyIn
    freeShippingThreshold: MoneyIn | None = None
    stockPolicy: Annotated[StockPolicy, ByValue] = StockPolicy.RESERVE_AT_ORDER
    # A payment arriving after the payment timeout cancelled an order: refunded (default), or accepted
    # when the stock can be taken again. Orders a person cancelled are always refunded.
    latePaymentPolicy: Annotated[LatePaymentPolicy, ByValue] = LatePaymentPolicy.REFUND
    # Merchant settlement: a completed child order is paid out `settlementDays` after completion (the
    # after-sales window), less the platform's commission (basis points: 500 = 5 %).
    settlementDays: Annotated[int, Field(ge=0, le=90)] = DEFAULT_SETTLEMENT_DAYS
    commissionBps: Annotated[int, Field(ge=0, le=10_000)] = DEFAULT_COMMISSION_BPS
    # The default alert level of the store's SKUs (LowStock when available falls to it); null: no alerts.
    lowStockThreshold: Annotated[int, Field(ge=0, le=10_000_000)] | None = None

    @field_validator("currency")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in SUPPORTED_CURRENCIES:
            raise ValueError(f"unsupported currency {value!r}")
        return value


Attributes = Annotated[
    dict[
        Annotated[str, StringConstraints(max_length=64), SingleLine],
        Annotated[str, StringConstraints(max_length=200), SingleLine],
    ],
    Field(max_length=30),
]


# Member prices per tier id, in the SKU's currency (oms.domain.membership; checked by the catalog service).
MemberPrices = Annotated[
    dict[Annotated[str, StringConstraints(pattern=TIER_ID.pattern)], MoneyIn], Field(max_length=MAX_TIERS)
]


class SkuIn(Strict):
    skuId: Id | None = None
    name: ShortText
    price: MoneyIn
    stock: int = Field(ge=0, le=10_000_000)
    warehouseId: Id
    weightGrams: int = Field(ge=0, le=1_000_000)
    attributes: Attributes = {}  # noqa: RUF012 (a pydantic field: each instance gets a copy)
    categoryId: Id | None = None  # defaults to the product's category
    pointsPrice: int = Field(default=0, ge=0, le=MAX_POINTS)  # points per unit: points-mall goods
    handling: Annotated[HandlingClass, ByValue] = HandlingClass.NORMAL  # fragile, bulky and hazardous goods ship alone
    crossBorder: bool = False  # cross-border goods: orders split under the per-order customs limit
    memberPrices: MemberPrices = {}  # noqa: RUF012 (a pydantic field: each instance gets a copy)
    freightTemplateId: Id | None = None  # one of its store's freight templates (None: the store's default)
    lowStockThreshold: int | None = Field(default=None, ge=0, le=10_000_000)  # null: the store's default
    virtual: VirtualSpecIn | None = None  # a virtual good: delivered as a code, a link or a service (no parcel)


class ProductIn(Strict):
    storeId: Id
    name: ShortText
    description: LongText | None = None
    category: ShortText | None = None
    categoryId: Id | None = None  # a category of the store's tree (its SKUs follow it)
    attributes: Attributes = {}  # noqa: RUF012 (a pydantic field: each instance gets a copy)
    skus: list[SkuIn] = Field(min_length=1, max_length=30)


class ProductPatch(Strict):
    name: ShortText | None = None
    description: LongText | None = None
    category: ShortText | None = None
    categoryId: Id | None = None  # null: out of the tree
    attributes: Attributes | None = None
    status: Annotated[str, StringConstraints(pattern="^(ACTIVE|INACTIVE)$")] | None = None

    @field_validator("name")
    @classmethod
    def _named(cls, value: str | None) -> str:
        """null removes an optional field; a product always has a name (a 422, not a product without one)."""
        if value is None:
            raise ValueError("a product's name cannot be removed")
        return value


class SkuPatch(Strict):
    name: ShortText | None = None
    price: MoneyIn | None = None
    warehouseId: Id | None = None
    weightGrams: int | None = Field(default=None, ge=0, le=1_000_000)
    attributes: Attributes | None = None
    status: Annotated[str, StringConstraints(pattern="^(ACTIVE|INACTIVE)$")] | None = None
    categoryId: Id | None = None
    pointsPrice: int | None = Field(default=None, ge=0, le=MAX_POINTS)
    handling: Annotated[HandlingClass | None, ByValue] = None
    crossBorder: bool | None = None
    memberPrices: MemberPrices | None = None  # replaces them all ({}: none)
    freightTemplateId: Id | None = None  # null: back to the store's default template
    lowStockThreshold: int | None = Field(default=None, ge=0, le=10_000_000)  # null: back to the store's default
    virtual: VirtualSpecIn | None = None  # how a virtual SKU is delivered (a physical SKU cannot become virtual)


class StockAdjustmentIn(Strict):
    delta: int = Field(ge=-10_000_000, le=10_000_000)
    reason: Annotated[StockAdjustmentReason, ByValue]
    note: Note | None = None


class CategoryIn(Strict):
    name: ShortText
    parentId: Id | None = None  # None: a root
    sortOrder: int = Field(default=0, ge=-1_000_000, le=1_000_000)


class CategoryPatch(Strict):
    name: ShortText | None = None
    parentId: Id | None = None  # present: move under it (null: make it a root)
    sortOrder: int | None = Field(default=None, ge=-1_000_000, le=1_000_000)

    @field_validator("name", "sortOrder")
    @classmethod
    def _kept(cls, value: object) -> object:
        if value is None:
            raise ValueError("a category's name and sort order cannot be removed")
        return value


class CategoryDeleteIn(Strict):
    reassignTo: Id | None = None  # where its products go (another category of the store)


# ---------------------------------------------------------------- freight templates (oms.domain.freight)
# A country code (CN) or country/province-or-state (CN/广东, US/CA), as the shipping address names them.
Region = Annotated[str, StringConstraints(min_length=2, max_length=40, pattern=r"^[A-Z]{2}(/[^/]{1,37})?$"), SingleLine]
Regions = Annotated[list[Region], Field(max_length=MAX_REGIONS)]


class FreightRuleIn(Strict):
    """`first` units (grams or pieces) for `firstFee`, then `additionalFee` per further `additional` units
    (or part of them). No `regions`: the catch-all rule."""

    regions: Regions = []  # noqa: RUF012 (a pydantic field: each instance gets a copy)
    first: int = Field(ge=1, le=1_000_000)
    firstFee: MoneyIn
    additional: int = Field(default=0, ge=0, le=1_000_000)
    additionalFee: MoneyIn | None = None


class FreeShippingIn(Strict):
    """Free when the template's goods (after promotions and coupons) reach `minAmount` or `minQuantity`."""

    regions: Regions = []  # noqa: RUF012 (a pydantic field: each instance gets a copy)
    minAmount: MoneyIn | None = None
    minQuantity: int | None = Field(default=None, ge=1, le=1_000_000)


class FreightTemplateIn(Strict):
    name: ShortText
    currency: str
    basis: Annotated[FreightBasis, ByValue]
    rules: list[FreightRuleIn] = Field(min_length=1, max_length=MAX_RULES)
    freeShipping: list[FreeShippingIn] = Field(default=[], max_length=MAX_RULES)
    excludedRegions: Regions = []  # noqa: RUF012 (a pydantic field: each instance gets a copy)
    isDefault: bool | None = None  # true: the store's default; false: no longer it; absent: unchanged

    def template(self, template_id: str) -> FreightTemplate:
        """The domain template (its rules checked there: 422 with a field path)."""
        fees = [("rules", r.firstFee) for r in self.rules] + [("rules", r.additionalFee) for r in self.rules]
        fees += [("freeShipping", f.minAmount) for f in self.freeShipping]
        for field, fee in fees:
            if fee is not None and fee.currency != self.currency:
                raise InvalidRequest(f"amounts are in the template's currency ({self.currency})", field=field)
        return FreightTemplate(
            template_id=template_id,
            name=self.name,
            currency=self.currency,
            basis=self.basis,
            rules=tuple(
                FreightRule(
                    tuple(r.regions),
                    Steps(r.first, r.firstFee.amount, r.additional, r.additionalFee.amount if r.additionalFee else 0),
                )
                for r in self.rules
            ),
            free_shipping=tuple(
                FreeShipping(tuple(f.regions), f.minAmount.amount if f.minAmount else None, f.minQuantity)
                for f in self.freeShipping
            ),
            excluded=tuple(self.excludedRegions),
        )


ImageId = Annotated[str, StringConstraints(min_length=1, max_length=26, pattern=r"^[0-9A-Za-z]+$")]


class ImageUploadIn(Strict):
    """An image to upload: its type and exact size in bytes (the form's policy allows no other), and the SKU it
    shows (none: the product's own image)."""

    contentType: str = Field(description="image/jpeg, image/png or image/webp.", max_length=100)
    size: int = Field(description="The file's size in bytes (at most 10 MiB).")
    skuId: Id | None = None


class ImageOrderIn(Strict):
    """Every image of the product that is not REJECTED, in the order to show them (the first READY one is the
    main image)."""

    imageIds: list[ImageId] = Field(min_length=1, max_length=20)
