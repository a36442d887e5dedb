"""An in-memory `ProductSearch` (the contract suite's reference) and the documents the suites index."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field

from oms.domain.errors import InvalidRequest
from oms.domain.product_search import ProductQuery, SearchableProduct, descending, rank


@dataclass(frozen=True)
class MemoryPage:
    items: list[SearchableProduct]
    next_cursor: str | None


@dataclass
class InMemoryProductSearch:
    docs: dict[str, SearchableProduct] = field(default_factory=dict)

    def index(self, doc: SearchableProduct) -> bool:
        changed = self.docs.get(doc.product_id) != doc
        self.docs[doc.product_id] = doc
        return changed

    def remove(self, product_id: str) -> bool:
        return self.docs.pop(product_id, None) is not None

    def search(self, query: ProductQuery, limit: int, cursor: str | None) -> MemoryPage:
        down = descending(query)
        found = sorted((d for d in self.docs.values() if query.matches(d)), key=lambda d: rank(d, query), reverse=down)
        if cursor:
            try:
                after = tuple(json.loads(base64.urlsafe_b64decode(cursor)))
            except ValueError as error:
                raise InvalidRequest("cursor is not valid", field="cursor") from error
            found = [d for d in found if (rank(d, query) < after if down else rank(d, query) > after)]
        page = found[:limit]
        more = len(found) > limit
        cursor = base64.urlsafe_b64encode(json.dumps(list(rank(page[-1], query))).encode()).decode() if more else None
        return MemoryPage(page, cursor)


def catalogue() -> list[SearchableProduct]:
    """A small catalogue with Chinese, Latin and mixed names, two stores, a category tree and ties."""

    def doc(pid: str, name: str, price: tuple[int, int], created: str, **extra: object) -> SearchableProduct:
        return SearchableProduct(
            product_id=pid,
            store_id=str(extra.pop("store", "s1")),
            name=name,
            currency="CNY",
            min_price=price[0],
            max_price=price[1],
            created_at=created,
            **extra,  # type: ignore[arg-type]
        )

    return [
        doc(
            "P01",
            "女士夏季碎花连衣裙",
            (19900, 25900),
            "2026-11-01T00:00:00Z",
            category_path="/C1/C2/C3/",
            attributes=(("颜色", "红色"), ("material", "Cotton")),
            sales=40,
        ),
        doc(
            "P02",
            "碎花半身裙",
            (15900, 15900),
            "2026-11-02T00:00:00Z",
            category_path="/C1/C2/C5/",
            attributes=(("颜色", "红色"),),
            sales=40,
        ),
        doc(
            "P03",
            "男士纯棉T恤 Classic Tee",
            (9900, 12900),
            "2026-11-03T00:00:00Z",
            store="s2",
            category_path="/C9/",
            attributes=(("颜色", "白色"),),
            sales=1200,
        ),
        doc("P04", "iPhone15手机壳", (4900, 4900), "2026-11-04T00:00:00Z", attributes=(("brand", "Apple"),), sales=7),
        doc("P05", "红色手机壳", (4900, 5900), "2026-11-05T00:00:00Z", attributes=(("brand", "Generic"),)),
        doc(
            "P06",
            "Cotton Classic Tee 纯棉",
            (5900, 5900),
            "2026-11-06T00:00:00Z",
            store="s2",
            category_path="/C9/C10/",
            sales=3,
        ),
        doc("P07", "连衣裙 长款", (29900, 29900), "2026-11-07T00:00:00Z", category_path="/C1/C2/C3/", sales=100),
    ]
