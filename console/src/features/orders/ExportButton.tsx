// Export the orders the list's filters find (POST /exports): format, language and fields; the export
// runs in the background, so the answer is its id and a link to the exports page.

import { DownloadOutlined } from '@ant-design/icons';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Checkbox, Form, Modal, Radio, Select, Typography } from 'antd';
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { api, unwrap, type Schemas } from '../../api/client';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useI18n } from '../../i18n/I18nProvider';
import { LOCALES } from '../../i18n/messages';
import { newKey } from './api';
import { filtersToExport, type OrderFilters } from './filters';

// docs/exports.md#fields: the fields an export may hold; ✓ are the defaults.
export const EXPORT_FIELDS = [
  'orderNumber', 'orderId', 'status', 'createdAt', 'updatedAt', 'paymentDeadline', 'deliveredAt', 'stores',
  'customerId', 'currency', 'subtotal', 'shipping', 'discount', 'total', 'refunded', 'itemCount', 'lines',
  'shippingName', 'shippingPhone', 'shippingAddress', 'shippingCity', 'shippingCountry',
] as const;
export const DEFAULT_EXPORT_FIELDS = ['orderNumber', 'status', 'createdAt', 'stores', 'customerId', 'currency', 'total', 'lines'];

interface ExportForm {
  format: Schemas['ExportFormat'];
  locale: Schemas['Locale'];
  fields: string[];
}

export function ExportButton({ filters }: { filters: OrderFilters }) {
  const { t, locale } = useI18n();
  const client = useQueryClient();
  const [open, setOpen] = useState(false);
  const [form] = Form.useForm<ExportForm>();
  const [key, setKey] = useState(newKey);
  const submit = useMutation({
    mutationFn: async (values: ExportForm) =>
      unwrap(
        await api().POST('/exports', {
          params: { header: { 'Idempotency-Key': key } },
          body: { format: values.format, locale: values.locale, fields: values.fields, filters: filtersToExport(filters) },
        }),
      ),
    onSuccess: () => client.invalidateQueries({ queryKey: ['exports'] }),
  });
  const close = () => {
    setOpen(false);
    submit.reset();
    setKey(newKey());
  };
  return (
    <>
      <Button icon={<DownloadOutlined />} onClick={() => setOpen(true)} data-testid="export-open">
        {t('orders.export.button')}
      </Button>
      <Modal
        open={open}
        title={t('orders.export.title')}
        onCancel={close}
        okText={submit.data ? t('common.close') : t('orders.export.submit')}
        onOk={() => (submit.data ? close() : form.submit())}
        confirmLoading={submit.isPending}
        okButtonProps={{ 'data-testid': 'export-submit' }}
        destroyOnHidden
      >
        {submit.data ? (
          <Alert
            type="success"
            showIcon
            data-testid="export-result"
            title={t('orders.export.queued')}
            description={
              <>
                <div>
                  {t('orders.export.id')}: <Typography.Text code data-testid="export-id">{submit.data.exportId}</Typography.Text>
                </div>
                <Link to="/exports" data-testid="export-link">
                  {t('orders.export.open')}
                </Link>
              </>
            }
          />
        ) : (
          <Form<ExportForm>
            form={form}
            layout="vertical"
            initialValues={{ format: 'xlsx', locale, fields: DEFAULT_EXPORT_FIELDS }}
            onFinish={(values) => submit.mutate(values)}
          >
            <Typography.Paragraph type="secondary">{t('orders.export.scope')}</Typography.Paragraph>
            <Form.Item name="format" label={t('orders.export.format')}>
              <Radio.Group
                data-testid="export-format"
                options={(['csv', 'xlsx', 'pdf'] as const).map((format) => ({ value: format, label: format.toUpperCase() }))}
              />
            </Form.Item>
            <Form.Item name="locale" label={t('orders.export.locale')}>
              <Select options={LOCALES.map((item) => ({ value: item, label: t(`orders.export.locales.${item}`) }))} />
            </Form.Item>
            <Form.Item
              name="fields"
              label={t('orders.export.fields')}
              rules={[{ required: true, type: 'array', min: 1, message: t('orders.export.fieldsRequired') }]}
              extra={t('orders.export.masking')}
            >
              <Checkbox.Group
                style={{ display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(150px, 1fr))', gap: 4 }}
                options={EXPORT_FIELDS.map((field) => ({ value: field, label: t(`orders.export.field.${field}`) }))}
              />
            </Form.Item>
            <ProblemAlert error={submit.error} />
          </Form>
        )}
      </Modal>
    </>
  );
}
