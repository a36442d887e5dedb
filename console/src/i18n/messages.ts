// Every string the console shows comes from src/locales/<locale>/<namespace>.json; a key is
// "<namespace>.<path.inside.the.file>". zh-CN and en must hold the same keys (src/i18n/messages.test.ts).

export const LOCALES = ['zh-CN', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

type Tree = { [key: string]: string | Tree };

const files = import.meta.glob<{ default: Tree }>('../locales/*/*.json', { eager: true });

function flatten(tree: Tree, prefix: string, into: Record<string, string>): Record<string, string> {
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof value === 'string') into[path] = value;
    else flatten(value, path, into);
  }
  return into;
}

export const MESSAGES: Record<Locale, Record<string, string>> = { 'zh-CN': {}, en: {} };

for (const [path, module] of Object.entries(files)) {
  const match = /locales\/([^/]+)\/([^/]+)\.json$/.exec(path);
  if (!match) continue;
  const [, locale, namespace] = match;
  if (!(LOCALES as readonly string[]).includes(locale)) continue;
  flatten(module.default, namespace, MESSAGES[locale as Locale]);
}

/** Plural forms: a message may be an object of CLDR categories ({"one": "1 order", "other": "{count}
 * orders"}), chosen by `Intl.PluralRules` from the `count` (or `n`) variable; `other` is required. */
export const PLURAL_FORM = /\.(zero|one|two|few|many|other)$/;

function lookup(locale: Locale, key: string, vars?: Record<string, string | number>): string | undefined {
  const messages = MESSAGES[locale];
  if (key in messages) return messages[key];
  if (!(`${key}.other` in messages)) return undefined;
  const count = Number(vars?.count ?? vars?.n);
  const form = Number.isFinite(count) ? new Intl.PluralRules(locale).select(count) : 'other';
  return messages[`${key}.${form}`] ?? messages[`${key}.other`];
}

/** Whether `key` names a message (or a message with plural forms) in `locale`. */
export function hasMessage(locale: Locale, key: string): boolean {
  return key in MESSAGES[locale] || `${key}.other` in MESSAGES[locale];
}

export function translate(locale: Locale, key: string, vars?: Record<string, string | number>): string {
  const text = lookup(locale, key, vars) ?? lookup('en', key, vars) ?? key;
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
}
