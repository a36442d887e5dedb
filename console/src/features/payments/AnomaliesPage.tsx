// Abnormal payments: money that did not fit its order (amount, currency, a second payment, a payment
// after the cancel, reconciliation differences). Staff resolve an open case: accept (an underpayment
// written off or charged again), refund, or dismiss.

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { App, Button, Form, Input, Radio, Select, Space, Tag, Typography, type TableColumnsType } from 'antd';
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
import { useCursorList } from '../../api/useCursorList';
import { DecisionModal } from './DecisionModal';

type Anomaly = Schemas['Anomaly'];
type Decision = Schemas['ResolveDecision'];
type Remainder = Schemas['Remainder'];

interface Filters {
  status: Schemas['AnomalyStatus'];
}

interface ResolveForm {
  decision: Decision;
  remainder?: Remainder;
  note: string;
}

/** Whether an accept of this case must say what happens to the missing rest (an underpayment). */
export function needsRemainder(anomaly: Pick<Anomaly, 'type' | 'expected' | 'received'>): boolean {
  return (
    anomaly.type === 'AMOUNT_MISMATCH' &&
    anomaly.expected.currency === anomaly.received.currency &&
    anomaly.received.amount < anomaly.expected.amount
  );
}

export function AnomaliesPage() {
  const { t, dateTime } = useI18n();
  const { can } = useSession();
  const [form] = Form.useForm<Filters>();
  const [filters, setFilters] = useState<Filters>({ status: 'OPEN' });
  const [resolving, setResolving] = useState<Anomaly | null>(null);
  const list = useCursorList<Anomaly>(['anomalies', filters], async (cursor) =>
    unwrap(await api().GET('/anomalies', { params: { query: { status: filters.status, cursor, limit: 20 } } })),
  );
  const typeLabel = (type: string) => t(`payments.anomalyType.${type}`);
  const columns: TableColumnsType<Anomaly> = [
    { key: 'type', title: t('payments.type'), render: (_, row) => <Tag color="volcano">{typeLabel(row.type)}</Tag> },
    { key: 'order', title: t('payments.order'), render: (_, row) => <Link to={`/orders/${row.orderId}`}>{row.orderId}</Link> },
    { key: 'payment', title: t('payments.payment'), dataIndex: 'paymentId' },
    { key: 'expected', title: t('payments.expected'), align: 'right', render: (_, row) => <Money value={row.expected} /> },
    { key: 'received', title: t('payments.received'), align: 'right', render: (_, row) => <Money value={row.received} strong /> },
    { key: 'status', title: t('payments.status'), render: (_, row) => <StatusTag status={row.status} /> },
    {
      key: 'refund',
      title: t('payments.refund'),
      render: (_, row) => (row.refund ? <Space size={4}>{row.refund.refundId} <StatusTag status={row.refund.status} /></Space> : '—'),
    },
    {
      key: 'note',
      title: t('payments.notes'),
      render: (_, row) => {
        const last = row.notes[row.notes.length - 1];
        return last ? <Typography.Text style={{ maxWidth: 280 }} ellipsis={{ tooltip: last.note }}>{last.note}</Typography.Text> : '—';
      },
    },
    {
      key: 'resolution',
      title: t('payments.resolution'),
      render: (_, row) =>
        row.resolution ? `${t(`payments.decision.${row.resolution.decision}`)} · ${row.resolution.by}` : '—',
    },
    { key: 'createdAt', title: t('payments.createdAt'), render: (_, row) => dateTime(row.createdAt) },
    {
      key: 'actions',
      title: t('common.actions'),
      render: (_, row) =>
        row.status === 'OPEN' && can('POST /anomalies/{anomalyId}/resolve') ? (
          <Button size="small" onClick={() => setResolving(row)} data-testid={`resolve-${row.anomalyId}`}>
            {t('payments.resolve')}
          </Button>
        ) : null,
    },
  ];
  return (
    <div data-testid="anomalies-page">
      <PageHeader title={t('payments.anomaliesTitle')} sub={t('payments.anomaliesSub')} />
      <FilterPanel<Filters>
        form={form}
        initialValues={{ status: 'OPEN' }}
        onApply={(values) => setFilters({ status: values.status ?? 'OPEN' })}
        active={filters.status === 'OPEN' ? 0 : 1}
      >
        <Form.Item name="status" label={t('payments.status')}>
          <Select
            style={{ minWidth: 140 }}
            data-testid="filter-anomaly-status"
            options={(['OPEN', 'RESOLVED'] as const).map((status) => ({ value: status, label: t(`status.${status}`) }))}
          />
        </Form.Item>
      </FilterPanel>
      <ProblemAlert error={list.error} style={{ marginBottom: 12 }} />
      <DataList<Anomaly>
        testId="anomalies"
        rows={list.rows}
        rowKey={(row) => row.anomalyId}
        columns={columns}
        cardTitle={(row) => typeLabel(row.type)}
        loading={list.loading}
        hasMore={list.hasMore}
        onLoadMore={list.loadMore}
        loadingMore={list.loadingMore}
      />
      {resolving && <ResolveModal anomaly={resolving} onClose={() => setResolving(null)} />}
    </div>
  );
}

