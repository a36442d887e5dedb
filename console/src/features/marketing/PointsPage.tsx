// 积分与会员: the points programmes (GET/PUT /settings/points-rules), the member tiers (GET/PUT
// /settings/member-tiers), and one customer's points and stored balance with their adjustments.

import { MinusCircleOutlined, PlusOutlined, SearchOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { App, Button, Card, Col, Flex, Form, Input, InputNumber, Row, Select, Space, Statistic, Table, Tabs, Typography, type TableColumnsType } from 'antd';
import { useEffect, useState } from 'react';
import { api, unwrap, type Schemas } from '../../api/client';
import { useSession } from '../../auth/SessionProvider';
import { Money } from '../../components/Money';
import { PageHeader } from '../../components/PageHeader';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useI18n } from '../../i18n/I18nProvider';
import { toMinorUnits } from '../../i18n/format';
import { ifMatch, newIdempotencyKey } from '../catalogue/shared';
import { amountRules, percentRules } from './fields';
import { formToProgrammes, formToTiers, programmesToForm, tiersToForm, type ProgrammeFormValues, type TierFormValues } from './rules';

export function PointsPage() {
  const { t } = useI18n();
  const { can } = useSession();
  return (
    <>
      <PageHeader title={t('marketing.points.title')} />
      <Tabs
        items={[
          { key: 'customer', label: t('marketing.points.customer'), children: <CustomerLookup /> },
          ...(can('GET /settings/points-rules') ? [{ key: 'rules', label: t('marketing.points.rules'), children: <PointsRules /> }] : []),
          ...(can('GET /settings/member-tiers') ? [{ key: 'tiers', label: t('marketing.points.tiers'), children: <MemberTiers /> }] : []),
        ]}
      />
    </>
  );
}

function PointsRules() {
  const { t, dateTime } = useI18n();
  const { can } = useSession();
  const { message } = App.useApp();
  const client = useQueryClient();
  const [form] = Form.useForm<{ programmes: ProgrammeFormValues[]; reason?: string }>();
  const rules = useQuery({
    queryKey: ['points-rules'],
    queryFn: async () => unwrap(await api().GET('/settings/points-rules')),
  });
  useEffect(() => {
    if (rules.data) form.setFieldsValue({ programmes: programmesToForm(rules.data.programmes), reason: '' });
  }, [form, rules.data]);
  const save = useMutation({
    mutationFn: async (values: { programmes: ProgrammeFormValues[]; reason?: string }) =>
      unwrap(
        await api().PUT('/settings/points-rules', {
          params: { header: { 'If-Match': ifMatch(rules.data?.version) } },
          body: { programmes: formToProgrammes(values.programmes ?? []), reason: values.reason?.trim() || null },
        }),
      ),
    onSuccess: () => {
      message.success(t('common.saved'));
      void client.invalidateQueries({ queryKey: ['points-rules'] });
    },
  });
  const editable = can('PUT /settings/points-rules');
  return (
    <Card>
      <ProblemAlert error={rules.error} />
      <Typography.Paragraph type="secondary">
        {t('marketing.points.rulesHint')}
        {rules.data?.updatedAt && ` ${t('marketing.updated', { at: dateTime(rules.data.updatedAt), by: rules.data.updatedBy ?? '—' })}`}
      </Typography.Paragraph>
      <Form form={form} layout="vertical" disabled={!editable} onFinish={(values) => save.mutate(values)} data-testid="points-rules-form">
        <Form.List name="programmes">
          {(fields, { add, remove }) => (
            <>
              {fields.map((field) => (
                <ProgrammeRow key={field.key} name={field.name} form={form} onRemove={() => remove(field.name)} />
              ))}
              {editable && (
                <Button icon={<PlusOutlined />} onClick={() => add({ currency: '', redeemPoints: 100, redeemValue: '1', capPercent: '50', earnPoints: 1, earnValue: '1' })} style={{ marginBottom: 16 }}>
                  {t('marketing.points.addProgramme')}
                </Button>
              )}
            </>
          )}
        </Form.List>
        <Form.Item name="reason" label={t('common.reason')}>
          <Input maxLength={500} />
        </Form.Item>
        <ProblemAlert error={save.error} style={{ marginBottom: 12 }} />
        {editable && (
          <Button type="primary" htmlType="submit" loading={save.isPending}>
            {t('common.save')}
          </Button>
        )}
      </Form>
    </Card>
  );
}

