"""Single-table items. One base model; each item kind is a subclass chosen by the `type` attribute.

Key layout (the full list of access patterns is in docs/data-model.md):

    STORE#<storeId>          META                 store settings
    STORES                   DIRECTORY            shipping policies of every store (read by checkout)
    PRODUCT#<productId>      META                 product              GSI1 PRODUCT#<pid>/#META,
                                                                       GSI2 STORE#<sid>#PRODUCTS/<pid>
    SKU#<skuId>              META                 SKU (price...)       GSI1 PRODUCT#<pid>/SKU#<skuId>
    SKU#<skuId>              STOCK                stock counters
    SKU#<skuId>              MOVE#<ulid>          stock adjustment record
    ORDER#<orderId>          META                 order header         GSI1 CUSTOMER#<sub>/ORDER#<oid>,
                                                                       GSI2 ORDERS/<createdAt>#<oid>,
                                                                       GSI3 ORDERSTATUS#<status>/<createdAt>#<oid>
    ORDER#<orderId>          LINE#<nnn>           order line
    ORDER#<orderId>          EVENT#<ulid>         status change (history)
    ORDER#<orderId>          OUTBOX#<ulid>        outbox row for the event relay (TTL)
    ORDERNO#<number>         ORDERNO              reserves a human-readable order number
    IDEMPOTENCY#<sub>#<key>  IDEMPOTENCY          stored response of an idempotent request (TTL)
"""

from __future__ import annotations

import os
from typing import Any

from pynamodb.attributes import (
    DiscriminatorAttribute,
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

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


class Item(Model):
    class Meta:
        table_name = _table_name()
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"

    PK = UnicodeAttribute(hash_key=True)
    SK = UnicodeAttribute(range_key=True)
    type = DiscriminatorAttribute()
    GSI1PK = UnicodeAttribute(null=True)
    GSI1SK = UnicodeAttribute(null=True)
    GSI2PK = UnicodeAttribute(null=True)
    GSI2SK = UnicodeAttribute(null=True)
    GSI3PK = UnicodeAttribute(null=True)
    GSI3SK = UnicodeAttribute(null=True)
    expiresAt = TTLAttribute(null=True)

    gsi1 = _Gsi1()
    gsi2 = _Gsi2()
    gsi3 = _Gsi3()


# ---------------------------------------------------------------- catalog
class StoreItem(Item, discriminator="Store"):
    storeId = UnicodeAttribute()
    name = UnicodeAttribute()
    currency = UnicodeAttribute()
    shippingFee = MoneyAttribute()
    freeShippingThreshold = MoneyAttribute(null=True)
    version = NumberAttribute()
    updatedAt = UnicodeAttribute()


class StoreDirectoryItem(Item, discriminator="StoreDirectory"):
    # storeId -> {"currency", "shippingFee", "freeShippingThreshold"}: what checkout needs, in one read.
    policies = JSONAttribute()
    version = NumberAttribute()


class ProductItem(Item, discriminator="Product"):
    productId = UnicodeAttribute()
    storeId = UnicodeAttribute()
    name = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    category = UnicodeAttribute(null=True)
    attributes = JSONAttribute(null=True)
    status = UnicodeAttribute()
    version = NumberAttribute()
    createdAt = UnicodeAttribute()
    updatedAt = UnicodeAttribute()


class SkuItem(Item, discriminator="Sku"):
    skuId = UnicodeAttribute()
    productId = UnicodeAttribute()
    storeId = UnicodeAttribute()
    name = UnicodeAttribute()
    price = MoneyAttribute()
    warehouseId = UnicodeAttribute()
    weightGrams = NumberAttribute()
    attributes = JSONAttribute(null=True)
    status = UnicodeAttribute()
    version = NumberAttribute()
    createdAt = UnicodeAttribute()
    updatedAt = UnicodeAttribute()


class StockItem(Item, discriminator="Stock"):
    skuId = UnicodeAttribute()
    available = NumberAttribute()
    reserved = NumberAttribute()
    sold = NumberAttribute()
    received = NumberAttribute()
    adjusted = NumberAttribute()
    updatedAt = UnicodeAttribute()


class StockMovementItem(Item, discriminator="StockMovement"):
    skuId = UnicodeAttribute()
    delta = NumberAttribute()
    reason = UnicodeAttribute()
    note = UnicodeAttribute(null=True)
    by = UnicodeAttribute()
    at = UnicodeAttribute()
    availableAfter = NumberAttribute()


# ---------------------------------------------------------------- orders
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
    shippingAddress = JSONAttribute()
    note = UnicodeAttribute(null=True)
    paymentDeadline = UnicodeAttribute()
    cancellation = JSONAttribute(null=True)
    createdAt = UnicodeAttribute()
    updatedAt = UnicodeAttribute()
    version = NumberAttribute()


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


class OrderEventItem(Item, discriminator="OrderEvent"):
    orderId = UnicodeAttribute()
    fromStatus = UnicodeAttribute(null=True)
    toStatus = UnicodeAttribute()
    by = UnicodeAttribute()
    role = UnicodeAttribute()
    at = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)


class OutboxItem(Item, discriminator="Outbox"):
    eventId = UnicodeAttribute()
    detailType = UnicodeAttribute()
    detail = JSONAttribute()
    createdAt = UnicodeAttribute()


class OrderNumberItem(Item, discriminator="OrderNumber"):
    orderId = UnicodeAttribute()


class IdempotencyItem(Item, discriminator="Idempotency"):
    requestHash = UnicodeAttribute()
    statusCode = NumberAttribute()
    responseBody = UnicodeAttribute()
    createdAt = UnicodeAttribute()
