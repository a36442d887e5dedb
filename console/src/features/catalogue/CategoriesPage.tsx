// 商品分类: a store's category tree (GET /stores/{storeId}/categories): add a root or a child, rename,
// reorder or move one (PATCH, If-Match), delete one (its products reassigned to another category).

import { DeleteOutlined, EditOutlined, PlusOutlined } from '@ant-design/icons';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { App, Button, Card, Empty, Flex, Form, Input, InputNumber, Modal, Space, Spin, Tag, Tree, TreeSelect, Typography } from 'antd';
import { useState, type ReactNode } from 'react';
import { api, unwrap, type Schemas } from '../../api/client';
import { useSession } from '../../auth/SessionProvider';
import { FilterPanel } from '../../components/FilterPanel';
import { PageHeader } from '../../components/PageHeader';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useI18n } from '../../i18n/I18nProvider';
import { categoryNodes } from './forms';
import { useCategories } from './ProductsPage';
import { ifMatch, StoreField, useStoreId } from './shared';

type Category = Schemas['CatalogCategoryNode'];

interface CategoryValues {
  name: string;
  parentId?: string | null;
  sortOrder?: number | null;
}

/** The PATCH body of an edit: only what changed (a parent cleared is null: a root). */
export function categoryPatch(original: Category, values: CategoryValues): Schemas['CategoryPatch'] {
  const patch: Schemas['CategoryPatch'] = {};
  if (values.name.trim() !== original.name) patch.name = values.name.trim();
  const parent = values.parentId ?? null;
  if (parent !== (original.parentId ?? null)) patch.parentId = parent;
  const sortOrder = values.sortOrder ?? 0;
  if (sortOrder !== original.sortOrder) patch.sortOrder = sortOrder;
  return patch;
}

interface CategoryTreeNode {
  key: string;
  title: ReactNode;
  children: CategoryTreeNode[];
}

type Editing = { mode: 'create'; parentId?: string } | { mode: 'edit'; category: Category } | { mode: 'delete'; category: Category };

export function CategoriesPage() {
  const { t } = useI18n();
  const { can } = useSession();
  const [store, setStore] = useStoreId();
  const [filters] = Form.useForm<{ store?: string }>();
  const tree = useCategories(store);
  const [editing, setEditing] = useState<Editing | null>(null);
  const writable = can('POST /stores/{storeId}/categories');

  const toNodes = (categories: Category[]): CategoryTreeNode[] =>
    categories.map((category) => ({
      key: category.categoryId,
      title: (
        <Flex gap={8} align="center" wrap data-testid="category-node" data-name={category.name}>
          <span>{category.name}</span>
          <Tag>{t('catalogue.categories.products', { n: category.productCount })}</Tag>
          {writable && (
            <Space size={4}>
              <Button size="small" type="text" icon={<PlusOutlined />} aria-label={t('catalogue.categories.addChild', { name: category.name })} disabled={category.depth >= 5} onClick={() => setEditing({ mode: 'create', parentId: category.categoryId })} />
              <Button size="small" type="text" icon={<EditOutlined />} aria-label={t('catalogue.categories.editOne', { name: category.name })} onClick={() => setEditing({ mode: 'edit', category })} data-testid="category-edit" />
              <Button size="small" type="text" danger icon={<DeleteOutlined />} aria-label={t('catalogue.categories.deleteOne', { name: category.name })} onClick={() => setEditing({ mode: 'delete', category })} data-testid="category-delete" />
            </Space>
          )}
        </Flex>
      ),
      children: toNodes(category.children ?? []),
    }));

  return (
    <>
      <PageHeader
        title={t('catalogue.categories.title')}
        sub={t('catalogue.products.sub', { store })}
        extra={
          writable && (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing({ mode: 'create' })} data-testid="category-create">
              {t('catalogue.categories.addRoot')}
            </Button>
          )
        }
      />
      <FilterPanel form={filters} initialValues={{ store }} active={store !== 'demo' ? 1 : 0} onApply={(values) => setStore(values.store?.trim() || 'demo')}>
        <StoreField />
      </FilterPanel>
      <ProblemAlert error={tree.error} style={{ marginBottom: 12 }} />
      <Card>
        {tree.isLoading ? (
          <Spin />
        ) : tree.data?.categories.length ? (
          <Tree blockNode defaultExpandAll selectable={false} treeData={toNodes(tree.data.categories)} data-testid="category-tree" />
        ) : (
          <Empty description={t('catalogue.categories.none')} />
        )}
        <Typography.Paragraph type="secondary" style={{ marginTop: 12, marginBottom: 0 }}>
          {t('catalogue.categories.hint')}
        </Typography.Paragraph>
      </Card>
      {editing && <CategoryModal storeId={store} editing={editing} tree={tree.data?.categories ?? []} onClose={() => setEditing(null)} />}
    </>
  );
}

