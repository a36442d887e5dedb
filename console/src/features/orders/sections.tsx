// The sections of the order detail page, each reading its own API answer.

import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  App, Button, Card, Checkbox, Descriptions, Empty, Flex, Form, Grid, Input, List, Radio, Select, Space, Table, Tag,
  Timeline, Typography,
} from 'antd';
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { api, unwrap, type Schemas } from '../../api/client';
import { useSession } from '../../auth/SessionProvider';
import { DataList, type DataListProps } from '../../components/DataList';
import { Money } from '../../components/Money';
import { ProblemAlert } from '../../components/ProblemAlert';
import { StatusTag } from '../../components/StatusTag';
import { useI18n } from '../../i18n/I18nProvider';
import { ActionModal } from './ActionModal';
import { asRecord, named, remainingToShip, type Order } from './api';
import { CHANNELS } from './BatchActions';
import { VoucherActions } from './VoucherActions';

type Line = Order['lines'][number];
type MoneyOut = Schemas['MoneyOut'];

/** Long ids (28 characters, no spaces) break anywhere rather than widen the table. */
const breakAll = () => ({ style: { wordBreak: 'break-all' as const } });

/** An amount taken off, shown negative (zero stays zero). */
function off(value: MoneyOut): MoneyOut {
  return { ...value, amount: value.amount ? -value.amount : 0 };
}

function isMoney(value: unknown): value is MoneyOut {
  const record = asRecord(value);
  return !!record && typeof record.amount === 'number' && typeof record.currency === 'string';
}

/**
 * A detail table: cards on phones (DataList), on wider screens a table whose long ids wrap instead of
 * scrolling sideways (a scrolling region without anything focusable is out of reach of the keyboard).
 */
function DetailTable<T extends object>(props: DataListProps<T>) {
  const { t } = useI18n();
  const phone = Grid.useBreakpoint().md === false;
  if (phone) return <DataList<T> {...props} />;
  return (
    <div data-testid={props.testId} data-layout="table" style={{ overflowWrap: 'anywhere' }}>
      <Table<T>
        size="small"
        loading={props.loading}
        dataSource={props.rows}
        columns={props.columns}
        rowKey={(row) => props.rowKey(row)}
        pagination={false}
        locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('common.empty')} /> }}
      />
    </div>
  );
}

function Section({ title, testId, children, extra }: { title: string; testId: string; children: React.ReactNode; extra?: React.ReactNode }) {
  return (
    <Card title={title} size="small" data-testid={testId} extra={extra} style={{ marginBottom: 16 }}>
      {children}
    </Card>
  );
}

// ── Lines and the price breakdown ────────────────────────────────────────────────────────────────

export function LinesSection({ order }: { order: Order }) {
  const { t } = useI18n();
  return (
    <Section title={t('orders.detail.lines')} testId="lines-section">
      <DetailTable<Line>
        testId="order-lines"
        rows={order.lines}
        rowKey={(line) => String(line.lineNo)}
        cardTitle={(line) => `#${line.lineNo} ${line.name}`}
        columns={[
          {
            key: 'item',
            title: t('orders.field.name'),
            render: (_, line) => (
              <>
                <div>{line.name}</div>
                <Typography.Text type="secondary">
                  #{line.lineNo} · {line.skuId}
                </Typography.Text>
              </>
            ),
          },
          { key: 'unitPrice', title: t('orders.field.unitPrice'), align: 'right', render: (_, line) => <Money value={line.unitPrice} /> },
          { key: 'quantity', title: t('orders.field.quantity'), dataIndex: 'quantity', align: 'right' },
          { key: 'lineTotal', title: t('orders.field.lineTotal'), align: 'right', render: (_, line) => <Money value={line.lineTotal} /> },
          { key: 'discount', title: t('orders.field.discount'), align: 'right', render: (_, line) => <Money value={line.discount} /> },
          { key: 'shipping', title: t('orders.field.shipping'), align: 'right', render: (_, line) => <Money value={line.shipping} /> },
          { key: 'payable', title: t('orders.field.payable'), align: 'right', render: (_, line) => <Money value={line.payable} strong /> },
        ]}
      />
    </Section>
  );
}

interface Adjustment {
  source?: string;
  id?: string;
  kind?: string;
  target?: string;
  amount?: MoneyOut;
}

function adjustments(value: unknown): Adjustment[] {
  if (!Array.isArray(value)) return value && asRecord(value) ? [asRecord(value) as Adjustment] : [];
  return value.map((item) => (asRecord(item) ?? {}) as Adjustment);
}

