/**
 * One error base class for the whole project. Each area narrows `code` to its own union,
 * so callers and tests branch on the code, never on message text.
 */
export class ActionGateError<C extends string = string> extends Error {
  readonly code: C;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: C, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }
}
