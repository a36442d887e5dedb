// Form values ↔ API bodies of the settings pages. Amounts: the API speaks integer minor units, the forms
// major units (what a person types); `null` in a form is "not set" (no threshold, no limit).

import type { Schemas } from '../../api/client';
import { currencyExponent, toMinorUnits } from '../../i18n/format';

type Money = { amount: number; currency: string };

/** Major units of an amount in minor units (1250 CNY → 12.5). */
export function toMajorUnits(amount: number, currency: string): number {
  return amount / 10 ** currencyExponent(currency);
}

function minor(value: number | string | null | undefined, currency: string): number | null {
  if (value === null || value === undefined || value === '') return null;
  const amount = toMinorUnits(value, currency);
  return Number.isFinite(amount) ? amount : null;
}

function money(value: number | string | null | undefined, currency: string): Money | null {
  const amount = minor(value, currency);
  return amount === null ? null : { amount, currency };
}

/** Region codes as typed ("cn/zhejiang " → "CN/zhejiang"): the country upper-cased, blanks and repeats dropped. */
export function regions(values: readonly string[] | undefined): string[] {
  const out: string[] = [];
  for (const raw of values ?? []) {
    const value = raw.trim();
    if (!value) continue;
    const [country, ...rest] = value.split('/');
    const code = [country.toUpperCase(), ...rest].join('/');
    if (!out.includes(code)) out.push(code);
  }
  return out;
}

/* ----- the store ----- */

export interface StoreForm {
  name: string;
  currency: string;
  shippingFee: number | null;
  freeShippingThreshold: number | null;
  stockPolicy: Schemas['StockPolicy'];
  latePaymentPolicy: Schemas['LatePaymentPolicy'];
  settlementDays: number;
  commissionBps: number;
  lowStockThreshold: number | null;
}

export function storeToForm(store: Schemas['Store']): StoreForm {
  return {
    name: store.name,
    currency: store.currency,
    shippingFee: toMajorUnits(store.shippingFee.amount, store.shippingFee.currency),
    freeShippingThreshold: store.freeShippingThreshold
      ? toMajorUnits(store.freeShippingThreshold.amount, store.freeShippingThreshold.currency)
      : null,
    stockPolicy: store.stockPolicy,
    latePaymentPolicy: store.latePaymentPolicy,
    settlementDays: store.settlementDays,
    commissionBps: store.commissionBps,
    lowStockThreshold: store.lowStockThreshold,
  };
}

export function storeFromForm(form: StoreForm): Schemas['StoreIn'] {
  const currency = form.currency.trim().toUpperCase();
  return {
    name: form.name.trim(),
    currency,
    shippingFee: money(form.shippingFee, currency) ?? { amount: 0, currency },
    freeShippingThreshold: money(form.freeShippingThreshold, currency),
    stockPolicy: form.stockPolicy,
    latePaymentPolicy: form.latePaymentPolicy,
    settlementDays: form.settlementDays,
    commissionBps: form.commissionBps,
    lowStockThreshold: form.lowStockThreshold ?? null,
  };
}

/* ----- freight templates ----- */

export interface FreightRuleForm {
  regions: string[];
  first: number;
  firstFee: number | null;
  additional: number;
  additionalFee: number | null;
}

export interface FreeShippingForm {
  regions: string[];
  minAmount: number | null;
  minQuantity: number | null;
}

export interface FreightTemplateForm {
  templateId: string;
  name: string;
  currency: string;
  basis: Schemas['FreightBasis'];
  isDefault: boolean;
  rules: FreightRuleForm[];
  freeShipping: FreeShippingForm[];
  excludedRegions: string[];
}

export function newTemplateForm(currency: string): FreightTemplateForm {
  return {
    templateId: '',
    name: '',
    currency,
    basis: 'weight',
    isDefault: false,
    rules: [{ regions: [], first: 1000, firstFee: null, additional: 1000, additionalFee: null }],
    freeShipping: [],
    excludedRegions: [],
  };
}

export function templateToForm(template: Schemas['FreightTemplate']): FreightTemplateForm {
  const major = (value: Money) => toMajorUnits(value.amount, value.currency);
  return {
    templateId: template.templateId,
    name: template.name,
    currency: template.currency,
    basis: template.basis as Schemas['FreightBasis'],
    isDefault: template.isDefault,
    rules: template.rules.map((rule) => ({
      regions: [...rule.regions],
      first: rule.first,
      firstFee: major(rule.firstFee),
      additional: rule.additional,
      additionalFee: major(rule.additionalFee),
    })),
    freeShipping: template.freeShipping.map((condition) => ({
      regions: [...condition.regions],
      minAmount: condition.minAmount ? major(condition.minAmount) : null,
      minQuantity: condition.minQuantity,
    })),
    excludedRegions: [...template.excludedRegions],
  };
}

