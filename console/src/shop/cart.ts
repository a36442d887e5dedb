// The shopper's cart, kept in localStorage per signed-in user (`oms.shop.cart.<sub>`): the lines (SKU,
// quantity and the names to show before a quote answers), the coupon codes chosen and the points to use.
// Prices are never stored: the quote (POST /orders/quote) prices the cart every time.

export interface CartLine {
  skuId: string;
  quantity: number;
  productId: string;
  productName: string;
  skuName: string;
}

export interface Cart {
  lines: CartLine[];
  coupons: string[];
  points: number;
}

export const MAX_QUANTITY = 99;
const PREFIX = 'oms.shop.cart.';
const EVENT = 'oms-shop-cart';

export function emptyCart(): Cart {
  return { lines: [], coupons: [], points: 0 };
}

export function cartKey(sub: string): string {
  return `${PREFIX}${sub}`;
}

function clampQuantity(quantity: number): number {
  if (!Number.isFinite(quantity)) return 0;
  return Math.max(0, Math.min(MAX_QUANTITY, Math.floor(quantity)));
}

/** A coupon code as the API matches it: trimmed, upper case. */
export function normaliseCode(code: string): string {
  return code.trim().toUpperCase();
}

/** The stored cart of this user; anything unreadable or malformed gives (or drops to) an empty part. */
export function readCart(storage: Storage, sub: string): Cart {
  const raw = storage.getItem(cartKey(sub));
  if (!raw) return emptyCart();
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return emptyCart();
  }
  if (!parsed || typeof parsed !== 'object') return emptyCart();
  const value = parsed as Partial<Record<keyof Cart, unknown>>;
  const lines = Array.isArray(value.lines)
    ? value.lines.flatMap((line): CartLine[] => {
        if (!line || typeof line !== 'object') return [];
        const item = line as Record<string, unknown>;
        const quantity = clampQuantity(Number(item.quantity));
        if (typeof item.skuId !== 'string' || !item.skuId || quantity < 1) return [];
        return [
          {
            skuId: item.skuId,
            quantity,
            productId: typeof item.productId === 'string' ? item.productId : '',
            productName: typeof item.productName === 'string' ? item.productName : '',
            skuName: typeof item.skuName === 'string' ? item.skuName : '',
          },
        ];
      })
    : [];
  const coupons = Array.isArray(value.coupons)
    ? [...new Set(value.coupons.filter((code): code is string => typeof code === 'string').map(normaliseCode))].filter(Boolean)
    : [];
  const points = Math.max(0, Math.floor(Number(value.points) || 0));
  return { lines, coupons, points };
}

export function writeCart(storage: Storage, sub: string, cart: Cart): void {
  storage.setItem(cartKey(sub), JSON.stringify(cart));
  if (typeof window !== 'undefined') window.dispatchEvent(new CustomEvent(EVENT, { detail: sub }));
}

export function clearCart(storage: Storage, sub: string): void {
  storage.removeItem(cartKey(sub));
  if (typeof window !== 'undefined') window.dispatchEvent(new CustomEvent(EVENT, { detail: sub }));
}

/** Adds `quantity` of a SKU (merged with a line of the same SKU, at most MAX_QUANTITY). */
export function addLine(cart: Cart, line: Omit<CartLine, 'quantity'>, quantity: number): Cart {
  const existing = cart.lines.find((item) => item.skuId === line.skuId);
  if (existing) {
    return {
      ...cart,
      lines: cart.lines.map((item) =>
        item.skuId === line.skuId ? { ...item, ...line, quantity: clampQuantity(item.quantity + quantity) } : item,
      ),
    };
  }
  const clamped = clampQuantity(quantity);
  return clamped < 1 ? cart : { ...cart, lines: [...cart.lines, { ...line, quantity: clamped }] };
}

/** Sets a line's quantity; 0 or less removes the line. */
export function setQuantity(cart: Cart, skuId: string, quantity: number): Cart {
  const clamped = clampQuantity(quantity);
  if (clamped < 1) return removeLine(cart, skuId);
  return { ...cart, lines: cart.lines.map((item) => (item.skuId === skuId ? { ...item, quantity: clamped } : item)) };
}

export function removeLine(cart: Cart, skuId: string): Cart {
  return { ...cart, lines: cart.lines.filter((item) => item.skuId !== skuId) };
}

export function addCoupon(cart: Cart, code: string): Cart {
  const normalised = normaliseCode(code);
  if (!normalised || cart.coupons.includes(normalised)) return cart;
  return { ...cart, coupons: [...cart.coupons, normalised] };
}

export function removeCoupon(cart: Cart, code: string): Cart {
  return { ...cart, coupons: cart.coupons.filter((item) => item !== normaliseCode(code)) };
}

export function setPoints(cart: Cart, points: number): Cart {
  return { ...cart, points: Math.max(0, Math.floor(Number(points) || 0)) };
}

/** Units in the cart (the header's badge). */
export function cartCount(cart: Cart): number {
  return cart.lines.reduce((sum, line) => sum + line.quantity, 0);
}

export const CART_EVENT = EVENT;
