// "Sign in, then back": the shop remembers the page that needed a customer session before it sends the
// shopper to #/signin (which brings customers to /shop), and the shop's home goes on to that page.

const KEY = 'oms.shop.returnTo';

export function rememberReturn(path: string): void {
  if (path.startsWith('/shop')) sessionStorage.setItem(KEY, path);
}

/** The remembered page, forgotten as it is read. */
export function takeReturn(): string | null {
  const path = sessionStorage.getItem(KEY);
  sessionStorage.removeItem(KEY);
  return path && path.startsWith('/shop') ? path : null;
}
