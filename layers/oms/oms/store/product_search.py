"""Shopper product search on DynamoDB (the default `oms.services.product_search.ProductSearch`), the
documents it indexes (read from the catalog items) and the per-product sales counter
(docs/data-model.md, "Product search", rows 190-199; docs/search.md).

Each searchable product has one row in each partition it belongs to:

| partition | holds |
|---|---|
| `PSEARCH#*#*` / `PSEARCH#S:<sid>#*` | every active product / the store's |
| `PSEARCH#*#T:<term>` / `PSEARCH#S:<sid>#T:<term>` | those with the term in their name or attribute values |
| `PSEARCH#C:<cid>` | those filed under the category or a descendant (one row per id of `categoryPath`) |

and every row sorts four ways: the table's SK by lowest price, GSI1 newest, GSI2 by sales, GSI3 (keyword
rows only) by relevance (score, then sales). A query reads ONE partition in ONE of those orders (`plan`);
its other filters are checked on the rows read (each row carries the product's facts), and a page reads at
most `budget_factor × limit` rows, answering what it found with a `next_cursor` (the key of the last row
looked at) even when that is fewer than `limit`. A price range sorted by price is a key range. Never a Scan.

Rows are derived data, rewritten from the catalog after the commit of a change (the `ProductChanged`
outbox row, `oms.services.after_commit`): a product writes up to ~100 rows, over the 100-item limit of a
transaction once its terms are many, so they are not in the change's transaction. The state row
`PRODUCT#<pid>/SEARCH` lists the rows' keys; it is first widened to old ∪ new, then the rows are
written and deleted (BatchWriteItem), then it is narrowed to new: a crash in between leaves the next run
the keys to clean up. The after-commit record is retried until it succeeds, then goes to its DLQ.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist

from oms.domain.clock import parse_rfc3339, to_rfc3339, utcnow
from oms.domain.events import product_changed
from oms.domain.ids import new_id
from oms.domain.product_search import ProductQuery, SearchableProduct, SearchSort, driving_term, sales_bucket
from oms.store import keys
from oms.store.inbox import add_consumed
from oms.store.models import (
    Item,
    OutboxItem,
    ProductItem,
    ProductSalesItem,
    ProductSearchRowItem,
    ProductSearchStateItem,
    SkuItem,
)
from oms.store.pages import Reads, decode_cursor, encode_cursor
from oms.store.transactions import Part, Transaction, TransactionCancelled

OUTBOX_TTL = timedelta(days=7)  # as oms.store.orders.OUTBOX_TTL (not imported: that module imports the catalog's)
READ_BUDGET_FACTOR = 5  # rows a page may read per product it answers
SALES_CONSUMER = "product-sales"
TX_PRODUCTS = 90  # products counted per transaction (with the inbox row: under the 100-item limit)


def add_product_changed(tx: Transaction, product_id: str, now: str, sku_ids: Iterable[str] = ()) -> None:
    """The outbox row that has the product re-indexed once the change commits (`sku_ids`: SKUs the change
    created, which the product's index may not list yet). Every write that changes what search shows of
    a product (name, attributes, status, category, SKU prices or status, images) adds it."""
    event_id = new_id()
    event = product_changed(product_id, list(sku_ids))
    tx.put(
        (Part.OUTBOX, f"product:{product_id}"),
        OutboxItem(
            keys.product(product_id)[0],
            keys.outbox_sk(event_id),
            eventId=event_id,
            detailType=event.type,
            detail=event.detail,
            createdAt=now,
            expiresAt=parse_rfc3339(now) + OUTBOX_TTL,
        ),
    )


# ---------------------------------------------------------------- the documents (from the catalog)
def _main_image(product: ProductItem) -> Mapping[str, Any] | None:
    """The product's main image, when the catalog has one for it (images are another part's: the
    attribute is read if the product item carries it)."""
    image = getattr(product, "mainImage", None)
    return dict(image) if isinstance(image, Mapping) else None


class DynamoProductSource:
    """Searchable documents read from the catalog's items (consistent reads), and the sales counter."""

    def document(self, product_id: str, sku_ids: Iterable[str] = ()) -> SearchableProduct | None:
        """The product as search shows it; None when it is not searchable (missing, INACTIVE, or no ACTIVE
        SKU). The SKUs are the product's index entries (GSI1) plus `sku_ids`, re-read consistently."""
        wanted = {s for s in sku_ids}
        for entry in Item.gsi1.query(keys.product_gsi1(product_id), Item.GSI1SK.startswith("SKU#")):
            if isinstance(entry, SkuItem):
                wanted.add(entry.skuId)
        product: ProductItem | None = None
        sales = 0
        skus: list[SkuItem] = []
        read = [keys.product(product_id), keys.product_sales(product_id), *(keys.sku(s) for s in sorted(wanted))]
        for start in range(0, len(read), 100):
            for item in Item.batch_get(read[start : start + 100], consistent_read=True):
                if isinstance(item, ProductItem):
                    product = item
                elif isinstance(item, ProductSalesItem):
                    sales = int(item.units or 0)
                elif isinstance(item, SkuItem) and item.productId == product_id:
                    skus.append(item)
        if product is None or product.status != "ACTIVE":
            return None
        active = [s for s in skus if s.status == "ACTIVE"]
        if not active:
            return None
        prices = [int(s.price.amount) for s in active]
        attributes: list[tuple[str, str]] = [(str(k), str(v)) for k, v in (product.attributes or {}).items()]
        for sku in sorted(active, key=lambda s: s.skuId):
            attributes += [(str(k), str(v)) for k, v in (sku.attributes or {}).items()]
        return SearchableProduct(
            product_id=product_id,
            store_id=product.storeId,
            name=product.name,
            currency=active[0].price.currency,
            min_price=min(prices),
            max_price=max(prices),
            created_at=product.createdAt,
            category_path=product.categoryPath,
            attributes=tuple(dict.fromkeys(attributes)),
            sales=sales_bucket(sales),
            image=_main_image(product),
            version=int(product.version),
        )

    def count_sales(self, event_id: str, units: Mapping[str, int], now: str | None = None) -> bool:
        """Add the units an order sold to each product's counter, once per event (inbox rows); False when
        the event had been counted."""
        now = now or to_rfc3339(utcnow())
        products = sorted(pid for pid, n in units.items() if n > 0)
        applied = False
        for n, start in enumerate(range(0, len(products), TX_PRODUCTS)):
            chunk = products[start : start + TX_PRODUCTS]

            tx = Transaction()  # the chunk's counters and its inbox row: applied once per event
            for pid in chunk:
                tx.update(
                    (Part.STATS, pid),
                    ProductSalesItem(*keys.product_sales(pid)),
                    [
                        ProductSalesItem.units.add(units[pid]),
                        ProductSalesItem.productId.set(pid),
                        ProductSalesItem.updatedAt.set(now),
                        ProductSalesItem.type.set(ProductSalesItem),
                    ],
                )
            add_consumed(tx, SALES_CONSUMER, f"{event_id}#{n}" if n else event_id, "OrderPaid", now)
            try:
                tx.commit()
            except TransactionCancelled as cancelled:
                if cancelled.failed(Part.INBOX):
                    continue  # this chunk was counted by an earlier delivery
                raise
            applied = True
        return applied


