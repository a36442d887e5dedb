"""Catalog repository: stores, products, SKUs and their stock counters, as records (`oms.services.catalog`
decides; `oms.views.catalog` shows)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.update import Action

from oms.domain.catalog import (
    NewSku,
    ShippingPolicy,
    Sku,
    SkuStatus,
    StockAdjustmentReason,
    StockLevel,
    StockPolicy,
)
from oms.domain.errors import Conflict, InvalidRequest, NotFound
from oms.domain.ids import new_id
from oms.domain.money import Money
from oms.domain.order_pricing import SkuTerms
from oms.domain.payment import LatePaymentPolicy
from oms.domain.permissions import Actor
from oms.domain.settlement import DEFAULT_COMMISSION_BPS, DEFAULT_SETTLEMENT_DAYS
from oms.domain.stock import MovementKind, StockMove, StockState, stock_state
from oms.store import keys
from oms.store.audit import add_audit
from oms.store.categories import Filing, count_change, filed_here, product_filing_actions, sku_filing_actions
from oms.store.freight import books_from_directory
from oms.store.images import ImageRecord, image_record
from oms.store.models import (
    CategoryItem,
    FreightTemplateItem,
    Item,
    MoneyAttribute,
    ProductImageItem,
    ProductItem,
    SkuItem,
    StockItem,
    StoreDirectoryItem,
    StoreItem,
)
from oms.store.pages import Page, clamp_limit, decode_cursor, encode_cursor
from oms.store.product_search import add_product_changed
from oms.store.stock import forget_store_defaults, store_low_stock_default
from oms.store.stock_ops import LineOnce, add_line_marker, raise_if_line_done
from oms.store.transactions import Part, Transaction, TransactionCancelled


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


def policies_from_directory(item: StoreDirectoryItem | None) -> dict[str, ShippingPolicy]:
    """Each store's shipping: its flat fee and threshold, and its freight templates (oms.store.freight)."""
    if item is None:
        return {}
    result = {}
    books = books_from_directory(item)
    for store_id, p in item.all_policies().items():
        book = books.get(store_id)
        threshold = p.get("freeShippingThreshold")
        result[store_id] = ShippingPolicy(
            store_id=store_id,
            currency=p["currency"],
            flat_fee=Money.from_dict(p["shippingFee"]),
            free_threshold=Money.from_dict(threshold) if threshold else None,
            templates=book.domain() if book else {},
            default_template_id=book.default if book else None,
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
        freight_template_id=item.freightTemplateId,
        virtual=item.virtual is not None,
    )


def sku_terms(item: SkuItem) -> SkuTerms:
    return SkuTerms(
        category_id=item.categoryId,
        points_price=int(item.pointsPrice or 0),
        category_path=item.categoryPath,
        member_prices=member_prices_of(item),
    )


def member_prices_of(item: SkuItem) -> dict[str, Money]:
    return {tier: Money.from_dict(price) for tier, price in (item.memberPrices or {}).items()}


def stock_level(item: StockItem) -> StockLevel:
    return StockLevel(
        available=int(item.available),
        reserved=int(item.reserved),
        sold=int(item.sold),
        received=int(item.received),
        adjusted=int(item.adjusted),
        damaged=int(item.damaged or 0),
    )


def _check_freight_template(tx: Transaction, store_id: str, template_id: str) -> None:
    """A SKU names one of its store's freight templates (it must exist when the SKU is written)."""
    tx.check(
        Part.TEMPLATE,
        FreightTemplateItem(*keys.freight_template(store_id, template_id)),
        FreightTemplateItem.PK.exists(),
    )


def _unknown_freight_template() -> InvalidRequest:
    return InvalidRequest("the SKU's store has no such freight template", field="freightTemplateId")


