// The audit trail, newest first: staff actions, settings changes and staff status changes, by actor,
// action, subject and time (without actor, action or subject: the last 24 hours, at most 31 days).

import { Button, DatePicker, Form, Input, Modal, Tag, Typography, type TableColumnsType } from 'antd';
import type { Dayjs } from 'dayjs';
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { api, unwrap, type Schemas } from '../../api/client';
import { DataList } from '../../components/DataList';
import { FilterPanel } from '../../components/FilterPanel';
import { PageHeader } from '../../components/PageHeader';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useI18n } from '../../i18n/I18nProvider';
import { useCursorList } from '../../api/useCursorList';

type Entry = Schemas['TrailEntry'];

interface Filters {
  actor?: string;
  action?: string;
  subject?: string;
  range?: [Dayjs | null, Dayjs | null] | null;
}

/** The order an audit subject names (ORDER#<id>), if it names one. */
export function orderOf(subject: string): string | null {
  const match = /^ORDER#([0-9A-Za-z]+(?:-[0-9]{2})?)$/.exec(subject);
  return match ? match[1] : null;
}

export function AuditPage() {
  const { t, dateTime } = useI18n();
  const [form] = Form.useForm<Filters>();
  const [filters, setFilters] = useState<Filters>({});
  const [open, setOpen] = useState<Entry | null>(null);
  const list = useCursorList<Entry>(['audit', filters], async (cursor) =>
    unwrap(
      await api().GET('/audit', {
        params: {
          query: {
            actor: filters.actor?.trim() || undefined,
            action: filters.action?.trim() || undefined,
            subject: filters.subject?.trim() || undefined,
            from: filters.range?.[0]?.toISOString(),
            to: filters.range?.[1]?.toISOString(),
            cursor,
            limit: 50,
          },
        },
      }),
    ),
  );
  const columns: TableColumnsType<Entry> = [
    { key: 'at', title: t('access.at'), render: (_, row) => <span style={{ whiteSpace: 'nowrap' }}>{dateTime(row.at)}</span> },
    { key: 'action', title: t('access.action'), render: (_, row) => <Tag color="geekblue">{row.action}</Tag> },
    {
      key: 'subject',
      title: t('access.subject'),
      render: (_, row) => {
        const order = orderOf(row.subject);
        return order ? <Link to={`/orders/${order}`}>{row.subject}</Link> : <code>{row.subject}</code>;
      },
    },
    { key: 'actor', title: t('access.actor'), render: (_, row) => <span style={{ whiteSpace: 'nowrap' }}>{`${row.actor.id ?? '—'} (${row.actor.role})`}</span> },
    { key: 'reason', title: t('common.reason'), render: (_, row) => <Typography.Text style={{ maxWidth: 320 }} ellipsis={{ tooltip: row.reason }}>{row.reason ?? '—'}</Typography.Text> },
    { key: 'ip', title: t('access.sourceIp'), render: (_, row) => row.sourceIp ?? '—' },
    {
      key: 'details',
      title: t('common.details'),
      render: (_, row) => (
        <Button size="small" onClick={() => setOpen(row)} data-testid={`audit-details-${row.entryId}`}>
          {t('access.beforeAfter')}
        </Button>
      ),
    },
  ];
  return (
    <div data-testid="audit-page">
      <PageHeader title={t('access.auditTitle')} sub={t('access.auditSub')} />
      <FilterPanel<Filters>
        form={form}
        onApply={(values) => setFilters({ ...values })}
        active={Object.values(filters).filter((value) => value && (!Array.isArray(value) || value.some(Boolean))).length}
      >
        <Form.Item name="actor" label={t('access.actor')}>
          <Input allowClear placeholder="demo-support" style={{ width: 160 }} data-testid="audit-actor" />
        </Form.Item>
        <Form.Item name="action" label={t('access.action')} rules={[{ pattern: /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/, message: t('access.actionRule') }]}>
          <Input allowClear placeholder="roles.update" style={{ width: 180 }} data-testid="audit-action" />
        </Form.Item>
        <Form.Item name="subject" label={t('access.subject')}>
          <Input allowClear placeholder="ORDER#01J…" style={{ width: 200 }} data-testid="audit-subject" />
        </Form.Item>
        <Form.Item name="range" label={t('access.when')}>
          <DatePicker.RangePicker showTime allowEmpty={[true, true]} />
        </Form.Item>
      </FilterPanel>
      <ProblemAlert error={list.error} style={{ marginBottom: 12 }} />
      <DataList<Entry>
        testId="audit"
        rows={list.rows}
        rowKey={(row) => row.entryId}
        columns={columns}
        cardTitle={(row) => row.action}
        loading={list.loading}
        hasMore={list.hasMore}
        onLoadMore={list.loadMore}
        loadingMore={list.loadingMore}
      />
      <Modal open={open !== null} onCancel={() => setOpen(null)} footer={null} title={open?.action} width={720}>
        {open && (
          <>
            <Typography.Paragraph>
              {dateTime(open.at)} · {open.actor.id ?? '—'} ({open.actor.role}) · <code>{open.subject}</code>
              {open.requestId && (
                <>
                  {' '}
                  · {t('access.requestId')} <code>{open.requestId}</code>
                </>
              )}
            </Typography.Paragraph>
            <Typography.Title level={5}>{t('access.before')}</Typography.Title>
            <pre style={{ maxHeight: 240, overflow: 'auto', background: '#f6f6f6', padding: 8 }}>{JSON.stringify(open.before, null, 2)}</pre>
            <Typography.Title level={5}>{t('access.after')}</Typography.Title>
            <pre style={{ maxHeight: 240, overflow: 'auto', background: '#f6f6f6', padding: 8 }}>{JSON.stringify(open.after, null, 2)}</pre>
          </>
        )}
      </Modal>
    </div>
  );
}
