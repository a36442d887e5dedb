"""Code pools, vouchers, redemption links and the e-commerce order list (oms.services.virtual_goods).

- code pool `CODEPOOL#<skuId>` / `META`
- pool code `CODEPOOL#<skuId>` / `CODE#<codeId>`; GSI1 `CODEFREE#<skuId>` / `<codeId>` while AVAILABLE
- code digest `CODE#<digest>` / `META`
- voucher `VOUCHERS#<orderId>` / `V#<voucherId>`; while a delayed activation waits GSI4
  `DUE#ACTIVATION#<shard>` / `<activateAt>#<orderId>#<voucherId>`
- redemption link `REDEEM#<token>` / `META`
- e-commerce order `ECOM#<orderId>` / `META`; GSI1 `ECOMORDERS#<source>` and GSI2 `ECOMSTORE#<storeId>` by
  `<createdAt>#<orderId>`; GSI3 `ECOMSTAGE#<stage>` / `<stageSince>#<orderId>`
"""

from __future__ import annotations

import heapq
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist

from oms.domain.stock import MovementKind, StockMove
from oms.store import keys
from oms.store.models import (
    CodeDigestItem,
    CodePoolItem,
    EcomOrderItem,
    Item,
    PoolCodeItem,
    RedemptionLinkItem,
    SkuItem,
    StockItem,
    VoucherItem,
)
from oms.store.risk import RateWindowItem
from oms.store.stock import add_stock_update
from oms.store.transactions import Part, Transaction, TransactionCancelled

META = "META"
ACTIVATION = "ACTIVATION"
PENDING_ACTIVATION = "PENDING_ACTIVATION"


@dataclass(frozen=True)
class VirtualSku:
    """What delivery needs of a SKU."""

    sku_id: str
    store_id: str
    name: str
    virtual: dict[str, Any] | None


@dataclass(frozen=True)
class PoolCode:
    sku_id: str
    code_id: str
    sealed: str
    digest: str
    masked: str
    status: str = "AVAILABLE"
    expires_at: str | None = None
    order_id: str | None = None
    uploaded_at: str = ""
    uploaded_by: str = ""


@dataclass(frozen=True)
class Pool:
    available: int
    assigned: int
    uploaded: int


@dataclass(frozen=True)
class CodeOwner:
    """Whose a code is (the digest row): a pool code, and the voucher it went to."""

    sku_id: str
    order_id: str | None
    voucher_id: str | None


@dataclass(frozen=True)
class Voucher:
    voucherId: str
    orderId: str
    lineNo: int
    skuId: str
    storeId: str
    kind: str
    state: str
    deliveredAt: str
    updatedAt: str
    version: int = 1
    before: str | None = None
    sealed: str | None = None
    masked: str | None = None
    digest: str | None = None
    codeId: str | None = None
    token: str | None = None
    url: str | None = None
    validUntil: str | None = None
    activateAt: str | None = None
    activatedAt: str | None = None
    redeemedAt: str | None = None
    redeemedBy: str | None = None
    verifiedAt: str | None = None
    verifiedBy: str | None = None
    verifiedKey: str | None = None
    reason: str | None = None


VOUCHER_FIELDS = tuple(f.name for f in fields(Voucher))


@dataclass(frozen=True)
class EcomOrder:
    orderId: str
    orderNumber: str
    source: str
    customerId: str
    storeIds: list[str]
    products: list[dict[str, Any]]
    units: int
    delivered: int
    stage: str
    stageSince: str
    states: dict[str, int]
    createdAt: str
    updatedAt: str
    version: int
    channelStoreId: str | None = None
    channelOrderNo: str | None = None
    redemption: str | None = None
    verification: str | None = None
    afterSales: str | None = None
    link: str | None = None
    reason: str | None = None
    redeemedAt: str | None = None
    deletedAt: str | None = None
    deletedBy: str | None = None


ECOM_FIELDS = tuple(f.name for f in fields(EcomOrder))
ACTIVATION_SHARDS = 4


def pool_key(sku_id: str) -> tuple[str, str]:
    return f"CODEPOOL#{sku_id}", META


def code_key(sku_id: str, code_id: str) -> tuple[str, str]:
    return f"CODEPOOL#{sku_id}", f"CODE#{code_id}"


