import { KeyError } from './key-error.js';
import { KeySetSchema } from './key-set-schema.js';
import type { KeySet, KeySetEntry } from './key-set.js';
import { issuesOf } from './versioned-json.js';

/**
 * A key set with `entries` added, in a stable order (key id, then purpose). Adding an entry
 * that is already there is a no-op; the same key and purpose with other validity is refused.
 *
 * @throws KeyError `MALFORMED` when the result is not a valid key set (bad validity, a key id
 *   that is not its public key's, conflicting entries).
 * @example const next = withKeys(await loadKeySet(path), [{ keyId, publicKey, purpose: 'policy-bundle' }]);
 */
export function withKeys(set: KeySet, entries: readonly KeySetEntry[]): KeySet {
  const keys = [...set.keys];
  for (const entry of entries) {
    const same = keys.find((k) => k.keyId === entry.keyId && k.purpose === entry.purpose);
    if (!same) keys.push(entry);
    else if (same.validFrom !== entry.validFrom || same.validUntil !== entry.validUntil) {
      throw new KeyError('MALFORMED', `${entry.keyId} is given twice for ${entry.purpose}, with different validity`, { keyId: entry.keyId });
    }
  }
  keys.sort((a, b) => compare(a.keyId, b.keyId) || compare(a.purpose, b.purpose));
  const parsed = KeySetSchema.safeParse({ version: 1, keys });
  if (!parsed.success) {
    const issues = issuesOf(parsed.error);
    throw new KeyError('MALFORMED', `not a valid key set: ${issues.join('; ')}`, { issues });
  }
  return parsed.data;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
