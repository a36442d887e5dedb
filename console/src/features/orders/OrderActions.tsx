// The order's actions, each shown only when the role passes its route's edge and the order's state makes
// it sensible: cancel, ship, deliver virtual goods, risk review, refund, edit (If-Match), offline payment,
// after-sales case, special flag, hold and release.

import { MinusCircleOutlined, PlusOutlined } from '@ant-design/icons';
import { Button, Checkbox, DatePicker, Flex, Form, Input, InputNumber, Radio, Select, Space, Typography, Upload } from 'antd';
import type { Dayjs } from 'dayjs';
import { useState } from 'react';
import { api, unwrap, type Schemas } from '../../api/client';
import { ApiProblem } from '../../api/problem';
import { useSession } from '../../auth/SessionProvider';
import { toMinorUnits } from '../../i18n/format';
import { useI18n } from '../../i18n/I18nProvider';
import { ActionModal } from './ActionModal';
import { asRecord, hasVirtual, remainingToShip, shippableChildren, type Order } from './api';
import type { SearchFlag } from './filters';

export const CASE_REASONS: Schemas['CaseReason'][] = [
  'not_received', 'damaged', 'defective', 'wrong_item', 'not_as_described', 'missing_parts', 'size_or_fit', 'changed_mind', 'other',
];
export const REFUND_REASONS: Schemas['RefundReason'][] = [
  'customer_request', 'staff_adjustment', 'damaged', 'not_received', 'wrong_item', 'other',
];

const AFTER_SALES_STATUSES: string[] = ['PAID', 'PARTIALLY_SHIPPED', 'SHIPPED', 'DELIVERED', 'COMPLETED'];

interface Props {
  order: Order;
  flags: SearchFlag[];
}

