// A store's settings (PUT /stores/{storeId}, If-Match) and its freight templates (list; create, edit or
// delete one with If-Match: its version). Amounts are typed in major units of the store's currency.

import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { App, Button, Card, Flex, Form, Input, InputNumber, Modal, Popconfirm, Select, Space, Switch, Tag, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { api, unwrap, type Schemas } from '../../api/client';
import { useSession } from '../../auth/SessionProvider';
import { DataList } from '../../components/DataList';
import { Money } from '../../components/Money';
import { PageHeader } from '../../components/PageHeader';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useI18n } from '../../i18n/I18nProvider';
import { StorePicker } from '../dashboard/StorePicker';
import {
  newTemplateForm, storeFromForm, storeToForm, templateFromForm, templateToForm,
  type FreightTemplateForm, type StoreForm,
} from './convert';
import { ifMatch, LastChanged, ReadOnlyNote, SaveProblem, versioned } from './shared';
import { defaultStore } from './store';

export function StorePage() {
  const { t } = useI18n();
  const [store, setStore] = useState(defaultStore);
  return (
    <div data-testid="settings-store-page">
      <PageHeader title={t('settings.store.title')} sub={t('settings.store.sub')} extra={<StorePicker value={store} onChange={setStore} testId="settings-store-picker" />} />
      {store && <StoreSettings key={store} store={store} />}
      {store && <FreightTemplates key={`ft-${store}`} store={store} />}
    </div>
  );
}

