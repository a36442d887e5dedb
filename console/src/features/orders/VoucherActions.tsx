// The staff actions on an order's virtual-goods vouchers (docs/channels.md "Voucher states"): reveal the
// codes and links in clear (audited, with a reason; shown once in a modal, never cached), activate a
// service waiting for staff, freeze / unfreeze, reject. Each shows only when the role passes its route's
// edge and some voucher is in a state the move accepts; the modal lists those vouchers to choose from.

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { App, Button, Checkbox, Flex, Form, Input, List, Modal, Typography } from 'antd';
import { useState } from 'react';
import { api, unwrap, type Schemas } from '../../api/client';
import { useSession } from '../../auth/SessionProvider';
import type { RouteKey } from '../../auth/permissions';
import { ProblemAlert } from '../../components/ProblemAlert';
import { StatusTag } from '../../components/StatusTag';
import { useI18n } from '../../i18n/I18nProvider';
import { ActionModal } from './ActionModal';

type Voucher = Schemas['Voucher'];
type VoucherState = Schemas['VoucherState'];

export type VoucherMove = 'activate' | 'freeze' | 'unfreeze' | 'reject';

const OPEN: VoucherState[] = ['PENDING_REDEMPTION', 'PENDING_VERIFICATION', 'PENDING_ACTIVATION', 'ACTIVE'];

/** Each move: its route, the states it moves a voucher from, and whether the body takes a reason. */
export const MOVES: Record<VoucherMove, { route: RouteKey; from: readonly VoucherState[]; reason: boolean; danger?: boolean }> = {
  activate: { route: 'POST /orders/{orderId}/vouchers/activate', from: ['PENDING_ACTIVATION'], reason: false },
  freeze: { route: 'POST /orders/{orderId}/vouchers/freeze', from: OPEN, reason: true },
  unfreeze: { route: 'POST /orders/{orderId}/vouchers/unfreeze', from: ['FROZEN'], reason: true },
  reject: {
    route: 'POST /orders/{orderId}/vouchers/reject',
    from: ['PENDING_REDEMPTION', 'PENDING_VERIFICATION', 'PENDING_ACTIVATION', 'FROZEN'],
    reason: true,
    danger: true,
  },
};

export const MOVE_ORDER: VoucherMove[] = ['activate', 'freeze', 'unfreeze', 'reject'];

/** The vouchers a move can act on. */
export function movable(move: VoucherMove, vouchers: readonly Voucher[]): Voucher[] {
  return vouchers.filter((voucher) => MOVES[move].from.includes(voucher.state));
}

/** Whether revealing makes sense: a code or link that still works (a revoked unit's code is dead). */
export function revealable(vouchers: readonly Voucher[]): boolean {
  return vouchers.some((voucher) => voucher.kind !== 'service' && voucher.state !== 'REVOKED');
}

/** The body of a move with a reason: the chosen vouchers (always named, never "all") and the reason. */
export function moveBody(values: { voucherIds: string[]; reason?: string }): Schemas['VoucherActionIn'] {
  return { voucherIds: values.voucherIds, reason: (values.reason ?? '').trim() };
}

function voucherLabel(voucher: Voucher): string {
  const shown = voucher.masked ?? voucher.voucherId;
  return `#${voucher.lineNo} ${voucher.skuId} · ${shown}`;
}

async function postMove(move: VoucherMove, orderId: string, values: { voucherIds: string[]; reason?: string }) {
  const params = { path: { orderId } };
  switch (move) {
    case 'activate':
      return unwrap(await api().POST('/orders/{orderId}/vouchers/activate', { params, body: { voucherIds: values.voucherIds } }));
    case 'freeze':
      return unwrap(await api().POST('/orders/{orderId}/vouchers/freeze', { params, body: moveBody(values) }));
    case 'unfreeze':
      return unwrap(await api().POST('/orders/{orderId}/vouchers/unfreeze', { params, body: moveBody(values) }));
    case 'reject':
      return unwrap(await api().POST('/orders/{orderId}/vouchers/reject', { params, body: moveBody(values) }));
  }
}

