import { describe, expect, it } from 'vitest';
import { attributeOptions, findVariant, initialSelection, isCombinable } from './variants';
import { caseBody, claimable } from './AfterSales';
import { inTab } from './Orders';

const tees = [
  { skuId: 'TEE-RED-M', attributes: { color: 'red', size: 'M' }, stockState: 'sold_out' },
  { skuId: 'TEE-RED-L', attributes: { color: 'red', size: 'L' }, stockState: 'in_stock' },
  { skuId: 'TEE-BLK-M', attributes: { color: 'black', size: 'M' }, stockState: 'in_stock' },
];

describe('SKU choice', () => {
  it('offers the attributes the SKUs differ in', () => {
    expect(attributeOptions(tees)).toEqual([
      { name: 'color', values: ['red', 'black'] },
      { name: 'size', values: ['M', 'L'] },
    ]);
    expect(attributeOptions([{ skuId: 'X', attributes: { paper: 'dot-grid' } }])).toEqual([{ name: 'paper', values: ['dot-grid'] }]);
    expect(attributeOptions([{ skuId: 'A', attributes: { material: 'cotton', size: 'M' } }, { skuId: 'B', attributes: { material: 'cotton', size: 'L' } }])).toEqual([
      { name: 'size', values: ['M', 'L'] },
    ]);
  });

  it('finds the SKU of a full selection, and disables values that name none', () => {
    const options = attributeOptions(tees);
    expect(findVariant(tees, options, { color: 'red', size: 'M' })?.skuId).toBe('TEE-RED-M');
    expect(findVariant(tees, options, { color: 'red' })).toBeUndefined();
    expect(findVariant(tees, options, { color: 'black', size: 'L' })).toBeUndefined();
    expect(isCombinable(tees, options, { color: 'black' }, 'size', 'L')).toBe(false);
    expect(isCombinable(tees, options, { color: 'red' }, 'size', 'L')).toBe(true);
    expect(findVariant([tees[0]], [], {})?.skuId).toBe('TEE-RED-M');
  });

  it('starts on a SKU that is not sold out', () => {
    expect(initialSelection(tees, attributeOptions(tees))).toEqual({ color: 'red', size: 'L' });
    expect(initialSelection([], [])).toEqual({});
  });
});

describe('after-sales helpers', () => {
  const child = {
    childOrderId: 'O1-01', childNo: 1, status: 'DELIVERED',
    lines: [{ lineNo: 1, quantity: 3, skuId: 'TEE-RED-M', amounts: {} }, { lineNo: 2, quantity: 1, skuId: 'MUG-STD', amounts: {} }],
  } as unknown as Parameters<typeof claimable>[0];

  it('leaves out units that open cases claim, not those of closed ones', () => {
    const cases = [
      { childOrderId: 'O1-01', status: 'REQUESTED', lines: [{ lineNo: 1, quantity: 1, skuId: 'TEE-RED-M' }] },
      { childOrderId: 'O1-01', status: 'CANCELLED', lines: [{ lineNo: 2, quantity: 1, skuId: 'MUG-STD' }] },
      { childOrderId: 'O1-02', status: 'REQUESTED', lines: [{ lineNo: 1, quantity: 5, skuId: 'X' }] },
    ] as unknown as Parameters<typeof claimable>[1];
    expect([...claimable(child, cases).entries()]).toEqual([[1, 2], [2, 1]]);
  });

  it('sends the lines with units, in line order', () => {
    expect(caseBody('O1-01', 'return_refund', 'size_or_fit', { 2: 0, 1: 1 }, '  too small ')).toEqual({
      childOrderId: 'O1-01', type: 'return_refund', reason: 'size_or_fit', lines: [{ lineNo: 1, quantity: 1 }], toBalance: false, note: 'too small',
    });
  });

  it('sorts orders into the status tabs', () => {
    expect(inTab('all', 'CANCELLED')).toBe(true);
    expect(inTab('unpaid', 'PENDING_PAYMENT')).toBe(true);
    expect(inTab('toShip', 'PAID')).toBe(true);
    expect(inTab('done', 'SHIPPED')).toBe(false);
  });
});
