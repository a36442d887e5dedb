// The list's column choice: a popover of checkboxes (kept in localStorage by the page).

import { SettingOutlined } from '@ant-design/icons';
import { Button, Checkbox, Flex, Popover } from 'antd';
import { useI18n } from '../../i18n/I18nProvider';

export interface ColumnPickerProps {
  columns: { key: string; label: string }[];
  chosen: string[];
  onChange: (chosen: string[]) => void;
}

export function ColumnPicker({ columns, chosen, onChange }: ColumnPickerProps) {
  const { t } = useI18n();
  const content = (
    <Flex vertical gap={4} data-testid="columns-popover">
      {columns.map((column) => (
        <Checkbox
          key={column.key}
          checked={chosen.includes(column.key)}
          // At least one column stays.
          disabled={chosen.length === 1 && chosen.includes(column.key)}
          onChange={(event) =>
            onChange(event.target.checked ? [...chosen, column.key] : chosen.filter((key) => key !== column.key))
          }
          data-testid={`column-${column.key}`}
        >
          {column.label}
        </Checkbox>
      ))}
    </Flex>
  );
  return (
    <Popover content={content} title={t('orders.columns.title')} trigger="click" placement="bottomRight">
      <Button icon={<SettingOutlined />} data-testid="columns-open">
        {t('orders.columns.button')}
      </Button>
    </Popover>
  );
}
