// The address book (GET/POST /me/addresses): a choice of saved addresses and a form to add one inline.

import { PlusOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Button, Checkbox, Col, Flex, Form, Input, Radio, Row, Skeleton, Tag, Typography } from 'antd';
import { useState } from 'react';
import { api, unwrap, type Schemas } from '../api/client';
import { ProblemAlert } from '../components/ProblemAlert';
import { TONES } from './parts';
import { useI18n } from '../i18n/I18nProvider';

export type AddressForm = Schemas['AddressIn'] & { label?: string; makeDefault?: boolean };

export function useAddressBook() {
  return useQuery({
    queryKey: ['shop', 'addresses'],
    queryFn: async () => unwrap(await api().GET('/me/addresses')),
  });
}

/** One line of a saved address as a shopper reads it. */
export function addressText(address: Record<string, unknown> | null | undefined): string {
  if (!address) return '';
  const part = (name: string) => (typeof address[name] === 'string' ? (address[name] as string) : '');
  return [part('line1'), part('line2'), part('city'), part('region'), part('postalCode'), part('country')].filter(Boolean).join(', ');
}

export function AddressSummary({ address }: { address: Record<string, unknown> | null | undefined }) {
  if (!address) return null;
  return (
    <span>
      <strong>{String(address.name ?? '')}</strong> {String(address.phone ?? '')}
      <br />
      <Typography.Text type="secondary">{addressText(address)}</Typography.Text>
    </span>
  );
}

export function NewAddressForm({ onSaved, onCancel }: { onSaved: (saved: Schemas['SavedAddress']) => void; onCancel?: () => void }) {
  const { t } = useI18n();
  const client = useQueryClient();
  const [form] = Form.useForm<AddressForm>();
  const save = useMutation({
    mutationFn: async (values: AddressForm) => {
      const { label, makeDefault, ...address } = values;
      const clean = Object.fromEntries(Object.entries(address).filter(([, value]) => value !== undefined && value !== '')) as Schemas['AddressIn'];
      return unwrap(await api().POST('/me/addresses', { body: { address: clean, label: label || null, default: !!makeDefault } }));
    },
    onSuccess: async (saved) => {
      await client.invalidateQueries({ queryKey: ['shop', 'addresses'] });
      form.resetFields();
      onSaved(saved);
    },
  });
  const required = [{ required: true, message: t('shop.address.required') }];
  return (
    <Form<AddressForm> form={form} layout="vertical" onFinish={(values) => save.mutate(values)} initialValues={{ country: 'CN' }} data-testid="address-form">
      <Row gutter={12}>
        <Col xs={24} sm={12}>
          <Form.Item name="name" label={t('shop.address.name')} rules={required}>
            <Input autoComplete="name" data-testid="address-name" />
          </Form.Item>
        </Col>
        <Col xs={24} sm={12}>
          <Form.Item name="phone" label={t('shop.address.phone')} rules={required}>
            <Input type="tel" autoComplete="tel" data-testid="address-phone" placeholder="+8613800000000" />
          </Form.Item>
        </Col>
        <Col span={24}>
          <Form.Item name="line1" label={t('shop.address.line1')} rules={required}>
            <Input autoComplete="address-line1" data-testid="address-line1" />
          </Form.Item>
        </Col>
        <Col span={24}>
          <Form.Item name="line2" label={t('shop.address.line2')}>
            <Input autoComplete="address-line2" data-testid="address-line2" />
          </Form.Item>
        </Col>
        <Col xs={12} sm={8}>
          <Form.Item name="city" label={t('shop.address.city')} rules={required}>
            <Input autoComplete="address-level2" data-testid="address-city" />
          </Form.Item>
        </Col>
        <Col xs={12} sm={8}>
          <Form.Item name="region" label={t('shop.address.region')}>
            <Input autoComplete="address-level1" data-testid="address-region" />
          </Form.Item>
        </Col>
        <Col xs={12} sm={4}>
          <Form.Item name="postalCode" label={t('shop.address.postalCode')}>
            <Input autoComplete="postal-code" data-testid="address-postal" />
          </Form.Item>
        </Col>
        <Col xs={12} sm={4}>
          <Form.Item name="country" label={t('shop.address.country')} rules={required}>
            <Input autoComplete="country" maxLength={2} data-testid="address-country" />
          </Form.Item>
        </Col>
        <Col xs={24} sm={12}>
          <Form.Item name="label" label={t('shop.address.label')}>
            <Input placeholder={t('shop.address.labelPlaceholder')} data-testid="address-label" />
          </Form.Item>
        </Col>
        <Col xs={24} sm={12}>
          <Form.Item name="makeDefault" valuePropName="checked" label=" " colon={false}>
            <Checkbox>{t('shop.address.makeDefault')}</Checkbox>
          </Form.Item>
        </Col>
      </Row>
      <ProblemAlert error={save.error} style={{ marginBottom: 12 }} />
      <Flex gap={8}>
        <Button type="primary" htmlType="submit" loading={save.isPending} data-testid="address-save">
          {t('shop.address.save')}
        </Button>
        {onCancel && <Button onClick={onCancel}>{t('common.cancel')}</Button>}
      </Flex>
    </Form>
  );
}

/** The saved addresses as a choice, with "add one" inline. */
export function AddressChoice({ value, onChange }: { value?: string; onChange: (addressId: string) => void }) {
  const { t } = useI18n();
  const book = useAddressBook();
  const [adding, setAdding] = useState(false);
  if (book.isLoading) return <Skeleton active paragraph={{ rows: 2 }} />;
  const items = book.data?.items ?? [];
  const showForm = adding || (book.isSuccess && items.length === 0);
  return (
    <Flex vertical gap={8} data-testid="address-choice">
      <ProblemAlert error={book.error} />
      {items.length > 0 && (
        <Radio.Group value={value} onChange={(event) => onChange(String(event.target.value))} aria-label={t('shop.checkout.address')}>
          <Flex vertical gap={8}>
            {items.map((item) => (
              <Radio key={item.addressId} value={item.addressId} data-testid={`address-${item.addressId}`}>
                <AddressSummary address={item.address} />{' '}
                {item.label && <Tag>{item.label}</Tag>}
                {item.default && <Tag style={TONES.info}>{t('shop.address.default')}</Tag>}
              </Radio>
            ))}
          </Flex>
        </Radio.Group>
      )}
      {showForm ? (
        <NewAddressForm
          onSaved={(saved) => {
            setAdding(false);
            onChange(saved.addressId);
          }}
          onCancel={items.length > 0 ? () => setAdding(false) : undefined}
        />
      ) : (
        <Button icon={<PlusOutlined />} onClick={() => setAdding(true)} data-testid="address-add">
          {t('shop.address.add')}
        </Button>
      )}
    </Flex>
  );
}
