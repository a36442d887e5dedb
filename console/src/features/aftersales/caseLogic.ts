// Pure rules of the after-sales screens: how far a case's deadline is, and which moves a case offers
// for the step it waits for (the API's `move` table decides; these only pick the buttons to show).

import type { Schemas } from '../../api/client';
import type { RouteKey } from '../../auth/permissions';

export type Case = Schemas['Case'];
export type CaseStep = Schemas['CaseStep'];
export type CaseStatus = Schemas['CaseStatus'];

export type CaseAction = 'approve' | 'reject' | 'arbitrate' | 'dispute' | 'return-shipment' | 'receive' | 'inspect' | 'cancel';

export const ACTION_ROUTES: Record<CaseAction, RouteKey> = {
  approve: 'POST /after-sales/{caseId}/approve',
  reject: 'POST /after-sales/{caseId}/reject',
  arbitrate: 'POST /after-sales/{caseId}/arbitrate',
  dispute: 'POST /after-sales/{caseId}/dispute',
  'return-shipment': 'POST /after-sales/{caseId}/return-shipment',
  receive: 'POST /after-sales/{caseId}/receive',
  inspect: 'POST /after-sales/{caseId}/inspect',
  cancel: 'POST /after-sales/{caseId}/cancel',
};

const BY_STEP: Partial<Record<CaseStep, CaseAction[]>> = {
  decision: ['approve', 'reject'],
  arbitration: ['arbitrate'],
  dispute: ['dispute'],
  return_shipment: ['return-shipment'],
  receipt: ['receive'],
  inspection: ['inspect'],
};

/** Statuses a case may still be withdrawn from (the refund has not started). */
const CANCELLABLE: CaseStatus[] = ['REQUESTED', 'ESCALATED', 'REJECTED', 'AWAITING_RETURN', 'RETURN_SHIPPED', 'RECEIVED'];

/** The moves to offer on a case: those of the step it waits for, then cancel, each only if `can` lets it through. */
export function caseActions(item: Pick<Case, 'waitingFor' | 'status' | 'disputed'>, can: (route: RouteKey) => boolean): CaseAction[] {
  const actions = [...(BY_STEP[item.waitingFor] ?? [])].filter((action) => action !== 'dispute' || !item.disputed);
  if (CANCELLABLE.includes(item.status)) actions.push('cancel');
  return actions.filter((action) => can(ACTION_ROUTES[action]));
}

export interface DeadlineView {
  /** "in 9 minutes" / "3 minutes ago", in the locale. */
  text: string;
  overdue: boolean;
  /** Milliseconds left (negative once past). */
  left: number;
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1000],
];

/** How far `deadline` is from `now`, as a relative time in `locale` (largest whole unit). Null without a deadline. */
export function deadlineView(deadline: string | null | undefined, now: number, locale: string): DeadlineView | null {
  if (!deadline) return null;
  const at = Date.parse(deadline);
  if (Number.isNaN(at)) return null;
  const left = at - now;
  const size = Math.abs(left);
  const [unit, ms] = UNITS.find(([, length]) => size >= length) ?? UNITS[UNITS.length - 1];
  const value = Math.trunc(left / ms);
  const format = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  return { text: format.format(value, unit), overdue: left < 0, left };
}

/** Inspection lines for a case: every unit restockable unless told otherwise. */
export function defaultInspection(lines: Case['lines']): { lineNo: number; restockable: number; damaged: number }[] {
  return lines.map((line) => ({ lineNo: line.lineNo, restockable: line.quantity, damaged: 0 }));
}

/** Lines whose restockable + damaged units do not add up to what the case returns (the API refuses them). */
export function inspectionMismatches(
  lines: Case['lines'],
  judged: { lineNo: number; restockable: number; damaged: number }[],
): number[] {
  return lines
    .filter((line) => {
      const row = judged.find((item) => item.lineNo === line.lineNo);
      return !row || row.restockable + row.damaged !== line.quantity || row.restockable < 0 || row.damaged < 0;
    })
    .map((line) => line.lineNo);
}
