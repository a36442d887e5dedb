// A store's payment methods: offered or not, the limits per payment, the provider's fee and who bears
// it. Saved with If-Match (the version read), so a change made meanwhile is a 412 rather than lost.

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { App, Button, Card, Flex, Form, Input, InputNumber, Select, Switch, Table, Timeline, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { api, unwrap } from '../../api/client';
import { useSession } from '../../auth/SessionProvider';
import { PageHeader } from '../../components/PageHeader';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useI18n } from '../../i18n/I18nProvider';
import { DEFAULT_STORE, StorePicker } from '../dashboard/StorePicker';
import { fromForm, invertedLimits, METHODS, toForm, type Method, type MethodForm } from './methods';

interface Values {
  channels: MethodForm;
  reason?: string;
}

export function PaymentMethodsPage() {
  const { t, dateTime } = useI18n();
  const { can } = useSession();
  const { message } = App.useApp();
  const client = useQueryClient();
  const [store, setStore] = useState(DEFAULT_STORE);
  const [form] = Form.useForm<Values>();
  const settings = useQuery({
    queryKey: ['settings', 'payment-methods', store],
    enabled: !!store,
    queryFn: async () => {
      const result = await api().GET('/settings/payment-methods/{storeId}', { params: { path: { storeId: store } } });
      return { data: unwrap(result), etag: result.response.headers.get('ETag') };
    },
  });
  const storeInfo = useQuery({
    queryKey: ['store', store],
    enabled: !!store,
    retry: false,
    queryFn: async () => unwrap(await api().GET('/stores/{storeId}', { params: { path: { storeId: store } } })),
  });
  const currency = storeInfo.data?.currency ?? 'CNY';
  useEffect(() => {
    if (settings.data) form.setFieldsValue({ channels: toForm(settings.data.data.channels, currency), reason: '' });
  }, [settings.data, currency, form]);
  const editable = can('PUT /settings/payment-methods/{storeId}');
  const save = useMutation({
    mutationFn: async (values: Values) => {
      const result = await api().PUT('/settings/payment-methods/{storeId}', {
        params: { path: { storeId: store }, header: settings.data?.etag ? { 'If-Match': settings.data.etag } : undefined },
        body: { channels: fromForm(values.channels, currency), reason: values.reason?.trim() || undefined },
      });
      return unwrap(result);
    },
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ['settings', 'payment-methods', store] });
      message.success(t('common.saved'));
    },
  });
  const methodLabel = (method: Method) => t(`enums.paymentMethod.${method}`);
  const present = METHODS.filter((method) => settings.data?.data.channels[method]);

  return (
    <div data-testid="payment-methods-page">
      <PageHeader
        title={t('payments.methodsTitle')}
        sub={t('payments.methodsSub', { currency })}
        extra={<StorePicker value={store} onChange={setStore} testId="payment-methods-store" />}
      />
      <ProblemAlert error={settings.error} style={{ marginBottom: 12 }} />
      <Card size="small" loading={settings.isLoading}>
        <Form<Values>
          form={form}
          layout="vertical"
          disabled={!editable}
          onFinish={(values) => save.mutate({ ...form.getFieldsValue(true), ...values })}
        >
          <Table
            size="small"
            rowKey={(method) => method}
            pagination={false}
            dataSource={present}
            scroll={{ x: 'max-content' }}
            columns={[
              { key: 'method', title: t('payments.method'), render: (_: unknown, method: Method) => <strong>{methodLabel(method)}</strong> },
              {
                key: 'enabled',
                title: t('payments.enabled'),
                render: (_: unknown, method: Method) => (
                  <Form.Item name={['channels', method, 'enabled']} valuePropName="checked" noStyle>
                    <Switch aria-label={`${methodLabel(method)} ${t('payments.enabled')}`} data-testid={`method-${method}-enabled`} />
                  </Form.Item>
                ),
              },
              {
                key: 'min',
                title: t('payments.minAmount'),
                render: (_: unknown, method: Method) => (
                  <Form.Item name={['channels', method, 'min']} noStyle rules={[{ required: true }]}>
                    <InputNumber min={0} step={0.01} aria-label={`${methodLabel(method)} ${t('payments.minAmount')}`} style={{ width: 130 }} />
                  </Form.Item>
                ),
              },
              {
                key: 'max',
                title: t('payments.maxAmount'),
                render: (_: unknown, method: Method) => (
                  <Form.Item name={['channels', method, 'max']} noStyle rules={[{ required: true }]}>
                    <InputNumber min={0} step={0.01} aria-label={`${methodLabel(method)} ${t('payments.maxAmount')}`} style={{ width: 140 }} />
                  </Form.Item>
                ),
              },
              {
                key: 'fee',
                title: t('payments.feeRate'),
                render: (_: unknown, method: Method) => (
                  <Form.Item name={['channels', method, 'feeRateBps']} noStyle rules={[{ required: true }]}>
                    <InputNumber min={0} max={2000} aria-label={`${methodLabel(method)} ${t('payments.feeRate')}`} style={{ width: 100 }} />
                  </Form.Item>
                ),
              },
              {
                key: 'bearer',
                title: t('payments.feeBearer'),
                render: (_: unknown, method: Method) => (
                  <Form.Item name={['channels', method, 'feeBearer']} noStyle>
                    <Select
                      aria-label={`${methodLabel(method)} ${t('payments.feeBearer')}`}
                      style={{ width: 130 }}
                      options={(['merchant', 'customer'] as const).map((value) => ({ value, label: t(`payments.bearer.${value}`) }))}
                    />
                  </Form.Item>
                ),
              },
            ]}
          />
          <Typography.Paragraph type="secondary" style={{ marginTop: 8 }}>
            {t('payments.bpsHelp')}
          </Typography.Paragraph>
          <Form.Item
            name="reason"
            label={t('common.reason')}
            rules={[
              { max: 500 },
              {
                validator: async () => {
                  const bad = invertedLimits(form.getFieldValue('channels') as MethodForm);
                  if (bad.length) throw new Error(t('payments.limitsInverted', { methods: bad.map(methodLabel).join(', ') }));
                },
              },
            ]}
          >
            <Input maxLength={500} style={{ maxWidth: 480 }} data-testid="payment-methods-reason" />
          </Form.Item>
          <ProblemAlert error={save.error} style={{ marginBottom: 12 }} />
          {editable && (
            <Flex gap={8}>
              <Button type="primary" htmlType="submit" loading={save.isPending} data-testid="payment-methods-save">
                {t('common.save')}
              </Button>
              <Button onClick={() => settings.data && form.setFieldsValue({ channels: toForm(settings.data.data.channels, currency) })}>
                {t('common.reset')}
              </Button>
            </Flex>
          )}
        </Form>
      </Card>
      <Card size="small" title={t('payments.changes')} style={{ marginTop: 12 }}>
        {settings.data?.data.audit.length ? (
          <Timeline
            items={settings.data.data.audit.map((entry, index) => ({
              key: index,
              children: (
                <>
                  <strong>{entry.by}</strong> ({entry.role}) · {dateTime(entry.at)}
                  {entry.reason && <div>{entry.reason}</div>}
                </>
              ),
            }))}
          />
        ) : (
          <Typography.Text type="secondary">{t('payments.noChanges')}</Typography.Text>
        )}
      </Card>
    </div>
  );
}
