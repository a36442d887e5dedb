import { describe, expect, it } from 'vitest';
import type { Schemas } from '../../api/client';
import { parseAdjustmentCsv, parseCsv } from './csv';
import {
  categoryIndex, categoryNodes, formatAttributes, moneyFromText, parseAttributes, productFormToIn, productFormToPatch,
  skuFormToIn, skuFormToPatch, skuToForm, toMajorText,
} from './forms';
import { moveImage } from './ImagesCard';
import { categoryPatch } from './CategoriesPage';
import { describeChanges } from './SkuStockPage';

describe('money in forms', () => {
  it('turns typed major units into minor units of the currency', () => {
    expect(moneyFromText('128.00', 'CNY')).toEqual({ amount: 12800, currency: 'CNY' });
    expect(moneyFromText('12.5', 'CNY')).toEqual({ amount: 1250, currency: 'CNY' });
    expect(moneyFromText('0.1', 'CNY')).toEqual({ amount: 10, currency: 'CNY' });
    expect(moneyFromText('500', 'JPY')).toEqual({ amount: 500, currency: 'JPY' });
    expect(() => moneyFromText('abc', 'CNY')).toThrow();
    expect(() => moneyFromText('-1', 'CNY')).toThrow();
  });

  it('shows minor units as major text', () => {
    expect(toMajorText(12800, 'CNY')).toBe('128.00');
    expect(toMajorText(5, 'CNY')).toBe('0.05');
    expect(toMajorText(500, 'JPY')).toBe('500');
  });
});

describe('attributes', () => {
  it('reads key=value lines and writes them back', () => {
    expect(parseAttributes('material = cotton\n\ncolour=red=ish\nflag')).toEqual({ material: 'cotton', colour: 'red=ish', flag: '' });
    expect(formatAttributes({ a: '1', b: '2' })).toBe('a=1\nb=2');
    expect(parseAttributes(undefined)).toEqual({});
  });
});

describe('SKU bodies', () => {
  const base = { name: ' Tee M ', price: '99.9', stock: 5, warehouseId: 'WH-SH', weightGrams: 200 };

  it('a physical SKU with the API defaults spelled out', () => {
    expect(skuFormToIn({ ...base, skuId: ' TEE-M ', lowStockThreshold: 3, virtualKind: 'none', handling: 'fragile' }, 'CNY')).toEqual({
      name: 'Tee M', price: { amount: 9990, currency: 'CNY' }, stock: 5, warehouseId: 'WH-SH', weightGrams: 200,
      attributes: {}, crossBorder: false, handling: 'fragile', memberPrices: {}, pointsPrice: 0, skuId: 'TEE-M', lowStockThreshold: 3,
    });
  });

  it('a virtual SKU is handled virtual with its delivery spec', () => {
    const code = skuFormToIn({ ...base, virtualKind: 'code', lowPoolThreshold: 5, validDays: 30 }, 'CNY');
    expect(code.handling).toBe('virtual');
    expect(code.virtual).toEqual({ kind: 'code', activation: 'immediate', lowPoolThreshold: 5, validDays: 30 });
    const service = skuFormToIn({ ...base, virtualKind: 'service', activation: 'delayed', delaySeconds: 60 }, 'CNY');
    expect(service.virtual).toEqual({ kind: 'service', activation: 'delayed', delaySeconds: 60, lowPoolThreshold: 10 });
  });

  it('an edit round-trips the SKU the API answered', () => {
    const sku = {
      skuId: 'MUG', productId: 'P', storeId: 'demo', name: 'Mug', price: { amount: 4500, currency: 'CNY' }, warehouseId: 'WH1',
      weightGrams: 400, attributes: { colour: 'white' }, categoryId: null, pointsPrice: 0, handling: 'fragile', crossBorder: false,
      memberPrices: {}, status: 'ACTIVE', available: 3, lowStockThreshold: null, stockState: 'low', version: 4,
    } as Schemas['Sku'];
    const form = skuToForm(sku);
    expect(form.price).toBe('45.00');
    expect(form.attributes).toBe('colour=white');
    const patch = skuFormToPatch({ ...form, price: '39.5' }, 'CNY');
    expect(patch).toMatchObject({ name: 'Mug', price: { amount: 3950, currency: 'CNY' }, lowStockThreshold: null, handling: 'fragile', attributes: { colour: 'white' } });
    expect(patch.virtual).toBeUndefined();
  });
});

