import { describe, expect, it } from 'vitest';
import type { Schemas } from '../../api/client';
import {
  carriersFromForm, carriersToForm, duplicateCurrencies, fxFromForm, fxToForm, notificationsFromForm, notificationsToForm,
  regions, retentionFromForm, riskFromForm, riskToForm, storeFromForm, storeToForm, templateFromForm, templateToForm, toMajorUnits,
} from './convert';

const store: Schemas['Store'] = {
  storeId: 'demo', name: 'Demo Store', currency: 'CNY', shippingFee: { amount: 1000, currency: 'CNY' },
  freeShippingThreshold: { amount: 9900, currency: 'CNY' }, stockPolicy: 'reserve_at_order', latePaymentPolicy: 'refund',
  settlementDays: 7, commissionBps: 500, lowStockThreshold: null, version: 3, updatedAt: '2026-12-02T10:00:00Z',
};

describe('amounts', () => {
  it('converts minor to major units by the currency exponent', () => {
    expect(toMajorUnits(1250, 'CNY')).toBe(12.5);
    expect(toMajorUnits(500, 'JPY')).toBe(500);
    expect(toMajorUnits(1234, 'KWD')).toBe(1.234);
  });
});

describe('store', () => {
  it('round-trips the store in major units', () => {
    const form = storeToForm(store);
    expect(form.shippingFee).toBe(10);
    expect(form.freeShippingThreshold).toBe(99);
    const body = storeFromForm({ ...form, shippingFee: 12.34, freeShippingThreshold: null, currency: 'cny' });
    expect(body.shippingFee).toEqual({ amount: 1234, currency: 'CNY' });
    expect(body.freeShippingThreshold).toBeNull();
    expect(body).toMatchObject({ name: 'Demo Store', settlementDays: 7, commissionBps: 500, lowStockThreshold: null });
  });
});

describe('freight templates', () => {
  const template: Schemas['FreightTemplate'] = {
    storeId: 'demo', templateId: 'std', name: 'Standard', currency: 'CNY', basis: 'weight', isDefault: false, version: 2,
    updatedAt: '2026-12-02T10:00:00Z', excludedRegions: ['CN/Xizang'],
    rules: [
      { regions: ['CN/Zhejiang'], first: 1000, firstFee: { amount: 800, currency: 'CNY' }, additional: 500, additionalFee: { amount: 200, currency: 'CNY' } },
      { regions: [], first: 1000, firstFee: { amount: 1200, currency: 'CNY' }, additional: 1000, additionalFee: { amount: 500, currency: 'CNY' } },
    ],
    freeShipping: [{ regions: ['CN'], minAmount: { amount: 19900, currency: 'CNY' }, minQuantity: null }],
  };

  it('round-trips a template (major units in the form, minor in the body)', () => {
    const form = templateToForm(template);
    expect(form.rules[0].firstFee).toBe(8);
    expect(form.freeShipping[0].minAmount).toBe(199);
    const body = templateFromForm(form);
    expect(body.rules).toEqual(template.rules);
    expect(body.freeShipping).toEqual([{ regions: ['CN'], minAmount: { amount: 19900, currency: 'CNY' }, minQuantity: null }]);
    expect(body.excludedRegions).toEqual(['CN/Xizang']);
    expect(body.basis).toBe('weight');
  });

  it('charges an order-based template one fee and cleans regions', () => {
    const form = templateToForm(template);
    const body = templateFromForm({ ...form, basis: 'order', excludedRegions: [' cn/Xizang', 'CN/Xizang', ''] });
    expect(body.rules[0]).toEqual({ regions: ['CN/Zhejiang'], first: 1, firstFee: { amount: 800, currency: 'CNY' }, additional: 0, additionalFee: { amount: 0, currency: 'CNY' } });
    expect(body.excludedRegions).toEqual(['CN/Xizang']);
    expect(regions(['us', 'us/ca', 'US'])).toEqual(['US', 'US/ca']);
  });
});

describe('fx rates', () => {
  it('keeps rates as exact decimal strings', () => {
    const form = fxToForm({
      reportingCurrency: 'CNY', version: 1, updatedAt: null, updatedBy: null, audit: [],
      rates: { USD: { rate: '7.1', numerator: 71, denominator: 10, updatedAt: null }, EUR: { rate: '7.75', numerator: 31, denominator: 4, updatedAt: null } },
    });
    expect(form.rates).toEqual([{ currency: 'EUR', rate: '7.75' }, { currency: 'USD', rate: '7.1' }]);
    expect(fxFromForm({ ...form, rates: [...form.rates, { currency: 'jpy', rate: ' 0.048 ' }], reason: '  ' })).toEqual({
      reportingCurrency: 'CNY', rates: { EUR: '7.75', USD: '7.1', JPY: '0.048' }, reason: null,
    });
    expect(duplicateCurrencies([{ currency: 'usd' }, { currency: 'USD' }, { currency: 'EUR' }])).toEqual(['USD']);
  });
});

