import { DashboardOutlined } from '@ant-design/icons';
import type { Feature } from '../types';
import { DashboardPage } from './DashboardPage';

export const feature: Feature = {
  routes: [{ index: true, element: <DashboardPage /> }],
  menu: [{ path: '/', labelKey: 'dashboard.menu', icon: <DashboardOutlined />, route: 'GET /stats/sales', group: 'overview', order: 1 }],
};
