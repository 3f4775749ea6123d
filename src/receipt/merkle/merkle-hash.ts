import { sha256 } from '@noble/hashes/sha2.js';
import { MerkleError } from './merkle-error.js';

/** Length in bytes of every hash in the tree (SHA-256). */
export const MERKLE_HASH_LENGTH = 32;

const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;

/**
 * RFC 9162 §2.1.1 leaf hash: SHA-256(0x00 || leaf). The prefix keeps a leaf from passing for an
 * interior node (second-preimage resistance).
 *
 * @example bytesToHex(leafHash(new Uint8Array(0))) // '6e340b9c…afa01d'
 */
export function leafHash(leaf: Uint8Array): Uint8Array {
  const input = new Uint8Array(1 + leaf.length);
  input[0] = LEAF_PREFIX;
  input.set(leaf, 1);
  return sha256(input);
}

/**
 * RFC 9162 §2.1.1 interior node hash: SHA-256(0x01 || left || right).
 *
 * @example const parent = nodeHash(leafHash(a), leafHash(b)); // the root of the 2-leaf tree [a, b]
 */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  const input = new Uint8Array(1 + left.length + right.length);
  input[0] = NODE_PREFIX;
  input.set(left, 1);
  input.set(right, 1 + left.length);
  return sha256(input);
}

/**
 * The root of the empty tree: SHA-256 of the empty string (RFC 9162 §2.1.1). A fresh copy each call.
 *
 * @example bytesToHex(emptyTreeRoot()) // 'e3b0c442…7852b855'
 */
export function emptyTreeRoot(): Uint8Array {
  return sha256(new Uint8Array(0));
}

/** A 32-byte `Uint8Array` (also one from another realm, as @noble/hashes accepts). Never throws. */
export function isMerkleHash(value: unknown): value is Uint8Array {
  const bytes =
    value instanceof Uint8Array || (ArrayBuffer.isView(value) && (value as { constructor?: { name?: unknown } }).constructor?.name === 'Uint8Array');
  return bytes && (value as Uint8Array).length === MERKLE_HASH_LENGTH;
}

/** Constant-time equality of two hashes (no early exit on the first differing byte). */
export function merkleHashesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

/** Throws `INVALID_HASH` unless `value` is a 32-byte hash; `what` names it in the message. */
export function assertMerkleHash(value: unknown, what: string): asserts value is Uint8Array {
  if (!isMerkleHash(value)) {
    throw new MerkleError('INVALID_HASH', `${what} must be a ${MERKLE_HASH_LENGTH}-byte Uint8Array`);
  }
}
