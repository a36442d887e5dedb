"""Shopper product search, the pure part: terms of a text (Chinese included), the searchable facts of a
product, a query and whether a product matches it (docs/search.md).

Terms: the text is NFKC-normalised and case-folded, then cut into runs of CJK characters and runs of
letters/digits. A CJK run gives its overlapping bigrams (and its characters, so a one-character query
such as 裙 still finds 连衣裙); a letter/digit run is one word. No whitespace is needed: "iPhone15手机壳"
is `iphone15`, `手机`, `机壳`, `手`, `机`, `壳`. A query matches a product when the product (name or
attribute values) has every query word, and covers every query CJK run (`covers`: the run cuts into
pieces of two or more characters whose bigrams the product has, so 夏季连衣裙 finds 女士夏季碎花连衣裙).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from oms.domain.errors import InvalidRequest

MAX_PRODUCT_TERMS = 48  # terms kept per product (name first): bounds the index rows one product writes
MAX_QUERY_TERMS = 12
MAX_ATTRIBUTE_FILTERS = 5
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_RUNS = re.compile(rf"([{_CJK}]+)|([^\W_{_CJK}]+)")
_CJK_CHAR = re.compile(rf"[{_CJK}]")
NAME_SCORE, ATTRIBUTE_SCORE = 2, 1  # a term found in the name ranks above one found only in attributes


class SearchSort(StrEnum):
    RELEVANCE = "relevance"  # with a keyword: name hits first, then sales; without one: as `sales`
    PRICE_ASC = "price"
    PRICE_DESC = "-price"
    SALES = "sales"  # most sold first
    NEWEST = "newest"


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _cjk_terms(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)] + list(run)


def text_terms(text: str) -> list[str]:
    """The distinct terms of `text` in their first order: words, and the bigrams and characters of CJK runs."""
    terms: list[str] = []
    for cjk, word in _RUNS.findall(normalise(text)):
        terms += _cjk_terms(cjk) if cjk else [word]
    return list(dict.fromkeys(terms))


def parse_keyword(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A keyword's words (letters/digits) and CJK runs, normalised, each once."""
    words: list[str] = []
    runs: list[str] = []
    for cjk, word in _RUNS.findall(normalise(text)):
        (runs if cjk else words).append(cjk or word)
    return tuple(dict.fromkeys(words)), tuple(dict.fromkeys(runs))


def run_anchors(run: str) -> list[str]:
    """Terms every product matching the CJK run has: its first and last bigram (a lone character: itself).
    Whatever the run's segmentation, its first two and last two characters sit in one segment."""
    return [run] if len(run) == 1 else list(dict.fromkeys([run[:2], run[-2:]]))


def covers(run: str, terms: frozenset[str] | set[str]) -> bool:
    """Whether the product's terms cover the CJK run: the run cuts into segments of two or more characters
    whose bigrams the product all has (夏季连衣裙 = 夏季 + 连衣裙 matches 女士夏季碎花连衣裙 though 季连 is
    in no name); a lone character is a unigram."""
    if len(run) == 1:
        return run in terms
    ok = [True] + [False] * len(run)  # ok[i]: run[:i] is covered
    for end in range(2, len(run) + 1):
        for start in range(end - 2, -1, -1):
            if run[start : start + 2] not in terms:
                break
            if ok[start]:
                ok[end] = True
                break
    return ok[len(run)]


def driving_term(terms: Iterable[str]) -> str:
    """The term whose index partition a keyword query reads (the others are checked on each row): the
    longest (a long word or a bigram is rarer than a letter or one character); ties: the first."""
    return max(terms, key=len)


def attribute_pair(key: str, value: str) -> str:
    return f"{normalise(key).strip()}={normalise(value).strip()}"


def parse_attribute_filters(text: str | None) -> tuple[str, ...]:
    """`color:red,size:M` → the normalised pairs every match must carry; 422 for anything else."""
    if not text:
        return ()
    pairs = []
    for part in text.split(","):
        key, sep, value = part.partition(":")
        if not sep or not key.strip() or not value.strip():
            raise InvalidRequest("attributes are a comma-separated list of name:value", field="attr")
        pairs.append(attribute_pair(key, value))
    if len(pairs) > MAX_ATTRIBUTE_FILTERS:
        raise InvalidRequest(f"at most {MAX_ATTRIBUTE_FILTERS} attribute filters", field="attr")
    return tuple(dict.fromkeys(pairs))


def sales_bucket(units: int) -> int:
    """Units sold as the index sorts them: exact below 100, then two significant figures (1,234 → 1,200),
    so a best-seller rewrites its index rows about 90 times per tenfold growth, not at every sale."""
    if units < 100:
        return max(units, 0)
    scale: int = 10 ** (len(str(units)) - 2)
    return units // scale * scale


