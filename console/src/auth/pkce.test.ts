import { describe, expect, it, vi } from 'vitest';
import { authorizeUrl, challengeOf, exchangeCode, logoutUrl } from './pkce';

const AUTH = { domain: 'https://oms-x.auth.eu-west-1.amazoncognito.com/', clientId: 'client-1', redirectUri: 'https://d1.cloudfront.net/' };

function memoryStorage(): Storage {
  const items = new Map<string, string>();
  return {
    get length() { return items.size; },
    clear: () => items.clear(),
    getItem: (key) => items.get(key) ?? null,
    key: (index) => [...items.keys()][index] ?? null,
    removeItem: (key) => void items.delete(key),
    setItem: (key, value) => void items.set(key, value),
  };
}

describe('PKCE sign-in', () => {
  it('derives the S256 challenge of RFC 7636 appendix B', async () => {
    expect(await challengeOf('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  it('sends the browser to /oauth2/authorize with the challenge and keeps the verifier', async () => {
    const storage = memoryStorage();
    const url = new URL(await authorizeUrl(AUTH, storage));
    expect(url.origin + url.pathname).toBe('https://oms-x.auth.eu-west-1.amazoncognito.com/oauth2/authorize');
    const query = Object.fromEntries(url.searchParams);
    expect(query).toMatchObject({ response_type: 'code', client_id: 'client-1', redirect_uri: AUTH.redirectUri, code_challenge_method: 'S256' });
    expect(query.scope).toBe('openid email profile');
    expect(query.code_challenge).toBe(await challengeOf(storage.getItem('oms.pkce.verifier')!));
    expect(query.state).toBe(storage.getItem('oms.pkce.state'));
  });

  it('exchanges the code with the verifier for the ID token, once', async () => {
    const storage = memoryStorage();
    const state = new URL(await authorizeUrl(AUTH, storage)).searchParams.get('state')!;
    const verifier = storage.getItem('oms.pkce.verifier')!;
    const fetcher = vi.fn(async () => new Response(JSON.stringify({ id_token: 'id.token.here' }), { status: 200 }));
    expect(await exchangeCode(AUTH, 'the-code', state, storage, fetcher as unknown as typeof fetch)).toBe('id.token.here');
    const [url, init] = fetcher.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('https://oms-x.auth.eu-west-1.amazoncognito.com/oauth2/token');
    expect(Object.fromEntries(new URLSearchParams(String(init.body)))).toEqual({
      grant_type: 'authorization_code', client_id: 'client-1', code: 'the-code', redirect_uri: AUTH.redirectUri, code_verifier: verifier,
    });
    expect(storage.getItem('oms.pkce.verifier')).toBeNull(); // a replayed redirect cannot exchange again
    await expect(exchangeCode(AUTH, 'the-code', state, storage, fetcher as unknown as typeof fetch)).rejects.toThrow('state mismatch');
  });

  it('refuses a state it did not send and a token answer without an ID token', async () => {
    const storage = memoryStorage();
    await authorizeUrl(AUTH, storage);
    const fetcher = vi.fn(async () => new Response('{}', { status: 200 }));
    await expect(exchangeCode(AUTH, 'c', 'forged', storage, fetcher as unknown as typeof fetch)).rejects.toThrow('state mismatch');
    expect(fetcher).not.toHaveBeenCalled();
    const state = new URL(await authorizeUrl(AUTH, storage)).searchParams.get('state')!;
    await expect(exchangeCode(AUTH, 'c', state, storage, fetcher as unknown as typeof fetch)).rejects.toThrow('no id_token');
  });

  it('signs out at the hosted logout', () => {
    expect(logoutUrl(AUTH)).toBe('https://oms-x.auth.eu-west-1.amazoncognito.com/logout?client_id=client-1&logout_uri=https%3A%2F%2Fd1.cloudfront.net%2F');
  });
});