export function OrderActions({ order, flags }: Props) {
  const { t } = useI18n();
  const { can } = useSession();
  const status = order.status;
  const orderId = order.orderId;
  const path = { orderId };
  const paid = order.payment ? order.payment.received.amount - order.payment.refunded.amount > 0 : false;
  const manual = asRecord(order.manual);
  const actions = [];

  if (can('POST /orders/{orderId}/cancel') && ['PENDING_PAYMENT', 'PAID', 'PARTIALLY_SHIPPED', 'ON_HOLD'].includes(status)) {
    actions.push(
      <ActionModal<{ reason?: string }, Order>
        key="cancel"
        testId="action-cancel"
        label={t('orders.actions.cancel')}
        title={t('orders.actions.cancelTitle')}
        button={{ danger: true }}
        submit={async (values) =>
          unwrap(await api().POST('/orders/{orderId}/cancel', { params: { path }, body: { reason: values.reason?.trim() || null } }))
        }
        success={(result) =>
          result.notCancelled?.length
            ? t('orders.actions.cancelPartly', { count: result.notCancelled.length })
            : t('orders.actions.cancelled')
        }
      >
        <Typography.Paragraph>{status === 'PENDING_PAYMENT' ? t('orders.actions.cancelUnpaid') : t('orders.actions.cancelPaid')}</Typography.Paragraph>
        <Form.Item name="reason" label={t('common.reason')} rules={[{ max: 500 }]}>
          <Input.TextArea rows={2} maxLength={500} data-testid="cancel-reason" />
        </Form.Item>
      </ActionModal>,
    );
  }

  const shippable = shippableChildren(order);
  if (can('POST /orders/{orderId}/shipments') && shippable.length > 0) {
    actions.push(<ShipAction key="ship" order={order} shippable={shippable} />);
  }

  if (can('POST /orders/{orderId}/deliveries') && hasVirtual(order) && ['PAID', 'PARTIALLY_SHIPPED', 'SHIPPED'].includes(status)) {
    actions.push(
      <ActionModal<{ activateAt?: Dayjs | null }, Schemas['Delivery']>
        key="deliver"
        testId="action-deliver"
        label={t('orders.actions.deliver')}
        title={t('orders.actions.deliverTitle')}
        submit={async (values) =>
          unwrap(
            await api().POST('/orders/{orderId}/deliveries', {
              params: { path },
              body: values.activateAt ? { activateAt: values.activateAt.toDate().toISOString() } : null,
            }),
          )
        }
        success={(result) => t('orders.actions.delivered', { count: result.delivered })}
      >
        <Typography.Paragraph>{t('orders.actions.deliverHelp')}</Typography.Paragraph>
        <Form.Item name="activateAt" label={t('orders.actions.activateAt')}>
          <DatePicker showTime style={{ width: '100%' }} />
        </Form.Item>
      </ActionModal>,
    );
  }

  if (can('POST /orders/{orderId}/risk-review') && status === 'ON_HOLD' && flags.includes('risk-review')) {
    actions.push(
      <ActionModal<{ decision: Schemas['RiskDecision']; reason: string }>
        key="risk"
        testId="action-risk-review"
        label={t('orders.actions.riskReview')}
        title={t('orders.actions.riskReview')}
        initialValues={{ decision: 'approve' }}
        submit={async (values) =>
          unwrap(await api().POST('/orders/{orderId}/risk-review', { params: { path }, body: { decision: values.decision, reason: values.reason.trim() } }))
        }
      >
        <Form.Item name="decision" label={t('orders.batch.decision')}>
          <Radio.Group
            options={[
              { value: 'approve', label: t('orders.actions.riskApprove') },
              { value: 'reject', label: t('orders.actions.riskReject') },
            ]}
          />
        </Form.Item>
        <Form.Item name="reason" label={t('common.reason')} rules={[{ required: true, whitespace: true, max: 500 }]}>
          <Input.TextArea rows={2} maxLength={500} />
        </Form.Item>
      </ActionModal>,
    );
  }

  if (can('POST /orders/{orderId}/refunds') && paid && status !== 'PENDING_PAYMENT') {
    actions.push(<RefundAction key="refund" order={order} />);
  }

  if (can('PATCH /orders/{orderId}') && status === 'PENDING_PAYMENT') {
    actions.push(<EditAction key="edit" order={order} />);
  }

  if (can('POST /admin/orders/{orderId}/offline-payment') && status === 'PENDING_PAYMENT' && manual?.paymentMode === 'offline') {
    actions.push(<OfflinePaymentAction key="offline" order={order} />);
  }

  if (can('POST /orders/{orderId}/after-sales') && AFTER_SALES_STATUSES.includes(status)) {
    actions.push(<AfterSalesAction key="after-sales" order={order} />);
  }

  const special = flags.includes('special');
  if (can(special ? 'DELETE /orders/{orderId}/flags/special' : 'PUT /orders/{orderId}/flags/special')) {
    actions.push(
      <ActionModal<{ reason?: string }>
        key="flag"
        testId={special ? 'action-unflag' : 'action-flag'}
        label={special ? t('orders.actions.unflag') : t('orders.actions.flag')}
        title={special ? t('orders.actions.unflag') : t('orders.actions.flag')}
        submit={async (values) => {
          const body = { reason: values.reason?.trim() || null };
          return special
            ? unwrap(await api().DELETE('/orders/{orderId}/flags/special', { params: { path }, body }))
            : unwrap(await api().PUT('/orders/{orderId}/flags/special', { params: { path }, body }));
        }}
      >
        <Form.Item name="reason" label={t('common.reason')} rules={[{ max: 500 }]}>
          <Input.TextArea rows={2} maxLength={500} />
        </Form.Item>
      </ActionModal>,
    );
  }

  if (can('POST /orders/{orderId}/hold') && ['PAID', 'PARTIALLY_SHIPPED'].includes(status)) {
    actions.push(
      <ActionModal<{ reason: string }>
        key="hold"
        testId="action-hold"
        label={t('orders.actions.hold')}
        title={t('orders.actions.hold')}
        submit={async (values) => unwrap(await api().POST('/orders/{orderId}/hold', { params: { path }, body: { reason: values.reason.trim() } }))}
      >
        <Typography.Paragraph>{t('orders.actions.holdHelp')}</Typography.Paragraph>
        <Form.Item name="reason" label={t('common.reason')} rules={[{ required: true, whitespace: true, max: 500 }]}>
          <Input.TextArea rows={2} maxLength={500} />
        </Form.Item>
      </ActionModal>,
    );
  }
  if (can('POST /orders/{orderId}/release-hold') && status === 'ON_HOLD' && !flags.includes('risk-review') && !flags.includes('abnormal')) {
    actions.push(
      <ActionModal<{ reason: string }>
        key="release-hold"
        testId="action-release-hold"
        label={t('orders.actions.releaseHold')}
        title={t('orders.actions.releaseHold')}
        submit={async (values) =>
          unwrap(await api().POST('/orders/{orderId}/release-hold', { params: { path }, body: { reason: values.reason.trim() } }))
        }
      >
        <Form.Item name="reason" label={t('common.reason')} rules={[{ required: true, whitespace: true, max: 500 }]}>
          <Input.TextArea rows={2} maxLength={500} />
        </Form.Item>
      </ActionModal>,
    );
  }

  if (actions.length === 0) return null;
  return (
    <Space wrap data-testid="order-actions">
      {actions}
    </Space>
  );
}

