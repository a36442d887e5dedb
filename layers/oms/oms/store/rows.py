"""Rows and records: each record of `oms.store.records` is built here from its pynamodb row (one
converter per record), and a new row from its record when the store writes one it built as a record.

A record holds the row's attributes under the same names, as plain values: a money map becomes a
`MoneyRecord`, a map a dict, a list a list; numbers and strings stay as the row holds them. Keys and
index attributes stay in the store (the writes build them from the record's ids)."""

from __future__ import annotations

from dataclasses import fields
from typing import Any, TypeVar

from pynamodb.attributes import MapAttribute

from oms.store import keys
from oms.store.models import (
    AnomalyItem,
    AuditItem,
    BalanceAccountItem,
    CaseItem,
    ChildOrderItem,
    CouponItem,
    CouponTemplateItem,
    Item,
    LedgerLineItem,
    MoneyAttribute,
    OrderEventItem,
    OrderFlagItem,
    OrderItem,
    OrderLineItem,
    OrderNoteItem,
    PaymentAttemptItem,
    PointsAccountItem,
    PointsEntryItem,
    PricingSettingsItem,
    PromotionDirectoryItem,
    RefundItem,
    ShipmentItem,
    TrackingItem,
)
from oms.store.records import (
    AnomalyRecord,
    AttemptRecord,
    AuditRecord,
    BalanceRecord,
    CaseRecord,
    ChildRecord,
    CouponRecord,
    CouponTemplateRecord,
    EventRecord,
    FlagRecord,
    HeaderRecord,
    LedgerLineRecord,
    LineRecord,
    MoneyRecord,
    NoteRecord,
    PointsAccountRecord,
    PointsEntryRecord,
    PricingSettingsRecord,
    PromotionDirectoryRecord,
    RefundRecord,
    ShipmentRecord,
    TrackingRecord,
)

R = TypeVar("R")
I = TypeVar("I", bound=Item)  # noqa: E741

# Record fields that are not attributes of the row (derived from its key or index attributes).
_DERIVED = {AuditRecord: ("entryId",), EventRecord: ("eventId",), ChildRecord: ("queued",), RefundRecord: ("nextTry",)}


_NAMES: dict[type, tuple[str, ...]] = {}


def _names(kind: type) -> tuple[str, ...]:
    """The record's fields that are attributes of its row."""
    names = _NAMES.get(kind)
    if names is None:
        derived = _DERIVED.get(kind, ())
        names = _NAMES[kind] = tuple(f.name for f in fields(kind) if f.name not in derived)
    return names


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (str, int)):
        return value
    if isinstance(value, MoneyAttribute):
        return MoneyRecord(int(value.amount), value.currency)
    if isinstance(value, MapAttribute):
        return value.as_dict()
    if isinstance(value, list):
        return list(value)
    return value


def _record(kind: type[R], item: Item, **derived: Any) -> R:
    build: Any = kind
    values = item.attribute_values  # by attribute name (no model here renames one): what the descriptors read
    record: R = build(**{name: _plain(values.get(name)) for name in _names(kind)}, **derived)
    return record


def item_of(kind: type[I], record: Any, pk: str, sk: str, **index: Any) -> I:
    """A new row of `kind` holding `record`'s attributes (`index`: its index attributes, a TTL)."""
    values = {
        name: MoneyAttribute(amount=value.amount, currency=value.currency) if isinstance(value, MoneyRecord) else value
        for name in _names(type(record))
        for value in [getattr(record, name)]
    }
    build: Any = kind
    item: I = build(pk, sk, **values, **index)
    return item


# ---------------------------------------------------------------- one converter per record
def anomaly_record(item: AnomalyItem) -> AnomalyRecord:
    return _record(AnomalyRecord, item)


def attempt_record(item: PaymentAttemptItem) -> AttemptRecord:
    return _record(AttemptRecord, item)


def audit_record(item: AuditItem) -> AuditRecord:
    return _record(AuditRecord, item, entryId=item.SK.rpartition("#")[2])


def balance_record(item: BalanceAccountItem) -> BalanceRecord:
    return _record(BalanceRecord, item)


def case_record(item: CaseItem) -> CaseRecord:
    return _record(CaseRecord, item)


def child_record(item: ChildOrderItem) -> ChildRecord:
    return _record(ChildRecord, item, queued=item.GSI1PK is not None)


def coupon_record(item: CouponItem) -> CouponRecord:
    return _record(CouponRecord, item)


def coupon_template_record(item: CouponTemplateItem) -> CouponTemplateRecord:
    return _record(CouponTemplateRecord, item)


def note_record(item: OrderNoteItem) -> NoteRecord:
    return _record(NoteRecord, item)


def flag_record(item: OrderFlagItem) -> FlagRecord:
    return _record(FlagRecord, item)


def event_record(item: OrderEventItem) -> EventRecord:
    return _record(EventRecord, item, eventId=item.SK.removeprefix(keys.order_event_sk("")))


def header_record(item: OrderItem) -> HeaderRecord:
    return _record(HeaderRecord, item)


def ledger_line_record(item: LedgerLineItem) -> LedgerLineRecord:
    return _record(LedgerLineRecord, item)


def line_record(item: OrderLineItem) -> LineRecord:
    return _record(LineRecord, item)


def points_account_record(item: PointsAccountItem) -> PointsAccountRecord:
    return _record(PointsAccountRecord, item)


def points_entry_record(item: PointsEntryItem) -> PointsEntryRecord:
    return _record(PointsEntryRecord, item)


def pricing_settings_record(item: PricingSettingsItem) -> PricingSettingsRecord:
    return _record(PricingSettingsRecord, item)


def promotion_directory_record(item: PromotionDirectoryItem) -> PromotionDirectoryRecord:
    return _record(PromotionDirectoryRecord, item)


def refund_record(item: RefundItem) -> RefundRecord:
    # When the sweeper asks the refund's provider next: the time in its deadline-index entry (oms.store.due).
    next_try = str(item.GSI4SK).split("#", 1)[0] if item.GSI4SK else None
    return _record(RefundRecord, item, nextTry=next_try)


def shipment_record(item: ShipmentItem) -> ShipmentRecord:
    return _record(ShipmentRecord, item)


def tracking_record(item: TrackingItem) -> TrackingRecord:
    return _record(TrackingRecord, item)