function StoreSettings({ store }: { store: string }) {
  const { t } = useI18n();
  const { can } = useSession();
  const { message } = App.useApp();
  const client = useQueryClient();
  const [form] = Form.useForm<StoreForm>();
  const editable = can('PUT /stores/{storeId}');
  const settings = useQuery({
    queryKey: ['store', store, 'versioned'],
    retry: false,
    queryFn: async () => {
      const result = await api().GET('/stores/{storeId}', { params: { path: { storeId: store } } });
      return versioned(unwrap(result), result.response);
    },
  });
  useEffect(() => {
    if (settings.data) form.setFieldsValue(storeToForm(settings.data.data));
  }, [settings.data, form]);
  const save = useMutation({
    mutationFn: async (values: StoreForm) => {
      const result = await api().PUT('/stores/{storeId}', {
        params: { path: { storeId: store }, header: ifMatch(settings.data?.etag) },
        body: storeFromForm(values),
      });
      return unwrap(result);
    },
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ['store', store] });
      void client.invalidateQueries({ queryKey: ['freight-templates', store] });
      message.success(t('common.saved'));
    },
  });
  const currency = Form.useWatch('currency', form) ?? settings.data?.data.currency ?? 'CNY';
  const missing = settings.error && (settings.error as { status?: number }).status === 404;

  return (
    <Card
      size="small"
      title={t('settings.store.settings')}
      style={{ marginBottom: 12 }}
      loading={settings.isLoading}
    >
        {settings.data && <div style={{ marginBottom: 12 }}><LastChanged at={settings.data.data.updatedAt} version={settings.data.data.version} /></div>}
      {missing ? (
        <Typography.Paragraph data-testid="store-missing">{t('settings.store.missing', { store })}</Typography.Paragraph>
      ) : (
        <ProblemAlert error={settings.error} style={{ marginBottom: 12 }} />
      )}
      <ReadOnlyNote editable={editable} />
      <Form<StoreForm>
        form={form}
        layout="vertical"
        disabled={!editable}
        onFinish={(values) => save.mutate(values)}
        initialValues={{ currency: 'CNY', stockPolicy: 'reserve_at_order', latePaymentPolicy: 'refund', settlementDays: 7, commissionBps: 500, lowStockThreshold: null, freeShippingThreshold: null }}
      >
        <Flex gap={16} wrap>
          <Form.Item name="name" label={t('settings.store.name')} rules={[{ required: true, max: 200 }]} style={{ flex: '1 1 240px' }}>
            <Input maxLength={200} data-testid="store-name" />
          </Form.Item>
          <Form.Item name="currency" label={t('settings.store.currency')} rules={[{ required: true, pattern: /^[A-Za-z]{3}$/ }]} style={{ flex: '0 1 120px' }}>
            <Input maxLength={3} data-testid="store-currency" />
          </Form.Item>
        </Flex>
        <Flex gap={16} wrap>
          <Form.Item name="shippingFee" label={t('settings.store.shippingFee', { currency })} rules={[{ required: true }]} style={{ flex: '1 1 180px' }}>
            <InputNumber min={0} step={0.01} style={{ width: '100%' }} data-testid="store-shipping-fee" />
          </Form.Item>
          <Form.Item name="freeShippingThreshold" label={t('settings.store.freeShippingThreshold', { currency })} extra={t('settings.store.emptyNone')} style={{ flex: '1 1 180px' }}>
            <InputNumber min={0} step={0.01} style={{ width: '100%' }} data-testid="store-free-threshold" />
          </Form.Item>
          <Form.Item name="lowStockThreshold" label={t('settings.store.lowStockThreshold')} extra={t('settings.store.emptyNone')} style={{ flex: '1 1 180px' }}>
            <InputNumber min={0} max={10_000_000} precision={0} style={{ width: '100%' }} />
          </Form.Item>
        </Flex>
        <Flex gap={16} wrap>
          <Form.Item name="stockPolicy" label={t('settings.store.stockPolicy')} style={{ flex: '1 1 220px' }}>
            <Select options={(['reserve_at_order', 'deduct_at_order'] as const).map((value) => ({ value, label: t(`settings.store.stockPolicies.${value}`) }))} />
          </Form.Item>
          <Form.Item name="latePaymentPolicy" label={t('settings.store.latePaymentPolicy')} style={{ flex: '1 1 220px' }}>
            <Select options={(['refund', 'revive-if-stock'] as const).map((value) => ({ value, label: t(`settings.store.latePolicies.${value}`) }))} />
          </Form.Item>
          <Form.Item name="settlementDays" label={t('settings.store.settlementDays')} rules={[{ required: true }]} style={{ flex: '0 1 140px' }}>
            <InputNumber min={0} max={90} precision={0} style={{ width: '100%' }} />
          </Form.Item>
          <Form.Item name="commissionBps" label={t('settings.store.commissionBps')} extra={t('settings.store.bpsHelp')} rules={[{ required: true }]} style={{ flex: '0 1 160px' }}>
            <InputNumber min={0} max={10_000} precision={0} style={{ width: '100%' }} />
          </Form.Item>
        </Flex>
        <SaveProblem error={save.error} onReload={() => void settings.refetch().then(() => save.reset())} />
        {editable && (
          <Button type="primary" htmlType="submit" loading={save.isPending} data-testid="store-save">
            {missing ? t('settings.store.create') : t('common.save')}
          </Button>
        )}
      </Form>
    </Card>
  );
}

