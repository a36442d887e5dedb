// Pure helpers of the checkout: the bodies of POST /orders/quote, POST /orders/coupon-options and
// POST /orders built from the cart, and the Idempotency-Key of one checkout (or payment) attempt: the same
// key for every retry of the same body, a new one once the body changes or the attempt succeeded.

import type { Schemas } from '../api/client';
import type { Cart } from './cart';

export type QuoteBody = Schemas['QuoteIn'];
export type CheckoutBody = Schemas['CheckoutIn'];
export type Destination = Schemas['DestinationIn'];

export function cartLines(cart: Cart): Schemas['CartLineIn'][] {
  return cart.lines.map((line) => ({ skuId: line.skuId, quantity: line.quantity }));
}

export function quoteBody(cart: Cart, destination?: Destination | null): QuoteBody {
  const body: QuoteBody = { lines: cartLines(cart), coupons: [...cart.coupons] };
  if (cart.points > 0) body.points = cart.points;
  if (destination) body.destination = destination;
  return body;
}

export function couponOptionsBody(cart: Cart, destination?: Destination | null): Schemas['CouponOptionsIn'] {
  return destination ? { lines: cartLines(cart), destination } : { lines: cartLines(cart) };
}

export function checkoutBody(cart: Cart, addressId: string, note?: string): CheckoutBody {
  const body: CheckoutBody = { lines: cartLines(cart), shippingAddressId: addressId, coupons: [...cart.coupons] };
  if (cart.points > 0) body.points = cart.points;
  const trimmed = note?.trim();
  if (trimmed) body.note = trimmed;
  return body;
}

/** Where a saved address ships to, as the quote's `destination`. */
export function destinationOf(address: Record<string, unknown> | null | undefined): Destination | null {
  const country = typeof address?.country === 'string' ? address.country : '';
  if (!country) return null;
  const region = typeof address?.region === 'string' && address.region ? address.region : undefined;
  return region ? { country, region } : { country };
}

function newKey(): string {
  if (typeof crypto !== 'undefined' && 'randomUUID' in crypto) return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

const KEY_PREFIX = 'oms.shop.attempt.';

/**
 * The Idempotency-Key of an attempt at `scope` (e.g. "checkout", "pay:<orderId>") with this body: kept in
 * `storage` so a retry (a lost answer, a reload) sends the same key with the same body; a different body
 * is another attempt and gets a new key.
 */
export function attemptKey(storage: Storage, scope: string, body: unknown): string {
  const fingerprint = JSON.stringify(body);
  const raw = storage.getItem(KEY_PREFIX + scope);
  if (raw) {
    try {
      const stored = JSON.parse(raw) as { fingerprint?: string; key?: string };
      if (stored.fingerprint === fingerprint && stored.key) return stored.key;
    } catch {
      // an unreadable entry is replaced below
    }
  }
  const key = newKey();
  storage.setItem(KEY_PREFIX + scope, JSON.stringify({ fingerprint, key }));
  return key;
}

/** The attempt succeeded: the next one gets a new key. */
export function finishAttempt(storage: Storage, scope: string): void {
  storage.removeItem(KEY_PREFIX + scope);
}
