// A product's SKU choice: the attributes its SKUs differ in (size, colour …) with their values, and the
// SKU a selection of values names.

export interface Variant {
  skuId: string;
  attributes: Record<string, string>;
}

export interface AttributeOption {
  name: string;
  values: string[];
}

/** The attributes that tell the SKUs apart (those with more than one value, or every attribute when
 *  there is one SKU and it has some), values in first-seen order. */
export function attributeOptions(skus: Variant[]): AttributeOption[] {
  const values = new Map<string, string[]>();
  for (const sku of skus) {
    for (const [name, value] of Object.entries(sku.attributes ?? {})) {
      const list = values.get(name) ?? [];
      if (!list.includes(value)) list.push(value);
      values.set(name, list);
    }
  }
  return [...values.entries()]
    .filter(([, list]) => skus.length === 1 || list.length > 1)
    .map(([name, list]) => ({ name, values: list }));
}

/** The SKU whose attributes match every selected value (undefined while the selection is incomplete). */
export function findVariant<T extends Variant>(skus: T[], options: AttributeOption[], selection: Record<string, string>): T | undefined {
  if (skus.length === 1) return skus[0];
  if (options.some((option) => !selection[option.name])) return undefined;
  return skus.find((sku) => options.every((option) => sku.attributes?.[option.name] === selection[option.name]));
}

/** Whether choosing `value` for `name` (keeping the other choices) still names an existing SKU. */
export function isCombinable(skus: Variant[], options: AttributeOption[], selection: Record<string, string>, name: string, value: string): boolean {
  const next = { ...selection, [name]: value };
  return skus.some((sku) =>
    options.every((option) => !next[option.name] || sku.attributes?.[option.name] === next[option.name]),
  );
}

/** The starting selection: the first SKU's values (one that is not sold out when there is one). */
export function initialSelection(skus: (Variant & { stockState?: string })[], options: AttributeOption[]): Record<string, string> {
  const first = skus.find((sku) => sku.stockState !== 'sold_out') ?? skus[0];
  if (!first) return {};
  return Object.fromEntries(options.map((option) => [option.name, first.attributes?.[option.name] ?? option.values[0]]));
}
