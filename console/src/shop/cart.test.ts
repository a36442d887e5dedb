import { beforeEach, describe, expect, it } from 'vitest';
import {
  addCoupon, addLine, cartCount, cartKey, clearCart, emptyCart, MAX_QUANTITY, readCart, removeCoupon, removeLine,
  setPoints, setQuantity, writeCart,
} from './cart';

const tee = { skuId: 'TEE-RED-M', productId: 'P1', productName: 'Classic Tee', skuName: 'Red / M' };
const mug = { skuId: 'MUG-STD', productId: 'P2', productName: 'Ceramic Mug', skuName: 'Standard' };

describe('cart storage', () => {
  beforeEach(() => localStorage.clear());

  it('keeps one cart per user', () => {
    writeCart(localStorage, 'alice', addLine(emptyCart(), tee, 2));
    writeCart(localStorage, 'bob', addLine(emptyCart(), mug, 1));
    expect(readCart(localStorage, 'alice').lines.map((line) => [line.skuId, line.quantity])).toEqual([['TEE-RED-M', 2]]);
    expect(readCart(localStorage, 'bob').lines.map((line) => line.skuId)).toEqual(['MUG-STD']);
    clearCart(localStorage, 'alice');
    expect(readCart(localStorage, 'alice')).toEqual(emptyCart());
    expect(readCart(localStorage, 'bob').lines).toHaveLength(1);
  });

  it('reads nothing usable from a damaged entry', () => {
    localStorage.setItem(cartKey('alice'), '{not json');
    expect(readCart(localStorage, 'alice')).toEqual(emptyCart());
    localStorage.setItem(
      cartKey('alice'),
      JSON.stringify({ lines: [{ skuId: 'A', quantity: 2 }, { skuId: '', quantity: 1 }, { quantity: 3 }, { skuId: 'B', quantity: 0 }, 'x'], coupons: ['welcome10', 'WELCOME10', 7], points: -5 }),
    );
    const cart = readCart(localStorage, 'alice');
    expect(cart.lines.map((line) => [line.skuId, line.quantity])).toEqual([['A', 2]]);
    expect(cart.coupons).toEqual(['WELCOME10']);
    expect(cart.points).toBe(0);
  });

  it('notifies listeners in this tab when it changes', () => {
    const seen: string[] = [];
    const listener = (event: Event) => seen.push(String((event as CustomEvent).detail));
    window.addEventListener('oms-shop-cart', listener);
    writeCart(localStorage, 'alice', emptyCart());
    clearCart(localStorage, 'alice');
    window.removeEventListener('oms-shop-cart', listener);
    expect(seen).toEqual(['alice', 'alice']);
  });
});

describe('cart changes', () => {
  it('merges a SKU added twice and caps the quantity', () => {
    let cart = addLine(emptyCart(), tee, 2);
    cart = addLine(cart, tee, 3);
    cart = addLine(cart, mug, 1);
    expect(cart.lines.map((line) => [line.skuId, line.quantity])).toEqual([['TEE-RED-M', 5], ['MUG-STD', 1]]);
    expect(cartCount(cart)).toBe(6);
    expect(addLine(cart, tee, 500).lines[0].quantity).toBe(MAX_QUANTITY);
    expect(addLine(emptyCart(), tee, 0).lines).toEqual([]);
  });

  it('sets and removes quantities', () => {
    const cart = addLine(addLine(emptyCart(), tee, 2), mug, 1);
    expect(setQuantity(cart, 'TEE-RED-M', 4).lines[0].quantity).toBe(4);
    expect(setQuantity(cart, 'TEE-RED-M', 0).lines.map((line) => line.skuId)).toEqual(['MUG-STD']);
    expect(removeLine(cart, 'MUG-STD').lines.map((line) => line.skuId)).toEqual(['TEE-RED-M']);
  });

  it('keeps coupon codes upper-case and once each, and points whole and not negative', () => {
    let cart = addCoupon(emptyCart(), ' welcome10 ');
    cart = addCoupon(cart, 'WELCOME10');
    cart = addCoupon(cart, '  ');
    expect(cart.coupons).toEqual(['WELCOME10']);
    expect(removeCoupon(cart, 'welcome10').coupons).toEqual([]);
    expect(setPoints(cart, 250.7).points).toBe(250);
    expect(setPoints(cart, -3).points).toBe(0);
  });
});
