// 每日检查: seed 004's daily checklist (GET /daily-checks): each channel store's balance against the
// channel's figure at its latest sync, the orders that need attention and the latest findings.

import { useQuery } from '@tanstack/react-query';
import { Button, Card, Col, Flex, Row, Statistic, Table, Tabs, Tag, Typography, type TableColumnsType } from 'antd';
import { Link } from 'react-router-dom';
import { api, unwrap, type Schemas } from '../../api/client';
import { Money } from '../../components/Money';
import { PageHeader } from '../../components/PageHeader';
import { ProblemAlert } from '../../components/ProblemAlert';
import { StatusTag } from '../../components/StatusTag';
import { useI18n } from '../../i18n/I18nProvider';

const ATTENTION = ['pendingDelivery', 'pendingRedemption', 'pendingVerification', 'pendingAfterSales', 'frozen', 'rejected'] as const;

export function DailyChecksPage() {
  const { t, dateTime } = useI18n();
  const checks = useQuery({
    queryKey: ['daily-checks'],
    queryFn: async () => unwrap(await api().GET('/daily-checks')),
  });
  const data = checks.data;
  const balanceColumns: TableColumnsType<Schemas['ChannelBalanceCheck']> = [
    { key: 'name', title: t('channels.stores.name'), dataIndex: 'name' },
    { key: 'status', title: t('channels.stores.status'), render: (_, row) => <StatusTag status={row.status} /> },
    { key: 'balance', title: t('channels.daily.ours'), render: (_, row) => <Money value={row.balance} /> },
    { key: 'channel', title: t('channels.daily.theirs'), render: (_, row) => <Money value={row.channelBalance} /> },
    { key: 'difference', title: t('channels.daily.difference'), render: (_, row) => <Money value={row.difference} /> },
    {
      key: 'matches',
      title: t('channels.daily.check'),
      render: (_, row) => (
        <Flex gap={4} wrap>
          {row.matches === null ? <Tag>{t('channels.daily.notSynced')}</Tag> : row.matches ? <Tag color="green">{t('channels.daily.matches')}</Tag> : <Tag color="red">{t('channels.daily.mismatch')}</Tag>}
          {row.stale && <Tag color="orange">{t('channels.daily.stale')}</Tag>}
        </Flex>
      ),
    },
    { key: 'syncedAt', title: t('channels.stores.lastSync'), render: (_, row) => dateTime(row.syncedAt) },
  ];
  const orderColumns: TableColumnsType<Schemas['EcomOrder']> = [
    { key: 'order', title: t('channels.ecom.order'), render: (_, row) => <Link to={`/orders/${row.orderId}`}>{row.orderNumber}</Link> },
    { key: 'source', title: t('channels.ecom.source'), render: (_, row) => t(`channels.ecom.sources.${row.source}`) },
    { key: 'channelOrderNo', title: t('channels.ecom.channelOrderNo'), render: (_, row) => row.channelOrderNo ?? '—' },
    { key: 'products', title: t('channels.ecom.products'), render: (_, row) => row.products.map((product) => `${product.name} × ${product.quantity}`).join('; ') },
    { key: 'since', title: t('channels.daily.since'), render: (_, row) => dateTime(row.stageSince) },
    { key: 'reason', title: t('channels.ecom.reason'), render: (_, row) => row.reason ?? '—' },
  ];
  return (
    <>
      <PageHeader
        title={t('channels.daily.title')}
        sub={data ? t('channels.daily.at', { at: dateTime(data.at) }) : undefined}
        extra={
          <Button onClick={() => void checks.refetch()} loading={checks.isFetching}>
            {t('common.refresh')}
          </Button>
        }
      />
      <ProblemAlert error={checks.error} style={{ marginBottom: 12 }} />
      {data && (
        <Flex vertical gap={16}>
          <Row gutter={[12, 12]} data-testid="daily-counts">
            {(['storesMismatched', 'storesStale', 'storesDisabled', ...ATTENTION, 'findings'] as const).map((key) => (
              <Col key={key} xs={12} sm={8} lg={4}>
                <Card size="small">
                  <Statistic title={t(`channels.daily.counts.${key}`)} value={data.counts[key]} />
                </Card>
              </Col>
            ))}
          </Row>
          <Card title={t('channels.daily.balances')}>
            <Table size="small" rowKey="storeId" dataSource={data.channelBalances} columns={balanceColumns} pagination={false} scroll={{ x: 'max-content' }} data-testid="daily-balances" />
          </Card>
          <Card title={t('channels.daily.attention')}>
            <Typography.Paragraph type="secondary">{t('channels.daily.attentionHint')}</Typography.Paragraph>
            <Tabs
              items={ATTENTION.map((key) => ({
                key,
                label: `${t(`channels.daily.counts.${key}`)} (${data.counts[key]})`,
                children: <Table size="small" rowKey="orderId" dataSource={data.attention[key]} columns={orderColumns} pagination={false} scroll={{ x: 'max-content' }} />,
              }))}
            />
          </Card>
          <Card title={t('channels.daily.findings')}>
            <Table
              size="small"
              rowKey="findingId"
              dataSource={data.attention.findings}
              pagination={false}
              scroll={{ x: 'max-content' }}
              columns={[
                { key: 'at', title: t('channels.findings.at'), render: (_, row) => dateTime(row.at) },
                { key: 'store', title: t('channels.ecom.store'), dataIndex: 'storeId' },
                { key: 'kind', title: t('channels.findings.kind'), render: (_, row) => t(`channels.findings.kinds.${row.kind === 'balance' || row.kind === 'account' ? row.kind : 'other'}`) },
              ]}
            />
          </Card>
        </Flex>
      )}
    </>
  );
}
