// A store's notification rules: per event, whether it keeps the platform's defaults or sends on the
// channels chosen here (none: nothing is sent), the staff who get the store's alerts, and the locale of
// recipients who chose none. PUT replaces them, with If-Match.

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { App, Button, Card, Checkbox, Form, Input, Select, Switch, Table, Typography } from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { api, unwrap } from '../../api/client';
import { useSession } from '../../auth/SessionProvider';
import { PageHeader } from '../../components/PageHeader';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useI18n } from '../../i18n/I18nProvider';
import { StorePicker } from '../dashboard/StorePicker';
import { EVENTS, notificationsFromForm, notificationsToForm, type EventRuleForm, type NotificationsForm } from './convert';
import { ChangeLog, ifMatch, LastChanged, ReadOnlyNote, SaveProblem, versioned } from './shared';
import { defaultStore } from './store';

const ALL_CHANNELS = ['inbox', 'email', 'sms'] as const;

export function NotificationsPage() {
  const { t } = useI18n();
  const [store, setStore] = useState(defaultStore);
  return (
    <div data-testid="settings-notifications-page">
      <PageHeader
        title={t('settings.notifications.title')}
        sub={t('settings.notifications.sub')}
        extra={<StorePicker value={store} onChange={setStore} testId="notifications-store" />}
      />
      {store && <StoreRules key={store} store={store} />}
    </div>
  );
}

function StoreRules({ store }: { store: string }) {
  const { t } = useI18n();
  const { can } = useSession();
  const { message } = App.useApp();
  const client = useQueryClient();
  const [form] = Form.useForm<NotificationsForm>();
  const editable = can('PUT /settings/notifications/{storeId}');
  const settings = useQuery({
    queryKey: ['settings', 'notifications', store],
    queryFn: async () => {
      const result = await api().GET('/settings/notifications/{storeId}', { params: { path: { storeId: store } } });
      return versioned(unwrap(result), result.response);
    },
  });
  useEffect(() => {
    if (settings.data) form.setFieldsValue(notificationsToForm(settings.data.data));
  }, [settings.data, form]);
  const save = useMutation({
    mutationFn: async (values: NotificationsForm) =>
      unwrap(
        await api().PUT('/settings/notifications/{storeId}', {
          params: { path: { storeId: store }, header: ifMatch(settings.data?.etag) },
          body: notificationsFromForm(values),
        }),
      ),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ['settings', 'notifications', store] });
      message.success(t('common.saved'));
    },
  });
  const base = useMemo(() => (settings.data ? notificationsToForm(settings.data.data).events : []), [settings.data]);
  const watched = Form.useWatch('events', { form, preserve: true }) as EventRuleForm[] | undefined;
  const rows = base.map((row, index) => ({ ...row, custom: watched?.[index]?.custom ?? row.custom }));
  const data = settings.data?.data;
  const eventLabel = (event: string) => t(`settings.notifications.events.${event}`) === `settings.notifications.events.${event}` ? event : t(`settings.notifications.events.${event}`);

  return (
    <>
      <ProblemAlert error={settings.error} style={{ marginBottom: 12 }} />
      <ReadOnlyNote editable={editable} />
      <Card
        size="small"
        loading={settings.isLoading}
        title={data?.stored ? t('settings.notifications.storeRules', { store }) : t('settings.notifications.defaultsApply', { store })}
      >
        {data && <div style={{ marginBottom: 12 }}><LastChanged at={data.audit[0]?.at} by={data.audit[0]?.by} version={data.version} /></div>}
        <Form<NotificationsForm> form={form} layout="vertical" disabled={!editable} onFinish={(values) => save.mutate({ ...form.getFieldsValue(true), ...values })}>
          <div role="region" aria-label={t('settings.notifications.title')} tabIndex={0} style={{ overflowX: 'auto' }}>
          <Table<EventRuleForm>
            size="small"
            rowKey="event"
            pagination={false}
            dataSource={rows}
            data-testid="notification-events"
            columns={[
              {
                key: 'event',
                title: t('settings.notifications.event'),
                render: (_, row) => (
                  <>
                    <strong>{eventLabel(row.event)}</strong> <Typography.Text type="secondary"><code>{row.event}</code></Typography.Text>
                  </>
                ),
              },
              {
                key: 'custom',
                title: t('settings.notifications.own'),
                render: (_, row, index) => (
                  <Form.Item name={['events', index, 'custom']} valuePropName="checked" noStyle>
                    <Switch aria-label={`${row.event} ${t('settings.notifications.own')}`} data-testid={`event-${row.event}-custom`} />
                  </Form.Item>
                ),
              },
              {
                key: 'channels',
                title: t('settings.notifications.channels'),
                render: (_, row, index) => {
                  const offered = EVENTS.find((entry) => entry.event === row.event)?.offered ?? ALL_CHANNELS;
                  return (
                    <Form.Item name={['events', index, 'channels']} noStyle>
                      <Checkbox.Group
                        disabled={!editable || !row.custom}
                        aria-label={`${row.event} ${t('settings.notifications.channels')}`}
                        data-testid={`event-${row.event}-channels`}
                        options={offered.map((channel) => ({ value: channel, label: t(`settings.notifications.channel.${channel}`) }))}
                      />
                    </Form.Item>
                  );
                },
              },
              {
                key: 'defaults',
                title: t('settings.notifications.defaults'),
                render: (_, row) => {
                  const defaults = EVENTS.find((entry) => entry.event === row.event)?.defaults ?? [];
                  return defaults.map((channel) => t(`settings.notifications.channel.${channel}`)).join(', ') || '—';
                },
              },
            ]}
          />
          </div>
          <Typography.Paragraph type="secondary" style={{ marginTop: 8 }}>
            {t('settings.notifications.help')}
          </Typography.Paragraph>
          <Form.Item name="staff" label={t('settings.notifications.staff')} extra={t('settings.notifications.staffHelp')} rules={[{ type: 'array', max: 20 }]}>
            <Select mode="tags" open={false} suffixIcon={null} tokenSeparators={[',', ' ']} data-testid="notification-staff" aria-label={t('settings.notifications.staff')} />
          </Form.Item>
          <Form.Item name="locale" label={t('settings.notifications.locale')} style={{ maxWidth: 240 }}>
            <Select options={(['zh-CN', 'en'] as const).map((value) => ({ value, label: t(`settings.notifications.locales.${value}`) }))} />
          </Form.Item>
          <Form.Item name="reason" label={t('common.reason')} rules={[{ max: 500 }]}>
            <Input maxLength={500} style={{ maxWidth: 480 }} data-testid="notifications-reason" />
          </Form.Item>
          <SaveProblem error={save.error} onReload={() => void settings.refetch().then(() => save.reset())} />
          {editable && (
            <Button type="primary" htmlType="submit" loading={save.isPending} data-testid="notifications-save">
              {t('common.save')}
            </Button>
          )}
        </Form>
      </Card>
      <ChangeLog entries={data?.audit} />
    </>
  );
}
