// Pieces the shop's pages share: the customer-session gate, the quote's price lines, the stock state,
// a product's picture.

import { PictureOutlined } from '@ant-design/icons';
import { Button, Divider, Flex, Result, Tag, Typography } from 'antd';
import type { ReactNode } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router-dom';
import type { Schemas } from '../api/client';
import { useSession } from '../auth/SessionProvider';
import { signOutEverywhere } from '../auth/signOut';
import { Money } from '../components/Money';
import { useI18n } from '../i18n/I18nProvider';
import { isCustomer } from './hooks';
import { rememberReturn } from './returnTo';

/** Renders its children for a signed-in customer; sends anyone else to sign in (and back here after). */
export function RequireCustomer({ children }: { children: ReactNode }) {
  const { session } = useSession();
  const location = useLocation();
  const navigate = useNavigate();
  const { t } = useI18n();
  if (!session) {
    rememberReturn(location.pathname + location.search);
    return <Navigate to="/signin" replace />;
  }
  if (!isCustomer(session)) {
    return (
      <Result
        status="info"
        title={t('shop.staffSession.title')}
        subTitle={t('shop.staffSession.detail', { user: session.sub })}
        extra={
          <Flex gap={8} justify="center" wrap>
            <Button onClick={() => navigate('/')}>{t('shop.staffSession.console')}</Button>
            <Button
              type="primary"
              onClick={() => {
                rememberReturn(location.pathname + location.search);
                signOutEverywhere();
                navigate('/signin');
              }}
            >
              {t('shop.staffSession.switch')}
            </Button>
          </Flex>
        }
      />
    );
  }
  return <>{children}</>;
}

/** Tag colours dark enough on their tint for WCAG AA (antd's preset tags are not, e.g. green 3.9:1). */
export const TONES = {
  good: { color: '#135200', background: '#f6ffed', borderColor: '#b7eb8f' },
  warn: { color: '#873800', background: '#fff7e6', borderColor: '#ffd591' },
  bad: { color: '#820014', background: '#fff1f0', borderColor: '#ffa39e' },
  info: { color: '#003a8c', background: '#e6f4ff', borderColor: '#91caff' },
} as const;

export function StockTag({ state, available }: { state: string; available?: number }) {
  const { t } = useI18n();
  return (
    <Tag style={TONES[state === 'sold_out' ? 'bad' : state === 'low' ? 'warn' : 'good']} data-testid="stock-state" data-stock={state}>
      {state === 'low' && available !== undefined ? t('shop.stock.lowCount', { count: available }) : t(`shop.stock.${state}`)}
    </Tag>
  );
}

export function ProductPicture({ url, alt, height = 140 }: { url?: string | null; alt: string; height?: number }) {
  if (url) {
    return <img src={url} alt={alt} style={{ width: '100%', height, objectFit: 'cover', display: 'block', background: '#fafafa' }} />;
  }
  // a block wrapper: a card's cover styles its direct children as blocks
  return (
    <div aria-hidden>
      <Flex align="center" justify="center" style={{ height, background: '#f0f2f5', color: 'rgba(0,0,0,0.45)', fontSize: 32 }}>
        <PictureOutlined />
      </Flex>
    </div>
  );
}

function Row({ label, value, testId, strong }: { label: ReactNode; value: ReactNode; testId: string; strong?: boolean }) {
  return (
    <Flex justify="space-between" gap={12} data-testid={testId} style={{ padding: '3px 0' }}>
      <Typography.Text strong={strong}>{label}</Typography.Text>
      <span style={strong ? { fontSize: 18 } : undefined}>{value}</span>
    </Flex>
  );
}

function minus(value: Schemas['MoneyOut']): Schemas['MoneyOut'] {
  return { amount: -value.amount, currency: value.currency };
}

/** The quote's amounts exactly as the API answered them: goods, each promotion and coupon, member
 *  savings, points, balance, shipping and the total. */
