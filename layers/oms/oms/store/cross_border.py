"""The yearly cross-border allowance per customer (oms.domain.parcels): one counter row per customer and
calendar year, `CUSTOMER#<id>` / `CROSSBORDER#<year>`, taken by checkout in its own transaction (ADD with
the condition that the year's total stays within the limit) and given back by cancels."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pynamodb.exceptions import DoesNotExist

from oms.store import keys
from oms.store.models import CrossBorderQuotaItem
from oms.store.transactions import Part, Transaction


def used_of(item: CrossBorderQuotaItem | None) -> int:
    return 0 if item is None else int(item.used)


def quota_used(customer_id: str, year: int) -> int:
    """What the customer has used of the year's allowance now (a consistent read: after a lost race)."""
    try:
        return used_of(CrossBorderQuotaItem.get(*keys.cross_border_quota(customer_id, year), consistent_read=True))
    except DoesNotExist:
        return 0


def add_quota_take(tx: Transaction, customer_id: str, quota: Mapping[str, Any], now: str) -> None:
    """Checkout takes the order's share: fails `Part.CROSS_BORDER` when the year would go over the limit."""
    year, amount, limit = int(quota["year"]), int(quota["amount"]), int(quota["limit"])
    tx.update(
        Part.CROSS_BORDER,
        CrossBorderQuotaItem(*keys.cross_border_quota(customer_id, year)),
        [
            CrossBorderQuotaItem.used.add(amount),
            CrossBorderQuotaItem.customerId.set(customer_id),
            CrossBorderQuotaItem.year.set(year),
            CrossBorderQuotaItem.updatedAt.set(now),
        ],
        CrossBorderQuotaItem.used.does_not_exist() | (CrossBorderQuotaItem.used <= limit - amount),
    )


def add_quota_release(tx: Transaction, customer_id: str, quota: Mapping[str, Any], amount: int, now: str) -> None:
    """A cancel gives back `amount` of what the order took. Exactly once: the caller's transaction moves the
    order or child conditionally, so a retried cancel never gets here twice. No condition of its own: a
    cancel is never blocked by the counter."""
    if amount <= 0:
        return
    tx.update(
        (Part.CROSS_BORDER, "release"),
        CrossBorderQuotaItem(*keys.cross_border_quota(customer_id, int(quota["year"]))),
        [CrossBorderQuotaItem.used.add(-amount), CrossBorderQuotaItem.updatedAt.set(now)],
    )


def child_share(quota: Mapping[str, Any] | None, child_no: int) -> int:
    """What one child took of the allowance (0: not cross-border, or an order placed before the limit)."""
    if not quota:
        return 0
    return int((quota.get("children") or {}).get(str(child_no), 0))


def add_quota_change(
    tx: Transaction, customer_id: str, before: Mapping[str, Any] | None, after: Mapping[str, Any] | None, now: str
) -> None:
    """An edited order's share moves by the difference (same year: the order's placement year). More is
    taken with the limit's condition (fails `Part.CROSS_BORDER`); less is given back."""
    old = int(before["amount"]) if before else 0
    new = int(after["amount"]) if after else 0
    delta = new - old
    if delta == 0:
        return
    quota = after if after else before
    assert quota is not None
    if delta < 0:
        add_quota_release(tx, customer_id, quota, -delta, now)
        return
    add_quota_take(tx, customer_id, {**quota, "amount": delta}, now)