// ── Ship ─────────────────────────────────────────────────────────────────────────────────────────

interface ShipForm {
  childOrderId: string;
  carrier: string;
  trackingNumber: string;
  quantities: Record<string, number | null>;
}

function ShipAction({ order, shippable: children }: { order: Order; shippable: Schemas['ChildOrder'][] }) {
  const { t } = useI18n();
  const [childId, setChildId] = useState(children[0].childOrderId);
  const child = children.find((item) => item.childOrderId === childId) ?? children[0];
  const remaining = remainingToShip(child);
  const names = Object.fromEntries(order.lines.map((line) => [line.lineNo, line.name]));
  return (
    <ActionModal<ShipForm>
      testId="action-ship"
      label={t('orders.actions.ship')}
      title={t('orders.actions.shipTitle')}
      button={{ type: 'primary' }}
      initialValues={{
        childOrderId: children[0].childOrderId,
        quantities: Object.fromEntries(remainingToShip(children[0]).map((line) => [String(line.lineNo), line.remaining])),
      }}
      submit={async (values) => {
        const lines = remaining
          .map((line) => ({ lineNo: line.lineNo, quantity: Number(values.quantities?.[String(line.lineNo)] ?? 0) }))
          .filter((line) => line.quantity > 0);
        if (lines.length === 0) throw new ApiProblem(422, { title: t('orders.ship.nothing'), detail: t('orders.ship.nothing') });
        return unwrap(
          await api().POST('/orders/{orderId}/shipments', {
            params: { path: { orderId: values.childOrderId } },
            body: { carrier: values.carrier.trim(), trackingNumber: values.trackingNumber.trim(), lines },
          }),
        );
      }}
    >
      {(form) => (
        <>
          <Form.Item name="childOrderId" label={t('orders.ship.child')} rules={[{ required: true }]}>
            <Select
              data-testid="ship-child"
              onChange={(value: string) => {
                setChildId(value);
                const next = children.find((item) => item.childOrderId === value);
                if (next) form.setFieldValue('quantities', Object.fromEntries(remainingToShip(next).map((line) => [String(line.lineNo), line.remaining])));
              }}
              options={children.map((item) => ({
                value: item.childOrderId,
                label: `${item.childOrderId} · ${item.warehouseId} · ${t(`status.${item.status}`)}`,
              }))}
            />
          </Form.Item>
          <Form.Item
            name="carrier"
            label={t('orders.ship.carrier')}
            rules={[{ required: true, pattern: /^[a-z0-9-]{2,20}$/, message: t('orders.ship.carrierRule') }]}
          >
            <Input data-testid="ship-carrier" placeholder="sf" />
          </Form.Item>
          <Form.Item name="trackingNumber" label={t('orders.ship.trackingNumber')} rules={[{ required: true, whitespace: true, max: 64 }]}>
            <Input data-testid="ship-tracking" />
          </Form.Item>
          <Typography.Text strong>{t('orders.ship.lines')}</Typography.Text>
          {remaining.map((line) => (
            <Form.Item
              key={line.lineNo}
              name={['quantities', String(line.lineNo)]}
              label={`#${line.lineNo} ${line.skuId} ${names[line.lineNo] ?? ''} (${t('orders.ship.left', { count: line.remaining })})`}
            >
              <InputNumber min={0} max={line.remaining} precision={0} disabled={line.remaining === 0} />
            </Form.Item>
          ))}
        </>
      )}
    </ActionModal>
  );
}

