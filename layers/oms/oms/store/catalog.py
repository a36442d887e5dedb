"""Catalog repository: stores, products, SKUs and their stock counters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.update import Action

from oms.domain.catalog import (
    ShippingPolicy,
    Sku,
    SkuStatus,
    StockAdjustmentReason,
    StockLevel,
    StockPolicy,
    check_adjustment,
)
from oms.domain.errors import Conflict, InvalidRequest, NotFound, PreconditionFailed
from oms.domain.ids import new_id
from oms.domain.money import Money
from oms.domain.order_pricing import SkuTerms
from oms.domain.payment import LatePaymentPolicy
from oms.domain.permissions import Actor
from oms.store import keys
from oms.store.models import (
    Item,
    MoneyAttribute,
    ProductItem,
    SkuItem,
    StockItem,
    StockMovementItem,
    StoreDirectoryItem,
    StoreItem,
)
from oms.store.pages import Page, clamp_limit, decode_cursor, encode_cursor
from oms.store.transactions import Transaction, TransactionCancelled


# ---------------------------------------------------------------- conversions
def _open_store_directory() -> None:
    """Give the directory its `stores` map, once in a table's life (an UpdateItem creates the item; the
    map is set only if it is absent, so concurrent first stores all keep what the others wrote)."""
    StoreDirectoryItem(*keys.STORE_DIRECTORY).update(
        [
            StoreDirectoryItem.stores.set(StoreDirectoryItem.stores | {}),
            StoreDirectoryItem.type.set(StoreDirectoryItem),  # the discriminator, so reads know the kind
        ]
    )


def store_view(item: StoreItem) -> dict[str, Any]:
    return {
        "storeId": item.storeId,
        "name": item.name,
        "currency": item.currency,
        "shippingFee": item.shippingFee.money().to_dict(),
        "freeShippingThreshold": item.freeShippingThreshold.money().to_dict() if item.freeShippingThreshold else None,
        "stockPolicy": item.stockPolicy or StockPolicy.RESERVE_AT_ORDER.value,
        "latePaymentPolicy": item.latePaymentPolicy or LatePaymentPolicy.REFUND.value,
        "version": int(item.version),
        "updatedAt": item.updatedAt,
    }


def policies_from_directory(item: StoreDirectoryItem | None) -> dict[str, ShippingPolicy]:
    if item is None:
        return {}
    result = {}
    for store_id, p in item.all_policies().items():
        threshold = p.get("freeShippingThreshold")
        result[store_id] = ShippingPolicy(
            store_id=store_id,
            currency=p["currency"],
            flat_fee=Money.from_dict(p["shippingFee"]),
            free_threshold=Money.from_dict(threshold) if threshold else None,
        )
    return result


def stock_policies_from_directory(item: StoreDirectoryItem | None) -> dict[str, StockPolicy]:
    if item is None:
        return {}
    return {
        store_id: StockPolicy(p.get("stockPolicy") or StockPolicy.RESERVE_AT_ORDER.value)
        for store_id, p in item.all_policies().items()
    }


def sku_domain(item: SkuItem) -> Sku:
    return Sku(
        sku_id=item.skuId,
        product_id=item.productId,
        store_id=item.storeId,
        name=item.name,
        unit_price=item.price.money(),
        warehouse_id=item.warehouseId,
        weight_grams=int(item.weightGrams),
        status=SkuStatus(item.status),
    )


def sku_terms(item: SkuItem) -> SkuTerms:
    return SkuTerms(category_id=item.categoryId, points_price=int(item.pointsPrice or 0))


def stock_level(item: StockItem) -> StockLevel:
    return StockLevel(
        available=int(item.available),
        reserved=int(item.reserved),
        sold=int(item.sold),
        received=int(item.received),
        adjusted=int(item.adjusted),
    )


def sku_view(item: SkuItem, stock: StockItem | None) -> dict[str, Any]:
    return {
        "skuId": item.skuId,
        "productId": item.productId,
        "storeId": item.storeId,
        "name": item.name,
        "price": item.price.money().to_dict(),
        "warehouseId": item.warehouseId,
        "weightGrams": int(item.weightGrams),
        "attributes": item.attributes or {},
        "categoryId": item.categoryId,
        "pointsPrice": int(item.pointsPrice or 0),
        "handling": item.handling or "normal",
        "crossBorder": item.crossBorder == "true",
        "status": item.status,
        "available": int(stock.available) if stock else 0,
        "version": int(item.version),
    }


def product_view(item: ProductItem, skus: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    view: dict[str, Any] = {
        "productId": item.productId,
        "storeId": item.storeId,
        "name": item.name,
        "description": item.description,
        "category": item.category,
        "attributes": item.attributes or {},
        "status": item.status,
        "version": int(item.version),
        "createdAt": item.createdAt,
        "updatedAt": item.updatedAt,
    }
    if skus is not None:
        view["skus"] = skus
    return view


@dataclass(frozen=True)
class NewSku:
    sku_id: str | None
    name: str
    price: Money
    stock: int
    warehouse_id: str
    weight_grams: int
    attributes: dict[str, str]
    category_id: str | None = None  # None: the product's category
    points_price: int = 0
    handling: str = "normal"
    cross_border: bool = False


# ---------------------------------------------------------------- repository
class CatalogRepository:
    # ---- stores
    def get_store(self, store_id: str) -> dict[str, Any]:
        try:
            return store_view(StoreItem.get(*keys.store(store_id)))
        except DoesNotExist as error:
            raise NotFound(f"store {store_id} not found") from error

    def put_store(
        self,
        store_id: str,
        *,
        name: str,
        currency: str,
        shipping_fee: Money,
        free_threshold: Money | None,
        stock_policy: StockPolicy = StockPolicy.RESERVE_AT_ORDER,
        late_payment_policy: LatePaymentPolicy = LatePaymentPolicy.REFUND,
        if_match: int | None,
        now: str,
    ) -> tuple[dict[str, Any], bool]:
        """Create or replace a store; its shipping policy goes into the directory checkout reads."""

        def attempt() -> tuple[dict[str, Any], bool]:
            found = {
                (i.PK, i.SK): i
                for i in Item.batch_get([keys.store(store_id), keys.STORE_DIRECTORY], consistent_read=True)
            }
            existing = found.get(keys.store(store_id))
            directory = found.get(keys.STORE_DIRECTORY)
            assert existing is None or isinstance(existing, StoreItem)
            assert directory is None or isinstance(directory, StoreDirectoryItem)
            if if_match is not None and (existing is None or int(existing.version) != if_match):
                raise PreconditionFailed("the store has changed since you read it (If-Match)")
            version = int(existing.version) + 1 if existing else 1
            store = StoreItem(
                *keys.store(store_id),
                storeId=store_id,
                name=name,
                currency=currency,
                shippingFee=MoneyAttribute.of(shipping_fee),
                freeShippingThreshold=MoneyAttribute.of(free_threshold) if free_threshold else None,
                stockPolicy=stock_policy.value,
                latePaymentPolicy=late_payment_policy.value,
                version=version,
                updatedAt=now,
            )
            if directory is None or directory.stores is None:
                _open_store_directory()
            policy = {
                "currency": currency,
                "shippingFee": shipping_fee.to_dict(),
                "freeShippingThreshold": free_threshold.to_dict() if free_threshold else None,
                "stockPolicy": stock_policy.value,
            }
            tx = Transaction()
            tx.put(
                "store",
                store,
                StoreItem.version == int(existing.version) if existing else StoreItem.PK.does_not_exist(),
            )
            # Only this store's entry: no condition on the directory as a whole, so stores created or
            # edited at the same time do not conflict; the store's own condition orders edits of one store.
            tx.update(
                "directory",
                StoreDirectoryItem(*keys.STORE_DIRECTORY),
                [StoreDirectoryItem.stores[store_id].set(policy)],
                StoreDirectoryItem.stores.exists(),
            )
            try:
                tx.commit()
            except TransactionCancelled as cancelled:
                raise Conflict("the store was changed concurrently; retry") from cancelled
            return store_view(store), existing is None

        return attempt()

    # ---- products and SKUs
    def create_product(
        self,
        *,
        store_id: str,
        name: str,
        description: str | None,
        category: str | None,
        attributes: dict[str, str],
        skus: list[NewSku],
        now: str,
    ) -> dict[str, Any]:
        currencies = {s.price.currency for s in skus}
        if len(currencies) > 1:
            raise InvalidRequest("all SKUs of a product are priced in the store's currency", field="skus")
        product_id = new_id()
        product = ProductItem(
            *keys.product(product_id),
            GSI1PK=keys.product_gsi1(product_id),
            GSI1SK="#META",
            GSI2PK=keys.store_products_gsi2(store_id),
            GSI2SK=product_id,
            productId=product_id,
            storeId=store_id,
            name=name,
            description=description,
            category=category,
            attributes=attributes,
            status="ACTIVE",
            version=1,
            createdAt=now,
            updatedAt=now,
        )
        tx = Transaction()
        store_condition = StoreItem.PK.exists()
        if currencies:
            store_condition &= StoreItem.currency == next(iter(currencies))
        tx.check("store", StoreItem(*keys.store(store_id)), store_condition)
        tx.put("product", product, ProductItem.PK.does_not_exist())
        created = [self._add_sku_actions(tx, product_id, store_id, s, now, category) for s in skus]
        self._commit_catalog_tx(tx, store_id)
        return product_view(product, [sku_view(sku, stock) for sku, stock in created])

    def add_sku(self, product_id: str, new_sku: NewSku, now: str) -> dict[str, Any]:
        product = self._get_product_item(product_id)
        tx = Transaction()
        tx.check(
            "store",
            StoreItem(*keys.store(product.storeId)),
            StoreItem.PK.exists() & (StoreItem.currency == new_sku.price.currency),
        )
        tx.check("product", ProductItem(*keys.product(product_id)), ProductItem.PK.exists())
        sku, stock = self._add_sku_actions(tx, product_id, product.storeId, new_sku, now, product.category)
        self._commit_catalog_tx(tx, product.storeId)
        return sku_view(sku, stock)

    @staticmethod
    def _add_sku_actions(
        tx: Transaction, product_id: str, store_id: str, new_sku: NewSku, now: str, category: str | None
    ) -> tuple[SkuItem, StockItem]:
        sku_id = new_sku.sku_id or new_id()
        sku = SkuItem(
            *keys.sku(sku_id),
            GSI1PK=keys.product_gsi1(product_id),
            GSI1SK=f"SKU#{sku_id}",
            skuId=sku_id,
            productId=product_id,
            storeId=store_id,
            name=new_sku.name,
            price=MoneyAttribute.of(new_sku.price),
            warehouseId=new_sku.warehouse_id,
            weightGrams=new_sku.weight_grams,
            attributes=new_sku.attributes,
            categoryId=new_sku.category_id or category,
            pointsPrice=new_sku.points_price,
            handling=new_sku.handling,
            crossBorder="true" if new_sku.cross_border else "false",
            status=SkuStatus.ACTIVE.value,
            version=1,
            createdAt=now,
            updatedAt=now,
        )
        stock = StockItem(
            *keys.stock(sku_id),
            skuId=sku_id,
            available=new_sku.stock,
            reserved=0,
            sold=0,
            received=new_sku.stock,
            adjusted=0,
            updatedAt=now,
        )
        tx.put(("sku", sku_id), sku, SkuItem.PK.does_not_exist())
        tx.put(("stock", sku_id), stock, StockItem.PK.does_not_exist())
        return sku, stock

    @staticmethod
    def _commit_catalog_tx(tx: Transaction, store_id: str) -> None:
        try:
            tx.commit()
        except TransactionCancelled as cancelled:
            if cancelled.failed(lambda label: label == "store"):
                raise InvalidRequest(
                    f"store {store_id} does not exist or prices in another currency", field="storeId"
                ) from cancelled
            if cancelled.failed(lambda label: label == "product"):
                raise NotFound("product not found") from cancelled
            taken = sorted({f.label[1] for f in cancelled.failed(lambda label: isinstance(label, tuple))})  # type: ignore[index]
            if taken:
                raise Conflict(f"SKU id already exists: {', '.join(taken)}", skuIds=taken) from cancelled
            raise

    def _get_product_item(self, product_id: str) -> ProductItem:
        try:
            return ProductItem.get(*keys.product(product_id))
        except DoesNotExist as error:
            raise NotFound(f"product {product_id} not found") from error

    def update_product(
        self, product_id: str, changes: dict[str, Any], if_match: int | None, now: str
    ) -> dict[str, Any]:
        item = ProductItem(*keys.product(product_id))
        actions: list[Action] = [ProductItem.version.add(1), ProductItem.updatedAt.set(now)]
        for name, value in changes.items():
            attribute = getattr(ProductItem, name)
            actions.append(attribute.remove() if value is None else attribute.set(value))
        condition = ProductItem.PK.exists()
        if if_match is not None:
            condition &= ProductItem.version == if_match
        tx = Transaction()  # one conditional write, re-sent by the store when it loses a race
        tx.update("product", item, actions, condition)
        try:
            tx.commit()
        except TransactionCancelled as cancelled:
            self._get_product_item(product_id)  # raises NotFound when it is missing
            raise PreconditionFailed("the product has changed since you read it (If-Match)") from cancelled
        return product_view(ProductItem.get(*keys.product(product_id), consistent_read=True))

    def get_product(self, product_id: str) -> dict[str, Any]:
        product: ProductItem | None = None
        skus: list[SkuItem] = []
        for item in Item.gsi1.query(keys.product_gsi1(product_id)):
            if isinstance(item, ProductItem):
                product = item
            elif isinstance(item, SkuItem):
                skus.append(item)
        if product is None:
            raise NotFound(f"product {product_id} not found")
        stocks = self._stocks([s.skuId for s in skus])
        return product_view(product, [sku_view(s, stocks.get(s.skuId)) for s in skus])

    def list_products(self, store_id: str, limit: int | None, cursor: str | None) -> Page[dict[str, Any]]:
        partition = keys.store_products_gsi2(store_id)
        results = Item.gsi2.query(
            partition,
            limit=clamp_limit(limit),
            last_evaluated_key=decode_cursor(cursor, partition_attr="GSI2PK", partition_value=partition),
        )
        items = [product_view(i) for i in results if isinstance(i, ProductItem)]
        return Page(items, encode_cursor(results.last_evaluated_key))

    def _stocks(self, sku_ids: list[str]) -> dict[str, StockItem]:
        if not sku_ids:
            return {}
        return {i.skuId: i for i in StockItem.batch_get([keys.stock(s) for s in sku_ids]) if isinstance(i, StockItem)}

    def get_sku(self, sku_id: str) -> dict[str, Any]:
        found = {i.SK: i for i in Item.batch_get([keys.sku(sku_id), keys.stock(sku_id)])}
        sku, stock = found.get("META"), found.get("STOCK")
        if not isinstance(sku, SkuItem):
            raise NotFound(f"SKU {sku_id} not found")
        return sku_view(sku, stock if isinstance(stock, StockItem) else None)

    def update_sku(self, sku_id: str, changes: dict[str, Any], if_match: int | None, now: str) -> dict[str, Any]:
        try:
            current = SkuItem.get(*keys.sku(sku_id))
        except DoesNotExist as error:
            raise NotFound(f"SKU {sku_id} not found") from error
        if if_match is not None and int(current.version) != if_match:
            raise PreconditionFailed("the SKU has changed since you read it (If-Match)")
        actions: list[Action] = [SkuItem.version.add(1), SkuItem.updatedAt.set(now)]
        for name, value in changes.items():
            if name == "price":
                if value.currency != current.price.currency:
                    raise InvalidRequest("a SKU keeps its store's currency", field="price.currency")
                actions.append(SkuItem.price.set(MoneyAttribute.of(value)))
            elif name == "handling":
                actions.append(SkuItem.handling.set(str(value)))
            elif name == "crossBorder":
                actions.append(SkuItem.crossBorder.set("true" if value else "false"))
            else:
                actions.append(getattr(SkuItem, name).set(value))
        tx = Transaction()
        tx.update("sku", SkuItem(current.PK, current.SK), actions, SkuItem.version == int(current.version))
        try:
            tx.commit()
        except TransactionCancelled as cancelled:
            raise PreconditionFailed("the SKU was changed concurrently; read it again") from cancelled
        return self.get_sku(sku_id)

    def adjust_stock(
        self,
        sku_id: str,
        *,
        delta: int,
        reason: StockAdjustmentReason,
        note: str | None,
        actor: Actor,
        now: str,
    ) -> dict[str, Any]:
        """Restock or correct stock with an audit record, never taking `available` below zero."""

        def attempt() -> dict[str, Any]:
            try:
                stock = StockItem.get(*keys.stock(sku_id), consistent_read=True)
            except DoesNotExist as error:
                raise NotFound(f"SKU {sku_id} not found") from error
            before = stock_level(stock)
            check_adjustment(reason, delta, before.available)
            counter = StockItem.received if reason is StockAdjustmentReason.RESTOCK else StockItem.adjusted
            tx = Transaction()
            movement_id = new_id()
            tx.update(
                "stock",
                StockItem(*keys.stock(sku_id)),
                [StockItem.available.add(delta), counter.add(delta), StockItem.updatedAt.set(now)],
                StockItem.available == before.available,
            )
            tx.put(
                "movement",
                StockMovementItem(
                    *keys.stock_movement(sku_id, movement_id),
                    skuId=sku_id,
                    delta=delta,
                    reason=reason.value,
                    note=note,
                    by=actor.subject,
                    at=now,
                    availableAfter=before.available + delta,
                ),
            )
            tx.commit()
            after = StockLevel(
                available=before.available + delta,
                reserved=before.reserved,
                sold=before.sold,
                received=before.received + (delta if reason is StockAdjustmentReason.RESTOCK else 0),
                adjusted=before.adjusted + (0 if reason is StockAdjustmentReason.RESTOCK else delta),
            )
            return {
                "skuId": sku_id,
                "movementId": movement_id,
                "delta": delta,
                "reason": reason.value,
                "note": note,
                "stock": stock_json(after),
            }

        # A checkout may move `available` between our read and write; re-read and re-check then.
        for _ in range(5):
            try:
                return attempt()
            except TransactionCancelled:
                continue
        raise Conflict("stock is changing too fast to adjust; retry")


def stock_json(level: StockLevel) -> dict[str, int]:
    return {
        "available": level.available,
        "reserved": level.reserved,
        "sold": level.sold,
        "received": level.received,
        "adjusted": level.adjusted,
    }
