// The exports page against a mocked API: a running export is polled until it succeeded, then offers its
// download link.
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resetClient } from '../../api/client';
import { setConfig } from '../../config';
import { ExportsPage } from './ExportsPage';
import { json, Providers, signInAs } from './testing';

const job = (state: string, extra: object = {}) => ({
  exportId: 'EX1', state, format: 'csv', fields: ['orderNumber', 'total'], filters: {}, locale: 'en', masked: true,
  rowsDone: state === 'SUCCEEDED' ? 12 : 3, bytes: 2048, chunks: 1, createdBy: 'demo-support', createdAt: '2026-12-02T10:00:00Z',
  updatedAt: '2026-12-02T10:00:01Z', download: null, failure: null, finishedAt: null, ...extra,
});

let polls = 0;

beforeEach(() => {
  setConfig({ apiUrl: 'http://api.test', auth: { mode: 'local', tokenUrl: '', demoUsers: [] } });
  resetClient();
  signInAs('demo-support', ['support']);
  polls = 0;
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.pathname === '/me/permissions') return json({ permissions: ['export:create'] });
    if (url.pathname === '/exports') return json({ items: [job('RUNNING')], next_cursor: null });
    if (url.pathname === '/exports/EX1') {
      polls += 1;
      return json(polls < 2 ? job('RUNNING') : job('SUCCEEDED', { download: { url: 'https://files.test/EX1.csv', expiresInSeconds: 900 } }));
    }
    return json({ type: 'urn:oms:problem:not-found', title: 'Not found', status: 404 }, 404);
  });
});

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
  sessionStorage.clear();
});

describe('ExportsPage', { timeout: 30_000 }, () => {
  it('polls a running export until it succeeded and then links its file', async () => {
    render(
      <Providers path="/exports" route="/exports">
        <ExportsPage />
      </Providers>,
    );
    expect(await screen.findByText('Running', {}, { timeout: 15_000 })).toBeTruthy();
    const link = await screen.findByTestId('export-download-EX1', {}, { timeout: 15_000 });
    expect(link.getAttribute('href')).toBe('https://files.test/EX1.csv');
    expect(screen.getByText('12 rows · 2 KB')).toBeTruthy();
    expect(polls).toBeGreaterThanOrEqual(2);
    expect(screen.getByTestId('export-new')).toBeTruthy(); // support may export
  });
});
