"""The `ProductSearch` contract, one suite for every implementation: the DynamoDB search rows (under moto)
and the in-memory reference. Each case indexes the same catalogue and compares every page with the
reference order (`oms.domain.product_search.rank`) computed by brute force over the documents."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from oms.domain.product_search import SearchableProduct, SearchSort, build_query, descending, rank
from oms.services.product_search import ProductSearch
from oms.store.product_search import DynamoProductSearch

from tests.helpers.handlers import table_definition
from tests.helpers.moto_state import mocked_aws, reset_between_tests
from tests.helpers.product_search import InMemoryProductSearch, catalogue


@pytest.fixture(scope="module")
def moto_table() -> Iterator[None]:
    with mocked_aws(table_definition):
        yield


@pytest.fixture(params=["dynamodb", "memory"])
def engine(request: pytest.FixtureRequest, moto_table: None) -> Iterator[ProductSearch]:
    built: ProductSearch = DynamoProductSearch() if request.param == "dynamodb" else InMemoryProductSearch()
    for doc in catalogue():
        assert built.index(doc) is True
    yield built
    reset_between_tests(table_definition)


def everything(engine: ProductSearch, limit: int = 2, **params: Any) -> list[str]:
    """Every page of a query, followed to the end (pages may be short: the read budget)."""
    query = build_query(
        params.get("q"),
        store_id=params.get("store"),
        category_id=params.get("category"),
        price_min=params.get("price_min"),
        price_max=params.get("price_max"),
        attributes=params.get("attr"),
        sort=params.get("sort", SearchSort.RELEVANCE),
    )
    found: list[str] = []
    cursor = None
    for _ in range(50):
        page = engine.search(query, limit, cursor)
        assert len(page.items) <= limit
        found += [d.product_id for d in page.items]
        cursor = page.next_cursor
        if cursor is None:
            return found
    raise AssertionError("the pages never ended")


def reference(docs: list[SearchableProduct], **params: Any) -> list[str]:
    query = build_query(
        params.get("q"),
        store_id=params.get("store"),
        category_id=params.get("category"),
        price_min=params.get("price_min"),
        price_max=params.get("price_max"),
        attributes=params.get("attr"),
        sort=params.get("sort", SearchSort.RELEVANCE),
    )
    matching = [d for d in docs if query.matches(d)]
    return [d.product_id for d in sorted(matching, key=lambda d: rank(d, query), reverse=descending(query))]


CASES: list[dict[str, Any]] = [
    {},
    {"q": "连衣裙"},
    {"q": "夏季连衣裙"},
    {"q": "裙"},
    {"q": "碎花", "sort": SearchSort.PRICE_ASC},
    {"q": "classic tee"},
    {"q": "CLASSIC", "store": "s2", "sort": SearchSort.NEWEST},
    {"q": "iphone15 手机"},
    {"q": "红色"},
    {"q": "手机壳", "sort": SearchSort.PRICE_DESC},
    {"category": "C1"},
    {"category": "C2", "sort": SearchSort.PRICE_DESC},
    {"category": "C9", "q": "tee"},
    {"store": "s1", "sort": SearchSort.SALES},
    {"price_min": 5000, "price_max": 20000, "sort": SearchSort.PRICE_ASC},
    {"price_min": 5000, "price_max": 20000, "sort": SearchSort.NEWEST},
    {"price_max": 4900},
    {"attr": "颜色:红色"},
    {"attr": "颜色:红色,material:cotton", "sort": SearchSort.PRICE_ASC},
    {"sort": SearchSort.SALES},
    {"sort": SearchSort.NEWEST},
    {"q": "冬季"},
    {"category": "nowhere"},
]


@pytest.mark.parametrize("params", CASES, ids=[",".join(f"{k}={v}" for k, v in c.items()) or "all" for c in CASES])
def test_every_page_in_the_reference_order(engine: ProductSearch, params: dict[str, Any]) -> None:
    expected = reference(catalogue(), **params)
    assert everything(engine, **params) == expected
    assert everything(engine, limit=100, **params) == expected


def test_the_catalogue_cases_are_not_trivial() -> None:
    """The cases above find different, non-empty answers (a suite that finds nothing proves nothing)."""
    answers = {tuple(reference(catalogue(), **c)) for c in CASES}
    assert len(answers) >= 15
    assert reference(catalogue(), q="夏季连衣裙") == ["P01"]
    assert set(reference(catalogue(), category="C1")) == {"P01", "P02", "P07"}


def test_reindexing_moves_and_removes(engine: ProductSearch) -> None:
    docs = {d.product_id: d for d in catalogue()}
    assert engine.index(docs["P04"]) is False  # the same document again: nothing to write
    cheaper = replace(docs["P07"], name="连衣裙 短款", min_price=100, max_price=100, category_path="/C1/")
    assert engine.index(cheaper) is True
    docs["P07"] = cheaper
    assert engine.remove("P02") is True
    assert engine.remove("P02") is False
    del docs["P02"]
    for params in ({"q": "长款"}, {"q": "短款"}, {"category": "C3"}, {"sort": SearchSort.PRICE_ASC}, {"q": "碎花"}):
        assert everything(engine, **params) == reference(list(docs.values()), **params), params
    assert everything(engine, q="短款") == ["P07"] and everything(engine, q="长款") == []


def test_a_cursor_continues_where_the_page_ended_and_sales_ties_break_by_id(engine: ProductSearch) -> None:
    query = build_query(
        None, store_id="s1", category_id=None, price_min=None, price_max=None, attributes=None, sort=SearchSort.SALES
    )
    first = engine.search(query, 2, None)
    assert [d.product_id for d in first.items] == ["P07", "P02"]  # P01 and P02 both sold 40: the larger id first
    assert first.next_cursor is not None
    second = engine.search(query, 2, first.next_cursor)
    assert [d.product_id for d in second.items] == ["P01", "P04"]
