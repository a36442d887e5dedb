"""Category repository: a store's category tree (STORE#<sid>/CATEGORY#<cid>), the store-wide count, and the
re-filing of products after a move or a delete (`oms.services.categories` decides)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from oms.domain.categories import MAX_CATEGORIES, MAX_CHILDREN, CategoryStatus, Node
from oms.domain.clock import parse_rfc3339
from oms.domain.errors import Conflict, InvalidRequest, PreconditionFailed
from oms.domain.events import OutboxEvent
from oms.domain.ids import new_id
from oms.domain.permissions import Actor
from oms.store import keys
from oms.store.audit import add_audit
from oms.store.models import CategoryItem, CategoryTreeItem, Item, OutboxItem, ProductItem, SkuItem, StoreItem
from oms.store.pages import clamp_limit, decode_cursor, encode_cursor
from oms.store.product_search import add_product_changed
from oms.store.transactions import Part, Transaction, TransactionCancelled

OUTBOX_TTL = timedelta(days=7)  # as the orders' outbox rows


@dataclass(frozen=True)
class CategoryRecord:
    category_id: str
    store_id: str
    name: str
    parent_id: str | None
    path: str
    sort_order: int
    child_count: int
    product_count: int
    status: str
    reassign_to: str | None
    version: int
    created_at: str
    updated_at: str

    @property
    def node(self) -> Node:
        return Node(self.category_id, self.parent_id, self.path, self.child_count, self.product_count)

    @property
    def active(self) -> bool:
        return self.status == CategoryStatus.ACTIVE.value


@dataclass(frozen=True)
class Filing:
    """Where a product is filed: a category and its path as read (the write checks it is still so)."""

    category_id: str
    path: str


def category_record(item: CategoryItem) -> CategoryRecord:
    return CategoryRecord(
        category_id=item.categoryId,
        store_id=item.storeId,
        name=item.name,
        parent_id=item.parentId,
        path=item.path,
        sort_order=int(item.sortOrder),
        child_count=int(item.childCount),
        product_count=int(item.productCount),
        status=item.status,
        reassign_to=item.reassignTo,
        version=int(item.version),
        created_at=item.createdAt,
        updated_at=item.updatedAt,
    )


def _category(store_id: str, category_id: str) -> CategoryItem:
    return CategoryItem(*keys.category(store_id, category_id))


def filed_here(store_id: str, filing: Filing) -> tuple[CategoryItem, Condition]:
    """The condition a product's filing writes under: its category is still active, at the path read."""
    return _category(store_id, filing.category_id), (CategoryItem.status == CategoryStatus.ACTIVE.value) & (
        CategoryItem.path == filing.path
    )


def product_filing_actions(store_id: str, product_id: str, filing: Filing | None) -> list[Action]:
    """A product's category attributes and its entry in the store's category index (removed with None)."""
    if filing is None:
        return [
            ProductItem.categoryId.remove(),
            ProductItem.categoryPath.remove(),
            ProductItem.GSI3PK.remove(),
            ProductItem.GSI3SK.remove(),
        ]
    return [
        ProductItem.categoryId.set(filing.category_id),
        ProductItem.categoryPath.set(filing.path),
        ProductItem.GSI3PK.set(keys.store_category_products_gsi3(store_id)),
        ProductItem.GSI3SK.set(keys.category_products_sort_key(filing.path, product_id)),
    ]


def sku_filing_actions(filing: Filing | None, label: str | None) -> list[Action]:
    """A SKU of a product filed in the tree matches category promotions by the product's category and its
    ancestors; unfiled, it falls back to the product's free-text `category` label (`label`)."""
    if filing is None:
        return [
            SkuItem.categoryId.set(label) if label else SkuItem.categoryId.remove(),
            SkuItem.categoryPath.remove(),
        ]
    return [SkuItem.categoryId.set(filing.category_id), SkuItem.categoryPath.set(filing.path)]


def count_change(store_id: str, category_id: str, delta: int) -> tuple[CategoryItem, list[Action]]:
    return _category(store_id, category_id), [CategoryItem.productCount.add(delta)]


