"""Orders function under moto: checkout, idempotency, reads, listing, cancel and bad input."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import boto3
import pytest

from tests.handlers.conftest import ADDRESS, ADMIN, CUSTOMER, OTHER_CUSTOMER, SUPPORT, Api, due_entry_of, outbox_rows
from tests.helpers.problems import assert_problem
from tests.helpers.table import stock_of, table_snapshot

ORDER_ROUTE = "GET /orders/{orderId}"
CANCEL_ROUTE = "POST /orders/{orderId}/cancel"


def checkout(
    api: Api, key: str = "key-1", who: dict[str, Any] = CUSTOMER, **body: Any
) -> tuple[int, dict[str, str], Any]:
    payload = {"lines": [{"skuId": "TEE-M", "quantity": 2}], "shippingAddress": ADDRESS, **body}
    return api("POST", "/orders", **who, headers={"Idempotency-Key": key}, body=payload)


# ---------------------------------------------------------------- checkout
def test_checkout_prices_from_store_and_reserves_stock(seeded: dict[str, Any], orders_module: ModuleType) -> None:
    api = Api(orders_module)
    status, headers, order = checkout(api, lines=[{"skuId": "TEE-M", "quantity": 1}, {"skuId": "MUG", "quantity": 2}])
    assert status == 201
    assert headers["Location"] == f"/orders/{order['orderId']}"
    assert order["status"] == "PENDING_PAYMENT"
    assert len(order["orderNumber"]) == 14
    # 49.00 + 2 × 25.50 = 100.00 ≥ 99.00 threshold → free shipping
    assert order["breakdown"] == {
        "subtotal": {"amount": 10000, "currency": "CNY"},
        "shipping": {"amount": 0, "currency": "CNY"},
        "discount": {"amount": 0, "currency": "CNY"},
        "total": {"amount": 10000, "currency": "CNY"},
        "balanceUsed": {"amount": 0, "currency": "CNY"},
        "amountDue": {"amount": 10000, "currency": "CNY"},
        "pointsUsed": 0,
        "pointsEarned": 0,
    }
    assert order["pricing"]["fx"]["rate"] == "1"  # CNY is the reporting currency
    assert [(line["skuId"], line["quantity"]) for line in order["lines"]] == [("TEE-M", 1), ("MUG", 2)]
    assert stock_of("TEE-M") == {"available": 9, "reserved": 1, "sold": 0, "received": 10, "adjusted": 0}
    assert stock_of("MUG")["available"] == 1
    # The committed OrderPlaced row is what arms the payment timer (from the table's stream), and the
    # order waits in the deadline index the sweeper reads, keyed by its deadline.
    [(kind, detail)] = outbox_rows(order["orderId"])
    assert (kind, detail["status"], detail["paymentDeadline"]) == (
        "OrderPlaced",
        "PENDING_PAYMENT",
        order["paymentDeadline"],
    )
    entry = due_entry_of(order["orderId"])
    assert entry is not None and entry[0].startswith("DUE#PAYMENT#")
    assert entry[1] == f"{order['paymentDeadline'][:-1]}.000Z#{order['orderId']}"


def test_shipping_fee_charged_below_threshold(seeded: dict[str, Any], orders_api: Api) -> None:
    status, _, order = checkout(orders_api, lines=[{"skuId": "MUG", "quantity": 1}])
    assert status == 201
    assert order["breakdown"]["shipping"]["amount"] == 1000
    assert order["breakdown"]["total"]["amount"] == 3550


def test_quote_reserves_nothing(seeded: dict[str, Any], orders_api: Api) -> None:
    before = table_snapshot()
    status, _, quote = orders_api(
        "POST", "/orders/quote", **CUSTOMER, body={"lines": [{"skuId": "MUG", "quantity": 3}]}
    )
    assert status == 200
    assert quote["breakdown"]["total"] == {"amount": 8650, "currency": "CNY"}  # 76.50 + 10.00 shipping
    assert table_snapshot() == before


def test_not_enough_stock_names_each_short_sku_and_writes_nothing(seeded: dict[str, Any], orders_api: Api) -> None:
    before = table_snapshot()
    status, headers, body = checkout(
        orders_api, lines=[{"skuId": "TEE-M", "quantity": 11}, {"skuId": "MUG", "quantity": 4}]
    )
    assert_problem(status, headers, body, 409, "insufficient-stock")
    assert body["shortages"] == [
        {"skuId": "TEE-M", "requested": 11, "available": 10},
        {"skuId": "MUG", "requested": 4, "available": 3},
    ]
    assert table_snapshot() == before


def test_transaction_condition_catches_stock_that_vanished_after_the_read(
    seeded: dict[str, Any], orders_module: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The read says there is stock, but a concurrent checkout took it: the conditional write refuses."""
    repo = orders_module.service.repository
    real_read = repo.read_checkout_inputs

    def stale_read(*args: Any, **kwargs: Any) -> Any:
        inputs = real_read(*args, **kwargs)
        boto3.resource("dynamodb").Table("oms-local-oms").update_item(
            Key={"PK": "SKU#MUG", "SK": "STOCK"},
            UpdateExpression="SET available = :z",
            ExpressionAttributeValues={":z": 1},
        )
        return inputs

    monkeypatch.setattr(repo, "read_checkout_inputs", stale_read)
    status, headers, body = checkout(Api(orders_module), lines=[{"skuId": "MUG", "quantity": 2}])
    assert_problem(status, headers, body, 409, "insufficient-stock")
    assert body["shortages"] == [{"skuId": "MUG", "requested": 2, "available": 1}]
    assert stock_of("MUG")["reserved"] == 0