// ── Refund ───────────────────────────────────────────────────────────────────────────────────────

interface RefundForm {
  mode: 'lines' | 'amount';
  childOrderId?: string;
  quantities?: Record<string, number | null>;
  shipping?: boolean;
  amount?: string;
  reason: Schemas['RefundReason'];
  note?: string;
  toBalance?: boolean;
}

function RefundAction({ order }: { order: Order }) {
  const { t, money } = useI18n();
  const children = order.children.filter((child) => child.status !== 'CANCELLED');
  const [childId, setChildId] = useState(children[0]?.childOrderId);
  const child = children.find((item) => item.childOrderId === childId);
  const names = Object.fromEntries(order.lines.map((line) => [line.lineNo, line.name]));
  const refundable = order.payment ? order.payment.received.amount - order.payment.refunded.amount : 0;
  return (
    <ActionModal<RefundForm>
      testId="action-refund"
      label={t('orders.actions.refund')}
      title={t('orders.actions.refundTitle')}
      width={640}
      initialValues={{ mode: children.length ? 'lines' : 'amount', childOrderId: children[0]?.childOrderId, reason: 'customer_request' }}
      submit={async (values, key) => {
        const body: Schemas['RefundIn'] = { reason: values.reason, note: values.note?.trim() || null, toBalance: !!values.toBalance, shipping: false };
        if (values.mode === 'amount') {
          const amount = toMinorUnits(values.amount ?? '', order.currency);
          body.amount = { amount, currency: order.currency };
        } else {
          body.childOrderId = values.childOrderId;
          body.lines = Object.entries(values.quantities ?? {})
            .map(([lineNo, quantity]) => ({ lineNo: Number(lineNo), quantity: Number(quantity ?? 0) }))
            .filter((line) => line.quantity > 0);
          body.shipping = !!values.shipping;
        }
        return unwrap(await api().POST('/orders/{orderId}/refunds', { params: { path: { orderId: order.orderId }, header: { 'Idempotency-Key': key } }, body }));
      }}
    >
      {(form) => (
        <>
          <Typography.Paragraph type="secondary">
            {t('orders.refund.refundable', { amount: money(refundable, order.currency) })}
          </Typography.Paragraph>
          <Form.Item name="mode" label={t('orders.refund.mode')}>
            <Radio.Group
              options={[
                { value: 'lines', label: t('orders.refund.byLines'), disabled: children.length === 0 },
                { value: 'amount', label: t('orders.refund.byAmount') },
              ]}
            />
          </Form.Item>
          <Form.Item noStyle shouldUpdate={(a, b) => a.mode !== b.mode}>
            {() =>
              form.getFieldValue('mode') === 'amount' ? (
                <Form.Item
                  name="amount"
                  label={t('orders.refund.amount', { currency: order.currency })}
                  rules={[
                    { required: true },
                    {
                      validator: (_, value) => {
                        const minor = toMinorUnits(value ?? '', order.currency);
                        return Number.isFinite(minor) && minor > 0 ? Promise.resolve() : Promise.reject(new Error(t('orders.filters.badAmount')));
                      },
                    },
                  ]}
                >
                  <Input inputMode="decimal" data-testid="refund-amount" />
                </Form.Item>
              ) : (
                <>
                  <Form.Item name="childOrderId" label={t('orders.ship.child')} rules={[{ required: true }]}>
                    <Select
                      onChange={(value: string) => setChildId(value)}
                      options={children.map((item) => ({ value: item.childOrderId, label: `${item.childOrderId} · ${t(`status.${item.status}`)}` }))}
                    />
                  </Form.Item>
                  {child?.lines.map((line) => (
                    <Form.Item key={line.lineNo} name={['quantities', String(line.lineNo)]} label={`#${line.lineNo} ${line.skuId} ${names[line.lineNo] ?? ''} (×${line.quantity})`}>
                      <InputNumber min={0} max={line.quantity} precision={0} />
                    </Form.Item>
                  ))}
                  <Form.Item name="shipping" valuePropName="checked">
                    <Checkbox>{t('orders.refund.shipping')}</Checkbox>
                  </Form.Item>
                </>
              )
            }
          </Form.Item>
          <Form.Item name="reason" label={t('common.reason')} rules={[{ required: true }]}>
            <Select options={REFUND_REASONS.map((value) => ({ value, label: t(`orders.refund.reasons.${value}`) }))} />
          </Form.Item>
          <Form.Item name="note" label={t('common.note')} rules={[{ max: 2000 }]}>
            <Input.TextArea rows={2} maxLength={2000} />
          </Form.Item>
          <Form.Item name="toBalance" valuePropName="checked">
            <Checkbox>{t('orders.refund.toBalance')}</Checkbox>
          </Form.Item>
        </>
      )}
    </ActionModal>
  );
}