export function BreakdownSection({ order }: { order: Order }) {
  const { t, number } = useI18n();
  const b = order.breakdown;
  const pricing = asRecord(order.pricing) ?? {};
  const points = asRecord(pricing.points) ?? {};
  const found = [
    ...adjustments(pricing.promotions).map((item) => ({ ...item, label: t('orders.breakdown.promotion') })),
    ...adjustments(pricing.coupons).map((item) => ({ ...item, label: t('orders.breakdown.coupon') })),
    ...adjustments(pricing.manual).map((item) => ({ ...item, label: t('orders.breakdown.manual') })),
  ];
  const items = [
    { key: 'subtotal', label: t('orders.breakdown.subtotal'), children: <Money value={b.subtotal} /> },
    { key: 'shipping', label: t('orders.breakdown.shipping'), children: <Money value={b.shipping} /> },
    ...(isMoney(pricing.shippingDiscount) && pricing.shippingDiscount.amount
      ? [{ key: 'shippingDiscount', label: t('orders.breakdown.shippingDiscount'), children: <Money value={off(pricing.shippingDiscount)} /> }]
      : []),
    ...found.map((item, index) => ({
      key: `adj-${index}`,
      label: `${item.label}${item.id && item.source !== 'manual' ? ` ${item.id}` : ''}`,
      children: item.amount ? <Money value={off(item.amount)} /> : '—',
    })),
    { key: 'discount', label: t('orders.breakdown.discount'), children: <Money value={off(b.discount)} /> },
    ...(b.pointsUsed
      ? [{
          key: 'points',
          label: t('orders.breakdown.pointsUsed', { points: number(b.pointsUsed) }),
          children: isMoney(points.value) ? <Money value={off(points.value)} /> : number(b.pointsUsed),
        }]
      : []),
    { key: 'total', label: t('orders.breakdown.total'), children: <Money value={b.total} strong /> },
    ...(b.balanceUsed && b.balanceUsed.amount
      ? [{ key: 'balance', label: t('orders.breakdown.balanceUsed'), children: <Money value={off(b.balanceUsed)} /> }]
      : []),
    ...(b.amountDue ? [{ key: 'due', label: t('orders.breakdown.amountDue'), children: <Money value={b.amountDue} strong /> }] : []),
    ...(b.pointsEarned ? [{ key: 'earned', label: t('orders.breakdown.pointsEarned'), children: number(b.pointsEarned) }] : []),
    ...(order.reportingTotal && order.reportingTotal.currency !== order.currency
      ? [{ key: 'reporting', label: t('orders.field.reportingTotal'), children: <Money value={order.reportingTotal} /> }]
      : []),
  ];
  return (
    <Section title={t('orders.detail.breakdown')} testId="breakdown-section">
      <Descriptions column={1} size="small" bordered items={items} />
    </Section>
  );
}

// ── Summary: customer, address (with the personal-data reveal), manual order record ─────────────

