import { useQuery } from '@tanstack/react-query';
import { useCallback, useMemo, useSyncExternalStore } from 'react';
import { api, unwrap } from '../api/client';
import { useSession } from '../auth/SessionProvider';
import type { Session } from '../auth/session';
import { config } from '../config';
import { CART_EVENT, cartKey, clearCart, emptyCart, readCart, writeCart, type Cart } from './cart';

export function isCustomer(session: Session | null): boolean {
  return !!session && session.roles.includes('customer');
}

function subscribe(callback: () => void): () => void {
  window.addEventListener(CART_EVENT, callback);
  window.addEventListener('storage', callback);
  return () => {
    window.removeEventListener(CART_EVENT, callback);
    window.removeEventListener('storage', callback);
  };
}

/** The signed-in customer's cart (empty and read-only when signed out), updated across tabs. */
export function useCart(): { cart: Cart; sub: string | null; update: (change: (cart: Cart) => Cart) => void; clear: () => void } {
  const { session } = useSession();
  const sub = isCustomer(session) ? session!.sub : null;
  const raw = useSyncExternalStore(subscribe, () => (sub ? localStorage.getItem(cartKey(sub)) : null));
  const cart = useMemo(() => (sub && raw ? readCart(localStorage, sub) : emptyCart()), [sub, raw]);
  const update = useCallback(
    (change: (cart: Cart) => Cart) => {
      if (sub) writeCart(localStorage, sub, change(readCart(localStorage, sub)));
    },
    [sub],
  );
  const clear = useCallback(() => {
    if (sub) clearCart(localStorage, sub);
  }, [sub]);
  return { cart, sub, update, clear };
}

/** The shop front's store (config().store, "demo" locally). */
export function shopStore(): string {
  return config().store ?? 'demo';
}

export function useStore() {
  const storeId = shopStore();
  return useQuery({
    queryKey: ['shop', 'store', storeId],
    queryFn: async () => unwrap(await api().GET('/stores/{storeId}', { params: { path: { storeId } } })),
    staleTime: 300_000,
  });
}
