"""Shopper product search benchmark: rows read, DynamoDB calls and latency per page of
`GET /search/products` for each way a query is served, at 1k, 10k and 100k products. One command:

    python -m tests.bench.product_search [--products 1000 10000 100000] [--limit 20]

Products (10 kinds of goods with Chinese names and a Latin model word, 5 stores, a two-level category
tree, prices from 10.00 to 2,000.00, sales 0-5,000) are turned into their search rows by the code that
indexes them (`oms.store.product_search`) and put straight into an in-process moto table, cumulatively
(10k adds 9k to the first 1k). Only the rows of the partitions the queries below read are written (every
product's rows there: all products, their store, their root and leaf category, the queried terms): the
rows of other partitions (the other terms) change no number here, and writing them all (~25 per product)
would take gigabytes of moto memory at 100k. Then the catalog function's handler answers the first page
and the next one of each query; the table prints the rows each page read (the search's own count: items
its Queries evaluated), its DynamoDB calls (botocore hooks) and the handler's wall time in moto (moto's
query reads the whole table in Python: the latency is moto's, not DynamoDB's). The claim: rows read and
calls stay flat from 1k to 100k, because a page is a bounded read of one key range, never a Scan.
"""

from __future__ import annotations

import argparse
import bisect
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_SESSION_TOKEN", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("TABLE_NAME", "oms-bench-product-search")
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("PRODUCT_SEARCH_ENDPOINT", None)

import boto3
import botocore.session
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.dynamo_type import Item as MotoItem
from moto.dynamodb.models.table import Table
from oms.domain.product_search import SearchableProduct
from oms.store import keys
from oms.store.product_search import _row, _row_keys

from tests.helpers.handlers import Api, load_function, table_definition

GOODS = ["连衣裙", "半身裙", "衬衫", "牛仔裤", "运动鞋", "手机壳", "双肩包", "保温杯", "耳机", "台灯"]
STYLES = ["夏季", "碎花", "纯棉", "复古", "轻薄", "加厚", "简约", "时尚"]
COLOURS = ["红色", "白色", "黑色", "蓝色"]
# (label, query): one of each way a query is served (docs/data-model.md rows 190-199).
KINDS: list[tuple[str, dict[str, str]]] = [
    ("no filter, relevance = sales (GSI2 PSEARCH#*#*)", {}),
    ("newest in a store (GSI1 PSEARCH#S:<sid>#*)", {"store": "S2", "sort": "newest"}),
    ("keyword 连衣裙 (GSI3 PSEARCH#*#T:连衣)", {"q": "连衣裙"}),
    ("keyword 连衣裙, by price (SK of PSEARCH#*#T:连衣)", {"q": "连衣裙", "sort": "price"}),
    ("keyword 夏季连衣裙 in a store (2 anchors, filter)", {"q": "夏季连衣裙", "store": "S1"}),
    ("Latin word model7 (GSI3 PSEARCH#*#T:model7)", {"q": "MODEL7", "sort": "sales"}),
    ("category C1 with descendants, by price (PSEARCH#C:C1)", {"category": "C1", "sort": "price"}),
    ("price 100.00-150.00, by price (SK range)", {"priceMin": "10000", "priceMax": "15000", "sort": "price"}),
    ("price 100.00-150.00, by sales (filter on GSI2)", {"priceMin": "10000", "priceMax": "15000", "sort": "sales"}),
    ("attribute 颜色:红色, newest (filter on GSI1)", {"attr": "颜色:红色", "sort": "newest"}),
    ("rare: 台灯 + 蓝色 + store, -price (filter)", {"q": "台灯", "attr": "颜色:蓝色", "store": "S4", "sort": "-price"}),
]
SIZES, LIMIT = (1000, 10000, 100000), 20
MEASURED = {
    keys.product_search_partition(scope, term)
    for scope in (None, "S1", "S2", "S4")
    for term in (None, "连衣", "夏季", "model7", "台灯")
} | {keys.product_category_partition("C1")}
_calls: Counter[str] = Counter()


def _count(model: Any, **_: Any) -> None:
    _calls[f"{model.service_model.service_name}:{model.name}"] += 1


def install_counter() -> None:
    original = botocore.session.Session.create_client

    def create_client(self: botocore.session.Session, *args: Any, **kwargs: Any) -> Any:
        client = original(self, *args, **kwargs)
        client.meta.events.register("before-call.*.*", _count)
        return client

    botocore.session.Session.create_client = create_client  # type: ignore[method-assign]


def products(rng: random.Random, count: int) -> list[SearchableProduct]:
    found = []
    for n in range(count):
        goods = rng.randrange(len(GOODS))
        price = rng.randrange(1000, 200000)
        leaf = f"C{goods + 10}"
        found.append(
            SearchableProduct(
                product_id=f"P{n:07d}",
                store_id=f"S{rng.randrange(5)}",
                name=f"Model{rng.randrange(100)} {rng.choice(STYLES)}{GOODS[goods]}",
                currency="CNY",
                min_price=price,
                max_price=price + rng.randrange(0, 5000),
                created_at=f"2026-{rng.randrange(1, 12):02d}-{rng.randrange(1, 28):02d}T00:00:00Z",
                category_path=f"/C{goods % 3}/{leaf}/",
                attributes=(("颜色", rng.choice(COLOURS)),),
                sales=rng.randrange(0, 5000),
            )
        )
    return found