export function SummarySection({ order }: { order: Order }) {
  const { t, dateTime } = useI18n();
  const { can } = useSession();
  const [revealed, setRevealed] = useState<Record<string, unknown> | null>(null);
  const address = revealed ?? asRecord(order.shippingAddress);
  const manual = asRecord(order.manual);
  const cancellation = asRecord(order.cancellation);
  const text = (value: unknown) => (value === null || value === undefined || value === '' ? null : String(value));
  const items = [
    {
      key: 'customer',
      label: t('orders.field.customerId'),
      children: <Link to={`/orders?customerId=${encodeURIComponent(order.customerId)}`}>{order.customerId}</Link>,
    },
    { key: 'stores', label: t('orders.field.stores'), children: order.storeIds.join(', ') },
    { key: 'created', label: t('orders.field.createdAt'), children: dateTime(order.createdAt) },
    { key: 'updated', label: t('orders.field.updatedAt'), children: dateTime(order.updatedAt) },
    ...(order.status === 'PENDING_PAYMENT' ? [{ key: 'deadline', label: t('orders.field.paymentDeadline'), children: dateTime(order.paymentDeadline) }] : []),
    ...(order.deliveredAt ? [{ key: 'delivered', label: t('orders.field.deliveredAt'), children: dateTime(order.deliveredAt) }] : []),
    ...(order.autoConfirmAt ? [{ key: 'autoConfirm', label: t('orders.field.autoConfirmAt'), children: dateTime(order.autoConfirmAt) }] : []),
    ...(order.note ? [{ key: 'note', label: t('orders.field.shopperNote'), children: <span style={{ whiteSpace: 'pre-wrap' }}>{order.note}</span> }] : []),
  ];
  return (
    <Section title={t('orders.detail.summary')} testId="summary-section">
      <Descriptions column={1} size="small" items={items} />
      {address && (
        <>
          <Typography.Title level={5} style={{ marginTop: 12 }}>
            {t('orders.detail.address')}
          </Typography.Title>
          <div data-testid="shipping-address">
            <div>
              {text(address.name)} {text(address.phone)}
            </div>
            <div>{[address.line1, address.line2].map(text).filter(Boolean).join(', ')}</div>
            <div>{[address.city, address.region, address.postalCode, address.country].map(text).filter(Boolean).join(', ')}</div>
          </div>
          {can('POST /orders/{orderId}/personal-data/reveal') && !revealed && (
            <div style={{ marginTop: 8 }}>
              <ActionModal<{ fields: Schemas['ContactField'][]; reason: string }, Schemas['ContactRevealed']>
                testId="action-reveal"
                label={t('orders.reveal.button')}
                title={t('orders.reveal.title')}
                button={{ size: 'small' }}
                initialValues={{ fields: ['name', 'phone', 'address'] }}
                submit={async (values) =>
                  unwrap(
                    await api().POST('/orders/{orderId}/personal-data/reveal', {
                      params: { path: { orderId: order.orderId } },
                      body: { fields: values.fields, reason: values.reason.trim() },
                    }),
                  )
                }
                onDone={(result) => setRevealed(asRecord(result.shippingAddress))}
              >
                <Typography.Paragraph type="secondary">{t('orders.reveal.help')}</Typography.Paragraph>
                <Form.Item name="fields" label={t('orders.reveal.fields')} rules={[{ required: true, type: 'array', min: 1 }]}>
                  <Checkbox.Group options={(['name', 'phone', 'address'] as const).map((value) => ({ value, label: t(`orders.reveal.field.${value}`) }))} />
                </Form.Item>
                <Form.Item name="reason" label={t('common.reason')} rules={[{ required: true, whitespace: true, max: 500 }]}>
                  <Input />
                </Form.Item>
              </ActionModal>
            </div>
          )}
        </>
      )}
      {manual && (
        <>
          <Typography.Title level={5} style={{ marginTop: 12 }}>
            {t('orders.detail.manual')}
          </Typography.Title>
          <Descriptions
            column={1}
            size="small"
            data-testid="manual-record"
            items={[
              { key: 'by', label: t('orders.manual.placedBy'), children: `${text(manual.by) ?? '—'} (${text(manual.role) ?? '—'}) · ${dateTime(text(manual.at))}` },
              { key: 'mode', label: t('orders.manual.paymentMode'), children: named(t, 'orders.manual.modes', text(manual.paymentMode)) },
              ...(manual.discountReason ? [{ key: 'reason', label: t('orders.manual.discountReason'), children: text(manual.discountReason) }] : []),
              ...(manual.paymentLink ? [{ key: 'link', label: t('orders.manual.paymentLink'), children: <Typography.Text copyable>{text(manual.paymentLink)}</Typography.Text> }] : []),
              ...(asRecord(manual.paidOffline)
                ? [{ key: 'offline', label: t('orders.manual.paidOffline'), children: `${text(asRecord(manual.paidOffline)?.reference) ?? ''} · ${dateTime(text(asRecord(manual.paidOffline)?.at))}` }]
                : []),
            ]}
          />
        </>
      )}
      {cancellation && (
        <>
          <Typography.Title level={5} style={{ marginTop: 12 }}>
            {t('orders.detail.cancellation')}
          </Typography.Title>
          <Descriptions
            column={1}
            size="small"
            items={Object.entries(cancellation)
              .filter(([, value]) => typeof value === 'string' || typeof value === 'number')
              .map(([key, value]) => ({ key, label: key, children: key.endsWith('At') ? dateTime(String(value)) : String(value) }))}
          />
        </>
      )}
    </Section>
  );
}

// ── Child orders, parcels and shipments ──────────────────────────────────────────────────────────

