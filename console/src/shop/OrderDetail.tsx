// One of my orders: status and its history, lines, amounts, payment and refunds, the address, every parcel
// with its tracking events, after-sales cases; and what the shopper may do now: pay, cancel an unpaid
// order, confirm receipt, ask for a refund or a return.

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { App, Button, Card, Descriptions, Flex, Popconfirm, Result, Select, Skeleton, Tag, Timeline, Typography } from 'antd';
import { useState } from 'react';
import { useNavigate, useParams, useSearchParams } from 'react-router-dom';
import { api, unwrap, type Schemas } from '../api/client';
import { useSession } from '../auth/SessionProvider';
import { Money } from '../components/Money';
import { ProblemAlert } from '../components/ProblemAlert';
import { StatusTag } from '../components/StatusTag';
import { useI18n } from '../i18n/I18nProvider';
import { AddressSummary } from './Addresses';
import { ItemList, timelineEntry, TONES, useLabel } from './parts';
import { afterPayment, createPayment, PAID_STATES, PAYMENT_METHODS } from './payment';

type Order = Schemas['Order'];
type TrackingEvent = { status?: string; occurredAt?: string; location?: string | null; description?: string | null; source?: string };

export function useOrder(orderId: string) {
  return useQuery({
    queryKey: ['shop', 'order', orderId],
    queryFn: async () => unwrap(await api().GET('/orders/{orderId}', { params: { path: { orderId } } })) as Order,
  });
}

export function useOrderCases(orderId: string, enabled = true) {
  return useQuery({
    queryKey: ['shop', 'order-cases', orderId],
    queryFn: async () => unwrap(await api().GET('/orders/{orderId}/after-sales', { params: { path: { orderId } } })),
    enabled,
  });
}

/** Whether a child order's goods have arrived (a return may be asked for). */
export function delivered(status: string): boolean {
  return status === 'DELIVERED' || status === 'COMPLETED';
}

function Amount({ label, value, testId, strong }: { label: string; value: Schemas['MoneyOut'] | null | undefined; testId: string; strong?: boolean }) {
  if (!value) return null;
  return (
    <Flex justify="space-between" data-testid={testId} style={{ padding: '2px 0' }}>
      <Typography.Text strong={strong}>{label}</Typography.Text>
      <Money value={value} strong={strong} />
    </Flex>
  );
}

function PayNow({ order }: { order: Order }) {
  const { t } = useI18n();
  const navigate = useNavigate();
  const [method, setMethod] = useState<string>('alipay');
  const open = order.payment?.attempts.find((attempt) => ['CREATED', 'PENDING'].includes(attempt.status));
  const pay = useMutation({
    mutationFn: () => createPayment(order.orderId, method),
    onSuccess: (payment) => navigate(afterPayment(payment)),
  });
  return (
    <Flex vertical gap={8}>
      {open && (
        <Button type="primary" block onClick={() => navigate(`/shop/pay/${order.orderId}/${open.paymentId}`)} data-testid="continue-payment">
          {t('shop.order.continuePayment', { method: t(`enums.paymentMethod.${open.method}`) })}
        </Button>
      )}
      <Flex gap={8}>
        <Select
          value={method}
          onChange={setMethod}
          aria-label={t('shop.checkout.payment')}
          options={PAYMENT_METHODS.map((item) => ({ value: item, label: t(`enums.paymentMethod.${item}`) }))}
          style={{ flex: 1 }}
        />
        <Button type={open ? 'default' : 'primary'} loading={pay.isPending} onClick={() => pay.mutate()} data-testid="pay-now">
          {t('shop.order.pay')}
        </Button>
      </Flex>
      <ProblemAlert error={pay.error} />
    </Flex>
  );
}

