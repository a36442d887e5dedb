"""Channel stores, the channel orders they sent and the findings of their syncs (oms.services.channels).

- channel store `CHANNELSTORE#<id>` / `META`; GSI1 `CHANNELSTORES` / `<sortOrder:06d>#<id>`
- sync finding `CHANNELSTORE#<id>` / `FINDING#<at>#<findingId>`; GSI2 `CHANNELFINDINGS` / `<at>#<findingId>`
- channel order `CHANNELORDER#<storeId>#<no>` / `META`; GSI1 `CHANNELORDERNO#<no>` / `<storeId>`; while the
  order is unsettled GSI3 `CHANNELOPEN#<storeId>` / `<createdAt>#<orderId>`
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

from pynamodb.exceptions import DoesNotExist

from oms.domain.money import Money
from oms.store import keys
from oms.store.models import BalanceAccountItem, ChannelFindingItem, ChannelOrderItem, ChannelStoreItem, Item
from oms.store.pages import Page, clamp_limit, decode_cursor, encode_cursor
from oms.store.transactions import Part, Transaction


@dataclass(frozen=True)
class ChannelStore:
    storeId: str
    name: str
    channelType: str
    orderingUserId: str
    redemptionDomain: str
    currency: str
    status: str
    sortOrder: int
    searchText: str
    secret: str  # sealed
    placed: int
    version: int
    createdAt: str
    updatedAt: str
    connectedAccount: str | None = None
    lastSync: dict[str, Any] | None = None


@dataclass(frozen=True)
class ChannelOrder:
    storeId: str
    channelOrderNo: str
    orderId: str
    fingerprint: str
    via: str
    createdAt: str


STORE_FIELDS = tuple(f.name for f in fields(ChannelStore))
ORDER_FIELDS = tuple(f.name for f in fields(ChannelOrder))
MAX_STORES = 500  # the list (and its total) reads the whole directory partition
STORES_PARTITION = "CHANNELSTORES"
FINDINGS_PARTITION = "CHANNELFINDINGS"
META = "META"


def store_pk(store_id: str) -> str:
    return f"CHANNELSTORE#{store_id}"


def store_sort_key(sort_order: int, store_id: str) -> str:
    return f"{sort_order:06d}#{store_id}"


def channel_order_key(store_id: str, channel_order_no: str) -> tuple[str, str]:
    return f"CHANNELORDER#{store_id}#{channel_order_no}", META


def open_partition(store_id: str) -> str:
    return f"CHANNELOPEN#{store_id}"


def _store(item: ChannelStoreItem) -> ChannelStore:
    data = {name: getattr(item, name) for name in STORE_FIELDS}
    data.update(
        sortOrder=int(item.sortOrder),
        placed=int(item.placed or 0),
        version=int(item.version),
        lastSync=dict(item.lastSync) if item.lastSync else None,
    )
    return ChannelStore(**data)


def _order(item: ChannelOrderItem) -> ChannelOrder:
    return ChannelOrder(**{name: str(getattr(item, name)) for name in ORDER_FIELDS})


def get_store(store_id: str) -> ChannelStore | None:
    try:
        return _store(ChannelStoreItem.get(store_pk(store_id), META, consistent_read=True))
    except DoesNotExist:
        return None


def all_stores() -> list[ChannelStore]:
    """Every channel store in sort order (bounded by MAX_STORES)."""
    found = Item.gsi1.query(STORES_PARTITION, limit=MAX_STORES)
    return [_store(i) for i in found if isinstance(i, ChannelStoreItem)]


def store_count() -> int:
    return len(all_stores())


def balances_of(users: Sequence[str]) -> dict[str, dict[str, int]]:
    """user -> {currency: available} of the ordering users' balance accounts (one BatchGetItem a hundred)."""
    wanted = [(keys.balance_pk(u), keys.BALANCE_ACCOUNT_SK) for u in dict.fromkeys(users)]
    found: dict[str, dict[str, int]] = {}
    for start in range(0, len(wanted), 100):
        for item in BalanceAccountItem.batch_get(wanted[start : start + 100]):
            found[str(item.customerId)] = {str(item.currency): int(item.available)}
    return found


def balance_of(user: str, currency: str) -> Money:
    return Money(balances_of([user]).get(user, {}).get(currency, 0), currency)


def add_new_store(tx: Transaction, record: ChannelStore) -> None:
    item = ChannelStoreItem(
        store_pk(record.storeId),
        META,
        **asdict(record),
        GSI1PK=STORES_PARTITION,
        GSI1SK=store_sort_key(record.sortOrder, record.storeId),
    )
    tx.put(Part.CHANNEL, item, ChannelStoreItem.PK.does_not_exist())


def add_store_update(
    tx: Transaction, store_id: str, changes: dict[str, Any], version: int, *, placed: int | None = None
) -> None:
    """Set the fields (None removes one), conditional on the version read (and, given `placed`, on no order
    having been placed since: a disable). The sort order moves the store in the list."""
    actions: list[Any] = [
        getattr(ChannelStoreItem, name).remove() if value is None else getattr(ChannelStoreItem, name).set(value)
        for name, value in changes.items()
    ]
    if changes.get("sortOrder") is not None:
        actions.append(ChannelStoreItem.GSI1SK.set(store_sort_key(int(changes["sortOrder"]), store_id)))
    condition = ChannelStoreItem.version == version
    if placed is not None:
        condition = condition & (ChannelStoreItem.placed == placed)
    tx.update(
        Part.CHANNEL,
        ChannelStoreItem(store_pk(store_id), META),
        [*actions, ChannelStoreItem.version.add(1)],
        condition,
    )


