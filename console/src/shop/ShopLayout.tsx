// The shop front's frame: a header with the shop's name, the language switch, the cart and sign-in/out;
// a bottom tab bar on phones (home, cart, orders, me), links in the header on wider screens.

import { HomeOutlined, LoginOutlined, LogoutOutlined, ProfileOutlined, ShoppingCartOutlined, ShopOutlined, UserOutlined } from '@ant-design/icons';
import { Badge, Button, Flex, Grid, Layout, Typography } from 'antd';
import { useEffect, type ReactNode } from 'react';
import { Link, Outlet, useLocation, useNavigate } from 'react-router-dom';
import { useSession } from '../auth/SessionProvider';
import { signOutEverywhere } from '../auth/signOut';
import { useI18n } from '../i18n/I18nProvider';
import { LanguageSwitch } from '../layout/LanguageSwitch';
import { cartCount } from './cart';
import { isCustomer, useCart, useStore } from './hooks';
import { rememberReturn, takeReturn } from './returnTo';

interface Tab {
  key: string;
  path: string;
  icon: ReactNode;
  labelKey: string;
}

const TABS: Tab[] = [
  { key: 'home', path: '/shop', icon: <HomeOutlined />, labelKey: 'shop.nav.home' },
  { key: 'cart', path: '/shop/cart', icon: <ShoppingCartOutlined />, labelKey: 'shop.nav.cart' },
  { key: 'orders', path: '/shop/orders', icon: <ProfileOutlined />, labelKey: 'shop.nav.orders' },
  { key: 'me', path: '/shop/me', icon: <UserOutlined />, labelKey: 'shop.nav.me' },
];

function activeTab(pathname: string): string {
  if (pathname.startsWith('/shop/cart') || pathname.startsWith('/shop/checkout')) return 'cart';
  if (pathname.startsWith('/shop/orders') || pathname.startsWith('/shop/pay') || pathname.startsWith('/shop/after-sales')) return 'orders';
  if (pathname.startsWith('/shop/me')) return 'me';
  return 'home';
}

export function ShopLayout() {
  const { t } = useI18n();
  const { session } = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const phone = Grid.useBreakpoint().md === false;
  const { cart } = useCart();
  const store = useStore();
  const count = cartCount(cart);
  const active = activeTab(location.pathname);

  // Back from the sign-in page (which brings customers to /shop): on to the page that asked for it.
  useEffect(() => {
    if (location.pathname !== '/shop' || !isCustomer(session)) return;
    const next = takeReturn();
    if (next && next !== '/shop') navigate(next, { replace: true });
  }, [location.pathname, session, navigate]);

  const signIn = () => {
    rememberReturn(location.pathname + location.search);
    navigate('/signin');
  };

  const cartButton = (
    <Badge count={count} size="small" offset={[-4, 4]}>
      <Button
        type="text"
        icon={<ShoppingCartOutlined style={{ fontSize: 20 }} />}
        aria-label={t('shop.nav.cartCount', { count })}
        onClick={() => navigate('/shop/cart')}
        data-testid="header-cart"
      />
    </Badge>
  );

  return (
    <Layout style={{ minHeight: '100vh', background: '#f5f5f5' }}>
      <Layout.Header
        style={{
          position: 'sticky', top: 0, zIndex: 10, background: '#fff', padding: phone ? '0 8px' : '0 24px',
          borderBottom: '1px solid #f0f0f0', height: 56, lineHeight: '56px',
        }}
      >
        <Flex justify="space-between" align="center" gap={6} style={{ height: '100%', maxWidth: 1100, margin: '0 auto' }}>
          <Link to="/shop" style={{ color: 'inherit', minWidth: 0 }} data-testid="shop-name">
            <Flex align="center" gap={6}>
              <ShopOutlined style={{ fontSize: 20, color: '#1668dc' }} />
              <Typography.Text strong ellipsis style={{ fontSize: 16, maxWidth: phone ? 110 : 260 }}>
                {store.data?.name ?? t('shop.title')}
              </Typography.Text>
            </Flex>
          </Link>
          {!phone && (
            <nav aria-label={t('shop.nav.label')}>
              <Flex gap={4}>
                {TABS.filter((tab) => tab.key !== 'cart').map((tab) => (
                  <Button key={tab.key} type={active === tab.key ? 'link' : 'text'} icon={tab.icon} onClick={() => navigate(tab.path)} data-testid={`nav-${tab.key}`}>
                    {t(tab.labelKey)}
                  </Button>
                ))}
              </Flex>
            </nav>
          )}
          <Flex align="center" gap={4}>
            <LanguageSwitch />
            {cartButton}
            {session ? (
              <Button
                type="text"
                icon={<LogoutOutlined />}
                aria-label={t('shop.signOut')}
                onClick={() => {
                  signOutEverywhere();
                  navigate('/shop');
                }}
                data-testid="shop-sign-out"
              >
                {phone ? null : t('shop.signOut')}
              </Button>
            ) : (
              <Button type="primary" size={phone ? 'small' : 'middle'} icon={phone ? undefined : <LoginOutlined />} onClick={signIn} data-testid="shop-sign-in">
                {t('shop.signIn')}
              </Button>
            )}
          </Flex>
        </Flex>
      </Layout.Header>
      <Layout.Content style={{ padding: phone ? '12px 12px 76px' : '24px', width: '100%', maxWidth: 1100, margin: '0 auto' }}>
        <main>
          <Outlet />
        </main>
      </Layout.Content>
      {phone && (
        <nav
          aria-label={t('shop.nav.label')}
          data-testid="tab-bar"
          style={{
            position: 'fixed', bottom: 0, left: 0, right: 0, zIndex: 10, height: 60, background: '#fff',
            borderTop: '1px solid #e8e8e8', display: 'flex', paddingBottom: 'env(safe-area-inset-bottom)',
          }}
        >
          {TABS.map((tab) => {
            const selected = active === tab.key;
            return (
              <Link
                key={tab.key}
                to={tab.path}
                data-testid={`tab-${tab.key}`}
                aria-current={selected ? 'page' : undefined}
                style={{
                  flex: 1, display: 'flex', flexDirection: 'column', alignItems: 'center', justifyContent: 'center',
                  gap: 2, color: selected ? '#1668dc' : 'rgba(0,0,0,0.65)', fontSize: 12, textDecoration: 'none',
                }}
              >
                <span style={{ fontSize: 20, lineHeight: 1 }} aria-hidden>
                  {tab.key === 'cart' ? (
                    <Badge count={count} size="small" offset={[6, -2]}>
                      <span style={{ color: 'inherit', fontSize: 20 }}>{tab.icon}</span>
                    </Badge>
                  ) : (
                    tab.icon
                  )}
                </span>
                <span>{t(tab.labelKey)}</span>
              </Link>
            );
          })}
        </nav>
      )}
    </Layout>
  );
}
