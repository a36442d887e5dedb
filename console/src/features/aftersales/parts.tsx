// Small pieces of the after-sales pages: the deadline countdown, enum labels, a ticking clock.

import { Tag, Tooltip } from 'antd';
import { useEffect, useState } from 'react';
import { useI18n } from '../../i18n/I18nProvider';
import { deadlineView } from './caseLogic';

/** The current time, updated every `everyMs`. */
export function useNow(everyMs = 15_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), everyMs);
    return () => window.clearInterval(timer);
  }, [everyMs]);
  return now;
}

export function Deadline({ deadline }: { deadline: string | null | undefined }) {
  const { locale, dateTime, t } = useI18n();
  const now = useNow();
  const view = deadlineView(deadline, now, locale);
  if (!view) return <span>—</span>;
  return (
    <Tooltip title={dateTime(deadline)}>
      <Tag color={view.overdue ? 'red' : view.left < 3_600_000 ? 'orange' : 'blue'} data-testid="deadline" data-overdue={view.overdue}>
        {view.overdue ? t('aftersales.overdue', { when: view.text }) : view.text}
      </Tag>
    </Tooltip>
  );
}

export function useLabels() {
  const { t } = useI18n();
  return {
    type: (value: string) => t(`aftersales.type.${value}`),
    reason: (value: string) => t(`aftersales.reason.${value}`),
    step: (value: string) => t(`aftersales.step.${value}`),
    action: (value: string) => {
      const key = `aftersales.history.${value}`;
      return t(key) === key ? value : t(key);
    },
  };
}

export const CASE_STATUSES = [
  'REQUESTED', 'ESCALATED', 'REJECTED', 'AWAITING_RETURN', 'RETURN_SHIPPED', 'RECEIVED', 'REFUNDING', 'EXCHANGING',
  'RESOLVED', 'CANCELLED', 'CLOSED',
] as const;
export const CASE_TYPES = ['refund_only', 'return_refund', 'exchange'] as const;
export const CASE_REASONS = [
  'not_received', 'damaged', 'defective', 'wrong_item', 'not_as_described', 'missing_parts', 'size_or_fit', 'changed_mind', 'other',
] as const;
export const CASE_STEPS = [
  'decision', 'arbitration', 'dispute', 'return_shipment', 'receipt', 'inspection', 'refund', 'replacement', 'difference', 'done',
] as const;
