import { FileTextOutlined } from '@ant-design/icons';
import type { Feature } from '../types';
import { ManualOrderPage } from './ManualOrderPage';
import { OrderDetailPage } from './OrderDetailPage';
import { OrderListPage } from './OrderListPage';
import { OrdersTheme } from './OrdersTheme';

export const feature: Feature = {
  routes: [
    { path: 'orders', element: <OrdersTheme><OrderListPage /></OrdersTheme> },
    { path: 'orders/new', element: <OrdersTheme><ManualOrderPage /></OrdersTheme> },
    { path: 'orders/:orderId', element: <OrdersTheme><OrderDetailPage /></OrdersTheme> },
  ],
  menu: [{ path: '/orders', labelKey: 'orders.menu.orders', icon: <FileTextOutlined />, route: 'GET /orders', group: 'orders', order: 10 }],
};
