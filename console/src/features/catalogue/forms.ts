// Form values ↔ API bodies for products and SKUs. People type prices in major units ("128.00"); the
// API takes integer minor units of the store's currency. Attributes are edited as "key=value" lines.

import type { Schemas } from '../../api/client';
import { currencyExponent, toMinorUnits } from '../../i18n/format';

export type VirtualKind = 'none' | Schemas['DeliveryKind'];

export interface SkuFormValues {
  skuId?: string;
  name: string;
  price: string; // major units
  stock?: number; // only when creating
  warehouseId: string;
  weightGrams: number;
  lowStockThreshold?: number | null;
  handling?: Schemas['HandlingClass'];
  pointsPrice?: number | null;
  status?: Schemas['SkuStatus'];
  attributes?: string;
  virtualKind?: VirtualKind;
  lowPoolThreshold?: number | null;
  validDays?: number | null;
  activation?: Schemas['Activation'];
  delaySeconds?: number | null;
}

export interface ProductFormValues {
  storeId?: string;
  name: string;
  description?: string | null;
  category?: string | null;
  categoryId?: string | null;
  status?: Schemas['SkuStatus'];
  attributes?: string;
  sku?: SkuFormValues; // the first SKU, when creating
}

/** "key=value" lines (blank lines skipped, the first "=" splits) to a map. */
export function parseAttributes(text: string | undefined | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of (text ?? '').split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) continue;
    const at = line.indexOf('=');
    const key = (at < 0 ? line : line.slice(0, at)).trim();
    if (!key) continue;
    out[key] = at < 0 ? '' : line.slice(at + 1).trim();
  }
  return out;
}

export function formatAttributes(map: Record<string, string> | null | undefined): string {
  return Object.entries(map ?? {})
    .map(([key, value]) => `${key}=${value}`)
    .join('\n');
}

/** Major units as text for a form ("12800" CNY minor → "128.00"). */
export function toMajorText(amount: number, currency: string): string {
  const exponent = currencyExponent(currency);
  return (amount / 10 ** exponent).toFixed(exponent);
}

/** A money value from typed major units; throws when the text is not a non-negative amount. */
export function moneyFromText(text: string | number, currency: string): Schemas['MoneyIn'] {
  const amount = toMinorUnits(text, currency);
  if (!Number.isFinite(amount) || amount < 0) throw new Error(`not an amount: ${text}`);
  return { amount, currency };
}

function optionalText(value: string | null | undefined): string | null {
  const trimmed = (value ?? '').trim();
  return trimmed ? trimmed : null;
}

function optionalNumber(value: number | null | undefined): number | null {
  return value === undefined || value === null || Number.isNaN(value) ? null : value;
}

function virtualSpec(values: SkuFormValues): Schemas['VirtualSpecIn'] | null {
  const kind = values.virtualKind ?? 'none';
  if (kind === 'none') return null;
  // The API's defaults, sent explicitly: immediate activation, an alert at 10 codes left.
  const spec: Schemas['VirtualSpecIn'] = { kind, activation: 'immediate', lowPoolThreshold: 10 };
  const validDays = optionalNumber(values.validDays);
  if (kind === 'code') {
    const threshold = optionalNumber(values.lowPoolThreshold);
    if (threshold !== null) spec.lowPoolThreshold = threshold;
  }
  if ((kind === 'code' || kind === 'link') && validDays !== null) spec.validDays = validDays;
  if (kind === 'service') {
    spec.activation = values.activation ?? 'immediate';
    if (spec.activation === 'delayed') spec.delaySeconds = optionalNumber(values.delaySeconds);
  }
  return spec;
}

/** A new SKU's body (POST /products/{productId}/skus, or one of POST /products' skus). */
export function skuFormToIn(values: SkuFormValues, currency: string): Schemas['SkuIn'] {
  const body: Schemas['SkuIn'] = {
    name: values.name.trim(),
    price: moneyFromText(values.price, currency),
    stock: values.stock ?? 0,
    warehouseId: values.warehouseId.trim(),
    weightGrams: values.weightGrams ?? 0,
    attributes: parseAttributes(values.attributes),
    crossBorder: false,
    handling: values.handling ?? 'normal',
    memberPrices: {},
    pointsPrice: values.pointsPrice ?? 0,
  };
  const skuId = optionalText(values.skuId);
  if (skuId) body.skuId = skuId;
  const threshold = optionalNumber(values.lowStockThreshold);
  if (threshold !== null) body.lowStockThreshold = threshold;
  const spec = virtualSpec(values);
  if (spec) {
    body.virtual = spec;
    body.handling = 'virtual';
  }
  return body;
}

