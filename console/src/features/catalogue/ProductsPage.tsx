// 商品列表: a store's products (GET /products, by category and its descendants), and a new product with
// its first SKU (POST /products).

import { PlusOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { App, Button, Divider, Form, Image, Input, Modal, TreeSelect, Typography, type TableColumnsType } from 'antd';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { api, unwrap, type Schemas } from '../../api/client';
import { useSession } from '../../auth/SessionProvider';
import { DataList } from '../../components/DataList';
import { FilterPanel } from '../../components/FilterPanel';
import { PageHeader } from '../../components/PageHeader';
import { ProblemAlert } from '../../components/ProblemAlert';
import { StatusTag } from '../../components/StatusTag';
import { useI18n } from '../../i18n/I18nProvider';
import { categoryIndex, categoryNodes, productFormToIn, type ProductFormValues } from './forms';
import { StoreField, useStore, useStoreId } from './shared';
import { useCursorList } from '../../api/useCursorList';
import { SkuFields } from './SkuFields';

type Product = Schemas['ProductSummary'];

export function useCategories(storeId: string) {
  return useQuery({
    queryKey: ['categories', storeId],
    queryFn: async () =>
      unwrap(await api().GET('/stores/{storeId}/categories', { params: { path: { storeId } } })),
  });
}

export function ProductsPage() {
  const { t, dateTime } = useI18n();
  const { can } = useSession();
  const navigate = useNavigate();
  const [store, setStore] = useStoreId();
  const [category, setCategory] = useState<string | undefined>();
  const [form] = Form.useForm<{ store?: string; category?: string }>();
  const [creating, setCreating] = useState(false);
  const categories = useCategories(store);
  const names = categoryIndex(categories.data?.categories ?? []);
  const list = useCursorList<Product>(['products', store, category], async (cursor) =>
    unwrap(await api().GET('/products', { params: { query: { store, category, cursor, limit: 50 } } })),
  );

  const columns: TableColumnsType<Product> = [
    {
      key: 'image',
      title: t('catalogue.image'),
      render: (_, row) =>
        row.mainImage ? (
          <Image src={row.mainImage.thumbnails['200'] ?? row.mainImage.url} width={40} height={40} alt={row.name} preview={false} style={{ objectFit: 'cover' }} />
        ) : (
          <span aria-hidden>—</span>
        ),
    },
    {
      key: 'name',
      title: t('catalogue.product.name'),
      render: (_, row) => (
        <Link to={`/products/${row.productId}`} data-testid="product-link">
          {row.name}
        </Link>
      ),
    },
    { key: 'productId', title: t('catalogue.product.id'), dataIndex: 'productId', render: (value: string) => <Typography.Text code>{value}</Typography.Text> },
    {
      key: 'category',
      title: t('catalogue.category'),
      render: (_, row) => (row.categoryId ? names.get(row.categoryId)?.name ?? row.categoryId : row.category ?? '—'),
    },
    { key: 'status', title: t('catalogue.status'), render: (_, row) => <StatusTag status={row.status} /> },
    { key: 'updatedAt', title: t('catalogue.updatedAt'), render: (_, row) => dateTime(row.updatedAt) },
  ];

  return (
    <>
      <PageHeader
        title={t('catalogue.products.title')}
        sub={t('catalogue.products.sub', { store })}
        extra={
          can('POST /products') && (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)} data-testid="product-create">
              {t('catalogue.products.create')}
            </Button>
          )
        }
      />
      <FilterPanel
        form={form}
        initialValues={{ store }}
        active={(store !== 'demo' ? 1 : 0) + (category ? 1 : 0)}
        onApply={(values) => {
          const next = values.store?.trim() || 'demo';
          if (next !== store) setCategory(undefined);
          else setCategory(values.category || undefined);
          setStore(next);
        }}
      >
        <StoreField />
        <Form.Item name="category" label={t('catalogue.category')}>
          <TreeSelect
            allowClear
            treeDefaultExpandAll
            treeData={categoryNodes(categories.data?.categories ?? [])}
            placeholder={t('catalogue.anyCategory')}
            style={{ minWidth: 180 }}
            data-testid="category-filter"
          />
        </Form.Item>
      </FilterPanel>
      <ProblemAlert error={list.query.error} style={{ marginBottom: 12 }} />
      <DataList<Product>
        testId="products-list"
        rows={list.rows}
        rowKey={(row) => row.productId}
        columns={columns}
        loading={list.query.isLoading}
        hasMore={list.hasMore}
        onLoadMore={list.loadMore}
        loadingMore={list.loadingMore}
        cardTitle={(row) => (
          <Link to={`/products/${row.productId}`} data-testid="product-link">
            {row.name}
          </Link>
        )}
        onOpen={(row) => navigate(`/products/${row.productId}`)}
      />
      {creating && <CreateProductModal storeId={store} onClose={() => setCreating(false)} />}
    </>
  );
}

function CreateProductModal({ storeId, onClose }: { storeId: string; onClose: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const client = useQueryClient();
  const [form] = Form.useForm<ProductFormValues>();
  const storeQuery = useStore(storeId);
  const currency = storeQuery.data?.currency ?? 'CNY';
  const categories = useCategories(storeId);
  const create = useMutation({
    mutationFn: async (values: ProductFormValues) =>
      unwrap(await api().POST('/products', { body: productFormToIn(values, storeId, currency) })),
    onSuccess: (product) => {
      void client.invalidateQueries({ queryKey: ['products'] });
      void client.invalidateQueries({ queryKey: ['categories', storeId] });
      message.success(t('catalogue.products.created', { name: product.name }));
      onClose();
    },
  });
  return (
    <Modal
      open
      title={t('catalogue.products.create')}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('common.create')}
      cancelText={t('common.cancel')}
      confirmLoading={create.isPending}
      okButtonProps={{ 'data-testid': 'product-create-submit' } as Record<string, string>}
      destroyOnHidden
    >
      <Form form={form} layout="vertical" onFinish={(values) => create.mutate(values)} data-testid="product-form">
        <Typography.Paragraph type="secondary">{t('catalogue.products.inStore', { store: storeId, currency })}</Typography.Paragraph>
        <Form.Item name="name" label={t('catalogue.product.name')} rules={[{ required: true, message: t('catalogue.required') }]}>
          <Input data-testid="product-name" maxLength={200} />
        </Form.Item>
        <Form.Item name="description" label={t('catalogue.product.description')}>
          <Input.TextArea autoSize={{ minRows: 2, maxRows: 6 }} />
        </Form.Item>
        <Form.Item name="categoryId" label={t('catalogue.category')}>
          <TreeSelect allowClear treeDefaultExpandAll treeData={categoryNodes(categories.data?.categories ?? [])} />
        </Form.Item>
        <Form.Item name="category" label={t('catalogue.product.label')} extra={t('catalogue.product.labelHint')}>
          <Input maxLength={100} />
        </Form.Item>
        <Form.Item name="attributes" label={t('catalogue.attributes')} extra={t('catalogue.attributesHint')}>
          <Input.TextArea autoSize={{ minRows: 1, maxRows: 6 }} />
        </Form.Item>
        <Divider>{t('catalogue.products.firstSku')}</Divider>
        <SkuFields prefix={['sku']} mode="create" currency={currency} />
        <ProblemAlert error={create.error} />
      </Form>
    </Modal>
  );
}
