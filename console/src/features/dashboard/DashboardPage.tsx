// The console's front page: today's figures, what waits for staff, daily orders, monthly sales, payment
// methods, best sellers and low stock, from the statistics API (stats:read) and the staff lists. A role
// without stats:read sees a welcome with the pages it may open.

import { useQueries, useQuery } from '@tanstack/react-query';
import { Card, Col, Empty, List, Row, Space, Statistic, Table, Tag, Typography } from 'antd';
import { useMemo, useState, type ReactNode } from 'react';
import { Link } from 'react-router-dom';
import { api, unwrap, type Schemas } from '../../api/client';
import { useSession } from '../../auth/SessionProvider';
import { PageHeader } from '../../components/PageHeader';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useI18n } from '../../i18n/I18nProvider';
import { useMenu } from '../../layout/ConsoleLayout';
import { EChart } from './EChart';
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
} from './stats';
import { DEFAULT_STORE, StorePicker } from './StorePicker';

export function DashboardPage() {
  const { can } = useSession();
  if (!can('GET /stats/sales')) return <Welcome />;
  return <Dashboard />;
}

function Welcome() {
  const { t } = useI18n();
  const { session } = useSession();
  const entries = useMenu().filter((entry) => entry.path !== '/');
  return (
    <div data-testid="dashboard-welcome">
      <PageHeader title={t('dashboard.welcome', { name: session?.name ?? session?.sub ?? '' })} sub={t('dashboard.welcomeSub')} />
      <Card>
        {entries.length ? (
          <List
            dataSource={entries}
            renderItem={(entry) => (
              <List.Item>
                <Link to={entry.path}>
                  {entry.icon} {t(entry.labelKey)}
                </Link>
              </List.Item>
            )}
          />
        ) : (
          <Empty description={t('common.empty')} />
        )}
      </Card>
    </div>
  );
}

function useStats() {
  const now = useMemo(() => new Date(), []);
  const today = utcDay(now);
  const from = utcDay(now, -29);
  const daily = useQuery({
    queryKey: ['stats', 'sales', 'day', from, today],
    queryFn: async () => unwrap(await api().GET('/stats/sales', { params: { query: { from, to: today, granularity: 'day' } } })),
  });
  const monthFrom = utcMonthStart(now, -11);
  const monthly = useQuery({
    queryKey: ['stats', 'sales', 'month', monthFrom, today],
    queryFn: async () =>
      unwrap(await api().GET('/stats/sales', { params: { query: { from: monthFrom, to: today, granularity: 'month' } } })),
  });
  const payments = useQuery({
    queryKey: ['stats', 'payments', 'day', from, today],
    queryFn: async () => unwrap(await api().GET('/stats/payments', { params: { query: { from, to: today, granularity: 'day' } } })),
  });
  const thisMonth = utcMonthStart(now);
  const products = useQuery({
    queryKey: ['stats', 'products', 'month', thisMonth, today],
    queryFn: async () =>
      unwrap(await api().GET('/stats/products', { params: { query: { from: thisMonth, to: today, granularity: 'month', top: 10 } } })),
  });
  return { today, daily, monthly, payments, products };
}

function Kpi({ title, value, extra, testId, to }: { title: string; value: ReactNode; extra?: ReactNode; testId: string; to?: string }) {
  const body = (
    <Card size="small" data-testid={testId} hoverable={!!to} style={{ height: '100%' }}>
      <Statistic title={title} value={value as string} />
      {extra && <Typography.Text type="secondary">{extra}</Typography.Text>}
    </Card>
  );
  return (
    <Col xs={12} sm={12} md={8} xl={4}>
      {to ? <Link to={to}>{body}</Link> : body}
    </Col>
  );
}

function Growth({ ratio }: { ratio: number | null }) {
  const { t, percent } = useI18n();
  if (ratio === null) return <>{t('dashboard.noPrevious')}</>;
  return <>{t('dashboard.vsYesterday', { change: `${ratio > 0 ? '+' : ''}${percent(ratio)}` })}</>;
}