export function templateFromForm(form: FreightTemplateForm): Schemas['FreightTemplateIn'] {
  const currency = form.currency.trim().toUpperCase();
  // "order": one fee per order, whatever it holds (the rule's first unit is the order itself).
  const perOrder = form.basis === 'order';
  return {
    name: form.name.trim(),
    currency,
    basis: form.basis,
    isDefault: form.isDefault,
    rules: (form.rules ?? []).map((rule) => ({
      regions: regions(rule.regions),
      first: perOrder ? 1 : rule.first,
      firstFee: money(rule.firstFee, currency) ?? { amount: 0, currency },
      additional: perOrder ? 0 : (rule.additional ?? 0),
      additionalFee: perOrder ? { amount: 0, currency } : (money(rule.additionalFee, currency) ?? { amount: 0, currency }),
    })),
    freeShipping: (form.freeShipping ?? []).map((condition) => ({
      regions: regions(condition.regions),
      minAmount: money(condition.minAmount, currency),
      minQuantity: condition.minQuantity ?? null,
    })),
    excludedRegions: regions(form.excludedRegions),
  };
}

/* ----- FX rates ----- */

export interface FxForm {
  reportingCurrency: string;
  rates: { currency: string; rate: string }[];
  reason?: string;
}

export function fxToForm(fx: Schemas['FxRatesDetail']): FxForm {
  return {
    reportingCurrency: fx.reportingCurrency,
    rates: Object.entries(fx.rates)
      .map(([currency, entry]) => ({ currency, rate: entry.rate }))
      .sort((a, b) => a.currency.localeCompare(b.currency)),
    reason: '',
  };
}

export function fxFromForm(form: FxForm): Schemas['FxRatesIn'] {
  const rates: Record<string, string> = {};
  for (const row of form.rates ?? []) {
    const currency = (row.currency ?? '').trim().toUpperCase();
    if (currency) rates[currency] = String(row.rate ?? '').trim();
  }
  return { reportingCurrency: form.reportingCurrency.trim().toUpperCase(), rates, reason: form.reason?.trim() || null };
}

/** Currencies that appear more than once in the form (the body would keep only the last). */
export function duplicateCurrencies(rows: readonly { currency?: string }[] | undefined): string[] {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const row of rows ?? []) {
    const currency = (row?.currency ?? '').trim().toUpperCase();
    if (!currency) continue;
    if (seen.has(currency)) twice.add(currency);
    seen.add(currency);
  }
  return [...twice];
}

/* ----- carriers ----- */

export interface CarriersForm {
  carriers: { code: string; parcelWeightLimitGrams: number | null }[];
  storeCarriers: { storeId: string; carrier: string }[];
  defaultCarrier: string | null;
  reason?: string;
}

export function carriersToForm(view: Schemas['CarrierSettingsView']): CarriersForm {
  return {
    carriers: view.carriers.map((carrier) => ({ code: carrier.code, parcelWeightLimitGrams: carrier.parcelWeightLimitGrams })),
    storeCarriers: Object.entries(view.storeCarriers).map(([storeId, carrier]) => ({ storeId, carrier })),
    defaultCarrier: view.defaultCarrier,
    reason: '',
  };
}

export function carriersFromForm(form: CarriersForm): Schemas['CarrierSettingsIn'] {
  const storeCarriers: Record<string, string> = {};
  for (const row of form.storeCarriers ?? []) {
    if (row.storeId?.trim() && row.carrier) storeCarriers[row.storeId.trim()] = row.carrier;
  }
  return {
    carriers: (form.carriers ?? []).map((carrier) => ({
      code: carrier.code.trim(),
      parcelWeightLimitGrams: carrier.parcelWeightLimitGrams ?? null,
    })),
    storeCarriers,
    defaultCarrier: form.defaultCarrier || null,
    reason: form.reason?.trim() || null,
  };
}

/* ----- notification rules ----- */

export type Channel = Schemas['Channel'];

/** The events a store's rules may route, with the channels each offers and sends by default
 * (docs/notifications.md, "Which event sends what to whom"; the API refuses any other with a 422). */