# ---------------------------------------------------------------- records
@dataclass(frozen=True)
class StoreRecord:
    store_id: str
    name: str
    currency: str
    shipping_fee: Money
    free_threshold: Money | None
    stock_policy: str
    late_payment_policy: str
    version: int
    updated_at: str
    settlement_days: int = DEFAULT_SETTLEMENT_DAYS  # T+N: merchants are paid N days after completion
    commission_bps: int = DEFAULT_COMMISSION_BPS  # the platform's commission, in basis points
    low_stock_threshold: int | None = None  # its SKUs' default alert level (None: no alerts)


@dataclass(frozen=True)
class SkuRecord:
    sku_id: str
    product_id: str
    store_id: str
    name: str
    price: Money
    warehouse_id: str
    weight_grams: int
    attributes: dict[str, Any]
    category_id: str | None
    points_price: int
    handling: str
    cross_border: bool
    status: str
    available: int  # from its stock counter (0 when it has none)
    version: int
    category_path: str | None = None  # set while its product is filed in the tree (its category is the product's)
    member_prices: dict[str, Money] = field(default_factory=dict)  # tier id -> unit price
    freight_template_id: str | None = None  # None: the store's default template
    low_stock_threshold: int | None = None  # its own alert level (None: the store's)
    stock_state: str = StockState.SOLD_OUT.value  # with its own level, else the store's
    virtual: dict[str, Any] | None = None  # its delivery (oms.domain.virtual_goods.VirtualSpec); None: physical


@dataclass(frozen=True)
class ProductRecord:
    product_id: str
    store_id: str
    name: str
    description: str | None
    category: str | None
    attributes: dict[str, Any]
    status: str
    version: int
    created_at: str
    updated_at: str
    skus: list[SkuRecord] | None = None  # None: not read with the product (listings)
    category_id: str | None = None  # the store's category it is filed in (oms.store.categories)
    category_path: str | None = None
    images: list[ImageRecord] | None = None  # every state, by position; None: not read (listings)
    main_image: dict[str, Any] | None = None  # the main READY image's id and keys (kept on the product item)


@dataclass(frozen=True)
class NewProduct:
    product_id: str
    store_id: str
    name: str
    description: str | None
    category: str | None
    attributes: dict[str, str]
    skus: list[NewSku]
    filing: Filing | None = None  # filed in a category of the store


@dataclass(frozen=True)
class StockMovement:
    """One audited stock adjustment."""

    sku_id: str
    movement_id: str
    delta: int
    reason: StockAdjustmentReason
    note: str | None
    by: str
    at: str


def _store_record(item: StoreItem) -> StoreRecord:
    return StoreRecord(
        store_id=item.storeId,
        name=item.name,
        currency=item.currency,
        shipping_fee=item.shippingFee.money(),
        free_threshold=item.freeShippingThreshold.money() if item.freeShippingThreshold else None,
        stock_policy=item.stockPolicy or StockPolicy.RESERVE_AT_ORDER.value,
        late_payment_policy=item.latePaymentPolicy or LatePaymentPolicy.REFUND.value,
        version=int(item.version),
        updated_at=item.updatedAt,
        settlement_days=DEFAULT_SETTLEMENT_DAYS if item.settlementDays is None else int(item.settlementDays),
        commission_bps=DEFAULT_COMMISSION_BPS if item.commissionBps is None else int(item.commissionBps),
        low_stock_threshold=None if item.lowStockThreshold is None else int(item.lowStockThreshold),
    )


def _sku_record(item: SkuItem, stock: StockItem | None, store_threshold: int | None = None) -> SkuRecord:
    own = None if item.lowStockThreshold is None else int(item.lowStockThreshold)
    available = int(stock.available) if stock else 0
    return SkuRecord(
        sku_id=item.skuId,
        product_id=item.productId,
        store_id=item.storeId,
        name=item.name,
        price=item.price.money(),
        warehouse_id=item.warehouseId,
        weight_grams=int(item.weightGrams),
        attributes=item.attributes or {},
        category_id=item.categoryId,
        points_price=int(item.pointsPrice or 0),
        handling=item.handling or "normal",
        cross_border=item.crossBorder == "true",
        status=item.status,
        available=available,
        version=int(item.version),
        category_path=item.categoryPath,
        member_prices=member_prices_of(item),
        freight_template_id=item.freightTemplateId,
        low_stock_threshold=own,
        stock_state=stock_state(available, own if own is not None else store_threshold).value,
        virtual=dict(item.virtual) if item.virtual is not None else None,
    )


