// After-sales for the shopper: ask for a refund (refund_only) or a return (return_refund) on a child
// order's lines (POST /orders/{orderId}/after-sales), follow a case (GET /after-sales/{caseId}), send the
// return back (POST /after-sales/{caseId}/return-shipment) when the case waits for it, or withdraw it.

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { App, Button, Card, Descriptions, Flex, Form, Input, InputNumber, Popconfirm, Radio, Select, Skeleton, Timeline, Typography } from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { useNavigate, useParams, useSearchParams } from 'react-router-dom';
import { api, unwrap, type Schemas } from '../api/client';
import { useSession } from '../auth/SessionProvider';
import { Money } from '../components/Money';
import { ProblemAlert } from '../components/ProblemAlert';
import { StatusTag } from '../components/StatusTag';
import { useI18n } from '../i18n/I18nProvider';
import { attemptKey, finishAttempt } from './checkout';
import { delivered, useOrder, useOrderCases } from './OrderDetail';
import { ItemList, timelineEntry, TONES, useLabel } from './parts';

export const CASE_REASONS: Schemas['CaseReason'][] = [
  'not_received', 'damaged', 'defective', 'wrong_item', 'not_as_described', 'missing_parts', 'size_or_fit', 'changed_mind', 'other',
];
export const CARRIERS = ['sf', 'zto', 'jd', 'ems'] as const;

type CaseType = 'refund_only' | 'return_refund';

/** Units of each line of a child that other open cases do not claim already. */
export function claimable(child: Schemas['ChildOrder'], cases: Schemas['Case'][]): Map<number, number> {
  const left = new Map(child.lines.map((line) => [line.lineNo, line.quantity]));
  for (const item of cases) {
    if (item.childOrderId !== child.childOrderId || ['CANCELLED', 'CLOSED', 'REJECTED'].includes(item.status)) continue;
    for (const line of item.lines) left.set(line.lineNo, Math.max(0, (left.get(line.lineNo) ?? 0) - line.quantity));
  }
  return left;
}

/** The body of POST /orders/{orderId}/after-sales: the lines with at least one unit. */
export function caseBody(
  childOrderId: string,
  type: CaseType,
  reason: Schemas['CaseReason'],
  quantities: Record<number, number>,
  note?: string,
): Schemas['CaseIn'] {
  const lines = Object.entries(quantities)
    .map(([lineNo, quantity]) => ({ lineNo: Number(lineNo), quantity: Math.floor(quantity) }))
    .filter((line) => line.quantity > 0)
    .sort((a, b) => a.lineNo - b.lineNo);
  const body: Schemas['CaseIn'] = { childOrderId, type, reason, lines, toBalance: false };
  if (note?.trim()) body.note = note.trim();
  return body;
}

