"""Shopper product search (`GET /search/products`), keeping its index current, and the sales counter.

`ProductSearch` is the port: `oms.store.product_search.DynamoProductSearch` (search rows in the table,
a bounded read per page, never a Scan) is the default; `oms.adapters.opensearch.OpenSearchProductSearch`
is the one for scale, behind the template's `EnableProductSearchOpenSearch` (docs/search.md). Both index
the same `SearchableProduct` documents, read from the catalog by a `ProductSource`, and answer the same
queries (one contract suite: tests/contract/test_product_search_contract.py).

After a commit (`oms.services.after_commit`, from the outbox rows in the table's stream):
- `ProductChanged` → the product is re-read and re-indexed (or removed when it is no longer searchable);
- `OrderPaid` → each product's sales counter grows by the units the order sold (once per event), and the
  products whose sales bucket moved are re-indexed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from oms.domain.product_search import ProductQuery, SearchableProduct, SearchSort, build_query
from oms.store.pages import Page, clamp_limit
from oms.views.product_search import search_hit


class SearchResult(Protocol):
    @property
    def items(self) -> list[SearchableProduct]: ...

    @property
    def next_cursor(self) -> str | None: ...


class ProductSearch(Protocol):
    def search(self, query: ProductQuery, limit: int, cursor: str | None) -> SearchResult:
        """One page of the ACTIVE products matching `query` in its order, from `cursor`. A page may hold
        fewer than `limit` products (or none) and still have a `next_cursor`."""

    def index(self, doc: SearchableProduct) -> bool:
        """Make the product searchable as `doc` says (idempotent); False when nothing changed."""

    def remove(self, product_id: str) -> bool:
        """Take the product out (idempotent); False when it was not in."""


class ProductSource(Protocol):
    def document(self, product_id: str, sku_ids: Iterable[str] = ()) -> SearchableProduct | None: ...

    def count_sales(self, event_id: str, units: Mapping[str, int], now: str | None = None) -> bool: ...


class ProductSearchService:
    def __init__(
        self,
        engine: ProductSearch,
        source: ProductSource,
        *,
        indexes: Iterable[ProductSearch] | None = None,
        image_base: str = "",
    ) -> None:
        self.engine = engine  # what answers queries
        self.image_base = image_base  # where image URLs point (IMAGES_BASE_URL)
        self.source = source
        self._indexes = [engine] if indexes is None else list(indexes)  # what `reindex` keeps current

    def search(
        self,
        q: str | None,
        *,
        store_id: str | None = None,
        category_id: str | None = None,
        price_min: int | None = None,
        price_max: int | None = None,
        attributes: str | None = None,
        sort: SearchSort = SearchSort.RELEVANCE,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page[dict[str, Any]]:
        query = build_query(
            q,
            store_id=store_id,
            category_id=category_id,
            price_min=price_min,
            price_max=price_max,
            attributes=attributes,
            sort=sort,
        )
        page = self.engine.search(query, clamp_limit(limit), cursor)
        return Page([search_hit(doc, self.image_base) for doc in page.items], page.next_cursor)

    def reindex(self, product_id: str, sku_ids: Iterable[str] = ()) -> bool:
        """Index the product as the catalog has it now (or remove it); True when an index changed."""
        doc = self.source.document(product_id, sku_ids)
        changed = False
        for index in self._indexes:
            changed = (index.remove(product_id) if doc is None else index.index(doc)) or changed
        return changed

    def count_sales(self, event_id: str, lines: Iterable[Mapping[str, Any]]) -> list[str]:
        """Count an order's paid units per product (once per event) and re-index those products (always:
        a retried record finishes a re-index a failed try left; an unchanged product writes nothing)."""
        units: Counter[str] = Counter()
        for line in lines:
            product_id, quantity = line.get("productId"), line.get("quantity")
            if isinstance(product_id, str) and isinstance(quantity, int) and quantity > 0:
                units[product_id] += quantity
        if not units:
            return []
        self.source.count_sales(event_id, units)
        for product_id in sorted(units):
            self.reindex(product_id)
        return sorted(units)
