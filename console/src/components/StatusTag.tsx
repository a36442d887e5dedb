import { Tag } from 'antd';
import { useI18n } from '../i18n/I18nProvider';

const COLORS: Record<string, string> = {
  PENDING_PAYMENT: 'gold', PAID: 'blue', PROCESSING: 'geekblue', SHIPPED: 'cyan', PARTIALLY_SHIPPED: 'cyan',
  DELIVERED: 'green', COMPLETED: 'green', CANCELLED: 'default', CLOSED: 'default', REFUNDED: 'purple',
  PARTIALLY_REFUNDED: 'purple', ON_HOLD: 'orange', OPEN: 'orange', FAILED: 'red', REJECTED: 'red',
  SUCCEEDED: 'green', PENDING: 'gold', RESOLVED: 'green', APPROVED: 'blue',
};

/** A status code as a coloured tag with its name from `status.<CODE>` (the code itself when unnamed). */
export function StatusTag({ status }: { status: string | null | undefined }) {
  const { t } = useI18n();
  if (!status) return <span>—</span>;
  const key = `status.${status}`;
  const label = t(key) === key ? status : t(key);
  return (
    <Tag color={COLORS[status] ?? 'default'} data-status={status}>
      {label}
    </Tag>
  );
}
