// The after-sales desk: the queue of cases waiting on a step with a deadline (earliest first, overdue
// ones flagged), and the list of every case by status, type, reason, store and creation time.

import { DatePicker, Form, Input, Segmented, Select, Switch, type TableColumnsType } from 'antd';
import type { Dayjs } from 'dayjs';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { api, unwrap } from '../../api/client';
import { DataList } from '../../components/DataList';
import { FilterPanel } from '../../components/FilterPanel';
import { Money } from '../../components/Money';
import { PageHeader } from '../../components/PageHeader';
import { ProblemAlert } from '../../components/ProblemAlert';
import { StatusTag } from '../../components/StatusTag';
import { useI18n } from '../../i18n/I18nProvider';
import { useCursorList } from '../../api/useCursorList';
import type { Case, CaseStep } from './caseLogic';
import { CASE_REASONS, CASE_STATUSES, CASE_STEPS, CASE_TYPES, Deadline, useLabels } from './parts';

type Mode = 'queue' | 'all';

interface QueueFilters {
  overdue?: boolean;
  waitingFor?: CaseStep;
}

interface ListFilters {
  status?: Case['status'];
  type?: Case['type'];
  reason?: Case['reason'];
  storeId?: string;
  created?: [Dayjs, Dayjs] | null;
}

function count(values: object): number {
  return Object.values(values).filter((value) => value !== undefined && value !== null && value !== '' && value !== false).length;
}

export function QueuePage() {
  const { t } = useI18n();
  const [mode, setMode] = useState<Mode>('queue');
  return (
    <div data-testid="after-sales-page">
      <PageHeader
        title={t('aftersales.title')}
        extra={
          <Segmented<Mode>
            value={mode}
            onChange={setMode}
            data-testid="after-sales-mode"
            options={[
              { value: 'queue', label: t('aftersales.modeQueue') },
              { value: 'all', label: t('aftersales.modeAll') },
            ]}
          />
        }
      />
      {mode === 'queue' ? <Queue /> : <AllCases />}
    </div>
  );
}

function useColumns(): TableColumnsType<Case> {
  const { t, dateTime } = useI18n();
  const labels = useLabels();
  return [
    { key: 'caseId', title: t('aftersales.case'), render: (_, row) => <Link to={`/after-sales/${row.caseId}`}>{row.caseId}</Link> },
    { key: 'order', title: t('aftersales.order'), render: (_, row) => <Link to={`/orders/${row.orderId}`}>{row.childOrderId}</Link> },
    { key: 'type', title: t('aftersales.typeLabel'), render: (_, row) => labels.type(row.type) },
    { key: 'reason', title: t('aftersales.reasonLabel'), render: (_, row) => labels.reason(row.reason) },
    { key: 'status', title: t('aftersales.status'), render: (_, row) => <StatusTag status={row.status} /> },
    { key: 'waitingFor', title: t('aftersales.waitingFor'), render: (_, row) => labels.step(row.waitingFor) },
    { key: 'deadline', title: t('aftersales.deadline'), render: (_, row) => <Deadline deadline={row.deadline} /> },
    { key: 'amount', title: t('aftersales.amount'), align: 'right', render: (_, row) => <Money value={row.amount} /> },
    { key: 'store', title: t('aftersales.store'), dataIndex: 'storeId' },
    { key: 'createdAt', title: t('aftersales.createdAt'), render: (_, row) => dateTime(row.createdAt) },
  ];
}

