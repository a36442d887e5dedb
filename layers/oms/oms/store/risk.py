"""Risk control rows (oms.domain.risk): the settings, blacklist entries, fixed-window rate counters, daily
amount totals, the customers' first checkout, and the accounts seen on one device or one shipping address.

A checkout (or payment) reads the rows it is judged by in ONE BatchGetItem (`read`) and writes them in its
own transaction (`add_*`): counters are ADDed under a condition (`count < limit`, `amount <= limit − this`),
so racing requests never pass a limit, whatever they read."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.update import Action

from oms.domain.flags import OrderFlag
from oms.domain.permissions import Actor
from oms.domain.risk import ListKind
from oms.store import keys
from oms.store.audit import add_audit
from oms.store.models import Item, OrderFlagItem, OrderItem
from oms.store.pages import Page, clamp_limit, decode_cursor, encode_cursor
from oms.store.transactions import Part, Transaction, TransactionCancelled

SETTINGS_KEY = ("SETTINGS#RISK", "RISK")
SETTINGS_AUDIT = "SETTINGS#RISK"
BLACKLIST_AUDIT = "RISK#BLACKLIST"
ACCOUNTS_CAP = 10_000  # an account set stops growing here (a rule threshold is far below)


class RiskSettingsItem(Item, discriminator="RiskSettings"):
    settings = JSONAttribute()  # oms.domain.risk.RiskSettings.to_json
    version = NumberAttribute()
    updatedAt = UnicodeAttribute()
    updatedBy = UnicodeAttribute()


class BlockItem(Item, discriminator="RiskBlock"):
    """One blacklisted value; GSI1 `RISKBLOCKS#<kind>` lists a kind's entries, newest first."""

    kind = UnicodeAttribute()
    value = UnicodeAttribute()  # normalised (oms.domain.risk.normalise)
    digest = UnicodeAttribute()
    reason = UnicodeAttribute()
    addedBy = UnicodeAttribute()
    addedAt = UnicodeAttribute()
    until = UnicodeAttribute(null=True)  # RFC 3339; the entry stops counting then (TTL removes it later)


class RateWindowItem(Item, discriminator="RiskWindow"):
    """Requests of one scope by one user, IP or device in one fixed window; removed by TTL after it."""

    hits = NumberAttribute()


class DailyAmountItem(Item, discriminator="RiskDaily"):
    """A customer's amount of one UTC day, in one currency, overall (`*`) or through one payment method."""

    amount = NumberAttribute()


class CustomerRiskItem(Item, discriminator="RiskCustomer"):
    firstSeen = UnicodeAttribute()  # the customer's first checkout


class AccountSetItem(Item, discriminator="RiskAccounts"):
    """The accounts that checked out from one device or to one shipping address."""

    accounts = UnicodeSetAttribute()


# ---------------------------------------------------------------- keys
def block_key(kind: ListKind, digest: str) -> tuple[str, str]:
    return f"RISKBLOCK#{kind.value}#{digest}", "ENTRY"


def blocks_gsi1(kind: ListKind) -> str:
    return f"RISKBLOCKS#{kind.value}"


def window_key(scope: str, who: str, start: int) -> tuple[str, str]:
    return f"RISKRATE#{scope}#{who}", f"W#{start}"


def daily_key(customer_id: str, day: str, currency: str, method: str | None) -> tuple[str, str]:
    return f"RISKDAY#{customer_id}", f"{day}#{currency}#{method or '*'}"


def customer_key(customer_id: str) -> tuple[str, str]:
    return f"RISKCUST#{customer_id}", "PROFILE"


def device_accounts_key(digest: str) -> tuple[str, str]:
    return f"RISKDEV#{digest}", "ACCOUNTS"


def address_accounts_key(digest: str) -> tuple[str, str]:
    return f"RISKADDR#{digest}", "ACCOUNTS"


# ---------------------------------------------------------------- records
@dataclass(frozen=True)
class BlockRecord:
    kind: str
    value: str
    digest: str
    reason: str
    addedBy: str
    addedAt: str
    until: str | None


@dataclass
class RiskRows:
    """What one BatchGetItem found, by key."""

    settings: dict[str, Any] | None = None
    settings_version: int = 0
    blocks: dict[tuple[str, str], BlockRecord] = field(default_factory=dict)
    counts: dict[tuple[str, str], int] = field(default_factory=dict)  # windows and daily amounts
    first_seen: str | None = None
    accounts: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict)


