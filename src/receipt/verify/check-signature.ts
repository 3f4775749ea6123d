import { keyIdFor } from '../../keys/key-id.js';
import type { KeySet } from '../../keys/key-set.js';
import { findTrustedKey } from '../../keys/trusted-key.js';
import { checkpointSigningInput, type SignedCheckpoint } from '../checkpoint.js';
import { receiptSigningInput, type SignedReceipt } from '../signed-receipt.js';
import { decodeBase64url } from './base64url.js';
import type { Ed25519Backend } from './ed25519-backend.js';
import type { Problem } from './problem.js';

// A log is signed by a handful of keys: decode each key set entry's public key and derive its id
// once, not per receipt. Keyed by the public key's text; bounded.
const decodedKeys = new Map<string, { publicKey: Uint8Array; keyId: string } | null>();
const MAX_CACHED_KEYS = 1_024;

/**
 * The raw public key of a key set entry (base64url text), or undefined when the text is not a
 * 32-byte key or `keyId` is not the id derived from it. The same array for the same text, so a
 * back end may cache work per key. Callers must not modify it.
 *
 * @example const publicKey = publicKeyWithId(found.entry.publicKey, keyId); if (!publicKey) refuse();
 */
export function publicKeyWithId(publicKeyText: string, keyId: string): Uint8Array | undefined {
  let known = decodedKeys.get(publicKeyText);
  if (known === undefined) {
    const publicKey = decodeBase64url(publicKeyText, 32);
    known = publicKey === undefined ? null : { publicKey, keyId: keyIdFor(publicKey) };
    if (decodedKeys.size >= MAX_CACHED_KEYS) decodedKeys.clear();
    decodedKeys.set(publicKeyText, known);
  }
  return known !== null && known.keyId === keyId ? known.publicKey : undefined;
}

/**
 * Checks a receipt's signer and signature: the key is in the key set for purpose `receipt`,
 * is the key its id names, was valid at the receipt's `issuedAt`, and the signature verifies.
 *
 * @example const problems = checkReceiptSignature(envelope, keys, nobleBackend);
 */
export function checkReceiptSignature(
  envelope: SignedReceipt,
  keys: KeySet,
  backend: Ed25519Backend,
  line?: number,
  /** `receiptSigningInput(envelope)` when the caller has it already (see `ParsedReceipt.signingInput`). */
  signingInput?: Uint8Array,
): Problem[] {
  const where = { seq: envelope.log.seq, ...(line === undefined ? {} : { line }) };
  return checkSigned(envelope.keyId, envelope.body.issuedAt, envelope.sig, signingInput ?? receiptSigningInput(envelope), keys, backend, where);
}

/** As {@link checkReceiptSignature}, for a checkpoint (reported under seq = its size). */
export function checkCheckpointSignature(checkpoint: SignedCheckpoint, keys: KeySet, backend: Ed25519Backend, line?: number): Problem[] {
  const where = { seq: checkpoint.size, ...(line === undefined ? {} : { line }) };
  return checkSigned(checkpoint.keyId, checkpoint.issuedAt, checkpoint.sig, checkpointSigningInput(checkpoint), keys, backend, where);
}

function checkSigned(
  keyId: string,
  issuedAt: string,
  sig: string,
  input: Uint8Array,
  keys: KeySet,
  backend: Ed25519Backend,
  where: { seq: number; line?: number },
): Problem[] {
  const found = findTrustedKey(keys, keyId, 'receipt', new Date(issuedAt));
  if (!found.trusted) {
    const code = found.reason === 'unknown-key' ? 'UNKNOWN_KEY' : found.reason === 'wrong-purpose' ? 'KEY_WRONG_PURPOSE' : 'KEY_NOT_VALID_AT_ISSUE_TIME';
    const message = code === 'KEY_NOT_VALID_AT_ISSUE_TIME' ? `${found.message}; issued at ${issuedAt}` : found.message;
    return [{ code, ...where, message }];
  }
  const publicKey = publicKeyWithId(found.entry.publicKey, keyId);
  // A key set handed over as a plain object may not have been parsed: the id must be derived from the key.
  if (!publicKey) {
    return [{ code: 'UNKNOWN_KEY', ...where, message: `the key set's public key for ${keyId} is not the key with that id` }];
  }
  const signature = decodeBase64url(sig, 64);
  if (!signature || !backend.verify(publicKey, input, signature)) {
    return [{ code: 'BAD_SIGNATURE', ...where, message: `the signature does not verify under ${keyId} (${backend.name})` }];
  }
  return [];
}
