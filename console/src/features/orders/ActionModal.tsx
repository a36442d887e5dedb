// One order action: a button opening a modal form; submitting calls the API (with a fresh Idempotency-Key
// per opening, so a retry of the same submission replays), shows its problem, and on success refreshes
// every order query.

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { App, Button, Form, Modal, type ButtonProps, type FormInstance } from 'antd';
import { useState, type ReactNode } from 'react';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useI18n } from '../../i18n/I18nProvider';
import { newKey } from './api';

export interface ActionModalProps<V, R> {
  label: ReactNode;
  title: ReactNode;
  testId: string;
  submit: (values: V, idempotencyKey: string) => Promise<R>;
  children?: ReactNode | ((form: FormInstance<V>) => ReactNode);
  initialValues?: Partial<V>;
  onDone?: (result: R) => void;
  button?: ButtonProps;
  okText?: ReactNode;
  width?: number;
  /** What to say when it worked (defaults to "Done"). */
  success?: (result: R) => string;
}

export function ActionModal<V extends object, R = unknown>(props: ActionModalProps<V, R>) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const client = useQueryClient();
  const [form] = Form.useForm<V>();
  const [open, setOpen] = useState(false);
  const [key, setKey] = useState(newKey);
  const action = useMutation({
    mutationFn: (values: V) => props.submit(values, key),
    onSuccess: async (result) => {
      setOpen(false);
      message.success(props.success ? props.success(result) : t('common.done'));
      props.onDone?.(result);
      await client.invalidateQueries({ queryKey: ['orders'] });
    },
  });
  const show = () => {
    setKey(newKey());
    action.reset();
    form.resetFields();
    setOpen(true);
  };
  return (
    <>
      <Button onClick={show} data-testid={props.testId} {...props.button}>
        {props.label}
      </Button>
      <Modal
        open={open}
        title={props.title}
        onCancel={() => setOpen(false)}
        onOk={() => form.submit()}
        okText={props.okText ?? t('common.confirm')}
        confirmLoading={action.isPending}
        okButtonProps={{ 'data-testid': `${props.testId}-submit`, danger: props.button?.danger }}
        width={props.width}
        forceRender
      >
        <Form<V>
          form={form}
          layout="vertical"
          initialValues={props.initialValues}
          onFinish={(values) => action.mutate(values)}
          data-testid={`${props.testId}-form`}
        >
          {typeof props.children === 'function' ? props.children(form) : props.children}
          <ProblemAlert error={action.error} />
        </Form>
      </Modal>
    </>
  );
}
