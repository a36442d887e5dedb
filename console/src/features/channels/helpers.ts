// Pure helpers of the channel pages: the unsettled orders a refused disable names, the e-commerce order
// list's filters as its query, and a code pool's upload summary.

import type { Dayjs } from 'dayjs';
import { isProblem } from '../../api/problem';
import type { Schemas } from '../../api/client';

export const CHANNEL_TYPES: Schemas['ChannelType'][] = ['taobao', 'tmall', 'pinduoduo', 'jd', 'douyin', 'kuaishou', 'xianyu', 'other'];

export interface UnsettledOrder {
  channelOrderNo: string;
  orderId: string;
}

/** The orders a 409 `channel-store-unsettled` lists (the first 20), or none for any other error. */
export function unsettledOrders(error: unknown): UnsettledOrder[] {
  if (!isProblem(error) || error.slug !== 'channel-store-unsettled') return [];
  const list = error.body.unsettled;
  if (!Array.isArray(list)) return [];
  return list
    .filter((item): item is Record<string, unknown> => typeof item === 'object' && item !== null)
    .map((item) => ({ channelOrderNo: String(item.channelOrderNo ?? ''), orderId: String(item.orderId ?? '') }));
}

export type EcomTab = Schemas['EcomTab'];

export interface EcomFilterValues {
  channelOrderNo?: string;
  userId?: string;
  storeId?: string;
  stage?: string;
  redemptionStatus?: string;
  verificationStatus?: string;
  afterSalesStatus?: string;
  created?: [Dayjs | null, Dayjs | null] | null;
  redeemed?: [Dayjs | null, Dayjs | null] | null;
  deleted?: boolean;
}

export type EcomQuery = {
  tab: EcomTab;
  channelOrderNo?: string;
  userId?: string;
  storeId?: string;
  stage?: string;
  redemptionStatus?: string;
  verificationStatus?: string;
  afterSalesStatus?: string;
  createdFrom?: string;
  createdTo?: string;
  redeemedFrom?: string;
  redeemedTo?: string;
  deleted?: boolean;
};

function text(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/** The GET /ecommerce-orders query of a tab and the filter form (empty fields left out). */
export function ecomQuery(tab: EcomTab, values: EcomFilterValues): EcomQuery {
  const query: EcomQuery = { tab };
  const set = <K extends keyof EcomQuery>(key: K, value: EcomQuery[K] | undefined) => {
    if (value !== undefined) query[key] = value;
  };
  set('channelOrderNo', text(values.channelOrderNo));
  set('userId', text(values.userId));
  set('storeId', text(values.storeId));
  set('stage', text(values.stage));
  set('redemptionStatus', text(values.redemptionStatus));
  set('verificationStatus', text(values.verificationStatus));
  set('afterSalesStatus', text(values.afterSalesStatus));
  set('createdFrom', values.created?.[0]?.toISOString());
  set('createdTo', values.created?.[1]?.toISOString());
  set('redeemedFrom', values.redeemed?.[0]?.toISOString());
  set('redeemedTo', values.redeemed?.[1]?.toISOString());
  if (values.deleted) query.deleted = true;
  return query;
}

/** How many filters are set (the phone's filter button badge). */
export function activeFilters(query: EcomQuery): number {
  const { tab: _tab, createdTo, redeemedTo, ...rest } = query;
  void _tab;
  void createdTo;
  void redeemedTo;
  return Object.values(rest).filter((value) => value !== undefined).length;
}

/** The codes of a CSV file as the API counts them: non-blank lines, without an optional header. */
export function countCodeLines(file: string): number {
  const lines = file.replace(/^\uFEFF/, '').split(/\r?\n/).filter((line) => line.trim() !== '');
  if (lines.length && /^code(,|$)/i.test(lines[0].trim())) lines.shift();
  return lines.length;
}
