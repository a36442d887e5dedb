"""The catalog's JSON: stores, products, SKUs and stock adjustments."""

from __future__ import annotations

from typing import Any

from oms.domain.catalog import StockLevel
from oms.domain.stock import product_stock_state
from oms.store.catalog import ProductRecord, SkuRecord, StockMovement, StoreRecord


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


def sku_view(sku: SkuRecord) -> dict[str, Any]:
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
        "status": sku.status,
        "available": sku.available,
        "lowStockThreshold": sku.low_stock_threshold,
        "stockState": sku.stock_state,
        "version": sku.version,
    }


def product_view(product: ProductRecord) -> dict[str, Any]:
    """A product; with its SKUs when they were read with it."""
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
    }
    if product.skus is not None:
        view["skus"] = [sku_view(s) for s in product.skus]
        view["stockState"] = product_stock_state([s.stock_state for s in product.skus]).value
    return view


def stock_json(level: StockLevel) -> dict[str, int]:
    return {
        "available": level.available,
        "reserved": level.reserved,
        "sold": level.sold,
        "received": level.received,
        "adjusted": level.adjusted,
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
