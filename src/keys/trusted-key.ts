import type { KeySet, KeySetEntry } from './key-set.js';

/** Why a key id is not trusted for a purpose at an instant. */
export type UntrustedReason = 'unknown-key' | 'wrong-purpose' | 'not-yet-valid' | 'expired' | 'no-clock';

export type TrustedKeyResult = { trusted: true; entry: KeySetEntry } | { trusted: false; reason: UntrustedReason; message: string };

/**
 * Looks a key id up in a key set for one purpose. A key with validity bounds is trusted only
 * inside them, checked against `now`; without `now` such a key is not trusted at all (the core
 * has no clock of its own, and a verifier that forgot to pass one must not accept an expired key).
 *
 * @example
 * const found = findTrustedKey(trusted, signature.keyId, 'policy-bundle', now);
 * if (!found.trusted) refuse(found.message);
 */
export function findTrustedKey(set: KeySet, keyId: string, purpose: KeySetEntry['purpose'], now?: Date): TrustedKeyResult {
  const entries = set.keys.filter((entry) => entry.keyId === keyId);
  if (entries.length === 0) return { trusted: false, reason: 'unknown-key', message: `key ${keyId} is not in the trusted key set` };
  const entry = entries.find((candidate) => candidate.purpose === purpose);
  if (!entry) {
    const purposes = entries.map((candidate) => candidate.purpose).join(', ');
    return { trusted: false, reason: 'wrong-purpose', message: `key ${keyId} is trusted for ${purposes}, not ${purpose}` };
  }
  if (entry.validFrom === undefined && entry.validUntil === undefined) return { trusted: true, entry };
  const at = now?.getTime();
  if (at === undefined || !Number.isFinite(at)) {
    return { trusted: false, reason: 'no-clock', message: `key ${keyId} has a validity period and no valid time was given to check it` };
  }
  if (entry.validFrom !== undefined && at < Date.parse(entry.validFrom)) {
    return { trusted: false, reason: 'not-yet-valid', message: `key ${keyId} is valid from ${entry.validFrom}` };
  }
  // validUntil is exclusive: a key is retired at that instant.
  if (entry.validUntil !== undefined && at >= Date.parse(entry.validUntil)) {
    return { trusted: false, reason: 'expired', message: `key ${keyId} expired at ${entry.validUntil}` };
  }
  return { trusted: true, entry };
}
