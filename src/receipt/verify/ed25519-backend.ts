/**
 * One Ed25519 verification back end. Both shipped back ends are strict RFC 8032 (section 5.1.7)
 * and agree on every Wycheproof case: `verify` is false, never an exception, for a key or
 * signature of the wrong length, a non-canonical encoding, S >= L, or a small-order public key.
 *
 * @example
 * import { nobleBackend } from './noble-backend.js';
 * nobleBackend.verify(publicKey, message, signature); // true or false
 */
export interface Ed25519Backend {
  /** Names the back end in reports and tests, e.g. `node:crypto` or `@noble/ed25519`. */
  readonly name: string;
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
  /**
   * Optional: lower-case hex SHA-256 of the UTF-8 of `text`, where the platform has a faster one
   * than the verifier's pure-JS SHA-256 (which is used without it). Must give the same digest.
   */
  sha256Hex?(text: string): string;
}
