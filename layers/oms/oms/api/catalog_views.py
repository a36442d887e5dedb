"""Response bodies of the catalog function: stores, products, SKUs and stock adjustments, as
`oms.views.catalog` builds them."""

from __future__ import annotations

from pydantic import Field

from oms.api.schemas import MoneyOut, Page, View
from oms.domain.catalog import SkuStatus, StockAdjustmentReason, StockPolicy
from oms.domain.payment import LatePaymentPolicy
from oms.domain.splitting import HandlingClass
from oms.domain.stock import StockState


class Store(View):
    """A store's shipping and stock settings; `version` is its ETag (send it back as If-Match)."""

    storeId: str
    name: str
    currency: str
    shippingFee: MoneyOut
    freeShippingThreshold: MoneyOut | None
    stockPolicy: StockPolicy
    latePaymentPolicy: LatePaymentPolicy
    settlementDays: int = Field(description="T+N: a completed child order is settled N days after completion.")
    commissionBps: int = Field(description="The platform's commission on what the merchant sold, in basis points.")
    lowStockThreshold: int | None = Field(description="The default alert level of its SKUs (null: no alerts).")
    version: int
    updatedAt: str


class Sku(View):
    """A SKU with what is available of it now (0 when it has no stock counter)."""

    skuId: str
    productId: str
    storeId: str
    name: str
    price: MoneyOut
    warehouseId: str
    weightGrams: int
    attributes: dict[str, str]
    categoryId: str | None
    pointsPrice: int
    handling: HandlingClass
    crossBorder: bool
    memberPrices: dict[str, MoneyOut] = Field(description="Unit price per member tier id, in the SKU's currency.")
    freightTemplateId: str | None = Field(default=None, description="Its freight template (null: the store's default).")
    status: SkuStatus
    available: int
    lowStockThreshold: int | None = Field(description="The SKU's own alert level (null: its store's default).")
    stockState: StockState = Field(description="sold_out at 0 available, low at or under the alert level.")
    version: int


class ProductSummary(View):
    """A product without its SKUs (listings, and the answer to a change)."""

    productId: str
    storeId: str
    name: str
    description: str | None
    category: str | None = Field(description="A free-text label (the category tree's is `categoryId`).")
    categoryId: str | None = Field(None, description="The store's category it is filed in.")
    categoryPath: str | None = Field(None, description='"/<rootId>/.../<categoryId>/": its category and ancestors.')
    attributes: dict[str, str]
    status: SkuStatus  # a product is ACTIVE or INACTIVE like a SKU
    version: int
    createdAt: str
    updatedAt: str


class Product(ProductSummary):
    """A product with its SKUs and their availability."""

    skus: list[Sku]
    stockState: StockState = Field(description="in_stock when a SKU is, else low when a SKU is, else sold_out.")


class Stock(View):
    """A SKU's stock counters: available + reserved + sold == received + adjusted."""

    available: int
    reserved: int
    sold: int
    received: int
    adjusted: int


class StockAdjustment(View):
    """A restock or stocktake correction, with the SKU's stock after it."""

    skuId: str
    movementId: str
    delta: int
    reason: StockAdjustmentReason
    note: str | None
    stock: Stock


ProductPage = Page[ProductSummary]


class CatalogCategory(View):
    """A node of a store's category tree; `version` is its ETag (send it back as If-Match)."""

    categoryId: str
    storeId: str
    name: str
    parentId: str | None
    path: str = Field(description='"/<rootId>/.../<categoryId>/": the ids of its ancestors and its own.')
    depth: int
    sortOrder: int
    childCount: int
    productCount: int = Field(description="Products filed in it (not in its descendants).")
    version: int
    createdAt: str
    updatedAt: str


class CatalogCategoryNode(CatalogCategory):
    """A category with its children (each level by sort order, then name)."""

    children: list[CatalogCategoryNode]


class CategoryTree(View):
    storeId: str
    categories: list[CatalogCategoryNode]


class CategoryDeletion(View):
    """A deleted category; `reassigning` products are being re-filed in `reassignTo` (just after the answer)."""

    storeId: str
    categoryId: str
    reassignTo: str | None
    reassigning: int


class FreightRuleOut(View):
    regions: list[str] = Field(description="Country codes or country/province; empty: every other region.")
    first: int = Field(description="Grams or pieces the first fee covers.")
    firstFee: MoneyOut
    additional: int = Field(description="Grams or pieces of each further step (0: none).")
    additionalFee: MoneyOut


class FreeShippingOut(View):
    regions: list[str]
    minAmount: MoneyOut | None
    minQuantity: int | None


class FreightTemplate(View):
    """A store's freight template; `version` is its ETag (send it back as If-Match)."""

    storeId: str
    templateId: str
    name: str
    currency: str
    basis: str = Field(description="weight (grams), piece, or order (one fee: the store's flat fee).")
    rules: list[FreightRuleOut]
    freeShipping: list[FreeShippingOut]
    excludedRegions: list[str]
    isDefault: bool
    version: int
    updatedAt: str | None


class FreightTemplateList(View):
    """A store's templates, and its default: a template's id or `flat-fee` (the store's flat fee, `flatFee`)."""

    items: list[FreightTemplate]
    defaultTemplateId: str
    flatFee: FreightTemplate
