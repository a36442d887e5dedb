// One order for staff: header (number, status, flags, totals), its actions, lines and price breakdown,
// child orders and parcels, payments with the ledger, refunds, after-sales cases, vouchers, notes and the
// merged timeline. Sections sit in two columns on wide screens and stack on phones.

import { ArrowLeftOutlined } from '@ant-design/icons';
import { Alert, Button, Col, Flex, Result, Row, Skeleton, Space, Tag, Typography } from 'antd';
import { Navigate, useNavigate, useParams } from 'react-router-dom';
import { isProblem } from '../../api/problem';
import { Money } from '../../components/Money';
import { PageHeader } from '../../components/PageHeader';
import { ProblemAlert } from '../../components/ProblemAlert';
import { StatusTag } from '../../components/StatusTag';
import { useI18n } from '../../i18n/I18nProvider';
import { ChildOrderRedirect, hasVirtual, useOrder, useOrderFlags } from './api';
import { OrderActions } from './OrderActions';
import {
  AfterSalesSection, BreakdownSection, LinesSection, NotesSection, PaymentsSection, RefundsSection, ShipmentsSection,
  SummarySection, TimelineSection, VouchersSection,
} from './sections';

export function OrderDetailPage() {
  const { orderId = '' } = useParams();
  const { t, dateTime } = useI18n();
  const navigate = useNavigate();
  const order = useOrder(orderId);
  const flags = useOrderFlags(order.data?.orderNumber);

  if (order.error instanceof ChildOrderRedirect) return <Navigate to={`/orders/${order.error.orderId}`} replace />;
  if (order.error) {
    if (isProblem(order.error) && order.error.status === 404) {
      return <Result status="404" title={t('orders.detail.notFound')} extra={<Button onClick={() => navigate('/orders')}>{t('orders.detail.back')}</Button>} />;
    }
    return <ProblemAlert error={order.error} />;
  }
  if (!order.data) return <Skeleton active />;
  const data = order.data;
  const held = flags.data ?? [];

  return (
    <div data-testid="order-detail-page" data-order-id={data.orderId}>
      <Button type="link" icon={<ArrowLeftOutlined />} onClick={() => navigate(-1)} style={{ paddingInline: 0 }}>
        {t('orders.detail.back')}
      </Button>
      <PageHeader
        title={
          <Flex gap={8} align="center" wrap>
            <span data-testid="order-number">{t('orders.detail.title', { number: data.orderNumber })}</span>
            <StatusTag status={data.status} />
            {held.map((flag) => (
              <Tag key={flag} color={flag === 'special' ? 'gold' : 'red'} data-testid="order-flag" data-flag={flag}>
                {t(`orders.flag.${flag}`)}
              </Tag>
            ))}
          </Flex>
        }
        sub={
          <Space wrap size={16}>
            <span>{dateTime(data.createdAt)}</span>
            <span>
              {t('orders.field.total')}: <Money value={data.breakdown.total} strong />
            </span>
            {data.payment && data.payment.outstanding.amount > 0 && (
              <span>
                {t('orders.payments.outstanding')}: <Money value={data.payment.outstanding} />
              </span>
            )}
            <Typography.Text type="secondary" copyable={{ text: data.orderId }}>
              {data.orderId}
            </Typography.Text>
          </Space>
        }
      />
      <div style={{ marginBottom: 16 }}>
        <OrderActions order={data} flags={held} />
      </div>
      {data.status === 'ON_HOLD' && (
        <Alert
          type="warning"
          showIcon
          style={{ marginBottom: 16 }}
          title={t('orders.detail.onHold')}
          description={holdReason(data, held, t)}
          data-testid="hold-alert"
        />
      )}
      {data.notCancelled && data.notCancelled.length > 0 && (
        <Alert
          type="warning"
          showIcon
          style={{ marginBottom: 16 }}
          title={t('orders.detail.notCancelled')}
          description={data.notCancelled.map((item) => `${item.childOrderId}: ${item.detail}`).join('; ')}
        />
      )}
      <Row gutter={[16, 0]}>
        <Col xs={24} lg={16}>
          <LinesSection order={data} />
          <ShipmentsSection order={data} />
          <PaymentsSection order={data} />
          <RefundsSection order={data} />
          <AfterSalesSection order={data} />
          {hasVirtual(data) && <VouchersSection order={data} />}
        </Col>
        <Col xs={24} lg={8}>
          <SummarySection order={data} />
          <BreakdownSection order={data} />
          <NotesSection order={data} />
          <TimelineSection order={data} />
        </Col>
      </Row>
    </div>
  );
}

/** Why the order is held: the last history entry into ON_HOLD names it. */
function holdReason(order: ReturnType<typeof useOrder>['data'] & object, flags: string[], t: (key: string) => string): string {
  const entry = [...order.history].reverse().find((item) => item.to === 'ON_HOLD');
  const kind = flags.includes('risk-review') ? t('orders.flag.risk-review') : flags.includes('abnormal') ? t('orders.flag.abnormal') : '';
  return [kind, entry?.reason, entry ? `${entry.by}` : ''].filter(Boolean).join(' · ');
}
