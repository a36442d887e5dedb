// The console's features, each a folder with its pages, its menu entries and its locale namespace.
import { feature as access } from './access';
import { feature as aftersales } from './aftersales';
import { feature as catalogue } from './catalogue';
import { feature as channels } from './channels';
import { feature as dashboard } from './dashboard';
import { feature as marketing } from './marketing';
import { feature as orders } from './orders';
import { feature as payments } from './payments';
import { feature as reports } from './reports';
import { feature as settings } from './settings';
import type { Feature, MenuEntry } from './types';

export const FEATURES: Feature[] = [
  dashboard, orders, aftersales, payments, catalogue, marketing, channels, reports, settings, access,
];

export const GROUP_ORDER: MenuEntry['group'][] = [
  'overview', 'orders', 'after-sales', 'finance', 'catalogue', 'marketing', 'channels', 'reports', 'settings',
];
