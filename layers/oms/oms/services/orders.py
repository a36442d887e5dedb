"""Order use cases: quote, checkout, read, list, cancel and expire at the payment deadline."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from oms.adapters.workflows import PaymentTimeoutScheduler
from oms.domain.clock import deadline_after, parse_rfc3339, to_rfc3339, to_rfc3339_seconds, utcnow
from oms.domain.errors import InsufficientStock, InvalidRequest, NotFound
from oms.domain.ids import new_id, new_order_number
from oms.domain.order import CancelReason, OrderStatus, StatusChange, check_cancel, check_transition
from oms.domain.permissions import Actor, Permission
from oms.domain.pricing import CartLine, Quote, merge_cart, price_cart
from oms.store.orders import (
    IdempotencyRecord,
    OrderNumberTaken,
    OrderRecord,
    OrderRepository,
    StaleOrder,
    order_view,
)
from oms.store.pages import Page
from oms.store.payments import payment_summary


class IdempotencyKeyReused(InvalidRequest):
    slug = "idempotency-key-reused"
    title = "Idempotency-Key was already used with a different request"


@dataclass(frozen=True)
class CheckoutResult:
    status_code: int
    body: dict[str, Any]
    replayed: bool


def request_fingerprint(payload: dict[str, Any]) -> str:
    """Hash of the validated request: the same order asked twice hashes the same, whatever the JSON layout."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


