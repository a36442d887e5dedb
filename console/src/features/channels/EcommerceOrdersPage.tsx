// 电商订单: orders with virtual goods (GET /ecommerce-orders): tabs all / platform / channel, filters by
// channel order number, user, store, stage, redemption, verification and after-sales status, times, and
// the soft-deleted; each row opens the order (/orders/:orderId).

import { Checkbox, DatePicker, Form, Input, Select, Space, Tabs, Tag, Typography, type TableColumnsType } from 'antd';
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { api, unwrap, type Schemas } from '../../api/client';
import { DataList } from '../../components/DataList';
import { FilterPanel } from '../../components/FilterPanel';
import { PageHeader } from '../../components/PageHeader';
import { ProblemAlert } from '../../components/ProblemAlert';
import { StatusTag } from '../../components/StatusTag';
import { useI18n } from '../../i18n/I18nProvider';
import { useCursorList } from '../../api/useCursorList';
import { activeFilters, ecomQuery, type EcomFilterValues, type EcomTab } from './helpers';

type Row = Schemas['EcomOrder'];
export const STAGES = [
  'PENDING_DELIVERY', 'FROZEN', 'PENDING_AFTER_SALES', 'REJECTED', 'PENDING_REDEMPTION', 'PENDING_ACTIVATION',
  'PENDING_VERIFICATION', 'ACTIVE', 'VERIFIED', 'REVOKED',
];
const TABS: EcomTab[] = ['all', 'platform', 'channel'];

export function EcommerceOrdersPage() {
  const { t, dateTime } = useI18n();
  const [tab, setTab] = useState<EcomTab>('all');
  const [values, setValues] = useState<EcomFilterValues>({});
  const [form] = Form.useForm<EcomFilterValues>();
  const query = ecomQuery(tab, values);
  const list = useCursorList<Row>(['ecommerce-orders', query], async (cursor) =>
    unwrap(await api().GET('/ecommerce-orders', { params: { query: { ...query, cursor, limit: 50 } } })),
  );
  const stageLabel = (stage: string) => (stage === 'PENDING_DELIVERY' ? t('channels.ecom.pendingDelivery') : undefined);
  const columns: TableColumnsType<Row> = [
    {
      key: 'order',
      title: t('channels.ecom.order'),
      render: (_, row) => (
        <Link to={`/orders/${row.orderId}`} data-testid="ecom-order-link">
          {row.orderNumber}
        </Link>
      ),
    },
    { key: 'source', title: t('channels.ecom.source'), render: (_, row) => <Tag color={row.source === 'channel' ? 'purple' : 'blue'} data-source={row.source}>{t(`channels.ecom.sources.${row.source}`)}</Tag> },
    { key: 'store', title: t('channels.ecom.store'), render: (_, row) => row.channelStoreId ?? '—' },
    { key: 'channelOrderNo', title: t('channels.ecom.channelOrderNo'), render: (_, row) => row.channelOrderNo ?? '—' },
    { key: 'products', title: t('channels.ecom.products'), render: (_, row) => row.products.map((product) => `${product.name} × ${product.quantity}`).join('; ') },
    { key: 'delivered', title: t('channels.ecom.delivered'), render: (_, row) => `${row.delivered} / ${row.units}` },
    { key: 'stage', title: t('channels.ecom.stage'), render: (_, row) => stageLabel(row.stage) ? <Tag color="gold">{stageLabel(row.stage)}</Tag> : <StatusTag status={row.stage} /> },
    { key: 'link', title: t('channels.ecom.link'), render: (_, row) => (row.link ? <Typography.Text copyable ellipsis style={{ maxWidth: 220 }}>{row.link}</Typography.Text> : '—') },
    { key: 'reason', title: t('channels.ecom.reason'), render: (_, row) => row.reason ?? '—' },
    { key: 'customer', title: t('channels.ecom.customer'), dataIndex: 'customerId' },
    { key: 'createdAt', title: t('channels.ecom.createdAt'), render: (_, row) => dateTime(row.createdAt) },
    { key: 'redeemedAt', title: t('channels.ecom.redeemedAt'), render: (_, row) => dateTime(row.redeemedAt) },
  ];
  return (
    <>
      <PageHeader title={t('channels.ecom.title')} sub={t('channels.ecom.sub')} />
      <Tabs
        activeKey={tab}
        onChange={(key) => setTab(key as EcomTab)}
        items={TABS.map((key) => ({ key, label: <span data-testid={`ecom-tab-${key}`}>{t(`channels.ecom.tabs.${key}`)}</span> }))}
      />
      <FilterPanel<EcomFilterValues> form={form} active={activeFilters(query)} onApply={(next) => setValues({ ...next })}>
        <Form.Item name="channelOrderNo" label={t('channels.ecom.channelOrderNo')}>
          <Input allowClear style={{ minWidth: 150 }} data-testid="ecom-channel-no" />
        </Form.Item>
        <Form.Item name="userId" label={t('channels.ecom.customer')}>
          <Input allowClear style={{ minWidth: 130 }} />
        </Form.Item>
        <Form.Item name="storeId" label={t('channels.ecom.store')}>
          <Input allowClear style={{ minWidth: 130 }} />
        </Form.Item>
        <Form.Item name="stage" label={t('channels.ecom.stage')}>
          <Select allowClear style={{ minWidth: 160 }} options={STAGES.map((value) => ({ value, label: stageLabel(value) ?? t(`status.${value}`) }))} />
        </Form.Item>
        <Form.Item name="redemptionStatus" label={t('channels.ecom.redemption')}>
          <Select allowClear style={{ minWidth: 120 }} options={['PENDING', 'REDEEMED'].map((value) => ({ value, label: t(`channels.ecom.redemptionStatus.${value}`) }))} />
        </Form.Item>
        <Form.Item name="verificationStatus" label={t('channels.ecom.verification')}>
          <Select allowClear style={{ minWidth: 120 }} options={['PENDING', 'VERIFIED'].map((value) => ({ value, label: t(`channels.ecom.verificationStatus.${value}`) }))} />
        </Form.Item>
        <Form.Item name="afterSalesStatus" label={t('channels.ecom.afterSales')}>
          <Select allowClear style={{ minWidth: 120 }} options={[{ value: 'PENDING', label: t('channels.ecom.afterSalesPending') }]} />
        </Form.Item>
        <Form.Item name="created" label={t('channels.ecom.createdAt')}>
          <DatePicker.RangePicker showTime />
        </Form.Item>
        <Form.Item name="redeemed" label={t('channels.ecom.redeemedAt')}>
          <DatePicker.RangePicker showTime />
        </Form.Item>
        <Form.Item name="deleted" valuePropName="checked">
          <Checkbox>{t('channels.ecom.deleted')}</Checkbox>
        </Form.Item>
      </FilterPanel>
      <ProblemAlert error={list.query.error} style={{ marginBottom: 12 }} />
      <DataList<Row>
        testId="ecom-orders-list"
        rows={list.rows}
        rowKey={(row) => row.orderId}
        columns={columns}
        loading={list.query.isLoading}
        hasMore={list.hasMore}
        onLoadMore={list.loadMore}
        loadingMore={list.loadingMore}
        cardTitle={(row) => (
          <Space wrap>
            <Link to={`/orders/${row.orderId}`}>{row.orderNumber}</Link>
            <Tag color={row.source === 'channel' ? 'purple' : 'blue'}>{t(`channels.ecom.sources.${row.source}`)}</Tag>
          </Space>
        )}
      />
    </>
  );
}
