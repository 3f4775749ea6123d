/** RFC 9457 problem details, as the HTTP API sends them (`application/problem+json`). */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  /** ActionGate's stable code: what clients branch on. */
  code: ProblemCode;
  /** Every bad field, for INVALID_REQUEST. */
  errors?: Array<{ path: string; message: string }>;
}

export type ProblemCode =
  | 'INVALID_REQUEST'
  | 'UNAUTHENTICATED'
  | 'ACTOR_MISMATCH'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'IDEMPOTENCY_CONFLICT'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'NOT_ACCEPTABLE'
  | 'RATE_LIMITED'
  | 'UNAVAILABLE'
  | 'ACTION_FAILED'
  | 'INTERNAL';

const TITLES: Record<ProblemCode, string> = {
  INVALID_REQUEST: 'The request is not valid',
  UNAUTHENTICATED: 'Authentication required',
  ACTOR_MISMATCH: 'The actor is not the authenticated caller',
  NOT_FOUND: 'Not found',
  METHOD_NOT_ALLOWED: 'Method not allowed',
  IDEMPOTENCY_CONFLICT: 'The idempotency key belongs to another request',
  PAYLOAD_TOO_LARGE: 'The request body is too large',
  UNSUPPORTED_MEDIA_TYPE: 'The request body must be application/json',
  NOT_ACCEPTABLE: 'The response can only be JSON',
  RATE_LIMITED: 'Too many requests',
  UNAVAILABLE: 'A service the gate needs did not answer',
  ACTION_FAILED: 'The action ended without a result',
  INTERNAL: 'Internal error',
};

/** Where a problem code is described (docs/API.md#problems). */
export const PROBLEM_TYPE_BASE = 'https://actiongate.dev/problems/';

/** Thrown by route handlers; the error handler turns it into the response. */
export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly code: ProblemCode,
    detail: string,
    readonly errors?: Array<{ path: string; message: string }>,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }

  toProblem(instance?: string): Problem {
    return {
      type: `${PROBLEM_TYPE_BASE}${this.code.toLowerCase().replaceAll('_', '-')}`,
      title: TITLES[this.code],
      status: this.status,
      detail: this.message,
      ...(instance === undefined ? {} : { instance }),
      code: this.code,
      ...(this.errors ? { errors: this.errors } : {}),
    };
  }
}