function FreightTemplates({ store }: { store: string }) {
  const { t, dateTime } = useI18n();
  const { can } = useSession();
  const client = useQueryClient();
  const { message } = App.useApp();
  const editable = can('PUT /stores/{storeId}/freight-templates/{freightTemplateId}');
  const mayDelete = can('DELETE /stores/{storeId}/freight-templates/{freightTemplateId}');
  const [editing, setEditing] = useState<{ id: string | null } | null>(null);
  const list = useQuery({
    queryKey: ['freight-templates', store],
    retry: false,
    queryFn: async () => unwrap(await api().GET('/stores/{storeId}/freight-templates', { params: { path: { storeId: store } } })),
  });
  const remove = useMutation({
    mutationFn: async (template: Schemas['FreightTemplate']) =>
      unwrap(
        await api().DELETE('/stores/{storeId}/freight-templates/{freightTemplateId}', {
          params: { path: { storeId: store, freightTemplateId: template.templateId }, header: { 'If-Match': `"${template.version}"` } },
        }),
      ),
    onSuccess: (data) => {
      client.setQueryData(['freight-templates', store], data);
      void client.invalidateQueries({ queryKey: ['freight-templates', store] });
      message.success(t('settings.freight.deleted'));
    },
  });
  const rows = list.data ? [...list.data.items, ...(list.data.defaultTemplateId === 'flat-fee' ? [list.data.flatFee] : [])] : [];

  return (
    <Card
      size="small"
      title={t('settings.freight.title')}
      extra={
        editable && (
          <Button icon={<PlusOutlined />} onClick={() => setEditing({ id: null })} data-testid="freight-new">
            {t('settings.freight.new')}
          </Button>
        )
      }
    >
      <Typography.Paragraph type="secondary">{t('settings.freight.help')}</Typography.Paragraph>
      <ProblemAlert error={list.error ?? remove.error} style={{ marginBottom: 12 }} />
      <DataList<Schemas['FreightTemplate']>
        rows={rows}
        rowKey={(row) => row.templateId}
        loading={list.isLoading}
        testId="freight-list"
        label={t('settings.freight.title')}
        cardTitle={(row) => (row.templateId === 'flat-fee' ? t('settings.freight.flatFee') : row.name)}
        columns={[
          {
            key: 'name',
            title: t('settings.freight.name'),
            render: (_, row) => (
              <Space size={4} wrap>
                <strong>{row.templateId === 'flat-fee' ? t('settings.freight.flatFee') : row.name}</strong>
                <Typography.Text type="secondary"><code>{row.templateId}</code></Typography.Text>
                {row.isDefault && <Tag color="blue">{t('settings.freight.default')}</Tag>}
              </Space>
            ),
          },
          { key: 'basis', title: t('settings.freight.basis'), render: (_, row) => t(`settings.freight.bases.${row.basis}`) },
          {
            key: 'first',
            title: t('settings.freight.firstFee'),
            render: (_, row) => (row.rules[0] ? <Money value={row.rules[0].firstFee} /> : '—'),
          },
          { key: 'rules', title: t('settings.freight.rulesCount'), render: (_, row) => t('settings.freight.ruleCount', { n: row.rules.length }) },
          { key: 'updated', title: t('settings.freight.updatedAt'), render: (_, row) => dateTime(row.updatedAt) },
          {
            key: 'actions',
            title: t('common.actions'),
            render: (_, row) =>
              row.templateId === 'flat-fee' ? (
                <Typography.Text type="secondary">{t('settings.freight.flatFeeHint')}</Typography.Text>
              ) : (
                <Space>
                  <Button size="small" onClick={() => setEditing({ id: row.templateId })} data-testid={`freight-edit-${row.templateId}`}>
                    {editable ? t('common.edit') : t('common.details')}
                  </Button>
                  {mayDelete && (
                    <Popconfirm title={t('settings.freight.deleteConfirm', { name: row.name })} onConfirm={() => remove.mutate(row)} okText={t('common.delete')} cancelText={t('common.cancel')}>
                      <Button size="small" danger icon={<DeleteOutlined />} aria-label={`${t('common.delete')} ${row.name}`} data-testid={`freight-delete-${row.templateId}`} />
                    </Popconfirm>
                  )}
                </Space>
              ),
          },
        ]}
      />
      {editing && (
        <TemplateEditor
          store={store}
          id={editing.id}
          currency={list.data?.flatFee.currency ?? 'CNY'}
          editable={editable}
          onClose={() => setEditing(null)}
        />
      )}
    </Card>
  );
}

function RegionsInput({ testId, ...props }: { value?: string[]; onChange?: (value: string[]) => void; testId?: string; 'aria-label'?: string }) {
  const { t } = useI18n();
  return (
    <Select
      mode="tags"
      tokenSeparators={[',', ' ']}
      open={false}
      suffixIcon={null}
      placeholder={t('settings.freight.regionsPlaceholder')}
      style={{ width: '100%', minWidth: 160 }}
      data-testid={testId}
      {...props}
    />
  );
}