export function ShipmentsSection({ order }: { order: Order }) {
  const { t, dateTime } = useI18n();
  const { can } = useSession();
  const { message } = App.useApp();
  const client = useQueryClient();
  const shipments = useQuery({
    queryKey: ['orders', order.orderId, 'shipments'],
    queryFn: async () => unwrap(await api().GET('/orders/{orderId}/shipments', { params: { path: { orderId: order.orderId } } })),
  });
  const release = useMutation({
    mutationFn: async (childOrderId: string) =>
      unwrap(await api().POST('/orders/{orderId}/release', { params: { path: { orderId: childOrderId } } })),
    onSuccess: async () => {
      message.success(t('orders.ship.released'));
      await client.invalidateQueries({ queryKey: ['orders'] });
    },
  });
  const mayShip = can('POST /orders/{orderId}/shipments');
  const names = Object.fromEntries(order.lines.map((line) => [line.lineNo, line.name]));
  return (
    <Section title={t('orders.detail.children')} testId="shipments-section">
      <ProblemAlert error={shipments.error ?? release.error} style={{ marginBottom: 8 }} />
      <Flex vertical gap={12}>
        {order.children.map((child) => {
          const parcels = (shipments.data?.items ?? []).filter((item) => item.childOrderId === child.childOrderId);
          const left = remainingToShip(child);
          return (
            <Card
              key={child.childOrderId}
              size="small"
              type="inner"
              data-testid="child-order"
              title={
                <Flex gap={8} wrap align="center">
                  <span>{child.childOrderId}</span>
                  <StatusTag status={child.status} />
                </Flex>
              }
              extra={
                mayShip &&
                ['PAID', 'PARTIALLY_SHIPPED'].includes(order.status) &&
                child.status === 'AWAITING_SHIPMENT' &&
                !child.releasedAt &&
                child.handling !== 'virtual' ? (
                  <Button
                    size="small"
                    loading={release.isPending && release.variables === child.childOrderId}
                    onClick={() => release.mutate(child.childOrderId)}
                    data-testid="action-release"
                  >
                    {t('orders.ship.release')}
                  </Button>
                ) : null
              }
            >
              <Descriptions
                size="small"
                column={{ xs: 1, sm: 2, lg: 3 }}
                items={[
                  { key: 'wh', label: t('orders.ship.warehouse'), children: child.warehouseId },
                  { key: 'store', label: t('orders.field.stores'), children: child.storeId },
                  { key: 'handling', label: t('orders.ship.handling'), children: named(t, 'orders.handling', child.handling) },
                  { key: 'total', label: t('orders.field.total'), children: <Money value={child.total} /> },
                  { key: 'released', label: t('orders.ship.releasedAt'), children: dateTime(child.releasedAt) },
                  ...(child.crossBorder ? [{ key: 'cb', label: t('orders.ship.crossBorder'), children: t('common.yes') }] : []),
                ]}
              />
              <List
                size="small"
                dataSource={left}
                renderItem={(line) => {
                  const total = child.lines.find((item) => item.lineNo === line.lineNo)?.quantity ?? 0;
                  return (
                    <List.Item>
                      #{line.lineNo} {line.skuId} {names[line.lineNo] ?? ''} — {t('orders.ship.shippedOf', { shipped: total - line.remaining, total })}
                    </List.Item>
                  );
                }}
              />
              {parcels.length > 0 ? (
                parcels.map((parcel) => (
                  <Card key={parcel.shipmentId} size="small" style={{ marginTop: 8 }} data-testid="shipment">
                    <Flex gap={8} wrap align="center">
                      <Tag>{parcel.carrier}</Tag>
                      <Typography.Text copyable data-testid="tracking-number">
                        {parcel.trackingNumber}
                      </Typography.Text>
                      <StatusTag status={parcel.status} />
                      <Typography.Text type="secondary">
                        {parcel.lines.map((line) => `#${line.lineNo}×${line.quantity}`).join(', ')}
                      </Typography.Text>
                    </Flex>
                    {parcel.tracking && parcel.tracking.length > 0 && (
                      <Timeline
                        style={{ marginTop: 12 }}
                        items={parcel.tracking.map((event, index) => ({
                          key: index,
                          content: (
                            <span>
                              <strong>{String(event.status ?? '')}</strong> · {dateTime(String(event.occurredAt ?? ''))}
                              {event.location ? ` · ${String(event.location)}` : ''}
                              {event.source ? ` · ${String(event.source)}` : ''}
                            </span>
                          ),
                        }))}
                      />
                    )}
                  </Card>
                ))
              ) : (
                child.parcels && child.parcels.length > 1 && (
                  <Typography.Text type="secondary">{t('orders.ship.parcelsPlanned', { count: child.parcels.length })}</Typography.Text>
                )
              )}
            </Card>
          );
        })}
      </Flex>
    </Section>
  );
}

// ── Payments: attempts (with the bank transfer review), refunds, ledger ─────────────────────────