def digest_key(digest: str) -> tuple[str, str]:
    return f"CODE#{digest}", META


def vouchers_pk(order_id: str) -> str:
    return f"VOUCHERS#{order_id}"


def voucher_key(order_id: str, voucher_id: str) -> tuple[str, str]:
    return vouchers_pk(order_id), f"V#{voucher_id}"


def link_key(token: str) -> tuple[str, str]:
    return f"REDEEM#{token}", META


def ecom_key(order_id: str) -> tuple[str, str]:
    return f"ECOM#{order_id}", META


def activation_partition(order_id: str) -> str:
    return f"DUE#{ACTIVATION}#{zlib.crc32(order_id.encode()) % ACTIVATION_SHARDS}"


def activation_partitions() -> list[str]:
    return [f"DUE#{ACTIVATION}#{n}" for n in range(ACTIVATION_SHARDS)]


# ---------------------------------------------------------------- pools
def pool(sku_id: str) -> Pool:
    try:
        item = CodePoolItem.get(*pool_key(sku_id), consistent_read=True)
    except DoesNotExist:
        return Pool(0, 0, 0)
    return Pool(int(item.available), int(item.assigned), int(item.uploaded))


def known_digests(digests: Sequence[str]) -> set[str]:
    """Which of these codes are in a pool already (one BatchGetItem per hundred)."""
    found: set[str] = set()
    wanted = [digest_key(d) for d in dict.fromkeys(digests)]
    for start in range(0, len(wanted), 100):
        for item in CodeDigestItem.batch_get(wanted[start : start + 100]):
            found.add(str(item.PK).removeprefix("CODE#"))
    return found


def add_codes(tx: Transaction, sku_id: str, store_id: str, codes: Sequence[PoolCode], now: str) -> None:
    """Codes into the pool (each digest not taken), the pool's counters and the SKU's stock (what checkout
    may sell), in one transaction: a code is sellable exactly when it is in the pool."""
    for code in codes:
        item = PoolCodeItem(
            *code_key(sku_id, code.code_id),
            skuId=sku_id,
            codeId=code.code_id,
            sealed=code.sealed,
            digest=code.digest,
            masked=code.masked,
            status="AVAILABLE",
            codeExpiresAt=code.expires_at,
            uploadedAt=code.uploaded_at,
            uploadedBy=code.uploaded_by,
            GSI1PK=f"CODEFREE#{sku_id}",
            GSI1SK=code.code_id,
        )
        tx.put((Part.CODE, code.code_id), item, PoolCodeItem.PK.does_not_exist())
        digest = CodeDigestItem(*digest_key(code.digest), skuId=sku_id, codeId=code.code_id)
        tx.put((Part.CODE, "digest", code.digest), digest, CodeDigestItem.PK.does_not_exist())
    n = len(codes)
    tx.update(
        Part.POOL,
        CodePoolItem(*pool_key(sku_id)),
        [
            CodePoolItem.available.add(n),
            CodePoolItem.uploaded.add(n),
            CodePoolItem.assigned.add(0),
            CodePoolItem.skuId.set(sku_id),
            CodePoolItem.storeId.set(store_id),
            CodePoolItem.updatedAt.set(now),
            CodePoolItem.type.set(CodePoolItem),
        ],
    )
    # The pool is the stock: recorded as a restock by the uploader, so the SKU's history explains it.
    move = StockMove(MovementKind.ADJUSTMENT, codes[0].uploaded_by, {"codes": str(n)}, f"code pool upload ({n})")
    add_stock_update(
        tx,
        sku_id,
        [StockItem.available.add(n), StockItem.received.add(n)],
        StockItem.PK.exists(),
        move,
        now,
        label=Part.STOCK,
    )


def _pool_code(item: PoolCodeItem) -> PoolCode:
    return PoolCode(
        sku_id=str(item.skuId),
        code_id=str(item.codeId),
        sealed=str(item.sealed),
        digest=str(item.digest),
        masked=str(item.masked),
        status=str(item.status),
        expires_at=item.codeExpiresAt,
        order_id=item.orderId,
        uploaded_at=str(item.uploadedAt),
        uploaded_by=str(item.uploadedBy),
    )


