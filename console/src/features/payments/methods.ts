// Payment-method settings between the API (minor units) and the form (major units, as people type them).

import type { Schemas } from '../../api/client';
import { currencyExponent, toMinorUnits } from '../../i18n/format';

export type Method = Schemas['PaymentMethod'];
export const METHODS: Method[] = ['alipay', 'wechat', 'card', 'crypto', 'bank_transfer', 'balance'];

export interface MethodRow {
  enabled: boolean;
  min: number;
  max: number;
  feeRateBps: number;
  feeBearer: Schemas['FeeBearer'];
}

export type MethodForm = Partial<Record<Method, MethodRow>>;

export function toMajor(minor: number, currency: string): number {
  return minor / 10 ** currencyExponent(currency);
}

export function toForm(channels: Schemas['PaymentMethodsDetail']['channels'], currency: string): MethodForm {
  const form: MethodForm = {};
  for (const method of METHODS) {
    const channel = channels[method];
    if (!channel) continue;
    form[method] = {
      enabled: channel.enabled,
      min: toMajor(channel.minAmount, currency),
      max: toMajor(channel.maxAmount, currency),
      feeRateBps: channel.feeRateBps,
      feeBearer: channel.feeBearer,
    };
  }
  return form;
}

export function fromForm(form: MethodForm, currency: string): Schemas['ChannelSettingsIn']['channels'] {
  const channels: Schemas['ChannelSettingsIn']['channels'] = {};
  for (const method of METHODS) {
    const row = form[method];
    if (!row) continue;
    channels[method] = {
      enabled: row.enabled,
      minAmount: toMinorUnits(row.min, currency),
      maxAmount: toMinorUnits(row.max, currency),
      feeRateBps: Math.round(row.feeRateBps),
      feeBearer: row.feeBearer,
    };
  }
  return channels;
}

/** The methods whose minimum is above their maximum (the form refuses them before the API does). */
export function invertedLimits(form: MethodForm): Method[] {
  return METHODS.filter((method) => {
    const row = form[method];
    return !!row && row.min > row.max;
  });
}
