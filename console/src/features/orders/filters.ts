// The staff order search's filters (GET /orders): what the filter form holds, how it becomes the API's
// query (amounts typed in major units → minor units of the chosen currency, flags comma-separated) and the
// export's `filters` (flags as a list), and how it is kept in the page's URL.

import dayjs, { type Dayjs } from 'dayjs';
import type { paths, Schemas } from '../../api/client';
import { toMinorUnits } from '../../i18n/format';

export type OrderQuery = NonNullable<paths['/orders']['get']['parameters']['query']>;
export type ExportFilters = NonNullable<Schemas['ExportIn']['filters']>;
export type OrderStatus = Schemas['OrderStatus'];
export type DatePreset = Schemas['DatePreset'];
export type PaidWith = Schemas['PaidWith'];
export type SearchFlag = Schemas['SearchFlag'];

export const ORDER_STATUSES: OrderStatus[] = [
  'PENDING_PAYMENT', 'PAID', 'PARTIALLY_SHIPPED', 'SHIPPED', 'DELIVERED', 'COMPLETED', 'CANCELLED', 'ON_HOLD', 'CLOSED',
];
export const DATE_PRESETS: DatePreset[] = ['today', 'this-week', 'this-month'];
export const PAYMENT_METHODS: PaidWith[] = ['alipay', 'wechat', 'card', 'crypto', 'bank_transfer', 'balance', 'checkout'];
export const SEARCH_FLAGS: SearchFlag[] = ['special', 'abnormal', 'risk-review', 'on-hold'];

/** The filters as the form and the URL keep them: strings as typed, amounts in major units, ranges as RFC 3339. */
export interface OrderFilters {
  orderNumber?: string;
  status?: OrderStatus;
  created?: DatePreset;
  createdFrom?: string;
  createdTo?: string;
  paid?: DatePreset;
  paidFrom?: string;
  paidTo?: string;
  paymentMethod?: PaidWith;
  customerId?: string;
  phone?: string;
  email?: string;
  skuId?: string;
  productId?: string;
  storeId?: string;
  amountMin?: string;
  amountMax?: string;
  currency?: string;
  pointsUsed?: 'true' | 'false';
  flags?: SearchFlag[];
  tz?: string;
}

const TEXT_KEYS = ['orderNumber', 'customerId', 'phone', 'email', 'skuId', 'productId', 'storeId', 'tz'] as const;
const DEFAULT_CURRENCY = 'CNY';

function text(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const trimmed = String(value).trim();
  return trimmed ? trimmed : undefined;
}

/** The currency amounts are typed in: the currency filter's, else CNY (the platform's). */
export function amountCurrency(filters: OrderFilters): string {
  return text(filters.currency)?.toUpperCase() ?? DEFAULT_CURRENCY;
}

/** An amount typed in major units as minor units; undefined when empty, NaN when not a number ≥ 0. */
export function amountToMinor(value: string | number | undefined | null, currency: string): number | undefined {
  const typed = text(value);
  if (typed === undefined) return undefined;
  const minor = toMinorUnits(typed, currency);
  return Number.isFinite(minor) && minor >= 0 ? minor : Number.NaN;
}

/** Whether an amount field holds something the search can take (empty, or a number ≥ 0). */
export function isAmount(value: string | number | undefined | null): boolean {
  const minor = amountToMinor(value, DEFAULT_CURRENCY);
  return minor === undefined || !Number.isNaN(minor);
}

/** The filters without empty values (what is saved and counted). */
export function cleanFilters(filters: OrderFilters): OrderFilters {
  const out: OrderFilters = {};
  for (const key of TEXT_KEYS) {
    const value = text(filters[key]);
    if (value) out[key] = value;
  }
  if (filters.status) out.status = filters.status;
  if (filters.paymentMethod) out.paymentMethod = filters.paymentMethod;
  if (filters.created) out.created = filters.created;
  else {
    if (text(filters.createdFrom)) out.createdFrom = text(filters.createdFrom);
    if (text(filters.createdTo)) out.createdTo = text(filters.createdTo);
  }
  if (filters.paid) out.paid = filters.paid;
  else {
    if (text(filters.paidFrom)) out.paidFrom = text(filters.paidFrom);
    if (text(filters.paidTo)) out.paidTo = text(filters.paidTo);
  }
  if (text(filters.amountMin)) out.amountMin = text(filters.amountMin);
  if (text(filters.amountMax)) out.amountMax = text(filters.amountMax);
  if (text(filters.currency)) out.currency = text(filters.currency)?.toUpperCase();
  if (filters.pointsUsed === 'true' || filters.pointsUsed === 'false') out.pointsUsed = filters.pointsUsed;
  const flags = (filters.flags ?? []).filter((flag) => SEARCH_FLAGS.includes(flag));
  if (flags.length) out.flags = [...new Set(flags)];
  return out;
}

/** How many filters are set (the phone's filter button shows it); the time zone alone does not count. */
export function countFilters(filters: OrderFilters): number {
  const clean = cleanFilters(filters);
  let count = Object.keys(clean).filter((key) => key !== 'tz').length;
  if (clean.createdFrom && clean.createdTo) count -= 1; // one range
  if (clean.paidFrom && clean.paidTo) count -= 1;
  return count;
}

/**
 * GET /orders's query for these filters. A preset wins over a custom range of the same date (the API
 * refuses both), amounts go from major to minor units of the currency filter (CNY without one), and
 * an amount that is not a number is left out (the form refuses it first).
 */