_PARTITIONS: dict[tuple[str, str], list[MotoItem]] = {}


@contextmanager
def partitioned_queries() -> Iterator[None]:
    """Speed moto's queries up to what DynamoDB does: read the queried partition only. moto walks every
    item of the table for each query (and sorts with DynamoType comparisons): at 100k products that is
    seconds per query. Here each partition (table or index key) is a list kept in key order as rows are
    seeded; moto then does the rest (start key, limit, conditions) on it as on the whole table."""
    original = Table.query

    def query(self: Table, *args: Any, **kwargs: Any) -> Any:
        index_name = args[7] if len(args) > 7 else kwargs.get("index_name")
        if index_name:
            [(name, value)] = kwargs["hash_key_conditions"]
            partition = _PARTITIONS.get((name, value.value), [])
        else:
            partition = _PARTITIONS.get(("PK", args[0].value), [])
        self.all_items = lambda: partition  # type: ignore[method-assign]
        self.sorted_items = lambda hash_attrs, range_attrs, found: found  # type: ignore[method-assign]
        try:
            return original(self, *args, **kwargs)
        finally:
            del self.all_items
            del self.sorted_items

    Table.query = query  # type: ignore[method-assign]
    try:
        yield
    finally:
        Table.query = original  # type: ignore[method-assign]


def _file(stored: MotoItem, attrs: dict[str, Any]) -> None:
    for index in ("", "GSI1", "GSI2", "GSI3"):
        pk = attrs.get(f"{index or ''}PK")
        if pk is not None:
            bisect.insort(_PARTITIONS.setdefault((f"{index}PK", pk["S"]), []), stored, key=_sort_key(index))


def _sort_key(index: str) -> Any:
    name = f"{index}SK" if index else "SK"
    return lambda item: (item.attrs[name].value, item.attrs["SK"].value)


def seed(docs: list[SearchableProduct]) -> int:
    """The measured partitions' rows of `docs`, put into moto's in-process table as its put_item stores them."""
    table = dynamodb_backends[DEFAULT_ACCOUNT_ID][os.environ["AWS_DEFAULT_REGION"]].get_table(os.environ["TABLE_NAME"])
    written = 0
    for doc in docs:
        for partition, _, score in _row_keys(doc):
            if partition not in MEASURED:
                continue
            attrs = _row(doc, partition, score).serialize()
            stored = MotoItem(DynamoType(attrs["PK"]), DynamoType(attrs["SK"]), {})
            dict.update(stored.attrs, {name: DynamoType(value) for name, value in attrs.items()})
            table.items[stored.hash_key][stored.range_key] = stored
            _file(stored, attrs)
            written += 1
    return written


def measure(api: Api, module: Any, query: dict[str, str], limit: int) -> list[tuple[int, int, float, int]]:
    """(rows read, DynamoDB calls, milliseconds, products answered) of the first two pages."""
    pages = []
    cursor = None
    for _ in range(2):
        params = {**query, "limit": str(limit), **({"cursor": cursor} if cursor else {})}
        _calls.clear()
        started = time.perf_counter()
        status, _, body = api("GET", "/search/products", route="GET /search/products", query=params)
        elapsed = (time.perf_counter() - started) * 1000
        assert status == 200, body
        assert "dynamodb:Scan" not in _calls, _calls
        reads = module.services.product_search.engine.last_reads
        pages.append((reads, sum(_calls.values()), elapsed, len(body["items"])))
        cursor = body["next_cursor"]
        if not cursor:
            break
    return pages


def run(sizes: list[int], limit: int) -> str:
    sizes = sorted(sizes)
    install_counter()
    with mock_aws(), partitioned_queries():
        boto3.client("dynamodb").create_table(**table_definition())
        module = load_function("catalog")
        api = Api(module)
        everything = products(random.Random(14), sizes[-1])
        seeded = rows = 0
        results: dict[str, dict[int, list[tuple[int, int, float, int]]]] = {label: {} for label, _ in KINDS}
        for size in sizes:
            started = time.perf_counter()
            rows += seed(everything[seeded:size])
            seeded = size
            for label, query in KINDS:
                results[label][size] = measure(api, module, query, limit)
            print(f"seeded {size:,} products ({rows:,} rows, +{time.perf_counter() - started:.0f} s)", file=sys.stderr)
            print(table(results, [s for s in sizes if s <= size], limit), file=sys.stderr, flush=True)
    return table(results, sizes, limit)


def table(results: dict[str, dict[int, list[tuple[int, int, float, int]]]], sizes: list[int], limit: int) -> str:
    """The measurements as markdown (each size measured so far)."""

    def cell(pages: list[tuple[int, int, float, int]]) -> str:
        return " / ".join(f"{read} ({calls}, {ms:.0f} ms, {found})" for read, calls, ms, found in pages)

    lines = [
        f"Rows read per page of GET /search/products (limit {limit}; budget {5 * limit} rows)",
        "each cell: first page / second page as `rows read (DynamoDB calls, ms in moto, products answered)`",
        "",
        "| query (served by) | " + " | ".join(f"{s:,} products" for s in sizes) + " |",
        "|" + "---|" * (len(sizes) + 1),
    ]
    lines += [f"| {label} | " + " | ".join(cell(results[label][s]) for s in sizes) + " |" for label, _ in KINDS]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--limit", type=int, default=LIMIT)
    args = parser.parse_args()
    print(run(args.products, args.limit))


if __name__ == "__main__":
    main()
