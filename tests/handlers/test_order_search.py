"""The staff order search (`GET /orders`, issue 13 item 4) against 2,000 seeded orders: every filter alone and
the combinations the seeds ask for, each paged to the end and compared with a brute-force filter of the
seeded set (every match exactly once, newest first), no request Scans, each page's reads bounded; bad input
is 422 and reads nothing; merchant staff only ever get their stores' orders."""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Callable, Iterator
from datetime import timedelta
from types import ModuleType
from typing import Any

import botocore.session
import pytest
from oms.domain.clock import to_rfc3339
from oms.domain.order_search import OrderQuery
from oms.services.roles import POLICY
from oms.store.order_search import plan
from oms_local.core.functions import reset_cached_connections

from tests.helpers.handlers import ADMIN, SUPPORT, Api, AwsCalls, load_function
from tests.helpers.order_search import NOW, SeededOrder, partition_queries, random_orders, seed_orders
from tests.helpers.problems import assert_problem

COUNT = 2000
LIMIT = 50
MERCHANT = {"sub": "merchant-1", "roles": ("merchant",), "stores": ("s2",)}
MERCHANT_TWO = {"sub": "merchant-2", "roles": ("merchant",), "stores": ("s1", "s4")}
CUSTOMER = {"sub": "cust-0001", "roles": ("customer",)}
Match = Callable[[SeededOrder], bool]


@pytest.fixture(scope="module")
def seeded_orders(module_aws: None) -> Iterator[list[SeededOrder]]:
    orders = random_orders(random.Random(13), COUNT)
    seed_orders(orders)
    with partition_queries():
        yield orders


@pytest.fixture(scope="module")
def orders_module(module_aws: None) -> ModuleType:
    return load_function("orders")


@pytest.fixture(scope="module")
def api(orders_module: ModuleType, seeded_orders: list[SeededOrder]) -> Api:
    orders_module.services.orders.clock = lambda: NOW
    return Api(orders_module)


@pytest.fixture
def calls(module_aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsCalls]:
    counted = AwsCalls()
    original = botocore.session.Session.create_client

    def create_client(self: botocore.session.Session, *args: Any, **kwargs: Any) -> Any:
        client = original(self, *args, **kwargs)
        client.meta.events.register("before-call.*.*", counted.before_call)
        return client

    monkeypatch.setattr(botocore.session.Session, "create_client", create_client)
    reset_cached_connections()
    yield counted
    reset_cached_connections()


