// The staff console's frame: the side menu (a drawer on phones) with only the pages the role may open,
// the language switch, who is signed in, and sign-out.

import { LogoutOutlined, MenuOutlined, UserOutlined } from '@ant-design/icons';
import { Button, Drawer, Flex, Grid, Layout, Menu, Tag, Typography, type MenuProps } from 'antd';
import { useMemo, useState } from 'react';
import { Navigate, Outlet, useLocation, useNavigate } from 'react-router-dom';
import { useSession } from '../auth/SessionProvider';
import { isStaff } from '../auth/session';
import { signOutEverywhere } from '../auth/signOut';
import { FEATURES, GROUP_ORDER } from '../features';
import type { MenuEntry } from '../features/types';
import { useI18n } from '../i18n/I18nProvider';
import { LanguageSwitch } from './LanguageSwitch';

export function useMenu(): MenuEntry[] {
  const { can } = useSession();
  return useMemo(
    () =>
      FEATURES.flatMap((feature) => feature.menu)
        .filter((entry) => can(entry.route))
        .sort((a, b) => GROUP_ORDER.indexOf(a.group) - GROUP_ORDER.indexOf(b.group) || a.order - b.order),
    [can],
  );
}

export function ConsoleLayout() {
  const { session } = useSession();
  const { t } = useI18n();
  const navigate = useNavigate();
  const location = useLocation();
  const phone = Grid.useBreakpoint().md === false;
  const [drawer, setDrawer] = useState(false);
  const entries = useMenu();
  if (!session) return <Navigate to="/signin" replace state={{ from: location.pathname }} />;
  if (!isStaff(session)) return <Navigate to="/shop" replace />;

  const groups = GROUP_ORDER.filter((group) => entries.some((entry) => entry.group === group));
  const items: MenuProps['items'] = groups.map((group) => ({
    type: 'group',
    key: group,
    label: t(`nav.groups.${group}`),
    children: entries
      .filter((entry) => entry.group === group)
      .map((entry) => ({
        key: entry.path,
        icon: entry.icon,
        label: <span data-menu-path={entry.path}>{t(entry.labelKey)}</span>,
      })),
  }));
  const selected = entries
    .map((entry) => entry.path)
    .filter((path) => location.pathname === path || location.pathname.startsWith(`${path}/`))
    .sort((a, b) => b.length - a.length)[0];
  const menu = (
    <Menu
      mode="inline"
      items={items}
      selectedKeys={selected ? [selected] : []}
      onClick={({ key }) => {
        navigate(key);
        setDrawer(false);
      }}
      data-testid="side-menu"
      style={{ borderInlineEnd: 'none' }}
    />
  );
  return (
    <Layout style={{ minHeight: '100vh' }}>
      {!phone && (
        <Layout.Sider width={220} theme="light" style={{ borderInlineEnd: '1px solid #f0f0f0' }}>
          <div style={{ padding: '16px 20px', fontWeight: 600, fontSize: 18 }}>{t('common.product')}</div>
          <nav aria-label={t('nav.main')}>{menu}</nav>
        </Layout.Sider>
      )}
      <Layout>
        <Layout.Header
          style={{ background: '#fff', padding: '0 16px', borderBottom: '1px solid #f0f0f0', height: 56, lineHeight: '56px' }}
        >
          <Flex justify="space-between" align="center" style={{ height: '100%' }} gap={8}>
            <Flex align="center" gap={8}>
              {phone && (
                <Button
                  icon={<MenuOutlined />}
                  aria-label={t('nav.open')}
                  onClick={() => setDrawer(true)}
                  data-testid="menu-open"
                />
              )}
              {phone && <strong>{t('common.product')}</strong>}
            </Flex>
            <Flex align="center" gap={8}>
              <LanguageSwitch />
              {!phone && (
                <Typography.Text data-testid="signed-in-as">
                  <UserOutlined /> {session.name ?? session.sub}{' '}
                  {session.roles.map((role) => (
                    <Tag key={role}>{t(`roles.${role}`)}</Tag>
                  ))}
                </Typography.Text>
              )}
              <Button
                icon={<LogoutOutlined />}
                onClick={() => signOutEverywhere()}
                aria-label={t('auth.signOut')}
                data-testid="sign-out"
              >
                {phone ? null : t('auth.signOut')}
              </Button>
            </Flex>
          </Flex>
        </Layout.Header>
        <Layout.Content style={{ padding: phone ? 12 : 24 }}>
          <main>
            <Outlet />
          </main>
        </Layout.Content>
      </Layout>
      <Drawer open={drawer} onClose={() => setDrawer(false)} placement="left" size={260} title={t('common.product')}>
        <nav aria-label={t('nav.main')}>{menu}</nav>
      </Drawer>
    </Layout>
  );
}
