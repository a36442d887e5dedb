import { beforeEach, describe, expect, it } from 'vitest';
import { COLUMNS_KEY, deleteSavedFilter, loadColumns, loadSavedFilters, SAVED_FILTERS_KEY, saveColumns, saveFilter } from './prefs';

const ALL = ['orderNumber', 'status', 'customerId', 'total'] as const;
const DEFAULTS = ['orderNumber', 'status'];

describe('saved filters', () => {
  beforeEach(() => localStorage.clear());

  it('saves, replaces by name, and deletes', () => {
    expect(loadSavedFilters()).toEqual([]);
    saveFilter(' paid today ', { status: 'PAID', paid: 'today', email: '' });
    saveFilter('big', { amountMin: '500' });
    expect(loadSavedFilters()).toEqual([
      { name: 'paid today', filters: { status: 'PAID', paid: 'today' } },
      { name: 'big', filters: { amountMin: '500' } },
    ]);
    saveFilter('paid today', { status: 'SHIPPED' });
    expect(loadSavedFilters().map((item) => [item.name, item.filters.status])).toEqual([
      ['big', undefined],
      ['paid today', 'SHIPPED'],
    ]);
    expect(deleteSavedFilter('big')).toEqual([{ name: 'paid today', filters: { status: 'SHIPPED' } }]);
    expect(JSON.parse(localStorage.getItem(SAVED_FILTERS_KEY) ?? '[]')).toHaveLength(1);
  });

  it('ignores a blank name and damaged storage', () => {
    saveFilter('   ', { status: 'PAID' });
    expect(loadSavedFilters()).toEqual([]);
    localStorage.setItem(SAVED_FILTERS_KEY, '{not json');
    expect(loadSavedFilters()).toEqual([]);
    localStorage.setItem(SAVED_FILTERS_KEY, JSON.stringify([{ name: 'ok', filters: { status: 'PAID' } }, { name: 3 }, null, { name: 'x' }]));
    expect(loadSavedFilters()).toEqual([{ name: 'ok', filters: { status: 'PAID' } }]);
  });
});

describe('column choice', () => {
  beforeEach(() => localStorage.clear());

  it('defaults until chosen, keeps the list order, persists', () => {
    expect(loadColumns(ALL, DEFAULTS)).toEqual(DEFAULTS);
    expect(saveColumns(ALL, ['total', 'orderNumber', 'unknown'])).toEqual(['orderNumber', 'total']);
    expect(JSON.parse(localStorage.getItem(COLUMNS_KEY) ?? '[]')).toEqual(['orderNumber', 'total']);
    expect(loadColumns(ALL, DEFAULTS)).toEqual(['orderNumber', 'total']);
  });

  it('falls back to the defaults when nothing stored is a column', () => {
    localStorage.setItem(COLUMNS_KEY, JSON.stringify(['gone']));
    expect(loadColumns(ALL, DEFAULTS)).toEqual(DEFAULTS);
    localStorage.setItem(COLUMNS_KEY, 'garbage');
    expect(loadColumns(ALL, DEFAULTS)).toEqual(DEFAULTS);
  });
});
