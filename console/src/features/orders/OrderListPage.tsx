// The staff order list: every filter of GET /orders, cursor pagination, saved filters, column choice,
// quick lookup by order number, batch actions (POST /orders/batch) and export (POST /exports).

import { PlusOutlined } from '@ant-design/icons';
import { useInfiniteQuery, useMutation } from '@tanstack/react-query';
import { Button, DatePicker, Flex, Form, Grid, Input, Select, Space, Tag, Typography, type TableColumnsType } from 'antd';
import { useEffect, useMemo, useRef, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { api, unwrap } from '../../api/client';
import { useSession } from '../../auth/SessionProvider';
import { DataList } from '../../components/DataList';
import { FilterPanel } from '../../components/FilterPanel';
import { Money } from '../../components/Money';
import { PageHeader } from '../../components/PageHeader';
import { ProblemAlert } from '../../components/ProblemAlert';
import { StatusTag } from '../../components/StatusTag';
import { useI18n } from '../../i18n/I18nProvider';
import { named, type OrderSummary } from './api';
import { BatchActions } from './BatchActions';
import { ColumnPicker } from './ColumnPicker';
import { ExportButton } from './ExportButton';
import {
  browserZone, countFilters, DATE_PRESETS, filtersToForm, filtersToParams, filtersToQuery, formToFilters, isAmount,
  ORDER_STATUSES, paramsToFilters, PAYMENT_METHODS, SEARCH_FLAGS, type FilterForm, type OrderFilters,
} from './filters';
import { loadColumns, saveColumns } from './prefs';
import { SavedFilters } from './SavedFilters';

export const COLUMN_KEYS = [
  'orderNumber', 'status', 'customerId', 'total', 'paymentMethod', 'createdAt', 'paidAt', 'stores', 'paymentDeadline',
  'updatedAt', 'reportingTotal', 'orderId',
] as const;
export const DEFAULT_COLUMNS = ['orderNumber', 'status', 'customerId', 'total', 'paymentMethod', 'createdAt', 'paidAt'];
const PAGE_SIZE = 20;

export function OrderListPage() {
  const { t, dateTime } = useI18n();
  const { can } = useSession();
  const navigate = useNavigate();
  const phone = Grid.useBreakpoint().md === false;
  const [params, setParams] = useSearchParams();
  const filters = useMemo(() => paramsToFilters(params), [params]);
  const query = useMemo(() => filtersToQuery(filters), [filters]);
  const [form] = Form.useForm<FilterForm>();
  const [more, setMore] = useState(false);
  const [selected, setSelected] = useState<string[]>([]);
  const [columns, setColumns] = useState<string[]>(() => loadColumns(COLUMN_KEYS, DEFAULT_COLUMNS));

  // The form shows the filters of the address (after apply, back/forward, a saved filter).
  // Filters the form itself applied need no sync (the user may already be typing the next ones).
  const fromForm = useRef<string | null>(null);
  useEffect(() => {
    const wanted = filtersToParams(filters).toString();
    if (fromForm.current === wanted) return;
    fromForm.current = wanted;
    form.resetFields();
    form.setFieldsValue({ tz: browserZone(), ...filtersToForm(filters) });
  }, [form, filters]);

  const apply = (next: OrderFilters, origin: 'form' | 'elsewhere' = 'elsewhere') => {
    setSelected([]);
    const params = filtersToParams(next);
    fromForm.current = origin === 'form' ? params.toString() : null;
    setParams(params, { replace: false });
  };

  const list = useInfiniteQuery({
    queryKey: ['orders', 'list', query],
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam }) =>
      unwrap(await api().GET('/orders', { params: { query: { ...query, limit: PAGE_SIZE, cursor: pageParam } } })),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
  const rows = useMemo(() => list.data?.pages.flatMap((page) => page.items) ?? [], [list.data]);

  const lookup = useMutation({
    mutationFn: async (orderNumber: string) =>
      unwrap(await api().GET('/orders/by-number/{orderNumber}', { params: { path: { orderNumber } } })),
    onSuccess: (order) => navigate(`/orders/${order.orderId}`),
  });

  const all: Record<string, TableColumnsType<OrderSummary>[number]> = {
    orderNumber: {
      key: 'orderNumber',
      title: t('orders.field.orderNumber'),
      render: (_, row) => (
        <Link to={`/orders/${row.orderId}`} data-testid="order-link">
          {row.orderNumber}
        </Link>
      ),
    },
    orderId: { key: 'orderId', title: t('orders.field.orderId'), dataIndex: 'orderId' },
    status: { key: 'status', title: t('orders.field.status'), render: (_, row) => <StatusTag status={row.status} /> },
    customerId: { key: 'customerId', title: t('orders.field.customerId'), dataIndex: 'customerId' },
    total: { key: 'total', title: t('orders.field.total'), align: 'right', render: (_, row) => <Money value={row.total} /> },
    reportingTotal: {
      key: 'reportingTotal',
      title: t('orders.field.reportingTotal'),
      align: 'right',
      render: (_, row) => <Money value={row.reportingTotal} />,
    },
    paymentMethod: {
      key: 'paymentMethod',
      title: t('orders.field.paymentMethod'),
      render: (_, row) => (row.paymentMethod ? named(t, 'enums.paymentMethod', row.paymentMethod) : '—'),
    },
    createdAt: { key: 'createdAt', title: t('orders.field.createdAt'), render: (_, row) => dateTime(row.createdAt) },
    paidAt: { key: 'paidAt', title: t('orders.field.paidAt'), render: (_, row) => dateTime(row.paidAt) },
    updatedAt: { key: 'updatedAt', title: t('orders.field.updatedAt'), render: (_, row) => dateTime(row.updatedAt) },
    paymentDeadline: {
      key: 'paymentDeadline',
      title: t('orders.field.paymentDeadline'),
      render: (_, row) => dateTime(row.paymentDeadline),
    },
    stores: {
      key: 'stores',
      title: t('orders.field.stores'),
      render: (_, row) => row.storeIds.map((store) => <Tag key={store}>{store}</Tag>),
    },
  };
  const shown = COLUMN_KEYS.filter((key) => columns.includes(key)).map((key) => all[key]);
  const columnLabels = COLUMN_KEYS.map((key) => ({ key, label: String(all[key].title) }));

  const width = phone ? '100%' : 180;
  const showAll = phone || more;

  return (
    <div data-testid="orders-list-page">
      <PageHeader
        title={t('orders.list.title')}
        extra={
          <Space wrap>
            {can('POST /admin/orders') && (
              <Button type="primary" icon={<PlusOutlined />} onClick={() => navigate('/orders/new')} data-testid="order-new">
                {t('orders.list.new')}
              </Button>
            )}
            {can('POST /exports') && <ExportButton filters={filters} />}
          </Space>
        }
      />
      <Flex gap={8} wrap style={{ marginBottom: 12 }} align="center">
        <Input.Search
          placeholder={t('orders.list.lookupPlaceholder')}
          aria-label={t('orders.list.lookup')}
          enterButton={t('orders.list.lookupButton')}
          allowClear
          loading={lookup.isPending}
          onSearch={(value) => {
            const number = value.trim();
            if (number) lookup.mutate(number);
            else lookup.reset();
          }}
          style={{ maxWidth: phone ? '100%' : 360 }}
          data-testid="quick-lookup"
        />
      </Flex>
      <ProblemAlert error={lookup.error} style={{ marginBottom: 12 }} />

      <FilterPanel<FilterForm>
        form={form}
        initialValues={{ tz: browserZone() }}
        onApply={(values) => apply(formToFilters(values), 'form')}
        active={countFilters(filters)}
        extra={
          <>
            {!phone && (
              <Button type="link" onClick={() => setMore(!more)} data-testid="filters-more">
                {more ? t('orders.filters.fewer') : t('orders.filters.more')}
              </Button>
            )}
            <SavedFilters current={filters} onApply={apply} />
            <ColumnPicker
              columns={columnLabels}
              chosen={columns}
              onChange={(next) => setColumns(saveColumns(COLUMN_KEYS, next))}
            />
          </>
        }
      >
        <Form.Item name="orderNumber" label={t('orders.field.orderNumber')} rules={[{ pattern: /^[0-9A-Za-z]{1,32}$/, message: t('orders.filters.badNumber') }]}>
          <Input allowClear style={{ width }} data-testid="filter-orderNumber" />
        </Form.Item>
        <Form.Item name="status" label={t('orders.field.status')}>
          <Select
            allowClear
            style={{ width }}
            data-testid="filter-status"
            options={ORDER_STATUSES.map((status) => ({ value: status, label: t(`status.${status}`) }))}
          />
        </Form.Item>
        <Form.Item name="created" label={t('orders.filters.created')}>
          <Select
            allowClear
            style={{ width }}
            data-testid="filter-created"
            options={DATE_PRESETS.map((preset) => ({ value: preset, label: t(`orders.preset.${preset}`) }))}
          />
        </Form.Item>
        <Form.Item name="createdRange" label={t('orders.filters.createdRange')}>
          <DatePicker.RangePicker allowEmpty={[true, true]} style={{ width: phone ? '100%' : 260 }} />
        </Form.Item>
        <Form.Item name="customerId" label={t('orders.field.customerId')}>
          <Input allowClear style={{ width }} data-testid="filter-customerId" />
        </Form.Item>
        <Form.Item name="paymentMethod" label={t('orders.field.paymentMethod')}>
          <Select
            allowClear
            style={{ width }}
            data-testid="filter-paymentMethod"
            options={PAYMENT_METHODS.map((method) => ({ value: method, label: t(`enums.paymentMethod.${method}`) }))}
          />
        </Form.Item>
        {showAll && (
          <>
            <Form.Item name="paid" label={t('orders.filters.paid')}>
              <Select
                allowClear
                style={{ width }}
                options={DATE_PRESETS.map((preset) => ({ value: preset, label: t(`orders.preset.${preset}`) }))}
              />
            </Form.Item>
            <Form.Item name="paidRange" label={t('orders.filters.paidRange')}>
              <DatePicker.RangePicker allowEmpty={[true, true]} style={{ width: phone ? '100%' : 260 }} />
            </Form.Item>
            <Form.Item name="phone" label={t('orders.filters.phone')}>
              <Input allowClear style={{ width }} />
            </Form.Item>
            <Form.Item name="email" label={t('orders.filters.email')}>
              <Input allowClear style={{ width }} type="email" />
            </Form.Item>
            <Form.Item name="skuId" label={t('orders.filters.skuId')}>
              <Input allowClear style={{ width }} data-testid="filter-skuId" />
            </Form.Item>
            <Form.Item name="productId" label={t('orders.filters.productId')}>
              <Input allowClear style={{ width }} />
            </Form.Item>
            <Form.Item name="storeId" label={t('orders.filters.storeId')}>
              <Input allowClear style={{ width }} />
            </Form.Item>
            <Form.Item
              name="amountMin"
              label={t('orders.filters.amountMin')}
              rules={[{ validator: (_, value) => (isAmount(value) ? Promise.resolve() : Promise.reject(new Error(t('orders.filters.badAmount')))) }]}
            >
              <Input allowClear inputMode="decimal" style={{ width }} data-testid="filter-amountMin" />
            </Form.Item>
            <Form.Item
              name="amountMax"
              label={t('orders.filters.amountMax')}
              rules={[{ validator: (_, value) => (isAmount(value) ? Promise.resolve() : Promise.reject(new Error(t('orders.filters.badAmount')))) }]}
            >
              <Input allowClear inputMode="decimal" style={{ width }} data-testid="filter-amountMax" />
            </Form.Item>
            <Form.Item
              name="currency"
              label={t('orders.filters.currency')}
              rules={[{ pattern: /^[A-Za-z]{3}$/, message: t('orders.filters.badCurrency') }]}
            >
              <Input allowClear maxLength={3} style={{ width: phone ? '100%' : 100 }} />
            </Form.Item>
            <Form.Item name="pointsUsed" label={t('orders.filters.pointsUsed')}>
              <Select
                allowClear
                style={{ width }}
                options={[
                  { value: 'true', label: t('common.yes') },
                  { value: 'false', label: t('common.no') },
                ]}
              />
            </Form.Item>
            <Form.Item name="flags" label={t('orders.filters.flags')}>
              <Select
                mode="multiple"
                allowClear
                style={{ width: phone ? '100%' : 260 }}
                options={SEARCH_FLAGS.map((flag) => ({ value: flag, label: t(`orders.flag.${flag}`) }))}
              />
            </Form.Item>
            <Form.Item name="tz" label={t('orders.filters.tz')} tooltip={t('orders.filters.tzHelp')}>
              <Input allowClear style={{ width }} />
            </Form.Item>
          </>
        )}
      </FilterPanel>

      <ProblemAlert error={list.error} style={{ marginBottom: 12 }} />
      {selected.length > 0 && (
        <BatchActions
          orderIds={selected}
          numbers={Object.fromEntries(rows.map((row) => [row.orderId, row.orderNumber]))}
          onDone={() => setSelected([])}
          onClear={() => setSelected([])}
        />
      )}
      <DataList<OrderSummary>
        testId="orders-list"
        rows={rows}
        rowKey={(row) => row.orderId}
        columns={shown}
        loading={list.isLoading}
        hasMore={list.hasNextPage}
        loadingMore={list.isFetchingNextPage}
        onLoadMore={() => list.fetchNextPage()}
        selected={selected}
        onSelect={setSelected}
        onOpen={phone ? undefined : (row) => navigate(`/orders/${row.orderId}`)}
        cardTitle={(row) => (
          <Link to={`/orders/${row.orderId}`} data-testid="order-link">
            {row.orderNumber}
          </Link>
        )}
        card={(row) => (
          <Flex vertical gap={4} data-testid="order-card">
            <Flex justify="space-between" align="center" wrap gap={8}>
              <StatusTag status={row.status} />
              <Money value={row.total} strong />
            </Flex>
            <Typography.Text type="secondary">
              {row.customerId} · {dateTime(row.createdAt)}
            </Typography.Text>
            {row.paymentMethod && (
              <Typography.Text type="secondary">
                {t('orders.field.paymentMethod')}: {named(t, 'enums.paymentMethod', row.paymentMethod)}
              </Typography.Text>
            )}
          </Flex>
        )}
      />
      {!list.isLoading && !list.hasNextPage && rows.length > 0 && (
        <Typography.Paragraph type="secondary" style={{ textAlign: 'center', marginTop: 12 }} data-testid="list-end">
          {t('orders.list.end', { count: rows.length })}
        </Typography.Paragraph>
      )}
    </div>
  );
}
