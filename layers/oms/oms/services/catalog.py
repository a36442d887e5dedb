"""Catalog use cases: stores (shipping and stock settings), products, SKUs and stock adjustments.

Permission is the edge's (functions/catalog); here: If-Match (optimistic concurrency on a version),
the catalog's rules (one currency per store, a SKU keeps it, stock never below zero) and the retries of
a stock adjustment that raced a checkout.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from oms.domain.catalog import NewSku, StockAdjustmentReason, StockLevel, StockPolicy, check_adjustment
from oms.domain.clock import to_rfc3339, utcnow
from oms.domain.errors import Conflict, InvalidRequest, NotFound, PreconditionFailed
from oms.domain.ids import new_id
from oms.domain.money import Money
from oms.domain.payment import LatePaymentPolicy
from oms.domain.permissions import Actor
from oms.domain.settlement import DEFAULT_COMMISSION_BPS, DEFAULT_SETTLEMENT_DAYS
from oms.store.catalog import CatalogRepository, NewProduct, StockMovement, StoreRecord
from oms.store.categories import Filing
from oms.store.images import ImageRecord
from oms.store.pages import Page
from oms.store.stock_ops import LineOnce
from oms.views.catalog import product_view, sku_view, stock_adjustment_view, store_view

STOCK_ADJUST_ATTEMPTS = 5  # a checkout may move `available` between our read and write: read and check again


# (storeId, categoryId) -> where a product of that store is filed (422 when it is not a category of the store)
FilingSource = Callable[[str, str], Filing]


def _no_tree(store_id: str, category_id: str) -> Filing:
    raise InvalidRequest("categories are not available here", field="categoryId")


class CatalogService:
    def __init__(
        self,
        repository: CatalogRepository,
        clock: Callable[[], datetime] = utcnow,
        filing: FilingSource = _no_tree,
        *,
        image_base: str = "",
        sku_images: Callable[[str, str], list[ImageRecord]] | None = None,
    ) -> None:
        self.repository = repository
        self.clock = clock
        self.filing = filing  # oms.services.categories.CategoryService.filing
        self.image_base = image_base  # where image URLs point (IMAGES_BASE_URL: CloudFront, or the local stack)
        self.sku_images = sku_images  # (productId, skuId) -> the SKU's READY images, ordered

    def _now(self) -> str:
        return to_rfc3339(self.clock())

    # ---------------------------------------------------------------- stores
    def store(self, store_id: str) -> dict[str, Any]:
        store = self.repository.get_store(store_id)
        if store is None:
            raise NotFound(f"store {store_id} not found")
        return store_view(store)

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
        settlement_days: int = DEFAULT_SETTLEMENT_DAYS,
        commission_bps: int = DEFAULT_COMMISSION_BPS,
        low_stock_threshold: int | None = None,
        if_match: int | None,
        actor: Actor | None = None,
    ) -> tuple[dict[str, Any], bool]:
        """Create or replace a store (True: created); its shipping policy goes into the directory checkout reads."""
        existing, directory_open = self.repository.store_for_write(store_id)
        if if_match is not None and (existing is None or existing.version != if_match):
            raise PreconditionFailed("the store has changed since you read it (If-Match)")
        store = StoreRecord(
            store_id=store_id,
            name=name,
            currency=currency,
            shipping_fee=shipping_fee,
            free_threshold=free_threshold,
            stock_policy=stock_policy.value,
            late_payment_policy=late_payment_policy.value,
            version=existing.version + 1 if existing else 1,
            updated_at=self._now(),
            settlement_days=settlement_days,
            commission_bps=commission_bps,
            low_stock_threshold=low_stock_threshold,
        )
        previous = existing.version if existing else None
        self.repository.put_store(store, previous_version=previous, directory_open=directory_open, actor=actor)
        return store_view(store), existing is None

    # ---------------------------------------------------------------- products
    def create_product(
        self,
        *,
        store_id: str,
        name: str,
        description: str | None,
        category: str | None,
        attributes: dict[str, str],
        skus: list[NewSku],
        category_id: str | None = None,
    ) -> dict[str, Any]:
        if len({s.price.currency for s in skus}) > 1:
            raise InvalidRequest("all SKUs of a product are priced in the store's currency", field="skus")
        filing = None
        if category_id is not None:
            if any(s.category_id not in (None, category_id) for s in skus):
                raise InvalidRequest("the SKUs of a product filed in a category are in its category", field="skus")
            filing = self.filing(store_id, category_id)
        for index, sku in enumerate(skus):
            check_member_prices(sku.member_prices, sku.price, field=f"skus[{index}].memberPrices")
        new = NewProduct(new_id(), store_id, name, description, category, attributes, skus, filing)
        return product_view(self.repository.create_product(new, self._now()))

    def products(self, store_id: str, limit: int | None, cursor: str | None) -> Page[dict[str, Any]]:
        page = self.repository.list_products(store_id, limit, cursor)
        return Page([product_view(p, self.image_base) for p in page.items], page.next_cursor)

    def product(self, product_id: str) -> dict[str, Any]:
        product = self.repository.get_product(product_id)
        if product is None:
            raise NotFound(f"product {product_id} not found")
        return product_view(product, self.image_base)

    def update_product(self, product_id: str, changes: dict[str, Any], if_match: int | None) -> dict[str, Any]:
        """Change fields (None removes one); with If-Match only if the product still has that version. A new
        `categoryId` files it (and its SKUs) in that category of its store, in the same transaction."""
        refiling = None
        if "categoryId" in changes:
            category_id = changes.pop("categoryId")
            found = self.repository.product_for_refiling(product_id)
            if found is None:
                raise NotFound(f"product {product_id} not found")
            current, sku_ids = found
            if if_match is not None and current.version != if_match:
                raise PreconditionFailed("the product has changed since you read it (If-Match)")
            if category_id != current.category_id:
                filing = None if category_id is None else self.filing(current.store_id, category_id)
                refiling = (current, sku_ids, filing)
        updated = self.repository.update_product(product_id, changes, if_match, self._now(), refiling)
        if updated is None:
            if not self.repository.product_exists(product_id):
                raise NotFound(f"product {product_id} not found")
            raise PreconditionFailed("the product has changed since you read it (If-Match)")
        return product_view(updated)

    def add_sku(self, product_id: str, sku: NewSku) -> dict[str, Any]:
        check_member_prices(sku.member_prices, sku.price, field="memberPrices")
        return sku_view(self.repository.add_sku(product_id, sku, self._now()))

    # ---------------------------------------------------------------- SKUs and stock
    def sku(self, sku_id: str) -> dict[str, Any]:
        sku = self.repository.get_sku(sku_id)
        if sku is None:
            raise NotFound(f"SKU {sku_id} not found")
        images = self.sku_images(sku.product_id, sku_id) if self.sku_images else None
        return sku_view(sku, images, self.image_base)

    def update_sku(self, sku_id: str, changes: dict[str, Any], if_match: int | None) -> dict[str, Any]:
        """Change fields (a price keeps the SKU's currency); with If-Match only if it still has that version."""
        current = self.repository.sku_for_write(sku_id)
        if current is None:
            raise NotFound(f"SKU {sku_id} not found")
        if if_match is not None and current.version != if_match:
            raise PreconditionFailed("the SKU has changed since you read it (If-Match)")
        if (
            "categoryId" in changes
            and current.category_path is not None
            and changes["categoryId"] != current.category_id
        ):
            raise InvalidRequest("the SKU's product is filed in a category: its SKUs follow it", field="categoryId")
        price = changes.get("price")
        if price is not None and price.currency != current.price.currency:
            raise InvalidRequest("a SKU keeps its store's currency", field="price.currency")
        if "memberPrices" in changes:
            check_member_prices(changes["memberPrices"], price or current.price, field="memberPrices")
        if "virtual" in changes and current.virtual is None:
            raise InvalidRequest("a physical SKU cannot become virtual: create a virtual SKU", field="virtual")
        if current.virtual is not None and changes.get("handling") not in (None, "virtual"):
            raise InvalidRequest("a virtual SKU is handled as virtual", field="handling")
        if not self.repository.update_sku(
            sku_id, changes, current.version, self._now(), store_id=current.store_id, product_id=current.product_id
        ):
            raise PreconditionFailed("the SKU was changed concurrently; read it again")
        return self.sku(sku_id)

    def adjust_stock(
        self,
        actor: Actor,
        sku_id: str,
        *,
        delta: int,
        reason: StockAdjustmentReason,
        note: str | None,
        line: tuple[str, int] | None = None,
    ) -> dict[str, Any]:
        """Restock or correct stock with an audit record, never taking `available` below zero. `line`: the
        batch and line number it is (oms.services.stock_ops): applied once whatever the runs of the batch
        (`LineAlreadyDone` carries the first run's answer)."""
        now = self._now()
        for _ in range(STOCK_ADJUST_ATTEMPTS):
            before = self.repository.stock_of(sku_id)
            if before is None:
                raise NotFound(f"SKU {sku_id} not found")
            check_adjustment(reason, delta, before.available)
            movement = StockMovement(sku_id, new_id(), delta, reason, note, actor.subject, now)
            restock = reason is StockAdjustmentReason.RESTOCK
            after = StockLevel(
                available=before.available + delta,
                reserved=before.reserved,
                sold=before.sold,
                received=before.received + (delta if restock else 0),
                adjusted=before.adjusted + (0 if restock else delta),
                damaged=before.damaged,
            )
            view = stock_adjustment_view(movement, after)
            ref = None if line is None else {"batchId": line[0], "line": str(line[1])}
            once = None if line is None else LineOnce(line[0], line[1], view)
            if self.repository.adjust_stock(movement, before.available, actor, ref, once):
                return view
        raise Conflict("stock is changing too fast to adjust; retry")


def check_member_prices(prices: dict[str, Money], list_price: Money, *, field: str) -> None:
    """Member prices are in the SKU's currency and below its list price when set (a list price lowered
    later wins at pricing: `oms.domain.membership.member_unit_price`). Tier ids need not be configured
    yet: a price for a tier no one is in is kept and unused."""
    for tier, price in prices.items():
        if price.currency != list_price.currency:
            raise InvalidRequest("a member price is in the SKU's currency", field=f"{field}.{tier}.currency")
        if price.amount >= list_price.amount:
            raise InvalidRequest("a member price is below the SKU's price", field=f"{field}.{tier}.amount")
