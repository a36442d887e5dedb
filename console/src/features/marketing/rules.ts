// Form values ↔ the promotions API's bodies (docs/api.md "Promotions, coupons, points and FX"): amounts
// typed in major units become minor units of the rule's currency, percentages typed as "15" become basis
// points (1500), times are ISO 8601 with an offset.

import type { Schemas } from '../../api/client';
import { toMajorText } from '../catalogue/forms';
import { toMinorUnits } from '../../i18n/format';

export type PromotionKind = Schemas['PromotionKind'];
export type CouponKind = Schemas['CouponKind'];

/** Minor units from typed major units; NaN stays NaN (the form's validator refuses it first). */
function minor(text: string | number | undefined | null, currency: string): number {
  return toMinorUnits(text ?? '', currency);
}

function money(text: string | number | undefined | null, currency: string): Schemas['MoneyIn'] {
  return { amount: minor(text, currency), currency };
}

function optionalMoney(text: string | number | undefined | null, currency: string): Schemas['MoneyIn'] | null {
  return text === undefined || text === null || String(text).trim() === '' ? null : money(text, currency);
}

/** A rule with its optional cap (left out when there is none). */
function withCap(rule: Record<string, unknown>, cap: Schemas['MoneyIn'] | null): Record<string, unknown> {
  return cap ? { ...rule, cap } : rule;
}

/** "15" → 1500 basis points; "12.5" → 1250. */
export function bpsFromPercent(text: string | number): number {
  return Math.round(Number(String(text).trim()) * 100);
}

export function percentFromBps(bps: number): string {
  return String(bps / 100);
}

/** Ids typed or picked in a tags select, trimmed, without blanks or repeats. */
export function cleanIds(ids: string[] | undefined | null): string[] {
  return [...new Set((ids ?? []).map((id) => id.trim()).filter(Boolean))];
}

/** Ids typed one per line or separated by commas or spaces. */
export function splitIds(text: string | undefined | null): string[] {
  return cleanIds((text ?? '').split(/[\s,，]+/));
}

export interface ScopeValues {
  storeId?: string | null;
  categoryIds?: string[];
  skuIds?: string[];
}

export function scopeIn(values: ScopeValues): Schemas['ScopeIn'] {
  const storeId = values.storeId?.trim();
  return { storeId: storeId ? storeId : null, categoryIds: cleanIds(values.categoryIds), skuIds: cleanIds(values.skuIds) };
}

export interface PromotionFormValues extends ScopeValues {
  kind: PromotionKind;
  name: string;
  currency: string;
  startsAt: string; // ISO 8601
  endsAt?: string | null;
  priority?: number | null;
  allowCoupons?: boolean;
  reason?: string;
  tiers?: { threshold: string; off: string }[];
  percent?: string;
  cap?: string | null;
  buy?: number;
  get?: number;
  threshold?: string;
}

export function promotionRule(values: PromotionFormValues): Record<string, unknown> {
  const { currency } = values;
  switch (values.kind) {
    case 'spend_and_save':
      return { tiers: (values.tiers ?? []).map((tier) => ({ threshold: money(tier.threshold, currency), off: money(tier.off, currency) })) };
    case 'percent_off':
      return withCap({ bps: bpsFromPercent(values.percent ?? '') }, optionalMoney(values.cap, currency));
    case 'buy_x_get_y':
      return { buy: values.buy ?? 0, get: values.get ?? 0 };
    case 'free_shipping':
      return { threshold: money(values.threshold, currency) };
  }
}

export function promotionFormToBody(values: PromotionFormValues): Schemas['PromotionIn'] {
  return {
    kind: values.kind,
    name: values.name.trim(),
    rule: promotionRule(values),
    scope: scopeIn(values),
    window: { startsAt: values.startsAt, endsAt: values.endsAt || null },
    priority: values.priority ?? 0,
    allowCoupons: values.allowCoupons ?? true,
    reason: values.reason?.trim() || null,
  };
}

/** The currency a rule's amounts are in (CNY for a rule without amounts). */
export function ruleCurrency(rule: Schemas['Promotion']['rule']): string {
  if ('tiers' in rule) return rule.tiers[0]?.threshold.currency ?? 'CNY';
  if ('bps' in rule) return rule.cap?.currency ?? 'CNY';
  if ('threshold' in rule) return rule.threshold.currency;
  return 'CNY';
}

export function promotionToForm(promotion: Schemas['Promotion']): PromotionFormValues {
  const { rule } = promotion;
  const currency = ruleCurrency(rule);
  const base: PromotionFormValues = {
    kind: promotion.kind,
    name: promotion.name,
    currency,
    storeId: promotion.scope.storeId,
    categoryIds: promotion.scope.categoryIds,
    skuIds: promotion.scope.skuIds,
    startsAt: promotion.window.startsAt,
    endsAt: promotion.window.endsAt,
    priority: promotion.priority,
    allowCoupons: promotion.allowCoupons,
  };
  if ('tiers' in rule)
    base.tiers = rule.tiers.map((tier) => ({ threshold: toMajorText(tier.threshold.amount, currency), off: toMajorText(tier.off.amount, currency) }));
  else if ('bps' in rule) {
    base.percent = percentFromBps(rule.bps);
    base.cap = rule.cap ? toMajorText(rule.cap.amount, currency) : null;
  } else if ('buy' in rule) {
    base.buy = rule.buy;
    base.get = rule.get;
  } else if ('threshold' in rule) base.threshold = toMajorText(rule.threshold.amount, currency);
  return base;
}