class OrderService:
    def __init__(
        self,
        repository: OrderRepository,
        scheduler: PaymentTimeoutScheduler,
        payment_timeout_seconds: int,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.repository = repository
        self.scheduler = scheduler
        self.payment_timeout_seconds = payment_timeout_seconds
        self.clock = clock

    # ---------------------------------------------------------------- quote
    def quote(self, cart: list[CartLine]) -> Quote:
        lines = merge_cart(cart)
        inputs = self.repository.read_checkout_inputs([line.sku_id for line in lines], None)
        return price_cart(lines, inputs.skus, inputs.policies)

    # ---------------------------------------------------------------- checkout
    def checkout(
        self,
        actor: Actor,
        cart: list[CartLine],
        *,
        shipping_address: dict[str, Any],
        note: str | None,
        idempotency_key: str,
        fingerprint: str,
    ) -> CheckoutResult:
        """Price from stored prices and place the order in one transaction; then arm its timeout.

        AWS calls on the success path: one BatchGetItem, one TransactWriteItems, one StartExecution.
        """
        lines = merge_cart(cart)
        inputs = self.repository.read_checkout_inputs([line.sku_id for line in lines], (actor.subject, idempotency_key))
        if inputs.stored_response is not None:
            stored = inputs.stored_response
            if stored.request_hash != fingerprint:
                raise IdempotencyKeyReused("this Idempotency-Key was used with a different request body")
            # The first attempt may have failed after its commit, before the timer was armed.
            self.scheduler.arm(stored.body["orderId"], stored.body["paymentDeadline"])
            return CheckoutResult(stored.status_code, stored.body, replayed=True)

        quote = price_cart(lines, inputs.skus, inputs.policies)
        shortages = [
            {"skuId": line.sku_id, "requested": line.quantity, "available": inputs.available.get(line.sku_id, 0)}
            for line in quote.lines
            if inputs.available.get(line.sku_id, 0) < line.quantity
        ]
        if shortages:
            raise InsufficientStock(shortages)

        now = self.clock()
        order_id = new_id()
        deadline = to_rfc3339_seconds(deadline_after(now, self.payment_timeout_seconds))
        created = StatusChange(None, OrderStatus.PENDING_PAYMENT, actor, to_rfc3339(now), "order placed")
        for _attempt in range(3):
            record = self.repository.build_order(
                order_id=order_id,
                order_number=new_order_number(now),
                customer_id=actor.subject,
                quote=quote,
                shipping_address=shipping_address,
                note=note,
                created=created,
                payment_deadline=deadline,
                stock_policies=inputs.stock_policies,
            )
            body = order_view(record)
            try:
                self.repository.place_order(
                    record,
                    IdempotencyRecord(actor.subject, idempotency_key, fingerprint, 201),
                    body,
                )
                break
            except OrderNumberTaken:
                continue
        else:
            raise RuntimeError("could not allocate a unique order number")
        self.scheduler.arm(order_id, deadline)
        return CheckoutResult(201, body, replayed=False)

    # ---------------------------------------------------------------- reads
    def _visible_order(self, actor: Actor, order_id: str) -> OrderRecord:
        """Object-level authorization in one place: staff see any order, customers their own.
        Anyone else gets the same 404 as for a missing order (no existence oracle)."""
        record = self.repository.get_order(order_id)
        if record is None:
            raise NotFound(f"order {order_id} not found")
        if actor.can(Permission.ORDER_READ_ANY):
            return record
        if actor.can(Permission.ORDER_READ_OWN) and record.header.customerId == actor.subject:
            return record
        raise NotFound(f"order {order_id} not found")

    def get(self, actor: Actor, order_id: str) -> dict[str, Any]:
        record = self._visible_order(actor, order_id)
        return {**order_view(record), "payment": payment_summary(record)}

    def list(
        self,
        actor: Actor,
        *,
        status: OrderStatus | None,
        created_from: str | None,
        created_to: str | None,
        limit: int | None,
        cursor: str | None,
    ) -> Page[dict[str, Any]]:
        if actor.can(Permission.ORDER_READ_ANY):
            return self.repository.list_orders(
                status=status,
                created_from=_normalise_time(created_from, "createdFrom"),
                created_to=_normalise_time(created_to, "createdTo"),
                limit=limit,
                cursor=cursor,
            )
        if actor.can(Permission.ORDER_READ_OWN):
            if status or created_from or created_to:
                raise InvalidRequest("filters are for staff; customers list their own orders", field="status")
            return self.repository.list_customer_orders(actor.subject, limit, cursor)
        return Page([], None)

    # ---------------------------------------------------------------- cancel
    def cancel(self, actor: Actor, order_id: str, note: str | None) -> dict[str, Any]:
        record = self._visible_order(actor, order_id)
        check_cancel(actor, record.status, owns_order=record.header.customerId == actor.subject)
        reason = (
            CancelReason.STAFF_DECISION if actor.can(Permission.ORDER_CANCEL_ANY) else CancelReason.CUSTOMER_REQUEST
        )
        return order_view(self._cancel(record, actor, reason, note))

    def _cancel(self, record: OrderRecord, actor: Actor, reason: CancelReason, note: str | None) -> OrderRecord:
        now = to_rfc3339(self.clock())
        change = StatusChange(record.status, OrderStatus.CANCELLED, actor, now, reason.value)
        cancellation = {
            "by": actor.subject,
            "role": actor.primary_role,
            "reason": reason.value,
            "note": note,
            "at": now,
        }
        return self.repository.cancel(record, change, cancellation)

    # ---------------------------------------------------------------- payment timeout
    def expire(self, order_id: str) -> dict[str, Any]:
        """Called by the payment-timeout workflow at the deadline. Cancels only an order that is still
        PENDING_PAYMENT and due; anything else is left exactly as it is."""
        record = self.repository.get_order(order_id)
        if record is None:
            return {"orderId": order_id, "result": "skipped", "status": None, "deadline": None}
        deadline = record.header.paymentDeadline
        if record.status is not OrderStatus.PENDING_PAYMENT:
            return {"orderId": order_id, "result": "skipped", "status": record.status.value, "deadline": deadline}
        if self.clock() < parse_rfc3339(deadline):
            # The deadline moved (e.g. a bank transfer under review): the workflow waits again.
            return {"orderId": order_id, "result": "not_due", "status": record.status.value, "deadline": deadline}
        check_transition(record.status, OrderStatus.CANCELLED)
        try:
            cancelled = self._cancel(record, Actor.system("payment-timeout"), CancelReason.PAYMENT_TIMEOUT, None)
        except StaleOrder:
            # Paid (or otherwise moved) between our read and our write: nothing to do.
            current = self.repository.get_order(order_id)
            status = current.status.value if current else None
            return {"orderId": order_id, "result": "skipped", "status": status, "deadline": deadline}
        return {"orderId": order_id, "result": "cancelled", "status": cancelled.status.value, "deadline": deadline}


def _normalise_time(value: str | None, field: str) -> str | None:
    if value is None:
        return None
    try:
        return to_rfc3339(parse_rfc3339(value))
    except ValueError as error:
        raise InvalidRequest(f"{field} must be an RFC 3339 timestamp", field=field) from error
