import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { App as AntApp, Result } from 'antd';
import { createHashRouter, RouterProvider, type RouteObject } from 'react-router-dom';
import { isProblem } from './api/problem';
import { SessionProvider } from './auth/SessionProvider';
import { SignIn } from './auth/SignIn';
import { FEATURES } from './features';
import { I18nProvider, useI18n } from './i18n/I18nProvider';
import { ConsoleLayout } from './layout/ConsoleLayout';
import { shopRoute } from './shop';

function NotFound() {
  const { t } = useI18n();
  return <Result status="404" title="404" subTitle={t('common.notFound')} />;
}

export const ROUTES: RouteObject[] = [
  { path: '/signin', element: <SignIn /> },
  shopRoute,
  {
    path: '/',
    element: <ConsoleLayout />,
    children: [...FEATURES.flatMap((feature) => feature.routes), { path: '*', element: <NotFound /> }],
  },
];

export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 10_000,
        refetchOnWindowFocus: false,
        // A client's mistake (4xx) is not retried; a transient fault (503 with Retry-After, network) twice.
        retry: (count, error) => count < 2 && !(isProblem(error) && error.status < 500),
      },
      mutations: { retry: false },
    },
  });
}

export function App() {
  const router = createHashRouter(ROUTES);
  return (
    <QueryClientProvider client={makeQueryClient()}>
      <SessionProvider>
        <I18nProvider>
          <AntApp>
            <RouterProvider router={router} />
          </AntApp>
        </I18nProvider>
      </SessionProvider>
    </QueryClientProvider>
  );
}
