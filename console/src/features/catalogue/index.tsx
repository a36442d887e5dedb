import { AppstoreOutlined, ApartmentOutlined, DatabaseOutlined } from '@ant-design/icons';
import type { Feature } from '../types';
import { CategoriesPage } from './CategoriesPage';
import { ProductDetailPage } from './ProductDetailPage';
import { ProductsPage } from './ProductsPage';
import { SkuStockPage } from './SkuStockPage';
import { StockOpsPage } from './StockOpsPage';

export const feature: Feature = {
  routes: [
    { path: '/products', element: <ProductsPage /> },
    { path: '/products/:productId', element: <ProductDetailPage /> },
    { path: '/categories', element: <CategoriesPage /> },
    { path: '/skus/:skuId/stock', element: <SkuStockPage /> },
    { path: '/stock', element: <StockOpsPage /> },
  ],
  menu: [
    { path: '/products', labelKey: 'catalogue.menu.products', icon: <AppstoreOutlined />, route: 'GET /products', group: 'catalogue', order: 1 },
    { path: '/categories', labelKey: 'catalogue.menu.categories', icon: <ApartmentOutlined />, route: 'POST /stores/{storeId}/categories', group: 'catalogue', order: 2 },
    { path: '/stock', labelKey: 'catalogue.menu.stock', icon: <DatabaseOutlined />, route: 'GET /stocktakes', group: 'catalogue', order: 3 },
  ],
};
