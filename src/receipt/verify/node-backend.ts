import * as nodeCrypto from 'node:crypto';
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { Ed25519Backend } from './ed25519-backend.js';
import { bytesKey, passesStrictByteChecks } from './ed25519-strict.js';

// DER SubjectPublicKeyInfo header for a raw Ed25519 key (RFC 8410): SEQUENCE { SEQUENCE { OID 1.3.101.112 }, BIT STRING }.
const SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);

// Importing a key costs more than a verification: one KeyObject per key, not per signature.
// Bounded, so a hostile input cannot grow it; keyed by the key's bytes, never by the array object.
const keyObjects = new Map<string, KeyObject | null>();
const MAX_CACHED_KEYS = 1_024;

function keyObjectFor(publicKey: Uint8Array): KeyObject | null {
  const id = bytesKey(publicKey);
  const known = keyObjects.get(id);
  if (known !== undefined) return known;
  let key: KeyObject | null;
  try {
    const spki = new Uint8Array(SPKI_PREFIX.length + publicKey.length);
    spki.set(SPKI_PREFIX);
    spki.set(publicKey, SPKI_PREFIX.length);
    key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  } catch {
    key = null;
  }
  if (keyObjects.size >= MAX_CACHED_KEYS) keyObjects.clear();
  keyObjects.set(id, key);
  return key;
}

// `crypto.hash` (Node 20.12 and later) skips the Hash object: a third of the cost on a short line.
const oneShotHash = typeof nodeCrypto.hash === 'function' ? nodeCrypto.hash : undefined;

/**
 * Ed25519 through Node's built-in crypto (OpenSSL), the default where Node is. Kept out of
 * `verify/index.ts` so the verifier can be loaded where `node:crypto` does not exist.
 *
 * Strictness: {@link passesStrictByteChecks} (lengths, S < L, R's encoding, the public key a
 * canonical point not of small order), then OpenSSL, which recomputes R from S, the key and the
 * message and compares its canonical encoding with the signature's R byte for byte, so it
 * accepts only an R that is the canonical encoding of a point on the curve.
 *
 * @example
 * import { nodeBackend } from '../receipt/verify/node-backend.js';
 * verifyLog(lines, keys, nodeBackend);
 */
export const nodeBackend: Ed25519Backend = Object.freeze({
  name: 'node:crypto',
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    if (!passesStrictByteChecks(publicKey, signature)) return false;
    const key = keyObjectFor(publicKey);
    if (key === null) return false;
    try {
      return verify(null, message, key, signature);
    } catch {
      return false;
    }
  },
  sha256Hex(text: string): string {
    return oneShotHash === undefined ? createHash('sha256').update(text, 'utf8').digest('hex') : oneShotHash('sha256', text, 'hex');
  },
});
