// A store id: the demo store, the user's own stores, or any id typed in.

import { AutoComplete } from 'antd';
import { useMemo } from 'react';
import { useSession } from '../../auth/SessionProvider';
import { useI18n } from '../../i18n/I18nProvider';

export const DEFAULT_STORE = 'demo';

export function StorePicker({ value, onChange, testId }: { value: string; onChange: (store: string) => void; testId?: string }) {
  const { session } = useSession();
  const { t } = useI18n();
  const options = useMemo(
    () => [...new Set([DEFAULT_STORE, ...(session?.stores ?? [])])].map((store) => ({ value: store })),
    [session],
  );
  return (
    <AutoComplete
      value={value}
      options={options}
      onChange={(next) => onChange(String(next ?? '').trim())}
      aria-label={t('dashboard.store')}
      placeholder={t('dashboard.store')}
      style={{ minWidth: 140, maxWidth: 220 }}
      data-testid={testId}
    />
  );
}
