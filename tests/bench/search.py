"""Order search benchmark: items read per page of `GET /orders` for each kind of filter, at 1k, 10k and 50k
orders. One command:

    python -m tests.bench.search [--orders 1000 10000 50000] [--limit 20]

Seeds the orders (tests/helpers/order_search.py: 5 stores, 12 products, 36 SKUs, 150 customers over 60
days, payments by six methods, flags) straight into an in-process moto table, cumulatively (10k adds 9k to
the first 1k), then calls the orders function's handler for the first page and the next one of each filter
kind and prints the items each page read (the search's own count: items evaluated by its Queries and
returned by its BatchGetItems and GetItems) and its DynamoDB calls (botocore hooks). The claim: the numbers
stay flat as the table grows, because every page is a bounded read of one key range, never a Scan.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections import Counter
from typing import Any

os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_SESSION_TOKEN", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("TABLE_NAME", "oms-bench-search")
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
os.environ.pop("AWS_ENDPOINT_URL", None)

import boto3
import botocore.session
from moto import mock_aws

from tests.helpers.handlers import Api, load_function, table_definition
from tests.helpers.order_search import NOW, partition_queries, random_orders, seed_orders

STAFF = {"sub": "bench-support", "roles": ("support",)}
MERCHANT = {"sub": "bench-merchant", "roles": ("merchant",), "stores": ("s2",)}
# (label, who, query): one of each way a query is served (docs/data-model.md rows 100-119).
KINDS: list[tuple[str, dict[str, Any], dict[str, str]]] = [
    ("no filter (GSI2 ORDERS)", STAFF, {}),
    ("order number (ORDERNO#)", STAFF, {"orderNumber": "261003000000500"}),
    ("status (GSI3)", STAFF, {"status": "PAID"}),
    ("created this week (GSI2 range)", STAFF, {"created": "this-week"}),
    ("paid this month (GSI2 ORDERPAID)", STAFF, {"paid": "this-month"}),
    ("payment method (GSI3 ORDERPAIDBY#)", STAFF, {"paymentMethod": "wechat"}),
    ("customer (GSI1 CUSTOMER#)", STAFF, {"customerId": "cust-0007"}),
    ("phone (GSI1 ORDERCONTACT#)", STAFF, {"phone": "+86 139 0007 0000"}),
    ("email (GSI2 ORDERCONTACT#)", STAFF, {"email": "shopper0007@example.com"}),
    ("SKU (GSI1 ORDERSKU#)", STAFF, {"skuId": "SKU-P03-M"}),
    ("product (GSI2 ORDERPRODUCT#)", STAFF, {"productId": "P05"}),
    ("store (GSI3 ORDERSTORE#)", STAFF, {"storeId": "s3"}),
    ("flag special (GSI2 ORDERFLAG#)", STAFF, {"flags": "special"}),
    ("on hold (GSI3 ON_HOLD)", STAFF, {"flags": "on-hold"}),
    ("amount range (filter on GSI2)", STAFF, {"amountMin": "150000"}),
    ("points used + status (filter on GSI3)", STAFF, {"pointsUsed": "true", "status": "COMPLETED"}),
    ("store + method + amount", STAFF, {"storeId": "s1", "paymentMethod": "alipay", "amountMax": "50000"}),
    ("merchant, scoped (GSI3 ORDERSTORE#)", MERCHANT, {"status": "SHIPPED"}),
]
SIZES, LIMIT = (1000, 10000, 50000), 20
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


def measure(
    api: Api, module: Any, who: dict[str, Any], query: dict[str, str], limit: int
) -> list[tuple[int, int, int]]:
    """(items read, DynamoDB calls, orders answered) of the first two pages."""
    pages = []
    cursor = None
    for _ in range(2):
        params = {**query, "limit": str(limit), **({"cursor": cursor} if cursor else {})}
        _calls.clear()
        status, _, body = api("GET", "/orders", **who, query=params)
        assert status == 200, body
        assert "dynamodb:Scan" not in _calls, _calls
        pages.append((module.services.orders.search.last_reads, sum(_calls.values()), len(body["items"])))
        cursor = body["next_cursor"]
        if not cursor:
            break
    return pages


def run(sizes: list[int], limit: int) -> str:
    """Seed up to the largest size, measure each filter kind at each size; the table as markdown."""
    sizes = sorted(sizes)
    install_counter()
    with mock_aws(), partition_queries():
        boto3.client("dynamodb").create_table(**table_definition())
        module = load_function("orders")
        module.services.orders.clock = lambda: NOW
        api = Api(module)
        everything = random_orders(random.Random(50), sizes[-1])
        random.Random(7).shuffle(everything)  # each size is a random sample of the largest, over the same 60 days
        seeded = 0
        results: dict[str, dict[int, list[tuple[int, int, int]]]] = {label: {} for label, _, _ in KINDS}
        for size in sizes:
            started = time.perf_counter()
            seed_orders(everything[seeded:size])
            seeded = size
            number = everything[0].order_number
            for label, who, query in KINDS:
                if "orderNumber" in query:
                    query = {"orderNumber": number}
                results[label][size] = measure(api, module, who, query, limit)
            print(f"seeded {size:,} orders (+{time.perf_counter() - started:.0f} s); measured", file=sys.stderr)

    def cell(pages: list[tuple[int, int, int]]) -> str:
        return " / ".join(f"{read} ({calls}, {found})" for read, calls, found in pages)

    lines = [
        f"Items read per page of GET /orders (limit {limit}; budget {5 * limit} + one batch of headers)",
        "each cell: first page / second page as `items read (DynamoDB calls, orders answered)`",
        "",
        "| filter (served by) | " + " | ".join(f"{s:,} orders" for s in sizes) + " |",
        "|" + "---|" * (len(sizes) + 1),
    ]
    lines += [f"| {label} | " + " | ".join(cell(results[label][s]) for s in sizes) + " |" for label, _, _ in KINDS]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--limit", type=int, default=LIMIT)
    args = parser.parse_args()
    print(run(args.orders, args.limit))


if __name__ == "__main__":
    main()
