// The provider's hosted pay page, played locally: the attempt's amount and a Pay button that asks the
// payment sandbox (config().sandbox.payUrl) to pay it, which sends the provider's signed callback to the
// API. Without a sandbox (AWS) the provider's own data from the attempt is shown (QR code, redirect).
// Either way the order is polled until it is paid, then the confirmation shows.

import { CheckCircleFilled, SafetyCertificateOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Button, Card, Descriptions, Flex, QRCode, Result, Skeleton, Typography } from 'antd';
import { useNavigate, useParams } from 'react-router-dom';
import { api, unwrap, type Schemas } from '../api/client';
import { Money } from '../components/Money';
import { ProblemAlert } from '../components/ProblemAlert';
import { TONES } from './parts';
import { useI18n } from '../i18n/I18nProvider';
import { PAID_STATES, sandboxPay, sandboxPayUrl } from './payment';

function isUrl(value: unknown): value is string {
  return typeof value === 'string' && /^(https?:|weixin:|alipays?:)/.test(value);
}

/** The provider's data of an attempt: a QR code for a code URL, links for redirects, the rest as text. */
export function ProviderInstructions({ instructions }: { instructions: Record<string, unknown> | null | undefined }) {
  const { t } = useI18n();
  if (!instructions || Object.keys(instructions).length === 0) return <Typography.Text type="secondary">{t('shop.pay.noInstructions')}</Typography.Text>;
  const qr = ['code_url', 'qr_code', 'qrCode'].map((key) => instructions[key]).find((value) => typeof value === 'string') as string | undefined;
  return (
    <Flex vertical gap={12} align="center" data-testid="provider-instructions">
      {qr && <QRCode type="svg" value={qr} aria-label={t('shop.pay.qr')} />}
      <Descriptions
        column={1}
        size="small"
        bordered
        style={{ width: '100%' }}
        items={Object.entries(instructions).map(([key, value]) => ({
          key,
          label: key,
          children: isUrl(value) && /^https?:/.test(value) ? (
            <Typography.Link href={value} target="_blank" rel="noreferrer" style={{ wordBreak: 'break-all' }}>
              {t('shop.pay.openProvider')}
            </Typography.Link>
          ) : (
            <span style={{ wordBreak: 'break-all' }}>{typeof value === 'string' ? value : JSON.stringify(value)}</span>
          ),
        }))}
      />
    </Flex>
  );
}

export function PayPage() {
  const { orderId = '', paymentId = '' } = useParams();
  const { t, dateTime } = useI18n();
  const navigate = useNavigate();
  const client = useQueryClient();
  const pay = useMutation({
    mutationFn: () => sandboxPay(paymentId, {}),
    onSuccess: () => client.invalidateQueries({ queryKey: ['shop', 'order', orderId] }),
  });
  const order = useQuery({
    queryKey: ['shop', 'order', orderId],
    queryFn: async () => unwrap(await api().GET('/orders/{orderId}', { params: { path: { orderId } } })) as Schemas['Order'],
    refetchInterval: (query) => {
      const status = (query.state.data as Schemas['Order'] | undefined)?.status;
      return status && PAID_STATES.includes(status) ? false : pay.isSuccess || !sandboxPayUrl(paymentId) ? 1000 : 5000;
    },
  });
  if (order.isLoading) return <Skeleton active />;
  if (!order.data) return <ProblemAlert error={order.error} />;
  const data = order.data;
  const attempt = data.payment?.attempts.find((item) => item.paymentId === paymentId);
  const paid = PAID_STATES.includes(data.status);

  if (paid) {
    return (
      <Card data-testid="pay-confirmation">
        <Result
          status="success"
          icon={<CheckCircleFilled />}
          title={t('shop.pay.paidTitle')}
          subTitle={
            <span data-testid="paid-order-number">
              {t('shop.pay.paidDetail', { number: data.orderNumber })} <Money value={data.breakdown.total} />
            </span>
          }
          extra={
            <Flex gap={8} justify="center" wrap>
              <Button type="primary" onClick={() => navigate(`/shop/orders/${orderId}`)} data-testid="view-order">
                {t('shop.pay.viewOrder')}
              </Button>
              <Button onClick={() => navigate('/shop')}>{t('shop.pay.keepShopping')}</Button>
            </Flex>
          }
        />
      </Card>
    );
  }
  const sandbox = !!sandboxPayUrl(paymentId) && attempt?.method !== 'bank_transfer';
  return (
    <Flex vertical gap={12}>
      <Card
        title={
          <Flex align="center" gap={8}>
            <SafetyCertificateOutlined style={{ color: '#389e0d' }} />
            <span>{attempt ? t('shop.pay.cashier', { method: t(`enums.paymentMethod.${attempt.method}`) }) : t('shop.pay.title')}</span>
          </Flex>
        }
        data-testid="pay-page"
      >
        <Flex vertical align="center" gap={4} style={{ padding: '12px 0' }}>
          <Typography.Text type="secondary">{t('shop.pay.amount')}</Typography.Text>
          <Typography.Text strong style={{ fontSize: 32 }} data-testid="pay-amount">
            <Money value={attempt?.amount ?? data.payment?.outstanding ?? data.breakdown.total} />
          </Typography.Text>
          <Typography.Text type="secondary">{t('shop.pay.order', { number: data.orderNumber })}</Typography.Text>
          {data.paymentDeadline && (
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {t('shop.pay.deadline')} {dateTime(data.paymentDeadline)}
            </Typography.Text>
          )}
        </Flex>
        {!attempt && <ProblemAlert error={new Error(t('shop.pay.unknownAttempt'))} />}
        {data.status !== 'PENDING_PAYMENT' && <Typography.Paragraph style={{ color: TONES.warn.color }}>{t('shop.pay.notPayable')}</Typography.Paragraph>}
        {sandbox ? (
          <Flex vertical gap={8}>
            <Typography.Paragraph type="secondary" style={{ fontSize: 12, margin: 0 }}>
              {t('shop.pay.sandboxHint')}
            </Typography.Paragraph>
            <ProblemAlert error={pay.error} />
            <Button
              type="primary"
              size="large"
              block
              loading={pay.isPending || (pay.isSuccess && !paid)}
              disabled={!attempt || data.status !== 'PENDING_PAYMENT'}
              onClick={() => pay.mutate()}
              data-testid="sandbox-pay"
            >
              {pay.isSuccess ? t('shop.pay.waiting') : t('shop.pay.pay')}
            </Button>
          </Flex>
        ) : (
          <Flex vertical gap={8}>
            <Typography.Paragraph>{t('shop.pay.providerHint')}</Typography.Paragraph>
            <ProviderInstructions instructions={attempt?.instructions} />
            <Typography.Text type="secondary">{t('shop.pay.waiting')}</Typography.Text>
          </Flex>
        )}
      </Card>
      <Button block onClick={() => navigate(`/shop/orders/${orderId}`)}>
        {t('shop.pay.later')}
      </Button>
    </Flex>
  );
}
