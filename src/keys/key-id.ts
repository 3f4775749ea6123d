import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';

/** `ed25519:` and 32 lower-case hex digits. */
export const KEY_ID_PATTERN = /^ed25519:[0-9a-f]{32}$/;

/** Length of a raw Ed25519 public key. */
export const ED25519_PUBLIC_KEY_BYTES = 32;

/**
 * The id a key is known by in key sets and signatures: `ed25519:` + the first 32 hex digits
 * (128 bits) of sha256 over the raw 32-byte public key. Derived, never chosen, so a key set
 * cannot file one key under another key's id.
 *
 * @throws TypeError when the key is not 32 bytes.
 * @example keyIdFor(rawPublicKey) === 'ed25519:3b6a27bcceb6a42d62a3a8d02a6f0d73'
 */
export function keyIdFor(rawPublicKey: Uint8Array): string {
  if (rawPublicKey.length !== ED25519_PUBLIC_KEY_BYTES) {
    throw new TypeError(`an Ed25519 public key is ${ED25519_PUBLIC_KEY_BYTES} bytes, not ${rawPublicKey.length}`);
  }
  return `ed25519:${bytesToHex(sha256(rawPublicKey)).slice(0, 32)}`;
}