export function PaymentsSection({ order }: { order: Order }) {
  const { t, dateTime } = useI18n();
  const { can } = useSession();
  const payments = useQuery({
    queryKey: ['orders', order.orderId, 'payments'],
    queryFn: async () => unwrap(await api().GET('/orders/{orderId}/payments', { params: { path: { orderId: order.orderId } } })),
  });
  const data = payments.data;
  const mayReview = can('POST /orders/{orderId}/payments/{paymentId}/review');
  return (
    <Section title={t('orders.detail.payments')} testId="payments-section">
      <ProblemAlert error={payments.error} />
      {data && (
        <>
          <Descriptions
            size="small"
            column={{ xs: 1, sm: 2, lg: 5 }}
            items={[
              { key: 'status', label: t('orders.payments.status'), children: <Tag data-testid="payment-status">{named(t, 'orders.payments.statuses', data.status)}</Tag> },
              { key: 'owed', label: t('orders.payments.owed'), children: <Money value={data.owed} /> },
              { key: 'received', label: t('orders.payments.received'), children: <Money value={data.received} /> },
              { key: 'refunded', label: t('orders.payments.refunded'), children: <Money value={data.refunded} /> },
              { key: 'outstanding', label: t('orders.payments.outstanding'), children: <Money value={data.outstanding} strong /> },
            ]}
          />
          <Typography.Title level={5}>{t('orders.payments.attempts')}</Typography.Title>
          <DetailTable<Schemas['Attempt']>
            testId="payment-attempts"
            rows={data.attempts}
            rowKey={(row) => row.paymentId}
            cardTitle={(row) => `${named(t, 'enums.paymentMethod', row.method)} · ${row.status}`}
            columns={[
              { key: 'method', title: t('orders.field.paymentMethod'), render: (_, row) => named(t, 'enums.paymentMethod', row.method) },
              { key: 'status', title: t('orders.field.status'), render: (_, row) => <StatusTag status={row.status} /> },
              { key: 'amount', title: t('orders.payments.amount'), align: 'right', render: (_, row) => <Money value={row.amount} /> },
              { key: 'received', title: t('orders.payments.received'), align: 'right', render: (_, row) => <Money value={row.received} /> },
              { key: 'ref', title: t('orders.payments.providerReference'), onCell: breakAll, render: (_, row) => row.providerReference ?? '—' },
              { key: 'id', title: t('orders.payments.paymentId'), onCell: breakAll, dataIndex: 'paymentId' },
              { key: 'created', title: t('orders.field.createdAt'), render: (_, row) => dateTime(row.createdAt) },
              {
                key: 'review',
                title: t('orders.payments.review'),
                render: (_, row) => {
                  const review = asRecord(row.review);
                  if (review) return `${String(review.decision ?? '')} · ${String(review.by ?? '')}`;
                  if (mayReview && row.method === 'bank_transfer' && ['PENDING', 'CREATED', 'FAILED', 'EXPIRED'].includes(row.status)) {
                    return <ReviewAction orderId={order.orderId} paymentId={row.paymentId} />;
                  }
                  return '—';
                },
              },
            ]}
          />
          {data.refunds.length > 0 && (
            <>
              <Typography.Title level={5}>{t('orders.payments.refundLegs')}</Typography.Title>
              <DetailTable<Schemas['Refund']>
                rows={data.refunds}
                rowKey={(row) => row.refundId}
                columns={[
                  { key: 'id', title: t('orders.refunds.id'), onCell: breakAll, dataIndex: 'refundId' },
                  { key: 'status', title: t('orders.field.status'), render: (_, row) => <StatusTag status={row.status} /> },
                  { key: 'route', title: t('orders.refunds.route'), dataIndex: 'route' },
                  { key: 'amount', title: t('orders.payments.amount'), align: 'right', render: (_, row) => <Money value={row.amount} /> },
                  { key: 'reason', title: t('common.reason'), render: (_, row) => row.reason ?? '—' },
                  { key: 'error', title: t('orders.refunds.lastError'), render: (_, row) => row.lastError ?? '—' },
                ]}
              />
            </>
          )}
          {data.ledger.length > 0 && (
            <>
              <Typography.Title level={5}>{t('orders.payments.ledger')}</Typography.Title>
              <DetailTable<Schemas['LedgerLine']>
                testId="ledger"
                rowKey={(row) => `${row.postingId}-${row.account}`}
                cardTitle={(row) => named(t, 'orders.payments.kinds', row.kind)}
                rows={data.ledger}
                columns={[
                  { key: 'at', title: t('orders.payments.at'), render: (_, row) => dateTime(row.at) },
                  { key: 'kind', title: t('orders.payments.kind'), render: (_, row) => named(t, 'orders.payments.kinds', row.kind) },
                  { key: 'account', title: t('orders.payments.account'), onCell: breakAll, dataIndex: 'account' },
                  { key: 'amount', title: t('orders.payments.amount'), align: 'right', render: (_, row) => <Money value={row.amount} /> },
                  { key: 'memo', title: t('orders.payments.memo'), dataIndex: 'memo' },
                ]}
              />
            </>
          )}
        </>
      )}
    </Section>
  );
}

