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
from oms.store.images import ImageRecord
from oms.store.pages import Page
from oms.views.catalog import product_view, sku_view, stock_adjustment_view, store_view

STOCK_ADJUST_ATTEMPTS = 5  # a checkout may move `available` between our read and write: read and check again


class CatalogService:
    def __init__(
        self,
        repository: CatalogRepository,
        clock: Callable[[], datetime] = utcnow,
        *,
        image_base: str = "",
        sku_images: Callable[[str, str], list[ImageRecord]] | None = None,
    ) -> None:
        self.repository = repository
        self.clock = clock
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
    ) -> dict[str, Any]:
        if len({s.price.currency for s in skus}) > 1:
            raise InvalidRequest("all SKUs of a product are priced in the store's currency", field="skus")
        new = NewProduct(new_id(), store_id, name, description, category, attributes, skus)
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
        """Change fields (None removes one); with If-Match only if the product still has that version."""
        updated = self.repository.update_product(product_id, changes, if_match, self._now())
        if updated is None:
            if not self.repository.product_exists(product_id):
                raise NotFound(f"product {product_id} not found")
            raise PreconditionFailed("the product has changed since you read it (If-Match)")
        return product_view(updated)

    def add_sku(self, product_id: str, sku: NewSku) -> dict[str, Any]:
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
        price = changes.get("price")
        if price is not None and price.currency != current.price.currency:
            raise InvalidRequest("a SKU keeps its store's currency", field="price.currency")
        if not self.repository.update_sku(sku_id, changes, current.version, self._now()):
            raise PreconditionFailed("the SKU was changed concurrently; read it again")
        return self.sku(sku_id)

    def adjust_stock(
        self, actor: Actor, sku_id: str, *, delta: int, reason: StockAdjustmentReason, note: str | None
    ) -> dict[str, Any]:
        """Restock or correct stock with an audit record, never taking `available` below zero."""
        now = self._now()
        for _ in range(STOCK_ADJUST_ATTEMPTS):
            before = self.repository.stock_of(sku_id)
            if before is None:
                raise NotFound(f"SKU {sku_id} not found")
            check_adjustment(reason, delta, before.available)
            movement = StockMovement(sku_id, new_id(), delta, reason, note, actor.subject, now)
            if not self.repository.adjust_stock(movement, before.available, actor):
                continue
            restock = reason is StockAdjustmentReason.RESTOCK
            after = StockLevel(
                available=before.available + delta,
                reserved=before.reserved,
                sold=before.sold,
                received=before.received + (delta if restock else 0),
                adjusted=before.adjusted + (0 if restock else delta),
            )
            return stock_adjustment_view(movement, after)
        raise Conflict("stock is changing too fast to adjust; retry")
