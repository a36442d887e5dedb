"""Records: what the store hands out (oms.store.records) are plain dataclasses, never pynamodb rows, and
each row record converts from its row and back without losing or keeping anything of pynamodb."""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any

import pytest
from oms.store import records, rows
from oms.store.models import (
    AnomalyItem,
    ChildOrderItem,
    Item,
    MoneyAttribute,
    OrderEventItem,
    OrderItem,
    PaymentAttemptItem,
    RefundItem,
    ShipmentItem,
)
from pynamodb.attributes import MapAttribute
from pynamodb.models import Model

PUBLIC_CLASSES = [
    value
    for name, value in vars(records).items()
    if not name.startswith("_") and inspect.isclass(value) and value.__module__ == records.__name__
]
# Every converter of oms.store.rows: `<name>_record(item: <Row>) -> <Record>`.
CONVERTERS = [
    value
    for name, value in vars(rows).items()
    if name.endswith("_record") and not name.startswith("_") and inspect.isfunction(value)
]


def test_every_public_class_of_records_is_a_dataclass_not_a_row() -> None:
    assert len(PUBLIC_CLASSES) >= 20
    for cls in PUBLIC_CLASSES:
        assert dataclasses.is_dataclass(cls), cls.__name__
        assert not issubclass(cls, Model), cls.__name__
        assert not issubclass(cls, MapAttribute), cls.__name__


def test_every_public_name_of_records_is_a_record_or_a_function_of_records() -> None:
    for name, value in vars(records).items():
        if name.startswith("_") or inspect.ismodule(value) or name in {"annotations", "Any"}:
            continue
        if inspect.isclass(value) and value.__module__ != records.__name__:
            assert not issubclass(value, (Model, MapAttribute)), name  # no row re-exported under a record name
            continue
        assert dataclasses.is_dataclass(value) or inspect.isfunction(value), name


def test_row_records_are_frozen() -> None:
    for cls in PUBLIC_CLASSES:
        if cls is not records.OrderRecord:  # the partition's container (lists filled as it is read)
            assert cls.__dataclass_params__.frozen, cls.__name__  # type: ignore[attr-defined]


def test_every_row_record_has_one_converter() -> None:
    made = {inspect.signature(convert).return_annotation for convert in CONVERTERS}
    row_records = {
        cls.__name__
        for cls in PUBLIC_CLASSES
        if cls.__name__.endswith("Record")
        and cls not in (records.OrderRecord, records.IdempotencyRecord, records.MoneyRecord)
    }
    assert made == row_records


