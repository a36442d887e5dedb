// My orders: GET /orders as the customer (newest first, a page at a time), with status tabs. The API lets
// a customer filter nothing (a filter is 422 for customers), so the tabs sort the loaded pages.

import { useInfiniteQuery } from '@tanstack/react-query';
import { Button, Card, Empty, Flex, Skeleton, Typography } from 'antd';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { api, unwrap, type Schemas } from '../api/client';
import { Money } from '../components/Money';
import { ProblemAlert } from '../components/ProblemAlert';
import { StatusTag } from '../components/StatusTag';
import { useI18n } from '../i18n/I18nProvider';

export const ORDER_TABS: Record<string, string[] | null> = {
  all: null,
  unpaid: ['PENDING_PAYMENT'],
  toShip: ['PAID', 'PARTIALLY_SHIPPED', 'ON_HOLD'],
  shipped: ['SHIPPED'],
  done: ['DELIVERED', 'COMPLETED'],
  closed: ['CANCELLED', 'CLOSED'],
};

export function inTab(tab: string, status: string): boolean {
  const statuses = ORDER_TABS[tab];
  return !statuses || statuses.includes(status);
}

export function Orders() {
  const { t, dateTime } = useI18n();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const tab = params.get('tab') && params.get('tab')! in ORDER_TABS ? params.get('tab')! : 'all';
  const orders = useInfiniteQuery({
    queryKey: ['shop', 'orders'],
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam }) => unwrap(await api().GET('/orders', { params: { query: { limit: 20, cursor: pageParam } } })),
    getNextPageParam: (page) => page.next_cursor ?? undefined,
  });
  const all: Schemas['OrderSummary'][] = orders.data?.pages.flatMap((page) => page.items) ?? [];
  const shown = all.filter((order) => inTab(tab, order.status));
  return (
    <Flex vertical gap={8}>
      <Typography.Title level={1} style={{ fontSize: 20, margin: 0 }}>
        {t('shop.orders.title')}
      </Typography.Title>
      <div role="group" aria-label={t('shop.orders.tabsLabel')} style={{ display: 'flex', gap: 6, overflowX: 'auto', paddingBottom: 4 }}>
        {Object.keys(ORDER_TABS).map((key) => (
          <Button
            key={key}
            size="small"
            shape="round"
            type={tab === key ? 'primary' : 'default'}
            aria-pressed={tab === key}
            onClick={() => setParams(key === 'all' ? {} : { tab: key }, { replace: true })}
            data-testid={`orders-tab-${key}`}
          >
            {t(`shop.orders.tabs.${key}`)}
          </Button>
        ))}
      </div>
      <ProblemAlert error={orders.error} />
      {orders.isLoading ? (
        <Skeleton active />
      ) : shown.length === 0 ? (
        <Empty description={t('shop.orders.empty')} />
      ) : (
        <Flex vertical gap={8} data-testid="order-list">
          {shown.map((order) => (
              <Card
                key={order.orderId}
                size="small"
                hoverable
                style={{ width: '100%' }}
                onClick={() => navigate(`/shop/orders/${order.orderId}`)}
                data-testid={`order-${order.orderId}`}
                data-status={order.status}
              >
                <Flex justify="space-between" align="center" gap={8}>
                  <div style={{ minWidth: 0 }}>
                    <a
                      href={`#/shop/orders/${order.orderId}`}
                      onClick={(event) => event.preventDefault()}
                      style={{ fontWeight: 500 }}
                    >
                      {t('shop.orders.number', { number: order.orderNumber })}
                    </a>
                    <div>
                      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                        {dateTime(order.createdAt)}
                      </Typography.Text>
                    </div>
                  </div>
                  <Flex vertical align="end" gap={4}>
                    <StatusTag status={order.status} />
                    <Money value={order.total} strong />
                  </Flex>
                </Flex>
              </Card>
          ))}
        </Flex>
      )}
      {orders.hasNextPage && (
        <Flex justify="center">
          <Button onClick={() => orders.fetchNextPage()} loading={orders.isFetchingNextPage} data-testid="load-more">
            {t('common.loadMore')}
          </Button>
        </Flex>
      )}
    </Flex>
  );
}