def search(api: Api, orders_module: ModuleType, calls: AwsCalls, who: dict[str, Any], **query: Any) -> list[str]:
    """Every page of the search, to the end: the order ids in the order given. Asserts per page: no Scan, and
    at most the page's budget of items read (5 × limit, plus the last batch of headers)."""
    found: list[str] = []
    cursor = None
    for _ in range(1000):
        params = {k: str(v) for k, v in query.items()} | {"limit": str(LIMIT)}
        if cursor:
            params["cursor"] = cursor
        calls.clear()
        status, _, page = api("GET", "/orders", **who, query=params)
        assert status == 200, page
        # Key reads only (the GetItem is the role policy's, once per TTL: oms.services.roles); never a Scan.
        assert set(calls.calls) <= {"dynamodb:Query", "dynamodb:BatchGetItem", "dynamodb:GetItem"}, calls.calls
        assert orders_module.services.orders.search.last_reads <= 6 * LIMIT + 3 * LIMIT
        found += [o["orderId"] for o in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            return found
    raise AssertionError("the search never ended")


def newest_first(orders: list[SeededOrder], match: Match, by_paid: bool = False) -> list[str]:
    chosen = [o for o in orders if match(o)]
    chosen.sort(key=lambda o: ((o.paid_at or "") if by_paid else o.created_at, o.order_id), reverse=True)
    return [o.order_id for o in chosen]


def iso(delta: timedelta) -> str:
    return to_rfc3339(NOW - delta)


DAY = timedelta(days=1)
WEEK_AGO, MONTH_AGO = iso(7 * DAY), iso(30 * DAY)


def between(value: str | None, start: str, end: str) -> bool:
    return value is not None and start <= value < end


# (query, brute-force filter, sorted by payment time). Most cases are narrowed to a few weeks so the
# module reads a few thousand items in all (moto serializes each item it answers slowly).
TEN_DAYS_AGO = iso(10 * DAY)
CASES: dict[str, tuple[dict[str, Any], Match, bool]] = {
    "status": ({"status": "PAID"}, lambda o: o.status == "PAID", False),
    "created range": (
        {"createdFrom": TEN_DAYS_AGO, "createdTo": WEEK_AGO},
        lambda o: between(o.created_at, TEN_DAYS_AGO, WEEK_AGO),
        False,
    ),
    "created today (Shanghai)": (
        {"created": "today", "tz": "Asia/Shanghai"},
        # NOW is 20:00 in Shanghai: its day began at 16:00 UTC the day before.
        lambda o: between(o.created_at, "2026-11-21T16:00:00.000Z", "2026-11-22T16:00:00.000Z"),
        False,
    ),
    "created this week": (
        {"created": "this-week", "status": "DELIVERED"},
        lambda o: (
            between(o.created_at, "2026-11-16T00:00:00.000Z", "2026-11-23T00:00:00.000Z") and o.status == "DELIVERED"
        ),
        False,
    ),
    "paid range": (
        {"paidFrom": TEN_DAYS_AGO, "paidTo": WEEK_AGO},
        lambda o: between(o.paid_at, TEN_DAYS_AGO, WEEK_AGO),
        True,
    ),
    "paid today": (
        {"paid": "today"},
        lambda o: between(o.paid_at, "2026-11-22T00:00:00.000Z", "2026-11-23T00:00:00.000Z"),
        True,
    ),
    "payment method": ({"paymentMethod": "wechat"}, lambda o: o.paid_with == "wechat", True),
    "paid at checkout": ({"paymentMethod": "checkout"}, lambda o: o.paid_with == "checkout", True),
    "customer": ({"customerId": "cust-0007"}, lambda o: o.customer_id == "cust-0007", False),
    "phone (any format)": (
        {"phone": "+86-139-0007-0000"},
        lambda o: o.phone.replace(" ", "") == "+8613900070000",
        False,
    ),
    "email (any case)": (
        {"email": " shopper0007@example.COM "},
        lambda o: o.email.lower() == "shopper0007@example.com",
        False,
    ),
    "sku": ({"skuId": "SKU-P03-M"}, lambda o: "SKU-P03-M" in o.sku_ids, False),
    "product": (
        {"productId": "P05", "createdFrom": MONTH_AGO},
        lambda o: "P05" in o.product_ids and o.created_at >= MONTH_AGO,
        False,
    ),
    "store": (
        {"storeId": "s3", "createdFrom": WEEK_AGO},
        lambda o: "s3" in o.store_ids and o.created_at >= WEEK_AGO,
        False,
    ),
    "amount range": (
        {"amountMin": 5000, "amountMax": 90000, "createdFrom": WEEK_AGO},
        lambda o: 5000 <= o.total <= 90000 and o.created_at >= WEEK_AGO,
        False,
    ),
    "points used": (
        {"pointsUsed": "true", "createdFrom": WEEK_AGO},
        lambda o: o.points > 0 and o.created_at >= WEEK_AGO,
        False,
    ),
    "no points used": (
        {"pointsUsed": "false", "status": "CANCELLED"},
        lambda o: o.points == 0 and o.status == "CANCELLED",
        False,
    ),
    "special": ({"flags": "special"}, lambda o: "special" in o.flags, False),
    "abnormal": ({"flags": "abnormal"}, lambda o: "abnormal" in o.flags, False),
    "risk review": ({"flags": "risk-review"}, lambda o: "risk-review" in o.flags, False),
    "on hold": ({"flags": "on-hold"}, lambda o: o.status == "ON_HOLD", False),
    # Combinations the seeds ask for: "by status and date", "a member's orders this month", "a product's
    # paid sales by channel", a store's big orders, special orders on hold, an amount band paid by card.
    "status + created range": (
        {"status": "COMPLETED", "createdFrom": MONTH_AGO},
        lambda o: o.status == "COMPLETED" and o.created_at >= MONTH_AGO,
        False,
    ),
    "customer + this month + points": (
        {"customerId": "cust-0096", "created": "this-month", "pointsUsed": "true"},
        lambda o: o.customer_id == "cust-0096" and o.created_at >= "2026-11-01T00:00:00.000Z" and o.points > 0,
        False,
    ),
    "product + method + paid range": (
        {"productId": "P02", "paymentMethod": "alipay", "paidFrom": MONTH_AGO, "createdFrom": MONTH_AGO},
        lambda o: (
            "P02" in o.product_ids
            and o.paid_with == "alipay"
            and (o.paid_at or "") >= MONTH_AGO
            and o.created_at >= MONTH_AGO
        ),
        False,
    ),
    "store + amount + currency": (
        {"storeId": "s1", "amountMin": 100000, "currency": "CNY", "createdFrom": TEN_DAYS_AGO},
        lambda o: "s1" in o.store_ids and o.total >= 100000 and o.currency == "CNY" and o.created_at >= TEN_DAYS_AGO,
        False,
    ),
    "special + on hold": (
        {"flags": "special,on-hold"},
        lambda o: "special" in o.flags and o.status == "ON_HOLD",
        False,
    ),
    "abnormal + risk review": (
        {"flags": "abnormal,risk-review"},
        lambda o: {"abnormal", "risk-review"} <= o.flags,
        False,
    ),
    "sku + status + created range": (
        {"skuId": "SKU-P07-L", "status": "SHIPPED", "createdFrom": MONTH_AGO, "createdTo": WEEK_AGO},
        lambda o: "SKU-P07-L" in o.sku_ids and o.status == "SHIPPED" and between(o.created_at, MONTH_AGO, WEEK_AGO),
        False,
    ),
    "phone + paid": (
        {"phone": "+86 139 0012 0000", "paid": "this-month"},
        lambda o: (
            o.phone == "+86 139 0012 0000"
            and between(o.paid_at, "2026-11-01T00:00:00.000Z", "2026-12-01T00:00:00.000Z")
        ),
        False,
    ),
    "card + amount band": (
        {"paymentMethod": "card", "amountMin": 1000, "amountMax": 50000, "status": "COMPLETED"},
        lambda o: o.paid_with == "card" and 1000 <= o.total <= 50000 and o.status == "COMPLETED",
        True,
    ),
    "status + store + flag": (
        {"status": "PAID", "storeId": "s5", "flags": "special"},
        lambda o: o.status == "PAID" and "s5" in o.store_ids and "special" in o.flags,
        False,
    ),
}


EMPTY_ON_PURPOSE: frozenset[str] = frozenset()


@pytest.mark.parametrize("name", list(CASES))
def test_every_filter_and_combination_finds_exactly_the_matches_newest_first(
    name: str, api: Api, orders_module: ModuleType, calls: AwsCalls, seeded_orders: list[SeededOrder]
) -> None:
    query, match, by_paid = CASES[name]
    expected = newest_first(seeded_orders, match, by_paid)
    found = search(api, orders_module, calls, SUPPORT, **query)
    assert found == expected, (name, len(found), len(expected))
    assert expected or name in EMPTY_ON_PURPOSE, f"{name}: the seed holds no match, the case proves nothing"
    assert calls.calls  # the counter sees this module's clients


def test_order_number_is_one_exact_key(
    api: Api, orders_module: ModuleType, calls: AwsCalls, seeded_orders: list[SeededOrder]
) -> None:
    order = seeded_orders[1234]
    assert search(api, orders_module, calls, SUPPORT, orderNumber=order.order_number) == [order.order_id]
    assert orders_module.services.orders.search.last_reads == 2  # the number's row, then the header
    other = "1" if order.status != "PAID" else "2"
    unmatched = {"status": "PAID" if other == "1" else "CANCELLED"}
    assert search(api, orders_module, calls, SUPPORT, orderNumber=order.order_number, **unmatched) == []
    assert search(api, orders_module, calls, SUPPORT, orderNumber="99999999999999") == []


def test_pages_read_a_bounded_number_of_items_even_when_few_match(
    api: Api, orders_module: ModuleType, calls: AwsCalls, seeded_orders: list[SeededOrder]
) -> None:
    """A rare combination over the all-orders index: each page reads at most 5 × limit items and answers a
    cursor to go on, so no request reads the whole index."""
    query = {"amountMin": 199_900, "limit": "10"}
    calls.clear()
    status, _, page = api("GET", "/orders", **SUPPORT, query={k: str(v) for k, v in query.items()})
    assert status == 200
    assert orders_module.services.orders.search.last_reads <= 50
    assert page["next_cursor"]
    assert "dynamodb:Scan" not in calls.calls


@pytest.mark.parametrize(
    "query",
    [
        {"status": "NOPE"},
        {"paymentMethod": "cash"},
        {"flags": "special,urgent"},
        {"created": "yesterday"},
        {"createdFrom": "2026-11-20T00:00:00Z", "createdTo": "2026-11-10T00:00:00Z"},
        {"paidFrom": "2026-11-20T00:00:00Z", "paidTo": "2026-11-20T00:00:00Z"},
        {"createdFrom": "last tuesday"},
        {"created": "today", "createdFrom": "2026-11-20T00:00:00Z"},
        {"amountMin": "-1"},
        {"amountMin": "500", "amountMax": "100"},
        {"amountMax": "ten"},
        {"orderNumber": "1" * 33},
        {"orderNumber": "2611-22"},
        {"pointsUsed": "maybe"},
        {"tz": "Mars/Olympus"},
        {"currency": "cny"},
        {"cursor": "bm90LWEtY3Vyc29y"},
    ],
)
def test_bad_filters_are_422_and_read_nothing(api: Api, calls: AwsCalls, query: dict[str, str]) -> None:
    POLICY.forget()  # a cached policy about to expire would be read again below
    api("GET", "/orders", **SUPPORT, query={"status": "PAID"})  # the role policy read now (cached 30 s), not below
    calls.clear()
    status, headers, body = api("GET", "/orders", **SUPPORT, query=query)
    assert_problem(status, headers, body, 422, "validation-failed")
    if "cursor" not in query:  # a cursor is checked against the index it would read, before reading it
        assert calls.calls == [], calls.calls
    assert "dynamodb:Query" not in calls.calls


def test_a_cursor_of_one_search_does_not_page_another(api: Api, seeded_orders: list[SeededOrder]) -> None:
    _, _, page = api("GET", "/orders", **SUPPORT, query={"storeId": "s1", "limit": "5"})
    assert page["next_cursor"]
    status, headers, body = api("GET", "/orders", **SUPPORT, query={"storeId": "s2", "cursor": page["next_cursor"]})
    assert_problem(status, headers, body, 422, "validation-failed")


def test_customers_list_their_own_orders_and_may_not_filter(api: Api, seeded_orders: list[SeededOrder]) -> None:
    status, _, page = api("GET", "/orders", **CUSTOMER, query={"limit": "100"})
    assert status == 200
    mine = [o.order_id for o in seeded_orders if o.customer_id == "cust-0001"]
    assert sorted(o["orderId"] for o in page["items"]) == sorted(mine)
    for query in ({"storeId": "s1"}, {"customerId": "cust-0002"}, {"flags": "special"}, {"orderNumber": "1"}):
        status, headers, body = api("GET", "/orders", **CUSTOMER, query=query)
        assert_problem(status, headers, body, 422, "validation-failed")


@pytest.mark.parametrize(
    ("who", "query", "match"),
    [
        (MERCHANT, {"createdFrom": WEEK_AGO}, lambda o: "s2" in o.store_ids and o.created_at >= WEEK_AGO),
        (
            MERCHANT,
            {"status": "PAID", "createdFrom": WEEK_AGO},
            lambda o: "s2" in o.store_ids and o.status == "PAID" and o.created_at >= WEEK_AGO,
        ),
        (MERCHANT, {"customerId": "cust-0003"}, lambda o: "s2" in o.store_ids and o.customer_id == "cust-0003"),
        # P00 is sold by s1: only orders that also hold one of s2's products
        (MERCHANT, {"skuId": "SKU-P00-S"}, lambda o: "SKU-P00-S" in o.sku_ids and "s2" in o.store_ids),
        (MERCHANT, {"storeId": "s2", "flags": "special"}, lambda o: "s2" in o.store_ids and "special" in o.flags),
        (MERCHANT, {"storeId": "s1"}, lambda o: False),  # outside the scope: an empty page, not an error
        (
            MERCHANT_TWO,
            {"createdFrom": TEN_DAYS_AGO, "createdTo": WEEK_AGO},
            lambda o: bool({"s1", "s4"} & o.store_ids) and between(o.created_at, TEN_DAYS_AGO, WEEK_AGO),
        ),
        (
            MERCHANT_TWO,
            {"paymentMethod": "alipay", "createdFrom": WEEK_AGO},
            lambda o: bool({"s1", "s4"} & o.store_ids) and o.paid_with == "alipay" and o.created_at >= WEEK_AGO,
        ),
        (
            MERCHANT_TWO,
            {"storeId": "s4", "amountMax": 20000, "createdFrom": WEEK_AGO},
            lambda o: "s4" in o.store_ids and o.total <= 20000 and o.created_at >= WEEK_AGO,
        ),
    ],
)
def test_merchant_staff_only_ever_get_their_stores_orders(
    who: dict[str, Any],
    query: dict[str, Any],
    match: Match,
    api: Api,
    orders_module: ModuleType,
    calls: AwsCalls,
    seeded_orders: list[SeededOrder],
) -> None:
    found = search(api, orders_module, calls, who, **query)
    assert found == newest_first(seeded_orders, match)
    scope = set(who["stores"])
    stores = {o.order_id: o.store_ids for o in seeded_orders}
    assert all(scope & stores[order_id] for order_id in found)


def test_admin_sees_what_support_sees(api: Api, orders_module: ModuleType, calls: AwsCalls) -> None:
    query = {"storeId": "s4", "status": "DELIVERED", "createdFrom": WEEK_AGO}
    assert search(api, orders_module, calls, ADMIN, **query) == search(api, orders_module, calls, SUPPORT, **query)


@pytest.mark.parametrize("after", ["a\x00", "\ud800", "a b", "x" * 1025])
def test_a_crafted_cursor_with_a_position_no_key_has_is_422(api: Api, calls: AwsCalls, after: str) -> None:
    source = plan(OrderQuery(store_id="s1"))
    raw = json.dumps({"s": source.name, "a": after}).encode()
    cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    POLICY.forget()  # a cached policy about to expire would be read again below
    api("GET", "/orders", **SUPPORT, query={"status": "PAID"})  # the role policy read now (cached 30 s), not below
    calls.clear()
    status, headers, body = api("GET", "/orders", **SUPPORT, query={"storeId": "s1", "cursor": cursor})
    assert_problem(status, headers, body, 422, "validation-failed")
    assert calls.calls == []