export function RequestAfterSales() {
  const { orderId = '' } = useParams();
  const [params] = useSearchParams();
  const { t } = useI18n();
  const navigate = useNavigate();
  const client = useQueryClient();
  const order = useOrder(orderId);
  const cases = useOrderCases(orderId);
  const [type, setType] = useState<CaseType>(params.get('type') === 'return_refund' ? 'return_refund' : 'refund_only');
  const [childId, setChildId] = useState<string | undefined>();
  const [reason, setReason] = useState<Schemas['CaseReason'] | undefined>();
  const [note, setNote] = useState('');
  const [quantities, setQuantities] = useState<Record<number, number>>({});

  const children = useMemo(
    () => (order.data?.children ?? []).filter((child) => child.status !== 'CANCELLED' && (type === 'refund_only' || delivered(child.status))),
    [order.data, type],
  );
  const child = children.find((item) => item.childOrderId === childId) ?? children[0];
  const left = useMemo(() => (child ? claimable(child, cases.data?.items ?? []) : new Map<number, number>()), [child, cases.data]);
  useEffect(() => {
    // every claimable unit by default: the common case is "all of it"
    setQuantities(Object.fromEntries([...left.entries()].map(([lineNo, units]) => [lineNo, units])));
  }, [left]);

  const open = useMutation({
    mutationFn: async () => {
      if (!child || !reason) throw new Error(t('shop.afterSales.incomplete'));
      const body = caseBody(child.childOrderId, type, reason, quantities, note);
      if (body.lines.length === 0) throw new Error(t('shop.afterSales.noUnits'));
      const scope = `case:${orderId}`;
      const key = attemptKey(sessionStorage, scope, body);
      const created = unwrap(
        await api().POST('/orders/{orderId}/after-sales', { params: { path: { orderId }, header: { 'Idempotency-Key': key } }, body }),
      );
      finishAttempt(sessionStorage, scope);
      return created;
    },
    onSuccess: async (created) => {
      await client.invalidateQueries({ queryKey: ['shop', 'order-cases', orderId] });
      await client.invalidateQueries({ queryKey: ['shop', 'order', orderId] });
      navigate(`/shop/after-sales/${created.caseId}`, { replace: true });
    },
  });

  if (order.isLoading || cases.isLoading) return <Skeleton active />;
  if (!order.data) return <ProblemAlert error={order.error} />;
  const names = new Map(order.data.lines.map((line) => [line.lineNo, line]));
  const canReturn = order.data.children.some((item) => delivered(item.status));

  return (
    <Flex vertical gap={12} data-testid="after-sales-form">
      <Typography.Title level={1} style={{ fontSize: 20, margin: 0 }}>
        {type === 'return_refund' ? t('shop.afterSales.newReturn') : t('shop.afterSales.newRefund')}
      </Typography.Title>
      <Typography.Text type="secondary">{t('shop.orders.number', { number: order.data.orderNumber })}</Typography.Text>
      <Card size="small" title={t('shop.afterSales.type')}>
        <Radio.Group value={type} onChange={(event) => setType(event.target.value as CaseType)} aria-label={t('shop.afterSales.type')} data-testid="case-type">
          <Flex vertical gap={6}>
            <Radio value="refund_only">
              <span data-testid="case-type-refund_only">{t('shop.afterSales.types.refund_only')}</span>
              <Typography.Text type="secondary" style={{ display: 'block', fontSize: 12 }}>
                {t('shop.afterSales.typeHelp.refund_only')}
              </Typography.Text>
            </Radio>
            <Radio value="return_refund" disabled={!canReturn}>
              <span data-testid="case-type-return_refund">{t('shop.afterSales.types.return_refund')}</span>
              <Typography.Text type="secondary" style={{ display: 'block', fontSize: 12 }}>
                {canReturn ? t('shop.afterSales.typeHelp.return_refund') : t('shop.afterSales.typeHelp.notDelivered')}
              </Typography.Text>
            </Radio>
          </Flex>
        </Radio.Group>
      </Card>
      {children.length > 1 && (
        <Card size="small" title={t('shop.afterSales.parcel')}>
          <Select
            value={child?.childOrderId}
            onChange={setChildId}
            style={{ width: '100%' }}
            aria-label={t('shop.afterSales.parcel')}
            options={children.map((item) => ({ value: item.childOrderId, label: t('shop.afterSales.parcelN', { n: item.childNo }) }))}
          />
        </Card>
      )}
      <Card size="small" title={t('shop.afterSales.lines')}>
        {!child ? (
          <Typography.Text type="secondary">{t('shop.afterSales.nothingClaimable')}</Typography.Text>
        ) : (
          <ItemList
            items={child.lines}
            rowKey={(line) => String(line.lineNo)}
            attrs={(line) => ({ 'data-testid': `claim-line-${line.lineNo}` })}
            render={(line) => {
              const max = left.get(line.lineNo) ?? 0;
              const name = names.get(line.lineNo)?.name ?? line.skuId;
              return (
                  <Flex justify="space-between" align="center" style={{ width: '100%' }} gap={8}>
                    <div>
                      <div>{name}</div>
                      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                        {t('shop.afterSales.claimableOf', { left: max, total: line.quantity })}
                      </Typography.Text>
                    </div>
                    <InputNumber
                      min={0}
                      max={max}
                      value={quantities[line.lineNo] ?? 0}
                      disabled={max === 0}
                      onChange={(value) => setQuantities({ ...quantities, [line.lineNo]: Number(value) || 0 })}
                      aria-label={t('shop.afterSales.unitsOf', { name })}
                      data-testid={`claim-qty-${line.lineNo}`}
                      style={{ width: 80 }}
                    />
                  </Flex>
              );
            }}
          />
        )}
      </Card>
      <Card size="small" title={t('shop.afterSales.reason')}>
        <Flex vertical gap={8}>
          <Select
            value={reason}
            onChange={setReason}
            placeholder={t('shop.afterSales.pickReason')}
            aria-label={t('shop.afterSales.reason')}
            options={CASE_REASONS.map((item) => ({ value: item, label: t(`shop.afterSales.reasons.${item}`) }))}
            data-testid="case-reason"
          />
          <Input.TextArea
            value={note}
            onChange={(event) => setNote(event.target.value)}
            rows={3}
            maxLength={1000}
            placeholder={t('shop.afterSales.notePlaceholder')}
            aria-label={t('shop.afterSales.note')}
            data-testid="case-note"
          />
        </Flex>
      </Card>
      <ProblemAlert error={open.error} />
      <Button type="primary" size="large" block loading={open.isPending} disabled={!child || !reason} onClick={() => open.mutate()} data-testid="case-submit">
        {t('shop.afterSales.submit')}
      </Button>
    </Flex>
  );
}

