import dayjs from 'dayjs';
import { describe, expect, it } from 'vitest';
import { exportBody, formatBytes, pollInterval } from './exportLogic';
import { summaryFigures } from './reportLogic';

describe('exports', () => {
  it('polls while the job is queued or running, not after', () => {
    expect(pollInterval({ state: 'QUEUED' })).toBe(1500);
    expect(pollInterval({ state: 'RUNNING' })).toBe(1500);
    expect(pollInterval({ state: 'SUCCEEDED' })).toBe(false);
    expect(pollInterval({ state: 'FAILED' })).toBe(false);
  });

  it('formats sizes', () => {
    expect(formatBytes(512, 'en')).toBe('512 B');
    expect(formatBytes(2_059_111, 'en')).toBe('2 MB');
    expect(formatBytes(1536, 'en')).toBe('1.5 KB');
  });

  it('builds the request: fields in the documented order, only the filters set, a range over whole days', () => {
    const body = exportBody({
      format: 'xlsx',
      fields: ['total', 'orderNumber'],
      locale: 'zh-CN',
      status: 'PAID',
      created: 'this-week',
      range: [dayjs('2026-11-01T12:00:00'), dayjs('2026-11-30T08:00:00')],
      storeId: ' demo ',
    });
    expect(body.format).toBe('xlsx');
    expect(body.fields).toEqual(['orderNumber', 'total']);
    expect(body.filters?.status).toBe('PAID');
    expect(body.filters?.created).toBeNull(); // a custom range wins over the preset (the API refuses both)
    expect(body.filters?.createdFrom).toBe(dayjs('2026-11-01').startOf('day').toISOString());
    expect(body.filters?.createdTo).toBe(dayjs('2026-12-01').startOf('day').toISOString());
    expect(body.filters?.storeId).toBe('demo');
    expect(body.filters?.paymentMethod).toBeNull();
  });

  it('falls back to the default fields', () => {
    expect(exportBody({ format: 'csv', fields: [], locale: 'en' }).fields).toContain('orderNumber');
  });
});

describe('report summaries', () => {
  it('shows the scalar figures, nested ones as a.b', () => {
    expect(summaryFigures({ currency: 'CNY', ordersPaid: 3, due: { CNY: 1200 }, rows: [1, 2] })).toEqual([
      ['currency', 'CNY'],
      ['ordersPaid', '3'],
      ['due.CNY', '1200'],
    ]);
  });
});