def free_codes(sku_id: str, limit: int) -> list[str]:
    """Ids of available codes, oldest upload first (the sparse list: assigned codes leave it; keys only)."""
    found = Item.gsi1.query(f"CODEFREE#{sku_id}", limit=limit)
    return [str(i.SK).removeprefix("CODE#") for i in found]


def pool_codes(sku_id: str, code_ids: Sequence[str]) -> list[PoolCode]:
    wanted = [code_key(sku_id, c) for c in code_ids]
    return [_pool_code(i) for i in PoolCodeItem.batch_get(wanted) if isinstance(i, PoolCodeItem)]


def add_assignment(tx: Transaction, code: PoolCode, order_id: str, voucher_id: str, now: str) -> None:
    """The code goes to the voucher: conditional on it being available, so it is never given twice."""
    tx.update(
        (Part.CODE, code.code_id),
        PoolCodeItem(*code_key(code.sku_id, code.code_id)),
        [
            PoolCodeItem.status.set("ASSIGNED"),
            PoolCodeItem.orderId.set(order_id),
            PoolCodeItem.voucherId.set(voucher_id),
            PoolCodeItem.GSI1PK.remove(),
            PoolCodeItem.GSI1SK.remove(),
        ],
        PoolCodeItem.status == "AVAILABLE",
    )
    tx.update(
        (Part.CODE, "digest", code.digest),
        CodeDigestItem(*digest_key(code.digest)),
        [CodeDigestItem.orderId.set(order_id), CodeDigestItem.voucherId.set(voucher_id)],
        CodeDigestItem.PK.exists(),
    )


def add_pool_take(tx: Transaction, sku_id: str, n: int, now: str) -> None:
    tx.update(
        (Part.POOL, sku_id),
        CodePoolItem(*pool_key(sku_id)),
        [CodePoolItem.available.add(-n), CodePoolItem.assigned.add(n), CodePoolItem.updatedAt.set(now)],
        CodePoolItem.available >= n,
    )


def codes_page(sku_id: str, limit: int, cursor: dict[str, Any] | None) -> tuple[list[PoolCode], Any]:
    partition = f"CODEPOOL#{sku_id}"
    results = Item.query(
        partition, Item.SK.startswith("CODE#"), scan_index_forward=False, limit=limit, last_evaluated_key=cursor
    )
    items = [_pool_code(i) for i in results if isinstance(i, PoolCodeItem)]
    return items, results.last_evaluated_key


def code_owner(digest: str) -> CodeOwner | None:
    try:
        item = CodeDigestItem.get(*digest_key(digest), consistent_read=True)
    except DoesNotExist:
        return None
    return CodeOwner(str(item.skuId), item.orderId, item.voucherId)


# ---------------------------------------------------------------- vouchers
def _voucher(item: VoucherItem) -> Voucher:
    data = {name: getattr(item, name) for name in VOUCHER_FIELDS}
    data["lineNo"], data["version"] = int(item.lineNo), int(item.version)
    return Voucher(**data)


def vouchers_of(order_id: str) -> list[Voucher]:
    found = Item.query(vouchers_pk(order_id), Item.SK.startswith("V#"), consistent_read=True)
    return sorted((_voucher(i) for i in found if isinstance(i, VoucherItem)), key=lambda v: v.voucherId)


def voucher(order_id: str, voucher_id: str) -> Voucher | None:
    try:
        return _voucher(VoucherItem.get(*voucher_key(order_id, voucher_id), consistent_read=True))
    except DoesNotExist:
        return None


def _timer_entry(order_id: str, voucher_id: str, state: str, activate_at: str | None) -> tuple[str, str] | None:
    """A voucher is in the activation index while a delayed activation waits on it."""
    if state != PENDING_ACTIVATION or not activate_at:
        return None
    return activation_partition(order_id), f"{activate_at}#{order_id}#{voucher_id}"


def add_new_voucher(tx: Transaction, voucher: Voucher) -> None:
    item = VoucherItem(*voucher_key(voucher.orderId, voucher.voucherId), **asdict(voucher))
    entry = _timer_entry(voucher.orderId, voucher.voucherId, voucher.state, voucher.activateAt)
    if entry is not None:
        item.GSI4PK, item.GSI4SK = entry
    tx.put((Part.VOUCHER, voucher.voucherId), item, VoucherItem.PK.does_not_exist())


