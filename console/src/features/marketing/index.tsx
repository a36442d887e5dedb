import { GiftOutlined, TagsOutlined, TrophyOutlined } from '@ant-design/icons';
import type { Feature } from '../types';
import { CouponsPage } from './CouponsPage';
import { PointsPage } from './PointsPage';
import { PromotionsPage } from './PromotionsPage';

export const feature: Feature = {
  routes: [
    { path: '/promotions', element: <PromotionsPage /> },
    { path: '/coupons', element: <CouponsPage /> },
    { path: '/points', element: <PointsPage /> },
  ],
  menu: [
    { path: '/promotions', labelKey: 'marketing.menu.promotions', icon: <TagsOutlined />, route: 'POST /promotions', group: 'marketing', order: 1 },
    { path: '/coupons', labelKey: 'marketing.menu.coupons', icon: <GiftOutlined />, route: 'POST /coupon-templates', group: 'marketing', order: 2 },
    { path: '/points', labelKey: 'marketing.menu.points', icon: <TrophyOutlined />, route: 'POST /customers/{customerId}/points/adjustments', group: 'marketing', order: 3 },
  ],
};
