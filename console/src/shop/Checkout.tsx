// Checkout: the shipping address (address book, or a new one inline), the payment method, a note, the
// quote for that destination; then POST /orders (one Idempotency-Key per attempt, the same for a retry)
// and the payment attempt, and on to its pay page.

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { App, Button, Card, Empty, Flex, Input, Radio, Skeleton, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { Navigate, useNavigate } from 'react-router-dom';
import { api, unwrap } from '../api/client';
import { useSession } from '../auth/SessionProvider';
import { ProblemAlert } from '../components/ProblemAlert';
import { useI18n } from '../i18n/I18nProvider';
import { AddressChoice, useAddressBook } from './Addresses';
import { attemptKey, checkoutBody, destinationOf, finishAttempt } from './checkout';
import { useCart } from './hooks';
import { QuoteSummary } from './parts';
import { afterPayment, createPayment, PAYMENT_METHODS, type PaymentMethod } from './payment';
import { QuoteProblem, useQuote } from './pricing';

export function Checkout() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const client = useQueryClient();
  const { can } = useSession();
  const { cart, sub, update, clear } = useCart();
  const book = useAddressBook();
  const [addressId, setAddressId] = useState<string | undefined>();
  const [method, setMethod] = useState<PaymentMethod>('alipay');
  const [note, setNote] = useState('');

  useEffect(() => {
    if (!addressId && book.data?.items.length) {
      setAddressId(book.data.defaultAddressId ?? book.data.items[0].addressId);
    }
  }, [addressId, book.data]);
  const address = book.data?.items.find((item) => item.addressId === addressId);
  const quote = useQuote(cart, destinationOf(address?.address));

  const place = useMutation({
    mutationFn: async () => {
      if (!addressId) throw new Error(t('shop.checkout.pickAddress'));
      const body = checkoutBody(cart, addressId, note);
      const scope = `checkout:${sub}`;
      const key = attemptKey(sessionStorage, scope, body);
      const order = unwrap(await api().POST('/orders', { params: { header: { 'Idempotency-Key': key } }, body }));
      finishAttempt(sessionStorage, scope);
      clear();
      try {
        return { order, payment: await createPayment(order.orderId, method) };
      } catch (error) {
        return { order, payment: null, paymentError: error };
      }
    },
    onSuccess: async ({ order, payment, paymentError }) => {
      await client.invalidateQueries({ queryKey: ['shop', 'orders'] });
      if (payment) {
        navigate(afterPayment(payment), { replace: true });
      } else {
        message.error(`${t('shop.checkout.paymentFailed')} ${paymentError instanceof Error ? paymentError.message : ''}`);
        navigate(`/shop/orders/${order.orderId}`, { replace: true });
      }
    },
  });

  if (cart.lines.length === 0 && !place.isPending && !place.isSuccess) {
    return place.isIdle ? <Navigate to="/shop/cart" replace /> : <Empty />;
  }
  return (
    <Flex vertical gap={12}>
      <Typography.Title level={1} style={{ fontSize: 20, margin: 0 }}>
        {t('shop.checkout.title')}
      </Typography.Title>
      <Card size="small" title={t('shop.checkout.address')}>
        <AddressChoice value={addressId} onChange={setAddressId} />
      </Card>
      <Card size="small" title={t('shop.checkout.payment')}>
        <Radio.Group value={method} onChange={(event) => setMethod(event.target.value as PaymentMethod)} aria-label={t('shop.checkout.payment')} data-testid="payment-method">
          <Flex vertical gap={6}>
            {PAYMENT_METHODS.map((item) => (
              <Radio key={item} value={item}>
                <span data-testid={`method-${item}`}>{t(`enums.paymentMethod.${item}`)}</span>
              </Radio>
            ))}
          </Flex>
        </Radio.Group>
      </Card>
      <Card size="small" title={t('shop.checkout.note')}>
        <Input.TextArea
          value={note}
          onChange={(event) => setNote(event.target.value)}
          maxLength={500}
          rows={2}
          aria-label={t('shop.checkout.note')}
          placeholder={t('shop.checkout.notePlaceholder')}
          data-testid="checkout-note"
        />
      </Card>
      <Card size="small" title={t('shop.quote.title')}>
        <QuoteProblem error={quote.error} cart={cart} update={update} />
        <ProblemAlert error={quote.error} style={{ margin: '8px 0' }} />
        {quote.isLoading ? <Skeleton active paragraph={{ rows: 3 }} /> : quote.data && !quote.error ? <QuoteSummary quote={quote.data} /> : null}
      </Card>
      <ProblemAlert error={place.error} />
      {can('POST /orders') && (
        <Button
          type="primary"
          size="large"
          block
          loading={place.isPending}
          disabled={!addressId || !quote.data || !!quote.error}
          onClick={() => place.mutate()}
          data-testid="place-order"
        >
          {t('shop.checkout.place')}
        </Button>
      )}
      <Button block onClick={() => navigate('/shop/cart')}>
        {t('shop.checkout.backToCart')}
      </Button>
    </Flex>
  );
}
