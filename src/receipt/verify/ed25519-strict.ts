import { Point } from '@noble/ed25519';

/** Order of the Ed25519 base point (RFC 8032: L = 2^252 + 27742317777372353535851937790883648493). */
const L = 2n ** 252n + 27742317777372353535851937790883648493n;

/**
 * The encoding checks RFC 8032 section 5.1.7 and Wycheproof ask for, done once in pure JS so
 * every back end gives the strict answer where a library is more lenient (OpenSSL, for one,
 * accepts a small-order public key, under which a forged signature verifies for any message):
 * lengths 32 and 64, S < L, A and R canonical points on the curve, A not of small order.
 *
 * @example if (!passesStrictEncodingChecks(publicKey, signature)) return false;
 */
export function passesStrictEncodingChecks(publicKey: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  let s = 0n;
  for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(signature[i] as number);
  if (s >= L) return false;
  if (!acceptablePublicKey(publicKey)) return false;
  try {
    // zip215 = false: refuse non-canonical y (>= p) and a "negative zero" x.
    Point.fromBytes(signature.subarray(0, 32), false);
  } catch {
    return false;
  }
  return true;
}

// A log is signed by a handful of keys: decide each key's encoding once (a point decompression
// costs about as much as the signature check itself). Bounded, so a hostile input cannot grow it.
const publicKeyVerdicts = new Map<string, boolean>();
const MAX_CACHED_KEYS = 1_024;

function acceptablePublicKey(publicKey: Uint8Array): boolean {
  const id = Array.from(publicKey, (b) => b.toString(16).padStart(2, '0')).join('');
  const known = publicKeyVerdicts.get(id);
  if (known !== undefined) return known;
  let verdict: boolean;
  try {
    verdict = !Point.fromBytes(publicKey, false).isSmallOrder();
  } catch {
    verdict = false;
  }
  if (publicKeyVerdicts.size >= MAX_CACHED_KEYS) publicKeyVerdicts.clear();
  publicKeyVerdicts.set(id, verdict);
  return verdict;
}