def add_voucher_update(tx: Transaction, current: Voucher, changes: dict[str, Any]) -> Voucher:
    """A move of the voucher (`changes`: field -> value, None removes it), conditional on the version read;
    its place in the activation index follows its state. Returns the voucher as it will be."""
    after = replace(current, **changes, version=current.version + 1)
    actions: list[Any] = [
        getattr(VoucherItem, name).remove() if value is None else getattr(VoucherItem, name).set(value)
        for name, value in changes.items()
    ]
    entry = _timer_entry(after.orderId, after.voucherId, after.state, after.activateAt)
    if entry is None:
        actions += [VoucherItem.GSI4PK.remove(), VoucherItem.GSI4SK.remove()]
    else:
        actions += [VoucherItem.GSI4PK.set(entry[0]), VoucherItem.GSI4SK.set(entry[1])]
    tx.update(
        (Part.VOUCHER, current.voucherId),
        VoucherItem(*voucher_key(current.orderId, current.voucherId)),
        [*actions, VoucherItem.version.add(1)],
        VoucherItem.version == current.version,
    )
    return after


def add_link(tx: Transaction, token: str, order_id: str, voucher_id: str) -> None:
    item = RedemptionLinkItem(*link_key(token), orderId=order_id, voucherId=voucher_id)
    tx.put((Part.REDEMPTION, token), item, RedemptionLinkItem.PK.does_not_exist())


def add_link_digest(tx: Transaction, digest: str, sku_id: str, order_id: str, voucher_id: str) -> None:
    """The code a redeemed link gives, findable by verification like a pool code."""
    item = CodeDigestItem(*digest_key(digest), skuId=sku_id, orderId=order_id, voucherId=voucher_id)
    tx.put((Part.CODE, "digest", digest), item, CodeDigestItem.PK.does_not_exist())


def link(token: str) -> tuple[str, str] | None:
    """(order id, voucher id) the redemption link opens."""
    try:
        item = RedemptionLinkItem.get(*link_key(token), consistent_read=True)
    except DoesNotExist:
        return None
    return str(item.orderId), str(item.voucherId)


def activations_due(at: str, limit: int) -> Iterator[tuple[str, str]]:
    """(order id, voucher id) of vouchers whose delayed activation is due at or before `at`, each shard oldest
    first."""
    shards = [
        iter(Item.gsi4.query(p, f"{at}#\uffff" >= Item.GSI4SK, page_size=min(limit, 50)))
        for p in activation_partitions()
    ]
    taken = 0
    while shards and taken < limit:
        for shard in list(shards):
            item = next(shard, None)
            if item is None:
                shards.remove(shard)
                continue
            if str(item.SK).startswith("V#"):  # the index holds keys only: the voucher is read by its key
                yield str(item.PK).removeprefix("VOUCHERS#"), str(item.SK).removeprefix("V#")
                taken += 1
                if taken == limit:
                    return


# ---------------------------------------------------------------- the e-commerce order list
def _ecom(item: EcomOrderItem) -> EcomOrder:
    data = {name: getattr(item, name) for name in ECOM_FIELDS}
    data.update(
        units=int(item.units),
        delivered=int(item.delivered),
        version=int(item.version),
        storeIds=list(item.storeIds or []),
        products=list(item.products or []),
        states=dict(item.states or {}),
    )
    return EcomOrder(**data)


def ecom_order(order_id: str) -> EcomOrder | None:
    try:
        return _ecom(EcomOrderItem.get(*ecom_key(order_id), consistent_read=True))
    except DoesNotExist:
        return None


def add_ecom_put(tx: Transaction, row: EcomOrder, expected_version: int | None) -> None:
    """The order's row, in the list partitions its source (or `deleted`), store and stage say."""
    item = EcomOrderItem(*ecom_key(row.orderId), **asdict(row))
    item.GSI1PK = ecom_partition("source", "deleted" if row.deletedAt else row.source)
    item.GSI1SK = f"{row.createdAt}#{row.orderId}"
    if not row.deletedAt:
        list_store = row.channelStoreId or (row.storeIds[0] if row.storeIds else "none")
        item.GSI2PK = ecom_partition("store", list_store)
        item.GSI2SK = f"{row.createdAt}#{row.orderId}"
        item.GSI3PK = ecom_partition("stage", row.stage)
        item.GSI3SK = f"{row.stageSince}#{row.orderId}"
    condition = (
        EcomOrderItem.PK.does_not_exist() if expected_version is None else EcomOrderItem.version == expected_version
    )
    tx.put(Part.ECOM, item, condition)


