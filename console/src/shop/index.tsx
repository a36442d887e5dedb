import type { RouteObject } from 'react-router-dom';
import { CasePage, RequestAfterSales } from './AfterSales';
import { CartPage } from './CartPage';
import { Checkout } from './Checkout';
import { Home } from './Home';
import { Me } from './Me';
import { OrderDetail } from './OrderDetail';
import { Orders } from './Orders';
import { PayPage } from './Pay';
import { ProductPage } from './Product';
import { RequireCustomer } from './parts';
import { ShopLayout } from './ShopLayout';

const customer = (element: React.ReactNode) => <RequireCustomer>{element}</RequireCustomer>;

/** The demo shop front's pages, below #/shop: browsing works signed out, the rest needs a customer. */
export const shopRoute: RouteObject = {
  path: '/shop',
  element: <ShopLayout />,
  children: [
    { index: true, element: <Home /> },
    { path: 'products/:productId', element: <ProductPage /> },
    { path: 'cart', element: customer(<CartPage />) },
    { path: 'checkout', element: customer(<Checkout />) },
    { path: 'pay/:orderId/:paymentId', element: customer(<PayPage />) },
    { path: 'orders', element: customer(<Orders />) },
    { path: 'orders/:orderId', element: customer(<OrderDetail />) },
    { path: 'orders/:orderId/after-sales', element: customer(<RequestAfterSales />) },
    { path: 'after-sales/:caseId', element: customer(<CasePage />) },
    { path: 'me', element: customer(<Me />) },
  ],
};