describe('product bodies', () => {
  it('creates with one SKU and patches with nulls for cleared fields', () => {
    const body = productFormToIn(
      { name: 'Tea', description: '', category: ' tea ', categoryId: undefined, attributes: 'origin=Hangzhou', sku: { name: 'Tea 250g', price: '128', stock: 20, warehouseId: 'WH1', weightGrams: 300 } },
      'demo',
      'CNY',
    );
    expect(body).toMatchObject({ storeId: 'demo', name: 'Tea', description: null, category: 'tea', categoryId: null, attributes: { origin: 'Hangzhou' } });
    expect(body.skus).toHaveLength(1);
    expect(body.skus[0].price).toEqual({ amount: 12800, currency: 'CNY' });
    expect(productFormToPatch({ name: 'Tea', description: ' ', categoryId: 'C1', status: 'INACTIVE' })).toEqual({
      name: 'Tea', description: null, category: null, categoryId: 'C1', attributes: {}, status: 'INACTIVE',
    });
  });
});

describe('categories', () => {
  const tree = [
    { categoryId: 'A', name: 'Tea', parentId: null, sortOrder: 1, depth: 1, childCount: 1, productCount: 0, version: 2,
      children: [{ categoryId: 'B', name: 'Green', parentId: 'A', sortOrder: 0, depth: 2, childCount: 0, productCount: 1, version: 1, children: [] }] },
  ] as unknown as Schemas['CatalogCategoryNode'][];

  it('builds tree-select nodes without the excluded subtree', () => {
    expect(categoryNodes(tree)).toEqual([{ title: 'Tea', value: 'A', key: 'A', children: [{ title: 'Green', value: 'B', key: 'B', children: [] }] }]);
    expect(categoryNodes(tree, 'B')[0].children).toEqual([]);
    expect(categoryIndex(tree).get('B')?.name).toBe('Green');
  });

  it('patches only what changed; a cleared parent is a root', () => {
    const green = tree[0].children[0];
    expect(categoryPatch(green, { name: 'Green', parentId: 'A', sortOrder: 0 })).toEqual({});
    expect(categoryPatch(green, { name: ' Green tea ', parentId: undefined, sortOrder: 2 })).toEqual({ name: 'Green tea', parentId: null, sortOrder: 2 });
  });
});

describe('CSV', () => {
  it('reads quoted cells, doubled quotes, CRLF and a byte-order mark', () => {
    expect(parseCsv('\uFEFFa,b\r\n"x, y","say ""hi"""\n\n')).toEqual([['a', 'b'], ['x, y', 'say "hi"']]);
  });

  it('reads an adjustment file into lines', () => {
    const file = parseAdjustmentCsv('skuId,delta,reason,note\nTEE-M,20,restock,PO-1\nMUG,-2,stocktake_correction,"broken, 2 units"\n');
    expect(file.problems).toEqual([]);
    expect(file.lines).toEqual([
      { skuId: 'TEE-M', delta: 20, reason: 'restock', note: 'PO-1' },
      { skuId: 'MUG', delta: -2, reason: 'stocktake_correction', note: 'broken, 2 units' },
    ]);
  });

  it('names each bad cell and a bad header', () => {
    expect(parseAdjustmentCsv('skuId,delta\nA,1').problems).toEqual([{ line: 0, field: 'reason', code: 'header' }]);
    const file = parseAdjustmentCsv('delta,skuId,reason\n1.5,,restock\n0,B,oops\n3,C,restock,extra');
    expect(file.problems).toEqual([
      { line: 1, field: 'skuId', code: 'missing' },
      { line: 1, field: 'delta', code: 'not-integer' },
      { line: 2, field: 'delta', code: 'zero' },
      { line: 2, field: 'reason', code: 'reason' },
      { line: 3, field: 'cells', code: 'cells' },
    ]);
  });
});

describe('small helpers', () => {
  it('moves an image up or down, not past either end', () => {
    expect(moveImage(['a', 'b', 'c'], 'b', -1)).toEqual(['b', 'a', 'c']);
    expect(moveImage(['a', 'b', 'c'], 'b', 1)).toEqual(['a', 'c', 'b']);
    expect(moveImage(['a', 'b'], 'a', -1)).toEqual(['a', 'b']);
  });

  it('describes a movement’s counter changes', () => {
    expect(describeChanges({ reserved: -3, sold: 3, damaged: 0 }, (name) => name)).toBe('reserved −3, sold +3');
  });
});
