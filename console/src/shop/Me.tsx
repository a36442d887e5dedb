// Me: who is signed in, points, the address book (add, make default, delete), sign out.

import { DeleteOutlined } from '@ant-design/icons';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Button, Card, Flex, Popconfirm, Skeleton, Statistic, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { api, unwrap } from '../api/client';
import { useSession } from '../auth/SessionProvider';
import { signOutEverywhere } from '../auth/signOut';
import { ProblemAlert } from '../components/ProblemAlert';
import { ItemList, TONES } from './parts';
import { useI18n } from '../i18n/I18nProvider';
import { AddressSummary, NewAddressForm, useAddressBook } from './Addresses';
import { usePoints } from './pricing';

export function Me() {
  const { t } = useI18n();
  const { session } = useSession();
  const navigate = useNavigate();
  const client = useQueryClient();
  const book = useAddressBook();
  const points = usePoints();
  const [adding, setAdding] = useState(false);
  const invalidate = () => client.invalidateQueries({ queryKey: ['shop', 'addresses'] });
  const makeDefault = useMutation({
    mutationFn: async (addressId: string) => unwrap(await api().POST('/me/addresses/{addressId}/default', { params: { path: { addressId } } })),
    onSuccess: invalidate,
  });
  const remove = useMutation({
    mutationFn: async (addressId: string) => unwrap(await api().DELETE('/me/addresses/{addressId}', { params: { path: { addressId } } })),
    onSuccess: invalidate,
  });
  return (
    <Flex vertical gap={12}>
      <Typography.Title level={1} style={{ fontSize: 20, margin: 0 }}>
        {t('shop.me.title')}
      </Typography.Title>
      <Card size="small">
        <Flex justify="space-between" align="center" gap={8} wrap>
          <div>
            <Typography.Text type="secondary">{t('shop.me.signedInAs')}</Typography.Text>
            <div data-testid="me-user">
              <strong>{session?.name ?? session?.sub}</strong>
            </div>
          </div>
          <Statistic
            title={t('shop.points.title')}
            value={points.data?.available ?? '—'}
            styles={{ content: { fontSize: 20 } }}
            data-testid="me-points"
          />
        </Flex>
      </Card>
      <Card size="small" title={t('shop.me.addresses')} data-testid="me-addresses">
        <ProblemAlert error={book.error ?? makeDefault.error ?? remove.error} />
        {book.isLoading ? (
          <Skeleton active paragraph={{ rows: 2 }} />
        ) : (
          <ItemList
            items={book.data?.items ?? []}
            rowKey={(item) => item.addressId}
            empty={<Typography.Paragraph type="secondary">{t('shop.me.noAddresses')}</Typography.Paragraph>}
            render={(item) => (
              <Flex justify="space-between" align="flex-start" gap={8}>
                <AddressSummary address={item.address} />
                <Flex gap={4} align="center">
                  {item.default ? (
                    <Tag style={TONES.info}>{t('shop.address.default')}</Tag>
                  ) : (
                    <Button size="small" onClick={() => makeDefault.mutate(item.addressId)}>
                      {t('shop.address.setDefault')}
                    </Button>
                  )}
                  <Popconfirm title={t('shop.address.deleteConfirm')} onConfirm={() => remove.mutate(item.addressId)} okText={t('common.yes')} cancelText={t('common.no')}>
                    <Button size="small" type="text" danger icon={<DeleteOutlined />} aria-label={t('shop.address.delete')} />
                  </Popconfirm>
                </Flex>
              </Flex>
            )}
          />
        )}
        {adding ? (
          <NewAddressForm onSaved={() => setAdding(false)} onCancel={() => setAdding(false)} />
        ) : (
          <Button onClick={() => setAdding(true)} data-testid="address-add">
            {t('shop.address.add')}
          </Button>
        )}
      </Card>
      <Flex gap={8} vertical>
        <Button block onClick={() => navigate('/shop/orders')}>
          {t('shop.nav.orders')}
        </Button>
        <Button
          block
          danger
          onClick={() => {
            signOutEverywhere();
            navigate('/shop');
          }}
          data-testid="me-sign-out"
        >
          {t('shop.signOut')}
        </Button>
      </Flex>
    </Flex>
  );
}
