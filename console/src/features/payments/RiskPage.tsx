// Risk control: paid orders held for a manual review (approve: paid and to the warehouse; reject:
// refunded and cancelled) and the blacklists (users, phones, emails, IPs, devices, addresses).

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { App, Button, DatePicker, Form, Input, Select, Space, Tabs, Tag, type TableColumnsType } from 'antd';
import type { Dayjs } from 'dayjs';
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { api, unwrap, type Schemas } from '../../api/client';
import { useSession } from '../../auth/SessionProvider';
import { DataList } from '../../components/DataList';
import { FilterPanel } from '../../components/FilterPanel';
import { PageHeader } from '../../components/PageHeader';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useI18n } from '../../i18n/I18nProvider';
import { useCursorList } from '../../api/useCursorList';
import { DecisionModal } from './DecisionModal';

type Review = Schemas['RiskReviewItem'];
type Entry = Schemas['BlacklistEntry'];
type Kind = Schemas['ListKind'];
const KINDS: Kind[] = ['user', 'phone', 'email', 'ip', 'device', 'address'];

/** The rule names a review's `rules` carries (comma or space separated). */
export function ruleNames(rules: string | null | undefined): string[] {
  return (rules ?? '').split(/[\s,]+/).filter(Boolean);
}

export function RiskPage() {
  const { t } = useI18n();
  const { can } = useSession();
  const items = [
    ...(can('GET /risk/reviews') ? [{ key: 'reviews', label: t('payments.reviews'), children: <Reviews /> }] : []),
    ...(can('GET /risk/blacklist') ? [{ key: 'blacklist', label: t('payments.blacklist'), children: <Blacklist /> }] : []),
  ];
  return (
    <div data-testid="risk-page">
      <PageHeader title={t('payments.riskTitle')} />
      <Tabs items={items} />
    </div>
  );
}

function Reviews() {
  const { t, dateTime } = useI18n();
  const { can } = useSession();
  const [deciding, setDeciding] = useState<{ review: Review; decision: 'approve' | 'reject' } | null>(null);
  const list = useCursorList<Review>(['risk', 'reviews'], async (cursor) =>
    unwrap(await api().GET('/risk/reviews', { params: { query: { cursor, limit: 20 } } })),
  );
  const columns: TableColumnsType<Review> = [
    { key: 'order', title: t('payments.order'), render: (_, row) => <Link to={`/orders/${row.orderId}`}>{row.orderId}</Link> },
    { key: 'rules', title: t('payments.rules'), render: (_, row) => <Space wrap>{ruleNames(row.rules).map((rule) => <Tag key={rule} color="orange">{rule}</Tag>)}</Space> },
    { key: 'created', title: t('payments.orderCreated'), render: (_, row) => dateTime(row.orderCreatedAt) },
    { key: 'held', title: t('payments.heldAt'), render: (_, row) => dateTime(row.heldAt) },
    {
      key: 'actions',
      title: t('common.actions'),
      render: (_, row) => (
        <Space>
          <Button size="small" type="primary" onClick={() => setDeciding({ review: row, decision: 'approve' })} data-testid={`approve-${row.orderId}`}>
            {t('payments.approve')}
          </Button>
          <Button size="small" danger onClick={() => setDeciding({ review: row, decision: 'reject' })} data-testid={`reject-${row.orderId}`}>
            {t('payments.reject')}
          </Button>
        </Space>
      ),
    },
  ];
  return (
    <>
      <ProblemAlert error={list.error} style={{ marginBottom: 12 }} />
      <DataList<Review>
        testId="risk-reviews"
        rows={list.rows}
        rowKey={(row) => row.orderId}
        columns={can('POST /orders/{orderId}/risk-review') ? columns : columns.slice(0, -1)}
        cardTitle={(row) => row.orderId}
        loading={list.loading}
        hasMore={list.hasMore}
        onLoadMore={list.loadMore}
        loadingMore={list.loadingMore}
      />
      {deciding && <ReviewModal {...deciding} onClose={() => setDeciding(null)} />}
    </>
  );
}

