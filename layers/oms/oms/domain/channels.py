"""Sales channels (seed 004, 电商渠道): the e-commerce channel stores (a Taobao or Pinduoduo shop, …) that
sell the platform's goods, and the orders they send.

A channel store orders on the platform as its *front-end ordering user* (前台下单用户): that user's stored
balance is the channel's balance (a ledger account, topped up by finance), and every channel order is paid
from it at placement. The channel side keeps its own figure of the same money; a sync compares them and a
difference is recorded as a finding. Pure: no AWS, no storage."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from oms.domain.errors import Conflict, InvalidRequest
from oms.domain.money import Money

MAX_NAME = 80
MAX_ORDER_LINES = 20  # lines of one channel order
MAX_IMPORT_ORDERS = 200  # orders of one import file
MAX_CHANNEL_ORDER_NO = 64
CHANNEL_ORDER_NO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
# A host name (RFC 1123 labels), optionally with a port for a local stack.
DOMAIN = re.compile(
    r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*(:\d{1,5})?$"
)


class ChannelType(StrEnum):
    TAOBAO = "taobao"
    TMALL = "tmall"
    PINDUODUO = "pinduoduo"
    JD = "jd"
    DOUYIN = "douyin"
    KUAISHOU = "kuaishou"
    XIANYU = "xianyu"
    OTHER = "other"


class OrderSource(StrEnum):
    """Where an order came from: the platform's own shop, or a channel store."""

    PLATFORM = "platform"
    CHANNEL = "channel"


class ChannelStoreStatus(StrEnum):
    ENABLED = "ENABLED"
    DISABLED = "DISABLED"


class StoreHasUnsettledOrders(Conflict):
    slug = "channel-store-unsettled"
    title = "The channel store still has unsettled orders"


class ChannelStoreDisabled(Conflict):
    slug = "channel-store-disabled"
    title = "The channel store is disabled"


class ChannelBalanceInsufficient(Conflict):
    slug = "channel-balance-insufficient"
    title = "The channel's balance does not cover the order"


class ChannelOrderConflict(Conflict):
    slug = "channel-order-conflict"
    title = "The channel order number was used for another order"


def check_name(name: str) -> str:
    text = name.strip()
    if not text or len(text) > MAX_NAME:
        raise InvalidRequest(f"a store name is 1 to {MAX_NAME} characters", field="name")
    return text


def check_domain(domain: str) -> str:
    """A redemption domain: a host name (lower case), no scheme or path."""
    host = domain.strip().lower()
    if not DOMAIN.match(host):
        raise InvalidRequest(
            "the redemption domain is a host name such as redeem.example.com", field="redemptionDomain"
        )
    return host


def check_channel_order_no(value: str, field: str = "channelOrderNo") -> str:
    text = value.strip()
    if not CHANNEL_ORDER_NO.match(text):
        raise InvalidRequest(
            f"a channel order number is 1 to {MAX_CHANNEL_ORDER_NO} letters, digits or _ . : -", field=field
        )
    return text


@dataclass(frozen=True)
class ChannelLine:
    sku_id: str
    quantity: int


@dataclass(frozen=True)
class ChannelOrder:
    """One order as a channel sends it (callback) or lists it (import file): its number on the channel, the
    platform SKUs it buys and the channel buyer's reference (kept for support; not a platform account)."""

    channel_order_no: str
    lines: tuple[ChannelLine, ...]
    buyer: str | None = None
    note: str | None = None

    def fingerprint(self) -> str:
        """The order's content, whatever way it arrived: the same number with the same lines is the same order."""
        merged: dict[str, int] = {}
        for line in self.lines:
            merged[line.sku_id] = merged.get(line.sku_id, 0) + line.quantity
        parts = [f"{sku}={qty}" for sku, qty in sorted(merged.items())]
        return f"{self.channel_order_no}|{','.join(parts)}"


def check_order(order: ChannelOrder) -> ChannelOrder:
    if not order.lines or len(order.lines) > MAX_ORDER_LINES:
        raise InvalidRequest(f"a channel order has 1 to {MAX_ORDER_LINES} lines", field="lines")
    for index, line in enumerate(order.lines):
        if line.quantity < 1 or line.quantity > 99:
            raise InvalidRequest("a quantity is 1 to 99", field=f"lines[{index}].quantity")
    return order


@dataclass(frozen=True)
class BalanceComparison:
    """Our ledger's balance of the channel against the channel side's figure at a sync."""

    ours: Money
    theirs: Money

    @property
    def difference(self) -> Money:
        return Money(self.theirs.amount - self.ours.amount, self.ours.currency)

    @property
    def matches(self) -> bool:
        return self.ours.currency == self.theirs.currency and self.ours.amount == self.theirs.amount


def compare_balances(ours: Money, theirs: Money) -> BalanceComparison:
    if ours.currency != theirs.currency:
        raise InvalidRequest(
            f"the channel reports {theirs.currency}, the store's balance is in {ours.currency}", field="currency"
        )
    return BalanceComparison(ours, theirs)
