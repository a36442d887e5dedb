// Filters: an inline form above a list on tablets and desktops, a drawer behind a "Filters" button on
// phones. `onApply` receives the form's values.

import { FilterOutlined } from '@ant-design/icons';
import { Badge, Button, Card, Drawer, Flex, Form, Grid, Space, type FormInstance } from 'antd';
import { useState, type ReactNode } from 'react';
import { useI18n } from '../i18n/I18nProvider';

export interface FilterPanelProps<V> {
  form: FormInstance<V>;
  children: ReactNode; // Form.Item elements
  onApply: (values: V) => void;
  onReset?: () => void;
  active?: number; // how many filters are set, shown on the phone's button
  extra?: ReactNode; // e.g. saved filters, shown beside the buttons
  initialValues?: Partial<V>;
}

export function FilterPanel<V extends object>(props: FilterPanelProps<V>) {
  const { t } = useI18n();
  const phone = Grid.useBreakpoint().md === false;
  const [open, setOpen] = useState(false);
  const apply = () => {
    props.onApply(props.form.getFieldsValue(true) as V);
    setOpen(false);
  };
  const reset = () => {
    props.form.resetFields();
    props.onReset?.();
    props.onApply(props.form.getFieldsValue(true) as V);
    setOpen(false);
  };
  const buttons = (
    <Space wrap>
      <Button type="primary" onClick={apply} data-testid="filters-apply">
        {t('common.search')}
      </Button>
      <Button onClick={reset} data-testid="filters-reset">
        {t('common.reset')}
      </Button>
      {props.extra}
    </Space>
  );
  const form = (
    <Form
      form={props.form}
      layout={phone ? 'vertical' : 'inline'}
      initialValues={props.initialValues}
      onFinish={apply}
      style={phone ? undefined : { rowGap: 12 }}
    >
      {props.children}
      {!phone && <Form.Item>{buttons}</Form.Item>}
      <button type="submit" hidden aria-hidden tabIndex={-1} />
    </Form>
  );
  if (!phone) return <Card size="small" style={{ marginBottom: 12 }}>{form}</Card>;
  return (
    <>
      <Flex gap={8} style={{ marginBottom: 12 }} wrap>
        <Badge count={props.active ?? 0} size="small">
          <Button icon={<FilterOutlined />} onClick={() => setOpen(true)} data-testid="filters-open">
            {t('common.filters')}
          </Button>
        </Badge>
        {props.extra}
      </Flex>
      <Drawer
        open={open}
        onClose={() => setOpen(false)}
        title={t('common.filters')}
        placement="bottom"
        size="large"
        forceRender
        footer={buttons}
      >
        {form}
      </Drawer>
    </>
  );
}
