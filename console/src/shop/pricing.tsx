// The cart's live pricing: the quote (POST /orders/quote) of the cart as it is, the shopper's coupons
// tried on it (POST /orders/coupon-options), the points they hold; and the coupon/points controls.

import { CloseOutlined } from '@ant-design/icons';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Alert, Button, Flex, Input, InputNumber, Radio, Space, Tag, Typography } from 'antd';
import { useState } from 'react';
import { api, unwrap } from '../api/client';
import { isProblem } from '../api/problem';
import { useSession } from '../auth/SessionProvider';
import { Money } from '../components/Money';
import { TONES } from './parts';
import { useI18n } from '../i18n/I18nProvider';
import { addCoupon, removeCoupon, setPoints, type Cart } from './cart';
import { couponOptionsBody, quoteBody, type Destination } from './checkout';

export function useQuote(cart: Cart, destination?: Destination | null) {
  const body = quoteBody(cart, destination);
  return useQuery({
    queryKey: ['shop', 'quote', body],
    queryFn: async () => unwrap(await api().POST('/orders/quote', { body })),
    enabled: cart.lines.length > 0,
    placeholderData: keepPreviousData,
    staleTime: 5_000,
  });
}

export function usePoints() {
  const { session } = useSession();
  return useQuery({
    queryKey: ['shop', 'points', session?.sub],
    queryFn: async () => unwrap(await api().GET('/customers/{customerId}/points', { params: { path: { customerId: 'me' }, query: { limit: 1 } } })),
    enabled: !!session,
    retry: false,
  });
}

/** The code of the coupon a 422 coupon-not-applicable names, when it does. */
export function refusedCoupon(error: unknown): string | null {
  if (!isProblem(error) || error.slug !== 'coupon-not-applicable') return null;
  return typeof error.body.code === 'string' ? error.body.code : null;
}

export function CouponPicker({ cart, update, destination }: { cart: Cart; update: (change: (cart: Cart) => Cart) => void; destination?: Destination | null }) {
  const { t } = useI18n();
  const { can } = useSession();
  const [code, setCode] = useState('');
  const body = couponOptionsBody(cart, destination);
  const options = useQuery({
    queryKey: ['shop', 'coupon-options', body],
    queryFn: async () => unwrap(await api().POST('/orders/coupon-options', { body })),
    enabled: cart.lines.length > 0 && can('POST /orders/coupon-options'),
    placeholderData: keepPreviousData,
  });
  const mine = options.data?.items ?? [];
  const reasonText = (reason: string | null) => {
    const key = `shop.coupons.reasons.${reason ?? 'other'}`;
    return t(key) === key ? (reason ?? '') : t(key);
  };
  const chosenOwn = mine.find((option) => cart.coupons.includes(option.code))?.code;
  const apply = () => {
    if (!code.trim()) return;
    update((current) => addCoupon(current, code));
    setCode('');
  };
  return (
    <Flex vertical gap={8} data-testid="coupons">
      {mine.length > 0 && (
        <Radio.Group
          value={chosenOwn ?? ''}
          onChange={(event) => {
            const next = String(event.target.value);
            update((current) => {
              let changed = current;
              for (const option of mine) changed = removeCoupon(changed, option.code);
              return next ? addCoupon(changed, next) : changed;
            });
          }}
          aria-label={t('shop.coupons.mine')}
          data-testid="coupon-options"
        >
          <Flex vertical gap={4}>
            <Radio value="">{t('shop.coupons.none')}</Radio>
            {mine.map((option) => (
              <Radio key={option.code} value={option.code} disabled={!option.applicable}>
                <span data-testid={`coupon-option-${option.code}`}>{option.code}</span>{' '}
                {option.applicable && option.saves ? (
                  <Typography.Text style={{ color: TONES.good.color }}>
                    {t('shop.coupons.saves')} <Money value={option.saves} />
                  </Typography.Text>
                ) : (
                  <Typography.Text type="secondary">{reasonText(option.reason)}</Typography.Text>
                )}
              </Radio>
            ))}
          </Flex>
        </Radio.Group>
      )}
      <Space.Compact block>
        <Input
          value={code}
          onChange={(event) => setCode(event.target.value)}
          onPressEnter={apply}
          placeholder={t('shop.coupons.codePlaceholder')}
          aria-label={t('shop.coupons.code')}
          data-testid="coupon-code"
          autoCapitalize="characters"
        />
        <Button onClick={apply} data-testid="coupon-apply">
          {t('shop.coupons.apply')}
        </Button>
      </Space.Compact>
      {cart.coupons.length > 0 && (
        <Flex gap={6} wrap>
          {cart.coupons.map((item) => (
            <Tag
              key={item}
              style={TONES.info}
              closable
              closeIcon={<CloseOutlined aria-label={t('shop.coupons.remove', { code: item })} />}
              onClose={(event) => {
                event.preventDefault();
                update((current) => removeCoupon(current, item));
              }}
              data-testid={`coupon-tag-${item}`}
            >
              {item}
            </Tag>
          ))}
        </Flex>
      )}
    </Flex>
  );
}

export function PointsPicker({ cart, update }: { cart: Cart; update: (change: (cart: Cart) => Cart) => void }) {
  const { t, number } = useI18n();
  const points = usePoints();
  const available = points.data?.available;
  return (
    <Flex vertical gap={6} data-testid="points">
      <Flex align="center" gap={8} wrap>
        <label htmlFor="shop-points">{t('shop.points.use')}</label>
        <InputNumber
          id="shop-points"
          min={0}
          max={available ?? undefined}
          step={100}
          value={cart.points}
          onChange={(value) => update((current) => setPoints(current, Number(value) || 0))}
          style={{ width: 120 }}
          data-testid="points-input"
        />
        {available !== undefined && available > 0 && (
          <Button size="small" onClick={() => update((current) => setPoints(current, available))} data-testid="points-all">
            {t('shop.points.all')}
          </Button>
        )}
      </Flex>
      <Typography.Text type="secondary" style={{ fontSize: 12 }} data-testid="points-available">
        {available !== undefined ? t('shop.points.available', { points: number(available) }) : points.isError ? t('shop.points.unknown') : ''}{' '}
        {t('shop.points.hint')}
      </Typography.Text>
    </Flex>
  );
}

export function QuoteProblem({ error, cart, update }: { error: unknown; cart: Cart; update: (change: (cart: Cart) => Cart) => void }) {
  const { t } = useI18n();
  const code = refusedCoupon(error);
  const pointsRefused = isProblem(error) && error.body.reason === 'points-insufficient';
  if (!code && !pointsRefused) return null;
  return (
    <Alert
      type="warning"
      showIcon
      data-testid="quote-fix"
      title={code ? t('shop.coupons.refused', { code }) : t('shop.points.refused')}
      action={
        <Button
          size="small"
          onClick={() => update((current) => (code ? removeCoupon(current, code) : setPoints(current, 0)))}
          data-testid="quote-fix-button"
        >
          {code ? t('shop.coupons.removeShort') : t('shop.points.reset')}
        </Button>
      }
      description={cart.coupons.length > 1 && code ? t('shop.coupons.refusedMany') : undefined}
    />
  );
}
