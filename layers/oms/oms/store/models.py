"""Single-table items. One base model; each item kind is a subclass chosen by the `type` attribute.

Key layout (the full list of access patterns is in docs/data-model.md):

    STORE#<storeId>          META                 store settings
    STORES                   DIRECTORY            shipping policies of every store (read by checkout)
    PRODUCT#<productId>      META                 product              GSI1 PRODUCT#<pid>/#META,
                                                                       GSI2 STORE#<sid>#PRODUCTS/<pid>,
                                                                       GSI3 STORE#<sid>#CATEGORYPRODUCTS/<path><pid>
                                                                       while filed in a category
    STORE#<storeId>          CATEGORY#<cid>       category (parent, path, counts)
    STORE#<storeId>          CATEGORYTREE         how many categories the store has
    SKU#<skuId>              META                 SKU (price...)       GSI1 PRODUCT#<pid>/SKU#<skuId>
    PRODUCT#<productId>      SEARCH / SALES       product search state / sales counter (oms.store.product_search)
    PSEARCH#<scope>#<term>   <price>#<pid>        product search row (GSI1 newest, GSI2 sales, GSI3 relevance)
    PRODUCT#<productId>      IMAGE#<imageId>      product/SKU image    GSI1 PRODUCT#<pid>/IMAGE#<id> (TTL unless READY)
    SKU#<skuId>              STOCK                stock counters
    SKU#<skuId>              STOCK                (GSI2 STORE#<sid>#STOCK/<skuId>)
    SKU#<skuId>              MOVE#<at>#<ulid>     stock movement (GSI3 STOCKMOVEDAY#<day>#<shard>/<at>#<sku>#<id>)
    STOCKTAKE#<id>           STOCKTAKE            stocktake record     GSI2 STORE#<sid>#STOCKTAKES/<at>#<id>
    ORDER#<orderId>          META                 order header         GSI1 CUSTOMER#<sub>/ORDER#<oid>,
                                                                       GSI2 ORDERS/<createdAt>#<oid>,
                                                                       GSI3 ORDERSTATUS#<status>/<createdAt>#<oid>,
                                                                       GSI4 DUE#PAYMENT#<shard>/<deadline>#<oid>
                                                                       while PENDING_PAYMENT, or
                                                                       DUE#CONFIRM#<shard>/<autoConfirmAt>#<oid>
                                                                       while DELIVERED (sparse: else absent)
    ORDER#<orderId>          LINE#<nnn>           order line
    ORDER#<orderId>          EVENT#<ulid>         status change (history); a staff member's is also
                                                                       indexed like an audit entry (GSI1 AUDITBY#,
                                                                       GSI2 AUDITACTION#, GSI3 AUDITDAY#)
    ORDER#<orderId>          OUTBOX#<ulid>        outbox row for the event relay (TTL)
    OUTBOXRELAY#<eventId>    ATTEMPTS             failed relay attempts of one outbox event (TTL)
    ORDERNO#<number>         ORDERNO              reserves a human-readable order number
    IDEMPOTENCY#<sub>#<key>  IDEMPOTENCY          stored response of an idempotent request (TTL)
    ORDER#<orderId>          PAYMENT#<paymentId>  payment attempt (paymentId = orderId + 2-digit sequence)
    ORDER#<orderId>          LEDGER#<posting>#<n> ledger line of a posting about the order
                                                                       GSI2 ACCOUNT#<account>/<at>#<posting>#<n>,
                                                                       GSI3 LEDGERDAY#<day>#<shard>/<at>#<posting>#<n>
    ORDER#<orderId>          REFUND#<refundId>    refund toward the payer
                                                                       GSI4 DUE#REFUND#<shard>/<next try>#<oid>#<rid>
                                                                       while PENDING or PROCESSING
    BALANCE#<customerId>     ACCOUNT              stored-balance counter (conditional debits)
    BALANCE#<customerId>     LEDGER#<posting>#<n> ledger line of a balance adjustment (GSI2 as above)
    INBOX#<provider>#<event> INBOX                provider callback already applied (TTL 90 days)
    ANOMALY#<anomalyId>      META                 abnormal payment case
                                                                       GSI1 ANOMALIES#ORDER#<oid>/<createdAt>,
                                                                       GSI3 ANOMALIES#<status>/<createdAt>#<aid>
    SETTINGS#PAYMENT_CHANNELS STORE#<storeId>     payment channel settings of a store
    AUDIT#<subject>          <at>#<ulid>          audit entry (who changed what)
    SETTINGS#PERSONAL_DATA   RETENTION            data-retention setting and the retention job's progress
    PROMOTIONS               DIRECTORY            every live promotion (read by quote and checkout)
    COUPONTPL#<templateId>   META                 coupon template, use counters    GSI2 COUPONTEMPLATES/<at>#<tid>
    COUPONTPL#<templateId>   USE#<customerId>     one customer's uses of a template (per-customer limit)
    COUPON#<code>            META                 a coupon (issued to a customer, or a public code)
                                                                       GSI1 CUSTOMER#<owner>/COUPON#<issuedAt>#<code>,
                                                                       GSI2 COUPONTPL#<tid>#COUPONS/<code>
    POINTS#<customerId>      ACCOUNT              points counter (conditional debits)
    POINTS#<customerId>      ENTRY#<at>#<ulid>    points ledger entry
    SETTINGS#PRICING         POINTS | FX          points programmes per currency; FX rates to the reporting currency
    ORDER#<orderId>          CHILD#<nn>           child order (what one merchant/warehouse ships)
                                                                       GSI1 WAREHOUSE#<wh>/<createdAt>#<childId>,
                                                                       GSI2 SETTLE#PENDING#<shard>/<completedAt>#<cid>
                                                                       once completed, until settled (sparse)
    SETTLEMENT#<period>      <storeId>#<ulid>     a merchant settlement: the children it pays (with their markers)
    ORDER#<orderId>          SHIPMENT#<ulid>      shipment of a child order, with its tracking timeline
    TRACKING#<carrier>#<no>  TRACKING             reserves a tracking number; points a callback at its shipment
    ORDER#<orderId>          CASE#<caseId>        after-sales case   GSI1 CUSTOMER#<sub>/CASE#<createdAt>#<cid>,
                                                                       GSI2 CASES#<status>/<createdAt>#<cid>,
                                                                       GSI3 STORECASES#<storeId>/<createdAt>#<cid>,
                                                                       GSI4 DUE#CASE#<shard>/<deadline>#<oid>#<cid>
                                                                       while a step with a deadline waits
    CASE#<caseId>            CASE                 points a case id at its order
    CASESTATS                <day>#<reason>#<type> cases opened that day for that reason and type
    EXPORT#<exportId>        META                 export job (state, progress, multipart upload)
                                                                       GSI1 EXPORTS#<createdBy>/<createdAt>#<eid>,
                                                                       GSI2 EXPORTS/<createdAt>#<eid>
    EVIDENCE#<customerId>    DAY#<day>            evidence uploads given that day (TTL)
    REPORT#<type>            <firstDay>#<period>  a published report: its files in ReportsBucket, summary
                                                                       GSI2 REPORTS/<firstDay>#<type>#<period>
    NOTIFY#<userId>          N#<ulid>             in-app notification  GSI1 NOTIFY#<userId>#UNREAD/<ulid> while unread
    NOTIFY#<userId>          UNREAD               unread count of the inbox
    NOTIFY#<userId>          PREFERENCES          a person's notification preferences (locale, opt-outs, contacts)
    NOTIFYEVENT#<eventId>    DELIVERY#<ch>#<user> an email/SMS an event sends (PENDING → SENT; TTL)
    SETTINGS#NOTIFICATIONS   STORE#<storeId>      a store's notification rules (`default`: the platform's)
    ORDER#<orderId>          REMINDER#<deadline>  the payment reminder sent for that deadline
    STATS#<kind>#<scope>#<g> <period>[#<key>]    statistics counters (docs/statistics.md)
    STATSCUSTOMER#<customer> <scope>#<g>#<period> orders a customer placed in that period and scope
"""

