import type { Connection } from '@temporalio/client';
// @temporalio/proto is CommonJS: take the namespace from its default export.
import proto from '@temporalio/proto';

const { INDEXED_VALUE_TYPE_KEYWORD: KEYWORD, INDEXED_VALUE_TYPE_KEYWORD_LIST: KEYWORD_LIST } = proto.temporal.api.enums.v1.IndexedValueType;

/** Our typed search attributes, by wire name, with their types. Mirrors workflows/contract.ts SEARCH_ATTRIBUTES. */
const ACTIONGATE_ATTRIBUTES = {
  ActionSurface: KEYWORD,
  ActionOutcome: KEYWORD,
  ActionActor: KEYWORD,
  PolicyDigest: KEYWORD,
  ActionOperators: KEYWORD,
  ActionDispatch: KEYWORD,
  ActionReasons: KEYWORD_LIST,
} as const;

/**
 * Registers ActionGate's search attributes on the namespace where they are missing. Idempotent;
 * run at worker start, because a workflow that upserts an unknown attribute cannot make progress.
 *
 * @example await ensureSearchAttributes(connection, 'default') // ['ActionSurface', ...] when newly added
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = new Set(Object.keys(existing.customAttributes ?? {}));
  const missing = (Object.keys(ACTIONGATE_ATTRIBUTES) as Array<keyof typeof ACTIONGATE_ATTRIBUTES>).filter((name) => !known.has(name));
  if (missing.length === 0) return [];
  try {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((name) => [name, ACTIONGATE_ATTRIBUTES[name]])),
    });
  } catch (err) {
    // Another process may have registered them in between: only fail if they are still missing.
    const again = await connection.operatorService.listSearchAttributes({ namespace });
    const still = missing.filter((name) => !(name in (again.customAttributes ?? {})));
    if (still.length > 0) throw err;
  }
  return missing;
}