export function OrderDetail() {
  const { orderId = '' } = useParams();
  const [params] = useSearchParams();
  const { t, dateTime, number } = useI18n();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const client = useQueryClient();
  const { can } = useSession();
  const label = useLabel();
  const order = useOrder(orderId);
  const shipments = useQuery({
    queryKey: ['shop', 'shipments', orderId],
    queryFn: async () => unwrap(await api().GET('/orders/{orderId}/shipments', { params: { path: { orderId } } })),
    enabled: !!order.data && PAID_STATES.includes(order.data.status),
  });
  const cases = useOrderCases(orderId, !!order.data && !!order.data.payment && order.data.payment.received.amount > 0);
  const refresh = () =>
    Promise.all([
      client.invalidateQueries({ queryKey: ['shop', 'order', orderId] }),
      client.invalidateQueries({ queryKey: ['shop', 'orders'] }),
      client.invalidateQueries({ queryKey: ['shop', 'shipments', orderId] }),
    ]);
  const cancel = useMutation({
    mutationFn: async () => unwrap(await api().POST('/orders/{orderId}/cancel', { params: { path: { orderId } }, body: { reason: 'cancelled by the shopper' } })),
    onSuccess: async () => {
      message.success(t('shop.order.cancelled'));
      await refresh();
    },
  });
  const confirm = useMutation({
    mutationFn: async () => unwrap(await api().POST('/orders/{orderId}/confirm-receipt', { params: { path: { orderId } } })),
    onSuccess: async () => {
      message.success(t('shop.order.confirmed'));
      await refresh();
    },
  });

  if (order.isLoading) return <Skeleton active />;
  if (!order.data) return <ProblemAlert error={order.error} />;
  const data = order.data;
  const status = data.status;
  const names = new Map(data.lines.map((line) => [line.lineNo, line.name]));
  const refunds = data.payment?.refunds ?? [];
  const anyDelivered = data.children.some((child) => delivered(child.status));

  return (
    <Flex vertical gap={12} data-testid="order-detail" data-status={status}>
      {params.get('paid') === '1' && PAID_STATES.includes(status) && <Result status="success" title={t('shop.pay.paidTitle')} style={{ padding: 8 }} />}
      <Card size="small">
        <Flex justify="space-between" align="center" gap={8} wrap>
          <div>
            <Typography.Title level={1} style={{ fontSize: 18, margin: 0 }}>
              {t('shop.orders.number', { number: data.orderNumber })}
            </Typography.Title>
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {dateTime(data.createdAt)}
            </Typography.Text>
          </div>
          <span data-testid="order-status">
            <StatusTag status={status} />
          </span>
        </Flex>
        {status === 'PENDING_PAYMENT' && data.paymentDeadline && (
          <Typography.Paragraph style={{ margin: '8px 0 0', color: TONES.warn.color }}>
            {t('shop.order.payBy', { at: dateTime(data.paymentDeadline) })}
          </Typography.Paragraph>
        )}
        {data.autoConfirmAt && status === 'DELIVERED' && (
          <Typography.Paragraph type="secondary" style={{ margin: '8px 0 0', fontSize: 12 }}>
            {t('shop.order.autoConfirm', { at: dateTime(data.autoConfirmAt) })}
          </Typography.Paragraph>
        )}
      </Card>

      <ProblemAlert error={cancel.error ?? confirm.error} />
      <Card size="small" title={t('shop.order.actions')} data-testid="order-actions">
        <Flex vertical gap={8}>
          {status === 'PENDING_PAYMENT' && can('POST /orders/{orderId}/payments') && <PayNow order={data} />}
          {status === 'PENDING_PAYMENT' && can('POST /orders/{orderId}/cancel') && (
            <Popconfirm title={t('shop.order.cancelConfirm')} onConfirm={() => cancel.mutate()} okText={t('common.yes')} cancelText={t('common.no')}>
              <Button danger block loading={cancel.isPending} data-testid="cancel-order">
                {t('shop.order.cancel')}
              </Button>
            </Popconfirm>
          )}
          {(status === 'SHIPPED' || status === 'DELIVERED' || status === 'PARTIALLY_SHIPPED') && can('POST /orders/{orderId}/confirm-receipt') && (
            <Popconfirm title={t('shop.order.confirmReceiptConfirm')} onConfirm={() => confirm.mutate()} okText={t('common.yes')} cancelText={t('common.no')}>
              <Button type="primary" block loading={confirm.isPending} data-testid="confirm-receipt">
                {t('shop.order.confirmReceipt')}
              </Button>
            </Popconfirm>
          )}
          {PAID_STATES.includes(status) && can('POST /orders/{orderId}/after-sales') && (
            <Flex gap={8} wrap>
              <Button style={{ flex: 1 }} onClick={() => navigate(`/shop/orders/${orderId}/after-sales?type=refund_only`)} data-testid="request-refund">
                {t('shop.order.requestRefund')}
              </Button>
              {anyDelivered && (
                <Button style={{ flex: 1 }} onClick={() => navigate(`/shop/orders/${orderId}/after-sales?type=return_refund`)} data-testid="request-return">
                  {t('shop.order.requestReturn')}
                </Button>
              )}
            </Flex>
          )}
          {['CANCELLED', 'CLOSED'].includes(status) && <Typography.Text type="secondary">{t('shop.order.nothingToDo')}</Typography.Text>}
        </Flex>
      </Card>

      {(cases.data?.items.length ?? 0) > 0 && (
        <Card size="small" title={t('shop.afterSales.title')} data-testid="order-cases">
          <ItemList
            items={cases.data!.items}
            rowKey={(item) => item.caseId}
            attrs={(item) => ({ 'data-testid': `case-${item.caseId}`, 'data-status': item.status })}
            render={(item) => (
              <Flex justify="space-between" align="center" gap={8}>
                <div>
                  <Flex gap={6} wrap align="center">
                    <span>{t(`shop.afterSales.types.${item.type}`)}</span>
                    <StatusTag status={item.status} />
                  </Flex>
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    <Money value={item.amount} /> · {t(`shop.afterSales.waiting.${item.waitingFor}`)}
                  </Typography.Text>
                </div>
                <Button size="small" onClick={() => navigate(`/shop/after-sales/${item.caseId}`)} data-testid="open-case">
                  {t('common.details')}
                </Button>
              </Flex>
            )}
          />
        </Card>
      )}

      <Card size="small" title={t('shop.order.lines')}>
        <ItemList
          items={data.lines}
          rowKey={(line) => String(line.lineNo)}
          attrs={(line) => ({ 'data-testid': `order-line-${line.skuId}` })}
          render={(line) => (
              <Flex justify="space-between" style={{ width: '100%' }} gap={8}>
                <div style={{ minWidth: 0 }}>
                  <div>{line.name}</div>
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {line.skuId} · <Money value={line.unitPrice} /> × {line.quantity}
                  </Typography.Text>
                </div>
                <div style={{ textAlign: 'end' }}>
                  <Money value={line.payable} />
                  {line.discount.amount > 0 && (
                    <div>
                      <Typography.Text type="secondary" delete style={{ fontSize: 12 }}>
                        <Money value={line.lineTotal} />
                      </Typography.Text>
                    </div>
                  )}
                </div>
              </Flex>
          )}
        />
      </Card>

      <Card size="small" title={t('shop.order.amounts')} data-testid="order-amounts">
        <Amount label={t('shop.quote.goods')} value={data.breakdown.subtotal} testId="amount-subtotal" />
        {data.breakdown.discount.amount > 0 && (
          <Amount label={t('shop.order.discount')} value={{ ...data.breakdown.discount, amount: -data.breakdown.discount.amount }} testId="amount-discount" />
        )}
        {(data.breakdown.pointsUsed ?? 0) > 0 && (
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {t('shop.order.pointsUsed', { points: number(data.breakdown.pointsUsed ?? 0) })}
          </Typography.Text>
        )}
        <Amount label={t('shop.quote.shipping')} value={data.breakdown.shipping} testId="amount-shipping" />
        {(data.breakdown.balanceUsed?.amount ?? 0) > 0 && <Amount label={t('shop.quote.balance')} value={data.breakdown.balanceUsed} testId="amount-balance" />}
        <Amount label={t('shop.quote.total')} value={data.breakdown.total} testId="amount-total" strong />
        {data.payment && (
          <>
            <Amount label={t('shop.order.received')} value={data.payment.received} testId="amount-received" />
            {data.payment.refunded.amount > 0 && <Amount label={t('shop.order.refunded')} value={data.payment.refunded} testId="amount-refunded" />}
          </>
        )}
      </Card>

      {refunds.length > 0 && (
        <Card size="small" title={t('shop.order.refunds')} data-testid="order-refunds">
          <ItemList
            items={refunds}
            rowKey={(refund) => refund.refundId}
            attrs={(refund) => ({ 'data-testid': `refund-${refund.refundId}`, 'data-status': refund.status })}
            render={(refund) => (
                <Flex justify="space-between" style={{ width: '100%' }} align="center" gap={8}>
                  <div>
                    <Money value={refund.amount} strong /> <StatusTag status={refund.status} />
                    <div>
                      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                        {t(`enums.paymentMethod.${refund.method}`)} · {dateTime(refund.createdAt)}
                      </Typography.Text>
                    </div>
                  </div>
                </Flex>
            )}
          />
        </Card>
      )}

      <Card size="small" title={t('shop.order.shipTo')}>
        <AddressSummary address={data.shippingAddress} />
      </Card>

      {PAID_STATES.includes(status) && (
        <Card size="small" title={t('shop.order.parcels')} data-testid="order-shipments">
          <ProblemAlert error={shipments.error} />
          {shipments.data && shipments.data.items.length === 0 && <Typography.Text type="secondary">{t('shop.order.noParcels')}</Typography.Text>}
          <Flex vertical gap={12}>
            {shipments.data?.items.map((shipment) => (
              <div key={shipment.shipmentId} data-testid={`shipment-${shipment.trackingNumber}`} data-status={shipment.status}>
                <Flex justify="space-between" align="center" gap={8} wrap style={{ marginBottom: 8 }}>
                  <span>
                    <Tag>{label(`shop.carriers.${shipment.carrier}`, shipment.carrier)}</Tag>
                    <Typography.Text copyable>{shipment.trackingNumber}</Typography.Text>
                  </span>
                  <Tag style={shipment.status === 'DELIVERED' ? TONES.good : TONES.info} data-testid="shipment-status">
                    {label(`shop.tracking.${shipment.status}`, shipment.status)}
                  </Tag>
                </Flex>
                <Typography.Text type="secondary" style={{ fontSize: 12, display: 'block', marginBottom: 6 }}>
                  {shipment.lines.map((line) => `${names.get(line.lineNo) ?? line.lineNo} × ${line.quantity}`).join(', ')}
                </Typography.Text>
                <Timeline
                  items={[...((shipment.tracking ?? []) as TrackingEvent[])].reverse().map((event, index) =>
                    timelineEntry(
                      `${event.occurredAt}-${index}`,
                      label(`shop.tracking.${event.status ?? ''}`, event.status ?? ''),
                      `${dateTime(event.occurredAt)}${event.location ? ` · ${event.location}` : ''}${event.description ? ` · ${event.description}` : ''}`,
                      event.status === 'DELIVERED' ? 'green' : event.status === 'EXCEPTION' ? 'red' : 'blue',
                    ),
                  )}
                />
              </div>
            ))}
          </Flex>
        </Card>
      )}

      <Card size="small" title={t('shop.order.history')}>
        <Timeline
          data-testid="order-history"
          items={[...data.history].reverse().map((entry, index) => timelineEntry(`${entry.at}-${index}`, <StatusTag status={entry.to} />, dateTime(entry.at)))}
        />
      </Card>

      {data.note && (
        <Card size="small" title={t('shop.checkout.note')}>
          <Descriptions column={1} size="small" items={[{ key: 'note', label: t('shop.checkout.note'), children: data.note }]} />
        </Card>
      )}
    </Flex>
  );
}