export function filtersToQuery(filters: OrderFilters): OrderQuery {
  const clean = cleanFilters(filters);
  const currency = amountCurrency(clean);
  const query: OrderQuery = {};
  for (const key of TEXT_KEYS) if (clean[key]) query[key] = clean[key];
  if (clean.status) query.status = clean.status;
  if (clean.paymentMethod) query.paymentMethod = clean.paymentMethod;
  if (clean.created) query.created = clean.created;
  if (clean.createdFrom) query.createdFrom = clean.createdFrom;
  if (clean.createdTo) query.createdTo = clean.createdTo;
  if (clean.paid) query.paid = clean.paid;
  if (clean.paidFrom) query.paidFrom = clean.paidFrom;
  if (clean.paidTo) query.paidTo = clean.paidTo;
  const min = amountToMinor(clean.amountMin, currency);
  const max = amountToMinor(clean.amountMax, currency);
  if (min !== undefined && !Number.isNaN(min)) query.amountMin = min;
  if (max !== undefined && !Number.isNaN(max)) query.amountMax = max;
  if (clean.currency) query.currency = clean.currency;
  if (clean.pointsUsed) query.pointsUsed = clean.pointsUsed === 'true';
  if (clean.flags) query.flags = clean.flags.join(',');
  // The zone only places the presets (a range carries its own offset): without one it is left out.
  if (!clean.created && !clean.paid) delete query.tz;
  return query;
}

/** POST /exports's `filters`: the same search, flags as a list. */
export function filtersToExport(filters: OrderFilters): ExportFilters {
  const { flags, ...query } = filtersToQuery(filters);
  return { ...query, flags: flags ? (flags.split(',') as SearchFlag[]) : [] };
}

/** The filters as URL search parameters (the list page keeps them in its address). */
export function filtersToParams(filters: OrderFilters): URLSearchParams {
  const clean = cleanFilters(filters);
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(clean)) {
    params.set(key, Array.isArray(value) ? value.join(',') : String(value));
  }
  return params;
}

/** The filters read back from URL search parameters; unknown values are dropped. */
export function paramsToFilters(params: URLSearchParams): OrderFilters {
  const get = (key: string) => params.get(key) ?? undefined;
  const status = get('status');
  const method = get('paymentMethod');
  const created = get('created');
  const paid = get('paid');
  const points = get('pointsUsed');
  const filters: OrderFilters = {
    orderNumber: get('orderNumber'),
    status: ORDER_STATUSES.includes(status as OrderStatus) ? (status as OrderStatus) : undefined,
    created: DATE_PRESETS.includes(created as DatePreset) ? (created as DatePreset) : undefined,
    createdFrom: get('createdFrom'),
    createdTo: get('createdTo'),
    paid: DATE_PRESETS.includes(paid as DatePreset) ? (paid as DatePreset) : undefined,
    paidFrom: get('paidFrom'),
    paidTo: get('paidTo'),
    paymentMethod: PAYMENT_METHODS.includes(method as PaidWith) ? (method as PaidWith) : undefined,
    customerId: get('customerId'),
    phone: get('phone'),
    email: get('email'),
    skuId: get('skuId'),
    productId: get('productId'),
    storeId: get('storeId'),
    amountMin: get('amountMin'),
    amountMax: get('amountMax'),
    currency: get('currency'),
    pointsUsed: points === 'true' || points === 'false' ? points : undefined,
    flags: (get('flags') ?? '').split(',').filter((flag): flag is SearchFlag => SEARCH_FLAGS.includes(flag as SearchFlag)),
    tz: get('tz'),
  };
  return cleanFilters(filters);
}

/** The browser's IANA time zone (the presets' default zone), when it fits the API's pattern. */
export function browserZone(): string | undefined {
  try {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    return zone && /^[A-Za-z0-9_+/-]+$/.test(zone) ? zone : undefined;
  } catch {
    return undefined;
  }
}

// ── The filter form ─────────────────────────────────────────────────────────────────────────────

/** What the filter form holds: the filters with the custom ranges as date pickers' values. */
export interface FilterForm extends Omit<OrderFilters, 'createdFrom' | 'createdTo' | 'paidFrom' | 'paidTo'> {
  createdRange?: [Dayjs | null, Dayjs | null] | null;
  paidRange?: [Dayjs | null, Dayjs | null] | null;
}

function iso(value: Dayjs | null | undefined): string | undefined {
  return value && value.isValid() ? value.toDate().toISOString() : undefined;
}

/** The form's values as filters: a range's end is exclusive, so a picked last day runs to its midnight. */
export function formToFilters(values: FilterForm): OrderFilters {
  const { createdRange, paidRange, ...rest } = values;
  return cleanFilters({
    ...rest,
    createdFrom: iso(createdRange?.[0]?.startOf('day')),
    createdTo: iso(createdRange?.[1]?.add(1, 'day').startOf('day')),
    paidFrom: iso(paidRange?.[0]?.startOf('day')),
    paidTo: iso(paidRange?.[1]?.add(1, 'day').startOf('day')),
  });
}

export function filtersToForm(filters: OrderFilters): FilterForm {
  const { createdFrom, createdTo, paidFrom, paidTo, ...rest } = cleanFilters(filters);
  const range = (from?: string, to?: string): [Dayjs | null, Dayjs | null] | null =>
    from || to ? [from ? dayjs(from) : null, to ? dayjs(to).subtract(1, 'day') : null] : null;
  return { ...rest, createdRange: range(createdFrom, createdTo), paidRange: range(paidFrom, paidTo) };
}
