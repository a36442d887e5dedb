import { BellOutlined, CarOutlined, DeleteOutlined, DollarOutlined, SafetyCertificateOutlined, ShopOutlined } from '@ant-design/icons';
import type { Feature } from '../types';
import { CarriersPage } from './CarriersPage';
import { DataRetentionPage } from './DataRetentionPage';
import { FxRatesPage } from './FxRatesPage';
import { NotificationsPage } from './NotificationsPage';
import { RiskSettingsPage } from './RiskSettingsPage';
import { StorePage } from './StorePage';

// Each menu entry is keyed to the route that changes the setting: only roles that may change it see it
// (a role that may only read, e.g. support on FX rates, can still open the page read-only by its address).
export const feature: Feature = {
  routes: [
    { path: '/settings/store', element: <StorePage /> },
    { path: '/settings/fx-rates', element: <FxRatesPage /> },
    { path: '/settings/carriers', element: <CarriersPage /> },
    { path: '/settings/notifications', element: <NotificationsPage /> },
    { path: '/settings/risk', element: <RiskSettingsPage /> },
    { path: '/settings/data-retention', element: <DataRetentionPage /> },
  ],
  menu: [
    { path: '/settings/store', labelKey: 'settings.menu.store', icon: <ShopOutlined />, route: 'PUT /stores/{storeId}', group: 'settings', order: 10 },
    { path: '/settings/fx-rates', labelKey: 'settings.menu.fx', icon: <DollarOutlined />, route: 'PUT /settings/fx-rates', group: 'settings', order: 11 },
    { path: '/settings/carriers', labelKey: 'settings.menu.carriers', icon: <CarOutlined />, route: 'PUT /settings/carriers', group: 'settings', order: 12 },
    { path: '/settings/notifications', labelKey: 'settings.menu.notifications', icon: <BellOutlined />, route: 'PUT /settings/notifications/{storeId}', group: 'settings', order: 13 },
    { path: '/settings/risk', labelKey: 'settings.menu.risk', icon: <SafetyCertificateOutlined />, route: 'PUT /settings/risk', group: 'settings', order: 14 },
    { path: '/settings/data-retention', labelKey: 'settings.menu.retention', icon: <DeleteOutlined />, route: 'PUT /settings/data-retention', group: 'settings', order: 15 },
  ],
};
