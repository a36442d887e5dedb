// A product: its pictures, description, the SKU choice by attribute (size, colour …), the chosen SKU's
// price and stock state, and "add to cart" (signed out: sign in first, then back here).

import { ArrowLeftOutlined, ShoppingCartOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { App, Button, Card, Carousel, Descriptions, Flex, InputNumber, Radio, Skeleton, Space, Typography } from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { useNavigate, useParams } from 'react-router-dom';
import { api, unwrap, type Schemas } from '../api/client';
import { useSession } from '../auth/SessionProvider';
import { Money } from '../components/Money';
import { ProblemAlert } from '../components/ProblemAlert';
import { useI18n } from '../i18n/I18nProvider';
import { addLine, MAX_QUANTITY } from './cart';
import { isCustomer, useCart } from './hooks';
import { ProductPicture, StockTag, TONES } from './parts';
import { rememberReturn } from './returnTo';
import { attributeOptions, findVariant, initialSelection, isCombinable } from './variants';

/** An attribute's name in the user's language when the shop knows it, else as the catalogue has it. */
export function useAttributeLabel() {
  const { t } = useI18n();
  return (name: string) => {
    const key = `shop.attributes.${name}`;
    const text = t(key);
    return text === key ? name : text;
  };
}

function pictures(product: Schemas['Product'], sku: Schemas['Sku'] | undefined): string[] {
  const ready = (images: Schemas['ProductImage'][] | undefined) =>
    (images ?? []).filter((image) => image.state === 'READY' && image.url).sort((a, b) => a.position - b.position);
  const own = ready(sku?.images);
  const shared = ready(product.images).filter((image) => !image.skuId || image.skuId === sku?.skuId);
  const urls = [...own, ...shared].map((image) => image.thumbnails?.large ?? image.url ?? '');
  if (urls.length === 0 && product.mainImage?.url) urls.push(product.mainImage.url);
  return [...new Set(urls.filter(Boolean))];
}

export function ProductPage() {
  const { productId = '' } = useParams();
  const { t } = useI18n();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const { session } = useSession();
  const { update } = useCart();
  const attributeLabel = useAttributeLabel();
  const product = useQuery({
    queryKey: ['shop', 'product', productId],
    queryFn: async () => unwrap(await api().GET('/products/{productId}', { params: { path: { productId } } })),
  });
  const skus = useMemo(() => (product.data?.skus ?? []).filter((sku) => sku.status === 'ACTIVE'), [product.data]);
  const options = useMemo(() => attributeOptions(skus), [skus]);
  const [selection, setSelection] = useState<Record<string, string>>({});
  const [quantity, setQuantity] = useState(1);
  useEffect(() => setSelection(initialSelection(skus, options)), [skus, options]);
  const sku = findVariant(skus, options, selection);

  if (product.isLoading) return <Skeleton active />;
  if (product.error || !product.data) return <ProblemAlert error={product.error} />;
  const data = product.data;
  const images = pictures(data, sku);
  const soldOut = !sku || sku.stockState === 'sold_out' || sku.available < 1;
  const maxQuantity = Math.max(1, Math.min(MAX_QUANTITY, sku?.available ?? 1));

  const add = () => {
    if (!sku) return;
    if (!session) {
      rememberReturn(`/shop/products/${productId}`);
      navigate('/signin');
      return;
    }
    if (!isCustomer(session)) {
      message.warning(t('shop.staffSession.title'));
      return;
    }
    update((cart) => addLine(cart, { skuId: sku.skuId, productId: data.productId, productName: data.name, skuName: sku.name }, quantity));
    message.success({ content: t('shop.product.added', { name: `${data.name} · ${sku.name}` }), key: 'added' });
  };

  const priceRange = skus.length > 0 ? { min: Math.min(...skus.map((item) => item.price.amount)), currency: skus[0].price.currency } : null;

  return (
    <Flex vertical gap={12}>
      <div>
        <Button type="text" icon={<ArrowLeftOutlined />} onClick={() => navigate(-1)} style={{ paddingInline: 4 }}>
          {t('shop.back')}
        </Button>
      </div>
      <Card styles={{ body: { padding: 0 } }}>
        {images.length > 1 ? (
          <Carousel dots>
            {images.map((url, index) => (
              <div key={url}>
                <ProductPicture url={url} alt={t('shop.product.picture', { name: data.name, n: index + 1 })} height={280} />
              </div>
            ))}
          </Carousel>
        ) : (
          <ProductPicture url={images[0]} alt={data.name} height={images[0] ? 280 : 180} />
        )}
      </Card>
      <Card>
        <Typography.Title level={1} style={{ fontSize: 20, marginTop: 0 }} data-testid="product-title">
          {data.name}
        </Typography.Title>
        <Flex align="baseline" gap={8} wrap>
          <Typography.Text strong style={{ fontSize: 24, color: '#cf1322' }} data-testid="product-price">
            {sku ? <Money value={sku.price} /> : priceRange ? <Money value={{ amount: priceRange.min, currency: priceRange.currency }} /> : '—'}
          </Typography.Text>
          {sku && <StockTag state={sku.stockState} available={sku.available} />}
        </Flex>
        {data.description && (
          <Typography.Paragraph type="secondary" style={{ marginTop: 8 }}>
            {data.description}
          </Typography.Paragraph>
        )}
      </Card>
      <Card title={t('shop.product.choose')} size="small">
        <Flex vertical gap={12}>
          {options.map((option) => (
            <div key={option.name} role="group" aria-label={attributeLabel(option.name)}>
              <Typography.Text type="secondary" style={{ display: 'block', marginBottom: 4 }}>
                {attributeLabel(option.name)}
              </Typography.Text>
              <Radio.Group
                value={selection[option.name]}
                onChange={(event) => setSelection({ ...selection, [option.name]: String(event.target.value) })}
                optionType="button"
                buttonStyle="solid"
                data-testid={`option-${option.name}`}
              >
                {option.values.map((value) => (
                  <Radio.Button
                    key={value}
                    value={value}
                    disabled={!isCombinable(skus, options, selection, option.name, value)}
                  >
                    <span data-testid={`option-${option.name}-${value}`}>{value}</span>
                  </Radio.Button>
                ))}
              </Radio.Group>
            </div>
          ))}
          {sku && (
            <Typography.Text type="secondary" data-testid="selected-sku" data-sku={sku.skuId}>
              {t('shop.product.selected', { name: sku.name, sku: sku.skuId })}
            </Typography.Text>
          )}
          {!sku && options.length > 0 && <Typography.Text style={{ color: TONES.warn.color }}>{t('shop.product.pick')}</Typography.Text>}
          <Flex align="center" gap={8}>
            <Typography.Text id="quantity-label">{t('shop.cart.quantity')}</Typography.Text>
            <InputNumber
              min={1}
              max={maxQuantity}
              value={quantity}
              onChange={(value) => setQuantity(Math.max(1, Number(value) || 1))}
              aria-labelledby="quantity-label"
              data-testid="product-quantity"
              style={{ width: 96 }}
            />
          </Flex>
          <Space.Compact block>
            <Button
              type="primary"
              size="large"
              block
              icon={<ShoppingCartOutlined />}
              disabled={soldOut}
              onClick={add}
              data-testid="add-to-cart"
            >
              {soldOut && sku ? t('shop.stock.sold_out') : t('shop.product.addToCart')}
            </Button>
          </Space.Compact>
          <Button block onClick={() => navigate('/shop/cart')} data-testid="go-to-cart">
            {t('shop.product.viewCart')}
          </Button>
        </Flex>
      </Card>
      {Object.keys(data.attributes ?? {}).length > 0 && (
        <Card title={t('shop.product.details')} size="small">
          <Descriptions
            column={1}
            size="small"
            items={Object.entries(data.attributes).map(([name, value]) => ({ key: name, label: attributeLabel(name), children: value }))}
          />
        </Card>
      )}
    </Flex>
  );
}
