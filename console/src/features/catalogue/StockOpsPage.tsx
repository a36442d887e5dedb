// 库存调整: batch adjustments from a CSV (POST /stock-adjustments/batch, a result per line) and
// stocktakes (GET/POST /stocktakes, GET /stocktakes/{id}).

import { MinusCircleOutlined, PlusOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Card, Descriptions, Flex, Form, Input, InputNumber, Modal, Space, Table, Tabs, Tag, Typography, type TableColumnsType } from 'antd';
import { useState } from 'react';
import { api, unwrap, type Schemas } from '../../api/client';
import { useSession } from '../../auth/SessionProvider';
import { DataList } from '../../components/DataList';
import { FilterPanel } from '../../components/FilterPanel';
import { PageHeader } from '../../components/PageHeader';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useI18n } from '../../i18n/I18nProvider';
import { parseAdjustmentCsv, type CsvProblem } from './csv';
import { newIdempotencyKey, StoreField, useStoreId } from './shared';
import { useCursorList } from '../../api/useCursorList';

const TEMPLATE = 'skuId,delta,reason,note\n';

function ResultTag({ status }: { status: string }) {
  const { t } = useI18n();
  const color = status === 'applied' ? 'green' : status === 'refused' ? 'red' : 'orange';
  return (
    <Tag color={color} data-result={status}>
      {t(`catalogue.result.${status}`)}
    </Tag>
  );
}

export function StockOpsPage() {
  const { t } = useI18n();
  const { can } = useSession();
  return (
    <>
      <PageHeader title={t('catalogue.stockOps.title')} sub={t('catalogue.stockOps.sub')} />
      <Tabs
        items={[
          ...(can('POST /stock-adjustments/batch') ? [{ key: 'batch', label: t('catalogue.stockOps.batch'), children: <BatchTab /> }] : []),
          ...(can('GET /stocktakes') ? [{ key: 'stocktakes', label: t('catalogue.stockOps.stocktakes'), children: <StocktakesTab /> }] : []),
        ]}
      />
    </>
  );
}

function problemText(t: (key: string, vars?: Record<string, string | number>) => string, problem: CsvProblem): string {
  return t(`catalogue.csv.${problem.code}`, { line: problem.line, field: problem.field });
}

function BatchTab() {
  const { t } = useI18n();
  const client = useQueryClient();
  const [text, setText] = useState(TEMPLATE);
  const [key, setKey] = useState(newIdempotencyKey);
  const parsed = parseAdjustmentCsv(text);
  const send = useMutation({
    mutationFn: async () =>
      unwrap(
        await api().POST('/stock-adjustments/batch', {
          params: { header: { 'Idempotency-Key': key } },
          body: { lines: parsed.lines },
        }),
      ),
    onSuccess: (answer) => {
      // A complete batch spends the key; one with `retry` lines is sent again with the same key.
      if (answer.complete) setKey(newIdempotencyKey());
      void client.invalidateQueries({ queryKey: ['sku'] });
      void client.invalidateQueries({ queryKey: ['product'] });
      void client.invalidateQueries({ queryKey: ['stock-movements'] });
    },
  });
  const columns: TableColumnsType<Schemas['AdjustmentResult']> = [
    { key: 'line', title: t('catalogue.stockOps.line'), render: (_, row) => row.line + 1 },
    { key: 'skuId', title: t('catalogue.sku.skuId'), dataIndex: 'skuId' },
    { key: 'delta', title: t('catalogue.stock.delta'), dataIndex: 'delta' },
    { key: 'status', title: t('catalogue.stockOps.result'), render: (_, row) => <ResultTag status={row.status} /> },
    { key: 'available', title: t('catalogue.counter.available'), render: (_, row) => row.stock?.available ?? '—' },
    { key: 'problem', title: t('catalogue.stockOps.problem'), render: (_, row) => (row.problem ? `${row.problem.title}${row.problem.detail ? `: ${row.problem.detail}` : ''}` : '—') },
  ];
  return (
    <Card>
      <Typography.Paragraph type="secondary">{t('catalogue.stockOps.batchHint')}</Typography.Paragraph>
      <Input.TextArea
        value={text}
        onChange={(event) => setText(event.target.value)}
        autoSize={{ minRows: 5, maxRows: 16 }}
        aria-label={t('catalogue.stockOps.csv')}
        style={{ fontFamily: 'monospace' }}
        data-testid="batch-csv"
      />
      {parsed.problems.length > 0 && (
        <Alert
          type="warning"
          showIcon
          style={{ marginTop: 12 }}
          title={t('catalogue.stockOps.fix')}
          description={<ul style={{ margin: 0, paddingInlineStart: 18 }}>{parsed.problems.map((problem, index) => <li key={index}>{problemText(t, problem)}</li>)}</ul>}
        />
      )}
      <Flex gap={8} align="center" wrap style={{ marginTop: 12 }}>
        <Button type="primary" disabled={!parsed.lines.length || parsed.problems.length > 0 || parsed.lines.length > 200} loading={send.isPending} onClick={() => send.mutate()} data-testid="batch-submit">
          {t('catalogue.stockOps.apply', { n: parsed.lines.length })}
        </Button>
        {send.data && !send.data.complete && <Typography.Text type="warning">{t('catalogue.stockOps.retryHint')}</Typography.Text>}
      </Flex>
      <ProblemAlert error={send.error} style={{ marginTop: 12 }} />
      {send.data && (
        <>
          <Descriptions size="small" style={{ marginTop: 16 }} column={{ xs: 2, md: 4 }}>
            <Descriptions.Item label={t('catalogue.result.applied')}>{send.data.applied}</Descriptions.Item>
            <Descriptions.Item label={t('catalogue.result.refused')}>{send.data.refused}</Descriptions.Item>
            <Descriptions.Item label={t('catalogue.result.retry')}>{send.data.retry}</Descriptions.Item>
            <Descriptions.Item label={t('catalogue.stockOps.batchId')}>{send.data.batchId}</Descriptions.Item>
          </Descriptions>
          <Table size="small" rowKey="line" dataSource={send.data.results} columns={columns} pagination={false} scroll={{ x: 'max-content' }} data-testid="batch-results" />
        </>
      )}
    </Card>
  );
}

