// Sign-in. Locally: one button per demo user (oms-local mints its token at /_local/token). On AWS: the
// Cognito hosted sign-in page (authorization code with PKCE); the code it sends back is exchanged here.

import { LoginOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Flex, Spin, Tag, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { Navigate, useNavigate } from 'react-router-dom';
import { config, type DemoUser } from '../config';
import { useI18n } from '../i18n/I18nProvider';
import { LanguageSwitch } from '../layout/LanguageSwitch';
import { authorizeUrl, exchangeCode } from './pkce';
import { useSession } from './SessionProvider';
import { isStaff, signIn } from './session';

async function localToken(tokenUrl: string, user: DemoUser): Promise<string> {
  const response = await fetch(tokenUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ sub: user.sub, roles: user.roles, stores: user.stores, expiresIn: 8 * 3600 }),
  });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return ((await response.json()) as { token: string }).token;
}

export function SignIn() {
  const { t } = useI18n();
  const { session, endedBecause } = useSession();
  const navigate = useNavigate();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const auth = config().auth;

  useEffect(() => {
    if (auth.mode !== 'cognito') return;
    const query = new URLSearchParams(window.location.search);
    const code = query.get('code');
    const state = query.get('state');
    if (!code || !state) return;
    setBusy('cognito');
    exchangeCode(auth, code, state)
      .then((token) => {
        window.history.replaceState(null, '', window.location.pathname + window.location.hash);
        const next = signIn(token);
        navigate(isStaff(next) ? '/' : '/shop', { replace: true });
      })
      .catch((reason: unknown) => setError(String(reason)))
      .finally(() => setBusy(null));
  }, [auth, navigate]);

  if (session && !busy) return <Navigate to={isStaff(session) ? '/' : '/shop'} replace />;

  const pick = async (user: DemoUser) => {
    if (auth.mode !== 'local') return;
    setBusy(user.key);
    setError(null);
    try {
      const next = signIn(await localToken(auth.tokenUrl, user));
      navigate(isStaff(next) ? '/' : '/shop', { replace: true });
    } catch (reason) {
      setError(String(reason));
    } finally {
      setBusy(null);
    }
  };

  return (
    <Flex justify="center" align="center" style={{ minHeight: '100vh', padding: 16, background: '#f5f5f5' }}>
      <main style={{ width: '100%', maxWidth: 440 }}>
        <Card
          title={<Typography.Title level={1} style={{ fontSize: 22, margin: 0 }}>{t('auth.title')}</Typography.Title>}
          extra={<LanguageSwitch />}
        >
          {endedBecause === 'expired' && (
            <Alert type="warning" showIcon title={t('auth.expired')} style={{ marginBottom: 12 }} />
          )}
          {error && <Alert type="error" showIcon title={t('auth.failed')} description={error} style={{ marginBottom: 12 }} />}
          {auth.mode === 'cognito' ? (
            busy ? (
              <Spin />
            ) : (
              <Button
                type="primary"
                block
                icon={<LoginOutlined />}
                onClick={async () => window.location.assign(await authorizeUrl(auth))}
                data-testid="cognito-sign-in"
              >
                {t('auth.hosted')}
              </Button>
            )
          ) : (
            <>
              <Typography.Paragraph type="secondary">{t('auth.demoHint')}</Typography.Paragraph>
              <ul style={{ listStyle: 'none', margin: 0, padding: 0 }} data-testid="demo-users">
                {auth.demoUsers.map((user) => (
                  <li
                    key={user.key}
                    style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'center', gap: 12, padding: '10px 0', borderBottom: '1px solid #f0f0f0' }}
                  >
                    <div>
                      <div style={{ fontWeight: 500 }}>{user.sub}</div>
                      <div>
                        {user.roles.map((role) => (
                          <Tag key={role}>{t(`roles.${role}`)}</Tag>
                        ))}
                        {user.stores.length > 0 && (
                          <Typography.Text type="secondary">{t('auth.stores', { stores: user.stores.join(', ') })}</Typography.Text>
                        )}
                      </div>
                    </div>
                    <Button
                      type="primary"
                      loading={busy === user.key}
                      onClick={() => pick(user)}
                      data-testid={`sign-in-${user.key}`}
                      aria-label={t('auth.signInAs', { user: user.sub })}
                    >
                      {t('auth.signIn')}
                    </Button>
                  </li>
                ))}
              </ul>
            </>
          )}
        </Card>
      </main>
    </Flex>
  );
}
