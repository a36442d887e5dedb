"""Key builders for the single table, so no other module spells a key by hand."""

from __future__ import annotations

import zlib


def store(store_id: str) -> tuple[str, str]:
    return f"STORE#{store_id}", "META"


STORE_DIRECTORY = ("STORES", "DIRECTORY")
FREIGHT_PREFIX = "FREIGHT#"


def freight_template(store_id: str, template_id: str) -> tuple[str, str]:
    return f"STORE#{store_id}", f"{FREIGHT_PREFIX}{template_id}"


def product(product_id: str) -> tuple[str, str]:
    return f"PRODUCT#{product_id}", "META"


def product_gsi1(product_id: str) -> str:
    return f"PRODUCT#{product_id}"


def store_products_gsi2(store_id: str) -> str:
    return f"STORE#{store_id}#PRODUCTS"


# ---------------------------------------------------------------- categories (oms.store.categories)
CATEGORY_SK_PREFIX = "CATEGORY#"


def category(store_id: str, category_id: str) -> tuple[str, str]:
    """A store's categories live in its partition: the whole tree is one consistent Query."""
    return f"STORE#{store_id}", f"{CATEGORY_SK_PREFIX}{category_id}"


def category_tree(store_id: str) -> tuple[str, str]:
    """How many categories the store has (the store-wide limit); not in the CATEGORY# range."""
    return f"STORE#{store_id}", "CATEGORYTREE"


def category_jobs_pk(store_id: str) -> str:
    """Where the outbox rows of a store's category moves and deletes live (their products' re-filing)."""
    return f"CATEGORYJOB#{store_id}"


def store_category_products_gsi3(store_id: str) -> str:
    """A store's products by category path (GSI3, sort key `<categoryPath><productId>`): a category with its
    descendants' products is one begins_with range."""
    return f"STORE#{store_id}#CATEGORYPRODUCTS"


def category_products_sort_key(category_path: str, product_id: str) -> str:
    return f"{category_path}{product_id}"


def product_image(product_id: str, image_id: str) -> tuple[str, str]:
    """An image of a product (or of one of its SKUs), beside the product; GSI1 like its SKUs."""
    return f"PRODUCT#{product_id}", f"IMAGE#{image_id}"


PRODUCT_IMAGE_PREFIX = "IMAGE#"


def sku(sku_id: str) -> tuple[str, str]:
    return f"SKU#{sku_id}", "META"


def stock(sku_id: str) -> tuple[str, str]:
    return f"SKU#{sku_id}", "STOCK"


def stock_movement(sku_id: str, at: str, movement_id: str) -> tuple[str, str]:
    """A SKU's movement history, oldest first by key (newest first by a reversed query)."""
    return f"SKU#{sku_id}", f"MOVE#{at}#{movement_id}"


def store_stock_gsi2(store_id: str) -> str:
    """Every stock item of a store (GSI2, sort key the SKU id): stock by SKU, the low-stock list."""
    return f"STORE#{store_id}#STOCK"


# Every stock movement by the day it happened, spread over a few partitions like the ledger's (a busy
# day's sales would otherwise all write one index partition); the inventory report reads every shard.
STOCK_MOVE_DAY_SHARDS = 4


def stock_move_day_gsi3(day: str, sku_id: str) -> str:
    return f"STOCKMOVEDAY#{day}#{zlib.crc32(sku_id.encode()) % STOCK_MOVE_DAY_SHARDS}"


def stock_move_day_partitions(day: str) -> list[str]:
    return [f"STOCKMOVEDAY#{day}#{shard}" for shard in range(STOCK_MOVE_DAY_SHARDS)]


def stocktake(stocktake_id: str) -> tuple[str, str]:
    return f"STOCKTAKE#{stocktake_id}", "STOCKTAKE"


def store_stocktakes_gsi2(store_id: str) -> str:
    """A store's stocktakes (GSI2, sort key `<at>#<stocktakeId>`): newest first by a reversed query."""
    return f"STORE#{store_id}#STOCKTAKES"


def order_pk(order_id: str) -> str:
    return f"ORDER#{order_id}"


