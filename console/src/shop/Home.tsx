// Browse and search: GET /search/products in the shop's store, by keyword, category (when the store has a
// category tree), price range and sort; a grid of product cards, a page at a time.

import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { Button, Card, Col, Empty, Flex, Form, Input, InputNumber, Row, Select, Skeleton, Typography } from 'antd';
import { useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { api, unwrap, type Schemas } from '../api/client';
import { FilterPanel } from '../components/FilterPanel';
import { Money } from '../components/Money';
import { ProblemAlert } from '../components/ProblemAlert';
import { useI18n } from '../i18n/I18nProvider';
import { toMinorUnits } from '../i18n/format';
import { shopStore, useStore } from './hooks';
import { ProductPicture } from './parts';

const SORTS = ['relevance', 'price', '-price', 'sales', 'newest'] as const;
type Sort = (typeof SORTS)[number];

interface SearchFilters {
  q?: string;
  category?: string;
  sort?: Sort;
  priceMin?: number;
  priceMax?: number;
}

interface FilterForm {
  category?: string;
  sort?: Sort;
  priceMin?: number | null;
  priceMax?: number | null;
}

async function searchPage(query: { store: string; q?: string; category?: string; sort?: Sort; priceMin?: number; priceMax?: number; cursor?: string; limit?: number }) {
  return unwrap(await api().GET('/search/products', { params: { query } }));
}

function flattenCategories(nodes: Schemas['CatalogCategoryNode'][], depth = 0): { value: string; label: string }[] {
  return nodes.flatMap((node) => [
    { value: node.categoryId, label: `${'— '.repeat(depth)}${node.name}` },
    ...flattenCategories(node.children ?? [], depth + 1),
  ]);
}

function filtersFrom(params: URLSearchParams): SearchFilters {
  const number = (name: string) => {
    const value = params.get(name);
    return value !== null && value !== '' && Number.isFinite(Number(value)) ? Number(value) : undefined;
  };
  const sort = params.get('sort');
  return {
    q: params.get('q') || undefined,
    category: params.get('category') || undefined,
    sort: (SORTS as readonly string[]).includes(sort ?? '') ? (sort as Sort) : undefined,
    priceMin: number('priceMin'),
    priceMax: number('priceMax'),
  };
}

export function Home() {
  const { t } = useI18n();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const filters = filtersFrom(params);
  const storeId = shopStore();
  const store = useStore();
  const currency = store.data?.currency ?? 'CNY';
  const [form] = Form.useForm<FilterForm>();
  const [keyword, setKeyword] = useState(filters.q ?? '');

  const categories = useQuery({
    queryKey: ['shop', 'categories', storeId],
    queryFn: async () => unwrap(await api().GET('/stores/{storeId}/categories', { params: { path: { storeId } } })),
    staleTime: 300_000,
  });
  const categoryOptions = flattenCategories(categories.data?.categories ?? []);

  const search = useInfiniteQuery({
    queryKey: ['shop', 'search', storeId, filters],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) => searchPage({ store: storeId, ...filters, cursor: pageParam, limit: 20 }),
    getNextPageParam: (page) => page.next_cursor ?? undefined,
  });
  const hits = search.data?.pages.flatMap((page) => page.items) ?? [];

  const apply = (next: SearchFilters) => {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(next)) {
      if (value !== undefined && value !== null && value !== '') query.set(key, String(value));
    }
    setParams(query, { replace: true });
  };
  const applyForm = (values: FilterForm) => {
    const minor = (value: number | null | undefined) => {
      if (value === null || value === undefined) return undefined;
      const amount = toMinorUnits(value, currency);
      return Number.isFinite(amount) ? amount : undefined;
    };
    apply({ ...filters, category: values.category || undefined, sort: values.sort || undefined, priceMin: minor(values.priceMin), priceMax: minor(values.priceMax) });
  };
  const active = [filters.category, filters.sort, filters.priceMin, filters.priceMax].filter((value) => value !== undefined).length;

  return (
    <>
      <Typography.Title level={1} style={{ fontSize: 20, margin: '0 0 12px' }}>
        {t('shop.home.title')}
      </Typography.Title>
      <form
        role="search"
        onSubmit={(event) => {
          event.preventDefault();
          apply({ ...filters, q: keyword.trim() || undefined });
        }}
        style={{ marginBottom: 12 }}
      >
        <Input.Search
          value={keyword}
          onChange={(event) => setKeyword(event.target.value)}
          onSearch={(value) => apply({ ...filters, q: value.trim() || undefined })}
          placeholder={t('shop.home.searchPlaceholder')}
          aria-label={t('shop.home.searchLabel')}
          enterButton={t('shop.home.searchButton')}
          allowClear
          size="large"
          data-testid="shop-search"
        />
      </form>
      <FilterPanel<FilterForm>
        form={form}
        onApply={applyForm}
        active={active}
        initialValues={{ sort: filters.sort, category: filters.category }}
      >
        {categoryOptions.length > 0 && (
          <Form.Item name="category" label={t('shop.home.category')}>
            <Select allowClear options={categoryOptions} style={{ minWidth: 160 }} placeholder={t('common.all')} data-testid="filter-category" />
          </Form.Item>
        )}
        <Form.Item name="priceMin" label={t('shop.home.priceMin', { currency })}>
          <InputNumber min={0} step={1} style={{ width: 120 }} data-testid="filter-price-min" />
        </Form.Item>
        <Form.Item name="priceMax" label={t('shop.home.priceMax', { currency })}>
          <InputNumber min={0} step={1} style={{ width: 120 }} data-testid="filter-price-max" />
        </Form.Item>
        <Form.Item name="sort" label={t('shop.home.sort')}>
          <Select
            allowClear
            style={{ minWidth: 150 }}
            placeholder={t('shop.sort.relevance')}
            options={SORTS.map((sort) => ({ value: sort, label: t(`shop.sort.${sort}`) }))}
            data-testid="filter-sort"
          />
        </Form.Item>
      </FilterPanel>
      <ProblemAlert error={search.error} style={{ marginBottom: 12 }} />
      {search.isLoading ? (
        <Skeleton active />
      ) : hits.length === 0 ? (
        <Empty description={t('shop.home.noResults')} />
      ) : (
        <Row gutter={[12, 12]} data-testid="product-grid">
          {hits.map((hit) => (
            <Col key={hit.productId} xs={12} sm={8} md={6}>
              <Card
                hoverable
                size="small"
                cover={<ProductPicture url={hit.image?.thumbnails?.small ?? hit.image?.url} alt={hit.name} />}
                onClick={() => navigate(`/shop/products/${hit.productId}`)}
                data-testid={`product-${hit.productId}`}
                styles={{ body: { padding: 10 } }}
              >
                <a
                  href={`#/shop/products/${hit.productId}`}
                  onClick={(event) => event.preventDefault()}
                  style={{ color: 'inherit', fontWeight: 500, display: 'block', minHeight: 44 }}
                  data-testid="product-name"
                >
                  {hit.name}
                </a>
                <Flex justify="space-between" align="baseline" wrap gap={4}>
                  <Typography.Text strong style={{ color: '#cf1322' }}>
                    <Money value={hit.price.min} />
                    {hit.price.max.amount !== hit.price.min.amount && <span> {t('shop.home.fromPrice')}</span>}
                  </Typography.Text>
                  {hit.sales > 0 && (
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      {t('shop.home.sold', { count: hit.sales })}
                    </Typography.Text>
                  )}
                </Flex>
              </Card>
            </Col>
          ))}
        </Row>
      )}
      {search.hasNextPage && (
        <Flex justify="center" style={{ marginTop: 16 }}>
          <Button onClick={() => search.fetchNextPage()} loading={search.isFetchingNextPage} data-testid="load-more">
            {t('common.loadMore')}
          </Button>
        </Flex>
      )}
    </>
  );
}
