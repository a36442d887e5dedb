"""Response bodies of the catalog function: stores, products, SKUs and stock adjustments, as
`oms.views.catalog` builds them."""

from __future__ import annotations

from pydantic import Field

from oms.api.schemas import MoneyOut, Page, View
from oms.api.virtual_schemas import VirtualSpecOut
from oms.domain.catalog import SkuStatus, StockAdjustmentReason, StockPolicy
from oms.domain.images import ImageState
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


class ProductImage(View):
    """An image of a product or of one of its SKUs; `url` (the original, re-encoded) and `thumbnails` (WebP, by
    longest side in pixels) once it is READY."""

    imageId: str
    skuId: str | None
    state: ImageState
    position: int = Field(description="0 first; the first READY image is the main one.")
    contentType: str
    width: int | None
    height: int | None
    reason: str | None = Field(description="Why the upload was REJECTED.")
    url: str | None
    thumbnails: dict[str, str]


class MainImage(View):
    """The product's main image (its first READY one), as listings show it."""

    imageId: str
    url: str
    thumbnails: dict[str, str]


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
    virtual: VirtualSpecOut | None = Field(default=None, description="A virtual good's delivery (null: physical).")
    version: int
    images: list[ProductImage] = Field(default_factory=list, description="The SKU's READY images, ordered.")


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
    mainImage: MainImage | None = None


class Product(ProductSummary):
    """A product with its SKUs and their availability, and its READY images (ordered, the main one first)."""

    skus: list[Sku]
    stockState: StockState = Field(description="in_stock when a SKU is, else low when a SKU is, else sold_out.")
    images: list[ProductImage] = Field(default_factory=list)


class ImageUploadForm(View):
    """A presigned POST: send `fields` and then the file (field `file`) as multipart/form-data to `url`."""

    url: str
    fields: dict[str, str]
    maxBytes: int
    expiresAt: str


class ImageUpload(ProductImage):
    """A PENDING image and the form that uploads its file; it turns READY (or REJECTED) once checked."""

    productVersion: int
    upload: ImageUploadForm


class ProductImages(View):
    """Every image of a product in every state, ordered; `version` is the product's ETag."""

    productId: str
    version: int
    images: list[ProductImage]


class Stock(View):
    """A SKU's stock counters: available + reserved + sold + damaged == received + adjusted (`damaged`:
    returned units inspected as not sellable)."""

    available: int
    reserved: int
    sold: int
    received: int
    adjusted: int
    damaged: int


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