ORDER_META = "META"


def order_line_sk(line_no: int) -> str:
    return f"LINE#{line_no:03d}"


def order_event_sk(event_id: str) -> str:
    return f"EVENT#{event_id}"


def order_note_sk(note_id: str) -> str:
    return f"NOTE#{note_id}"


def order_flag_sk(flag: str) -> str:
    return f"FLAG#{flag}"


def order_flag_gsi2(flag: str) -> str:
    return f"ORDERFLAG#{flag}"


def outbox_sk(event_id: str) -> str:
    return f"OUTBOX#{event_id}"


def outbox_relay_attempts(event_id: str) -> tuple[str, str]:
    return f"OUTBOXRELAY#{event_id}", "ATTEMPTS"


def customer_orders_gsi1(customer_id: str) -> str:
    return f"CUSTOMER#{customer_id}"


ALL_ORDERS_GSI2 = "ORDERS"


def orders_by_status_gsi3(status: str) -> str:
    return f"ORDERSTATUS#{status}"


def created_sort_key(created_at: str, order_id: str) -> str:
    return f"{created_at}#{order_id}"


# Search entries (oms.store.order_search, docs/data-model.md rows 100-119): sparse partitions on the existing
# GSIs, carried by items the order's own writes make anyway (lines, the order number, the paid row).
ORDER_PAID_SK = "PAID"
PAID_ORDERS_GSI2 = "ORDERPAID"


def order_sku_gsi1(sku_id: str) -> str:
    return f"ORDERSKU#{sku_id}"


def order_product_gsi2(product_id: str) -> str:
    return f"ORDERPRODUCT#{product_id}"


def order_store_gsi3(store_id: str) -> str:
    return f"ORDERSTORE#{store_id}"


def order_contact(contact_key: str) -> str:
    """GSI1 (phone) or GSI2 (email) of an order number row: a keyed hash, never the contact itself."""
    return f"ORDERCONTACT#{contact_key}"


def paid_by_method_gsi3(method: str) -> str:
    return f"ORDERPAIDBY#{method}"


# The deadlines GSI4 holds: payment timeout and auto-confirm (order headers), the next try of a refund.
DUE_PAYMENT, DUE_CONFIRM, DUE_REFUND = "PAYMENT", "CONFIRM", "REFUND"
DUE_SHARDS = 4  # GSI4 partitions per kind, so one partition does not take every checkout's index write


def due_shard(order_id: str) -> int:
    return zlib.crc32(order_id.encode()) % DUE_SHARDS


def due_gsi4(kind: str, order_id: str) -> str:
    return f"DUE#{kind}#{due_shard(order_id)}"


def due_partitions(kind: str) -> list[str]:
    return [f"DUE#{kind}#{shard}" for shard in range(DUE_SHARDS)]


def due_sort_key(deadline: str, order_id: str) -> str:
    """`deadline` in the millisecond form of `to_rfc3339`, so keys sort as the deadlines do."""
    return f"{deadline}#{order_id}"


def refund_due_sort_key(at: str, order_id: str, refund_id: str) -> str:
    """A refund's entry: when it is next asked of its provider, then whose it is."""
    return f"{at}#{order_id}#{refund_id}"


def due_until(moment: str) -> str:
    """The highest GSI4SK due at `moment` (millisecond form): "~" sorts after every order id character."""
    return f"{moment}#~"


def order_number(number: str) -> tuple[str, str]:
    return f"ORDERNO#{number}", "ORDERNO"


def idempotency(subject: str, key: str) -> tuple[str, str]:
    return f"IDEMPOTENCY#{subject}#{key}", "IDEMPOTENCY"


def payment_sk(payment_id: str) -> str:
    return f"PAYMENT#{payment_id}"


def ledger_sk(posting_id: str, line_no: int) -> str:
    return f"LEDGER#{posting_id}#{line_no}"


def account_gsi2(account: str) -> str:
    return f"ACCOUNT#{account}"


# Every ledger line by the day it was booked, spread over a few partitions (a busy day's postings would
# otherwise all write one index partition); the financial report queries every shard of each day.
LEDGER_DAY_SHARDS = 4


