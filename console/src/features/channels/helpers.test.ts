import dayjs from 'dayjs';
import { describe, expect, it } from 'vitest';
import { ApiProblem } from '../../api/problem';
import { activeFilters, countCodeLines, ecomQuery, unsettledOrders } from './helpers';

describe('unsettled orders of a refused disable', () => {
  it('reads the list a 409 channel-store-unsettled carries', () => {
    const error = new ApiProblem(409, {
      type: 'urn:oms:problem:channel-store-unsettled', title: 'The channel store still has unsettled orders', status: 409,
      detail: '2 orders of the store are not settled', unsettled: [{ channelOrderNo: 'TM-1', orderId: 'O1' }, { channelOrderNo: 'TM-2', orderId: 'O2' }],
    });
    expect(unsettledOrders(error)).toEqual([{ channelOrderNo: 'TM-1', orderId: 'O1' }, { channelOrderNo: 'TM-2', orderId: 'O2' }]);
  });

  it('is empty for any other error', () => {
    expect(unsettledOrders(new ApiProblem(412, { type: 'urn:oms:problem:precondition-failed', unsettled: [{}] }))).toEqual([]);
    expect(unsettledOrders(new Error('network'))).toEqual([]);
    expect(unsettledOrders(null)).toEqual([]);
  });
});

describe('the e-commerce order list query', () => {
  it('keeps the tab and the set filters only, times as ISO instants', () => {
    const from = dayjs('2026-12-01T00:00:00Z');
    const to = dayjs('2026-12-02T00:00:00Z');
    const query = ecomQuery('channel', { channelOrderNo: ' TM-9 ', userId: '', stage: 'FROZEN', created: [from, to], deleted: false });
    expect(query).toEqual({ tab: 'channel', channelOrderNo: 'TM-9', stage: 'FROZEN', createdFrom: '2026-12-01T00:00:00.000Z', createdTo: '2026-12-02T00:00:00.000Z' });
    expect(activeFilters(query)).toBe(3);
    expect(ecomQuery('all', { deleted: true })).toEqual({ tab: 'all', deleted: true });
    expect(activeFilters(ecomQuery('platform', {}))).toBe(0);
  });
});

describe('code files', () => {
  it('counts codes without blank lines or a header', () => {
    expect(countCodeLines('\uFEFFcode,expiresAt\nA-1,2027-01-01T00:00:00Z\n\nA-2\n')).toBe(2);
    expect(countCodeLines('X1\r\nX2\r\n')).toBe(2);
    expect(countCodeLines('')).toBe(0);
  });
});
