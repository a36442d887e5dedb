// Named filters kept in this browser: apply one, delete one, save the current filters under a name.

import { DeleteOutlined, StarOutlined } from '@ant-design/icons';
import { Button, Empty, Flex, Input, Popover, Space, Typography } from 'antd';
import { useState } from 'react';
import { useI18n } from '../../i18n/I18nProvider';
import { countFilters, type OrderFilters } from './filters';
import { deleteSavedFilter, loadSavedFilters, saveFilter, type SavedFilter } from './prefs';

export function SavedFilters({ current, onApply }: { current: OrderFilters; onApply: (filters: OrderFilters) => void }) {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  const [saved, setSaved] = useState<SavedFilter[]>(() => loadSavedFilters());
  const [name, setName] = useState('');
  const empty = countFilters(current) === 0;
  const content = (
    <Flex vertical gap={8} style={{ maxWidth: 320 }} data-testid="saved-filters">
      {saved.length === 0 ? (
        <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('orders.saved.none')} />
      ) : (
        saved.map((item) => (
          <Flex key={item.name} justify="space-between" align="center" gap={8}>
            <Button
              type="link"
              style={{ paddingInline: 0 }}
              onClick={() => {
                onApply(item.filters);
                setOpen(false);
              }}
              data-testid="saved-filter-apply"
              data-name={item.name}
            >
              {item.name}
            </Button>
            <Button
              size="small"
              danger
              type="text"
              icon={<DeleteOutlined />}
              aria-label={t('orders.saved.delete', { name: item.name })}
              onClick={() => setSaved(deleteSavedFilter(item.name))}
              data-testid="saved-filter-delete"
              data-name={item.name}
            />
          </Flex>
        ))
      )}
      <Typography.Text type="secondary">{t('orders.saved.saveCurrent')}</Typography.Text>
      <Space.Compact style={{ width: '100%' }}>
        <Input
          value={name}
          onChange={(event) => setName(event.target.value)}
          placeholder={t('orders.saved.name')}
          aria-label={t('orders.saved.name')}
          maxLength={60}
          data-testid="saved-filter-name"
        />
        <Button
          type="primary"
          disabled={!name.trim() || empty}
          onClick={() => {
            setSaved(saveFilter(name, current));
            setName('');
          }}
          data-testid="saved-filter-save"
        >
          {t('common.save')}
        </Button>
      </Space.Compact>
    </Flex>
  );
  return (
    <Popover content={content} title={t('orders.saved.title')} trigger="click" open={open} onOpenChange={setOpen}>
      <Button icon={<StarOutlined />} data-testid="saved-filters-open">
        {t('orders.saved.button')}
      </Button>
    </Popover>
  );
}