export const EVENTS: { event: string; offered: Channel[]; defaults: Channel[] }[] = [
  { event: 'OrderPlaced', offered: ['inbox', 'email'], defaults: ['inbox', 'email'] },
  { event: 'OrderPaid', offered: ['inbox', 'email', 'sms'], defaults: ['inbox', 'email'] },
  { event: 'PaymentReminderDue', offered: ['inbox', 'email', 'sms'], defaults: ['inbox', 'email', 'sms'] },
  { event: 'OrderCancelled', offered: ['inbox', 'email', 'sms'], defaults: ['inbox', 'email'] },
  { event: 'OrderShipped', offered: ['inbox', 'email', 'sms'], defaults: ['inbox', 'email', 'sms'] },
  { event: 'OrderDelivered', offered: ['inbox', 'email', 'sms'], defaults: ['inbox', 'email'] },
  { event: 'OrderCompleted', offered: ['inbox', 'email'], defaults: ['inbox'] },
  { event: 'OrderEdited', offered: ['inbox', 'email', 'sms'], defaults: ['inbox', 'email'] },
  { event: 'ManualOrderCreated', offered: ['inbox', 'email', 'sms'], defaults: ['inbox', 'email', 'sms'] },
  { event: 'RefundSucceeded', offered: ['inbox', 'email', 'sms'], defaults: ['inbox', 'email', 'sms'] },
  { event: 'CaseOpened', offered: ['inbox', 'email'], defaults: ['inbox', 'email'] },
  { event: 'CaseUpdated', offered: ['inbox', 'email', 'sms'], defaults: ['inbox', 'email'] },
  { event: 'PaymentAnomaly', offered: ['inbox', 'email', 'sms'], defaults: ['inbox', 'email'] },
  { event: 'RefundFailed', offered: ['inbox', 'email'], defaults: ['inbox', 'email'] },
  { event: 'CaseOverdue', offered: ['inbox', 'email'], defaults: ['inbox', 'email'] },
  { event: 'LowStock', offered: ['inbox', 'email'], defaults: ['inbox', 'email'] },
  { event: 'SkuSoldOut', offered: ['inbox', 'email'], defaults: ['inbox', 'email'] },
  { event: 'CodePoolLow', offered: ['inbox', 'email'], defaults: ['inbox', 'email'] },
];

export interface EventRuleForm {
  event: string;
  custom: boolean; // false: the event is left out of the rules and keeps its defaults
  channels: Channel[];
}

export interface NotificationsForm {
  events: EventRuleForm[];
  staff: string[];
  locale: Schemas['Locale'];
  reason?: string;
}

export function notificationsToForm(rules: Schemas['RulesDetail']): NotificationsForm {
  const known = EVENTS.map((entry) => entry.event);
  const extra = Object.keys(rules.events).filter((event) => !known.includes(event));
  return {
    events: [...known, ...extra].map((event) => {
      const stored = rules.events[event];
      const defaults = EVENTS.find((entry) => entry.event === event)?.defaults ?? [];
      return { event, custom: stored !== undefined, channels: [...(stored ?? defaults)] };
    }),
    staff: [...rules.staff],
    locale: rules.locale,
    reason: '',
  };
}

export function notificationsFromForm(form: NotificationsForm): Schemas['RulesIn'] {
  const events: Record<string, Channel[]> = {};
  for (const row of form.events ?? []) if (row.custom) events[row.event] = [...(row.channels ?? [])];
  return {
    events,
    staff: [...new Set((form.staff ?? []).map((user) => user.trim()).filter(Boolean))],
    locale: form.locale,
    reason: form.reason?.trim() || null,
  };
}

/* ----- risk ----- */

export const SCOPES = ['checkout', 'payment', 'coupon'] as const;
export const PAYMENT_METHODS = ['alipay', 'wechat', 'card', 'crypto', 'bank_transfer', 'balance'] as const;

type Window = { limit: number; windowSeconds: number };

export interface RiskForm {
  rateLimits: Record<(typeof SCOPES)[number], { perUser: Window; perIp: Window }>;
  amountLimits: {
    currency: string;
    perOrder: number | null;
    dailyPerCustomer: number | null;
    methods: { method: string; perPayment: number | null; dailyPerCustomer: number | null }[];
  }[];
  rules: {
    newAccount: { enabled: boolean; accountAgeSeconds: number; amountOver: { currency: string; amount: number | null }[] };
    velocity: { enabled: boolean; windowSeconds: number; maxOrdersPerCustomer: number; maxOrdersPerDevice: number };
    sharedDevice: { enabled: boolean; maxAccounts: number };
    sharedAddress: { enabled: boolean; maxAccounts: number };
    countryMismatch: { enabled: boolean };
  };
  reviewMatched: boolean;
  reason?: string;
}

