// Published reports (sales, financial, settlement, inventory, daily checks, reconciliation), newest
// period first, with their key figures and their files (presigned links valid five minutes: the list is
// read again before they expire).

import { Button, Form, Input, Select, Space, Tag, Typography, type TableColumnsType } from 'antd';
import { useState } from 'react';
import { api, unwrap, type Schemas } from '../../api/client';
import { DataList } from '../../components/DataList';
import { FilterPanel } from '../../components/FilterPanel';
import { PageHeader } from '../../components/PageHeader';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useI18n } from '../../i18n/I18nProvider';
import { useCursorList } from '../../api/useCursorList';
import { formatBytes } from './exportLogic';
import { PERIOD_PATTERN, REPORT_TYPES, summaryFigures } from './reportLogic';

type Report = Schemas['Report'];

interface Filters {
  type?: string;
  from?: string;
}

export function ReportsPage() {
  const { t, dateTime, date, locale } = useI18n();
  const [form] = Form.useForm<Filters>();
  const [filters, setFilters] = useState<Filters>({});
  const list = useCursorList<Report>(
    ['reports', filters],
    async (cursor) =>
      unwrap(
        await api().GET('/reports', {
          params: { query: { type: filters.type || undefined, from: filters.from?.trim() || undefined, cursor, limit: 20 } },
        }),
      ),
    { refetchInterval: 240_000 },
  );
  const typeLabel = (type: string) => {
    const key = `reports.types.${type}`;
    return t(key) === key ? type : t(key);
  };
  const columns: TableColumnsType<Report> = [
    { key: 'type', title: t('reports.type'), render: (_, row) => <Tag color="blue">{typeLabel(row.type)}</Tag> },
    { key: 'period', title: t('reports.period'), render: (_, row) => <span>{row.period} <Typography.Text type="secondary">({date(row.periodStart)})</Typography.Text></span> },
    {
      key: 'summary',
      title: t('reports.summary'),
      render: (_, row) => (
        <Space wrap size={[4, 4]} style={{ maxWidth: 420 }}>
          {summaryFigures(row.summary).map(([key, value]) => (
            <Tag key={key}>
              {key}: {value}
            </Tag>
          ))}
        </Space>
      ),
    },
    {
      key: 'files',
      title: t('reports.files'),
      render: (_, row) => (
        <Space direction="vertical" size={0}>
          {row.files.map((file) => (
            <a key={file.name} href={file.url} target="_blank" rel="noreferrer" download data-testid="report-file">
              {file.name} ({formatBytes(file.size, locale)})
            </a>
          ))}
        </Space>
      ),
    },
    { key: 'generated', title: t('reports.generatedAt'), render: (_, row) => dateTime(row.generatedAt) },
    { key: 'runs', title: t('reports.runs'), dataIndex: 'runs', align: 'right' },
  ];
  const active = Object.values(filters).filter(Boolean).length;
  return (
    <div data-testid="reports-page">
      <PageHeader
        title={t('reports.reportsTitle')}
        sub={t('reports.reportsSub')}
        extra={<Button onClick={() => void list.refetch()}>{t('common.refresh')}</Button>}
      />
      <FilterPanel<Filters> form={form} onApply={(values) => setFilters({ ...values })} active={active}>
        <Form.Item name="type" label={t('reports.type')}>
          <Select
            allowClear
            style={{ minWidth: 200 }}
            data-testid="report-type"
            options={REPORT_TYPES.map((type) => ({ value: type, label: typeLabel(type) }))}
          />
        </Form.Item>
        <Form.Item
          name="from"
          label={t('reports.from')}
          rules={[{ pattern: PERIOD_PATTERN, message: t('reports.fromRule') }]}
        >
          <Input allowClear placeholder="2026-12-01 / 2026-W48 / 2026-12 / 2026-Q4" style={{ width: 240 }} data-testid="report-from" />
        </Form.Item>
      </FilterPanel>
      <ProblemAlert error={list.error} style={{ marginBottom: 12 }} />
      <DataList<Report>
        testId="reports"
        rows={list.rows}
        rowKey={(row) => `${row.type}/${row.period}`}
        columns={columns}
        cardTitle={(row) => `${typeLabel(row.type)} · ${row.period}`}
        loading={list.loading}
        hasMore={list.hasMore}
        onLoadMore={list.loadMore}
        loadingMore={list.loadingMore}
      />
    </div>
  );
}