def ledger_day_gsi3(day: str, posting_id: str) -> str:
    return f"LEDGERDAY#{day}#{zlib.crc32(posting_id.encode()) % LEDGER_DAY_SHARDS}"


def ledger_day_partitions(day: str) -> list[str]:
    return [f"LEDGERDAY#{day}#{shard}" for shard in range(LEDGER_DAY_SHARDS)]


def refund_sk(refund_id: str) -> str:
    return f"REFUND#{refund_id}"


FAILED_REFUNDS_GSI2 = "REFUNDS#FAILED"  # the finance queue: refunds their provider refused, oldest first


def failed_refund_gsi2sk(updated_at: str, order_id: str, refund_id: str) -> str:
    return f"{updated_at}#{order_id}#{refund_id}"


def balance_pk(customer_id: str) -> str:
    return f"BALANCE#{customer_id}"


BALANCE_ACCOUNT_SK = "ACCOUNT"


def inbox(provider: str, event_id: str) -> tuple[str, str]:
    return f"INBOX#{provider}#{event_id}", "INBOX"


def anomaly(anomaly_id: str) -> tuple[str, str]:
    return f"ANOMALY#{anomaly_id}", "META"


def anomalies_by_status_gsi3(status: str) -> str:
    return f"ANOMALIES#{status}"


def anomalies_by_order_gsi1(order_id: str) -> str:
    return f"ANOMALIES#ORDER#{order_id}"


def channel_settings(store_id: str) -> tuple[str, str]:
    return "SETTINGS#PAYMENT_CHANNELS", f"STORE#{store_id}"


def audit(subject: str, at: str, entry_id: str) -> tuple[str, str]:
    return f"AUDIT#{subject}", audit_sort_key(at, entry_id)


def audit_sort_key(at: str, entry_id: str) -> str:
    return f"{at}#{entry_id}"


def audit_by_actor_gsi1(subject: str) -> str:
    return f"AUDITBY#{subject}"


def audit_by_action_gsi2(action: str) -> str:
    return f"AUDITACTION#{action}"


def audit_by_day_gsi3(at: str) -> str:
    """Entries of one UTC day (`at` is RFC 3339 UTC): the time filter reads each day of its range."""
    return f"AUDITDAY#{at[:10]}"


PROMOTION_DIRECTORY = ("PROMOTIONS", "DIRECTORY")
COUPON_TEMPLATES_GSI2 = "COUPONTEMPLATES"
POINTS_SETTINGS = ("SETTINGS#PRICING", "POINTS")
FX_SETTINGS = ("SETTINGS#PRICING", "FX")
MEMBER_TIERS_SETTINGS = ("SETTINGS#PRICING", "MEMBER_TIERS")  # {"tiers": [MemberTier.to_dict(), ...]}


def coupon_template(template_id: str) -> tuple[str, str]:
    return f"COUPONTPL#{template_id}", "META"


def coupon_use(template_id: str, customer_id: str) -> tuple[str, str]:
    return f"COUPONTPL#{template_id}", f"USE#{customer_id}"


def coupon(code: str) -> tuple[str, str]:
    return f"COUPON#{code}", "META"


def customer_coupons_gsi1(customer_id: str) -> str:
    return f"CUSTOMER#{customer_id}"


def template_coupons_gsi2(template_id: str) -> str:
    return f"COUPONTPL#{template_id}#COUPONS"


def points_account(customer_id: str) -> tuple[str, str]:
    return f"POINTS#{customer_id}", "ACCOUNT"


def points_entry(customer_id: str, at: str, entry_id: str) -> tuple[str, str]:
    return f"POINTS#{customer_id}", f"ENTRY#{at}#{entry_id}"


def child_sk(child_no: int) -> str:
    return f"CHILD#{child_no:02d}"


def child_id(order_id: str, child_no: int) -> str:
    return f"{order_id}-{child_no:02d}"