from __future__ import annotations

import os
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    DiscriminatorAttribute,
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection
from pynamodb.models import Model

from oms import faults
from oms.domain.money import Money


def _table_name() -> str:
    return os.environ.get("TABLE_NAME", "oms")


class MoneyAttribute(MapAttribute[str, Any]):
    amount = NumberAttribute()
    currency = UnicodeAttribute()

    @classmethod
    def of(cls, money: Money) -> MoneyAttribute:
        return cls(amount=money.amount, currency=money.currency)

    def money(self) -> Money:
        return Money(int(self.amount), self.currency)


class _Gsi1(GlobalSecondaryIndex["Item"]):
    class Meta:
        index_name = "GSI1"
        projection = AllProjection()

    GSI1PK = UnicodeAttribute(hash_key=True)
    GSI1SK = UnicodeAttribute(range_key=True)


class _Gsi2(GlobalSecondaryIndex["Item"]):
    class Meta:
        index_name = "GSI2"
        projection = AllProjection()

    GSI2PK = UnicodeAttribute(hash_key=True)
    GSI2SK = UnicodeAttribute(range_key=True)


class _Gsi3(GlobalSecondaryIndex["Item"]):
    class Meta:
        index_name = "GSI3"
        projection = AllProjection()

    GSI3PK = UnicodeAttribute(hash_key=True)
    GSI3SK = UnicodeAttribute(range_key=True)


class _Gsi4(GlobalSecondaryIndex["Item"]):
    """Sparse deadline index: only orders waiting for a timer have these keys (store/due.py). The type is
    projected because pynamodb filters index queries on it; the sweeper re-reads each order anyway."""

    class Meta:
        index_name = "GSI4"
        projection = IncludeProjection(["type"])

    GSI4PK = UnicodeAttribute(hash_key=True)
    GSI4SK = UnicodeAttribute(range_key=True)


class Item(Model):
    class Meta:
        table_name = _table_name()
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        # botocore standard retries inside one call budget (oms.faults): pynamodb's defaults (15 s to
        # connect, 30 s to answer, 4 attempts) would outlast the function's 15 s.
        connect_timeout_seconds = faults.CONNECT_TIMEOUT_SECONDS
        read_timeout_seconds = faults.READ_TIMEOUT_SECONDS
        max_retry_attempts = faults.MAX_ATTEMPTS - 1

    PK = UnicodeAttribute(hash_key=True)
    SK = UnicodeAttribute(range_key=True)
    type = DiscriminatorAttribute()
    GSI1PK = UnicodeAttribute(null=True)
    GSI1SK = UnicodeAttribute(null=True)
    GSI2PK = UnicodeAttribute(null=True)
    GSI2SK = UnicodeAttribute(null=True)
    GSI3PK = UnicodeAttribute(null=True)
    GSI3SK = UnicodeAttribute(null=True)
    GSI4PK = UnicodeAttribute(null=True)
    GSI4SK = UnicodeAttribute(null=True)
    expiresAt = TTLAttribute(null=True)

    gsi1 = _Gsi1()
    gsi2 = _Gsi2()
    gsi3 = _Gsi3()
    gsi4 = _Gsi4()


# ---------------------------------------------------------------- catalog
class StoreItem(Item, discriminator="Store"):
    storeId = UnicodeAttribute()
    name = UnicodeAttribute()
    currency = UnicodeAttribute()
    shippingFee = MoneyAttribute()
    freeShippingThreshold = MoneyAttribute(null=True)
    stockPolicy = UnicodeAttribute(null=True)  # None: reserve_at_order
    latePaymentPolicy = UnicodeAttribute(null=True)  # None: refund (a payment after the timeout is given back)
    settlementDays = NumberAttribute(null=True)  # None: oms.domain.settlement.DEFAULT_SETTLEMENT_DAYS
    commissionBps = NumberAttribute(null=True)  # None: oms.domain.settlement.DEFAULT_COMMISSION_BPS
    lowStockThreshold = NumberAttribute(null=True)  # the default alert level of its SKUs (None: no alerts)
    version = NumberAttribute()
    updatedAt = UnicodeAttribute()


class StoreDirectoryItem(Item, discriminator="StoreDirectory"):
    """storeId -> {"currency", "shippingFee", "freeShippingThreshold", "stockPolicy"}: what checkout needs
    of every store, in one read. Each store writes only its own entry of `stores` (a DynamoDB map), so
    creating different stores at once never conflicts on this item."""

    stores = MapAttribute(null=True)  # type: ignore[var-annotated]
    # Written as one JSON string (with a version condition) before each store had its own entry; still
    # read, an entry in `stores` winning. Never written again.
    policies = JSONAttribute(null=True)
    version = NumberAttribute(null=True)
    # storeId -> {"v": n, "default": templateId | None, "t": {templateId: FreightTemplate.to_dict()}}: each
    # store's freight templates (oms.store.freight), so checkout prices shipping from this one read.
    freight = MapAttribute(null=True)  # type: ignore[var-annotated]

    def all_policies(self) -> dict[str, dict[str, Any]]:
        own = self.stores.as_dict() if self.stores is not None else {}
        return {**(self.policies or {}), **own}


class ProductItem(Item, discriminator="Product"):
    productId = UnicodeAttribute()
    storeId = UnicodeAttribute()
    name = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    category = UnicodeAttribute(null=True)
    categoryId = UnicodeAttribute(null=True)  # the store's category tree node it is filed under
    categoryPath = UnicodeAttribute(null=True)  # "/<rootId>/<childId>/<leafId>/": its category and their ancestors
    mainImage = JSONAttribute(null=True)  # the main READY image's id and object keys (listings show its thumbnail)
    attributes = JSONAttribute(null=True)
    status = UnicodeAttribute()
    version = NumberAttribute()
    createdAt = UnicodeAttribute()
    updatedAt = UnicodeAttribute()


class CategoryItem(Item, discriminator="Category"):
    """One node of a store's category tree (STORE#<sid>/CATEGORY#<cid>)."""

    categoryId = UnicodeAttribute()
    storeId = UnicodeAttribute()
    name = UnicodeAttribute()
    parentId = UnicodeAttribute(null=True)  # None: a root
    path = UnicodeAttribute()  # "/<rootId>/.../<categoryId>/"
    sortOrder = NumberAttribute()
    childCount = NumberAttribute()
    productCount = NumberAttribute()  # products filed here (not in its descendants), incoming reassignments included
    status = UnicodeAttribute()  # CategoryStatus
    reassignTo = UnicodeAttribute(null=True)  # while DELETING: where its products go
    version = NumberAttribute()
    createdAt = UnicodeAttribute()
    updatedAt = UnicodeAttribute()


class CategoryTreeItem(Item, discriminator="CategoryTree"):
    categories = NumberAttribute(null=True)  # categories of the store (DELETING ones not counted)
    roots = NumberAttribute(null=True)  # of which roots


