"""A cancelled transaction names the action whose condition failed, whatever kinds of actions it holds.

DynamoDB's cancellation reasons follow the order of the request's items, and pynamodb sends condition
checks, then deletes, then puts, then updates — not the order the store added them in. An order edit
deletes the lines and child orders it drops: its stale header must read as a stale order, not as a stock
shortage (409 `insufficient-stock` with more available than asked, as a loaded run once answered).
"""

from __future__ import annotations

import os

import boto3
import pytest
from oms.store import keys
from oms.store.models import IdempotencyItem, OrderItem, StockItem
from oms.store.transactions import Part, Transaction, TransactionCancelled

FAILED = "ConditionalCheckFailed"


def _seed() -> None:
    table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
    for sku in ("S1", "S2"):
        pk, sk = keys.stock(sku)
        table.put_item(Item={"PK": pk, "SK": sk, "available": 5, "reserved": 0, "sold": 0})
    table.put_item(Item={"PK": keys.order_pk("O1"), "SK": keys.ORDER_META, "version": 1})


def test_a_failed_update_is_named_in_a_transaction_that_also_deletes_and_puts(aws: None) -> None:
    _seed()
    tx = Transaction()
    tx.update((Part.STOCK, "S1"), StockItem(*keys.stock("S1")), [StockItem.available.add(-1)], StockItem.available >= 1)
    tx.update(
        (Part.RISK, "checkout-user"),
        StockItem(*keys.stock("S2")),
        [StockItem.available.add(-9)],
        StockItem.available >= 9,
    )
    tx.put(
        Part.IDEMPOTENCY,
        IdempotencyItem(
            *keys.idempotency("cust", "k1"), requestHash="h", statusCode=201, responseBody="{}", createdAt="t"
        ),
        IdempotencyItem.PK.does_not_exist(),
    )
    tx.delete(Part.ORDER, OrderItem(keys.order_pk("O1"), keys.ORDER_META))
    with pytest.raises(TransactionCancelled) as raised:
        tx.commit()
    failures = raised.value.failures
    assert [(f.label, f.code) for f in failures] == [((Part.RISK, "checkout-user"), FAILED)]
    assert raised.value.failed(Part.IDEMPOTENCY) == [] and raised.value.failed(Part.STOCK) == []


def test_a_failed_delete_is_named_as_the_delete(aws: None) -> None:
    _seed()
    tx = Transaction()
    tx.update((Part.STOCK, "S1"), StockItem(*keys.stock("S1")), [StockItem.available.add(-1)], StockItem.available >= 1)
    tx.put(
        Part.IDEMPOTENCY,
        IdempotencyItem(
            *keys.idempotency("cust", "k2"), requestHash="h", statusCode=201, responseBody="{}", createdAt="t"
        ),
        IdempotencyItem.PK.does_not_exist(),
    )
    tx.delete(Part.ORDER, OrderItem(keys.order_pk("O1"), keys.ORDER_META), OrderItem.version == 7)
    tx.check(Part.SKU, StockItem(*keys.stock("S2")), StockItem.available >= 1)
    with pytest.raises(TransactionCancelled) as raised:
        tx.commit()
    assert [f.label for f in raised.value.failures] == [Part.ORDER]