function MoveAction({ move, orderId, vouchers }: { move: VoucherMove; orderId: string; vouchers: Voucher[] }) {
  const { t } = useI18n();
  const client = useQueryClient();
  const spec = MOVES[move];
  return (
    <ActionModal<{ voucherIds: string[]; reason?: string }, Schemas['Delivery']>
      testId={`voucher-${move}`}
      label={t(`orders.vouchers.actions.${move}`)}
      title={t(`orders.vouchers.actions.${move}Title`)}
      button={{ size: 'small', danger: spec.danger }}
      initialValues={{ voucherIds: vouchers.map((voucher) => voucher.voucherId) }}
      submit={(values) => postMove(move, orderId, values)}
      success={() => t(`orders.vouchers.actions.${move}Done`)}
      onDone={() => void client.invalidateQueries({ queryKey: ['orders', orderId, 'vouchers'] })}
    >
      <Typography.Paragraph type="secondary">{t(`orders.vouchers.actions.${move}Help`)}</Typography.Paragraph>
      <Form.Item
        name="voucherIds"
        label={t('orders.vouchers.choose')}
        rules={[{ required: true, type: 'array', min: 1, message: t('orders.vouchers.chooseOne') }]}
      >
        <Checkbox.Group style={{ width: '100%' }} data-testid={`voucher-${move}-choices`}>
          <Flex vertical gap={4} style={{ maxHeight: 240, overflowY: 'auto', width: '100%' }}>
            {vouchers.map((voucher) => (
              <Checkbox key={voucher.voucherId} value={voucher.voucherId} style={{ wordBreak: 'break-all' }}>
                {voucherLabel(voucher)} <StatusTag status={voucher.state} />
              </Checkbox>
            ))}
          </Flex>
        </Checkbox.Group>
      </Form.Item>
      {spec.reason && (
        <Form.Item name="reason" label={t('common.reason')} rules={[{ required: true, whitespace: true, max: 500 }]}>
          <Input.TextArea rows={2} maxLength={500} data-testid={`voucher-${move}-reason`} />
        </Form.Item>
      )}
    </ActionModal>
  );
}

/**
 * Reveal the codes and links in clear. The answer lives only in this component's mutation (gcTime 0,
 * reset when the modal closes, the modal's content destroyed): it never enters the query cache.
 */
