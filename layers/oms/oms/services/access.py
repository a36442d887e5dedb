"""Object-level access (OWASP API1), one rule for every service: who may see an order, and so its child
orders, parcels, payments and ledger.

Permission is the edge's: a handler checks the function-level permission (`oms.api.auth.require`) for
what the request does. Whether this actor may touch this object is decided here, by the services:

- staff holding `order:read-any` see every order;
- a shopper holding `order:read-own` sees the orders they placed (ownership: the order's customer is the
  token's subject);
- anyone else gets the same 404 as for a missing order, never a 403: no existence oracle.

Store scope (merchant staff seeing their own stores' orders) joins this rule when actors carry store
claims; today no role is store-scoped (`oms.domain.permissions`).
"""

from __future__ import annotations

from oms.domain.permissions import Actor, Permission, Role


def owns(actor: Actor, customer_id: str | None) -> bool:
    """The actor placed the order (or holds the account) of this customer."""
    return customer_id is not None and customer_id == actor.subject


def may_see_order(actor: Actor, customer_id: str | None) -> bool:
    """The one visibility rule of an order and everything in it."""
    if actor.can(Permission.ORDER_READ_ANY):
        return True
    return actor.can(Permission.ORDER_READ_OWN) and owns(actor, customer_id)


def store_scope(actor: Actor) -> frozenset[str] | None:
    """The stores a store-scoped actor (merchant staff) works for, or None when the actor is not
    store-scoped (staff who see every store, shoppers who see their own orders). A merchant without a
    store claim is scoped to no store: sees nothing."""
    if Role.MERCHANT in actor.roles and not actor.can(Permission.ORDER_READ_ANY):
        return actor.stores
    return None
