"""Order use cases: quote, checkout, read, list, cancel and expire at the payment deadline."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from oms.domain import events
from oms.domain.benefits import Benefits
from oms.domain.clock import deadline_after, parse_rfc3339, to_rfc3339, to_rfc3339_seconds, utcnow
from oms.domain.errors import Forbidden, InsufficientStock, InvalidRequest, NotFound
from oms.domain.freight import Destination, ShippingRegionExcluded
from oms.domain.holds import Hold, check_cancel_held
from oms.domain.ids import new_id, new_order_number
from oms.domain.money import Money
from oms.domain.order import (
    CancelReason,
    OrderStatus,
    StatusChange,
    cancellation_record,
    check_cancel,
    check_transition,
)
from oms.domain.order_pricing import (
    BalanceUse,
    ManualDiscount,
    PointsUse,
    PricedOrder,
    check_coupons,
    price_order,
)
from oms.domain.order_search import SearchParams
from oms.domain.parcels import (
    DEFAULT_YEARLY_CROSS_BORDER_LIMIT,
    check_yearly_allowance,
    cross_border_amounts,
    customs_year,
    plan_parcels,
    quota_record,
)
from oms.domain.permissions import Actor, Permission
from oms.domain.pricing import CartLine, PricingRequest, merge_cart
from oms.domain.promotions import Coupon, CouponNotApplicable, CouponReason
from oms.domain.splitting import (
    DEFAULT_CROSS_BORDER_LIMIT,
    ChildOrder,
    HandlingClass,
    SplitLine,
    limit_converter,
    split_order,
)
from oms.domain.timers import TimerOutcome, TimerResult
from oms.services.access import in_scope, may_see_order, owns, scoped_order_view, store_scope
from oms.services.accounts import UnknownAddress
from oms.services.idempotency import replay
from oms.services.order_search import OrderSearch, build_query
from oms.services.personal_data import PersonalDataService
from oms.services.replays import cancelled_by, receipt_confirmed_by
from oms.services.risk import RiskService, leaving_review
from oms.store import keys
from oms.store.orders import CheckoutBenefits, CheckoutInputs, OrderNumberTaken, OrderRepository, StaleOrder
from oms.store.pages import Page, clamp_limit
from oms.store.pricing import COUPON_AVAILABLE, COUPON_USED, TEMPLATE_ACTIVE, coupon_domain
from oms.store.records import CouponRecord, HeaderRecord, IdempotencyRecord, OrderRecord
from oms.store.transactions import Transaction, TransactionCancelled
from oms.views.orders import breakdown_of, child_view, line_facts, order_summary, order_view
from oms.views.payments import payment_summary

# (actor, order or child order id, the order when already read, reason) -> the order after the cancel
PaidCancel = Callable[[Actor, str, OrderRecord | None, str | None], dict[str, Any]]
# Paid orders are cancelled child by child (CLOSED: every child is cancelled, as a retried cancel finds it).
PAID_CANCEL_STATES = frozenset(
    {OrderStatus.PAID, OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED, OrderStatus.CLOSED}
)
RECEIPT_CONFIRMED = "receipt confirmed"
CANCEL_ATTEMPTS = 3  # a cancel that loses a race (e.g. with a payment) reads the order again and decides again


class CancelMoney(Protocol):
    """The payments side of a whole-order cancel (PaymentService)."""

    def cancel_refunds(self, record: OrderRecord, actor: Actor, now: str) -> Callable[[Transaction], None] | None:
        """Refunds of the money the order received, to write in the cancel transaction (None: none)."""

    def after_cancel(self, order_id: str) -> None:
        """After the commit: settle those refunds, close the open payment attempts. Never raises."""


def quote_view(priced: PricedOrder) -> dict[str, Any]:
    """A quote: the full breakdown (as checkout would freeze it) and the order-level money columns."""
    return {**priced.to_dict(), "breakdown": breakdown_of(priced)}


class PlaceExtra(Protocol):
    """What a manual order adds to the placing path (oms.services.manual_orders.ManualPlacement)."""

    deadline_seconds: int | None  # the payment deadline's distance (None: the payment timeout)

    def check(self, priced: PricedOrder) -> None:
        """Refuse the priced order (the manual discount's cap) before anything is written."""

    def prepare(self, record: OrderRecord, now: str) -> Callable[[Transaction], None]:
        """Mark the built order (before its view is rendered) and give the rows to write with it."""

    def events(self, record: OrderRecord) -> list[events.OutboxEvent]:
        """More outbox events of the placement."""


@dataclass(frozen=True)
class CheckoutResult:
    status_code: int
    body: dict[str, Any]
    replayed: bool


class OrderService:
    def __init__(
        self,
        repository: OrderRepository,
        payment_timeout_seconds: int,
        clock: Callable[[], datetime] = utcnow,
        cross_border_limit: Money = DEFAULT_CROSS_BORDER_LIMIT,
        paid_cancel: PaidCancel | None = None,
        cancel_money: CancelMoney | None = None,
        risk: RiskService | None = None,
        search: OrderSearch | None = None,
        yearly_cross_border_limit: Money = DEFAULT_YEARLY_CROSS_BORDER_LIMIT,
    ) -> None:
        self.risk = risk
        self.yearly_cross_border_limit = yearly_cross_border_limit
        self.repository = repository
        self.payment_timeout_seconds = payment_timeout_seconds
        self.clock = clock
        self.cross_border_limit = cross_border_limit
        self.paid_cancel = paid_cancel
        self.cancel_money = cancel_money
        if search is None:
            from oms.store.order_search import DynamoOrderSearch

            search = DynamoOrderSearch()
        self.search: OrderSearch = search

    # ---------------------------------------------------------------- pricing
    def _read(
        self,
        customer_id: str,
        lines: list[CartLine],
        request: PricingRequest,
        idempotency: tuple[str, str] | None,
        address_id: str | None = None,
        extra_keys: Sequence[tuple[str, str]] = (),
        cross_border_year: int | None = None,
    ) -> CheckoutInputs:
        return self.repository.read_checkout_inputs(
            [line.sku_id for line in lines],
            idempotency,
            customer_id=customer_id,
            coupon_codes=request.coupons,
            with_balance=request.balance is not None,
            address_id=address_id,
            extra_keys=extra_keys,
            cross_border_year=cross_border_year,
        )

    def _price(
        self,
        customer_id: str,
        lines: list[CartLine],
        inputs: CheckoutInputs,
        request: PricingRequest,
        manual: ManualDiscount | None = None,
        coupons_of: Callable[[CheckoutInputs], tuple[Coupon, ...]] | None = None,
        destination: Destination | None = None,
    ) -> tuple[PricedOrder, tuple[Coupon, ...]]:
        """The one pricing path of quote and checkout: stored prices, the customer's member tier (from the
        same read), promotions, the presented coupons (checked against the store), points, balance and the
        FX rate, through `price_order`."""
        currency = next(
            (inputs.skus[line.sku_id].unit_price.currency for line in lines if line.sku_id in inputs.skus), None
        )
        coupons = self._coupons(customer_id, inputs, request.coupons) if coupons_of is None else coupons_of(inputs)
        points = self._points(inputs, request, currency)
        balance = None
        if request.balance is not None and currency is not None:
            account = inputs.balance
            held = Money(int(account.available), currency) if account and account.currency == currency else None
            available = held or Money.zero(currency)
            balance = BalanceUse(available, None if request.balance == "max" else request.balance)
        priced = price_order(
            lines,
            inputs.skus,
            inputs.policies,
            now=self.clock(),
            promotions=inputs.promotions,
            coupons=coupons,
            points=points,
            balance=balance,
            customer_id=customer_id,
            fx=None if currency is None else inputs.fx.rate_for(currency),
            sku_terms=inputs.terms,
            manual=manual,
            member=inputs.member_tier,
            destination=destination,
        )
        return priced, coupons

    def _split(self, priced: PricedOrder, inputs: CheckoutInputs) -> tuple[ChildOrder, ...]:
        """The child orders the placed order ships as: by merchant, warehouse, handling, customs limit."""
        lines = []
        for line in priced.lines:
            handling, cross_border = inputs.logistics.get(line.sku_id, (HandlingClass.NORMAL, False))
            lines.append(
                SplitLine(
                    line_no=line.line_no,
                    sku_id=line.sku_id,
                    store_id=line.store_id,
                    warehouse_id=line.warehouse_id,
                    handling=handling,
                    cross_border=cross_border,
                    quantity=line.quantity,
                    amounts={
                        "original": line.original.amount,
                        "shipping": line.shipping.amount,
                        "goodsDiscount": line.goods_discount.amount,
                        "shippingDiscount": line.shipping_discount.amount,
                        "pointsValue": line.points_value.amount,
                        "balance": line.balance.amount,
                    },
                    points={
                        "pointsRequired": line.points_required,
                        "pointsRedeemed": line.points_redeemed,
                        "pointsEarned": line.points_earned,
                    },
                )
            )
        limit = self.cross_border_limit
        fx = priced.fx
        convert = limit_converter(fx) if fx is not None and fx.quote == limit.currency else None
        return split_order(lines, currency=priced.currency, cross_border_limit=limit, to_limit_currency=convert)

    def limits_of(
        self, priced: PricedOrder, inputs: CheckoutInputs, children: Sequence[ChildOrder], year: int, used: int
    ) -> tuple[dict[int, list[dict[str, Any]]], dict[str, Any] | None]:
        """The children's parcels under their carriers' weight limits, and the order's share of the customer's
        yearly cross-border allowance of `year` (None: no cross-border goods). `used`: what the year holds
        already; an order that would pass the limit is refused here (422 `cross-border-yearly-limit`)."""
        weights = {sku_id: sku.weight_grams for sku_id, sku in inputs.skus.items()}
        parcels = plan_parcels(children, weights, inputs.carriers)
        limit = self.yearly_cross_border_limit
        fx = priced.fx
        convert = limit_converter(fx) if fx is not None and fx.quote == limit.currency else None
        amounts = cross_border_amounts(children, priced.currency, convert, limit)
        check_yearly_allowance(year, limit, used, sum(amounts.values()))
        return parcels, quota_record(year, limit, amounts)

    def _coupons(self, customer_id: str, inputs: CheckoutInputs, codes: tuple[str, ...]) -> tuple[Coupon, ...]:
        """The presented coupons as the engine needs them, with their template's state and uses.

        A code that does not exist and another customer's coupon answer alike (no oracle for codes)."""
        if not codes:
            return ()
        items = []
        for index, code in enumerate(codes):
            item = inputs.coupons.get(code)
            if item is None or (item.ownerId is not None and item.ownerId != customer_id):
                raise CouponNotApplicable(CouponReason.NOT_FOUND, index=index, code=code)
            if item.status == COUPON_USED:
                raise CouponNotApplicable(CouponReason.USED, index=index, code=code)
            if item.status != COUPON_AVAILABLE:
                raise CouponNotApplicable(CouponReason.DISABLED, index=index, code=code)
            items.append(item)
        coupons = []
        for index, (item, coupon) in enumerate(zip(items, self._with_template_state(items, customer_id), strict=True)):
            if coupon is None:
                raise CouponNotApplicable(CouponReason.DISABLED, index=index, code=item.code)
            coupons.append(coupon)
        return tuple(coupons)

    def _with_template_state(self, items: list[CouponRecord], customer_id: str) -> list[Coupon | None]:
        """Each coupon with its template's uses (overall and by this customer); None when the template
        has been withdrawn. One read for all of them."""
        state = self.repository.read_coupon_state([item.templateId for item in items], customer_id)
        return [
            coupon_domain(
                item,
                uses_total=state.template_used.get(item.templateId, 0),
                uses_by_customer=state.customer_used.get(item.templateId, 0),
            )
            if state.template_status.get(item.templateId) == TEMPLATE_ACTIVE
            else None
            for item in items
        ]

    @staticmethod
    def _points(inputs: CheckoutInputs, request: PricingRequest, currency: str | None) -> PointsUse | None:
        rules = inputs.points_rules.get(currency) if currency else None
        if rules is None:
            if request.points not in (None, 0):
                raise InvalidRequest(
                    f"there is no points programme for {currency}", field="points", reason="points-unavailable"
                )
            return None
        requested = 0 if request.points is None else (None if request.points == "max" else request.points)
        return PointsUse(rules, inputs.points_available, requested)

    # ---------------------------------------------------------------- quote
    def quote(
        self,
        actor: Actor,
        cart: list[CartLine],
        request: PricingRequest | None = None,
        destination: Destination | None = None,
    ) -> dict[str, Any]:
        """The checkout's price without placing anything (no stock, coupon or points taken); `destination`
        picks the freight templates' rules (None: their catch-all rules)."""
        request = request or PricingRequest()
        lines = merge_cart(cart)
        inputs = self._read(actor.subject, lines, request, None)
        try:
            priced, _ = self._price(actor.subject, lines, inputs, request, destination=destination)
        except ShippingRegionExcluded as excluded:
            excluded.extensions["field"] = "destination"  # a quote names where it ships with `destination`
            raise
        return quote_view(priced)

    def preview(
        self,
        customer_id: str,
        cart: list[CartLine],
        request: PricingRequest | None = None,
        *,
        manual: ManualDiscount | None = None,
        adjust: Callable[[CheckoutInputs], CheckoutInputs] | None = None,
        coupons_of: Callable[[CheckoutInputs], tuple[Coupon, ...]] | None = None,
        shipping_address: dict[str, Any] | None = None,
        cross_border_year: int | None = None,
    ) -> tuple[PricedOrder, CheckoutInputs, tuple[ChildOrder, ...]]:
        """Price a cart for `customer_id` exactly as `place` would, and split it, writing nothing: a manual
        order's dry run, an edited order's new price. `adjust` changes what was read (an edit counts back the
        points and balance its order holds); `coupons_of` gives the coupons instead of the request's codes
        (an edit re-checks the ones its order took); `cross_border_year`: the customer's yearly cross-border
        allowance of that year is read too (`inputs.cross_border_used`)."""
        request = request or PricingRequest()
        lines = merge_cart(cart)
        inputs = self._read(customer_id, lines, request, None, cross_border_year=cross_border_year)
        if adjust is not None:
            inputs = adjust(inputs)
        where = Destination.of_address(shipping_address)
        priced, _ = self._price(customer_id, lines, inputs, request, manual, coupons_of, where)
        return priced, inputs, self._split(priced, inputs)

    def coupon_options(
        self, actor: Actor, cart: list[CartLine], destination: Destination | None = None
    ) -> dict[str, Any]:
        """For a coupon picker: each of the shopper's unused coupons tried alone on this cart — whether it
        applies, what it would save, and why not. Nothing is reserved."""
        lines = merge_cart(cart)
        codes = tuple(self.repository.available_coupon_codes(actor.subject))
        inputs = self._read(actor.subject, lines, PricingRequest(coupons=codes), None)
        items = [inputs.coupons[code] for code in codes if code in inputs.coupons]
        usable, options = [], {}
        for item, coupon in zip(items, self._with_template_state(items, actor.subject), strict=True):
            if coupon is None:
                options[item.code] = _option(item.code, CouponReason.DISABLED, None)
            else:
                usable.append(coupon)
        checks = check_coupons(
            lines,
            inputs.skus,
            inputs.policies,
            now=self.clock(),
            coupons=usable,
            promotions=inputs.promotions,
            customer_id=actor.subject,
            sku_terms=inputs.terms,
            member=inputs.member_tier,
            destination=destination,
        )
        for check in checks:
            options[check.code] = _option(check.code, check.reason, check.discount)
        ordered = [options[item.code] for item in items]
        ordered.sort(key=lambda o: (not o["applicable"], -(o["saves"] or {"amount": 0})["amount"]))
        return {"items": ordered}

    # ---------------------------------------------------------------- checkout
    def checkout(
        self,
        actor: Actor,
        cart: list[CartLine],
        *,
        shipping_address: dict[str, Any] | None,
        note: str | None,
        idempotency_key: str,
        fingerprint: str,
        request: PricingRequest | None = None,
        shipping_address_id: str | None = None,
        device: str | None = None,
        billing_country: str | None = None,
    ) -> CheckoutResult:
        """Price from stored prices and rules and place the order in one transaction; the address is the
        one given, or the caller's saved `shipping_address_id` (read with the prices: 422 when it is not
        one of theirs).

        AWS calls on the success path: one BatchGetItem (two with coupons) and one TransactWriteItems; risk
        control's rows are read by the first and its counters written by the second.
        The payment timer is armed from the committed data (the OrderPlaced outbox row in the table's
        stream), and the deadline index lets the sweeper find the order even if that fails: once the
        transaction has committed, the answer is 201 whatever happens to the timer.
        """
        return self.place(
            actor,
            actor.subject,
            cart,
            shipping_address=shipping_address,
            note=note,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            request=request,
            shipping_address_id=shipping_address_id,
            device=device,
            billing_country=billing_country,
        )

    def place(
        self,
        actor: Actor,
        customer_id: str,
        cart: list[CartLine],
        *,
        shipping_address: dict[str, Any] | None,
        note: str | None,
        idempotency_key: str,
        fingerprint: str,
        request: PricingRequest | None = None,
        shipping_address_id: str | None = None,
        manual: ManualDiscount | None = None,
        extra: PlaceExtra | None = None,
        device: str | None = None,
        billing_country: str | None = None,
    ) -> CheckoutResult:
        """The one placing path: the shopper's checkout (`customer_id` is the actor) and a manual order staff
        place for `customer_id` (oms.services.manual_orders: `manual` discount, `extra` rows in the same
        transaction). The Idempotency-Key is the actor's."""
        request = request or PricingRequest()
        lines = merge_cart(cart)
        # Risk control's rows (blacklists, counters, settings) ride on the same read (oms.services.risk). A
        # manual order is placed by staff for the customer: it is screened by the staff who place it, not here.
        screened = self.risk is not None and extra is None
        probe = None
        if self.risk is not None and screened and (shipping_address is not None or shipping_address_id is None):
            # No address at all (virtual goods only): the shopper, IP and device are still screened.
            address = shipping_address or {}
            probe = self.risk.checkout_probe(actor, address, device, with_coupons=bool(request.coupons))
        extra_keys = () if probe is None else probe.keys
        year = customs_year(self.clock())  # the customs year of the allowance read and charged
        inputs = self._read(
            customer_id, lines, request, (actor.subject, idempotency_key), shipping_address_id, extra_keys, year
        )
        risk_rows = inputs.extra
        replayed = replay(inputs.stored_response, fingerprint)
        if replayed is not None:
            status_code, body, _ = replayed
            return CheckoutResult(status_code, body, replayed=True)
        if shipping_address_id is not None:
            if inputs.saved_address is None:
                raise UnknownAddress(f"address {shipping_address_id} is not one of your saved addresses")
            shipping_address = inputs.saved_address
            if self.risk is not None and screened:
                # A saved address is known only once read: its risk rows (the address's blacklist entry and
                # accounts) take one more read on this path.
                probe = self.risk.checkout_probe(actor, shipping_address, device, with_coupons=bool(request.coupons))
                risk_rows = self.risk.probe_rows(probe)

        where = Destination.of_address(shipping_address)
        priced, coupons = self._price(customer_id, lines, inputs, request, manual, destination=where)
        virtual_only = all(
            inputs.logistics.get(line.sku_id, (HandlingClass.NORMAL, False))[0] is HandlingClass.VIRTUAL
            for line in lines
        )
        if shipping_address is None and not virtual_only:
            raise InvalidRequest("a shipping address is needed", field="shippingAddress")
        if extra is not None:
            extra.check(priced)
        refuse_shortages(priced, inputs.available)
        screen = None  # risk control: blacklists, rate and amount limits, the rules' verdict
        if self.risk is not None and probe is not None:
            screen = self.risk.screen_checkout(probe, risk_rows, total=priced.total, billing_country=billing_country)

        now = self.clock()
        at = to_rfc3339(now)
        order_id = new_id()
        timeout = (
            self.payment_timeout_seconds if extra is None else extra.deadline_seconds or self.payment_timeout_seconds
        )
        deadline = to_rfc3339_seconds(deadline_after(now, timeout))
        created = StatusChange(None, OrderStatus.PENDING_PAYMENT, actor, at, "order placed")
        paid = None
        if priced.total.is_zero():
            reason = "paid at checkout (balance, points and discounts cover the order)"
            paid = StatusChange(OrderStatus.PENDING_PAYMENT, OrderStatus.PAID, actor, at, reason)
        benefits = CheckoutBenefits(
            coupons=coupons,
            coupon_index={code: index for index, code in enumerate(request.coupons)},
            points_debited=priced.points.debited,
            balance=priced.balance if priced.balance.amount else None,
        )
        children = self._split(priced, inputs)
        parcels, quota = self.limits_of(priced, inputs, children, year, inputs.cross_border_used)
        for _attempt in range(3):
            record = self.repository.build_order(
                order_id=order_id,
                order_number=new_order_number(now),
                customer_id=customer_id,
                priced=priced,
                shipping_address=shipping_address,
                note=note,
                created=created,
                payment_deadline=deadline,
                stock_policies=inputs.stock_policies,
                benefits=benefits.recorded(customer_id, priced.points.earned),
                paid=paid,
                children=children,
                risk=None if screen is None else screen.verdict,
                email=actor.email if customer_id == actor.subject else None,
                parcels=parcels,
                cross_border_quota=quota,
            )
            more = None if extra is None else extra.prepare(record, at)
            body = order_view(record)
            summary = order_summary(record.header)
            facts = line_facts(record)
            placed = [events.order_placed(summary, line_count=len(record.lines), lines=facts)]
            if record.header.status == OrderStatus.PAID.value:  # balance and points covered it at checkout
                placed.append(events.order_paid(summary, method="checkout", payment_attempts=0, lines=facts))
            if extra is not None:
                placed += extra.events(record)
            try:
                self.repository.place_order(
                    record,
                    IdempotencyRecord(actor.subject, idempotency_key, fingerprint, 201),
                    body,
                    placed,
                    benefits,
                    _both(more, None if screen is None else screen.add),
                )
                break
            except OrderNumberTaken:
                continue
            except TransactionCancelled as cancelled:
                if screen is not None:
                    screen.explain(cancelled)  # a limit a racing checkout reached first
                raise
        else:
            raise RuntimeError("could not allocate a unique order number")
        return CheckoutResult(201, body, replayed=False)

    # ---------------------------------------------------------------- reads
    def _visible_order(self, actor: Actor, order_id: str, asked_for: str | None = None) -> OrderRecord:
        """Object-level authorization in one place: staff see any order, customers their own.
        Anyone else gets the same 404 as for a missing order (no existence oracle). `asked_for` is the id
        the client used when it is not the order's own (a child order id)."""
        missing = NotFound(f"order {asked_for or order_id} not found")
        record = self.repository.get_order(order_id)
        if record is None:
            raise missing
        if may_see_order(actor, record.header.customerId, record.header.storeIds):
            return record
        raise missing

    def get(self, actor: Actor, order_id: str) -> dict[str, Any]:
        """An order, or one of its child orders (`<orderId>-<nn>`: order ids never contain a dash) with
        its parent's summary; a child is visible to whom its order is."""
        parsed = keys.parse_child_id(order_id)
        if parsed is not None:
            record = self._visible_order(actor, parsed[0], asked_for=order_id)
            child = record.child(parsed[1])
            if child is None or not (in_scope(actor, child.storeId) or owns(actor, record.header.customerId)):
                raise NotFound(f"order {order_id} not found")
            view = child_view(child, record.header.status, record.shipments)
            return {**view, "orderId": record.header.orderId, "parent": order_summary(record.header)}
        record = self._visible_order(actor, order_id)
        view = scoped_order_view(actor, {**order_view(record), "payment": payment_summary(record)})
        # Contact details masked for roles that do not need them; an unmasked read by staff is logged.
        return PersonalDataService(self.repository.get_order, self.clock).shown(actor, record.header, view)

    def list(
        self,
        actor: Actor,
        search: SearchParams | None = None,
        *,
        limit: int | None,
        cursor: str | None,
    ) -> Page[dict[str, Any]]:
        """Staff search every order by any filters (`OrderSearch`, store-scoped for merchant staff); a
        customer lists their own orders, with no filter."""
        search = search or SearchParams()
        if actor.can(Permission.ORDER_READ_ANY) or store_scope(actor) is not None:
            from oms.store.order_search import contact_secret

            query = build_query(search, actor, self.clock(), contact_secret())
            found = self.search.search(query, clamp_limit(limit), cursor)
            return Page([_listed(header) for header in found.items], found.next_cursor)
        if actor.can(Permission.ORDER_READ_OWN):
            if search.given:
                raise InvalidRequest("filters are for staff; customers list their own orders", field="status")
            return self.repository.list_customer_orders(actor.subject, limit, cursor).map(_listed)
        return Page([], None)

    def get_by_number(self, actor: Actor, order_number: str) -> dict[str, Any]:
        """The order with this number, as `get` answers it (visible to whom the order is)."""
        order_id = self.search.by_number(order_number)
        try:
            if order_id is None:
                raise NotFound(f"order {order_number} not found")
            return self.get(actor, order_id)
        except NotFound as missing:  # the same answer as for a number no order has (no id leaks)
            raise NotFound(f"order {order_number} not found") from missing

    # ---------------------------------------------------------------- cancel
    def cancel(self, actor: Actor, order_id: str, note: str | None) -> dict[str, Any]:
        """An unpaid order is cancelled as a whole here; a child order, or a paid order that ships as
        children, goes to the fulfilment side (`paid_cancel`), which cancels what has not shipped."""
        if self.paid_cancel is not None and keys.parse_child_id(order_id) is not None:
            return self.paid_cancel(actor, order_id, None, note)
        for attempt in range(CANCEL_ATTEMPTS):
            record = self._visible_order(actor, order_id)
            if cancelled_by(record, actor, note):
                return order_view(record)  # this very cancel, retried after its answer was lost
            if self.paid_cancel is not None and record.status in PAID_CANCEL_STATES and record.children:
                return self.paid_cancel(actor, order_id, record, note)
            check_cancel(actor, record.status, owns_order=owns(actor, record.header.customerId))
            check_cancel_held(record.status, Hold.of(record.header.hold))
            reason = (
                CancelReason.STAFF_DECISION if actor.can(Permission.ORDER_CANCEL_ANY) else CancelReason.CUSTOMER_REQUEST
            )
            try:
                return order_view(self._cancel(record, actor, reason, note))
            except StaleOrder:
                # Paid (or otherwise moved) meanwhile: decide again on what it is now.
                if attempt == CANCEL_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def _cancel(self, record: OrderRecord, actor: Actor, reason: CancelReason, note: str | None) -> OrderRecord:
        """ONE transaction (the repository's cancel, with refunds of any money the order received); then
        the money side after the commit: refunds at the providers, open attempts closed there."""
        now = to_rfc3339(self.clock())
        change = StatusChange(record.status, OrderStatus.CANCELLED, actor, now, reason.value)
        cancellation = cancellation_record(actor, reason, note, now)
        refunds = self.cancel_money.cancel_refunds(record, actor, now) if self.cancel_money else None
        event = events.order_cancelled(order_summary(record.header), change.to_status, cancellation=cancellation)
        more = leaving_review(record, refunds)  # a held order in risk review leaves its queue
        cancelled = self.repository.cancel(record, change, cancellation, event, more)
        open_attempts = any(a.status != "SUCCEEDED" and a.method != "balance" for a in record.payments)
        if self.cancel_money is not None and (refunds is not None or open_attempts):
            self.cancel_money.after_cancel(record.header.orderId)
        return cancelled

    # ---------------------------------------------------------------- completion
    def confirm_receipt(self, actor: Actor, order_id: str) -> dict[str, Any]:
        """The shopper confirms a delivered order: it completes and its points are credited."""
        record = self._visible_order(actor, order_id)
        if not owns(actor, record.header.customerId):
            raise Forbidden("only the shopper confirms receipt of their order")
        if receipt_confirmed_by(record, actor, RECEIPT_CONFIRMED):
            return order_view(record)  # this very confirmation, retried after its answer was lost
        return order_view(self.complete(record, actor, RECEIPT_CONFIRMED))

    def complete(self, record: OrderRecord, actor: Actor, reason: str) -> OrderRecord:
        """DELIVERED → COMPLETED (shopper's confirmation, or the auto-confirm timer) with the points earned."""
        check_transition(record.status, OrderStatus.COMPLETED)
        change = StatusChange(record.status, OrderStatus.COMPLETED, actor, to_rfc3339(self.clock()), reason)
        earned = Benefits.of(record.header.benefits).points_earned
        event = events.order_completed(order_summary(record.header), points_earned=earned)
        return self.repository.complete(record, change, event)

    # ---------------------------------------------------------------- payment timeout
    def expire(self, order_id: str) -> TimerOutcome:
        """Called by the payment-timeout workflow at the deadline, and by the sweeper for an order whose
        timer was lost. Cancels only an order that is still PENDING_PAYMENT and due; anything else is
        left exactly as it is."""
        record = self.repository.get_order(order_id)
        if record is None:
            return TimerOutcome(TimerResult.SKIPPED, order_id, None)
        deadline = record.header.paymentDeadline
        if record.status is not OrderStatus.PENDING_PAYMENT:
            return TimerOutcome(TimerResult.SKIPPED, order_id, record.status.value, deadline)
        if self.clock() < parse_rfc3339(deadline):
            # The deadline moved (e.g. a bank transfer under review): the workflow waits again.
            return TimerOutcome(TimerResult.NOT_DUE, order_id, record.status.value, deadline)
        check_transition(record.status, OrderStatus.CANCELLED)
        try:
            cancelled = self._cancel(record, Actor.system("payment-timeout"), CancelReason.PAYMENT_TIMEOUT, None)
        except StaleOrder:
            # Paid (or otherwise moved) between our read and our write: nothing to do.
            current = self.repository.get_order(order_id)
            status = current.status.value if current else None
            return TimerOutcome(TimerResult.SKIPPED, order_id, status, deadline)
        return TimerOutcome(TimerResult.CANCELLED, order_id, cancelled.status.value, deadline)


def refuse_shortages(priced: PricedOrder, available: dict[str, int]) -> None:
    """409 naming each SKU the read found short of what the priced order needs (nothing is written)."""
    shortages = [
        {"skuId": line.sku_id, "requested": line.quantity, "available": available.get(line.sku_id, 0)}
        for line in priced.lines
        if available.get(line.sku_id, 0) < line.quantity
    ]
    if shortages:
        raise InsufficientStock(shortages)


def _both(
    first: Callable[[Transaction], None] | None, second: Callable[[Transaction], None] | None
) -> Callable[[Transaction], None] | None:
    """One `more` of a placing transaction from two (a manual order's rows, risk control's counters)."""
    if first is None or second is None:
        return first or second

    def add(tx: Transaction) -> None:
        first(tx)
        second(tx)

    return add


def _option(code: str, reason: CouponReason | None, saves: Money | None) -> dict[str, Any]:
    return {
        "code": code,
        "applicable": reason is None,
        "reason": None if reason is None else reason.value,
        "saves": None if saves is None else saves.to_dict(),
    }


def _listed(header: HeaderRecord) -> dict[str, Any]:
    """An order in a listing: its summary, and when and how it was paid (seed 000's list columns)."""
    paid = {"paidAt": header.paidAt, "paymentMethod": header.paidWith} if header.paidAt else {}
    return {**order_summary(header), **paid}
