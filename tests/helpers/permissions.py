"""The permission matrix's business rules, written out independently of the code's matrix
(`oms.domain.permissions.MATRIX`): tests/unit/test_permissions.py checks every cell against it and
tests/handlers/test_permission_matrix.py walks every route with it."""

from __future__ import annotations

from oms.domain.permissions import Permission, Role

P = Permission

EXPECTED: dict[Role, set[Permission]] = {
    Role.ADMIN: {
        P.CATALOG_WRITE,
        P.STOCK_ADJUST,
        P.STOCK_READ,
        P.STORE_WRITE,
        P.ORDER_QUOTE,
        P.ORDER_READ_ANY,
        P.ORDER_CANCEL_ANY,
        P.PAYMENT_SETTINGS,
        P.BALANCE_ADJUST,
        P.ANOMALY_MANAGE,
        P.REFUND_RESOLVE,
        P.REFUND_CREATE,
        P.PROMOTION_MANAGE,
        P.POINTS_ADJUST,
        P.PRICING_SETTINGS,
        P.SHIPMENT_CREATE,
        P.AFTER_SALES_OPEN_ANY,
        P.AFTER_SALES_READ_ANY,
        P.AFTER_SALES_DECIDE,
        P.AFTER_SALES_ARBITRATE,
        P.AFTER_SALES_RECEIVE,
        P.REPORT_READ,
        P.EXPORT_CREATE,
        P.EXPORT_READ_ANY,
        P.PERSONAL_DATA_READ,
        P.PERSONAL_DATA_REVEAL,
        P.PERSONAL_DATA_ERASE,
        P.AUDIT_READ,
        P.NOTIFICATION_SETTINGS,
        P.STATS_READ,
        P.ROLES_MANAGE,
        P.RISK_MANAGE,
        P.RISK_REVIEW,
        P.ORDER_NOTE,
        P.ORDER_FLAG,
        P.ORDER_HOLD,
        P.ORDER_CREATE_MANUAL,
        P.ORDER_EDIT,
        P.VIRTUAL_CODES,
        P.VIRTUAL_DELIVER,
        P.VIRTUAL_REVEAL,
        P.VIRTUAL_VERIFY,
        P.CHANNEL_MANAGE,
        P.CHANNEL_READ,
    },
    # Support opens cases for shoppers, decides for any store and arbitrates for the platform.
    Role.SUPPORT: {
        P.ORDER_QUOTE,
        P.ORDER_READ_ANY,
        P.ORDER_CANCEL_ANY,
        P.ANOMALY_MANAGE,
        P.AFTER_SALES_OPEN_ANY,
        P.AFTER_SALES_READ_ANY,
        P.AFTER_SALES_DECIDE,
        P.AFTER_SALES_ARBITRATE,
        P.EXPORT_CREATE,
        P.PERSONAL_DATA_REVEAL,
        P.STATS_READ,
        P.RISK_REVIEW,
        P.ORDER_NOTE,
        P.ORDER_FLAG,
        P.ORDER_HOLD,
        P.ORDER_CREATE_MANUAL,
        P.ORDER_EDIT,
        P.VIRTUAL_DELIVER,  # 电商发货, activation, freeze, reject
        P.VIRTUAL_REVEAL,  # 复制卡密 / 复制链接 for a shopper's problem (audited)
        P.CHANNEL_READ,  # the e-commerce order list and the daily checks
    },
    # The warehouse books returns in and inspects them.
    Role.WAREHOUSE: {
        P.ORDER_QUOTE,
        P.ORDER_READ_ANY,
        P.SHIPMENT_CREATE,
        P.AFTER_SALES_READ_ANY,
        P.AFTER_SALES_RECEIVE,
        P.EXPORT_CREATE,
        P.ORDER_NOTE,
        P.PERSONAL_DATA_SHIP_TO,
        P.STOCK_READ,
    },
    # Finance reviews bank transfers and runs the money side; it does not cancel orders.
    Role.FINANCE: {
        P.ORDER_QUOTE,
        P.ORDER_READ_ANY,
        P.PAYMENT_REVIEW,
        P.PAYMENT_SETTINGS,
        P.BALANCE_ADJUST,
        P.ANOMALY_MANAGE,
        P.REFUND_RESOLVE,
        P.REFUND_CREATE,
        P.POINTS_ADJUST,
        P.PRICING_SETTINGS,
        P.AFTER_SALES_READ_ANY,
        P.REPORT_READ,
        P.EXPORT_CREATE,
        P.STATS_READ,
        P.ORDER_NOTE,
        P.CHANNEL_READ,  # channel balances and findings (the daily balance check)
    },
    # Merchant staff work on their stores' orders only (the services scope every one of these): read,
    # ship, decide after-sales cases, export, statistics. Quoting is open to every signed-in role.
    Role.MERCHANT: {
        P.ORDER_QUOTE,
        P.ORDER_READ_STORE,
        P.SHIPMENT_CREATE,
        P.AFTER_SALES_DECIDE,
        P.EXPORT_CREATE,
        P.STATS_READ,
        P.PERSONAL_DATA_SHIP_TO,
        P.STOCK_READ,
        P.VIRTUAL_CODES,  # their virtual SKUs' code pools
        P.VIRTUAL_DELIVER,  # their stores' virtual goods
        P.VIRTUAL_VERIFY,  # 核销 at their counter
    },
    Role.CUSTOMER: {
        P.ORDER_PLACE,
        P.ORDER_QUOTE,
        P.ORDER_READ_OWN,
        P.ORDER_CANCEL_OWN,
        P.PAYMENT_CREATE,
        P.AFTER_SALES_OPEN_OWN,
    },
}