function ProgrammeRow({ name, form, onRemove }: { name: number; form: ReturnType<typeof Form.useForm<{ programmes: ProgrammeFormValues[] }>>[0]; onRemove: () => void }) {
  const { t } = useI18n();
  const currency = (Form.useWatch(['programmes', name, 'currency'], form) as string | undefined)?.toUpperCase() || 'CNY';
  return (
    <Card size="small" style={{ marginBottom: 12 }}>
      <Flex gap={12} wrap align="flex-start">
        <Form.Item name={[name, 'currency']} label={t('marketing.currency')} rules={[{ required: true, message: t('marketing.required') }, { pattern: /^[A-Za-z]{3}$/, message: t('marketing.notCurrency') }]}>
          <Input maxLength={3} style={{ width: 80 }} />
        </Form.Item>
        <Form.Item name={[name, 'redeemPoints']} label={t('marketing.points.redeemPoints')} rules={[{ required: true, message: t('marketing.required') }]}>
          <InputNumber min={1} precision={0} />
        </Form.Item>
        <Form.Item name={[name, 'redeemValue']} label={t('marketing.points.redeemValue', { currency })} rules={amountRules(t, currency)}>
          <Input inputMode="decimal" style={{ width: 110 }} />
        </Form.Item>
        <Form.Item name={[name, 'capPercent']} label={t('marketing.points.cap')} rules={percentRules(t)}>
          <Input inputMode="decimal" suffix="%" style={{ width: 100 }} />
        </Form.Item>
        <Form.Item name={[name, 'earnPoints']} label={t('marketing.points.earnPoints')} extra={t('marketing.points.earnHint')}>
          <InputNumber min={1} precision={0} />
        </Form.Item>
        <Form.Item name={[name, 'earnValue']} label={t('marketing.points.earnValue', { currency })} rules={amountRules(t, currency, { required: false })}>
          <Input inputMode="decimal" style={{ width: 110 }} />
        </Form.Item>
        <Button type="text" icon={<MinusCircleOutlined />} aria-label={t('common.delete')} onClick={onRemove} style={{ marginTop: 30 }} />
      </Flex>
    </Card>
  );
}

function MemberTiers() {
  const { t, dateTime } = useI18n();
  const { can } = useSession();
  const { message } = App.useApp();
  const client = useQueryClient();
  const [form] = Form.useForm<{ tiers: TierFormValues[]; reason?: string }>();
  const tiers = useQuery({
    queryKey: ['member-tiers'],
    queryFn: async () => unwrap(await api().GET('/settings/member-tiers')),
  });
  useEffect(() => {
    if (tiers.data) form.setFieldsValue({ tiers: tiersToForm(tiers.data.tiers), reason: '' });
  }, [form, tiers.data]);
  const save = useMutation({
    mutationFn: async (values: { tiers: TierFormValues[]; reason?: string }) =>
      unwrap(
        await api().PUT('/settings/member-tiers', {
          params: { header: { 'If-Match': ifMatch(tiers.data?.version) } },
          body: { tiers: formToTiers(values.tiers ?? []), reason: values.reason?.trim() || null },
        }),
      ),
    onSuccess: () => {
      message.success(t('common.saved'));
      void client.invalidateQueries({ queryKey: ['member-tiers'] });
    },
  });
  const editable = can('PUT /settings/member-tiers');
  return (
    <Card>
      <ProblemAlert error={tiers.error} />
      <Typography.Paragraph type="secondary">
        {t('marketing.points.tiersHint')}
        {tiers.data?.updatedAt && ` ${t('marketing.updated', { at: dateTime(tiers.data.updatedAt), by: tiers.data.updatedBy ?? '—' })}`}
      </Typography.Paragraph>
      <Form form={form} layout="vertical" disabled={!editable} onFinish={(values) => save.mutate(values)} data-testid="tiers-form">
        <Form.List name="tiers">
          {(fields, { add, remove }) => (
            <>
              {fields.map((field) => (
                <Flex key={field.key} gap={12} wrap align="flex-start">
                  <Form.Item name={[field.name, 'tierId']} label={t('marketing.points.tierId')} rules={[{ required: true, message: t('marketing.required') }]}>
                    <Input maxLength={32} style={{ width: 120 }} />
                  </Form.Item>
                  <Form.Item name={[field.name, 'name']} label={t('marketing.name')} rules={[{ required: true, message: t('marketing.required') }]}>
                    <Input maxLength={64} style={{ width: 160 }} />
                  </Form.Item>
                  <Form.Item name={[field.name, 'threshold']} label={t('marketing.points.threshold')} rules={[{ required: true, message: t('marketing.required') }]}>
                    <InputNumber min={0} precision={0} />
                  </Form.Item>
                  <Form.Item name={[field.name, 'discountPercent']} label={t('marketing.points.discount')} rules={percentRules(t, false)}>
                    <Input inputMode="decimal" suffix="%" style={{ width: 100 }} />
                  </Form.Item>
                  {editable && <Button type="text" icon={<MinusCircleOutlined />} aria-label={t('common.delete')} onClick={() => remove(field.name)} style={{ marginTop: 30 }} />}
                </Flex>
              ))}
              {editable && (
                <Button icon={<PlusOutlined />} onClick={() => add({ tierId: '', name: '', threshold: 0, discountPercent: '0' })} disabled={fields.length >= 20} style={{ marginBottom: 16 }}>
                  {t('marketing.points.addTier')}
                </Button>
              )}
            </>
          )}
        </Form.List>
        <Form.Item name="reason" label={t('common.reason')}>
          <Input maxLength={500} />
        </Form.Item>
        <ProblemAlert error={save.error} style={{ marginBottom: 12 }} />
        {editable && (
          <Button type="primary" htmlType="submit" loading={save.isPending}>
            {t('common.save')}
          </Button>
        )}
      </Form>
    </Card>
  );
}

