import { describe, expect, it } from 'vitest';
import type { RouteKey } from '../../auth/permissions';
import { caseActions, deadlineView, defaultInspection, inspectionMismatches } from './caseLogic';

const everything = () => true;
const only = (...routes: RouteKey[]) => (route: RouteKey) => routes.includes(route);

describe('caseActions', () => {
  it('offers the moves of the step the case waits for, then cancel', () => {
    expect(caseActions({ waitingFor: 'decision', status: 'REQUESTED', disputed: false }, everything)).toEqual(['approve', 'reject', 'cancel']);
    expect(caseActions({ waitingFor: 'receipt', status: 'RETURN_SHIPPED', disputed: false }, everything)).toEqual(['receive', 'cancel']);
    expect(caseActions({ waitingFor: 'inspection', status: 'RECEIVED', disputed: false }, everything)).toEqual(['inspect', 'cancel']);
    expect(caseActions({ waitingFor: 'arbitration', status: 'ESCALATED', disputed: true }, everything)).toEqual(['arbitrate', 'cancel']);
  });

  it('offers nothing once the refund has started or the case ended', () => {
    expect(caseActions({ waitingFor: 'refund', status: 'REFUNDING', disputed: false }, everything)).toEqual([]);
    expect(caseActions({ waitingFor: 'done', status: 'RESOLVED', disputed: false }, everything)).toEqual([]);
  });

  it('keeps only what the role may call', () => {
    const warehouse = only('POST /after-sales/{caseId}/receive', 'POST /after-sales/{caseId}/inspect');
    expect(caseActions({ waitingFor: 'decision', status: 'REQUESTED', disputed: false }, warehouse)).toEqual([]);
    expect(caseActions({ waitingFor: 'receipt', status: 'RETURN_SHIPPED', disputed: false }, warehouse)).toEqual(['receive']);
  });

  it('does not offer a second dispute', () => {
    expect(caseActions({ waitingFor: 'dispute', status: 'REJECTED', disputed: true }, everything)).toEqual(['cancel']);
    expect(caseActions({ waitingFor: 'dispute', status: 'REJECTED', disputed: false }, everything)).toEqual(['dispute', 'cancel']);
  });
});

describe('deadlineView', () => {
  const now = Date.parse('2026-12-02T10:00:00Z');

  it('counts down to a future deadline in the largest whole unit', () => {
    expect(deadlineView('2026-12-02T10:09:30Z', now, 'en')).toEqual({ text: 'in 9 minutes', overdue: false, left: 570_000 });
    expect(deadlineView('2026-12-04T11:00:00Z', now, 'en')?.text).toBe('in 2 days');
    expect(deadlineView('2026-12-02T10:00:20Z', now, 'en')?.text).toBe('in 20 seconds');
  });

  it('says how long ago a passed deadline was, and that it is overdue', () => {
    const view = deadlineView('2026-12-02T07:00:00Z', now, 'en');
    expect(view?.overdue).toBe(true);
    expect(view?.text).toBe('3 hours ago');
  });

  it('speaks Chinese', () => {
    expect(deadlineView('2026-12-02T10:05:00Z', now, 'zh-CN')?.text).toBe('5分钟后');
  });

  it('is null without a deadline', () => {
    expect(deadlineView(null, now, 'en')).toBeNull();
    expect(deadlineView('not a time', now, 'en')).toBeNull();
  });
});

describe('inspection', () => {
  const lines = [
    { lineNo: 1, quantity: 2, skuId: 'TEE-RED-M' },
    { lineNo: 2, quantity: 1, skuId: 'MUG' },
  ];

  it('starts with every unit restockable', () => {
    expect(defaultInspection(lines)).toEqual([
      { lineNo: 1, restockable: 2, damaged: 0 },
      { lineNo: 2, restockable: 1, damaged: 0 },
    ]);
  });

  it('names the lines whose units do not add up', () => {
    expect(inspectionMismatches(lines, [{ lineNo: 1, restockable: 1, damaged: 1 }, { lineNo: 2, restockable: 1, damaged: 0 }])).toEqual([]);
    expect(inspectionMismatches(lines, [{ lineNo: 1, restockable: 2, damaged: 1 }])).toEqual([1, 2]);
  });
});