const DEFAULT_WINDOW = { perUser: { limit: 30, windowSeconds: 60 }, perIp: { limit: 1000, windowSeconds: 60 } };

export function riskToForm(risk: Schemas['RiskSettingsDetail']): RiskForm {
  const major = (amount: number | null | undefined, currency: string) =>
    amount === null || amount === undefined ? null : toMajorUnits(amount, currency);
  const rules = risk.rules;
  return {
    rateLimits: Object.fromEntries(
      SCOPES.map((scope) => {
        const limits = risk.rateLimits[scope] ?? DEFAULT_WINDOW;
        return [scope, { perUser: { ...limits.perUser }, perIp: { ...limits.perIp } }];
      }),
    ) as RiskForm['rateLimits'],
    amountLimits: Object.entries(risk.amountLimits).map(([currency, limits]) => ({
      currency,
      perOrder: major(limits.perOrder, currency),
      dailyPerCustomer: major(limits.dailyPerCustomer, currency),
      methods: Object.entries(limits.methods ?? {}).map(([method, methodLimits]) => ({
        method,
        perPayment: major(methodLimits.perPayment, currency),
        dailyPerCustomer: major(methodLimits.dailyPerCustomer, currency),
      })),
    })),
    rules: {
      newAccount: {
        enabled: rules.newAccount?.enabled ?? true,
        accountAgeSeconds: rules.newAccount?.accountAgeSeconds ?? 86400,
        amountOver: Object.entries(rules.newAccount?.amountOver ?? {}).map(([currency, amount]) => ({
          currency,
          amount: major(amount, currency),
        })),
      },
      velocity: {
        enabled: rules.velocity?.enabled ?? true,
        windowSeconds: rules.velocity?.windowSeconds ?? 600,
        maxOrdersPerCustomer: rules.velocity?.maxOrdersPerCustomer ?? 50,
        maxOrdersPerDevice: rules.velocity?.maxOrdersPerDevice ?? 50,
      },
      sharedDevice: { enabled: rules.sharedDevice?.enabled ?? true, maxAccounts: rules.sharedDevice?.maxAccounts ?? 5 },
      sharedAddress: { enabled: rules.sharedAddress?.enabled ?? false, maxAccounts: rules.sharedAddress?.maxAccounts ?? 50 },
      countryMismatch: { enabled: rules.countryMismatch?.enabled ?? true },
    },
    reviewMatched: risk.reviewMatched,
    reason: '',
  };
}

export function riskFromForm(form: RiskForm): Schemas['RiskSettingsIn'] {
  const amountLimits: Record<string, Schemas['RiskAmountLimits']> = {};
  for (const row of form.amountLimits ?? []) {
    const currency = (row.currency ?? '').trim().toUpperCase();
    if (!currency) continue;
    const methods: Record<string, Schemas['RiskMethodLimits']> = {};
    for (const method of row.methods ?? []) {
      if (!method.method) continue;
      methods[method.method] = {
        perPayment: minor(method.perPayment, currency),
        dailyPerCustomer: minor(method.dailyPerCustomer, currency),
      };
    }
    amountLimits[currency] = { perOrder: minor(row.perOrder, currency), dailyPerCustomer: minor(row.dailyPerCustomer, currency), methods };
  }
  const amountOver: Record<string, number> = {};
  for (const row of form.rules.newAccount.amountOver ?? []) {
    const currency = (row.currency ?? '').trim().toUpperCase();
    const amount = minor(row.amount, currency);
    if (currency && amount !== null) amountOver[currency] = amount;
  }
  return {
    rateLimits: Object.fromEntries(
      SCOPES.map((scope) => [scope, { perUser: { ...form.rateLimits[scope].perUser }, perIp: { ...form.rateLimits[scope].perIp } }]),
    ) as Schemas['RiskRateLimits'],
    amountLimits,
    rules: {
      newAccount: { enabled: form.rules.newAccount.enabled, accountAgeSeconds: form.rules.newAccount.accountAgeSeconds, amountOver },
      velocity: { ...form.rules.velocity },
      sharedDevice: { ...form.rules.sharedDevice },
      sharedAddress: { ...form.rules.sharedAddress },
      countryMismatch: { ...form.rules.countryMismatch },
    },
    reviewMatched: form.reviewMatched,
    reason: form.reason?.trim() || null,
  };
}

/* ----- data retention ----- */

export interface RetentionForm {
  enabled: boolean;
  closedDays: number;
  reason?: string;
}

export function retentionFromForm(form: RetentionForm): Schemas['DataRetentionIn'] {
  return { enabled: form.enabled, closedDays: form.closedDays, reason: form.reason?.trim() || null };
}
