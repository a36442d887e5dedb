// The runtime configuration, read from `config.json` next to index.html: oms-local generates it (local
// sign-in with the demo users); on AWS `tools/deploy_console.py` writes it from the stack's outputs
// (Cognito hosted sign-in). One build serves both.

export interface DemoUser {
  key: string;
  sub: string;
  roles: string[];
  stores: string[];
}

export type AuthConfig =
  | { mode: 'local'; tokenUrl: string; demoUsers: DemoUser[] }
  | { mode: 'cognito'; domain: string; clientId: string; redirectUri: string; scopes?: string[] };

export interface ConsoleConfig {
  apiUrl: string; // '' when the API is this origin (oms-local)
  auth: AuthConfig;
  sandbox?: { payUrl: string }; // the local payment sandbox's "pay" endpoint, {paymentId} substituted
  store?: string; // the shop front's store
}

let loaded: ConsoleConfig | undefined;

export async function loadConfig(fetcher: typeof fetch = fetch): Promise<ConsoleConfig> {
  if (loaded) return loaded;
  const response = await fetcher('config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
  loaded = (await response.json()) as ConsoleConfig;
  return loaded;
}

export function config(): ConsoleConfig {
  if (!loaded) throw new Error('the configuration is not loaded yet');
  return loaded;
}

export function setConfig(value: ConsoleConfig): void {
  loaded = value;
}
