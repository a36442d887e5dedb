"""Catalog: stores (shipping settings), products, SKUs, stock adjustments (one or a batch), stocktakes and
stock history. Catalog reads are public; stocktakes and a SKU's stock history are staff's."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from oms import snapstart, wiring
from oms.api.catalog_schemas import (
    CategoryDeleteIn,
    CategoryIn,
    CategoryPatch,
    FreightTemplateIn,
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
    CatalogCategory,
    CategoryDeletion,
    CategoryTree,
    FreightTemplate,
    FreightTemplateList,
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
from oms.api.params import Cursor, IdempotencyKey, IfMatch, Limit, replayed_header
from oms.api.problems import HttpProblem
from oms.api.product_search_views import ProductHitPage
from oms.api.stock_schemas import StockBatchIn, StocktakeIn, batch_from_csv
from oms.api.stock_views import StockBatchAnswer, StockMovementPage, Stocktake, StocktakePage
from oms.domain.catalog import NewSku
from oms.domain.permissions import Permission
from oms.domain.product_search import SearchSort
from oms.domain.splitting import HandlingClass
from oms.domain.stock import MovementKind
from oms.domain.stock_ops import AdjustmentLine, CountLine
from oms.services.idempotency import request_fingerprint

MAX_PRICE = 10**13  # minor units: beyond any price (and within the index's 15 digits)

logger = Logger()
app = make_resolver(logger, tag="Catalog")
services = wiring.services()
snapstart.build_before_snapshot(services, "catalog", "stock_ops", "categories")


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
        handling=HandlingClass.VIRTUAL.value if sku.virtual else sku.handling.value,
        cross_border=sku.crossBorder,
        member_prices={tier: price.money() for tier, price in sku.memberPrices.items()},
        freight_template_id=sku.freightTemplateId,
        low_stock_threshold=sku.lowStockThreshold,
        virtual=sku.virtual.spec() if sku.virtual else None,
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
        low_stock_threshold=body.lowStockThreshold,
        if_match=if_match(app),
        actor=actor(app),
    )
    return Response(201 if created else 200, "application/json", answer(Store, store), etag(store["version"]))


# ---------------------------------------------------------------- categories
CATEGORIES = "/stores/{storeId}/categories"
CATEGORY = "/stores/{storeId}/categories/{categoryId}"


@app.endpoint("POST", CATEGORIES, status=201, permits=Permission.CATALOG_WRITE, problems=(409,), headers=("ETag",))
def create_category(storeId: str, body: Annotated[CategoryIn, Body()]) -> Response[CatalogCategory]:
    """Add a category to the store's tree (a root, or under `parentId`), within the tree's limits."""
    category = services.categories.create(
        actor(app), storeId, name=body.name, parent_id=body.parentId, sort_order=body.sortOrder
    )
    return Response(201, "application/json", answer(CatalogCategory, category), etag(category["version"]))


@app.endpoint("GET", CATEGORIES)
def category_tree(storeId: str) -> CategoryTree:
    """The store's category tree, nested, each level by sort order then name."""
    return answer(CategoryTree, {"storeId": storeId, "categories": services.categories.tree(storeId)})


@app.endpoint("GET", CATEGORY, headers=("ETag",))
def get_category(storeId: str, categoryId: str) -> Response[CatalogCategory]:
    """One category (ETag: its version)."""
    category = services.categories.category(storeId, categoryId)
    return Response(200, "application/json", answer(CatalogCategory, category), etag(category["version"]))


@app.endpoint("PATCH", CATEGORY, permits=Permission.CATALOG_WRITE, problems=(409, 412), headers=("ETag",))
def change_category(
    storeId: str, categoryId: str, body: Annotated[CategoryPatch, Body()], ifMatch: IfMatch = None
) -> Response[CatalogCategory]:
    """Rename, reorder (`sortOrder`) or move (`parentId`; null: a root) a category; never into its own subtree.
    Its subtree's products are re-filed at their new paths just after a move."""
    changes: dict[str, Any] = {k: getattr(body, k) for k in body.model_fields_set}
    category = services.categories.change(actor(app), storeId, categoryId, changes, if_match(app))
    return Response(200, "application/json", answer(CatalogCategory, category), etag(category["version"]))


