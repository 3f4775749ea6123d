import { createPublicKey, verify } from 'node:crypto';
import type { Ed25519Backend } from './ed25519-backend.js';
import { passesStrictEncodingChecks } from './ed25519-strict.js';

// DER SubjectPublicKeyInfo header for a raw Ed25519 key (RFC 8410): SEQUENCE { SEQUENCE { OID 1.3.101.112 }, BIT STRING }.
const SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);

/**
 * Ed25519 through Node's built-in crypto (OpenSSL), the default where Node is. Kept out of
 * `verify/index.ts` so the verifier can be loaded where `node:crypto` does not exist.
 *
 * @example
 * import { nodeBackend } from '../receipt/verify/node-backend.js';
 * verifyLog(lines, keys, nodeBackend);
 */
export const nodeBackend: Ed25519Backend = Object.freeze({
  name: 'node:crypto',
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    if (!passesStrictEncodingChecks(publicKey, signature)) return false;
    try {
      const spki = new Uint8Array(SPKI_PREFIX.length + publicKey.length);
      spki.set(SPKI_PREFIX);
      spki.set(publicKey, SPKI_PREFIX.length);
      const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
      return verify(null, message, key, signature);
    } catch {
      return false;
    }
  },
});
