// Pure helpers of the dashboard: the days the statistics are asked for (UTC, as the API counts them),
// today's figures, and the chart options built from the API's series.

import type { Schemas } from '../../api/client';
import type { ChartOption } from './EChart';

export type SalesStats = Schemas['SalesStats'];
export type PaymentStats = Schemas['PaymentStats'];
export type ProductStats = Schemas['ProductStats'];

/** The UTC day `offset` days from `now`, as YYYY-MM-DD. */
export function utcDay(now: Date, offset = 0): string {
  const day = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + offset));
  return day.toISOString().slice(0, 10);
}

/** The first day of the UTC month `offset` months from `now`. */
export function utcMonthStart(now: Date, offset = 0): string {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1)).toISOString().slice(0, 10);
}

export interface TodayFigures {
  placedOrders: number;
  paidOrders: number;
  sales: number;
  ordersGrowth: number | null;
  salesGrowth: number | null;
  successRate: number | null;
  attempts: number;
}

/** Today's row of a daily sales series and of a daily payments series (zeros when absent). */
export function todayFigures(sales: SalesStats | undefined, payments: PaymentStats | undefined, today: string): TodayFigures {
  const row = sales?.series.find((period) => period.period === today);
  const pay = payments?.series.find((period) => period.period === today);
  return {
    placedOrders: row?.placedOrders ?? 0,
    paidOrders: row?.paidOrders ?? 0,
    sales: row?.sales ?? 0,
    ordersGrowth: row?.ordersGrowth ?? null,
    salesGrowth: row?.salesGrowth ?? null,
    successRate: pay?.successRate ?? null,
    attempts: pay?.attempts ?? 0,
  };
}

export interface MethodTotal {
  method: string;
  orders: number;
  amount: number;
}

/** Paid orders and amounts per payment method over every period of the series, most orders first. */
export function methodTotals(payments: PaymentStats | undefined): MethodTotal[] {
  const totals = new Map<string, MethodTotal>();
  for (const period of payments?.series ?? []) {
    for (const share of period.methods) {
      const total = totals.get(share.method) ?? { method: share.method, orders: 0, amount: 0 };
      total.orders += share.orders;
      total.amount += share.amount;
      totals.set(share.method, total);
    }
  }
  return [...totals.values()].sort((a, b) => b.orders - a.orders || b.amount - a.amount || a.method.localeCompare(b.method));
}

/** Attempts and successes over the whole series, and their ratio (null over no attempt). */
export function successOver(payments: PaymentStats | undefined): { attempts: number; succeeded: number; rate: number | null } {
  let attempts = 0;
  let succeeded = 0;
  for (const period of payments?.series ?? []) {
    attempts += period.attempts;
    succeeded += period.succeeded;
  }
  return { attempts, succeeded, rate: attempts ? succeeded / attempts : null };
}

export interface ProductTotal {
  productId: string;
  quantity: number;
  orders: number;
  amount: number;
  share: number | null;
}

/** The best sellers over every period of a product series, by revenue, then units, then id. */
export function bestSellers(stats: ProductStats | undefined, top = 10): ProductTotal[] {
  const totals = new Map<string, ProductTotal>();
  let revenue = 0;
  for (const period of stats?.series ?? []) {
    revenue += period.revenue;
    for (const rank of period.products) {
      const total = totals.get(rank.productId) ?? { productId: rank.productId, quantity: 0, orders: 0, amount: 0, share: null };
      total.quantity += rank.quantity;
      total.orders += rank.orders;
      total.amount += rank.amount;
      totals.set(rank.productId, total);
    }
  }
  return [...totals.values()]
    .map((total) => ({ ...total, share: revenue ? total.amount / revenue : null }))
    .sort((a, b) => b.amount - a.amount || b.quantity - a.quantity || a.productId.localeCompare(b.productId))
    .slice(0, top);
}

export interface ChartText {
  placed: string;
  paid: string;
  sales: string;
  formatDay: (period: string) => string;
  formatMoney: (minor: number) => string;
  methodLabel: (method: string) => string;
}

/** Bars of orders placed and paid per day. */
export function dailyOrdersOption(sales: SalesStats | undefined, text: ChartText): ChartOption {
  const series = sales?.series ?? [];
  return {
    aria: { enabled: true },
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    grid: { left: 8, right: 8, bottom: 8, top: 36, containLabel: true },
    xAxis: { type: 'category', data: series.map((period) => text.formatDay(period.period)) },
    yAxis: { type: 'value', minInterval: 1 },
    series: [
      { name: text.placed, type: 'bar', data: series.map((period) => period.placedOrders) },
      { name: text.paid, type: 'bar', data: series.map((period) => period.paidOrders) },
    ],
  };
}

/** A line of the sales amount (minor units, shown as money) per month. */
export function monthlySalesOption(sales: SalesStats | undefined, text: ChartText): ChartOption {
  const series = sales?.series ?? [];
  return {
    aria: { enabled: true },
    tooltip: { trigger: 'axis', valueFormatter: (value) => text.formatMoney(Number(value)) },
    grid: { left: 8, right: 16, bottom: 8, top: 24, containLabel: true },
    xAxis: { type: 'category', boundaryGap: false, data: series.map((period) => period.period) },
    yAxis: { type: 'value', axisLabel: { formatter: (value: number) => text.formatMoney(value) } },
    series: [{ name: text.sales, type: 'line', smooth: true, areaStyle: { opacity: 0.15 }, data: series.map((period) => period.sales) }],
  };
}

/** A pie of paid orders per payment method. */
export function methodShareOption(payments: PaymentStats | undefined, text: ChartText): ChartOption {
  const totals = methodTotals(payments);
  return {
    aria: { enabled: true },
    tooltip: { trigger: 'item', formatter: '{b}: {c} ({d}%)' },
    legend: { bottom: 0, type: 'plain' },
    series: [
      {
        name: text.paid,
        type: 'pie',
        radius: ['40%', '68%'],
        center: ['50%', '45%'],
        label: { show: false },
        data: totals.map((total) => ({ name: text.methodLabel(total.method), value: total.orders })),
      },
    ],
  };
}

/** "12" or "100+" for a count read from one bounded page (`more`: the page had a next cursor). */
export function countLabel(count: number, more: boolean): string {
  return more ? `${count}+` : String(count);
}
