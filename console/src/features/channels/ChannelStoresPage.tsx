// 电商渠道: channel stores (GET /channel-stores, by keyword and channel type) with the total balance of
// those listed; add one (its callback secret is shown once), edit it (If-Match), enable or disable it
// (a refusal lists its unsettled orders), sync channel info, read what syncs found, import an order file.

import { PlusOutlined, SyncOutlined } from '@ant-design/icons';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Alert, App, Button, Card, Drawer, Flex, Form, Input, InputNumber, Modal, Select, Space, Statistic, Switch, Table, Tag, Typography, type TableColumnsType } from 'antd';
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { api, unwrap, type Schemas } from '../../api/client';
import { useSession } from '../../auth/SessionProvider';
import { DataList } from '../../components/DataList';
import { FilterPanel } from '../../components/FilterPanel';
import { Money } from '../../components/Money';
import { PageHeader } from '../../components/PageHeader';
import { ProblemAlert } from '../../components/ProblemAlert';
import { StatusTag } from '../../components/StatusTag';
import { useI18n } from '../../i18n/I18nProvider';
import { ifMatch } from '../catalogue/shared';
import { useCursorList } from '../../api/useCursorList';
import { CHANNEL_TYPES, unsettledOrders } from './helpers';

type Store = Schemas['ChannelStore'];

