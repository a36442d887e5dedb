// 优惠券: coupon templates (GET /coupon-templates), a new template (POST), issuing coupons to customers
// or as one public code (POST …/coupons, Idempotency-Key), disabling one (If-Match), a template's
// coupons, and looking up any coupon by its code (GET /coupons/{code}).

import { PlusOutlined, SearchOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { App, Button, Card, Descriptions, Drawer, Flex, Form, Input, InputNumber, Modal, Radio, Select, Space, Switch, Table, Tag, Typography, type TableColumnsType } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useState } from 'react';
import { api, unwrap, type Schemas } from '../../api/client';
import { useSession } from '../../auth/SessionProvider';
import { DataList } from '../../components/DataList';
import { PageHeader } from '../../components/PageHeader';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useI18n } from '../../i18n/I18nProvider';
import { ifMatch, newIdempotencyKey, useStore } from '../catalogue/shared';
import { useCursorList } from '../../api/useCursorList';
import { amountRules, percentRules, ScopeFields, useStoreCurrency, WindowFields } from './fields';
import { couponTemplateFormToBody, describeBenefit, splitIds, type CouponKind, type CouponTemplateFormValues } from './rules';

type Template = Schemas['CouponTemplate'];
type Coupon = Schemas['Coupon'];
const KINDS: CouponKind[] = ['amount_off', 'percent_off', 'free_shipping'];

type FormShape = Omit<CouponTemplateFormValues, 'startsAt' | 'endsAt'> & { startsAt: Dayjs; endsAt?: Dayjs | null };

function CouponStatusTag({ status }: { status: string }) {
  const { t } = useI18n();
  const color = status === 'AVAILABLE' || status === 'ACTIVE' ? 'green' : status === 'USED' ? 'blue' : 'default';
  return <Tag color={color}>{t(`marketing.couponStatus.${status}`)}</Tag>;
}

export function CouponsPage() {
  const { t, dateTime, money } = useI18n();
  const { can } = useSession();
  const [creating, setCreating] = useState(false);
  const [issuing, setIssuing] = useState<Template | null>(null);
  const [disabling, setDisabling] = useState<Template | null>(null);
  const [viewing, setViewing] = useState<Template | null>(null);
  const list = useCursorList<Template>(['coupon-templates'], async (cursor) =>
    unwrap(await api().GET('/coupon-templates', { params: { query: { cursor, limit: 50 } } })),
  );
  const columns: TableColumnsType<Template> = [
    { key: 'name', title: t('marketing.name'), render: (_, row) => <span data-testid="template-name">{row.name}</span> },
    { key: 'benefit', title: t('marketing.benefit.title'), render: (_, row) => describeBenefit(row.kind, row.benefit, t, money) },
    { key: 'minSpend', title: t('marketing.minSpend'), render: (_, row) => (row.minSpend ? money(row.minSpend.amount, row.minSpend.currency) : '—') },
    { key: 'scope', title: t('marketing.scope.title'), render: (_, row) => row.scope.storeId ?? t('marketing.scope.platform') },
    { key: 'window', title: t('marketing.window.title'), render: (_, row) => `${dateTime(row.window.startsAt)} – ${row.window.endsAt ? dateTime(row.window.endsAt) : t('marketing.window.open')}` },
    { key: 'usage', title: t('marketing.coupons.usage'), render: (_, row) => t('marketing.coupons.usageText', { issued: row.issued, used: row.used }) },
    { key: 'status', title: t('marketing.statusLabel'), render: (_, row) => <CouponStatusTag status={row.status} /> },
    {
      key: 'actions',
      title: t('common.actions'),
      render: (_, row) => (
        <Space wrap>
          <Button size="small" onClick={() => setViewing(row)} data-testid="template-coupons">
            {t('marketing.coupons.list')}
          </Button>
          {row.status === 'ACTIVE' && can('POST /coupon-templates/{templateId}/coupons') && (
            <Button size="small" onClick={() => setIssuing(row)} data-testid="template-issue">
              {t('marketing.coupons.issue')}
            </Button>
          )}
          {row.status === 'ACTIVE' && can('POST /coupon-templates/{templateId}/disable') && (
            <Button size="small" danger onClick={() => setDisabling(row)} data-testid="template-disable">
              {t('marketing.coupons.disable')}
            </Button>
          )}
        </Space>
      ),
    },
  ];
  return (
    <>
      <PageHeader
        title={t('marketing.coupons.title')}
        extra={
          can('POST /coupon-templates') && (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)} data-testid="template-create">
              {t('marketing.coupons.create')}
            </Button>
          )
        }
      />
      <CouponLookup />
      <ProblemAlert error={list.query.error} style={{ marginBottom: 12 }} />
      <DataList<Template>
        testId="templates-list"
        rows={list.rows}
        rowKey={(row) => row.templateId}
        columns={columns}
        loading={list.query.isLoading}
        hasMore={list.hasMore}
        onLoadMore={list.loadMore}
        loadingMore={list.loadingMore}
        cardTitle={(row) => row.name}
      />
      {creating && <TemplateModal onClose={() => setCreating(false)} />}
      {issuing && <IssueModal template={issuing} onClose={() => setIssuing(null)} />}
      {disabling && <DisableModal template={disabling} onClose={() => setDisabling(null)} />}
      {viewing && <TemplateCoupons template={viewing} onClose={() => setViewing(null)} />}
    </>
  );
}

