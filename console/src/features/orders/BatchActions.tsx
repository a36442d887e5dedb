// Batch actions on the selected orders (POST /orders/batch): only the actions the role may do, the fields
// each takes, then the per-order results (succeeded, or failed with the problem the single route gives).

import { DownOutlined } from '@ant-design/icons';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Card, Dropdown, Flex, Form, Input, Modal, Radio, Select, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { api, unwrap, type Schemas } from '../../api/client';
import { useSession } from '../../auth/SessionProvider';
import type { RouteKey } from '../../auth/permissions';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useI18n } from '../../i18n/I18nProvider';
import { newKey } from './api';

type BatchAction = Schemas['BatchAction'];
type BatchIn = Schemas['BatchIn'];
type BatchResult = Schemas['BatchResult'];

/** Each action's permission is its single route's (docs/order-desk.md#batches). */
export const BATCH_ROUTES: Record<BatchAction, RouteKey[]> = {
  review: ['POST /orders/{orderId}/payments/{paymentId}/review', 'POST /orders/{orderId}/risk-review'],
  cancel: ['POST /orders/{orderId}/cancel'],
  ship: ['POST /orders/{orderId}/shipments'],
  flag: ['PUT /orders/{orderId}/flags/special'],
  unflag: ['DELETE /orders/{orderId}/flags/special'],
  hold: ['POST /orders/{orderId}/hold'],
  'release-hold': ['POST /orders/{orderId}/release-hold'],
  note: ['POST /orders/{orderId}/notes'],
  deliver: ['POST /orders/{orderId}/deliveries'],
  'after-sales': ['POST /after-sales/{caseId}/approve'],
  delete: ['PATCH /channel-stores/{storeId}'],
  restore: ['PATCH /channel-stores/{storeId}'],
};
const ACTIONS = Object.keys(BATCH_ROUTES) as BatchAction[];
const REASON_REQUIRED: BatchAction[] = ['hold', 'release-hold', 'review', 'after-sales', 'delete', 'restore'];
const REASON_OPTIONAL: BatchAction[] = ['cancel', 'flag', 'unflag'];

interface BatchForm {
  reason?: string;
  decision?: 'approve' | 'reject';
  carrier?: string;
  tracking?: Record<string, string>;
  noteText?: string;
  noteKind?: Schemas['NoteKind'];
  noteVisibility?: Schemas['NoteVisibility'];
  noteChannel?: Schemas['CommunicationChannel'];
}

/** The batch request for an action and the form's values. */
export function batchBody(action: BatchAction, orderIds: string[], values: BatchForm): BatchIn {
  const body: BatchIn = { action, orderIds };
  const reason = values.reason?.trim();
  if ((REASON_REQUIRED.includes(action) || REASON_OPTIONAL.includes(action)) && reason) body.reason = reason;
  if (action === 'review' || action === 'after-sales') body.decision = values.decision;
  if (action === 'flag' || action === 'unflag') body.flag = 'special';
  if (action === 'ship') {
    body.carrier = values.carrier?.trim();
    body.trackingNumbers = Object.fromEntries(orderIds.map((id) => [id, (values.tracking?.[id] ?? '').trim()]));
  }
  if (action === 'note') {
    const kind = values.noteKind ?? 'note';
    body.note = {
      text: values.noteText ?? '',
      kind,
      visibility: kind === 'communication' ? 'internal' : (values.noteVisibility ?? 'internal'),
      channel: kind === 'communication' ? values.noteChannel : null,
    };
  }
  return body;
}

export interface BatchActionsProps {
  orderIds: string[];
  numbers: Record<string, string>; // order id → order number, for the results
  onDone: () => void;
  onClear: () => void;
}

