"""Order repository: checkout reads, the checkout and cancel transactions, order reads and lists."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.update import Action

from oms.domain.benefits import Benefits
from oms.domain.catalog import ShippingPolicy, Sku, StockPolicy
from oms.domain.clock import parse_rfc3339
from oms.domain.errors import Conflict, InsufficientStock, InvalidRequest
from oms.domain.events import OutboxEvent
from oms.domain.fulfilment import ChildStatus
from oms.domain.holds import Hold
from oms.domain.ids import new_id
from oms.domain.ledger import PostingKind, balance_account, cancellation, order_account, transfer
from oms.domain.membership import MemberTier, MemberTiers
from oms.domain.money import Money, total
from oms.domain.order import OrderStatus, StatusChange
from oms.domain.order_pricing import PricedOrder, SkuTerms
from oms.domain.order_search import distinct
from oms.domain.parcels import CarrierSettings, CrossBorderYearlyLimitExceeded
from oms.domain.promotions import Coupon, CouponNotApplicable, CouponReason, PointsRules, Promotion
from oms.domain.splitting import ChildOrder, HandlingClass
from oms.domain.stock import MovementKind, StockMove
from oms.store import keys
from oms.store.accounts import address_of
from oms.store.audit import STATUS_CHANGE, audit_index
from oms.store.catalog import policies_from_directory, sku_domain, sku_terms, stock_policies_from_directory
from oms.store.cross_border import add_quota_release, add_quota_take, child_share, quota_used, used_of
from oms.store.due import due_entry, due_index_actions
from oms.store.ledger import add_balance_change, add_postings
from oms.store.models import (
    BalanceAccountItem,
    CaseItem,
    ChildOrderItem,
    CouponItem,
    CouponTemplateItem,
    CouponUseItem,
    CrossBorderQuotaItem,
    IdempotencyItem,
    Item,
    LedgerLineItem,
    OrderEventItem,
    OrderFlagItem,
    OrderItem,
    OrderLineItem,
    OrderNoteItem,
    OrderNumberItem,
    OutboxItem,
    PaymentAttemptItem,
    PointsAccountItem,
    PricingSettingsItem,
    PromotionDirectoryItem,
    RefundItem,
    ShipmentItem,
    SkuItem,
    StockItem,
    StoreDirectoryItem,
)
from oms.store.order_search import checkout_paid_with, contact_keys, line_entries, order_number_item, paid_item
from oms.store.pages import Page, clamp_limit, decode_cursor, encode_cursor
from oms.store.pricing import (
    COUPON_AVAILABLE,
    TEMPLATE_ACTIVE,
    CouponTaken,
    FxSettings,
    add_coupons_return,
    add_coupons_take,
    add_points_change,
    coupon_taken,
    fx_from_settings,
    member_tiers_from_settings,
    points_rules_from_settings,
    promotions_from_directory,
)
from oms.store.records import (
    BalanceRecord,
    ChildRecord,
    CouponRecord,
    HeaderRecord,
    IdempotencyRecord,
    LineRecord,
    MoneyRecord,
    OrderRecord,
    StoredResponse,
)
from oms.store.rows import (
    attempt_record,
    balance_record,
    case_record,
    child_record,
    coupon_record,
    event_record,
    flag_record,
    header_record,
    item_of,
    ledger_line_record,
    line_record,
    note_record,
    refund_record,
    shipment_record,
)
from oms.store.stock import add_stock_update, mover
from oms.store.transactions import Part, Transaction, TransactionCancelled

IDEMPOTENCY_TTL = timedelta(hours=24)
MAX_TRANSACTION_ITEMS = 100  # DynamoDB's limit for one TransactWriteItems
COUPON_PARTS = (Part.COUPON, Part.TEMPLATE, Part.COUPON_USE)
MAX_COUPON_OPTIONS = 50  # coupons a picker weighs at once (one BatchGetItem of them)
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
class CheckoutInputs:
    skus: dict[str, Sku]
    available: dict[str, int]
    policies: dict[str, ShippingPolicy]
    stored_response: StoredResponse | None
    stock_policies: dict[str, StockPolicy] = field(default_factory=dict)
    terms: dict[str, SkuTerms] = field(default_factory=dict)
    promotions: list[Promotion] = field(default_factory=list)
    points_rules: dict[str, PointsRules] = field(default_factory=dict)
    fx: FxSettings = field(default_factory=lambda: fx_from_settings(None))
    coupons: dict[str, CouponRecord] = field(default_factory=dict)
    points_available: int = 0
    balance: BalanceRecord | None = None
    logistics: dict[str, tuple[HandlingClass, bool]] = field(default_factory=dict)  # sku -> handling, cross-border
    saved_address: dict[str, Any] | None = None  # the caller's saved address checkout was asked to ship to
    extra: list[Any] = field(default_factory=list)  # the rows of `extra_keys` (risk control's: oms.store.risk)
    member_tiers: MemberTiers = field(default_factory=MemberTiers)  # the configured member tiers
    points_earned_total: int = 0  # the customer's lifetime points earned: what their tier follows

    @property
    def member_tier(self) -> MemberTier | None:
        return self.member_tiers.tier_for(self.points_earned_total)

    carriers: CarrierSettings = field(default_factory=lambda: CarrierSettings.from_dict(None))
    cross_border_used: int = 0  # what the customer used of the year's cross-border allowance (CNY minor units)


@dataclass(frozen=True)
class CouponState:
    """What the coupon templates of a checkout say now: status and uses, overall and by this customer."""

    template_status: dict[str, str]
    template_used: dict[str, int]
    customer_used: dict[str, int]


@dataclass(frozen=True)
class CheckoutBenefits:
    """What a checkout takes besides stock: coupons, points, balance."""

    coupons: tuple[Coupon, ...] = ()
    coupon_index: dict[str, int] = field(default_factory=dict)  # code -> position in the request
    points_debited: int = 0
    balance: Money | None = None

    def recorded(self, customer_id: str, points_earned: int) -> Benefits:
        """What the order records of them (given back by a cancel)."""
        return Benefits.at_checkout(
            customer_id,
            coupons=[coupon_taken(coupon).to_dict() for coupon in self.coupons],
            points_debited=self.points_debited,
            balance=self.balance,
            points_earned=points_earned,
        )


class OrderTooLarge(InvalidRequest):
    slug = "order-too-large"
    title = "The order is too large for one checkout"


def add_order_move(
    tx: Transaction,
    header: HeaderRecord,
    change: StatusChange,
    event: OutboxEvent,
    *,
    more: Sequence[Action] = (),
    payment_deadline: str | None = None,
    hold: Hold | None = None,
    clear_hold: bool = False,
) -> None:
    """Move the order (conditional on status and version) with its history event and the outbox row
    of `event`; `payment_deadline` gives the order a new one (an order that awaits payment again);
    `hold` records why it goes ON_HOLD, `clear_hold` forgets it on release."""
    version = int(header.version)
    actions = [
        *more,
        *([OrderItem.hold.set(hold.to_dict())] if hold is not None else []),
        *([OrderItem.hold.remove()] if clear_hold else []),
        *([OrderItem.paymentDeadline.set(payment_deadline)] if payment_deadline else []),
        OrderItem.status.set(change.to_status.value),
        OrderItem.GSI3PK.set(keys.orders_by_status_gsi3(change.to_status.value)),
        *due_index_actions(change.to_status, header, payment_deadline=payment_deadline),
        OrderItem.updatedAt.set(change.at),
        OrderItem.version.set(version + 1),
    ]
    if change.to_status is OrderStatus.PAID:
        actions.append(OrderItem.cancellation.remove())
    tx.update(
        Part.ORDER,
        OrderItem(keys.order_pk(header.orderId), keys.ORDER_META),
        actions,
        (OrderItem.status == header.status) & (OrderItem.version == version),
    )
    tx.put(Part.EVENT, event_item(header.orderId, change))
    add_event(tx, header.orderId, event, change.at)


def new_child(
    order_id: str,
    child: ChildOrder,
    currency: str,
    now: str,
    *,
    queued: bool,
    parcels: list[dict[str, Any]] | None = None,
) -> ChildRecord:
    """A child order; `queued` puts it in its warehouse's list (only paid children are work to do);
    `parcels`: its parcels under its carrier's weight limit (oms.domain.parcels.plan_parcels)."""
    data = child.to_dict()
    return ChildRecord(
        childId=keys.child_id(order_id, child.child_no),
        orderId=order_id,
        childNo=child.child_no,
        storeId=child.store_id,
        warehouseId=child.warehouse_id,
        handling=child.handling.value,
        crossBorder="true" if child.cross_border else "false",
        parts=data["parts"],
        total=MoneyRecord(child.total(), currency),
        status=ChildStatus.AWAITING_SHIPMENT.value,
        shipped={},
        releasedAt=None,
        cancellation=None,
        createdAt=now,
        updatedAt=now,
        version=1,
        queued=queued,
        parcels=parcels,
    )