function ResolveModal({ anomaly, onClose }: { anomaly: Anomaly; onClose: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const client = useQueryClient();
  const [form] = Form.useForm<ResolveForm>();
  const decision = Form.useWatch('decision', form);
  const underpaid = needsRemainder(anomaly);
  const mutation = useMutation({
    mutationFn: async (values: ResolveForm) =>
      unwrap(
        await api().POST('/anomalies/{anomalyId}/resolve', {
          params: { path: { anomalyId: anomaly.anomalyId } },
          body: {
            decision: values.decision,
            note: values.note.trim(),
            remainder: values.decision === 'accept' && underpaid ? values.remainder : undefined,
          },
        }),
      ),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ['anomalies'] });
      void client.invalidateQueries({ queryKey: ['order', anomaly.orderId] });
      void client.invalidateQueries({ queryKey: ['orders'] });
      message.success(t('common.saved'));
      onClose();
    },
  });
  return (
    <DecisionModal<ResolveForm>
      open
      testId="resolve-anomaly"
      title={t('payments.resolveTitle', { type: t(`payments.anomalyType.${anomaly.type}`) })}
      form={form}
      onCancel={onClose}
      onSubmit={(values) => mutation.mutate(values)}
      pending={mutation.isPending}
      error={mutation.error}
      initialValues={{ decision: 'accept', remainder: 'write-off' }}
    >
      <p>
        {t('payments.expected')}: <Money value={anomaly.expected} /> · {t('payments.received')}: <Money value={anomaly.received} strong />
      </p>
      <Form.Item name="decision" label={t('payments.decisionLabel')} rules={[{ required: true }]}>
        <Radio.Group
          data-testid="anomaly-decision"
          options={(['accept', 'refund', 'dismiss'] as const).map((value) => ({ value, label: t(`payments.decision.${value}`) }))}
        />
      </Form.Item>
      {decision === 'accept' && underpaid && (
        <Form.Item name="remainder" label={t('payments.remainder')} rules={[{ required: true }]}>
          <Radio.Group
            options={(['write-off', 'charge'] as const).map((value) => ({ value, label: t(`payments.remainders.${value}`) }))}
          />
        </Form.Item>
      )}
      <Typography.Paragraph type="secondary">{t(`payments.decisionHelp.${decision ?? 'accept'}`)}</Typography.Paragraph>
      <Form.Item name="note" label={t('common.note')} rules={[{ required: true, whitespace: true, min: 3, max: 2000, message: t('payments.noteRule') }]}>
        <Input.TextArea rows={3} maxLength={2000} data-testid="anomaly-note" />
      </Form.Item>
    </DecisionModal>
  );
}