# ---------------------------------------------------------------- the index
def _row_keys(doc: SearchableProduct) -> list[tuple[str, str, int | None]]:
    """(partition, term, score) of every row of the document: None term/score on non-keyword rows."""
    rows: list[tuple[str, str, int | None]] = []
    for scope in (None, doc.store_id):
        rows.append((keys.product_search_partition(scope, None), "", None))
        for term, score in doc.scores.items():
            rows.append((keys.product_search_partition(scope, term), term, score))
    rows += [(keys.product_category_partition(cid), "", None) for cid in doc.category_ids]
    return rows


def _row(doc: SearchableProduct, partition: str, score: int | None) -> ProductSearchRowItem:
    pid = doc.product_id
    return ProductSearchRowItem(
        partition,
        keys.product_price_sk(doc.min_price, pid),
        GSI1PK=partition,
        GSI1SK=keys.product_newest_sk(doc.created_at, pid),
        GSI2PK=partition,
        GSI2SK=keys.product_sales_sk(doc.sales, pid),
        GSI3PK=partition if score is not None else None,
        GSI3SK=keys.product_relevance_sk(score, doc.sales, pid) if score is not None else None,
        productId=pid,
        storeId=doc.store_id,
        name=doc.name,
        currency=doc.currency,
        minPrice=doc.min_price,
        maxPrice=doc.max_price,
        createdAt=doc.created_at,
        categoryPath=doc.category_path,
        terms=dict(doc.scores),
        attributes=[list(pair) for pair in doc.attributes],
        sales=doc.sales,
        image=dict(doc.image) if doc.image else None,
        version=doc.version,
    )


