"""The category tree's pure rules (oms.domain.categories): paths, moves, deletes and the nested view."""

from __future__ import annotations

import pytest
from oms.domain import categories as c
from oms.domain.errors import InvalidRequest


def node(path: str, children: int = 0, products: int = 0) -> c.Node:
    ids = c.ids_of(path)
    return c.Node(ids[-1], ids[-2] if len(ids) > 1 else None, path, children, products)


def test_paths_and_repathing_only_touch_the_moved_subtree() -> None:
    assert c.path_of(None, "A") == "/A/" and c.path_of("/A/", "B") == "/A/B/"
    assert c.depth_of("/A/B/C/") == 3 and c.ids_of("/A/B/") == ["A", "B"]
    assert c.repathed("/A/B/C/", "/A/B/", "/X/B/") == "/X/B/C/"
    assert c.repathed("/A/BC/", "/A/B/", "/X/B/") == "/A/BC/"  # a sibling whose id starts alike is not in it
    assert not c.in_subtree("/A/BC/", "/A/B/")


def test_a_move_is_refused_into_its_own_subtree_past_the_depth_or_too_big() -> None:
    moving = node("/A/B/", children=1)
    subtree = [moving, node("/A/B/C/")]
    with pytest.raises(c.CategoryRuleBroken) as own:
        c.check_move(moving, node("/A/B/C/"), subtree, siblings=0)
    assert own.value.extensions["rule"] == "own-subtree"
    assert c.check_move(moving, node("/X/"), subtree, siblings=0) == "/X/B/"
    assert c.check_move(moving, None, subtree, siblings=0) == "/B/"
    with pytest.raises(c.CategoryRuleBroken) as deep:
        c.check_move(moving, node("/X/Y/Z/W/"), subtree, siblings=0)  # C would be at depth 6
    assert deep.value.extensions["rule"] == "max-depth"
    with pytest.raises(c.CategoryRuleBroken) as full:
        c.check_move(moving, node("/X/"), subtree, siblings=c.MAX_CHILDREN)
    assert full.value.extensions["rule"] == "max-children"
    big = [moving, *(node(f"/A/B/N{n}/") for n in range(c.MAX_MOVED_SUBTREE))]
    with pytest.raises(c.CategoryRuleBroken) as too_big:
        c.check_move(moving, node("/X/"), big, siblings=0)
    assert too_big.value.extensions["rule"] == "moved-subtree"


def test_new_children_and_deletes_keep_the_limits() -> None:
    c.check_new_child(node("/A/B/C/D/"), siblings=0, categories=0)
    with pytest.raises(c.CategoryRuleBroken):
        c.check_new_child(node("/A/B/C/D/E/"), siblings=0, categories=0)
    with pytest.raises(c.CategoryRuleBroken):
        c.check_new_child(None, siblings=0, categories=c.MAX_CATEGORIES)
    with pytest.raises(c.CategoryNotEmpty):
        c.check_delete(node("/A/", children=1), None)
    with pytest.raises(c.CategoryNotEmpty):
        c.check_delete(node("/A/", products=2), None)
    c.check_delete(node("/A/", products=2), node("/B/"))
    with pytest.raises(InvalidRequest):
        c.check_delete(node("/A/", products=2), node("/A/"))


def test_the_tree_nests_children_by_sort_order_then_name() -> None:
    views = [
        {"categoryId": "b", "parentId": None, "sortOrder": 1, "name": "B"},
        {"categoryId": "a", "parentId": None, "sortOrder": 1, "name": "A"},
        {"categoryId": "z", "parentId": None, "sortOrder": 0, "name": "Z"},
        {"categoryId": "a1", "parentId": "a", "sortOrder": 0, "name": "A1"},
    ]
    nested = c.tree(views)
    assert [n["categoryId"] for n in nested] == ["z", "a", "b"]
    assert [n["categoryId"] for n in nested[1]["children"]] == ["a1"]  # type: ignore[index]


def test_a_scope_on_a_category_covers_its_descendants_and_exact_labels() -> None:
    from oms.domain.promotions import Scope

    tea = Scope("demo", frozenset({"TEA"}))
    assert tea.covers(store_id="demo", sku_id="S", category_id="GREEN", category_path="/TEA/GREEN/")
    assert tea.covers(store_id="demo", sku_id="S", category_id="TEA", category_path=None)  # a label, as before
    assert not tea.covers(store_id="demo", sku_id="S", category_id="GREEN", category_path="/DRINKS/GREEN/")
    assert not tea.covers(store_id="demo", sku_id="S", category_id="TEAS", category_path="/TEAS/")
    assert not tea.covers(store_id="other", sku_id="S", category_id="GREEN", category_path="/TEA/GREEN/")
