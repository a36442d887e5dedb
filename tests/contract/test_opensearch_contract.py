"""Recorded contract of the OpenSearch product search (no OpenSearch here): the mapping, the indexing
documents and the query bodies the adapter sends are compared with the recorded fixtures
(tests/fixtures/opensearch), and its parsing of a recorded response is checked; the SigV4 transport
signs what it sends."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from oms.adapters import opensearch as o
from oms.domain.errors import InvalidRequest
from oms.domain.product_search import SearchSort, build_query

from tests.helpers.product_search import catalogue

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "opensearch"


def recorded(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


class Recorder:
    """A transport that records each request and answers from a script."""

    def __init__(self, *answers: tuple[int, dict[str, Any]]) -> None:
        self.sent: list[tuple[str, str, dict[str, Any] | None]] = []
        self.answers = list(answers)

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
        self.sent.append((method, path, json.loads(json.dumps(body)) if body is not None else None))
        return self.answers.pop(0)


DOCS = {d.product_id: d for d in catalogue()}


def test_the_index_is_created_with_the_recorded_mapping() -> None:
    transport = Recorder((200, {"acknowledged": True}), (400, {"error": {"type": "resource_already_exists_exception"}}))
    search = o.OpenSearchProductSearch(transport)
    assert search.ensure_index() is True
    assert search.ensure_index() is False
    assert transport.sent[0] == ("PUT", "/products", recorded("mapping.json"))
    analyzer = recorded("mapping.json")["settings"]["analysis"]["analyzer"]["cjk_text"]
    assert "cjk_bigram" in analyzer["filter"]  # Chinese text is cut into bigrams by the engine too


def test_a_product_is_indexed_as_the_recorded_document_with_its_version() -> None:
    transport = Recorder((201, {"result": "created"}), (409, {"error": {"type": "version_conflict_engine_exception"}}))
    search = o.OpenSearchProductSearch(transport)
    assert search.index(DOCS["P01"]) is True
    method, path, body = transport.sent[0]
    assert (method, path) == ("PUT", "/products/_doc/P01?version=1&version_type=external_gte")
    assert body == recorded("document_P01.json")
    assert {"夏季", "连衣", "衣裙", "裙", "cotton", "红色"} <= set(body["terms"])
    assert search.index(DOCS["P01"]) is False  # a newer version is indexed: a stale one changes nothing


def test_removing_a_product_deletes_its_document() -> None:
    transport = Recorder((200, {"result": "deleted"}), (404, {"result": "not_found"}))
    search = o.OpenSearchProductSearch(transport)
    assert search.remove("P02") is True and search.remove("P02") is False
    assert [(m, p) for m, p, _ in transport.sent] == [("DELETE", "/products/_doc/P02")] * 2


def test_a_keyword_query_with_every_filter_sends_the_recorded_body() -> None:
    query = build_query(
        "夏季连衣裙 cotton",
        store_id="s1",
        category_id="C2",
        price_min=10000,
        price_max=30000,
        attributes="颜色:红色",
        sort=SearchSort.RELEVANCE,
    )
    transport = Recorder((200, {"hits": {"hits": []}}))
    page = o.OpenSearchProductSearch(transport).search(query, 2, None)
    assert (page.items, page.next_cursor) == ([], None)
    assert transport.sent == [("POST", "/products/_search", recorded("query_keyword_filters.json"))]


def test_a_price_page_sends_search_after_and_parses_the_recorded_response() -> None:
    query = build_query(
        None,
        store_id=None,
        category_id=None,
        price_min=None,
        price_max=None,
        attributes=None,
        sort=SearchSort.PRICE_ASC,
    )
    cursor = o.encode_after(SearchSort.PRICE_ASC, [15900, "P02"])
    transport = Recorder((200, recorded("response_price_page.json")))
    page = o.OpenSearchProductSearch(transport).search(query, 2, cursor)
    assert transport.sent == [("POST", "/products/_search", recorded("query_price_after.json"))]
    assert [d.product_id for d in page.items] == ["P04", "P05"]  # the third hit only says there is more
    assert page.items[0] == DOCS["P04"]  # every fact survives the round trip
    assert page.next_cursor == o.encode_after(SearchSort.PRICE_ASC, [4900, "P05"])
    with pytest.raises(InvalidRequest):
        o.decode_after(page.next_cursor, SearchSort.NEWEST)  # a cursor of another order
    with pytest.raises(InvalidRequest):
        o.decode_after("!!", SearchSort.PRICE_ASC)


def test_an_error_answer_raises_so_the_record_is_retried() -> None:
    transport = Recorder((429, {"error": {"type": "es_rejected_execution_exception"}}))
    with pytest.raises(o.OpenSearchError):
        o.OpenSearchProductSearch(transport).index(DOCS["P02"])


def test_the_transport_signs_its_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    seen: dict[str, Any] = {}

    class Answer:
        status = 200

        def __enter__(self) -> Answer:
            return self

        def __exit__(self, *_: object) -> None:
            return None

        def read(self) -> bytes:
            return b'{"acknowledged": true}'

    def urlopen(request: Any, timeout: float) -> Answer:
        seen.update(url=request.full_url, headers=dict(request.header_items()), body=request.data, timeout=timeout)
        return Answer()

    monkeypatch.setattr(o.urllib.request, "urlopen", urlopen)
    transport = o.SigV4Transport("https://search-oms.example.es.amazonaws.com", region="ap-east-1")
    assert transport.request("PUT", "/products", {"a": "裙"}) == (200, {"acknowledged": True})
    assert seen["url"] == "https://search-oms.example.es.amazonaws.com/products"
    authorization = seen["headers"]["Authorization"]
    assert authorization.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") and "/ap-east-1/es/" in authorization
    assert json.loads(seen["body"]) == {"a": "裙"}
