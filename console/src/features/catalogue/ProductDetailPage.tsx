// 商品详情: edit a product (PATCH with If-Match), its SKUs (add, edit, their stock) and its images.

import { PlusOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { App, Button, Card, Flex, Form, Input, Modal, Select, Space, Spin, Table, Tag, TreeSelect, Typography, type TableColumnsType } from 'antd';
import { useEffect, useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { api, unwrap, type Schemas } from '../../api/client';
import { useSession } from '../../auth/SessionProvider';
import { Money } from '../../components/Money';
import { PageHeader } from '../../components/PageHeader';
import { ProblemAlert } from '../../components/ProblemAlert';
import { StatusTag } from '../../components/StatusTag';
import { useI18n } from '../../i18n/I18nProvider';
import {
  categoryNodes, productFormToPatch, productToForm, skuFormToIn, skuFormToPatch, skuToForm,
  type ProductFormValues, type SkuFormValues,
} from './forms';
import { ImagesCard } from './ImagesCard';
import { useCategories } from './ProductsPage';
import { ifMatch, useStore } from './shared';
import { SkuFields } from './SkuFields';

type Sku = Schemas['Sku'];

export function useProduct(productId: string) {
  return useQuery({
    queryKey: ['product', productId],
    queryFn: async () => unwrap(await api().GET('/products/{productId}', { params: { path: { productId } } })),
  });
}

export function StockStateTag({ state }: { state: Schemas['StockState'] }) {
  const { t } = useI18n();
  const color = state === 'sold_out' ? 'red' : state === 'low' ? 'orange' : 'green';
  return (
    <Tag color={color} data-stock-state={state}>
      {t(`catalogue.stockState.${state}`)}
    </Tag>
  );
}

export function ProductDetailPage() {
  const { productId = '' } = useParams();
  const { t } = useI18n();
  const { can } = useSession();
  const product = useProduct(productId);
  const [skuModal, setSkuModal] = useState<{ sku?: Sku } | null>(null);

  if (product.isLoading) return <Spin />;
  if (product.error || !product.data) return <ProblemAlert error={product.error} />;
  const data = product.data;
  const columns: TableColumnsType<Sku> = [
    { key: 'skuId', title: t('catalogue.sku.skuId'), render: (_, sku) => <Typography.Text code>{sku.skuId}</Typography.Text> },
    { key: 'name', title: t('catalogue.sku.name'), dataIndex: 'name' },
    { key: 'price', title: t('catalogue.sku.priceShort'), render: (_, sku) => <Money value={sku.price} /> },
    { key: 'available', title: t('catalogue.sku.available'), render: (_, sku) => <span data-testid={`available-${sku.skuId}`}>{sku.available}</span> },
    { key: 'state', title: t('catalogue.sku.stockState'), render: (_, sku) => <StockStateTag state={sku.stockState} /> },
    {
      key: 'kind',
      title: t('catalogue.sku.virtual'),
      render: (_, sku) => t(`catalogue.virtualKind.${sku.virtual?.kind ?? 'none'}`),
    },
    { key: 'status', title: t('catalogue.status'), render: (_, sku) => <StatusTag status={sku.status} /> },
    {
      key: 'actions',
      title: t('common.actions'),
      render: (_, sku) => (
        <Space wrap>
          {can('PATCH /skus/{skuId}') && (
            <Button size="small" onClick={() => setSkuModal({ sku })} data-testid={`sku-edit-${sku.skuId}`}>
              {t('common.edit')}
            </Button>
          )}
          {(can('GET /skus/{skuId}/stock-movements') || can('POST /skus/{skuId}/stock-adjustments')) && (
            <Link to={`/skus/${encodeURIComponent(sku.skuId)}/stock`} data-testid={`sku-stock-${sku.skuId}`}>
              {t('catalogue.sku.stockLink')}
            </Link>
          )}
          {sku.virtual?.kind === 'code' && can('GET /skus/{skuId}/codes') && (
            <Link to={`/code-pools?sku=${encodeURIComponent(sku.skuId)}`}>{t('catalogue.sku.codesLink')}</Link>
          )}
        </Space>
      ),
    },
  ];
  return (
    <>
      <PageHeader
        title={<span data-testid="product-title">{data.name}</span>}
        sub={
          <Space wrap>
            <Typography.Text code>{data.productId}</Typography.Text>
            <span>{t('catalogue.products.inStoreShort', { store: data.storeId })}</span>
            <StockStateTag state={data.stockState} />
          </Space>
        }
        extra={<Link to={data.storeId === 'demo' ? '/products' : `/products?store=${encodeURIComponent(data.storeId)}`}>{t('catalogue.products.back')}</Link>}
      />
      <Flex vertical gap={16}>
        <ProductCard product={data} />
        <Card
          title={t('catalogue.sku.title')}
          extra={
            can('POST /products/{productId}/skus') && (
              <Button icon={<PlusOutlined />} onClick={() => setSkuModal({})} data-testid="sku-add">
                {t('catalogue.sku.add')}
              </Button>
            )
          }
        >
          <Table<Sku> size="small" rowKey="skuId" dataSource={data.skus} columns={columns} pagination={false} scroll={{ x: 'max-content' }} data-testid="sku-table" />
        </Card>
        {can('GET /products/{productId}/images') && <ImagesCard product={data} />}
      </Flex>
      {skuModal && <SkuModal product={data} sku={skuModal.sku} onClose={() => setSkuModal(null)} />}
    </>
  );
}

function ProductCard({ product }: { product: Schemas['Product'] }) {
  const { t } = useI18n();
  const { can } = useSession();
  const { message } = App.useApp();
  const client = useQueryClient();
  const [form] = Form.useForm<ProductFormValues>();
  const categories = useCategories(product.storeId);
  const editable = can('PATCH /products/{productId}');
  useEffect(() => form.setFieldsValue(productToForm(product)), [form, product]);
  const save = useMutation({
    mutationFn: async (values: ProductFormValues) =>
      unwrap(
        await api().PATCH('/products/{productId}', {
          params: { path: { productId: product.productId }, header: { 'If-Match': ifMatch(product.version) } },
          body: productFormToPatch(values),
        }),
      ),
    onSuccess: () => {
      message.success(t('common.saved'));
      void client.invalidateQueries({ queryKey: ['product', product.productId] });
      void client.invalidateQueries({ queryKey: ['products'] });
      void client.invalidateQueries({ queryKey: ['categories', product.storeId] });
    },
  });
  return (
    <Card title={t('catalogue.product.title')}>
      <Form form={form} layout="vertical" disabled={!editable} onFinish={(values) => save.mutate(values)} data-testid="product-edit-form">
        <Form.Item name="name" label={t('catalogue.product.name')} rules={[{ required: true, message: t('catalogue.required') }]}>
          <Input maxLength={200} data-testid="product-edit-name" />
        </Form.Item>
        <Form.Item name="description" label={t('catalogue.product.description')}>
          <Input.TextArea autoSize={{ minRows: 2, maxRows: 8 }} />
        </Form.Item>
        <Flex gap={16} wrap>
          <Form.Item name="categoryId" label={t('catalogue.category')} style={{ flex: '1 1 220px' }}>
            <TreeSelect allowClear treeDefaultExpandAll treeData={categoryNodes(categories.data?.categories ?? [])} />
          </Form.Item>
          <Form.Item name="category" label={t('catalogue.product.label')} style={{ flex: '1 1 220px' }}>
            <Input maxLength={100} />
          </Form.Item>
          <Form.Item name="status" label={t('catalogue.status')} style={{ flex: '1 1 160px' }}>
            <Select options={['ACTIVE', 'INACTIVE'].map((value) => ({ value, label: t(`status.${value}`) }))} />
          </Form.Item>
        </Flex>
        <Form.Item name="attributes" label={t('catalogue.attributes')} extra={t('catalogue.attributesHint')}>
          <Input.TextArea autoSize={{ minRows: 1, maxRows: 6 }} />
        </Form.Item>
        <ProblemAlert error={save.error} style={{ marginBottom: 12 }} />
        {editable && (
          <Button type="primary" htmlType="submit" loading={save.isPending} data-testid="product-save">
            {t('common.save')}
          </Button>
        )}
      </Form>
    </Card>
  );
}

function SkuModal({ product, sku, onClose }: { product: Schemas['Product']; sku?: Sku; onClose: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const client = useQueryClient();
  const [form] = Form.useForm<SkuFormValues>();
  const store = useStore(product.storeId);
  const currency = sku?.price.currency ?? store.data?.currency ?? product.skus[0]?.price.currency ?? 'CNY';
  const save = useMutation({
    mutationFn: async (values: SkuFormValues) => {
      if (sku)
        return unwrap(
          await api().PATCH('/skus/{skuId}', {
            params: { path: { skuId: sku.skuId }, header: { 'If-Match': ifMatch(sku.version) } },
            body: skuFormToPatch(values, currency),
          }),
        );
      return unwrap(
        await api().POST('/products/{productId}/skus', {
          params: { path: { productId: product.productId } },
          body: skuFormToIn(values, currency),
        }),
      );
    },
    onSuccess: (saved) => {
      message.success(t('catalogue.sku.saved', { sku: saved.skuId }));
      void client.invalidateQueries({ queryKey: ['product', product.productId] });
      void client.invalidateQueries({ queryKey: ['sku', saved.skuId] });
      onClose();
    },
  });
  return (
    <Modal
      open
      title={sku ? t('catalogue.sku.edit', { sku: sku.skuId }) : t('catalogue.sku.add')}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('common.save')}
      cancelText={t('common.cancel')}
      confirmLoading={save.isPending}
      okButtonProps={{ 'data-testid': 'sku-submit' } as Record<string, string>}
      destroyOnHidden
    >
      <Form form={form} layout="vertical" initialValues={sku ? skuToForm(sku) : undefined} onFinish={(values) => save.mutate(values)} data-testid="sku-form">
        <SkuFields mode={sku ? 'edit' : 'create'} currency={currency} />
        <ProblemAlert error={save.error} />
      </Form>
    </Modal>
  );
}
