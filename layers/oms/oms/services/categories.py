"""Category use cases: a store's tree (create, rename, reorder, move, delete), where a product is filed, the
products of a category with its descendants', and the re-filing of products after a move or a delete.

Permission is the edge's (catalog:write, as for products). The tree's rules are `oms.domain.categories`;
every change is one conditional transaction with its audit entry, and a move or a delete that leaves
products at old paths writes an outbox row whose after-commit action (`refile`) re-files them page by page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from oms.domain import events
from oms.domain.categories import (
    CategoryStatus,
    check_delete,
    check_move,
    check_new_child,
    depth_of,
    in_subtree,
    path_of,
    tree,
)
from oms.domain.clock import to_rfc3339, utcnow
from oms.domain.errors import InvalidRequest, NotFound, PreconditionFailed
from oms.domain.ids import new_id
from oms.domain.permissions import Actor
from oms.store.categories import CategoryRecord, CategoryRepository, Filing
from oms.store.pages import Page

REFILE_PAGE = 25  # products read per index page while re-filing
REFILE_PER_RUN = 500  # products one after-commit run re-files; the rest continue from a new outbox row
MAX_REASSIGN_HOPS = 5  # a reassignment target deleted in turn: follow where its products went


def category_view(record: CategoryRecord) -> dict[str, Any]:
    return {
        "categoryId": record.category_id,
        "storeId": record.store_id,
        "name": record.name,
        "parentId": record.parent_id,
        "path": record.path,
        "depth": depth_of(record.path),
        "sortOrder": record.sort_order,
        "childCount": record.child_count,
        "productCount": record.product_count,
        "version": record.version,
        "createdAt": record.created_at,
        "updatedAt": record.updated_at,
    }


class CategoryService:
    def __init__(
        self,
        repository: CategoryRepository,
        product_view: Callable[[Any], dict[str, Any]],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.repository = repository
        self.product_view = product_view  # a product item as the catalog shows it in listings
        self.clock = clock

    def _now(self) -> str:
        return to_rfc3339(self.clock())

    # ---------------------------------------------------------------- reads
    def tree(self, store_id: str) -> list[dict[str, Any]]:
        nodes = [category_view(c) for c in self.repository.tree(store_id) if c.active]
        if not nodes and not self.repository.store_exists(store_id):
            raise NotFound(f"store {store_id} not found")
        return tree(nodes)

    def _active(self, store_id: str, category_id: str) -> CategoryRecord:
        found = self.repository.get(store_id, category_id)
        if found is None or not found.active:
            raise NotFound(f"category {category_id} not found in store {store_id}")
        return found

    def category(self, store_id: str, category_id: str) -> dict[str, Any]:
        return category_view(self._active(store_id, category_id))

    def filing(self, store_id: str, category_id: str) -> Filing:
        """Where a product of `store_id` is filed when it names `category_id` (422: not a category of its store)."""
        found = self.repository.get(store_id, category_id)
        if found is None or not found.active:
            raise InvalidRequest(f"category {category_id} is not a category of store {store_id}", field="categoryId")
        return Filing(found.category_id, found.path)

    def products(self, store_id: str, category_id: str, limit: int | None, cursor: str | None) -> Page[dict[str, Any]]:
        """The category's products and its descendants', by path then product id (one index range)."""
        category = self._active(store_id, category_id)
        items, next_cursor = self.repository.products(store_id, category.path, limit, cursor)
        return Page([self.product_view(i) for i in items], next_cursor)

    # ---------------------------------------------------------------- changes
    def create(
        self, actor: Actor, store_id: str, *, name: str, parent_id: str | None, sort_order: int
    ) -> dict[str, Any]:
        parent = None
        if parent_id is not None:
            parent = self.repository.get(store_id, parent_id)
            if parent is None or not parent.active:
                raise InvalidRequest(f"parent {parent_id} is not a category of store {store_id}", field="parentId")
        categories, roots = self.repository.tree_counts(store_id)
        check_new_child(parent.node if parent else None, parent.child_count if parent else roots, categories)
        now, category_id = self._now(), new_id()
        record = CategoryRecord(
            category_id=category_id,
            store_id=store_id,
            name=name,
            parent_id=parent_id,
            path=path_of(parent.path if parent else None, category_id),
            sort_order=sort_order,
            child_count=0,
            product_count=0,
            status=CategoryStatus.ACTIVE.value,
            reassign_to=None,
            version=1,
            created_at=now,
            updated_at=now,
        )
        self.repository.create(record, parent, actor)
        return category_view(record)

    def change(
        self, actor: Actor, store_id: str, category_id: str, changes: Mapping[str, Any], if_match: int | None
    ) -> dict[str, Any]:
        """Rename and reorder (`name`, `sortOrder`) and/or move (`parentId`; None: make it a root)."""
        current = self._active(store_id, category_id)
        if if_match is not None and current.version != if_match:
            raise PreconditionFailed("the category has changed since you read it (If-Match)")
        name, sort_order = changes.get("name"), changes.get("sortOrder")
        if "parentId" in changes and changes["parentId"] != current.parent_id:
            self._move(actor, current, changes["parentId"], name=name, sort_order=sort_order)
        elif name is not None or sort_order is not None:
            self.repository.update(current, name=name, sort_order=sort_order, now=self._now(), actor=actor)
        return self.category(store_id, category_id)

    def _move(
        self, actor: Actor, moving: CategoryRecord, parent_id: str | None, *, name: str | None, sort_order: int | None
    ) -> None:
        store_id = moving.store_id
        nodes = {c.category_id: c for c in self.repository.tree(store_id) if c.active}
        new_parent = None
        if parent_id is not None:
            new_parent = nodes.get(parent_id)
            if new_parent is None:
                raise InvalidRequest(f"parent {parent_id} is not a category of store {store_id}", field="parentId")
        subtree = [c for c in nodes.values() if in_subtree(c.path, moving.path)]
        siblings = new_parent.child_count if new_parent else sum(1 for c in nodes.values() if c.parent_id is None)
        new_path = check_move(moving.node, new_parent.node if new_parent else None, [c.node for c in subtree], siblings)
        event = events.category_moved(
            store_id, moving.category_id, from_path=moving.path, to_path=new_path, by=actor.subject
        )
        self.repository.move(
            moving,
            new_parent,
            subtree,
            new_path,
            now=self._now(),
            actor=actor,
            event=event,
            name=name,
            sort_order=sort_order,
        )

    def delete(
        self, actor: Actor, store_id: str, category_id: str, reassign_to: str | None, if_match: int | None
    ) -> dict[str, Any]:
        current = self._active(store_id, category_id)
        if if_match is not None and current.version != if_match:
            raise PreconditionFailed("the category has changed since you read it (If-Match)")
        target = None
        if reassign_to is not None:
            target = self.repository.get(store_id, reassign_to)
            if target is None or not target.active:
                raise InvalidRequest(
                    f"category {reassign_to} is not a category of store {store_id}", field="reassignTo"
                )
        check_delete(current.node, target.node if target else None)
        event = None
        if target is not None and current.product_count:
            event = events.category_deleted(
                store_id,
                category_id,
                path=current.path,
                reassign_to=target.category_id,
                products=current.product_count,
                by=actor.subject,
            )
        self.repository.delete(current, target, now=self._now(), actor=actor, event=event)
        moving = current.product_count if event is not None else 0
        return {"storeId": store_id, "categoryId": category_id, "reassignTo": reassign_to, "reassigning": moving}

    # ---------------------------------------------------------------- after the commit
    def refile(self, detail: Mapping[str, Any]) -> int:
        """CategoryMoved / CategoryDeleted → every product still filed under `fromPath` is re-filed at its
        category's current path (a deleted category's: its target's), one transaction each, conditioned on the
        product being where it was read (a product changed meanwhile is left to that change). Idempotent: a
        product already at its place is skipped. Bounded: after REFILE_PER_RUN products the rest continue from
        a new outbox row carrying the cursor. Returns how many products were re-filed."""
        store_id, prefix = str(detail["storeId"]), str(detail["fromPath"])
        cursor: str | None = detail.get("cursor")
        categories: dict[str, CategoryRecord | None] = {}
        refiled = seen = 0
        while True:
            items, cursor = self.repository.products(store_id, prefix, REFILE_PAGE, cursor)
            for product in items:
                seen += 1
                target = self._resolve(store_id, product.categoryId, categories)
                if target is None or (product.categoryId, product.categoryPath) == (target.category_id, target.path):
                    continue
                skus = self.repository.product_skus(product.productId)
                if self.repository.refile(product, target, skus, self._now()):
                    refiled += 1
            if cursor is None:
                break
            if seen >= REFILE_PER_RUN:
                self.repository.continue_later(
                    store_id, events.OutboxEvent(_type(detail), {**detail, "cursor": cursor}), self._now()
                )
                return refiled
        if detail.get("reassignTo"):
            tombstone = self.repository.get(store_id, str(detail["categoryId"]))
            if tombstone is not None and not tombstone.active and not self.repository.forget(tombstone):
                # Products the index did not show yet: the record fails and is delivered again.
                raise RuntimeError(f"category {tombstone.category_id} still has products to reassign")
        return refiled

    def _resolve(
        self, store_id: str, category_id: str | None, cache: dict[str, CategoryRecord | None]
    ) -> CategoryRecord | None:
        """The active category a product filed in `category_id` belongs in now (following reassignments)."""
        for _ in range(MAX_REASSIGN_HOPS):
            if category_id is None:
                return None
            if category_id not in cache:
                cache[category_id] = self.repository.get(store_id, category_id)
            found = cache[category_id]
            if found is None:
                return None
            if found.active:
                return found
            category_id = found.reassign_to
        return None


def _type(detail: Mapping[str, Any]) -> events.EventType:
    return events.EventType.CATEGORY_DELETED if detail.get("reassignTo") else events.EventType.CATEGORY_MOVED