def parse_child_id(value: str) -> tuple[str, int] | None:
    """(orderId, childNo) of a child order id `<orderId>-<nn>`; None for anything else."""
    order_id, sep, number = value.rpartition("-")
    if not sep or not order_id or len(number) != 2 or not number.isdigit():
        return None
    return order_id, int(number)


# Completed child orders not settled yet (GSI2 on the child, sparse), by completion time; sharded like the
# deadlines, so completions do not all write one index partition.
SETTLEMENT_SHARDS = 4


def settlement_pending_gsi2(child_id: str) -> str:
    return f"SETTLE#PENDING#{zlib.crc32(child_id.encode()) % SETTLEMENT_SHARDS}"


def settlement_pending_partitions() -> list[str]:
    return [f"SETTLE#PENDING#{shard}" for shard in range(SETTLEMENT_SHARDS)]


def settlement(period: str, store_id: str, settlement_id: str) -> tuple[str, str]:
    return f"SETTLEMENT#{period}", f"{store_id}#{settlement_id}"


def settlement_partition(period: str) -> str:
    return f"SETTLEMENT#{period}"


def warehouse_children_gsi1(warehouse_id: str) -> str:
    return f"WAREHOUSE#{warehouse_id}"


def shipment_sk(shipment_id: str) -> str:
    return f"SHIPMENT#{shipment_id}"


def tracking(carrier: str, tracking_number: str) -> tuple[str, str]:
    return f"TRACKING#{carrier}#{tracking_number}", "TRACKING"


# ---------------------------------------------------------------- after-sales cases
def case_sk(case_id: str) -> str:
    return f"CASE#{case_id}"


def case_pointer(case_id: str) -> tuple[str, str]:
    return f"CASE#{case_id}", "CASE"


def customer_cases_sort_key(created_at: str, case_id: str) -> str:
    """In the customer's GSI1 partition (beside their orders and coupons)."""
    return f"CASE#{created_at}#{case_id}"


def cases_by_status_gsi2(status: str) -> str:
    return f"CASES#{status}"


def store_cases_gsi3(store_id: str) -> str:
    return f"STORECASES#{store_id}"


# One partition (not sharded as the orders' deadlines are): far fewer cases wait than orders, and staff
# page through it in deadline order.
CASES_DUE_GSI4 = "DUE#CASE"


def case_due_sort_key(deadline: str, order_id: str, case_id: str) -> str:
    return f"{deadline}#{order_id}#{case_id}"


def case_count(day: str, reason: str, case_type: str) -> tuple[str, str]:
    return "CASESTATS", f"{day}#{reason}#{case_type}"


def stats(kind: str, scope: str, granularity: str, period: str, key: str | None = None) -> tuple[str, str]:
    """A statistics counter row: one partition per (series kind, scope, granularity), periods sorted in it;
    `key` names a member of the period (a payment method, a product, a reason)."""
    return f"STATS#{kind}#{scope}#{granularity}", period if key is None else f"{period}#{key}"


def stats_customer(customer_id: str, scope: str, granularity: str, period: str) -> tuple[str, str]:
    """How many orders a customer placed in one period of one scope (distinct and repeat customers)."""
    return f"STATSCUSTOMER#{customer_id}", f"{scope}#{granularity}#{period}"


def evidence_quota(customer_id: str, day: str) -> tuple[str, str]:
    return f"EVIDENCE#{customer_id}", f"DAY#{day}"


# ---------------------------------------------------------------- scheduled reports
def report(report_type: str, period_start: str, period: str) -> tuple[str, str]:
    """A report's index row: its type's partition, sorted by the period's first day."""
    return f"REPORT#{report_type}", f"{period_start}#{period}"


def report_partition(report_type: str) -> str:
    return f"REPORT#{report_type}"


REPORTS_GSI2 = "REPORTS"  # every report of every type, by the period's first day


def reports_gsi2sk(period_start: str, report_type: str, period: str) -> str:
    return f"{period_start}#{report_type}#{period}"


def export_job(export_id: str) -> tuple[str, str]:
    return f"EXPORT#{export_id}", "META"


ALL_EXPORTS_GSI2 = "EXPORTS"


def user_exports_gsi1(subject: str) -> str:
    return f"EXPORTS#{subject}"


