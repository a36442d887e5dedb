"""Order repository: checkout reads, the checkout and cancel transactions, order reads and lists."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from pynamodb.attributes import UnicodeAttribute
from pynamodb.expressions.condition import Condition

from oms.domain.catalog import ShippingPolicy, Sku, StockPolicy
from oms.domain.clock import parse_rfc3339
from oms.domain.errors import Conflict, InsufficientStock
from oms.domain.ids import new_id
from oms.domain.order import OrderStatus, StatusChange
from oms.domain.pricing import Quote
from oms.store import keys
from oms.store.catalog import policies_from_directory, sku_domain, stock_policies_from_directory
from oms.store.models import (
    IdempotencyItem,
    Item,
    LedgerLineItem,
    MoneyAttribute,
    OrderEventItem,
    OrderItem,
    OrderLineItem,
    OrderNumberItem,
    OutboxItem,
    PaymentAttemptItem,
    RefundItem,
    SkuItem,
    StockItem,
    StoreDirectoryItem,
    _Gsi2,
    _Gsi3,
)
from oms.store.pages import Page, clamp_limit, decode_cursor, encode_cursor
from oms.store.transactions import Transaction, TransactionCancelled, with_conflict_retry

IDEMPOTENCY_TTL = timedelta(hours=24)
RESERVED, SOLD = "RESERVED", "SOLD"  # where a line's stock sits while the order awaits payment
OUTBOX_TTL = timedelta(days=7)


class IdempotencyKeyInUse(Conflict):
    slug = "idempotency-key-in-use"
    title = "A request with this Idempotency-Key is in progress"


class OrderNumberTaken(Exception):
    """The random order number collided with an existing one: pick another and retry."""


class StaleOrder(Conflict):
    slug = "concurrent-update"
    title = "The order changed while this request was processed"


@dataclass(frozen=True)
class StoredResponse:
    request_hash: str
    status_code: int
    body: dict[str, Any]


@dataclass(frozen=True)
class CheckoutInputs:
    skus: dict[str, Sku]
    available: dict[str, int]
    policies: dict[str, ShippingPolicy]
    stored_response: StoredResponse | None
    stock_policies: dict[str, StockPolicy] = field(default_factory=dict)


@dataclass
class OrderRecord:
    """Everything in an order's partition, read with one Query."""

    header: OrderItem
    lines: list[OrderLineItem] = field(default_factory=list)
    events: list[OrderEventItem] = field(default_factory=list)
    payments: list[PaymentAttemptItem] = field(default_factory=list)
    ledger: list[LedgerLineItem] = field(default_factory=list)
    refunds: list[RefundItem] = field(default_factory=list)

    @property
    def status(self) -> OrderStatus:
        return OrderStatus(self.header.status)


@dataclass(frozen=True)
class IdempotencyRecord:
    subject: str
    key: str
    request_hash: str
    status_code: int


def order_summary(header: OrderItem) -> dict[str, Any]:
    return {
        "orderId": header.orderId,
        "orderNumber": header.orderNumber,
        "customerId": header.customerId,
        "status": header.status,
        "currency": header.currency,
        "total": header.total.money().to_dict(),
        "storeIds": list(header.storeIds),
        "paymentDeadline": header.paymentDeadline,
        "createdAt": header.createdAt,
        "updatedAt": header.updatedAt,
    }


def order_view(record: OrderRecord) -> dict[str, Any]:
    header = record.header
    view = order_summary(header)
    view.pop("total")
    view.update(
        {
            "lines": [
                {
                    "lineNo": int(line.lineNo),
                    "skuId": line.skuId,
                    "productId": line.productId,
                    "storeId": line.storeId,
                    "warehouseId": line.warehouseId,
                    "name": line.name,
                    "unitPrice": line.unitPrice.money().to_dict(),
                    "quantity": int(line.quantity),
                    "lineTotal": line.lineTotal.money().to_dict(),
                    "shipping": line.shipping.money().to_dict(),
                    "discount": line.discount.money().to_dict(),
                    "payable": line.payable.money().to_dict(),
                }
                for line in sorted(record.lines, key=lambda line: int(line.lineNo))
            ],
            "breakdown": {
                "subtotal": header.subtotal.money().to_dict(),
                "shipping": header.shipping.money().to_dict(),
                "discount": header.discount.money().to_dict(),
                "total": header.total.money().to_dict(),
            },
            "shippingAddress": header.shippingAddress,
            "note": header.note,
            "cancellation": header.cancellation,
            "history": [
                {
                    "from": e.fromStatus,
                    "to": e.toStatus,
                    "by": e.by,
                    "role": e.role,
                    "at": e.at,
                    "reason": e.reason,
                }
                for e in sorted(record.events, key=lambda e: e.SK)
            ],
        }
    )
    return view


