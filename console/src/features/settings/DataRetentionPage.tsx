// Data retention: whether the daily job pseudonymises orders closed longer ago than `closedDays` (If-Match);
// and, for those who may, one customer's erasure now, behind a confirmation naming the customer, with a reason.

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, App, type ButtonProps, Button, Card, Descriptions, Form, Input, InputNumber, Modal, Switch, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { api, unwrap, type Schemas } from '../../api/client';
import { useSession } from '../../auth/SessionProvider';
import { PageHeader } from '../../components/PageHeader';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useI18n } from '../../i18n/I18nProvider';
import { retentionFromForm, type RetentionForm } from './convert';
import { ifMatch, LastChanged, ReadOnlyNote, SaveProblem, versioned } from './shared';

export function DataRetentionPage() {
  const { t } = useI18n();
  const { can } = useSession();
  return (
    <div data-testid="settings-retention-page">
      <PageHeader title={t('settings.retention.title')} sub={t('settings.retention.sub')} />
      <RetentionSettings />
      {can('POST /customers/{customerId}/erasure') && <Erasure />}
    </div>
  );
}

function RetentionSettings() {
  const { t } = useI18n();
  const { can } = useSession();
  const { message } = App.useApp();
  const client = useQueryClient();
  const [form] = Form.useForm<RetentionForm>();
  const editable = can('PUT /settings/data-retention');
  const settings = useQuery({
    queryKey: ['settings', 'data-retention'],
    queryFn: async () => {
      const result = await api().GET('/settings/data-retention');
      return versioned(unwrap(result), result.response);
    },
  });
  useEffect(() => {
    if (settings.data) form.setFieldsValue({ enabled: settings.data.data.enabled, closedDays: settings.data.data.closedDays, reason: '' });
  }, [settings.data, form]);
  const save = useMutation({
    mutationFn: async (values: RetentionForm) =>
      unwrap(await api().PUT('/settings/data-retention', { params: { header: ifMatch(settings.data?.etag) }, body: retentionFromForm(values) })),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ['settings', 'data-retention'] });
      message.success(t('common.saved'));
    },
  });
  const data = settings.data?.data;
  return (
    <Card size="small" title={t('settings.retention.settings')} loading={settings.isLoading} style={{ marginBottom: 12 }}>
        {data && <div style={{ marginBottom: 12 }}><LastChanged by={data.updatedBy} at={data.updatedAt} version={data.version} /></div>}
      <ProblemAlert error={settings.error} style={{ marginBottom: 12 }} />
      <ReadOnlyNote editable={editable} />
      <Form<RetentionForm> form={form} layout="vertical" disabled={!editable} onFinish={(values) => save.mutate(values)}>
        <Form.Item name="enabled" label={t('settings.retention.enabled')} valuePropName="checked" extra={t('settings.retention.enabledHelp')}>
          <Switch data-testid="retention-enabled" />
        </Form.Item>
        <Form.Item name="closedDays" label={t('settings.retention.closedDays')} extra={t('settings.retention.closedDaysHelp')} rules={[{ required: true }]} style={{ maxWidth: 260 }}>
          <InputNumber min={30} max={3650} precision={0} style={{ width: '100%' }} data-testid="retention-days" />
        </Form.Item>
        <Form.Item name="reason" label={t('common.reason')} rules={[{ min: 3, max: 500 }]}>
          <Input maxLength={500} style={{ maxWidth: 480 }} data-testid="retention-reason" />
        </Form.Item>
        <SaveProblem error={save.error} onReload={() => void settings.refetch().then(() => save.reset())} />
        {editable && (
          <Button type="primary" htmlType="submit" loading={save.isPending} data-testid="retention-save">
            {t('common.save')}
          </Button>
        )}
      </Form>
    </Card>
  );
}

interface ErasureForm {
  customerId: string;
  reason: string;
}

function Erasure() {
  const { t, dateTime } = useI18n();
  const client = useQueryClient();
  const [form] = Form.useForm<ErasureForm>();
  const [confirming, setConfirming] = useState<ErasureForm | null>(null);
  const [result, setResult] = useState<Schemas['CustomerErasure'] | null>(null);
  const erase = useMutation({
    mutationFn: async (values: ErasureForm) =>
      unwrap(
        await api().POST('/customers/{customerId}/erasure', {
          params: { path: { customerId: values.customerId }, header: { 'Idempotency-Key': crypto.randomUUID() } },
          body: { reason: values.reason },
        }),
      ),
    onSuccess: (data) => {
      setResult(data);
      setConfirming(null);
      form.resetFields();
      void client.invalidateQueries({ queryKey: ['orders'] });
    },
  });
  const list = (ids: string[]) => (ids.length ? ids.join(', ') : '—');
  return (
    <Card size="small" title={t('settings.retention.erasure')} data-testid="erasure">
      <Typography.Paragraph type="secondary">{t('settings.retention.erasureHelp')}</Typography.Paragraph>
      <Form<ErasureForm>
        form={form}
        layout="vertical"
        onFinish={(values) => {
          erase.reset();
          setConfirming({ customerId: values.customerId.trim(), reason: values.reason.trim() });
        }}
      >
        <Form.Item name="customerId" label={t('settings.retention.customer')} rules={[{ required: true, pattern: /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, max: 64 }]} style={{ maxWidth: 320 }}>
          <Input data-testid="erasure-customer" />
        </Form.Item>
        <Form.Item name="reason" label={t('common.reason')} rules={[{ required: true, whitespace: true, min: 3, max: 500 }]}>
          <Input.TextArea maxLength={500} rows={2} style={{ maxWidth: 480 }} data-testid="erasure-reason" />
        </Form.Item>
        <Button danger htmlType="submit" data-testid="erasure-submit">
          {t('settings.retention.erase')}
        </Button>
      </Form>
      {result && (
        <Alert
          type="success"
          showIcon
          style={{ marginTop: 12 }}
          data-testid="erasure-result"
          title={t('settings.retention.erased', { customer: result.customerId, at: dateTime(result.erasedAt) })}
          description={
            <Descriptions size="small" column={1}>
              <Descriptions.Item label={t('settings.retention.erasedNow')}>{list(result.erased)}</Descriptions.Item>
              <Descriptions.Item label={t('settings.retention.alreadyErased')}>{list(result.alreadyErased)}</Descriptions.Item>
              <Descriptions.Item label={t('settings.retention.stillOpen')}>{list(result.open)}</Descriptions.Item>
            </Descriptions>
          }
        />
      )}
      <Modal
        open={!!confirming}
        title={t('settings.retention.confirmTitle', { customer: confirming?.customerId ?? '' })}
        onCancel={() => setConfirming(null)}
        onOk={() => confirming && erase.mutate(confirming)}
        okText={t('settings.retention.erase')}
        cancelText={t('common.cancel')}
        okButtonProps={{ danger: true, loading: erase.isPending, 'data-testid': 'erasure-confirm' } as ButtonProps}
      >
        <Typography.Paragraph data-testid="erasure-confirm-text">{t('settings.retention.confirmText', { customer: confirming?.customerId ?? '' })}</Typography.Paragraph>
        <Typography.Paragraph type="secondary">
          {t('common.reason')}: {confirming?.reason}
        </Typography.Paragraph>
        <ProblemAlert error={erase.error} />
      </Modal>
    </Card>
  );
}
