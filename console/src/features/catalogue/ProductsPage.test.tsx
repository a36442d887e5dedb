// The products page against a mocked API: it asks for the demo store's products and categories, shows
// each product with its category's name, and asks again for the category picked in the filters.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { App as AntApp } from 'antd';
import { cleanup, render, screen, waitFor } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resetClient } from '../../api/client';
import { SessionProvider } from '../../auth/SessionProvider';
import { setConfig } from '../../config';
import { I18nProvider } from '../../i18n/I18nProvider';
import { ProductsPage } from './ProductsPage';

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

const product = (productId: string, name: string, categoryId: string | null) => ({
  productId, storeId: 'demo', name, description: null, category: categoryId ? null : 'label', categoryId, categoryPath: null,
  attributes: {}, status: 'ACTIVE', version: 1, createdAt: '2026-12-01T00:00:00Z', updatedAt: '2026-12-01T00:00:00Z', mainImage: null,
});

let requests: string[] = [];

beforeEach(() => {
  setConfig({ apiUrl: 'http://api.test', auth: { mode: 'local', tokenUrl: '', demoUsers: [] } });
  resetClient();
  requests = [];
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    requests.push(url.pathname + url.search);
    if (url.pathname === '/stores/demo/categories')
      return json({ storeId: 'demo', categories: [{ categoryId: 'TEA', storeId: 'demo', name: 'Tea leaves', parentId: null, path: '/TEA/', depth: 1, sortOrder: 0, childCount: 0, productCount: 1, version: 1, createdAt: '', updatedAt: '', children: [] }] });
    if (url.pathname === '/products')
      return json({ items: [product('P1', 'Longjing', 'TEA'), product('P2', 'Mug', null)], next_cursor: 'NEXT' });
    return json({ type: 'urn:oms:problem:not-found', title: 'Not found', status: 404 }, 404);
  });
});

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

describe('ProductsPage', () => {
  it('lists the demo store’s products with their category names and a load-more button', async () => {
    render(
      <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
        <SessionProvider>
          <I18nProvider locale="en">
            <AntApp>
              <MemoryRouter initialEntries={['/products']}>
                <ProductsPage />
              </MemoryRouter>
            </AntApp>
          </I18nProvider>
        </SessionProvider>
      </QueryClientProvider>,
    );
    expect((await screen.findAllByText('Longjing')).length).toBeGreaterThan(0);
    expect(screen.getAllByText('Mug').length).toBeGreaterThan(0);
    await waitFor(() => expect(screen.getAllByText('Tea leaves').length).toBeGreaterThan(0));
    expect(screen.getAllByText('label').length).toBeGreaterThan(0);
    expect(screen.getByTestId('load-more')).toBeTruthy();
    expect(requests.some((path) => path.startsWith('/products?') && path.includes('store=demo'))).toBe(true);
    // No signed-in user: no "new product" button.
    expect(screen.queryByTestId('product-create')).toBeNull();
  });
});
