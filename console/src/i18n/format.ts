// Dates, numbers and money by locale. Money is integer minor units and an ISO 4217 currency; the
// currency's exponent (2 for CNY and USD, 0 for JPY, 3 for KWD) comes from Intl, so 12345 CNY is ¥123.45.

import type { Locale } from './messages';

export function currencyExponent(currency: string): number {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

export function formatMoney(locale: Locale, amount: number, currency: string): string {
  const exponent = currencyExponent(currency);
  const value = amount / 10 ** exponent;
  try {
    return new Intl.NumberFormat(locale, {
      style: 'currency',
      currency,
      minimumFractionDigits: exponent,
      maximumFractionDigits: exponent,
    }).format(value);
  } catch {
    return `${value.toFixed(exponent)} ${currency}`;
  }
}

/** Minor units from what a person typed in major units ("12.5" CNY → 1250); NaN when it is not a number. */
export function toMinorUnits(text: string | number, currency: string): number {
  const value = typeof text === 'number' ? text : Number(String(text).trim());
  if (!Number.isFinite(value)) return Number.NaN;
  return Math.round(value * 10 ** currencyExponent(currency));
}

export function formatNumber(locale: Locale, value: number, options?: Intl.NumberFormatOptions): string {
  return new Intl.NumberFormat(locale, options).format(value);
}

export function formatPercent(locale: Locale, ratio: number): string {
  return new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 }).format(ratio);
}

export function formatDateTime(locale: Locale, value: string | number | Date | null | undefined): string {
  if (value === null || value === undefined || value === '') return '—';
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(date);
}

export function formatDate(locale: Locale, value: string | number | Date | null | undefined): string {
  if (value === null || value === undefined || value === '') return '—';
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium' }).format(date);
}
