"""Product search on OpenSearch (`ProductSearch` for scale; the template's `EnableProductSearchOpenSearch`).

No OpenSearch client is installable here, so requests are signed with botocore's SigV4 and sent with
urllib (`SigV4Transport`); the adapter builds the index mapping, the indexing documents and the query
bodies, and parses the answers (all held to recorded fixtures: tests/contract/test_opensearch_contract.py).

Semantics follow the DynamoDB implementation: the keyword's words and its CJK runs' anchors (first and
last bigram) are required terms (a `terms` keyword field holds the product's own terms, made by the same
`oms.domain.product_search` code, so both engines cut text alike); store, category (any id of
`categoryPath`), price range (lowest price) and attribute pairs are filters; relevance is OpenSearch's
score of the keyword over the name (boosted) and attribute values, analysed with CJK bigrams. It does not
check that a run's pieces are all present (`covers`): it may answer a few more products for a long
Chinese keyword, ranked lower. Pages use `search_after` over the sort values (the cursor).
"""

from __future__ import annotations

import base64
import binascii
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any, Protocol

from oms.domain.errors import InvalidRequest
from oms.domain.product_search import ProductQuery, SearchableProduct, SearchSort

INDEX = "products"
TIMEOUT_SECONDS = 5.0

MAPPING: dict[str, Any] = {
    "settings": {
        "analysis": {
            "analyzer": {
                "cjk_text": {
                    "type": "custom",
                    "tokenizer": "standard",
                    "filter": ["cjk_width", "lowercase", "cjk_bigram"],
                }
            }
        }
    },
    "mappings": {
        "dynamic": "strict",
        "properties": {
            "productId": {"type": "keyword"},
            "storeId": {"type": "keyword"},
            "name": {"type": "text", "analyzer": "cjk_text"},
            "attributesText": {"type": "text", "analyzer": "cjk_text"},
            "terms": {"type": "keyword"},
            "attributePairs": {"type": "keyword"},
            "attributes": {"type": "object", "enabled": False},
            "categoryIds": {"type": "keyword"},
            "categoryPath": {"type": "keyword"},
            "currency": {"type": "keyword"},
            "minPrice": {"type": "long"},
            "maxPrice": {"type": "long"},
            "sales": {"type": "long"},
            "createdAt": {"type": "date"},
            "image": {"type": "object", "enabled": False},
            "version": {"type": "long"},
        },
    },
}

SORTS: dict[SearchSort, list[dict[str, str]]] = {
    SearchSort.RELEVANCE: [{"_score": "desc"}, {"sales": "desc"}, {"productId": "asc"}],
    SearchSort.PRICE_ASC: [{"minPrice": "asc"}, {"productId": "asc"}],
    SearchSort.PRICE_DESC: [{"minPrice": "desc"}, {"productId": "desc"}],
    SearchSort.SALES: [{"sales": "desc"}, {"productId": "desc"}],
    SearchSort.NEWEST: [{"createdAt": "desc"}, {"productId": "desc"}],
}


class OpenSearchError(RuntimeError):
    """The domain answered an error (a transient one is retried by the caller's record)."""


class Transport(Protocol):
    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
        """(HTTP status, decoded JSON body) of one request to the domain."""


@dataclass
class SigV4Transport:
    """HTTPS to the domain (or serverless collection: service `aoss`), signed with the function's role."""

    endpoint: str
    service: str = "es"
    region: str | None = None

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
        import boto3
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        session = boto3.Session()
        region = self.region or session.region_name or "us-east-1"
        data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
        url = self.endpoint.rstrip("/") + path
        signed = AWSRequest(method=method, url=url, data=data, headers={"Content-Type": "application/json"})
        credentials = session.get_credentials()
        if credentials is None:
            raise OpenSearchError("no AWS credentials to sign the request with")
        SigV4Auth(credentials, self.service, region).add_auth(signed)
        request = urllib.request.Request(url, data=data, method=method, headers=dict(signed.headers.items()))
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")


# ---------------------------------------------------------------- documents and queries
def document(doc: SearchableProduct) -> dict[str, Any]:
    """The indexing document of a product."""
    return {
        "productId": doc.product_id,
        "storeId": doc.store_id,
        "name": doc.name,
        "attributesText": " ".join(value for _, value in doc.attributes),
        "terms": sorted(doc.terms),
        "attributePairs": sorted(doc.attribute_pairs),
        "attributes": [list(pair) for pair in doc.attributes],
        "categoryIds": list(doc.category_ids),
        "categoryPath": doc.category_path,
        "currency": doc.currency,
        "minPrice": doc.min_price,
        "maxPrice": doc.max_price,
        "sales": doc.sales,
        "createdAt": doc.created_at,
        "image": dict(doc.image) if doc.image else None,
        "version": doc.version,
    }


