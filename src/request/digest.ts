import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { canonicalJson } from './canonical-json.js';

/** A content digest as it appears everywhere in ActionGate: `sha256:` and 64 lower-case hex digits. */
export type Digest = `sha256:${string}`;

export const DIGEST_PATTERN = /^sha256:[0-9a-f]{64}$/;

/** SHA-256 of UTF-8 text. Pure JS (@noble/hashes) so the same code runs inside the workflow sandbox. */
export function sha256Text(text: string): Digest {
  return `sha256:${bytesToHex(sha256(utf8ToBytes(text)))}`;
}

/** SHA-256 over the RFC 8785 canonical JSON of a value. */
export function digestJson(value: unknown): Digest {
  return sha256Text(canonicalJson(value));
}

/** Constant-time comparison of two digests (no early exit on the first differing character). */
export function digestsEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
