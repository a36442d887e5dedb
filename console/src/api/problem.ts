// RFC 9457 problem details as the API answers them (`type` urn:oms:problem:<slug>, `errors` per field).

export interface FieldError {
  field?: string;
  message?: string;
}

export class ApiProblem extends Error {
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly detail: string;
  readonly errors: FieldError[];
  readonly body: Record<string, unknown>;

  constructor(status: number, body: Record<string, unknown> | undefined) {
    const detail = String(body?.detail ?? body?.message ?? `HTTP ${status}`);
    super(detail);
    this.name = 'ApiProblem';
    this.status = status;
    this.type = String(body?.type ?? 'about:blank');
    this.title = String(body?.title ?? '');
    this.detail = detail;
    this.errors = Array.isArray(body?.errors) ? (body.errors as FieldError[]) : [];
    this.body = body ?? {};
  }

  /** The slug of `urn:oms:problem:<slug>`. */
  get slug(): string {
    return this.type.startsWith('urn:oms:problem:') ? this.type.slice('urn:oms:problem:'.length) : this.type;
  }
}

export function isProblem(error: unknown): error is ApiProblem {
  return error instanceof ApiProblem;
}
