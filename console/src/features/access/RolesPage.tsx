// Roles and permissions: the built-in matrix with each role's grants and revokes, the custom staff
// roles, and the limits the API keeps (a change beyond them is a 422 role-limit problem naming its rule).
// Saved as a whole policy with If-Match.

import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, App, Button, Card, Checkbox, Col, Flex, Input, Row, Select, Space, Table, Tag, Typography } from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { api, unwrap } from '../../api/client';
import { isProblem } from '../../api/problem';
import { useSession } from '../../auth/SessionProvider';
import { PageHeader } from '../../components/PageHeader';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useI18n } from '../../i18n/I18nProvider';
import { cellState, changed, draftFrom, holds, permissionList, policyBody, toggle, type Draft, type Permission } from './rolesLogic';

const ROLE_NAME = /^[a-z][a-z0-9-]{1,31}$/;

export function RolesPage() {
  const { t, dateTime } = useI18n();
  const { can } = useSession();
  const { message } = App.useApp();
  const client = useQueryClient();
  const editable = can('PUT /settings/roles');
  const roles = useQuery({
    queryKey: ['settings', 'roles'],
    queryFn: async () => {
      const result = await api().GET('/settings/roles');
      return { data: unwrap(result), etag: result.response.headers.get('ETag') };
    },
  });
  const [draft, setDraft] = useState<Draft | null>(null);
  const [reason, setReason] = useState('');
  const [newName, setNewName] = useState('');
  useEffect(() => {
    if (roles.data) setDraft(draftFrom(roles.data.data));
  }, [roles.data]);
  const save = useMutation({
    mutationFn: async () => {
      if (!draft) throw new Error('nothing to save');
      const result = await api().PUT('/settings/roles', {
        params: { header: roles.data?.etag ? { 'If-Match': roles.data.etag } : undefined },
        body: policyBody(draft, reason),
      });
      return unwrap(result);
    },
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ['settings', 'roles'] });
      void client.invalidateQueries({ queryKey: ['me', 'permissions'] });
      setReason('');
      message.success(t('common.saved'));
    },
  });
  const answer = roles.data?.data;
  const permissions = useMemo(() => (answer ? permissionList(answer) : []), [answer]);
  const roleNames = answer?.roles.map((role) => role.role) ?? [];
  const roleLabel = (role: string) => {
    const key = `roles.${role}`;
    return t(key) === key ? role : t(key);
  };
  const dirty = !!(draft && answer && changed(draft, answer));
  const rule = isProblem(save.error) && typeof save.error.body.rule === 'string' ? save.error.body.rule : null;

  if (roles.error) return <ProblemAlert error={roles.error} />;
  if (!answer || !draft) return <Card loading />;

  const addCustom = () => {
    const name = newName.trim();
    if (!ROLE_NAME.test(name) || draft.customRoles[name] || roleNames.includes(name as never)) return;
    setDraft({ ...draft, customRoles: { ...draft.customRoles, [name]: { description: '', permissions: [] } } });
    setNewName('');
  };

  return (
    <div data-testid="roles-page">
      <PageHeader
        title={t('access.rolesTitle')}
        sub={answer.updatedAt ? t('access.updated', { at: dateTime(answer.updatedAt), by: answer.updatedBy ?? '—' }) : t('access.builtInOnly')}
      />
      <Card size="small" title={t('access.matrix')} data-testid="roles-matrix">
        <Table
          size="small"
          rowKey={(permission) => permission}
          pagination={false}
          dataSource={permissions}
          scroll={{ x: 'max-content', y: 520 }}
          columns={[
            { key: 'permission', title: t('access.permission'), fixed: 'left', render: (_: unknown, permission: Permission) => <code>{permission}</code> },
            ...roleNames.map((role) => ({
              key: role,
              title: roleLabel(role),
              align: 'center' as const,
              render: (_: unknown, permission: Permission) => {
                const state = cellState(draft, role, permission);
                return (
                  <Space size={4}>
                    <Checkbox
                      checked={holds(draft, role, permission)}
                      disabled={!editable}
                      aria-label={`${roleLabel(role)}: ${permission}`}
                      data-testid={`cell-${role}-${permission}`}
                      data-state={state}
                      onChange={() => setDraft(toggle(draft, role, permission))}
                    />
                    {state === 'granted' && <Tag color="green">{t('access.granted')}</Tag>}
                    {state === 'revoked' && <Tag color="red">{t('access.revoked')}</Tag>}
                  </Space>
                );
              },
            })),
          ]}
        />
      </Card>

      <Card size="small" title={t('access.customRoles')} style={{ marginTop: 12 }} data-testid="custom-roles">
        {Object.keys(draft.customRoles).length === 0 && <Typography.Text type="secondary">{t('access.noCustom')}</Typography.Text>}
        <Row gutter={[12, 12]}>
          {Object.entries(draft.customRoles).map(([name, custom]) => {
            const stored = answer.customRoles.find((item) => item.name === name);
            return (
              <Col xs={24} lg={12} key={name}>
                <Card
                  size="small"
                  type="inner"
                  title={
                    <Space>
                      <code>{name}</code>
                      {stored?.storeScoped && <Tag>{t('access.storeScoped')}</Tag>}
                      {!stored && <Tag color="blue">{t('access.new')}</Tag>}
                    </Space>
                  }
                  extra={
                    editable && (
                      <Button
                        size="small"
                        danger
                        icon={<DeleteOutlined />}
                        aria-label={t('access.removeRole', { name })}
                        onClick={() => {
                          const next = { ...draft.customRoles };
                          delete next[name];
                          setDraft({ ...draft, customRoles: next });
                        }}
                      />
                    )
                  }
                >
                  <Space direction="vertical" style={{ width: '100%' }}>
                    <Input
                      value={custom.description}
                      disabled={!editable}
                      maxLength={200}
                      aria-label={t('access.description')}
                      placeholder={t('access.description')}
                      onChange={(event) =>
                        setDraft({ ...draft, customRoles: { ...draft.customRoles, [name]: { ...custom, description: event.target.value } } })
                      }
                    />
                    <Select<Permission[]>
                      mode="multiple"
                      value={custom.permissions}
                      disabled={!editable}
                      aria-label={t('access.permissionsOf', { name })}
                      placeholder={t('access.permissionsOf', { name })}
                      style={{ width: '100%' }}
                      data-testid={`custom-${name}-permissions`}
                      options={permissions.map((permission) => ({ value: permission, label: permission }))}
                      onChange={(value) =>
                        setDraft({ ...draft, customRoles: { ...draft.customRoles, [name]: { ...custom, permissions: value } } })
                      }
                    />
                  </Space>
                </Card>
              </Col>
            );
          })}
        </Row>
        {editable && (
          <Flex gap={8} wrap style={{ marginTop: 12 }}>
            <Input
              value={newName}
              onChange={(event) => setNewName(event.target.value.toLowerCase())}
              onPressEnter={addCustom}
              placeholder={t('access.roleName')}
              aria-label={t('access.roleName')}
              style={{ maxWidth: 240 }}
              status={newName && !ROLE_NAME.test(newName.trim()) ? 'error' : undefined}
              data-testid="custom-role-name"
            />
            <Button icon={<PlusOutlined />} onClick={addCustom} disabled={!ROLE_NAME.test(newName.trim())} data-testid="custom-role-add">
              {t('access.addRole')}
            </Button>
          </Flex>
        )}
        <Typography.Paragraph type="secondary" style={{ marginTop: 8 }}>
          {t('access.customHelp')}
        </Typography.Paragraph>
      </Card>

      <Card size="small" title={t('access.limits')} style={{ marginTop: 12 }} data-testid="role-limits">
        <Space direction="vertical">
          {(['nonDelegable', 'adminKeeps', 'moneyMoves', 'shopperOnly'] as const).map((limit) => (
            <div key={limit}>
              <Typography.Text strong>{t(`access.limit.${limit}`)}</Typography.Text>{' '}
              <Space wrap size={[4, 4]}>
                {answer.limits[limit].map((permission) => (
                  <Tag key={permission}>{permission}</Tag>
                ))}
              </Space>
            </div>
          ))}
        </Space>
      </Card>

      {editable && (
        <Card size="small" style={{ marginTop: 12, position: 'sticky', bottom: 0, zIndex: 2 }}>
          {rule && <Alert type="warning" showIcon style={{ marginBottom: 8 }} title={t('access.ruleBroken', { rule })} data-testid="role-limit-rule" />}
          <ProblemAlert error={save.error} style={{ marginBottom: 8 }} />
          <Flex gap={8} wrap align="center">
            <Input
              value={reason}
              onChange={(event) => setReason(event.target.value)}
              maxLength={500}
              placeholder={t('common.reason')}
              aria-label={t('common.reason')}
              style={{ maxWidth: 360 }}
              data-testid="roles-reason"
            />
            <Button type="primary" disabled={!dirty} loading={save.isPending} onClick={() => save.mutate()} data-testid="roles-save">
              {t('common.save')}
            </Button>
            <Button disabled={!dirty} onClick={() => { save.reset(); setDraft(draftFrom(answer)); }} data-testid="roles-reset">
              {t('common.reset')}
            </Button>
            {dirty && <Typography.Text type="warning">{t('access.unsaved')}</Typography.Text>}
          </Flex>
        </Card>
      )}
    </div>
  );
}
