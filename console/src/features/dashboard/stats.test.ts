import { describe, expect, it } from 'vitest';
import {
  bestSellers,
  countLabel,
  dailyOrdersOption,
  methodShareOption,
  methodTotals,
  monthlySalesOption,
  successOver,
  todayFigures,
  utcDay,
  utcMonthStart,
  type ChartText,
  type PaymentStats,
  type ProductStats,
  type SalesStats,
} from './stats';

const period = (day: string, placed: number, paid: number, sales: number) => ({
  period: day, placedOrders: placed, placedAmount: sales, paidOrders: paid, sales, averageOrderValue: null, ordersGrowth: 0.5,
  salesGrowth: null, cancelledOrders: 0, convertedOrders: paid, conversionRate: null, customers: 1, repeatCustomers: 0,
  repurchaseRate: null, unconvertedOrders: { placed: 0, paid: 0 },
});

const sales: SalesStats = {
  granularity: 'day', store: null, currency: 'CNY', fromPeriod: '2026-12-01', toPeriod: '2026-12-02',
  series: [period('2026-12-01', 2, 1, 1000), period('2026-12-02', 3, 2, 2500)],
};

const payments: PaymentStats = {
  granularity: 'day', store: null, currency: 'CNY', fromPeriod: '2026-12-01', toPeriod: '2026-12-02',
  series: [
    { period: '2026-12-01', attempts: 2, succeeded: 1, successRate: 0.5, payTime: { count: 1, totalSeconds: 5, averageSeconds: 5, buckets: {} },
      methods: [{ method: 'alipay', orders: 1, amount: 1000, unconvertedOrders: 0, orderShare: 1, amountShare: 1 }] },
    { period: '2026-12-02', attempts: 2, succeeded: 2, successRate: 1, payTime: { count: 2, totalSeconds: 5, averageSeconds: 2, buckets: {} },
      methods: [
        { method: 'wechat', orders: 1, amount: 1500, unconvertedOrders: 0, orderShare: 0.5, amountShare: 0.6 },
        { method: 'alipay', orders: 1, amount: 1000, unconvertedOrders: 0, orderShare: 0.5, amountShare: 0.4 },
      ] },
  ],
};

const text: ChartText = {
  placed: 'Placed', paid: 'Paid', sales: 'Sales', formatDay: (day) => day.slice(5), formatMoney: (minor) => `¥${minor / 100}`,
  methodLabel: (method) => method.toUpperCase(),
};

describe('days', () => {
  it('counts in UTC days and months', () => {
    const now = new Date('2026-12-02T23:30:00-05:00'); // already 3 December in UTC
    expect(utcDay(now)).toBe('2026-12-03');
    expect(utcDay(now, -29)).toBe('2026-11-04');
    expect(utcMonthStart(now)).toBe('2026-12-01');
    expect(utcMonthStart(now, -11)).toBe('2026-01-01');
  });
});

describe('today and totals', () => {
  it('reads today’s row of each series', () => {
    expect(todayFigures(sales, payments, '2026-12-02')).toEqual({
      placedOrders: 3, paidOrders: 2, sales: 2500, ordersGrowth: 0.5, salesGrowth: null, successRate: 1, attempts: 2,
    });
    expect(todayFigures(sales, payments, '2026-12-09').placedOrders).toBe(0);
    expect(todayFigures(undefined, undefined, '2026-12-02').successRate).toBeNull();
  });

  it('sums methods and attempts over the periods', () => {
    expect(methodTotals(payments)).toEqual([
      { method: 'alipay', orders: 2, amount: 2000 },
      { method: 'wechat', orders: 1, amount: 1500 },
    ]);
    expect(successOver(payments)).toEqual({ attempts: 4, succeeded: 3, rate: 0.75 });
    expect(successOver(undefined).rate).toBeNull();
  });

  it('ranks best sellers by revenue over the periods', () => {
    const stats: ProductStats = {
      granularity: 'month', store: null, currency: 'CNY', fromPeriod: '2026-11', toPeriod: '2026-12', top: 10,
      series: [
        { period: '2026-11', productsSold: 2, revenue: 3000, categories: [], products: [
          { productId: 'A', quantity: 1, orders: 1, amount: 1000, unconvertedOrders: 0, revenueShare: 0.33 },
          { productId: 'B', quantity: 4, orders: 2, amount: 2000, unconvertedOrders: 0, revenueShare: 0.67 },
        ] },
        { period: '2026-12', productsSold: 1, revenue: 1000, categories: [], products: [
          { productId: 'A', quantity: 2, orders: 2, amount: 1000, unconvertedOrders: 0, revenueShare: 1 },
        ] },
      ],
    };
    expect(bestSellers(stats)).toEqual([
      { productId: 'B', quantity: 4, orders: 2, amount: 2000, share: 0.5 },
      { productId: 'A', quantity: 3, orders: 3, amount: 2000, share: 0.5 },
    ]);
    expect(bestSellers(stats, 1)).toHaveLength(1);
  });

  it('says when a count is only the first page', () => {
    expect(countLabel(3, false)).toBe('3');
    expect(countLabel(100, true)).toBe('100+');
  });
});

describe('chart options', () => {
  it('bars of placed and paid orders per day', () => {
    const option = dailyOrdersOption(sales, text) as { xAxis: { data: string[] }; series: { name: string; type: string; data: number[] }[] };
    expect(option.xAxis.data).toEqual(['12-01', '12-02']);
    expect(option.series).toEqual([
      { name: 'Placed', type: 'bar', data: [2, 3] },
      { name: 'Paid', type: 'bar', data: [1, 2] },
    ]);
  });

  it('a line of the sales amount per period, formatted as money', () => {
    const option = monthlySalesOption(sales, text) as {
      series: { type: string; data: number[] }[];
      yAxis: { axisLabel: { formatter: (value: number) => string } };
    };
    expect(option.series[0].type).toBe('line');
    expect(option.series[0].data).toEqual([1000, 2500]);
    expect(option.yAxis.axisLabel.formatter(2500)).toBe('¥25');
  });

  it('a pie of paid orders per method, with the methods’ names', () => {
    const option = methodShareOption(payments, text) as { series: { type: string; data: { name: string; value: number }[] }[] };
    expect(option.series[0].type).toBe('pie');
    expect(option.series[0].data).toEqual([
      { name: 'ALIPAY', value: 2 },
      { name: 'WECHAT', value: 1 },
    ]);
  });

  it('empty series give empty charts, not errors', () => {
    const option = dailyOrdersOption(undefined, text) as { series: { data: number[] }[] };
    expect(option.series[0].data).toEqual([]);
  });
});
