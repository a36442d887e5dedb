import { FileTextOutlined } from '@ant-design/icons';
import type { Feature } from '../types';
import { ManualOrderPage } from './ManualOrderPage';
import { OrderDetailPage } from './OrderDetailPage';
import { OrderListPage } from './OrderListPage';

export const feature: Feature = {
  routes: [
    { path: 'orders', element: <OrderListPage /> },
    { path: 'orders/new', element: <ManualOrderPage /> },
    { path: 'orders/:orderId', element: <OrderDetailPage /> },
  ],
  menu: [{ path: '/orders', labelKey: 'orders.menu.orders', icon: <FileTextOutlined />, route: 'GET /orders', group: 'orders', order: 10 }],
};