def _child_item(child: ChildRecord) -> ChildOrderItem:
    """The row of a new child order (in its warehouse's list, at its creation, when queued)."""
    return item_of(
        ChildOrderItem,
        child,
        keys.order_pk(child.orderId),
        keys.child_sk(int(child.childNo)),
        GSI1PK=keys.warehouse_children_gsi1(child.warehouseId) if child.queued else None,
        GSI1SK=f"{child.createdAt}#{child.childId}" if child.queued else None,
    )


def add_children_to_warehouse_queues(tx: Transaction, record: OrderRecord, now: str) -> None:
    """Payment makes the children work for their warehouses: they enter the warehouse lists."""
    for child in record.children:
        if child.queued:
            continue
        tx.update(
            (Part.CHILD, int(child.childNo)),
            ChildOrderItem(keys.order_pk(child.orderId), keys.child_sk(int(child.childNo))),
            [
                ChildOrderItem.GSI1PK.set(keys.warehouse_children_gsi1(child.warehouseId)),
                ChildOrderItem.GSI1SK.set(f"{now}#{child.childId}"),
            ],
        )


def add_benefits_return(tx: Transaction, header: HeaderRecord, now: str) -> None:
    """A cancelled order gives back what its checkout took: coupons (uses uncounted), points, balance.

    Runs inside the cancel transaction, so it happens exactly once with the status change."""
    benefits = Benefits.of(header.benefits)
    if not benefits or benefits.returned:
        return
    customer_id = header.customerId
    taken = [CouponTaken.from_dict(data) for data in benefits.coupons]
    add_coupons_return(tx, taken, customer_id, header.orderId, now)
    debited = benefits.points_debited
    if debited:
        add_points_change(
            tx,
            customer_id,
            debited,
            kind="return",
            order_id=header.orderId,
            reason=f"order {header.orderNumber} cancelled",
            by="system",
            now=now,
        )
    money = benefits.balance
    if money is not None:
        add_balance_change(tx, customer_id, money.amount, money.currency, now)
        add_postings(
            tx,
            [
                transfer(
                    PostingKind.REFUND,
                    order_account(header.orderId),
                    balance_account(customer_id),
                    money,
                    "balance returned: order cancelled",
                )
            ],
            now,
            pk=keys.order_pk(header.orderId),
            order_id=header.orderId,
            payment_id=None,
            by="system",
        )