class SkuItem(Item, discriminator="Sku"):
    skuId = UnicodeAttribute()
    productId = UnicodeAttribute()
    storeId = UnicodeAttribute()
    name = UnicodeAttribute()
    price = MoneyAttribute()
    warehouseId = UnicodeAttribute()
    weightGrams = NumberAttribute()
    attributes = JSONAttribute(null=True)
    categoryId = UnicodeAttribute(null=True)  # what category-scoped promotions and coupons match
    categoryPath = UnicodeAttribute(null=True)  # its product's category path: promotions cover descendants
    pointsPrice = NumberAttribute(null=True)  # points per unit (points-mall goods); None or 0: none
    handling = UnicodeAttribute(null=True)  # HandlingClass: fragile / bulky / hazardous ship alone (None: normal)
    crossBorder = UnicodeAttribute(null=True)  # "true": cross-border goods (per-order customs limit)
    memberPrices = JSONAttribute(null=True)  # {"<tierId>": Money.to_dict()} in the SKU's currency
    freightTemplateId = UnicodeAttribute(null=True)  # its store's freight template (None: the store's default)
    lowStockThreshold = NumberAttribute(null=True)  # its alert level (None: the store's); copied on its stock item
    virtual = JSONAttribute(null=True)  # a virtual good's delivery (oms.domain.virtual_goods.VirtualSpec)
    status = UnicodeAttribute()
    version = NumberAttribute()
    createdAt = UnicodeAttribute()
    updatedAt = UnicodeAttribute()


class FreightTemplateItem(Item, discriminator="FreightTemplate"):
    """STORE#<storeId>/FREIGHT#<templateId>: a store's freight template (a copy rides in STORES/DIRECTORY)."""

    storeId = UnicodeAttribute()
    templateId = UnicodeAttribute()
    body = JSONAttribute()  # FreightTemplate.to_dict()
    version = NumberAttribute()
    updatedAt = UnicodeAttribute()


class StockItem(Item, discriminator="Stock"):
    skuId = UnicodeAttribute()
    storeId = UnicodeAttribute(null=True)  # set at creation (GSI2 STORE#<sid>#STOCK/<skuId>); None: older items
    available = NumberAttribute()
    reserved = NumberAttribute()
    sold = NumberAttribute()
    received = NumberAttribute()
    adjusted = NumberAttribute()
    damaged = NumberAttribute(null=True)  # returned units inspected as damaged (not sellable; None: 0)
    lowStockThreshold = NumberAttribute(null=True)  # the SKU's alert level (None: the store's default)
    lastMove = JSONAttribute(null=True)  # StockMove.to_dict of the update that wrote this image
    updatedAt = UnicodeAttribute()


class ProductSearchRowItem(Item, discriminator="ProductSearchRow"):
    """One product in one search partition (oms.store.product_search): PK PSEARCH#<scope>#<term> or
    PSEARCH#C:<categoryId>, SK by price; GSI1 by newest, GSI2 by sales, GSI3 by relevance (keyword rows)."""

    productId = UnicodeAttribute()
    storeId = UnicodeAttribute()
    name = UnicodeAttribute()
    currency = UnicodeAttribute()
    minPrice = NumberAttribute()
    maxPrice = NumberAttribute()
    createdAt = UnicodeAttribute()
    categoryPath = UnicodeAttribute(null=True)
    terms = JSONAttribute()  # {term: score}: the other keyword terms are checked on the row
    attributes = JSONAttribute()  # [[name, value], ...] as given
    sales = NumberAttribute()
    image = JSONAttribute(null=True)
    version = NumberAttribute()


class ProductSearchStateItem(Item, discriminator="ProductSearchState"):
    """PRODUCT#<pid> / SEARCH: the keys of the product's search rows and a digest of what they say."""

    rows = JSONAttribute()  # [[PK, SK], ...]
    digest = UnicodeAttribute()
    updatedAt = UnicodeAttribute()


class ProductSalesItem(Item, discriminator="ProductSales"):
    """PRODUCT#<pid> / SALES: units sold, added by the sales consumer (OrderPaid)."""

    productId = UnicodeAttribute()
    units = NumberAttribute(default=0)
    updatedAt = UnicodeAttribute(null=True)


class StockMovementItem(Item, discriminator="StockMovement"):
    """One movement of a SKU's counters (SKU#<sku>/MOVE#<at>#<id>; GSI3 STOCKMOVEDAY#<day>#<shard>/<at>#<sku>#<id>)."""

    skuId = UnicodeAttribute()
    storeId = UnicodeAttribute(null=True)
    kind = UnicodeAttribute()  # MovementKind
    changes = JSONAttribute()  # counter → delta (non-zero only)
    after = JSONAttribute()  # every counter after the movement
    by = UnicodeAttribute()
    ref = JSONAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    at = UnicodeAttribute()


class StocktakeItem(Item, discriminator="Stocktake"):
    """A stocktake (STOCKTAKE#<id>/STOCKTAKE; GSI2 STORE#<sid>#STOCKTAKES/<at>#<id>): who counted which SKUs of
    a store when, each line's available before, counted and difference (oms.services.stock_ops)."""

    stocktakeId = UnicodeAttribute()
    storeId = UnicodeAttribute()
    by = UnicodeAttribute()
    at = UnicodeAttribute()
    note = UnicodeAttribute(null=True)
    lines = JSONAttribute()  # [{line, skuId, status, before, counted, difference, movementId | problem}]
    summary = JSONAttribute()  # {lines, counted, refused, unitsUp, unitsDown}


# ---------------------------------------------------------------- orders
class ProductImageItem(Item, discriminator="ProductImage"):
    """An image of a product, or of one of its SKUs (PRODUCT#<pid>/IMAGE#<imageId>; GSI1 PRODUCT#<pid>/IMAGE#<id>)."""

    imageId = UnicodeAttribute()
    productId = UnicodeAttribute()
    storeId = UnicodeAttribute()
    skuId = UnicodeAttribute(null=True)  # None: the product's own image
    state = UnicodeAttribute()  # ImageState
    position = NumberAttribute()  # 0 first; the first READY one is the product's main image
    contentType = UnicodeAttribute()
    objectKeys = JSONAttribute()  # {"upload", "original", "thumbnails": {"200": key, ...}}
    width = NumberAttribute(null=True)
    height = NumberAttribute(null=True)
    sizeBytes = NumberAttribute(null=True)
    reason = UnicodeAttribute(null=True)  # why it was REJECTED (PENDING and REJECTED rows expire: expiresAt)
    createdBy = UnicodeAttribute()
    createdAt = UnicodeAttribute()
    updatedAt = UnicodeAttribute()


