import { describe, expect, it } from 'vitest';
import type { Schemas } from '../../api/client';
import {
  bpsFromPercent, couponTemplateFormToBody, describeBenefit, formToProgrammes, formToTiers, programmesToForm,
  promotionFormToBody, promotionToForm, splitIds, tiersToForm,
} from './rules';

const window = { startsAt: '2026-11-01T00:00:00.000Z', endsAt: null };

describe('promotion bodies', () => {
  it('spend and save: tiers typed in major units become minor units (the API example)', () => {
    const body = promotionFormToBody({
      kind: 'spend_and_save', name: ' Spend 200 save 50 ', currency: 'CNY', storeId: 'demo', categoryIds: [], skuIds: [' A ', 'A', ''],
      ...window, priority: 0, allowCoupons: true, reason: 'autumn sale', tiers: [{ threshold: '200', off: '50' }],
    });
    expect(body).toEqual({
      kind: 'spend_and_save', name: 'Spend 200 save 50',
      rule: { tiers: [{ threshold: { amount: 20000, currency: 'CNY' }, off: { amount: 5000, currency: 'CNY' } }] },
      scope: { storeId: 'demo', categoryIds: [], skuIds: ['A'] },
      window: { startsAt: '2026-11-01T00:00:00.000Z', endsAt: null }, priority: 0, allowCoupons: true, reason: 'autumn sale',
    });
  });

  it('percent off in basis points with an optional cap; buy X get Y; free shipping; platform-wide scope', () => {
    const base = { name: 'x', currency: 'CNY', storeId: '  ', ...window };
    expect(promotionFormToBody({ ...base, kind: 'percent_off', percent: '12.5', cap: '' }).rule).toEqual({ bps: 1250 });
    expect(promotionFormToBody({ ...base, kind: 'percent_off', percent: '15', cap: '20' }).rule).toEqual({ bps: 1500, cap: { amount: 2000, currency: 'CNY' } });
    expect(promotionFormToBody({ ...base, kind: 'buy_x_get_y', buy: 2, get: 1 }).rule).toEqual({ buy: 2, get: 1 });
    const free = promotionFormToBody({ ...base, kind: 'free_shipping', threshold: '99' });
    expect(free.rule).toEqual({ threshold: { amount: 9900, currency: 'CNY' } });
    expect(free.scope.storeId).toBeNull();
    expect(free.allowCoupons).toBe(true);
  });

  it('an edit form round-trips the promotion the API answered', () => {
    const promotion = {
      promotionId: 'P', kind: 'spend_and_save', name: 'S', priority: 5, allowCoupons: false, status: 'ACTIVE', version: 3, windowState: 'active',
      rule: { tiers: [{ threshold: { amount: 20000, currency: 'CNY' }, off: { amount: 5000, currency: 'CNY' } }] },
      scope: { storeId: 'demo', categoryIds: ['C'], skuIds: [] }, window: { startsAt: '2026-11-01T00:00:00Z', endsAt: '2026-12-01T00:00:00Z' },
    } as unknown as Schemas['Promotion'];
    const form = promotionToForm(promotion);
    expect(form.tiers).toEqual([{ threshold: '200.00', off: '50.00' }]);
    expect(promotionFormToBody(form)).toMatchObject({ rule: promotion.rule, scope: promotion.scope, priority: 5, allowCoupons: false, window: promotion.window });
  });
});

describe('coupon template bodies', () => {
  it('amount off with a minimum spend (the API example)', () => {
    expect(
      couponTemplateFormToBody({
        kind: 'amount_off', name: '10.00 off over 100.00', currency: 'CNY', amount: '10', minSpend: '100', storeId: 'demo',
        ...window, totalLimit: null, perCustomerLimit: 1, stackable: false,
      }),
    ).toEqual({
      kind: 'amount_off', name: '10.00 off over 100.00', benefit: { amount: { amount: 1000, currency: 'CNY' } },
      scope: { storeId: 'demo', categoryIds: [], skuIds: [] }, window, minSpend: { amount: 10000, currency: 'CNY' },
      totalLimit: null, perCustomerLimit: 1, stackable: false, reason: null,
    });
  });

  it('percent off and free shipping benefits', () => {
    const base = { name: 'x', currency: 'CNY', ...window };
    expect(couponTemplateFormToBody({ ...base, kind: 'percent_off', percent: '8', cap: '30' }).benefit).toEqual({ bps: 800, cap: { amount: 3000, currency: 'CNY' } });
    expect(couponTemplateFormToBody({ ...base, kind: 'free_shipping', cap: null }).benefit).toEqual({});
    expect(couponTemplateFormToBody({ ...base, kind: 'free_shipping' }).minSpend).toBeNull();
  });
});

describe('points and tiers', () => {
  it('a programme round-trips (100 points = 1.00, at most 50 %, 1 point per 1.00)', () => {
    const programmes = {
      CNY: { redeemRate: { points: 100, value: { amount: 100, currency: 'CNY' } }, capBps: 5000, earnRate: { points: 1, value: { amount: 100, currency: 'CNY' } } },
    };
    const form = programmesToForm(programmes);
    expect(form).toEqual([{ currency: 'CNY', redeemPoints: 100, redeemValue: '1.00', capPercent: '50', earnPoints: 1, earnValue: '1.00' }]);
    expect(formToProgrammes(form)).toEqual(programmes);
    expect(formToProgrammes([{ ...form[0], currency: 'usd', earnPoints: null }]).USD.earnRate).toBeNull();
  });

  it('tiers in percent ↔ basis points', () => {
    const tiers = [{ tierId: 'silver', name: 'Silver', threshold: 1000, discountBps: 500 }];
    expect(tiersToForm(tiers)).toEqual([{ tierId: 'silver', name: 'Silver', threshold: 1000, discountPercent: '5' }]);
    expect(formToTiers(tiersToForm(tiers))).toEqual(tiers);
    expect(bpsFromPercent('0.05')).toBe(5);
  });
});

describe('small helpers', () => {
  it('splits customer ids on commas, spaces and new lines', () => {
    expect(splitIds('alice, bob\ncarol  alice，dave')).toEqual(['alice', 'bob', 'carol', 'dave']);
  });

  it('describes benefits', () => {
    const t = (key: string, vars?: Record<string, string | number>) => `${key}${vars ? JSON.stringify(vars) : ''}`;
    const money = (amount: number, currency: string) => `${currency}${amount}`;
    expect(describeBenefit('amount_off', { amount: { amount: 1000, currency: 'CNY' } }, t, money)).toBe('marketing.benefit.amountOff{"amount":"CNY1000"}');
    expect(describeBenefit('buy_x_get_y', { buy: 2, get: 1 }, t, money)).toBe('marketing.benefit.buyGet{"buy":2,"get":1}');
    expect(describeBenefit('free_shipping', { cap: null }, t, money)).toBe('marketing.benefit.freeShipping');
  });
});
