// Pure helpers of the exports page: the fields an export may hold (docs/exports.md), whether a job is
// still moving (poll it), its progress text, and the body of POST /exports from the form.

import type { Dayjs } from 'dayjs';
import type { Schemas } from '../../api/client';

export type Export = Schemas['Export'];
export type ExportState = Schemas['ExportState'];

export const EXPORT_FIELDS = [
  'orderNumber', 'orderId', 'status', 'createdAt', 'updatedAt', 'paymentDeadline', 'deliveredAt', 'stores', 'customerId',
  'currency', 'subtotal', 'shipping', 'discount', 'total', 'refunded', 'itemCount', 'lines', 'shippingName', 'shippingPhone',
  'shippingAddress', 'shippingCity', 'shippingCountry',
] as const;

export const DEFAULT_FIELDS: string[] = ['orderNumber', 'status', 'createdAt', 'stores', 'customerId', 'currency', 'total', 'lines'];
export const PERSONAL_FIELDS: string[] = ['shippingName', 'shippingPhone', 'shippingAddress'];

export function isMoving(state: ExportState | undefined): boolean {
  return state === 'QUEUED' || state === 'RUNNING';
}

/** How often to ask again for a job's progress: every 1.5 s while it moves, never once it ended. */
export function pollInterval(item: Pick<Export, 'state'> | undefined): number | false {
  return isMoving(item?.state) ? 1500 : false;
}

/** 1,536 bytes → "1.5 KB" (binary multiples), in the locale's digits. */
export function formatBytes(bytes: number, locale: string): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${new Intl.NumberFormat(locale, { maximumFractionDigits: unit ? 1 : 0 }).format(value)} ${units[unit]}`;
}

export interface ExportFormValues {
  format: Schemas['ExportFormat'];
  fields: string[];
  locale: Schemas['Locale'];
  status?: Schemas['OrderStatus'];
  created?: Schemas['DatePreset'];
  range?: [Dayjs, Dayjs] | null;
  paymentMethod?: Schemas['PaidWith'];
  storeId?: string;
}

/** POST /exports's body: the fields in the documented order, and only the filters that were set. */
export function exportBody(values: ExportFormValues): Schemas['ExportIn'] {
  const fields = EXPORT_FIELDS.filter((field) => values.fields.includes(field));
  const range = values.range && values.range[0] && values.range[1] ? values.range : null;
  return {
    format: values.format,
    fields: fields.length ? [...fields] : [...DEFAULT_FIELDS],
    locale: values.locale,
    filters: {
      flags: [],
      status: values.status ?? null,
      created: range ? null : (values.created ?? null),
      createdFrom: range ? range[0].startOf('day').toISOString() : null,
      createdTo: range ? range[1].add(1, 'day').startOf('day').toISOString() : null,
      paymentMethod: values.paymentMethod ?? null,
      storeId: values.storeId?.trim() || null,
    },
  };
}
