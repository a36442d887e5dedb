"""Catalog: stores (shipping settings), products, SKUs and stock adjustments. Reads are public."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from oms import snapstart, wiring
from oms.api.auth import require
from oms.api.catalog_schemas import ProductIn, ProductPatch, SkuIn, SkuPatch, StockAdjustmentIn, StoreIn
from oms.api.http import (
    actor,
    etag,
    if_match,
    json_response,
    make_resolver,
    page_response,
    parse_body,
    query_id,
    query_int,
)
from oms.api.problems import HttpProblem
from oms.domain.catalog import NewSku
from oms.domain.permissions import Permission

logger = Logger()
app = make_resolver(logger)
services = wiring.services()
snapstart.build_before_snapshot(services, "catalog")


def _new_sku(sku: SkuIn) -> NewSku:
    return NewSku(
        sku_id=sku.skuId,
        name=sku.name,
        price=sku.price.money(),
        stock=sku.stock,
        warehouse_id=sku.warehouseId,
        weight_grams=sku.weightGrams,
        attributes=dict(sku.attributes),
        category_id=sku.categoryId,
        points_price=sku.pointsPrice,
        handling=sku.handling.value,
        cross_border=sku.crossBorder,
    )


# ---------------------------------------------------------------- stores
@app.get("/stores/<storeId>")
def get_store(storeId: str) -> Response[str]:
    store = services.catalog.store(storeId)
    return json_response(200, store, etag(store["version"]))


@app.put("/stores/<storeId>")
def put_store(storeId: str) -> Response[str]:
    require(actor(app), Permission.STORE_WRITE)
    body = parse_body(app, StoreIn)
    if body.shippingFee.currency != body.currency or (
        body.freeShippingThreshold and body.freeShippingThreshold.currency != body.currency
    ):
        raise HttpProblem(
            422,
            "validation-failed",
            "The request is not valid",
            "fees are in the store's currency",
            errors=[{"field": "shippingFee.currency", "message": "must equal currency", "code": "currency"}],
        )
    store, created = services.catalog.put_store(
        storeId,
        name=body.name,
        currency=body.currency,
        shipping_fee=body.shippingFee.money(),
        free_threshold=body.freeShippingThreshold.money() if body.freeShippingThreshold else None,
        stock_policy=body.stockPolicy,
        late_payment_policy=body.latePaymentPolicy,
        if_match=if_match(app),
    )
    return json_response(201 if created else 200, store, etag(store["version"]))


# ---------------------------------------------------------------- products
@app.post("/products")
def create_product() -> Response[str]:
    require(actor(app), Permission.CATALOG_WRITE)
    body = parse_body(app, ProductIn)
    product = services.catalog.create_product(
        store_id=body.storeId,
        name=body.name,
        description=body.description,
        category=body.category,
        attributes=dict(body.attributes),
        skus=[_new_sku(s) for s in body.skus],
    )
    headers = {"Location": f"/products/{product['productId']}", **etag(product["version"])}
    return json_response(201, product, headers)


@app.get("/products")
def list_products() -> Response[str]:
    store_id = query_id(app, "store")
    if not store_id:
        raise HttpProblem(
            422,
            "validation-failed",
            "The request is not valid",
            "pass ?store=<storeId>",
            errors=[{"field": "store", "message": "required", "code": "missing"}],
        )
    page = services.catalog.products(
        store_id, query_int(app, "limit"), app.current_event.get_query_string_value("cursor")
    )
    return page_response(page)


@app.get("/products/<productId>")
def get_product(productId: str) -> Response[str]:
    product = services.catalog.product(productId)
    return json_response(200, product, etag(product["version"]))


@app.patch("/products/<productId>")
def update_product(productId: str) -> Response[str]:
    require(actor(app), Permission.CATALOG_WRITE)
    body = parse_body(app, ProductPatch)
    changes: dict[str, Any] = body.model_dump(exclude_unset=True)
    product = services.catalog.update_product(productId, changes, if_match(app))
    return json_response(200, product, etag(product["version"]))


@app.post("/products/<productId>/skus")
def add_sku(productId: str) -> Response[str]:
    require(actor(app), Permission.CATALOG_WRITE)
    sku = services.catalog.add_sku(productId, _new_sku(parse_body(app, SkuIn)))
    return json_response(201, sku, {"Location": f"/skus/{sku['skuId']}", **etag(sku["version"])})


# ---------------------------------------------------------------- SKUs and stock
@app.get("/skus/<skuId>")
def get_sku(skuId: str) -> Response[str]:
    sku = services.catalog.sku(skuId)
    return json_response(200, sku, etag(sku["version"]))


@app.patch("/skus/<skuId>")
def update_sku(skuId: str) -> Response[str]:
    require(actor(app), Permission.CATALOG_WRITE)
    body = parse_body(app, SkuPatch)
    changes: dict[str, Any] = {k: getattr(body, k) for k in body.model_fields_set}
    if "price" in changes and changes["price"] is not None:
        changes["price"] = changes["price"].money()
    if any(value is None for value in changes.values()):
        raise HttpProblem(
            422,
            "validation-failed",
            "The request is not valid",
            "fields of a SKU cannot be removed",
            errors=[
                {"field": k, "message": "must not be null", "code": "null"} for k, v in changes.items() if v is None
            ],
        )
    if "attributes" in changes:
        changes["attributes"] = dict(changes["attributes"])
    sku = services.catalog.update_sku(skuId, changes, if_match(app))
    return json_response(200, sku, etag(sku["version"]))


@app.post("/skus/<skuId>/stock-adjustments")
def adjust_stock(skuId: str) -> Response[str]:
    who = actor(app)
    require(who, Permission.STOCK_ADJUST)
    body = parse_body(app, StockAdjustmentIn)
    result = services.catalog.adjust_stock(who, skuId, delta=body.delta, reason=body.reason, note=body.note)
    return json_response(201, result)


@logger.inject_lambda_context(clear_state=True, correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


def __getattr__(name: str) -> Any:
    """`catalog`: the function's catalog service, built at its first use (not at import: cold start)."""
    if name == "catalog":
        return services.catalog
    raise AttributeError(name)
