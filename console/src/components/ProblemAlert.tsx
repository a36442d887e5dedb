import { Alert } from 'antd';
import { isProblem } from '../api/problem';
import { useI18n } from '../i18n/I18nProvider';

/** An API error as the user reads it: the problem's title and detail, and each field error. */
export function ProblemAlert({ error, style }: { error: unknown; style?: React.CSSProperties }) {
  const { t } = useI18n();
  if (!error) return null;
  if (isProblem(error)) {
    const known = `problems.${error.slug}`;
    const title = t(known) !== known ? t(known) : error.title || t('common.error');
    return (
      <Alert
        type="error"
        showIcon
        style={style}
        data-testid="problem"
        data-problem-type={error.type}
        title={`${title} (${error.status})`}
        description={
          <>
            <div>{error.detail}</div>
            {error.errors.length > 0 && (
              <ul style={{ margin: '4px 0 0', paddingInlineStart: 18 }}>
                {error.errors.map((item, index) => (
                  <li key={index}>
                    {item.field ? <code>{item.field}</code> : null} {item.message}
                  </li>
                ))}
              </ul>
            )}
          </>
        }
      />
    );
  }
  return <Alert type="error" showIcon style={style} data-testid="problem" title={t('common.error')} description={String(error)} />;
}
