// Order exports: start one (format, fields, language, the order list's filters), follow its job while it
// is queued or running (polling GET /exports/{id}), and download the file once it succeeded (a presigned
// link valid 15 minutes).

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  App,
  Button,
  Card,
  Checkbox,
  Col,
  DatePicker,
  Drawer,
  Form,
  Input,
  Progress,
  Radio,
  Row,
  Select,
  Space,
  Switch,
  Tag,
  Typography,
  type TableColumnsType,
} from 'antd';
import { useState } from 'react';
import { api, unwrap } from '../../api/client';
import { permissionsOf } from '../../auth/permissions';
import { useSession } from '../../auth/SessionProvider';
import { DataList } from '../../components/DataList';
import { PageHeader } from '../../components/PageHeader';
import { ProblemAlert } from '../../components/ProblemAlert';
import { StatusTag } from '../../components/StatusTag';
import { useI18n } from '../../i18n/I18nProvider';
import { useCursorList } from '../../api/useCursorList';
import {
  DEFAULT_FIELDS,
  EXPORT_FIELDS,
  PERSONAL_FIELDS,
  exportBody,
  formatBytes,
  isMoving,
  pollInterval,
  type Export,
  type ExportFormValues,
} from './exportLogic';

const STATUSES = ['PENDING_PAYMENT', 'PAID', 'PARTIALLY_SHIPPED', 'SHIPPED', 'DELIVERED', 'COMPLETED', 'CANCELLED', 'ON_HOLD', 'CLOSED'] as const;
const METHODS = ['alipay', 'wechat', 'card', 'crypto', 'bank_transfer', 'balance', 'checkout'] as const;

/** One export, polled while it moves; the list's row until the first answer. */
function useExport(row: Export) {
  return useQuery({
    queryKey: ['exports', 'one', row.exportId],
    initialData: isMoving(row.state) || row.state === 'SUCCEEDED' ? undefined : row,
    enabled: isMoving(row.state) || row.state === 'SUCCEEDED',
    staleTime: 5 * 60_000,
    queryFn: async () => unwrap(await api().GET('/exports/{exportId}', { params: { path: { exportId: row.exportId } } })),
    refetchInterval: (query) => pollInterval(query.state.data ?? row),
  });
}

function StateCell({ row }: { row: Export }) {
  const { t, locale } = useI18n();
  const { data } = useExport(row);
  const item = data ?? row;
  return (
    <Space direction="vertical" size={2} data-testid={`export-state-${row.exportId}`} data-state={item.state}>
      <StatusTag status={item.state} />
      {isMoving(item.state) && <Progress percent={100} status="active" showInfo={false} size="small" style={{ width: 120 }} />}
      <Typography.Text type="secondary">
        {t('reports.rowsDone', { rows: item.rowsDone })} · {formatBytes(item.bytes, locale)}
      </Typography.Text>
      {item.state === 'FAILED' && item.failure && <Typography.Text type="danger">{item.failure}</Typography.Text>}
    </Space>
  );
}

function DownloadCell({ row }: { row: Export }) {
  const { t } = useI18n();
  const { data, refetch, isFetching } = useExport(row);
  const item = data ?? row;
  if (item.state !== 'SUCCEEDED') return <span>—</span>;
  if (!item.download) {
    return (
      <Button size="small" loading={isFetching} onClick={() => void refetch()}>
        {t('reports.getLink')}
      </Button>
    );
  }
  return (
    <a href={item.download.url} download data-testid={`export-download-${row.exportId}`} target="_blank" rel="noreferrer">
      {t('common.download')} ({item.format.toUpperCase()})
    </a>
  );
}

export function ExportsPage() {
  const { t, dateTime } = useI18n();
  const { can } = useSession();
  const [mine, setMine] = useState(false);
  const [creating, setCreating] = useState(false);
  const list = useCursorList<Export>(['exports', 'list', mine], async (cursor) =>
    unwrap(await api().GET('/exports', { params: { query: { mine: mine || undefined, cursor, limit: 20 } } })),
  );
  const fieldLabel = (field: string) => t(`reports.fields.${field}`);
  const columns: TableColumnsType<Export> = [
    { key: 'exportId', title: t('reports.export'), render: (_, row) => <code>{row.exportId}</code> },
    { key: 'format', title: t('reports.format'), render: (_, row) => <Tag>{row.format.toUpperCase()}</Tag> },
    { key: 'state', title: t('reports.state'), render: (_, row) => <StateCell row={row} /> },
    { key: 'download', title: t('common.download'), render: (_, row) => <DownloadCell row={row} /> },
    {
      key: 'fields',
      title: t('reports.fieldsLabel'),
      render: (_, row) => (
        <Typography.Text style={{ maxWidth: 260 }} ellipsis={{ tooltip: row.fields.map(fieldLabel).join(', ') }}>
          {row.fields.map(fieldLabel).join(', ')}
        </Typography.Text>
      ),
    },
    { key: 'masked', title: t('reports.masked'), render: (_, row) => (row.masked ? t('common.yes') : t('common.no')) },
    { key: 'locale', title: t('reports.language'), render: (_, row) => t(`reports.locales.${row.locale}`) },
    { key: 'createdBy', title: t('reports.createdBy'), dataIndex: 'createdBy' },
    { key: 'createdAt', title: t('reports.createdAt'), render: (_, row) => dateTime(row.createdAt) },
    { key: 'finishedAt', title: t('reports.finishedAt'), render: (_, row) => dateTime(row.finishedAt) },
  ];
  return (
    <div data-testid="exports-page">
      <PageHeader
        title={t('reports.exportsTitle')}
        sub={t('reports.exportsSub')}
        extra={
          <Space wrap>
            <Space>
              <Switch checked={mine} onChange={setMine} aria-label={t('reports.mine')} data-testid="exports-mine" />
              <span>{t('reports.mine')}</span>
            </Space>
            <Button onClick={() => void list.refetch()}>{t('common.refresh')}</Button>
            {can('POST /exports') && (
              <Button type="primary" onClick={() => setCreating(true)} data-testid="export-new">
                {t('reports.newExport')}
              </Button>
            )}
          </Space>
        }
      />
      <ProblemAlert error={list.error} style={{ marginBottom: 12 }} />
      <DataList<Export>
        testId="exports"
        rows={list.rows}
        rowKey={(row) => row.exportId}
        columns={columns}
        cardTitle={(row) => `${row.format.toUpperCase()} · ${dateTime(row.createdAt)}`}
        loading={list.loading}
        hasMore={list.hasMore}
        onLoadMore={list.loadMore}
        loadingMore={list.loadingMore}
      />
      <ExportForm open={creating} onClose={() => setCreating(false)} />
    </div>
  );
}

