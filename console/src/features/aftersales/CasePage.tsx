// One after-sales case: what it claims (type, reason, lines, evidence), the step it waits for and its
// deadline, the return parcel, the inspection, the replacement, its history, and the moves the user's
// role may make at this step.

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  App,
  Button,
  Card,
  Col,
  Descriptions,
  Empty,
  Flex,
  Form,
  Input,
  InputNumber,
  Modal,
  Radio,
  Row,
  Space,
  Table,
  Tag,
  Timeline,
  Typography,
} from 'antd';
import { useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { api, unwrap } from '../../api/client';
import { useSession } from '../../auth/SessionProvider';
import { Money } from '../../components/Money';
import { PageHeader } from '../../components/PageHeader';
import { ProblemAlert } from '../../components/ProblemAlert';
import { StatusTag } from '../../components/StatusTag';
import { useI18n } from '../../i18n/I18nProvider';
import { caseActions, defaultInspection, inspectionMismatches, type Case, type CaseAction } from './caseLogic';
import { Deadline, useLabels } from './parts';

export function CasePage() {
  const { caseId = '' } = useParams();
  const { t } = useI18n();
  const query = useQuery({
    queryKey: ['after-sales', 'case', caseId],
    queryFn: async () => unwrap(await api().GET('/after-sales/{caseId}', { params: { path: { caseId } } })),
  });
  if (query.error) {
    return (
      <>
        <PageHeader title={t('aftersales.caseTitle', { id: caseId })} extra={<Link to="/after-sales">{t('aftersales.back')}</Link>} />
        <ProblemAlert error={query.error} />
      </>
    );
  }
  if (!query.data) return <Card loading />;
  return <CaseView item={query.data} />;
}

function useLineNames(orderId: string) {
  const order = useQuery({
    queryKey: ['order', orderId],
    queryFn: async () => unwrap(await api().GET('/orders/{orderId}', { params: { path: { orderId } } })),
    retry: false,
  });
  const names = new Map<number, string>();
  const data = order.data;
  if (data && 'lines' in data) for (const line of data.lines) if ('name' in line) names.set(line.lineNo, line.name);
  return names;
}

function CaseView({ item }: { item: Case }) {
  const { t, dateTime } = useI18n();
  const labels = useLabels();
  const names = useLineNames(item.orderId);
  return (
    <div data-testid="after-sales-case" data-status={item.status} data-waiting-for={item.waitingFor}>
      <PageHeader
        title={
          <Space wrap>
            {t('aftersales.caseTitle', { id: item.caseId })}
            <StatusTag status={item.status} />
          </Space>
        }
        sub={`${labels.type(item.type)} · ${labels.reason(item.reason)}`}
        extra={<Link to="/after-sales">{t('aftersales.back')}</Link>}
      />
      <Row gutter={[12, 12]}>
        <Col xs={24} lg={16}>
          <Card size="small" title={t('aftersales.summary')}>
            <Descriptions size="small" column={{ xs: 1, sm: 2 }} bordered>
              <Descriptions.Item label={t('aftersales.order')}>
                <Link to={`/orders/${item.orderId}`} data-testid="case-order-link">
                  {item.orderId}
                </Link>{' '}
                <Typography.Text type="secondary">({item.childOrderId})</Typography.Text>
              </Descriptions.Item>
              <Descriptions.Item label={t('aftersales.customer')}>{item.customerId}</Descriptions.Item>
              <Descriptions.Item label={t('aftersales.typeLabel')}>{labels.type(item.type)}</Descriptions.Item>
              <Descriptions.Item label={t('aftersales.reasonLabel')}>{labels.reason(item.reason)}</Descriptions.Item>
              <Descriptions.Item label={t('aftersales.waitingFor')}>
                <span data-testid="case-waiting-for">{labels.step(item.waitingFor)}</span>
              </Descriptions.Item>
              <Descriptions.Item label={t('aftersales.deadline')}>
                <Deadline deadline={item.deadline} />
              </Descriptions.Item>
              <Descriptions.Item label={t('aftersales.amount')}>
                <Money value={item.amount} strong />
                {item.requestedAmount && (
                  <Typography.Text type="secondary">
                    {' '}
                    ({t('aftersales.requested')}: <Money value={item.requestedAmount} />)
                  </Typography.Text>
                )}
              </Descriptions.Item>
              <Descriptions.Item label={t('aftersales.refundTo')}>
                {item.toBalance ? t('aftersales.toBalance') : t('aftersales.toOriginal')}
              </Descriptions.Item>
              <Descriptions.Item label={t('aftersales.store')}>{item.storeId}</Descriptions.Item>
              <Descriptions.Item label={t('aftersales.createdAt')}>
                {dateTime(item.createdAt)} · {item.createdBy}
              </Descriptions.Item>
              {item.refundId && <Descriptions.Item label={t('aftersales.refundId')}>{item.refundId}</Descriptions.Item>}
              <Descriptions.Item label={t('aftersales.disputed')}>{item.disputed ? t('common.yes') : t('common.no')}</Descriptions.Item>
              <Descriptions.Item label={t('aftersales.note')} span={2}>
                {item.note ?? '—'}
              </Descriptions.Item>
            </Descriptions>
          </Card>
          <Card size="small" title={t('aftersales.lines')} style={{ marginTop: 12 }}>
            <div role="region" aria-label={t('aftersales.lines')} tabIndex={0} style={{ overflowX: 'auto' }}>
            <Table
              size="small"
              rowKey="lineNo"
              pagination={false}
              dataSource={item.lines}
              columns={[
                { key: 'lineNo', title: '#', dataIndex: 'lineNo' },
                { key: 'name', title: t('aftersales.item'), render: (_: unknown, line) => names.get(line.lineNo) ?? '—' },
                { key: 'sku', title: 'SKU', dataIndex: 'skuId' },
                { key: 'quantity', title: t('aftersales.quantity'), dataIndex: 'quantity', align: 'right' },
                {
                  key: 'inspection',
                  title: t('aftersales.inspected'),
                  render: (_: unknown, line) => {
                    const judged = item.inspection?.lines.find((row) => row.lineNo === line.lineNo);
                    return judged ? t('aftersales.inspectedLine', { restockable: judged.restockable, damaged: judged.damaged }) : '—';
                  },
                },
              ]}
            />
            </div>
          </Card>
          <Card size="small" title={t('aftersales.evidence')} style={{ marginTop: 12 }}>
            {item.evidence.length ? (
              <ul style={{ margin: 0, paddingInlineStart: 18 }} data-testid="case-evidence">
                {item.evidence.map((key) => (
                  <li key={key}>
                    <code style={{ wordBreak: 'break-all' }}>{key}</code>
                  </li>
                ))}
              </ul>
            ) : (
              <Typography.Text type="secondary">{t('aftersales.noEvidence')}</Typography.Text>
            )}
          </Card>
          <ReturnParcel item={item} />
          {item.replacement && (
            <Card size="small" title={t('aftersales.replacement')} style={{ marginTop: 12 }}>
              <Descriptions size="small" column={1}>
                <Descriptions.Item label={t('aftersales.order')}>
                  <Link to={`/orders/${item.orderId}`}>{item.replacement.childOrderId}</Link>
                </Descriptions.Item>
                <Descriptions.Item label={t('aftersales.difference')}>
                  <Money value={item.replacement.difference} />
                  {item.replacement.differencePaid ? ` · ${t('aftersales.differencePaid')}` : ''}
                </Descriptions.Item>
                {item.replacement.differenceDeadline && (
                  <Descriptions.Item label={t('aftersales.deadline')}>
                    <Deadline deadline={item.replacement.differenceDeadline} />
                  </Descriptions.Item>
                )}
              </Descriptions>
            </Card>
          )}
        </Col>
        <Col xs={24} lg={8}>
          <Actions item={item} />
          <Card size="small" title={t('aftersales.historyTitle')} style={{ marginTop: 12 }} data-testid="case-history">
            <Timeline
              items={[
                {
                  children: (
                    <>
                      <strong>{t('aftersales.history.opened')}</strong> · {item.createdBy}
                      <div>
                        <Typography.Text type="secondary">{dateTime(item.createdAt)}</Typography.Text>
                      </div>
                    </>
                  ),
                },
                ...item.decisions.map((decision, index) => ({
                  key: index,
                  children: (
                    <>
                      <strong>{labels.action(decision.action)}</strong> · {decision.by} ({t(`roles.${decision.role}`) === `roles.${decision.role}` ? decision.role : t(`roles.${decision.role}`)})
                      <div>
                        <Typography.Text type="secondary">{dateTime(decision.at)}</Typography.Text>
                      </div>
                      {decision.note && <div>{decision.note}</div>}
                    </>
                  ),
                })),
              ]}
            />
          </Card>
        </Col>
      </Row>
    </div>
  );
}

function ReturnParcel({ item }: { item: Case }) {
  const { t, dateTime } = useI18n();
  if (item.type === 'refund_only') return null;
  const parcel = item.returnShipment;
  return (
    <Card size="small" title={t('aftersales.returnParcel')} style={{ marginTop: 12 }} data-testid="case-return">
      {parcel ? (
        <>
          <Descriptions size="small" column={{ xs: 1, sm: 2 }}>
            <Descriptions.Item label={t('aftersales.carrier')}>{parcel.carrier}</Descriptions.Item>
            <Descriptions.Item label={t('aftersales.trackingNumber')}>{parcel.trackingNumber}</Descriptions.Item>
            <Descriptions.Item label={t('aftersales.shippedAt')}>
              {dateTime(parcel.at)} · {parcel.by}
            </Descriptions.Item>
          </Descriptions>
          {parcel.events.length > 0 && (
            <Timeline
              style={{ marginTop: 12 }}
              items={parcel.events.map((event) => ({
                key: event.eventId,
                children: (
                  <>
                    <Tag>{event.status}</Tag> {dateTime(event.occurredAt)}
                    {event.location ? ` · ${event.location}` : ''}
                  </>
                ),
              }))}
            />
          )}
        </>
      ) : (
        <Typography.Text type="secondary">{t('aftersales.noReturnYet')}</Typography.Text>
      )}
    </Card>
  );
}

interface MoveForm {
  note?: string;
  decision?: 'approve' | 'reject';
  carrier?: string;
  trackingNumber?: string;
  lines?: { lineNo: number; restockable: number; damaged: number }[];
}

function Actions({ item }: { item: Case }) {
  const { t } = useI18n();
  const { can } = useSession();
  const { message } = App.useApp();
  const client = useQueryClient();
  const [open, setOpen] = useState<CaseAction | null>(null);
  const [form] = Form.useForm<MoveForm>();
  const actions = caseActions(item, can);
  const mutation = useMutation({
    mutationFn: async ({ action, values }: { action: CaseAction; values: MoveForm }) => {
      const path = { caseId: item.caseId };
      const note = values.note?.trim() || undefined;
      switch (action) {
        case 'approve':
          return unwrap(await api().POST('/after-sales/{caseId}/approve', { params: { path }, body: { note } }));
        case 'receive':
          return unwrap(await api().POST('/after-sales/{caseId}/receive', { params: { path }, body: { note } }));
        case 'cancel':
          return unwrap(await api().POST('/after-sales/{caseId}/cancel', { params: { path }, body: { note } }));
        case 'reject':
          return unwrap(await api().POST('/after-sales/{caseId}/reject', { params: { path }, body: { note: note ?? '' } }));
        case 'dispute':
          return unwrap(await api().POST('/after-sales/{caseId}/dispute', { params: { path }, body: { note: note ?? '' } }));
        case 'arbitrate':
          return unwrap(
            await api().POST('/after-sales/{caseId}/arbitrate', {
              params: { path },
              body: { decision: values.decision ?? 'approve', note: note ?? '' },
            }),
          );
        case 'return-shipment':
          return unwrap(
            await api().POST('/after-sales/{caseId}/return-shipment', {
              params: { path },
              body: { carrier: values.carrier?.trim() ?? '', trackingNumber: values.trackingNumber?.trim() ?? '' },
            }),
          );
        case 'inspect':
          return unwrap(
            await api().POST('/after-sales/{caseId}/inspect', {
              params: { path },
              body: { lines: judgedLines(item, values.lines), note },
            }),
          );
      }
    },
    onSuccess: (updated) => {
      client.setQueryData(['after-sales', 'case', item.caseId], updated);
      void client.invalidateQueries({ queryKey: ['after-sales'] });
      void client.invalidateQueries({ queryKey: ['dashboard'] });
      void client.invalidateQueries({ queryKey: ['order', item.orderId] });
      message.success(t('common.saved'));
      setOpen(null);
    },
  });

  const start = (action: CaseAction) => {
    mutation.reset();
    form.resetFields();
    form.setFieldsValue({ decision: 'approve', lines: defaultInspection(item.lines) });
    setOpen(action);
  };
  const needsNote = open === 'reject' || open === 'dispute' || open === 'arbitrate';

  return (
    <Card size="small" title={t('aftersales.actions')} data-testid="case-actions">
      {actions.length === 0 ? (
        <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('aftersales.noActions')} />
      ) : (
        <Flex gap={8} wrap>
          {actions.map((action) => (
            <Button
              key={action}
              type={action === 'approve' || action === 'receive' || action === 'inspect' ? 'primary' : 'default'}
              danger={action === 'reject' || action === 'cancel'}
              onClick={() => start(action)}
              data-testid={`case-action-${action}`}
            >
              {t(`aftersales.action.${action}`)}
            </Button>
          ))}
        </Flex>
      )}
      <Modal
        open={open !== null}
        title={open ? t(`aftersales.action.${open}`) : ''}
        onCancel={() => setOpen(null)}
        okText={t('common.confirm')}
        cancelText={t('common.cancel')}
        confirmLoading={mutation.isPending}
        okButtonProps={{ 'data-testid': 'case-action-confirm' } as Record<string, string>}
        onOk={() => {
          void form.validateFields().then((values) => {
            if (open) mutation.mutate({ action: open, values: { ...form.getFieldsValue(true), ...values } });
          });
        }}
        destroyOnHidden
      >
        <ProblemAlert error={mutation.error} style={{ marginBottom: 12 }} />
        <Form form={form} layout="vertical">
          {open === 'arbitrate' && (
            <Form.Item name="decision" label={t('aftersales.decision')} rules={[{ required: true }]}>
              <Radio.Group
                options={[
                  { value: 'approve', label: t('aftersales.action.approve') },
                  { value: 'reject', label: t('aftersales.action.reject') },
                ]}
              />
            </Form.Item>
          )}
          {open === 'return-shipment' && (
            <>
              <Form.Item
                name="carrier"
                label={t('aftersales.carrier')}
                rules={[{ required: true, pattern: /^[a-z0-9-]{2,20}$/, message: t('aftersales.carrierRule') }]}
              >
                <Input placeholder="sf" data-testid="return-carrier" />
              </Form.Item>
              <Form.Item
                name="trackingNumber"
                label={t('aftersales.trackingNumber')}
                rules={[{ required: true, pattern: /^[A-Za-z0-9-]{4,40}$/, message: t('aftersales.trackingRule') }]}
              >
                <Input data-testid="return-tracking" />
              </Form.Item>
            </>
          )}
          {open === 'inspect' && <InspectionFields item={item} />}
          {open !== 'return-shipment' && (
            <Form.Item
              name="note"
              label={t('aftersales.note')}
              rules={needsNote ? [{ required: true, whitespace: true, message: t('aftersales.noteRequired') }, { max: 500 }] : [{ max: 500 }]}
            >
              <Input.TextArea rows={3} maxLength={500} data-testid="case-action-note" />
            </Form.Item>
          )}
        </Form>
      </Modal>
    </Card>
  );
}

