import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { decodeBase64url } from './base64url.js';
import { KeyError } from './key-error.js';
import { ED25519_PUBLIC_KEY_BYTES, KEY_ID_PATTERN, keyIdFor } from './key-id.js';
import type { KeySet, KeySetEntry } from './key-set.js';
import { issuesOf, parseVersionedJson } from './versioned-json.js';

export const KEY_PURPOSES = ['policy-bundle', 'receipt', 'request', 'operator', 'gateway'] as const;

const Instant = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 instant, e.g. 2026-11-24T00:00:00Z' });

/** One trusted public key; its `keyId` must be the one derived from `publicKey`. */
export const KeySetEntrySchema = z
  .strictObject({
    keyId: z.string().regex(KEY_ID_PATTERN, { error: 'must be ed25519: and 32 lower-case hex digits' }),
    publicKey: z.string(),
    purpose: z.enum(KEY_PURPOSES),
    validFrom: Instant.optional(),
    validUntil: Instant.optional(),
  })
  .superRefine(checkPublicKeyEntry);

/**
 * The checks every listed public key gets (key sets, principals' request keys): the key is a raw
 * 32-byte Ed25519 key, its id is derived from it, and its validity period is not empty.
 */
export function checkPublicKeyEntry(
  entry: { keyId: string; publicKey: string; validFrom?: string | undefined; validUntil?: string | undefined },
  ctx: z.core.$RefinementCtx,
): void {
  const raw = decodeBase64url(entry.publicKey, ED25519_PUBLIC_KEY_BYTES);
  if (!raw) {
    ctx.addIssue({ code: 'custom', path: ['publicKey'], message: 'must be a raw 32-byte Ed25519 public key, base64url without padding' });
  } else if (keyIdFor(raw) !== entry.keyId) {
    ctx.addIssue({ code: 'custom', path: ['keyId'], message: 'is not the id of publicKey (ed25519: + first 32 hex of its sha256)' });
  }
  if (entry.validFrom && entry.validUntil && Date.parse(entry.validFrom) >= Date.parse(entry.validUntil)) {
    ctx.addIssue({ code: 'custom', path: ['validUntil'], message: 'must be later than validFrom' });
  }
}

/** A key set file. A key may appear once per purpose. */
export const KeySetSchema = z
  .strictObject({ version: z.literal(1), keys: z.array(KeySetEntrySchema) })
  .superRefine((set, ctx) => {
    const seen = new Set<string>();
    set.keys.forEach((entry, index) => {
      const slot = `${entry.keyId} ${entry.purpose}`;
      if (seen.has(slot)) ctx.addIssue({ code: 'custom', path: ['keys', index], message: `${entry.keyId} is listed twice for ${entry.purpose}` });
      seen.add(slot);
    });
  });

// The interfaces in key-set.ts are the contract; the schemas must describe exactly them.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
true satisfies Same<z.infer<typeof KeySetEntrySchema>, KeySetEntry>;
true satisfies Same<z.infer<typeof KeySetSchema>, KeySet>;

/**
 * Checks a key set's text. `source` names it in errors.
 *
 * @throws KeyError `UNSUPPORTED_VERSION` for a version other than 1, `MALFORMED` otherwise,
 *   with every bad field in `details.issues`.
 * @example const trusted = parseKeySet(text, 'keys/keyset.json');
 */
export function parseKeySet(text: string, source: string): KeySet {
  const json = parseVersionedJson(text, source, 'key set');
  const parsed = KeySetSchema.safeParse(json);
  if (!parsed.success) {
    const issues = issuesOf(parsed.error);
    throw new KeyError('MALFORMED', `${source}: not a key set: ${issues.join('; ')}`, { file: source, issues });
  }
  return parsed.data;
}

/**
 * Reads and checks a key set file (`actiongate keys export` prints one).
 *
 * @throws KeyError `UNAVAILABLE` when it cannot be read; otherwise as {@link parseKeySet}.
 * @example const trusted = await loadKeySet(config.bundleKeys);
 */
export async function loadKeySet(path: string): Promise<KeySet> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException | undefined)?.code ?? String(error);
    throw new KeyError('UNAVAILABLE', `cannot read key set ${path} (${reason})`, { file: path }, { cause: error });
  }
  return parseKeySet(text, path);
}
