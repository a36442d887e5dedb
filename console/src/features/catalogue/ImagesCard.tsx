// A product's images (GET /products/{productId}/images, every state): upload through the API's presigned
// POST form (POST …/images, then the form's fields and the file to `upload.url`), reorder, delete.

import { ArrowDownOutlined, ArrowUpOutlined, DeleteOutlined, UploadOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { App, Button, Card, Flex, Image, List, Popconfirm, Space, Tag, Typography, Upload } from 'antd';
import { api, unwrap, type Schemas } from '../../api/client';
import { ProblemAlert } from '../../components/ProblemAlert';
import { StatusTag } from '../../components/StatusTag';
import { useI18n } from '../../i18n/I18nProvider';
import { ifMatch } from './shared';

type ProductImage = Schemas['ProductImage'];

export const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp'];
export const MAX_IMAGE_BYTES = 10 * 1024 * 1024;

/** The order of image ids after moving one up (-1) or down (+1); unchanged at either end. */
export function moveImage(ids: string[], imageId: string, by: -1 | 1): string[] {
  const at = ids.indexOf(imageId);
  const to = at + by;
  if (at < 0 || to < 0 || to >= ids.length) return ids;
  const next = [...ids];
  [next[at], next[to]] = [next[to], next[at]];
  return next;
}

/** Send a file with a presigned POST form: every field as given, then the file as `file`. */
export async function postToForm(form: Schemas['ImageUploadForm'], file: Blob): Promise<void> {
  const body = new FormData();
  for (const [key, value] of Object.entries(form.fields)) body.append(key, value);
  body.append('file', file);
  const response = await fetch(form.url, { method: 'POST', body });
  if (!response.ok) throw new Error(`upload ${response.status}: ${(await response.text()).slice(0, 200)}`);
}

export function ImagesCard({ product }: { product: Schemas['Product'] }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const client = useQueryClient();
  const productId = product.productId;
  const images = useQuery({
    queryKey: ['product-images', productId],
    queryFn: async () => unwrap(await api().GET('/products/{productId}/images', { params: { path: { productId } } })),
    // The thumbnail function checks an upload just after it lands: look again while one is PENDING.
    refetchInterval: (query) => (query.state.data?.images.some((image) => image.state === 'PENDING') ? 1500 : false),
  });
  const refresh = () => {
    void client.invalidateQueries({ queryKey: ['product-images', productId] });
    void client.invalidateQueries({ queryKey: ['product', productId] });
    void client.invalidateQueries({ queryKey: ['products'] });
  };
  const upload = useMutation({
    mutationFn: async (file: File) => {
      const answer = unwrap(
        await api().POST('/products/{productId}/images', {
          params: { path: { productId } },
          body: { contentType: file.type, size: file.size },
        }),
      );
      await postToForm(answer.upload, file);
      return answer;
    },
    onSuccess: () => {
      message.success(t('catalogue.images.uploaded'));
      refresh();
    },
    onError: refresh,
  });
  const reorder = useMutation({
    mutationFn: async (imageIds: string[]) =>
      unwrap(
        await api().PUT('/products/{productId}/images/order', {
          params: { path: { productId }, header: { 'If-Match': ifMatch(images.data?.version) } },
          body: { imageIds },
        }),
      ),
    onSuccess: refresh,
    onError: refresh,
  });
  const remove = useMutation({
    mutationFn: async (imageId: string) =>
      unwrap(await api().DELETE('/products/{productId}/images/{imageId}', { params: { path: { productId, imageId } } })),
    onSuccess: refresh,
  });
  const list = images.data?.images ?? [];
  const orderable = list.filter((image) => image.state !== 'REJECTED').map((image) => image.imageId);
  const firstReady = list.find((image) => image.state === 'READY')?.imageId;
  return (
    <Card
      title={t('catalogue.images.title')}
      extra={
        <Upload
          accept={IMAGE_TYPES.join(',')}
          showUploadList={false}
          beforeUpload={(file) => {
            if (!IMAGE_TYPES.includes(file.type)) message.error(t('catalogue.images.badType'));
            else if (file.size > MAX_IMAGE_BYTES) message.error(t('catalogue.images.tooLarge'));
            else upload.mutate(file);
            return false;
          }}
        >
          <Button icon={<UploadOutlined />} loading={upload.isPending} data-testid="image-upload">
            {t('catalogue.images.upload')}
          </Button>
        </Upload>
      }
    >
      <Typography.Paragraph type="secondary">{t('catalogue.images.hint')}</Typography.Paragraph>
      <ProblemAlert error={images.error ?? upload.error ?? reorder.error ?? remove.error} style={{ marginBottom: 12 }} />
      <List<ProductImage>
        loading={images.isLoading}
        dataSource={list}
        locale={{ emptyText: <Typography.Text type="secondary">{t('catalogue.images.none')}</Typography.Text> }}
        data-testid="image-list"
        renderItem={(image) => (
          <List.Item
            data-testid="image-item"
            data-state={image.state}
            actions={[
              <Button
                key="up"
                size="small"
                icon={<ArrowUpOutlined />}
                aria-label={t('catalogue.images.up')}
                disabled={image.state === 'REJECTED' || orderable.indexOf(image.imageId) <= 0}
                onClick={() => reorder.mutate(moveImage(orderable, image.imageId, -1))}
              />,
              <Button
                key="down"
                size="small"
                icon={<ArrowDownOutlined />}
                aria-label={t('catalogue.images.down')}
                disabled={image.state === 'REJECTED' || orderable.indexOf(image.imageId) === orderable.length - 1}
                onClick={() => reorder.mutate(moveImage(orderable, image.imageId, 1))}
              />,
              <Popconfirm key="delete" title={t('catalogue.images.deleteConfirm')} onConfirm={() => remove.mutate(image.imageId)} okText={t('common.delete')} cancelText={t('common.cancel')}>
                <Button size="small" danger icon={<DeleteOutlined />} aria-label={t('common.delete')} />
              </Popconfirm>,
            ]}
          >
            <Flex gap={12} align="center" wrap>
              {image.url ? (
                <Image src={image.thumbnails['200'] ?? image.url} width={64} height={64} style={{ objectFit: 'cover' }} alt={t('catalogue.images.alt', { n: image.position + 1 })} />
              ) : (
                <div style={{ width: 64, height: 64, background: '#f5f5f5' }} aria-hidden />
              )}
              <Flex vertical>
                <Space wrap>
                  <StatusTag status={image.state} />
                  {image.imageId === firstReady && <Tag color="blue">{t('catalogue.images.main')}</Tag>}
                  {image.skuId && <Tag>{image.skuId}</Tag>}
                </Space>
                <Typography.Text type="secondary">
                  {image.contentType}
                  {image.width ? ` · ${image.width}×${image.height}` : ''}
                </Typography.Text>
                {image.reason && <Typography.Text type="danger">{image.reason}</Typography.Text>}
              </Flex>
            </Flex>
          </List.Item>
        )}
      />
    </Card>
  );
}