function TemplateEditor({ store, id, currency, editable, onClose }: { store: string; id: string | null; currency: string; editable: boolean; onClose: () => void }) {
  const { t } = useI18n();
  const client = useQueryClient();
  const { message } = App.useApp();
  const [form] = Form.useForm<FreightTemplateForm>();
  const current = useQuery({
    queryKey: ['freight-templates', store, id],
    enabled: !!id,
    retry: false,
    queryFn: async () => {
      const result = await api().GET('/stores/{storeId}/freight-templates/{freightTemplateId}', {
        params: { path: { storeId: store, freightTemplateId: id ?? '' } },
      });
      return versioned(unwrap(result), result.response);
    },
  });
  useEffect(() => {
    if (id && current.data) form.setFieldsValue(templateToForm(current.data.data));
    if (!id) form.setFieldsValue(newTemplateForm(currency));
  }, [id, current.data, currency, form]);
  const save = useMutation({
    mutationFn: async (values: FreightTemplateForm) => {
      const templateId = id ?? values.templateId.trim();
      const result = await api().PUT('/stores/{storeId}/freight-templates/{freightTemplateId}', {
        // a new template: If-Match is left out (an id already taken is replaced, as the API documents)
        params: { path: { storeId: store, freightTemplateId: templateId }, header: id ? ifMatch(current.data?.etag) : undefined },
        body: templateFromForm(values),
      });
      return unwrap(result);
    },
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ['freight-templates', store] });
      message.success(t('common.saved'));
      onClose();
    },
  });
  const basis = Form.useWatch('basis', form) ?? 'weight';
  const formCurrency = Form.useWatch('currency', form) ?? currency;
  const unit = basis === 'weight' ? t('settings.freight.grams') : t('settings.freight.pieces');

  return (
    <Modal
      open
      width={900}
      title={id ? t('settings.freight.editTitle', { id }) : t('settings.freight.newTitle')}
      onCancel={onClose}
      footer={null}
      destroyOnHidden
    >
      <div data-testid="freight-editor">
        <ProblemAlert error={current.error} style={{ marginBottom: 12 }} />
        <Form<FreightTemplateForm> form={form} layout="vertical" disabled={!editable} onFinish={(values) => save.mutate({ ...form.getFieldsValue(true), ...values })}>
          <Flex gap={12} wrap>
            {!id && (
              <Form.Item name="templateId" label={t('settings.freight.id')} rules={[{ required: true, pattern: /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, max: 64 }]} style={{ flex: '1 1 160px' }}>
                <Input data-testid="freight-id" />
              </Form.Item>
            )}
            <Form.Item name="name" label={t('settings.freight.name')} rules={[{ required: true, max: 200 }]} style={{ flex: '2 1 200px' }}>
              <Input data-testid="freight-name" />
            </Form.Item>
            <Form.Item name="currency" label={t('settings.store.currency')} rules={[{ required: true, pattern: /^[A-Za-z]{3}$/ }]} style={{ flex: '0 1 100px' }}>
              <Input maxLength={3} />
            </Form.Item>
            <Form.Item name="basis" label={t('settings.freight.basis')} style={{ flex: '1 1 150px' }}>
              <Select data-testid="freight-basis" options={(['weight', 'piece', 'order'] as const).map((value) => ({ value, label: t(`settings.freight.bases.${value}`) }))} />
            </Form.Item>
            <Form.Item name="isDefault" label={t('settings.freight.isDefault')} valuePropName="checked" style={{ flex: '0 1 120px' }}>
              <Switch />
            </Form.Item>
          </Flex>

          <Typography.Title level={5}>{t('settings.freight.rules')}</Typography.Title>
          <Typography.Paragraph type="secondary">{t('settings.freight.rulesHelp')}</Typography.Paragraph>
          <Form.List name="rules">
            {(fields, { add, remove }) => (
              <>
                {fields.map((field, index) => (
                  <Card size="small" key={field.key} style={{ marginBottom: 8 }} data-testid={`freight-rule-${index}`}>
                    <Flex gap={8} wrap align="flex-start">
                      <Form.Item name={[field.name, 'regions']} label={t('settings.freight.regions')} extra={t('settings.freight.regionsHelp')} style={{ flex: '2 1 220px' }}>
                        <RegionsInput aria-label={`${t('settings.freight.regions')} ${index + 1}`} />
                      </Form.Item>
                      {basis !== 'order' && (
                        <Form.Item name={[field.name, 'first']} label={t('settings.freight.first', { unit })} rules={[{ required: true }]} style={{ flex: '1 1 110px' }}>
                          <InputNumber min={1} max={1_000_000} precision={0} style={{ width: '100%' }} />
                        </Form.Item>
                      )}
                      <Form.Item name={[field.name, 'firstFee']} label={t('settings.freight.firstFeeIn', { currency: formCurrency })} rules={[{ required: true }]} style={{ flex: '1 1 110px' }}>
                        <InputNumber min={0} step={0.01} style={{ width: '100%' }} data-testid={`freight-rule-${index}-first-fee`} />
                      </Form.Item>
                      {basis !== 'order' && (
                        <>
                          <Form.Item name={[field.name, 'additional']} label={t('settings.freight.additional', { unit })} style={{ flex: '1 1 110px' }}>
                            <InputNumber min={0} max={1_000_000} precision={0} style={{ width: '100%' }} />
                          </Form.Item>
                          <Form.Item name={[field.name, 'additionalFee']} label={t('settings.freight.additionalFee', { currency: formCurrency })} style={{ flex: '1 1 110px' }}>
                            <InputNumber min={0} step={0.01} style={{ width: '100%' }} />
                          </Form.Item>
                        </>
                      )}
                      {fields.length > 1 && (
                        <Button danger icon={<DeleteOutlined />} onClick={() => remove(field.name)} aria-label={t('settings.freight.removeRule', { n: index + 1 })} style={{ marginTop: 30 }} />
                      )}
                    </Flex>
                  </Card>
                ))}
                {editable && fields.length < 30 && (
                  <Button icon={<PlusOutlined />} onClick={() => add({ regions: [], first: 1, firstFee: null, additional: 0, additionalFee: null })} style={{ marginBottom: 12 }}>
                    {t('settings.freight.addRule')}
                  </Button>
                )}
              </>
            )}
          </Form.List>

          <Typography.Title level={5}>{t('settings.freight.freeShipping')}</Typography.Title>
          <Typography.Paragraph type="secondary">{t('settings.freight.freeShippingHelp')}</Typography.Paragraph>
          <Form.List name="freeShipping">
            {(fields, { add, remove }) => (
              <>
                {fields.map((field, index) => (
                  <Flex key={field.key} gap={8} wrap align="flex-start">
                    <Form.Item name={[field.name, 'regions']} label={t('settings.freight.regions')} style={{ flex: '2 1 220px' }}>
                      <RegionsInput aria-label={`${t('settings.freight.freeShipping')} ${t('settings.freight.regions')} ${index + 1}`} />
                    </Form.Item>
                    <Form.Item name={[field.name, 'minAmount']} label={t('settings.freight.minAmount', { currency: formCurrency })} style={{ flex: '1 1 130px' }}>
                      <InputNumber min={0} step={0.01} style={{ width: '100%' }} />
                    </Form.Item>
                    <Form.Item name={[field.name, 'minQuantity']} label={t('settings.freight.minQuantity')} style={{ flex: '1 1 110px' }}>
                      <InputNumber min={1} precision={0} style={{ width: '100%' }} />
                    </Form.Item>
                    <Button danger icon={<DeleteOutlined />} onClick={() => remove(field.name)} aria-label={t('settings.freight.removeCondition', { n: index + 1 })} style={{ marginTop: 30 }} />
                  </Flex>
                ))}
                {editable && (
                  <Button icon={<PlusOutlined />} onClick={() => add({ regions: [], minAmount: null, minQuantity: null })} style={{ marginBottom: 12 }}>
                    {t('settings.freight.addCondition')}
                  </Button>
                )}
              </>
            )}
          </Form.List>

          <Form.Item name="excludedRegions" label={t('settings.freight.excludedRegions')} extra={t('settings.freight.excludedHelp')}>
            <RegionsInput testId="freight-excluded" />
          </Form.Item>
          {current.data && <LastChanged at={current.data.data.updatedAt} version={current.data.data.version} />}
          <SaveProblem error={save.error} onReload={() => void current.refetch().then(() => save.reset())} />
          <Flex gap={8} justify="flex-end" style={{ marginTop: 12 }}>
            <Button onClick={onClose} disabled={false}>
              {t('common.close')}
            </Button>
            {editable && (
              <Button type="primary" htmlType="submit" loading={save.isPending} data-testid="freight-save">
                {t('common.save')}
              </Button>
            )}
          </Flex>
        </Form>
      </div>
    </Modal>
  );
}
