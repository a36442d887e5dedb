// 促销活动: promotions (GET /promotions by store and status), a new one or an edit (POST / PUT with
// If-Match) of each kind — spend and save, percent off, buy X get Y, free shipping — and ending one
// (DELETE, kept for history).

import { MinusCircleOutlined, PlusOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { App, Button, Flex, Form, Input, InputNumber, Modal, Select, Space, Switch, Tag, Typography, type TableColumnsType } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useState } from 'react';
import { useStoreCurrency } from './fields';
import { api, unwrap, type Schemas } from '../../api/client';
import { useSession } from '../../auth/SessionProvider';
import { DataList } from '../../components/DataList';
import { FilterPanel } from '../../components/FilterPanel';
import { PageHeader } from '../../components/PageHeader';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useI18n } from '../../i18n/I18nProvider';
import { ifMatch, useStore } from '../catalogue/shared';
import { amountRules, percentRules, ScopeFields, WindowFields } from './fields';
import { describeBenefit, promotionFormToBody, promotionToForm, type PromotionFormValues, type PromotionKind } from './rules';

type Promotion = Schemas['Promotion'];
export const PROMOTION_KINDS: PromotionKind[] = ['spend_and_save', 'percent_off', 'buy_x_get_y', 'free_shipping'];

type FormShape = Omit<PromotionFormValues, 'startsAt' | 'endsAt'> & { startsAt: Dayjs; endsAt?: Dayjs | null };

export function WindowStateTag({ state }: { state: Schemas['WindowState'] }) {
  const { t } = useI18n();
  const color = state === 'active' ? 'green' : state === 'not_started' ? 'gold' : 'default';
  return <Tag color={color}>{t(`marketing.windowState.${state}`)}</Tag>;
}

export function PromotionsPage() {
  const { t, dateTime, money } = useI18n();
  const { can } = useSession();
  const { modal, message } = App.useApp();
  const client = useQueryClient();
  const [filters, setFilters] = useState<{ storeId?: string; status?: 'ACTIVE' | 'ENDED' }>({ status: 'ACTIVE' });
  const [form] = Form.useForm<{ storeId?: string; status?: 'ACTIVE' | 'ENDED' }>();
  const [editing, setEditing] = useState<{ promotion?: Promotion } | null>(null);
  const list = useQuery({
    queryKey: ['promotions', filters],
    queryFn: async () => unwrap(await api().GET('/promotions', { params: { query: filters } })),
  });
  const end = useMutation({
    mutationFn: async (promotion: Promotion) =>
      unwrap(
        await api().DELETE('/promotions/{promotionId}', {
          params: { path: { promotionId: promotion.promotionId }, header: { 'If-Match': ifMatch(promotion.version) } },
          body: null,
        }),
      ),
    onSuccess: () => {
      message.success(t('marketing.promotions.ended'));
      void client.invalidateQueries({ queryKey: ['promotions'] });
    },
  });
  const columns: TableColumnsType<Promotion> = [
    { key: 'name', title: t('marketing.name'), render: (_, row) => <span data-testid="promotion-name">{row.name}</span> },
    { key: 'kind', title: t('marketing.kind'), render: (_, row) => t(`marketing.promotionKind.${row.kind}`) },
    { key: 'rule', title: t('marketing.rule'), render: (_, row) => describeBenefit(row.kind, row.rule, t, money) },
    { key: 'scope', title: t('marketing.scope.title'), render: (_, row) => row.scope.storeId ?? t('marketing.scope.platform') },
    { key: 'window', title: t('marketing.window.title'), render: (_, row) => `${dateTime(row.window.startsAt)} – ${row.window.endsAt ? dateTime(row.window.endsAt) : t('marketing.window.open')}` },
    { key: 'state', title: t('marketing.state'), render: (_, row) => (row.status === 'ENDED' ? <Tag>{t('marketing.status.ENDED')}</Tag> : <WindowStateTag state={row.windowState} />) },
    { key: 'priority', title: t('marketing.priority'), dataIndex: 'priority' },
    {
      key: 'actions',
      title: t('common.actions'),
      render: (_, row) =>
        row.status === 'ACTIVE' && can('PUT /promotions/{promotionId}') ? (
          <Space wrap>
            <Button size="small" onClick={() => setEditing({ promotion: row })} data-testid="promotion-edit">
              {t('common.edit')}
            </Button>
            <Button
              size="small"
              danger
              onClick={() =>
                modal.confirm({
                  title: t('marketing.promotions.endConfirm', { name: row.name }),
                  okText: t('marketing.promotions.end'),
                  cancelText: t('common.cancel'),
                  onOk: () => end.mutateAsync(row),
                })
              }
            >
              {t('marketing.promotions.end')}
            </Button>
          </Space>
        ) : null,
    },
  ];
  return (
    <>
      <PageHeader
        title={t('marketing.promotions.title')}
        extra={
          can('POST /promotions') && (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing({})} data-testid="promotion-create">
              {t('marketing.promotions.create')}
            </Button>
          )
        }
      />
      <FilterPanel
        form={form}
        initialValues={{ status: 'ACTIVE' }}
        active={(filters.storeId ? 1 : 0) + (filters.status ? 1 : 0)}
        onApply={(values) => setFilters({ storeId: values.storeId?.trim() || undefined, status: values.status || undefined })}
      >
        <Form.Item name="storeId" label={t('marketing.scope.store')}>
          <Input allowClear style={{ minWidth: 120 }} />
        </Form.Item>
        <Form.Item name="status" label={t('marketing.statusLabel')}>
          <Select allowClear style={{ minWidth: 140 }} options={(['ACTIVE', 'ENDED'] as const).map((value) => ({ value, label: t(`marketing.status.${value}`) }))} />
        </Form.Item>
      </FilterPanel>
      <ProblemAlert error={list.error ?? end.error} style={{ marginBottom: 12 }} />
      <DataList<Promotion>
        testId="promotions-list"
        rows={list.data?.items ?? []}
        rowKey={(row) => row.promotionId}
        columns={columns}
        loading={list.isLoading}
        cardTitle={(row) => row.name}
      />
      {editing && <PromotionModal promotion={editing.promotion} onClose={() => setEditing(null)} />}
    </>
  );
}