function CouponLookup() {
  const { t, dateTime, money } = useI18n();
  const [code, setCode] = useState('');
  const [asked, setAsked] = useState<string | null>(null);
  const coupon = useQuery({
    queryKey: ['coupon', asked],
    enabled: !!asked,
    queryFn: async () => unwrap(await api().GET('/coupons/{code}', { params: { path: { code: asked as string } } })),
  });
  return (
    <Card size="small" style={{ marginBottom: 12 }} title={t('marketing.coupons.lookup')}>
      <Space.Compact style={{ width: '100%', maxWidth: 420 }}>
        <Input
          value={code}
          onChange={(event) => setCode(event.target.value)}
          onPressEnter={() => setAsked(code.trim().toUpperCase() || null)}
          placeholder={t('marketing.coupons.codePlaceholder')}
          aria-label={t('marketing.coupons.code')}
          data-testid="coupon-code"
        />
        <Button icon={<SearchOutlined />} onClick={() => setAsked(code.trim().toUpperCase() || null)} data-testid="coupon-lookup">
          {t('common.search')}
        </Button>
      </Space.Compact>
      <ProblemAlert error={coupon.error} style={{ marginTop: 12 }} />
      {coupon.data && (
        <Descriptions size="small" style={{ marginTop: 12 }} column={{ xs: 1, md: 3 }} data-testid="coupon-found">
          <Descriptions.Item label={t('marketing.coupons.code')}>
            <Typography.Text code>{coupon.data.code}</Typography.Text>
          </Descriptions.Item>
          <Descriptions.Item label={t('marketing.statusLabel')}>
            <CouponStatusTag status={coupon.data.status} />
            {coupon.data.templateStatus === 'DISABLED' && <CouponStatusTag status="DISABLED" />}
          </Descriptions.Item>
          <Descriptions.Item label={t('marketing.coupons.template')}>{coupon.data.template.name}</Descriptions.Item>
          <Descriptions.Item label={t('marketing.benefit.title')}>{describeBenefit(coupon.data.template.kind, coupon.data.template.benefit, t, money)}</Descriptions.Item>
          <Descriptions.Item label={t('marketing.coupons.owner')}>{coupon.data.ownerId ?? t('marketing.coupons.public')}</Descriptions.Item>
          <Descriptions.Item label={t('marketing.coupons.issuedAt')}>{dateTime(coupon.data.issuedAt)}</Descriptions.Item>
          <Descriptions.Item label={t('marketing.coupons.usedAt')}>{dateTime(coupon.data.usedAt)}</Descriptions.Item>
          <Descriptions.Item label={t('marketing.coupons.order')}>{coupon.data.orderId ?? '—'}</Descriptions.Item>
        </Descriptions>
      )}
    </Card>
  );
}