class OrderItem(Item, discriminator="Order"):
    orderId = UnicodeAttribute()
    orderNumber = UnicodeAttribute()
    customerId = UnicodeAttribute()
    status = UnicodeAttribute()
    currency = UnicodeAttribute()
    storeIds = ListAttribute(of=UnicodeAttribute)
    subtotal = MoneyAttribute()
    shipping = MoneyAttribute()
    discount = MoneyAttribute()
    total = MoneyAttribute()
    shippingAddress = JSONAttribute(null=True)  # None: an order of virtual goods only (nothing ships)
    note = UnicodeAttribute(null=True)
    paymentDeadline = UnicodeAttribute()
    cancellation = JSONAttribute(null=True)
    pricing = JSONAttribute(null=True)  # the frozen breakdown of price_order (PricedOrder.to_dict)
    benefits = JSONAttribute(null=True)  # coupons, points and balance taken at checkout (what a cancel returns)
    deliveredAt = UnicodeAttribute(null=True)
    autoConfirmAt = UnicodeAttribute(null=True)  # when the auto-confirm timer completes a delivered order
    openCases = NumberAttribute(null=True)  # open after-sales cases: auto-confirm waits while any is open
    createdAt = UnicodeAttribute()
    updatedAt = UnicodeAttribute()
    version = NumberAttribute()
    # Money committed to go back through refund requests (oms.services.refunds): ADDed with the condition
    # refunded <= received − amount, so refunds never exceed what the order received, whatever the concurrency.
    refunded = NumberAttribute(null=True)
    hold = JSONAttribute(null=True)  # oms.domain.holds.Hold while ON_HOLD (kind, reason, who, when, status before)
    risk = JSONAttribute(null=True)  # the checkout's risk verdict (rules matched, review) and the review decision
    manual = JSONAttribute(null=True)  # placed by staff (POST /admin/orders): by, role, payment mode, proof
    erasedAt = UnicodeAttribute(null=True)  # when its personal data was pseudonymised (erasure, retention)
    # Search facts (oms.store.order_search): what the order was paid with and when (set by the move that pays it),
    # its SKUs and products, the keyed hashes of its contacts (written at checkout).
    paidAt = UnicodeAttribute(null=True)
    paidWith = UnicodeAttribute(null=True)
    skuIds = ListAttribute(of=UnicodeAttribute, null=True)
    productIds = ListAttribute(of=UnicodeAttribute, null=True)
    contactKeys = ListAttribute(of=UnicodeAttribute, null=True)
    # What the order took of the customer's yearly cross-border allowance (oms.domain.parcels):
    # {"year": 2026, "amount": <CNY minor units>, "released": <minor units given back so far>}.
    crossBorderQuota = JSONAttribute(null=True)


class OrderLineItem(Item, discriminator="OrderLine"):
    orderId = UnicodeAttribute()
    lineNo = NumberAttribute()
    skuId = UnicodeAttribute()
    productId = UnicodeAttribute()
    storeId = UnicodeAttribute()
    warehouseId = UnicodeAttribute()
    name = UnicodeAttribute()
    unitPrice = MoneyAttribute()
    quantity = NumberAttribute()
    lineTotal = MoneyAttribute()
    shipping = MoneyAttribute()
    discount = MoneyAttribute()
    payable = MoneyAttribute()
    stockState = UnicodeAttribute(null=True)  # RESERVED (None) or SOLD (store deducts at order)
    pricing = JSONAttribute(null=True)  # the line's frozen breakdown (PricedOrderLine.to_dict)


class OrderEventItem(Item, discriminator="OrderEvent"):
    orderId = UnicodeAttribute()
    fromStatus = UnicodeAttribute(null=True)
    toStatus = UnicodeAttribute()
    by = UnicodeAttribute()
    role = UnicodeAttribute()
    at = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)
    # Who asked (API Gateway's request id and the caller's IP; absent for the system's own moves). A staff
    # member's move is also indexed like an audit entry (GSI1 AUDITBY#, GSI2 AUDITACTION#, GSI3 AUDITDAY#).
    requestId = UnicodeAttribute(null=True)
    sourceIp = UnicodeAttribute(null=True)


class OrderNoteItem(Item, discriminator="OrderNote"):
    # ORDER#<id> / NOTE#<noteId>: a staff note or a recorded customer communication, on the order's timeline
    noteId = UnicodeAttribute()
    orderId = UnicodeAttribute()
    kind = UnicodeAttribute()  # note | communication
    visibility = UnicodeAttribute()  # internal | shopper
    text = UnicodeAttribute()
    channel = UnicodeAttribute(null=True)  # a communication's: phone | email | chat | sms | in-person | other
    by = UnicodeAttribute()
    role = UnicodeAttribute()
    at = UnicodeAttribute()


class OrderFlagItem(Item, discriminator="OrderFlag"):
    # ORDER#<id> / FLAG#<flag>, present while the flag is set; GSI2 ORDERFLAG#<flag> by the order's creation
    orderId = UnicodeAttribute()
    flag = UnicodeAttribute()  # oms.domain.flags.OrderFlag
    orderCreatedAt = UnicodeAttribute()
    setAt = UnicodeAttribute()
    setBy = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)


class OutboxItem(Item, discriminator="Outbox"):
    eventId = UnicodeAttribute()
    detailType = UnicodeAttribute()
    detail = JSONAttribute()
    createdAt = UnicodeAttribute()


class OutboxRelayAttemptItem(Item, discriminator="OutboxRelayAttempt"):
    """How many times the outbox relay failed to publish one event: at its limit the relay moves the event
    to the dead-letter queue instead of blocking the stream shard."""

    eventId = UnicodeAttribute()
    attempts = NumberAttribute(default=0)
    lastError = UnicodeAttribute(null=True)
    updatedAt = UnicodeAttribute(null=True)


class OrderNumberItem(Item, discriminator="OrderNumber"):
    # ORDERNO#<number>; GSI1 / GSI2 ORDERCONTACT#<hash of the phone / email> by creation (order search)
    orderId = UnicodeAttribute()


class OrderPaidItem(Item, discriminator="OrderPaid"):
    # ORDER#<id> / PAID, written by the move that pays the order: GSI2 ORDERPAID and GSI3 ORDERPAIDBY#<method>,
    # both by the time it was paid (order search by paid date and payment method)
    orderId = UnicodeAttribute()
    method = UnicodeAttribute()
    paidAt = UnicodeAttribute()


class IdempotencyItem(Item, discriminator="Idempotency"):
    requestHash = UnicodeAttribute()
    statusCode = NumberAttribute()
    responseBody = UnicodeAttribute()
    createdAt = UnicodeAttribute()


# ---------------------------------------------------------------- payments
class PaymentAttemptItem(Item, discriminator="PaymentAttempt"):
    paymentId = UnicodeAttribute()
    orderId = UnicodeAttribute()
    customerId = UnicodeAttribute()
    method = UnicodeAttribute()
    status = UnicodeAttribute()
    amount = MoneyAttribute()  # what the payer is asked to pay (goods + surcharge)
    goodsAmount = MoneyAttribute()  # what counts toward the order
    surcharge = MoneyAttribute()
    fee = MoneyAttribute()
    received = MoneyAttribute(null=True)  # what the provider reported, when it differs
    providerReference = UnicodeAttribute(null=True)
    instructions = JSONAttribute()
    review = JSONAttribute(null=True)
    # A bank transfer moves the order's payment deadline out while it awaits review; this is the deadline
    # it had before, brought back (or a short grace from the rejection) when finance rejects the transfer.
    deadlineBefore = UnicodeAttribute(null=True)
    # Closing the attempt at the provider once the order no longer takes it (cancel): the outcome
    # (CLOSED, PAID, NOT_FOUND, UNSUPPORTED; ERROR = to be tried again) and its details.
    closeOutcome = UnicodeAttribute(null=True)
    closure = JSONAttribute(null=True)  # {outcome, at, detail, tries}
    createdAt = UnicodeAttribute()
    updatedAt = UnicodeAttribute()
    version = NumberAttribute()
    # Money committed to go back through this payment's provider by refund requests: ADDed with the
    # condition refunded <= counted − amount (counted: what counted toward the order).
    refunded = NumberAttribute(null=True)


