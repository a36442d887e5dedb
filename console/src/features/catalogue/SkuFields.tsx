// The fields of a SKU, for the create-product form (under `sku`), the add-SKU form and the edit form.

import { Form, Input, InputNumber, Select } from 'antd';
import { useI18n } from '../../i18n/I18nProvider';
import { toMinorUnits } from '../../i18n/format';

const HANDLING = ['normal', 'fragile', 'bulky', 'hazardous'] as const;

export function SkuFields({ prefix = [], mode, currency }: { prefix?: string[]; mode: 'create' | 'edit'; currency: string }) {
  const { t } = useI18n();
  const name = (field: string) => [...prefix, field];
  const kind = Form.useWatch(name('virtualKind')) as string | undefined;
  const activation = Form.useWatch(name('activation')) as string | undefined;
  return (
    <>
      <Form.Item name={name('skuId')} label={t('catalogue.sku.skuId')} extra={mode === 'create' ? t('catalogue.sku.skuIdHint') : undefined}>
        <Input disabled={mode === 'edit'} data-testid="sku-id" maxLength={64} />
      </Form.Item>
      <Form.Item name={name('name')} label={t('catalogue.sku.name')} rules={[{ required: true, message: t('catalogue.required') }]}>
        <Input data-testid="sku-name" maxLength={200} />
      </Form.Item>
      <Form.Item
        name={name('price')}
        label={t('catalogue.sku.price', { currency })}
        rules={[
          { required: true, message: t('catalogue.required') },
          {
            validator: (_, value: string) => {
              const amount = toMinorUnits(value ?? '', currency);
              return value === undefined || value === '' || (Number.isFinite(amount) && amount >= 0)
                ? Promise.resolve()
                : Promise.reject(new Error(t('catalogue.notAmount')));
            },
          },
        ]}
      >
        <Input inputMode="decimal" data-testid="sku-price" />
      </Form.Item>
      {mode === 'create' && (
        <Form.Item name={name('stock')} label={t('catalogue.sku.stock')} initialValue={0} rules={[{ required: true, message: t('catalogue.required') }]}>
          <InputNumber min={0} precision={0} style={{ width: '100%' }} data-testid="sku-stock" />
        </Form.Item>
      )}
      <Form.Item name={name('warehouseId')} label={t('catalogue.sku.warehouse')} initialValue="WH-SH" rules={[{ required: true, message: t('catalogue.required') }]}>
        <Input data-testid="sku-warehouse" maxLength={64} />
      </Form.Item>
      <Form.Item name={name('weightGrams')} label={t('catalogue.sku.weight')} initialValue={0} rules={[{ required: true, message: t('catalogue.required') }]}>
        <InputNumber min={0} precision={0} style={{ width: '100%' }} />
      </Form.Item>
      <Form.Item name={name('lowStockThreshold')} label={t('catalogue.sku.lowStock')} extra={t('catalogue.sku.lowStockHint')}>
        <InputNumber min={0} precision={0} style={{ width: '100%' }} />
      </Form.Item>
      <Form.Item name={name('pointsPrice')} label={t('catalogue.sku.pointsPrice')}>
        <InputNumber min={0} precision={0} style={{ width: '100%' }} />
      </Form.Item>
      <Form.Item name={name('virtualKind')} label={t('catalogue.sku.virtual')} initialValue="none">
        <Select
          disabled={mode === 'edit'}
          options={['none', 'code', 'link', 'service'].map((value) => ({ value, label: t(`catalogue.virtualKind.${value}`) }))}
        />
      </Form.Item>
      {(kind ?? 'none') === 'none' && (
        <Form.Item name={name('handling')} label={t('catalogue.sku.handling')} initialValue="normal">
          <Select options={HANDLING.map((value) => ({ value, label: t(`catalogue.handling.${value}`) }))} />
        </Form.Item>
      )}
      {kind === 'code' && (
        <Form.Item name={name('lowPoolThreshold')} label={t('catalogue.sku.lowPool')}>
          <InputNumber min={0} precision={0} style={{ width: '100%' }} />
        </Form.Item>
      )}
      {(kind === 'code' || kind === 'link') && (
        <Form.Item name={name('validDays')} label={t('catalogue.sku.validDays')}>
          <InputNumber min={1} precision={0} style={{ width: '100%' }} />
        </Form.Item>
      )}
      {kind === 'service' && (
        <Form.Item name={name('activation')} label={t('catalogue.sku.activation')} initialValue="immediate">
          <Select options={['immediate', 'manual', 'delayed'].map((value) => ({ value, label: t(`catalogue.activation.${value}`) }))} />
        </Form.Item>
      )}
      {kind === 'service' && activation === 'delayed' && (
        <Form.Item name={name('delaySeconds')} label={t('catalogue.sku.delaySeconds')} rules={[{ required: true, message: t('catalogue.required') }]}>
          <InputNumber min={1} precision={0} style={{ width: '100%' }} />
        </Form.Item>
      )}
      {mode === 'edit' && (
        <Form.Item name={name('status')} label={t('catalogue.status')}>
          <Select options={['ACTIVE', 'INACTIVE'].map((value) => ({ value, label: t(`status.${value}`) }))} />
        </Form.Item>
      )}
      <Form.Item name={name('attributes')} label={t('catalogue.attributes')} extra={t('catalogue.attributesHint')}>
        <Input.TextArea autoSize={{ minRows: 1, maxRows: 6 }} />
      </Form.Item>
    </>
  );
}