function ReturnShipmentForm({ caseId, onDone }: { caseId: string; onDone: () => Promise<unknown> }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const label = useLabel();
  const [form] = Form.useForm<{ carrier: string; trackingNumber: string }>();
  const send = useMutation({
    mutationFn: async (values: { carrier: string; trackingNumber: string }) =>
      unwrap(
        await api().POST('/after-sales/{caseId}/return-shipment', {
          params: { path: { caseId } },
          body: { carrier: values.carrier, trackingNumber: values.trackingNumber.trim() },
        }),
      ),
    onSuccess: async () => {
      message.success(t('shop.afterSales.returnSent'));
      form.resetFields();
      await onDone();
    },
  });
  return (
    <Form form={form} layout="vertical" onFinish={(values) => send.mutate(values)} initialValues={{ carrier: 'sf' }} data-testid="return-shipment-form">
      <Form.Item name="carrier" label={t('shop.afterSales.carrier')} rules={[{ required: true, message: t('shop.address.required') }]}>
        <Select options={CARRIERS.map((carrier) => ({ value: carrier, label: label(`shop.carriers.${carrier}`, carrier) }))} data-testid="return-carrier" />
      </Form.Item>
      <Form.Item
        name="trackingNumber"
        label={t('shop.afterSales.trackingNumber')}
        rules={[{ required: true, whitespace: true, message: t('shop.address.required') }]}
      >
        <Input autoCapitalize="characters" data-testid="return-tracking" />
      </Form.Item>
      <ProblemAlert error={send.error} style={{ marginBottom: 12 }} />
      <Button type="primary" htmlType="submit" block loading={send.isPending} data-testid="return-submit">
        {t('shop.afterSales.sendReturn')}
      </Button>
    </Form>
  );
}