export function BatchActions({ orderIds, numbers, onDone, onClear }: BatchActionsProps) {
  const { t } = useI18n();
  const { can } = useSession();
  const client = useQueryClient();
  const [action, setAction] = useState<BatchAction | null>(null);
  const [ids, setIds] = useState<string[]>([]);
  const [key, setKey] = useState(newKey);
  const [form] = Form.useForm<BatchForm>();
  const allowed = ACTIONS.filter((item) => BATCH_ROUTES[item].some((route) => can(route)));
  const run = useMutation({
    mutationFn: async (body: BatchIn) =>
      unwrap(await api().POST('/orders/batch', { params: { header: { 'Idempotency-Key': key } }, body })),
    onSuccess: () => client.invalidateQueries({ queryKey: ['orders'] }),
  });
  const start = (next: BatchAction) => {
    setIds(orderIds);
    setKey(newKey());
    run.reset();
    form.resetFields();
    setAction(next);
  };
  const close = () => {
    const finished = !!run.data;
    setAction(null);
    run.reset();
    if (finished) onDone();
  };
  const kind = Form.useWatch('noteKind', form);
  if (allowed.length === 0 && !action) return null;

  return (
    <>
      {orderIds.length > 0 && (
        <Card size="small" style={{ marginBottom: 12 }} data-testid="batch-bar">
          <Flex gap={8} align="center" wrap>
            <Typography.Text data-testid="batch-count">{t('orders.batch.selected', { count: orderIds.length })}</Typography.Text>
            <Dropdown
              trigger={['click']}
              menu={{
                items: allowed.map((item) => ({
                  key: item,
                  label: <span data-testid={`batch-action-${item}`}>{t(`orders.batch.action.${item}`)}</span>,
                })),
                onClick: ({ key: picked }) => start(picked as BatchAction),
              }}
            >
              <Button type="primary" data-testid="batch-actions">
                {t('orders.batch.actions')} <DownOutlined />
              </Button>
            </Dropdown>
            <Button onClick={onClear} data-testid="batch-clear">
              {t('orders.batch.clear')}
            </Button>
          </Flex>
        </Card>
      )}
      <Modal
        open={!!action}
        title={action ? t('orders.batch.title', { action: t(`orders.batch.action.${action}`), count: ids.length }) : ''}
        onCancel={close}
        onOk={() => (run.data ? close() : form.submit())}
        okText={run.data ? t('common.close') : t('common.confirm')}
        confirmLoading={run.isPending}
        okButtonProps={{ 'data-testid': 'batch-submit' }}
        cancelButtonProps={run.data ? { style: { display: 'none' } } : undefined}
        width={720}
        forceRender
      >
        {run.data ? (
          <BatchResults answer={run.data} numbers={numbers} />
        ) : (
          action && (
            <Form<BatchForm>
              form={form}
              layout="vertical"
              initialValues={{ decision: 'approve', noteKind: 'note', noteVisibility: 'internal' }}
              onFinish={(values) => run.mutate(batchBody(action, ids, values))}
            >
              {(action === 'review' || action === 'after-sales') && (
                <Form.Item name="decision" label={t('orders.batch.decision')} rules={[{ required: true }]}>
                  <Radio.Group
                    options={[
                      { value: 'approve', label: t('orders.decision.approve') },
                      { value: 'reject', label: t('orders.decision.reject') },
                    ]}
                  />
                </Form.Item>
              )}
              {action === 'ship' && (
                <>
                  <Form.Item
                    name="carrier"
                    label={t('orders.ship.carrier')}
                    rules={[{ required: true, pattern: /^[a-z0-9-]{2,20}$/, message: t('orders.ship.carrierRule') }]}
                  >
                    <Input data-testid="batch-carrier" />
                  </Form.Item>
                  {ids.map((id) => (
                    <Form.Item
                      key={id}
                      name={['tracking', id]}
                      label={t('orders.batch.trackingFor', { order: numbers[id] ?? id })}
                      rules={[{ required: true, message: t('orders.ship.trackingRequired') }]}
                    >
                      <Input />
                    </Form.Item>
                  ))}
                </>
              )}
              {action === 'note' && (
                <>
                  <Form.Item name="noteKind" label={t('orders.notes.kind')}>
                    <Radio.Group
                      options={(['note', 'communication'] as const).map((value) => ({ value, label: t(`orders.notes.kinds.${value}`) }))}
                    />
                  </Form.Item>
                  {kind === 'communication' ? (
                    <Form.Item name="noteChannel" label={t('orders.notes.channel')} rules={[{ required: true }]}>
                      <Select options={CHANNELS.map((value) => ({ value, label: t(`orders.notes.channels.${value}`) }))} />
                    </Form.Item>
                  ) : (
                    <Form.Item name="noteVisibility" label={t('orders.notes.visibility')}>
                      <Radio.Group
                        options={(['internal', 'shopper'] as const).map((value) => ({ value, label: t(`orders.notes.visibilities.${value}`) }))}
                      />
                    </Form.Item>
                  )}
                  <Form.Item name="noteText" label={t('orders.notes.text')} rules={[{ required: true, whitespace: true, max: 2000 }]}>
                    <Input.TextArea rows={3} maxLength={2000} showCount />
                  </Form.Item>
                </>
              )}
              {(REASON_REQUIRED.includes(action) || REASON_OPTIONAL.includes(action)) && (
                <Form.Item
                  name="reason"
                  label={t('common.reason')}
                  rules={[{ required: REASON_REQUIRED.includes(action), whitespace: true, max: 500 }]}
                >
                  <Input.TextArea rows={2} maxLength={500} data-testid="batch-reason" />
                </Form.Item>
              )}
              {action === 'deliver' && <Typography.Paragraph>{t('orders.batch.deliverHelp')}</Typography.Paragraph>}
              {(action === 'delete' || action === 'restore') && (
                <Typography.Paragraph type="secondary">{t('orders.batch.deleteHelp')}</Typography.Paragraph>
              )}
              <ProblemAlert error={run.error} />
            </Form>
          )
        )}
      </Modal>
    </>
  );
}

