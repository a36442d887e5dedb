import { AuditOutlined, TeamOutlined } from '@ant-design/icons';
import type { Feature } from '../types';
import { AuditPage } from './AuditPage';
import { RolesPage } from './RolesPage';

export const feature: Feature = {
  routes: [
    { path: '/settings/roles', element: <RolesPage /> },
    { path: '/audit', element: <AuditPage /> },
  ],
  menu: [
    { path: '/settings/roles', labelKey: 'access.rolesMenu', icon: <TeamOutlined />, route: 'GET /settings/roles', group: 'settings', order: 2 },
    { path: '/audit', labelKey: 'access.auditMenu', icon: <AuditOutlined />, route: 'GET /audit', group: 'settings', order: 3 },
  ],
};