// ── Edit an unpaid order ─────────────────────────────────────────────────────────────────────────

interface AddressForm {
  name: string;
  phone: string;
  line1: string;
  line2?: string;
  city: string;
  region?: string;
  postalCode?: string;
  country: string;
}

interface EditForm {
  lines: { skuId: string; quantity: number }[];
  changeAddress?: boolean;
  address?: AddressForm;
  priceMode?: 'none' | 'bps' | 'amount';
  percent?: number | null;
  amount?: string;
  priceReason?: string;
}

export function addressBody(address: AddressForm): Schemas['AddressIn'] {
  const optional = (value?: string) => (value && value.trim() ? value.trim() : null);
  return {
    name: address.name.trim(),
    phone: address.phone.trim(),
    line1: address.line1.trim(),
    line2: optional(address.line2),
    city: address.city.trim(),
    region: optional(address.region),
    postalCode: optional(address.postalCode),
    country: address.country.trim().toUpperCase(),
  };
}

export function AddressFields({ prefix }: { prefix: string[] }) {
  const { t } = useI18n();
  const required = [{ required: true, whitespace: true }];
  return (
    <Flex wrap gap={8}>
      <Form.Item name={[...prefix, 'name']} label={t('orders.address.name')} rules={required} style={{ flex: '1 1 200px' }}>
        <Input data-testid="address-name" />
      </Form.Item>
      <Form.Item name={[...prefix, 'phone']} label={t('orders.address.phone')} rules={required} style={{ flex: '1 1 200px' }}>
        <Input data-testid="address-phone" />
      </Form.Item>
      <Form.Item name={[...prefix, 'line1']} label={t('orders.address.line1')} rules={required} style={{ flex: '1 1 100%' }}>
        <Input data-testid="address-line1" />
      </Form.Item>
      <Form.Item name={[...prefix, 'line2']} label={t('orders.address.line2')} style={{ flex: '1 1 100%' }}>
        <Input />
      </Form.Item>
      <Form.Item name={[...prefix, 'city']} label={t('orders.address.city')} rules={required} style={{ flex: '1 1 160px' }}>
        <Input data-testid="address-city" />
      </Form.Item>
      <Form.Item name={[...prefix, 'region']} label={t('orders.address.region')} style={{ flex: '1 1 160px' }}>
        <Input />
      </Form.Item>
      <Form.Item name={[...prefix, 'postalCode']} label={t('orders.address.postalCode')} style={{ flex: '1 1 120px' }}>
        <Input />
      </Form.Item>
      <Form.Item
        name={[...prefix, 'country']}
        label={t('orders.address.country')}
        rules={[{ required: true, pattern: /^[A-Za-z]{2}$/, message: t('orders.address.countryRule') }]}
        style={{ flex: '1 1 100px' }}
      >
        <Input maxLength={2} data-testid="address-country" />
      </Form.Item>
    </Flex>
  );
}

