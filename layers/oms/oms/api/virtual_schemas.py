"""Request and response bodies of virtual goods (code pools, deliveries, redemption, verification) and of
sales channels (channel stores, channel orders, the e-commerce order list, daily checks)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, model_validator

from oms.api.problems import Problem
from oms.api.schemas import AuditReason, Id, MoneyOut, Page, ShortText, SingleLine, Strict, View
from oms.domain.channels import ChannelStoreStatus, ChannelType, OrderSource
from oms.domain.virtual_goods import Activation, DeliveryKind, VoucherState

ByValue = Field(strict=False)  # enums given by value in JSON
Token = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{16,64}$")]
Code = Annotated[str, StringConstraints(min_length=4, max_length=128, pattern=r"^[\x21-\x7e]+$")]
ChannelOrderNo = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")]
Domain = Annotated[str, StringConstraints(min_length=1, max_length=253), SingleLine]


# ---------------------------------------------------------------- the SKU's delivery
class VirtualSpecIn(Strict):
    """How a virtual SKU is delivered: a code from its pool, a redemption link, or a service activation."""

    kind: Annotated[DeliveryKind, ByValue]
    activation: Annotated[Activation, ByValue] = Activation.IMMEDIATE  # services only
    delaySeconds: int | None = Field(default=None, ge=1, le=366 * 86400)  # delayed services
    lowPoolThreshold: int = Field(default=10, ge=0, le=100_000)  # codes: the pool's alert level
    validDays: int | None = Field(default=None, ge=1, le=3650)  # codes and links expire after delivery

    @model_validator(mode="after")
    def _delay(self) -> VirtualSpecIn:
        delayed = self.kind is DeliveryKind.SERVICE and self.activation is Activation.DELAYED
        if delayed and self.delaySeconds is None:
            raise ValueError("a delayed activation needs delaySeconds")
        return self

    def spec(self) -> dict[str, Any]:
        from oms.domain.virtual_goods import VirtualSpec, check_spec

        return check_spec(
            VirtualSpec(
                kind=self.kind,
                activation=self.activation,
                delay_seconds=self.delaySeconds or 0,
                low_pool_threshold=self.lowPoolThreshold,
                valid_days=self.validDays,
            )
        ).to_json()


class VirtualSpecOut(View):
    kind: DeliveryKind
    activation: Activation | None = None
    delaySeconds: int | None = None
    lowPoolThreshold: int | None = None
    validDays: int | None = None


# ---------------------------------------------------------------- code pools
class PoolCode(View):
    codeId: str
    masked: str = Field(description="The code with all but its first and last two characters hidden.")
    status: str = Field(description="AVAILABLE or ASSIGNED.")
    expiresAt: str | None = None
    orderId: str | None = None
    uploadedAt: str


class CodePool(View):
    skuId: str
    storeId: str
    available: int
    assigned: int
    uploaded: int
    lowPoolThreshold: int
    low: bool = Field(description="available is at or under the alert level.")
    codes: Page[PoolCode]


class CodeDuplicate(View):
    index: int | None = Field(default=None, description="Its place among the file's codes (0 = the first).")
    masked: str


class CodeRejected(View):
    line: int = Field(description="The line of the file (1 = the first).")
    reason: str


class CodeUploadResult(View):
    skuId: str
    added: int
    duplicates: list[CodeDuplicate] = Field(description="Codes already in a pool (not added).")
    rejected: list[CodeRejected] = Field(description="Lines not taken.")
    available: int


# ---------------------------------------------------------------- vouchers and deliveries
class Voucher(View):
    voucherId: str
    lineNo: int
    skuId: str
    kind: DeliveryKind
    state: VoucherState
    redemptionStatus: str | None = None
    verificationStatus: str | None = None
    masked: str | None = Field(default=None, description="The code, masked (codes, and redeemed links).")
    url: str | None = Field(default=None, description="The redemption link (links).")
    validUntil: str | None = None
    activateAt: str | None = None
    activatedAt: str | None = None
    redeemedAt: str | None = None
    verifiedAt: str | None = None
    reason: str | None = None
    deliveredAt: str


class Delivery(View):
    orderId: str
    delivered: int = Field(description="Units delivered by this request (0 when they all were already).")
    vouchers: list[Voucher]
    orderStatus: str


class DeliveryIn(Strict):
    activateAt: str | None = Field(
        default=None, description="Delayed services: activate at this RFC 3339 time instead of the SKU's delay."
    )


class VoucherActionIn(Strict):
    voucherIds: list[Annotated[str, StringConstraints(pattern=r"^\d{3}-\d{3}$")]] = Field(
        default_factory=list, max_length=200, description="The vouchers (empty: all of the order's that can move)."
    )
    reason: AuditReason


class ActivationIn(Strict):
    voucherIds: list[Annotated[str, StringConstraints(pattern=r"^\d{3}-\d{3}$")]] = Field(
        default_factory=list, max_length=200
    )


class RevealIn(Strict):
    reason: AuditReason = Field(description="Why the codes are needed in clear (kept in the audit trail).")


class RevealedVoucher(View):
    voucherId: str
    kind: DeliveryKind
    code: str | None = None
    url: str | None = None
    state: VoucherState


class Revealed(View):
    orderId: str
    vouchers: list[RevealedVoucher]


# ---------------------------------------------------------------- redemption and verification
class RedemptionIn(Strict):
    account: Annotated[str, StringConstraints(min_length=1, max_length=120), SingleLine] | None = Field(
        default=None, description="Who redeems it (an account, phone or email at the merchant), kept on the voucher."
    )


class Redemption(View):
    product: str
    state: VoucherState
    code: str | None = Field(default=None, description="The voucher code the link gives (shown once redeemed).")
    redeemedAt: str | None = None
    validUntil: str | None = None
    alreadyRedeemed: bool


class VerificationIn(Strict):
    code: Code


class Verification(View):
    orderId: str
    voucherId: str
    skuId: str
    product: str
    masked: str
    state: VoucherState
    verifiedAt: str
    verifiedBy: str


# ---------------------------------------------------------------- channel stores
class ChannelStoreIn(Strict):
    name: ShortText
    channelType: Annotated[ChannelType, ByValue]
    orderingUserId: Id = Field(description="The platform user the channel orders as; its balance is the channel's.")
    redemptionDomain: Domain
    connectedAccount: ShortText | None = None
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = "CNY"
    sortOrder: int = Field(default=0, ge=0, le=999_999)
    enabled: bool = True


class ChannelStorePatch(Strict):
    name: ShortText | None = None
    channelType: Annotated[ChannelType | None, ByValue] = None
    orderingUserId: Id | None = None
    redemptionDomain: Domain | None = None
    connectedAccount: ShortText | None = None
    sortOrder: int | None = Field(default=None, ge=0, le=999_999)


class ChannelStoreStatusIn(Strict):
    enabled: bool
    reason: AuditReason


class ChannelSync(View):
    at: str
    account: str | None
    channelBalance: MoneyOut
    ourBalance: MoneyOut
    difference: MoneyOut
    findings: list[str]


class ChannelStore(View):
    storeId: str
    name: str
    channelType: ChannelType
    orderingUserId: str
    redemptionDomain: str
    connectedAccount: str | None
    currency: str
    status: ChannelStoreStatus
    sortOrder: int
    balance: MoneyOut = Field(description="The ordering user's stored balance (the ledger's figure).")
    orders: int = Field(description="Orders the channel has placed.")
    lastSync: ChannelSync | None = None
    version: int
    createdAt: str
    updatedAt: str


class ChannelStoreCreated(ChannelStore):
    callbackSecret: str = Field(description="The secret the channel signs its callbacks with; shown only once.")


class ChannelStorePage(View):
    items: list[ChannelStore]
    next_cursor: str | None
    totals: list[MoneyOut] = Field(description="The balance of every listed store, per currency.")


class ChannelFinding(View):
    findingId: str
    storeId: str
    kind: str
    details: dict[str, Any]
    at: str


# ---------------------------------------------------------------- channel orders
class ChannelLineIn(Strict):
    skuId: Id
    quantity: int = Field(ge=1, le=99)


class ChannelOrderIn(Strict):
    """A channel's order callback (signed) and an import line's order."""

    eventId: Annotated[str, StringConstraints(min_length=1, max_length=64), SingleLine] | None = None
    channelOrderNo: ChannelOrderNo
    lines: list[ChannelLineIn] = Field(min_length=1, max_length=20)
    buyer: Annotated[str, StringConstraints(max_length=120), SingleLine] | None = None
    note: Annotated[str, StringConstraints(max_length=500), SingleLine] | None = None


class ChannelOrderResult(View):
    channelOrderNo: str
    status: Literal["created", "duplicate", "failed"]
    orderId: str | None = None
    orderNumber: str | None = None
    charged: MoneyOut | None = Field(default=None, description="Taken from the channel's balance (created only).")
    problem: Problem | None = Field(default=None, description="Why it failed (RFC 9457), as the callback would.")


class ChannelImportResult(View):
    storeId: str
    created: int
    duplicates: int
    failed: int
    results: list[ChannelOrderResult]


class EcomProduct(View):
    lineNo: int
    skuId: str
    name: str
    quantity: int
    kind: DeliveryKind | None = Field(default=None, description="Once delivered.")


class EcomOrder(View):
    orderId: str
    orderNumber: str
    source: OrderSource
    channelStoreId: str | None = None
    channelOrderNo: str | None = None
    customerId: str
    products: list[EcomProduct]
    units: int
    delivered: int
    stage: str
    stageSince: str
    states: dict[str, int]
    redemptionStatus: str | None = None
    verificationStatus: str | None = None
    afterSalesStatus: str | None = None
    link: str | None = None
    reason: str | None = None
    redeemedAt: str | None = None
    deletedAt: str | None = None
    createdAt: str
    updatedAt: str


class EcomOrderPage(View):
    items: list[EcomOrder]
    next_cursor: str | None


class ChannelBalanceCheck(View):
    storeId: str
    name: str
    status: ChannelStoreStatus
    balance: MoneyOut = Field(description="The ledger's balance now.")
    channelBalance: MoneyOut | None = Field(description="The channel's figure at the latest sync (null: never synced).")
    difference: MoneyOut | None = Field(description="channelBalance − balance.")
    syncedAt: str | None
    matches: bool | None
    stale: bool = Field(description="Not synced for 24 h.")


class DailyAttention(View):
    frozen: list[EcomOrder]
    rejected: list[EcomOrder]
    pendingDelivery: list[EcomOrder] = Field(description="Waiting more than 24 h (the 100 longest).")
    pendingRedemption: list[EcomOrder]
    pendingVerification: list[EcomOrder]
    pendingAfterSales: list[EcomOrder]
    findings: list[ChannelFinding] = Field(description="The last 24 h's sync findings.")


class DailyCounts(View):
    frozen: int
    rejected: int
    pendingDelivery: int
    pendingRedemption: int
    pendingVerification: int
    pendingAfterSales: int
    findings: int
    storesMismatched: int
    storesStale: int
    storesDisabled: int


class DailyChecks(View):
    at: str
    channelBalances: list[ChannelBalanceCheck]
    attention: DailyAttention
    counts: DailyCounts


__all__ = ["Page"]


class CodeUploadIn(Strict):
    file: Annotated[str, StringConstraints(min_length=1, max_length=300_000)] = Field(
        description="The codes: one per line, or CSV `code,expiresAt` (an optional header line `code,expiresAt`)."
    )


def codes_from_csv(text: str) -> dict[str, Any]:
    """A `text/csv` upload is the file itself."""
    return {"file": text}


class ChannelImportIn(Strict):
    file: Annotated[str, StringConstraints(min_length=1, max_length=500_000)] = Field(
        description="The order file: CSV `channelOrderNo,skuId,quantity[,buyer]`, one row per line of an order."
    )


def channel_orders_from_csv(text: str) -> dict[str, Any]:
    """A `text/csv` upload is the file itself."""
    return {"file": text}


class EcomTab(StrEnum):
    ALL = "all"
    PLATFORM = "platform"
    CHANNEL = "channel"


class ChannelFindingPage(View):
    items: list[ChannelFinding]
    next_cursor: str | None
