"""Catalog: stores (shipping settings), products, SKUs and stock adjustments. Reads are public."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from oms import snapstart, wiring
from oms.api.catalog_schemas import ProductIn, ProductPatch, SkuIn, SkuPatch, StockAdjustmentIn, StoreIn
from oms.api.catalog_views import Product, ProductPage, ProductSummary, Sku, StockAdjustment, Store
from oms.api.http import actor, answer, etag, if_match, make_resolver
from oms.api.ids import NAME_ID_MAX, NAME_ID_PATTERN
from oms.api.params import IfMatch
from oms.api.problems import HttpProblem
from oms.api.product_search_views import ProductHitPage
from oms.domain.catalog import NewSku
from oms.domain.permissions import Permission
from oms.domain.product_search import SearchSort

MAX_PRICE = 10**13  # minor units: beyond any price (and within the index's 15 digits)

logger = Logger()
app = make_resolver(logger, tag="Catalog")
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
@app.endpoint("GET", "/stores/{storeId}", headers=("ETag",))
def get_store(storeId: str) -> Response[Store]:
    """A store's shipping and stock settings (ETag: its version)."""
    store = services.catalog.store(storeId)
    return Response(200, "application/json", answer(Store, store), etag(store["version"]))


@app.endpoint(
    "PUT",
    "/stores/{storeId}",
    permits=Permission.STORE_WRITE,
    problems=(409, 412),
    also={201: "Created: there was no store with this id"},
    headers=("ETag",),
)
def put_store(storeId: str, body: Annotated[StoreIn, Body()], ifMatch: IfMatch = None) -> Response[Store]:
    """Create or replace a store; with If-Match only if it still has that version."""
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
        settlement_days=body.settlementDays,
        commission_bps=body.commissionBps,
        if_match=if_match(app),
        actor=actor(app),
    )
    return Response(201 if created else 200, "application/json", answer(Store, store), etag(store["version"]))


# ---------------------------------------------------------------- products
@app.endpoint(
    "POST",
    "/products",
    status=201,
    permits=Permission.CATALOG_WRITE,
    problems=(409,),
    headers=(
        "ETag",
        "Location",
    ),
)
def create_product(body: Annotated[ProductIn, Body()]) -> Response[Product]:
    """Create a product with its SKUs and their stock, in one transaction."""
    product = services.catalog.create_product(
        store_id=body.storeId,
        name=body.name,
        description=body.description,
        category=body.category,
        attributes=dict(body.attributes),
        skus=[_new_sku(s) for s in body.skus],
    )
    headers = {"Location": f"/products/{product['productId']}", **etag(product["version"])}
    return Response(201, "application/json", answer(Product, product), headers)


@app.endpoint("GET", "/products")
def list_products(
    store: Annotated[
        str, Query(min_length=1, max_length=NAME_ID_MAX, pattern=NAME_ID_PATTERN, description="The store's id.")
    ],
    limit: Annotated[int | None, Query(description="Items per page (default 20, at most 100).")] = None,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page.")] = None,
) -> ProductPage:
    """A store's products (without their SKUs), a page at a time."""
    page = services.catalog.products(store, limit, cursor)
    return answer(ProductPage, {"items": page.items, "next_cursor": page.next_cursor})


@app.endpoint("GET", "/products/{productId}", headers=("ETag",))
def get_product(productId: str) -> Response[Product]:
    """A product with its SKUs and their availability (ETag: its version)."""
    product = services.catalog.product(productId)
    return Response(200, "application/json", answer(Product, product), etag(product["version"]))


@app.endpoint("PATCH", "/products/{productId}", permits=Permission.CATALOG_WRITE, problems=(412,), headers=("ETag",))
def update_product(
    productId: str, body: Annotated[ProductPatch, Body()], ifMatch: IfMatch = None
) -> Response[ProductSummary]:
    """Change a product's fields (null removes one); with If-Match only if it still has that version."""
    changes: dict[str, Any] = body.model_dump(exclude_unset=True)
    product = services.catalog.update_product(productId, changes, if_match(app))
    return Response(200, "application/json", answer(ProductSummary, product), etag(product["version"]))


