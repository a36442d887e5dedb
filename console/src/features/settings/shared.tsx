// What the settings pages share: the version read (ETag → If-Match), who changed a setting last and the
// newest changes, the API's problem on a refused save (a 412 offers to load the current version), and
// the note shown to roles that may read but not change.

import { Alert, Button, Card, Flex, Timeline, Typography } from 'antd';
import type { ReactNode } from 'react';
import { isProblem } from '../../api/problem';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useI18n } from '../../i18n/I18nProvider';

/** An answer's data and the ETag it came with. */
export interface Versioned<T> {
  data: T;
  etag: string | null;
}

export function versioned<T>(data: T, response: Response): Versioned<T> {
  return { data, etag: response.headers.get('ETag') };
}

/** The If-Match header of a save, when the version read has an ETag. */
export function ifMatch(etag: string | null | undefined): { 'If-Match': string } | undefined {
  return etag ? { 'If-Match': etag } : undefined;
}

export function LastChanged({ by, at, version }: { by?: string | null; at?: string | null; version?: number }) {
  const { t, dateTime } = useI18n();
  if (!at && !by) {
    return (
      <Typography.Text type="secondary" data-testid="last-changed">
        {version ? t('settings.common.version', { version }) : t('settings.common.neverChanged')}
      </Typography.Text>
    );
  }
  return (
    <Typography.Text type="secondary" data-testid="last-changed">
      {by ? t('settings.common.changedBy', { by, at: dateTime(at) }) : t('settings.common.changedAt', { at: dateTime(at) })}
      {version ? ` · ${t('settings.common.version', { version })}` : ''}
    </Typography.Text>
  );
}

interface Change {
  action: string;
  by: string;
  role: string;
  at: string;
  reason?: string | null;
}

export function ChangeLog({ entries }: { entries: readonly Change[] | undefined }) {
  const { t, dateTime } = useI18n();
  return (
    <Card size="small" title={t('settings.common.changes')} style={{ marginTop: 12 }} data-testid="change-log">
      {entries?.length ? (
        <Timeline
          items={entries.map((entry, index) => ({
            key: index,
            content: (
              <>
                <strong>{entry.by}</strong> ({entry.role}) · {dateTime(entry.at)} · <code>{entry.action}</code>
                {entry.reason && <div>{entry.reason}</div>}
              </>
            ),
          }))}
        />
      ) : (
        <Typography.Text type="secondary">{t('settings.common.noChanges')}</Typography.Text>
      )}
    </Card>
  );
}

/** A refused save: the API's problem; a stale version (412) also offers to load the current one. */
export function SaveProblem({ error, onReload }: { error: unknown; onReload: () => void }) {
  const { t } = useI18n();
  if (!error) return null;
  return (
    <div style={{ marginBottom: 12 }}>
      <ProblemAlert error={error} />
      {isProblem(error) && error.status === 412 && (
        <Flex gap={8} align="center" wrap style={{ marginTop: 8 }}>
          <Typography.Text>{t('settings.common.staleHint')}</Typography.Text>
          <Button onClick={onReload} data-testid="reload-current">
            {t('settings.common.reload')}
          </Button>
        </Flex>
      )}
    </div>
  );
}

export function ReadOnlyNote({ editable }: { editable: boolean }) {
  const { t } = useI18n();
  if (editable) return null;
  return <Alert type="info" showIcon style={{ marginBottom: 12 }} data-testid="read-only" title={t('settings.common.readOnly')} />;
}

export function Section({ title, children, extra }: { title: ReactNode; children: ReactNode; extra?: ReactNode }) {
  return (
    <Card size="small" title={title} extra={extra} style={{ marginBottom: 12 }}>
      {children}
    </Card>
  );
}
