"""Key builders for the single table, so no other module spells a key by hand."""

from __future__ import annotations


def store(store_id: str) -> tuple[str, str]:
    return f"STORE#{store_id}", "META"


STORE_DIRECTORY = ("STORES", "DIRECTORY")


def product(product_id: str) -> tuple[str, str]:
    return f"PRODUCT#{product_id}", "META"


def product_gsi1(product_id: str) -> str:
    return f"PRODUCT#{product_id}"


def store_products_gsi2(store_id: str) -> str:
    return f"STORE#{store_id}#PRODUCTS"


def sku(sku_id: str) -> tuple[str, str]:
    return f"SKU#{sku_id}", "META"


def stock(sku_id: str) -> tuple[str, str]:
    return f"SKU#{sku_id}", "STOCK"


def stock_movement(sku_id: str, movement_id: str) -> tuple[str, str]:
    return f"SKU#{sku_id}", f"MOVE#{movement_id}"


def order_pk(order_id: str) -> str:
    return f"ORDER#{order_id}"


ORDER_META = "META"


def order_line_sk(line_no: int) -> str:
    return f"LINE#{line_no:03d}"


def order_event_sk(event_id: str) -> str:
    return f"EVENT#{event_id}"


def outbox_sk(event_id: str) -> str:
    return f"OUTBOX#{event_id}"


def customer_orders_gsi1(customer_id: str) -> str:
    return f"CUSTOMER#{customer_id}"


ALL_ORDERS_GSI2 = "ORDERS"


def orders_by_status_gsi3(status: str) -> str:
    return f"ORDERSTATUS#{status}"


def created_sort_key(created_at: str, order_id: str) -> str:
    return f"{created_at}#{order_id}"


def order_number(number: str) -> tuple[str, str]:
    return f"ORDERNO#{number}", "ORDERNO"


def idempotency(subject: str, key: str) -> tuple[str, str]:
    return f"IDEMPOTENCY#{subject}#{key}", "IDEMPOTENCY"
