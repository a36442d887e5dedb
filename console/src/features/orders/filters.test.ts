import dayjs from 'dayjs';
import { describe, expect, it } from 'vitest';
import {
  amountToMinor, cleanFilters, countFilters, filtersToExport, filtersToForm, filtersToParams, filtersToQuery,
  formToFilters, isAmount, paramsToFilters,
} from './filters';

describe('order filters → GET /orders query', () => {
  it('drops empty values and trims text', () => {
    expect(filtersToQuery({ orderNumber: '  26120263774147 ', customerId: '', email: '   ' })).toEqual({ orderNumber: '26120263774147' });
  });

  it('types amounts in major units and sends minor units of the currency filter', () => {
    expect(filtersToQuery({ amountMin: '12.5', amountMax: '100' })).toEqual({ amountMin: 1250, amountMax: 10000 });
    expect(filtersToQuery({ amountMin: '1000', currency: 'jpy' })).toEqual({ amountMin: 1000, currency: 'JPY' });
    expect(filtersToQuery({ amountMax: '1.234', currency: 'KWD' })).toEqual({ amountMax: 1234, currency: 'KWD' });
    expect(filtersToQuery({ amountMin: '0.015' })).toEqual({ amountMin: 2 });
  });

  it('leaves out an amount that is not a number or is negative', () => {
    expect(filtersToQuery({ amountMin: 'abc', amountMax: '-3' })).toEqual({});
    expect(amountToMinor('abc', 'CNY')).toBeNaN();
    expect(amountToMinor('', 'CNY')).toBeUndefined();
    expect(isAmount('12.30')).toBe(true);
    expect(isAmount('')).toBe(true);
    expect(isAmount('-1')).toBe(false);
  });

  it('joins flags with commas and turns pointsUsed into a boolean', () => {
    expect(filtersToQuery({ flags: ['special', 'on-hold', 'special'], pointsUsed: 'false' })).toEqual({
      flags: 'special,on-hold',
      pointsUsed: false,
    });
  });

  it('lets a preset win over a custom range and sends the zone only with a preset', () => {
    expect(
      filtersToQuery({ created: 'this-week', createdFrom: '2026-01-01T00:00:00.000Z', tz: 'Asia/Shanghai' }),
    ).toEqual({ created: 'this-week', tz: 'Asia/Shanghai' });
    expect(filtersToQuery({ createdFrom: '2026-01-01T00:00:00.000Z', tz: 'Asia/Shanghai' })).toEqual({
      createdFrom: '2026-01-01T00:00:00.000Z',
    });
    expect(filtersToQuery({ paid: 'today', tz: 'UTC' })).toEqual({ paid: 'today', tz: 'UTC' });
  });

  it('passes every other filter by the API names', () => {
    const query = filtersToQuery({
      status: 'PAID', paymentMethod: 'bank_transfer', phone: '138 0000 0000', email: 'A@B.CN', skuId: 'TEE-RED-M',
      productId: 'P1', storeId: 'demo', paidFrom: '2026-01-01T00:00:00.000Z', paidTo: '2026-02-01T00:00:00.000Z',
    });
    expect(query).toEqual({
      status: 'PAID', paymentMethod: 'bank_transfer', phone: '138 0000 0000', email: 'A@B.CN', skuId: 'TEE-RED-M',
      productId: 'P1', storeId: 'demo', paidFrom: '2026-01-01T00:00:00.000Z', paidTo: '2026-02-01T00:00:00.000Z',
    });
  });

  it('gives POST /exports the same search with flags as a list', () => {
    expect(filtersToExport({ status: 'SHIPPED', amountMin: '10', flags: ['abnormal'] })).toEqual({
      status: 'SHIPPED',
      amountMin: 1000,
      flags: ['abnormal'],
    });
    expect(filtersToExport({})).toEqual({ flags: [] });
  });

  it('counts the set filters, a range once, not the zone', () => {
    expect(countFilters({})).toBe(0);
    expect(countFilters({ tz: 'UTC' })).toBe(0);
    expect(countFilters({ status: 'PAID', createdFrom: 'a', createdTo: 'b', flags: ['special'] })).toBe(3);
  });
});

describe('order filters in the URL', () => {
  it('round-trips through search parameters', () => {
    const filters = { status: 'PAID' as const, amountMin: '12.50', flags: ['special' as const, 'abnormal' as const], pointsUsed: 'true' as const, customerId: 'c-1' };
    const params = filtersToParams(filters);
    expect(params.get('flags')).toBe('special,abnormal');
    expect(paramsToFilters(params)).toEqual(cleanFilters(filters));
  });

  it('drops unknown enum values from the address', () => {
    expect(paramsToFilters(new URLSearchParams('status=NOPE&paymentMethod=cash&flags=special,bogus&pointsUsed=maybe&created=yesterday'))).toEqual({
      flags: ['special'],
    });
  });
});

describe('the filter form', () => {
  it('turns picked days into an inclusive start and an exclusive end at the next midnight', () => {
    const filters = formToFilters({ createdRange: [dayjs('2026-03-01T15:00:00'), dayjs('2026-03-31T09:00:00')] });
    expect(filters.createdFrom).toBe(dayjs('2026-03-01T00:00:00').toDate().toISOString());
    expect(filters.createdTo).toBe(dayjs('2026-04-01T00:00:00').toDate().toISOString());
    const back = filtersToForm(filters);
    expect(back.createdRange?.[0]?.format('YYYY-MM-DD')).toBe('2026-03-01');
    expect(back.createdRange?.[1]?.format('YYYY-MM-DD')).toBe('2026-03-31');
    expect(back.paidRange).toBeNull();
  });
});
