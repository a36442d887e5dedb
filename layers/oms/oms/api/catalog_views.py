"""Response bodies of the catalog function: stores, products, SKUs and stock adjustments, as
`oms.views.catalog` builds them."""

from __future__ import annotations

from pydantic import Field

from oms.api.schemas import MoneyOut, Page, View
from oms.domain.catalog import SkuStatus, StockAdjustmentReason, StockPolicy
from oms.domain.images import ImageState
from oms.domain.payment import LatePaymentPolicy
from oms.domain.splitting import HandlingClass


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
    status: SkuStatus
    available: int
    version: int
    images: list[ProductImage] = Field(default_factory=list, description="The SKU's READY images, ordered.")


class ProductSummary(View):
    """A product without its SKUs (listings, and the answer to a change)."""

    productId: str
    storeId: str
    name: str
    description: str | None
    category: str | None
    attributes: dict[str, str]
    status: SkuStatus  # a product is ACTIVE or INACTIVE like a SKU
    version: int
    createdAt: str
    updatedAt: str
    mainImage: MainImage | None = None


class Product(ProductSummary):
    """A product with its SKUs and their availability, and its READY images (ordered, the main one first)."""

    skus: list[Sku]
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