/** The form's inspection rows (by position, as Form.List keeps them) with each case line's number. */
function judgedLines(item: Case, rows: Partial<{ restockable: number | null; damaged: number | null }>[] | undefined) {
  return item.lines.map((line, index) => ({
    lineNo: line.lineNo,
    restockable: Number(rows?.[index]?.restockable ?? 0),
    damaged: Number(rows?.[index]?.damaged ?? 0),
  }));
}

function InspectionFields({ item }: { item: Case }) {
  const { t } = useI18n();
  return (
    <Form.List
      name="lines"
      rules={[
        {
          validator: async (_, value: MoveForm['lines']) => {
            const bad = inspectionMismatches(item.lines, judgedLines(item, value));
            if (bad.length) throw new Error(t('aftersales.inspectRule', { lines: bad.join(', ') }));
          },
        },
      ]}
    >
      {(fields, _, { errors }) => (
        <>
          {fields.map((field, index) => {
            const line = item.lines[index];
            return (
              <Space key={field.key} wrap align="end" style={{ marginBottom: 8 }}>
                <Typography.Text strong>
                  #{line?.lineNo} {line?.skuId} × {line?.quantity}
                </Typography.Text>
                <Form.Item name={[field.name, 'restockable']} label={t('aftersales.restockable')} style={{ marginBottom: 0 }}>
                  <InputNumber min={0} max={999} data-testid={`inspect-restockable-${line?.lineNo}`} />
                </Form.Item>
                <Form.Item name={[field.name, 'damaged']} label={t('aftersales.damaged')} style={{ marginBottom: 0 }}>
                  <InputNumber min={0} max={999} data-testid={`inspect-damaged-${line?.lineNo}`} />
                </Form.Item>
              </Space>
            );
          })}
          <Form.ErrorList errors={errors} />
        </>
      )}
    </Form.List>
  );
}