function ReviewModal({ review, decision, onClose }: { review: Review; decision: 'approve' | 'reject'; onClose: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const client = useQueryClient();
  const [form] = Form.useForm<{ reason: string }>();
  const mutation = useMutation({
    mutationFn: async (values: { reason: string }) =>
      unwrap(
        await api().POST('/orders/{orderId}/risk-review', {
          params: { path: { orderId: review.orderId } },
          body: { decision, reason: values.reason.trim() },
        }),
      ),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ['risk', 'reviews'] });
      void client.invalidateQueries({ queryKey: ['dashboard'] });
      void client.invalidateQueries({ queryKey: ['order', review.orderId] });
      message.success(t('common.saved'));
      onClose();
    },
  });
  return (
    <DecisionModal<{ reason: string }>
      open
      testId="risk-decision"
      title={t(decision === 'approve' ? 'payments.approveTitle' : 'payments.rejectTitle', { id: review.orderId })}
      form={form}
      onCancel={onClose}
      onSubmit={(values) => mutation.mutate(values)}
      pending={mutation.isPending}
      error={mutation.error}
    >
      <p>{t(decision === 'approve' ? 'payments.approveHelp' : 'payments.rejectHelp')}</p>
      <Form.Item name="reason" label={t('common.reason')} rules={[{ required: true, whitespace: true, min: 3, max: 500, message: t('payments.reasonRule') }]}>
        <Input.TextArea rows={3} maxLength={500} />
      </Form.Item>
    </DecisionModal>
  );
}

interface AddForm {
  kind: Kind;
  value: string;
  reason: string;
  until?: Dayjs | null;
}

