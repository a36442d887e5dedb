// Small helpers the catalogue, marketing and channel pages share: the store a page works on (kept in
// the URL, `demo` by default), that store's currency, If-Match from a version, Idempotency-Key values.

import { useQuery } from '@tanstack/react-query';
import { Form, Input } from 'antd';
import { useSearchParams } from 'react-router-dom';
import { api, unwrap } from '../../api/client';
import { useI18n } from '../../i18n/I18nProvider';

export const DEFAULT_STORE = 'demo';

/** The store id of the page (`?store=` in the URL, `demo` when absent) and a setter that keeps it there. */
export function useStoreId(): [string, (store: string) => void] {
  const [params, setParams] = useSearchParams();
  const store = params.get('store') || DEFAULT_STORE;
  const set = (next: string) => {
    const copy = new URLSearchParams(params);
    if (next && next !== DEFAULT_STORE) copy.set('store', next);
    else copy.delete('store');
    setParams(copy, { replace: true });
  };
  return [store, set];
}

/** The store's settings (its currency for money inputs). */
export function useStore(storeId: string | undefined) {
  return useQuery({
    queryKey: ['store', storeId],
    enabled: !!storeId,
    queryFn: async () =>
      unwrap(await api().GET('/stores/{storeId}', { params: { path: { storeId: storeId as string } } })),
  });
}

/** The If-Match header value of a version the API answered (its ETag is the quoted version). */
export function ifMatch(version: number | undefined | null): string | undefined {
  return version === undefined || version === null ? undefined : `"${version}"`;
}

export function newIdempotencyKey(): string {
  return globalThis.crypto?.randomUUID
    ? globalThis.crypto.randomUUID()
    : `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

/** A store id field for a FilterPanel. */
export function StoreField({ name = 'store' }: { name?: string }) {
  const { t } = useI18n();
  return (
    <Form.Item name={name} label={t('catalogue.store')}>
      <Input allowClear placeholder={DEFAULT_STORE} data-testid="store-input" style={{ minWidth: 120 }} />
    </Form.Item>
  );
}


