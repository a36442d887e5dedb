"""Response bodies of the statistics function (`GET /stats/...`), as `oms.services.statistics` builds
them. Amounts are integers in minor units of `currency` (the reporting currency); rates and shares are
fractions (0.25 = 25 %), null when there is nothing to divide by. docs/statistics.md defines each field."""

from __future__ import annotations

from pydantic import Field

from oms.api.schemas import View


class StatsHead(View):
    granularity: str
    store: str | None = Field(description="The store the figures are for; null: the whole platform.")
    currency: str
    fromPeriod: str
    toPeriod: str


class Unconverted(View):
    placed: int
    paid: int


class SalesPeriod(View):
    period: str
    placedOrders: int
    placedAmount: int
    paidOrders: int
    sales: int
    averageOrderValue: int | None
    ordersGrowth: float | None
    salesGrowth: float | None
    cancelledOrders: int
    convertedOrders: int
    conversionRate: float | None
    customers: int
    repeatCustomers: int
    repurchaseRate: float | None
    unconvertedOrders: Unconverted


class SalesStats(StatsHead):
    series: list[SalesPeriod]


class PayTime(View):
    count: int
    totalSeconds: int
    averageSeconds: int | None
    buckets: dict[str, int]


class MethodShare(View):
    method: str
    orders: int
    amount: int
    unconvertedOrders: int
    orderShare: float | None
    amountShare: float | None


class PaymentsPeriod(View):
    period: str
    attempts: int
    succeeded: int
    successRate: float | None
    payTime: PayTime
    methods: list[MethodShare]


class PaymentStats(StatsHead):
    series: list[PaymentsPeriod]


class ProductFigures(View):
    quantity: int
    orders: int
    amount: int
    unconvertedOrders: int
    revenueShare: float | None


class ProductRank(ProductFigures):
    productId: str


class CategoryRank(ProductFigures):
    categoryId: str


class ProductsPeriod(View):
    period: str
    productsSold: int
    revenue: int
    products: list[ProductRank]
    categories: list[CategoryRank]


class ProductStats(StatsHead):
    top: int
    series: list[ProductsPeriod]


class CaseFigures(View):
    reason: str
    type: str
    count: int
    amount: int
    unconverted: int


class RefundFigures(View):
    kind: str
    count: int
    amount: int
    unconverted: int


class AfterSalesPeriod(View):
    period: str
    casesOpened: int
    cases: list[CaseFigures]
    refunds: list[RefundFigures]
    refundCount: int
    refundAmount: int


class AfterSalesStats(StatsHead):
    series: list[AfterSalesPeriod]