function Blacklist() {
  const { t, dateTime } = useI18n();
  const { can: allowed } = useSession();
  const { message } = App.useApp();
  const client = useQueryClient();
  const [filterForm] = Form.useForm<{ kind: Kind }>();
  const [kind, setKind] = useState<Kind>('user');
  const [adding, setAdding] = useState(false);
  const [removing, setRemoving] = useState<Entry | null>(null);
  const [addForm] = Form.useForm<AddForm>();
  const [removeForm] = Form.useForm<{ reason: string }>();
  const list = useCursorList<Entry>(['risk', 'blacklist', kind], async (cursor) =>
    unwrap(await api().GET('/risk/blacklist', { params: { query: { kind, cursor, limit: 20 } } })),
  );
  const add = useMutation({
    mutationFn: async (values: AddForm) =>
      unwrap(
        await api().POST('/risk/blacklist', {
          body: {
            kind: values.kind,
            value: values.value.trim(),
            reason: values.reason.trim(),
            until: values.until ? values.until.endOf('day').toISOString() : undefined,
          },
        }),
      ),
    onSuccess: (entry) => {
      void client.invalidateQueries({ queryKey: ['risk', 'blacklist'] });
      setKind(entry.kind);
      filterForm.setFieldsValue({ kind: entry.kind });
      message.success(t('common.saved'));
      setAdding(false);
    },
  });
  const remove = useMutation({
    mutationFn: async ({ entry, reason }: { entry: Entry; reason: string }) =>
      unwrap(
        await api().POST('/risk/blacklist/{kind}/remove', {
          params: { path: { kind: entry.kind } },
          body: { value: entry.value, reason: reason.trim() },
        }),
      ),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ['risk', 'blacklist'] });
      message.success(t('common.saved'));
      setRemoving(null);
    },
  });
  const columns: TableColumnsType<Entry> = [
    { key: 'value', title: t('payments.value'), render: (_, row) => <code style={{ wordBreak: 'break-all' }}>{row.value}</code> },
    { key: 'kind', title: t('payments.kind'), render: (_, row) => t(`payments.kinds.${row.kind}`) },
    { key: 'reason', title: t('common.reason'), dataIndex: 'reason' },
    { key: 'addedBy', title: t('payments.addedBy'), dataIndex: 'addedBy' },
    { key: 'addedAt', title: t('payments.addedAt'), render: (_, row) => dateTime(row.addedAt) },
    { key: 'until', title: t('payments.until'), render: (_, row) => (row.until ? dateTime(row.until) : t('payments.forever')) },
    {
      key: 'actions',
      title: t('common.actions'),
      render: (_, row) =>
        allowed('POST /risk/blacklist/{kind}/remove') ? (
          <Button size="small" danger onClick={() => { remove.reset(); setRemoving(row); }} data-testid={`unlist-${row.value}`}>
            {t('payments.unlist')}
          </Button>
        ) : null,
    },
  ];
  return (
    <>
      <FilterPanel<{ kind: Kind }>
        form={filterForm}
        initialValues={{ kind: 'user' }}
        onApply={(values) => setKind(values.kind ?? 'user')}
        active={kind === 'user' ? 0 : 1}
        extra={
          allowed('POST /risk/blacklist') ? (
            <Button type="primary" onClick={() => { add.reset(); setAdding(true); }} data-testid="blacklist-add">
              {t('payments.list')}
            </Button>
          ) : null
        }
      >
        <Form.Item name="kind" label={t('payments.kind')}>
          <Select style={{ minWidth: 140 }} data-testid="blacklist-kind" options={KINDS.map((value) => ({ value, label: t(`payments.kinds.${value}`) }))} />
        </Form.Item>
      </FilterPanel>
      <ProblemAlert error={list.error} style={{ marginBottom: 12 }} />
      <DataList<Entry>
        testId="blacklist"
        rows={list.rows}
        rowKey={(row) => `${row.kind}:${row.value}`}
        columns={columns}
        cardTitle={(row) => row.value}
        loading={list.loading}
        hasMore={list.hasMore}
        onLoadMore={list.loadMore}
        loadingMore={list.loadingMore}
      />
      <DecisionModal<AddForm>
        open={adding}
        testId="blacklist-form"
        title={t('payments.list')}
        form={addForm}
        onCancel={() => setAdding(false)}
        onSubmit={(values) => add.mutate(values)}
        pending={add.isPending}
        error={add.error}
        initialValues={{ kind }}
      >
        <Form.Item name="kind" label={t('payments.kind')} rules={[{ required: true }]}>
          <Select options={KINDS.map((value) => ({ value, label: t(`payments.kinds.${value}`) }))} />
        </Form.Item>
        <Form.Item name="value" label={t('payments.value')} extra={t('payments.valueHelp')} rules={[{ required: true, whitespace: true, max: 500 }]}>
          <Input data-testid="blacklist-value" />
        </Form.Item>
        <Form.Item name="reason" label={t('common.reason')} rules={[{ required: true, whitespace: true, min: 3, max: 500, message: t('payments.reasonRule') }]}>
          <Input data-testid="blacklist-reason" />
        </Form.Item>
        <Form.Item name="until" label={t('payments.until')}>
          <DatePicker />
        </Form.Item>
      </DecisionModal>
      <DecisionModal<{ reason: string }>
        open={removing !== null}
        testId="unlist-form"
        title={t('payments.unlistTitle', { value: removing?.value ?? '' })}
        form={removeForm}
        onCancel={() => setRemoving(null)}
        onSubmit={(values) => removing && remove.mutate({ entry: removing, reason: values.reason })}
        pending={remove.isPending}
        error={remove.error}
      >
        <Form.Item name="reason" label={t('common.reason')} rules={[{ required: true, whitespace: true, min: 3, max: 500, message: t('payments.reasonRule') }]}>
          <Input data-testid="unlist-reason" />
        </Form.Item>
      </DecisionModal>
    </>
  );
}