describe('carriers', () => {
  it('turns store rows into the map and an empty default into null', () => {
    const form = carriersToForm({ carriers: [{ code: 'sf', parcelWeightLimitGrams: 30000 }], storeCarriers: { demo: 'sf' }, defaultCarrier: null, version: 1, updatedAt: null, updatedBy: null });
    expect(form.storeCarriers).toEqual([{ storeId: 'demo', carrier: 'sf' }]);
    expect(carriersFromForm({ ...form, carriers: [...form.carriers, { code: 'ems', parcelWeightLimitGrams: null }], defaultCarrier: '' })).toEqual({
      carriers: [{ code: 'sf', parcelWeightLimitGrams: 30000 }, { code: 'ems', parcelWeightLimitGrams: null }],
      storeCarriers: { demo: 'sf' }, defaultCarrier: null, reason: null,
    });
  });
});

describe('notification rules', () => {
  it('sends only the events with their own rule (an empty list: nothing)', () => {
    const form = notificationsToForm({ storeId: 'demo', events: { OrderShipped: ['inbox', 'sms'], CustomThing: [] }, staff: ['demo-support'], locale: 'en', stored: true, version: 2, audit: [] });
    const shipped = form.events.find((row) => row.event === 'OrderShipped');
    const placed = form.events.find((row) => row.event === 'OrderPlaced');
    expect(shipped).toEqual({ event: 'OrderShipped', custom: true, channels: ['inbox', 'sms'] });
    expect(placed).toEqual({ event: 'OrderPlaced', custom: false, channels: ['inbox', 'email'] });
    expect(form.events.some((row) => row.event === 'CustomThing')).toBe(true);
    const paid = form.events.find((row) => row.event === 'OrderPaid')!;
    paid.custom = true;
    paid.channels = [];
    expect(notificationsFromForm({ ...form, staff: [' demo-support ', 'demo-support', 'ops'] })).toEqual({
      events: { OrderPaid: [], OrderShipped: ['inbox', 'sms'], CustomThing: [] }, staff: ['demo-support', 'ops'], locale: 'en', reason: null,
    });
  });
});

describe('risk', () => {
  const risk: Schemas['RiskSettingsDetail'] = {
    rateLimits: {
      checkout: { perUser: { limit: 30, windowSeconds: 60 }, perIp: { limit: 1000, windowSeconds: 60 } },
      payment: { perUser: { limit: 30, windowSeconds: 60 }, perIp: { limit: 1000, windowSeconds: 60 } },
      coupon: { perUser: { limit: 30, windowSeconds: 60 }, perIp: { limit: 1000, windowSeconds: 60 } },
    },
    amountLimits: { CNY: { perOrder: 5000000, dailyPerCustomer: null, methods: { card: { perPayment: 2000000, dailyPerCustomer: null } } } },
    rules: {
      newAccount: { enabled: true, accountAgeSeconds: 86400, amountOver: { CNY: 2000000 } },
      velocity: { enabled: true, windowSeconds: 600, maxOrdersPerCustomer: 50, maxOrdersPerDevice: 50 },
      sharedDevice: { enabled: true, maxAccounts: 5 }, sharedAddress: { enabled: false, maxAccounts: 50 }, countryMismatch: { enabled: true },
    },
    reviewMatched: true, stored: true, version: 4, audit: [],
  };

  it('round-trips the settings with amounts in major units', () => {
    const form = riskToForm(risk);
    expect(form.amountLimits[0]).toEqual({ currency: 'CNY', perOrder: 50000, dailyPerCustomer: null, methods: [{ method: 'card', perPayment: 20000, dailyPerCustomer: null }] });
    expect(form.rules.newAccount.amountOver).toEqual([{ currency: 'CNY', amount: 20000 }]);
    const body = riskFromForm(form);
    expect(body.amountLimits).toEqual(risk.amountLimits);
    expect(body.rules).toEqual(risk.rules);
    expect(body.rateLimits).toEqual(risk.rateLimits);
    expect(body.reason).toBeNull();
  });

  it('drops blank currency rows and takes a changed limit', () => {
    const form = riskToForm(risk);
    form.amountLimits.push({ currency: '', perOrder: 1, dailyPerCustomer: null, methods: [] });
    form.amountLimits[0].perOrder = 123.45;
    form.rateLimits.checkout.perUser.limit = 10;
    const body = riskFromForm(form);
    expect(Object.keys(body.amountLimits ?? {})).toEqual(['CNY']);
    expect(body.amountLimits?.CNY.perOrder).toBe(12345);
    expect(body.rateLimits?.checkout?.perUser.limit).toBe(10);
  });
});

describe('data retention', () => {
  it('sends the reason only when given', () => {
    expect(retentionFromForm({ enabled: true, closedDays: 365, reason: '' })).toEqual({ enabled: true, closedDays: 365, reason: null });
    expect(retentionFromForm({ enabled: false, closedDays: 30, reason: ' GDPR ' })).toEqual({ enabled: false, closedDays: 30, reason: 'GDPR' });
  });
});