export function ChannelStoresPage() {
  const { t, dateTime, money } = useI18n();
  const { can } = useSession();
  const { message } = App.useApp();
  const client = useQueryClient();
  const [form] = Form.useForm<{ q?: string; channelType?: Schemas['ChannelType'] }>();
  const [filters, setFilters] = useState<{ q?: string; channelType?: Schemas['ChannelType'] }>({});
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<Schemas['ChannelStoreCreated'] | null>(null);
  const [editing, setEditing] = useState<Store | null>(null);
  const [status, setStatus] = useState<Store | null>(null);
  const [findings, setFindings] = useState<Store | null>(null);
  const [importing, setImporting] = useState<Store | null>(null);
  const list = useCursorList<Store>(['channel-stores', filters], async (cursor) => {
    const page = unwrap(await api().GET('/channel-stores', { params: { query: { ...filters, cursor, limit: 100 } } }));
    return page;
  });
  // The totals come with every page (all stores matched): the first page's.
  const totals = (list.query.data?.pages[0] as Schemas['ChannelStorePage'] | undefined)?.totals ?? [];
  const sync = useMutation({
    mutationFn: async (store: Store) =>
      unwrap(await api().POST('/channel-stores/{storeId}/sync', { params: { path: { storeId: store.storeId } } })),
    onSuccess: (store) => {
      const found = store.lastSync?.findings ?? [];
      message.success(found.length ? t('channels.stores.syncedFindings', { n: found.length }) : t('channels.stores.synced'));
      void client.invalidateQueries({ queryKey: ['channel-stores'] });
      void client.invalidateQueries({ queryKey: ['channel-findings'] });
      void client.invalidateQueries({ queryKey: ['daily-checks'] });
    },
  });
  const manage = can('PATCH /channel-stores/{storeId}');
  const columns: TableColumnsType<Store> = [
    { key: 'sortOrder', title: t('channels.stores.sortOrder'), dataIndex: 'sortOrder' },
    { key: 'storeId', title: t('channels.stores.id'), render: (_, row) => <Typography.Text code>{row.storeId}</Typography.Text> },
    { key: 'name', title: t('channels.stores.name'), render: (_, row) => <span data-testid="channel-store-name">{row.name}</span> },
    { key: 'channelType', title: t('channels.stores.type'), render: (_, row) => t(`channels.type.${row.channelType}`) },
    { key: 'orderingUserId', title: t('channels.stores.orderingUser'), render: (_, row) => <span data-testid="ordering-user">{row.orderingUserId}</span> },
    { key: 'balance', title: t('channels.stores.balance'), render: (_, row) => <Money value={row.balance} /> },
    { key: 'redemptionDomain', title: t('channels.stores.domain'), dataIndex: 'redemptionDomain' },
    { key: 'connectedAccount', title: t('channels.stores.account'), render: (_, row) => row.connectedAccount ?? '—' },
    { key: 'status', title: t('channels.stores.status'), render: (_, row) => <StatusTag status={row.status} /> },
    { key: 'orders', title: t('channels.stores.orders'), dataIndex: 'orders' },
    {
      key: 'lastSync',
      title: t('channels.stores.lastSync'),
      render: (_, row) =>
        row.lastSync ? (
          <Flex vertical>
            <span>{dateTime(row.lastSync.at)}</span>
            {row.lastSync.difference.amount !== 0 ? (
              <Typography.Text type="danger">{t('channels.stores.difference', { amount: money(row.lastSync.difference.amount, row.lastSync.difference.currency) })}</Typography.Text>
            ) : (
              <Typography.Text type="success">{t('channels.stores.matches')}</Typography.Text>
            )}
          </Flex>
        ) : (
          t('channels.stores.neverSynced')
        ),
    },
    {
      key: 'actions',
      title: t('common.actions'),
      render: (_, row) => (
        <Space wrap>
          {can('POST /channel-stores/{storeId}/sync') && (
            <Button size="small" icon={<SyncOutlined />} loading={sync.isPending && sync.variables?.storeId === row.storeId} onClick={() => sync.mutate(row)} data-testid={`sync-${row.orderingUserId}`}>
              {t('channels.stores.sync')}
            </Button>
          )}
          {manage && (
            <Button size="small" onClick={() => setEditing(row)} data-testid={`edit-${row.orderingUserId}`}>
              {t('common.edit')}
            </Button>
          )}
          {can('POST /channel-stores/{storeId}/status') && (
            <Button size="small" danger={row.status === 'ENABLED'} onClick={() => setStatus(row)} data-testid={`status-${row.orderingUserId}`}>
              {row.status === 'ENABLED' ? t('channels.stores.disable') : t('channels.stores.enable')}
            </Button>
          )}
          {can('POST /channel-stores/{storeId}/imports') && (
            <Button size="small" onClick={() => setImporting(row)} data-testid={`import-${row.orderingUserId}`}>
              {t('channels.stores.import')}
            </Button>
          )}
          {can('GET /channel-findings') && (
            <Button size="small" onClick={() => setFindings(row)}>
              {t('channels.stores.findings')}
            </Button>
          )}
        </Space>
      ),
    },
  ];
  return (
    <>
      <PageHeader
        title={t('channels.stores.title')}
        extra={
          can('POST /channel-stores') && (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)} data-testid="channel-store-create">
              {t('channels.stores.create')}
            </Button>
          )
        }
      />
      <FilterPanel
        form={form}
        active={(filters.q ? 1 : 0) + (filters.channelType ? 1 : 0)}
        onApply={(values) => setFilters({ q: values.q?.trim() || undefined, channelType: values.channelType || undefined })}
      >
        <Form.Item name="q" label={t('channels.stores.search')}>
          <Input allowClear placeholder={t('channels.stores.searchHint')} style={{ minWidth: 200 }} data-testid="channel-search" />
        </Form.Item>
        <Form.Item name="channelType" label={t('channels.stores.type')}>
          <Select allowClear style={{ minWidth: 140 }} options={CHANNEL_TYPES.map((value) => ({ value, label: t(`channels.type.${value}`) }))} data-testid="channel-type-filter" />
        </Form.Item>
      </FilterPanel>
      <Card size="small" style={{ marginBottom: 12 }} data-testid="channel-total">
        <Flex gap={32} wrap>
          {totals.length ? (
            totals.map((total) => (
              <Statistic key={total.currency} title={t('channels.stores.total', { currency: total.currency })} value={money(total.amount, total.currency)} />
            ))
          ) : (
            <Statistic title={t('channels.stores.totalNone')} value="—" />
          )}
        </Flex>
      </Card>
      <ProblemAlert error={list.query.error ?? sync.error} style={{ marginBottom: 12 }} />
      <DataList<Store>
        testId="channel-stores-list"
        rows={list.rows}
        rowKey={(row) => row.storeId}
        columns={columns}
        loading={list.query.isLoading}
        hasMore={list.hasMore}
        onLoadMore={list.loadMore}
        loadingMore={list.loadingMore}
        cardTitle={(row) => (
          <Space wrap>
            <span>{row.name}</span>
            <StatusTag status={row.status} />
          </Space>
        )}
      />
      {creating && (
        <StoreModal
          onClose={() => setCreating(false)}
          onCreated={(created) => {
            setCreating(false);
            setSecret(created);
          }}
        />
      )}
      {editing && <StoreModal store={editing} onClose={() => setEditing(null)} />}
      {secret && (
        <Modal open title={t('channels.stores.secretTitle', { name: secret.name })} onCancel={() => setSecret(null)} onOk={() => setSecret(null)} okText={t('common.done')} cancelButtonProps={{ style: { display: 'none' } }}>
          <Alert type="warning" showIcon title={t('channels.stores.secretOnce')} style={{ marginBottom: 12 }} />
          <Typography.Paragraph copyable={{ text: secret.callbackSecret }}>
            <Typography.Text code data-testid="callback-secret">
              {secret.callbackSecret}
            </Typography.Text>
          </Typography.Paragraph>
          <Typography.Paragraph type="secondary">{t('channels.stores.secretHint', { storeId: secret.storeId })}</Typography.Paragraph>
        </Modal>
      )}
      {status && <StatusModal store={status} onClose={() => setStatus(null)} />}
      {findings && <FindingsDrawer store={findings} onClose={() => setFindings(null)} />}
      {importing && <ImportModal store={importing} onClose={() => setImporting(null)} />}
    </>
  );
}

