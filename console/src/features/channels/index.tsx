import { CalendarOutlined, KeyOutlined, ShopOutlined, UnorderedListOutlined } from '@ant-design/icons';
import type { Feature } from '../types';
import { ChannelStoresPage } from './ChannelStoresPage';
import { CodePoolsPage } from './CodePoolsPage';
import { DailyChecksPage } from './DailyChecksPage';
import { EcommerceOrdersPage } from './EcommerceOrdersPage';

export const feature: Feature = {
  routes: [
    { path: '/channel-stores', element: <ChannelStoresPage /> },
    { path: '/ecommerce-orders', element: <EcommerceOrdersPage /> },
    { path: '/code-pools', element: <CodePoolsPage /> },
    { path: '/daily-checks', element: <DailyChecksPage /> },
  ],
  menu: [
    { path: '/channel-stores', labelKey: 'channels.menu.stores', icon: <ShopOutlined />, route: 'GET /channel-stores', group: 'channels', order: 1 },
    { path: '/ecommerce-orders', labelKey: 'channels.menu.orders', icon: <UnorderedListOutlined />, route: 'GET /ecommerce-orders', group: 'channels', order: 2 },
    { path: '/code-pools', labelKey: 'channels.menu.codes', icon: <KeyOutlined />, route: 'GET /skus/{skuId}/codes', group: 'channels', order: 3 },
    { path: '/daily-checks', labelKey: 'channels.menu.daily', icon: <CalendarOutlined />, route: 'GET /daily-checks', group: 'channels', order: 4 },
  ],
};