function ReviewAction({ orderId, paymentId }: { orderId: string; paymentId: string }) {
  const { t } = useI18n();
  return (
    <ActionModal<{ decision: 'approve' | 'reject'; reason?: string }>
      testId="action-review-payment"
      label={t('orders.payments.reviewButton')}
      title={t('orders.payments.reviewTitle')}
      button={{ size: 'small' }}
      initialValues={{ decision: 'approve' }}
      submit={async (values) =>
        unwrap(
          await api().POST('/orders/{orderId}/payments/{paymentId}/review', {
            params: { path: { orderId, paymentId } },
            body: { decision: values.decision, reason: values.reason?.trim() || null },
          }),
        )
      }
    >
      {(form) => (
        <>
          <Form.Item name="decision" label={t('orders.batch.decision')}>
            <Radio.Group
              options={[
                { value: 'approve', label: t('orders.payments.approve') },
                { value: 'reject', label: t('orders.payments.reject') },
              ]}
            />
          </Form.Item>
          <Form.Item noStyle shouldUpdate={(a, b) => a.decision !== b.decision}>
            {() => (
              <Form.Item
                name="reason"
                label={t('common.reason')}
                rules={[{ required: form.getFieldValue('decision') === 'reject', whitespace: true, max: 500 }]}
              >
                <Input />
              </Form.Item>
            )}
          </Form.Item>
        </>
      )}
    </ActionModal>
  );
}

// ── Refund requests ──────────────────────────────────────────────────────────────────────────────

export function RefundsSection({ order }: { order: Order }) {
  const { t, dateTime } = useI18n();
  const { can } = useSession();
  const mayResolve = can('POST /orders/{orderId}/refunds/{refundId}/resolve');
  const refunds = useQuery({
    queryKey: ['orders', order.orderId, 'refunds'],
    queryFn: async () => unwrap(await api().GET('/orders/{orderId}/refunds', { params: { path: { orderId: order.orderId } } })),
  });
  const items = refunds.data?.items ?? [];
  return (
    <Section title={t('orders.detail.refunds')} testId="refunds-section">
      <ProblemAlert error={refunds.error} />
      <DetailTable<Schemas['RefundSummary']>
        rows={items}
        loading={refunds.isLoading}
        rowKey={(row) => row.refundId}
        cardTitle={(row) => row.refundId}
        columns={[
          { key: 'id', title: t('orders.refunds.id'), onCell: breakAll, dataIndex: 'refundId' },
          {
            key: 'status',
            title: t('orders.field.status'),
            render: (_, row) => (
              <>
                <StatusTag status={row.status} />
                {row.status === 'FAILED' && mayResolve && (
                  <div>
                    <Link to="/refunds" data-testid="refund-resolve-link">
                      {t('orders.refunds.resolve')}
                    </Link>
                  </div>
                )}
              </>
            ),
          },
          { key: 'amount', title: t('orders.payments.amount'), align: 'right', render: (_, row) => <Money value={row.amount} /> },
          { key: 'reason', title: t('common.reason'), render: (_, row) => named(t, 'orders.refund.reasons', row.reason) },
          { key: 'units', title: t('orders.refunds.units'), render: (_, row) => row.units.map((unit) => `#${unit.lineNo}×${unit.quantity}`).join(', ') || (row.shipping ? t('orders.refund.shipping') : '—') },
          { key: 'legs', title: t('orders.refunds.legs'), render: (_, row) => row.legs.map((leg) => `${leg.method} ${leg.status}`).join(', ') },
          { key: 'case', title: t('orders.refunds.case'), render: (_, row) => (row.caseId ? <Link to={`/after-sales/${row.caseId}`}>{row.caseId}</Link> : '—') },
          { key: 'created', title: t('orders.field.createdAt'), render: (_, row) => dateTime(row.createdAt) },
        ]}
      />
    </Section>
  );
}

// ── After-sales cases ────────────────────────────────────────────────────────────────────────────

export function AfterSalesSection({ order }: { order: Order }) {
  const { t, dateTime } = useI18n();
  const cases = useQuery({
    queryKey: ['orders', order.orderId, 'after-sales'],
    queryFn: async () => unwrap(await api().GET('/orders/{orderId}/after-sales', { params: { path: { orderId: order.orderId } } })),
  });
  return (
    <Section title={t('orders.detail.afterSales')} testId="aftersales-section">
      <ProblemAlert error={cases.error} />
      <DetailTable<Schemas['Case']>
        rows={cases.data?.items ?? []}
        loading={cases.isLoading}
        rowKey={(row) => row.caseId}
        cardTitle={(row) => <Link to={`/after-sales/${row.caseId}`}>{row.caseId}</Link>}
        columns={[
          { key: 'case', title: t('orders.afterSales.case'), onCell: breakAll, render: (_, row) => <Link to={`/after-sales/${row.caseId}`} data-testid="case-link">{row.caseId}</Link> },
          { key: 'type', title: t('orders.afterSales.type'), render: (_, row) => t(`orders.afterSales.types.${row.type}`) },
          { key: 'status', title: t('orders.field.status'), render: (_, row) => <StatusTag status={row.status} /> },
          { key: 'reason', title: t('common.reason'), render: (_, row) => t(`orders.afterSales.reasons.${row.reason}`) },
          { key: 'amount', title: t('orders.payments.amount'), align: 'right', render: (_, row) => <Money value={row.amount} /> },
          { key: 'child', title: t('orders.ship.child'), dataIndex: 'childOrderId' },
          { key: 'created', title: t('orders.field.createdAt'), render: (_, row) => dateTime(row.createdAt) },
        ]}
      />
    </Section>
  );
}

