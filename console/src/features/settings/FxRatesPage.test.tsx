// The FX rates page against a mocked API: loads the rates and who set them, saves the edited rates with
// If-Match (the ETag read), shows a 412 with the way to load the current version; read-only for support.
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resetClient } from '../../api/client';
import { setConfig } from '../../config';
import { json, Providers, signInAs } from '../reports/testing';
import { FxRatesPage } from './FxRatesPage';

const rates = {
  reportingCurrency: 'CNY',
  rates: { USD: { rate: '7.1', numerator: 71, denominator: 10, updatedAt: '2026-12-02T10:00:00Z' } },
  version: 3,
  updatedAt: '2026-12-02T10:00:00Z',
  updatedBy: 'demo-finance',
  audit: [{ action: 'fx-rates.update', by: 'demo-finance', role: 'finance', at: '2026-12-02T10:00:00Z', before: null, after: null, reason: 'monthly' }],
};

const puts: { ifMatch: string | null; body: unknown }[] = [];

function mockApi(permissions: string[], putStatus = 200) {
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input) => {
    const request = input instanceof Request ? input : new Request(String(input));
    const url = new URL(request.url);
    if (url.pathname === '/me/permissions') return json({ permissions });
    if (url.pathname === '/settings/fx-rates' && request.method === 'GET') {
      const response = json(rates);
      response.headers.set('ETag', '"3"');
      return response;
    }
    if (url.pathname === '/settings/fx-rates' && request.method === 'PUT') {
      puts.push({ ifMatch: request.headers.get('If-Match'), body: await request.json() });
      if (putStatus === 412) return json({ type: 'urn:oms:problem:precondition-failed', title: 'The resource has changed', status: 412, detail: 'the settings changed since you read them (If-Match)' }, 412);
      return json({ ...rates, version: 4 });
    }
    return json({ type: 'urn:oms:problem:not-found', title: 'Not found', status: 404 }, 404);
  });
}

beforeEach(() => {
  setConfig({ apiUrl: 'http://api.test', auth: { mode: 'local', tokenUrl: '', demoUsers: [] } });
  resetClient();
  puts.length = 0;
});

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
  sessionStorage.clear();
});

const page = () => render(<Providers><FxRatesPage /></Providers>);

describe('FxRatesPage', { timeout: 30_000 }, () => {
  it('loads the rates with who set them and saves an edit with If-Match', async () => {
    signInAs('demo-finance', ['finance']);
    mockApi(['pricing:settings']);
    page();
    const rate = (await screen.findByTestId('fx-rate-0', {}, { timeout: 15_000 })) as HTMLInputElement;
    await waitFor(() => expect(rate.value).toBe('7.1'));
    expect(screen.getByTestId('last-changed').textContent).toContain('demo-finance');
    expect(screen.getByText('monthly')).toBeTruthy();
    fireEvent.change(rate, { target: { value: '7.25' } });
    fireEvent.click(screen.getByTestId('fx-save'));
    await waitFor(() => expect(puts).toHaveLength(1), { timeout: 15_000 });
    expect(puts[0]).toEqual({ ifMatch: '"3"', body: { reportingCurrency: 'CNY', rates: { USD: '7.25' }, reason: null } });
  });

  it('shows the 412 problem and offers the current version', async () => {
    signInAs('demo-admin', ['admin']);
    mockApi(['pricing:settings'], 412);
    page();
    await screen.findByTestId('fx-rate-0', {}, { timeout: 15_000 });
    await waitFor(() => expect((screen.getByTestId('fx-rate-0') as HTMLInputElement).value).toBe('7.1'));
    fireEvent.click(screen.getByTestId('fx-save'));
    const problem = await screen.findByTestId('problem', {}, { timeout: 15_000 });
    expect(problem.getAttribute('data-problem-type')).toBe('urn:oms:problem:precondition-failed');
    expect(screen.getByTestId('reload-current')).toBeTruthy();
  });

  it('is read-only for a role that may not change the rates', async () => {
    signInAs('demo-support', ['support']);
    mockApi(['order:read-any']);
    page();
    const rate = (await screen.findByTestId('fx-rate-0', {}, { timeout: 15_000 })) as HTMLInputElement;
    await waitFor(() => expect(rate.value).toBe('7.1'));
    expect(rate.disabled).toBe(true);
    expect(screen.getByTestId('read-only')).toBeTruthy();
    expect(screen.queryByTestId('fx-save')).toBeNull();
  });
});