export function LinesFields({ name = 'lines' }: { name?: string }) {
  const { t } = useI18n();
  return (
    <Form.List name={name} rules={[{ validator: async (_, lines) => (lines?.length ? undefined : Promise.reject(new Error(t('orders.manual.linesRequired')))) }]}>
      {(fields, { add, remove }, { errors }) => (
        <>
          {fields.map((field, index) => (
            <Flex key={field.key} gap={8} align="baseline" wrap>
              <Form.Item
                name={[field.name, 'skuId']}
                label={index === 0 ? t('orders.field.sku') : undefined}
                rules={[{ required: true, whitespace: true, pattern: /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/ }]}
                style={{ flex: '1 1 180px' }}
              >
                <Input aria-label={t('orders.field.sku')} data-testid="line-sku" />
              </Form.Item>
              <Form.Item
                name={[field.name, 'quantity']}
                label={index === 0 ? t('orders.field.quantity') : undefined}
                rules={[{ required: true }]}
                style={{ flex: '0 0 110px' }}
              >
                <InputNumber min={1} max={999} precision={0} aria-label={t('orders.field.quantity')} data-testid="line-quantity" />
              </Form.Item>
              <Button type="text" icon={<MinusCircleOutlined />} onClick={() => remove(field.name)} aria-label={t('orders.manual.removeLine')} />
            </Flex>
          ))}
          <Button type="dashed" onClick={() => add({ quantity: 1 })} icon={<PlusOutlined />} data-testid="line-add">
            {t('orders.manual.addLine')}
          </Button>
          <Form.ErrorList errors={errors} />
        </>
      )}
    </Form.List>
  );
}

function EditAction({ order }: { order: Order }) {
  const { t } = useI18n();
  const address = asRecord(order.shippingAddress) as Partial<AddressForm> | null;
  return (
    <ActionModal<EditForm>
      testId="action-edit"
      label={t('orders.actions.edit')}
      title={t('orders.actions.editTitle')}
      width={720}
      initialValues={{
        lines: order.lines.map((line) => ({ skuId: line.skuId, quantity: line.quantity })),
        priceMode: 'none',
        address: (address ?? undefined) as AddressForm | undefined,
      }}
      submit={async (values) => {
        const body: Schemas['OrderEditIn'] = { lines: values.lines.map((line) => ({ skuId: line.skuId.trim(), quantity: Number(line.quantity) })) };
        if (values.changeAddress && values.address) body.shippingAddress = addressBody(values.address);
        if (values.priceMode === 'bps' && values.percent) {
          body.priceChange = { bps: Math.round(values.percent * 100), reason: (values.priceReason ?? '').trim() };
        } else if (values.priceMode === 'amount' && values.amount) {
          body.priceChange = { amount: { amount: toMinorUnits(values.amount, order.currency), currency: order.currency }, reason: (values.priceReason ?? '').trim() };
        }
        // If-Match is the order's version as read (412 when it moved since).
        return unwrap(
          await api().PATCH('/orders/{orderId}', {
            params: { path: { orderId: order.orderId }, header: { 'If-Match': `"${order.version ?? ''}"` } },
            body,
          }),
        );
      }}
    >
      {(form) => (
        <>
          <Typography.Paragraph type="secondary">{t('orders.edit.help')}</Typography.Paragraph>
          <LinesFields />
          <Form.Item name="changeAddress" valuePropName="checked" style={{ marginTop: 12 }}>
            <Checkbox>{t('orders.edit.changeAddress')}</Checkbox>
          </Form.Item>
          <Form.Item noStyle shouldUpdate={(a, b) => a.changeAddress !== b.changeAddress}>
            {() => (form.getFieldValue('changeAddress') ? <AddressFields prefix={['address']} /> : null)}
          </Form.Item>
          <Form.Item name="priceMode" label={t('orders.edit.priceChange')}>
            <Radio.Group
              options={[
                { value: 'none', label: t('orders.edit.noPriceChange') },
                { value: 'bps', label: t('orders.manual.discountPercent') },
                { value: 'amount', label: t('orders.manual.discountAmount') },
              ]}
            />
          </Form.Item>
          <Form.Item noStyle shouldUpdate={(a, b) => a.priceMode !== b.priceMode}>
            {() => {
              const mode = form.getFieldValue('priceMode');
              if (mode === 'none' || !mode) return null;
              return (
                <>
                  {mode === 'bps' ? (
                    <Form.Item name="percent" label={t('orders.manual.percent')} rules={[{ required: true }]}>
                      <InputNumber min={0.01} max={100} step={0.5} addonAfter="%" />
                    </Form.Item>
                  ) : (
                    <Form.Item name="amount" label={t('orders.refund.amount', { currency: order.currency })} rules={[{ required: true }]}>
                      <Input inputMode="decimal" />
                    </Form.Item>
                  )}
                  <Form.Item name="priceReason" label={t('common.reason')} rules={[{ required: true, whitespace: true, max: 500 }]}>
                    <Input />
                  </Form.Item>
                </>
              );
            }}
          </Form.Item>
        </>
      )}
    </ActionModal>
  );
}

