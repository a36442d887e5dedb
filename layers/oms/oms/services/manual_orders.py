"""Manual orders (POST /admin/orders): staff place an order for an existing customer or a new one (created in
the user directory), priced by the checkout's own engine and placed by the checkout's own transaction
(`OrderService.place`), with a manual discount capped per role, internal notes, and a payment mode:

- `online`: the order awaits payment like a checkout (its payment timer); the shopper gets a payment link
  (ManualOrderCreated → the notifications function).
- `bank-transfer`: a bank transfer attempt awaiting finance's review is written with the order (the same
  attempt and review as a shopper's transfer: `POST /orders/{orderId}/payments/{paymentId}/review`).
- `offline`: paid outside the system; finance marks it paid with a proof reference and an optional proof
  image (a presigned POST into the evidence bucket), which books the offline tender and moves it to PAID.

Every manual order records who placed it and how (`manual` on the header) and an `order.create-manual`
audit entry, in the placing transaction."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from oms.domain import events
from oms.domain.clock import to_rfc3339, utcnow
from oms.domain.errors import Conflict, DomainError, Forbidden, InvalidRequest, NotFound
from oms.domain.ids import new_id
from oms.domain.manual_orders import ManualLimit, PaymentMode, check_cap
from oms.domain.money import Money
from oms.domain.order import OrderStatus, StatusChange, check_transition
from oms.domain.order_pricing import DiscountSource, ManualDiscount, PricedOrder
from oms.domain.payment import AttemptStatus, PaymentMethod
from oms.domain.permissions import Actor, Permission
from oms.domain.pricing import CartLine, PricingRequest
from oms.services.idempotency import replay
from oms.services.orders import CheckoutResult, OrderService, refuse_shortages
from oms.services.payments import payment_id_for
from oms.store.manual_orders import add_manual_audit, add_note, offline_tender, record_offline_payment
from oms.store.orders import OrderRepository, stored_response
from oms.store.payments import add_new_attempt, new_attempt
from oms.store.records import OrderRecord, money_of
from oms.store.transactions import Transaction
from oms.views.orders import line_facts, order_summary

MAX_NOTES = 10
PROOF_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "application/pdf": "pdf"}
PROOF_MAX_BYTES = 5 * 1024 * 1024


class DirectoryUnavailable(DomainError):
    slug = "user-directory-unavailable"
    title = "The user directory cannot be reached"
    status = 503


@dataclass(frozen=True)
class NewCustomer:
    email: str | None
    phone: str | None
    name: str | None


@dataclass(frozen=True)
class ManualOrderRequest:
    cart: list[CartLine]
    shipping_address: dict[str, Any]
    payment_mode: PaymentMode
    customer_id: str | None = None
    new_customer: NewCustomer | None = None
    pricing: PricingRequest = field(default_factory=PricingRequest)
    discount: ManualDiscount | None = None
    discount_reason: str | None = None
    notes: tuple[str, ...] = ()
    note: str | None = None  # the order's own note (the shopper sees it), as at checkout


def discount_base(priced: PricedOrder) -> Money:
    """The goods a manual discount applies to: the originals less member benefits, promotions and coupons
    (steps 1b–4)."""
    others = [d.amount for d in priced.member + priced.promotions + priced.coupons if d.target.value == "goods"]
    return priced.subtotal - sum(others, Money.zero(priced.currency))


def manual_amount(priced: PricedOrder) -> Money:
    return sum((d.amount for d in priced.manual if d.source is DiscountSource.MANUAL), Money.zero(priced.currency))


class ManualPlacement:
    """The manual order's part of the checkout's placing path (`oms.services.orders.PlaceExtra`)."""

    def __init__(self, service: ManualOrderService, actor: Actor, request: ManualOrderRequest) -> None:
        self.service = service
        self.actor = actor
        self.request = request
        mode = request.payment_mode
        self.deadline_seconds = None if mode is PaymentMode.ONLINE else service.review_seconds
        self.priced: PricedOrder | None = None

    def check(self, priced: PricedOrder) -> None:
        check_cap(self.actor, self.service.limits, manual_amount(priced), discount_base(priced), field="manualDiscount")
        self.priced = priced

    def prepare(self, record: OrderRecord, now: str) -> Callable[[Transaction], None]:
        request, actor = self.request, self.actor
        header = record.header
        order_id = header.orderId
        manual: dict[str, Any] = {
            "by": actor.subject,
            "role": actor.primary_role,
            "at": now,
            "paymentMode": request.payment_mode.value,
            "discount": None if request.discount is None else request.discount.to_dict(),
            "discountReason": request.discount_reason,
        }
        attempt = None
        due = header.total.money() - (self.priced.balance if self.priced else Money.zero(header.currency))
        if request.payment_mode is PaymentMode.BANK_TRANSFER and header.status == OrderStatus.PENDING_PAYMENT:
            payment_id = payment_id_for(order_id, 1)
            provider = self.service.providers(PaymentMethod.BANK_TRANSFER)
            instructions = provider.instructions(payment_id, header.orderNumber, due, f"Order {header.orderNumber}")
            attempt = new_attempt(
                header,
                payment_id,
                method=PaymentMethod.BANK_TRANSFER.value,
                status=AttemptStatus.PENDING.value,
                amount=due,
                goods=due,
                surcharge=Money.zero(due.currency),
                fee=Money.zero(due.currency),
                instructions=instructions.data,
                now=now,  # no deadline before it: rejected, the order gets the payment timeout to pay another way
            )
            manual["paymentId"] = payment_id
            record.payments.append(attempt)
        if request.payment_mode is PaymentMode.ONLINE:
            manual["paymentLink"] = self.service.payment_link(order_id)
        record.header = replace(header, manual=manual)
        after = {**manual, "customerId": header.customerId, "total": header.total.money().to_dict()}

        def more(tx: Transaction) -> None:
            for n, text in enumerate(request.notes):
                add_note(tx, order_id, text, actor=actor, now=now, key=str(n))
            if attempt is not None:
                add_new_attempt(tx, attempt)
            add_manual_audit(tx, order_id, "order.create-manual", actor=actor, now=now, before=None, after=after)

        return more

    def events(self, record: OrderRecord) -> list[events.OutboxEvent]:
        manual = record.header.manual or {}
        return [
            events.manual_order_created(
                order_summary(record.header),
                payment_mode=self.request.payment_mode.value,
                payment_link=manual.get("paymentLink"),
                created_by=self.actor.subject,
                role=self.actor.primary_role,
            )
        ]


class ManualOrderService:
    def __init__(
        self,
        orders: OrderService,
        repository: OrderRepository,
        providers: Callable[[PaymentMethod], Any],
        directory: Callable[[], Any],
        evidence: Callable[[], Any],
        *,
        limits: Mapping[str, ManualLimit],
        review_seconds: int,
        shop_url: str = "",
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.orders = orders
        self.repository = repository
        self.providers = providers
        self.directory = directory
        self.evidence = evidence
        self.limits = limits
        self.review_seconds = review_seconds
        self.shop_url = shop_url.rstrip("/")
        self.clock = clock

    def payment_link(self, order_id: str) -> str:
        return f"{self.shop_url}/orders/{order_id}/pay"

    # ---------------------------------------------------------------- create
    def create(
        self, actor: Actor, request: ManualOrderRequest, *, idempotency_key: str, fingerprint: str
    ) -> CheckoutResult:
        if not actor.can(Permission.ORDER_CREATE_MANUAL):
            raise Forbidden("manual orders are placed by support and admin")
        if len(request.notes) > MAX_NOTES:
            raise InvalidRequest(f"at most {MAX_NOTES} notes", field="notes")
        if request.discount is not None and not request.discount_reason:
            raise InvalidRequest("a manual discount needs a reason", field="discountReason")
        stored = stored_response(actor.subject, idempotency_key)
        answered = replay(stored, fingerprint)
        if answered is not None:  # replayed before any account is created or looked up
            return CheckoutResult(answered[0], answered[1], replayed=True)
        customer_id = self._customer(actor, request)
        return self.orders.place(
            actor,
            customer_id,
            request.cart,
            shipping_address=request.shipping_address,
            note=request.note,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            request=request.pricing,
            manual=request.discount,
            extra=ManualPlacement(self, actor, request),
        )

    def _customer(self, actor: Actor, request: ManualOrderRequest) -> str:
        """The customer the order is for: an existing account (checked in the directory), or a new one created
        there once the order is known to be placeable (priced, within the cap, in stock)."""
        directory = self.directory()
        if request.customer_id is not None:
            user = None if directory is None else directory.get_user(request.customer_id)
            if directory is not None and (user is None or "customer" not in user.groups):
                raise InvalidRequest(f"customer {request.customer_id} does not exist", field="customerId")
            return request.customer_id
        new = request.new_customer
        if new is None:
            raise InvalidRequest("name the customer (customerId) or a new one (customer)", field="customerId")
        if directory is None:
            raise DirectoryUnavailable("the user directory is not configured here: new customers cannot be created")
        found = directory.find_customer(email=new.email, phone=new.phone)
        if found is not None:
            return str(found.subject)
        pricing = request.pricing
        if pricing.coupons or pricing.points not in (None, 0) or pricing.balance is not None:
            raise InvalidRequest("a new customer holds no coupons, points or balance", field="coupons")
        self._dry_run(actor, request)
        created = directory.create_customer(email=new.email, phone=new.phone, name=new.name)
        return str(created.subject)

    def _dry_run(self, actor: Actor, request: ManualOrderRequest) -> None:
        """Price and check the order (SKUs, quantities, stock, the cap) before an account is created for it."""
        priced, inputs, _ = self.orders.preview(
            "new-customer", request.cart, manual=request.discount, shipping_address=request.shipping_address
        )
        check_cap(actor, self.limits, manual_amount(priced), discount_base(priced), field="manualDiscount")
        refuse_shortages(priced, inputs.available)

    # ---------------------------------------------------------------- offline payment
    def proof_upload(self, actor: Actor, order_id: str, content_type: str, size: int) -> dict[str, Any]:
        """A presigned POST for the proof image (or PDF) of an offline payment, in the order's proof prefix."""
        if not actor.can(Permission.PAYMENT_REVIEW):
            raise Forbidden("offline payments are recorded by finance")
        record = self._order(order_id)
        extension = PROOF_TYPES.get(content_type)
        if extension is None:
            raise InvalidRequest(f"proofs are {', '.join(PROOF_TYPES)}", field="contentType")
        if not 0 < size <= PROOF_MAX_BYTES:
            raise InvalidRequest(f"a proof is at most {PROOF_MAX_BYTES} bytes", field="size")
        key = f"{proof_prefix(record.header.orderId)}{new_id()}.{extension}"
        post = self.evidence().presigned_post(key, content_type, PROOF_MAX_BYTES)
        return {"key": key, "url": post["url"], "fields": post["fields"], "maxBytes": PROOF_MAX_BYTES}

    def mark_paid_offline(
        self,
        actor: Actor,
        order_id: str,
        *,
        reference: str,
        proof_key: str | None,
        idempotency_key: str,
        fingerprint: str,
    ) -> tuple[int, dict[str, Any], bool]:
        """Finance records the money of an `offline` manual order: the order is PAID (stock sold, children
        queued) with a ledger posting of the offline tender, in one transaction with the audit entry."""
        if not actor.can(Permission.PAYMENT_REVIEW):
            raise Forbidden("offline payments are recorded by finance")
        answered = replay(stored_response(actor.subject, idempotency_key), fingerprint)
        if answered is not None:
            return answered
        record = self._order(order_id)
        header = record.header
        manual = header.manual or {}
        if manual.get("paymentMode") != PaymentMode.OFFLINE.value:
            raise Conflict("only a manual order placed with payment mode offline is marked paid offline")
        if proof_key is not None and not proof_key.startswith(proof_prefix(header.orderId)):
            raise InvalidRequest("the proof must be uploaded for this order (its proof upload)", field="proofKey")
        if record.status is not OrderStatus.PENDING_PAYMENT:
            raise Conflict(f"the order is {record.status.value}; only an order awaiting payment is marked paid")
        check_transition(record.status, OrderStatus.PAID)
        due = money_of(record).outstanding
        if due.amount <= 0:
            raise Conflict("nothing is outstanding on this order")
        now = to_rfc3339(self.clock())
        payment_id = payment_id_for(header.orderId, len(record.payments) + 1)
        proof = {"proofReference": reference, "proofKey": proof_key}
        review = {"by": actor.subject, "at": now, "approved": True, "reason": f"offline payment: {reference}"}
        attempt = offline_tender(record, payment_id, due, {"mode": "offline", **proof}, review, now)
        change = StatusChange(record.status, OrderStatus.PAID, actor, now, f"paid offline ({reference})")
        paid = events.order_paid(
            order_summary(header),
            payment_id=payment_id,
            method="offline",
            payment_attempts=len(record.payments) + 1,
            lines=line_facts(record),
        )
        marked = {**manual, "paidOffline": {**proof, "by": actor.subject, "at": now, "amount": due.to_dict()}}
        body = {
            "orderId": header.orderId,
            "status": OrderStatus.PAID.value,
            "paymentId": payment_id,
            "amount": due.to_dict(),
            **proof,
            "paidAt": now,
            "by": actor.subject,
        }
        record_offline_payment(
            record,
            attempt,
            change,
            paid,
            manual=marked,
            memo=f"offline payment {reference}",
            audit_before={"status": header.status},
            audit_after={"status": OrderStatus.PAID.value, "paymentId": payment_id, **proof, "amount": due.to_dict()},
            idempotency=(actor.subject, idempotency_key, fingerprint, body),
        )
        return 200, body, False

    def _order(self, order_id: str) -> OrderRecord:
        record = self.repository.get_order(order_id)
        if record is None:
            raise NotFound(f"order {order_id} not found")
        return record


def proof_prefix(order_id: str) -> str:
    return f"payment-proofs/{order_id}/"
