// zh-CN and en hold the same keys, every key the code names exists, and every status the API can
// answer has a name in both languages.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasMessage, MESSAGES, PLURAL_FORM, translate } from './messages';

const SRC = resolve(__dirname, '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'generated' || name === 'api' ? [] : sources(path);
    return /\.(ts|tsx)$/.test(name) && !/\.test\.tsx?$/.test(name) ? [path] : [];
  });
}

describe('locale files', () => {
  it('zh-CN and en have exactly the same keys (a message with plural forms counts once)', () => {
    const base = (locale: 'zh-CN' | 'en') => {
      const keys = Object.keys(MESSAGES[locale]);
      const plural = (key: string) => PLURAL_FORM.test(key) && `${key.replace(PLURAL_FORM, '')}.other` in MESSAGES[locale];
      return [...new Set(keys.map((key) => (plural(key) ? key.replace(PLURAL_FORM, '') : key)))].sort();
    };
    const zh = base('zh-CN');
    const en = base('en');
    expect(zh.filter((key) => !en.includes(key)), 'in zh-CN only').toEqual([]);
    expect(en.filter((key) => !zh.includes(key)), 'in en only').toEqual([]);
  });

  it('no message is empty', () => {
    for (const locale of ['zh-CN', 'en'] as const) {
      const empty = Object.entries(MESSAGES[locale]).filter(([, text]) => !text.trim());
      expect(empty, locale).toEqual([]);
    }
  });

  it('every literal key the code passes to t() or labelKey exists', () => {
    const missing: string[] = [];
    const pattern = /(?:\bt\(|labelKey:\s*)['"]([a-zA-Z][\w-]*(?:\.[\w-]+)+)['"]/g;
    for (const file of sources(SRC)) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(pattern)) {
        if (!hasMessage('en', match[1]) || !hasMessage('zh-CN', match[1])) missing.push(`${file.slice(SRC.length + 1)}: ${match[1]}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('has an "other" form wherever a message has plural forms', () => {
    for (const locale of ['zh-CN', 'en'] as const) {
      const forms = Object.keys(MESSAGES[locale]).filter((key) => /\.(one|two|few|many)$/.test(key));
      const lacking = forms.filter((key) => !(`${key.replace(PLURAL_FORM, '')}.other` in MESSAGES[locale]));
      expect(lacking, locale).toEqual([]);
    }
  });

  it('chooses the plural form by count', () => {
    MESSAGES.en['test.items.one'] = '{count} item';
    MESSAGES.en['test.items.other'] = '{count} items';
    try {
      expect(translate('en', 'test.items', { count: 1 })).toBe('1 item');
      expect(translate('en', 'test.items', { count: 3 })).toBe('3 items');
      expect(translate('en', 'test.items', { count: 0 })).toBe('0 items');
      expect(translate('zh-CN', 'test.items', { count: 1 })).toBe('1 item'); // falls back to en
    } finally {
      delete MESSAGES.en['test.items.one'];
      delete MESSAGES.en['test.items.other'];
    }
  });

  it('names every status and payment method of the API in both languages', () => {
    const document = JSON.parse(readFileSync(resolve(SRC, '../../docs/openapi.json'), 'utf8'));
    const schemas = document.components.schemas as Record<string, { enum?: string[] }>;
    const statuses = ['OrderStatus', 'ChildStatus', 'CaseStatus', 'RefundStatus', 'AnomalyStatus', 'ExportState',
      'VoucherState', 'ChannelStoreStatus', 'SkuStatus', 'ImageState'].flatMap((name) => schemas[name].enum ?? []);
    for (const locale of ['zh-CN', 'en'] as const) {
      expect(statuses.filter((status) => !(`status.${status}` in MESSAGES[locale])), locale).toEqual([]);
      const methods = schemas.PaidWith.enum ?? [];
      expect(methods.filter((method) => !(`enums.paymentMethod.${method}` in MESSAGES[locale])), locale).toEqual([]);
    }
  });
});
