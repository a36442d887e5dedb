import { beforeEach, describe, expect, it } from 'vitest';
import { addCoupon, addLine, emptyCart, setPoints } from './cart';
import { attemptKey, checkoutBody, couponOptionsBody, destinationOf, finishAttempt, quoteBody } from './checkout';

const cart = setPoints(
  addCoupon(addLine(addLine(emptyCart(), { skuId: 'TEE-RED-M', productId: 'P', productName: 'Tee', skuName: 'Red / M' }, 3), { skuId: 'MUG-STD', productId: 'Q', productName: 'Mug', skuName: 'Std' }, 1), 'welcome10'),
  500,
);

describe('request bodies', () => {
  it('quotes the lines with the chosen coupons and points', () => {
    expect(quoteBody(cart)).toEqual({
      lines: [{ skuId: 'TEE-RED-M', quantity: 3 }, { skuId: 'MUG-STD', quantity: 1 }],
      coupons: ['WELCOME10'],
      points: 500,
    });
    expect(quoteBody(setPoints(emptyCart(), 0))).toEqual({ lines: [], coupons: [] });
    expect(quoteBody(cart, { country: 'CN', region: 'SH' }).destination).toEqual({ country: 'CN', region: 'SH' });
  });

  it('asks for coupon options with the lines only', () => {
    expect(couponOptionsBody(cart)).toEqual({ lines: [{ skuId: 'TEE-RED-M', quantity: 3 }, { skuId: 'MUG-STD', quantity: 1 }] });
    expect(couponOptionsBody(cart, { country: 'CN' }).destination).toEqual({ country: 'CN' });
  });

  it('checks out with the saved address, coupons, points and a trimmed note', () => {
    expect(checkoutBody(cart, 'ADDR1', '  leave at the door ')).toEqual({
      lines: [{ skuId: 'TEE-RED-M', quantity: 3 }, { skuId: 'MUG-STD', quantity: 1 }],
      shippingAddressId: 'ADDR1',
      coupons: ['WELCOME10'],
      points: 500,
      note: 'leave at the door',
    });
    expect(checkoutBody(setPoints(cart, 0), 'ADDR1', '   ')).not.toHaveProperty('note');
    expect(checkoutBody(setPoints(cart, 0), 'ADDR1')).not.toHaveProperty('points');
  });

  it('takes the destination from a saved address', () => {
    expect(destinationOf({ country: 'CN', region: 'SH', city: 'Shanghai' })).toEqual({ country: 'CN', region: 'SH' });
    expect(destinationOf({ country: 'CN', region: '' })).toEqual({ country: 'CN' });
    expect(destinationOf({})).toBeNull();
    expect(destinationOf(undefined)).toBeNull();
  });
});

describe('idempotency keys', () => {
  beforeEach(() => sessionStorage.clear());

  it('reuses the key for a retry of the same body and makes a new one for another body', () => {
    const body = checkoutBody(cart, 'ADDR1');
    const first = attemptKey(sessionStorage, 'checkout:alice', body);
    expect(attemptKey(sessionStorage, 'checkout:alice', JSON.parse(JSON.stringify(body)))).toBe(first);
    const other = attemptKey(sessionStorage, 'checkout:alice', checkoutBody(cart, 'ADDR2'));
    expect(other).not.toBe(first);
    expect(attemptKey(sessionStorage, 'checkout:bob', body)).not.toBe(first);
  });

  it('starts a new attempt once the last one succeeded', () => {
    const body = { method: 'wechat' };
    const first = attemptKey(sessionStorage, 'pay:O1', body);
    finishAttempt(sessionStorage, 'pay:O1');
    expect(attemptKey(sessionStorage, 'pay:O1', body)).not.toBe(first);
  });

  it('replaces an unreadable entry', () => {
    sessionStorage.setItem('oms.shop.attempt.checkout:alice', 'garbage');
    expect(attemptKey(sessionStorage, 'checkout:alice', {})).toMatch(/\S{8,}/);
  });
});