function CustomerLookup() {
  const { t } = useI18n();
  const [text, setText] = useState('');
  const [customerId, setCustomerId] = useState<string | null>(null);
  return (
    <Flex vertical gap={16}>
      <Space.Compact style={{ width: '100%', maxWidth: 420 }}>
        <Input
          value={text}
          onChange={(event) => setText(event.target.value)}
          onPressEnter={() => setCustomerId(text.trim() || null)}
          placeholder={t('marketing.points.customerId')}
          aria-label={t('marketing.points.customerId')}
          data-testid="customer-id"
        />
        <Button icon={<SearchOutlined />} onClick={() => setCustomerId(text.trim() || null)} data-testid="customer-lookup">
          {t('common.search')}
        </Button>
      </Space.Compact>
      {customerId && (
        <Row gutter={[16, 16]}>
          <Col xs={24} lg={12}>
            <CustomerPoints customerId={customerId} />
          </Col>
          <Col xs={24} lg={12}>
            <CustomerBalance customerId={customerId} />
          </Col>
        </Row>
      )}
    </Flex>
  );
}

function CustomerPoints({ customerId }: { customerId: string }) {
  const { t, dateTime, number } = useI18n();
  const { can } = useSession();
  const client = useQueryClient();
  const [form] = Form.useForm<{ delta: number; reason: string }>();
  const points = useQuery({
    queryKey: ['customer-points', customerId],
    queryFn: async () => unwrap(await api().GET('/customers/{customerId}/points', { params: { path: { customerId }, query: { limit: 20 } } })),
  });
  const adjust = useMutation({
    mutationFn: async (values: { delta: number; reason: string }) =>
      unwrap(
        await api().POST('/customers/{customerId}/points/adjustments', {
          params: { path: { customerId }, header: { 'Idempotency-Key': newIdempotencyKey() } },
          body: { delta: values.delta, reason: values.reason.trim() },
        }),
      ),
    onSuccess: () => {
      form.resetFields();
      void client.invalidateQueries({ queryKey: ['customer-points', customerId] });
    },
  });
  const columns: TableColumnsType<Schemas['PointsEntry']> = [
    { key: 'at', title: t('marketing.points.at'), render: (_, row) => dateTime(row.at) },
    { key: 'kind', title: t('marketing.kind'), render: (_, row) => t(`marketing.pointsKind.${row.kind}`) },
    { key: 'delta', title: t('marketing.points.delta'), render: (_, row) => (row.delta > 0 ? `+${row.delta}` : row.delta) },
    { key: 'reason', title: t('common.reason'), render: (_, row) => row.reason ?? row.orderId ?? '—' },
    { key: 'by', title: t('marketing.points.by'), dataIndex: 'by' },
  ];
  return (
    <Card title={t('marketing.points.pointsOf', { customer: customerId })}>
      <ProblemAlert error={points.error} />
      {points.data && (
        <>
          <Statistic title={t('marketing.points.available')} value={number(points.data.available)} />
          <Table size="small" rowKey={(row) => `${row.at}-${row.delta}-${row.kind}`} dataSource={points.data.entries} columns={columns} pagination={false} scroll={{ x: 'max-content' }} style={{ marginTop: 12 }} />
        </>
      )}
      {can('POST /customers/{customerId}/points/adjustments') && (
        <Form form={form} layout="vertical" onFinish={(values) => adjust.mutate(values)} style={{ marginTop: 16 }}>
          <Flex gap={12} wrap>
            <Form.Item name="delta" label={t('marketing.points.delta')} rules={[{ required: true, message: t('marketing.required') }]}>
              <InputNumber precision={0} min={-10_000_000} max={10_000_000} />
            </Form.Item>
            <Form.Item name="reason" label={t('common.reason')} rules={[{ required: true, min: 3, message: t('marketing.points.reasonRule') }]} style={{ flex: '1 1 200px' }}>
              <Input maxLength={500} />
            </Form.Item>
          </Flex>
          <Button htmlType="submit" loading={adjust.isPending}>
            {t('marketing.points.adjust')}
          </Button>
          <ProblemAlert error={adjust.error} style={{ marginTop: 12 }} />
        </Form>
      )}
    </Card>
  );
}

