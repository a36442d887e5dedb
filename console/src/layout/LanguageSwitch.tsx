import { GlobalOutlined } from '@ant-design/icons';
import { Select } from 'antd';
import { useI18n } from '../i18n/I18nProvider';
import type { Locale } from '../i18n/messages';

export function LanguageSwitch() {
  const { locale, setLocale, t } = useI18n();
  return (
    <Select<Locale>
      value={locale}
      onChange={setLocale}
      aria-label={t('common.language')}
      data-testid="language-switch"
      suffixIcon={<GlobalOutlined />}
      style={{ width: 116 }}
      options={[
        { value: 'zh-CN', label: '简体中文' },
        { value: 'en', label: 'English' },
      ]}
    />
  );
}