@app.endpoint("DELETE", CATEGORY, permits=Permission.CATALOG_WRITE, problems=(409, 412))
def delete_category(
    storeId: str, categoryId: str, body: Annotated[CategoryDeleteIn | None, Body()] = None, ifMatch: IfMatch = None
) -> CategoryDeletion:
    """Delete a category without child categories: empty, or with its products reassigned to `reassignTo` (another
    category of the store; they are re-filed there just after)."""
    reassign_to = body.reassignTo if body is not None else None
    deletion = services.categories.delete(actor(app), storeId, categoryId, reassign_to, if_match(app))
    return answer(CategoryDeletion, deletion)


# ---------------------------------------------------------------- freight templates
FREIGHT_TEMPLATE = "/stores/{storeId}/freight-templates/{freightTemplateId}"


@app.endpoint("GET", "/stores/{storeId}/freight-templates")
def list_freight_templates(storeId: str) -> FreightTemplateList:
    """A store's freight templates and its default (a template, or its flat fee as `flat-fee`)."""
    return answer(FreightTemplateList, services.freight.list(storeId))


@app.endpoint("GET", FREIGHT_TEMPLATE, headers=("ETag",))
def get_freight_template(storeId: str, freightTemplateId: str) -> Response[FreightTemplate]:
    """One freight template (ETag: its version)."""
    template = services.freight.get(storeId, freightTemplateId)
    return Response(200, "application/json", answer(FreightTemplate, template), etag(template["version"]))


@app.endpoint(
    "PUT",
    FREIGHT_TEMPLATE,
    permits=Permission.STORE_WRITE,
    problems=(400, 404, 409, 412),
    also={201: "Created: the store had no template with this id"},
    headers=("ETag",),
)
def put_freight_template(
    storeId: str, freightTemplateId: str, body: Annotated[FreightTemplateIn, Body()], ifMatch: IfMatch = None
) -> Response[FreightTemplate]:
    """Create or replace a freight template (audited); with If-Match only if it still has that version."""
    template, created = services.freight.put(
        actor(app), storeId, body.template(freightTemplateId), is_default=body.isDefault, if_match=if_match(app)
    )
    status = 201 if created else 200
    return Response(status, "application/json", answer(FreightTemplate, template), etag(template["version"]))


@app.endpoint("DELETE", FREIGHT_TEMPLATE, permits=Permission.STORE_WRITE, problems=(400, 404, 409, 412))
def delete_freight_template(storeId: str, freightTemplateId: str, ifMatch: IfMatch = None) -> FreightTemplateList:
    """Delete a freight template (audited); its SKUs ship by the store's default. Answers the list without it."""
    services.freight.delete(actor(app), storeId, freightTemplateId, if_match=if_match(app))
    return answer(FreightTemplateList, services.freight.list(storeId))


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
        category_id=body.categoryId,
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
    category: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=NAME_ID_MAX,
            pattern=NAME_ID_PATTERN,
            description="A category of the store: its products and its descendants' (by category path).",
        ),
    ] = None,
) -> ProductPage:
    """A store's products (without their SKUs), a page at a time; of one category and its descendants."""
    if category is not None:
        page = services.categories.products(store, category, limit, cursor)
        return answer(ProductPage, {"items": page.items, "next_cursor": page.next_cursor})
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
    if any(value is None for key, value in changes.items() if key not in ("freightTemplateId", "lowStockThreshold")):
        raise HttpProblem(
            422,
            "validation-failed",
            "The request is not valid",
            "fields of a SKU cannot be removed",
            errors=[
                {"field": k, "message": "must not be null", "code": "null"}
                for k, v in changes.items()
                if v is None and k not in ("freightTemplateId", "lowStockThreshold")
            ],
        )
    if "attributes" in changes:
        changes["attributes"] = dict(changes["attributes"])
    if "memberPrices" in changes:
        changes["memberPrices"] = {tier: price.money() for tier, price in changes["memberPrices"].items()}
    if "virtual" in changes:
        changes["virtual"] = changes["virtual"].spec()
    sku = services.catalog.update_sku(skuId, changes, if_match(app))
    return Response(200, "application/json", answer(Sku, sku), etag(sku["version"]))


@app.endpoint("POST", "/skus/{skuId}/stock-adjustments", status=201, permits=Permission.STOCK_ADJUST, problems=(409,))
def adjust_stock(skuId: str, body: Annotated[StockAdjustmentIn, Body()]) -> StockAdjustment:
    """Restock or correct a SKU's stock, with an audit record; available never goes below zero."""
    result = services.catalog.adjust_stock(actor(app), skuId, delta=body.delta, reason=body.reason, note=body.note)
    return answer(StockAdjustment, result)


