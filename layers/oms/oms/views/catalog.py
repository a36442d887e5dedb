"""The catalog's JSON: stores, products, SKUs and stock adjustments."""

from __future__ import annotations

from typing import Any

from oms.domain.catalog import StockLevel
from oms.domain.images import ImageState
from oms.domain.stock import product_stock_state
from oms.store.catalog import ProductRecord, SkuRecord, StockMovement, StoreRecord
from oms.store.images import ImageRecord
from oms.views.images import image_view, main_image_view


def store_view(store: StoreRecord) -> dict[str, Any]:
    return {
        "storeId": store.store_id,
        "name": store.name,
        "currency": store.currency,
        "shippingFee": store.shipping_fee.to_dict(),
        "freeShippingThreshold": store.free_threshold.to_dict() if store.free_threshold else None,
        "stockPolicy": store.stock_policy,
        "latePaymentPolicy": store.late_payment_policy,
        "settlementDays": store.settlement_days,
        "commissionBps": store.commission_bps,
        "lowStockThreshold": store.low_stock_threshold,
        "version": store.version,
        "updatedAt": store.updated_at,
    }


def sku_view(sku: SkuRecord, images: list[ImageRecord] | None = None, image_base: str = "") -> dict[str, Any]:
    """A SKU; `images`: its READY images, ordered (the first is its main one)."""
    return {
        "skuId": sku.sku_id,
        "productId": sku.product_id,
        "storeId": sku.store_id,
        "name": sku.name,
        "price": sku.price.to_dict(),
        "warehouseId": sku.warehouse_id,
        "weightGrams": sku.weight_grams,
        "attributes": sku.attributes,
        "categoryId": sku.category_id,
        "pointsPrice": sku.points_price,
        "handling": sku.handling,
        "crossBorder": sku.cross_border,
        "memberPrices": {tier: price.to_dict() for tier, price in sku.member_prices.items()},
        "freightTemplateId": sku.freight_template_id,
        "virtual": sku.virtual,
        "status": sku.status,
        "available": sku.available,
        "lowStockThreshold": sku.low_stock_threshold,
        "stockState": sku.stock_state,
        "version": sku.version,
        "images": [
            image_view(i, image_base) for i in images or [] if i.state is ImageState.READY and i.sku_id == sku.sku_id
        ],
    }


def product_view(product: ProductRecord, image_base: str = "") -> dict[str, Any]:
    """A product; with its SKUs and READY images (ordered, main first) when they were read with it; URLs of
    images under `image_base`."""
    view: dict[str, Any] = {
        "productId": product.product_id,
        "storeId": product.store_id,
        "name": product.name,
        "description": product.description,
        "category": product.category,
        "categoryId": product.category_id,
        "categoryPath": product.category_path,
        "attributes": product.attributes,
        "status": product.status,
        "version": product.version,
        "createdAt": product.created_at,
        "updatedAt": product.updated_at,
        "mainImage": main_image_view(product.main_image, image_base),
    }
    if product.skus is not None:
        view["skus"] = [sku_view(s, product.images, image_base) for s in product.skus]
        view["stockState"] = product_stock_state([s.stock_state for s in product.skus]).value
    if product.images is not None:
        view["images"] = [image_view(i, image_base) for i in product.images if i.state is ImageState.READY]
    return view


def stock_json(level: StockLevel) -> dict[str, int]:
    return {
        "available": level.available,
        "reserved": level.reserved,
        "sold": level.sold,
        "received": level.received,
        "adjusted": level.adjusted,
        "damaged": level.damaged,
    }


def stock_adjustment_view(movement: StockMovement, after: StockLevel) -> dict[str, Any]:
    return {
        "skuId": movement.sku_id,
        "movementId": movement.movement_id,
        "delta": movement.delta,
        "reason": movement.reason.value,
        "note": movement.note,
        "stock": stock_json(after),
    }
