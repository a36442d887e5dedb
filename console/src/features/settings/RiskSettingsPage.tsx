// The risk settings: request rate limits per scope (per user, per IP), amount limits per currency (per
// order, per customer a day, per payment method), the rules and whether matched orders wait for review.
// PUT replaces them, with If-Match; amounts are typed in major units.

import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { App, Button, Card, Flex, Form, Input, InputNumber, Select, Switch, Typography } from 'antd';
import { useEffect } from 'react';
import { api, unwrap } from '../../api/client';
import { useSession } from '../../auth/SessionProvider';
import { PageHeader } from '../../components/PageHeader';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useI18n } from '../../i18n/I18nProvider';
import { PAYMENT_METHODS, riskFromForm, riskToForm, SCOPES, type RiskForm } from './convert';
import { ChangeLog, ifMatch, LastChanged, ReadOnlyNote, SaveProblem, Section, versioned } from './shared';

const CURRENCY = { pattern: /^[A-Za-z]{3}$/ };

export function RiskSettingsPage() {
  const { t } = useI18n();
  const { can } = useSession();
  const { message } = App.useApp();
  const client = useQueryClient();
  const [form] = Form.useForm<RiskForm>();
  const editable = can('PUT /settings/risk');
  const settings = useQuery({
    queryKey: ['settings', 'risk'],
    queryFn: async () => {
      const result = await api().GET('/settings/risk');
      return versioned(unwrap(result), result.response);
    },
  });
  useEffect(() => {
    if (settings.data) form.setFieldsValue(riskToForm(settings.data.data));
  }, [settings.data, form]);
  const save = useMutation({
    mutationFn: async (values: RiskForm) =>
      unwrap(await api().PUT('/settings/risk', { params: { header: ifMatch(settings.data?.etag) }, body: riskFromForm(values) })),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ['settings', 'risk'] });
      message.success(t('common.saved'));
    },
  });
  const data = settings.data?.data;
  const number = (name: (string | number)[], label: string, min: number, max: number, testId?: string) => (
    <Form.Item name={name} label={label} rules={[{ required: true }]} style={{ flex: '1 1 140px' }}>
      <InputNumber min={min} max={max} precision={0} style={{ width: '100%' }} data-testid={testId} />
    </Form.Item>
  );
  const amount = (name: (string | number)[], label: string) => (
    <Form.Item name={name} label={label} style={{ flex: '1 1 140px' }}>
      <InputNumber min={0} step={0.01} style={{ width: '100%' }} placeholder={t('settings.risk.noLimit')} />
    </Form.Item>
  );
  const enabled = (name: (string | number)[], label: string, testId?: string) => (
    <Form.Item name={name} label={label} valuePropName="checked" style={{ flex: '0 1 120px' }}>
      <Switch data-testid={testId} />
    </Form.Item>
  );

  return (
    <div data-testid="settings-risk-page">
      <PageHeader title={t('settings.risk.title')} sub={t('settings.risk.sub')} extra={data && <LastChanged at={data.audit[0]?.at} by={data.audit[0]?.by} version={data.version} />} />
      <ProblemAlert error={settings.error} style={{ marginBottom: 12 }} />
      <ReadOnlyNote editable={editable} />
      {data && !data.stored && <Typography.Paragraph type="secondary" data-testid="risk-defaults">{t('settings.risk.defaults')}</Typography.Paragraph>}
      <Form<RiskForm> form={form} layout="vertical" disabled={!editable} onFinish={(values) => save.mutate({ ...form.getFieldsValue(true), ...values })}>
        <Section title={t('settings.risk.rateLimits')}>
          <Typography.Paragraph type="secondary">{t('settings.risk.rateHelp')}</Typography.Paragraph>
          {SCOPES.map((scope) => (
            <div key={scope}>
              <Typography.Text strong>{t(`settings.risk.scopes.${scope}`)}</Typography.Text>
              <Flex gap={8} wrap>
                {number(['rateLimits', scope, 'perUser', 'limit'], t('settings.risk.perUserLimit'), 1, 100_000, `risk-${scope}-user-limit`)}
                {number(['rateLimits', scope, 'perUser', 'windowSeconds'], t('settings.risk.perUserWindow'), 1, 86_400)}
                {number(['rateLimits', scope, 'perIp', 'limit'], t('settings.risk.perIpLimit'), 1, 100_000)}
                {number(['rateLimits', scope, 'perIp', 'windowSeconds'], t('settings.risk.perIpWindow'), 1, 86_400)}
              </Flex>
            </div>
          ))}
        </Section>

        <Section title={t('settings.risk.amountLimits')}>
          <Typography.Paragraph type="secondary">{t('settings.risk.amountHelp')}</Typography.Paragraph>
          <Form.List name="amountLimits">
            {(fields, { add, remove }) => (
              <>
                {fields.map((field, index) => (
                  <Card size="small" key={field.key} style={{ marginBottom: 8 }}>
                    <Flex gap={8} wrap align="flex-start">
                      <Form.Item name={[field.name, 'currency']} label={t('settings.fx.currency')} rules={[{ required: true, ...CURRENCY, message: t('settings.common.currencyCode') }]} style={{ flex: '0 1 100px' }}>
                        <Input maxLength={3} />
                      </Form.Item>
                      {amount([field.name, 'perOrder'], t('settings.risk.perOrder'))}
                      {amount([field.name, 'dailyPerCustomer'], t('settings.risk.dailyPerCustomer'))}
                      {editable && <Button danger icon={<DeleteOutlined />} onClick={() => remove(field.name)} aria-label={t('settings.risk.removeCurrency', { n: index + 1 })} style={{ marginTop: 30 }} />}
                    </Flex>
                    <Form.List name={[field.name, 'methods']}>
                      {(methods, methodOps) => (
                        <>
                          {methods.map((method, methodIndex) => (
                            <Flex key={method.key} gap={8} wrap align="flex-start">
                              <Form.Item name={[method.name, 'method']} label={t('settings.risk.method')} rules={[{ required: true }]} style={{ flex: '1 1 140px' }}>
                                <Select options={PAYMENT_METHODS.map((value) => ({ value, label: t(`enums.paymentMethod.${value}`) }))} />
                              </Form.Item>
                              {amount([method.name, 'perPayment'], t('settings.risk.perPayment'))}
                              {amount([method.name, 'dailyPerCustomer'], t('settings.risk.dailyPerCustomer'))}
                              {editable && <Button danger icon={<DeleteOutlined />} onClick={() => methodOps.remove(method.name)} aria-label={t('settings.risk.removeMethod', { n: methodIndex + 1 })} style={{ marginTop: 30 }} />}
                            </Flex>
                          ))}
                          {editable && (
                            <Button size="small" icon={<PlusOutlined />} onClick={() => methodOps.add({ method: undefined, perPayment: null, dailyPerCustomer: null })}>
                              {t('settings.risk.addMethod')}
                            </Button>
                          )}
                        </>
                      )}
                    </Form.List>
                  </Card>
                ))}
                {editable && (
                  <Button icon={<PlusOutlined />} onClick={() => add({ currency: '', perOrder: null, dailyPerCustomer: null, methods: [] })}>
                    {t('settings.risk.addCurrency')}
                  </Button>
                )}
              </>
            )}
          </Form.List>
        </Section>

        <Section title={t('settings.risk.rules')}>
          <Typography.Text strong>{t('settings.risk.newAccount')}</Typography.Text>
          <Flex gap={8} wrap align="flex-start">
            {enabled(['rules', 'newAccount', 'enabled'], t('settings.risk.enabled'))}
            {number(['rules', 'newAccount', 'accountAgeSeconds'], t('settings.risk.accountAge'), 1, 31_536_000)}
          </Flex>
          <Form.List name={['rules', 'newAccount', 'amountOver']}>
            {(fields, { add, remove }) => (
              <>
                {fields.map((field, index) => (
                  <Flex key={field.key} gap={8} wrap align="flex-start">
                    <Form.Item name={[field.name, 'currency']} label={t('settings.fx.currency')} rules={[{ required: true, ...CURRENCY, message: t('settings.common.currencyCode') }]} style={{ flex: '0 1 100px' }}>
                      <Input maxLength={3} />
                    </Form.Item>
                    <Form.Item name={[field.name, 'amount']} label={t('settings.risk.amountOver')} rules={[{ required: true }]} style={{ flex: '1 1 160px' }}>
                      <InputNumber min={0.01} step={0.01} style={{ width: '100%' }} />
                    </Form.Item>
                    {editable && <Button danger icon={<DeleteOutlined />} onClick={() => remove(field.name)} aria-label={t('settings.risk.removeThreshold', { n: index + 1 })} style={{ marginTop: 30 }} />}
                  </Flex>
                ))}
                {editable && (
                  <Button size="small" icon={<PlusOutlined />} onClick={() => add({ currency: '', amount: null })} style={{ marginBottom: 12 }}>
                    {t('settings.risk.addThreshold')}
                  </Button>
                )}
              </>
            )}
          </Form.List>
          <Typography.Text strong>{t('settings.risk.velocity')}</Typography.Text>
          <Flex gap={8} wrap align="flex-start">
            {enabled(['rules', 'velocity', 'enabled'], t('settings.risk.enabled'))}
            {number(['rules', 'velocity', 'windowSeconds'], t('settings.risk.windowSeconds'), 60, 86_400)}
            {number(['rules', 'velocity', 'maxOrdersPerCustomer'], t('settings.risk.maxPerCustomer'), 1, 10_000, 'risk-velocity-customer')}
            {number(['rules', 'velocity', 'maxOrdersPerDevice'], t('settings.risk.maxPerDevice'), 1, 10_000)}
          </Flex>
          <Typography.Text strong>{t('settings.risk.sharedDevice')}</Typography.Text>
          <Flex gap={8} wrap align="flex-start">
            {enabled(['rules', 'sharedDevice', 'enabled'], t('settings.risk.enabled'))}
            {number(['rules', 'sharedDevice', 'maxAccounts'], t('settings.risk.maxAccounts'), 1, 10_000)}
          </Flex>
          <Typography.Text strong>{t('settings.risk.sharedAddress')}</Typography.Text>
          <Flex gap={8} wrap align="flex-start">
            {enabled(['rules', 'sharedAddress', 'enabled'], t('settings.risk.enabled'))}
            {number(['rules', 'sharedAddress', 'maxAccounts'], t('settings.risk.maxAccounts'), 1, 10_000)}
          </Flex>
          <Typography.Text strong>{t('settings.risk.countryMismatch')}</Typography.Text>
          <Flex gap={8} wrap>{enabled(['rules', 'countryMismatch', 'enabled'], t('settings.risk.enabled'))}</Flex>
          <Form.Item name="reviewMatched" label={t('settings.risk.reviewMatched')} extra={t('settings.risk.reviewHelp')} valuePropName="checked">
            <Switch data-testid="risk-review-matched" />
          </Form.Item>
        </Section>

        <Form.Item name="reason" label={t('common.reason')} rules={[{ min: 3, max: 500 }]}>
          <Input maxLength={500} style={{ maxWidth: 480 }} data-testid="risk-reason" />
        </Form.Item>
        <SaveProblem error={save.error} onReload={() => void settings.refetch().then(() => save.reset())} />
        {editable && (
          <Button type="primary" htmlType="submit" loading={save.isPending} data-testid="risk-save">
            {t('common.save')}
          </Button>
        )}
      </Form>
      <ChangeLog entries={data?.audit} />
    </div>
  );
}