def add_cancellation(tx: Transaction, header: HeaderRecord, value: Money, now: str, memo: str) -> None:
    """The ledger posting of a cancel: the order (or a child of it) is owed `value` less."""
    if value.amount:
        add_postings(
            tx,
            [cancellation(header.orderId, value, memo)],
            now,
            pk=keys.order_pk(header.orderId),
            order_id=header.orderId,
            payment_id=None,
            by="system",
        )


def event_item(order_id: str, change: StatusChange) -> OrderEventItem:
    """A status change, with the request that made it; a staff member's is indexed like an audit entry
    (`oms.store.audit.audit_index`), so `GET /audit` finds it without a second row in the transaction."""
    event_id = new_id()
    item = OrderEventItem(
        keys.order_pk(order_id),
        keys.order_event_sk(event_id),
        orderId=order_id,
        fromStatus=change.from_status.value if change.from_status else None,
        toStatus=change.to_status.value,
        by=change.actor.subject,
        role=change.actor.primary_role,
        at=change.at,
        reason=change.reason,
        requestId=change.actor.request_id,
        sourceIp=change.actor.source_ip,
    )
    for name, value in audit_index(change.actor, STATUS_CHANGE, change.at, event_id).items():
        setattr(item, name, value)
    return item


def add_history(tx: Transaction, order_id: str, change: StatusChange, *, key: str) -> None:
    """A line on the order's timeline (`key` tells it apart from the write's other history entries)."""
    tx.put((Part.EVENT, key), event_item(order_id, change))


def add_event(tx: Transaction, order_id: str, event: OutboxEvent, now: str, *, key: str | None = None) -> None:
    """The outbox row of an event (built by the service, `oms.domain.events`), in the change's transaction."""
    tx.put(Part.OUTBOX if key is None else (Part.OUTBOX, key), outbox_item(order_id, event.type, event.detail, now))


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


def _header_item(header: HeaderRecord) -> OrderItem:
    """The row of a new order header, with its entries in the customer's, staff's, status and deadline lists."""
    order_id = header.orderId
    sort_key = keys.created_sort_key(header.createdAt, order_id)
    due = due_entry(OrderStatus(header.status), order_id, payment_deadline=header.paymentDeadline, auto_confirm_at=None)
    return item_of(
        OrderItem,
        header,
        keys.order_pk(order_id),
        keys.ORDER_META,
        GSI1PK=keys.customer_orders_gsi1(header.customerId),
        GSI1SK=f"ORDER#{order_id}",
        GSI2PK=keys.ALL_ORDERS_GSI2,
        GSI2SK=sort_key,
        GSI3PK=keys.orders_by_status_gsi3(header.status),
        GSI3SK=sort_key,
        GSI4PK=due[0] if due else None,
        GSI4SK=due[1] if due else None,
    )


def stored_response(subject: str, key: str) -> StoredResponse | None:
    """The stored answer of an idempotent request (`subject`'s `key`), read consistently; None: a new key."""
    try:
        item = IdempotencyItem.get(*keys.idempotency(subject, key), consistent_read=True)
    except DoesNotExist:
        return None
    return StoredResponse(item.requestHash, int(item.statusCode), json.loads(item.responseBody))


