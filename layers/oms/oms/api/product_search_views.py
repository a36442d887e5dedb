"""Response bodies of shopper product search (`GET /search/products`), as `oms.views.product_search` builds them."""

from __future__ import annotations

from pydantic import Field

from oms.api.catalog_views import MainImage
from oms.api.schemas import MoneyOut, Page, View


class PriceRange(View):
    min: MoneyOut = Field(description="The lowest price of the product's active SKUs.")
    max: MoneyOut = Field(description="The highest price of the product's active SKUs.")


class ProductHit(View):
    """An active product as search shows it."""

    productId: str
    storeId: str
    name: str
    price: PriceRange
    sales: int = Field(description="Units sold: exact below 100, then to two significant figures (1,234 → 1,200).")
    createdAt: str
    categoryPath: str | None = Field(description='"/<rootId>/<childId>/<leafId>/" when filed in a category.')
    image: MainImage | None = Field(description="The product's main image (its first READY one), when it has one.")


ProductHitPage = Page[ProductHit]
