import { CustomerServiceOutlined } from '@ant-design/icons';
import type { Feature } from '../types';
import { CasePage } from './CasePage';
import { QueuePage } from './QueuePage';

export const feature: Feature = {
  routes: [
    { path: '/after-sales', element: <QueuePage /> },
    { path: '/after-sales/:caseId', element: <CasePage /> },
  ],
  menu: [
    {
      path: '/after-sales',
      labelKey: 'aftersales.menu',
      icon: <CustomerServiceOutlined />,
      route: 'GET /after-sales/queue',
      group: 'after-sales',
      order: 1,
    },
  ],
};