def event_item(order_id: str, change: StatusChange) -> OrderEventItem:
    return OrderEventItem(
        keys.order_pk(order_id),
        keys.order_event_sk(new_id()),
        orderId=order_id,
        fromStatus=change.from_status.value if change.from_status else None,
        toStatus=change.to_status.value,
        by=change.actor.subject,
        role=change.actor.primary_role,
        at=change.at,
        reason=change.reason,
    )


def outbox_item(order_id: str, detail_type: str, detail: dict[str, Any], now: str) -> OutboxItem:
    event_id = new_id()
    return OutboxItem(
        keys.order_pk(order_id),
        keys.outbox_sk(event_id),
        eventId=event_id,
        detailType=detail_type,
        detail=detail,
        createdAt=now,
        expiresAt=parse_rfc3339(now) + OUTBOX_TTL,
    )


class OrderRepository:
    def read_checkout_inputs(self, sku_ids: list[str], idempotency: tuple[str, str] | None) -> CheckoutInputs:
        """Everything checkout needs, in one consistent BatchGetItem: SKUs, stock, shipping, replay."""
        wanted: list[tuple[str, str]] = [keys.STORE_DIRECTORY]
        for sku_id in sku_ids:
            wanted += [keys.sku(sku_id), keys.stock(sku_id)]
        if idempotency:
            wanted.append(keys.idempotency(*idempotency))
        skus: dict[str, Sku] = {}
        available: dict[str, int] = {}
        directory: StoreDirectoryItem | None = None
        stored: StoredResponse | None = None
        for item in Item.batch_get(wanted, consistent_read=True):
            if isinstance(item, SkuItem):
                skus[item.skuId] = sku_domain(item)
            elif isinstance(item, StockItem):
                available[item.skuId] = int(item.available)
            elif isinstance(item, StoreDirectoryItem):
                directory = item
            elif isinstance(item, IdempotencyItem):
                stored = StoredResponse(item.requestHash, int(item.statusCode), json.loads(item.responseBody))
        return CheckoutInputs(
            skus, available, policies_from_directory(directory), stored, stock_policies_from_directory(directory)
        )

    def build_order(
        self,
        *,
        order_id: str,
        order_number: str,
        customer_id: str,
        quote: Quote,
        shipping_address: dict[str, Any],
        note: str | None,
        created: StatusChange,
        payment_deadline: str,
        stock_policies: dict[str, StockPolicy] | None = None,
    ) -> OrderRecord:
        """The items of a new order, not yet written (so the response can be rendered first)."""
        deducts = {s for s, p in (stock_policies or {}).items() if p is StockPolicy.DEDUCT_AT_ORDER}
        pk = keys.order_pk(order_id)
        now = created.at
        sort_key = keys.created_sort_key(now, order_id)
        header = OrderItem(
            pk,
            keys.ORDER_META,
            GSI1PK=keys.customer_orders_gsi1(customer_id),
            GSI1SK=f"ORDER#{order_id}",
            GSI2PK=keys.ALL_ORDERS_GSI2,
            GSI2SK=sort_key,
            GSI3PK=keys.orders_by_status_gsi3(created.to_status.value),
            GSI3SK=sort_key,
            orderId=order_id,
            orderNumber=order_number,
            customerId=customer_id,
            status=created.to_status.value,
            currency=quote.currency,
            storeIds=list(dict.fromkeys(line.store_id for line in quote.lines)),
            subtotal=MoneyAttribute.of(quote.breakdown.subtotal),
            shipping=MoneyAttribute.of(quote.breakdown.shipping),
            discount=MoneyAttribute.of(quote.breakdown.discount),
            total=MoneyAttribute.of(quote.breakdown.total),
            shippingAddress=shipping_address,
            note=note,
            paymentDeadline=payment_deadline,
            cancellation=None,
            createdAt=now,
            updatedAt=now,
            version=1,
        )
        lines = [
            OrderLineItem(
                pk,
                keys.order_line_sk(line.line_no),
                orderId=order_id,
                lineNo=line.line_no,
                skuId=line.sku_id,
                productId=line.product_id,
                storeId=line.store_id,
                warehouseId=line.warehouse_id,
                name=line.name,
                unitPrice=MoneyAttribute.of(line.unit_price),
                quantity=line.quantity,
                lineTotal=MoneyAttribute.of(line.line_total),
                shipping=MoneyAttribute.of(line.shipping),
                discount=MoneyAttribute.of(line.discount),
                payable=MoneyAttribute.of(line.payable),
                stockState=SOLD if line.store_id in deducts else RESERVED,
            )
            for line in quote.lines
        ]
        return OrderRecord(header, lines, [event_item(order_id, created)])

    def place_order(self, record: OrderRecord, idempotency: IdempotencyRecord, response_body: dict[str, Any]) -> None:
        """ONE transaction: reserve every line's stock, write header, lines, history, outbox row,
        order-number reservation and the idempotency record. All or nothing."""
        header = record.header
        now = header.createdAt
        tx = Transaction()
        tx.put("order", header, OrderItem.PK.does_not_exist())
        for line in record.lines:
            tx.put(("line", line.skuId), line)
        for event in record.events:
            tx.put("event", event)
        tx.put(
            "outbox",
            outbox_item(
                header.orderId,
                "OrderPlaced",
                {**order_summary(header), "lineCount": len(record.lines)},
                now,
            ),
        )
        tx.put(
            "order-number",
            OrderNumberItem(*keys.order_number(header.orderNumber), orderId=header.orderId),
            OrderNumberItem.PK.does_not_exist(),
        )
        tx.put(
            "idempotency",
            IdempotencyItem(
                *keys.idempotency(idempotency.subject, idempotency.key),
                requestHash=idempotency.request_hash,
                statusCode=idempotency.status_code,
                responseBody=json.dumps(response_body, separators=(",", ":")),
                createdAt=now,
                expiresAt=parse_rfc3339(now) + IDEMPOTENCY_TTL,
            ),
            IdempotencyItem.PK.does_not_exist(),
        )
        for line in record.lines:
            quantity = int(line.quantity)
            # Reserve (deducted at payment) or deduct now, by the store's stock policy.
            taken = StockItem.sold if line.stockState == SOLD else StockItem.reserved
            tx.update(
                ("stock", line.skuId),
                StockItem(*keys.stock(line.skuId)),
                [StockItem.available.add(-quantity), taken.add(quantity), StockItem.updatedAt.set(now)],
                StockItem.available >= quantity,
            )
        try:
            with_conflict_retry(tx.commit)
        except TransactionCancelled as cancelled:
            if cancelled.failed(lambda label: label == "idempotency"):
                raise IdempotencyKeyInUse(
                    "another request with this Idempotency-Key is being processed; retry to get its result"
                ) from cancelled
            short = cancelled.failed(lambda label: isinstance(label, tuple) and label[0] == "stock")
            if short:
                requested = {line.skuId: int(line.quantity) for line in record.lines}
                shortages = []
                for failure in short:
                    sku_id = failure.label[1]  # type: ignore[index]
                    available = int(failure.item["available"]["N"]) if failure.item else self._available(sku_id)
                    shortages.append({"skuId": sku_id, "requested": requested[sku_id], "available": available})
                raise InsufficientStock(shortages) from cancelled
            if cancelled.failed(lambda label: label == "order-number"):
                raise OrderNumberTaken from cancelled
            raise

    @staticmethod
    def _available(sku_id: str) -> int:
        item = StockItem.get(*keys.stock(sku_id), consistent_read=True)
        return int(item.available)

    def get_order(self, order_id: str) -> OrderRecord | None:
        header: OrderItem | None = None
        record = OrderRecord(header=None)  # type: ignore[arg-type]
        for item in Item.query(keys.order_pk(order_id), consistent_read=True):
            if isinstance(item, OrderItem):
                header = item
            elif isinstance(item, OrderLineItem):
                record.lines.append(item)
            elif isinstance(item, OrderEventItem):
                record.events.append(item)
            elif isinstance(item, PaymentAttemptItem):
                record.payments.append(item)
            elif isinstance(item, LedgerLineItem):
                record.ledger.append(item)
            elif isinstance(item, RefundItem):
                record.refunds.append(item)
        if header is None:
            return None
        record.header = header
        return record

    def list_customer_orders(self, customer_id: str, limit: int | None, cursor: str | None) -> Page[dict[str, Any]]:
        partition = keys.customer_orders_gsi1(customer_id)
        results = Item.gsi1.query(
            partition,
            Item.GSI1SK.startswith("ORDER#"),
            scan_index_forward=False,
            limit=clamp_limit(limit),
            last_evaluated_key=decode_cursor(cursor, partition_attr="GSI1PK", partition_value=partition),
        )
        items = [order_summary(i) for i in results if isinstance(i, OrderItem)]
        return Page(items, encode_cursor(results.last_evaluated_key))

    def list_orders(
        self,
        *,
        status: OrderStatus | None,
        created_from: str | None,
        created_to: str | None,
        limit: int | None,
        cursor: str | None,
    ) -> Page[dict[str, Any]]:
        """Staff listing, newest first; `created_from` inclusive, `created_to` exclusive."""
        index: _Gsi2 | _Gsi3
        sk_attr: UnicodeAttribute
        if status is None:
            index, partition, pk_attr, sk_attr = Item.gsi2, keys.ALL_ORDERS_GSI2, "GSI2PK", Item.GSI2SK
        else:
            index, partition, pk_attr = Item.gsi3, keys.orders_by_status_gsi3(status.value), "GSI3PK"
            sk_attr = Item.GSI3SK
        condition: Condition | None = None
        if created_from and created_to:
            condition = sk_attr.between(created_from, created_to)
        elif created_from:
            condition = sk_attr >= created_from
        elif created_to:
            condition = sk_attr < created_to
        results = index.query(
            partition,
            condition,
            scan_index_forward=False,
            limit=clamp_limit(limit),
            last_evaluated_key=decode_cursor(cursor, partition_attr=pk_attr, partition_value=partition),
        )
        items = [order_summary(i) for i in results if isinstance(i, OrderItem)]
        return Page(items, encode_cursor(results.last_evaluated_key))

    def cancel(self, record: OrderRecord, change: StatusChange, cancellation: dict[str, Any]) -> OrderRecord:
        """ONE transaction: move the order (conditional on status and version), record history and
        outbox, and release every line's reserved stock back to available."""
        header = record.header
        now = change.at
        version = int(header.version)
        tx = Transaction()
        event = event_item(header.orderId, change)
        tx.put("event", event)
        tx.put(
            "outbox",
            outbox_item(
                header.orderId,
                "OrderCancelled",
                {**order_summary(header), "status": change.to_status.value, "cancellation": cancellation},
                now,
            ),
        )
        tx.update(
            "order",
            OrderItem(header.PK, header.SK),
            [
                OrderItem.status.set(change.to_status.value),
                OrderItem.GSI3PK.set(keys.orders_by_status_gsi3(change.to_status.value)),
                OrderItem.cancellation.set(cancellation),
                OrderItem.updatedAt.set(now),
                OrderItem.version.set(version + 1),
            ],
            (OrderItem.status == header.status) & (OrderItem.version == version),
        )
        for line in record.lines:
            quantity = int(line.quantity)
            held = StockItem.sold if line.stockState == SOLD else StockItem.reserved
            tx.update(
                ("stock", line.skuId),
                StockItem(*keys.stock(line.skuId)),
                [StockItem.available.add(quantity), held.add(-quantity), StockItem.updatedAt.set(now)],
                held >= quantity,
            )
        for attempt in record.payments:
            # Open payment attempts end with the order; money that still arrives is handled as a late payment.
            if attempt.status in ("CREATED", "PENDING"):
                tx.update(
                    ("attempt", attempt.paymentId),
                    PaymentAttemptItem(attempt.PK, attempt.SK),
                    [
                        PaymentAttemptItem.status.set("EXPIRED"),
                        PaymentAttemptItem.updatedAt.set(now),
                        PaymentAttemptItem.version.set(int(attempt.version) + 1),
                    ],
                    PaymentAttemptItem.status == attempt.status,
                )
        try:
            with_conflict_retry(tx.commit)
        except TransactionCancelled as cancelled:
            if cancelled.failed(lambda label: label == "order" or (isinstance(label, tuple) and label[0] == "attempt")):
                raise StaleOrder("the order changed while it was being cancelled; read it again") from cancelled
            raise
        header.status = change.to_status.value
        header.cancellation = cancellation
        header.updatedAt = now
        header.version = version + 1
        return OrderRecord(
            header, record.lines, [*record.events, event], record.payments, record.ledger, record.refunds
        )