// ── Offline payment with its proof ───────────────────────────────────────────────────────────────

const PROOF_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'application/pdf'] as const;
type ProofType = (typeof PROOF_TYPES)[number];

/** Upload a payment proof: a presigned POST from the API, then the file straight to storage. */
async function uploadProof(orderId: string, file: File): Promise<string> {
  if (!(PROOF_TYPES as readonly string[]).includes(file.type)) {
    throw new ApiProblem(422, { title: 'unsupported file type', detail: file.type || file.name });
  }
  const upload = unwrap(
    await api().POST('/admin/orders/{orderId}/payment-proofs', {
      params: { path: { orderId } },
      body: { contentType: file.type as ProofType, size: file.size },
    }),
  );
  const data = new FormData();
  for (const [name, value] of Object.entries(upload.fields)) data.append(name, String(value));
  data.append('file', file);
  const response = await fetch(upload.url, { method: 'POST', body: data });
  if (!response.ok) throw new ApiProblem(response.status, { title: 'upload failed', detail: await response.text() });
  return upload.key;
}

function OfflinePaymentAction({ order }: { order: Order }) {
  const { t } = useI18n();
  const [file, setFile] = useState<File | null>(null);
  return (
    <ActionModal<{ reference: string }, Schemas['OfflinePayment']>
      testId="action-offline-payment"
      label={t('orders.actions.offlinePayment')}
      title={t('orders.actions.offlinePayment')}
      button={{ type: 'primary' }}
      submit={async (values, key) => {
        const proofKey = file ? await uploadProof(order.orderId, file) : null;
        return unwrap(
          await api().POST('/admin/orders/{orderId}/offline-payment', {
            params: { path: { orderId: order.orderId }, header: { 'Idempotency-Key': key } },
            body: { reference: values.reference.trim(), proofKey },
          }),
        );
      }}
      onDone={() => setFile(null)}
    >
      <Typography.Paragraph type="secondary">{t('orders.offline.help')}</Typography.Paragraph>
      <Form.Item name="reference" label={t('orders.offline.reference')} rules={[{ required: true, whitespace: true, max: 200 }]}>
        <Input data-testid="offline-reference" />
      </Form.Item>
      <Form.Item label={t('orders.offline.proof')} extra={t('orders.offline.proofHelp')}>
        <Upload
          accept={PROOF_TYPES.join(',')}
          maxCount={1}
          beforeUpload={(picked) => {
            setFile(picked);
            return false;
          }}
          onRemove={() => setFile(null)}
          fileList={file ? [{ uid: 'proof', name: file.name, status: 'done' }] : []}
        >
          <Button>{t('orders.offline.pick')}</Button>
        </Upload>
      </Form.Item>
    </ActionModal>
  );
}

// ── Staff after-sales case ───────────────────────────────────────────────────────────────────────

interface CaseForm {
  childOrderId: string;
  type: Schemas['CaseType'];
  reason: Schemas['CaseReason'];
  quantities?: Record<string, number | null>;
  replacements?: Record<string, string>;
  note?: string;
  requestedAmount?: string;
  toBalance?: boolean;
}