def _block(item: BlockItem) -> BlockRecord:
    return BlockRecord(
        str(item.kind),
        str(item.value),
        str(item.digest),
        str(item.reason),
        str(item.addedBy),
        str(item.addedAt),
        item.until,
    )


def read(wanted: Iterable[tuple[str, str]]) -> RiskRows:
    """The settings and every row in `wanted`, in one consistent BatchGetItem."""
    return rows_of(Item.batch_get(list(dict.fromkeys([SETTINGS_KEY, *wanted])), consistent_read=True))


def items(wanted: Iterable[tuple[str, str]]) -> list[Any]:
    """The settings and every row in `wanted` as items, in one consistent BatchGetItem (for `rows_of`)."""
    return list(Item.batch_get(list(dict.fromkeys([SETTINGS_KEY, *wanted])), consistent_read=True))


def rows_of(items: Iterable[Any]) -> RiskRows:
    """The risk rows among items read (the checkout's BatchGetItem reads them with its own)."""
    rows = RiskRows()
    for item in items:
        key = (str(item.PK), str(item.SK))
        if isinstance(item, RiskSettingsItem):
            rows.settings, rows.settings_version = dict(item.settings), int(item.version)
        elif isinstance(item, BlockItem):
            rows.blocks[key] = _block(item)
        elif isinstance(item, RateWindowItem):
            rows.counts[key] = int(item.hits)
        elif isinstance(item, DailyAmountItem):
            rows.counts[key] = int(item.amount)
        elif isinstance(item, CustomerRiskItem):
            rows.first_seen = str(item.firstSeen)
        elif isinstance(item, AccountSetItem):
            rows.accounts[key] = frozenset(item.accounts or ())
    return rows