interface StoreValues {
  name: string;
  channelType: Schemas['ChannelType'];
  orderingUserId: string;
  redemptionDomain: string;
  connectedAccount?: string | null;
  currency?: string;
  sortOrder?: number | null;
  enabled?: boolean;
}

function StoreModal({ store, onClose, onCreated }: { store?: Store; onClose: () => void; onCreated?: (created: Schemas['ChannelStoreCreated']) => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const client = useQueryClient();
  const [form] = Form.useForm<StoreValues>();
  const save = useMutation({
    mutationFn: async (values: StoreValues) => {
      const common = {
        name: values.name.trim(),
        channelType: values.channelType,
        orderingUserId: values.orderingUserId.trim(),
        redemptionDomain: values.redemptionDomain.trim().toLowerCase(),
        connectedAccount: values.connectedAccount?.trim() || null,
      };
      if (store) {
        const patch: Schemas['ChannelStorePatch'] = { ...common, sortOrder: values.sortOrder ?? 0 };
        if (patch.orderingUserId === store.orderingUserId) delete patch.orderingUserId;
        await unwrap(
          await api().PATCH('/channel-stores/{storeId}', {
            params: { path: { storeId: store.storeId }, header: { 'If-Match': ifMatch(store.version) } },
            body: patch,
          }),
        );
        return null;
      }
      return unwrap(
        await api().POST('/channel-stores', {
          body: { ...common, currency: values.currency?.trim().toUpperCase() || 'CNY', sortOrder: values.sortOrder ?? 0, enabled: values.enabled ?? true },
        }),
      );
    },
    onSuccess: (created) => {
      void client.invalidateQueries({ queryKey: ['channel-stores'] });
      if (created) onCreated?.(created);
      else {
        message.success(t('common.saved'));
        onClose();
      }
    },
  });
  return (
    <Modal
      open
      title={store ? t('channels.stores.editTitle', { name: store.name }) : t('channels.stores.create')}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('common.save')}
      cancelText={t('common.cancel')}
      confirmLoading={save.isPending}
      okButtonProps={{ 'data-testid': 'channel-store-submit' } as Record<string, string>}
      destroyOnHidden
    >
      <Form
        form={form}
        layout="vertical"
        initialValues={store ? { ...store } : { channelType: 'tmall', currency: 'CNY', sortOrder: 0, enabled: true }}
        onFinish={(values) => save.mutate(values)}
      >
        <Form.Item name="name" label={t('channels.stores.name')} extra={t('channels.stores.nameHint')} rules={[{ required: true, message: t('channels.required') }]}>
          <Input maxLength={100} data-testid="channel-name" />
        </Form.Item>
        <Form.Item name="orderingUserId" label={t('channels.stores.orderingUser')} extra={t('channels.stores.orderingUserHint')} rules={[{ required: true, message: t('channels.required') }]}>
          <Input maxLength={128} data-testid="channel-ordering-user" />
        </Form.Item>
        <Form.Item name="channelType" label={t('channels.stores.type')}>
          <Select options={CHANNEL_TYPES.map((value) => ({ value, label: t(`channels.type.${value}`) }))} />
        </Form.Item>
        <Form.Item
          name="redemptionDomain"
          label={t('channels.stores.domain')}
          extra={t('channels.stores.domainHint')}
          rules={[{ required: true, message: t('channels.required') }, { pattern: /^[A-Za-z0-9.-]+(:\d+)?$/, message: t('channels.stores.domainRule') }]}
        >
          <Input maxLength={253} data-testid="channel-domain" />
        </Form.Item>
        <Form.Item name="connectedAccount" label={t('channels.stores.account')}>
          <Input maxLength={128} />
        </Form.Item>
        <Flex gap={12} wrap>
          {!store && (
            <Form.Item name="currency" label={t('channels.stores.currency')} rules={[{ pattern: /^[A-Za-z]{3}$/, message: t('channels.stores.currencyRule') }]}>
              <Input maxLength={3} style={{ width: 90 }} />
            </Form.Item>
          )}
          <Form.Item name="sortOrder" label={t('channels.stores.sortOrder')}>
            <InputNumber precision={0} />
          </Form.Item>
          {!store && (
            <Form.Item name="enabled" label={t('channels.stores.enabled')} valuePropName="checked">
              <Switch />
            </Form.Item>
          )}
        </Flex>
        <ProblemAlert error={save.error} />
      </Form>
    </Modal>
  );
}

