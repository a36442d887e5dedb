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
from oms.domain.catalog import StockAdjustmentReason, StockPolicy
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


class ProductIn(Strict):
    storeId: Id
    name: ShortText
    description: LongText | None = None
    category: ShortText | None = None
    attributes: Attributes = {}  # noqa: RUF012 (a pydantic field: each instance gets a copy)
    skus: list[SkuIn] = Field(min_length=1, max_length=30)


class ProductPatch(Strict):
    name: ShortText | None = None
    description: LongText | None = None
    category: ShortText | None = None
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


class StockAdjustmentIn(Strict):
    delta: int = Field(ge=-10_000_000, le=10_000_000)
    reason: Annotated[StockAdjustmentReason, ByValue]
    note: Note | None = None


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
