"""Bad input outside the body's schema is a 4xx through the routes, never a 500, and costs no more than
linear time (issue 9 item 6, found by the review of the merged issue): If-Match versions, cursors
(deeply nested, or not the listing's start key), RFC 3339 times outside the representable years, and the
body-nesting count on an adversarial body. The unit tests of the same bounds are in
tests/unit/test_input_bounds.py."""

from __future__ import annotations

import base64
import time

from oms.store.models import Item  # noqa: F401  (the store's connection exists before faults attach)

from tests.handlers.conftest import ADMIN, CUSTOMER, SUPPORT, LambdaContext
from tests.helpers.world import Call, World


def test_item6_an_if_match_of_unicode_digits_or_thousands_of_digits_is_a_400_not_a_500(world: World) -> None:
    """`if_match` checks `str.isdigit()`, which is true for '²' and '¹' (and any number of digits), then
    calls `int()`, which refuses them (and strings over 4,300 digits): ValueError → 500 on every If-Match
    route (PATCH /products, PATCH /skus, DELETE /promotions, POST /coupon-templates/{id}/disable, and the
    PUTs once their body is valid). Fix: `text.isascii() and text.isdigit() and len(text) <= 18`
    (oms/api/http.py `if_match`)."""
    w = world
    before = w.snapshot()
    for value in ("\u00b2", 'W/"\u00b9"', "9" * 5000):
        answer = w.call(
            "PATCH /products/{productId}",
            Call(f"/products/{w.product_id}", ADMIN, {"name": "Renamed"}, {"If-Match": value}),
        )
        assert answer.status == 400, (value[:12], answer.status, answer.body)
        assert answer.body["type"].endswith("if-match-invalid")
    assert w.snapshot() == before


def _cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def test_item6_a_cursor_that_decodes_to_deeply_nested_json_is_a_4xx_not_a_500(world: World) -> None:
    """`decode_cursor` runs `json.loads` on the client's cursor and catches only ValueError; 1,200 nested
    brackets (a 3 KB query value) raise RecursionError → 500 on every cursor-paged list (GET /orders,
    /anomalies, /coupons, /coupon-templates, /customers/{id}/balance and /points,
    /warehouses/{id}/child-orders). Fix in oms/store/pages.py: bound the cursor's length and catch
    RecursionError (or reuse the request bodies' strict reader)."""
    w = world
    deep = _cursor("[" * 1200 + "]" * 1200)
    for route, path, who in (
        ("GET /orders", "/orders", CUSTOMER),
        ("GET /anomalies", "/anomalies", SUPPORT),
        ("GET /customers/{customerId}/balance", "/customers/me/balance", CUSTOMER),
    ):
        answer = w.call(route, Call(path, who, query={"cursor": deep}))
        assert 400 <= answer.status < 500, (route, answer.status, answer.body)


def test_item6_a_cursor_whose_key_is_not_the_listings_key_is_refused_before_dynamodb_sees_it(world: World) -> None:
    """`decode_cursor` checks only the partition attribute and that every value is a string, then hands the
    rest to DynamoDB as ExclusiveStartKey: a cursor naming other attributes, or a 3,000-byte sort key,
    reaches the Query. moto accepts it (200 here); DynamoDB answers ValidationException ("The provided
    starting key is invalid" / key size over 1,024 bytes), a 500. Fix: accept exactly the listing's key
    attributes (table PK/SK + the index keys), each within the key-size limits."""
    w = world
    for forged in (
        '{"GSI1PK":{"S":"CUSTOMER#cust-1"},"zz":{"S":"x"}}',
        '{"GSI1PK":{"S":"CUSTOMER#cust-1"},"GSI1SK":{"S":"' + "x" * 3000 + '"},"PK":{"S":"a"},"SK":{"S":"b"}}',
    ):
        answer = w.call("GET /orders", Call("/orders", CUSTOMER, query={"cursor": _cursor(forged)}))
        assert answer.status == 422, (forged[:60], answer.status)


def test_item6_an_rfc3339_time_with_an_extreme_offset_is_a_422_not_a_500(world: World) -> None:
    """'9999-12-31T23:59:59-23:59' is valid RFC 3339 and matches the Timestamp pattern, but in UTC it is
    in year 10000: `parse_rfc3339` raises OverflowError, which nobody catches → 500 on POST /promotions
    and POST /coupon-templates (window) and on GET /orders?createdFrom= / createdTo= (which catch only
    ValueError). Same with '0001-01-01T00:00:00+23:59'. Fix in oms/domain/clock.py `parse_rfc3339`
    (turn OverflowError into ValueError) and bound the years accepted."""
    from tests.helpers.pricing import spend_and_save, ten_off

    w = world
    before = w.snapshot()
    late = "9999-12-31T23:59:59-23:59"
    for route, body in (
        ("POST /promotions", spend_and_save(window={"startsAt": late})),
        ("POST /coupon-templates", ten_off(window={"startsAt": late})),
    ):
        answer = w.call(route, Call(route.split()[1], ADMIN, body))
        assert answer.status == 422, (route, answer.status, answer.body)
    assert w.snapshot() == before
    for name in ("createdFrom", "createdTo"):
        for value in (late, "0001-01-01T00:00:00+23:59"):
            answer = w.call("GET /orders", Call("/orders", ADMIN, query={name: value}))
            assert answer.status == 422, (name, value, answer.status)


def test_item6_the_json_depth_check_is_not_quadratic_in_the_body(world: World) -> None:
    """The nesting check added for item 6 (`json_depth`) first strips strings with the regex
    `"[^"\\\\]*(?:\\\\.[^"\\\\]*)*"`. On a body that is one unterminated string full of escaped quotes
    (`"\\"\\"\\"…`) the match fails at every quote after scanning to the end: O(n²). Measured here: 16 KB
    → 1.7 s, 32 KB → 6 s, 42 KB → 11 s; the 64 KB the API accepts runs into the function's 15 s timeout,
    and any customer token can send it to POST /orders/quote. A linear scan answers 400 in milliseconds.
    Fix in oms/api/http.py: count depth in one pass (a small state machine over the text, or
    json.JSONDecoder with a depth guard), not with a failing regex."""
    w = world
    raw = '"' + '\\"' * 12000  # 24 KB
    from tests.handlers.conftest import http_event

    event = http_event(
        "POST", "/orders/quote", route="POST /orders/quote", sub="cust-1", roles=("customer",), raw_body=raw
    )
    started = time.perf_counter()
    result = w.functions["orders"].handler(event, LambdaContext())
    took = time.perf_counter() - started
    assert result["statusCode"] == 400
    assert took < 0.5, f"a 24 KB body took {took:.1f} s to be refused"
