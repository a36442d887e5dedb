"""A store's category tree, pure: paths, the tree's limits, and what a move or a delete may do.

A category's path is "/<rootId>/<childId>/.../<ownId>/": the ids of its ancestors and its own, root first,
each followed by "/". Ids never contain "/", so "one path starts with another" is "one category is in the
other's subtree", and a product filed in a category carries that path (`categoryPath`): listing a category
with its descendants' products is one prefix (begins_with) range of an index.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from oms.domain.errors import Conflict, InvalidRequest

MAX_DEPTH = 5  # levels: a root is at depth 1
MAX_CHILDREN = 100  # direct children of one category (and roots of one store)
MAX_CATEGORIES = 1000  # per store: the tree is read whole, in one bounded Query
# A move rewrites the moved category's and every descendant's path in its own transaction (100 items at
# most, with the two parents, the audit entry and the outbox row): a bigger subtree is moved in parts.
MAX_MOVED_SUBTREE = 90


class CategoryStatus(StrEnum):
    ACTIVE = "ACTIVE"
    DELETING = "DELETING"  # deleted with its products reassigned: gone from the tree, products being moved


class CategoryRuleBroken(Conflict):
    """A tree rule refused the change (`rule` names it)."""

    slug = "category-rule"
    title = "The category tree does not allow this"


class CategoryNotEmpty(Conflict):
    slug = "category-not-empty"
    title = "The category still has child categories or products"


@dataclass(frozen=True, slots=True)
class Node:
    """What the rules need of one category."""

    category_id: str
    parent_id: str | None
    path: str
    child_count: int
    product_count: int

    @property
    def depth(self) -> int:
        return depth_of(self.path)


def path_of(parent_path: str | None, category_id: str) -> str:
    return f"{parent_path or '/'}{category_id}/"


def ids_of(path: str) -> list[str]:
    """The ids on a path, root first."""
    return [part for part in path.split("/") if part]


def depth_of(path: str) -> int:
    return len(ids_of(path))


def in_subtree(path: str, root_path: str) -> bool:
    return path.startswith(root_path)


def repathed(path: str, old_prefix: str, new_prefix: str) -> str:
    """A path in a moved subtree, after the move (unchanged when it is not in that subtree)."""
    return new_prefix + path[len(old_prefix) :] if path.startswith(old_prefix) else path


def check_new_child(parent: Node | None, siblings: int, categories: int) -> None:
    """A new category under `parent` (None: a root) with `siblings` children there already."""
    if categories >= MAX_CATEGORIES:
        raise CategoryRuleBroken(f"a store has at most {MAX_CATEGORIES} categories", rule="max-categories")
    if siblings >= MAX_CHILDREN:
        raise CategoryRuleBroken(f"a category has at most {MAX_CHILDREN} children", rule="max-children")
    if parent is not None and parent.depth >= MAX_DEPTH:
        raise CategoryRuleBroken(f"the tree is at most {MAX_DEPTH} levels deep", rule="max-depth")


def check_move(moving: Node, new_parent: Node | None, subtree: Iterable[Node], siblings: int) -> str:
    """The moved category's new path; refuses a move into its own subtree, past the depth limit, into a full
    parent, or of a subtree too big for one transaction. `subtree`: the moving category and its descendants."""
    if new_parent is not None and in_subtree(new_parent.path, moving.path):
        raise CategoryRuleBroken("a category cannot move into its own subtree", rule="own-subtree", field="parentId")
    nodes = list(subtree)
    if len(nodes) > MAX_MOVED_SUBTREE:
        raise CategoryRuleBroken(
            f"a move takes at most {MAX_MOVED_SUBTREE} categories (this subtree has {len(nodes)}): move its "
            "children first",
            rule="moved-subtree",
        )
    if siblings >= MAX_CHILDREN:
        raise CategoryRuleBroken(f"a category has at most {MAX_CHILDREN} children", rule="max-children")
    new_path = path_of(new_parent.path if new_parent else None, moving.category_id)
    deepest = max(depth_of(repathed(n.path, moving.path, new_path)) for n in nodes)
    if deepest > MAX_DEPTH:
        raise CategoryRuleBroken(f"the tree is at most {MAX_DEPTH} levels deep", rule="max-depth", field="parentId")
    return new_path


def check_delete(node: Node, reassign_to: Node | None) -> None:
    """Deleted only without children, and without products unless they go to `reassign_to` (another category)."""
    if node.child_count:
        raise CategoryNotEmpty(
            "the category has child categories: move or delete them first", children=node.child_count
        )
    if reassign_to is None:
        if node.product_count:
            raise CategoryNotEmpty(
                "the category has products: reassign them (reassignTo) or move them first", products=node.product_count
            )
        return
    if reassign_to.category_id == node.category_id:
        raise InvalidRequest("products cannot be reassigned to the category being deleted", field="reassignTo")


def tree(nodes: Iterable[Mapping[str, object]]) -> list[dict[str, object]]:
    """Category views (with `categoryId`, `parentId`, `sortOrder`, `name`) nested as `children`, each level
    ordered by sort order, then name, then id."""
    by_parent: dict[str | None, list[dict[str, object]]] = {}
    for view in nodes:
        by_parent.setdefault(view["parentId"], []).append({**view})  # type: ignore[arg-type]

    def order(view: Mapping[str, object]) -> tuple[int, str, str]:
        return int(view["sortOrder"]), str(view["name"]), str(view["categoryId"])  # type: ignore[call-overload]

    def level(parent: str | None) -> list[dict[str, object]]:
        children = sorted(by_parent.get(parent, []), key=order)
        for child in children:
            child["children"] = level(str(child["categoryId"]))
        return children

    return level(None)
