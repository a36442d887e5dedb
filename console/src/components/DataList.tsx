// A list that is a table on tablets and desktops and a column of cards on phones (< 768 px), with the
// API's cursor pagination ("load more") and optional row selection for batch actions.

import { Button, Card, Checkbox, Empty, Flex, Grid, Spin, Table, type TableColumnsType } from 'antd';
import type { Key, ReactNode } from 'react';
import { useI18n } from '../i18n/I18nProvider';

export interface DataListProps<T> {
  rows: T[];
  rowKey: (row: T) => string;
  columns: TableColumnsType<T>;
  /** The card a phone shows for a row; defaults to the columns as label: value lines. */
  card?: (row: T) => ReactNode;
  cardTitle?: (row: T) => ReactNode;
  loading?: boolean;
  hasMore?: boolean;
  onLoadMore?: () => void;
  loadingMore?: boolean;
  selected?: string[];
  onSelect?: (keys: string[]) => void;
  onOpen?: (row: T) => void;
  testId?: string;
  /** The list's name for assistive technology (the table scrolls sideways inside a focusable region). */
  label?: string;
}

export function DataList<T extends object>(props: DataListProps<T>) {
  const { t } = useI18n();
  const screens = Grid.useBreakpoint();
  const phone = screens.md === false;
  const { rows, rowKey, columns, selected, onSelect } = props;
  const more = props.hasMore ? (
    <Flex justify="center" style={{ marginTop: 12 }}>
      <Button onClick={props.onLoadMore} loading={props.loadingMore} data-testid="load-more">
        {t('common.loadMore')}
      </Button>
    </Flex>
  ) : null;

  if (phone) {
    return (
      <div data-testid={props.testId} data-layout="cards">
        <Spin spinning={!!props.loading}>
          {rows.length === 0 ? (
            <Empty description={t('common.empty')} />
          ) : (
            <div role="list" style={{ display: 'grid', gap: 12 }}>
              {rows.map((row) => {
                const key = rowKey(row);
                return (
                  <div role="listitem" key={key}>
                    <Card
                      size="small"
                      style={{ width: '100%' }}
                      title={
                        <Flex gap={8} align="center">
                          {onSelect && (
                            <Checkbox
                              aria-label={t('common.select')}
                              onClick={(event) => event.stopPropagation()} // ticking does not open the row
                              checked={selected?.includes(key)}
                              onChange={(event) =>
                                onSelect(
                                  event.target.checked
                                    ? [...(selected ?? []), key]
                                    : (selected ?? []).filter((item) => item !== key),
                                )
                              }
                            />
                          )}
                          <span>{props.cardTitle ? props.cardTitle(row) : key}</span>
                        </Flex>
                      }
                      onClick={props.onOpen ? () => props.onOpen?.(row) : undefined}
                      hoverable={!!props.onOpen}
                    >
                      {props.card ? props.card(row) : <DefaultCard row={row} columns={columns} />}
                    </Card>
                  </div>
                );
              })}
            </div>
          )}
        </Spin>
        {more}
      </div>
    );
  }
  return (
    <div data-testid={props.testId} data-layout="table">
      <div role="region" aria-label={props.label ?? t('common.list')} tabIndex={0} style={{ overflowX: 'auto' }}>
        <Table<T>
          size="middle"
          loading={props.loading}
          dataSource={rows}
          columns={columns}
          rowKey={(row) => rowKey(row)}
          pagination={false}
          locale={{ emptyText: <Empty description={t('common.empty')} /> }}
          rowSelection={
            onSelect
              ? { selectedRowKeys: selected as Key[], onChange: (keys) => onSelect(keys.map(String)) }
              : undefined
          }
          onRow={props.onOpen ? (row) => ({ onDoubleClick: () => props.onOpen?.(row) }) : undefined}
        />
      </div>
      {more}
    </div>
  );
}

function DefaultCard<T extends object>({ row, columns }: { row: T; columns: TableColumnsType<T> }) {
  return (
    <dl style={{ margin: 0, display: 'grid', gridTemplateColumns: 'auto 1fr', gap: '2px 12px' }}>
      {columns.map((column, index) => {
        const key = String(column.key ?? index);
        const dataIndex = 'dataIndex' in column ? column.dataIndex : undefined;
        const value = dataIndex !== undefined ? (row as Record<string, unknown>)[String(dataIndex)] : undefined;
        const rendered = column.render ? column.render(value, row, index) : (value as ReactNode);
        return [
          <dt key={`${key}-t`} style={{ color: 'rgba(0,0,0,0.6)' }}>
            {column.title as ReactNode}
          </dt>,
          <dd key={`${key}-d`} style={{ margin: 0, wordBreak: 'break-word' }}>
            {rendered as ReactNode}
          </dd>,
        ];
      })}
    </dl>
  );
}
