// Test helpers of the ops pages: a signed-in session (an unsigned token: the console only reads its
// claims), the providers a page needs, and a JSON answer.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { App as AntApp } from 'antd';
import type { ReactNode } from 'react';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import { SessionProvider } from '../../auth/SessionProvider';
import { I18nProvider } from '../../i18n/I18nProvider';

function part(value: object): string {
  return btoa(JSON.stringify(value)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
}

export function signInAs(sub: string, roles: string[]): void {
  const claims = { sub, 'cognito:groups': roles, exp: Math.floor(Date.now() / 1000) + 3600 };
  sessionStorage.setItem('oms.session', `${part({ alg: 'none' })}.${part(claims)}.x`);
}

export const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': status >= 400 ? 'application/problem+json' : 'application/json' },
  });

export function Providers({ children, path = '/', route = '/' }: { children: ReactNode; path?: string; route?: string }) {
  return (
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <SessionProvider>
        <I18nProvider locale="en">
          <AntApp>
            <MemoryRouter initialEntries={[route]}>
              <Routes>
                <Route path={path} element={children} />
              </Routes>
            </MemoryRouter>
          </AntApp>
        </I18nProvider>
      </SessionProvider>
    </QueryClientProvider>
  );
}
