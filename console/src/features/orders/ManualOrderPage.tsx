// A manual order placed by staff for a customer (POST /admin/orders, docs/manual-orders.md): an existing
// customer or a new one, lines, the customer's coupons / points / balance, a manual discount with its
// reason, internal notes, the shipping address and the payment mode. On success the new order opens.

import { useMutation } from '@tanstack/react-query';
import { Alert, Button, Card, Col, Descriptions, Flex, Form, Input, InputNumber, Radio, Row, Select, Space, Typography } from 'antd';
import { useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { api, unwrap, type Schemas } from '../../api/client';
import { useSession } from '../../auth/SessionProvider';
import { Money } from '../../components/Money';
import { PageHeader } from '../../components/PageHeader';
import { ProblemAlert } from '../../components/ProblemAlert';
import { toMinorUnits } from '../../i18n/format';
import { useI18n } from '../../i18n/I18nProvider';
import { newKey } from './api';
import { AddressFields, addressBody, LinesFields } from './OrderActions';

const CURRENCY = 'CNY';

export interface ManualForm {
  customerMode: 'existing' | 'new';
  customerId?: string;
  customer?: { name: string; email?: string; phone?: string };
  lines: { skuId: string; quantity: number }[];
  coupons?: string[];
  pointsMode?: 'none' | 'some' | 'max';
  points?: number | null;
  balanceMode?: 'none' | 'some' | 'max';
  balance?: string;
  discountMode?: 'none' | 'bps' | 'amount';
  percent?: number | null;
  discountAmount?: string;
  discountReason?: string;
  internalNote?: string;
  note?: string;
  address: Parameters<typeof addressBody>[0];
  paymentMode: Schemas['PaymentMode'];
}

/** The ManualOrderIn body for the form's values (amounts typed in major units of CNY). */
export function manualOrderBody(values: ManualForm, currency = CURRENCY): Schemas['ManualOrderIn'] {
  const body: Schemas['ManualOrderIn'] = {
    lines: values.lines.map((line) => ({ skuId: line.skuId.trim(), quantity: Number(line.quantity) })),
    shippingAddress: addressBody(values.address),
    paymentMode: values.paymentMode,
    coupons: (values.coupons ?? []).map((code) => code.trim()).filter(Boolean),
    notes: values.internalNote?.trim() ? [values.internalNote.trim()] : [],
  };
  if (values.customerMode === 'new' && values.customer) {
    body.customer = {
      name: values.customer.name.trim(),
      email: values.customer.email?.trim() || null,
      phone: values.customer.phone?.trim() || null,
    };
  } else {
    body.customerId = values.customerId?.trim();
  }
  if (values.pointsMode === 'max') body.points = 'max';
  else if (values.pointsMode === 'some' && values.points) body.points = Number(values.points);
  if (values.balanceMode === 'max') body.balance = 'max';
  else if (values.balanceMode === 'some' && values.balance) body.balance = { amount: toMinorUnits(values.balance, currency), currency };
  if (values.discountMode === 'bps' && values.percent) body.manualDiscount = { bps: Math.round(values.percent * 100) };
  else if (values.discountMode === 'amount' && values.discountAmount) {
    body.manualDiscount = { amount: { amount: toMinorUnits(values.discountAmount, currency), currency } };
  }
  if (body.manualDiscount && values.discountReason?.trim()) body.discountReason = values.discountReason.trim();
  if (values.note?.trim()) body.note = values.note.trim();
  return body;
}

export function ManualOrderPage() {
  const { t } = useI18n();
  const { can } = useSession();
  const navigate = useNavigate();
  const [form] = Form.useForm<ManualForm>();
  const [key, setKey] = useState(newKey);
  const create = useMutation({
    mutationFn: async (values: ManualForm) =>
      unwrap(await api().POST('/admin/orders', { params: { header: { 'Idempotency-Key': key } }, body: manualOrderBody(values) })),
    onSuccess: (order) => {
      setKey(newKey());
      navigate(`/orders/${order.orderId}`);
    },
  });
  const quote = useMutation({
    mutationFn: async () => {
      const values = form.getFieldsValue(true) as ManualForm;
      const lines = (values.lines ?? []).filter((line) => line?.skuId?.trim() && line.quantity > 0);
      const country = values.address?.country?.trim().toUpperCase();
      return unwrap(
        await api().POST('/orders/quote', {
          body: {
            lines: lines.map((line) => ({ skuId: line.skuId.trim(), quantity: Number(line.quantity) })),
            coupons: [],
            destination: country && /^[A-Z]{2}$/.test(country) ? { country, region: values.address?.region?.trim() || null } : null,
          },
        }),
      );
    },
  });
  const customerMode = Form.useWatch('customerMode', form);
  const pointsMode = Form.useWatch('pointsMode', form);
  const balanceMode = Form.useWatch('balanceMode', form);
  const discountMode = Form.useWatch('discountMode', form);
  if (!can('POST /admin/orders')) return <Alert type="warning" showIcon title={t('orders.manual.notAllowed')} />;

  return (
    <div data-testid="manual-order-page">
      <PageHeader title={t('orders.manual.title')} sub={t('orders.manual.sub')} />
      <Form<ManualForm>
        form={form}
        layout="vertical"
        initialValues={{
          customerMode: 'existing',
          lines: [{ skuId: '', quantity: 1 }],
          pointsMode: 'none',
          balanceMode: 'none',
          discountMode: 'none',
          paymentMode: 'online',
          address: { country: 'CN' } as ManualForm['address'],
        }}
        onFinish={(values) => create.mutate(values)}
      >
        <Row gutter={16}>
          <Col xs={24} lg={14}>
            <Card size="small" title={t('orders.manual.customer')} style={{ marginBottom: 16 }}>
              <Form.Item name="customerMode">
                <Radio.Group
                  options={[
                    { value: 'existing', label: t('orders.manual.existing') },
                    { value: 'new', label: t('orders.manual.newCustomer') },
                  ]}
                />
              </Form.Item>
              {customerMode === 'new' ? (
                <Flex wrap gap={8}>
                  <Form.Item name={['customer', 'name']} label={t('orders.address.name')} rules={[{ required: true, whitespace: true }]} style={{ flex: '1 1 200px' }}>
                    <Input data-testid="manual-customer-name" />
                  </Form.Item>
                  <Form.Item name={['customer', 'email']} label={t('orders.filters.email')} rules={[{ type: 'email' }]} style={{ flex: '1 1 200px' }}>
                    <Input data-testid="manual-customer-email" />
                  </Form.Item>
                  <Form.Item
                    name={['customer', 'phone']}
                    label={t('orders.filters.phone')}
                    rules={[{ pattern: /^\+[1-9][0-9]{6,14}$/, message: t('orders.manual.phoneRule') }]}
                    style={{ flex: '1 1 200px' }}
                  >
                    <Input placeholder="+8613800000000" />
                  </Form.Item>
                </Flex>
              ) : (
                <Form.Item name="customerId" label={t('orders.field.customerId')} rules={[{ required: true, whitespace: true }]}>
                  <Input data-testid="manual-customer-id" />
                </Form.Item>
              )}
            </Card>
            <Card size="small" title={t('orders.detail.lines')} style={{ marginBottom: 16 }}>
              <LinesFields />
              <Flex gap={8} style={{ marginTop: 12 }} wrap>
                <Button onClick={() => quote.mutate()} loading={quote.isPending} data-testid="manual-quote">
                  {t('orders.manual.preview')}
                </Button>
              </Flex>
              <ProblemAlert error={quote.error} style={{ marginTop: 8 }} />
              {quote.data && (
                <Descriptions
                  size="small"
                  column={1}
                  style={{ marginTop: 8 }}
                  data-testid="manual-quote-result"
                  items={[
                    { key: 'subtotal', label: t('orders.breakdown.subtotal'), children: <Money value={quote.data.breakdown.subtotal} /> },
                    { key: 'shipping', label: t('orders.breakdown.shipping'), children: <Money value={quote.data.breakdown.shipping} /> },
                    { key: 'discount', label: t('orders.breakdown.discount'), children: <Money value={quote.data.breakdown.discount} /> },
                    { key: 'total', label: t('orders.breakdown.total'), children: <Money value={quote.data.breakdown.total} strong /> },
                  ]}
                />
              )}
              {quote.data && <Typography.Text type="secondary">{t('orders.manual.previewHelp')}</Typography.Text>}
            </Card>
            <Card size="small" title={t('orders.detail.address')} style={{ marginBottom: 16 }}>
              <AddressFields prefix={['address']} />
            </Card>
          </Col>
          <Col xs={24} lg={10}>
            <Card size="small" title={t('orders.manual.pricing')} style={{ marginBottom: 16 }}>
              <Form.Item name="coupons" label={t('orders.manual.coupons')} extra={t('orders.manual.couponsHelp')}>
                <Select mode="tags" tokenSeparators={[',', ' ']} open={false} suffixIcon={null} aria-label={t('orders.manual.coupons')} />
              </Form.Item>
              <Form.Item name="pointsMode" label={t('orders.manual.points')}>
                <Radio.Group options={(['none', 'some', 'max'] as const).map((value) => ({ value, label: t(`orders.manual.use.${value}`) }))} />
              </Form.Item>
              {pointsMode === 'some' && (
                <Form.Item name="points" label={t('orders.manual.pointsCount')} rules={[{ required: true }]}>
                  <InputNumber min={1} precision={0} style={{ width: '100%' }} />
                </Form.Item>
              )}
              <Form.Item name="balanceMode" label={t('orders.manual.balance')}>
                <Radio.Group options={(['none', 'some', 'max'] as const).map((value) => ({ value, label: t(`orders.manual.use.${value}`) }))} />
              </Form.Item>
              {balanceMode === 'some' && (
                <Form.Item name="balance" label={t('orders.refund.amount', { currency: CURRENCY })} rules={[{ required: true }]}>
                  <Input inputMode="decimal" />
                </Form.Item>
              )}
              <Form.Item name="discountMode" label={t('orders.manual.discount')}>
                <Radio.Group
                  options={[
                    { value: 'none', label: t('orders.manual.use.none') },
                    { value: 'bps', label: t('orders.manual.discountPercent') },
                    { value: 'amount', label: t('orders.manual.discountAmount') },
                  ]}
                />
              </Form.Item>
              {discountMode === 'bps' && (
                <Form.Item name="percent" label={t('orders.manual.percent')} rules={[{ required: true }]}>
                  <InputNumber min={0.01} max={100} step={0.5} suffix="%" style={{ width: '100%' }} />
                </Form.Item>
              )}
              {discountMode === 'amount' && (
                <Form.Item name="discountAmount" label={t('orders.refund.amount', { currency: CURRENCY })} rules={[{ required: true }]}>
                  <Input inputMode="decimal" />
                </Form.Item>
              )}
              {discountMode && discountMode !== 'none' && (
                <Form.Item name="discountReason" label={t('orders.manual.discountReason')} rules={[{ required: true, whitespace: true, max: 500 }]}>
                  <Input />
                </Form.Item>
              )}
            </Card>
            <Card size="small" title={t('orders.manual.payment')} style={{ marginBottom: 16 }}>
              <Form.Item name="paymentMode" extra={t('orders.manual.paymentHelp')}>
                <Radio.Group>
                  <Space orientation="vertical">
                    {(['online', 'bank-transfer', 'offline'] as const).map((mode) => (
                      <Radio key={mode} value={mode} data-testid={`manual-mode-${mode}`}>
                        {t(`orders.manual.modes.${mode}`)}
                      </Radio>
                    ))}
                  </Space>
                </Radio.Group>
              </Form.Item>
            </Card>
            <Card size="small" title={t('orders.detail.notes')} style={{ marginBottom: 16 }}>
              <Form.Item name="internalNote" label={t('orders.manual.internalNote')} rules={[{ max: 2000 }]}>
                <Input.TextArea rows={2} maxLength={2000} />
              </Form.Item>
              <Form.Item name="note" label={t('orders.manual.orderNote')} rules={[{ max: 500 }]}>
                <Input.TextArea rows={2} maxLength={500} />
              </Form.Item>
            </Card>
          </Col>
        </Row>
        <ProblemAlert error={create.error} style={{ marginBottom: 12 }} />
        <Space wrap>
          <Button type="primary" htmlType="submit" loading={create.isPending} data-testid="manual-submit">
            {t('orders.manual.submit')}
          </Button>
          <Button onClick={() => navigate('/orders')}>{t('common.cancel')}</Button>
        </Space>
      </Form>
    </div>
  );
}
