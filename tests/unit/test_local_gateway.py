"""The local gateway's werkzeug router keeps API Gateway's matching rules at the edges."""

from __future__ import annotations

import urllib.parse

from oms_local.core.gateway import Router, _wire_target
from oms_local.core.template import RouteSpec


def route(method: str, path: str) -> RouteSpec:
    return RouteSpec(method, path, "F", path, "Api", None)


def matched(router: Router, method: str, path: str) -> tuple[str, dict[str, str]] | None:
    found = router.match(method, path)
    return (found[0].route_key, found[1]) if found else None


def test_a_get_route_does_not_answer_head_and_a_wrong_method_matches_nothing() -> None:
    router = Router([route("GET", "/orders/{orderId}")])

    assert matched(router, "GET", "/orders/o1") == ("GET /orders/{orderId}", {"orderId": "o1"})
    assert matched(router, "HEAD", "/orders/o1") is None
    assert matched(router, "POST", "/orders/o1") is None


def test_slashes_are_not_merged_or_redirected() -> None:
    router = Router([route("GET", "/orders/{orderId}"), route("GET", "/files/{proxy+}")])

    assert matched(router, "GET", "/orders//o1") is None
    assert matched(router, "GET", "/orders/o1/") is None
    assert matched(router, "GET", "//orders/o1") is None
    assert matched(router, "GET", "/files//a/") == ("GET /files/{proxy+}", {"proxy": "/a/"})


def test_the_default_route_catches_the_rest_and_a_root_greedy_route_takes_an_empty_segment() -> None:
    router = Router([route("POST", "/{proxy+}"), route("ANY", "$default")])

    assert matched(router, "POST", "//a%20b") == ("POST /{proxy+}", {"proxy": "/a b"})
    assert matched(router, "GET", "/a") == ("ANY $default", {})


def test_a_raw_utf8_target_is_read_as_utf8_and_escapes_are_kept() -> None:
    # What werkzeug puts in RAW_URI for `GET /search/products?q=龙井&x=%E8%8C%B6` sent unencoded (curl does):
    # the target's bytes decoded as latin-1.
    raw = "/search/products?q=龙井&x=%E8%8C%B6".encode().decode("latin-1")
    target = _wire_target({"RAW_URI": raw})
    assert target == "/search/products?q=%E9%BE%99%E4%BA%95&x=%E8%8C%B6"
    assert urllib.parse.parse_qs(target.partition("?")[2]) == {"q": ["龙井"], "x": ["茶"]}
    assert _wire_target({"PATH_INFO": "/a b"}) == "/a%20b"  # a server without RAW_URI
