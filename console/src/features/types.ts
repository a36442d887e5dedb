import type { ReactNode } from 'react';
import type { RouteObject } from 'react-router-dom';
import type { RouteKey } from '../auth/permissions';

/** One entry of the console's side menu; shown only when the user may call `route`. */
export interface MenuEntry {
  path: string; // below the console's root, e.g. "/orders"
  labelKey: string; // an i18n key
  icon?: ReactNode;
  route: RouteKey; // the API route the page reads first
  group: 'overview' | 'orders' | 'after-sales' | 'finance' | 'catalogue' | 'marketing' | 'channels' | 'reports' | 'settings';
  order: number; // within the group
}

/** A console feature: its pages (react-router routes below the console's root) and menu entries. */
export interface Feature {
  routes: RouteObject[];
  menu: MenuEntry[];
}