function AfterSalesAction({ order }: { order: Order }) {
  const { t } = useI18n();
  const children = order.children.filter((child) => child.status !== 'CANCELLED');
  const [childId, setChildId] = useState(children[0]?.childOrderId);
  const child = children.find((item) => item.childOrderId === childId);
  const names = Object.fromEntries(order.lines.map((line) => [line.lineNo, line.name]));
  if (children.length === 0) return null;
  return (
    <ActionModal<CaseForm, Schemas['Case']>
      testId="action-after-sales"
      label={t('orders.actions.afterSales')}
      title={t('orders.actions.afterSalesTitle')}
      width={640}
      initialValues={{ childOrderId: children[0].childOrderId, type: 'refund_only', reason: 'other' }}
      submit={async (values, key) => {
        const lines = Object.entries(values.quantities ?? {})
          .map(([lineNo, quantity]) => ({ lineNo: Number(lineNo), quantity: Number(quantity ?? 0) }))
          .filter((line) => line.quantity > 0);
        const body: Schemas['CaseIn'] = {
          childOrderId: values.childOrderId,
          type: values.type,
          reason: values.reason,
          lines,
          note: values.note?.trim() || null,
          toBalance: !!values.toBalance,
          evidence: [],
          replacements:
            values.type === 'exchange'
              ? lines
                  .map((line) => ({ lineNo: line.lineNo, skuId: (values.replacements?.[String(line.lineNo)] ?? '').trim() }))
                  .filter((item) => item.skuId)
              : [],
        };
        if (values.requestedAmount?.trim()) {
          body.requestedAmount = { amount: toMinorUnits(values.requestedAmount, order.currency), currency: order.currency };
        }
        return unwrap(
          await api().POST('/orders/{orderId}/after-sales', { params: { path: { orderId: order.orderId }, header: { 'Idempotency-Key': key } }, body }),
        );
      }}
      success={(result) => t('orders.afterSales.opened', { caseId: result.caseId })}
    >
      {(form) => (
        <>
          <Form.Item name="childOrderId" label={t('orders.ship.child')} rules={[{ required: true }]}>
            <Select
              onChange={(value: string) => setChildId(value)}
              options={children.map((item) => ({ value: item.childOrderId, label: `${item.childOrderId} · ${t(`status.${item.status}`)}` }))}
            />
          </Form.Item>
          <Form.Item name="type" label={t('orders.afterSales.type')}>
            <Radio.Group options={(['refund_only', 'return_refund', 'exchange'] as const).map((value) => ({ value, label: t(`orders.afterSales.types.${value}`) }))} />
          </Form.Item>
          <Form.Item name="reason" label={t('common.reason')}>
            <Select options={CASE_REASONS.map((value) => ({ value, label: t(`orders.afterSales.reasons.${value}`) }))} />
          </Form.Item>
          {child?.lines.map((line) => (
            <Flex key={line.lineNo} gap={8} wrap>
              <Form.Item name={['quantities', String(line.lineNo)]} label={`#${line.lineNo} ${line.skuId} ${names[line.lineNo] ?? ''} (×${line.quantity})`}>
                <InputNumber min={0} max={line.quantity} precision={0} />
              </Form.Item>
              <Form.Item noStyle shouldUpdate={(a, b) => a.type !== b.type}>
                {() =>
                  form.getFieldValue('type') === 'exchange' ? (
                    <Form.Item name={['replacements', String(line.lineNo)]} label={t('orders.afterSales.replacement')}>
                      <Input placeholder={line.skuId} />
                    </Form.Item>
                  ) : null
                }
              </Form.Item>
            </Flex>
          ))}
          <Form.Item name="requestedAmount" label={t('orders.afterSales.requestedAmount', { currency: order.currency })}>
            <Input inputMode="decimal" />
          </Form.Item>
          <Form.Item name="note" label={t('common.note')} rules={[{ max: 500 }]}>
            <Input.TextArea rows={2} maxLength={500} />
          </Form.Item>
          <Form.Item name="toBalance" valuePropName="checked">
            <Checkbox>{t('orders.refund.toBalance')}</Checkbox>
          </Form.Item>
        </>
      )}
    </ActionModal>
  );
}