export function CasePage() {
  const { caseId = '' } = useParams();
  const { t, dateTime } = useI18n();
  const navigate = useNavigate();
  const client = useQueryClient();
  const { can } = useSession();
  const label = useLabel();
  const item = useQuery({
    queryKey: ['shop', 'case', caseId],
    queryFn: async () => unwrap(await api().GET('/after-sales/{caseId}', { params: { path: { caseId } } })),
    refetchInterval: (query) => (['REFUNDING', 'RECEIVED'].includes(query.state.data?.status ?? '') ? 2000 : false),
  });
  const orderId = item.data?.orderId ?? '';
  const order = useQuery({
    queryKey: ['shop', 'order', orderId],
    queryFn: async () => unwrap(await api().GET('/orders/{orderId}', { params: { path: { orderId } } })) as Schemas['Order'],
    enabled: !!orderId,
    refetchInterval: ['REFUNDING', 'RECEIVED'].includes(item.data?.status ?? '') ? 2000 : false,
  });
  const refresh = () =>
    Promise.all([
      client.invalidateQueries({ queryKey: ['shop', 'case', caseId] }),
      client.invalidateQueries({ queryKey: ['shop', 'order-cases', orderId] }),
      client.invalidateQueries({ queryKey: ['shop', 'order', orderId] }),
    ]);
  const withdraw = useMutation({
    mutationFn: async () => unwrap(await api().POST('/after-sales/{caseId}/cancel', { params: { path: { caseId } }, body: {} })),
    onSuccess: refresh,
  });
  if (item.isLoading) return <Skeleton active />;
  if (!item.data) return <ProblemAlert error={item.error} />;
  const data = item.data;
  const names = new Map((order.data?.lines ?? []).map((line) => [line.lineNo, line.name]));
  const refund = order.data?.payment?.refunds.find((entry) => entry.caseId === data.caseId || (data.refundId && entry.refundId === data.refundId));

  return (
    <Flex vertical gap={12} data-testid="case-page" data-status={data.status}>
      <Card size="small">
        <Flex justify="space-between" align="center" gap={8} wrap>
          <Typography.Title level={1} style={{ fontSize: 18, margin: 0 }}>
            {t(`shop.afterSales.types.${data.type}`)}
          </Typography.Title>
          <span data-testid="case-status">
            <StatusTag status={data.status} />
          </span>
        </Flex>
        <Typography.Paragraph style={{ margin: '8px 0 0' }} data-testid="case-waiting">
          {t(`shop.afterSales.waiting.${data.waitingFor}`)}
          {data.deadline && data.waitingFor !== 'done' && (
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {' '}
              ({t('shop.afterSales.deadline', { at: dateTime(data.deadline) })})
            </Typography.Text>
          )}
        </Typography.Paragraph>
      </Card>

      {data.waitingFor === 'return_shipment' && can('POST /after-sales/{caseId}/return-shipment') && (
        <Card size="small" title={t('shop.afterSales.sendReturnTitle')}>
          <Typography.Paragraph type="secondary">{t('shop.afterSales.sendReturnHelp')}</Typography.Paragraph>
          <ReturnShipmentForm caseId={caseId} onDone={refresh} />
        </Card>
      )}

      <Card size="small" title={t('shop.afterSales.summary')}>
        <Descriptions
          column={1}
          size="small"
          items={[
            { key: 'amount', label: t('shop.afterSales.amount'), children: <Money value={data.amount} strong /> },
            { key: 'reason', label: t('shop.afterSales.reason'), children: t(`shop.afterSales.reasons.${data.reason}`) },
            ...(data.note ? [{ key: 'note', label: t('shop.afterSales.note'), children: data.note }] : []),
            {
              key: 'lines',
              label: t('shop.afterSales.lines'),
              children: data.lines.map((line) => `${names.get(line.lineNo) ?? line.skuId} × ${line.quantity}`).join(', '),
            },
            { key: 'created', label: t('shop.afterSales.opened'), children: dateTime(data.createdAt) },
            {
              key: 'order',
              label: t('shop.afterSales.order'),
              children: (
                <Typography.Link onClick={() => navigate(`/shop/orders/${data.orderId}`)}>
                  {order.data ? t('shop.orders.number', { number: order.data.orderNumber }) : data.orderId}
                </Typography.Link>
              ),
            },
          ]}
        />
      </Card>

      {(refund || data.refundId) && (
        <Card size="small" title={t('shop.afterSales.refund')} data-testid="case-refund" data-status={refund?.status ?? ''}>
          {refund ? (
            <Flex justify="space-between" align="center">
              <Money value={refund.amount} strong />
              <StatusTag status={refund.status} />
            </Flex>
          ) : (
            <Typography.Text type="secondary">{t('shop.afterSales.refundStarted')}</Typography.Text>
          )}
          {refund?.status === 'SUCCEEDED' && (
            <Typography.Paragraph style={{ margin: '8px 0 0', color: TONES.good.color }} data-testid="refund-paid">
              {t('shop.afterSales.refundPaid', { method: t(`enums.paymentMethod.${refund.method}`) })}
            </Typography.Paragraph>
          )}
        </Card>
      )}

      {data.returnShipment && (
        <Card size="small" title={t('shop.afterSales.returnParcel')} data-testid="case-return-shipment">
          <Typography.Paragraph style={{ margin: 0 }}>
            {label(`shop.carriers.${data.returnShipment.carrier}`, data.returnShipment.carrier)} · <Typography.Text copyable>{data.returnShipment.trackingNumber}</Typography.Text>
          </Typography.Paragraph>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {dateTime(data.returnShipment.at)}
          </Typography.Text>
          {data.returnShipment.events.length > 0 && (
            <Timeline
              style={{ marginTop: 8 }}
              items={data.returnShipment.events.map((event) =>
                timelineEntry(event.eventId, label(`shop.tracking.${event.status}`, event.status), `${dateTime(event.occurredAt)}${event.location ? ` · ${event.location}` : ''}`),
              )}
            />
          )}
        </Card>
      )}

      <Card size="small" title={t('shop.afterSales.progress')}>
        <Timeline
          data-testid="case-decisions"
          items={[
            timelineEntry('opened', t('shop.afterSales.actions.opened'), dateTime(data.createdAt)),
            ...data.decisions.map((decision, index) =>
              timelineEntry(
                `${decision.at}-${index}`,
                label(`shop.afterSales.actions.${decision.action}`, decision.action),
                `${dateTime(decision.at)}${decision.note ? ` · ${decision.note}` : ''}`,
              ),
            ),
          ]}
        />
      </Card>

      <ProblemAlert error={withdraw.error} />
      {['REQUESTED', 'AWAITING_RETURN'].includes(data.status) && can('POST /after-sales/{caseId}/cancel') && (
        <Popconfirm title={t('shop.afterSales.withdrawConfirm')} onConfirm={() => withdraw.mutate()} okText={t('common.yes')} cancelText={t('common.no')}>
          <Button danger block loading={withdraw.isPending} data-testid="case-withdraw">
            {t('shop.afterSales.withdraw')}
          </Button>
        </Popconfirm>
      )}
    </Flex>
  );
}