def document_of(row: ProductSearchRowItem) -> SearchableProduct:
    return SearchableProduct(
        product_id=row.productId,
        store_id=row.storeId,
        name=row.name,
        currency=row.currency,
        min_price=int(row.minPrice),
        max_price=int(row.maxPrice),
        created_at=row.createdAt,
        category_path=row.categoryPath,
        attributes=tuple((str(k), str(v)) for k, v in row.attributes or []),
        sales=int(row.sales),
        image=row.image,
        version=int(row.version),
    )


def _digest(doc: SearchableProduct) -> str:
    facts = [doc.store_id, doc.name, doc.currency, doc.min_price, doc.max_price, doc.created_at]
    facts += [doc.category_path, doc.attributes, doc.sales, doc.image, doc.version, doc.scores]
    return hashlib.sha256(json.dumps(facts, sort_keys=True, default=list).encode()).hexdigest()


@dataclass(frozen=True)
class ProductSearchPage:
    items: list[SearchableProduct]
    next_cursor: str | None
    items_read: int = 0


@dataclass(frozen=True)
class Plan:
    partition: str
    index: str | None  # None: the table (by price); GSI1 newest, GSI2 sales, GSI3 relevance
    forward: bool

    @property
    def sort_attr(self) -> str:
        return "SK" if self.index is None else f"{self.index}SK"

    @property
    def partition_attr(self) -> str:
        return "PK" if self.index is None else f"{self.index}PK"


def plan(query: ProductQuery) -> Plan:
    """The one partition and order a query reads: a keyword's driving term (in the store when given), else
    the category, else every active product (of the store)."""
    if query.terms:
        partition = keys.product_search_partition(query.store_id, driving_term(query.terms))
    elif query.category_id is not None:
        partition = keys.product_category_partition(query.category_id)
    else:
        partition = keys.product_search_partition(query.store_id, None)
    sort = query.effective_sort
    if sort is SearchSort.PRICE_ASC or sort is SearchSort.PRICE_DESC:
        return Plan(partition, None, sort is SearchSort.PRICE_ASC)
    index = {SearchSort.NEWEST: "GSI1", SearchSort.SALES: "GSI2", SearchSort.RELEVANCE: "GSI3"}[sort]
    return Plan(partition, index, False)


def _start_key(row: Item, plan_: Plan) -> dict[str, Any]:
    attrs = ["PK", "SK"] + ([] if plan_.index is None else [plan_.partition_attr, plan_.sort_attr])
    return {name: {"S": getattr(row, name)} for name in attrs}