class LedgerLineItem(Item, discriminator="LedgerLine"):
    postingId = UnicodeAttribute()
    kind = UnicodeAttribute()
    account = UnicodeAttribute()
    amount = MoneyAttribute()
    memo = UnicodeAttribute()
    at = UnicodeAttribute()
    orderId = UnicodeAttribute(null=True)
    paymentId = UnicodeAttribute(null=True)
    by = UnicodeAttribute(null=True)
    refundId = UnicodeAttribute(null=True)  # the refund a provider refund's lines book (reconciliation)


class BalanceAccountItem(Item, discriminator="BalanceAccount"):
    customerId = UnicodeAttribute()
    currency = UnicodeAttribute()
    available = NumberAttribute()
    updatedAt = UnicodeAttribute()


class InboxItem(Item, discriminator="Inbox"):
    provider = UnicodeAttribute()
    eventId = UnicodeAttribute()
    paymentId = UnicodeAttribute(null=True)
    orderId = UnicodeAttribute(null=True)
    outcome = UnicodeAttribute()
    receivedAt = UnicodeAttribute()


class AnomalyItem(Item, discriminator="Anomaly"):
    anomalyId = UnicodeAttribute()
    anomalyType = UnicodeAttribute()
    orderId = UnicodeAttribute()
    paymentId = UnicodeAttribute()
    expected = MoneyAttribute()
    received = MoneyAttribute()
    status = UnicodeAttribute()
    notes = JSONAttribute()
    refund = JSONAttribute(null=True)
    resolution = JSONAttribute(null=True)  # the staff decision: {decision, remainder, by, role, at, note}
    createdAt = UnicodeAttribute()
    updatedAt = UnicodeAttribute()
    version = NumberAttribute()


class RefundItem(Item, discriminator="Refund"):
    """A refund toward the payer (oms.domain.payment.RefundStatus). While its provider may still pay it
    (PENDING, PROCESSING) it carries a GSI4 entry at its next try (oms.store.due)."""

    refundId = UnicodeAttribute()
    orderId = UnicodeAttribute()
    paymentId = UnicodeAttribute()
    method = UnicodeAttribute()
    amount = MoneyAttribute()
    status = UnicodeAttribute()
    reason = UnicodeAttribute()
    providerReference = UnicodeAttribute(null=True)
    customerId = UnicodeAttribute(null=True)  # whom the money goes back to (for the events)
    anomalyId = UnicodeAttribute(null=True)  # the case this refund settles (resolved when it succeeds)
    failures = NumberAttribute(null=True)  # provider attempts that did not succeed
    lastError = UnicodeAttribute(null=True)
    pendingSince = UnicodeAttribute(null=True)  # since when the provider is asked (the backoff's clock)
    route = UnicodeAttribute(null=True)  # how the money went back (RefundRoute); None: provider
    retries = NumberAttribute(null=True)  # staff retries after a refusal (the provider's key changes)
    failure = JSONAttribute(null=True)  # the refusal for good: {at, reason, by: provider | gave-up}
    resolution = JSONAttribute(null=True)  # the last staff decision: {decision, reference, note, by, role, at}
    createdAt = UnicodeAttribute()
    updatedAt = UnicodeAttribute()
    # Refunds as requests (oms.services.refunds): the request's id (its legs share it), the after-sales
    # case, what was refunded ({childId, units: [[lineNo, quantity]], shipping, pointsBack, pointsRevoked}),
    # and whether the leg was counted in the payment's and the order's `refunded` counters. A FAILED leg
    # carries a GSI2 entry (REFUNDS#FAILED) for the finance queue.
    requestId = UnicodeAttribute(null=True)
    caseId = UnicodeAttribute(null=True)
    lines = JSONAttribute(null=True)
    counted = BooleanAttribute(null=True)


class ChannelSettingsItem(Item, discriminator="ChannelSettings"):
    storeId = UnicodeAttribute()
    channels = JSONAttribute()
    version = NumberAttribute()
    updatedAt = UnicodeAttribute()
    updatedBy = UnicodeAttribute()


class DataRetentionItem(Item, discriminator="DataRetention"):
    # SETTINGS#PERSONAL_DATA / RETENTION: how long closed orders keep their personal data, and how far the
    # scheduled job has walked each closed status's index (`progress`: status -> last createdAt#orderId).
    enabled = BooleanAttribute()
    closedDays = NumberAttribute()
    progress = JSONAttribute(null=True)
    version = NumberAttribute()
    updatedAt = UnicodeAttribute()
    updatedBy = UnicodeAttribute()


class AuditItem(Item, discriminator="Audit"):
    subject = UnicodeAttribute()
    action = UnicodeAttribute()
    by = UnicodeAttribute()
    role = UnicodeAttribute()
    at = UnicodeAttribute()
    before = JSONAttribute(null=True)
    after = JSONAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    requestId = UnicodeAttribute(null=True)  # API Gateway's request id (absent for the system's own entries)
    sourceIp = UnicodeAttribute(null=True)


# ---------------------------------------------------------------- promotions, coupons, points
class PromotionDirectoryItem(Item, discriminator="PromotionDirectory"):
    # promotionId -> promotion JSON (oms.domain.rules_json) + status/createdAt/updatedAt/updatedBy
    promotions = JSONAttribute()
    version = NumberAttribute()


class CouponTemplateItem(Item, discriminator="CouponTemplate"):
    templateId = UnicodeAttribute()
    definition = JSONAttribute()  # oms.domain.rules_json.template_to_dict
    status = UnicodeAttribute()  # ACTIVE | DISABLED
    issued = NumberAttribute()  # coupons issued to customers
    used = NumberAttribute()  # uses in orders (returned uses subtract); total limit is on this
    createdAt = UnicodeAttribute()
    updatedAt = UnicodeAttribute()
    createdBy = UnicodeAttribute()
    version = NumberAttribute()


class CouponUseItem(Item, discriminator="CouponUse"):
    templateId = UnicodeAttribute()
    customerId = UnicodeAttribute()
    used = NumberAttribute()  # per-customer limit is on this


class CouponItem(Item, discriminator="Coupon"):
    code = UnicodeAttribute()
    templateId = UnicodeAttribute()
    template = JSONAttribute()  # the template's definition when issued (templates are immutable)
    ownerId = UnicodeAttribute(null=True)  # None: a public code anyone may use within the limits
    status = UnicodeAttribute()  # AVAILABLE | USED | VOID (public codes stay AVAILABLE)
    orderId = UnicodeAttribute(null=True)  # the order an owned coupon is used on
    issuedAt = UnicodeAttribute()
    issuedBy = UnicodeAttribute()
    usedAt = UnicodeAttribute(null=True)
    version = NumberAttribute()


class PointsAccountItem(Item, discriminator="PointsAccount"):
    customerId = UnicodeAttribute()
    available = NumberAttribute()
    # Lifetime points earned (member tiers follow it): moved only by "earn" and "revoke" entries, in their
    # transaction (oms.store.pricing.add_points_change). None: nothing earned yet.
    earned = NumberAttribute(null=True)
    updatedAt = UnicodeAttribute()


class PointsEntryItem(Item, discriminator="PointsEntry"):
    customerId = UnicodeAttribute()
    delta = NumberAttribute()  # + credit, - debit
    kind = UnicodeAttribute()  # redeem | return | earn | adjust
    orderId = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    by = UnicodeAttribute()
    at = UnicodeAttribute()


