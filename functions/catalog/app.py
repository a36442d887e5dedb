"""Catalog: stores (shipping settings), products, SKUs and stock adjustments. Reads are public."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from oms import snapstart, wiring
from oms.api.catalog_schemas import (
    ImageOrderIn,
    ImageUploadIn,
    ProductIn,
    ProductPatch,
    SkuIn,
    SkuPatch,
    StockAdjustmentIn,
    StoreIn,
)
from oms.api.catalog_views import (
    ImageUpload,
    Product,
    ProductImages,
    ProductPage,
    ProductSummary,
    Sku,
    StockAdjustment,
    Store,
)
from oms.api.http import actor, answer, etag, if_match, make_resolver
from oms.api.ids import NAME_ID_MAX, NAME_ID_PATTERN
from oms.api.params import IfMatch
from oms.api.problems import HttpProblem
from oms.domain.catalog import NewSku
from oms.domain.permissions import Permission

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


# ---------------------------------------------------------------- images (docs/images.md)
@app.endpoint("GET", "/products/{productId}/images", permits=Permission.CATALOG_WRITE, headers=("ETag",))
def list_product_images(productId: str) -> Response[ProductImages]:
    """Every image of a product in every state (PENDING, READY, REJECTED with its reason), ordered."""
    images = services.images.images(actor(app), productId)
    return Response(200, "application/json", answer(ProductImages, images), etag(images["version"]))


@app.endpoint(
    "POST",
    "/products/{productId}/images",
    status=201,
    permits=Permission.CATALOG_WRITE,
    problems=(409,),
    headers=("ETag",),
)
def upload_product_image(productId: str, body: Annotated[ImageUploadIn, Body()]) -> Response[ImageUpload]:
    """A PENDING image and a presigned POST form for its file (exact key, type and size in the policy)."""
    upload = services.images.upload(actor(app), productId, body.skuId, body.contentType, body.size)
    return Response(201, "application/json", answer(ImageUpload, upload), etag(upload["productVersion"]))


@app.endpoint(
    "DELETE",
    "/products/{productId}/images/{imageId}",
    permits=Permission.CATALOG_WRITE,
    problems=(400, 412),  # 400: an If-Match that is no ETag of this API
    headers=("ETag",),
)
def delete_product_image(productId: str, imageId: str, ifMatch: IfMatch = None) -> Response[ProductImages]:
    """Remove an image and its files (with If-Match only if the product still has that version); the rest."""
    images = services.images.delete(actor(app), productId, imageId, if_match(app))
    return Response(200, "application/json", answer(ProductImages, images), etag(images["version"]))


@app.endpoint(
    "PUT",
    "/products/{productId}/images/order",
    permits=Permission.CATALOG_WRITE,
    problems=(412,),
    headers=("ETag",),
)
def order_product_images(
    productId: str, body: Annotated[ImageOrderIn, Body()], ifMatch: IfMatch = None
) -> Response[ProductImages]:
    """Set the order of a product's images (the first READY one is the main image); If-Match: the product's version."""
    images = services.images.set_order(actor(app), productId, list(body.imageIds), if_match(app))
    return Response(200, "application/json", answer(ProductImages, images), etag(images["version"]))


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


@logger.inject_lambda_context(clear_state=True, correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


def __getattr__(name: str) -> Any:
    """`catalog`: the function's catalog service, built at its first use (not at import: cold start)."""
    if name == "catalog":
        return services.catalog
    raise AttributeError(name)
