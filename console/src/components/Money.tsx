import { useI18n } from '../i18n/I18nProvider';

export interface MoneyValue {
  amount: number;
  currency: string;
}

/** Integer minor units rendered with the currency's exponent in the user's locale. */
export function Money({ value, strong }: { value: MoneyValue | null | undefined; strong?: boolean }) {
  const { money } = useI18n();
  const text = value ? money(value.amount, value.currency) : '—';
  return strong ? <strong className="money">{text}</strong> : <span className="money">{text}</span>;
}
