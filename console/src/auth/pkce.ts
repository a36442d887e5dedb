// Cognito hosted sign-in, authorization code with PKCE (RFC 7636): the verifier stays in sessionStorage,
// the browser is sent to /oauth2/authorize with its S256 challenge, and the code that comes back is
// exchanged at /oauth2/token for the ID token the API's authorizer accepts.

const VERIFIER = 'oms.pkce.verifier';
const STATE = 'oms.pkce.state';

export interface CognitoAuth {
  domain: string;
  clientId: string;
  redirectUri: string;
  scopes?: string[];
}

function base64url(bytes: Uint8Array): string {
  let text = '';
  bytes.forEach((byte) => (text += String.fromCharCode(byte)));
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function randomVerifier(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

export async function challengeOf(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

export async function authorizeUrl(auth: CognitoAuth, storage: Storage = sessionStorage): Promise<string> {
  const verifier = randomVerifier();
  const state = randomVerifier();
  storage.setItem(VERIFIER, verifier);
  storage.setItem(STATE, state);
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: auth.clientId,
    redirect_uri: auth.redirectUri,
    scope: (auth.scopes ?? ['openid', 'email', 'profile']).join(' '),
    state,
    code_challenge_method: 'S256',
    code_challenge: await challengeOf(verifier),
  });
  return `${auth.domain.replace(/\/$/, '')}/oauth2/authorize?${query}`;
}

/** Exchange `?code=&state=` for the ID token; throws when the state does not match the one sent. */
export async function exchangeCode(
  auth: CognitoAuth,
  code: string,
  state: string,
  storage: Storage = sessionStorage,
  fetcher: typeof fetch = fetch,
): Promise<string> {
  const verifier = storage.getItem(VERIFIER);
  if (!verifier || storage.getItem(STATE) !== state) throw new Error('sign-in state mismatch');
  storage.removeItem(VERIFIER);
  storage.removeItem(STATE);
  const response = await fetcher(`${auth.domain.replace(/\/$/, '')}/oauth2/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: auth.clientId,
      code,
      redirect_uri: auth.redirectUri,
      code_verifier: verifier,
    }),
  });
  if (!response.ok) throw new Error(`token exchange: HTTP ${response.status}`);
  const tokens = (await response.json()) as { id_token?: string };
  if (!tokens.id_token) throw new Error('token exchange: no id_token');
  return tokens.id_token;
}

export function logoutUrl(auth: CognitoAuth): string {
  const query = new URLSearchParams({ client_id: auth.clientId, logout_uri: auth.redirectUri });
  return `${auth.domain.replace(/\/$/, '')}/logout?${query}`;
}
