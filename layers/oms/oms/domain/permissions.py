"""Roles and the one permission matrix of the API (function-level authorization, OWASP API5)."""

from __future__ import annotations

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
    STORE_WRITE = "store:write"
    ORDER_PLACE = "order:place"
    ORDER_QUOTE = "order:quote"
    ORDER_READ_OWN = "order:read-own"
    ORDER_READ_ANY = "order:read-any"
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
    PERSONAL_DATA_READ = "personal-data:read"  # names, phones, emails and addresses unmasked in exports
    NOTIFICATION_SETTINGS = "notification:settings"  # a store's notification rules
    STATS_READ = "stats:read"  # platform-wide statistics (GET /stats/...)


# Which roles hold which permission. Every signed-in role may price a cart (a quote changes nothing).
# Merchant staff get store-scoped permissions with the merchant work; until then they hold only that.
MATRIX: dict[Permission, frozenset[Role]] = {
    Permission.CATALOG_WRITE: frozenset({Role.ADMIN}),
    Permission.STOCK_ADJUST: frozenset({Role.ADMIN}),
    Permission.STORE_WRITE: frozenset({Role.ADMIN}),
    Permission.ORDER_PLACE: frozenset({Role.CUSTOMER}),
    Permission.ORDER_QUOTE: frozenset(Role),
    Permission.ORDER_READ_OWN: frozenset({Role.CUSTOMER}),
    Permission.ORDER_READ_ANY: frozenset({Role.ADMIN, Role.SUPPORT, Role.WAREHOUSE, Role.FINANCE}),
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
    Permission.SHIPMENT_CREATE: frozenset({Role.ADMIN, Role.WAREHOUSE}),
    # After-sales: the shopper opens cases on their orders, support on their behalf. Deciding is the
    # merchant's side; until merchant staff are scoped to their stores (a merchant must not decide another
    # store's cases) support and admin decide for them. Arbitration is the platform's: support and admin.
    # The warehouse books returns in and inspects them.
    Permission.AFTER_SALES_OPEN_OWN: frozenset({Role.CUSTOMER}),
    Permission.AFTER_SALES_OPEN_ANY: frozenset({Role.ADMIN, Role.SUPPORT}),
    Permission.AFTER_SALES_READ_ANY: frozenset({Role.ADMIN, Role.SUPPORT, Role.WAREHOUSE, Role.FINANCE}),
    Permission.AFTER_SALES_DECIDE: frozenset({Role.ADMIN, Role.SUPPORT}),
    Permission.AFTER_SALES_ARBITRATE: frozenset({Role.ADMIN, Role.SUPPORT}),
    Permission.AFTER_SALES_RECEIVE: frozenset({Role.ADMIN, Role.WAREHOUSE}),
    # Reports show every store's sales, the ledger and what merchants are paid: admin and finance. Merchant
    # staff get their own store's settlement once they are store-scoped.
    Permission.REPORT_READ: frozenset({Role.ADMIN, Role.FINANCE}),
    # Exports: whoever lists any order may export that list (merchant staff once scoped to their stores).
    # A bulk file of people's names, phones and addresses leaves the system with it: unmasked only for admin
    # (support and the warehouse see one order's address where they work on it, never in bulk).
    Permission.EXPORT_CREATE: frozenset({Role.ADMIN, Role.SUPPORT, Role.WAREHOUSE, Role.FINANCE}),
    Permission.EXPORT_READ_ANY: frozenset({Role.ADMIN}),
    Permission.PERSONAL_DATA_READ: frozenset({Role.ADMIN}),
    # What a store's orders send on which channels, and who gets its staff alerts: admin's, like store settings.
    Permission.NOTIFICATION_SETTINGS: frozenset({Role.ADMIN}),
    # Operators, finance and support read the platform's statistics; merchants get their stores' figures
    # once staff are store-scoped (issue 13), until then none.
    Permission.STATS_READ: frozenset({Role.ADMIN, Role.SUPPORT, Role.FINANCE}),
}


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting: a JWT subject with roles, or the system itself (timers, callbacks).

    `stores` are the stores merchant staff work for (the token's `custom:stores` claim); `request_id` and
    `source_ip` come from API Gateway's request context and go into every audit entry the request writes."""

    subject: str
    roles: frozenset[Role]
    stores: frozenset[str] = frozenset()
    request_id: str | None = None
    source_ip: str | None = None
    email: str | None = None  # the token's `email` claim when it carries one (indexed, hashed, with orders)

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        return cls(subject=name, roles=frozenset())

    @property
    def is_system(self) -> bool:
        return not self.roles

    def can(self, permission: Permission) -> bool:
        return bool(self.roles & MATRIX[permission])

    @property
    def primary_role(self) -> str:
        """The role recorded in history: the most privileged one held, or 'system'."""
        for role in Role:
            if role in self.roles:
                return role.value
        return "system"
