"""Statistics: the consumer counts bus events once, in any order, and `GET /stats/...` answers from one
Query per series; a randomized day of traffic, delivered shuffled and with duplicates, gives exactly the
figures a brute-force recount over the same orders gives (tests/helpers/statistics.py)."""

from __future__ import annotations

import random
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oms.domain.statistics import Granularity, period_range

from tests.helpers import statistics as traffic
from tests.helpers.bus import bus_event
from tests.helpers.handlers import ADMIN, SUPPORT, Api, AwsCalls, LambdaContext, load_function, table_definition
from tests.helpers.moto_state import reset_between_tests

FINANCE = {"sub": "fin-1", "roles": ("finance",)}
WAREHOUSE = {"sub": "wh-1", "roles": ("warehouse",)}
MERCHANT = {"sub": "m-1", "roles": ("merchant",)}
ENDPOINTS = ("sales", "payments", "products", "after-sales")


@pytest.fixture
def consumer(aws: None) -> ModuleType:
    return load_function("statistics")


@pytest.fixture
def stats_api(aws: None) -> Api:
    return Api(load_function("stats"))


def deliver(consumer: ModuleType, emitted: traffic.Emitted) -> dict[str, Any]:
    event = bus_event(emitted.event, event_id=emitted.event_id, occurred_at=emitted.occurred_at)
    result: dict[str, Any] = consumer.handler(event, LambdaContext())
    return result


def get(api: Api, endpoint: str, since: str, until: str, granularity: str = "day", **more: str) -> Any:
    query = {"from": since, "to": until, "granularity": granularity, **more}
    status, _, body = api("GET", f"/stats/{endpoint}", query=query, **ADMIN)
    assert status == 200, body
    return body


def test_a_duplicate_counts_nothing_and_order_does_not_matter(consumer: ModuleType, stats_api: Api) -> None:
    order = traffic.Order("O1", "c1", "CNY", traffic.DAY0, [traffic.Line("P1", 2, 1000), traffic.Line("P3", 1, 500)])
    order.paid_at, order.method, order.attempts = traffic.DAY0.replace(hour=1), "alipay", 2
    placed, paid = traffic.events_of(order)
    assert deliver(consumer, paid)["chunks"] > 0  # paid before placed
    assert deliver(consumer, placed)["chunks"] > 0
    assert deliver(consumer, placed)["chunks"] == 0  # a duplicate
    assert deliver(consumer, paid)["chunks"] == 0
    day = get(stats_api, "sales", "2026-11-30", "2026-11-30")["series"][0]
    assert (day["placedOrders"], day["paidOrders"], day["sales"], day["conversionRate"]) == (1, 1, 1500, 1.0)
    assert (day["customers"], day["repeatCustomers"]) == (1, 0)
    pay = get(stats_api, "payments", "2026-11-30", "2026-11-30")["series"][0]
    assert (pay["attempts"], pay["succeeded"], pay["successRate"]) == (2, 1, 0.5)
    assert pay["payTime"] == {"count": 1, "totalSeconds": 3600, "averageSeconds": 3600, "buckets": {"le3600": 1}}
    store = get(stats_api, "sales", "2026-11-30", "2026-11-30", store="S2")["series"][0]
    assert (store["placedOrders"], store["sales"]) == (1, 500)


def test_each_series_is_one_query(consumer: ModuleType, stats_api: Api, aws_calls: AwsCalls) -> None:
    for emitted in [e for o in traffic.random_orders(random.Random(3), 8) for e in traffic.events_of(o)][:5]:
        if emitted.event.type.value in ("OrderPlaced", "OrderPaid"):
            deliver(consumer, emitted)
    for endpoint, series in (("sales", 1), ("payments", 1), ("products", 2), ("after-sales", 1)):
        for granularity in Granularity:
            aws_calls.clear()
            get(stats_api, endpoint, "2026-01-01", "2026-03-31", granularity.value, store="S1")
            assert aws_calls.calls.count("dynamodb:Query") == series, (endpoint, granularity, aws_calls.calls)
            assert "dynamodb:Scan" not in aws_calls.calls


