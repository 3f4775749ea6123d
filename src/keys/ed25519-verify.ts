import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { decodeBase64url } from './base64url.js';
import { ED25519_PUBLIC_KEY_BYTES } from './key-id.js';

export const ED25519_SIGNATURE_BYTES = 64;

/**
 * Checks one Ed25519 signature (RFC 8032, Node's built-in crypto). Never throws: a public key
 * that is not a valid base64url 32-byte key, or a signature of the wrong length, is `false`.
 *
 * @example verifyEd25519(entry.publicKey, signingInput, signatureBytes) // true or false
 */
export function verifyEd25519(publicKey: string, data: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== ED25519_SIGNATURE_BYTES) return false;
  const key = publicKeyObject(publicKey);
  if (!key) return false;
  try {
    return verify(null, data, key, signature);
  } catch {
    return false;
  }
}

/** A Node KeyObject for a raw base64url Ed25519 public key, or undefined if it is not one. */
export function publicKeyObject(publicKey: string): KeyObject | undefined {
  if (!decodeBase64url(publicKey, ED25519_PUBLIC_KEY_BYTES)) return undefined;
  try {
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: publicKey }, format: 'jwk' });
  } catch {
    return undefined;
  }
}
