// The reporting currency and every other currency's rate to it (1 <currency> = <rate> <reporting>, exact
// decimals). A PUT replaces them all, with If-Match: the version read.

import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { App, Button, Card, Flex, Form, Input } from 'antd';
import { useEffect } from 'react';
import { api, unwrap } from '../../api/client';
import { useSession } from '../../auth/SessionProvider';
import { PageHeader } from '../../components/PageHeader';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useI18n } from '../../i18n/I18nProvider';
import { duplicateCurrencies, fxFromForm, fxToForm, type FxForm } from './convert';
import { ChangeLog, ifMatch, LastChanged, ReadOnlyNote, SaveProblem, versioned } from './shared';

export function FxRatesPage() {
  const { t } = useI18n();
  const { can } = useSession();
  const { message } = App.useApp();
  const client = useQueryClient();
  const [form] = Form.useForm<FxForm>();
  const editable = can('PUT /settings/fx-rates');
  const settings = useQuery({
    queryKey: ['settings', 'fx-rates'],
    queryFn: async () => {
      const result = await api().GET('/settings/fx-rates');
      return versioned(unwrap(result), result.response);
    },
  });
  useEffect(() => {
    if (settings.data) form.setFieldsValue(fxToForm(settings.data.data));
  }, [settings.data, form]);
  const save = useMutation({
    mutationFn: async (values: FxForm) =>
      unwrap(await api().PUT('/settings/fx-rates', { params: { header: ifMatch(settings.data?.etag) }, body: fxFromForm(values) })),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ['settings', 'fx-rates'] });
      message.success(t('common.saved'));
    },
  });
  const reporting = Form.useWatch('reportingCurrency', form) ?? settings.data?.data.reportingCurrency ?? '';
  const data = settings.data?.data;

  return (
    <div data-testid="settings-fx-page">
      <PageHeader title={t('settings.fx.title')} sub={t('settings.fx.sub')} />
      <ProblemAlert error={settings.error} style={{ marginBottom: 12 }} />
      <ReadOnlyNote editable={editable} />
      <Card size="small" loading={settings.isLoading} title={t('settings.fx.rates')}>
        {data && <div style={{ marginBottom: 12 }}><LastChanged by={data.updatedBy} at={data.updatedAt} version={data.version} /></div>}
        <Form<FxForm> form={form} layout="vertical" disabled={!editable} onFinish={(values) => save.mutate({ ...form.getFieldsValue(true), ...values })}>
          <Form.Item name="reportingCurrency" label={t('settings.fx.reporting')} rules={[{ required: true, pattern: /^[A-Za-z]{3}$/, message: t('settings.common.currencyCode') }]} style={{ maxWidth: 200 }}>
            <Input maxLength={3} data-testid="fx-reporting" />
          </Form.Item>
          <Form.List
            name="rates"
            rules={[
              {
                validator: async (_, rows: FxForm['rates']) => {
                  const twice = duplicateCurrencies(rows);
                  if (twice.length) throw new Error(t('settings.fx.duplicate', { currencies: twice.join(', ') }));
                },
              },
            ]}
          >
            {(fields, { add, remove }, { errors }) => (
              <>
                {fields.map((field, index) => (
                  <Flex key={field.key} gap={8} wrap align="flex-start" data-testid={`fx-row-${index}`}>
                    <Form.Item name={[field.name, 'currency']} label={t('settings.fx.currency')} rules={[{ required: true, pattern: /^[A-Za-z]{3}$/, message: t('settings.common.currencyCode') }]} style={{ flex: '0 1 120px' }}>
                      <Input maxLength={3} data-testid={`fx-currency-${index}`} />
                    </Form.Item>
                    <Form.Item
                      name={[field.name, 'rate']}
                      label={t('settings.fx.rate', { reporting })}
                      rules={[{ required: true, pattern: /^\d{1,18}(\.\d{1,18})?$/, message: t('settings.fx.rateFormat') }]}
                      style={{ flex: '1 1 200px' }}
                    >
                      <Input inputMode="decimal" data-testid={`fx-rate-${index}`} />
                    </Form.Item>
                    {editable && (
                      <Button danger icon={<DeleteOutlined />} onClick={() => remove(field.name)} aria-label={t('settings.fx.remove', { n: index + 1 })} style={{ marginTop: 30 }} />
                    )}
                  </Flex>
                ))}
                <Form.ErrorList errors={errors} />
                {editable && fields.length < 16 && (
                  <Button icon={<PlusOutlined />} onClick={() => add({ currency: '', rate: '' })} style={{ marginBottom: 12 }} data-testid="fx-add">
                    {t('settings.fx.add')}
                  </Button>
                )}
              </>
            )}
          </Form.List>
          <Form.Item name="reason" label={t('common.reason')} rules={[{ max: 500 }]}>
            <Input maxLength={500} style={{ maxWidth: 480 }} data-testid="fx-reason" />
          </Form.Item>
          <SaveProblem error={save.error} onReload={() => void settings.refetch().then(() => save.reset())} />
          {editable && (
            <Button type="primary" htmlType="submit" loading={save.isPending} data-testid="fx-save">
              {t('common.save')}
            </Button>
          )}
        </Form>
      </Card>
      <ChangeLog entries={data?.audit} />
    </div>
  );
}
