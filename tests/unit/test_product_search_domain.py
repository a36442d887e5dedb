"""The pure part of product search: terms of Chinese and Latin text, the cover rule, query building."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from oms.domain.errors import InvalidRequest
from oms.domain.product_search import (
    SearchableProduct,
    SearchSort,
    build_query,
    covers,
    parse_attribute_filters,
    parse_keyword,
    sales_bucket,
    text_terms,
)


def product(name: str, **extra: object) -> SearchableProduct:
    return SearchableProduct("P1", "s1", name, "CNY", 100, 200, "2026-12-01T00:00:00Z", **extra)  # type: ignore[arg-type]


def query(q: str) -> object:
    return build_query(
        q, store_id=None, category_id=None, price_min=None, price_max=None, attributes=None, sort=SearchSort.RELEVANCE
    )


def test_terms_need_no_whitespace_and_fold_case_and_width() -> None:
    assert text_terms("iPhone15手机壳") == ["iphone15", "手机", "机壳", "手", "机", "壳"]
    assert text_terms("ＡＢＣ　Tee") == ["abc", "tee"]
    assert text_terms("—!!") == []


def test_a_run_is_covered_by_pieces_of_two_or_more_characters() -> None:
    terms = set(text_terms("女士夏季碎花连衣裙"))
    assert covers("夏季连衣裙", terms)  # 夏季 + 连衣裙: 季连 is in no name
    assert covers("碎花", terms) and covers("裙", terms)
    assert not covers("冬季连衣裙", terms)
    assert not covers("夏裙", terms)  # two characters of the name, but not a bigram of it


def test_a_query_needs_every_word_and_every_run() -> None:
    dress = product("女士夏季碎花连衣裙", attributes=(("material", "Cotton"),))
    assert query("cotton 夏季连衣裙").matches(dress)  # type: ignore[attr-defined]
    assert not query("silk 夏季连衣裙").matches(dress)  # type: ignore[attr-defined]
    with pytest.raises(InvalidRequest):
        query("!!!")
    with pytest.raises(InvalidRequest):
        query(" ".join(f"w{n}" for n in range(13)))


CJK = st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x4E40), min_size=1, max_size=12)
WORDS = st.text(alphabet="abcXYZ019 ", max_size=12)


@given(st.lists(st.one_of(CJK, WORDS), min_size=1, max_size=4).map("".join).filter(bool), st.data())
def test_a_product_is_found_by_its_name_and_by_any_piece_of_it(name: str, data: st.DataObject) -> None:
    """Any piece of the name that cuts no Latin word in two finds the product (a CJK run cut anywhere)."""
    found = product(name)
    start = data.draw(st.integers(0, len(name) - 1))
    piece = name[start : data.draw(st.integers(start + 1, len(name)))]
    for text in (name, piece):
        words, _ = parse_keyword(text)
        if not text_terms(text) or len(found.terms) < len(text_terms(name)) or not set(words) <= found.terms:
            continue  # nothing searchable, more terms than a product keeps, or a cut word
        try:
            built = query(text)
        except InvalidRequest:
            continue  # more than 12 words or phrases
        assert built.matches(found), text  # type: ignore[attr-defined]


def test_sales_buckets_and_attribute_filters() -> None:
    assert [sales_bucket(n) for n in (0, 7, 99, 100, 1234, 98765)] == [0, 7, 99, 100, 1200, 98000]
    assert parse_attribute_filters("颜色:红色, Size : M") == ("颜色=红色", "size=m")
    for junk in ("nocolon", ":x", "a:", ",".join(f"k{n}:v" for n in range(6))):
        with pytest.raises(InvalidRequest):
            parse_attribute_filters(junk)
