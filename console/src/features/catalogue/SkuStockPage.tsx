// A SKU's stock: its counters, what moved them (GET /skus/{skuId}/stock-movements, by kind and time)
// and a restock or correction (POST /skus/{skuId}/stock-adjustments).

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { App, Button, Card, DatePicker, Descriptions, Flex, Form, Input, InputNumber, Select, Spin, Tag, Typography, type TableColumnsType } from 'antd';
import type { Dayjs } from 'dayjs';
import { useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { api, unwrap, type Schemas } from '../../api/client';
import { useSession } from '../../auth/SessionProvider';
import { DataList } from '../../components/DataList';
import { FilterPanel } from '../../components/FilterPanel';
import { Money } from '../../components/Money';
import { PageHeader } from '../../components/PageHeader';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useI18n } from '../../i18n/I18nProvider';
import { StockStateTag } from './ProductDetailPage';
import { useCursorList } from '../../api/useCursorList';

type Movement = Schemas['StockMovementOut'];
export const MOVEMENT_KINDS: Schemas['MovementKind'][] = ['opening', 'reservation', 'release', 'sale', 'return', 'damaged', 'adjustment', 'stocktake'];

/** "+3 sold, −3 reserved" style text of a movement's counter changes. */
export function describeChanges(changes: Record<string, number>, label: (counter: string) => string): string {
  return Object.entries(changes)
    .filter(([, delta]) => delta !== 0)
    .map(([counter, delta]) => `${label(counter)} ${delta > 0 ? '+' : '−'}${Math.abs(delta)}`)
    .join(', ');
}

interface MovementFilters {
  kind?: string[];
  range?: [Dayjs | null, Dayjs | null] | null;
}

interface AdjustValues {
  delta: number;
  reason: Schemas['StockAdjustmentReason'];
  note?: string;
}

