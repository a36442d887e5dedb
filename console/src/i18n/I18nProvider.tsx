import { ConfigProvider } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import dayjs from 'dayjs';
import 'dayjs/locale/zh-cn';
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { formatDate, formatDateTime, formatMoney, formatNumber, formatPercent } from './format';
import { LOCALES, translate, type Locale } from './messages';

const STORAGE_KEY = 'oms.locale';

// WCAG AA contrast (4.5:1) for the whole console: antd's default secondary greys (45 % black), link blue
// (#1677ff, 4.1:1), error red and the light tags' text (each palette's 7th shade on its 1st, about 3.3:1)
// fail on white. Palette seeds one shade darker make the tags' text pass.
const THEME = {
  token: {
    colorPrimary: '#1668dc',
    colorPrimaryHover: '#0f55c7', // antd's lighter hover fails AA with white text
    colorPrimaryActive: '#0a46a8',
    colorLink: '#1668dc',
    colorLinkHover: '#0f55c7',
    colorLinkActive: '#0a46a8',
    colorInfo: '#1668dc',
    colorError: '#cf1322',
    colorTextSecondary: 'rgba(0, 0, 0, 0.65)',
    colorTextDescription: 'rgba(0, 0, 0, 0.65)',
    colorTextTertiary: 'rgba(0, 0, 0, 0.62)',
    colorTextPlaceholder: 'rgba(0, 0, 0, 0.55)',
    green: '#237804',
    gold: '#ad6800',
    orange: '#ad4e00',
    cyan: '#006d75',
    volcano: '#ad2102',
    lime: '#5b8c00',
    red: '#a8071a',
    blue: '#003eb3',
    geekblue: '#1d39c4',
    purple: '#391085',
  },
};

export interface I18n {
  locale: Locale;
  setLocale: (locale: Locale) => void;
  t: (key: string, vars?: Record<string, string | number>) => string;
  money: (amount: number | null | undefined, currency?: string | null) => string;
  number: (value: number, options?: Intl.NumberFormatOptions) => string;
  percent: (ratio: number) => string;
  dateTime: (value: string | number | Date | null | undefined) => string;
  date: (value: string | number | Date | null | undefined) => string;
}

const Context = createContext<I18n | null>(null);

export function initialLocale(): Locale {
  const stored = localStorage.getItem(STORAGE_KEY);
  if (stored && (LOCALES as readonly string[]).includes(stored)) return stored as Locale;
  return navigator.language?.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

export function I18nProvider({ children, locale: fixed }: { children: ReactNode; locale?: Locale }) {
  const [locale, setState] = useState<Locale>(fixed ?? initialLocale());
  const setLocale = useCallback((next: Locale) => {
    localStorage.setItem(STORAGE_KEY, next);
    setState(next);
  }, []);
  useEffect(() => {
    document.documentElement.lang = locale;
    dayjs.locale(locale === 'zh-CN' ? 'zh-cn' : 'en');
  }, [locale]);
  const value = useMemo<I18n>(
    () => ({
      locale,
      setLocale,
      t: (key, vars) => translate(locale, key, vars),
      money: (amount, currency) =>
        amount === null || amount === undefined ? '—' : formatMoney(locale, amount, currency || 'CNY'),
      number: (value, options) => formatNumber(locale, value, options),
      percent: (ratio) => formatPercent(locale, ratio),
      dateTime: (value) => formatDateTime(locale, value),
      date: (value) => formatDate(locale, value),
    }),
    [locale, setLocale],
  );
  return (
    <Context.Provider value={value}>
      <ConfigProvider locale={locale === 'zh-CN' ? zhCN : enUS} theme={THEME}>
        {children}
      </ConfigProvider>
    </Context.Provider>
  );
}

export function useI18n(): I18n {
  const value = useContext(Context);
  if (!value) throw new Error('useI18n outside I18nProvider');
  return value;
}
