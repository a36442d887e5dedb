// 卡密库: a virtual SKU's code pool (GET /skus/{skuId}/codes: counters, alert level, codes masked) and
// an upload of codes (POST /skus/{skuId}/codes, CSV text) with its per-line results.

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Card, Col, Flex, Form, Input, Row, Select, Space, Statistic, Table, Tag, Typography, type TableColumnsType } from 'antd';
import { useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { api, unwrap, type Schemas } from '../../api/client';
import { useSession } from '../../auth/SessionProvider';
import { DataList } from '../../components/DataList';
import { PageHeader } from '../../components/PageHeader';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useI18n } from '../../i18n/I18nProvider';
import { DEFAULT_STORE } from '../catalogue/shared';
import { useCursorList } from '../../api/useCursorList';
import { countCodeLines } from './helpers';

type PoolCode = Schemas['PoolCode'];

export function CodePoolsPage() {
  const { t } = useI18n();
  const [params, setParams] = useSearchParams();
  const skuId = params.get('sku') ?? '';
  const choose = (next: string) => {
    const copy = new URLSearchParams(params);
    if (next) copy.set('sku', next);
    else copy.delete('sku');
    setParams(copy, { replace: true });
  };
  return (
    <>
      <PageHeader title={t('channels.codes.title')} sub={t('channels.codes.sub')} />
      <SkuPicker skuId={skuId} onPick={choose} />
      {skuId && <Pool key={skuId} skuId={skuId} />}
    </>
  );
}

/** A SKU by id, or one of a store's products' code SKUs. */
function SkuPicker({ skuId, onPick }: { skuId: string; onPick: (skuId: string) => void }) {
  const { t } = useI18n();
  const [store, setStore] = useState(DEFAULT_STORE);
  const [productId, setProductId] = useState<string | undefined>();
  const [typed, setTyped] = useState(skuId);
  const products = useQuery({
    queryKey: ['products', store, 'picker'],
    queryFn: async () => unwrap(await api().GET('/products', { params: { query: { store, limit: 100 } } })),
  });
  const product = useQuery({
    queryKey: ['product', productId],
    enabled: !!productId,
    queryFn: async () => unwrap(await api().GET('/products/{productId}', { params: { path: { productId: productId as string } } })),
  });
  const codeSkus = (product.data?.skus ?? []).filter((sku) => sku.virtual?.kind === 'code');
  return (
    <Card size="small" style={{ marginBottom: 12 }}>
      <Form layout="vertical">
        <Row gutter={12}>
          <Col xs={24} md={5}>
            <Form.Item label={t('channels.codes.store')} htmlFor="pool-store">
              <Input id="pool-store" value={store} onChange={(event) => setStore(event.target.value.trim() || DEFAULT_STORE)} />
            </Form.Item>
          </Col>
          <Col xs={24} md={7}>
            <Form.Item label={t('channels.codes.product')} htmlFor="pool-product">
              <Select
                id="pool-product"
                showSearch={{ optionFilterProp: 'label' }}
                allowClear
                value={productId}
                onChange={(value: string | undefined) => setProductId(value)}
                loading={products.isLoading}
                options={(products.data?.items ?? []).map((item) => ({ value: item.productId, label: item.name }))}
                data-testid="pool-product"
              />
            </Form.Item>
          </Col>
          <Col xs={24} md={6}>
            <Form.Item label={t('channels.codes.codeSku')} htmlFor="pool-code-sku" extra={productId && !product.isLoading && !codeSkus.length ? t('channels.codes.noCodeSku') : undefined}>
              <Select
                id="pool-code-sku"
                value={codeSkus.some((sku) => sku.skuId === skuId) ? skuId : undefined}
                onChange={(value: string) => {
                  setTyped(value);
                  onPick(value);
                }}
                options={codeSkus.map((sku) => ({ value: sku.skuId, label: `${sku.skuId} · ${sku.name}` }))}
                disabled={!codeSkus.length}
              />
            </Form.Item>
          </Col>
          <Col xs={24} md={6}>
            <Form.Item label={t('channels.codes.skuId')} htmlFor="pool-sku">
              <Space.Compact style={{ width: '100%' }}>
                <Input id="pool-sku" value={typed} onChange={(event) => setTyped(event.target.value)} onPressEnter={() => onPick(typed.trim())} placeholder="GIFT-100" data-testid="pool-sku" />
                <Button onClick={() => onPick(typed.trim())} data-testid="pool-open">
                  {t('channels.codes.open')}
                </Button>
              </Space.Compact>
            </Form.Item>
          </Col>
        </Row>
      </Form>
      <ProblemAlert error={products.error ?? product.error} />
    </Card>
  );
}

