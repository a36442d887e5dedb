import { describe, expect, it } from 'vitest';
import { fromForm, invertedLimits, toForm } from './methods';

const channels = {
  alipay: { enabled: true, minAmount: 1, maxAmount: 5000000, feeRateBps: 60, feeBearer: 'merchant' as const },
  crypto: { enabled: false, minAmount: 1000, maxAmount: 10000000, feeRateBps: 100, feeBearer: 'customer' as const },
};

describe('payment-method settings', () => {
  it('shows limits in major units and sends them back in minor units', () => {
    const form = toForm(channels, 'CNY');
    expect(form.alipay).toEqual({ enabled: true, min: 0.01, max: 50000, feeRateBps: 60, feeBearer: 'merchant' });
    expect(fromForm(form, 'CNY')).toEqual(channels);
  });

  it('uses the currency exponent (JPY has none)', () => {
    expect(toForm({ card: { enabled: true, minAmount: 100, maxAmount: 900, feeRateBps: 0, feeBearer: 'merchant' } }, 'JPY').card?.min).toBe(100);
    expect(fromForm({ card: { enabled: true, min: 12.5, max: 20, feeRateBps: 10, feeBearer: 'merchant' } }, 'CNY').card?.minAmount).toBe(1250);
  });

  it('names methods whose minimum is above the maximum', () => {
    expect(invertedLimits({ alipay: { enabled: true, min: 10, max: 5, feeRateBps: 0, feeBearer: 'merchant' } })).toEqual(['alipay']);
    expect(invertedLimits(toForm(channels, 'CNY'))).toEqual([]);
  });
});