/** The edit form of a SKU the API answered. */
export function skuToForm(sku: Schemas['Sku']): SkuFormValues {
  return {
    skuId: sku.skuId,
    name: sku.name,
    price: toMajorText(sku.price.amount, sku.price.currency),
    warehouseId: sku.warehouseId,
    weightGrams: sku.weightGrams,
    lowStockThreshold: sku.lowStockThreshold,
    handling: sku.handling,
    pointsPrice: sku.pointsPrice,
    status: sku.status,
    attributes: formatAttributes(sku.attributes),
    virtualKind: sku.virtual?.kind ?? 'none',
    lowPoolThreshold: sku.virtual?.lowPoolThreshold ?? null,
    validDays: sku.virtual?.validDays ?? null,
    activation: sku.virtual?.activation ?? undefined,
    delaySeconds: sku.virtual?.delaySeconds ?? null,
  };
}

/** PATCH /skus/{skuId}: the editable fields (a price keeps the SKU's currency; null threshold: the store's). */
export function skuFormToPatch(values: SkuFormValues, currency: string): Schemas['SkuPatch'] {
  const patch: Schemas['SkuPatch'] = {
    name: values.name.trim(),
    price: moneyFromText(values.price, currency),
    warehouseId: values.warehouseId.trim(),
    weightGrams: values.weightGrams ?? 0,
    lowStockThreshold: optionalNumber(values.lowStockThreshold),
    pointsPrice: values.pointsPrice ?? 0,
    attributes: parseAttributes(values.attributes),
  };
  if (values.status) patch.status = values.status;
  const spec = virtualSpec(values);
  if (spec) patch.virtual = spec;
  else if (values.handling) patch.handling = values.handling;
  return patch;
}

export function productFormToIn(values: ProductFormValues, storeId: string, currency: string): Schemas['ProductIn'] {
  const body: Schemas['ProductIn'] = {
    storeId,
    name: values.name.trim(),
    description: optionalText(values.description),
    category: optionalText(values.category),
    categoryId: optionalText(values.categoryId),
    attributes: parseAttributes(values.attributes),
    skus: values.sku ? [skuFormToIn(values.sku, currency)] : [],
  };
  return body;
}

export function productToForm(product: Schemas['Product']): ProductFormValues {
  return {
    name: product.name,
    description: product.description,
    category: product.category,
    categoryId: product.categoryId ?? null,
    status: product.status,
    attributes: formatAttributes(product.attributes),
  };
}

/** PATCH /products/{productId}: every editable field (null removes the description, label or category). */
export function productFormToPatch(values: ProductFormValues): Schemas['ProductPatch'] {
  return {
    name: values.name.trim(),
    description: optionalText(values.description),
    category: optionalText(values.category),
    categoryId: optionalText(values.categoryId),
    attributes: parseAttributes(values.attributes),
    ...(values.status ? { status: values.status } : {}),
  };
}

/** The category tree as antd TreeSelect / Tree nodes. */
export interface TreeNode {
  title: string;
  value: string;
  key: string;
  children: TreeNode[];
}

export function categoryNodes(categories: Schemas['CatalogCategoryNode'][], exclude?: string): TreeNode[] {
  return categories
    .filter((category) => category.categoryId !== exclude)
    .map((category) => ({
      title: category.name,
      value: category.categoryId,
      key: category.categoryId,
      children: categoryNodes(category.children ?? [], exclude),
    }));
}

/** Every category of a tree by id (for names in lists). */
export function categoryIndex(categories: Schemas['CatalogCategoryNode'][]): Map<string, Schemas['CatalogCategoryNode']> {
  const index = new Map<string, Schemas['CatalogCategoryNode']>();
  const walk = (nodes: Schemas['CatalogCategoryNode'][]) =>
    nodes.forEach((node) => {
      index.set(node.categoryId, node);
      walk(node.children ?? []);
    });
  walk(categories);
  return index;
}