// ── Virtual goods' vouchers ──────────────────────────────────────────────────────────────────────

export function VouchersSection({ order }: { order: Order }) {
  const { t, dateTime } = useI18n();
  const vouchers = useQuery({
    queryKey: ['orders', order.orderId, 'vouchers'],
    queryFn: async () => unwrap(await api().GET('/orders/{orderId}/vouchers', { params: { path: { orderId: order.orderId } } })),
  });
  return (
    <Section title={t('orders.detail.vouchers')} testId="vouchers-section">
      <ProblemAlert error={vouchers.error} />
      {vouchers.data && <VoucherActions orderId={order.orderId} vouchers={vouchers.data.vouchers} />}
      <DetailTable<Schemas['Voucher']>
        testId="vouchers"
        rows={vouchers.data?.vouchers ?? []}
        loading={vouchers.isLoading}
        rowKey={(row) => row.voucherId}
        cardTitle={(row) => `${row.skuId} · ${t(`orders.vouchers.kinds.${row.kind}`)}`}
        columns={[
          { key: 'sku', title: t('orders.field.sku'), render: (_, row) => `#${row.lineNo} ${row.skuId}` },
          { key: 'kind', title: t('orders.vouchers.kind'), render: (_, row) => t(`orders.vouchers.kinds.${row.kind}`) },
          {
            key: 'state',
            title: t('orders.field.status'),
            render: (_, row) => (
              <span data-testid="voucher-state" data-voucher={row.voucherId}>
                <StatusTag status={row.state} />
                {row.reason && ['FROZEN', 'REJECTED'].includes(row.state) && (
                  <Typography.Text type="secondary" style={{ display: 'block' }}>
                    {row.reason}
                  </Typography.Text>
                )}
              </span>
            ),
          },
          { key: 'code', title: t('orders.vouchers.code'), render: (_, row) => row.masked ?? (row.url ? <a href={row.url} target="_blank" rel="noreferrer">{row.url}</a> : '—') },
          { key: 'delivered', title: t('orders.vouchers.deliveredAt'), render: (_, row) => dateTime(row.deliveredAt) },
          { key: 'valid', title: t('orders.vouchers.validUntil'), render: (_, row) => dateTime(row.validUntil) },
        ]}
      />
    </Section>
  );
}

// ── The merged timeline ──────────────────────────────────────────────────────────────────────────

const KIND_COLORS: Record<string, string> = {
  'payment.succeeded': 'green', 'payment.failed': 'red', 'refund.failed': 'red', 'anomaly.opened': 'red',
  'shipment.created': 'blue', 'shipment.tracking': 'blue', note: 'gray', communication: 'gray', 'staff.action': 'orange',
};

export function TimelineSection({ order }: { order: Order }) {
  const { t, dateTime } = useI18n();
  const timeline = useInfiniteQuery({
    queryKey: ['orders', order.orderId, 'timeline'],
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam }) =>
      unwrap(await api().GET('/orders/{orderId}/timeline', { params: { path: { orderId: order.orderId }, query: { limit: 50, cursor: pageParam } } })),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
  const items = timeline.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <Section title={t('orders.detail.timeline')} testId="timeline-section">
      <ProblemAlert error={timeline.error} />
      {items.length === 0 && !timeline.isLoading ? (
        <Empty description={t('common.empty')} />
      ) : (
        <Timeline
          items={items.map((item) => ({
            key: `${item.kind}-${item.id}-${item.at}`,
            color: KIND_COLORS[item.kind] ?? 'blue',
            content: (
              <div data-testid="timeline-item" data-kind={item.kind}>
                <Typography.Text type="secondary">{dateTime(item.at)}</Typography.Text>{' '}
                <Tag>{named(t, 'orders.timeline.kinds', item.kind)}</Tag>
                <div style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}>{item.summary}</div>
                {item.actor && (
                  <Typography.Text type="secondary">
                    {item.actor.id ?? '—'} · {named(t, 'roles', item.actor.role)}
                  </Typography.Text>
                )}
              </div>
            ),
          }))}
        />
      )}
      {timeline.hasNextPage && (
        <Button onClick={() => timeline.fetchNextPage()} loading={timeline.isFetchingNextPage} data-testid="timeline-more">
          {t('common.loadMore')}
        </Button>
      )}
    </Section>
  );
}