@dataclass
class DynamoProductSearch:
    """`ProductSearch` on the table's search rows (docs/data-model.md rows 190-199)."""

    budget_factor: int = READ_BUDGET_FACTOR
    last_reads: int = field(default=0, init=False)  # rows the last page read (benchmarks)

    # -------------------------------------------------------------- indexing
    def index(self, doc: SearchableProduct) -> bool:
        """Make the product's rows say `doc`; False when they already did (nothing written)."""
        digest = _digest(doc)
        new = {(pk, keys.product_price_sk(doc.min_price, doc.product_id)): score for pk, _, score in _row_keys(doc)}
        state = self._state(doc.product_id)
        old = {tuple(k) for k in state.rows} if state else set()
        if state is not None and state.digest == digest and old == set(new):
            return False
        if old - set(new):
            self._put_state(doc.product_id, old | set(new), "widened")
        with ProductSearchRowItem.batch_write() as batch:
            for (pk, _), score in new.items():
                batch.save(_row(doc, pk, score))
            for pk, sk in sorted(old - set(new)):
                batch.delete(ProductSearchRowItem(pk, sk))
        self._put_state(doc.product_id, set(new), digest)
        return True

    def remove(self, product_id: str) -> bool:
        """Take the product out of search (INACTIVE, gone, or nothing left to buy); False: it was not in."""
        state = self._state(product_id)
        if state is None or not state.rows:
            return False
        with ProductSearchRowItem.batch_write() as batch:
            for pk, sk in state.rows:
                batch.delete(ProductSearchRowItem(pk, sk))
        self._put_state(product_id, set(), "removed")
        return True

    @staticmethod
    def _state(product_id: str) -> ProductSearchStateItem | None:
        try:
            return ProductSearchStateItem.get(*keys.product_search_state(product_id), consistent_read=True)
        except DoesNotExist:
            return None

    @staticmethod
    def _put_state(product_id: str, rows: set[tuple[str, str]], digest: str) -> None:
        ProductSearchStateItem(
            *keys.product_search_state(product_id),
            rows=[list(k) for k in sorted(rows)],
            digest=digest,
            updatedAt=to_rfc3339(utcnow()),
        ).save()

    # -------------------------------------------------------------- searching
    def search(self, query: ProductQuery, limit: int, cursor: str | None) -> ProductSearchPage:
        reads = Reads(budget=self.budget_factor * limit)
        try:
            return self._search(query, limit, cursor, reads)
        finally:
            self.last_reads = reads.items

    def _search(self, query: ProductQuery, limit: int, cursor: str | None, reads: Reads) -> ProductSearchPage:
        if query.contradictory:
            return ProductSearchPage([], None)
        how = plan(query)
        start = decode_cursor(cursor, partition_attr=how.partition_attr, partition_value=how.partition)
        condition = None
        if how.index is None and (query.price_min is not None or query.price_max is not None):
            low = keys.product_price_sk(query.price_min or 0, "")
            high = keys.product_price_sk(query.price_max, "~") if query.price_max is not None else "~"
            condition = Item.SK.between(low, high)
        source = Item if how.index is None else getattr(Item, how.index.lower())
        matches: list[SearchableProduct] = []
        size = min(limit, reads.left)
        last: Item | None = None
        while True:
            results = source.query(
                how.partition, condition, scan_index_forward=how.forward, limit=size, last_evaluated_key=start
            )
            for row in results:
                reads.items += 1
                last = row
                if not isinstance(row, ProductSearchRowItem):
                    continue
                doc = document_of(row)
                if query.matches(doc):
                    matches.append(doc)
                    if len(matches) == limit:
                        return ProductSearchPage(matches, encode_cursor(_start_key(row, how)), reads.items)
            start = results.last_evaluated_key
            if not start:
                return ProductSearchPage(matches, None, reads.items)
            size = min(size * 2, reads.left)
            if size <= 0:
                position = encode_cursor(_start_key(last, how)) if last is not None else None
                return ProductSearchPage(matches, position, reads.items)