@app.endpoint(
    "POST",
    "/products/{productId}/skus",
    status=201,
    permits=Permission.CATALOG_WRITE,
    problems=(409,),
    headers=(
        "ETag",
        "Location",
    ),
)
def add_sku(productId: str, body: Annotated[SkuIn, Body()]) -> Response[Sku]:
    """Add a SKU (and its stock) to a product."""
    sku = services.catalog.add_sku(productId, _new_sku(body))
    headers = {"Location": f"/skus/{sku['skuId']}", **etag(sku["version"])}
    return Response(201, "application/json", answer(Sku, sku), headers)


# ---------------------------------------------------------------- SKUs and stock
@app.endpoint("GET", "/skus/{skuId}", headers=("ETag",))
def get_sku(skuId: str) -> Response[Sku]:
    """A SKU with its availability (ETag: its version)."""
    sku = services.catalog.sku(skuId)
    return Response(200, "application/json", answer(Sku, sku), etag(sku["version"]))


@app.endpoint("PATCH", "/skus/{skuId}", permits=Permission.CATALOG_WRITE, problems=(412,), headers=("ETag",))
def update_sku(skuId: str, body: Annotated[SkuPatch, Body()], ifMatch: IfMatch = None) -> Response[Sku]:
    """Change a SKU's fields (a price keeps its currency); with If-Match only if it still has that version."""
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
    return Response(200, "application/json", answer(Sku, sku), etag(sku["version"]))


@app.endpoint("POST", "/skus/{skuId}/stock-adjustments", status=201, permits=Permission.STOCK_ADJUST, problems=(409,))
def adjust_stock(skuId: str, body: Annotated[StockAdjustmentIn, Body()]) -> StockAdjustment:
    """Restock or correct a SKU's stock, with an audit record; available never goes below zero."""
    result = services.catalog.adjust_stock(actor(app), skuId, delta=body.delta, reason=body.reason, note=body.note)
    return answer(StockAdjustment, result)


# ---------------------------------------------------------------- shopper product search
@app.endpoint("GET", "/search/products")
def search_products(
    q: Annotated[
        str | None, Query(max_length=100, description="Keyword over names and attribute values (Chinese: any run).")
    ] = None,
    store: Annotated[
        str | None, Query(min_length=1, max_length=NAME_ID_MAX, pattern=NAME_ID_PATTERN, description="One store.")
    ] = None,
    category: Annotated[
        str | None,
        Query(min_length=1, max_length=NAME_ID_MAX, pattern=NAME_ID_PATTERN, description="With its descendants."),
    ] = None,
    priceMin: Annotated[
        int | None, Query(ge=0, le=MAX_PRICE, description="Lowest price at least this (minor units, its currency).")
    ] = None,
    priceMax: Annotated[
        int | None, Query(ge=0, le=MAX_PRICE, description="Lowest price at most this (minor units, its currency).")
    ] = None,
    attr: Annotated[
        str | None, Query(max_length=200, description="`name:value,name:value`: every pair must match.")
    ] = None,
    sort: Annotated[SearchSort, Query(description="relevance (default), price, -price, sales or newest.")] = (
        SearchSort.RELEVANCE
    ),
    limit: Annotated[int | None, Query(description="Items per page (default 20, at most 100).")] = None,
    cursor: Annotated[str | None, Query(max_length=4096, description="`next_cursor` of the previous page.")] = None,
) -> ProductHitPage:
    """Active products by keyword, store, category (and its descendants), price and attributes, in the order
    asked; a page reads a bounded number of index rows and may hold fewer than `limit` products yet have a
    `next_cursor` (docs/search.md)."""
    page = services.product_search.search(
        q,
        store_id=store,
        category_id=category,
        price_min=priceMin,
        price_max=priceMax,
        attributes=attr,
        sort=sort,
        limit=limit,
        cursor=cursor,
    )
    return answer(ProductHitPage, {"items": page.items, "next_cursor": page.next_cursor})


@logger.inject_lambda_context(clear_state=True, correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


def __getattr__(name: str) -> Any:
    """`catalog`: the function's catalog service, built at its first use (not at import: cold start)."""
    if name == "catalog":
        return services.catalog
    raise AttributeError(name)