# ---------------------------------------------------------------- stock operations (oms.services.stock_ops)
@app.endpoint(
    "POST",
    "/stock-adjustments/batch",
    permits=Permission.STOCK_ADJUST,
    problems=(400, 409),
    headers=("Idempotent-Replayed",),
    csv=batch_from_csv,
)
def adjust_stock_batch(body: Annotated[StockBatchIn, Body()], key: IdempotencyKey) -> Response[StockBatchAnswer]:
    """Up to 200 stock adjustments, JSON or a CSV upload (`text/csv`, header `skuId,delta,reason,note`, at most
    64 KB): each line its own audited transaction with its own result (applied, refused, or retry after a
    transient fault: send the same request again). The same Idempotency-Key and body never apply a line twice."""
    lines = [AdjustmentLine(x.skuId, x.delta, x.reason, x.note) for x in body.lines]
    fingerprint = request_fingerprint(body.model_dump(mode="json"))
    status, result, replayed = services.stock_ops.adjust_batch(actor(app), lines, key, fingerprint)
    return Response(status, "application/json", answer(StockBatchAnswer, result), replayed_header(replayed))


@app.endpoint(
    "POST",
    "/stocktakes",
    status=201,
    permits=Permission.STOCK_ADJUST,
    problems=(400, 409),
    also={202: "Some lines answer retry (a transient fault): send the same request again"},
    headers=("Idempotent-Replayed",),
)
def stocktake(body: Annotated[StocktakeIn, Body()], key: IdempotencyKey) -> Response[Stocktake]:
    """Count some of a store's SKUs: each counted quantity (sellable units no order holds) becomes the SKU's
    available, the difference a `stocktake` movement; the record (who, when, before/counted/difference) is
    kept and audited. The same Idempotency-Key and body never count a line twice."""
    lines = [CountLine(x.skuId, x.counted) for x in body.lines]
    fingerprint = request_fingerprint(body.model_dump(mode="json"))
    status, result, replayed = services.stock_ops.stocktake(
        actor(app), body.storeId, lines, body.note, key, fingerprint
    )
    return Response(status, "application/json", answer(Stocktake, result), replayed_header(replayed))


@app.endpoint("GET", "/stocktakes", permits=Permission.STOCK_ADJUST)
def list_stocktakes(
    store: Annotated[
        str, Query(min_length=1, max_length=NAME_ID_MAX, pattern=NAME_ID_PATTERN, description="The store's id.")
    ],
    limit: Limit = None,
    cursor: Cursor = None,
) -> StocktakePage:
    """A store's stocktakes, newest first, without their lines."""
    return answer(StocktakePage, services.stock_ops.list(actor(app), store, limit, cursor))


@app.endpoint("GET", "/stocktakes/{stocktakeId}", permits=Permission.STOCK_ADJUST)
def get_stocktake(stocktakeId: str) -> Stocktake:
    """A stocktake with every line: available before, counted, the difference and its movement."""
    return answer(Stocktake, services.stock_ops.get(actor(app), stocktakeId))


KINDS = "|".join(k.value for k in MovementKind)


@app.endpoint("GET", "/skus/{skuId}/stock-movements", permits=(Permission.STOCK_READ, Permission.STOCK_ADJUST))
def stock_movements(
    skuId: str,
    kind: Annotated[
        str | None,
        Query(max_length=200, pattern=f"^({KINDS})(,({KINDS}))*$", description="Kinds, comma-separated."),
    ] = None,
    from_: Annotated[str | None, Query(alias="from", max_length=40, description="RFC 3339 (inclusive).")] = None,
    to: Annotated[str | None, Query(max_length=40, description="RFC 3339 (exclusive).")] = None,
    limit: Limit = None,
    cursor: Cursor = None,
) -> StockMovementPage:
    """What moved a SKU's stock, newest first: reservations, releases, sales, returns, damaged units,
    adjustments and stocktakes, each with its counter changes, the counters after it, who, what it belongs
    to (order, case) and why. Merchant staff see their stores' SKUs only."""
    page = services.stock_history.movements(
        actor(app),
        skuId,
        kinds=kind.split(",") if kind else (),
        time_from=from_,
        time_to=to,
        limit=limit,
        cursor=cursor,
    )
    return answer(StockMovementPage, {"items": page.items, "next_cursor": page.next_cursor})


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
