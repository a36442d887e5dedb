// The cart: its lines (quantity, remove), coupons (the shopper's own via coupon-options, or a typed code),
// points, and the live quote; then on to checkout.

import { DeleteOutlined } from '@ant-design/icons';
import { Button, Card, Empty, Flex, InputNumber, Skeleton, Typography } from 'antd';
import { useNavigate } from 'react-router-dom';
import { Money } from '../components/Money';
import { ProblemAlert } from '../components/ProblemAlert';
import { useI18n } from '../i18n/I18nProvider';
import { MAX_QUANTITY, removeLine, setQuantity } from './cart';
import { useCart } from './hooks';
import { ItemList, QuoteSummary } from './parts';
import { CouponPicker, PointsPicker, QuoteProblem, useQuote } from './pricing';

export function CartPage() {
  const { t } = useI18n();
  const navigate = useNavigate();
  const { cart, update } = useCart();
  const quote = useQuote(cart);

  if (cart.lines.length === 0) {
    return (
      <Card>
        <Empty description={t('shop.cart.empty')}>
          <Button type="primary" onClick={() => navigate('/shop')} data-testid="cart-browse">
            {t('shop.cart.browse')}
          </Button>
        </Empty>
      </Card>
    );
  }
  const quoted = quote.data;
  return (
    <Flex vertical gap={12}>
      <Typography.Title level={1} style={{ fontSize: 20, margin: 0 }}>
        {t('shop.cart.title')}
      </Typography.Title>
      <Card size="small" styles={{ body: { padding: '4px 12px' } }}>
        <ItemList
          items={cart.lines}
          rowKey={(line) => line.skuId}
          attrs={(line) => ({ 'data-testid': `cart-line-${line.skuId}` })}
          render={(line) => {
            const priced = quoted?.lines.find((item) => item.skuId === line.skuId);
            return (
              <>
                <Flex vertical gap={6} style={{ width: '100%' }}>
                  <Flex justify="space-between" gap={8}>
                    <div style={{ minWidth: 0 }}>
                      <Typography.Link onClick={() => line.productId && navigate(`/shop/products/${line.productId}`)} strong>
                        {line.productName || line.skuId}
                      </Typography.Link>
                      <div>
                        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                          {line.skuName} · {line.skuId}
                        </Typography.Text>
                      </div>
                    </div>
                    <div style={{ textAlign: 'end' }}>
                      {priced ? <Money value={priced.original} /> : '—'}
                      {priced && (
                        <div>
                          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                            <Money value={priced.unitPrice} /> × {priced.quantity}
                          </Typography.Text>
                        </div>
                      )}
                    </div>
                  </Flex>
                  <Flex justify="space-between" align="center">
                    <InputNumber
                      min={1}
                      max={MAX_QUANTITY}
                      value={line.quantity}
                      onChange={(value) => value && update((current) => setQuantity(current, line.skuId, Number(value)))}
                      aria-label={t('shop.cart.quantityOf', { name: line.skuName || line.skuId })}
                      data-testid={`cart-qty-${line.skuId}`}
                      style={{ width: 96 }}
                    />
                    <Button
                      type="text"
                      danger
                      icon={<DeleteOutlined />}
                      onClick={() => update((current) => removeLine(current, line.skuId))}
                      aria-label={t('shop.cart.removeOf', { name: line.skuName || line.skuId })}
                      data-testid={`cart-remove-${line.skuId}`}
                    >
                      {t('shop.cart.remove')}
                    </Button>
                  </Flex>
                </Flex>
              </>
            );
          }}
        />
      </Card>
      <Card size="small" title={t('shop.coupons.title')}>
        <CouponPicker cart={cart} update={update} />
      </Card>
      <Card size="small" title={t('shop.points.title')}>
        <PointsPicker cart={cart} update={update} />
      </Card>
      <Card size="small" title={t('shop.quote.title')}>
        <QuoteProblem error={quote.error} cart={cart} update={update} />
        <ProblemAlert error={quote.error} style={{ margin: '8px 0' }} />
        {quote.isLoading ? <Skeleton active paragraph={{ rows: 3 }} /> : quoted && !quote.error ? <QuoteSummary quote={quoted} /> : null}
      </Card>
      <Button
        type="primary"
        size="large"
        block
        disabled={!quoted || !!quote.error || quote.isFetching}
        onClick={() => navigate('/shop/checkout')}
        data-testid="to-checkout"
      >
        {t('shop.cart.checkout')}
      </Button>
    </Flex>
  );
}
