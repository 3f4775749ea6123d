import type { Digest } from '../request/digest.js';

/**
 * Public keys a verifier trusts, as a file (`actiongate keys export` prints one). Shared by
 * policy bundles and, later, receipts. Validity bounds are ISO 8601 instants; absent = unbounded.
 */
export interface KeySetEntry {
  /** `ed25519:` + the first 32 hex digits of sha256(raw 32-byte public key). */
  keyId: string;
  /** Raw 32-byte Ed25519 public key, base64url without padding. */
  publicKey: string;
  purpose: 'policy-bundle' | 'receipt' | 'request' | 'operator' | 'gateway';
  validFrom?: string;
  validUntil?: string;
}

export interface KeySet {
  version: 1;
  keys: KeySetEntry[];
}

export type { Digest };