function CategoryModal({ storeId, editing, tree, onClose }: { storeId: string; editing: Editing; tree: Category[]; onClose: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const client = useQueryClient();
  const [form] = Form.useForm<CategoryValues & { reassignTo?: string }>();
  const done = () => {
    void client.invalidateQueries({ queryKey: ['categories', storeId] });
    void client.invalidateQueries({ queryKey: ['products'] });
    message.success(t('common.saved'));
    onClose();
  };
  const save = useMutation({
    mutationFn: async (values: CategoryValues & { reassignTo?: string }) => {
      if (editing.mode === 'create')
        return unwrap(
          await api().POST('/stores/{storeId}/categories', {
            params: { path: { storeId } },
            body: { name: values.name.trim(), parentId: values.parentId ?? null, sortOrder: values.sortOrder ?? 0 },
          }),
        );
      const { categoryId, version } = editing.category;
      if (editing.mode === 'edit')
        return unwrap(
          await api().PATCH('/stores/{storeId}/categories/{categoryId}', {
            params: { path: { storeId, categoryId }, header: { 'If-Match': ifMatch(version) } },
            body: categoryPatch(editing.category, values),
          }),
        );
      return unwrap(
        await api().DELETE('/stores/{storeId}/categories/{categoryId}', {
          params: { path: { storeId, categoryId }, header: { 'If-Match': ifMatch(version) } },
          body: values.reassignTo ? { reassignTo: values.reassignTo } : null,
        }),
      );
    },
    onSuccess: done,
  });
  const title =
    editing.mode === 'create'
      ? t('catalogue.categories.create')
      : editing.mode === 'edit'
        ? t('catalogue.categories.editOne', { name: editing.category.name })
        : t('catalogue.categories.deleteOne', { name: editing.category.name });
  const initial =
    editing.mode === 'create'
      ? { parentId: editing.parentId ?? null, sortOrder: 0 }
      : { name: editing.category.name, parentId: editing.category.parentId, sortOrder: editing.category.sortOrder };
  const exclude = editing.mode === 'create' ? undefined : editing.category.categoryId;
  return (
    <Modal
      open
      title={title}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={editing.mode === 'delete' ? t('common.delete') : t('common.save')}
      okButtonProps={{ danger: editing.mode === 'delete', 'data-testid': 'category-submit' } as { danger: boolean }}
      cancelText={t('common.cancel')}
      confirmLoading={save.isPending}
      destroyOnHidden
    >
      <Form form={form} layout="vertical" initialValues={initial} onFinish={(values) => save.mutate(values)}>
        {editing.mode === 'delete' ? (
          <>
            <Typography.Paragraph>{t('catalogue.categories.deleteHint', { n: editing.category.productCount })}</Typography.Paragraph>
            <Form.Item name="reassignTo" label={t('catalogue.categories.reassignTo')}>
              <TreeSelect allowClear treeDefaultExpandAll treeData={categoryNodes(tree, editing.category.categoryId)} />
            </Form.Item>
          </>
        ) : (
          <>
            <Form.Item name="name" label={t('catalogue.categories.name')} rules={[{ required: true, message: t('catalogue.required') }]}>
              <Input maxLength={100} data-testid="category-name" />
            </Form.Item>
            <Form.Item name="parentId" label={t('catalogue.categories.parent')} extra={t('catalogue.categories.parentHint')}>
              <TreeSelect allowClear treeDefaultExpandAll treeData={categoryNodes(tree, exclude)} />
            </Form.Item>
            <Form.Item name="sortOrder" label={t('catalogue.categories.sortOrder')}>
              <InputNumber precision={0} style={{ width: '100%' }} />
            </Form.Item>
          </>
        )}
        <ProblemAlert error={save.error} />
      </Form>
    </Modal>
  );
}