class CategoryRepository:
    # ---- reads
    def tree(self, store_id: str) -> list[CategoryRecord]:
        """Every category of the store (DELETING ones too), read consistently: one Query of at most
        MAX_CATEGORIES small items."""
        pk, _ = keys.category_tree(store_id)
        results = CategoryItem.query(pk, CategoryItem.SK.startswith(keys.CATEGORY_SK_PREFIX), consistent_read=True)
        return [category_record(i) for i in results if isinstance(i, CategoryItem)]

    def get(self, store_id: str, category_id: str) -> CategoryRecord | None:
        try:
            return category_record(CategoryItem.get(*keys.category(store_id, category_id), consistent_read=True))
        except DoesNotExist:
            return None

    def tree_counts(self, store_id: str) -> tuple[int, int]:
        """(categories, roots) of the store."""
        try:
            item = CategoryTreeItem.get(*keys.category_tree(store_id), consistent_read=True)
        except DoesNotExist:
            return 0, 0
        return int(item.categories or 0), int(item.roots or 0)

    def store_exists(self, store_id: str) -> bool:
        try:
            StoreItem.get(*keys.store(store_id))
        except DoesNotExist:
            return False
        return True

    def products(
        self, store_id: str, path: str, limit: int | None, cursor: str | None
    ) -> tuple[list[ProductItem], str | None]:
        """Products filed at `path` or below it, by path then id: one begins_with range of GSI3."""
        partition = keys.store_category_products_gsi3(store_id)
        start = decode_cursor(cursor, partition_attr="GSI3PK", partition_value=partition)
        self.check_cursor(path, start)
        results = Item.gsi3.query(
            partition, Item.GSI3SK.startswith(path), limit=clamp_limit(limit), last_evaluated_key=start
        )
        items = [i for i in results if isinstance(i, ProductItem)]
        return items, encode_cursor(results.last_evaluated_key)

    @staticmethod
    def check_cursor(path: str, start: dict[str, Any] | None) -> None:
        """A cursor of another category's listing would start outside the range (DynamoDB refuses it)."""
        if start is not None and not str(start["GSI3SK"]["S"]).startswith(path):
            raise InvalidRequest("cursor is not valid for this listing", field="cursor")

    # ---- writes
    def create(self, record: CategoryRecord, parent: CategoryRecord | None, actor: Actor) -> None:
        tx = Transaction()
        tx.check(Part.STORE, StoreItem(*keys.store(record.store_id)), StoreItem.PK.exists())
        tx.put(Part.CATEGORY, _item(record), CategoryItem.PK.does_not_exist())
        tree_actions = [CategoryTreeItem.categories.add(1), CategoryTreeItem.type.set(CategoryTreeItem)]
        tree_condition = CategoryTreeItem.categories.does_not_exist() | (CategoryTreeItem.categories < MAX_CATEGORIES)
        if parent is None:
            tree_actions.append(CategoryTreeItem.roots.add(1))
            tree_condition &= CategoryTreeItem.roots.does_not_exist() | (CategoryTreeItem.roots < MAX_CHILDREN)
        else:
            tx.update(
                Part.PARENT,
                _category(record.store_id, parent.category_id),
                [CategoryItem.childCount.add(1)],
                (CategoryItem.status == CategoryStatus.ACTIVE.value)
                & (CategoryItem.path == parent.path)
                & (CategoryItem.childCount < MAX_CHILDREN),
            )
        tx.update(Part.TREE, CategoryTreeItem(*keys.category_tree(record.store_id)), tree_actions, tree_condition)
        _audit(tx, record, "category.create", actor, None, _facts(record))
        try:
            tx.commit()
        except TransactionCancelled as cancelled:
            if cancelled.failed(Part.STORE):
                raise InvalidRequest(f"store {record.store_id} does not exist", field="storeId") from cancelled
            raise Conflict("the category tree changed meanwhile (or is full); read it again") from cancelled

    def update(
        self, current: CategoryRecord, *, name: str | None, sort_order: int | None, now: str, actor: Actor
    ) -> None:
        actions: list[Action] = [CategoryItem.version.add(1), CategoryItem.updatedAt.set(now)]
        after: dict[str, Any] = {"version": current.version + 1}
        if name is not None:
            actions.append(CategoryItem.name.set(name))
            after["name"] = name
        if sort_order is not None:
            actions.append(CategoryItem.sortOrder.set(sort_order))
            after["sortOrder"] = sort_order
        tx = Transaction()
        tx.update(
            Part.CATEGORY,
            _category(current.store_id, current.category_id),
            actions,
            (CategoryItem.version == current.version) & (CategoryItem.status == CategoryStatus.ACTIVE.value),
        )
        before = {"name": current.name, "sortOrder": current.sort_order, "version": current.version}
        _audit(tx, current, "category.update", actor, before, after, now=now)
        _commit_or_stale(tx)

    def move(
        self,
        moving: CategoryRecord,
        new_parent: CategoryRecord | None,
        subtree: list[CategoryRecord],
        new_path: str,
        *,
        now: str,
        actor: Actor,
        event: OutboxEvent,
        name: str | None = None,
        sort_order: int | None = None,
    ) -> None:
        """ONE transaction: the moved category and every active descendant get their new paths (each as
        read: a child created or moved meanwhile fails it), both parents' child counts, the audit entry and
        the outbox row that re-files the subtree's products after the commit."""
        store_id = moving.store_id
        tx = Transaction()
        for node in subtree:
            actions: list[Action] = [CategoryItem.path.set(new_path + node.path[len(moving.path) :])]
            condition = (CategoryItem.path == node.path) & (CategoryItem.childCount == node.child_count)
            if node.category_id == moving.category_id:
                actions += [CategoryItem.version.add(1), CategoryItem.updatedAt.set(now)]
                actions.append(
                    CategoryItem.parentId.set(new_parent.category_id) if new_parent else CategoryItem.parentId.remove()
                )
                condition &= CategoryItem.version == moving.version
                if name is not None:
                    actions.append(CategoryItem.name.set(name))
                if sort_order is not None:
                    actions.append(CategoryItem.sortOrder.set(sort_order))
            tx.update((Part.CATEGORY, node.category_id), _category(store_id, node.category_id), actions, condition)
        roots = 0
        if moving.parent_id is None:
            roots -= 1
        else:
            tx.update(
                (Part.PARENT, "old"),
                _category(store_id, moving.parent_id),
                [CategoryItem.childCount.add(-1)],
                CategoryItem.PK.exists(),
            )
        if new_parent is None:
            roots += 1
        else:
            tx.update(
                (Part.PARENT, "new"),
                _category(store_id, new_parent.category_id),
                [CategoryItem.childCount.add(1)],
                (CategoryItem.status == CategoryStatus.ACTIVE.value)
                & (CategoryItem.path == new_parent.path)
                & (CategoryItem.childCount < MAX_CHILDREN),
            )
        if roots:
            condition = CategoryTreeItem.roots < MAX_CHILDREN if roots > 0 else CategoryTreeItem.PK.exists()
            tx.update(
                Part.TREE,
                CategoryTreeItem(*keys.category_tree(store_id)),
                [CategoryTreeItem.roots.add(roots)],
                condition,
            )
        before = {"parentId": moving.parent_id, "path": moving.path, "version": moving.version}
        after = {"parentId": new_parent.category_id if new_parent else None, "path": new_path}
        _audit(tx, moving, "category.move", actor, before, {**after, "version": moving.version + 1}, now=now)
        _outbox(tx, store_id, event, now)
        _commit_or_stale(tx)

    def delete(
        self,
        node: CategoryRecord,
        reassign_to: CategoryRecord | None,
        *,
        now: str,
        actor: Actor,
        event: OutboxEvent | None,
    ) -> None:
        """ONE transaction. Empty (or nothing to reassign): the category goes. With products and `reassign_to`:
        it stays as a DELETING tombstone (out of the tree) whose products the outbox row's action re-files;
        the target counts them at once, so it cannot be deleted as empty while they move."""
        store_id = node.store_id
        tx = Transaction()
        condition = (
            (CategoryItem.version == node.version)
            & (CategoryItem.status == CategoryStatus.ACTIVE.value)
            & (CategoryItem.childCount == 0)
            & (CategoryItem.productCount == node.product_count)
        )
        me = _category(store_id, node.category_id)
        if reassign_to is None or node.product_count == 0:
            tx.delete(Part.CATEGORY, me, condition)
        else:
            tx.update(
                Part.CATEGORY,
                me,
                [
                    CategoryItem.status.set(CategoryStatus.DELETING.value),
                    CategoryItem.reassignTo.set(reassign_to.category_id),
                    CategoryItem.version.add(1),
                    CategoryItem.updatedAt.set(now),
                ],
                condition,
            )
            tx.update(
                Part.TARGET,
                _category(store_id, reassign_to.category_id),
                [CategoryItem.productCount.add(node.product_count)],
                CategoryItem.status == CategoryStatus.ACTIVE.value,
            )
            if event is not None:
                _outbox(tx, store_id, event, now)
        if node.parent_id is None:
            tree_actions = [CategoryTreeItem.categories.add(-1), CategoryTreeItem.roots.add(-1)]
        else:
            tree_actions = [CategoryTreeItem.categories.add(-1)]
            tx.update(
                Part.PARENT,
                _category(store_id, node.parent_id),
                [CategoryItem.childCount.add(-1)],
                CategoryItem.PK.exists(),
            )
        tx.update(
            Part.TREE, CategoryTreeItem(*keys.category_tree(store_id)), tree_actions, CategoryTreeItem.PK.exists()
        )
        before = {"name": node.name, "path": node.path, "products": node.product_count, "version": node.version}
        after = {"reassignTo": reassign_to.category_id} if reassign_to and node.product_count else None
        _audit(tx, node, "category.delete", actor, before, after, now=now)
        try:
            tx.commit()
        except TransactionCancelled as cancelled:
            if cancelled.failed(Part.TARGET):
                raise InvalidRequest("the category to reassign to is being deleted", field="reassignTo") from cancelled
            raise PreconditionFailed("the category changed since you read it; read it again") from cancelled

    def forget(self, node: CategoryRecord) -> bool:
        """Remove a DELETING tombstone once no product is filed in it; False while some still are."""
        tx = Transaction()
        tx.delete(
            Part.CATEGORY,
            _category(node.store_id, node.category_id),
            (CategoryItem.status == CategoryStatus.DELETING.value) & (CategoryItem.productCount <= 0),
        )
        try:
            tx.commit()
        except TransactionCancelled:
            return False
        return True

    # ---- re-filing products (after a move or a delete)
    def product_skus(self, product_id: str) -> list[str]:
        return [i.skuId for i in Item.gsi1.query(keys.product_gsi1(product_id)) if isinstance(i, SkuItem)]

    def refile(
        self,
        product: ProductItem,
        target: CategoryRecord,
        sku_ids: list[str],
        now: str,
    ) -> bool:
        """File one product (and its SKUs) in `target` at its current path, if the product is still where it was
        read; a reassignment moves its count off the tombstone it leaves. False when either changed meanwhile."""
        store_id = product.storeId
        filing = Filing(target.category_id, target.path)
        tx = Transaction()
        check_item, check = filed_here(store_id, filing)
        tx.check(Part.CATEGORY, check_item, check)
        tx.update(
            Part.PRODUCT,
            ProductItem(*keys.product(product.productId)),
            [
                *product_filing_actions(store_id, product.productId, filing),
                ProductItem.version.add(1),  # its path changed: an If-Match read before is stale
                ProductItem.updatedAt.set(now),
            ],
            (ProductItem.categoryId == product.categoryId) & (ProductItem.categoryPath == product.categoryPath),
        )
        if product.categoryId and product.categoryId != target.category_id:
            item, actions = count_change(store_id, product.categoryId, -1)
            tx.update(Part.PARENT, item, actions, CategoryItem.PK.exists())
        for sku_id in sku_ids:
            tx.update(
                (Part.SKU, sku_id),
                SkuItem(*keys.sku(sku_id)),
                [*sku_filing_actions(filing, None), SkuItem.version.add(1)],
                SkuItem.PK.exists(),
            )
        add_product_changed(tx, product.productId, now)  # search filters on the category path
        try:
            tx.commit()
        except TransactionCancelled:
            return False
        return True

    def continue_later(self, store_id: str, event: OutboxEvent, now: str) -> None:
        """The next part of a long re-filing: a new outbox row of the same event (one write, nothing else)."""
        tx = Transaction()
        _outbox(tx, store_id, event, now)
        tx.commit()