def from_source(source: dict[str, Any]) -> SearchableProduct:
    return SearchableProduct(
        product_id=source["productId"],
        store_id=source["storeId"],
        name=source["name"],
        currency=source["currency"],
        min_price=int(source["minPrice"]),
        max_price=int(source["maxPrice"]),
        created_at=source["createdAt"],
        category_path=source.get("categoryPath"),
        attributes=tuple((str(k), str(v)) for k, v in source.get("attributes") or []),
        sales=int(source.get("sales") or 0),
        image=source.get("image"),
        version=int(source.get("version") or 1),
    )


def encode_after(sort: SearchSort, values: list[Any]) -> str:
    raw = json.dumps({"s": sort.value, "a": values}, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_after(cursor: str | None, sort: SearchSort) -> list[Any] | None:
    if not cursor:
        return None
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, RecursionError) as error:
        raise InvalidRequest("cursor is not valid", field="cursor") from error
    values = raw.get("a") if isinstance(raw, dict) else None
    if raw.get("s") != sort.value or not isinstance(values, list) or len(values) != len(SORTS[sort]):
        raise InvalidRequest("cursor is not valid for this listing", field="cursor")
    if not all(isinstance(v, str | int | float) and not isinstance(v, bool) for v in values):
        raise InvalidRequest("cursor is not valid for this listing", field="cursor")
    return values


def query_body(query: ProductQuery, limit: int, cursor: str | None) -> dict[str, Any]:
    """The search request of a query (one more hit than `limit`: whether there is a next page)."""
    sort = query.effective_sort
    filters: list[dict[str, Any]] = [{"term": {"terms": term}} for term in query.terms]
    if query.store_id is not None:
        filters.append({"term": {"storeId": query.store_id}})
    if query.category_id is not None:
        filters.append({"term": {"categoryIds": query.category_id}})
    price: dict[str, int] = {}
    if query.price_min is not None:
        price["gte"] = query.price_min
    if query.price_max is not None:
        price["lte"] = query.price_max
    if price:
        filters.append({"range": {"minPrice": price}})
    filters += [{"term": {"attributePairs": pair}} for pair in query.attributes]
    boolean: dict[str, Any] = {"filter": filters}
    if query.terms:
        text = " ".join([*(t for t in query.terms if not any(t in run for run in query.runs)), *query.runs])
        boolean["must"] = [{"multi_match": {"query": text, "fields": ["name^2", "attributesText"]}}]
    body: dict[str, Any] = {
        "size": limit + 1,
        "track_total_hits": False,
        "_source": {"excludes": ["terms", "attributePairs", "attributesText", "categoryIds"]},
        "query": {"bool": boolean},
        "sort": SORTS[sort],
    }
    after = decode_after(cursor, sort)
    if after is not None:
        body["search_after"] = after
    return body


@dataclass(frozen=True)
class OpenSearchPage:
    items: list[SearchableProduct]
    next_cursor: str | None


def parse_response(answer: dict[str, Any], query: ProductQuery, limit: int) -> OpenSearchPage:
    hits = answer.get("hits", {}).get("hits", [])
    items = [from_source(hit["_source"]) for hit in hits[:limit]]
    more = len(hits) > limit
    cursor = encode_after(query.effective_sort, hits[limit - 1]["sort"]) if more else None
    return OpenSearchPage(items, cursor)


@dataclass
class OpenSearchProductSearch:
    transport: Transport
    index_name: str = INDEX

    def ensure_index(self) -> bool:
        """Create the index with its mapping; False when it exists."""
        status, answer = self.transport.request("PUT", f"/{self.index_name}", MAPPING)
        if status == 400 and answer.get("error", {}).get("type") == "resource_already_exists_exception":
            return False
        self._check(status, answer)
        return True

    def index(self, doc: SearchableProduct) -> bool:
        """Put the product's document; an older version than the indexed one changes nothing (external_gte)."""
        path = f"/{self.index_name}/_doc/{urllib.parse.quote(doc.product_id, safe='')}"
        status, answer = self.transport.request(
            "PUT", f"{path}?version={doc.version}&version_type=external_gte", document(doc)
        )
        if status == 409:  # a newer version is indexed: this one is stale
            return False
        self._check(status, answer)
        return answer.get("result") != "noop"

    def remove(self, product_id: str) -> bool:
        status, answer = self.transport.request(
            "DELETE", f"/{self.index_name}/_doc/{urllib.parse.quote(product_id, safe='')}"
        )
        if status == 404:
            return False
        self._check(status, answer)
        return True

    def search(self, query: ProductQuery, limit: int, cursor: str | None) -> OpenSearchPage:
        body = query_body(query, limit, cursor)
        if query.contradictory:
            return OpenSearchPage([], None)
        status, answer = self.transport.request("POST", f"/{self.index_name}/_search", body)
        self._check(status, answer)
        return parse_response(answer, query, limit)

    @staticmethod
    def _check(status: int, answer: dict[str, Any]) -> None:
        if status >= 300:
            raise OpenSearchError(f"OpenSearch answered {status}: {json.dumps(answer)[:300]}")