export const CHANNELS: Schemas['CommunicationChannel'][] = ['phone', 'email', 'chat', 'sms', 'in-person', 'other'];

export function BatchResults({ answer, numbers }: { answer: Schemas['BatchAnswer']; numbers: Record<string, string> }) {
  const { t } = useI18n();
  return (
    <div data-testid="batch-results">
      <Alert
        type={answer.failed === 0 ? 'success' : answer.succeeded === 0 ? 'error' : 'warning'}
        showIcon
        style={{ marginBottom: 12 }}
        data-testid="batch-summary"
        title={t('orders.batch.summary', { succeeded: answer.succeeded, failed: answer.failed })}
      />
      <Table<BatchResult>
        size="small"
        rowKey="orderId"
        pagination={false}
        dataSource={answer.results}
        scroll={{ x: 'max-content' }}
        onRow={(row) => ({ 'data-testid': 'batch-result', 'data-result': row.status, 'data-order-id': row.orderId }) as object}
        columns={[
          { key: 'order', title: t('orders.field.orderNumber'), render: (_, row) => numbers[row.orderId] ?? row.orderId },
          {
            key: 'status',
            title: t('orders.batch.result'),
            render: (_, row) =>
              row.status === 'succeeded' ? (
                <Tag color="green">{t('orders.batch.succeeded')}</Tag>
              ) : (
                <Tag color="red">{t('orders.batch.failed')}</Tag>
              ),
          },
          {
            key: 'problem',
            title: t('orders.batch.problem'),
            render: (_, row) => (row.problem ? <ProblemText problem={row.problem} /> : '—'),
          },
        ]}
      />
    </div>
  );
}

function ProblemText({ problem }: { problem: Schemas['Problem'] }) {
  const { t } = useI18n();
  const slug = problem.type.startsWith('urn:oms:problem:') ? problem.type.slice('urn:oms:problem:'.length) : problem.type;
  const known = `problems.${slug}`;
  const title = t(known) !== known ? t(known) : problem.title;
  return (
    <span data-testid="batch-problem" data-problem-type={problem.type}>
      <strong>
        {title} ({problem.status})
      </strong>
      {problem.detail ? <> — {problem.detail}</> : null}
    </span>
  );
}