export function RevealVouchers({ orderId }: { orderId: string }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const client = useQueryClient();
  const [form] = Form.useForm<{ reason: string }>();
  const [open, setOpen] = useState(false);
  const reveal = useMutation({
    gcTime: 0,
    mutationFn: async (reason: string) =>
      unwrap(await api().POST('/orders/{orderId}/vouchers/reveal', { params: { path: { orderId } }, body: { reason } })),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: ['orders', orderId, 'vouchers'] });
      await client.invalidateQueries({ queryKey: ['orders', orderId, 'timeline'] });
    },
  });
  const close = () => {
    setOpen(false);
    reveal.reset();
    form.resetFields();
  };
  const shown = (reveal.data?.vouchers ?? []).filter((voucher) => voucher.code || voucher.url);
  const all = shown.map((voucher) => voucher.code ?? voucher.url).join('\n');
  const copyAll = async () => {
    try {
      await navigator.clipboard.writeText(all);
      message.success(t('orders.vouchers.reveal.copied'));
    } catch {
      message.error(t('orders.vouchers.reveal.copyFailed'));
    }
  };
  return (
    <>
      <Button
        size="small"
        data-testid="voucher-reveal"
        onClick={() => {
          reveal.reset();
          form.resetFields();
          setOpen(true);
        }}
      >
        {t('orders.vouchers.reveal.button')}
      </Button>
      <Modal
        open={open}
        title={t('orders.vouchers.reveal.title')}
        onCancel={close}
        destroyOnHidden
        footer={
          reveal.data ? (
            <Flex gap={8} justify="end" wrap>
              <Button onClick={copyAll} disabled={!all} data-testid="voucher-reveal-copy-all">
                {t('orders.vouchers.reveal.copyAll')}
              </Button>
              <Button type="primary" onClick={close} data-testid="voucher-reveal-close">
                {t('common.close')}
              </Button>
            </Flex>
          ) : (
            <Flex gap={8} justify="end" wrap>
              <Button onClick={close}>{t('common.cancel')}</Button>
              <Button type="primary" loading={reveal.isPending} onClick={() => form.submit()} data-testid="voucher-reveal-submit">
                {t('orders.vouchers.reveal.submit')}
              </Button>
            </Flex>
          )
        }
      >
        {reveal.data ? (
          <div data-testid="voucher-revealed">
            <Typography.Paragraph type="secondary">{t('orders.vouchers.reveal.shown')}</Typography.Paragraph>
            {shown.length === 0 ? (
              <Typography.Text>{t('orders.vouchers.reveal.none')}</Typography.Text>
            ) : (
              <List
                size="small"
                dataSource={shown}
                rowKey={(voucher) => voucher.voucherId}
                renderItem={(voucher) => (
                  <List.Item data-testid="voucher-revealed-item" data-voucher={voucher.voucherId}>
                    <Flex vertical gap={2} style={{ width: '100%', minWidth: 0 }}>
                      <Flex gap={6} wrap align="center">
                        <Typography.Text type="secondary">{t(`orders.vouchers.kinds.${voucher.kind}`)}</Typography.Text>
                        <StatusTag status={voucher.state} />
                      </Flex>
                      {voucher.code && (
                        <Typography.Text
                          code
                          copyable={{ text: voucher.code, tooltips: [t('orders.vouchers.reveal.copy'), t('orders.vouchers.reveal.copied')] }}
                          style={{ wordBreak: 'break-all' }}
                          data-testid="voucher-revealed-code"
                        >
                          {voucher.code}
                        </Typography.Text>
                      )}
                      {voucher.url && (
                        <Typography.Text
                          copyable={{ text: voucher.url, tooltips: [t('orders.vouchers.reveal.copy'), t('orders.vouchers.reveal.copied')] }}
                          style={{ wordBreak: 'break-all' }}
                          data-testid="voucher-revealed-url"
                        >
                          {voucher.url}
                        </Typography.Text>
                      )}
                    </Flex>
                  </List.Item>
                )}
              />
            )}
          </div>
        ) : (
          <Form<{ reason: string }>
            form={form}
            layout="vertical"
            onFinish={(values) => reveal.mutate(values.reason.trim())}
            data-testid="voucher-reveal-form"
          >
            <Typography.Paragraph type="secondary">{t('orders.vouchers.reveal.help')}</Typography.Paragraph>
            <Form.Item name="reason" label={t('common.reason')} rules={[{ required: true, whitespace: true, max: 500 }]}>
              <Input.TextArea rows={2} maxLength={500} data-testid="voucher-reveal-reason" />
            </Form.Item>
            <ProblemAlert error={reveal.error} />
          </Form>
        )}
      </Modal>
    </>
  );
}

/** The actions row of the vouchers section (nothing when no action applies). */
export function VoucherActions({ orderId, vouchers }: { orderId: string; vouchers: Voucher[] }) {
  const { can } = useSession();
  const moves = MOVE_ORDER.map((move) => ({ move, targets: movable(move, vouchers) })).filter(
    ({ move, targets }) => can(MOVES[move].route) && targets.length > 0,
  );
  const mayReveal = can('POST /orders/{orderId}/vouchers/reveal') && revealable(vouchers);
  if (!mayReveal && moves.length === 0) return null;
  return (
    <Flex gap={8} wrap style={{ marginBottom: 12 }} data-testid="voucher-actions">
      {mayReveal && <RevealVouchers orderId={orderId} />}
      {moves.map(({ move, targets }) => (
        <MoveAction key={move} move={move} orderId={orderId} vouchers={targets} />
      ))}
    </Flex>
  );
}
