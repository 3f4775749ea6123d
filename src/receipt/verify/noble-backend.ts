import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import type { Ed25519Backend } from './ed25519-backend.js';
import { passesStrictByteChecks } from './ed25519-strict.js';

// The synchronous API needs a SHA-512; @noble/hashes is pure JS, so this runs anywhere.
ed.hashes.sha512 = sha512;

/**
 * Ed25519 in pure JS (@noble/ed25519), with `zip215: false`: RFC 8032 semantics rather than the
 * library's default ZIP-215 ones, which accept non-canonical point encodings. Strictness:
 * {@link passesStrictByteChecks}, then the library, which decodes R with the strict
 * `Point.fromBytes(R, false)` (a canonical point on the curve) on every signature.
 *
 * @example verifyLog(lines, keys, nobleBackend)
 */
export const nobleBackend: Ed25519Backend = Object.freeze({
  name: '@noble/ed25519',
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    if (!passesStrictByteChecks(publicKey, signature)) return false;
    try {
      return ed.verify(signature, message, publicKey, { zip215: false });
    } catch {
      return false;
    }
  },
});