class PricingSettingsItem(Item, discriminator="PricingSettings"):
    # POINTS: {"<currency>": points rules JSON}; FX: {"reportingCurrency": "CNY", "rates": {"<ccy>": {...}}}
    data = JSONAttribute()
    version = NumberAttribute()
    updatedAt = UnicodeAttribute()
    updatedBy = UnicodeAttribute()


class RolePolicyItem(Item, discriminator="RolePolicy"):
    # SETTINGS#ROLES / POLICY: oms.domain.roles.RolePolicy.to_dict() (grants, revokes, custom roles)
    data = JSONAttribute()
    version = NumberAttribute()
    updatedAt = UnicodeAttribute()
    updatedBy = UnicodeAttribute()


# ---------------------------------------------------------------- fulfilment
class ChildOrderItem(Item, discriminator="ChildOrder"):
    childId = UnicodeAttribute()  # <orderId>-<nn>
    orderId = UnicodeAttribute()
    childNo = NumberAttribute()
    storeId = UnicodeAttribute()
    warehouseId = UnicodeAttribute()
    handling = UnicodeAttribute()
    crossBorder = UnicodeAttribute()  # "true" | "false"
    parts = JSONAttribute()  # oms.domain.splitting.ChildOrder.to_dict()["parts"]
    total = MoneyAttribute()
    status = UnicodeAttribute()  # ChildStatus
    shipped = JSONAttribute()  # {"<lineNo>": quantity shipped}
    releasedAt = UnicodeAttribute(null=True)  # handed to the warehouse for picking
    cancellation = JSONAttribute(null=True)
    createdAt = UnicodeAttribute()
    updatedAt = UnicodeAttribute()
    version = NumberAttribute()
    # What refunds gave back of it: {"units": {"<lineNo>": units refunded}, "shipping": bool}; written
    # with the child's version as condition, so units are never refunded twice.
    refunded = JSONAttribute(null=True)
    # An exchange's replacement (oms.services.after_sales.flow_exchange): the case it replaces goods for; such
    # a child does not move its parent's status. `heldFor`: "difference" while the shopper has not paid the
    # dearer replacement's price difference (it cannot ship, and is in no warehouse list).
    replacementOf = UnicodeAttribute(null=True)
    heldFor = UnicodeAttribute(null=True)
    # Merchant settlement: when the child was completed (its GSI2 entry SETTLE#PENDING#<shard> /
    # <completedAt>#<childId> exists until it is settled), and the settlement that paid it (written once,
    # conditionally, in the settlement's own transaction; its GSI2 entry removed there).
    completedAt = UnicodeAttribute(null=True)
    settlement = JSONAttribute(null=True)
    # Its parcels under the carrier's weight limit (oms.domain.parcels.Parcel.to_dict), packed at checkout.
    parcels = JSONAttribute(null=True)


class CaseItem(Item, discriminator="Case"):
    """An after-sales case (oms.domain.after_sales): what it claims, where it stands, what it waits for."""

    caseId = UnicodeAttribute()
    orderId = UnicodeAttribute()
    childId = UnicodeAttribute()
    customerId = UnicodeAttribute()
    storeId = UnicodeAttribute()
    caseType = UnicodeAttribute()  # CaseType
    status = UnicodeAttribute()  # CaseStatus
    step = UnicodeAttribute()  # CaseStep: what the case waits for
    deadline = UnicodeAttribute(null=True)  # until when the step waits (its SLA), None: no deadline
    reason = UnicodeAttribute()  # CaseReason
    note = UnicodeAttribute(null=True)  # the shopper's free text
    lines = JSONAttribute()  # [{"lineNo", "quantity", "skuId"}]
    amount = MoneyAttribute()  # what the case refunds: the claimed units' paid share, or less when asked
    requestedAmount = MoneyAttribute(null=True)
    toBalance = UnicodeAttribute(null=True)  # "true": the refund goes to the stored balance
    evidence = JSONAttribute()  # S3 keys of the shopper's images
    disputed = UnicodeAttribute(null=True)  # "true" once the shopper disputed a rejection
    decisions = JSONAttribute()  # every person's (or the policy's) decision: {action, by, role, at, note}
    returnShipment = JSONAttribute(null=True)  # {carrier, trackingNumber, at}
    inspection = JSONAttribute(null=True)  # [{"lineNo", "restockable", "damaged"}], with by/at
    refundId = UnicodeAttribute(null=True)
    replacement = JSONAttribute(null=True)  # the exchange's replacement child order
    replacements = JSONAttribute(null=True)  # an exchange's request: [{"lineNo", "skuId"}] (what to send instead)
    flowToken = UnicodeAttribute(null=True)  # the case flow's task token, waiting on `flowStep`
    flowStep = UnicodeAttribute(null=True)
    createdAt = UnicodeAttribute()
    createdBy = UnicodeAttribute()
    updatedAt = UnicodeAttribute()
    version = NumberAttribute()


class CaseCountItem(Item, discriminator="CaseCount"):
    """Cases opened on one day for one reason and type (statistics without scans)."""

    day = UnicodeAttribute()
    reason = UnicodeAttribute()
    caseType = UnicodeAttribute()
    opened = NumberAttribute()


class StatsCounterItem(Item, discriminator="StatsCounter"):
    """Counters of one statistics row (oms.store.statistics): ADDed by the statistics consumer, never
    recounted. Which counters a row has depends on its series (docs/statistics.md)."""

    period = UnicodeAttribute(null=True)
    key = UnicodeAttribute(null=True)
    orders = NumberAttribute(null=True)
    amount = NumberAttribute(null=True)
    unconverted = NumberAttribute(null=True)
    quantity = NumberAttribute(null=True)
    placedOrders = NumberAttribute(null=True)
    placedAmount = NumberAttribute(null=True)
    placedUnconverted = NumberAttribute(null=True)
    convertedOrders = NumberAttribute(null=True)
    paidOrders = NumberAttribute(null=True)
    paidAmount = NumberAttribute(null=True)
    paidUnconverted = NumberAttribute(null=True)
    cancelledOrders = NumberAttribute(null=True)
    customers = NumberAttribute(null=True)
    repeatCustomers = NumberAttribute(null=True)
    attempts = NumberAttribute(null=True)
    succeeded = NumberAttribute(null=True)
    payTimeSeconds = NumberAttribute(null=True)
    payTimeCount = NumberAttribute(null=True)


class StatsCustomerItem(Item, discriminator="StatsCustomer"):
    """Orders one customer placed in one period of one scope (the repurchase rate's distinct customers)."""

    orders = NumberAttribute()


class EvidenceQuotaItem(Item, discriminator="EvidenceQuota"):
    """Evidence uploads a shopper was given on one day (a cap on what S3 takes from one account)."""

    uploads = NumberAttribute()


class CasePointerItem(Item, discriminator="CasePointer"):
    caseId = UnicodeAttribute()
    orderId = UnicodeAttribute()


class ShipmentItem(Item, discriminator="Shipment"):
    shipmentId = UnicodeAttribute()
    orderId = UnicodeAttribute()
    childId = UnicodeAttribute()
    carrier = UnicodeAttribute()
    trackingNumber = UnicodeAttribute()
    lines = JSONAttribute()  # {"<lineNo>": quantity}
    status = UnicodeAttribute()  # ShipmentStatus
    events = JSONAttribute()  # tracking timeline, oldest first
    latestEventAt = UnicodeAttribute(null=True)
    createdAt = UnicodeAttribute()
    createdBy = UnicodeAttribute()
    updatedAt = UnicodeAttribute()
    version = NumberAttribute()
    parcelNo = NumberAttribute(null=True)  # the child's planned parcel it carries (None: lines named)


