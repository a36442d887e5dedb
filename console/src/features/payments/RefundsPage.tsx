// The finance queue: refund legs their provider refused for good (FAILED), oldest first. Finance credits
// the shopper's balance, records a payout made by hand, or asks the provider again.

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { App, Button, Form, Input, Radio, Select, Typography, type TableColumnsType } from 'antd';
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

type FailedRefund = Schemas['FailedRefund'];
type Decision = Schemas['RefundDecision'];

interface ResolveForm {
  decision: Decision;
  reference?: string;
  note: string;
}

function failureReason(refund: FailedRefund): string | null {
  const reason = refund.failure?.reason;
  return typeof reason === 'string' ? reason : refund.lastError;
}

export function RefundsPage() {
  const { t, dateTime } = useI18n();
  const { can } = useSession();
  const [form] = Form.useForm<{ status: 'FAILED' }>();
  const [resolving, setResolving] = useState<FailedRefund | null>(null);
  const list = useCursorList<FailedRefund>(['refunds', 'FAILED'], async (cursor) =>
    unwrap(await api().GET('/refunds', { params: { query: { status: 'FAILED', cursor, limit: 20 } } })),
  );
  const method = (value: string) => {
    const key = `enums.paymentMethod.${value}`;
    return t(key) === key ? value : t(key);
  };
  const columns: TableColumnsType<FailedRefund> = [
    { key: 'refundId', title: t('payments.refund'), dataIndex: 'refundId' },
    { key: 'order', title: t('payments.order'), render: (_, row) => <Link to={`/orders/${row.orderId}`}>{row.orderId}</Link> },
    { key: 'method', title: t('payments.method'), render: (_, row) => method(row.method) },
    { key: 'amount', title: t('payments.amount'), align: 'right', render: (_, row) => <Money value={row.amount} strong /> },
    { key: 'status', title: t('payments.status'), render: (_, row) => <StatusTag status={row.status} /> },
    { key: 'reason', title: t('payments.refundReason'), render: (_, row) => row.reason ?? '—' },
    {
      key: 'failure',
      title: t('payments.failure'),
      render: (_, row) => {
        const reason = failureReason(row);
        return reason ? <Typography.Text type="danger" style={{ maxWidth: 260 }} ellipsis={{ tooltip: reason }}>{reason}</Typography.Text> : '—';
      },
    },
    { key: 'failures', title: t('payments.tries'), dataIndex: 'failures', align: 'right' },
    {
      key: 'case',
      title: t('payments.for'),
      render: (_, row) =>
        row.caseId ? <Link to={`/after-sales/${row.caseId}`}>{row.caseId}</Link> : row.anomalyId ? row.anomalyId : '—',
    },
    { key: 'createdAt', title: t('payments.createdAt'), render: (_, row) => dateTime(row.createdAt) },
    {
      key: 'actions',
      title: t('common.actions'),
      render: (_, row) =>
        can('POST /orders/{orderId}/refunds/{refundId}/resolve') ? (
          <Button size="small" onClick={() => setResolving(row)} data-testid={`resolve-${row.refundId}`}>
            {t('payments.resolve')}
          </Button>
        ) : null,
    },
  ];
  return (
    <div data-testid="refunds-page">
      <PageHeader title={t('payments.refundsTitle')} sub={t('payments.refundsSub')} />
      <FilterPanel form={form} initialValues={{ status: 'FAILED' }} onApply={() => void list.refetch()}>
        <Form.Item name="status" label={t('payments.status')}>
          <Select style={{ minWidth: 140 }} options={[{ value: 'FAILED', label: t('status.FAILED') }]} />
        </Form.Item>
      </FilterPanel>
      <ProblemAlert error={list.error} style={{ marginBottom: 12 }} />
      <DataList<FailedRefund>
        testId="failed-refunds"
        rows={list.rows}
        rowKey={(row) => `${row.orderId}/${row.refundId}`}
        columns={columns}
        cardTitle={(row) => row.refundId}
        loading={list.loading}
        hasMore={list.hasMore}
        onLoadMore={list.loadMore}
        loadingMore={list.loadingMore}
      />
      {resolving && <ResolveRefund refund={resolving} onClose={() => setResolving(null)} />}
    </div>
  );
}

function ResolveRefund({ refund, onClose }: { refund: FailedRefund; onClose: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const client = useQueryClient();
  const [form] = Form.useForm<ResolveForm>();
  const decision = Form.useWatch('decision', form);
  const mutation = useMutation({
    mutationFn: async (values: ResolveForm) =>
      unwrap(
        await api().POST('/orders/{orderId}/refunds/{refundId}/resolve', {
          params: { path: { orderId: refund.orderId, refundId: refund.refundId } },
          body: {
            decision: values.decision,
            note: values.note.trim(),
            reference: values.decision === 'paid-out' ? values.reference?.trim() || undefined : undefined,
          },
        }),
      ),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ['refunds'] });
      void client.invalidateQueries({ queryKey: ['order', refund.orderId] });
      message.success(t('common.saved'));
      onClose();
    },
  });
  return (
    <DecisionModal<ResolveForm>
      open
      testId="resolve-refund"
      title={t('payments.resolveRefundTitle', { id: refund.refundId })}
      form={form}
      onCancel={onClose}
      onSubmit={(values) => mutation.mutate(values)}
      pending={mutation.isPending}
      error={mutation.error}
      initialValues={{ decision: 'retry' }}
    >
      <p>
        <Money value={refund.amount} strong /> · {refund.method}
      </p>
      <Form.Item name="decision" label={t('payments.decisionLabel')} rules={[{ required: true }]}>
        <Radio.Group
          options={(['retry', 'to-balance', 'paid-out'] as const).map((value) => ({ value, label: t(`payments.refundDecision.${value}`) }))}
        />
      </Form.Item>
      {decision === 'paid-out' && (
        <Form.Item
          name="reference"
          label={t('payments.reference')}
          rules={[{ required: true, whitespace: true, min: 3, max: 200, message: t('payments.referenceRule') }]}
        >
          <Input maxLength={200} />
        </Form.Item>
      )}
      <Form.Item name="note" label={t('common.note')} rules={[{ required: true, whitespace: true, min: 3, max: 2000, message: t('payments.noteRule') }]}>
        <Input.TextArea rows={3} maxLength={2000} />
      </Form.Item>
    </DecisionModal>
  );
}