export interface CouponTemplateFormValues extends ScopeValues {
  kind: CouponKind;
  name: string;
  currency: string;
  amount?: string;
  percent?: string;
  cap?: string | null;
  minSpend?: string | null;
  totalLimit?: number | null;
  perCustomerLimit?: number | null;
  stackable?: boolean;
  startsAt: string;
  endsAt?: string | null;
  reason?: string;
}

export function couponBenefit(values: CouponTemplateFormValues): Record<string, unknown> {
  const { currency } = values;
  switch (values.kind) {
    case 'amount_off':
      return { amount: money(values.amount, currency) };
    case 'percent_off':
      return withCap({ bps: bpsFromPercent(values.percent ?? '') }, optionalMoney(values.cap, currency));
    case 'free_shipping':
      return withCap({}, optionalMoney(values.cap, currency));
  }
}

export function couponTemplateFormToBody(values: CouponTemplateFormValues): Schemas['CouponTemplateIn'] {
  return {
    kind: values.kind,
    name: values.name.trim(),
    benefit: couponBenefit(values),
    scope: scopeIn(values),
    window: { startsAt: values.startsAt, endsAt: values.endsAt || null },
    minSpend: optionalMoney(values.minSpend, values.currency),
    totalLimit: values.totalLimit ?? null,
    perCustomerLimit: values.perCustomerLimit ?? null,
    stackable: values.stackable ?? false,
    reason: values.reason?.trim() || null,
  };
}

/** A coupon benefit as a short text: "¥10.00 off", "15 % off (at most ¥20.00)", "free shipping". */
export function describeBenefit(
  kind: CouponKind | PromotionKind,
  benefit: Schemas['CouponTemplate']['benefit'] | Schemas['Promotion']['rule'],
  t: (key: string, vars?: Record<string, string | number>) => string,
  money: (amount: number, currency: string) => string,
): string {
  if ('amount' in benefit) return t('marketing.benefit.amountOff', { amount: money(benefit.amount.amount, benefit.amount.currency) });
  if ('bps' in benefit) {
    const text = t('marketing.benefit.percentOff', { percent: percentFromBps(benefit.bps) });
    return benefit.cap ? `${text} ${t('marketing.benefit.capped', { cap: money(benefit.cap.amount, benefit.cap.currency) })}` : text;
  }
  if ('tiers' in benefit)
    return benefit.tiers
      .map((tier) => t('marketing.benefit.tier', { threshold: money(tier.threshold.amount, tier.threshold.currency), off: money(tier.off.amount, tier.off.currency) }))
      .join('; ');
  if ('buy' in benefit) return t('marketing.benefit.buyGet', { buy: benefit.buy, get: benefit.get });
  if ('threshold' in benefit) return t('marketing.benefit.freeShippingOver', { threshold: money(benefit.threshold.amount, benefit.threshold.currency) });
  if (kind === 'free_shipping' && 'cap' in benefit && benefit.cap)
    return `${t('marketing.benefit.freeShipping')} ${t('marketing.benefit.capped', { cap: money(benefit.cap.amount, benefit.cap.currency) })}`;
  return t('marketing.benefit.freeShipping');
}

export interface ProgrammeFormValues {
  currency: string;
  redeemPoints: number;
  redeemValue: string; // major units
  capPercent: string;
  earnPoints?: number | null;
  earnValue?: string | null;
}

export function programmesToForm(programmes: Record<string, Schemas['PointsProgramme']>): ProgrammeFormValues[] {
  return Object.entries(programmes).map(([currency, programme]) => ({
    currency,
    redeemPoints: programme.redeemRate.points,
    redeemValue: toMajorText(programme.redeemRate.value.amount, currency),
    capPercent: percentFromBps(programme.capBps),
    earnPoints: programme.earnRate?.points ?? null,
    earnValue: programme.earnRate ? toMajorText(programme.earnRate.value.amount, currency) : null,
  }));
}

export function formToProgrammes(rows: ProgrammeFormValues[]): Record<string, Schemas['PointsRulesIn']> {
  const out: Record<string, Schemas['PointsRulesIn']> = {};
  for (const row of rows) {
    const currency = row.currency.trim().toUpperCase();
    const earn = row.earnPoints && row.earnValue ? { points: row.earnPoints, value: money(row.earnValue, currency) } : null;
    out[currency] = {
      redeemRate: { points: row.redeemPoints, value: money(row.redeemValue, currency) },
      capBps: bpsFromPercent(row.capPercent),
      earnRate: earn,
    };
  }
  return out;
}

export interface TierFormValues {
  tierId: string;
  name: string;
  threshold: number;
  discountPercent: string;
}

export function tiersToForm(tiers: Schemas['MemberTier'][]): TierFormValues[] {
  return tiers.map((tier) => ({ tierId: tier.tierId, name: tier.name, threshold: tier.threshold, discountPercent: percentFromBps(tier.discountBps) }));
}

export function formToTiers(rows: TierFormValues[]): Schemas['MemberTierIn'][] {
  return rows.map((row) => ({ tierId: row.tierId.trim(), name: row.name.trim(), threshold: row.threshold, discountBps: bpsFromPercent(row.discountPercent || '0') }));
}