def _item(record: CategoryRecord) -> CategoryItem:
    return CategoryItem(
        *keys.category(record.store_id, record.category_id),
        categoryId=record.category_id,
        storeId=record.store_id,
        name=record.name,
        parentId=record.parent_id,
        path=record.path,
        sortOrder=record.sort_order,
        childCount=record.child_count,
        productCount=record.product_count,
        status=record.status,
        reassignTo=record.reassign_to,
        version=record.version,
        createdAt=record.created_at,
        updatedAt=record.updated_at,
    )


def _facts(record: CategoryRecord) -> dict[str, Any]:
    return {"name": record.name, "parentId": record.parent_id, "path": record.path, "sortOrder": record.sort_order}


def _audit(
    tx: Transaction,
    record: CategoryRecord,
    action: str,
    actor: Actor,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    *,
    now: str | None = None,
) -> None:
    add_audit(
        tx,
        f"CATEGORY#{record.store_id}#{record.category_id}",
        action,
        actor=actor,
        now=now or record.updated_at,
        before=before,
        after=after,
        reason=None,
    )


def _outbox(tx: Transaction, store_id: str, event: OutboxEvent, now: str) -> None:
    event_id = new_id()
    tx.put(
        Part.OUTBOX,
        OutboxItem(
            keys.category_jobs_pk(store_id),
            keys.outbox_sk(event_id),
            eventId=event_id,
            detailType=event.type,
            detail=event.detail,
            createdAt=now,
            expiresAt=parse_rfc3339(now) + OUTBOX_TTL,
        ),
    )


def _commit_or_stale(tx: Transaction) -> None:
    try:
        tx.commit()
    except TransactionCancelled as cancelled:
        raise PreconditionFailed("the category tree changed since you read it; read it again") from cancelled
