import { DownloadOutlined, FileTextOutlined } from '@ant-design/icons';
import type { Feature } from '../types';
import { ExportsPage } from './ExportsPage';
import { ReportsPage } from './ReportsPage';

export const feature: Feature = {
  routes: [
    { path: '/reports', element: <ReportsPage /> },
    { path: '/exports', element: <ExportsPage /> },
  ],
  menu: [
    { path: '/reports', labelKey: 'reports.reportsMenu', icon: <FileTextOutlined />, route: 'GET /reports', group: 'reports', order: 1 },
    { path: '/exports', labelKey: 'reports.exportsMenu', icon: <DownloadOutlined />, route: 'GET /exports', group: 'reports', order: 2 },
  ],
};