class CrossBorderQuotaItem(Item, discriminator="CrossBorderQuota"):
    """CUSTOMER#<id> / CROSSBORDER#<year>: the customer's cross-border purchases of a calendar year (China
    time), in CNY minor units; ADDed by checkout with the condition used <= limit − amount, taken back by
    cancels and refunds of cross-border goods."""

    customerId = UnicodeAttribute()
    year = NumberAttribute()
    used = NumberAttribute()
    updatedAt = UnicodeAttribute()


class TrackingItem(Item, discriminator="Tracking"):
    carrier = UnicodeAttribute()
    trackingNumber = UnicodeAttribute()
    orderId = UnicodeAttribute()
    childId = UnicodeAttribute()
    shipmentId = UnicodeAttribute()


# ---------------------------------------------------------------- scheduled reports
class ReportItem(Item, discriminator="Report"):
    """One published report (type, period): the S3 keys of its files and its summary; a re-run replaces it."""

    reportType = UnicodeAttribute()
    period = UnicodeAttribute()
    periodStart = UnicodeAttribute()  # the period's first day, YYYY-MM-DD
    files = JSONAttribute()  # [{"name", "key", "contentType", "size"}]
    summary = JSONAttribute()
    generatedAt = UnicodeAttribute()
    firstGeneratedAt = UnicodeAttribute()
    runs = NumberAttribute()


class SettlementItem(Item, discriminator="Settlement"):
    """One merchant settlement of a period: the child orders it pays, each marked settled in the same write."""

    settlementId = UnicodeAttribute()
    period = UnicodeAttribute()
    storeId = UnicodeAttribute()
    currency = UnicodeAttribute()
    lines = JSONAttribute()  # [oms.domain.settlement.SettlementLine.to_dict()]
    due = NumberAttribute()
    createdAt = UnicodeAttribute()


class ExportJobItem(Item, discriminator="ExportJob"):
    """An order export (oms.services.exports): its request, its state and its progress. `cursor` is the
    order listing's start key of the next page, `parts` the multipart upload's part numbers and ETags."""

    exportId = UnicodeAttribute()
    state = UnicodeAttribute()  # oms.domain.exports.ExportState
    format = UnicodeAttribute()
    fields = ListAttribute(of=UnicodeAttribute)
    filters = JSONAttribute()
    locale = UnicodeAttribute()
    masked = BooleanAttribute()
    createdBy = UnicodeAttribute()
    role = UnicodeAttribute()
    createdAt = UnicodeAttribute()
    updatedAt = UnicodeAttribute()
    rowsDone = NumberAttribute()
    chunks = NumberAttribute()
    bytesDone = NumberAttribute()
    objectKey = UnicodeAttribute()
    cursor = UnicodeAttribute(null=True)
    uploadId = UnicodeAttribute(null=True)
    parts = JSONAttribute(null=True)
    finishedAt = UnicodeAttribute(null=True)
    failure = UnicodeAttribute(null=True)
    version = NumberAttribute()


# ---------------------------------------------------------------- notifications (oms.store.notifications)
class NotificationItem(Item, discriminator="Notification"):
    """One entry of a person's in-app inbox; GSI1 NOTIFY#<userId>#UNREAD/<notificationId> while unread."""

    notificationId = UnicodeAttribute()
    userId = UnicodeAttribute()
    event = UnicodeAttribute()  # the detail type that sent it
    category = UnicodeAttribute()
    title = UnicodeAttribute()
    body = UnicodeAttribute()
    locale = UnicodeAttribute()
    orderId = UnicodeAttribute(null=True)
    eventId = UnicodeAttribute()
    createdAt = UnicodeAttribute()
    readAt = UnicodeAttribute(null=True)


class UnreadCountItem(Item, discriminator="UnreadCount"):
    unread = NumberAttribute()


class DeliveryItem(Item, discriminator="Delivery"):
    """An email or SMS a bus event's notification sends: written PENDING with the consumer's inbox row,
    SENDING while one delivery attempt holds it, SENT once the provider took it (TTL)."""

    eventId = UnicodeAttribute()
    event = UnicodeAttribute()
    recipient = UnicodeAttribute()
    channel = UnicodeAttribute()
    address = UnicodeAttribute()
    subject = UnicodeAttribute()
    body = UnicodeAttribute()
    status = UnicodeAttribute()  # PENDING | SENDING | SENT
    attempts = NumberAttribute()
    claimedAt = UnicodeAttribute(null=True)
    sentAt = UnicodeAttribute(null=True)
    messageId = UnicodeAttribute(null=True)
    lastError = UnicodeAttribute(null=True)
    createdAt = UnicodeAttribute()


class NotificationPreferencesItem(Item, discriminator="NotificationPreferences"):
    userId = UnicodeAttribute()
    preferences = JSONAttribute()  # oms.domain.notifications.Preferences.to_json
    updatedAt = UnicodeAttribute()


class NotificationRulesItem(Item, discriminator="NotificationRules"):
    storeId = UnicodeAttribute()
    rules = JSONAttribute()  # oms.domain.notifications.StoreRules.to_json
    version = NumberAttribute()
    updatedAt = UnicodeAttribute()
    updatedBy = UnicodeAttribute()


class PaymentReminderItem(Item, discriminator="PaymentReminder"):
    """The payment timer's reminder for one deadline of an order, sent once."""

    orderId = UnicodeAttribute()
    deadline = UnicodeAttribute()
    createdAt = UnicodeAttribute()


# ---------------------------------------------------------------- customer accounts
class CustomerProfileItem(Item, discriminator="CustomerProfile"):
    """A shopper's profile (`GET/PUT /me`); the language is the notification preferences' locale."""

    customerId = UnicodeAttribute()
    name = UnicodeAttribute(null=True)
    currency = UnicodeAttribute(null=True)
    version = NumberAttribute()
    updatedAt = UnicodeAttribute()


class AddressBookItem(Item, discriminator="AddressBook"):
    """How many addresses a shopper keeps (bounded) and which one is the default."""

    customerId = UnicodeAttribute()
    addressCount = NumberAttribute()
    defaultAddressId = UnicodeAttribute(null=True)
    version = NumberAttribute()


class CustomerAddressItem(Item, discriminator="CustomerAddress"):
    customerId = UnicodeAttribute()
    addressId = UnicodeAttribute()
    address = JSONAttribute()  # the checkout's shippingAddress shape (oms.api.order_schemas.AddressIn)
    label = UnicodeAttribute(null=True)
    version = NumberAttribute()
    createdAt = UnicodeAttribute()
    updatedAt = UnicodeAttribute()


# ---------------------------------------------------------------- sales channels and virtual goods
class ChannelStoreItem(Item, discriminator="ChannelStore"):
    """A channel store (oms.domain.channels): `CHANNELSTORE#<id>/META`, listed in sort order through GSI1
    `CHANNELSTORES` / `<sortOrder>#<storeId>`. `placed` counts its orders (a disable is conditional on it:
    no order slips in between the unsettled-orders check and the switch)."""

    storeId = UnicodeAttribute()
    name = UnicodeAttribute()
    channelType = UnicodeAttribute()
    orderingUserId = UnicodeAttribute()
    redemptionDomain = UnicodeAttribute()
    connectedAccount = UnicodeAttribute(null=True)
    currency = UnicodeAttribute()
    status = UnicodeAttribute()  # ChannelStoreStatus
    sortOrder = NumberAttribute()
    searchText = UnicodeAttribute()  # name, domain and user id, lower case: what the list's `q` matches
    secret = UnicodeAttribute()  # the callback signing secret, AES-GCM sealed (oms.adapters.sealing)
    placed = NumberAttribute()
    lastSync = JSONAttribute(null=True)  # the latest sync: at, account, channel balance, ours, difference
    version = NumberAttribute()
    createdAt = UnicodeAttribute()
    updatedAt = UnicodeAttribute()