interface StocktakeValues {
  note?: string;
  lines: { skuId: string; counted: number }[];
}

function StocktakesTab() {
  const { t, dateTime } = useI18n();
  const { can } = useSession();
  const client = useQueryClient();
  const [store, setStore] = useStoreId();
  const [filters] = Form.useForm<{ store?: string }>();
  const [form] = Form.useForm<StocktakeValues>();
  const [key, setKey] = useState(newIdempotencyKey);
  const [open, setOpen] = useState<string | null>(null);
  const list = useCursorList<Schemas['StocktakeSummaryView']>(['stocktakes', store], async (cursor) =>
    unwrap(await api().GET('/stocktakes', { params: { query: { store, cursor, limit: 20 } } })),
  );
  const record = useMutation({
    mutationFn: async (values: StocktakeValues) =>
      unwrap(
        await api().POST('/stocktakes', {
          params: { header: { 'Idempotency-Key': key } },
          body: { storeId: store, note: values.note?.trim() || null, lines: values.lines.map((line) => ({ skuId: line.skuId.trim(), counted: line.counted })) },
        }),
      ),
    onSuccess: (answer) => {
      if (answer.status !== 'incomplete') {
        setKey(newIdempotencyKey());
        form.resetFields();
      }
      setOpen(answer.stocktakeId);
      void client.invalidateQueries({ queryKey: ['stocktakes', store] });
      void client.invalidateQueries({ queryKey: ['sku'] });
      void client.invalidateQueries({ queryKey: ['product'] });
    },
  });
  const columns: TableColumnsType<Schemas['StocktakeSummaryView']> = [
    { key: 'at', title: t('catalogue.stock.at'), render: (_, row) => dateTime(row.at) },
    { key: 'by', title: t('catalogue.stock.by'), dataIndex: 'by' },
    { key: 'note', title: t('common.note'), render: (_, row) => row.note ?? '—' },
    { key: 'lines', title: t('catalogue.stockOps.lines'), render: (_, row) => row.summary.lines },
    { key: 'applied', title: t('catalogue.result.applied'), render: (_, row) => row.summary.applied },
    { key: 'refused', title: t('catalogue.result.refused'), render: (_, row) => row.summary.refused },
    { key: 'units', title: t('catalogue.stockOps.units'), render: (_, row) => `+${row.summary.unitsUp} / −${row.summary.unitsDown}` },
    { key: 'open', title: t('common.details'), render: (_, row) => <Button size="small" onClick={() => setOpen(row.stocktakeId)}>{t('common.details')}</Button> },
  ];
  return (
    <Flex vertical gap={16}>
      <FilterPanel form={filters} initialValues={{ store }} active={store !== 'demo' ? 1 : 0} onApply={(values) => setStore(values.store?.trim() || 'demo')}>
        <StoreField />
      </FilterPanel>
      {can('POST /stocktakes') && (
        <Card title={t('catalogue.stockOps.newStocktake', { store })}>
          <Typography.Paragraph type="secondary">{t('catalogue.stockOps.stocktakeHint')}</Typography.Paragraph>
          <Form form={form} layout="vertical" initialValues={{ lines: [{ skuId: '', counted: 0 }] }} onFinish={(values) => record.mutate(values)}>
            <Form.List name="lines">
              {(fields, { add, remove }) => (
                <>
                  {fields.map((field) => (
                    <Space key={field.key} align="baseline" wrap>
                      <Form.Item name={[field.name, 'skuId']} label={t('catalogue.sku.skuId')} rules={[{ required: true, message: t('catalogue.required') }]}>
                        <Input maxLength={64} />
                      </Form.Item>
                      <Form.Item name={[field.name, 'counted']} label={t('catalogue.stockOps.counted')} rules={[{ required: true, message: t('catalogue.required') }]}>
                        <InputNumber min={0} precision={0} />
                      </Form.Item>
                      {fields.length > 1 && <Button type="text" icon={<MinusCircleOutlined />} aria-label={t('common.delete')} onClick={() => remove(field.name)} />}
                    </Space>
                  ))}
                  <Button icon={<PlusOutlined />} onClick={() => add({ skuId: '', counted: 0 })} disabled={fields.length >= 200}>
                    {t('catalogue.stockOps.addLine')}
                  </Button>
                </>
              )}
            </Form.List>
            <Form.Item name="note" label={t('common.note')} style={{ marginTop: 12 }}>
              <Input maxLength={200} />
            </Form.Item>
            <Button type="primary" htmlType="submit" loading={record.isPending}>
              {t('catalogue.stockOps.record')}
            </Button>
            <ProblemAlert error={record.error} style={{ marginTop: 12 }} />
          </Form>
        </Card>
      )}
      <ProblemAlert error={list.query.error} />
      <DataList
        testId="stocktakes-list"
        rows={list.rows}
        rowKey={(row) => row.stocktakeId}
        columns={columns}
        loading={list.query.isLoading}
        hasMore={list.hasMore}
        onLoadMore={list.loadMore}
        loadingMore={list.loadingMore}
        cardTitle={(row) => dateTime(row.at)}
      />
      {open && <StocktakeModal stocktakeId={open} onClose={() => setOpen(null)} />}
    </Flex>
  );
}

