import { describe, expect, it } from 'vitest';
import { currencyExponent, formatMoney, toMinorUnits } from './format';

describe('money', () => {
  it('uses the currency exponent', () => {
    expect(currencyExponent('CNY')).toBe(2);
    expect(currencyExponent('JPY')).toBe(0);
    expect(currencyExponent('KWD')).toBe(3);
  });

  it('renders minor units by locale and currency', () => {
    expect(formatMoney('en', 12345, 'CNY')).toBe('CN¥123.45');
    expect(formatMoney('zh-CN', 12345, 'CNY')).toBe('¥123.45');
    expect(formatMoney('en', 500, 'JPY')).toBe('¥500');
    expect(formatMoney('en', 1234, 'KWD')).toMatch(/1\.234/);
    expect(formatMoney('en', -990, 'USD')).toBe('-$9.90');
  });

  it('reads what a person typed into minor units', () => {
    expect(toMinorUnits('12.5', 'CNY')).toBe(1250);
    expect(toMinorUnits('0.1', 'USD') + toMinorUnits('0.2', 'USD')).toBe(30);
    expect(toMinorUnits('500', 'JPY')).toBe(500);
    expect(Number.isNaN(toMinorUnits('abc', 'CNY'))).toBe(true);
  });
});
