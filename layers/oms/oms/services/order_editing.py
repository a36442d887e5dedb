"""Order editing by staff (PATCH /orders/{orderId}), before payment only: change the items and quantities,
the shipping address, or apply a manual price change (an amount or a percentage, with a reason, capped per
role like a manual order's discount).

The order is re-priced by the checkout's engine (`OrderService.preview`): current prices and promotions, the
coupons the order took re-checked as if this order had not used them (one that no longer applies is a 422
naming it: drop it by cancelling and placing the order again), the same points and balance as before (an edit
that cannot carry them is a 422 saying why). The stock difference is reserved or released, the child orders
re-split, and everything — header, lines, children, stock, history, the `order.edit` audit entry, the
OrderEdited outbox row — is ONE transaction conditional on the order's status and version (If-Match).

An order with a payment attempt open at a provider (or a bank transfer under review) is not edited (409
`payment-in-progress`): that attempt is for the old amount. Close it first (the attempt expires, or finance
rejects the transfer)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from oms.domain import events
from oms.domain.benefits import Benefits
from oms.domain.clock import parse_rfc3339, to_rfc3339, utcnow
from oms.domain.errors import Conflict, Forbidden, InsufficientStock, InvalidRequest, NotFound, PreconditionFailed
from oms.domain.manual_orders import ManualLimit, check_cap
from oms.domain.money import Money, total
from oms.domain.order import OrderStatus, StatusChange
from oms.domain.order_pricing import ManualDiscount, PricedOrder
from oms.domain.parcels import CrossBorderYearlyLimitExceeded, customs_year
from oms.domain.permissions import Actor, Permission
from oms.domain.pricing import CartLine, PricingRequest
from oms.domain.promotions import Coupon, CouponNotApplicable, CouponReason
from oms.services.manual_orders import discount_base, manual_amount
from oms.services.orders import OrderService
from oms.store.cross_border import quota_used
from oms.store.manual_orders import OrderEdit, QuotaShort, StockShort, edit_order
from oms.store.orders import OrderRepository, new_child
from oms.store.pricing import coupon_domain
from oms.store.records import LineRecord, MoneyRecord, OrderRecord
from oms.views.orders import order_summary, order_view

OPEN_ATTEMPTS = frozenset({"CREATED", "PENDING"})


class OrderNotEditable(Conflict):
    slug = "order-not-editable"
    title = "Only an order awaiting payment is edited"


class PaymentInProgress(Conflict):
    slug = "payment-in-progress"
    title = "A payment attempt for the current amount is open"


@dataclass(frozen=True)
class PriceChange:
    discount: ManualDiscount
    reason: str


@dataclass(frozen=True)
class EditRequest:
    cart: list[CartLine] | None = None  # the order's new lines (None: unchanged)
    shipping_address: dict[str, Any] | None = None
    price_change: PriceChange | None = None


class OrderEditingService:
    def __init__(
        self,
        orders: OrderService,
        repository: OrderRepository,
        *,
        limits: Mapping[str, ManualLimit],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.orders = orders
        self.repository = repository
        self.limits = limits
        self.clock = clock

    def edit(self, actor: Actor, order_id: str, request: EditRequest, *, if_match: int | None) -> dict[str, Any]:
        if not actor.can(Permission.ORDER_EDIT):
            raise Forbidden("orders are edited by support and admin")
        if request.cart is None and request.shipping_address is None and request.price_change is None:
            raise InvalidRequest("nothing to change: give lines, shippingAddress or priceChange", field="lines")
        record = self.repository.get_order(order_id)
        if record is None:
            raise NotFound(f"order {order_id} not found")
        header = record.header
        if if_match is None:
            raise PreconditionFailed("send the order's version as If-Match (its ETag)")
        if if_match != int(header.version):
            raise PreconditionFailed("the order has changed since you read it (If-Match)", version=int(header.version))
        if record.status is not OrderStatus.PENDING_PAYMENT:
            raise OrderNotEditable(f"the order is {record.status.value}; only PENDING_PAYMENT orders are edited")
        attempts = [a.paymentId for a in record.payments if a.status in OPEN_ATTEMPTS and a.method != "balance"]
        if attempts:
            raise PaymentInProgress(
                f"payment {attempts[0]} is open for the current amount: close it before editing", paymentIds=attempts
            )
        now = to_rfc3339(self.clock())
        cart = request.cart if request.cart is not None else _cart_of(record)
        manual = dict(header.manual or {})
        change = request.price_change
        discount = change.discount if change is not None else _kept_discount(record)
        address = request.shipping_address if request.shipping_address is not None else header.shippingAddress
        old_quota = header.crossBorderQuota or {}
        year = int(old_quota.get("year") or customs_year(parse_rfc3339(header.createdAt)))  # the placement's year
        priced, inputs, children = self._price(record, cart, discount, year, address)
        check_cap(actor, self.limits, manual_amount(priced), discount_base(priced), field="priceChange")
        # The edited order keeps to the yearly cross-border allowance: what it held counts as free again.
        used = inputs.cross_border_used - int(old_quota.get("amount") or 0)
        parcels, quota = self.orders.limits_of(priced, inputs, children, year, used)
        benefits = Benefits.of(header.benefits)
        _check_same_benefits(record, priced)
        lines = self._lines(record, priced, inputs.stock_policies)
        if change is not None:
            manual["discount"] = change.discount.to_dict()
            manual["priceChange"] = {"reason": change.reason, "by": actor.subject, "at": now}
        pricing = priced.to_dict()
        pricing.pop("lines")
        new_header = replace(
            header,
            storeIds=list(dict.fromkeys(line.store_id for line in priced.lines)),
            subtotal=MoneyRecord.of(priced.subtotal),
            shipping=MoneyRecord.of(priced.shipping),
            discount=MoneyRecord.of(priced.goods_discount + priced.shipping_discount + priced.points.value),
            total=MoneyRecord.of(total([line.payable.money() for line in lines], priced.currency)),
            shippingAddress=address,
            pricing=pricing,
            benefits=Benefits({**benefits.data, "pointsEarned": priced.points.earned}).to_dict()
            if benefits
            else header.benefits,
            manual=manual or None,
            updatedAt=now,
            version=int(header.version) + 1,
            crossBorderQuota=quota,
        )
        changes = _changes(record, request)
        before = _snapshot(record.header, record.lines)
        after = _snapshot(new_header, lines)
        if change is not None:
            after["reason"] = change.reason
        reason = f"order edited ({', '.join(changes)})" + (f": {change.reason}" if change else "")
        child_records = [
            new_child(
                header.orderId,
                child,
                priced.currency,
                header.createdAt,
                queued=False,
                parcels=parcels.get(child.child_no),
            )
            for child in children
        ]
        event = events.order_edited(
            order_summary(new_header),
            changes=changes,
            previous_total=header.total.money(),
            edited_by=actor.subject,
            role=actor.primary_role,
        )
        try:
            edit_order(
                record,
                OrderEdit(
                    header=new_header,
                    lines=lines,
                    children=child_records,
                    change=StatusChange(record.status, record.status, actor, now, reason),
                    event=event,
                    audit_before=before,
                    audit_after=after,
                ),
            )
        except StockShort as short:
            wanted = {line.skuId: int(line.quantity) for line in lines}
            raise InsufficientStock(
                [
                    {"skuId": sku, "requested": wanted.get(sku, 0), "available": inputs.available.get(sku, 0)}
                    for sku in short.sku_ids
                ]
            ) from short
        except QuotaShort as short:  # a racing checkout of the same customer took the room first
            assert quota is not None
            now_used = quota_used(header.customerId, year) - int(old_quota.get("amount") or 0)
            limit = Money(int(quota["limit"]), str(quota["currency"]))
            raise CrossBorderYearlyLimitExceeded(year, limit, now_used, int(quota["amount"])) from short
        updated = self.repository.get_order(header.orderId)
        assert updated is not None
        return order_view(updated)

    def _price(
        self,
        record: OrderRecord,
        cart: list[CartLine],
        discount: ManualDiscount | None,
        year: int,
        address: Any = None,
    ) -> tuple[PricedOrder, Any, Any]:
        header = record.header
        benefits = Benefits.of(header.benefits)
        taken = benefits.coupons
        codes = tuple(str(c["code"]) for c in taken)
        pricing = header.pricing or {}
        points = pricing.get("points") or {}
        redeemed = int(points.get("redeemed") or 0)
        balance = benefits.balance
        request = PricingRequest(coupons=codes, points=redeemed, balance=balance)

        def adjust(inputs: Any) -> Any:
            """The points and balance this order holds count as the customer's again (they are re-used)."""
            account = inputs.balance
            if balance is not None and account is not None:
                account = replace(account, available=int(account.available) + balance.amount)
            return replace(inputs, points_available=inputs.points_available + benefits.points_debited, balance=account)

        def coupons_of(inputs: Any) -> tuple[Coupon, ...]:
            """The order's own coupons, re-checked as if it had not used them."""
            if not codes:
                return ()
            items = []
            for index, code in enumerate(codes):
                item = inputs.coupons.get(code)
                if item is None:
                    raise CouponNotApplicable(CouponReason.NOT_FOUND, index=index, code=code)
                items.append(item)
            state = self.repository.read_coupon_state([i.templateId for i in items], header.customerId)
            mine: dict[str, int] = {}
            for item in items:
                mine[item.templateId] = mine.get(item.templateId, 0) + 1
            return tuple(
                coupon_domain(
                    item,
                    uses_total=max(state.template_used.get(item.templateId, 0) - mine[item.templateId], 0),
                    uses_by_customer=max(state.customer_used.get(item.templateId, 0) - mine[item.templateId], 0),
                )
                for item in items
            )

        # A coupon that no longer applies is the engine's 422 `coupon-not-applicable` naming it and why.
        return self.orders.preview(
            header.customerId,
            cart,
            request,
            manual=discount,
            adjust=adjust,
            coupons_of=coupons_of,
            shipping_address=address,
            cross_border_year=year,
        )

    def _lines(self, record: OrderRecord, priced: PricedOrder, stock_policies: dict[str, Any]) -> list[LineRecord]:
        """The new line rows, built as placing builds them (reserved, or sold at order by the store's policy)."""
        built = self.repository.build_order(
            order_id=record.header.orderId,
            order_number=record.header.orderNumber,
            customer_id=record.header.customerId,
            priced=priced,
            shipping_address=record.header.shippingAddress,
            note=record.header.note,
            created=StatusChange(None, OrderStatus.PENDING_PAYMENT, Actor.system(), record.header.createdAt, ""),
            payment_deadline=record.header.paymentDeadline,
            stock_policies=stock_policies,
        )
        return built.lines