export function QuoteSummary({ quote }: { quote: Schemas['Quote'] }) {
  const { t, number } = useI18n();
  return (
    <div data-testid="quote">
      <Row label={t('shop.quote.goods')} value={<Money value={quote.subtotal} />} testId="quote-subtotal" />
      {quote.promotions.map((discount, index) => (
        <Row
          key={`p-${discount.id}-${index}`}
          label={t('shop.quote.promotion')}
          value={<Money value={minus(discount.amount)} />}
          testId="quote-promotion"
        />
      ))}
      {quote.coupons.map((discount, index) => (
        <Row
          key={`c-${discount.id}-${index}`}
          label={t('shop.quote.coupon', { code: discount.id })}
          value={<Money value={minus(discount.amount)} />}
          testId={`quote-coupon-${discount.id}`}
        />
      ))}
      {quote.member && quote.member.savings.amount > 0 && (
        <Row
          label={t('shop.quote.member', { tier: quote.member.tier.name })}
          value={<Money value={minus(quote.member.savings)} />}
          testId="quote-member"
        />
      )}
      {quote.points.redeemed > 0 && (
        <Row
          label={t('shop.quote.points', { points: number(quote.points.redeemed) })}
          value={<Money value={minus(quote.points.value)} />}
          testId="quote-points"
        />
      )}
      {quote.balance.amount > 0 && (
        <Row label={t('shop.quote.balance')} value={<Money value={minus(quote.balance)} />} testId="quote-balance" />
      )}
      <Row
        label={t('shop.quote.shipping')}
        value={quote.shipping.amount === 0 ? t('shop.quote.freeShipping') : <Money value={quote.shipping} />}
        testId="quote-shipping"
      />
      {quote.shippingDiscount.amount > 0 && (
        <Row label={t('shop.quote.shippingDiscount')} value={<Money value={minus(quote.shippingDiscount)} />} testId="quote-shipping-discount" />
      )}
      <Divider style={{ margin: '8px 0' }} />
      <Row label={t('shop.quote.total')} value={<Money value={quote.total} strong />} testId="quote-total" strong />
      {quote.points.earned > 0 && (
        <Typography.Text type="secondary" style={{ fontSize: 12 }} data-testid="quote-earn">
          {t('shop.quote.earns', { points: number(quote.points.earned) })}
        </Typography.Text>
      )}
    </div>
  );
}

/** `t(key)`, or `fallback` when the shop has no text for that key (a carrier or status it does not know). */
export function useLabel() {
  const { t } = useI18n();
  return (key: string, fallback: string) => (t(key) === key ? fallback : t(key));
}

/** A Timeline item whose heading and detail both sit on the content side (antd's `title` is the
 *  opposite column, which squeezes a phone's width). */
export function timelineEntry(key: string, heading: ReactNode, detail?: ReactNode, color?: string) {
  return {
    key,
    color,
    content: (
      <div>
        <div>{heading}</div>
        {detail !== undefined && detail !== null && detail !== '' && (
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {detail}
          </Typography.Text>
        )}
      </div>
    ),
  };
}

/** A plain list (antd's List is deprecated in 6.6): one <li> per item, separated by a hairline. */
export function ItemList<T>({
  items, rowKey, render, testId, attrs, empty,
}: {
  items: T[];
  rowKey: (item: T) => string;
  render: (item: T) => ReactNode;
  testId?: string;
  attrs?: (item: T) => Record<string, string>;
  empty?: ReactNode;
}) {
  if (items.length === 0 && empty) return <>{empty}</>;
  return (
    <ul data-testid={testId} style={{ listStyle: 'none', margin: 0, padding: 0 }}>
      {items.map((item, index) => (
        <li key={rowKey(item)} {...attrs?.(item)} style={{ padding: '10px 0', borderTop: index > 0 ? '1px solid #f0f0f0' : undefined }}>
          {render(item)}
        </li>
      ))}
    </ul>
  );
}