class OrderRepository:
    def read_checkout_inputs(
        self,
        sku_ids: list[str],
        idempotency: tuple[str, str] | None,
        *,
        customer_id: str | None = None,
        coupon_codes: tuple[str, ...] = (),
        with_balance: bool = False,
        address_id: str | None = None,
        extra_keys: Sequence[tuple[str, str]] = (),
        cross_border_year: int | None = None,
    ) -> CheckoutInputs:
        """Everything checkout needs, in one consistent BatchGetItem: SKUs, stock, shipping, promotions,
        points programmes, FX rates, member tiers, carriers, the presented coupons, the customer's points (with
        the lifetime points earned their tier follows), balance and cross-border allowance of
        `cross_border_year`, replay."""
        wanted: list[tuple[str, str]] = [
            keys.STORE_DIRECTORY,
            keys.PROMOTION_DIRECTORY,
            keys.POINTS_SETTINGS,
            keys.FX_SETTINGS,
            keys.MEMBER_TIERS_SETTINGS,
            keys.CARRIER_SETTINGS,
        ]
        for sku_id in sku_ids:
            wanted += [keys.sku(sku_id), keys.stock(sku_id)]
        if idempotency:
            wanted.append(keys.idempotency(*idempotency))
        if customer_id:
            wanted.append(keys.points_account(customer_id))
            if cross_border_year is not None:
                wanted.append(keys.cross_border_quota(customer_id, cross_border_year))
            if with_balance:
                wanted.append((keys.balance_pk(customer_id), keys.BALANCE_ACCOUNT_SK))
        wanted += [keys.coupon(code) for code in dict.fromkeys(coupon_codes)]
        if customer_id and address_id:
            wanted.append(keys.customer_address(customer_id, address_id))  # keyed by the caller: only theirs
        saved_address: dict[str, Any] | None = None
        wanted += [key for key in dict.fromkeys(extra_keys) if key not in wanted]
        extra: list[Any] = []
        skus: dict[str, Sku] = {}
        terms: dict[str, SkuTerms] = {}
        logistics: dict[str, tuple[HandlingClass, bool]] = {}
        available: dict[str, int] = {}
        directory: StoreDirectoryItem | None = None
        promotions: PromotionDirectoryItem | None = None
        settings: dict[str, PricingSettingsItem] = {}
        coupons: dict[str, CouponRecord] = {}
        points = earned = 0
        balance: BalanceRecord | None = None
        stored: StoredResponse | None = None
        cross_border_used = 0
        for item in Item.batch_get(wanted, consistent_read=True):
            if isinstance(item, SkuItem):
                skus[item.skuId] = sku_domain(item)
                terms[item.skuId] = sku_terms(item)
                logistics[item.skuId] = (HandlingClass(item.handling or "normal"), item.crossBorder == "true")
            elif isinstance(item, StockItem):
                available[item.skuId] = int(item.available)
            elif isinstance(item, StoreDirectoryItem):
                directory = item
            elif isinstance(item, PromotionDirectoryItem):
                promotions = item
            elif isinstance(item, PricingSettingsItem):
                settings[item.SK] = item
            elif isinstance(item, CouponItem):
                coupons[item.code] = coupon_record(item)
            elif isinstance(item, PointsAccountItem):
                points, earned = int(item.available), int(item.earned or 0)
            elif isinstance(item, BalanceAccountItem):
                balance = balance_record(item)
            elif isinstance(item, CrossBorderQuotaItem):
                cross_border_used = used_of(item)
            elif isinstance(item, IdempotencyItem):
                stored = StoredResponse(item.requestHash, int(item.statusCode), json.loads(item.responseBody))
            elif (address := address_of(item)) is not None:
                saved_address = address
            else:
                extra.append(item)
        return CheckoutInputs(
            skus,
            available,
            policies_from_directory(directory),
            stored,
            stock_policies_from_directory(directory),
            terms=terms,
            promotions=promotions_from_directory(promotions),
            points_rules=points_rules_from_settings(settings.get(keys.POINTS_SETTINGS[1])),
            fx=fx_from_settings(settings.get(keys.FX_SETTINGS[1])),
            coupons=coupons,
            points_available=points,
            balance=balance,
            logistics=logistics,
            saved_address=saved_address,
            extra=extra,
            member_tiers=member_tiers_from_settings(settings.get(keys.MEMBER_TIERS_SETTINGS[1])),
            points_earned_total=earned,
            carriers=_carriers(settings.get(keys.CARRIER_SETTINGS[1])),
            cross_border_used=cross_border_used,
        )

    def read_coupon_state(self, template_ids: list[str], customer_id: str) -> CouponState:
        """The templates behind the presented coupons and this customer's uses of them: one BatchGetItem,
        made only when coupons are presented."""
        wanted: list[tuple[str, str]] = []
        for tid in dict.fromkeys(template_ids):
            wanted += [keys.coupon_template(tid), keys.coupon_use(tid, customer_id)]
        status: dict[str, str] = {}
        used: dict[str, int] = {}
        mine: dict[str, int] = {}
        for item in Item.batch_get(wanted, consistent_read=True):
            if isinstance(item, CouponTemplateItem):
                status[item.templateId] = item.status
                used[item.templateId] = int(item.used)
            elif isinstance(item, CouponUseItem):
                mine[item.templateId] = int(item.used)
        return CouponState(status, used, mine)

    @staticmethod
    def available_coupon_codes(customer_id: str, limit: int = MAX_COUPON_OPTIONS) -> list[str]:
        """The codes of a customer's unused coupons, newest first (for a coupon picker)."""
        results = Item.gsi1.query(
            keys.customer_coupons_gsi1(customer_id),
            Item.GSI1SK.startswith("COUPON#"),
            filter_condition=CouponItem.status == COUPON_AVAILABLE,
            scan_index_forward=False,
        )
        codes = []
        for item in results:
            if isinstance(item, CouponItem):
                codes.append(item.code)
                if len(codes) == limit:
                    break
        return codes

    @staticmethod
    def template_status(template_id: str) -> str | None:
        try:
            return CouponTemplateItem.get(*keys.coupon_template(template_id), consistent_read=True).status
        except DoesNotExist:
            return None

    def build_order(
        self,
        *,
        order_id: str,
        order_number: str,
        customer_id: str,
        priced: PricedOrder,
        shipping_address: dict[str, Any] | None,
        note: str | None,
        created: StatusChange,
        payment_deadline: str,
        stock_policies: dict[str, StockPolicy] | None = None,
        benefits: Benefits | None = None,
        paid: StatusChange | None = None,
        children: Sequence[ChildOrder] = (),
        risk: dict[str, Any] | None = None,
        email: str | None = None,
        parcels: dict[int, list[dict[str, Any]]] | None = None,
        cross_border_quota: dict[str, Any] | None = None,
    ) -> OrderRecord:
        """The items of a new order, not yet written (so the response can be rendered first).

        The order freezes `priced`: per line and per order. Money columns: `discount` is what
        promotions, coupons and points took off, `total` the order's money total (balance used at
        checkout is a payment toward it, not a discount). `paid` is given when nothing is left to
        pay through a provider: the order is PAID at placement and its stock is sold at once.
        """
        deducts = {s for s, p in (stock_policies or {}).items() if p is StockPolicy.DEDUCT_AT_ORDER}
        now = created.at
        currency = priced.currency
        status = (paid or created).to_status.value
        line_records = []
        for line in priced.lines:
            discount = line.goods_discount + line.shipping_discount + line.points_value
            line_records.append(
                LineRecord(
                    orderId=order_id,
                    lineNo=line.line_no,
                    skuId=line.sku_id,
                    productId=line.product_id,
                    storeId=line.store_id,
                    warehouseId=line.warehouse_id,
                    name=line.name,
                    unitPrice=MoneyRecord.of(line.unit_price),
                    quantity=line.quantity,
                    lineTotal=MoneyRecord.of(line.original),
                    shipping=MoneyRecord.of(line.shipping),
                    discount=MoneyRecord.of(discount),
                    payable=MoneyRecord.of(line.payable + line.balance),
                    stockState=SOLD if paid is not None or line.store_id in deducts else RESERVED,
                    pricing=line.to_dict(),
                )
            )
        pricing = priced.to_dict()
        pricing.pop("lines")  # each line keeps its own
        header = HeaderRecord(
            orderId=order_id,
            orderNumber=order_number,
            customerId=customer_id,
            status=status,
            currency=currency,
            storeIds=list(dict.fromkeys(line.store_id for line in priced.lines)),
            subtotal=MoneyRecord.of(priced.subtotal),
            shipping=MoneyRecord.of(priced.shipping),
            discount=MoneyRecord.of(priced.goods_discount + priced.shipping_discount + priced.points.value),
            total=MoneyRecord.of(total([line.payable.money() for line in line_records], currency)),
            shippingAddress=shipping_address,
            note=note,
            paymentDeadline=payment_deadline,
            cancellation=None,
            pricing=pricing,
            benefits=None if benefits is None else benefits.to_dict(),
            deliveredAt=None,
            autoConfirmAt=None,
            openCases=None,
            createdAt=now,
            updatedAt=now,
            version=1,
            risk=risk,
            skuIds=distinct(line.sku_id for line in priced.lines),
            productIds=distinct(line.product_id for line in priced.lines),
            contactKeys=contact_keys((shipping_address or {}).get("phone"), email),
            crossBorderQuota=cross_border_quota,
        )
        if paid is not None:
            header = replace(header, paidAt=now, paidWith=checkout_paid_with(header))
        events = [event_record(event_item(order_id, created))]
        if paid is not None:
            events.append(event_record(event_item(order_id, paid)))
        child_records = [
            new_child(
                order_id, child, currency, now, queued=paid is not None, parcels=(parcels or {}).get(child.child_no)
            )
            for child in children
        ]
        return OrderRecord(header, line_records, events, children=child_records)

    def place_order(
        self,
        record: OrderRecord,
        idempotency: IdempotencyRecord,
        response_body: dict[str, Any],
        events: Sequence[OutboxEvent],
        benefits: CheckoutBenefits | None = None,
        more: Callable[[Transaction], None] | None = None,
    ) -> None:
        """ONE transaction: reserve every line's stock, take the coupons, points and balance, write
        header, lines, history, the outbox rows of `events`, order-number reservation and the
        idempotency record, and `more` (risk control's counters; a manual order's notes, audit entry, payment
        attempt). All or nothing."""
        header = record.header
        now = header.createdAt
        customer_id = header.customerId
        benefits = benefits or CheckoutBenefits()
        tx = Transaction()
        add_coupons_take(tx, benefits.coupons, customer_id, header.orderId, now)
        if benefits.points_debited:
            add_points_change(
                tx,
                customer_id,
                -benefits.points_debited,
                kind="redeem",
                order_id=header.orderId,
                reason=f"order {header.orderNumber}",
                by=customer_id,
                now=now,
            )
        if benefits.balance is not None and benefits.balance.amount:
            add_balance_change(tx, customer_id, -benefits.balance.amount, benefits.balance.currency, now)
            add_postings(
                tx,
                [
                    transfer(
                        PostingKind.PAYMENT,
                        balance_account(customer_id),
                        order_account(header.orderId),
                        benefits.balance,
                        "balance used at checkout",
                    )
                ],
                now,
                pk=keys.order_pk(header.orderId),
                order_id=header.orderId,
                payment_id=None,
                by=customer_id,
            )
        tx.put(Part.ORDER, _header_item(header), OrderItem.PK.does_not_exist())
        for line in record.lines:
            tx.put(
                (Part.LINE, line.skuId),
                item_of(
                    OrderLineItem,
                    line,
                    keys.order_pk(line.orderId),
                    keys.order_line_sk(int(line.lineNo)),
                    **line_entries(header, line.storeId, line.skuId, line.productId),
                ),
            )
        if header.paidAt is not None and header.paidWith is not None:
            tx.put(Part.PAID, paid_item(header, header.paidWith, header.paidAt))
        for child in record.children:
            tx.put((Part.CHILD, int(child.childNo)), _child_item(child))
        for event in record.events:
            sort_key = keys.order_event_sk(event.eventId)
            tx.put((Part.EVENT, sort_key), item_of(OrderEventItem, event, keys.order_pk(event.orderId), sort_key))
        for n, outbox_event in enumerate(events):
            add_event(tx, header.orderId, outbox_event, now, key=str(n))
        tx.put(Part.ORDER_NUMBER, order_number_item(header), OrderNumberItem.PK.does_not_exist())
        tx.put(
            Part.IDEMPOTENCY,
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
        placed_by = record.events[0].by if record.events else customer_id
        for line in record.lines:
            quantity = int(line.quantity)
            # Reserve (deducted at payment) or deduct now, by the store's stock policy.
            sold_now = line.stockState == SOLD
            taken_stock = StockItem.sold if sold_now else StockItem.reserved
            add_stock_update(
                tx,
                line.skuId,
                [StockItem.available.add(-quantity), taken_stock.add(quantity)],
                StockItem.available >= quantity,
                StockMove(
                    MovementKind.SALE if sold_now else MovementKind.RESERVATION,
                    placed_by,
                    {"orderId": header.orderId},
                    "checkout",
                ),
                now,
            )
        if header.crossBorderQuota:
            add_quota_take(tx, customer_id, header.crossBorderQuota, now)
        if more is not None:
            more(tx)
        if len(tx) > MAX_TRANSACTION_ITEMS:
            raise OrderTooLarge(
                f"this order needs {len(tx)} writes, more than one checkout can make ({MAX_TRANSACTION_ITEMS}):"
                " use fewer lines or coupons",
                field="lines",
            )
        try:
            tx.commit()
        except TransactionCancelled as cancelled:
            self._explain_checkout_failure(cancelled, record, benefits)
            raise

    def _explain_checkout_failure(
        self, cancelled: TransactionCancelled, record: OrderRecord, benefits: CheckoutBenefits
    ) -> None:
        """Turn the failed condition into the error the client should see (same as a sequential check)."""
        if cancelled.failed(Part.IDEMPOTENCY):
            raise IdempotencyKeyInUse(
                "another request with this Idempotency-Key is being processed; retry to get its result"
            ) from cancelled
        short = cancelled.failed(Part.STOCK)
        if short:
            requested = {line.skuId: int(line.quantity) for line in record.lines}
            shortages = []
            for failure in short:
                sku_id = failure.key
                available = int(failure.item["available"]["N"]) if failure.item else self._available(sku_id)
                shortages.append({"skuId": sku_id, "requested": requested[sku_id], "available": available})
            raise InsufficientStock(shortages) from cancelled
        quota = record.header.crossBorderQuota
        if quota and cancelled.failed(Part.CROSS_BORDER):  # a racing checkout of the same customer took it first
            year, amount = int(quota["year"]), int(quota["amount"])
            used = quota_used(record.header.customerId, year)
            limit = Money(int(quota["limit"]), str(quota["currency"]))
            raise CrossBorderYearlyLimitExceeded(year, limit, used, amount) from cancelled
        by_template = {c.template.template_id: c for c in benefits.coupons}
        for failure in cancelled.failed(*COUPON_PARTS):
            kind, key = failure.part, failure.key
            coupon = by_template[key] if kind != Part.COUPON else next(c for c in benefits.coupons if c.code == key)
            if kind == Part.COUPON:
                reason = CouponReason.USED
            elif kind == Part.COUPON_USE:
                reason = CouponReason.CUSTOMER_LIMIT
            elif self.template_status(key) == TEMPLATE_ACTIVE:
                reason = CouponReason.TOTAL_LIMIT
            else:
                reason = CouponReason.DISABLED
            raise CouponNotApplicable(
                reason, index=benefits.coupon_index.get(coupon.code, 0), code=coupon.code
            ) from cancelled
        if cancelled.failed(Part.POINTS):
            raise InvalidRequest(
                f"this order needs {benefits.points_debited} points, fewer are held now",
                field="points",
                reason="points-insufficient",
            ) from cancelled
        if cancelled.failed(Part.BALANCE):
            raise InvalidRequest("not enough balance", field="balance", reason="balance-insufficient") from cancelled
        if cancelled.failed(Part.ORDER_NUMBER):
            raise OrderNumberTaken from cancelled

    @staticmethod
    def _available(sku_id: str) -> int:
        item = StockItem.get(*keys.stock(sku_id), consistent_read=True)
        return int(item.available)

    def get_order(self, order_id: str) -> OrderRecord | None:
        header: HeaderRecord | None = None
        record = OrderRecord(header=None)  # type: ignore[arg-type]
        for item in Item.query(keys.order_pk(order_id), consistent_read=True):
            if isinstance(item, OrderItem):
                header = header_record(item)
            elif isinstance(item, OrderLineItem):
                record.lines.append(line_record(item))
            elif isinstance(item, OrderEventItem):
                record.events.append(event_record(item))
            elif isinstance(item, PaymentAttemptItem):
                record.payments.append(attempt_record(item))
            elif isinstance(item, LedgerLineItem):
                record.ledger.append(ledger_line_record(item))
            elif isinstance(item, RefundItem):
                record.refunds.append(refund_record(item))
            elif isinstance(item, ChildOrderItem):
                record.children.append(child_record(item))
            elif isinstance(item, ShipmentItem):
                record.shipments.append(shipment_record(item))
            elif isinstance(item, CaseItem):
                record.cases.append(case_record(item))
            elif isinstance(item, OrderFlagItem):
                record.flags.append(flag_record(item))
            elif isinstance(item, OrderNoteItem):
                record.notes.append(note_record(item))
        if header is None:
            return None
        record.header = header
        return record

    def list_customer_orders(self, customer_id: str, limit: int | None, cursor: str | None) -> Page[HeaderRecord]:
        partition = keys.customer_orders_gsi1(customer_id)
        results = Item.gsi1.query(
            partition,
            Item.GSI1SK.startswith("ORDER#"),
            scan_index_forward=False,
            limit=clamp_limit(limit),
            last_evaluated_key=decode_cursor(cursor, partition_attr="GSI1PK", partition_value=partition),
        )
        items = [header_record(i) for i in results if isinstance(i, OrderItem)]
        return Page(items, encode_cursor(results.last_evaluated_key))

    def cancel(
        self,
        record: OrderRecord,
        change: StatusChange,
        cancellation: dict[str, Any],
        outbox: OutboxEvent,
        more: Callable[[Transaction], None] | None = None,
    ) -> OrderRecord:
        """ONE transaction: move the order (conditional on status and version), record history and
        outbox, release every line's reserved stock back to available, give back what checkout took,
        book the order's value as cancelled (it is owed nothing any more) and add `more` (refunds of
        money it received)."""
        header = record.header
        now = change.at
        version = int(header.version)
        tx = Transaction()
        if more is not None:
            more(tx)
        add_cancellation(tx, header, header.total.money(), now, "order cancelled")
        event = event_item(header.orderId, change)
        tx.put(Part.EVENT, event)
        add_event(tx, header.orderId, outbox, now)
        tx.update(
            Part.ORDER,
            OrderItem(keys.order_pk(header.orderId), keys.ORDER_META),
            [
                OrderItem.status.set(change.to_status.value),
                OrderItem.GSI3PK.set(keys.orders_by_status_gsi3(change.to_status.value)),
                *due_index_actions(change.to_status, header),
                OrderItem.cancellation.set(cancellation),
                *([OrderItem.hold.remove()] if header.hold else []),  # a held order's cancel ends its hold
                *(
                    [OrderItem.benefits.set(Benefits.of(header.benefits).given_back().to_dict())]
                    if header.benefits
                    else []
                ),
                OrderItem.updatedAt.set(now),
                OrderItem.version.set(version + 1),
            ],
            (OrderItem.status == header.status) & (OrderItem.version == version),
        )
        release = StockMove(MovementKind.RELEASE, mover(change.actor), {"orderId": header.orderId}, "order cancelled")
        for line in record.lines:
            quantity = int(line.quantity)
            held = StockItem.sold if line.stockState == SOLD else StockItem.reserved
            add_stock_update(
                tx, line.skuId, [StockItem.available.add(quantity), held.add(-quantity)], held >= quantity, release, now
            )
        add_benefits_return(tx, header, now)
        if header.crossBorderQuota:  # the yearly allowance it took, given back once with the status change
            # (less what children cancelled on their own gave back already)
            left = sum(
                child_share(header.crossBorderQuota, int(child.childNo))
                for child in record.children
                if child.status != ChildStatus.CANCELLED.value
            )
            add_quota_release(tx, header.customerId, header.crossBorderQuota, left, now)
        for attempt in record.payments:
            # Open payment attempts end with the order; money that still arrives is handled as a late payment.
            if attempt.status in ("CREATED", "PENDING"):
                tx.update(
                    (Part.ATTEMPT, attempt.paymentId),
                    PaymentAttemptItem(keys.order_pk(attempt.orderId), keys.payment_sk(attempt.paymentId)),
                    [
                        PaymentAttemptItem.status.set("EXPIRED"),
                        PaymentAttemptItem.updatedAt.set(now),
                        PaymentAttemptItem.version.set(int(attempt.version) + 1),
                    ],
                    PaymentAttemptItem.status == attempt.status,
                )
        try:
            tx.commit()
        except TransactionCancelled as cancelled:
            if cancelled.failed(Part.ORDER, Part.ATTEMPT, Part.ANOMALY, Part.REFUND):
                raise StaleOrder("the order changed while it was being cancelled; read it again") from cancelled
            raise
        cancelled_header = replace(
            header,
            benefits=Benefits.of(header.benefits).given_back().to_dict() if header.benefits else header.benefits,
            status=change.to_status.value,
            cancellation=cancellation,
            updatedAt=now,
            version=version + 1,
        )
        return OrderRecord(
            cancelled_header,
            record.lines,
            [*record.events, event_record(event)],
            record.payments,
            record.ledger,
            record.refunds,
            record.children,
            record.shipments,
        )

    def complete(self, record: OrderRecord, change: StatusChange, event: OutboxEvent) -> OrderRecord:
        """ONE transaction: DELIVERED → COMPLETED, and the points the order earns credited to the
        customer (once: the credit is marked on the order in the same write)."""
        header = record.header
        benefits = Benefits.of(header.benefits)
        earned = benefits.points_earned
        tx = Transaction()
        more: list[Action] = []
        if earned and not benefits.points_credited:
            add_points_change(
                tx,
                header.customerId,
                earned,
                kind="earn",
                order_id=header.orderId,
                reason=f"order {header.orderNumber} completed",
                by=change.actor.subject,
                now=change.at,
            )
            more.append(OrderItem.benefits.set(benefits.credited().to_dict()))
        for child in record.children:
            if child.status == ChildStatus.DELIVERED.value:
                tx.update(
                    (Part.CHILD, int(child.childNo)),
                    ChildOrderItem(keys.order_pk(child.orderId), keys.child_sk(int(child.childNo))),
                    [
                        ChildOrderItem.status.set(ChildStatus.COMPLETED.value),
                        ChildOrderItem.updatedAt.set(change.at),
                        ChildOrderItem.version.set(int(child.version) + 1),
                        *_settlement_pending(child, change.at),
                    ],
                    ChildOrderItem.version == int(child.version),
                )
        add_order_move(tx, header, change, event, more=more)
        try:
            tx.commit()
        except TransactionCancelled as cancelled:
            if cancelled.failed(Part.ORDER, Part.CHILD):
                raise StaleOrder("the order changed while it was being completed; read it again") from cancelled
            raise
        updated = self.get_order(header.orderId)
        assert updated is not None
        return updated


def _carriers(item: PricingSettingsItem | None) -> CarrierSettings:
    return CarrierSettings.from_dict(None if item is None else item.data)


def _settlement_pending(child: ChildRecord, completed_at: str) -> list[Action]:
    """A completed child waits for its merchant's settlement (GSI2, sparse): not an exchange's replacement,
    whose goods were paid for (and are settled) with the child it replaces."""
    if child.replacementOf is not None:
        return []
    return [
        ChildOrderItem.completedAt.set(completed_at),
        ChildOrderItem.GSI2PK.set(keys.settlement_pending_gsi2(child.childId)),
        ChildOrderItem.GSI2SK.set(f"{completed_at}#{child.childId}"),
    ]
