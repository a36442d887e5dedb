"""Roles and the one permission matrix of the API (function-level authorization, OWASP API5)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    SUPPORT = "support"
    WAREHOUSE = "warehouse"
    FINANCE = "finance"
    MERCHANT = "merchant"
    CUSTOMER = "customer"


STAFF_ROLES = frozenset({Role.ADMIN, Role.SUPPORT, Role.WAREHOUSE, Role.FINANCE, Role.MERCHANT})


class Permission(StrEnum):
    CATALOG_WRITE = "catalog:write"
    STOCK_ADJUST = "stock:adjust"
    STOCK_READ = "stock:read"  # a SKU's stock movements (merchant staff: their stores' SKUs only)
    STORE_WRITE = "store:write"
    ORDER_PLACE = "order:place"
    ORDER_QUOTE = "order:quote"
    ORDER_READ_OWN = "order:read-own"
    ORDER_READ_ANY = "order:read-any"
    ORDER_READ_STORE = "order:read-store"  # merchant staff: their stores' orders only (store-scoped)
    ORDER_CANCEL_OWN = "order:cancel-own"
    ORDER_CANCEL_ANY = "order:cancel-any"
    PAYMENT_CREATE = "payment:create"
    PAYMENT_REVIEW = "payment:review"
    PAYMENT_SETTINGS = "payment:settings"
    BALANCE_ADJUST = "balance:adjust"
    ANOMALY_MANAGE = "anomaly:manage"
    REFUND_RESOLVE = "refund:resolve"
    REFUND_CREATE = "refund:create"
    PROMOTION_MANAGE = "promotion:manage"
    POINTS_ADJUST = "points:adjust"
    PRICING_SETTINGS = "pricing:settings"
    SHIPMENT_CREATE = "shipment:create"
    AFTER_SALES_OPEN_OWN = "after-sales:open-own"
    AFTER_SALES_OPEN_ANY = "after-sales:open-any"  # support on a shopper's behalf (and their moves)
    AFTER_SALES_READ_ANY = "after-sales:read-any"
    AFTER_SALES_DECIDE = "after-sales:decide"
    AFTER_SALES_ARBITRATE = "after-sales:arbitrate"
    AFTER_SALES_RECEIVE = "after-sales:receive"  # book a return's arrival and inspect it
    REPORT_READ = "report:read"  # the scheduled reports (sales, financial, settlement, reconciliation)
    EXPORT_CREATE = "export:create"
    EXPORT_READ_ANY = "export:read-any"  # everybody's exports, not only one's own
    PERSONAL_DATA_READ = "personal-data:read"  # names, phones, emails and addresses unmasked (exports, reads)
    PERSONAL_DATA_SHIP_TO = "personal-data:ship-to"  # the shipping address of the orders one ships
    PERSONAL_DATA_REVEAL = "personal-data:reveal"  # one order's contact details on request (audited)
    PERSONAL_DATA_ERASE = "personal-data:erase"  # a customer's erasure; the data-retention setting
    AUDIT_READ = "audit:read"  # the audit trail (GET /audit)
    NOTIFICATION_SETTINGS = "notification:settings"  # a store's notification rules
    STATS_READ = "stats:read"  # statistics (GET /stats/...): a store-scoped actor's only for its stores
    ROLES_MANAGE = "roles:manage"  # grant and revoke permissions per role, define custom staff roles
    RISK_MANAGE = "risk:manage"  # blacklists and the risk settings (limits, rules, thresholds)
    RISK_REVIEW = "risk:review"  # the manual review queue of suspicious paid orders: approve or reject
    ORDER_NOTE = "order:note"  # staff notes and recorded customer communications on an order
    ORDER_FLAG = "order:flag"  # mark an order special (the system's flags are set by the system)
    ORDER_HOLD = "order:hold"  # put a paid order on hold, and release a staff hold
    ORDER_CREATE_MANUAL = "order:create-manual"  # an order placed by staff for a shopper (POST /admin/orders)
    ORDER_EDIT = "order:edit"  # change an unpaid order's items, address or price (PATCH /orders/{orderId})
    VIRTUAL_CODES = "virtual:codes"  # upload and list a virtual SKU's code pool (masked)
    VIRTUAL_DELIVER = "virtual:deliver"  # deliver an order's virtual goods; activate, freeze, reject vouchers
    VIRTUAL_REVEAL = "virtual:reveal"  # copy an order's codes and links in clear (audited)
    VIRTUAL_VERIFY = "virtual:verify"  # verify a code on use (POST /verifications)
    CHANNEL_MANAGE = "channel:manage"  # channel stores: create, edit, enable/disable, sync; import channel orders
    CHANNEL_READ = "channel:read"  # channel stores, their balances and findings, e-commerce orders, daily checks


# Which roles hold which permission. Every signed-in role may price a cart (a quote changes nothing).
# Merchant staff are store-scoped (`oms.services.access.store_scope`): they hold order:read-store, never
# order:read-any, and every other permission they hold (shipping, deciding cases, exports, statistics)
# applies to their stores' child orders only. Admins change this per role (`oms.domain.roles`).
MATRIX: dict[Permission, frozenset[Role]] = {
    Permission.CATALOG_WRITE: frozenset({Role.ADMIN}),
    Permission.STOCK_ADJUST: frozenset({Role.ADMIN}),
    # Who moved a SKU's stock and why: those who adjust it, the warehouse that holds it, merchant staff (store-scoped).
    Permission.STOCK_READ: frozenset({Role.ADMIN, Role.WAREHOUSE, Role.MERCHANT}),
    Permission.STORE_WRITE: frozenset({Role.ADMIN}),
    Permission.ORDER_PLACE: frozenset({Role.CUSTOMER}),
    Permission.ORDER_QUOTE: frozenset(Role),
    Permission.ORDER_READ_OWN: frozenset({Role.CUSTOMER}),
    Permission.ORDER_READ_ANY: frozenset({Role.ADMIN, Role.SUPPORT, Role.WAREHOUSE, Role.FINANCE}),
    Permission.ORDER_READ_STORE: frozenset({Role.MERCHANT}),
    Permission.ORDER_CANCEL_OWN: frozenset({Role.CUSTOMER}),
    Permission.ORDER_CANCEL_ANY: frozenset({Role.ADMIN, Role.SUPPORT}),
    Permission.PAYMENT_CREATE: frozenset({Role.CUSTOMER}),
    Permission.PAYMENT_REVIEW: frozenset({Role.FINANCE}),
    Permission.PAYMENT_SETTINGS: frozenset({Role.ADMIN, Role.FINANCE}),
    Permission.BALANCE_ADJUST: frozenset({Role.ADMIN, Role.FINANCE}),
    Permission.ANOMALY_MANAGE: frozenset({Role.ADMIN, Role.SUPPORT, Role.FINANCE}),
    # A refund the provider refused moves money another way (balance, a payout by hand): like balance
    # adjustments, finance's and admin's.
    Permission.REFUND_RESOLVE: frozenset({Role.ADMIN, Role.FINANCE}),
    # Refunds by request (lines, shipping or an amount, POST /orders/{orderId}/refunds): money leaves.
    Permission.REFUND_CREATE: frozenset({Role.ADMIN, Role.FINANCE}),
    # Promotions, coupon templates and issuance are marketing decisions: admin only. Points and FX move
    # value, so finance holds them too (like balance adjustments and payment settings).
    Permission.PROMOTION_MANAGE: frozenset({Role.ADMIN}),
    Permission.POINTS_ADJUST: frozenset({Role.ADMIN, Role.FINANCE}),
    Permission.PRICING_SETTINGS: frozenset({Role.ADMIN, Role.FINANCE}),
    Permission.SHIPMENT_CREATE: frozenset({Role.ADMIN, Role.WAREHOUSE, Role.MERCHANT}),
    # After-sales: the shopper opens cases on their orders, support on their behalf. Deciding is the
    # merchant's side (their stores' cases only; support and admin decide for any store). Arbitration is
    # the platform's: support and admin.
    # The warehouse books returns in and inspects them.
    Permission.AFTER_SALES_OPEN_OWN: frozenset({Role.CUSTOMER}),
    Permission.AFTER_SALES_OPEN_ANY: frozenset({Role.ADMIN, Role.SUPPORT}),
    Permission.AFTER_SALES_READ_ANY: frozenset({Role.ADMIN, Role.SUPPORT, Role.WAREHOUSE, Role.FINANCE}),
    Permission.AFTER_SALES_DECIDE: frozenset({Role.ADMIN, Role.SUPPORT, Role.MERCHANT}),
    Permission.AFTER_SALES_ARBITRATE: frozenset({Role.ADMIN, Role.SUPPORT}),
    Permission.AFTER_SALES_RECEIVE: frozenset({Role.ADMIN, Role.WAREHOUSE}),
    # Reports show every store's sales, the ledger and what merchants are paid: admin and finance. Merchant
    # staff get their own store's settlement once they are store-scoped.
    Permission.REPORT_READ: frozenset({Role.ADMIN, Role.FINANCE}),
    # Exports: whoever lists orders may export that list (merchant staff: their stores' orders only).
    # A bulk file of people's names, phones and addresses leaves the system with it: unmasked only for admin
    # (support and the warehouse see one order's address where they work on it, never in bulk).
    Permission.EXPORT_CREATE: frozenset({Role.ADMIN, Role.SUPPORT, Role.WAREHOUSE, Role.FINANCE, Role.MERCHANT}),
    Permission.EXPORT_READ_ANY: frozenset({Role.ADMIN}),
    Permission.PERSONAL_DATA_READ: frozenset({Role.ADMIN}),
    # One order's address where one works on it: the warehouse while it ships, merchant staff on their own
    # stores' orders; support asks to reveal it, one order at a time, with a reason (audited). Reading it
    # unmasked is logged (who viewed which order's contact details); erasing it, and how long it is kept
    # (the retention setting), is admin's, like the trail itself.
    Permission.PERSONAL_DATA_SHIP_TO: frozenset({Role.WAREHOUSE, Role.MERCHANT}),
    Permission.PERSONAL_DATA_REVEAL: frozenset({Role.ADMIN, Role.SUPPORT}),
    Permission.PERSONAL_DATA_ERASE: frozenset({Role.ADMIN}),
    Permission.AUDIT_READ: frozenset({Role.ADMIN}),
    # What a store's orders send on which channels, and who gets its staff alerts: admin's, like store settings.
    Permission.NOTIFICATION_SETTINGS: frozenset({Role.ADMIN}),
    # Operators, finance and support read the platform's statistics; merchants their stores' series.
    Permission.STATS_READ: frozenset({Role.ADMIN, Role.SUPPORT, Role.FINANCE, Role.MERCHANT}),
    Permission.VIRTUAL_CODES: frozenset({Role.ADMIN, Role.MERCHANT}),
    Permission.VIRTUAL_DELIVER: frozenset({Role.ADMIN, Role.SUPPORT, Role.MERCHANT}),
    Permission.VIRTUAL_REVEAL: frozenset({Role.ADMIN, Role.SUPPORT}),
    Permission.VIRTUAL_VERIFY: frozenset({Role.ADMIN, Role.MERCHANT}),
    Permission.CHANNEL_MANAGE: frozenset({Role.ADMIN}),
    Permission.CHANNEL_READ: frozenset({Role.ADMIN, Role.SUPPORT, Role.FINANCE}),
    # Who may change who may do what: admin, always (`oms.domain.roles` refuses to take it away).
    Permission.ROLES_MANAGE: frozenset({Role.ADMIN}),
    # Blacklists and limits decide who may buy at all: admin's. Reviewing a suspicious paid order (approve, or
    # reject: its money goes back) is the platform's fraud desk: admin and support.
    Permission.RISK_MANAGE: frozenset({Role.ADMIN}),
    Permission.RISK_REVIEW: frozenset({Role.ADMIN, Role.SUPPORT}),
    # The order desk (issue 13): whoever works on any order notes what they did or heard; marking an order
    # special and holding it back from shipping are customer service's calls (support, admin).
    Permission.ORDER_NOTE: frozenset({Role.ADMIN, Role.SUPPORT, Role.WAREHOUSE, Role.FINANCE}),
    Permission.ORDER_FLAG: frozenset({Role.ADMIN, Role.SUPPORT}),
    Permission.ORDER_HOLD: frozenset({Role.ADMIN, Role.SUPPORT}),
    # Manual orders and edits of unpaid orders: the people who take orders by phone and chat (support) and
    # admin; how much of a discount each may give is capped per role (oms.domain.manual_orders). Marking an
    # offline-paid order paid is finance's (payment:review), like a bank transfer's review.
    Permission.ORDER_CREATE_MANUAL: frozenset({Role.ADMIN, Role.SUPPORT}),
    Permission.ORDER_EDIT: frozenset({Role.ADMIN, Role.SUPPORT}),
}


class Grants:
    """Effective permissions resolved at their first use (then kept): the edge builds an actor from a
    token without reading the role policy, and the policy is read (once per TTL, `oms.services.roles`)
    only when a permission is first checked."""

    __slots__ = ("_resolve", "_value")

    def __init__(self, resolve: Callable[[], frozenset[Permission]]) -> None:
        self._resolve = resolve
        self._value: frozenset[Permission] | None = None

    @property
    def value(self) -> frozenset[Permission]:
        if self._value is None:
            self._value = self._resolve()
        return self._value

    def __contains__(self, permission: object) -> bool:
        return permission in self.value


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting: a JWT subject with roles, or the system itself (timers, callbacks).

    `stores` are the stores merchant staff work for (the token's `custom:stores` claim); `request_id` and
    `source_ip` come from API Gateway's request context and go into every audit entry the request writes.
    `custom_roles` are the admin-defined staff roles among the token's groups; `granted` the effective
    permissions the edge computed from the role policy (built-in matrix + grants - revokes + custom
    roles, `oms.domain.roles.RolePolicy.effective`); None (actors built in code) means the built-in matrix."""

    subject: str
    roles: frozenset[Role]
    stores: frozenset[str] = frozenset()
    request_id: str | None = None
    source_ip: str | None = None
    custom_roles: frozenset[str] = frozenset()
    granted: frozenset[Permission] | Grants | None = None
    email: str | None = None  # the token's `email` claim when it carries one (indexed, hashed, with orders)

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        return cls(subject=name, roles=frozenset())

    @property
    def is_system(self) -> bool:
        """Timers and callbacks: no roles and no token (a signed-in user without groups is not the system)."""
        return not self.roles and not self.custom_roles and self.granted is None

    def can(self, permission: Permission) -> bool:
        if self.granted is not None:
            return permission in self.granted
        return bool(self.roles & MATRIX[permission])

    @property
    def primary_role(self) -> str:
        """The role recorded in history: the most privileged built-in one held, else a custom one, or 'system'."""
        for role in Role:
            if role in self.roles:
                return role.value
        if self.custom_roles:
            return sorted(self.custom_roles)[0]
        return "system"
