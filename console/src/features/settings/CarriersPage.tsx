// The carriers parcels are packed for (each one's parcel weight limit, none: no limit), which carrier each
// store ships with, and the default for the other stores. PUT replaces them, with If-Match.

import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { App, Button, Card, Flex, Form, Input, InputNumber, Select, Typography } from 'antd';
import { useEffect } from 'react';
import { api, unwrap } from '../../api/client';
import { useSession } from '../../auth/SessionProvider';
import { PageHeader } from '../../components/PageHeader';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useI18n } from '../../i18n/I18nProvider';
import { carriersFromForm, carriersToForm, type CarriersForm } from './convert';
import { ifMatch, LastChanged, ReadOnlyNote, SaveProblem, versioned } from './shared';

const CODE = /^[a-z0-9-]{2,20}$/;

export function CarriersPage() {
  const { t } = useI18n();
  const { can } = useSession();
  const { message } = App.useApp();
  const client = useQueryClient();
  const [form] = Form.useForm<CarriersForm>();
  const editable = can('PUT /settings/carriers');
  const settings = useQuery({
    queryKey: ['settings', 'carriers'],
    queryFn: async () => {
      const result = await api().GET('/settings/carriers');
      return versioned(unwrap(result), result.response);
    },
  });
  useEffect(() => {
    if (settings.data) form.setFieldsValue(carriersToForm(settings.data.data));
  }, [settings.data, form]);
  const save = useMutation({
    mutationFn: async (values: CarriersForm) =>
      unwrap(await api().PUT('/settings/carriers', { params: { header: ifMatch(settings.data?.etag) }, body: carriersFromForm(values) })),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ['settings', 'carriers'] });
      message.success(t('common.saved'));
    },
  });
  const carriers = (Form.useWatch('carriers', form) ?? []) as CarriersForm['carriers'];
  const codes = [...new Set(carriers.map((carrier) => carrier?.code?.trim()).filter((code): code is string => !!code && CODE.test(code)))];
  const codeOptions = codes.map((code) => ({ value: code, label: code }));
  const data = settings.data?.data;

  return (
    <div data-testid="settings-carriers-page">
      <PageHeader title={t('settings.carriers.title')} sub={t('settings.carriers.sub')} />
      <ProblemAlert error={settings.error} style={{ marginBottom: 12 }} />
      <ReadOnlyNote editable={editable} />
      <Card size="small" loading={settings.isLoading} title={t('settings.carriers.carriers')}>
        {data && <div style={{ marginBottom: 12 }}><LastChanged by={data.updatedBy} at={data.updatedAt} version={data.version} /></div>}
        <Form<CarriersForm> form={form} layout="vertical" disabled={!editable} onFinish={(values) => save.mutate({ ...form.getFieldsValue(true), ...values })}>
          <Form.List name="carriers">
            {(fields, { add, remove }) => (
              <>
                {fields.length === 0 && <Typography.Paragraph type="secondary">{t('settings.carriers.none')}</Typography.Paragraph>}
                {fields.map((field, index) => (
                  <Flex key={field.key} gap={8} wrap align="flex-start" data-testid={`carrier-row-${index}`}>
                    <Form.Item name={[field.name, 'code']} label={t('settings.carriers.code')} rules={[{ required: true, pattern: CODE, message: t('settings.carriers.codeFormat') }]} style={{ flex: '1 1 160px' }}>
                      <Input maxLength={20} data-testid={`carrier-code-${index}`} />
                    </Form.Item>
                    <Form.Item name={[field.name, 'parcelWeightLimitGrams']} label={t('settings.carriers.limit')} extra={t('settings.carriers.limitHelp')} style={{ flex: '1 1 180px' }}>
                      <InputNumber min={1} max={1_000_000} precision={0} style={{ width: '100%' }} data-testid={`carrier-limit-${index}`} />
                    </Form.Item>
                    {editable && (
                      <Button danger icon={<DeleteOutlined />} onClick={() => remove(field.name)} aria-label={t('settings.carriers.remove', { n: index + 1 })} style={{ marginTop: 30 }} />
                    )}
                  </Flex>
                ))}
                {editable && fields.length < 50 && (
                  <Button icon={<PlusOutlined />} onClick={() => add({ code: '', parcelWeightLimitGrams: null })} style={{ marginBottom: 12 }} data-testid="carrier-add">
                    {t('settings.carriers.add')}
                  </Button>
                )}
              </>
            )}
          </Form.List>
          <Form.Item name="defaultCarrier" label={t('settings.carriers.default')} extra={t('settings.carriers.defaultHelp')} style={{ maxWidth: 320 }}>
            <Select allowClear options={codeOptions} placeholder={t('settings.carriers.noDefault')} />
          </Form.Item>
          <Typography.Title level={5}>{t('settings.carriers.stores')}</Typography.Title>
          <Form.List name="storeCarriers">
            {(fields, { add, remove }) => (
              <>
                {fields.map((field, index) => (
                  <Flex key={field.key} gap={8} wrap align="flex-start">
                    <Form.Item name={[field.name, 'storeId']} label={t('settings.carriers.store')} rules={[{ required: true, pattern: /^[A-Za-z0-9_-]+$/ }]} style={{ flex: '1 1 160px' }}>
                      <Input maxLength={64} />
                    </Form.Item>
                    <Form.Item name={[field.name, 'carrier']} label={t('settings.carriers.carrier')} rules={[{ required: true }]} style={{ flex: '1 1 160px' }}>
                      <Select options={codeOptions} />
                    </Form.Item>
                    {editable && (
                      <Button danger icon={<DeleteOutlined />} onClick={() => remove(field.name)} aria-label={t('settings.carriers.removeStore', { n: index + 1 })} style={{ marginTop: 30 }} />
                    )}
                  </Flex>
                ))}
                {editable && (
                  <Button icon={<PlusOutlined />} onClick={() => add({ storeId: '', carrier: codes[0] ?? '' })} style={{ marginBottom: 12 }}>
                    {t('settings.carriers.addStore')}
                  </Button>
                )}
              </>
            )}
          </Form.List>
          <Form.Item name="reason" label={t('common.reason')} rules={[{ max: 500 }]}>
            <Input maxLength={500} style={{ maxWidth: 480 }} />
          </Form.Item>
          <SaveProblem error={save.error} onReload={() => void settings.refetch().then(() => save.reset())} />
          {editable && (
            <Button type="primary" htmlType="submit" loading={save.isPending} data-testid="carriers-save">
              {t('common.save')}
            </Button>
          )}
        </Form>
      </Card>
    </div>
  );
}
