"""Statistics benchmark: query latency and items read per `GET /stats/...` at 1k and 100k orders. One command:

    python -m tests.bench.statistics [--orders 1000 100000] [--reads 30]

For each order count it generates that many orders over 28 days (tests/helpers/statistics.py: 3 stores,
6 products, 3 currencies, payments, cancellations, refunds and cases), computes the rows the statistics
consumer would write for their events (its own `units`, applied in memory: seeding 100k orders through
moto's transactions would take hours) and writes them to an in-process moto table with BatchWriteItem.
Then it calls the stats function's handler `--reads` times per endpoint and granularity over the whole
28 days and prints, per row: the Queries per request and the items they read (botocore hooks and the
store's own result count) and the latency percentiles. The claim: items read and latency do not grow
with the number of orders.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
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
os.environ.setdefault("TABLE_NAME", "oms-bench-stats")
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
os.environ.pop("AWS_ENDPOINT_URL", None)

import boto3
import botocore.session
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends
from oms.services.consumers import BusEvent
from oms.services.statistics import OrderTerms, StatisticsService
from oms.store import statistics as store
from oms.store.models import StatsCounterItem
from oms.store.statistics import SALES, Bump

from tests.helpers import statistics as traffic
from tests.helpers.handlers import ADMIN, Api, load_function, table_definition

DAYS = 28
ENDPOINTS = ("sales", "payments", "products", "after-sales")
_calls: Counter[str] = Counter()


def _count(model: Any, **_: Any) -> None:
    _calls[f"{model.service_model.service_name}:{model.name}"] += 1


@contextmanager
def counting() -> Iterator[None]:
    original = botocore.session.Session.create_client

    def create_client(self: botocore.session.Session, *args: Any, **kwargs: Any) -> Any:
        client = original(self, *args, **kwargs)
        client.meta.events.register("before-call.*.*", _count)
        return client

    botocore.session.Session.create_client = create_client  # type: ignore[method-assign]
    try:
        yield
    finally:
        botocore.session.Session.create_client = original  # type: ignore[method-assign]


def seed(count: int) -> tuple[int, float, float]:
    """The rows `count` orders' events leave, written directly; (rows, seconds computing, seconds writing)."""
    started = time.perf_counter()
    orders = traffic.random_orders(random.Random(count), count, days=DAYS, customers=max(count // 4, 1))
    terms = {o.order_id: OrderTerms(o.rate, tuple(o.store_ids)) for o in orders}
    service = StatisticsService(order_terms=terms.get, reporting_currency=lambda: "CNY")
    rows: dict[tuple[str, str], Bump] = {}
    customers: Counter[tuple[str, str]] = Counter()
    for order in orders:
        for emitted in traffic.events_of(order):
            event = BusEvent(emitted.event_id, emitted.event.type.value, emitted.event.detail, emitted.occurred_at)
            bumps: list[Bump] = []
            for unit in service.units(event):
                bumps += unit.bumps
                if unit.customer is not None:
                    key = unit.customer.item_key
                    seen = customers[key]
                    customers[key] += 1
                    counters = {"customers": int(seen == 0), "repeatCustomers": int(seen == 1)}
                    c = unit.customer
                    bumps.append(Bump(SALES, c.scope, c.granularity, c.period, counters=counters))
            for bump in bumps:
                row = rows.setdefault(
                    bump.item_key, Bump(bump.kind, bump.scope, bump.granularity, bump.period, bump.key)
                )
                for name, value in bump.counters.items():
                    row.counters[name] = row.counters.get(name, 0) + value
    computed = time.perf_counter()
    # The customer-period rows only decide the distinct counts above; no read touches them, so they are
    # not written (at 100k orders they would be most of the rows and of the seeding time).
    with StatsCounterItem.batch_write() as batch:
        for (pk, sk), bump in rows.items():
            batch.save(StatsCounterItem(pk, sk, period=bump.period, key=bump.key, **bump.counters))
    return len(rows), computed - started, time.perf_counter() - computed


def measure(api: Api, reads: int) -> list[tuple[str, str, int, int, float, float, float]]:
    first = traffic.DAY0.date().isoformat()
    last = (traffic.DAY0.date().fromordinal(traffic.DAY0.date().toordinal() + DAYS - 1)).isoformat()
    results = []
    read_items: list[int] = []
    real_read = store.read_series

    def read_series(*args: Any) -> list[StatsCounterItem]:
        found = real_read(*args)
        read_items.append(len(found))
        return found

    store.read_series = read_series  # type: ignore[assignment]
    try:
        for endpoint in ENDPOINTS:
            for granularity in ("day", "week", "month"):
                query = {"from": first, "to": last, "granularity": granularity}
                latencies = []
                for _ in range(reads):
                    _calls.clear()
                    read_items.clear()
                    started = time.perf_counter()
                    status, _, body = api("GET", f"/stats/{endpoint}", query=query, **ADMIN)
                    latencies.append((time.perf_counter() - started) * 1000)
                    assert status == 200, body
                queries, items = _calls["dynamodb:Query"], sum(read_items)
                cut = statistics.quantiles(latencies, n=100)
                results.append((endpoint, granularity, queries, items, cut[49], cut[94], cut[98]))
    finally:
        store.read_series = real_read  # type: ignore[assignment]
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, nargs="+", default=[1000, 100_000])
    parser.add_argument("--reads", type=int, default=30)
    args = parser.parse_args()
    table: list[str] = []
    seeding: list[str] = []
    with counting(), mock_aws():
        boto3.client("dynamodb").create_table(**table_definition())
        api = Api(load_function("stats"))
        for count in args.orders:
            tables = dynamodb_backends[DEFAULT_ACCOUNT_ID][os.environ["AWS_DEFAULT_REGION"]].tables
            tables[os.environ["TABLE_NAME"]].items.clear()
            rows, computing, writing = seed(count)
            seeding.append(f"| {count:>7} | {rows:>6} | {computing:>9.1f} | {writing:>7.1f} |")
            for endpoint, granularity, queries, items, p50, p95, p99 in measure(api, args.reads):
                table.append(
                    f"| {count:>7} | {endpoint:<11} | {granularity:<7} | {queries:>7} | {items:>10} "
                    f"| {p50:>6.1f} | {p95:>6.1f} | {p99:>6.1f} |"
                )
            print(f"seeded and measured {count} orders", file=sys.stderr)
    print(f"Statistics reads over {DAYS} days ({args.reads} requests per row, in-process moto), ms\n")
    print("| orders  | endpoint    | period  | queries | items read | p50    | p95    | p99    |")
    print("|---------|-------------|---------|---------|------------|--------|--------|--------|")
    print("\n".join(table))
    print("\nSeeded counter rows (computed by the consumer's own units, then BatchWriteItem), seconds\n")
    print("| orders  | rows   | computing | writing |")
    print("|---------|--------|-----------|---------|")
    print("\n".join(seeding))


if __name__ == "__main__":
    main()
