"""What the scheduled reports read, each a Query on a key or index by date (never a scan):

- orders placed in a period: GSI2 `ORDERS`, sort key `<createdAt>#<orderId>` between the period's bounds;
- one order's child orders: its partition, `CHILD#` prefix;
- an account's ledger lines in a period: GSI2 `ACCOUNT#<account>`, sort key `<at>#<posting>#<n>`.
"""

from __future__ import annotations

from collections.abc import Iterator

from oms.store import keys
from oms.store.models import ChildOrderItem, Item, LedgerLineItem, OrderItem, PricingSettingsItem
from oms.store.pricing import FxSettings, fx_from_settings
from oms.store.records import ChildRecord, HeaderRecord, LedgerLineRecord
from oms.store.rows import child_record, header_record, ledger_line_record

PAGE = 200  # items per query page


def orders_placed(start: str, end: str) -> Iterator[HeaderRecord]:
    """Order headers created at `start` <= createdAt < `end` (RFC 3339 in the stored millisecond form)."""
    for item in OrderItem.gsi2.query(keys.ALL_ORDERS_GSI2, Item.GSI2SK.between(start, f"{end}#"), page_size=PAGE):
        if isinstance(item, OrderItem) and item.createdAt < end:
            yield header_record(item)


def children(order_id: str) -> list[ChildRecord]:
    return [
        child_record(item)
        for item in ChildOrderItem.query(keys.order_pk(order_id), ChildOrderItem.SK.startswith("CHILD#"))
        if isinstance(item, ChildOrderItem)
    ]


def account_lines(account: str, start: str, end: str) -> Iterator[LedgerLineRecord]:
    """The account's ledger lines booked at `start` <= at < `end`."""
    for item in LedgerLineItem.gsi2.query(
        keys.account_gsi2(account), Item.GSI2SK.between(start, f"{end}#"), page_size=PAGE
    ):
        if isinstance(item, LedgerLineItem) and item.at < end:
            yield ledger_line_record(item)


def fx_settings() -> FxSettings:
    """The reporting currency and today's rates to it (orders carry their own frozen rate)."""
    try:
        item = PricingSettingsItem.get(*keys.FX_SETTINGS)
    except PricingSettingsItem.DoesNotExist:
        return fx_from_settings(None)
    return fx_from_settings(item)


def ledger_lines_of_day(day: str) -> list[LedgerLineRecord]:
    """Every ledger line booked on `day` (YYYY-MM-DD, UTC): one Query per shard of GSI3 `LEDGERDAY#<day>`."""
    lines = []
    for partition in keys.ledger_day_partitions(day):
        for item in LedgerLineItem.gsi3.query(partition, page_size=PAGE):
            if isinstance(item, LedgerLineItem):
                lines.append(ledger_line_record(item))
    return sorted(lines, key=lambda line: (line.at, line.postingId, line.account))
