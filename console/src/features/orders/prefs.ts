// What the order list remembers in this browser (localStorage): named saved filters and the chosen columns.

import { cleanFilters, type OrderFilters } from './filters';

export const SAVED_FILTERS_KEY = 'oms.orders.savedFilters';
export const COLUMNS_KEY = 'oms.orders.columns';
const MAX_SAVED = 30;

export interface SavedFilter {
  name: string;
  filters: OrderFilters;
}

function read(key: string): unknown {
  try {
    const text = localStorage.getItem(key);
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

/** The saved filters, in the order they were saved; a damaged entry is skipped. */
export function loadSavedFilters(): SavedFilter[] {
  const value = read(SAVED_FILTERS_KEY);
  if (!Array.isArray(value)) return [];
  return value
    .filter((item): item is SavedFilter =>
      !!item && typeof item === 'object' && typeof (item as SavedFilter).name === 'string' &&
      !!(item as SavedFilter).name.trim() && typeof (item as SavedFilter).filters === 'object' && (item as SavedFilter).filters !== null)
    .map((item) => ({ name: item.name.trim(), filters: cleanFilters(item.filters) }));
}

function store(list: SavedFilter[]): SavedFilter[] {
  localStorage.setItem(SAVED_FILTERS_KEY, JSON.stringify(list));
  return list;
}

/** Save these filters under a name (the same name replaces the earlier one); answers the new list. */
export function saveFilter(name: string, filters: OrderFilters): SavedFilter[] {
  const trimmed = name.trim();
  if (!trimmed) return loadSavedFilters();
  const others = loadSavedFilters().filter((item) => item.name !== trimmed);
  return store([...others, { name: trimmed, filters: cleanFilters(filters) }].slice(-MAX_SAVED));
}

export function deleteSavedFilter(name: string): SavedFilter[] {
  return store(loadSavedFilters().filter((item) => item.name !== name));
}

/** The chosen columns among `all` (in `all`'s order); `defaults` when nothing valid was chosen. */
export function loadColumns(all: readonly string[], defaults: readonly string[]): string[] {
  const value = read(COLUMNS_KEY);
  if (!Array.isArray(value)) return [...defaults];
  const chosen = all.filter((key) => value.includes(key));
  return chosen.length ? chosen : [...defaults];
}

export function saveColumns(all: readonly string[], chosen: readonly string[]): string[] {
  const kept = all.filter((key) => chosen.includes(key));
  localStorage.setItem(COLUMNS_KEY, JSON.stringify(kept));
  return kept;
}