function PromotionModal({ promotion, onClose }: { promotion?: Promotion; onClose: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const client = useQueryClient();
  const [form] = Form.useForm<FormShape>();
  const kind = (Form.useWatch('kind', form) ?? promotion?.kind ?? 'spend_and_save') as PromotionKind;
  const currency = (Form.useWatch('currency', form) as string | undefined) ?? 'CNY';
  const storeId = Form.useWatch('storeId', form) as string | undefined;
  const store = useStore(storeId?.trim() || undefined);
  useStoreCurrency(form, store.data);
  const initial: Partial<FormShape> = promotion
    ? (() => {
        const values = promotionToForm(promotion);
        return { ...values, startsAt: dayjs(values.startsAt), endsAt: values.endsAt ? dayjs(values.endsAt) : null };
      })()
    : { kind: 'spend_and_save', currency: 'CNY', storeId: 'demo', startsAt: dayjs(), priority: 0, allowCoupons: true, tiers: [{ threshold: '', off: '' }], buy: 2, get: 1 };
  const save = useMutation({
    mutationFn: async (values: FormShape) => {
      const body = promotionFormToBody({ ...values, startsAt: values.startsAt.toISOString(), endsAt: values.endsAt ? values.endsAt.toISOString() : null });
      if (promotion)
        return unwrap(
          await api().PUT('/promotions/{promotionId}', {
            params: { path: { promotionId: promotion.promotionId }, header: { 'If-Match': ifMatch(promotion.version) } },
            body,
          }),
        );
      return unwrap(await api().POST('/promotions', { body }));
    },
    onSuccess: (saved) => {
      message.success(t('marketing.promotions.saved', { name: saved.name }));
      void client.invalidateQueries({ queryKey: ['promotions'] });
      onClose();
    },
  });
  return (
    <Modal
      open
      width={720}
      title={promotion ? t('marketing.promotions.edit', { name: promotion.name }) : t('marketing.promotions.create')}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('common.save')}
      cancelText={t('common.cancel')}
      confirmLoading={save.isPending}
      okButtonProps={{ 'data-testid': 'promotion-submit' } as Record<string, string>}
      destroyOnHidden
    >
      <Form
        form={form}
        layout="vertical"
        initialValues={initial}
        onFinish={(values) => save.mutate(values)}
        data-testid="promotion-form"
      >
        <Form.Item name="name" label={t('marketing.name')} rules={[{ required: true, message: t('marketing.required') }]}>
          <Input maxLength={200} data-testid="promotion-name-input" />
        </Form.Item>
        <Form.Item name="kind" label={t('marketing.kind')}>
          <Select disabled={!!promotion} options={PROMOTION_KINDS.map((value) => ({ value, label: t(`marketing.promotionKind.${value}`) }))} data-testid="promotion-kind" />
        </Form.Item>
        <Typography.Paragraph type="secondary">{t(`marketing.promotionHint.${kind}`)}</Typography.Paragraph>
        {kind === 'spend_and_save' && (
          <Form.List name="tiers">
            {(fields, { add, remove }) => (
              <>
                {fields.map((field, index) => (
                  <Flex key={field.key} gap={8} align="baseline" wrap>
                    <Form.Item name={[field.name, 'threshold']} label={t('marketing.tier.threshold', { currency })} rules={amountRules(t, currency, { zero: true })}>
                      <Input inputMode="decimal" data-testid={`tier-threshold-${index}`} />
                    </Form.Item>
                    <Form.Item name={[field.name, 'off']} label={t('marketing.tier.off', { currency })} rules={amountRules(t, currency)}>
                      <Input inputMode="decimal" data-testid={`tier-off-${index}`} />
                    </Form.Item>
                    {fields.length > 1 && <Button type="text" icon={<MinusCircleOutlined />} aria-label={t('common.delete')} onClick={() => remove(field.name)} />}
                  </Flex>
                ))}
                <Button icon={<PlusOutlined />} onClick={() => add({ threshold: '', off: '' })} disabled={fields.length >= 20} style={{ marginBottom: 16 }}>
                  {t('marketing.tier.add')}
                </Button>
              </>
            )}
          </Form.List>
        )}
        {kind === 'percent_off' && (
          <Flex gap={12} wrap>
            <Form.Item name="percent" label={t('marketing.percent')} rules={percentRules(t)}>
              <Input inputMode="decimal" suffix="%" data-testid="promotion-percent" />
            </Form.Item>
            <Form.Item name="cap" label={t('marketing.cap', { currency })} rules={amountRules(t, currency, { required: false })}>
              <Input inputMode="decimal" />
            </Form.Item>
          </Flex>
        )}
        {kind === 'buy_x_get_y' && (
          <Flex gap={12} wrap>
            <Form.Item name="buy" label={t('marketing.buy')} rules={[{ required: true, message: t('marketing.required') }]}>
              <InputNumber min={1} max={999} precision={0} />
            </Form.Item>
            <Form.Item name="get" label={t('marketing.get')} rules={[{ required: true, message: t('marketing.required') }]}>
              <InputNumber min={1} max={999} precision={0} />
            </Form.Item>
          </Flex>
        )}
        {kind === 'free_shipping' && (
          <Form.Item name="threshold" label={t('marketing.tier.threshold', { currency })} rules={amountRules(t, currency, { zero: true })}>
            <Input inputMode="decimal" />
          </Form.Item>
        )}
        <ScopeFields />
        <WindowFields />
        <Flex gap={12} wrap>
          <Form.Item name="priority" label={t('marketing.priority')} extra={t('marketing.priorityHint')}>
            <InputNumber min={-1000} max={1000} precision={0} />
          </Form.Item>
          <Form.Item name="allowCoupons" label={t('marketing.allowCoupons')} valuePropName="checked">
            <Switch />
          </Form.Item>
        </Flex>
        <Form.Item name="reason" label={t('common.reason')}>
          <Input maxLength={500} />
        </Form.Item>
        <ProblemAlert error={save.error} />
      </Form>
    </Modal>
  );
}