function StatusModal({ store, onClose }: { store: Store; onClose: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const client = useQueryClient();
  const [reason, setReason] = useState('');
  const enabling = store.status !== 'ENABLED';
  const change = useMutation({
    mutationFn: async () =>
      unwrap(
        await api().POST('/channel-stores/{storeId}/status', {
          params: { path: { storeId: store.storeId } },
          body: { enabled: enabling, reason: reason.trim() },
        }),
      ),
    onSuccess: () => {
      message.success(t('common.saved'));
      void client.invalidateQueries({ queryKey: ['channel-stores'] });
      void client.invalidateQueries({ queryKey: ['daily-checks'] });
      onClose();
    },
  });
  const unsettled = unsettledOrders(change.error);
  return (
    <Modal
      open
      title={enabling ? t('channels.stores.enableTitle', { name: store.name }) : t('channels.stores.disableTitle', { name: store.name })}
      onCancel={onClose}
      onOk={() => change.mutate()}
      okText={enabling ? t('channels.stores.enable') : t('channels.stores.disable')}
      okButtonProps={{ danger: !enabling, disabled: !reason.trim(), 'data-testid': 'status-submit' } as { danger: boolean; disabled: boolean }}
      cancelText={t('common.cancel')}
      confirmLoading={change.isPending}
    >
      <Typography.Paragraph>{enabling ? t('channels.stores.enableHint') : t('channels.stores.disableHint')}</Typography.Paragraph>
      <Input value={reason} onChange={(event) => setReason(event.target.value)} placeholder={t('common.reason')} aria-label={t('common.reason')} maxLength={500} data-testid="status-reason" />
      <ProblemAlert error={change.error} style={{ marginTop: 12 }} />
      {unsettled.length > 0 && (
        <div style={{ marginTop: 12 }} data-testid="unsettled">
          <Typography.Text strong>{t('channels.stores.unsettled', { n: unsettled.length })}</Typography.Text>
          <ul style={{ margin: '4px 0 0', paddingInlineStart: 18 }}>
            {unsettled.map((order) => (
              <li key={order.orderId}>
                <Link to={`/orders/${order.orderId}`}>{order.channelOrderNo || order.orderId}</Link>
              </li>
            ))}
          </ul>
        </div>
      )}
    </Modal>
  );
}

function FindingsDrawer({ store, onClose }: { store: Store; onClose: () => void }) {
  const { t, dateTime, money } = useI18n();
  const findings = useCursorList<Schemas['ChannelFinding']>(['channel-findings', store.storeId], async (cursor) =>
    unwrap(await api().GET('/channel-findings', { params: { query: { storeId: store.storeId, cursor, limit: 50 } } })),
  );
  const describe = (finding: Schemas['ChannelFinding']): string => {
    const details = finding.details as Record<string, unknown>;
    const asMoney = (value: unknown) => {
      const m = value as { amount?: number; currency?: string } | undefined;
      return m && typeof m.amount === 'number' ? money(m.amount, m.currency ?? 'CNY') : '—';
    };
    if (finding.kind === 'balance') return t('channels.findings.balance', { ours: asMoney(details.ours), theirs: asMoney(details.theirs), difference: asMoney(details.difference) });
    if (finding.kind === 'account') return t('channels.findings.account', { before: String(details.before ?? details.old ?? '—'), after: String(details.after ?? details.new ?? '—') });
    return JSON.stringify(details);
  };
  const columns: TableColumnsType<Schemas['ChannelFinding']> = [
    { key: 'at', title: t('channels.findings.at'), render: (_, row) => dateTime(row.at) },
    { key: 'kind', title: t('channels.findings.kind'), render: (_, row) => <Tag>{t(`channels.findings.kinds.${row.kind === 'balance' || row.kind === 'account' ? row.kind : 'other'}`)}</Tag> },
    { key: 'details', title: t('channels.findings.details'), render: (_, row) => describe(row) },
  ];
  return (
    <Drawer open onClose={onClose} title={t('channels.findings.title', { name: store.name })} size="large">
      <ProblemAlert error={findings.query.error} />
      <Table size="small" rowKey="findingId" dataSource={findings.rows} columns={columns} loading={findings.query.isLoading} pagination={false} scroll={{ x: 'max-content' }} data-testid="findings-list" />
      {findings.hasMore && (
        <Flex justify="center" style={{ marginTop: 12 }}>
          <Button onClick={findings.loadMore} loading={findings.loadingMore}>
            {t('common.loadMore')}
          </Button>
        </Flex>
      )}
    </Drawer>
  );
}

function ImportModal({ store, onClose }: { store: Store; onClose: () => void }) {
  const { t } = useI18n();
  const client = useQueryClient();
  const [file, setFile] = useState('channelOrderNo,skuId,quantity,buyer\n');
  const send = useMutation({
    mutationFn: async () => unwrap(await api().POST('/channel-stores/{storeId}/imports', { params: { path: { storeId: store.storeId } }, body: { file } })),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ['channel-stores'] });
      void client.invalidateQueries({ queryKey: ['ecommerce-orders'] });
    },
  });
  const columns: TableColumnsType<Schemas['ChannelOrderResult']> = [
    { key: 'no', title: t('channels.import.channelOrderNo'), dataIndex: 'channelOrderNo' },
    { key: 'status', title: t('channels.import.status'), render: (_, row) => <Tag color={row.status === 'created' ? 'green' : row.status === 'duplicate' ? 'blue' : 'red'} data-result={row.status}>{t(`channels.import.result.${row.status}`)}</Tag> },
    { key: 'order', title: t('channels.import.order'), render: (_, row) => (row.orderId ? <Link to={`/orders/${row.orderId}`}>{row.orderNumber ?? row.orderId}</Link> : '—') },
    { key: 'charged', title: t('channels.import.charged'), render: (_, row) => <Money value={row.charged ?? null} /> },
    { key: 'problem', title: t('channels.import.problem'), render: (_, row) => (row.problem ? `${row.problem.title}${row.problem.detail ? `: ${row.problem.detail}` : ''}` : '—') },
  ];
  return (
    <Modal open width={760} title={t('channels.import.title', { name: store.name })} onCancel={onClose} footer={null} destroyOnHidden>
      <Typography.Paragraph type="secondary">{t('channels.import.hint')}</Typography.Paragraph>
      <Flex vertical gap={8}>
        <input
          type="file"
          accept=".csv,text/csv"
          aria-label={t('channels.import.pick')}
          onChange={async (event) => {
            const picked = event.target.files?.[0];
            if (picked) setFile(await picked.text());
          }}
        />
        <Input.TextArea value={file} onChange={(event) => setFile(event.target.value)} autoSize={{ minRows: 4, maxRows: 12 }} style={{ fontFamily: 'monospace' }} aria-label={t('channels.import.file')} data-testid="import-file" />
        <Space>
          <Button type="primary" onClick={() => send.mutate()} loading={send.isPending} disabled={!file.trim()} data-testid="import-submit">
            {t('channels.import.send')}
          </Button>
          <Button onClick={onClose}>{t('common.close')}</Button>
        </Space>
      </Flex>
      <ProblemAlert error={send.error} style={{ marginTop: 12 }} />
      {send.data && (
        <div style={{ marginTop: 12 }} data-testid="import-results">
          <Typography.Paragraph strong>{t('channels.import.summary', { created: send.data.created, duplicates: send.data.duplicates, failed: send.data.failed })}</Typography.Paragraph>
          <Table size="small" rowKey="channelOrderNo" dataSource={send.data.results} columns={columns} pagination={false} scroll={{ x: 'max-content' }} />
        </div>
      )}
    </Modal>
  );
}