class ChannelOrderItem(Item, discriminator="ChannelOrder"):
    """`CHANNELORDER#<storeId>#<channelOrderNo>/META`: the platform order a channel order became (the
    deduplication of callbacks and imports), by number through GSI1 `CHANNELORDERNO#<no>`; while the order
    is unsettled also GSI3 `CHANNELOPEN#<storeId>` / `<createdAt>#<orderId>`."""

    storeId = UnicodeAttribute()
    channelOrderNo = UnicodeAttribute()
    orderId = UnicodeAttribute()
    fingerprint = UnicodeAttribute()
    via = UnicodeAttribute()  # callback | import
    createdAt = UnicodeAttribute()
    settledAt = UnicodeAttribute(null=True)


class ChannelFindingItem(Item, discriminator="ChannelFinding"):
    """A difference a sync found: `CHANNELSTORE#<id>/FINDING#<at>#<findingId>`, all stores' newest first
    through GSI2 `CHANNELFINDINGS` / `<at>#<findingId>`."""

    findingId = UnicodeAttribute()
    storeId = UnicodeAttribute()
    kind = UnicodeAttribute()  # balance | account
    details = JSONAttribute()
    at = UnicodeAttribute()


class CodePoolItem(Item, discriminator="CodePool"):
    """A virtual SKU's code pool counters: `CODEPOOL#<skuId>/META` (`available` never below zero: an
    assignment is conditional on it)."""

    skuId = UnicodeAttribute()
    storeId = UnicodeAttribute()
    available = NumberAttribute()
    assigned = NumberAttribute()
    uploaded = NumberAttribute()
    updatedAt = UnicodeAttribute()


class PoolCodeItem(Item, discriminator="PoolCode"):
    """One code of a pool: `CODEPOOL#<skuId>/CODE#<codeId>`; while AVAILABLE also GSI1 `CODEFREE#<skuId>` /
    `<codeId>` (the sparse list assignment reads). `sealed` is the code under AES-GCM; `digest` its keyed
    hash (the lookup item `CODE#<digest>` finds it for verification and refuses a second upload)."""

    skuId = UnicodeAttribute()
    codeId = UnicodeAttribute()
    sealed = UnicodeAttribute()
    digest = UnicodeAttribute()
    masked = UnicodeAttribute()
    status = UnicodeAttribute()  # AVAILABLE | ASSIGNED
    codeExpiresAt = UnicodeAttribute(null=True)
    orderId = UnicodeAttribute(null=True)
    voucherId = UnicodeAttribute(null=True)
    uploadedAt = UnicodeAttribute()
    uploadedBy = UnicodeAttribute()


class CodeDigestItem(Item, discriminator="CodeDigest"):
    """`CODE#<digest>/META`: which pool code (or link voucher) a code is, so a verification finds it by the
    code alone and an upload cannot add a code twice."""

    skuId = UnicodeAttribute()
    codeId = UnicodeAttribute(null=True)
    orderId = UnicodeAttribute(null=True)
    voucherId = UnicodeAttribute(null=True)


class VoucherItem(Item, discriminator="Voucher"):
    """One delivered unit (oms.domain.virtual_goods): `VOUCHERS#<orderId>/V#<voucherId>`; a service waiting
    for a delayed activation also GSI4 `DUE#ACTIVATION#<shard>` / `<activateAt>#<orderId>#<voucherId>`."""

    voucherId = UnicodeAttribute()  # <lineNo:03d>-<unit:03d>
    orderId = UnicodeAttribute()
    lineNo = NumberAttribute()
    skuId = UnicodeAttribute()
    storeId = UnicodeAttribute()  # the merchant store of the SKU
    kind = UnicodeAttribute()
    state = UnicodeAttribute()
    before = UnicodeAttribute(null=True)  # FROZEN / PENDING_AFTER_SALES: the state it returns to
    sealed = UnicodeAttribute(null=True)  # the code (pool code, or the code a redeemed link gave), sealed
    masked = UnicodeAttribute(null=True)
    digest = UnicodeAttribute(null=True)
    codeId = UnicodeAttribute(null=True)
    token = UnicodeAttribute(null=True)  # links: the redemption token (its lookup item is REDEEM#<token>)
    url = UnicodeAttribute(null=True)
    validUntil = UnicodeAttribute(null=True)
    activateAt = UnicodeAttribute(null=True)
    activatedAt = UnicodeAttribute(null=True)
    redeemedAt = UnicodeAttribute(null=True)
    redeemedBy = UnicodeAttribute(null=True)
    verifiedAt = UnicodeAttribute(null=True)
    verifiedBy = UnicodeAttribute(null=True)
    verifiedKey = UnicodeAttribute(null=True)  # "<subject>:<Idempotency-Key>" of the verification (its replay)
    reason = UnicodeAttribute(null=True)  # a freeze, rejection or revocation's reason
    deliveredAt = UnicodeAttribute()
    updatedAt = UnicodeAttribute()
    version = NumberAttribute()


class RedemptionLinkItem(Item, discriminator="RedemptionLink"):
    """`REDEEM#<token>/META`: the voucher a redemption link opens."""

    orderId = UnicodeAttribute()
    voucherId = UnicodeAttribute()


class EcomOrderItem(Item, discriminator="EcomOrder"):
    """The e-commerce order list's row of an order with virtual goods (seed 004's 电商订单): `ECOM#<orderId>/
    META`, rewritten by every change of its vouchers. Indexes: GSI1 `ECOMORDERS#<source>` and GSI2
    `ECOMSTORE#<channelStoreId or merchant storeId>`, both by `<createdAt>#<orderId>`; GSI3 `ECOMSTAGE#<stage>`
    / `<stageSince>#<orderId>` (the daily checks' "older than 24 h")."""

    orderId = UnicodeAttribute()
    orderNumber = UnicodeAttribute()
    source = UnicodeAttribute()
    channelStoreId = UnicodeAttribute(null=True)
    channelOrderNo = UnicodeAttribute(null=True)
    storeIds = JSONAttribute()
    customerId = UnicodeAttribute()
    products = JSONAttribute()  # [{skuId, name, quantity, kind}]
    units = NumberAttribute()
    delivered = NumberAttribute()
    stage = UnicodeAttribute()
    stageSince = UnicodeAttribute()
    states = JSONAttribute()  # {state: count}
    redemption = UnicodeAttribute(null=True)  # PENDING | REDEEMED (links)
    verification = UnicodeAttribute(null=True)  # PENDING | VERIFIED
    afterSales = UnicodeAttribute(null=True)  # PENDING while a voucher waits on a case
    link = UnicodeAttribute(null=True)  # the first redemption link
    reason = UnicodeAttribute(null=True)  # the latest refund / rejection reason
    redeemedAt = UnicodeAttribute(null=True)
    deletedAt = UnicodeAttribute(null=True)  # soft-deleted (test / invalid orders): out of the lists
    deletedBy = UnicodeAttribute(null=True)
    createdAt = UnicodeAttribute()
    updatedAt = UnicodeAttribute()
    version = NumberAttribute()