def add_sync(tx: Transaction, store_id: str, last: dict[str, Any], account: str) -> None:
    """The latest sync and the account it refreshed (not an edit: no version)."""
    tx.update(
        (Part.CHANNEL, "sync"),
        ChannelStoreItem(store_pk(store_id), META),
        [ChannelStoreItem.lastSync.set(last), ChannelStoreItem.connectedAccount.set(account)],
        ChannelStoreItem.PK.exists(),
    )


def channel_order(store_id: str, channel_order_no: str) -> ChannelOrder | None:
    try:
        return _order(ChannelOrderItem.get(*channel_order_key(store_id, channel_order_no), consistent_read=True))
    except DoesNotExist:
        return None


def channel_orders_numbered(channel_order_no: str) -> list[ChannelOrder]:
    """Every store's channel order of this number (numbers are unique per store only)."""
    found = Item.gsi1.query(f"CHANNELORDERNO#{channel_order_no}", limit=50)
    return [_order(i) for i in found if isinstance(i, ChannelOrderItem)]


def _channel_order_item(row: ChannelOrder) -> ChannelOrderItem:
    store_id, channel_order_no, order_id, now = row.storeId, row.channelOrderNo, row.orderId, row.createdAt
    fingerprint, via = row.fingerprint, row.via
    pk, sk = channel_order_key(store_id, channel_order_no)
    return ChannelOrderItem(
        pk,
        sk,
        storeId=store_id,
        channelOrderNo=channel_order_no,
        orderId=order_id,
        fingerprint=fingerprint,
        via=via,
        createdAt=now,
        GSI1PK=f"CHANNELORDERNO#{channel_order_no}",
        GSI1SK=store_id,
        GSI3PK=open_partition(store_id),
        GSI3SK=f"{now}#{order_id}",
    )


def add_placement(tx: Transaction, row: ChannelOrder) -> None:
    """The channel order's row (its number not taken) and the store's count of placed orders (enabled)."""
    store_id = row.storeId
    tx.put(Part.CHANNEL_ORDER, _channel_order_item(row), ChannelOrderItem.PK.does_not_exist())
    store = ChannelStoreItem(store_pk(store_id), META)
    tx.update(
        Part.CHANNEL,
        store,
        [ChannelStoreItem.placed.add(1)],
        ChannelStoreItem.status == "ENABLED",
    )


def unsettled(store_id: str, limit: int = 20) -> list[tuple[str, str]]:
    """(channel order number, order id) of the store's unsettled orders, oldest first (keys only)."""
    found = Item.gsi3.query(open_partition(store_id), limit=limit)
    return [(str(i.PK).removeprefix(f"CHANNELORDER#{store_id}#"), str(i.GSI3SK).rsplit("#", 1)[-1]) for i in found]


def mark_settled(store_id: str, channel_order_no: str, now: str) -> bool:
    """Take a settled order out of its store's unsettled list (idempotent)."""
    item = ChannelOrderItem(*channel_order_key(store_id, channel_order_no))
    tx = Transaction()
    tx.update(
        Part.CHANNEL_ORDER,
        item,
        [ChannelOrderItem.GSI3PK.remove(), ChannelOrderItem.GSI3SK.remove(), ChannelOrderItem.settledAt.set(now)],
        ChannelOrderItem.GSI3PK.exists(),
    )
    from oms.store.transactions import TransactionCancelled

    try:
        tx.commit()
    except TransactionCancelled as cancelled:
        if cancelled.failed(Part.CHANNEL_ORDER):
            return False
        raise
    return True


def add_finding(tx: Transaction, store_id: str, finding_id: str, kind: str, details: dict[str, Any], at: str) -> None:
    tx.put(
        (Part.CHANNEL, finding_id),
        ChannelFindingItem(
            store_pk(store_id),
            f"FINDING#{at}#{finding_id}",
            findingId=finding_id,
            storeId=store_id,
            kind=kind,
            details=details,
            at=at,
            GSI2PK=FINDINGS_PARTITION,
            GSI2SK=f"{at}#{finding_id}",
        ),
    )


def findings(store_id: str | None, limit: int | None, cursor: str | None) -> Page[dict[str, Any]]:
    """Sync findings newest first: one store's, or every store's."""
    if store_id is None:
        results = Item.gsi2.query(
            FINDINGS_PARTITION,
            scan_index_forward=False,
            limit=clamp_limit(limit),
            last_evaluated_key=decode_cursor(cursor, partition_attr="GSI2PK", partition_value=FINDINGS_PARTITION),
        )
    else:
        partition = store_pk(store_id)
        results = Item.query(
            partition,
            Item.SK.startswith("FINDING#"),
            scan_index_forward=False,
            limit=clamp_limit(limit),
            last_evaluated_key=decode_cursor(cursor, partition_attr="PK", partition_value=partition),
        )
    items = [_finding(i) for i in results if isinstance(i, ChannelFindingItem)]
    return Page(items, encode_cursor(results.last_evaluated_key))


def _finding(item: ChannelFindingItem) -> dict[str, Any]:
    return {
        "findingId": item.findingId,
        "storeId": item.storeId,
        "kind": item.kind,
        "details": dict(item.details),
        "at": item.at,
    }


def findings_since(at: str, limit: int = 100) -> list[dict[str, Any]]:
    found = Item.gsi2.query(FINDINGS_PARTITION, at <= Item.GSI2SK, scan_index_forward=False, limit=limit)
    return [_finding(i) for i in found if isinstance(i, ChannelFindingItem)]