# ---------------------------------------------------------------- writes inside a checkout or payment
def _expiry(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def add_window_count(tx: Transaction, label: str, key: tuple[str, str], *, limit: int | None, expires: int) -> None:
    """Count one request in a window; with `limit`, only while fewer than `limit` are counted."""
    condition = None if limit is None else RateWindowItem.hits.does_not_exist() | (RateWindowItem.hits < limit)
    tx.update(
        (Part.RISK, label),
        RateWindowItem(*key),
        [
            RateWindowItem.type.set(RateWindowItem),  # the discriminator: the item may be new
            RateWindowItem.hits.add(1),
            RateWindowItem.expiresAt.set(_expiry(expires)),
        ],
        condition,
    )


def add_daily_amount(
    tx: Transaction, label: str, key: tuple[str, str], amount: int, *, limit: int | None, expires: int
) -> None:
    """Add `amount` to a day's total; with `limit`, only while the total stays within it."""
    condition = (
        None if limit is None else DailyAmountItem.amount.does_not_exist() | (DailyAmountItem.amount <= limit - amount)
    )
    tx.update(
        (Part.RISK, label),
        DailyAmountItem(*key),
        [
            DailyAmountItem.type.set(DailyAmountItem),
            DailyAmountItem.amount.add(amount),
            DailyAmountItem.expiresAt.set(_expiry(expires)),
        ],
        condition,
    )


def add_first_seen(tx: Transaction, customer_id: str, now: str) -> None:
    tx.update(
        (Part.RISK, "customer"),
        CustomerRiskItem(*customer_key(customer_id)),
        [
            CustomerRiskItem.type.set(CustomerRiskItem),
            CustomerRiskItem.firstSeen.set(CustomerRiskItem.firstSeen | now),
        ],
    )


def add_account_seen(tx: Transaction, label: str, key: tuple[str, str], customer_id: str) -> None:
    tx.update(
        (Part.RISK, label),
        AccountSetItem(*key),
        [AccountSetItem.type.set(AccountSetItem), AccountSetItem.accounts.add({customer_id})],
    )


def risk_set(risk: dict[str, Any]) -> Action:
    """The header's risk verdict, with the review's decision (an action of the order's move)."""
    return OrderItem.risk.set(risk)


def add_review_decided(tx: Transaction, order_id: str, risk: dict[str, Any]) -> None:
    """Record the review's decision on a rejected order; merged into the cancel's own update of the header
    (oms.store.transactions.Transaction.update), which ends the hold itself (oms.store.orders cancel)."""
    tx.update(Part.ORDER, OrderItem(keys.order_pk(order_id), keys.ORDER_META), [risk_set(risk)])


def reviews(limit: int | None, cursor: str | None) -> Page[dict[str, Any]]:
    """Orders flagged `risk-review`, oldest first (GSI2 `ORDERFLAG#risk-review`)."""
    partition = keys.order_flag_gsi2(OrderFlag.RISK_REVIEW.value)
    results = Item.gsi2.query(
        partition,
        scan_index_forward=True,
        limit=clamp_limit(limit),
        last_evaluated_key=decode_cursor(cursor, partition_attr="GSI2PK", partition_value=partition),
    )
    items = [
        {"orderId": i.orderId, "orderCreatedAt": i.orderCreatedAt, "heldAt": i.setAt, "rules": i.reason}
        for i in results
        if isinstance(i, OrderFlagItem)
    ]
    return Page(items, encode_cursor(results.last_evaluated_key))


# ---------------------------------------------------------------- settings
def settings_of() -> tuple[dict[str, Any] | None, int]:
    try:
        item = RiskSettingsItem.get(*SETTINGS_KEY, consistent_read=True)
    except DoesNotExist:
        return None, 0
    return dict(item.settings), int(item.version)


def put_settings(
    settings: dict[str, Any],
    *,
    expected_version: int,
    actor: Actor,
    before: dict[str, Any] | None,
    reason: str | None,
    now: str,
) -> int:
    """Replace the settings (version-conditional) with an audit entry, in one transaction."""
    tx = Transaction()
    condition = (
        RiskSettingsItem.version == expected_version if expected_version else RiskSettingsItem.PK.does_not_exist()
    )
    tx.put(
        Part.SETTINGS,
        RiskSettingsItem(
            *SETTINGS_KEY, settings=settings, version=expected_version + 1, updatedAt=now, updatedBy=actor.subject
        ),
        condition,
    )
    add_audit(
        tx, SETTINGS_AUDIT, "risk-settings.update", actor=actor, now=now, before=before, after=settings, reason=reason
    )
    tx.commit()
    return expected_version + 1


# ---------------------------------------------------------------- blacklists
def put_block(record: BlockRecord, *, actor: Actor, reason: str, now: str, expires: int | None) -> BlockRecord | None:
    """List a value (or change its entry's reason and expiry), audited; the entry it replaced, if any."""
    kind = ListKind(record.kind)
    key = block_key(kind, record.digest)
    before = None
    with contextlib.suppress(DoesNotExist):
        before = _block(BlockItem.get(*key, consistent_read=True))
    tx = Transaction()
    tx.put(
        (Part.RISK, "block"),
        BlockItem(
            *key,
            kind=record.kind,
            value=record.value,
            digest=record.digest,
            reason=record.reason,
            addedBy=record.addedBy,
            addedAt=record.addedAt,
            until=record.until,
            expiresAt=None if expires is None else _expiry(expires),
            GSI1PK=blocks_gsi1(kind),
            GSI1SK=f"{record.addedAt}#{record.digest}",
        ),
        BlockItem.PK.does_not_exist() if before is None else BlockItem.addedAt == before.addedAt,
    )
    add_audit(
        tx,
        BLACKLIST_AUDIT,
        "risk.blacklist-add",
        actor=actor,
        now=now,
        before=None if before is None else _entry_json(before),
        after=_entry_json(record),
        reason=reason,
    )
    tx.commit()
    return before


def remove_block(kind: ListKind, digest: str, *, actor: Actor, reason: str, now: str) -> BlockRecord | None:
    """Unlist a value, audited; None when it was not listed (nothing written)."""
    key = block_key(kind, digest)
    try:
        before = _block(BlockItem.get(*key, consistent_read=True))
    except DoesNotExist:
        return None
    tx = Transaction()
    tx.delete((Part.RISK, "block"), BlockItem(*key), BlockItem.addedAt == before.addedAt)
    add_audit(
        tx,
        BLACKLIST_AUDIT,
        "risk.blacklist-remove",
        actor=actor,
        now=now,
        before=_entry_json(before),
        after=None,
        reason=reason,
    )
    try:
        tx.commit()
    except TransactionCancelled:
        return None  # removed (or replaced) meanwhile
    return before


def blocks(kind: ListKind, limit: int | None, cursor: str | None) -> Page[BlockRecord]:
    partition = blocks_gsi1(kind)
    results = Item.gsi1.query(
        partition,
        scan_index_forward=False,
        limit=clamp_limit(limit),
        last_evaluated_key=decode_cursor(cursor, partition_attr="GSI1PK", partition_value=partition),
    )
    items = [_block(i) for i in results if isinstance(i, BlockItem)]
    return Page(items, encode_cursor(results.last_evaluated_key))


def _entry_json(record: BlockRecord) -> dict[str, Any]:
    return {"kind": record.kind, "value": record.value, "until": record.until, "reason": record.reason}