function Dashboard() {
  const { t, money, percent, date } = useI18n();
  const { can } = useSession();
  const { today, daily, monthly, payments, products } = useStats();
  const currency = daily.data?.currency ?? 'CNY';
  const figures = todayFigures(daily.data, payments.data, today);
  const thirty = successOver(payments.data);
  const text: ChartText = useMemo(
    () => ({
      placed: t('dashboard.placed'),
      paid: t('dashboard.paid'),
      sales: t('dashboard.sales'),
      formatDay: (period) => period.slice(5),
      formatMoney: (minor) => money(minor, currency),
      methodLabel: (method) => {
        const key = `enums.paymentMethod.${method}`;
        return t(key) === key ? method : t(key);
      },
    }),
    [t, money, currency],
  );
  const dailyOption = useMemo(() => dailyOrdersOption(daily.data, text), [daily.data, text]);
  const monthlyOption = useMemo(() => monthlySalesOption(monthly.data, text), [monthly.data, text]);
  const pieOption = useMemo(() => methodShareOption(payments.data, text), [payments.data, text]);
  const error = daily.error ?? monthly.error ?? payments.error ?? products.error;

  return (
    <div data-testid="dashboard">
      <PageHeader title={t('dashboard.title')} sub={t('dashboard.sub', { currency })} />
      <ProblemAlert error={error} style={{ marginBottom: 12 }} />
      <Row gutter={[12, 12]}>
        <Kpi
          testId="kpi-orders"
          title={t('dashboard.todayOrders')}
          value={daily.isLoading ? '…' : figures.placedOrders}
          extra={<Growth ratio={figures.ordersGrowth} />}
        />
        <Kpi
          testId="kpi-sales"
          title={t('dashboard.todaySales')}
          value={daily.isLoading ? '…' : money(figures.sales, currency)}
          extra={<Growth ratio={figures.salesGrowth} />}
        />
        <Kpi
          testId="kpi-success"
          title={t('dashboard.successRate')}
          value={payments.isLoading ? '…' : figures.successRate === null ? '—' : percent(figures.successRate)}
          extra={t('dashboard.successThirty', { rate: thirty.rate === null ? '—' : percent(thirty.rate) })}
        />
        <PendingCards />
      </Row>
      <Row gutter={[12, 12]} style={{ marginTop: 12 }}>
        <Col xs={24} lg={12}>
          <Card size="small" title={t('dashboard.dailyOrders')}>
            <EChart option={dailyOption} label={t('dashboard.dailyOrdersLabel')} testId="chart-daily-orders" />
          </Card>
        </Col>
        <Col xs={24} lg={12}>
          <Card size="small" title={t('dashboard.monthlySales')}>
            <EChart option={monthlyOption} label={t('dashboard.monthlySalesLabel')} testId="chart-monthly-sales" />
          </Card>
        </Col>
        <Col xs={24} lg={8}>
          <Card size="small" title={t('dashboard.methodShare')}>
            {payments.data && methodTotals(payments.data).length === 0 ? (
              <Empty description={t('dashboard.noPayments')} />
            ) : (
              <EChart option={pieOption} label={t('dashboard.methodShareLabel')} testId="chart-method-share" height={260} />
            )}
          </Card>
        </Col>
        <Col xs={24} lg={16}>
          <BestSellers stats={products.data} loading={products.isLoading} currency={products.data?.currency ?? currency} />
        </Col>
        <Col xs={24} lg={12}>
          <LowStock />
        </Col>
        {can('GET /after-sales/stats') && (
          <Col xs={24} lg={12}>
            <AfterSalesCard />
          </Col>
        )}
      </Row>
      <Typography.Paragraph type="secondary" style={{ marginTop: 12 }}>
        {t('dashboard.asOf', { day: date(`${today}T00:00:00Z`) })}
      </Typography.Paragraph>
    </div>
  );
}

/** What waits for staff: orders held for a risk review, paid orders awaiting shipment, after-sales cases
 * waiting on a step. There is no count endpoint: each is counted from one page of its list (100), "100+"
 * when the list goes on. */
function PendingCards() {
  const { t } = useI18n();
  const { can } = useSession();
  const reviews = useQuery({
    queryKey: ['dashboard', 'pending', 'risk'],
    enabled: can('GET /risk/reviews'),
    queryFn: async () => unwrap(await api().GET('/risk/reviews', { params: { query: { limit: 100 } } })),
  });
  const shipping = useQuery({
    queryKey: ['dashboard', 'pending', 'paid'],
    queryFn: async () => unwrap(await api().GET('/orders', { params: { query: { status: 'PAID', limit: 100 } } })),
  });
  const cases = useQuery({
    queryKey: ['dashboard', 'pending', 'after-sales'],
    enabled: can('GET /after-sales/queue'),
    queryFn: async () => unwrap(await api().GET('/after-sales/queue', { params: { query: { limit: 100 } } })),
  });
  const label = (page: { items: unknown[]; next_cursor?: string | null } | undefined, loading: boolean) =>
    loading || !page ? '…' : countLabel(page.items.length, !!page.next_cursor);
  return (
    <>
      {can('GET /risk/reviews') && (
        <Kpi testId="kpi-pending-review" title={t('dashboard.pendingReview')} value={label(reviews.data, reviews.isLoading)} to="/risk" />
      )}
      <Kpi testId="kpi-pending-shipment" title={t('dashboard.pendingShipment')} value={label(shipping.data, shipping.isLoading)} to="/orders" />
      {can('GET /after-sales/queue') && (
        <Kpi testId="kpi-pending-after-sales" title={t('dashboard.pendingAfterSales')} value={label(cases.data, cases.isLoading)} to="/after-sales" />
      )}
    </>
  );
}