def ecom_partition(kind: str, value: str) -> str:
    return {"source": "ECOMORDERS#", "store": "ECOMSTORE#", "stage": "ECOMSTAGE#"}[kind] + value


INDEX = {"source": "gsi1", "store": "gsi2", "stage": "gsi3"}
INDEX_ATTR = {"source": "GSI1", "store": "GSI2", "stage": "GSI3"}


def ecom_entries(
    kind: str, values: Sequence[str], before: dict[str, str] | None, budget: int, *, oldest_first: bool = False
) -> Iterator[tuple[str, str, EcomOrder]]:
    """(partition, sort key, row) of the partitions (`kind`: source, store or stage) merged newest first
    (oldest first: what waits longest comes first), strictly past `before` ({partition: sort key}), at most
    `budget` read."""
    index = getattr(Item, INDEX[kind])
    attr = INDEX_ATTR[kind]
    sort_attr = getattr(Item, f"{attr}SK")
    streams = []
    for value in values:
        partition = ecom_partition(kind, value)
        condition = None
        if before and partition in before:
            condition = sort_attr > before[partition] if oldest_first else sort_attr < before[partition]
        query = index.query(
            partition, condition, scan_index_forward=oldest_first, page_size=min(budget, 100), limit=budget
        )
        streams.append(_stream(query, partition, f"{attr}SK"))
    merged = heapq.merge(*streams, key=lambda t: t[0], reverse=not oldest_first)
    for sort_key, partition, item in merged:
        yield partition, sort_key, _ecom(item)


def _stream(query: Iterator[Item], partition: str, sort_attr: str) -> Iterator[tuple[str, str, EcomOrderItem]]:
    for item in query:
        if isinstance(item, EcomOrderItem):
            yield str(getattr(item, sort_attr)), partition, item


def waiting_since(stage: str, before: str | None, limit: int) -> list[EcomOrder]:
    """Rows in `stage` since before `before` (None: any time), longest waiting first."""
    partition = ecom_partition("stage", stage)
    condition = None if before is None else before > Item.GSI3SK
    found = Item.gsi3.query(partition, condition, scan_index_forward=True, limit=limit)
    return [_ecom(i) for i in found if isinstance(i, EcomOrderItem)]


def ecom_items(order_ids: Sequence[str]) -> list[EcomOrder]:
    wanted = [ecom_key(o) for o in dict.fromkeys(order_ids)]
    found: list[EcomOrder] = []
    for start in range(0, len(wanted), 100):
        found.extend(_ecom(i) for i in EcomOrderItem.batch_get(wanted[start : start + 100]))
    return found


def take_rate(subject: str, per_minute: int, now: datetime) -> bool:
    """Count one request of `subject` in this minute's window; False when the window is full (the count is
    conditional, so racing requests never pass the limit). Windows expire by TTL."""
    window = now.strftime("%Y%m%dT%H%M")
    item = RateWindowItem(f"RATE#{subject}", window)
    tx = Transaction()
    tx.update(
        Part.RISK,
        item,
        [RateWindowItem.hits.add(1), RateWindowItem.expiresAt.set(now + timedelta(minutes=5))],
        RateWindowItem.hits.does_not_exist() | (RateWindowItem.hits < per_minute),
    )
    try:
        tx.commit()
    except TransactionCancelled as cancelled:
        if cancelled.failed(Part.RISK):
            return False
        raise
    return True


def skus_by_id(sku_ids: Sequence[str]) -> dict[str, VirtualSku]:
    found: dict[str, VirtualSku] = {}
    wanted = [keys.sku(s) for s in dict.fromkeys(sku_ids)]
    for start in range(0, len(wanted), 100):
        for item in Item.batch_get(wanted[start : start + 100]):
            if isinstance(item, SkuItem):
                virtual = dict(item.virtual) if item.virtual is not None else None
                found[str(item.skuId)] = VirtualSku(str(item.skuId), str(item.storeId), str(item.name), virtual)
    return found