// ── Notes and recorded communications ────────────────────────────────────────────────────────────

interface NoteForm {
  kind: Schemas['NoteKind'];
  visibility: Schemas['NoteVisibility'];
  channel?: Schemas['CommunicationChannel'];
  text: string;
}

export function NotesSection({ order }: { order: Order }) {
  const { t, dateTime } = useI18n();
  const { can } = useSession();
  const client = useQueryClient();
  const [form] = Form.useForm<NoteForm>();
  const kind = Form.useWatch('kind', form);
  const notes = useQuery({
    queryKey: ['orders', order.orderId, 'notes'],
    queryFn: async () => unwrap(await api().GET('/orders/{orderId}/notes', { params: { path: { orderId: order.orderId } } })),
  });
  const add = useMutation({
    mutationFn: async (values: NoteForm) =>
      unwrap(
        await api().POST('/orders/{orderId}/notes', {
          params: { path: { orderId: order.orderId } },
          body:
            values.kind === 'communication'
              ? { kind: 'communication', text: values.text, visibility: 'internal', channel: values.channel }
              : { kind: 'note', text: values.text, visibility: values.visibility },
        }),
      ),
    onSuccess: async () => {
      form.resetFields();
      await client.invalidateQueries({ queryKey: ['orders', order.orderId] });
    },
  });
  return (
    <Section title={t('orders.detail.notes')} testId="notes-section">
      {can('POST /orders/{orderId}/notes') && (
        <Form<NoteForm>
          form={form}
          layout="vertical"
          initialValues={{ kind: 'note', visibility: 'internal' }}
          onFinish={(values) => add.mutate(values)}
          data-testid="note-form"
        >
          <Space wrap>
            <Form.Item name="kind" label={t('orders.notes.kind')}>
              <Radio.Group
                optionType="button"
                options={(['note', 'communication'] as const).map((value) => ({ value, label: t(`orders.notes.kinds.${value}`) }))}
              />
            </Form.Item>
            {kind === 'communication' ? (
              <Form.Item name="channel" label={t('orders.notes.channel')} rules={[{ required: true }]}>
                <Select style={{ minWidth: 140 }} options={CHANNELS.map((value) => ({ value, label: t(`orders.notes.channels.${value}`) }))} />
              </Form.Item>
            ) : (
              <Form.Item name="visibility" label={t('orders.notes.visibility')}>
                <Radio.Group options={(['internal', 'shopper'] as const).map((value) => ({ value, label: t(`orders.notes.visibilities.${value}`) }))} />
              </Form.Item>
            )}
          </Space>
          <Form.Item name="text" label={t('orders.notes.text')} rules={[{ required: true, whitespace: true, max: 2000 }]}>
            <Input.TextArea rows={3} maxLength={2000} showCount data-testid="note-text" />
          </Form.Item>
          <ProblemAlert error={add.error} style={{ marginBottom: 8 }} />
          <Button type="primary" htmlType="submit" loading={add.isPending} data-testid="note-add">
            {t('orders.notes.add')}
          </Button>
        </Form>
      )}
      <ProblemAlert error={notes.error} />
      <List
        style={{ marginTop: 12 }}
        loading={notes.isLoading}
        dataSource={notes.data?.items ?? []}
        locale={{ emptyText: <Typography.Text type="secondary">{t('orders.notes.none')}</Typography.Text> }}
        renderItem={(note) => (
          <List.Item data-testid="note-item">
            <Flex vertical gap={4} style={{ width: '100%' }}>
              <Flex gap={6} wrap align="center">
                <Tag color={note.kind === 'communication' ? 'purple' : 'default'}>{t(`orders.notes.kinds.${note.kind}`)}</Tag>
                {note.channel && <Tag>{t(`orders.notes.channels.${note.channel}`)}</Tag>}
                <Tag color={note.visibility === 'shopper' ? 'blue' : 'default'}>{t(`orders.notes.visibilities.${note.visibility}`)}</Tag>
                <Typography.Text type="secondary">
                  {note.by ?? '—'}
                  {note.role ? ` (${note.role})` : ''} · {dateTime(note.at)}
                </Typography.Text>
              </Flex>
              {/* The text is rendered as text, never as markup. */}
              <div style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }} data-testid="note-body">
                {note.text}
              </div>
            </Flex>
          </List.Item>
        )}
      />
    </Section>
  );
}
