"""The JSON shape of a product search hit."""

from __future__ import annotations

from typing import Any

from oms.domain.product_search import SearchableProduct
from oms.views.images import main_image_view


def search_hit(doc: SearchableProduct, image_base: str = "") -> dict[str, Any]:
    return {
        "productId": doc.product_id,
        "storeId": doc.store_id,
        "name": doc.name,
        "price": {
            "min": {"amount": doc.min_price, "currency": doc.currency},
            "max": {"amount": doc.max_price, "currency": doc.currency},
        },
        "sales": doc.sales,
        "createdAt": doc.created_at,
        "categoryPath": doc.category_path,
        "image": main_image_view(dict(doc.image), image_base) if doc.image else None,
    }