function ExportForm({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { t, locale } = useI18n();
  const { session, permissions } = useSession();
  const unmasked = (permissions ?? permissionsOf(session)).has('personal-data:read');
  const { message } = App.useApp();
  const client = useQueryClient();
  const [form] = Form.useForm<ExportFormValues>();
  // One key per export asked: a retry after a lost answer replays it instead of exporting twice.
  const [key, setKey] = useState(() => crypto.randomUUID());
  const mutation = useMutation({
    mutationFn: async (values: ExportFormValues) =>
      unwrap(await api().POST('/exports', { params: { header: { 'Idempotency-Key': key } }, body: exportBody(values) })),
    onSuccess: (created) => {
      client.setQueryData(['exports', 'one', created.exportId], created);
      void client.invalidateQueries({ queryKey: ['exports', 'list'] });
      message.success(t('reports.queued'));
      setKey(crypto.randomUUID());
      form.resetFields();
      onClose();
    },
  });
  const fieldLabel = (field: string) => t(`reports.fields.${field}`);
  return (
    <Drawer
      open={open}
      onClose={onClose}
      title={t('reports.newExport')}
      size="large"
      destroyOnHidden
      footer={
        <Space>
          <Button type="primary" loading={mutation.isPending} onClick={() => form.submit()} data-testid="export-submit">
            {t('reports.start')}
          </Button>
          <Button onClick={onClose}>{t('common.cancel')}</Button>
        </Space>
      }
    >
      <div data-testid="export-form">
        <ProblemAlert error={mutation.error} style={{ marginBottom: 12 }} />
        <Form<ExportFormValues>
          form={form}
          layout="vertical"
          initialValues={{ format: 'csv', fields: DEFAULT_FIELDS, locale }}
          onFinish={(values) => mutation.mutate({ ...form.getFieldsValue(true), ...values })}
        >
          <Form.Item name="format" label={t('reports.format')} rules={[{ required: true }]} extra={t('reports.formatHelp')}>
            <Radio.Group
              data-testid="export-format"
              options={(['csv', 'xlsx', 'pdf'] as const).map((value) => ({ value, label: value.toUpperCase() }))}
            />
          </Form.Item>
          <Form.Item name="locale" label={t('reports.language')}>
            <Radio.Group options={(['zh-CN', 'en'] as const).map((value) => ({ value, label: t(`reports.locales.${value}`) }))} />
          </Form.Item>
          <Form.Item
            name="fields"
            label={t('reports.fieldsLabel')}
            rules={[{ required: true, type: 'array', min: 1, message: t('reports.fieldsRule') }]}
            extra={unmasked ? t('reports.unmasked') : t('reports.maskedHelp')}
          >
            <Checkbox.Group style={{ width: '100%' }}>
              <Row gutter={[8, 4]}>
                {EXPORT_FIELDS.map((field) => (
                  <Col xs={12} sm={8} key={field}>
                    <Checkbox value={field}>
                      {fieldLabel(field)}
                      {PERSONAL_FIELDS.includes(field) ? ' *' : ''}
                    </Checkbox>
                  </Col>
                ))}
              </Row>
            </Checkbox.Group>
          </Form.Item>
          <Card size="small" title={t('reports.filters')}>
            <Form.Item name="status" label={t('reports.orderStatus')}>
              <Select allowClear options={STATUSES.map((status) => ({ value: status, label: t(`status.${status}`) }))} />
            </Form.Item>
            <Form.Item name="created" label={t('reports.createdPreset')}>
              <Select
                allowClear
                options={(['today', 'this-week', 'this-month'] as const).map((value) => ({ value, label: t(`reports.presets.${value}`) }))}
              />
            </Form.Item>
            <Form.Item name="range" label={t('reports.createdRange')}>
              <DatePicker.RangePicker style={{ width: '100%' }} />
            </Form.Item>
            <Form.Item name="paymentMethod" label={t('reports.paymentMethod')}>
              <Select
                allowClear
                options={METHODS.map((method) => ({ value: method, label: t(`enums.paymentMethod.${method}`) }))}
              />
            </Form.Item>
            <Form.Item name="storeId" label={t('reports.store')}>
              <Input allowClear />
            </Form.Item>
          </Card>
        </Form>
      </div>
    </Drawer>
  );
}
