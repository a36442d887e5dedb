import { GiftOutlined, TagsOutlined, TrophyOutlined } from '@ant-design/icons';
import type { Feature } from '../types';
import { CatPage } from '../catalogue/shared';
import { CouponsPage } from './CouponsPage';
import { PointsPage } from './PointsPage';
import { PromotionsPage } from './PromotionsPage';

export const feature: Feature = {
  routes: [
    { path: '/promotions', element: <CatPage><PromotionsPage /></CatPage> },
    { path: '/coupons', element: <CatPage><CouponsPage /></CatPage> },
    { path: '/points', element: <CatPage><PointsPage /></CatPage> },
  ],
  menu: [
    { path: '/promotions', labelKey: 'marketing.menu.promotions', icon: <TagsOutlined />, route: 'GET /promotions', group: 'marketing', order: 1 },
    { path: '/coupons', labelKey: 'marketing.menu.coupons', icon: <GiftOutlined />, route: 'GET /coupon-templates', group: 'marketing', order: 2 },
    { path: '/points', labelKey: 'marketing.menu.points', icon: <TrophyOutlined />, route: 'GET /customers/{customerId}/points', group: 'marketing', order: 3 },
  ],
};