export function SkuStockPage() {
  const { skuId = '' } = useParams();
  const { t, dateTime } = useI18n();
  const { can } = useSession();
  const { message } = App.useApp();
  const client = useQueryClient();
  const [filterForm] = Form.useForm<MovementFilters>();
  const [filters, setFilters] = useState<{ kind?: string; from?: string; to?: string }>({});
  const [adjustForm] = Form.useForm<AdjustValues>();
  const sku = useQuery({
    queryKey: ['sku', skuId],
    queryFn: async () => unwrap(await api().GET('/skus/{skuId}', { params: { path: { skuId } } })),
  });
  const canRead = can('GET /skus/{skuId}/stock-movements');
  const movements = useCursorList<Movement>(
    ['stock-movements', skuId, filters],
    async (cursor) =>
      unwrap(
        await api().GET('/skus/{skuId}/stock-movements', {
          params: { path: { skuId }, query: { ...filters, cursor, limit: 50 } },
        }),
      ),
    { enabled: canRead },
  );
  const adjust = useMutation({
    mutationFn: async (values: AdjustValues) =>
      unwrap(
        await api().POST('/skus/{skuId}/stock-adjustments', {
          params: { path: { skuId } },
          body: { delta: values.delta, reason: values.reason, note: values.note?.trim() || null },
        }),
      ),
    onSuccess: (answer) => {
      message.success(t('catalogue.stock.adjusted', { available: answer.stock.available }));
      adjustForm.resetFields();
      void client.invalidateQueries({ queryKey: ['sku', skuId] });
      void client.invalidateQueries({ queryKey: ['product'] });
      // The movement row is written just after the change (the table's stream): look again shortly.
      void client.invalidateQueries({ queryKey: ['stock-movements', skuId] });
      window.setTimeout(() => void client.invalidateQueries({ queryKey: ['stock-movements', skuId] }), 1200);
      window.setTimeout(() => void client.invalidateQueries({ queryKey: ['stock-movements', skuId] }), 3500);
    },
  });
  const counter = (name: string) => t(`catalogue.counter.${name}`);
  const columns: TableColumnsType<Movement> = [
    { key: 'at', title: t('catalogue.stock.at'), render: (_, row) => dateTime(row.at) },
    { key: 'kind', title: t('catalogue.stock.kind'), render: (_, row) => <Tag data-kind={row.kind}>{t(`catalogue.movement.${row.kind}`)}</Tag> },
    { key: 'changes', title: t('catalogue.stock.changes'), render: (_, row) => describeChanges(row.changes, counter) },
    { key: 'available', title: t('catalogue.counter.available'), render: (_, row) => row.after.available ?? '—' },
    { key: 'by', title: t('catalogue.stock.by'), dataIndex: 'by' },
    { key: 'reason', title: t('common.reason'), render: (_, row) => row.reason ?? '—' },
    {
      key: 'ref',
      title: t('catalogue.stock.ref'),
      render: (_, row) =>
        row.ref.orderId ? <Link to={`/orders/${row.ref.orderId}`}>{row.ref.orderId}</Link> : Object.values(row.ref).join(' · ') || '—',
    },
  ];
  if (sku.isLoading) return <Spin />;
  if (!sku.data) return <ProblemAlert error={sku.error} />;
  const data = sku.data;
  return (
    <>
      <PageHeader
        title={t('catalogue.stock.title', { sku: data.skuId })}
        sub={data.name}
        extra={<Link to={`/products/${data.productId}`}>{t('catalogue.stock.toProduct')}</Link>}
      />
      <Flex vertical gap={16}>
        <Card>
          <Descriptions size="small" column={{ xs: 1, sm: 2, md: 4 }}>
            <Descriptions.Item label={t('catalogue.counter.available')}>
              <strong data-testid="sku-available">{data.available}</strong>
            </Descriptions.Item>
            <Descriptions.Item label={t('catalogue.sku.stockState')}>
              <StockStateTag state={data.stockState} />
            </Descriptions.Item>
            <Descriptions.Item label={t('catalogue.sku.lowStock')}>{data.lowStockThreshold ?? t('catalogue.sku.storeDefault')}</Descriptions.Item>
            <Descriptions.Item label={t('catalogue.sku.priceShort')}>
              <Money value={data.price} />
            </Descriptions.Item>
          </Descriptions>
        </Card>
        {can('POST /skus/{skuId}/stock-adjustments') && (
          <Card title={t('catalogue.stock.adjust')}>
            <Form
              form={adjustForm}
              layout="inline"
              initialValues={{ reason: 'restock' }}
              onFinish={(values) => adjust.mutate(values)}
              style={{ rowGap: 12 }}
              data-testid="adjust-form"
            >
              <Form.Item name="delta" label={t('catalogue.stock.delta')} rules={[{ required: true, message: t('catalogue.required') }, { validator: (_, v: number) => (v === 0 ? Promise.reject(new Error(t('catalogue.stock.notZero'))) : Promise.resolve()) }]}>
                <InputNumber precision={0} data-testid="adjust-delta" />
              </Form.Item>
              <Form.Item name="reason" label={t('common.reason')}>
                <Select style={{ minWidth: 160 }} options={(['restock', 'stocktake_correction'] as const).map((value) => ({ value, label: t(`catalogue.adjustReason.${value}`) }))} data-testid="adjust-reason" />
              </Form.Item>
              <Form.Item name="note" label={t('common.note')}>
                <Input maxLength={200} data-testid="adjust-note" />
              </Form.Item>
              <Form.Item>
                <Button type="primary" htmlType="submit" loading={adjust.isPending} data-testid="adjust-submit">
                  {t('catalogue.stock.apply')}
                </Button>
              </Form.Item>
            </Form>
            <ProblemAlert error={adjust.error} style={{ marginTop: 12 }} />
          </Card>
        )}
        {canRead && (
          <Card title={t('catalogue.stock.movements')}>
            <FilterPanel<MovementFilters>
              form={filterForm}
              active={(filters.kind ? 1 : 0) + (filters.from || filters.to ? 1 : 0)}
              onApply={(values) =>
                setFilters({
                  kind: values.kind?.length ? values.kind.join(',') : undefined,
                  from: values.range?.[0]?.toISOString() ?? undefined,
                  to: values.range?.[1]?.toISOString() ?? undefined,
                })
              }
            >
              <Form.Item name="kind" label={t('catalogue.stock.kind')}>
                <Select mode="multiple" allowClear style={{ minWidth: 200 }} options={MOVEMENT_KINDS.map((value) => ({ value, label: t(`catalogue.movement.${value}`) }))} />
              </Form.Item>
              <Form.Item name="range" label={t('catalogue.stock.when')}>
                <DatePicker.RangePicker showTime />
              </Form.Item>
            </FilterPanel>
            <ProblemAlert error={movements.query.error} style={{ marginBottom: 12 }} />
            <Typography.Paragraph type="secondary">{t('catalogue.stock.lagHint')}</Typography.Paragraph>
            <DataList<Movement>
              testId="movements-list"
              rows={movements.rows}
              rowKey={(row) => row.movementId}
              columns={columns}
              loading={movements.query.isLoading}
              hasMore={movements.hasMore}
              onLoadMore={movements.loadMore}
              loadingMore={movements.loadingMore}
              cardTitle={(row) => `${t(`catalogue.movement.${row.kind}`)} · ${dateTime(row.at)}`}
            />
          </Card>
        )}
      </Flex>
    </>
  );
}