def _pynamodb_values(value: Any) -> list[Any]:
    if isinstance(value, (Model, MapAttribute)):
        return [value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [v for f in dataclasses.fields(value) for v in _pynamodb_values(getattr(value, f.name))]
    if isinstance(value, dict):
        return [v for item in value.values() for v in _pynamodb_values(item)]
    if isinstance(value, list):
        return [v for item in value for v in _pynamodb_values(item)]
    return []


def _money(amount: int) -> MoneyAttribute:
    return MoneyAttribute(amount=amount, currency="CNY")


ROWS: list[tuple[Any, Item]] = [
    (
        rows.header_record,
        OrderItem(
            "ORDER#o1",
            "META",
            GSI4SK="2026-01-01T00:00:00.000Z#o1",
            orderId="o1",
            orderNumber="N1",
            customerId="c1",
            status="PENDING_PAYMENT",
            currency="CNY",
            storeIds=["s1", "s2"],
            subtotal=_money(1000),
            shipping=_money(0),
            discount=_money(100),
            total=_money(900),
            shippingAddress={"city": "Shanghai"},
            paymentDeadline="2026-01-01T00:00:00Z",
            benefits={"coupons": [{"code": "A"}]},
            openCases=0,
            createdAt="2026-01-01T00:00:00Z",
            updatedAt="2026-01-01T00:00:00Z",
            version=3,
        ),
    ),
    (
        rows.attempt_record,
        PaymentAttemptItem(
            "ORDER#o1",
            "PAYMENT#o101",
            paymentId="o101",
            orderId="o1",
            customerId="c1",
            method="alipay",
            status="PENDING",
            amount=_money(900),
            goodsAmount=_money(900),
            surcharge=_money(0),
            fee=_money(5),
            received=_money(800),
            instructions={"qr": "x"},
            createdAt="t",
            updatedAt="t",
            version=2,
        ),
    ),
    (
        rows.refund_record,
        RefundItem(
            "ORDER#o1",
            "REFUND#r1",
            GSI4SK="2026-01-01T00:01:00.000Z#o1#r1",
            refundId="r1",
            orderId="o1",
            paymentId="o101",
            method="alipay",
            amount=_money(100),
            status="PENDING",
            reason="overpaid",
            failures=1,
            createdAt="t",
            updatedAt="t",
        ),
    ),
    (
        rows.child_record,
        ChildOrderItem(
            "ORDER#o1",
            "CHILD#01",
            GSI1PK="WAREHOUSE#w1",
            childId="o1-01",
            orderId="o1",
            childNo=1,
            storeId="s1",
            warehouseId="w1",
            handling="normal",
            crossBorder="false",
            parts=[{"lineNo": 1, "quantity": 2}],
            total=_money(900),
            status="AWAITING_SHIPMENT",
            shipped={"1": 1},
            createdAt="t",
            updatedAt="t",
            version=1,
        ),
    ),
    (
        rows.event_record,
        OrderEventItem("ORDER#o1", "EVENT#01J0", orderId="o1", toStatus="PAID", by="u", role="customer", at="t"),
    ),
    (
        rows.anomaly_record,
        AnomalyItem(
            "ANOMALY#a1",
            "META",
            anomalyId="a1",
            anomalyType="OVERPAID",
            orderId="o1",
            paymentId="o101",
            expected=_money(900),
            received=_money(1000),
            status="OPEN",
            notes=[{"note": "x"}],
            createdAt="t",
            updatedAt="t",
            version=1,
        ),
    ),
    (
        rows.shipment_record,
        ShipmentItem(
            "ORDER#o1",
            "SHIPMENT#x",
            shipmentId="x",
            orderId="o1",
            childId="o1-01",
            carrier="sf",
            trackingNumber="SF1",
            lines={"1": 1},
            status="IN_TRANSIT",
            events=[{"status": "IN_TRANSIT"}],
            createdAt="t",
            createdBy="w",
            updatedAt="t",
            version=4,
        ),
    ),
]


@pytest.mark.parametrize(("convert", "item"), ROWS, ids=lambda v: getattr(v, "__name__", type(v).__name__))
def test_a_record_holds_the_rows_values_as_plain_values(convert: Any, item: Item) -> None:
    record = convert(item)
    assert not _pynamodb_values(record)
    for field in dataclasses.fields(record):
        if not hasattr(type(item), field.name):
            continue  # derived from the row's key or index attributes
        stored, plain = getattr(item, field.name), getattr(record, field.name)
        if isinstance(stored, MoneyAttribute):
            assert plain == records.MoneyRecord(int(stored.amount), stored.currency)
            assert plain.money() == stored.money()
        else:
            assert plain == stored, field.name


def test_derived_fields_come_from_the_keys_and_index_attributes() -> None:
    items = {convert.__name__: item for convert, item in ROWS}
    assert rows.event_record(items["event_record"]).eventId == "01J0"  # type: ignore[arg-type]
    assert rows.child_record(items["child_record"]).queued is True  # type: ignore[arg-type]
    assert rows.refund_record(items["refund_record"]).nextTry == "2026-01-01T00:01:00.000Z"  # type: ignore[arg-type]


@pytest.mark.parametrize(("convert", "item"), ROWS, ids=lambda v: getattr(v, "__name__", type(v).__name__))
def test_a_new_row_built_from_a_record_serializes_as_the_row_it_came_from(convert: Any, item: Item) -> None:
    index = {name: getattr(item, name) for name in ("GSI1PK", "GSI1SK", "GSI4PK", "GSI4SK")}
    rebuilt = rows.item_of(type(item), convert(item), item.PK, item.SK, **index)
    assert rebuilt.serialize() == item.serialize()