def _product_record(
    item: ProductItem, skus: list[SkuRecord] | None = None, images: list[ImageRecord] | None = None
) -> ProductRecord:
    return ProductRecord(
        product_id=item.productId,
        store_id=item.storeId,
        name=item.name,
        description=item.description,
        category=item.category,
        attributes=item.attributes or {},
        status=item.status,
        version=int(item.version),
        created_at=item.createdAt,
        updated_at=item.updatedAt,
        skus=skus,
        category_id=item.categoryId,
        category_path=item.categoryPath,
        images=sorted(images, key=lambda i: (i.position, i.image_id)) if images is not None else None,
        main_image=item.mainImage or None,
    )


def product_record(item: ProductItem) -> ProductRecord:
    """A product row as listings show it (without its SKUs)."""
    return _product_record(item)


# ---------------------------------------------------------------- repository
class CatalogRepository:
    # ---- stores
    def get_store(self, store_id: str) -> StoreRecord | None:
        try:
            return _store_record(StoreItem.get(*keys.store(store_id)))
        except DoesNotExist:
            return None

    def store_for_write(self, store_id: str) -> tuple[StoreRecord | None, bool]:
        """The store as it is now (consistent), and whether the store directory is open already."""
        found = {
            (i.PK, i.SK): i for i in Item.batch_get([keys.store(store_id), keys.STORE_DIRECTORY], consistent_read=True)
        }
        existing = found.get(keys.store(store_id))
        directory = found.get(keys.STORE_DIRECTORY)
        assert existing is None or isinstance(existing, StoreItem)
        assert directory is None or isinstance(directory, StoreDirectoryItem)
        return (
            _store_record(existing) if existing else None,
            directory is not None and directory.stores is not None,
        )

    def put_store(
        self, store: StoreRecord, *, previous_version: int | None, directory_open: bool, actor: Actor | None = None
    ) -> None:
        """Write the store (created when `previous_version` is None, else replacing that version) and its
        shipping policy in the directory checkout reads. Conflict when it changed meanwhile."""
        item = StoreItem(
            *keys.store(store.store_id),
            storeId=store.store_id,
            name=store.name,
            currency=store.currency,
            shippingFee=MoneyAttribute.of(store.shipping_fee),
            freeShippingThreshold=MoneyAttribute.of(store.free_threshold) if store.free_threshold else None,
            stockPolicy=store.stock_policy,
            latePaymentPolicy=store.late_payment_policy,
            settlementDays=store.settlement_days,
            commissionBps=store.commission_bps,
            lowStockThreshold=store.low_stock_threshold,
            version=store.version,
            updatedAt=store.updated_at,
        )
        if not directory_open:
            _open_store_directory()
        policy = {
            "currency": store.currency,
            "shippingFee": store.shipping_fee.to_dict(),
            "freeShippingThreshold": store.free_threshold.to_dict() if store.free_threshold else None,
            "stockPolicy": store.stock_policy,
        }
        tx = Transaction()
        tx.put(
            Part.STORE,
            item,
            StoreItem.version == previous_version if previous_version is not None else StoreItem.PK.does_not_exist(),
        )
        # Only this store's entry: no condition on the directory as a whole, so stores created or
        # edited at the same time do not conflict; the store's own condition orders edits of one store.
        tx.update(
            Part.DIRECTORY,
            StoreDirectoryItem(*keys.STORE_DIRECTORY),
            [StoreDirectoryItem.stores[store.store_id].set(policy)],
            StoreDirectoryItem.stores.exists(),
        )
        if actor is not None:
            add_audit(
                tx,
                f"STORE#{store.store_id}",
                "store.create" if previous_version is None else "store.update",
                actor=actor,
                now=store.updated_at,
                before=None if previous_version is None else {"version": previous_version},
                after={**policy, "name": store.name, "version": store.version},
                reason=None,
            )
        try:
            tx.commit()
        except TransactionCancelled as cancelled:
            raise Conflict("the store was changed concurrently; retry") from cancelled
        forget_store_defaults(store.store_id)

    # ---- products and SKUs
    def create_product(self, new: NewProduct, now: str) -> ProductRecord:
        """The product and its SKUs (with their stock counters), in the store, in one transaction."""
        product = ProductItem(
            *keys.product(new.product_id),
            GSI1PK=keys.product_gsi1(new.product_id),
            GSI1SK="#META",
            GSI2PK=keys.store_products_gsi2(new.store_id),
            GSI2SK=new.product_id,
            productId=new.product_id,
            storeId=new.store_id,
            name=new.name,
            description=new.description,
            category=new.category,
            attributes=new.attributes,
            status="ACTIVE",
            version=1,
            createdAt=now,
            updatedAt=now,
        )
        filing = new.filing
        if filing is not None:
            product.categoryId, product.categoryPath = filing.category_id, filing.path
            product.GSI3PK = keys.store_category_products_gsi3(new.store_id)
            product.GSI3SK = keys.category_products_sort_key(filing.path, new.product_id)
        currencies = {s.price.currency for s in new.skus}
        tx = Transaction()
        store_condition = StoreItem.PK.exists()
        if currencies:
            store_condition &= StoreItem.currency == next(iter(currencies))
        tx.check(Part.STORE, StoreItem(*keys.store(new.store_id)), store_condition)
        tx.put(Part.PRODUCT, product, ProductItem.PK.does_not_exist())
        if filing is not None:  # its category counts it (so it is not deleted as empty), if still where it was read
            category, filed = filed_here(new.store_id, filing)
            tx.update(Part.CATEGORY, category, [CategoryItem.productCount.add(1)], filed)
        created = [
            self._add_sku_actions(tx, new.product_id, new.store_id, s, now, new.category, filing) for s in new.skus
        ]
        add_product_changed(tx, new.product_id, now, [sku.skuId for sku, _ in created])
        self._commit_catalog_tx(tx, new.store_id)
        default = store_low_stock_default(new.store_id)
        return _product_record(product, [_sku_record(sku, stock, default) for sku, stock in created])

    def add_sku(self, product_id: str, new_sku: NewSku, now: str) -> SkuRecord:
        product = self._get_product_item(product_id)
        tx = Transaction()
        tx.check(
            Part.STORE,
            StoreItem(*keys.store(product.storeId)),
            StoreItem.PK.exists() & (StoreItem.currency == new_sku.price.currency),
        )
        filing = (
            Filing(product.categoryId, product.categoryPath) if product.categoryId and product.categoryPath else None
        )
        tx.check(
            Part.PRODUCT,
            ProductItem(*keys.product(product_id)),
            ProductItem.PK.exists()
            & (ProductItem.categoryPath == filing.path if filing else ProductItem.categoryPath.does_not_exist()),
        )
        sku, stock = self._add_sku_actions(tx, product_id, product.storeId, new_sku, now, product.category, filing)
        add_product_changed(tx, product_id, now, [sku.skuId])
        self._commit_catalog_tx(tx, product.storeId)
        return _sku_record(sku, stock, store_low_stock_default(product.storeId))

    @staticmethod
    def _add_sku_actions(
        tx: Transaction,
        product_id: str,
        store_id: str,
        new_sku: NewSku,
        now: str,
        category: str | None,
        filing: Filing | None = None,
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
            categoryId=filing.category_id if filing else new_sku.category_id or category,
            categoryPath=filing.path if filing else None,
            pointsPrice=new_sku.points_price,
            handling=new_sku.handling,
            crossBorder="true" if new_sku.cross_border else "false",
            memberPrices={tier: price.to_dict() for tier, price in new_sku.member_prices.items()} or None,
            freightTemplateId=new_sku.freight_template_id,
            lowStockThreshold=new_sku.low_stock_threshold,
            virtual=new_sku.virtual,
            status=SkuStatus.ACTIVE.value,
            version=1,
            createdAt=now,
            updatedAt=now,
        )
        stock = StockItem(
            *keys.stock(sku_id),
            GSI2PK=keys.store_stock_gsi2(store_id),
            GSI2SK=sku_id,
            skuId=sku_id,
            storeId=store_id,
            available=new_sku.stock,
            reserved=0,
            sold=0,
            received=new_sku.stock,
            adjusted=0,
            lowStockThreshold=new_sku.low_stock_threshold,
            updatedAt=now,
            lastMove=StockMove(MovementKind.OPENING, "system:catalog").to_dict(new_id(), now),
        )
        tx.put((Part.SKU, sku_id), sku, SkuItem.PK.does_not_exist())
        tx.put((Part.STOCK, sku_id), stock, StockItem.PK.does_not_exist())
        if new_sku.freight_template_id:
            _check_freight_template(tx, store_id, new_sku.freight_template_id)
        return sku, stock

    @staticmethod
    def _commit_catalog_tx(tx: Transaction, store_id: str) -> None:
        try:
            tx.commit()
        except TransactionCancelled as cancelled:
            if cancelled.failed(Part.STORE):
                raise InvalidRequest(
                    f"store {store_id} does not exist or prices in another currency", field="storeId"
                ) from cancelled
            if cancelled.failed(Part.PRODUCT):
                raise NotFound("product not found (or it was just re-filed: retry)") from cancelled
            if cancelled.failed(Part.CATEGORY):
                raise Conflict("the product's category changed meanwhile; retry") from cancelled
            if cancelled.failed(Part.TEMPLATE):
                raise _unknown_freight_template() from cancelled
            taken = sorted({f.key for f in cancelled.failed(Part.SKU, Part.STOCK)})
            if taken:
                raise Conflict(f"SKU id already exists: {', '.join(taken)}", skuIds=taken) from cancelled
            raise

    def _get_product_item(self, product_id: str) -> ProductItem:
        try:
            return ProductItem.get(*keys.product(product_id))
        except DoesNotExist as error:
            raise NotFound(f"product {product_id} not found") from error

    def product_exists(self, product_id: str) -> bool:
        try:
            self._get_product_item(product_id)
        except NotFound:
            return False
        return True

    def product_for_refiling(self, product_id: str) -> tuple[ProductRecord, list[str]] | None:
        """The product as it is now (consistent) and its SKU ids, to move it to another category."""
        try:
            product = ProductItem.get(*keys.product(product_id), consistent_read=True)
        except DoesNotExist:
            return None
        skus = [i.skuId for i in Item.gsi1.query(keys.product_gsi1(product_id)) if isinstance(i, SkuItem)]
        return _product_record(product), skus

    def update_product(
        self,
        product_id: str,
        changes: dict[str, Any],
        expected_version: int | None,
        now: str,
        refiling: tuple[ProductRecord, list[str], Filing | None] | None = None,
    ) -> ProductRecord | None:
        """Set (None: remove) the product's fields and bump its version, if it exists (and has
        `expected_version`); the product after the change, None when the condition failed. `refiling`: the
        product as read, its SKUs and its new category (None: none), moved in the same transaction (the old
        category's count down, the new one's up, the SKUs' category with them)."""
        item = ProductItem(*keys.product(product_id))
        actions: list[Action] = [ProductItem.version.add(1), ProductItem.updatedAt.set(now)]
        for name, value in changes.items():
            attribute = getattr(ProductItem, name)
            actions.append(attribute.remove() if value is None else attribute.set(value))
        condition = ProductItem.PK.exists()
        if expected_version is not None:
            condition &= ProductItem.version == expected_version
        tx = Transaction()  # one conditional write, re-sent by the store when it loses a race
        if refiling is not None:
            current, sku_ids, filing = refiling
            store_id = current.store_id
            actions += product_filing_actions(store_id, product_id, filing)
            condition &= ProductItem.version == current.version
            if filing is not None:
                category, filed = filed_here(store_id, filing)
                tx.update(Part.CATEGORY, category, [CategoryItem.productCount.add(1)], filed)
            if current.category_id:
                old, down = count_change(store_id, current.category_id, -1)
                tx.update(Part.PARENT, old, down, CategoryItem.PK.exists())
            label = changes.get("category", current.category)
            for sku_id in sku_ids:
                tx.update(
                    (Part.SKU, sku_id),
                    SkuItem(*keys.sku(sku_id)),
                    [*sku_filing_actions(filing, label), SkuItem.version.add(1)],
                    SkuItem.PK.exists(),
                )
        tx.update(Part.PRODUCT, item, actions, condition)
        add_product_changed(tx, product_id, now)
        try:
            tx.commit()
        except TransactionCancelled as cancelled:
            if cancelled.failed(Part.CATEGORY):
                raise Conflict("the category changed meanwhile; read it again") from cancelled
            return None
        return _product_record(ProductItem.get(*keys.product(product_id), consistent_read=True))

    def get_product(self, product_id: str) -> ProductRecord | None:
        """The product with its SKUs (and their availability)."""
        product: ProductItem | None = None
        skus: list[SkuItem] = []
        images: list[ImageRecord] = []
        for item in Item.gsi1.query(keys.product_gsi1(product_id)):
            if isinstance(item, ProductItem):
                product = item
            elif isinstance(item, SkuItem):
                skus.append(item)
            elif isinstance(item, ProductImageItem):
                images.append(image_record(item))
        if product is None:
            return None
        stocks = self._stocks([s.skuId for s in skus])
        default = store_low_stock_default(product.storeId)
        return _product_record(product, [_sku_record(s, stocks.get(s.skuId), default) for s in skus], images)

    def list_products(self, store_id: str, limit: int | None, cursor: str | None) -> Page[ProductRecord]:
        partition = keys.store_products_gsi2(store_id)
        results = Item.gsi2.query(
            partition,
            limit=clamp_limit(limit),
            last_evaluated_key=decode_cursor(cursor, partition_attr="GSI2PK", partition_value=partition),
        )
        items = [_product_record(i) for i in results if isinstance(i, ProductItem)]
        return Page(items, encode_cursor(results.last_evaluated_key))

    def _stocks(self, sku_ids: list[str]) -> dict[str, StockItem]:
        if not sku_ids:
            return {}
        return {i.skuId: i for i in StockItem.batch_get([keys.stock(s) for s in sku_ids]) if isinstance(i, StockItem)}

    def sku_for_write(self, sku_id: str) -> SkuRecord | None:
        """The SKU alone, to check a change against (its availability is not read: 0)."""
        try:
            return _sku_record(SkuItem.get(*keys.sku(sku_id)), None)
        except DoesNotExist:
            return None

    def get_sku(self, sku_id: str) -> SkuRecord | None:
        """The SKU with its availability."""
        found = {i.SK: i for i in Item.batch_get([keys.sku(sku_id), keys.stock(sku_id)])}
        sku, stock = found.get("META"), found.get("STOCK")
        if not isinstance(sku, SkuItem):
            return None
        stock_item = stock if isinstance(stock, StockItem) else None
        return _sku_record(sku, stock_item, store_low_stock_default(sku.storeId))

    def update_sku(
        self,
        sku_id: str,
        changes: dict[str, Any],
        expected_version: int,
        now: str,
        store_id: str | None = None,
        product_id: str | None = None,
    ) -> bool:
        """Set the SKU's fields (price: Money; handling; crossBorder: bool) and bump its version if it still
        has `expected_version`; False when it had changed."""
        actions: list[Action] = [SkuItem.version.add(1), SkuItem.updatedAt.set(now)]
        for name, value in changes.items():
            if name == "price":
                actions.append(SkuItem.price.set(MoneyAttribute.of(value)))
            elif name == "handling":
                actions.append(SkuItem.handling.set(str(value)))
            elif name == "virtual":
                actions.append(SkuItem.virtual.set(value))
            elif name == "crossBorder":
                actions.append(SkuItem.crossBorder.set("true" if value else "false"))
            elif name == "memberPrices":
                prices = {tier: price.to_dict() for tier, price in value.items()}
                actions.append(SkuItem.memberPrices.set(prices) if prices else SkuItem.memberPrices.remove())
            elif name == "freightTemplateId" and value is None:
                actions.append(SkuItem.freightTemplateId.remove())
            elif name == "lowStockThreshold":
                actions.append(
                    SkuItem.lowStockThreshold.remove() if value is None else SkuItem.lowStockThreshold.set(value)
                )
            else:
                actions.append(getattr(SkuItem, name).set(value))
        tx = Transaction()
        tx.update(Part.SKU, SkuItem(*keys.sku(sku_id)), actions, SkuItem.version == expected_version)
        template_id = changes.get("freightTemplateId")
        if template_id and store_id:
            _check_freight_template(tx, store_id, str(template_id))
        if "lowStockThreshold" in changes:  # the stock item's copy, so its changes in the stream carry it
            value = changes["lowStockThreshold"]
            copy = StockItem.lowStockThreshold
            tx.update(
                Part.STOCK,
                StockItem(*keys.stock(sku_id)),
                [copy.remove() if value is None else copy.set(value), StockItem.updatedAt.set(now)],
                StockItem.PK.exists(),
            )
        if product_id is not None:
            add_product_changed(tx, product_id, now)
        try:
            tx.commit()
        except TransactionCancelled as cancelled:
            if cancelled.failed(Part.TEMPLATE):
                raise _unknown_freight_template() from cancelled
            return False
        return True

    # ---- stock
    def stock_of(self, sku_id: str) -> StockLevel | None:
        """The SKU's stock counters, read strongly; None when it has none."""
        try:
            return stock_level(StockItem.get(*keys.stock(sku_id), consistent_read=True))
        except DoesNotExist:
            return None

    def adjust_stock(
        self,
        movement: StockMovement,
        expected_available: int,
        actor: Actor | None = None,
        ref: dict[str, str] | None = None,
        once: LineOnce | None = None,
    ) -> bool:
        """Move `available` (and the restock or correction counter) by the movement's delta, with its audit
        record, if `available` is still `expected_available`; False when a checkout moved it meanwhile.
        The movement history row comes from the stock item's change in the stream (`lastMove`). `ref`: what
        it belongs to (a batch's line); `once`: that line's marker, written with it (`LineAlreadyDone` when
        a run of the same batch wrote it first: oms.store.stock_ops)."""
        sku_id, delta = movement.sku_id, movement.delta
        counter = StockItem.received if movement.reason is StockAdjustmentReason.RESTOCK else StockItem.adjusted
        move = StockMove(MovementKind.ADJUSTMENT, movement.by, ref, movement.note or movement.reason.value)
        tx = Transaction()
        if once is not None:
            add_line_marker(tx, once, movement.at)
        tx.update(
            Part.STOCK,
            StockItem(*keys.stock(sku_id)),
            [
                StockItem.available.add(delta),
                counter.add(delta),
                StockItem.updatedAt.set(movement.at),
                StockItem.lastMove.set(move.to_dict(movement.movement_id, movement.at)),
            ],
            StockItem.available == expected_available,
        )
        if actor is not None:  # the staff member's request behind it (the movement row keeps who only)
            add_audit(
                tx,
                f"SKU#{sku_id}",
                "stock.adjust",
                actor=actor,
                now=movement.at,
                before={"available": expected_available},
                after={"available": expected_available + delta, "delta": delta, "kind": movement.reason.value},
                reason=movement.note,
            )
        try:
            tx.commit()
        except TransactionCancelled as cancelled:
            if once is not None:
                raise_if_line_done(cancelled, once)
            return False
        return True
