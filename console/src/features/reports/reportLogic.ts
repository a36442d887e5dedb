// Pure helpers of the reports page: the report types the schedules publish (docs/reports.md) and the
// summary's figures shown as short label: value pairs.

export const REPORT_TYPES = [
  'sales-daily', 'sales-weekly', 'sales-monthly', 'financial-daily', 'financial-weekly', 'financial-monthly', 'settlement-daily',
  'inventory-daily', 'inventory-monthly', 'daily-checks', 'reconciliation-alipay', 'reconciliation-wechat', 'reconciliation-card',
] as const;

/** A report's `from` filter: a day (YYYY-MM-DD) or a period name (2026-W48, 2026-12, 2026-Q4). */
export const PERIOD_PATTERN = /^[0-9]{4}-([0-9]{2}(-[0-9]{2})?|W[0-9]{2}|Q[1-4])$/;

/** The summary's scalar figures (numbers, strings, booleans), nested objects flattened one level as a.b. */
export function summaryFigures(summary: Record<string, unknown>, max = 8): [string, string][] {
  const figures: [string, string][] = [];
  const add = (key: string, value: unknown) => {
    if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') figures.push([key, String(value)]);
  };
  for (const [key, value] of Object.entries(summary)) {
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      for (const [inner, innerValue] of Object.entries(value as Record<string, unknown>)) add(`${key}.${inner}`, innerValue);
    } else add(key, value);
  }
  return figures.slice(0, max);
}