function CustomerBalance({ customerId }: { customerId: string }) {
  const { t, dateTime } = useI18n();
  const { can } = useSession();
  const client = useQueryClient();
  const [form] = Form.useForm<{ direction: 'credit' | 'debit'; amount: string; currency: string; reason: string }>();
  const balance = useQuery({
    queryKey: ['customer-balance', customerId],
    queryFn: async () => unwrap(await api().GET('/customers/{customerId}/balance', { params: { path: { customerId }, query: { limit: 20 } } })),
  });
  const currency = (Form.useWatch('currency', form) as string | undefined) ?? balance.data?.balance.currency ?? 'CNY';
  const adjust = useMutation({
    mutationFn: async (values: { direction: 'credit' | 'debit'; amount: string; currency: string; reason: string }) =>
      unwrap(
        await api().POST('/customers/{customerId}/balance/adjustments', {
          params: { path: { customerId }, header: { 'Idempotency-Key': newIdempotencyKey() } },
          body: { direction: values.direction, amount: { amount: toMinorUnits(values.amount, values.currency), currency: values.currency }, reason: values.reason.trim() },
        }),
      ),
    onSuccess: () => {
      form.resetFields(['amount', 'reason']);
      void client.invalidateQueries({ queryKey: ['customer-balance', customerId] });
      void client.invalidateQueries({ queryKey: ['channel-stores'] });
    },
  });
  const columns: TableColumnsType<Schemas['LedgerLine']> = [
    { key: 'at', title: t('marketing.points.at'), render: (_, row) => dateTime(row.at) },
    { key: 'kind', title: t('marketing.kind'), render: (_, row) => t(`marketing.postingKind.${row.kind}`) },
    { key: 'amount', title: t('marketing.points.amount'), render: (_, row) => <Money value={row.amount} /> },
    { key: 'memo', title: t('common.note'), render: (_, row) => row.memo || row.orderId || '—' },
  ];
  return (
    <Card title={t('marketing.points.balanceOf', { customer: customerId })}>
      <ProblemAlert error={balance.error} />
      {balance.data && (
        <>
          <Statistic title={t('marketing.points.balance')} valueRender={() => <Money value={balance.data.balance} strong />} />
          <Table size="small" rowKey="postingId" dataSource={balance.data.movements} columns={columns} pagination={false} scroll={{ x: 'max-content' }} style={{ marginTop: 12 }} />
        </>
      )}
      {can('POST /customers/{customerId}/balance/adjustments') && balance.data && (
        <Form form={form} layout="vertical" initialValues={{ direction: 'credit', currency: balance.data.balance.currency }} onFinish={(values) => adjust.mutate(values)} style={{ marginTop: 16 }}>
          <Flex gap={12} wrap>
            <Form.Item name="direction" label={t('marketing.points.direction')}>
              <Select style={{ minWidth: 110 }} options={(['credit', 'debit'] as const).map((value) => ({ value, label: t(`marketing.direction.${value}`) }))} />
            </Form.Item>
            <Form.Item name="amount" label={t('marketing.points.amountIn', { currency })} rules={amountRules(t, currency)}>
              <Input inputMode="decimal" style={{ width: 120 }} />
            </Form.Item>
            <Form.Item name="currency" label={t('marketing.currency')} rules={[{ required: true, message: t('marketing.required') }]}>
              <Input maxLength={3} style={{ width: 80 }} />
            </Form.Item>
            <Form.Item name="reason" label={t('common.reason')} rules={[{ required: true, message: t('marketing.required') }]} style={{ flex: '1 1 200px' }}>
              <Input maxLength={500} />
            </Form.Item>
          </Flex>
          <Button htmlType="submit" loading={adjust.isPending}>
            {t('marketing.points.adjust')}
          </Button>
          <ProblemAlert error={adjust.error} style={{ marginTop: 12 }} />
        </Form>
      )}
    </Card>
  );
}
