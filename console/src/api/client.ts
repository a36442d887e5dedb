// The typed API client: openapi-fetch over the types openapi-typescript generates from docs/openapi.json
// (`npm run api`; `npm run api:check` fails when they differ). Every call carries the session's token.

import createClient, { type Middleware } from 'openapi-fetch';
import { currentToken, signOut } from '../auth/session';
import { config } from '../config';
import { ApiProblem } from './problem';
import type { paths } from './schema';

const auth: Middleware = {
  onRequest({ request }) {
    const token = currentToken();
    if (token && !request.headers.has('Authorization')) request.headers.set('Authorization', `Bearer ${token}`);
    return request;
  },
  onResponse({ response }) {
    if (response.status === 401 && currentToken()) signOut('expired');
    return response;
  },
};

let client: ReturnType<typeof createClient<paths>> | undefined;

export function api(): ReturnType<typeof createClient<paths>> {
  if (!client) {
    client = createClient<paths>({ baseUrl: config().apiUrl || window.location.origin });
    client.use(auth);
  }
  return client;
}

export function resetClient(): void {
  client = undefined;
}

/** The data of an openapi-fetch answer, or an ApiProblem thrown for an error answer. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || !result.response.ok) {
    throw new ApiProblem(result.response.status, result.error as Record<string, unknown> | undefined);
  }
  return result.data as T;
}

export type { paths };
export type Schemas = import('./schema').components['schemas'];