function TemplateModal({ onClose }: { onClose: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const client = useQueryClient();
  const [form] = Form.useForm<FormShape>();
  const kind = (Form.useWatch('kind', form) ?? 'amount_off') as CouponKind;
  const currency = (Form.useWatch('currency', form) as string | undefined) ?? 'CNY';
  const storeId = Form.useWatch('storeId', form) as string | undefined;
  const store = useStore(storeId?.trim() || undefined);
  useStoreCurrency(form, store.data);
  const save = useMutation({
    mutationFn: async (values: FormShape) =>
      unwrap(
        await api().POST('/coupon-templates', {
          body: couponTemplateFormToBody({ ...values, startsAt: values.startsAt.toISOString(), endsAt: values.endsAt ? values.endsAt.toISOString() : null }),
        }),
      ),
    onSuccess: (template) => {
      message.success(t('marketing.coupons.created', { name: template.name }));
      void client.invalidateQueries({ queryKey: ['coupon-templates'] });
      onClose();
    },
  });
  return (
    <Modal
      open
      width={720}
      title={t('marketing.coupons.create')}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('common.create')}
      cancelText={t('common.cancel')}
      confirmLoading={save.isPending}
      okButtonProps={{ 'data-testid': 'template-submit' } as Record<string, string>}
      destroyOnHidden
    >
      <Form
        form={form}
        layout="vertical"
        initialValues={{ kind: 'amount_off', currency: 'CNY', storeId: 'demo', startsAt: dayjs(), stackable: false, perCustomerLimit: 1 }}
        onFinish={(values) => save.mutate(values)}
        data-testid="template-form"
      >
        <Typography.Paragraph type="secondary">{t('marketing.coupons.immutable')}</Typography.Paragraph>
        <Form.Item name="name" label={t('marketing.name')} rules={[{ required: true, message: t('marketing.required') }]}>
          <Input maxLength={200} data-testid="template-name-input" />
        </Form.Item>
        <Form.Item name="kind" label={t('marketing.kind')}>
          <Select options={KINDS.map((value) => ({ value, label: t(`marketing.couponKind.${value}`) }))} />
        </Form.Item>
        <Flex gap={12} wrap>
          {kind === 'amount_off' && (
            <Form.Item name="amount" label={t('marketing.amountOff', { currency })} rules={amountRules(t, currency)}>
              <Input inputMode="decimal" data-testid="template-amount" />
            </Form.Item>
          )}
          {kind === 'percent_off' && (
            <Form.Item name="percent" label={t('marketing.percent')} rules={percentRules(t)}>
              <Input inputMode="decimal" suffix="%" />
            </Form.Item>
          )}
          {kind !== 'amount_off' && (
            <Form.Item name="cap" label={t('marketing.cap', { currency })} rules={amountRules(t, currency, { required: false })}>
              <Input inputMode="decimal" />
            </Form.Item>
          )}
          <Form.Item name="minSpend" label={t('marketing.minSpendIn', { currency })} rules={amountRules(t, currency, { required: false, zero: true })}>
            <Input inputMode="decimal" data-testid="template-min-spend" />
          </Form.Item>
        </Flex>
        <ScopeFields />
        <WindowFields />
        <Flex gap={12} wrap>
          <Form.Item name="totalLimit" label={t('marketing.coupons.totalLimit')} extra={t('marketing.coupons.noLimit')}>
            <InputNumber min={1} max={10_000_000} precision={0} />
          </Form.Item>
          <Form.Item name="perCustomerLimit" label={t('marketing.coupons.perCustomerLimit')} extra={t('marketing.coupons.noLimit')}>
            <InputNumber min={1} max={10_000_000} precision={0} />
          </Form.Item>
          <Form.Item name="stackable" label={t('marketing.coupons.stackable')} valuePropName="checked">
            <Switch />
          </Form.Item>
        </Flex>
        <Form.Item name="reason" label={t('common.reason')}>
          <Input maxLength={500} />
        </Form.Item>
        <ProblemAlert error={save.error} />
      </Form>
    </Modal>
  );
}

function IssueModal({ template, onClose }: { template: Template; onClose: () => void }) {
  const { t } = useI18n();
  const client = useQueryClient();
  const [form] = Form.useForm<{ mode: 'customers' | 'public'; customerIds?: string; publicCode?: string; reason?: string }>();
  const mode = Form.useWatch('mode', form) ?? 'customers';
  const [key] = useState(newIdempotencyKey);
  const issue = useMutation({
    mutationFn: async (values: { mode: 'customers' | 'public'; customerIds?: string; publicCode?: string; reason?: string }) =>
      unwrap(
        await api().POST('/coupon-templates/{templateId}/coupons', {
          params: { path: { templateId: template.templateId }, header: { 'Idempotency-Key': key } },
          body:
            values.mode === 'public'
              ? { publicCode: values.publicCode?.trim().toUpperCase(), reason: values.reason?.trim() || null }
              : { customerIds: splitIds(values.customerIds), reason: values.reason?.trim() || null },
        }),
      ),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ['coupon-templates'] });
      void client.invalidateQueries({ queryKey: ['template-coupons', template.templateId] });
    },
  });
  return (
    <Modal
      open
      title={t('marketing.coupons.issueTitle', { name: template.name })}
      onCancel={onClose}
      onOk={() => (issue.data ? onClose() : form.submit())}
      okText={issue.data ? t('common.close') : t('marketing.coupons.issue')}
      cancelText={t('common.cancel')}
      confirmLoading={issue.isPending}
      okButtonProps={{ 'data-testid': 'issue-submit' } as Record<string, string>}
      destroyOnHidden
    >
      <Form form={form} layout="vertical" initialValues={{ mode: 'customers' }} onFinish={(values) => issue.mutate(values)} disabled={!!issue.data}>
        <Form.Item name="mode">
          <Radio.Group
            optionType="button"
            options={[
              { value: 'customers', label: t('marketing.coupons.toCustomers') },
              { value: 'public', label: t('marketing.coupons.publicCode') },
            ]}
          />
        </Form.Item>
        {mode === 'customers' ? (
          <Form.Item
            name="customerIds"
            label={t('marketing.coupons.customerIds')}
            extra={t('marketing.coupons.customerIdsHint')}
            rules={[
              { required: true, message: t('marketing.required') },
              { validator: (_, value: string) => (splitIds(value).length > 25 ? Promise.reject(new Error(t('marketing.coupons.tooMany'))) : Promise.resolve()) },
            ]}
          >
            <Input.TextArea autoSize={{ minRows: 2, maxRows: 6 }} data-testid="issue-customers" />
          </Form.Item>
        ) : (
          <Form.Item
            name="publicCode"
            label={t('marketing.coupons.publicCode')}
            normalize={(value: string) => value?.toUpperCase()}
            rules={[{ required: true, message: t('marketing.required') }, { pattern: /^[A-Z0-9-]{4,32}$/, message: t('marketing.coupons.codeRule') }]}
          >
            <Input maxLength={32} data-testid="issue-public-code" />
          </Form.Item>
        )}
        <Form.Item name="reason" label={t('common.reason')}>
          <Input maxLength={500} />
        </Form.Item>
      </Form>
      <ProblemAlert error={issue.error} />
      {issue.data && (
        <div data-testid="issued">
          <Typography.Paragraph strong>{t('marketing.coupons.issued', { n: issue.data.issued })}</Typography.Paragraph>
          <Flex gap={8} wrap>
            {issue.data.coupons.map((coupon) => (
              <Tag key={coupon.code}>
                <Typography.Text code copyable>
                  {coupon.code}
                </Typography.Text>
                {coupon.ownerId ? ` → ${coupon.ownerId}` : ''}
              </Tag>
            ))}
          </Flex>
        </div>
      )}
    </Modal>
  );
}