function useProductNames(ids: string[]) {
  const results = useQueries({
    queries: ids.map((productId) => ({
      queryKey: ['product', productId],
      staleTime: 60_000,
      queryFn: async () => unwrap(await api().GET('/products/{productId}', { params: { path: { productId } } })),
    })),
  });
  return new Map(results.flatMap((result) => (result.data ? [[result.data.productId, result.data] as const] : [])));
}

function BestSellers({ stats, loading, currency }: { stats: Schemas['ProductStats'] | undefined; loading: boolean; currency: string }) {
  const { t, money, percent } = useI18n();
  const rows = bestSellers(stats, 10);
  const names = useProductNames(rows.map((row) => row.productId));
  return (
    <Card size="small" title={t('dashboard.bestSellers')} data-testid="best-sellers">
      <div role="region" aria-label={t('dashboard.bestSellers')} tabIndex={0} style={{ overflowX: 'auto' }}>
      <Table
        size="small"
        rowKey="productId"
        loading={loading}
        dataSource={rows}
        pagination={false}
        locale={{ emptyText: <Empty description={t('dashboard.noSales')} /> }}
        columns={[
          { key: 'rank', title: '#', render: (_: unknown, __: unknown, index: number) => index + 1 },
          { key: 'name', title: t('dashboard.product'), render: (_: unknown, row) => names.get(row.productId)?.name ?? row.productId },
          { key: 'quantity', title: t('dashboard.units'), dataIndex: 'quantity', align: 'right' },
          { key: 'orders', title: t('dashboard.orders'), dataIndex: 'orders', align: 'right' },
          { key: 'amount', title: t('dashboard.revenue'), align: 'right', render: (_: unknown, row) => money(row.amount, currency) },
          { key: 'share', title: t('dashboard.share'), align: 'right', render: (_: unknown, row) => (row.share === null ? '—' : percent(row.share)) },
        ]}
      />
      </div>
    </Card>
  );
}

/** SKUs of a store at or under their alert level, from the store's products (first 50) and their SKUs. */
function LowStock() {
  const { t } = useI18n();
  const [store, setStore] = useState(DEFAULT_STORE);
  const products = useQuery({
    queryKey: ['products', store, 'dashboard'],
    enabled: !!store,
    queryFn: async () => unwrap(await api().GET('/products', { params: { query: { store, limit: 50 } } })),
  });
  const details = useQueries({
    queries: (products.data?.items ?? []).map((product) => ({
      queryKey: ['product', product.productId],
      staleTime: 60_000,
      queryFn: async () => unwrap(await api().GET('/products/{productId}', { params: { path: { productId: product.productId } } })),
    })),
  });
  const low = details
    .flatMap((result) => (result.data ? result.data.skus.map((sku) => ({ sku, product: result.data.name })) : []))
    .filter(({ sku }) => sku.stockState !== 'in_stock')
    .sort((a, b) => a.sku.available - b.sku.available);
  const loading = products.isLoading || details.some((result) => result.isLoading);
  return (
    <Card
      size="small"
      title={t('dashboard.lowStock')}
      extra={<StorePicker value={store} onChange={setStore} testId="low-stock-store" />}
      data-testid="low-stock"
    >
      <ProblemAlert error={products.error} />
      <List
        loading={loading}
        dataSource={low}
        locale={{ emptyText: <Empty description={t('dashboard.noLowStock')} /> }}
        renderItem={({ sku, product }) => (
          <List.Item>
            <Space direction="vertical" size={0} style={{ minWidth: 0 }}>
              <Typography.Text strong>{product}</Typography.Text>
              <Typography.Text type="secondary">
                {sku.name} · <code>{sku.skuId}</code>
              </Typography.Text>
            </Space>
            <Space>
              <Tag color={sku.stockState === 'sold_out' ? 'red' : 'orange'}>{t(`dashboard.stockState.${sku.stockState}`)}</Tag>
              <span>{t('dashboard.available', { count: sku.available, level: sku.lowStockThreshold ?? '—' })}</span>
            </Space>
          </List.Item>
        )}
      />
      {products.data?.next_cursor && <Typography.Text type="secondary">{t('dashboard.lowStockFirst')}</Typography.Text>}
    </Card>
  );
}

function AfterSalesCard() {
  const { t } = useI18n();
  const stats = useQuery({
    queryKey: ['after-sales', 'stats', 'dashboard'],
    queryFn: async () => unwrap(await api().GET('/after-sales/stats', {})),
  });
  const reasons = Object.entries(stats.data?.byReason ?? {}).sort((a, b) => b[1] - a[1]);
  return (
    <Card size="small" title={t('dashboard.afterSales')} data-testid="after-sales-stats">
      <ProblemAlert error={stats.error} />
      <Statistic title={t('dashboard.casesOpened')} value={stats.isLoading ? '…' : (stats.data?.opened ?? 0)} />
      <Space wrap style={{ marginTop: 8 }}>
        {reasons.map(([reason, count]) => (
          <Tag key={reason}>
            {t(`aftersales.reason.${reason}`)}: {count}
          </Tag>
        ))}
      </Space>
    </Card>
  );
}