def _cart_of(record: OrderRecord) -> list[CartLine]:
    return [CartLine(line.skuId, int(line.quantity)) for line in sorted(record.lines, key=lambda x: int(x.lineNo))]


def _kept_discount(record: OrderRecord) -> ManualDiscount | None:
    """The manual discount the order has (placed by staff with one, or an earlier price change)."""
    data = (record.header.manual or {}).get("discount")
    return ManualDiscount.from_dict(data) if data else None


def _check_same_benefits(record: OrderRecord, priced: PricedOrder) -> None:
    """An edit keeps the points the order took (points-mall prices and points used as a discount) and its
    balance: the edit writes no points or balance change."""
    benefits = Benefits.of(record.header.benefits)
    if priced.points.debited != benefits.points_debited:
        raise InvalidRequest(
            f"the edited order needs {priced.points.debited} points, the order took {benefits.points_debited}:"
            " points-mall lines are not edited",
            field="lines",
            reason="points-changed",
        )
    used = benefits.balance or Money.zero(priced.currency)
    if priced.balance.amount != used.amount:
        raise InvalidRequest(
            "the edited order cannot carry the balance it used", field="lines", reason="balance-changed"
        )


def _changes(record: OrderRecord, request: EditRequest) -> list[str]:
    changes = []
    if request.cart is not None:
        changes.append("items")
    if request.shipping_address is not None and request.shipping_address != record.header.shippingAddress:
        changes.append("address")
    if request.price_change is not None:
        changes.append("price")
    return changes or ["nothing"]


def _snapshot(header: Any, lines: Any) -> dict[str, Any]:
    return {
        "lines": [
            {"skuId": line.skuId, "quantity": int(line.quantity)} for line in sorted(lines, key=lambda x: int(x.lineNo))
        ],
        "shippingAddress": header.shippingAddress,
        "total": header.total.money().to_dict(),
        "discount": header.discount.money().to_dict(),
        "version": int(header.version),
    }