# ---------------------------------------------------------------- idempotency
def test_same_key_same_body_replays_the_same_201(seeded: dict[str, Any], orders_api: Api) -> None:
    first = checkout(orders_api, key="same")
    again = checkout(orders_api, key="same")
    assert first[0] == again[0] == 201
    assert again[2] == first[2]
    assert again[1].get("Idempotent-Replayed") == "true"
    assert stock_of("TEE-M")["reserved"] == 2  # reserved once


def test_same_key_different_body_is_422(seeded: dict[str, Any], orders_api: Api) -> None:
    checkout(orders_api, key="same")
    before = table_snapshot()
    status, headers, body = checkout(orders_api, key="same", lines=[{"skuId": "TEE-M", "quantity": 3}])
    assert_problem(status, headers, body, 422, "idempotency-key-reused")
    assert table_snapshot() == before


def test_keys_are_scoped_per_customer(seeded: dict[str, Any], orders_api: Api) -> None:
    mine = checkout(orders_api, key="shared")
    theirs = checkout(orders_api, key="shared", who=OTHER_CUSTOMER)
    assert mine[0] == theirs[0] == 201
    assert mine[2]["orderId"] != theirs[2]["orderId"]


def test_concurrent_duplicate_that_lost_the_race_gets_409(
    seeded: dict[str, Any], orders_module: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both requests read 'no record'; the first commits; the second's transaction meets the record."""
    repo = orders_module.service.repository
    real_read = repo.read_checkout_inputs
    monkeypatch.setattr(repo, "read_checkout_inputs", lambda ids, idem, **kw: real_read(ids, None, **kw))
    api = Api(orders_module)
    assert checkout(api, key="race")[0] == 201
    before = table_snapshot()
    status, headers, body = checkout(api, key="race")
    assert_problem(status, headers, body, 409, "idempotency-key-in-use")
    assert table_snapshot() == before


def test_missing_idempotency_key_is_400(seeded: dict[str, Any], orders_api: Api) -> None:
    before = table_snapshot()
    status, headers, body = orders_api(
        "POST", "/orders", **CUSTOMER, body={"lines": [{"skuId": "MUG", "quantity": 1}], "shippingAddress": ADDRESS}
    )
    assert_problem(status, headers, body, 400, "idempotency-key-missing")
    assert table_snapshot() == before


# ---------------------------------------------------------------- bad input
BAD_BODIES = {
    "unknown-sku": ({"lines": [{"skuId": "NOPE", "quantity": 1}], "shippingAddress": ADDRESS}, "validation-failed"),
    "zero-quantity": ({"lines": [{"skuId": "MUG", "quantity": 0}], "shippingAddress": ADDRESS}, "validation-failed"),
    "negative-quantity": (
        {"lines": [{"skuId": "MUG", "quantity": -1}], "shippingAddress": ADDRESS},
        "validation-failed",
    ),
    "huge-quantity": (
        {"lines": [{"skuId": "MUG", "quantity": 10**12}], "shippingAddress": ADDRESS},
        "validation-failed",
    ),
    "string-quantity": (
        {"lines": [{"skuId": "MUG", "quantity": "1"}], "shippingAddress": ADDRESS},
        "validation-failed",
    ),
    "float-quantity": ({"lines": [{"skuId": "MUG", "quantity": 1.5}], "shippingAddress": ADDRESS}, "validation-failed"),
    "no-lines": ({"lines": [], "shippingAddress": ADDRESS}, "validation-failed"),
    "missing-lines": ({"shippingAddress": ADDRESS}, "validation-failed"),
    "missing-address": ({"lines": [{"skuId": "MUG", "quantity": 1}]}, "validation-failed"),
    "status-in-body": (
        {"lines": [{"skuId": "MUG", "quantity": 1}], "shippingAddress": ADDRESS, "status": "PAID"},
        "validation-failed",
    ),
    "total-in-body": (
        {
            "lines": [{"skuId": "MUG", "quantity": 1}],
            "shippingAddress": ADDRESS,
            "total": {"amount": 1, "currency": "CNY"},
        },
        "validation-failed",
    ),
    "price-in-line": (
        {"lines": [{"skuId": "MUG", "quantity": 1, "unitPrice": 1}], "shippingAddress": ADDRESS},
        "validation-failed",
    ),
    "body-is-a-list": ([{"skuId": "MUG", "quantity": 1}], "validation-failed"),
}


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
def test_bad_checkout_bodies_are_422_and_write_nothing(seeded: dict[str, Any], orders_api: Api, case: str) -> None:
    body, slug = BAD_BODIES[case]
    before = table_snapshot()
    status, headers, problem = orders_api("POST", "/orders", **CUSTOMER, headers={"Idempotency-Key": case}, body=body)
    assert_problem(status, headers, problem, 422, slug)
    assert table_snapshot() == before


def test_validation_errors_name_the_field(seeded: dict[str, Any], orders_api: Api) -> None:
    _, _, problem = orders_api(
        "POST", "/orders/quote", **CUSTOMER, body={"lines": [{"skuId": "MUG", "quantity": 0}], "status": "PAID"}
    )
    fields = {e["field"] for e in problem["errors"]}
    assert fields == {"lines.0.quantity", "status"}


@pytest.mark.parametrize(
    ("raw", "headers", "status", "slug"),
    [
        ("{not json", {}, 400, "malformed-json"),
        ('{"lines": [}', {}, 400, "malformed-json"),
        ("lines=1", {"content-type": "application/x-www-form-urlencoded"}, 415, "unsupported-media-type"),
        ("{}", {"content-type": "text/plain"}, 415, "unsupported-media-type"),
        ('{"lines": [' + '{"skuId": "MUG", "quantity": 1},' * 3000 + "]}", {}, 413, "payload-too-large"),
    ],
    ids=["malformed", "truncated", "form", "text-plain", "oversized"],
)
def test_protocol_errors_are_problems_and_write_nothing(
    seeded: dict[str, Any], orders_api: Api, raw: str, headers: dict[str, str], status: int, slug: str
) -> None:
    before = table_snapshot()
    got = orders_api("POST", "/orders", **CUSTOMER, headers={"Idempotency-Key": "p", **headers}, raw_body=raw)
    assert_problem(*got, status, slug)
    assert table_snapshot() == before


def test_staff_cannot_place_orders_as_customers(seeded: dict[str, Any], orders_api: Api) -> None:
    assert_problem(*checkout(orders_api, who=ADMIN), 403, "forbidden")


def test_no_claims_is_401(seeded: dict[str, Any], orders_api: Api) -> None:
    got = orders_api("POST", "/orders/quote", body={"lines": [{"skuId": "MUG", "quantity": 1}]})
    assert_problem(*got, 401, "unauthorized")


# ---------------------------------------------------------------- reads
def test_customer_reads_own_order_and_others_get_404(seeded: dict[str, Any], orders_api: Api) -> None:
    _, _, order = checkout(orders_api)
    path = f"/orders/{order['orderId']}"
    assert orders_api("GET", path, route=ORDER_ROUTE, **CUSTOMER)[0] == 200
    assert orders_api("GET", path, route=ORDER_ROUTE, **SUPPORT)[0] == 200
    other = orders_api("GET", path, route=ORDER_ROUTE, **OTHER_CUSTOMER)
    missing = orders_api("GET", "/orders/01NOPE", route=ORDER_ROUTE, **CUSTOMER)
    assert_problem(*other, 404, "not-found")
    assert_problem(*missing, 404, "not-found")
    # Same answer as for an order that does not exist: no existence oracle.
    assert other[2]["detail"].replace(order["orderId"], "X") == missing[2]["detail"].replace("01NOPE", "X")


def test_customer_lists_own_orders_newest_first_with_cursor(seeded: dict[str, Any], orders_api: Api) -> None:
    ids = [checkout(orders_api, key=f"k{i}", lines=[{"skuId": "TEE-M", "quantity": 1}])[2]["orderId"] for i in range(5)]
    checkout(orders_api, key="theirs", who=OTHER_CUSTOMER, lines=[{"skuId": "MUG", "quantity": 1}])
    seen: list[str] = []
    cursor = None
    while True:
        query = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        status, _, page = orders_api("GET", "/orders", **CUSTOMER, query=query)
        assert status == 200
        assert len(page["items"]) <= 2
        seen += [o["orderId"] for o in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == list(reversed(ids))


def test_limit_is_capped_and_validated(seeded: dict[str, Any], orders_api: Api) -> None:
    assert orders_api("GET", "/orders", **CUSTOMER, query={"limit": "1000"})[0] == 200
    assert_problem(*orders_api("GET", "/orders", **CUSTOMER, query={"limit": "0"}), 422, "validation-failed")
    assert_problem(*orders_api("GET", "/orders", **CUSTOMER, query={"limit": "x"}), 422, "validation-failed")


def test_forged_cursor_cannot_reach_another_customers_orders(seeded: dict[str, Any], orders_api: Api) -> None:
    checkout(orders_api, key="a")
    checkout(orders_api, key="b")
    _, _, page = orders_api("GET", "/orders", **CUSTOMER, query={"limit": "1"})
    got = orders_api("GET", "/orders", **OTHER_CUSTOMER, query={"cursor": page["next_cursor"]})
    assert_problem(*got, 422, "validation-failed")
    assert_problem(*orders_api("GET", "/orders", **CUSTOMER, query={"cursor": "!!!"}), 422, "validation-failed")


def test_staff_filter_by_status_and_created_range(seeded: dict[str, Any], orders_api: Api) -> None:
    first = checkout(orders_api, key="1", lines=[{"skuId": "MUG", "quantity": 1}])[2]
    second = checkout(orders_api, key="2", lines=[{"skuId": "MUG", "quantity": 1}])[2]
    orders_api("POST", f"/orders/{first['orderId']}/cancel", route=CANCEL_ROUTE, **CUSTOMER)

    def ids(query: dict[str, str]) -> list[str]:
        status, _, page = orders_api("GET", "/orders", **SUPPORT, query=query)
        assert status == 200, page
        return [o["orderId"] for o in page["items"]]

    assert ids({}) == [second["orderId"], first["orderId"]]
    assert ids({"status": "CANCELLED"}) == [first["orderId"]]
    assert ids({"status": "PENDING_PAYMENT"}) == [second["orderId"]]
    assert ids({"createdFrom": second["createdAt"]}) == [second["orderId"]]
    assert ids({"createdTo": second["createdAt"]}) == [first["orderId"]]
    assert_problem(*orders_api("GET", "/orders", **SUPPORT, query={"status": "NOPE"}), 422, "validation-failed")
    assert_problem(*orders_api("GET", "/orders", **CUSTOMER, query={"status": "PAID"}), 422, "validation-failed")


# ---------------------------------------------------------------- cancel
def test_customer_cancels_pending_order_and_stock_returns(seeded: dict[str, Any], orders_api: Api) -> None:
    _, _, order = checkout(orders_api)
    status, _, cancelled = orders_api(
        "POST", f"/orders/{order['orderId']}/cancel", route=CANCEL_ROUTE, **CUSTOMER, body={"reason": "changed my mind"}
    )
    assert status == 200, cancelled
    assert cancelled["status"] == "CANCELLED"
    assert cancelled["cancellation"]["by"] == "cust-1"
    assert cancelled["cancellation"]["reason"] == "customer_request"
    assert cancelled["cancellation"]["note"] == "changed my mind"
    assert [(h["from"], h["to"]) for h in cancelled["history"]] == [
        (None, "PENDING_PAYMENT"),
        ("PENDING_PAYMENT", "CANCELLED"),
    ]
    assert stock_of("TEE-M") == {"available": 10, "reserved": 0, "sold": 0, "received": 10, "adjusted": 0}
    again = orders_api("POST", f"/orders/{order['orderId']}/cancel", route=CANCEL_ROUTE, **CUSTOMER)
    assert_problem(*again, 409, "illegal-transition")
    assert stock_of("TEE-M")["available"] == 10


def test_staff_cancel_records_who(seeded: dict[str, Any], orders_api: Api) -> None:
    _, _, order = checkout(orders_api)
    _, _, cancelled = orders_api("POST", f"/orders/{order['orderId']}/cancel", route=CANCEL_ROUTE, **SUPPORT, body={})
    assert cancelled["cancellation"]["by"] == "support-1"
    assert cancelled["cancellation"]["role"] == "support"
    assert cancelled["cancellation"]["reason"] == "staff_decision"


def test_other_customer_cannot_cancel(seeded: dict[str, Any], orders_api: Api) -> None:
    _, _, order = checkout(orders_api)
    before = table_snapshot()
    got = orders_api("POST", f"/orders/{order['orderId']}/cancel", route=CANCEL_ROUTE, **OTHER_CUSTOMER)
    assert_problem(*got, 404, "not-found")
    assert table_snapshot() == before