# ---------------------------------------------------------------- notifications
def notifications_pk(user_id: str) -> str:
    return f"NOTIFY#{user_id}"


def notification(user_id: str, notification_id: str) -> tuple[str, str]:
    return notifications_pk(user_id), f"N#{notification_id}"


def unread_gsi1(user_id: str) -> str:
    return f"NOTIFY#{user_id}#UNREAD"


def unread_count(user_id: str) -> tuple[str, str]:
    return notifications_pk(user_id), "UNREAD"


def notification_preferences(user_id: str) -> tuple[str, str]:
    return notifications_pk(user_id), "PREFERENCES"


def deliveries_pk(event_id: str) -> str:
    return f"NOTIFYEVENT#{event_id}"


def delivery(event_id: str, channel: str, recipient: str) -> tuple[str, str]:
    return deliveries_pk(event_id), f"DELIVERY#{channel}#{recipient}"


def notification_rules(store_id: str) -> tuple[str, str]:
    return "SETTINGS#NOTIFICATIONS", f"STORE#{store_id}"


def payment_reminder(order_id: str, deadline: str) -> tuple[str, str]:
    return order_pk(order_id), f"REMINDER#{deadline}"


def customer_pk(customer_id: str) -> str:
    return f"CUSTOMER#{customer_id}"


def customer_profile(customer_id: str) -> tuple[str, str]:
    return customer_pk(customer_id), "PROFILE"


def cross_border_quota(customer_id: str, year: int) -> tuple[str, str]:
    """The customer's cross-border purchases of one calendar year (China time)."""
    return customer_pk(customer_id), f"CROSSBORDER#{year}"


CARRIER_SETTINGS = ("SETTINGS#FULFILMENT", "CARRIERS")  # carriers and their parcel weight limits


ADDRESS_SK_PREFIX = "ADDRESS#"
ADDRESS_BOOK_SK = "ADDRESSBOOK"  # sorts after every ADDRESS#<id> ('#' < 'B'): one Query reads both


def address_book(customer_id: str) -> tuple[str, str]:
    return customer_pk(customer_id), ADDRESS_BOOK_SK


def customer_address(customer_id: str, address_id: str) -> tuple[str, str]:
    return customer_pk(customer_id), f"{ADDRESS_SK_PREFIX}{address_id}"


# ---------------------------------------------------------------- shopper product search (data-model rows 190-199)
PRODUCT_SEARCH_STATE_SK = "SEARCH"  # PRODUCT#<pid> / SEARCH: the index rows the product has now
PRODUCT_SALES_SK = "SALES"  # PRODUCT#<pid> / SALES: units sold (the sales counter)
PRICE_DIGITS, SALES_DIGITS = 15, 12


def product_search_partition(store_id: str | None, term: str | None) -> str:
    """A search partition: every active product (`term` None) or those with `term`, in one store or in all."""
    scope = f"S:{store_id}" if store_id is not None else "*"
    return f"PSEARCH#{scope}#" + (f"T:{term}" if term is not None else "*")


def product_category_partition(category_id: str) -> str:
    """The active products filed under the category or any of its descendants."""
    return f"PSEARCH#C:{category_id}"


def product_price_sk(min_price: int, product_id: str) -> str:
    return f"{max(min_price, 0):0{PRICE_DIGITS}d}#{product_id}"


def product_sales_sk(sales: int, product_id: str) -> str:
    return f"{max(sales, 0):0{SALES_DIGITS}d}#{product_id}"


def product_newest_sk(created_at: str, product_id: str) -> str:
    return f"{created_at}#{product_id}"


def product_relevance_sk(score: int, sales: int, product_id: str) -> str:
    return f"{score:02d}#{max(sales, 0):0{SALES_DIGITS}d}#{product_id}"


def product_search_state(product_id: str) -> tuple[str, str]:
    return f"PRODUCT#{product_id}", PRODUCT_SEARCH_STATE_SK


def product_sales(product_id: str) -> tuple[str, str]:
    return f"PRODUCT#{product_id}", PRODUCT_SALES_SK
