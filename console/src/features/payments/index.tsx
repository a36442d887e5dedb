import { AlertOutlined, CreditCardOutlined, RollbackOutlined, SafetyOutlined } from '@ant-design/icons';
import type { Feature } from '../types';
import { AnomaliesPage } from './AnomaliesPage';
import { PaymentMethodsPage } from './PaymentMethodsPage';
import { RefundsPage } from './RefundsPage';
import { RiskPage } from './RiskPage';

export const feature: Feature = {
  routes: [
    { path: '/anomalies', element: <AnomaliesPage /> },
    { path: '/refunds', element: <RefundsPage /> },
    { path: '/risk', element: <RiskPage /> },
    { path: '/settings/payment-methods', element: <PaymentMethodsPage /> },
  ],
  menu: [
    // GET /anomalies and GET /refunds let any signed-in caller through the edge (the service decides);
    // the menu shows them to the roles that may act on them.
    { path: '/anomalies', labelKey: 'payments.anomaliesMenu', icon: <AlertOutlined />, route: 'POST /anomalies/{anomalyId}/resolve', group: 'finance', order: 1 },
    { path: '/refunds', labelKey: 'payments.refundsMenu', icon: <RollbackOutlined />, route: 'POST /orders/{orderId}/refunds/{refundId}/resolve', group: 'finance', order: 2 },
    { path: '/risk', labelKey: 'payments.riskMenu', icon: <SafetyOutlined />, route: 'GET /risk/reviews', group: 'finance', order: 3 },
    { path: '/settings/payment-methods', labelKey: 'payments.methodsMenu', icon: <CreditCardOutlined />, route: 'PUT /settings/payment-methods/{storeId}', group: 'settings', order: 1 },
  ],
};