function Queue() {
  const { t } = useI18n();
  const labels = useLabels();
  const navigate = useNavigate();
  const [form] = Form.useForm<QueueFilters>();
  const [filters, setFilters] = useState<QueueFilters>({});
  const list = useCursorList<Case>(['after-sales', 'queue', filters], async (cursor) =>
    unwrap(
      await api().GET('/after-sales/queue', {
        params: { query: { overdue: filters.overdue || undefined, waitingFor: filters.waitingFor, cursor, limit: 20 } },
      }),
    ),
  );
  const columns = useColumns();
  return (
    <>
      <FilterPanel<QueueFilters> form={form} onApply={(values) => setFilters({ ...values })} active={count(filters)}>
        <Form.Item name="waitingFor" label={t('aftersales.waitingFor')}>
          <Select
            allowClear
            style={{ minWidth: 180 }}
            data-testid="filter-waiting-for"
            options={CASE_STEPS.map((step) => ({ value: step, label: labels.step(step) }))}
          />
        </Form.Item>
        <Form.Item name="overdue" label={t('aftersales.overdueOnly')} valuePropName="checked">
          <Switch data-testid="filter-overdue" />
        </Form.Item>
      </FilterPanel>
      <ProblemAlert error={list.error} style={{ marginBottom: 12 }} />
      <DataList<Case>
        testId="after-sales-queue"
        rows={list.rows}
        rowKey={(row) => row.caseId}
        columns={columns}
        cardTitle={(row) => <Link to={`/after-sales/${row.caseId}`}>{row.caseId}</Link>}
        loading={list.loading}
        hasMore={list.hasMore}
        onLoadMore={list.loadMore}
        loadingMore={list.loadingMore}
        onOpen={(row) => navigate(`/after-sales/${row.caseId}`)}
      />
    </>
  );
}

function AllCases() {
  const { t } = useI18n();
  const labels = useLabels();
  const navigate = useNavigate();
  const [form] = Form.useForm<ListFilters>();
  const [filters, setFilters] = useState<ListFilters>({});
  const list = useCursorList<Case>(['after-sales', 'list', filters], async (cursor) =>
    unwrap(
      await api().GET('/after-sales', {
        params: {
          query: {
            status: filters.status,
            type: filters.type,
            reason: filters.reason,
            storeId: filters.storeId?.trim() || undefined,
            createdFrom: filters.created?.[0]?.startOf('day').toISOString(),
            createdTo: filters.created?.[1]?.endOf('day').toISOString(),
            cursor,
            limit: 20,
          },
        },
      }),
    ),
  );
  const columns = useColumns();
  return (
    <>
      <FilterPanel<ListFilters> form={form} onApply={(values) => setFilters({ ...values })} active={count(filters)}>
        <Form.Item name="status" label={t('aftersales.status')}>
          <Select
            allowClear
            style={{ minWidth: 160 }}
            placeholder={t('aftersales.statusDefault')}
            data-testid="filter-status"
            options={CASE_STATUSES.map((status) => ({ value: status, label: t(`status.${status}`) }))}
          />
        </Form.Item>
        <Form.Item name="type" label={t('aftersales.typeLabel')}>
          <Select allowClear style={{ minWidth: 150 }} options={CASE_TYPES.map((type) => ({ value: type, label: labels.type(type) }))} />
        </Form.Item>
        <Form.Item name="reason" label={t('aftersales.reasonLabel')}>
          <Select allowClear style={{ minWidth: 160 }} options={CASE_REASONS.map((reason) => ({ value: reason, label: labels.reason(reason) }))} />
        </Form.Item>
        <Form.Item name="storeId" label={t('aftersales.store')}>
          <Input allowClear style={{ width: 140 }} />
        </Form.Item>
        <Form.Item name="created" label={t('aftersales.createdAt')}>
          <DatePicker.RangePicker />
        </Form.Item>
      </FilterPanel>
      <ProblemAlert error={list.error} style={{ marginBottom: 12 }} />
      <DataList<Case>
        testId="after-sales-list"
        rows={list.rows}
        rowKey={(row) => row.caseId}
        columns={columns}
        cardTitle={(row) => <Link to={`/after-sales/${row.caseId}`}>{row.caseId}</Link>}
        loading={list.loading}
        hasMore={list.hasMore}
        onLoadMore={list.loadMore}
        loadingMore={list.loadingMore}
        onOpen={(row) => navigate(`/after-sales/${row.caseId}`)}
      />
    </>
  );
}
