import { ApplicationFailure } from '@temporalio/activity';

/**
 * SQLSTATE classes that no retry can fix: data exceptions (22: a value Postgres cannot store,
 * e.g. `\u0000` in jsonb), integrity violations (23) other than the unique-key race the store
 * resolves itself, and syntax or privilege errors (42: a missing grant, a missing migration).
 */
const PERMANENT_CLASSES = new Set(['22', '23', '42']);

/** true for a Postgres error that a retry would only repeat. */
export function isPermanentStoreError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && PERMANENT_CLASSES.has(code.slice(0, 2));
}

/**
 * Rethrows a store error: permanent ones as a non-retryable `RECEIPT_REJECTED` (a durable retry
 * would go on for days for nothing), anything else as is, to be retried.
 */
export function rethrowStoreError(err: unknown): never {
  if (isPermanentStoreError(err)) {
    const { code, message } = err as { code: string; message: string };
    throw ApplicationFailure.nonRetryable(`the receipt store refused the receipt (SQLSTATE ${code}): ${message}`, 'RECEIPT_REJECTED', { sqlState: code });
  }
  throw err;
}
