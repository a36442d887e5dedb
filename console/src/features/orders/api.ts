// The order pages' reads (TanStack Query keys all start with 'orders', so a mutation invalidates them
// together) and small shared helpers.

import { useQuery } from '@tanstack/react-query';
import { api, unwrap, type Schemas } from '../../api/client';
import type { SearchFlag } from './filters';

export type Order = Schemas['Order'];
export type OrderSummary = Schemas['OrderSummary'];
export type DeskOrder = Schemas['DeskOrder'];

export const ORDERS_KEY = ['orders'] as const;

/** A fresh Idempotency-Key for one user action (a retry of the same action reuses it). */
export function newKey(): string {
  if (typeof crypto !== 'undefined' && 'randomUUID' in crypto) return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}-${Math.random().toString(36).slice(2)}`;
}

export function useOrder(orderId: string) {
  return useQuery({
    queryKey: ['orders', 'detail', orderId],
    queryFn: async () => {
      const data = unwrap(await api().GET('/orders/{orderId}', { params: { path: { orderId } } }));
      if (!('lines' in data) || !('breakdown' in data)) {
        // A child order id: its parent is the order this page shows.
        throw new ChildOrderRedirect((data as Schemas['ChildOrderDetail']).orderId);
      }
      return data as Order;
    },
    retry: (count, error) => !(error instanceof ChildOrderRedirect) && count < 1,
  });
}

export class ChildOrderRedirect extends Error {
  constructor(readonly orderId: string) {
    super(orderId);
  }
}

/**
 * The order's search flags. GET /orders/{orderId} does not carry them, so each is read through the
 * search (`orderNumber` exact plus that flag): the order is in the answer when the flag holds.
 */
export function useOrderFlags(orderNumber: string | undefined) {
  return useQuery({
    queryKey: ['orders', 'flags', orderNumber],
    enabled: !!orderNumber,
    queryFn: async () => {
      const flags: SearchFlag[] = ['special', 'abnormal', 'risk-review', 'on-hold'];
      const held = await Promise.all(
        flags.map(async (flag) => {
          const page = unwrap(
            await api().GET('/orders', { params: { query: { orderNumber: orderNumber as string, flags: flag, limit: 1 } } }),
          );
          return page.items.length > 0 ? flag : null;
        }),
      );
      return held.filter((flag): flag is SearchFlag => flag !== null);
    },
  });
}

/** Order statuses in which nothing more ships. */
export const FINISHED: ReadonlySet<string> = new Set(['CANCELLED', 'CLOSED', 'COMPLETED']);

/** The line still to ship per child line: quantity less what its shipments took. */
export function remainingToShip(child: Schemas['ChildOrder']): { lineNo: number; skuId: string; remaining: number }[] {
  const shipped = (child.shipped ?? {}) as Record<string, number>;
  return child.lines.map((line) => ({
    lineNo: line.lineNo,
    skuId: line.skuId,
    remaining: Math.max(0, line.quantity - Number(shipped[String(line.lineNo)] ?? 0)),
  }));
}

/** Child orders the warehouse can still ship (physical, awaiting or partly shipped, something left). */
export function shippableChildren(order: Order): Schemas['ChildOrder'][] {
  if (!['PAID', 'PARTIALLY_SHIPPED'].includes(order.status)) return [];
  return order.children.filter(
    (child) =>
      child.handling !== 'virtual' &&
      ['AWAITING_SHIPMENT', 'PARTIALLY_SHIPPED'].includes(child.status) &&
      remainingToShip(child).some((line) => line.remaining > 0),
  );
}

export function hasVirtual(order: Order): boolean {
  return order.children.some((child) => child.handling === 'virtual');
}

/** A record of unknown JSON (the API's free-form objects: address, manual, cancellation). */
export function asRecord(value: unknown): Record<string, unknown> | null {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

/** A translated name when the locale has one, else the code itself (values the API may add later). */
export function named(t: (key: string) => string, prefix: string, code: string | null | undefined): string {
  if (!code) return '—';
  const key = `${prefix}.${code}`;
  const text = t(key);
  return text === key ? code : text;
}
