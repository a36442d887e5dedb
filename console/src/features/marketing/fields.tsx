// Form fields the promotion and coupon-template forms share: scope, window, currency, amounts.

import { DatePicker, Flex, Form, Input, Select, type FormInstance } from 'antd';
import { useEffect } from 'react';
import type { Schemas } from '../../api/client';
import type { FormRule as Rule } from 'antd';
import { useI18n } from '../../i18n/I18nProvider';
import { toMinorUnits } from '../../i18n/format';

type T = (key: string, vars?: Record<string, string | number>) => string;

/** A positive (or, with `zero`, non-negative) amount in major units of the currency. */
export function amountRules(t: T, currency: string, { required = true, zero = false } = {}): Rule[] {
  return [
    ...(required ? [{ required: true, message: t('marketing.required') }] : []),
    {
      validator: (_: unknown, value: string | undefined | null) => {
        if (value === undefined || value === null || String(value).trim() === '') return Promise.resolve();
        const amount = toMinorUnits(value, currency);
        return Number.isFinite(amount) && (zero ? amount >= 0 : amount > 0)
          ? Promise.resolve()
          : Promise.reject(new Error(t('marketing.notAmount')));
      },
    },
  ];
}

export function percentRules(t: T, required = true): Rule[] {
  return [
    ...(required ? [{ required: true, message: t('marketing.required') }] : []),
    {
      validator: (_: unknown, value: string | undefined) => {
        if (value === undefined || String(value).trim() === '') return Promise.resolve();
        const number = Number(value);
        return Number.isFinite(number) && number > 0 && number <= 100 && Math.round(number * 100) === number * 100
          ? Promise.resolve()
          : Promise.reject(new Error(t('marketing.notPercent')));
      },
    },
  ];
}

export function ScopeFields() {
  const { t } = useI18n();
  return (
    <>
      <Flex gap={12} wrap>
        <Form.Item name="storeId" label={t('marketing.scope.store')} extra={t('marketing.scope.storeHint')} style={{ flex: '1 1 160px' }}>
          <Input allowClear maxLength={64} data-testid="scope-store" />
        </Form.Item>
        <Form.Item name="currency" label={t('marketing.currency')} rules={[{ required: true, message: t('marketing.required') }, { pattern: /^[A-Z]{3}$/, message: t('marketing.notCurrency') }]} style={{ flex: '0 1 120px' }}>
          <Input maxLength={3} data-testid="currency" />
        </Form.Item>
      </Flex>
      <Form.Item name="categoryIds" label={t('marketing.scope.categories')}>
        <Select mode="tags" open={false} tokenSeparators={[',', ' ']} placeholder={t('marketing.scope.idsHint')} />
      </Form.Item>
      <Form.Item name="skuIds" label={t('marketing.scope.skus')}>
        <Select mode="tags" open={false} tokenSeparators={[',', ' ']} placeholder={t('marketing.scope.idsHint')} />
      </Form.Item>
    </>
  );
}

export function WindowFields() {
  const { t } = useI18n();
  return (
    <Flex gap={12} wrap>
      <Form.Item name="startsAt" label={t('marketing.window.starts')} rules={[{ required: true, message: t('marketing.required') }]} style={{ flex: '1 1 200px' }}>
        <DatePicker showTime style={{ width: '100%' }} data-testid="starts-at" />
      </Form.Item>
      <Form.Item name="endsAt" label={t('marketing.window.ends')} extra={t('marketing.window.endsHint')} style={{ flex: '1 1 200px' }}>
        <DatePicker showTime style={{ width: '100%' }} />
      </Form.Item>
    </Flex>
  );
}

/** A store's rules are priced in its currency: the form's currency follows the store picked. */
export function useStoreCurrency<V>(form: FormInstance<V>, store: Schemas['Store'] | undefined) {
  useEffect(() => {
    if (store?.currency) form.setFieldValue('currency' as never, store.currency as never);
  }, [form, store?.currency, store?.storeId]);
}
