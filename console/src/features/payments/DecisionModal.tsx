// A modal form for one staff decision: its fields, the API's problem when it refuses (with what it would
// allow, when the problem says), and a confirm button.

import { Form, Modal, type FormInstance } from 'antd';
import type { ReactNode } from 'react';
import { isProblem } from '../../api/problem';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useI18n } from '../../i18n/I18nProvider';

export function DecisionModal<V extends object>({
  open,
  title,
  form,
  onCancel,
  onSubmit,
  pending,
  error,
  children,
  testId,
  initialValues,
}: {
  open: boolean;
  title: ReactNode;
  form: FormInstance<V>;
  onCancel: () => void;
  onSubmit: (values: V) => void;
  pending: boolean;
  error: unknown;
  children: ReactNode;
  testId?: string;
  initialValues?: Partial<V>;
}) {
  const { t } = useI18n();
  const allowed = isProblem(error) && Array.isArray(error.body.allowed) ? (error.body.allowed as unknown[]).map(String) : [];
  return (
    <Modal
      open={open}
      title={title}
      onCancel={onCancel}
      okText={t('common.confirm')}
      cancelText={t('common.cancel')}
      confirmLoading={pending}
      okButtonProps={{ 'data-testid': `${testId ?? 'decision'}-confirm` } as Record<string, string>}
      onOk={() => void form.validateFields().then(() => onSubmit(form.getFieldsValue(true) as V))}
      destroyOnHidden
    >
      <div data-testid={testId}>
        <ProblemAlert error={error} style={{ marginBottom: 12 }} />
        {allowed.length > 0 && (
          <p data-testid="decision-allowed">
            {t('payments.allowed')}: {allowed.join(', ')}
          </p>
        )}
        <Form<V> form={form} layout="vertical" initialValues={initialValues} preserve={false}>
          {children}
        </Form>
      </div>
    </Modal>
  );
}