function StocktakeModal({ stocktakeId, onClose }: { stocktakeId: string; onClose: () => void }) {
  const { t, dateTime } = useI18n();
  const detail = useQuery({
    queryKey: ['stocktake', stocktakeId],
    queryFn: async () => unwrap(await api().GET('/stocktakes/{stocktakeId}', { params: { path: { stocktakeId } } })),
  });
  const columns: TableColumnsType<Schemas['CountResult']> = [
    { key: 'skuId', title: t('catalogue.sku.skuId'), dataIndex: 'skuId' },
    { key: 'before', title: t('catalogue.stockOps.before'), render: (_, row) => row.before ?? '—' },
    { key: 'counted', title: t('catalogue.stockOps.counted'), dataIndex: 'counted' },
    { key: 'difference', title: t('catalogue.stockOps.difference'), render: (_, row) => row.difference ?? '—' },
    { key: 'status', title: t('catalogue.stockOps.result'), render: (_, row) => <ResultTag status={row.status} /> },
    { key: 'problem', title: t('catalogue.stockOps.problem'), render: (_, row) => row.problem?.title ?? '—' },
  ];
  return (
    <Modal open onCancel={onClose} footer={null} title={t('catalogue.stockOps.stocktake', { id: stocktakeId })} width={760}>
      <ProblemAlert error={detail.error} />
      {detail.data && (
        <>
          <Descriptions size="small" column={{ xs: 1, md: 2 }}>
            <Descriptions.Item label={t('catalogue.stock.at')}>{dateTime(detail.data.at)}</Descriptions.Item>
            <Descriptions.Item label={t('catalogue.stock.by')}>{detail.data.by}</Descriptions.Item>
            <Descriptions.Item label={t('common.note')}>{detail.data.note ?? '—'}</Descriptions.Item>
            <Descriptions.Item label={t('catalogue.stockOps.units')}>{`+${detail.data.summary.unitsUp} / −${detail.data.summary.unitsDown}`}</Descriptions.Item>
          </Descriptions>
          <Table size="small" rowKey="line" dataSource={detail.data.lines} columns={columns} pagination={false} scroll={{ x: 'max-content' }} />
        </>
      )}
    </Modal>
  );
}
