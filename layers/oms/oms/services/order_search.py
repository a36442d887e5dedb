"""The staff order search behind `GET /orders`, `GET /orders/by-number/{n}` and order exports (issue 13).

`OrderSearch` is the interface; `oms.store.order_search.DynamoOrderSearch` (the table's keys and sparse
index partitions, a bounded read per page, never a Scan) is the default. A search engine (OpenSearch fed
from the table's stream) would implement the same interface for what keys cannot serve cheaply: free text,
fuzzy matches, many filters over long ranges (docs/data-model.md, "Order search").

`SearchParams` (oms.domain.order_search) are the filters as a request gives them; `build_query` checks
them and turns them into the domain's `OrderQuery`, with the caller's store scope applied (merchant staff
only ever get orders of their stores, whatever else they filter on: a store outside the scope is an empty
page, not an error, so a page does not tell whether another store's orders exist).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from oms.domain.order_search import (
    ContactKind,
    OrderQuery,
    SearchParams,
    contact_key,
    time_range,
    zone_of,
)
from oms.domain.permissions import Actor
from oms.services.access import store_scope

if TYPE_CHECKING:
    from oms.store.records import HeaderRecord


class SearchResult(Protocol):
    @property
    def items(self) -> list[HeaderRecord]: ...

    @property
    def next_cursor(self) -> str | None: ...


class OrderSearch(Protocol):
    def search(self, query: OrderQuery, limit: int, cursor: str | None) -> SearchResult:
        """One page of the orders matching `query`, newest first (by creation; by payment when the query
        is served by the paid index), from `cursor`. A page may hold fewer than `limit` orders, or none,
        and still have a `next_cursor`: it reads a bounded number of items."""

    def by_number(self, order_number: str) -> str | None:
        """The id of the order with this number, or None."""


def build_query(params: SearchParams, actor: Actor, now: datetime, secret: bytes) -> OrderQuery:
    """The domain query of `params` for `actor` at `now` (presets resolve in `params.tz`); 422 on a
    contradiction in the request itself (an inverted range, an unknown zone)."""
    zone = zone_of(params.tz)
    phone = contact_key(ContactKind.PHONE, params.phone, secret) if params.phone else None
    email = contact_key(ContactKind.EMAIL, params.email, secret) if params.email else None
    return OrderQuery(
        order_number=params.orderNumber,
        status=params.status,
        created=time_range(params.created, params.createdFrom, params.createdTo, now=now, zone=zone, name="created"),
        paid=time_range(params.paid, params.paidFrom, params.paidTo, now=now, zone=zone, name="paid"),
        payment_method=params.paymentMethod,
        customer_id=params.customerId,
        # A contact with nothing in it (no digits) matches nothing: a key no order has.
        phone_key=phone or ("-" if params.phone else None),
        email_key=email or ("-" if params.email else None),
        sku_id=params.skuId,
        product_id=params.productId,
        store_id=params.storeId,
        amount_min=params.amountMin,
        amount_max=params.amountMax,
        currency=params.currency,
        points_used=params.pointsUsed,
        flags=frozenset(params.flags),
        stores=store_scope(actor),
    )