@pytest.mark.parametrize(
    ("who", "status"), [(ADMIN, 200), (SUPPORT, 200), (FINANCE, 200), (WAREHOUSE, 403), (MERCHANT, 403)]
)
def test_staff_read_statistics_merchants_do_not_yet(stats_api: Api, who: dict[str, Any], status: int) -> None:
    for endpoint in ENDPOINTS:
        got, _, body = stats_api("GET", f"/stats/{endpoint}", query={"from": "2026-12-01", "to": "2026-12-01"}, **who)
        assert got == status, (endpoint, body)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "2026-12-02", "to": "2026-12-01"}, "to"),
        ({"from": "2026-01-01", "to": "2026-12-31"}, "to"),  # 365 days: more than 92 day periods
        ({"from": "2020-01-01", "to": "2026-12-31", "granularity": "quarter"}, "to"),
        ({"from": "2026-02-30", "to": "2026-03-01"}, "from"),
        ({"from": "2026-12-01", "to": "2026-12-01", "granularity": "year"}, None),
        ({"from": "2026-12-01", "to": "2026-12-1"}, None),
        ({"from": "2026-12-01", "to": "2026-12-01", "store": "no such/store"}, None),
    ],
)
def test_bad_ranges_are_422(stats_api: Api, query: dict[str, str], field: str | None) -> None:
    status, _, body = stats_api("GET", "/stats/sales", query=query, **ADMIN)
    assert status == 422, body
    if field is not None:
        assert field in str(body)


def test_without_a_range_the_30_days_up_to_today(stats_api: Api) -> None:
    status, _, body = stats_api("GET", "/stats/sales", **ADMIN)
    assert status == 200, body
    assert len(body["series"]) == 30 and body["store"] is None and body["currency"] == "CNY"


def test_top_is_bounded(stats_api: Api) -> None:
    for top in ("0", "51"):
        status, _, _ = stats_api(
            "GET", "/stats/products", query={"from": "2026-12-01", "to": "2026-12-01", "top": top}, **ADMIN
        )
        assert status == 422


def check_against_recount(consumer: ModuleType, stats_api: Api, orders: list[traffic.Order], seed: int) -> None:
    traffic.save_headers(orders)
    emitted = [e for o in orders for e in traffic.events_of(o)]
    rng = random.Random(seed)
    deliveries = emitted + rng.sample(emitted, k=len(emitted) // 3)  # a third delivered twice
    rng.shuffle(deliveries)
    for e in deliveries:
        deliver(consumer, e)
    first, last = traffic.days_span(orders)
    views = [(Granularity.DAY, store) for store in (None, *traffic.STORES)]
    views += [(Granularity.WEEK, None), (Granularity.MONTH, "S2")]
    for granularity, store in views:
        periods = period_range(first, last, granularity).periods
        extra = {} if store is None else {"store": store}
        args = (first.isoformat(), last.isoformat(), granularity.value)
        where = (granularity, store)
        got = get(stats_api, "sales", *args, **extra)["series"]
        assert got == traffic.sales(orders, periods, granularity, store), where
        got = get(stats_api, "payments", *args, **extra)["series"]
        assert got == traffic.payments(orders, periods, granularity, store), where
        got = get(stats_api, "products", *args, top="3", **extra)["series"]
        assert got == traffic.products(orders, periods, granularity, store, 3), where
        got = get(stats_api, "after-sales", *args, **extra)["series"]
        assert got == traffic.after_sales(orders, periods, granularity, store), where


# Small on purpose (moto's transactions are slow): each example is a few days of 2-6 orders, about 20
# deliveries and 24 reads.
@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), count=st.integers(2, 6))
def test_statistics_equal_a_brute_force_recount(consumer: ModuleType, stats_api: Api, seed: int, count: int) -> None:
    reset_between_tests(table_definition)  # each example starts from an empty table
    check_against_recount(consumer, stats_api, traffic.random_orders(random.Random(seed), count), seed)