function Pool({ skuId }: { skuId: string }) {
  const { t, dateTime } = useI18n();
  const { can } = useSession();
  const client = useQueryClient();
  const [file, setFile] = useState('');
  const codes = useCursorList<PoolCode>(['code-pool', skuId], async (cursor) => {
    const pool = unwrap(await api().GET('/skus/{skuId}/codes', { params: { path: { skuId }, query: { cursor, limit: 50 } } }));
    return { ...pool.codes, pool };
  });
  const pool = (codes.query.data?.pages[0] as { pool?: Schemas['CodePool'] } | undefined)?.pool;
  const upload = useMutation({
    mutationFn: async () => unwrap(await api().POST('/skus/{skuId}/codes', { params: { path: { skuId } }, body: { file } })),
    onSuccess: (answer) => {
      if (answer.added) setFile('');
      void client.invalidateQueries({ queryKey: ['code-pool', skuId] });
      void client.invalidateQueries({ queryKey: ['sku', skuId] });
      void client.invalidateQueries({ queryKey: ['product'] });
    },
  });
  const columns: TableColumnsType<PoolCode> = [
    { key: 'masked', title: t('channels.codes.code'), render: (_, row) => <Typography.Text code>{row.masked}</Typography.Text> },
    { key: 'status', title: t('channels.codes.status'), render: (_, row) => <Tag color={row.status === 'AVAILABLE' ? 'green' : 'default'}>{t(`channels.codes.statuses.${row.status === 'AVAILABLE' || row.status === 'ASSIGNED' ? row.status : 'other'}`)}</Tag> },
    { key: 'uploadedAt', title: t('channels.codes.uploadedAt'), render: (_, row) => dateTime(row.uploadedAt) },
    { key: 'expiresAt', title: t('channels.codes.expiresAt'), render: (_, row) => dateTime(row.expiresAt) },
    { key: 'order', title: t('channels.codes.order'), render: (_, row) => (row.orderId ? <Link to={`/orders/${row.orderId}`}>{row.orderId}</Link> : '—') },
  ];
  const lines = countCodeLines(file);
  return (
    <Flex vertical gap={16}>
      <ProblemAlert error={codes.query.error} />
      {pool && (
        <Card size="small" title={t('channels.codes.poolOf', { sku: pool.skuId })} data-testid="pool-summary">
          <Flex gap={32} wrap>
            <Statistic title={t('channels.codes.available')} value={pool.available} valueRender={(node) => <span data-testid="pool-available">{node}</span>} />
            <Statistic title={t('channels.codes.assigned')} value={pool.assigned} />
            <Statistic title={t('channels.codes.uploaded')} value={pool.uploaded} />
            <Statistic title={t('channels.codes.alertAt')} value={pool.lowPoolThreshold} />
          </Flex>
          {pool.low && <Alert type="warning" showIcon style={{ marginTop: 12 }} title={t('channels.codes.low')} />}
        </Card>
      )}
      {can('POST /skus/{skuId}/codes') && (
        <Card size="small" title={t('channels.codes.upload')}>
          <Typography.Paragraph type="secondary">{t('channels.codes.uploadHint')}</Typography.Paragraph>
          <Flex vertical gap={8}>
            <input
              type="file"
              accept=".csv,.txt,text/csv,text/plain"
              aria-label={t('channels.codes.pick')}
              onChange={async (event) => {
                const picked = event.target.files?.[0];
                if (picked) setFile(await picked.text());
              }}
            />
            <Input.TextArea value={file} onChange={(event) => setFile(event.target.value)} autoSize={{ minRows: 4, maxRows: 12 }} style={{ fontFamily: 'monospace' }} aria-label={t('channels.codes.file')} data-testid="codes-file" />
            <Space wrap>
              <Button type="primary" onClick={() => upload.mutate()} loading={upload.isPending} disabled={!lines || lines > 2000} data-testid="codes-upload">
                {t('channels.codes.send', { n: lines })}
              </Button>
              {lines > 2000 && <Typography.Text type="danger">{t('channels.codes.tooMany')}</Typography.Text>}
            </Space>
          </Flex>
          <ProblemAlert error={upload.error} style={{ marginTop: 12 }} />
          {upload.data && (
            <div style={{ marginTop: 12 }} data-testid="codes-result">
              <Typography.Paragraph strong data-testid="codes-added" data-added={upload.data.added}>
                {t('channels.codes.result', { added: upload.data.added, duplicates: upload.data.duplicates.length, rejected: upload.data.rejected.length, available: upload.data.available })}
              </Typography.Paragraph>
              {upload.data.duplicates.length > 0 && (
                <>
                  <Typography.Text>{t('channels.codes.duplicates')}</Typography.Text>
                  <Flex gap={4} wrap style={{ margin: '4px 0 12px' }}>
                    {upload.data.duplicates.map((item, index) => (
                      <Tag key={index}>{item.index !== undefined && item.index !== null ? `#${item.index + 1} ` : ''}{item.masked}</Tag>
                    ))}
                  </Flex>
                </>
              )}
              {upload.data.rejected.length > 0 && (
                <Table
                  size="small"
                  rowKey={(row) => `${row.line}-${row.reason}`}
                  dataSource={upload.data.rejected}
                  pagination={false}
                  columns={[
                    { key: 'line', title: t('channels.codes.line'), dataIndex: 'line' },
                    { key: 'reason', title: t('channels.codes.reason'), dataIndex: 'reason' },
                  ]}
                  data-testid="codes-rejected"
                />
              )}
            </div>
          )}
        </Card>
      )}
      <DataList<PoolCode>
        testId="codes-list"
        rows={codes.rows}
        rowKey={(row) => row.codeId}
        columns={columns}
        loading={codes.query.isLoading}
        hasMore={codes.hasMore}
        onLoadMore={codes.loadMore}
        loadingMore={codes.loadingMore}
        cardTitle={(row) => row.masked}
      />
    </Flex>
  );
}
