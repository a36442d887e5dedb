"""Object-level access (OWASP API1), one rule for every service: who may see an order, and so its child
orders, parcels, payments and ledger, and which stores' parts of it.

Permission is the edge's: a handler checks the function-level permission (`oms.api.auth.require`) for
what the request does. Whether this actor may touch this object is decided here, by the services:

- staff holding `order:read-any` see every order;
- store-scoped staff (merchant staff, or a custom role holding `order:read-store` without
  `order:read-any`) see the orders with a child order of one of their stores (the token's
  `custom:stores`), and of such an order only their stores' child orders and lines; every other
  permission they hold (ship, decide a case, export, statistics) applies to their stores only;
- a shopper holding `order:read-own` sees the orders they placed (ownership: the order's customer is the
  token's subject);
- anyone else gets the same 404 as for a missing order, never a 403: no existence oracle.

A caller that does not pass the order's store ids (payments, refunds: the money of the whole order) keeps
it hidden from store-scoped actors.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from oms.domain.permissions import Actor, Permission, Role


def owns(actor: Actor, customer_id: str | None) -> bool:
    """The actor placed the order (or holds the account) of this customer."""
    return customer_id is not None and customer_id == actor.subject


def store_scope(actor: Actor) -> frozenset[str] | None:
    """The stores a store-scoped actor (merchant staff) works for, or None when the actor is not
    store-scoped (staff who see every store, shoppers who see their own orders). A merchant without a
    store claim, or whose role lost order:read-store, is scoped to no store: sees nothing."""
    if actor.can(Permission.ORDER_READ_ANY):
        return None
    if actor.can(Permission.ORDER_READ_STORE):
        return actor.stores
    if Role.MERCHANT in actor.roles:
        return frozenset()
    return None


def in_scope(actor: Actor, store_id: str | None) -> bool:
    """The actor may work on this store's part of an order: always when not store-scoped (the
    permission for the work is the edge's), else only for one of its stores."""
    scope = store_scope(actor)
    return scope is None or (store_id is not None and store_id in scope)


def may_see_order(actor: Actor, customer_id: str | None, store_ids: Iterable[str] = ()) -> bool:
    """The one visibility rule of an order and everything in it. `store_ids`: the stores of the order
    (or of the child order) asked about."""
    if actor.can(Permission.ORDER_READ_ANY):
        return True
    scope = store_scope(actor)
    if scope and not scope.isdisjoint(store_ids):
        return True
    return actor.can(Permission.ORDER_READ_OWN) and owns(actor, customer_id)


def may_see_case(actor: Actor, customer_id: str | None, store_id: str) -> bool:
    """An after-sales case: staff who read every case, the store-scoped staff of its store, its shopper."""
    if actor.is_system or actor.can(Permission.AFTER_SALES_READ_ANY):
        return True
    scope = store_scope(actor)
    return bool(scope and store_id in scope) or owns(actor, customer_id)


def scoped_order_view(actor: Actor, view: dict[str, Any]) -> dict[str, Any]:
    """An order's view as a store-scoped actor sees it: only its stores' lines and child orders, the
    breakdown of those lines, and nothing of the whole order's money (payment picture, order-level
    pricing, reporting total). Others see the view as it is."""
    scope = store_scope(actor)
    if scope is None or owns(actor, view.get("customerId")):
        return view
    lines = [line for line in view["lines"] if line.get("storeId") in scope]
    currency = view["currency"]
    return {
        **{key: value for key, value in view.items() if key != "payment"},
        "storeIds": [s for s in view["storeIds"] if s in scope],
        "lines": lines,
        "children": [child for child in view["children"] if child.get("storeId") in scope],
        "breakdown": {
            column: {"amount": sum(int(line[field]["amount"]) for line in lines), "currency": currency}
            for column, field in (
                ("subtotal", "lineTotal"),
                ("shipping", "shipping"),
                ("discount", "discount"),
                ("total", "payable"),
            )
        },
        "pricing": None,
        "reportingTotal": None,
    }