function DisableModal({ template, onClose }: { template: Template; onClose: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const client = useQueryClient();
  const [reason, setReason] = useState('');
  const disable = useMutation({
    mutationFn: async () =>
      unwrap(
        await api().POST('/coupon-templates/{templateId}/disable', {
          params: { path: { templateId: template.templateId }, header: { 'If-Match': ifMatch(template.version) } },
          body: { reason: reason.trim() || null },
        }),
      ),
    onSuccess: () => {
      message.success(t('marketing.coupons.disabled'));
      void client.invalidateQueries({ queryKey: ['coupon-templates'] });
      onClose();
    },
  });
  return (
    <Modal
      open
      title={t('marketing.coupons.disableTitle', { name: template.name })}
      onCancel={onClose}
      onOk={() => disable.mutate()}
      okText={t('marketing.coupons.disable')}
      okButtonProps={{ danger: true }}
      cancelText={t('common.cancel')}
      confirmLoading={disable.isPending}
    >
      <Typography.Paragraph>{t('marketing.coupons.disableHint')}</Typography.Paragraph>
      <Input value={reason} onChange={(event) => setReason(event.target.value)} placeholder={t('common.reason')} aria-label={t('common.reason')} maxLength={500} />
      <ProblemAlert error={disable.error} style={{ marginTop: 12 }} />
    </Modal>
  );
}

function TemplateCoupons({ template, onClose }: { template: Template; onClose: () => void }) {
  const { t, dateTime } = useI18n();
  const coupons = useCursorList<Coupon>(['template-coupons', template.templateId], async (cursor) =>
    unwrap(await api().GET('/coupon-templates/{templateId}/coupons', { params: { path: { templateId: template.templateId }, query: { cursor, limit: 50 } } })),
  );
  const columns: TableColumnsType<Coupon> = [
    { key: 'code', title: t('marketing.coupons.code'), render: (_, row) => <Typography.Text code copyable>{row.code}</Typography.Text> },
    { key: 'owner', title: t('marketing.coupons.owner'), render: (_, row) => row.ownerId ?? t('marketing.coupons.public') },
    { key: 'status', title: t('marketing.statusLabel'), render: (_, row) => <CouponStatusTag status={row.status} /> },
    { key: 'issuedAt', title: t('marketing.coupons.issuedAt'), render: (_, row) => dateTime(row.issuedAt) },
    { key: 'usedAt', title: t('marketing.coupons.usedAt'), render: (_, row) => dateTime(row.usedAt) },
  ];
  return (
    <Drawer open onClose={onClose} title={t('marketing.coupons.listTitle', { name: template.name })} size="large">
      <ProblemAlert error={coupons.query.error} />
      <Table size="small" rowKey="code" dataSource={coupons.rows} columns={columns} loading={coupons.query.isLoading} pagination={false} scroll={{ x: 'max-content' }} data-testid="template-coupon-list" />
      {coupons.hasMore && (
        <Flex justify="center" style={{ marginTop: 12 }}>
          <Button onClick={coupons.loadMore} loading={coupons.loadingMore}>
            {t('common.loadMore')}
          </Button>
        </Flex>
      )}
    </Drawer>
  );
}