@dataclass(frozen=True)
class SearchableProduct:
    """What search knows of an ACTIVE product with at least one ACTIVE SKU (the indexing document)."""

    product_id: str
    store_id: str
    name: str
    currency: str
    min_price: int  # minor units, over its ACTIVE SKUs
    max_price: int
    created_at: str
    category_path: str | None = None  # "/<rootId>/<childId>/<leafId>/"
    attributes: tuple[tuple[str, str], ...] = ()  # the product's and its SKUs' (name, value), as given
    sales: int = 0  # units sold (the sales counter, bucketed by `sales_bucket`)
    image: Mapping[str, Any] | None = None  # the main image (its id and object keys), when the product has one
    version: int = 1
    scores: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        scores: dict[str, int] = {}
        for term in text_terms(self.name):
            scores.setdefault(term, NAME_SCORE)
        for _, value in self.attributes:
            for term in text_terms(value):
                scores.setdefault(term, ATTRIBUTE_SCORE)
        kept = dict(list(scores.items())[:MAX_PRODUCT_TERMS])
        object.__setattr__(self, "scores", kept)

    @property
    def terms(self) -> frozenset[str]:
        return frozenset(self.scores)

    @property
    def attribute_pairs(self) -> frozenset[str]:
        return frozenset(attribute_pair(k, v) for k, v in self.attributes)

    @property
    def category_ids(self) -> tuple[str, ...]:
        return tuple(part for part in (self.category_path or "").split("/") if part)

    def relevance(self, terms: Iterable[str]) -> int:
        return sum(self.scores.get(term, 0) for term in terms)


@dataclass(frozen=True)
class ProductQuery:
    terms: tuple[str, ...] = ()  # what every match has: the keyword's words and its CJK runs' anchors
    runs: tuple[str, ...] = ()  # the keyword's CJK runs, each covered by the match's terms (`covers`)
    store_id: str | None = None
    category_id: str | None = None
    price_min: int | None = None
    price_max: int | None = None
    attributes: tuple[str, ...] = ()  # normalised `name=value` pairs
    sort: SearchSort = SearchSort.RELEVANCE

    @property
    def contradictory(self) -> bool:
        return self.price_min is not None and self.price_max is not None and self.price_min > self.price_max

    @property
    def effective_sort(self) -> SearchSort:
        """Relevance needs a keyword: without one it is `sales`."""
        return SearchSort.SALES if self.sort is SearchSort.RELEVANCE and not self.terms else self.sort

    def matches(self, product: SearchableProduct) -> bool:
        if self.store_id is not None and product.store_id != self.store_id:
            return False
        if self.category_id is not None and self.category_id not in product.category_ids:
            return False
        if self.price_min is not None and product.min_price < self.price_min:
            return False
        if self.price_max is not None and product.min_price > self.price_max:
            return False
        if not set(self.terms) <= product.terms:
            return False
        if not all(covers(run, product.terms) for run in self.runs):
            return False
        return set(self.attributes) <= product.attribute_pairs


def build_query(
    q: str | None,
    *,
    store_id: str | None,
    category_id: str | None,
    price_min: int | None,
    price_max: int | None,
    attributes: str | None,
    sort: SearchSort,
) -> ProductQuery:
    """The query of a request's parameters; 422 for a keyword with no searchable character in it."""
    words: tuple[str, ...] = ()
    runs: tuple[str, ...] = ()
    if q is not None and q.strip():
        words, runs = parse_keyword(q)
        if not words and not runs:
            raise InvalidRequest("the keyword has no letter, digit or CJK character", field="q")
    terms = tuple(dict.fromkeys([*words, *(a for run in runs for a in run_anchors(run))]))
    if len(terms) > MAX_QUERY_TERMS:
        raise InvalidRequest(f"the keyword has more than {MAX_QUERY_TERMS} words or phrases", field="q")
    return ProductQuery(
        terms=terms,
        runs=runs,
        store_id=store_id,
        category_id=category_id,
        price_min=price_min,
        price_max=price_max,
        attributes=parse_attribute_filters(attributes),
        sort=sort,
    )


def has_cjk(text: str) -> bool:
    return bool(_CJK_CHAR.search(text))


def rank(doc: SearchableProduct, query: ProductQuery) -> tuple[int | str, ...]:
    """Where the product sorts in the query's order (with `descending`): the order every implementation
    answers. Relevance is the score of the keyword's driving term (name 2, attribute 1), then sales."""
    sort = query.effective_sort
    if sort is SearchSort.PRICE_ASC or sort is SearchSort.PRICE_DESC:
        return (doc.min_price, doc.product_id)
    if sort is SearchSort.SALES:
        return (doc.sales, doc.product_id)
    if sort is SearchSort.NEWEST:
        return (doc.created_at, doc.product_id)
    return (doc.scores.get(driving_term(query.terms), 0), doc.sales, doc.product_id)


def descending(query: ProductQuery) -> bool:
    return query.effective_sort is not SearchSort.PRICE_ASC
