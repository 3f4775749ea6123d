import { ActionGateError } from '../errors.js';

export type RequestErrorCode = 'INVALID_REQUEST';

/**
 * One problem with an ActionRequest. `path` names the field (`actor.id`, `context.amount`,
 * `payload.items[2]`), or is `(request)` for a problem with the request as a whole.
 */
export interface RequestIssue {
  readonly path: string;
  readonly message: string;
}

/**
 * An ActionRequest that failed validation, with every problem found (not just the first),
 * so a caller can fix them all in one round trip.
 *
 * @example
 * try {
 *   parseActionRequest(input);
 * } catch (err) {
 *   if (err instanceof RequestError) for (const { path, message } of err.issues) console.log(path, message);
 * }
 */
export class RequestError extends ActionGateError<RequestErrorCode> {
  readonly issues: ReadonlyArray<RequestIssue>;

  constructor(issues: ReadonlyArray<RequestIssue>, options?: { cause?: unknown }) {
    const frozen = Object.freeze(issues.map((issue) => Object.freeze({ path: issue.path, message: issue.message })));
    super('INVALID_REQUEST', formatMessage(frozen), { issues: frozen }, options);
    this.issues = frozen;
  }
}

function formatMessage(issues: ReadonlyArray<RequestIssue>): string {
  const count = `${issues.length} ${issues.length === 1 ? 'problem' : 'problems'}`;
  // One line per issue: a newline inside a message would read as a second issue.
  const lines = issues.map(({ path, message }) => `  - ${path}: ${message.replace(/\s*[\r\n]+\s*/g, ' ')}`);
  return [`invalid ActionRequest (${count}):`, ...lines].join('\n');
}
